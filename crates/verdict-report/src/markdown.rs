//! Renders `report.md`: the summary, gates, baseline deltas, per-class table, top confusions,
//! timestamp errors, field accuracy, validity and schema errors. Sized for a pull-request
//! comment or a CI step summary.
//!
//! Pure and byte-stable: fixed key order, four decimals, no clock times, and input paths shown
//! only when relative. It formats what the [`Report`] holds and computes nothing.

use std::fmt::Write;

use crate::format::{format_interval, format_rate};
use crate::model::Report;
use verdict_core::files::public_path;
use verdict_core::metrics::NONE_LABEL;
use verdict_core::summary::metric;

/// How many off-diagonal confusion cells the Markdown lists.
const TOP_CONFUSIONS: usize = 10;

/// A table cell: pipes escaped, line breaks (Unicode's too) folded and other control
/// characters written as `\xNN`, so a label cannot break the table or the line, and what
/// [`inline`] escapes.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in inline(&text.replace('\\', "\\\\").replace('|', "\\|")).chars() {
        match c {
            '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => out.push(' '),
            c if c.is_control() && c != '\t' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Text from the data in a line of Markdown: HTML and link brackets escaped, so a label such
/// as `<img src=…>` or `[click](http://…)` shows as text on a pull request or in
/// `$GITHUB_STEP_SUMMARY` instead of fetching an image or offering a link.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown table; `align` has one letter per column, `l` or `r`.
fn table(out: &mut String, header: &[&str], align: &str, rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let rule: Vec<&str> = align
        .chars()
        .map(|a| if a == 'r' { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "| {} |", rule.join(" | "));
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out.push('\n');
}

fn with_interval(value: Option<f64>, interval: Option<(f64, f64)>) -> String {
    match (value, interval) {
        (Some(value), Some(_)) => format!("{value:.4} {}", format_interval(interval, 4)),
        _ => format_rate(value),
    }
}

/// The order of the summary table: the metrics of
/// [`SUMMARY_METRICS`](verdict_core::summary::SUMMARY_METRICS), with the single-label accuracy
/// beside the class averages it belongs with. A metric the run does not have is left out.
pub const SUMMARY_ORDER: [&str; 22] = [
    "coverage",
    "json_valid_strict",
    "json_valid",
    "json_recoverable",
    "schema_valid",
    "event_precision",
    "event_recall",
    "event_f1",
    "macro_precision",
    "macro_recall",
    "macro_f1",
    "weighted_f1",
    "label_accuracy",
    "matched_label_accuracy",
    "timestamp_mae",
    "player_id_accuracy",
    "exact_match",
    "anls_star",
    "anls_star_typed",
    "positive_precision",
    "positive_recall",
    "positive_f1",
];

/// The Markdown report, ending in a newline.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let _ = writeln!(out, "# verdict: {}\n", cell(&report.run.name));
    if let Some(notice) = s.missing_notice() {
        let _ = writeln!(out, "> **Warning:** {notice}\n");
    }
    let failed = report.gates.iter().filter(|g| !g.passed).count();
    if !report.gates.is_empty() {
        if failed == 0 {
            let _ = writeln!(out, "**PASS**: all {} gates passed.\n", report.gates.len());
        } else {
            let _ = writeln!(
                out,
                "**FAIL**: {failed} of {} gates failed.\n",
                report.gates.len()
            );
        }
    }
    let _ = writeln!(
        out,
        "{} examples · {} missing predictions · {} orphan predictions · {} failed requests · expected `{}`\n",
        s.examples,
        s.missing_predictions,
        s.orphan_predictions,
        s.failed_requests,
        public_path(&report.run.expected)
    );
    let mut warnings = report.spec_coverage.warnings();
    warnings.extend(report.schema.warnings());
    for warning in &warnings {
        let _ = writeln!(out, "> **Warning:** {}", cell(warning));
    }
    if !warnings.is_empty() {
        out.push('\n');
    }

    out.push_str("## Summary\n\n");
    let rows: Vec<Vec<String>> = SUMMARY_ORDER
        .iter()
        .filter_map(|&name| Some((metric(name)?, s.get(name)?)))
        .map(|(m, value)| {
            let ci = format_interval(report.interval(m.name), 4);
            vec![
                m.unit
                    .map_or_else(|| m.name.to_owned(), |unit| format!("{} ({unit})", m.name)),
                format_rate(Some(value)),
                if ci.is_empty() { "—".to_owned() } else { ci },
            ]
        })
        .collect();
    table(&mut out, &["metric", "value", "95% interval"], "lrr", &rows);

    if !report.gates.is_empty() {
        out.push_str("## Gates\n\n");
        let rows: Vec<Vec<String>> = report
            .gates
            .iter()
            .map(|g| {
                vec![
                    if g.passed { "PASS" } else { "**FAIL**" }.to_owned(),
                    format!("`{}`", cell(&g.metric)),
                    format_rate(g.value),
                    format!("{} {:.4}", g.op.symbol(), g.threshold),
                    g.source.to_owned(),
                    cell(g.note.as_deref().unwrap_or("")),
                ]
            })
            .collect();
        table(
            &mut out,
            &["result", "metric", "value", "threshold", "source", "note"],
            "llrrll",
            &rows,
        );
    }

    if let Some(baseline) = &report.baseline {
        let _ = writeln!(
            out,
            "## Change from baseline `{}`\n",
            cell(&public_path(&baseline.file))
        );
        let rows: Vec<Vec<String>> = baseline
            .deltas
            .iter()
            .map(|(metric, d)| {
                vec![
                    metric.clone(),
                    format!("{:.4}", d.baseline),
                    format!("{:.4}", d.current),
                    format!("{:+.4}", d.delta),
                ]
            })
            .collect();
        table(
            &mut out,
            &["metric", "baseline", "current", "delta"],
            "lrrr",
            &rows,
        );
    }

    if !report.classes.is_empty() {
        out.push_str("## Per class\n\n");
        let rows: Vec<Vec<String>> = report
            .classes
            .iter()
            .map(|c| {
                vec![
                    cell(&c.label),
                    c.support.to_string(),
                    c.predicted.to_string(),
                    with_interval(c.precision, report.class_interval(&c.label, "precision")),
                    with_interval(c.recall, report.class_interval(&c.label, "recall")),
                    with_interval(c.f1, report.class_interval(&c.label, "f1")),
                ]
            })
            .collect();
        let mut rows = rows;
        for a in report.average_rows() {
            let rate = |v: Option<f64>| {
                if a.accuracy_only {
                    String::new()
                } else {
                    format_rate(v)
                }
            };
            rows.push(vec![
                format!("*{}*", a.name),
                a.support.to_string(),
                String::new(),
                rate(a.precision),
                rate(a.recall),
                format_rate(a.f1),
            ]);
        }
        table(
            &mut out,
            &["label", "support", "predicted", "precision", "recall", "f1"],
            "lrrrrr",
            &rows,
        );
        // The note quotes labels inside verdict's own text, which has code spans with
        // brackets: the labels are escaped as cells are, the text around them is not.
        if let Some(note) = report.label_set_note_quoting(&cell) {
            let _ = writeln!(out, "Note: {note}.\n");
        }
    }

    if let Some(confusion) = &report.confusion {
        let mut cells: Vec<(usize, &str, &str)> = Vec::new();
        for (i, row) in confusion.matrix.iter().enumerate() {
            for (j, &count) in row.iter().enumerate() {
                if i != j && count > 0 {
                    cells.push((count, &confusion.labels[i], &confusion.labels[j]));
                }
            }
        }
        cells.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| a.1.cmp(b.1))
                .then_with(|| a.2.cmp(b.2))
        });
        if !cells.is_empty() {
            let _ = writeln!(
                out,
                "## Top confusions\n\n`{NONE_LABEL}` as expected is a spurious prediction; as predicted, a missed event.\n"
            );
            let rows: Vec<Vec<String>> = cells
                .iter()
                .take(TOP_CONFUSIONS)
                .map(|(count, e, p)| vec![cell(e), cell(p), count.to_string()])
                .collect();
            table(&mut out, &["expected", "predicted", "count"], "llr", &rows);
        }
    }

    if let Some(t) = &report.timestamps {
        out.push_str("## Timestamp errors (seconds, predicted − expected)\n\n");
        let row = vec![
            t.pairs.to_string(),
            format_rate(t.mae),
            format_rate(t.rmse),
            format_rate(t.median_abs),
            format_rate(t.p90_abs),
            format_rate(t.max_abs),
            t.bias
                .map_or_else(|| "—".to_owned(), |b| format!("{b:+.4}")),
            format_rate(t.within_0_5),
            format_rate(t.within_1_0),
        ];
        table(
            &mut out,
            &[
                "pairs",
                "mae",
                "rmse",
                "median_abs",
                "p90_abs",
                "max_abs",
                "bias",
                "within_0_5",
                "within_1_0",
            ],
            "rrrrrrrrr",
            &[row],
        );
        if let Some(bias) = report
            .timing_bias
            .as_ref()
            .filter(|b| b.median_offset.is_some_and(|m| m != 0.0))
        {
            let _ = writeln!(
                out,
                "Median offset {:+.4} s; event_f1 {} as scored, {} after removing the offset.\n",
                bias.median_offset.unwrap_or_default(),
                format_rate(bias.f1),
                format_rate(bias.f1_after_removing)
            );
        }
    }

    if !report.fields.is_empty() {
        out.push_str("## Fields\n\n");
        let rows: Vec<Vec<String>> = report
            .fields
            .iter()
            .map(|(name, f)| {
                let errors = f.player_errors.map_or_else(String::new, |p| {
                    format!(
                        "number {} · team {} · both {} · unparsed {}",
                        p.wrong_number, p.wrong_team, p.wrong_both, p.unparsed
                    )
                });
                vec![
                    cell(name),
                    f.compare.name().to_owned(),
                    f.compared.to_string(),
                    f.correct.to_string(),
                    format_rate(f.accuracy),
                    f.one_sided.to_string(),
                    errors,
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "field",
                "compare",
                "compared",
                "correct",
                "accuracy",
                "one-sided",
                "wrong players",
            ],
            "llrrrrl",
            &rows,
        );
    }

    if !report.paths.is_empty() {
        out.push_str("## Paths\n\n");
        let rows: Vec<Vec<String>> = report
            .paths
            .iter()
            .map(|(pattern, p)| {
                vec![
                    format!("`{}`", cell(pattern)),
                    p.compare.name().to_owned(),
                    p.counts.compared.to_string(),
                    p.counts.correct.to_string(),
                    format_rate(p.accuracy),
                    p.counts.missing.to_string(),
                    p.counts.extra.to_string(),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "path", "compare", "compared", "correct", "accuracy", "missing", "extra",
            ],
            "llrrrrr",
            &rows,
        );
    }
    if !report.anls.fields.is_empty() {
        let _ = writeln!(
            out,
            "## ANLS*\n\nMean {} (typed {}), median {}, 10th percentile {}. Fields the model gets wrong (typed ANLS* per leaf path, worst first):\n",
            format_rate(report.anls.mean),
            format_rate(report.anls.typed_mean),
            format_rate(report.anls.median),
            format_rate(report.anls.p10)
        );
        let rows: Vec<Vec<String>> = report
            .anls
            .fields
            .iter()
            .take(10)
            .map(|f| {
                vec![
                    format!("`{}`", cell(&f.path)),
                    f.leaves.to_string(),
                    format!("{:.4}", f.mean),
                ]
            })
            .collect();
        table(&mut out, &["path", "leaves", "mean"], "lrr", &rows);
    }
    if !report.lists.is_empty() {
        out.push_str("## Lists\n\n");
        let rows: Vec<Vec<String>> = report
            .lists
            .iter()
            .map(|(name, l)| {
                vec![
                    cell(name),
                    l.counts.expected.to_string(),
                    l.counts.predicted.to_string(),
                    l.counts.matched.to_string(),
                    format_rate(l.precision),
                    format_rate(l.recall),
                    format_rate(l.f1),
                    format_rate(l.mean_similarity),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "list",
                "expected",
                "predicted",
                "matched",
                "precision",
                "recall",
                "f1",
                "mean similarity",
            ],
            "lrrrrrrr",
            &rows,
        );
    }
    if let (Some(accuracy), false) = (s.get("label_accuracy"), report.classes.is_empty()) {
        // The accuracy paradox: a high overall accuracy can hide a class the model never gets.
        let recalls: Vec<String> = report
            .classes
            .iter()
            .map(|c| format!("{} {}", cell(&c.label), format_rate(c.recall)))
            .collect();
        let _ = writeln!(
            out,
            "Overall label accuracy {accuracy:.4}; recall per class: {}.\n",
            recalls.join(" · ")
        );
    }

    out.push_str("## Validity\n\n");
    let v = &report.validity;
    table(
        &mut out,
        &[
            "strict",
            "extracted",
            "repaired",
            "invalid",
            "missing",
            "failed",
        ],
        "rrrrrr",
        &[[
            v.strict,
            v.extracted,
            v.repaired,
            v.invalid,
            v.missing,
            v.failed,
        ]
        .iter()
        .map(usize::to_string)
        .collect()],
    );
    if report.reasoning.outputs > 0 {
        let _ = writeln!(
            out,
            "{} of {} answers came with reasoning (`<think>` blocks, reasoning items or parts), removed before they were classified.\n",
            report.reasoning.outputs,
            report.summary.examples - report.summary.missing_predictions
        );
    }

    if !report.schema_errors.is_empty() {
        out.push_str("## Schema errors\n\n");
        let rows: Vec<Vec<String>> = report
            .schema_errors
            .iter()
            .map(|r| {
                vec![
                    format!("`{}`", cell(crate::console::display_path(&r.path))),
                    r.keyword.clone(),
                    r.count.to_string(),
                    r.outputs.to_string(),
                    cell(&r.example),
                ]
            })
            .collect();
        table(
            &mut out,
            &["path", "keyword", "count", "outputs", "example"],
            "llrrl",
            &rows,
        );
    }
    let _ = writeln!(out, "<sub>verdict {}</sub>", report.tool.version);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_a_label_on_its_line_and_its_characters_visible() {
        assert_eq!(
            cell("a\nb\r\u{2028}c\u{85}d\u{1b}[2J|<x>\te"),
            "a b  c d\\x1b\\[2J\\|&lt;x&gt;\te"
        );
        assert_eq!(cell("FG_MAKE"), "FG_MAKE");
    }

    #[test]
    fn the_summary_table_shows_every_headline_metric_once() {
        let mut shown = SUMMARY_ORDER.to_vec();
        shown.sort_unstable();
        let mut all: Vec<&str> = verdict_core::summary::SUMMARY_METRICS
            .iter()
            .map(|m| m.name)
            .collect();
        all.sort_unstable();
        assert_eq!(shown, all);
    }

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\nc\\"), "a\\|b c\\\\");
    }

    #[test]
    fn html_and_links_from_the_data_show_as_text() {
        assert_eq!(
            cell("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(
            inline("[click](http://x) & co"),
            "\\[click\\](http://x) &amp; co"
        );
        assert_eq!(cell("FG_MAKE"), "FG_MAKE");
    }
}
