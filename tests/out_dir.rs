//! Where reports go: a run never writes over the baseline it reads, and a default
//! `reports/<name>/` never silently replaces the report of other inputs (docs/ci.md).

use std::path::Path;

use crate::harness::{PLAIN_SPEC, Run, tempdir, verdict_in, write};

const EXPECTED: &str = "{\"id\": 1, \"expected\": [{\"t\": 1, \"c\": \"A\"}]}\n";
const PREDICTIONS: &str = "{\"id\": 1, \"output\": \"[{\\\"t\\\": 1, \\\"c\\\": \\\"A\\\"}]\"}\n";

/// A dataset directory `dir` under `root` whose spec is named `name`.
fn dataset(root: &Path, dir: &str, name: &str) {
    let dir = root.join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    write(
        &dir,
        "eval.toml",
        format!("name = \"{name}\"\n{PLAIN_SPEC}"),
    );
    write(&dir, "expected.jsonl", EXPECTED);
    write(&dir, "predictions.jsonl", PREDICTIONS);
}

fn score(root: &Path, args: &[&str]) -> Run {
    let mut full = vec!["score", "--quiet", "--bootstrap", "0"];
    full.extend(args);
    verdict_in(root, &full)
}

fn recorded_spec(report: &Path) -> String {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    json["run"]["spec"].as_str().unwrap().to_owned()
}

