//! What one model output can cost is bounded (issue 25, item 2): long labels are cut and
//! counted, worst examples embed a bounded number of rows and characters, a comparison of
//! long texts is bounded and counted. The large inputs are generated here, not committed.

use serde_json::{Value, json};

use crate::harness::{PLAIN_SPEC, score_ok, tempdir, write};

/// One JSONL line per value.
fn lines(values: &[Value]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
}

/// A prediction line answering example `id` with `output` as its text.
fn answer(id: usize, output: &Value) -> Value {
    json!({"id": id, "output": output.to_string()})
}

#[test]
fn long_labels_are_cut_counted_and_kept_apart() {
    let data = tempdir();
    write(data.path(), "eval.toml", PLAIN_SPEC);
    // Two labels alike in their first 300,000 bytes, and one of a megabyte.
    let l1 = format!("{}1", "p".repeat(300_000));
    let l2 = format!("{}2", "p".repeat(300_000));
    let huge = "q".repeat(1_000_000);
    let normal = json!([{"t": 1, "c": "A"}, {"t": 5, "c": "B"}]);
    write(
        data.path(),
        "expected.jsonl",
        lines(&[
            json!({"id": 0, "expected": [{"t": 1, "c": l1}]}),
            json!({"id": 1, "expected": normal}),
            json!({"id": 2, "expected": normal}),
        ]),
    );
    write(
        data.path(),
        "predictions.jsonl",
        lines(&[
            answer(
                0,
                &json!([{"t": 1, "c": l1}, {"t": 5, "c": l2}, {"t": 9, "c": huge}]),
            ),
            answer(1, &normal),
            answer(2, &normal),
        ]),
    );
    let out = tempdir();
    let (run, report) = score_ok(
        &[data.path().to_str().unwrap(), "--bootstrap", "200"],
        out.path(),
    );
    // l1 expected and predicted, l2, the megabyte.
    assert_eq!(report["labels_cut"], 4);
    assert!(
        run.stderr
            .contains("4 label(s) longer than 256 bytes are shown and counted cut"),
        "{}",
        run.stderr
    );
    let classes = report["classes"].as_array().unwrap();
    assert_eq!(classes.len(), 5, "A, B and three long labels, none merged");
    let class = |prefix: &str| {
        classes
            .iter()
            .find(|c| c["label"].as_str().unwrap().starts_with(prefix))
            .unwrap()
    };
    let cut_l1 = class(&format!("{}…[+299745 bytes, sha256 ", "p".repeat(256)));
    assert_eq!(
        (&cut_l1["support"], &cut_l1["predicted"], &cut_l1["tp"]),
        (&json!(1), &json!(1), &json!(1)),
        "the long label the model repeated is a match"
    );
    for c in classes {
        let label = c["label"].as_str().unwrap();
        assert!(label.len() <= 256 + 60, "{} bytes", label.len());
    }
    // Each interval is named once, not once per replicate; the reports stay small.
    assert_eq!(report["intervals"]["classes"].as_object().unwrap().len(), 5);
    for name in ["report.json", "report.html", "report.md", "per_class.csv"] {
        let size = std::fs::metadata(out.path().join(name)).unwrap().len();
        assert!(size < 100_000, "{name}: {size} bytes");
    }
}

#[test]
fn worst_examples_embed_a_bounded_number_of_rows_and_characters() {
    let data = tempdir();
    write(data.path(), "eval.toml", PLAIN_SPEC);
    let normal = json!([{"t": 1, "c": "A"}, {"t": 5, "c": "B"}]);
    write(
        data.path(),
        "expected.jsonl",
        lines(&[
            json!({"id": 0, "expected": normal}),
            json!({"id": 1, "expected": normal}),
        ]),
    );
    // 20,000 invented events 10 s apart, the first with a note of 5,000 characters.
    let mut events: Vec<Value> = (0..20_000)
        .map(|k| json!({"t": k * 10, "c": "A"}))
        .collect();
    events[0]["note"] = json!("n".repeat(5_000));
    write(
        data.path(),
        "predictions.jsonl",
        lines(&[answer(0, &Value::Array(events)), answer(1, &normal)]),
    );
    let out = tempdir();
    let (_, report) = score_ok(
        &[data.path().to_str().unwrap(), "--bootstrap", "0"],
        out.path(),
    );
    let worst = report["worst_examples"].as_array().unwrap();
    assert_eq!(worst.len(), 1, "the other example is right");
    let rows = worst[0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 100);
    // Example 0's rows: its 2 expected and 20,000 predicted events less its pairs (the
    // other example has 2 of each, paired).
    let events = &report["events"];
    let count = |key: &str| events[key].as_u64().unwrap() - 2;
    let all_rows = count("expected") + count("predicted") - count("pairs");
    assert_eq!(worst[0]["rows_not_shown"], all_rows - 100);
    // The event at 0 s pairs with the expected one at 1 s, its note cut: its JSON text
    // {"c":"A","note":"nnn…","t":0} is 9 + 8 + 5,000 + 2 + 6 = 5,025 characters.
    let first = rows[0]["predicted"].as_str().unwrap();
    assert!(first.starts_with("{\"c\":\"A\",\"note\":\"nnn"), "{first}");
    assert_eq!(
        first.chars().count(),
        1_000 + "… (4025 more characters)".chars().count()
    );
    assert!(first.ends_with("… (4025 more characters)"), "{first}");
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(
        html.contains(&format!(
            "… {} more rows not shown; see examples.jsonl",
            all_rows - 100
        )),
        "report.html states the cut"
    );
    for (name, limit) in [("report.json", 200_000), ("report.html", 300_000)] {
        let size = std::fs::metadata(out.path().join(name)).unwrap().len();
        assert!(size < limit, "{name}: {size} bytes");
    }
}

