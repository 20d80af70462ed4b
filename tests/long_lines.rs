//! Long input: lines longer than `--max-line-bytes` are an input error naming the file and
//! line, found without holding the line, for every command that reads JSONL (and the flag's
//! range); values of a megabyte (an id, a key, a label) are quoted briefly in messages.

use std::io::Write;
use std::path::Path;

use crate::harness::{tempdir, verdict, write};

const SPEC: &str = "[events]\ntime = \"t\"\nlabel = \"c\"\n";
const EXPECTED: &str = "{\"id\": 1, \"expected\": [{\"t\": 1.0, \"c\": \"A\"}]}\n{\"id\": 2, \"expected\": [{\"t\": 2.0, \"c\": \"B\"}]}\n";

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Predictions whose second line never ends within `mib` MiB: gzip members, one after another,
/// each inflating to 1 MiB of zeros (a few hundred bytes each, so 8 MB of file for 8 GiB).
fn endless_second_line(dir: &Path, mib: usize) -> std::path::PathBuf {
    let mut file = gzip(b"{\"id\": 1, \"output\": \"[{\\\"t\\\": 1.0, \\\"c\\\": \\\"A\\\"}]\"}\n{\"id\": 2, \"output\": \"");
    let zeros = gzip(&vec![b'0'; 1 << 20]);
    for _ in 0..mib {
        file.extend_from_slice(&zeros);
    }
    write(dir, "predictions.jsonl.gz", file)
}

fn refused(path: &Path, line: usize, limit: usize) -> String {
    format!(
        "verdict: error: {}:{line}: line is longer than the limit of {limit} bytes (--max-line-bytes), so it was not read: a line must hold one JSON object of at most that size; give a larger --max-line-bytes if lines this long are meant\n",
        path.display()
    )
}

