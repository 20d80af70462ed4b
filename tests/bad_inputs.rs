//! The bad-input catalogue: one dataset under `tests/fixtures/bad/<case>/` per hostile input,
//! scored end to end, with the exact message and exit code `docs/errors.md` lists for it.
//!
//! A case that is an input error must print exactly one line, exit 2 and leave a previous
//! report in the out dir byte for byte, with no temporary file beside it. A case that is data
//! (garbage in a model's output) must be scored, and its validity line is checked instead.

use std::path::Path;

use crate::harness::{tempdir, verdict, write};

/// `{dir}` stands for the case's directory, `tests/fixtures/bad/<case>`.
const CASES: &[(&str, i32, &str)] = &[
    (
        "truncated-expected",
        2,
        "{dir}/expected.jsonl:2: not valid JSON (EOF while parsing a value at line 1 column 33): each line must hold one JSON object",
    ),
    (
        "truncated-predictions",
        2,
        "{dir}/predictions.jsonl:2: not valid JSON (EOF while parsing a string at line 1 column 32): each line must hold one JSON object",
    ),
    (
        "truncated-gzip",
        2,
        "{dir}/predictions.jsonl.gz: cannot read: incomplete deflate stream",
    ),
    (
        "mixed-shapes-expected",
        2,
        "cannot join predictions to expected examples: the predictions carry ids (id/key/custom_id) but {dir}/expected.jsonl:2 has none. To get a batch output that joins, send the requests `verdict requests EXPECTED --provider P --out FILE` writes: each carries a key its answer brings back (docs/requests.md); or give every line on both sides an \"id\" (custom_id for OpenAI batch requests, key for Gemini batch requests); or join by line order with --join line",
    ),
    (
        "mixed-shapes-predictions",
        0,
        "validity               strict 2 · extracted 0 · repaired 0 · invalid 0 · missing 0 · failed 0",
    ),
    (
        "duplicate-join-key",
        2,
        "{dir}/predictions.jsonl:3: duplicate key \"2\" (first seen at {dir}/predictions.jsonl:2)",
    ),
    (
        "duplicate-object-key",
        2,
        "{dir}/expected.jsonl:2: duplicate key \"t\" at line 1 column 47: an object names the same key twice, so which value is meant is unclear",
    ),
    (
        "duplicate-object-key-in-line",
        2,
        "{dir}/predictions.jsonl:1: duplicate key \"id\" at line 1 column 30: an object names the same key twice, so which value is meant is unclear",
    ),
    (
        "huge-number-expected",
        2,
        "{dir}/expected.jsonl:1: not valid JSON (number out of range at line 1 column 34): each line must hold one JSON object; a JSON number must fit a 64-bit float (at most about 1.8e308)",
    ),
    (
        "huge-number-prediction",
        2,
        "{dir}/predictions.jsonl:1: not valid JSON (number out of range at line 1 column 32): each line must hold one JSON object; a JSON number must fit a 64-bit float (at most about 1.8e308)",
    ),
    (
        "nan-expected",
        2,
        "{dir}/expected.jsonl:1: not valid JSON (expected value at line 1 column 30): each line must hold one JSON object; NaN and Infinity are not JSON numbers (write null, or leave the field out)",
    ),
    (
        "nan-prediction",
        2,
        "{dir}/predictions.jsonl:1: not valid JSON (expected value at line 1 column 28): each line must hold one JSON object; NaN and Infinity are not JSON numbers (write null, or leave the field out)",
    ),
    (
        "huge-number-and-nan-in-output",
        0,
        "validity               strict 0 · extracted 0 · repaired 0 · invalid 2 · missing 0 · failed 0",
    ),
    (
        "deeply-nested-output",
        0,
        "validity               strict 0 · extracted 0 · repaired 0 · invalid 2 · missing 0 · failed 0",
    ),
    (
        "deeply-nested-line",
        2,
        "{dir}/predictions.jsonl:1: not valid JSON (recursion limit exceeded at line 1 column 147): each line must hold one JSON object",
    ),
    (
        "non-utf8-expected",
        2,
        "{dir}/expected.jsonl:2: not valid UTF-8 (invalid byte at column 44): input files must be UTF-8 encoded",
    ),
    (
        "non-utf8-predictions",
        2,
        "{dir}/predictions.jsonl:2: not valid UTF-8 (invalid byte at column 22): input files must be UTF-8 encoded",
    ),
    (
        "utf16-expected",
        2,
        "{dir}/expected.jsonl:1: not valid UTF-8: the file starts with a UTF-16 byte-order mark; input files must be UTF-8 encoded (save it as UTF-8)",
    ),
    (
        "json-array-expected",
        2,
        "{dir}/expected.jsonl:1: not valid JSON (EOF while parsing a list at line 1 column 1): each line must hold one JSON object; the file looks like a JSON array, not JSON Lines: verdict expects one JSON object per line, e.g. jq -c '.[]' {dir}/expected.jsonl > {dir}/expected.lines.jsonl",
    ),
    (
        "json-array-on-one-line-predictions",
        2,
        "{dir}/predictions.jsonl:1: expected a JSON object (a Vertex AI batch output line {\"request\", \"response\"}, an OpenAI Batch output line {\"custom_id\", \"response\"}, an Anthropic Message Batches result line {\"custom_id\", \"result\"}, an AWS Bedrock batch inference output line {\"recordId\", \"modelInput\", \"modelOutput\"} or {\"id\": ..., \"output\": ...}), found an array; the file looks like a JSON array, not JSON Lines: verdict expects one JSON object per line, e.g. jq -c '.[]' {dir}/predictions.jsonl > {dir}/predictions.lines.jsonl",
    ),
    (
        "anthropic-result-unknown-type",
        2,
        "{dir}/predictions.jsonl:2: \"result.type\" is \"processing\": expected \"succeeded\", \"errored\", \"canceled\" or \"expired\" (an Anthropic Message Batches result line)",
    ),
    (
        "anthropic-succeeded-without-message",
        2,
        "{dir}/predictions.jsonl:1: a \"succeeded\" result must hold its \"message\" object, found none",
    ),
    (
        "bedrock-unknown-model-output",
        2,
        "{dir}/predictions.jsonl:1: \"modelOutput\" is not a response body verdict reads: expected an Anthropic Claude message (\"content\"), an Amazon Nova or Converse response (\"output\": {\"message\"}), a Titan (\"results\"), Meta Llama (\"generation\") or Mistral (\"outputs\" or \"choices\") body; found keys \"embeddings\", \"id\", \"response_type\", \"texts\"",
    ),
    (
        "pretty-printed-predictions",
        2,
        "{dir}/predictions.jsonl:1: not valid JSON (EOF while parsing an object at line 1 column 1): each line must hold one JSON object; the file looks like pretty-printed JSON (an object spread over several lines), not JSON Lines: verdict expects each object on one line, e.g. jq -c . {dir}/predictions.jsonl > {dir}/predictions.lines.jsonl",
    ),
    (
        "csv-expected",
        2,
        "{dir}/expected.jsonl:1: not valid JSON (expected value at line 1 column 1): each line must hold one JSON object; the file looks like CSV (its first line is comma-separated), not JSON Lines: verdict expects one JSON object per line, in one of the shapes of docs/input-formats.md",
    ),
    (
        "utf16-without-bom-predictions",
        2,
        "{dir}/predictions.jsonl:1: not valid JSON (key must be a string at line 1 column 2): each line must hold one JSON object; the file looks like UTF-16 without a byte-order mark (it holds NUL bytes): input files must be UTF-8 encoded (save it as UTF-8, e.g. iconv -f UTF-16LE -t UTF-8 {dir}/predictions.jsonl > {dir}/predictions.lines.jsonl)",
    ),
    (
        "empty-predictions",
        2,
        "{dir}/predictions.jsonl: no predictions: the prediction files are empty (expected one JSON object per line)",
    ),
    (
        "spec-is-json",
        2,
        "{dir}/eval.toml:1: invalid key-value pair, expected key; the spec looks like JSON, but eval.toml is TOML (key = value lines and [tables], docs/spec.md)",
    ),
    (
        "directory-as-expected",
        2,
        "{dir}/expected.jsonl: is a directory, expected a JSONL file",
    ),
    (
        "empty-predictions-directory",
        2,
        "{dir}/predictions: directory holds no .jsonl, .jsonl.gz or .jsonl.out file",
    ),
    (
        "empty-expected",
        2,
        "{dir}/expected.jsonl: no examples: the file is empty (expected one JSON object per line)",
    ),
    (
        "unwritable-out",
        2,
        "{dir}/not-a-directory/out: cannot create output directory: Not a directory (os error 20)",
    ),
    (
        "spec-missing",
        2,
        "{dir}/eval.toml: cannot read spec: No such file or directory (os error 2)",
    ),
    (
        "spec-not-toml",
        2,
        "{dir}/eval.toml:1: unclosed table, expected `]`",
    ),
    (
        "expected-label-outside-labels",
        2,
        "{dir}/expected.jsonl:2: expected label `DUNK` is not in the spec's `labels` [FG_MAKE, FG_MISS]: declare it in `labels`, or correct the expected output",
    ),
    (
        "spec-name-outside-reports",
        2,
        "{dir}/eval.toml: name \"../../etc\" must be a plain name, without /, \\, :, control characters, or . and .. on their own: it names the report directory reports/<name>/",
    ),
    (
        "schema-missing",
        2,
        "{dir}/missing.schema.json: cannot read schema: No such file or directory (os error 2)",
    ),
    (
        "schema-not-json",
        2,
        "{dir}/events.schema.json: not valid JSON (EOF while parsing a value at line 2 column 0)",
    ),
    (
        "schema-does-not-compile",
        2,
        "{dir}/events.schema.json: not a usable JSON Schema: at /items/type: 12 is not valid under any of the schemas listed in the 'anyOf' keyword",
    ),
    (
        "schema-remote-ref",
        2,
        "{dir}/events.schema.json: not a usable JSON Schema: $ref \"https://example.com/event.schema.json\" points outside the schema file, and verdict never fetches a reference from the network or the file system: copy what it names into this file (under \"$defs\") and refer to it as \"#/$defs/NAME\"",
    ),
    (
        "schema-file-ref",
        2,
        "{dir}/events.schema.json: not a usable JSON Schema: $ref \"event.schema.json\" points outside the schema file, and verdict never fetches a reference from the network or the file system: copy what it names into this file (under \"$defs\") and refer to it as \"#/$defs/NAME\"",
    ),
    (
        "tool-call-arguments-not-json",
        2,
        "{dir}/expected.jsonl:2: the text of the arguments of tool call 1 in the last assistant message of an OpenAI chat line is not valid JSON (key must be a string at line 1 column 2): the expected output must be strict JSON",
    ),
    (
        "tool-call-arguments-not-text",
        2,
        "{dir}/expected.jsonl:2: the arguments of tool call 1 in the last assistant message of an OpenAI chat line must be JSON text (a string), found an object",
    ),
];

