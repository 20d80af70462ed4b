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
