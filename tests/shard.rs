//! `verdict score --shard I/N` and `verdict merge`: N shards merged write the same bytes as one
//! run, and parts that do not belong together are refused.

use std::path::Path;

use crate::harness::{tempdir, verdict, write};

const REPORT_FILES: [&str; 6] = [
    "report.json",
    "examples.jsonl",
    "report.md",
    "report.html",
    "junit.xml",
    "per_class.csv",
];

fn single_run(args: &[&str], out: &Path) {
    let mut full = vec!["score"];
    full.extend(args);
    full.extend(["--quiet", "--out", out.to_str().unwrap()]);
    verdict(&full).assert_code(0);
}

/// Scores `args` as `count` shards in `parts/i` and merges them, listing the parts in reverse
/// to show their order on the command line does not matter.
fn sharded_run(args: &[&str], count: usize, parts: &Path, out: &Path) {
    sharded_run_with(args, count, parts, out, &[], 0);
}

fn sharded_run_with(
    args: &[&str],
    count: usize,
    parts: &Path,
    out: &Path,
    merge_args: &[&str],
    code: i32,
) {
    for i in 0..count {
        let shard = format!("{i}/{count}");
        let dir = parts.join(i.to_string());
        let mut full = vec!["score"];
        full.extend(args);
        full.extend(["--shard", &shard, "--quiet", "--out", dir.to_str().unwrap()]);
        verdict(&full).assert_code(0);
    }
    let mut merge = vec!["merge".to_owned()];
    merge.extend(
        (0..count)
            .rev()
            .map(|i| parts.join(i.to_string()).display().to_string()),
    );
    merge.extend(merge_args.iter().map(|a| a.to_string()));
    merge.extend(["--quiet".into(), "--out".into(), out.display().to_string()]);
    verdict(&merge).assert_code(code);
}

