//! A schema pattern the regex engine cannot finish matching is a limit of the check, not a
//! fault of the output: such outputs are counted apart, named with their pattern, left out of
//! `schema_valid`, and never let a gate on it pass or fail unseen (issue 25, item 5).

use std::path::Path;

use serde_json::{Value, json};

use crate::harness::{tempdir, verdict, write};

/// Overlapping alternatives before a lookahead: on "abab…ab" with no `c`, fancy-regex tries
/// every split (2^28) and stops at its backtracking limit; "abc" matches at once.
const PATTERN: &str = "^(a|ab|b)*(?=c)c$";

/// Five outputs: two valid, two the check cannot decide, one with a wrong type.
fn dataset(dir: &Path) {
    let schema = json!({
        "type": "object",
        "required": ["code"],
        "properties": {"code": {"type": "string", "pattern": PATTERN}}
    });
    write(dir, "schema.json", schema.to_string());
    write(dir, "eval.toml", "schema = \"schema.json\"\n");
    let long = "ab".repeat(28);
    let outputs = [
        json!({"code": "abc"}),
        json!({"code": "ababc"}),
        json!({"code": long}),
        json!({"code": format!("b{long}")}),
        json!({"code": 5}),
    ];
    let (mut expected, mut predicted) = (String::new(), String::new());
    for (i, output) in outputs.iter().enumerate() {
        expected.push_str(&format!(
            "{}\n",
            json!({"id": i, "expected": {"code": "abc"}})
        ));
        predicted.push_str(&format!(
            "{}\n",
            json!({"id": i, "output": output.to_string()})
        ));
    }
    write(dir, "expected.jsonl", expected);
    write(dir, "predictions.jsonl", predicted);
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const WARNING: &str = "the schema's pattern \"^(a|ab|b)*(?=c)c$\" (at /properties/code/pattern) hit the regex engine's backtracking limit: 2 output(s) could not be checked against it (first at /code), and count as neither schema-valid nor invalid";

#[test]
fn outputs_a_pattern_cannot_decide_are_counted_apart_and_gates_are_settled_on_them() {
    let data = tempdir();
    dataset(data.path());
    let dir = data.path().to_str().unwrap();
    let out = tempdir();
    // schema_valid is 2/3 of the decided outputs; 2/5 were both undecided outputs invalid,
    // 4/5 were both valid. A threshold below both bounds holds whichever way they went.
    let run = verdict(&[
        "score",
        dir,
        "--gate",
        "schema_valid>=0.3",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_code(0);
    assert!(
        run.stderr.contains(&format!("warning: {WARNING}")),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("schema_valid            0.667"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("(2/3)"), "{}", run.stdout);
    let report = read_json(&out.path().join("report.json"));
    assert_eq!(
        report["schema"],
        json!({
            "file": "schema.json",
            "checked": 5,
            "valid": 2,
            "undecided": 2,
            "undecided_patterns": [{
                "pattern": PATTERN,
                "schema_path": "/properties/code/pattern",
                "outputs": 2,
                "first_path": "/code"
            }]
        })
    );
    assert_eq!(report["summary"]["schema_valid"], json!(2.0 / 3.0));
    // The interval's value is the report's: the bootstrap leaves them out too.
    assert_eq!(
        report["intervals"]["summary"]["schema_valid"]["value"],
        json!(2.0 / 3.0)
    );
    // The engine's failure is not a violation of the output: only the wrong type is one.
    let errors: Vec<&str> = report["schema_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["keyword"].as_str().unwrap())
        .collect();
    assert_eq!(errors, ["type"]);
    assert_eq!(report["gates"][0]["passed"], true);
    assert!(
        report["gates"][0]["note"]
            .as_str()
            .unwrap()
            .contains("the gate holds whichever way they went (schema_valid 0.4000 if all were invalid, 0.8000 if all were valid)"),
        "{}",
        report["gates"][0]
    );
    let markdown = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        markdown.contains("> **Warning:** the schema's pattern"),
        "{markdown}"
    );
    // Each undecided example says so in examples.jsonl, and counts it apart.
    let undecided: Vec<Value> = std::fs::read_to_string(out.path().join("examples.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|line| line.get("schema_undecided").is_some())
        .collect();
    assert_eq!(undecided.len(), 2);
    assert_eq!(undecided[0]["schema_undecided"]["pattern"], PATTERN);
    assert_eq!(undecided[0]["schema_errors"], json!([]));
    assert_eq!(undecided[0]["counts"]["schema_undecided"], 1);
    assert_eq!(undecided[0]["counts"]["schema_valid"], 0);

    // A threshold between the bounds: the undecided outputs decide it, so it cannot pass.
    let gated = tempdir();
    let run = verdict(&[
        "score",
        dir,
        "--gate",
        "schema_valid>=0.5",
        "--quiet",
        "--out",
        gated.path().to_str().unwrap(),
    ]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("gate failed: schema_valid = 0.6667, required >= 0.5: undecided: 2 output(s) could not be checked against the schema (a pattern hit the regex engine's backtracking limit), and schema_valid is 0.4000 if all were invalid, 0.8000 if all were valid, on both sides of the threshold: the gate cannot pass"),
        "{}",
        run.stderr
    );

    // Shards count them as one run does.
    let parts = tempdir();
    let mut merge = vec!["merge".to_owned()];
    for i in 0..2 {
        let part = parts.path().join(i.to_string());
        let shard = format!("{i}/2");
        let args = ["score", dir, "--shard", &shard, "--quiet", "--out"];
        let mut args = args.to_vec();
        args.push(part.to_str().unwrap());
        verdict(&args).assert_code(0);
        merge.push(part.display().to_string());
    }
    let merged = tempdir();
    merge.extend([
        "--gate".into(),
        "schema_valid>=0.3".into(),
        "--quiet".into(),
        "--out".into(),
        merged.path().display().to_string(),
    ]);
    verdict(&merge).assert_code(0);
    for name in ["report.json", "examples.jsonl", "report.md"] {
        assert_eq!(
            std::fs::read(out.path().join(name)).unwrap(),
            std::fs::read(merged.path().join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn validate_counts_outputs_a_pattern_cannot_decide_apart() {
    let data = tempdir();
    dataset(data.path());
    let out = tempdir();
    let schema = data.path().join("schema.json");
    let predictions = data.path().join("predictions.jsonl");
    let run = verdict(&[
        "validate",
        "--schema",
        schema.to_str().unwrap(),
        predictions.to_str().unwrap(),
        "--gate",
        "schema_valid>=0.5",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("schema_valid        0.667  (2/3)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("warning: {WARNING}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(
            "gate failed: schema_valid = 0.6667, required >= 0.5: undecided: 2 output(s)"
        ),
        "{}",
        run.stderr
    );
    let report = read_json(&out.path().join("validation.json"));
    assert_eq!(report["schema"]["undecided"], 2);
    assert_eq!(report["schema"]["valid"], 2);
    assert_eq!(report["summary"]["schema_valid"], json!(2.0 / 3.0));
}