#[track_caller]
fn assert_refused(run: &Run, message: &str) {
    run.assert_code(2);
    assert_eq!(run.stderr, format!("verdict: error: {message}\n"));
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn a_run_never_writes_over_the_baseline_it_reads() {
    let root = tempdir();
    let root = root.path();
    dataset(root, "data", "game");
    score(root, &["data"]).assert_code(0);
    let report = root.join("reports/game/report.json");
    let before = std::fs::read(&report).unwrap();
    std::os::unix::fs::symlink(root.join("reports"), root.join("linked")).unwrap();
    // A symlink to the report.json itself, from outside reports/.
    std::os::unix::fs::symlink(&report, root.join("base.json")).unwrap();

    // The default out dir is the baseline directory, named directly, through `./` and `..`,
    // through a symlink, or by its report.json.
    for baseline in [
        "reports/game",
        "./reports/game/",
        "data/../reports/game",
        "linked/game",
        "reports/game/report.json",
        "base.json",
    ] {
        assert_refused(
            &score(root, &["data", "--baseline", baseline]),
            &format!(
                "the default output directory reports/game is where --baseline {baseline} is read from: writing there would replace the report this run is compared with; pass --out with another directory"
            ),
        );
    }
    // An explicit --out gets no exception for the baseline.
    let absolute = root.join("reports/game").display().to_string();
    assert_refused(
        &score(
            root,
            &["data", "--baseline", "reports/game", "--out", &absolute],
        ),
        &format!(
            "--out {absolute} is where --baseline reports/game is read from: writing there would replace the report this run is compared with; pass --out with another directory"
        ),
    );
    // verdict merge, checked before it reads the parts.
    let merged = verdict_in(
        root,
        &[
            "merge",
            "parts/0",
            "--baseline",
            "linked/game/report.json",
            "--out",
            "reports/game",
            "--quiet",
        ],
    );
    assert_refused(
        &merged,
        "--out reports/game is where --baseline linked/game/report.json is read from: writing there would replace the report this run is compared with; pass --out with another directory",
    );
    assert_eq!(
        std::fs::read(&report).unwrap(),
        before,
        "the baseline is untouched"
    );

    // Elsewhere, the same baseline is read and gated on.
    let run = score(
        root,
        &[
            "data",
            "--baseline",
            "reports/game/report.json",
            "--out",
            "reports/next",
        ],
    );
    run.assert_code(0);
    assert!(root.join("reports/next/report.json").exists());
}

#[test]
fn a_default_out_dir_never_replaces_the_report_of_other_inputs() {
    let root = tempdir();
    let root = root.path();
    // Two specs with the same name in different folders share reports/game/.
    dataset(root, "team-a", "game");
    dataset(root, "team-b", "game");
    score(root, &["team-a"]).assert_code(0);
    let report = root.join("reports/game/report.json");
    assert_eq!(recorded_spec(&report), "team-a/eval.toml");

    assert_refused(
        &score(root, &["team-b"]),
        "the default output directory reports/game holds the report of other inputs (spec team-a/eval.toml, expected team-a/expected.jsonl, predictions team-a/predictions.jsonl); this run scores spec team-b/eval.toml, expected team-b/expected.jsonl, predictions team-b/predictions.jsonl: pass --out DIR to keep both, or --out reports/game to replace it",
    );
    // Only the predictions differ: only they are named.
    assert_refused(
        &score(
            root,
            &["team-a", "--predictions", "team-b/predictions.jsonl"],
        ),
        "the default output directory reports/game holds the report of other inputs (predictions team-a/predictions.jsonl); this run scores predictions team-b/predictions.jsonl: pass --out DIR to keep both, or --out reports/game to replace it",
    );
    assert_eq!(recorded_spec(&report), "team-a/eval.toml");

    // The same inputs, however spelled, replace their own report.
    score(root, &["./team-a/"]).assert_code(0);
    score(
        root,
        &[
            "--spec",
            "team-b/../team-a/eval.toml",
            "--expected",
            "team-a/expected.jsonl",
            "--predictions",
            "./team-a/predictions.jsonl",
        ],
    )
    .assert_code(0);

    // An explicit --out may replace it; then the two runs compare.
    score(root, &["team-b", "--out", "reports/game-b"]).assert_code(0);
    verdict_in(
        root,
        &["compare", "reports/game", "reports/game-b", "--quiet"],
    )
    .assert_code(0);
    score(root, &["team-b", "--out", "reports/game"]).assert_code(0);
    assert_eq!(recorded_spec(&report), "team-b/eval.toml");

    // A report.json that does not say what it was scored from is not replaced by default.
    write(
        &root.join("reports/game"),
        "report.json",
        "{\"summary\": {}}\n",
    );
    assert_refused(
        &score(root, &["team-b"]),
        "the default output directory reports/game holds a report.json that does not say which inputs it was scored from (it has no \"run\"): pass --out DIR to keep both, or --out reports/game to replace it",
    );
}

#[test]
fn absolute_inputs_of_the_same_names_in_other_directories_are_told_apart() {
    // report.json names an absolute path by its file name alone, so two models' predictions
    // given by absolute path look alike there; the digest of where the files are does not.
    let root = tempdir();
    let root = root.path();
    dataset(root, "model-a", "game");
    dataset(root, "model-b", "game");
    let absolute = |dir: &str| root.join(dir).display().to_string();
    score(root, &[&absolute("model-a")]).assert_code(0);
    let reports = root.join("reports/game");
    let located = std::fs::read_to_string(reports.join(".verdict-inputs")).unwrap();
    assert_eq!(located.trim().len(), 64, "a SHA-256 in hex: {located}");
    assert!(
        !located.contains(root.to_str().unwrap()),
        "no path: {located}"
    );
    assert_refused(
        &score(root, &[&absolute("model-b")]),
        "the default output directory reports/game holds the report of files with the same names in other directories (spec eval.toml, expected expected.jsonl, predictions predictions.jsonl): pass --out DIR to keep both, or --out reports/game to replace it",
    );
    // The same files, named relatively this time, replace their own report.
    score(root, &["model-a"]).assert_code(0);
    score(root, &[&absolute("model-b"), "--out", "reports/game"]).assert_code(0);
    assert_ne!(
        std::fs::read_to_string(reports.join(".verdict-inputs")).unwrap(),
        located,
        "the record follows the report it sits beside"
    );
}
