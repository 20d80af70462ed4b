//! Paired intervals from the replicates runs keep beside their reports (`replicates.bin`):
//! `verdict compare A B` and `--baseline DIR` pair runs replicate by replicate, a run against
//! itself differs by exactly zero, a changed copy agrees with McNemar's test, and runs whose
//! weights differ are refused with what differs.

use std::path::Path;

use serde_json::Value;

use crate::harness::{Run, score_ok, tempdir, verdict, write};

/// A single-label test set of 200 examples (`e000`…`e199`, all "yes") and a model right on the
/// examples `right` says.
fn single_label(dir: &Path, right: impl Fn(usize) -> bool) {
    write(
        dir,
        "eval.toml",
        "label = \"/label\"\nlabels = [\"yes\", \"no\"]\n",
    );
    let (mut expected, mut predicted) = (String::new(), String::new());
    for i in 0..200 {
        expected.push_str(&format!(
            "{{\"id\": \"e{i:03}\", \"expected\": {{\"label\": \"yes\"}}}}\n"
        ));
        let label = if right(i) { "yes" } else { "no" };
        predicted.push_str(&format!(
            "{{\"id\": \"e{i:03}\", \"output\": {{\"label\": \"{label}\"}}}}\n"
        ));
    }
    write(dir, "expected.jsonl", expected);
    write(dir, "predictions.jsonl", predicted);
}

/// Scores `data` into a new directory with `extra` options.
fn scored(data: &Path, extra: &[&str]) -> tempfile::TempDir {
    let out = tempdir();
    let mut args = vec![data.to_str().unwrap()];
    args.extend(extra);
    score_ok(&args, out.path());
    out
}

fn compare(a: &Path, b: &Path, extra: &[&str]) -> (Run, Option<Value>) {
    let out = tempdir();
    let mut args = vec!["compare", a.to_str().unwrap(), b.to_str().unwrap()];
    args.extend(extra);
    args.extend(["--quiet", "--out", out.path().to_str().unwrap()]);
    let run = verdict(&args);
    let json = std::fs::read_to_string(out.path().join("compare.json"))
        .ok()
        .map(|t| serde_json::from_str(&t).unwrap());
    (run, json)
}

fn delta<'a>(comparison: &'a Value, name: &str) -> &'a Value {
    comparison["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == name)
        .unwrap_or_else(|| panic!("{name}"))
}

