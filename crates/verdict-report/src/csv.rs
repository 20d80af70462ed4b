//! Renders `per_class.csv`: one row per label, with the 95% interval ends of precision,
//! recall and F1, for spreadsheets and CI systems. Pure and byte-stable (six decimals).

use crate::model::Report;

/// The file name of the per-class CSV.
pub const PER_CLASS_CSV: &str = "per_class.csv";

/// `text` made safe to open in a spreadsheet: a cell beginning with `=`, `+`, `-`, `@`, a tab
/// or a carriage return is read as a formula by Excel, LibreOffice and Google Sheets, and a
/// label is whatever the data holds. Such a cell gets a leading `'` (OWASP's CSV-injection
/// rule), which spreadsheets show as plain text; every other cell is written as it is.
pub fn spreadsheet_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The CSV, header first, one row per class in report order.
pub fn render(report: &Report) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut write = |fields: &[String]| {
        writer
            .write_record(fields)
            .expect("writing to memory cannot fail");
    };
    write(
        &[
            "label",
            "support",
            "predicted",
            "tp",
            "fp",
            "fn",
            "precision",
            "recall",
            "f1",
            "precision_low",
            "precision_high",
            "recall_low",
            "recall_high",
            "f1_low",
            "f1_high",
        ]
        .map(str::to_owned),
    );
    for c in &report.classes {
        let mut row = vec![
            spreadsheet_text(&c.label),
            c.support.to_string(),
            c.predicted.to_string(),
            c.tp.to_string(),
            c.fp.to_string(),
            c.fn_.to_string(),
            // An undefined rate (declared labels only) is an empty cell, as NaN would be.
            c.precision.map_or_else(String::new, |v| format!("{v:.6}")),
            c.recall.map_or_else(String::new, |v| format!("{v:.6}")),
            c.f1.map_or_else(String::new, |v| format!("{v:.6}")),
        ];
        // Interval ends: empty cells when intervals are off or undefined for the class.
        for metric in ["precision", "recall", "f1"] {
            let (low, high) = report
                .class_interval(&c.label, metric)
                .map_or((String::new(), String::new()), |(l, h)| {
                    (format!("{l:.6}"), format!("{h:.6}"))
                });
            row.extend([low, high]);
        }
        write(&row);
    }
    let bytes = writer.into_inner().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("CSV of UTF-8 strings is UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_other_labels_kept() {
        for (label, cell) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("FG_MAKE", "FG_MAKE"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_text(label), cell, "{label:?}");
        }
    }
}
