//! `verdict validate`: validity tiers and schema compliance without expected outputs.

use serde_json::json;

use crate::harness::{tempdir, verdict, write};

#[test]
fn validates_every_output_line_of_the_sample() {
    let out = tempdir();
    let args = [
        "validate",
        "--schema",
        "schemas/basketball-events.schema.json",
        "datasets/basketball/predictions.jsonl",
        "--out",
        out.path().to_str().unwrap(),
    ];
    let run = verdict(&args);
    run.assert_code(0);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("validation.json")).unwrap())
            .unwrap();
    // All 319 lines, orphans included: the sample's 320 clips minus 3 missing plus 2 orphans.
    assert_eq!(report["summary"]["outputs"], 319);
    assert_eq!(
        report["validity"],
        json!({"strict": 270, "extracted": 28, "repaired": 13, "invalid": 3, "missing": 0, "failed": 5})
    );
    assert_eq!(report["schema"]["valid"], 284);
    assert_eq!(report["schema_errors"][0]["path"], "");
    assert!(
        run.stdout.contains("schema_valid        0.890  (284/319)"),
        "{}",
        run.stdout
    );

    let mut gated = args.map(str::to_owned).to_vec();
    gated.extend(["--gate".into(), "schema_valid>=0.9".into()]);
    let run = verdict(&gated);
    run.assert_code(1);
    assert!(
        run.stderr
            .contains("gate failed: schema_valid = 0.8903, required >= 0.9"),
        "{}",
        run.stderr
    );
}

#[test]
fn plain_outputs_and_bad_input() {
    let dir = tempdir();
    write(
        dir.path(),
        "schema.json",
        r#"{"type": "object", "required": ["intent"]}"#,
    );
    write(
        dir.path(),
        "out.jsonl",
        "{\"id\": 1, \"output\": \"{\\\"intent\\\": \\\"refund\\\"}\"}\n{\"id\": 2, \"output\": \"```json\\n{}\\n```\"}\n{\"id\": 3, \"output\": \"nope\"}\n",
    );
    let out = tempdir();
    let schema = dir.path().join("schema.json");
    let file = dir.path().join("out.jsonl");
    let run = verdict(&[
        "validate",
        "--schema",
        schema.to_str().unwrap(),
        file.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
        "--quiet",
    ]);
    run.assert_code(0);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("validation.json")).unwrap())
            .unwrap();
    assert_eq!(report["validity"]["strict"], 1);
    assert_eq!(report["validity"]["extracted"], 1);
    assert_eq!(report["validity"]["invalid"], 1);
    assert_eq!(report["schema"]["checked"], 2);
    assert_eq!(report["schema"]["valid"], 1);
    let empty = write(dir.path(), "empty.jsonl", "");
    let run = verdict(&[
        "validate",
        "--schema",
        schema.to_str().unwrap(),
        empty.to_str().unwrap(),
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("empty.jsonl: no outputs"),
        "{}",
        run.stderr
    );
}

#[test]
fn without_a_schema_validity_alone_is_reported() {
    let out = tempdir();
    let run = verdict(&[
        "validate",
        "datasets/basketball/predictions.jsonl",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_code(0);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("validation.json")).unwrap())
            .unwrap();
    // The same tiers as with the schema (the tiers never depend on it), and no schema number.
    assert_eq!(
        report["validity"],
        json!({"strict": 270, "extracted": 28, "repaired": 13, "invalid": 3, "missing": 0, "failed": 5})
    );
    assert_eq!(report["run"]["schema"], json!(null));
    assert_eq!(report["summary"]["schema_valid"], json!(null));
    assert_eq!(
        report["schema"],
        json!({"file": null, "checked": 0, "valid": 0})
    );
    assert_eq!(report["schema_errors"], json!([]));
    assert!(
        run.stdout
            .starts_with("verdict validate · 319 outputs · no schema: JSON validity only\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("schema_valid"), "{}", run.stdout);

    let run = verdict(&[
        "validate",
        "datasets/basketball/predictions.jsonl",
        "--out",
        out.path().to_str().unwrap(),
        "--quiet",
        "--gate",
        "json_valid>=0.9",
    ]);
    run.assert_code(0);
}

#[test]
fn a_json_array_given_to_validate_gets_the_jq_hint() {
    let dir = tempdir();
    let file = write(
        dir.path(),
        "outputs.json",
        "[\n  {\"id\": 1, \"output\": \"{}\"}\n]\n",
    );
    let run = verdict(&["validate", file.to_str().unwrap()]);
    run.assert_code(2);
    let path = file.display();
    assert_eq!(
        run.stderr,
        format!(
            "verdict: error: {path}:1: not valid JSON (EOF while parsing a list at line 1 column 1): each line must hold one JSON object; the file looks like a JSON array, not JSON Lines: verdict expects one JSON object per line, e.g. jq -c '.[]' {path} > {}\n",
            dir.path().join("outputs.jsonl").display()
        )
    );
}