#[test]
fn a_run_compared_with_itself_differs_by_exactly_zero() {
    let out = tempdir();
    score_ok(&["datasets/basketball"], out.path());
    assert!(out.path().join("replicates.bin").is_file());
    let (run, json) = compare(out.path(), out.path(), &[]);
    run.assert_code(0);
    let json = json.unwrap();
    assert_eq!(json["replicates"], 1000);
    for row in json["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .chain(json["classes"].as_array().unwrap())
    {
        if row["delta"]["value"].is_null() {
            continue;
        }
        assert_eq!(row["delta"]["value"], 0.0, "{row}");
        assert_eq!(row["delta"]["low"], 0.0, "{row}");
        assert_eq!(row["delta"]["high"], 0.0, "{row}");
    }
}

#[test]
fn a_changed_copy_is_significant_where_mcnemar_says_so() {
    // The model is right on 160 of 200 examples (every fifth is wrong). Copy B loses 20 of A's
    // right answers (b = 20 discordant pairs one way, c = 0): McNemar's p = 2 · 0.5^20 ≈ 1.9e-6,
    // and the paired interval of label_accuracy's change (−0.1) lies below 0. Copy C swaps 5 right
    // answers for 5 wrong ones (b = c = 5): p = 1, and the interval contains 0. Both tests see
    // only the discordant examples: the concordant ones weigh the same in A and in the copy.
    let base = |i: usize| !i.is_multiple_of(5);
    let (a, b, c) = (tempdir(), tempdir(), tempdir());
    single_label(a.path(), base);
    single_label(b.path(), |i| base(i) && !(1..=25).contains(&i));
    single_label(c.path(), |i| match i {
        1..=4 | 6 => false,
        0 | 5 | 10 | 15 | 20 => true,
        _ => base(i),
    });
    let (ra, rb, rc) = (
        scored(a.path(), &[]),
        scored(b.path(), &[]),
        scored(c.path(), &[]),
    );
    let (run, worse) = compare(ra.path(), rb.path(), &[]);
    run.assert_code(0);
    let worse = worse.unwrap();
    assert_eq!(worse["mcnemar"]["a_only"], 20);
    assert_eq!(worse["mcnemar"]["b_only"], 0);
    assert!(worse["mcnemar"]["p_value"].as_f64().unwrap() < 1e-5);
    let d = &delta(&worse, "label_accuracy")["delta"];
    assert!((d["value"].as_f64().unwrap() + 0.1).abs() < 1e-12, "{d}");
    assert!(d["high"].as_f64().unwrap() < 0.0, "{d}");
    assert_eq!(delta(&worse, "label_accuracy")["significant"], true);

    let (run, even) = compare(ra.path(), rc.path(), &[]);
    run.assert_code(0);
    let even = even.unwrap();
    assert_eq!(
        (&even["mcnemar"]["a_only"], &even["mcnemar"]["b_only"]),
        (&5.into(), &5.into())
    );
    assert_eq!(even["mcnemar"]["p_value"], 1.0);
    let d = &delta(&even, "label_accuracy")["delta"];
    assert_eq!(d["value"], 0.0);
    assert!(
        d["low"].as_f64().unwrap() < 0.0 && d["high"].as_f64().unwrap() > 0.0,
        "{d}"
    );
    assert_eq!(delta(&even, "label_accuracy")["significant"], false);
}

#[test]
fn runs_whose_weights_differ_are_refused_with_what_differs() {
    let data = tempdir();
    single_label(data.path(), |i| !i.is_multiple_of(3));
    let plain = scored(data.path(), &[]);
    let seeded = scored(data.path(), &["--seed", "5"]);
    let fewer = scored(data.path(), &["--bootstrap", "50"]);
    let (run, _) = compare(plain.path(), seeded.path(), &[]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("cannot be paired replicate by replicate: their seed (0 and 5) differs"),
        "{}",
        run.stderr
    );
    let (run, _) = compare(plain.path(), fewer.path(), &[]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("kept different numbers of replicates (1000 and 50): pass --bootstrap 50 or fewer to pair the first replicates of both"),
        "{}",
        run.stderr
    );
    // Their first 50 replicates weigh every unit alike.
    let (run, first) = compare(plain.path(), fewer.path(), &["--bootstrap", "50"]);
    run.assert_code(0);
    assert_eq!(first.unwrap()["replicates"], 50);
    // The first 200 of the kept replicates pair; more than were kept cannot be asked for, nor
    // another seed.
    let (run, fewer_used) = compare(plain.path(), plain.path(), &["--bootstrap", "200"]);
    run.assert_code(0);
    assert_eq!(fewer_used.unwrap()["replicates"], 200);
    let (run, _) = compare(plain.path(), plain.path(), &["--bootstrap", "2000"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("2000 replicates asked for, but"),
        "{}",
        run.stderr
    );
    let (run, _) = compare(plain.path(), plain.path(), &["--seed", "3"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("--seed 3: the runs were scored with --seed 0"),
        "{}",
        run.stderr
    );
    // Another test set (one more example): its replicates sum other units and cannot pair.
    // --allow-different-expected, whose refusal message promises to "compare the examples they
    // share anyway", resamples the 200 shared examples instead.
    let other = tempdir();
    single_label(other.path(), |i| !i.is_multiple_of(3));
    let mut more = std::fs::read_to_string(other.path().join("expected.jsonl")).unwrap();
    more.push_str("{\"id\": \"e200\", \"expected\": {\"label\": \"yes\"}}\n");
    write(other.path(), "expected.jsonl", more);
    let mut more = std::fs::read_to_string(other.path().join("predictions.jsonl")).unwrap();
    more.push_str("{\"id\": \"e200\", \"output\": {\"label\": \"no\"}}\n");
    write(other.path(), "predictions.jsonl", more);
    let longer = scored(other.path(), &[]);
    let (run, _) = compare(plain.path(), longer.path(), &[]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("pass --allow-different-expected to compare the examples they share anyway"),
        "{}",
        run.stderr
    );
    let (run, shared) = compare(plain.path(), longer.path(), &["--allow-different-expected"]);
    run.assert_code(0);
    assert!(
        run.stderr.contains("compared on the examples they share"),
        "{}",
        run.stderr
    );
    let shared = shared.unwrap();
    assert_eq!(
        (
            &shared["shared_examples"],
            &shared["only_b"],
            &shared["units"]
        ),
        (&Value::from(200), &Value::from(1), &Value::from(200))
    );
    // The same predictions on the shared examples: the point and every replicate differ by 0,
    // where B's whole run (its extra wrong example) would not.
    let d = &delta(&shared, "label_accuracy")["delta"];
    assert_eq!(
        (&d["value"], &d["low"], &d["high"]),
        (&Value::from(0.0), &Value::from(0.0), &Value::from(0.0)),
        "{d}"
    );
    // A baseline run scored with another seed.
    let out = tempdir();
    let run = verdict(&[
        "score",
        data.path().to_str().unwrap(),
        "--baseline",
        seeded.path().to_str().unwrap(),
        "--quiet",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("seed (5 and 0) differs"),
        "{}",
        run.stderr
    );
}

#[test]
fn without_intervals_a_run_keeps_no_replicates_and_an_earlier_file_goes() {
    let data = tempdir();
    single_label(data.path(), |i| i.is_multiple_of(2));
    let out = scored(data.path(), &[]);
    assert!(out.path().join("replicates.bin").is_file());
    score_ok(
        &[data.path().to_str().unwrap(), "--bootstrap", "0"],
        out.path(),
    );
    assert!(!out.path().join("replicates.bin").exists());
}

#[test]
fn a_baseline_pairs_from_its_replicates_alone() {
    // The same baseline run kept with every example and with none: the paired gates, read
    // from replicates.bin alone in the second case, are the same.
    let (a, b) = (tempdir(), tempdir());
    single_label(a.path(), |i| !i.is_multiple_of(5));
    single_label(b.path(), |i| !i.is_multiple_of(4));
    let all = scored(a.path(), &[]);
    let none = scored(a.path(), &["--examples", "none"]);
    assert!(!none.path().join("examples.jsonl").exists());
    let gates = |baseline: &Path| {
        let out = tempdir();
        let run = verdict(&[
            "score",
            b.path().to_str().unwrap(),
            "--baseline",
            baseline.to_str().unwrap(),
            "--max-drop",
            "0.2",
            "--quiet",
            "--out",
            out.path().to_str().unwrap(),
        ]);
        run.assert_code(0);
        let report: Value =
            serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap())
                .unwrap();
        report["gates"].clone()
    };
    let with_examples = gates(all.path());
    assert_eq!(with_examples, gates(none.path()));
    let accuracy = with_examples
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metric"] == "label_accuracy" && g["source"] == "baseline")
        .expect("a paired baseline gate")
        .clone();
    assert!(
        accuracy["note"]
            .as_str()
            .unwrap()
            .contains("over 200 shared examples"),
        "{accuracy}"
    );
}

#[test]
fn a_replicates_file_damaged_into_another_shape_is_refused() {
    // Raising the stored replicate count by one (1000 → 1001, one byte of its varint) still
    // decodes: read as it is, every lane of the last block would be one place off and a run
    // compared with itself would differ.
    let data = tempdir();
    single_label(data.path(), |i| !i.is_multiple_of(3));
    let run = scored(data.path(), &[]);
    let path = run.path().join("replicates.bin");
    let mut bytes = std::fs::read(&path).unwrap();
    // After the magic line: seed 0 (one byte), the 64-byte digest and its length, the join
    // key's kind and its length, no --cluster-by (one byte), then the replicate count.
    let mut at = b"verdict replicates 1\n".len() + 1 + 1 + 64;
    at += 1 + usize::from(bytes[at]) + 1;
    assert_eq!(&bytes[at..at + 2], &[0xe8, 0x07], "1000 as a varint");
    bytes[at] = 0xe9;
    std::fs::write(&path, bytes).unwrap();
    let (result, written) = compare(run.path(), run.path(), &[]);
    result.assert_code(2);
    assert!(written.is_none());
    assert!(
        // postcard keeps no message of its own for what the sums' check found.
        result.stderr.contains(&format!(
            "{}: is damaged (Serde Deserialization Error): score the run again",
            path.display()
        )),
        "{}",
        result.stderr
    );
}

#[test]
fn runs_in_one_cluster_get_no_paired_interval_ends() {
    // Every example in one cluster: each replicate weighs the whole set alike in both runs and
    // gives the point's difference again. The runs' own reports drop their ends; so does the
    // paired interval, rather than a width-0 interval called significant.
    let data = tempdir();
    single_label(data.path(), |i| !i.is_multiple_of(3));
    let other = tempdir();
    single_label(other.path(), |i| !i.is_multiple_of(4));
    let one = ["--cluster-by", "id~(x?)"];
    let (a, b) = (scored(data.path(), &one), scored(other.path(), &one));
    let (run, json) = compare(a.path(), b.path(), &[]);
    run.assert_code(0);
    let json = json.unwrap();
    assert_eq!(json["units"], 1);
    let row = delta(&json, "label_accuracy");
    assert!(row["delta"]["value"].as_f64().unwrap() > 0.08, "{row}");
    assert_eq!(
        (&row["delta"]["low"], &row["delta"]["high"]),
        (&Value::Null, &Value::Null),
        "{row}"
    );
    assert_eq!(row["significant"], false);
    // As a baseline: the paired gate fails, saying why.
    let out = tempdir();
    let mut args = vec![
        other.path().to_str().unwrap(),
        "--baseline",
        a.path().to_str().unwrap(),
    ];
    args.extend(one);
    args.extend(["--quiet", "--out", out.path().to_str().unwrap()]);
    let mut full = vec!["score"];
    full.extend(args);
    let run = verdict(&full);
    run.assert_code(1);
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    let gate = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metric"] == "label_accuracy" && g["source"] == "baseline")
        .unwrap()
        .clone();
    assert_eq!(gate["passed"], false, "{gate}");
    assert!(
        gate["note"]
            .as_str()
            .unwrap()
            .contains("with no paired interval: the runs rest on 1 unit(s)"),
        "{gate}"
    );
}
