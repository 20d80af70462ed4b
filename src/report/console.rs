//! Renders the short, aligned summary `verdict score` prints to stdout. Pure: it formats what
//! the [`Report`] holds and computes nothing.

use std::fmt::Write;

use super::Report;

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
        "  {:<18} {} joined, {} missing, {} orphan, {} failed requests",
        "predictions",
        s.examples - s.missing_predictions,
        s.missing_predictions,
        s.orphan_predictions,
        s.failed_requests
    );
    let counted = |n: usize| format!("({n}/{})", s.examples);
    let rows = [
        ("json_valid_strict", s.json_valid_strict, Some(v.strict)),
        ("json_valid", s.json_valid, Some(v.strict + v.extracted)),
        (
            "json_recoverable",
            s.json_recoverable,
            Some(v.strict + v.extracted + v.repaired),
        ),
        ("schema_valid", s.schema_valid, Some(report.schema.valid)),
    ];
    for (name, value, count) in rows {
        let count = count
            .filter(|_| value.is_some())
            .map(counted)
            .unwrap_or_default();
        let _ = writeln!(out, "  {name:<18} {:>6}  {count}", rate(value));
    }
    let _ = writeln!(
        out,
        "  {:<18} strict {} · extracted {} · repaired {} · invalid {} · missing {} · failed {}",
        "validity", v.strict, v.extracted, v.repaired, v.invalid, v.missing, v.failed
    );
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
    let _ = writeln!(out, "report: {report_path}");
    out
}

/// The root path `""` reads badly in a table.
pub fn display_path(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}
