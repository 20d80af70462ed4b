//! Labels are whatever the data holds: nothing of theirs reaches a terminal, a CI log, a pull
//! request's Markdown or a spreadsheet as a command (issue 25, item 4).

use crate::harness::{tempdir, verdict, write};

#[test]
fn labels_cannot_drive_the_terminal_the_ci_log_markdown_or_a_spreadsheet() {
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
    // line of its own, one is a spreadsheet formula, one is HTML that would fetch an image.
    let evil = "x\u{1b}]0;pwned\u{7}\r\n::error::pwned";
    let output = serde_json::json!([
        {"t": 1, "c": evil},
        {"t": 5, "c": "=HYPERLINK(\"http://x\")"},
        {"t": 9, "c": "<img src=x onerror=alert(1)>"}
    ]);
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
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("&lt;img src=x onerror=alert(1)&gt;"), "{md}");
    assert!(!md.contains("<img"), "{md}");
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
