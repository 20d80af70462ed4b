//! verdict's per-class metrics against two independent tools, scikit-learn and sed_eval,
//! on the dataset `scripts/reference_metrics.py` generated (numbers in reference.json).

use serde_json::Value;

use crate::harness::{root, score_ok, tempdir};

#[track_caller]
fn assert_close(got: &Value, want: &Value, what: &str) {
    let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
    assert!((g - w).abs() < 1e-12, "{what}: verdict {g}, reference {w}");
}

#[test]
fn per_class_metrics_agree_with_scikit_learn_and_sed_eval() {
    let dir = "tests/fixtures/reference-events";
    let text = std::fs::read_to_string(root().join(dir).join("reference.json")).unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let out = tempdir();
    let (_, report) = score_ok(&[dir], out.path());
    let classes = report["classes"].as_array().unwrap();
    let sk = &reference["sklearn"];
    let labels = sk["labels"].as_array().unwrap();
    assert_eq!(classes.len(), labels.len());
    for (i, label) in labels.iter().enumerate() {
        let row = &classes[i];
        assert_eq!(&row["label"], label);
        assert_eq!(row["support"], sk["support"][i], "support of {label}");
        for metric in ["precision", "recall", "f1"] {
            assert_close(
                &row[metric],
                &sk[metric][i],
                &format!("sklearn {metric} of {label}"),
            );
            let sed = &reference["sed_eval"]["class_wise"][label.as_str().unwrap()];
            assert_close(
                &row[metric],
                &sed[metric],
                &format!("sed_eval {metric} of {label}"),
            );
            assert_eq!(row["support"], sed["Nref"]);
            assert_eq!(row["predicted"], sed["Nsys"]);
        }
    }
    let summary = &report["summary"];
    for (key, average, metric) in [
        ("event_precision", "micro", "precision"),
        ("event_recall", "micro", "recall"),
        ("event_f1", "micro", "f1"),
        ("macro_precision", "macro", "precision"),
        ("macro_recall", "macro", "recall"),
        ("macro_f1", "macro", "f1"),
        ("weighted_f1", "weighted", "f1"),
    ] {
        assert_close(&summary[key], &sk[average][metric], key);
    }
    for metric in ["precision", "recall", "f1"] {
        let key = format!("event_{metric}");
        assert_close(
            &summary[key.as_str()],
            &reference["sed_eval"]["overall"][metric],
            &format!("sed_eval overall {metric}"),
        );
    }
    // Invariants of the confusion matrix: the diagonal is tp, rows sum to support, columns
    // to predictions.
    let matrix = report["confusion"]["matrix"].as_array().unwrap();
    for (i, row) in classes.iter().enumerate() {
        let cells: Vec<u64> = matrix[i]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .collect();
        assert_eq!(cells[i], row["tp"].as_u64().unwrap());
        assert_eq!(cells.iter().sum::<u64>(), row["support"].as_u64().unwrap());
        let column: u64 = matrix.iter().map(|r| r[i].as_u64().unwrap()).sum();
        assert_eq!(column, row["predicted"].as_u64().unwrap());
    }
}

#[test]
fn anls_star_agrees_with_the_authors_package() {
    let text = std::fs::read_to_string(root().join("tests/fixtures/anls/pairs.jsonl")).unwrap();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (line, row) in text.lines().enumerate() {
        let row: Value = serde_json::from_str(row).unwrap();
        let got = verdict_core::anls::anls_star(&row["expected"], &row["predicted"]);
        let want = row["anls"].as_f64().unwrap();
        if (got - want).abs() > 1e-9 {
            wrong.push(format!(
                "line {}: verdict {got}, anls-star {want}: {} vs {}",
                line + 1,
                row["expected"],
                row["predicted"]
            ));
        }
        checked += 1;
    }
    assert!(checked >= 200, "the reference set has {checked} pairs");
    assert!(
        wrong.is_empty(),
        "{} of {checked} pairs disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// A declared label set: scikit-learn's `classification_report(labels=declared,
/// zero_division=np.nan)` on the pair labels, with predictions of invented labels.
#[test]
fn averages_over_a_declared_label_set_agree_with_classification_report() {
    let dir = "tests/fixtures/reference-labels";
    let text = std::fs::read_to_string(root().join(dir).join("reference.json")).unwrap();
    let reference: Value = serde_json::from_str(&text).unwrap();
    let sk = &reference["sklearn"];
    let out = tempdir();
    let (_, report) = score_ok(&[dir], out.path());
    let classes = report["classes"].as_array().unwrap();
    let labels: Vec<&str> = classes
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["A", "B", "C", "D", "E", "F"],
        "the declared set only"
    );
    let same = |got: &Value, want: &Value, what: &str| {
        if want.is_null() {
            assert!(got.is_null(), "{what}: verdict {got}, scikit-learn NaN");
        } else {
            assert_close(got, want, what);
        }
    };
    let mut undefined = 0;
    for row in classes {
        let label = row["label"].as_str().unwrap();
        let want = &sk["classes"][label];
        assert_eq!(row["support"], want["support"], "support of {label}");
        for (metric, key) in [
            ("precision", "precision"),
            ("recall", "recall"),
            ("f1", "f1-score"),
        ] {
            same(&row[metric], &want[key], &format!("{metric} of {label}"));
            undefined += usize::from(want[key].is_null());
        }
    }
    assert_eq!(undefined, 5, "the fixture exercises undefined rates");
    let summary = &report["summary"];
    for (key, average, metric) in [
        ("macro_precision", "macro", "precision"),
        ("macro_recall", "macro", "recall"),
        ("macro_f1", "macro", "f1-score"),
        ("weighted_f1", "weighted", "f1-score"),
    ] {
        assert_close(&summary[key], &sk[average][metric], key);
    }
    for (average, name) in [("macro", "macro"), ("weighted", "weighted")] {
        for (metric, key) in [
            ("precision", "precision"),
            ("recall", "recall"),
            ("f1", "f1-score"),
        ] {
            assert_close(
                &report["averages"][name][metric],
                &sk[average][key],
                &format!("{average} {metric}"),
            );
        }
    }
    // Invented labels stay false positives of the event-level figures.
    for metric in ["precision", "recall", "f1"] {
        let key = format!("event_{metric}");
        assert_close(
            &summary[key.as_str()],
            &sk["event_micro"][metric],
            &format!("event-level {metric}"),
        );
        assert_close(
            &report["averages"]["micro"][metric],
            &sk["event_micro"][metric],
            &format!("micro {metric}"),
        );
    }
    assert_eq!(report["out_of_set"], sk["out_of_set"]);
    let confusion = &report["confusion"];
    let other = labels.len();
    assert_eq!(confusion["labels"][other], "(other)");
    let column: u64 = confusion["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[other].as_u64().unwrap())
        .sum();
    let invented: u64 = sk["out_of_set"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(
        column, invented,
        "one column holds every out-of-set prediction"
    );
    // The bootstrap follows the same convention: a class never predicted has no precision
    // interval, and E (never seen) none at all.
    let intervals = &report["intervals"]["classes"];
    assert!(intervals["D"]["precision"]["value"].is_null());
    assert!(intervals["E"]["f1"]["low"].is_null());
}