/// `len` letters from a fixed stream, without the repeats that make a rotation cheap.
fn scrambled(len: usize) -> String {
    let mut state: u64 = 1;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(b'a' + ((state >> 33) % 10) as u8)
        })
        .collect()
}

#[test]
fn a_comparison_of_long_texts_finishes_and_is_counted_as_bounded() {
    let data = tempdir();
    write(data.path(), "eval.toml", "");
    // Two texts of 300,000 characters, one the other with its halves swapped: 9·10¹⁰ cells of
    // the full distance matrix, which did not finish in a minute.
    let text = scrambled(300_000);
    let swapped = format!("{}{}", &text[150_000..], &text[..150_000]);
    write(
        data.path(),
        "expected.jsonl",
        lines(&[
            json!({"id": 0, "expected": {"text": text}}),
            json!({"id": 1, "expected": {"text": "hello world"}}),
        ]),
    );
    write(
        data.path(),
        "predictions.jsonl",
        lines(&[
            answer(0, &json!({"text": swapped})),
            answer(1, &json!({"text": "hello word"})),
        ]),
    );
    let out = tempdir();
    let (run, report) = score_ok(
        &[data.path().to_str().unwrap(), "--bootstrap", "0"],
        out.path(),
    );
    assert!(
        run.stderr.contains(
            "1 example(s) compare texts too long to compare exactly for ANLS* (over 2^24 cells of the distance matrix): their ANLS* scores are lower bounds"
        ),
        "{}",
        run.stderr
    );
    let anls = &report["anls"];
    assert_eq!(anls["scored"], 2);
    assert_eq!(anls["approximated"], 1, "{anls}");
    // The short pair is computed as ever: 1 − 1/11, in units of 10⁻¹².
    let scores: Vec<i64> = std::fs::read_to_string(out.path().join("examples.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter_map(|e| e["counts"]["anls_e12"].as_i64())
        .collect();
    assert!(scores.contains(&909_090_909_091), "{scores:?}");
}

#[test]
fn a_line_break_in_a_label_stays_inside_the_markdown_note() {
    let data = tempdir();
    write(data.path(), "eval.toml", PLAIN_SPEC);
    write(
        data.path(),
        "expected.jsonl",
        lines(&[json!({"id": 0, "expected": [{"t": 1, "c": "A"}]})]),
    );
    // Labels only ever predicted, so the note under the class table lists them.
    write(
        data.path(),
        "predictions.jsonl",
        lines(&[answer(
            0,
            &json!([
                {"t": 1, "c": "A"},
                {"t": 9, "c": "x\n# injected heading"},
                {"t": 19, "c": "y\u{2028}z\u{1b}[2J|"}
            ]),
        )]),
    );
    let out = tempdir();
    score_ok(
        &[data.path().to_str().unwrap(), "--bootstrap", "0"],
        out.path(),
    );
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    let note = md
        .lines()
        .find(|l| l.starts_with("Note: labels only ever predicted"))
        .expect("the note");
    assert!(note.contains("x # injected heading 1"), "{note}");
    assert!(note.contains("y z\\x1b\\[2J\\| 1"), "{note}");
    assert!(!md.lines().any(|l| l.starts_with("# injected")), "{md}");
    assert!(!md.contains('\u{1b}') && !md.contains('\u{2028}'));
}
