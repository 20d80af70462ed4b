//! The streaming Poisson bootstrap end to end: intervals worked out by hand from the
//! generator's weights (computed by `scripts/poisson_weights.py`, independently of the Rust
//! code), clusters sharing their weight, and reports that do not depend on the thread count.

use std::path::Path;

use serde_json::Value;

use crate::harness::{PLAIN_SPEC, score_ok, tempdir, write};

/// Three examples `a`, `b`, `c` (in clusters `g1`, `g1`, `g2`): `a` and `c` answer in strict
/// JSON, `b` does not.
fn three_examples(dir: &Path) {
    write(dir, "eval.toml", PLAIN_SPEC);
    let mut expected = String::new();
    let mut predicted = String::new();
    for (id, game, output) in [
        ("a", "g1", r#"[{\"t\": 1, \"c\": \"A\"}]"#),
        ("b", "g1", "not json"),
        ("c", "g2", r#"[{\"t\": 1, \"c\": \"A\"}]"#),
    ] {
        expected.push_str(&format!(
            "{{\"id\": \"{id}\", \"game\": \"{game}\", \"expected\": [{{\"t\": 1, \"c\": \"A\"}}]}}\n"
        ));
        predicted.push_str(&format!("{{\"id\": \"{id}\", \"output\": \"{output}\"}}\n"));
    }
    write(dir, "expected.jsonl", expected);
    write(dir, "predictions.jsonl", predicted);
}

#[track_caller]
fn assert_close(value: &Value, expected: f64) {
    let got = value
        .as_f64()
        .unwrap_or_else(|| panic!("a number, not {value}"));
    assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
}

#[test]
fn each_replicate_weighs_each_example_by_its_poisson_weight() {
    // `scripts/poisson_weights.py 3 2 a b c`: replicate 0 weighs a, b, c by 2, 0, 3 and
    // replicate 1 by 2, 2, 1. Strict JSON (a and c) is (2 + 3) / 5 = 1 in replicate 0 and
    // (2 + 1) / 5 = 0.6 in replicate 1; the percentiles of the two interpolate between them.
    let data = tempdir();
    three_examples(data.path());
    let out = tempdir();
    let dir = data.path().to_str().unwrap();
    let (_, report) = score_ok(&[dir, "--bootstrap", "2", "--seed", "3"], out.path());
    let strict = &report["intervals"]["summary"]["json_valid_strict"];
    assert_close(&strict["value"], 2.0 / 3.0);
    assert_close(&strict["low"], 0.6 + 0.025 * 0.4);
    assert_close(&strict["high"], 0.6 + 0.975 * 0.4);
    assert_eq!(report["intervals"]["units"], 3);
    assert_eq!(report["intervals"]["replicates"], 2);
}

#[test]
fn a_cluster_s_examples_share_the_weight_of_its_key() {
    // `scripts/poisson_weights.py 3 2 g1 g2`: 1, 2 in replicate 0 and 1, 0 in replicate 1.
    // Strict JSON: (1·1 + 2·1) / (1·2 + 2·1) = 0.75, then 1 / 2 = 0.5.
    let data = tempdir();
    three_examples(data.path());
    let out = tempdir();
    let dir = data.path().to_str().unwrap();
    let args = [
        dir,
        "--bootstrap",
        "2",
        "--seed",
        "3",
        "--cluster-by",
        "game",
    ];
    let (_, report) = score_ok(&args, out.path());
    let strict = &report["intervals"]["summary"]["json_valid_strict"];
    assert_close(&strict["low"], 0.5 + 0.025 * 0.25);
    assert_close(&strict["high"], 0.5 + 0.975 * 0.25);
    assert_eq!(report["intervals"]["units"], 2);
}

#[test]
fn reports_are_the_same_bytes_on_one_thread_and_on_four() {
    for dataset in ["datasets/basketball", "datasets/tickets"] {
        let runs: Vec<Vec<u8>> = ["1", "4"]
            .iter()
            .map(|threads| {
                let out = tempdir();
                score_ok(&[dataset, "--threads", threads], out.path());
                std::fs::read(out.path().join("report.json")).unwrap()
            })
            .collect();
        assert!(runs[0] == runs[1], "{dataset}: report.json differs");
        let report: Value = serde_json::from_slice(&runs[0]).unwrap();
        assert_eq!(report["intervals"]["replicates"], 1000);
    }
}

#[test]
fn three_shards_merged_keep_the_intervals_and_replicates_of_one_run() {
    // Forty examples in four games, three labels met in a different order by each shard.
    let data = tempdir();
    write(data.path(), "eval.toml", PLAIN_SPEC);
    let (mut expected, mut predicted) = (String::new(), String::new());
    for i in 0..40 {
        let label = ["A", "B", "C"][(i * 7 % 5) % 3];
        let said = if i % 4 == 0 { "B" } else { label };
        expected.push_str(&format!(
            "{{\"id\": \"x{i}\", \"game\": \"g{}\", \"expected\": [{{\"t\": 1, \"c\": \"{label}\"}}]}}\n",
            i % 4
        ));
        predicted.push_str(&format!(
            "{{\"id\": \"x{i}\", \"output\": \"[{{\\\"t\\\": 1, \\\"c\\\": \\\"{said}\\\"}}]\"}}\n"
        ));
    }
    write(data.path(), "expected.jsonl", expected);
    write(data.path(), "predictions.jsonl", predicted);
    let dir = data.path().to_str().unwrap();
    for clusters in [&[][..], &["--cluster-by", "game"][..]] {
        let mut args = vec![dir, "--bootstrap", "300", "--seed", "8"];
        args.extend(clusters);
        let one = tempdir();
        score_ok(&args, one.path());
        let parts = tempdir();
        let mut merge = vec!["merge".to_owned()];
        for i in 0..3 {
            let part = parts.path().join(i.to_string());
            let shard = format!("{i}/3");
            let mut full = vec!["score"];
            full.extend(&args);
            full.extend([
                "--shard",
                &shard,
                "--quiet",
                "--out",
                part.to_str().unwrap(),
            ]);
            crate::harness::verdict(&full).assert_code(0);
            merge.push(part.display().to_string());
        }
        let merged = tempdir();
        merge.extend([
            "--quiet".into(),
            "--out".into(),
            merged.path().display().to_string(),
        ]);
        crate::harness::verdict(&merge).assert_code(0);
        for file in ["report.json", "replicates.bin"] {
            let (a, b) = (
                std::fs::read(one.path().join(file)).unwrap(),
                std::fs::read(merged.path().join(file)).unwrap(),
            );
            assert!(a == b, "{file} differs, {clusters:?}");
        }
        let report: Value =
            serde_json::from_slice(&std::fs::read(one.path().join("report.json")).unwrap())
                .unwrap();
        let units = if clusters.is_empty() { 40 } else { 4 };
        assert_eq!(report["intervals"]["units"], units);
        assert!(
            report["intervals"]["summary"]["event_f1"]["low"]
                .as_f64()
                .unwrap()
                < 0.75
        );
    }
}
