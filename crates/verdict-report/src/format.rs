//! The number formats every text report shares, so a rate reads the same in the console,
//! Markdown and JUnit.

/// A rate with four decimals, `—` when undefined: the one number format of the text reports.
pub fn format_rate(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.4}"))
}

/// An interval as `[low, high]` with `decimals` decimals, or `""` when there is none.
pub fn format_interval(interval: Option<(f64, f64)>, decimals: usize) -> String {
    interval.map_or_else(String::new, |(l, h)| {
        format!("[{l:.decimals$}, {h:.decimals$}]")
    })
}