#[test]
fn every_bad_input_has_its_exact_message_and_exit_code() {
    let listed: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    let mut on_disk: Vec<String> =
        std::fs::read_dir(crate::harness::root().join("tests/fixtures/bad"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    on_disk.sort();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, on_disk, "one table row per fixture directory");

    let mut failures = Vec::new();
    for &(case, code, message) in CASES {
        let dir = format!("tests/fixtures/bad/{case}");
        let want = message.replace("{dir}", &dir);
        let previous = tempdir();
        write(previous.path(), "report.json", "previous report\n");
        let out = if case == "unwritable-out" {
            format!("{dir}/not-a-directory/out")
        } else {
            previous.path().display().to_string()
        };
        let run = verdict(&["score", &dir, "--out", &out]);
        let ok = if code == 0 {
            run.code == 0 && run.stdout.contains(&want) && report_was_replaced(previous.path())
        } else {
            run.code == code
                && run.stderr == format!("verdict: error: {want}\n")
                && run.stdout.is_empty()
                && report_is_untouched(previous.path())
        };
        if !ok {
            failures.push(format!(
                "{case}: exit {} (want {code})\nwant: {want}\nstdout: {}\nstderr: {}",
                run.code, run.stdout, run.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn report_is_untouched(out: &Path) -> bool {
    std::fs::read_to_string(out.join("report.json")).unwrap() == "previous report\n"
        && std::fs::read_dir(out).unwrap().count() == 1
}

fn report_was_replaced(out: &Path) -> bool {
    let report = std::fs::read_to_string(out.join("report.json")).unwrap();
    let leftovers = std::fs::read_dir(out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".tmp")
        })
        .count();
    report.starts_with('{') && leftovers == 0
}