#[test]
fn a_line_of_gibibytes_inflated_from_gzip_is_refused_by_its_number() {
    // 8 MB of gzip inflating to one line of 8 GiB aborted with "memory allocation failed".
    let dir = tempdir();
    write(dir.path(), "eval.toml", SPEC);
    write(dir.path(), "expected.jsonl", EXPECTED);
    let predictions = endless_second_line(dir.path(), 8 << 10);
    let size = std::fs::metadata(&predictions).unwrap().len();
    assert!(size < 12 << 20, "{size} bytes of gzip");
    let out = dir.path().join("out");
    let run = verdict(&[
        "score",
        &dir.path().display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    run.assert_code(2);
    assert_eq!(run.stderr, refused(&predictions, 2, 64 << 20));
    assert!(!out.exists(), "no report is written");
    // A smaller limit is named in the message; validate reads with it too.
    for command in ["score", "validate"] {
        let dir_arg = dir.path().display().to_string();
        let pred_arg = predictions.display().to_string();
        let args: Vec<&str> = match command {
            "score" => vec![command, &dir_arg, "--max-line-bytes", "1024"],
            _ => vec![command, &pred_arg, "--max-line-bytes", "1024"],
        };
        let run = verdict(&[&args[..], &["--out", &out.display().to_string()]].concat());
        run.assert_code(2);
        assert_eq!(run.stderr, refused(&predictions, 2, 1024), "{command}");
    }
}

#[test]
fn the_limit_is_per_line_and_every_reader_of_jsonl_applies_it() {
    let dir = tempdir();
    write(dir.path(), "eval.toml", SPEC);
    // Lines of about 2,000 bytes (a long id), the expected one the longer; the lines before
    // them within any limit.
    let long_id = "x".repeat(1950);
    let long_expected = format!("{{\"id\": \"{long_id}\", \"expected\": [], \"note\": \"\"}}");
    let long_prediction = format!("{{\"id\": \"{long_id}\", \"output\": \"[]\"}}");
    assert!(long_prediction.len() < long_expected.len());
    let expected =
        format!("{{\"id\": 1, \"expected\": [{{\"t\": 1.0, \"c\": \"A\"}}]}}\n\n{long_expected}\n");
    let expected_path = write(dir.path(), "expected.jsonl", &expected);
    let predictions = format!("{{\"id\": 1, \"output\": \"[]\"}}\n{long_prediction}\n");
    write(dir.path(), "predictions.jsonl", &predictions);
    let data = dir.path().display().to_string();
    let out = dir.path().join("out").display().to_string();
    let below = (long_expected.len() - 1).to_string();
    let run = verdict(&["score", &data, "--max-line-bytes", &below, "--out", &out]);
    run.assert_code(2);
    // The predictions, read first, are within the limit; the expected file's third line not.
    assert_eq!(
        run.stderr,
        refused(&expected_path, 3, long_expected.len() - 1)
    );
    // At the line's length exactly it is read, and the run is the one with no flag.
    let exact = long_expected.len().to_string();
    verdict(&[
        "score",
        &data,
        "--max-line-bytes",
        &exact,
        "--out",
        &out,
        "-q",
    ])
    .assert_code(0);
    let report = std::fs::read_to_string(dir.path().join("out/report.json")).unwrap();
    verdict(&["score", &data, "--out", &out, "-q"]).assert_code(0);
    let again = std::fs::read_to_string(dir.path().join("out/report.json")).unwrap();
    assert_eq!(report, again);
    // A run directory read back by compare: its examples.jsonl lines are held to the limit.
    let compared = dir.path().join("compared").display().to_string();
    let run = verdict(&[
        "compare",
        &out,
        &out,
        "--max-line-bytes",
        "1024",
        "--out",
        &compared,
    ]);
    run.assert_code(2);
    let examples = dir.path().join("out/examples.jsonl");
    let first_long = std::fs::read_to_string(&examples)
        .unwrap()
        .lines()
        .position(|l| l.len() > 1024)
        .unwrap();
    assert_eq!(run.stderr, refused(&examples, first_long + 1, 1024));
    verdict(&["compare", &out, &out, "--out", &compared, "-q"]).assert_code(0);
}

#[test]
fn the_limit_is_range_checked_for_every_command() {
    for command in ["score", "validate", "compare", "merge"] {
        for value in ["1023", "0", "4294967296", "64MiB"] {
            let run = verdict(
                &[command, "--max-line-bytes", value, "a", "b"]
                    [..4 + usize::from(command == "compare")],
            );
            run.assert_code(2);
            let want = match value {
                "64MiB" => "invalid digit found in string".to_owned(),
                _ => format!("{value} is not in 1024..=4294967295"),
            };
            assert!(
                run.stderr.contains(&format!(
                    "invalid value '{value}' for '--max-line-bytes <BYTES>': {want}"
                )),
                "{command} {value}: {}",
                run.stderr
            );
        }
    }
}

/// Scores `expected` and `predictions` with `spec` (and `args`); the one error line, which must
/// be short however long the values it quotes.
fn short_error(spec: &str, expected: &str, predictions: &str, args: &[&str]) -> String {
    let dir = tempdir();
    write(dir.path(), "eval.toml", spec);
    write(dir.path(), "expected.jsonl", expected);
    write(dir.path(), "predictions.jsonl", predictions);
    let data = dir.path().display().to_string();
    let out = dir.path().join("out").display().to_string();
    let run = verdict(&[&["score", data.as_str(), "--out", &out][..], args].concat());
    run.assert_code(2);
    let message = run.stderr.replace(&data, "DIR");
    assert!(
        message.len() < 1000,
        "{} bytes: {message:.2000}",
        message.len()
    );
    assert_eq!(message.lines().count(), 1, "{message:.2000}");
    message
}

#[test]
fn a_megabyte_of_id_key_or_label_is_quoted_briefly() {
    let mega = "x".repeat(1 << 20);
    let head = "x".repeat(64);
    let line = |id: &str| format!("{{\"id\": \"{id}\", \"output\": \"[]\"}}\n");
    let expected = format!("{{\"id\": \"{mega}\", \"expected\": []}}\n");
    // A join key, twice.
    let message = short_error(SPEC, &expected, &(line(&mega) + &line(&mega)), &[]);
    assert_eq!(
        message,
        format!(
            "verdict: error: DIR/predictions.jsonl:2: duplicate key \"{head}\"… (1048576 bytes) (first seen at DIR/predictions.jsonl:1)\n"
        )
    );
    // A key of a line, twice in one object, then in a shape no reader knows.
    let twice = format!("{{\"id\": 1, \"{mega}\": 1, \"{mega}\": 2}}\n");
    let message = short_error(SPEC, EXPECTED, &twice, &[]);
    assert!(
        message.starts_with(&format!(
            "verdict: error: DIR/predictions.jsonl:1: duplicate key \"{head}\"… (1048576 bytes) at line 1 column "
        )),
        "{message}"
    );
    let unknown = format!("{{\"{mega}\": 1, \"b\": 2}}\n");
    let message = short_error(SPEC, EXPECTED, &unknown, &[]);
    assert!(
        message.ends_with(&format!(
            "; found keys \"b\", \"{head}… (1048576 bytes)\"\n"
        )),
        "{message}"
    );
    // Ten thousand keys: the first twenty (in the order of their names) are listed.
    let wide: Vec<String> = (0..10_000).map(|i| format!("\"k{i}\": {i}")).collect();
    let message = short_error(SPEC, EXPECTED, &format!("{{{}}}\n", wide.join(", ")), &[]);
    assert!(
        message.ends_with("; found keys \"k0\", \"k1\", \"k10\", \"k100\", \"k1000\", \"k1001\", \"k1002\", \"k1003\", \"k1004\", \"k1005\", \"k1006\", \"k1007\", \"k1008\", \"k1009\", \"k101\", \"k1010\", \"k1011\", \"k1012\", \"k1013\", \"k1014\", … (9980 more)\n"),
        "{message}"
    );
    // An expected label outside the declared ones: by then it is cut to 256 bytes and the
    // digest of the whole (docs/metrics.md, "Long labels"), 300 bytes in all.
    let labelled = format!(
        "{{\"id\": 1, \"expected\": [{{\"t\": 1.0, \"c\": \"{mega}\"}}]}}\n{{\"id\": 2, \"expected\": []}}\n"
    );
    let spec = format!("labels = [\"A\", \"B\"]\n{SPEC}");
    let message = short_error(&spec, &labelled, &(line("1") + &line("2")), &[]);
    assert_eq!(
        message,
        format!(
            "verdict: error: DIR/expected.jsonl:1: expected label `{head}… (300 bytes)` is not in the spec's `labels` [A, B]: declare it in `labels`, or correct the expected output\n"
        )
    );
    // A cluster rule that does not match an id.
    let message = short_error(
        SPEC,
        &expected,
        &line(&mega),
        &["--cluster-by", "id~^game-(\\d+)"],
    );
    assert_eq!(
        message,
        format!(
            "verdict: error: DIR/expected.jsonl:1: --cluster-by id~^game-(\\d+): \"{head}\"… (1048576 bytes) does not match ^game-(\\d+)\n"
        )
    );
}