#[track_caller]
fn assert_same_files(a: &Path, b: &Path) {
    for name in REPORT_FILES {
        let (x, y) = (
            std::fs::read(a.join(name)).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
        );
        assert!(
            x == y,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn shards_merged_write_the_same_reports_as_one_run() {
    // The basketball sample has orphans, failed requests, schema errors and intervals; the
    // tickets sample has paths, lists and a single label.
    for (dataset, counts) in [
        ("datasets/basketball", &[1, 2, 3, 7][..]),
        ("datasets/tickets", &[2, 5][..]),
    ] {
        let one = tempdir();
        single_run(&[dataset], one.path());
        for &count in counts {
            let (parts, merged) = (tempdir(), tempdir());
            sharded_run(&[dataset], count, parts.path(), merged.path());
            assert_same_files(one.path(), merged.path());
        }
    }
}

#[test]
fn without_intervals_a_single_run_orders_its_examples_as_a_merge_does() {
    // A single run orders examples.jsonl from what it kept while scoring, and without
    // intervals reads no record back at all; a merge takes the order from the records.
    for dataset in ["datasets/basketball", "datasets/tickets"] {
        let args = [dataset, "--bootstrap", "0"];
        let one = tempdir();
        single_run(&args, one.path());
        let (parts, merged) = (tempdir(), tempdir());
        sharded_run(&args, 3, parts.path(), merged.path());
        assert_same_files(one.path(), merged.path());
    }
}

#[test]
fn shards_merge_exactly_with_clusters_and_a_clock_offset() {
    // Every prediction 1.2 s late: the timing-bias re-match runs on the merged records.
    let data = tempdir();
    write(data.path(), "eval.toml", crate::harness::PLAIN_SPEC);
    let (mut expected, mut predicted) = (String::new(), String::new());
    for i in 0..40 {
        let t = 10.0 + f64::from(i);
        let label = ["A", "B", "C"][i as usize % 3];
        expected.push_str(&format!(
            "{{\"id\": {i}, \"game\": \"g{}\", \"expected\": [{{\"t\": {t}, \"c\": \"{label}\"}}]}}\n",
            i % 4
        ));
        let late = if i % 5 == 0 { t } else { t + 1.2 };
        predicted.push_str(&format!(
            "{{\"id\": {i}, \"output\": \"[{{\\\"t\\\": {late}, \\\"c\\\": \\\"{label}\\\"}}]\"}}\n"
        ));
    }
    write(data.path(), "expected.jsonl", expected);
    write(data.path(), "predictions.jsonl", predicted);
    let dir = data.path().to_str().unwrap();
    let args = [
        dir,
        "--cluster-by",
        "game",
        "--bootstrap",
        "200",
        "--seed",
        "3",
    ];
    let one = tempdir();
    single_run(&args, one.path());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(one.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["timing_bias"]["median_offset"], 1.2);
    assert_eq!(report["timing_bias"]["f1_after_removing"], 32.0 / 40.0);
    let (parts, merged) = (tempdir(), tempdir());
    sharded_run(&args, 3, parts.path(), merged.path());
    assert_same_files(one.path(), merged.path());
}

/// SHA-256 of `bytes` in hex, as `sha256sum` prints it.
fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// The text of an edited `partial.json` signed again as a shard signs it (the digest of the
/// text with `sha256` empty, put in that field): what someone changing a part on purpose
/// would write, which the merge's other checks must still catch.
fn resign(json: &mut serde_json::Value) -> String {
    json["sha256"] = "".into();
    let unsigned = format!("{json}\n");
    let digest = sha256(unsigned.as_bytes());
    unsigned.replacen("\"sha256\":\"\"", &format!("\"sha256\":\"{digest}\""), 1)
}

/// Scores shard `shard` ("I/N") of `dataset` into `dir`, returned as a string for `merge`.
fn score_shard(dataset: &str, shard: &str, dir: &Path) -> String {
    let args = ["score", dataset, "--shard", shard, "--quiet", "--out"];
    let mut args = args.to_vec();
    args.push(dir.to_str().unwrap());
    verdict(&args).assert_code(0);
    dir.display().to_string()
}

#[test]
fn merge_refuses_parts_that_do_not_make_one_run() {
    let parts = tempdir();
    let part = |name: &str, shard: &str, dataset: &str| {
        score_shard(dataset, shard, &parts.path().join(name))
    };
    let a0 = part("a0", "0/2", "datasets/basketball");
    let a1 = part("a1", "1/2", "datasets/basketball");
    let t1 = part("t1", "1/2", "datasets/tickets");
    let out = tempdir();
    let out = out.path().to_str().unwrap();
    let merge = |parts: &[&str]| {
        let mut args = vec!["merge"];
        args.extend(parts);
        args.extend(["--out", out]);
        let run = verdict(&args);
        run.assert_code(2);
        run.stderr
    };
    let missing = merge(&[&a0]);
    assert!(
        missing.contains("merge needs all 2 shards, got 1"),
        "{missing}"
    );
    let twice = merge(&[&a0, &a0]);
    assert!(twice.contains("are both shard 0/2"), "{twice}");
    let foreign = merge(&[&a0, &t1]);
    assert!(
        foreign.contains("are not shards of the same run"),
        "{foreign}"
    );
    // A part of an older format, whose header has fewer fields, is named as such.
    let partial = std::path::Path::new(&a1).join("partial.json");
    let text = std::fs::read_to_string(&partial).unwrap();
    let mut old: serde_json::Value = serde_json::from_str(&text).unwrap();
    old["format"] = 1.into();
    old["settings"].as_object_mut().unwrap().remove("inputs");
    std::fs::write(&partial, old.to_string()).unwrap();
    let older = merge(&[&a0, &a1]);
    assert!(
        older.contains("partial state format 1 (this verdict reads 8)"),
        "{older}"
    );
    std::fs::write(&partial, &text).unwrap();
    // Damaged records are named as damage, never misread, even when the part's checksum was
    // written again to match them. Shard 1/2 starts at example 1.
    let records = Path::new(&a1).join("records.bin");
    let bytes = std::fs::read(&records).unwrap();
    let damaged = |contents: &[u8]| {
        std::fs::write(&records, contents).unwrap();
        let mut resigned: serde_json::Value = serde_json::from_str(&text).unwrap();
        resigned["files"]["records"] = serde_json::json!({
            "size": contents.len(),
            "sha256": sha256(contents),
        });
        std::fs::write(&partial, resign(&mut resigned)).unwrap();
        merge(&[&a0, &a1])
    };
    let empty = damaged(b"");
    assert!(
        empty.contains("records.bin: ends before example 1: the part is incomplete"),
        "{empty}"
    );
    let cut = damaged(&bytes[..bytes.len() - 3]);
    assert!(
        cut.contains("records.bin: a record cut short at example"),
        "{cut}"
    );
    let header_cut = damaged(&bytes[..2]);
    assert!(
        header_cut.contains("records.bin: a record cut short at example 1: the part is damaged"),
        "{header_cut}"
    );
    let mut huge = bytes.clone();
    huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    let huge = damaged(&huge);
    assert!(
        huge.contains("a record of 4294967295 bytes at example 1: the part is damaged"),
        "{huge}"
    );
    let mut garbled = bytes.clone();
    let first = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
    garbled[4..4 + first].fill(0xFF);
    let garbled = damaged(&garbled);
    assert!(garbled.contains("a record does not parse"), "{garbled}");
    // A frame whose length claims a byte more than its record holds.
    let mut padded = ((first + 1) as u32).to_le_bytes().to_vec();
    padded.extend_from_slice(&bytes[4..4 + first]);
    padded.push(0);
    padded.extend_from_slice(&bytes[4 + first..]);
    let padded = damaged(&padded);
    assert!(padded.contains("a record does not parse"), "{padded}");
    std::fs::write(&records, &bytes).unwrap();
    std::fs::write(&partial, &text).unwrap();
    let not_a_part = merge(&[&a0, out]);
    assert!(
        not_a_part.contains("partial.json: cannot read"),
        "{not_a_part}"
    );
    verdict(&["merge", &a0, &a1, "--quiet", "--out", out]).assert_code(0);
}

#[test]
fn merge_refuses_shards_of_files_changed_between_them() {
    // Shards are often separate jobs; data regenerated or a schema edited between them would
    // otherwise merge into the report of no run.
    let data = tempdir();
    let schema = data.path().join("events.schema.json");
    std::fs::copy("schemas/basketball-events.schema.json", &schema).unwrap();
    let spec = std::fs::read_to_string("datasets/basketball/eval.toml").unwrap();
    let spec = spec.replace(
        "../../schemas/basketball-events.schema.json",
        "events.schema.json",
    );
    write(data.path(), "eval.toml", spec);
    for name in ["expected.jsonl", "predictions.jsonl"] {
        std::fs::copy(
            format!("datasets/basketball/{name}"),
            data.path().join(name),
        )
        .unwrap();
    }
    let parts = tempdir();
    let dataset = data.path().to_str().unwrap();
    let part = |name: &str, shard: &str| score_shard(dataset, shard, &parts.path().join(name));
    let out = tempdir();
    let out = out.path().to_str().unwrap();
    let merge = |a: &str, b: &str| verdict(&["merge", a, b, "--quiet", "--out", out]);
    let a0 = part("a0", "0/2");
    let a1 = part("a1", "1/2");
    // Scoring a shard again into its directory replaces its partial state.
    let partial = Path::new(&a1).join("partial.json");
    std::fs::write(&partial, "stale\n").unwrap();
    part("a1", "1/2");
    assert_ne!(std::fs::read_to_string(&partial).unwrap(), "stale\n");
    merge(&a0, &a1).assert_code(0);
    let refused = |part: &str, message: &str| {
        let run = merge(&a0, part);
        run.assert_code(2);
        assert!(run.stderr.contains(message), "{}", run.stderr);
    };

    let predictions = data.path().join("predictions.jsonl");
    let text = std::fs::read_to_string(&predictions).unwrap();
    // The same examples and outputs, one byte longer.
    write(
        data.path(),
        "predictions.jsonl",
        text.replacen("\n", " \n", 1),
    );
    refused(
        &part("b1", "1/2"),
        "their input files (their paths, sizes or contents) differ",
    );
    // The same size, one output changed: told apart by the digest.
    let edited = text.replacen("FG_MAKE", "FG_MISS", 1);
    assert_ne!(edited, text, "the fixture has an FG_MAKE to edit");
    assert_eq!(edited.len(), text.len());
    write(data.path(), "predictions.jsonl", edited);
    refused(
        &part("b1", "1/2"),
        "their input files (their paths, sizes or contents) differ",
    );
    write(data.path(), "predictions.jsonl", text);

    let schema_text = std::fs::read_to_string(&schema).unwrap();
    std::fs::write(
        &schema,
        schema_text.replacen('{', "{\"title\": \"edited\", ", 1),
    )
    .unwrap();
    refused(
        &part("c1", "1/2"),
        "their specs (the spec file, its text or its schema's text) differ",
    );
}

#[test]
fn shard_flags_are_checked() {
    for (shard, message) in [
        ("2/2", "expected 0 <= I < N"),
        ("1", "expected I/N"),
        ("a/3", "I must be a whole number"),
    ] {
        let run = verdict(&[
            "score",
            "datasets/basketball",
            "--shard",
            shard,
            "--out",
            "x",
        ]);
        run.assert_code(2);
        assert!(run.stderr.contains(message), "{shard}: {}", run.stderr);
    }
    let run = verdict(&["score", "datasets/basketball", "--shard", "0/2"]);
    run.assert_code(2);
    assert!(run.stderr.contains("needs --out DIR"), "{}", run.stderr);
    let run = verdict(&[
        "score",
        "datasets/basketball",
        "--shard",
        "0/2",
        "--gate",
        "event_f1>=0.5",
        "--out",
        "x",
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("pass them to verdict merge"),
        "{}",
        run.stderr
    );
}

#[test]
fn gates_and_a_baseline_given_to_merge_judge_the_whole_run() {
    let earlier = tempdir();
    single_run(&["datasets/basketball"], earlier.path());
    let baseline = earlier.path().join("report.json");
    let whole_run = [
        "--gate",
        "event_f1>=0.99",
        "--baseline",
        baseline.to_str().unwrap(),
        "--max-drop",
        "0.02",
    ];
    let one = tempdir();
    let mut args = vec!["score", "datasets/basketball", "--quiet", "--out"];
    args.push(one.path().to_str().unwrap());
    args.extend(whole_run);
    verdict(&args).assert_code(1);
    let (parts, merged) = (tempdir(), tempdir());
    sharded_run_with(
        &["datasets/basketball"],
        2,
        parts.path(),
        merged.path(),
        &whole_run,
        1,
    );
    assert_same_files(one.path(), merged.path());
}

#[test]
fn a_merge_keeps_the_examples_a_single_run_keeps() {
    for flags in [&["--examples", "errors"][..], &["--examples-gzip"][..]] {
        let args: Vec<&str> = ["datasets/basketball"]
            .into_iter()
            .chain(flags.iter().copied())
            .collect();
        let one = tempdir();
        single_run(&args, one.path());
        let (parts, merged) = (tempdir(), tempdir());
        sharded_run_with(
            &["datasets/basketball"],
            3,
            parts.path(),
            merged.path(),
            flags,
            0,
        );
        for name in [
            "report.json",
            "examples.jsonl",
            "examples.jsonl.gz",
            "report.md",
        ] {
            assert_eq!(
                std::fs::read(one.path().join(name)).ok(),
                std::fs::read(merged.path().join(name)).ok(),
                "{name} with {flags:?}"
            );
        }
    }
    // A shard keeps every line: what to keep is the merge's to say.
    let out = tempdir();
    let run = verdict(&[
        "score",
        "datasets/basketball",
        "--shard",
        "0/2",
        "--examples",
        "errors",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        "verdict: error: --examples and --examples-gzip apply to the whole run: pass them to verdict merge instead of to each shard (a shard keeps every example's line for the merge)\n"
    );
}

/// Scores the tickets sample in `count` shards, edits shard `edited`'s partial.json with
/// `edit` (signing it again when `signed`), and merges them: the run and the edited file's
/// path.
fn merge_with_edited_part(
    count: usize,
    edited: usize,
    signed: bool,
    edit: impl FnOnce(&mut serde_json::Value),
) -> (crate::harness::Run, std::path::PathBuf) {
    let parts = tempdir();
    let dirs: Vec<String> = (0..count)
        .map(|i| {
            score_shard(
                "datasets/tickets",
                &format!("{i}/{count}"),
                &parts.path().join(i.to_string()),
            )
        })
        .collect();
    let partial = parts.path().join(format!("{edited}/partial.json"));
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&partial).unwrap()).unwrap();
    edit(&mut json);
    let text = if signed {
        resign(&mut json)
    } else {
        json.to_string()
    };
    std::fs::write(&partial, text).unwrap();
    let out = tempdir();
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(String::as_str));
    args.extend(["--out", out.path().to_str().unwrap()]);
    // The parts are removed on return: the path is for matching the messages only.
    (verdict(&args), partial)
}

#[test]
fn a_part_whose_shard_number_was_edited_is_refused_not_a_panic() {
    let (run, partial) = merge_with_edited_part(3, 0, true, |json| {
        json["shard"]["index"] = serde_json::json!(5);
    });
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "verdict: error: {}: shard 5/3 is not a shard number (expected 0 <= I < 3): the part is damaged; score the shard again\n",
            partial.display()
        )
    );
}

