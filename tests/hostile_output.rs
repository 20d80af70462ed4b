//! Labels are whatever the data holds: nothing of theirs reaches a terminal, a CI log or a
//! spreadsheet as a command (issue 25, item 4).

use crate::harness::{tempdir, verdict, write};

#[test]
fn labels_cannot_drive_the_terminal_the_ci_log_or_a_spreadsheet() {
    let data = tempdir();
    write(
        data.path(),
        "eval.toml",
        "[events]\ntime = \"t\"\nlabel = \"c\"\n",
    );
    write(
        data.path(),
        "expected.jsonl",
        "{\"id\": 1, \"expected\": [{\"t\": 1, \"c\": \"A\"}, {\"t\": 5, \"c\": \"B\"}]}\n",
    );
    // Two invented labels: one retitles the window and starts a GitHub Actions command on a
    // line of its own, the other is a spreadsheet formula.
    let evil = "x\u{1b}]0;pwned\u{7}\r\n::error::pwned";
    let output =
        serde_json::json!([{"t": 1, "c": evil}, {"t": 5, "c": "=HYPERLINK(\"http://x\")"}]);
    write(
        data.path(),
        "predictions.jsonl",
        format!(
            "{}\n",
            serde_json::json!({"id": 1, "output": output.to_string()})
        ),
    );
    let out = tempdir();
    let run = verdict(&[
        "score",
        data.path().to_str().unwrap(),
        "--bootstrap",
        "0",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_code(0);
    for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{name} holds a control character: {text:?}"
        );
        assert!(
            !text.lines().any(|l| l.starts_with("::")),
            "{name} starts a line with a workflow command: {text}"
        );
    }
    assert!(run.stdout.contains("x\\x1b]0;pwned\\x07"), "{}", run.stdout);
    let csv = std::fs::read_to_string(out.path().join("per_class.csv")).unwrap();
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "the formula is text: {csv}"
    );
    assert!(
        !csv.lines().any(|l| l.starts_with('=')),
        "no cell starts with =: {csv}"
    );
}
