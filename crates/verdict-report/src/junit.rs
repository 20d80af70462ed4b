//! Renders `junit.xml`: one test case per gate and one per class, for CI systems that show
//! JUnit results. A failed gate is a `<failure>` with the measured value and the threshold; a
//! class fails when a gate on it failed. Pure and byte-stable: no timestamps, no durations.
//!
//! Written by hand (with one escaping function) rather than with a JUnit crate: the format
//! needed is a dozen lines, and the crates bring clocks, UUIDs and an XML stack with them.

use std::fmt::Write;

use crate::format::format_rate;
use crate::model::Report;

/// The file name of the JUnit report.
pub const JUNIT_XML: &str = "junit.xml";

/// Escapes text for XML attribute values and character data. Characters XML 1.0 cannot carry
/// at all (most control characters) are replaced, since labels come from model output.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The JUnit XML document.
pub fn render(report: &Report) -> String {
    let gate_failures = report.gates.iter().filter(|g| !g.passed).count();
    let class_failed = |label: &str| {
        report.gates.iter().any(|g| {
            !g.passed
                && g.metric
                    .strip_prefix("classes.")
                    .is_some_and(|rest| rest.rsplit_once('.').is_some_and(|(l, _)| l == label))
        })
    };
    let class_failures = report
        .classes
        .iter()
        .filter(|c| class_failed(&c.label))
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"verdict\" tests=\"{}\" failures=\"{}\">",
        report.gates.len() + report.classes.len(),
        gate_failures + class_failures
    );
    let suite = |name: &str| format!("verdict.{}.{}", escape(&report.run.name), name);

    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{gate_failures}\">",
        suite("gates"),
        report.gates.len()
    );
    for g in &report.gates {
        let name = match (g.baseline, g.max_drop) {
            (Some(baseline), Some(drop)) => format!(
                "{} dropped at most {drop} from baseline {baseline}",
                g.metric
            ),
            _ => format!("{} {} {}", g.metric, g.op.symbol(), g.threshold),
        };
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\"",
            suite("gates"),
            escape(&name)
        );
        if g.passed {
            let _ = writeln!(out, "/>");
        } else {
            let mut message = format!(
                "{} = {} (required {} {})",
                g.metric,
                format_rate(g.value),
                g.op.symbol(),
                g.threshold
            );
            if let Some(note) = &g.note {
                let _ = write!(message, ": {note}");
            }
            let _ = writeln!(
                out,
                ">\n      <failure type=\"gate\" message=\"{}\"/>\n    </testcase>",
                escape(&message)
            );
        }
    }
    let _ = writeln!(out, "  </testsuite>");

    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{class_failures}\">",
        suite("classes"),
        report.classes.len()
    );
    for c in &report.classes {
        let mut stats = format!(
            "support {} predicted {} tp {} precision {} recall {} f1 {}",
            c.support,
            c.predicted,
            c.tp,
            format_rate(c.precision),
            format_rate(c.recall),
            format_rate(c.f1)
        );
        if let Some((low, high)) = report.class_interval(&c.label, "f1") {
            let _ = write!(stats, " (95% interval {low:.4} to {high:.4})");
        }
        let _ = writeln!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\">",
            suite("classes"),
            escape(&c.label)
        );
        if class_failed(&c.label) {
            let _ = writeln!(
                out,
                "      <failure type=\"gate\" message=\"a gate on this class failed: {}\"/>",
                escape(&stats)
            );
        }
        let _ = writeln!(
            out,
            "      <system-out>{}</system-out>\n    </testcase>",
            escape(&stats)
        );
    }
    let _ = writeln!(out, "  </testsuite>\n</testsuites>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_control_characters() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(escape("x\u{0}y\u{1b}"), "x\u{FFFD}y\u{FFFD}");
        assert_eq!(escape("é\tok"), "é\tok");
    }
}