#[test]
fn a_part_whose_sums_were_edited_is_refused() {
    // One more strict output than the shard has examples: a better-looking, impossible part.
    let (run, partial) = merge_with_edited_part(2, 1, true, |json| {
        let strict = json["sums"]["validity"]["strict"].as_u64().unwrap();
        json["sums"]["validity"]["strict"] = serde_json::json!(strict + 1);
    });
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "verdict: error: {}: its sums do not add up (shard 1/2 of 240 examples owns 120; the part counts 120 examples, 121 by validity tier, 0 missing): the part is damaged; score the shard again\n",
            partial.display()
        )
    );
}

#[test]
fn merge_refuses_a_part_whose_files_changed_after_it_was_written() {
    let parts = tempdir();
    let a0 = score_shard("datasets/basketball", "0/2", &parts.path().join("a0"));
    let a1 = score_shard("datasets/basketball", "1/2", &parts.path().join("a1"));
    let out = tempdir();
    let out = out.path().to_str().unwrap();
    let merge = || verdict(&["merge", &a0, &a1, "--quiet", "--out", out]);
    let refused = |path: &Path, sizes: &str| {
        let run = merge();
        run.assert_code(2);
        assert_eq!(
            run.stderr,
            format!(
                "verdict: error: {}: does not match the checksum in partial.json{sizes}: the part was changed after it was written; score the shard again\n",
                path.display()
            )
        );
        assert!(
            !Path::new(out).join("report.json").exists(),
            "nothing is written from a changed part"
        );
    };
    // One bit of one byte in the middle of the records: the same size, another report.
    let records = Path::new(&a1).join("records.bin");
    let bytes = std::fs::read(&records).unwrap();
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 1;
    std::fs::write(&records, &flipped).unwrap();
    refused(&records, "");
    std::fs::write(&records, &bytes).unwrap();
    // A line of the examples.jsonl lines repeated: the merged examples.jsonl would hold an
    // example twice.
    let lines = Path::new(&a0).join("lines.jsonl");
    let text = std::fs::read_to_string(&lines).unwrap();
    let first = text.lines().next().unwrap();
    let doubled = format!("{first}\n{text}");
    std::fs::write(&lines, &doubled).unwrap();
    refused(
        &lines,
        &format!(" ({} bytes, {} when written)", doubled.len(), text.len()),
    );
    std::fs::write(&lines, &text).unwrap();
    merge().assert_code(0);
}

#[test]
fn a_part_whose_sums_were_edited_to_add_up_is_refused_by_its_checksum() {
    // One strict output made invalid: a part whose counts still add up.
    let (run, partial) = merge_with_edited_part(2, 1, false, |json| {
        let validity = &mut json["sums"]["validity"];
        let strict = validity["strict"].as_u64().unwrap();
        let invalid = validity["invalid"].as_u64().unwrap();
        validity["strict"] = serde_json::json!(strict - 1);
        validity["invalid"] = serde_json::json!(invalid + 1);
    });
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "verdict: error: {}: does not match its checksum: the part was changed after it was written; score the shard again\n",
            partial.display()
        )
    );
}
