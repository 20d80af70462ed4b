//! Renders the short, aligned summary `verdict score` prints to stdout. Pure: it formats what
//! the [`Report`] holds and computes nothing.

use std::fmt::Write;

use crate::format::format_interval;
use crate::model::Report;

/// How many schema error rows the console shows; report.json has them all.
const SCHEMA_ROWS_SHOWN: usize = 5;

fn rate(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.3}"))
}

/// The console summary of a report, ending in a newline.
pub fn render(report: &Report, report_path: &str) -> String {
    let s = &report.summary;
    let v = &report.validity;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "verdict {} · {} examples",
        report.run.expected, s.examples
    );
    let _ = writeln!(
        out,
        "  {:<22} {} joined, {} missing, {} orphan, {} failed requests",
        "predictions",
        s.examples - s.missing_predictions,
        s.missing_predictions,
        s.orphan_predictions,
        s.failed_requests
    );
    let counted = |n: usize| (n, s.examples);
    let rows = [
        (
            "json_valid_strict",
            s.get("json_valid_strict"),
            Some(counted(v.strict)),
        ),
        (
            "json_valid",
            s.get("json_valid"),
            Some(counted(v.strict + v.extracted)),
        ),
        (
            "json_recoverable",
            s.get("json_recoverable"),
            Some(counted(v.strict + v.extracted + v.repaired)),
        ),
        // Outputs the schema check could not decide are out of its denominator.
        (
            "schema_valid",
            s.get("schema_valid"),
            Some((report.schema.valid, s.examples - report.schema.undecided)),
        ),
    ];
    for (name, value, count) in rows {
        let count = count
            .filter(|_| value.is_some())
            .map(|(n, of)| format!("({n}/{of})"))
            .unwrap_or_default();
        let ci = format_interval(report.interval(name), 3);
        let _ = writeln!(out, "  {name:<22} {:>6}  {ci:<15} {count}", rate(value));
    }
    let _ = writeln!(
        out,
        "  {:<22} strict {} · extracted {} · repaired {} · invalid {} · missing {} · failed {}",
        "validity", v.strict, v.extracted, v.repaired, v.invalid, v.missing, v.failed
    );
    if report.reasoning.outputs > 0 {
        let _ = writeln!(
            out,
            "  {:<22} {} of {} answers came with reasoning, removed before they were classified",
            "reasoning",
            report.reasoning.outputs,
            s.examples - s.missing_predictions
        );
    }
    let events_rows = [
        ("event_f1", s.get("event_f1")),
        ("event_precision", s.get("event_precision")),
        ("event_recall", s.get("event_recall")),
        ("macro_f1", s.get("macro_f1")),
        ("weighted_f1", s.get("weighted_f1")),
        ("label_accuracy", s.get("label_accuracy")),
        ("matched_label_accuracy", s.get("matched_label_accuracy")),
        ("timestamp_mae", s.get("timestamp_mae")),
        ("player_id_accuracy", s.get("player_id_accuracy")),
        ("exact_match", s.get("exact_match")),
        ("anls_star", s.get("anls_star")),
    ];
    for (name, value) in events_rows.into_iter().filter(|(_, v)| v.is_some()) {
        let ci = format_interval(report.interval(name), 3);
        let _ = writeln!(out, "  {name:<22} {:>6}  {ci}", rate(value));
    }
    if let Some(bias) = report
        .timing_bias
        .as_ref()
        .filter(|b| b.median_offset.is_some_and(|m| m != 0.0))
    {
        let _ = writeln!(
            out,
            "  {:<22} median offset {:+.3} s; event_f1 {} after removing it",
            "timing_bias",
            bias.median_offset.unwrap_or_default(),
            rate(bias.f1_after_removing)
        );
    }
    if !report.classes.is_empty() {
        let width = report
            .classes
            .iter()
            .map(|c| c.label.chars().count())
            .max()
            .unwrap_or(0)
            .max("weighted avg".len());
        let _ = writeln!(
            out,
            "  {:<width$}  {:>7}  {:>9}  {:>6}  {:>6}  {}",
            "class",
            "support",
            "precision",
            "recall",
            "f1",
            if report.intervals.is_some() {
                "f1 95% interval"
            } else {
                ""
            }
        );
        for c in &report.classes {
            let _ = writeln!(
                out,
                "  {:<width$}  {:>7}  {:>9}  {:>6}  {:>6}  {}",
                c.label,
                c.support,
                rate(c.precision),
                rate(c.recall),
                rate(c.f1),
                format_interval(report.class_interval(&c.label, "f1"), 3)
            );
        }
        for a in report.average_rows() {
            // Accuracy is one figure, in the F1 column as classification_report prints it.
            let pr = |v: Option<f64>| {
                if a.accuracy_only {
                    String::new()
                } else {
                    rate(v)
                }
            };
            let _ = writeln!(
                out,
                "  {:<width$}  {:>7}  {:>9}  {:>6}  {:>6}",
                a.name,
                a.support,
                pr(a.precision),
                pr(a.recall),
                rate(a.f1),
            );
        }
        if let Some(note) = report.label_set_note() {
            let _ = writeln!(out, "  note: {note}");
        }
    }
    if !report.schema_errors.is_empty() {
        let _ = writeln!(out, "  schema errors (path, keyword, count):");
        let width = report
            .schema_errors
            .iter()
            .take(SCHEMA_ROWS_SHOWN)
            .map(|r| display_path(&r.path).len())
            .max()
            .unwrap_or(0);
        for row in report.schema_errors.iter().take(SCHEMA_ROWS_SHOWN) {
            let _ = writeln!(
                out,
                "    {:<width$}  {:<20} {:>6}",
                display_path(&row.path),
                row.keyword,
                row.count
            );
        }
        let more = report.schema_errors.len().saturating_sub(SCHEMA_ROWS_SHOWN);
        if more > 0 {
            let _ = writeln!(out, "    … {more} more in {report_path}");
        }
    }
    if !report.gates.is_empty() {
        let _ = writeln!(out, "  gates:");
        for g in &report.gates {
            let _ = writeln!(
                out,
                "    {}  {:<30} {:>8} {} {}{}",
                if g.passed { "PASS" } else { "FAIL" },
                g.metric,
                g.value
                    .map_or_else(|| "null".to_owned(), |v| format!("{v:.4}")),
                g.op.symbol(),
                g.threshold,
                g.note
                    .as_ref()
                    .map(|n| format!("  ({n})"))
                    .unwrap_or_default()
            );
        }
        let failed = report.gates.iter().filter(|g| !g.passed).count();
        let verdict = if failed == 0 {
            "PASS".to_owned()
        } else {
            format!("FAIL ({failed} of {} gates)", report.gates.len())
        };
        let _ = writeln!(out, "  result: {verdict}");
    }
    let _ = writeln!(out, "report: {report_path}");
    // Last, where the eye lands when the run ends: the numbers above are mostly about
    // missing outputs.
    if let Some(notice) = s.missing_notice() {
        let _ = writeln!(out, "!! WARNING: {notice}");
    }
    // Columns are padded for values that may be absent; no line ends in spaces.
    out.lines().map(|l| format!("{}\n", l.trim_end())).collect()
}

/// One line per failed gate, for stderr: what was measured and what was required.
pub fn gate_failures(report: &Report) -> Vec<String> {
    report
        .gates
        .iter()
        .filter(|g| !g.passed)
        .map(|g| {
            let value = g
                .value
                .map_or_else(|| "null".to_owned(), |v| format!("{v:.4}"));
            let baseline = g
                .baseline
                .map(|b| format!(", baseline {b:.4}"))
                .unwrap_or_default();
            let note = g
                .note
                .as_ref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default();
            format!(
                "gate failed: {} = {value}, required {} {}{baseline}{note}",
                g.metric,
                g.op.symbol(),
                g.threshold
            )
        })
        .collect()
}

/// The root path `""` reads badly in a table.
pub fn display_path(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}
