//! Renders `per_class.csv`: one row per label, for spreadsheets and CI systems. Pure and
//! byte-stable (six decimals).

use super::Report;

/// The file name of the per-class CSV.
pub const PER_CLASS_CSV: &str = "per_class.csv";

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
        ]
        .map(str::to_owned),
    );
    for c in &report.classes {
        write(&[
            c.label.clone(),
            c.support.to_string(),
            c.predicted.to_string(),
            c.tp.to_string(),
            c.fp.to_string(),
            c.fn_.to_string(),
            format!("{:.6}", c.precision),
            format!("{:.6}", c.recall),
            format!("{:.6}", c.f1),
        ]);
    }
    let bytes = writer.into_inner().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("CSV of UTF-8 strings is UTF-8")
}
