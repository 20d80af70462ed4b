//! Renders `verdict compare`'s results: the console table, `compare.md` and `compare.html`
//! (and `compare.json` through serde). Pure: it lays out a [`Comparison`] or a
//! [`Leaderboard`] and computes nothing.

use std::fmt::Write;

use minijinja::value::{Serde, Value};
use minijinja::{Environment, context};
use serde::Serialize;

use verdict_core::compare::{Comparison, Leaderboard, MetricDelta, Standing};
use verdict_core::resample::Interval;

/// What `verdict compare` produced: two runs side by side, or a leaderboard of more.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Two runs.
    Pair(Comparison),
    /// More than two runs.
    Leaderboard(Leaderboard),
}

/// File names of the comparison outputs.
pub const COMPARE_JSON: &str = "compare.json";
/// The Markdown comparison.
pub const COMPARE_MD: &str = "compare.md";
/// The HTML comparison.
pub const COMPARE_HTML: &str = "compare.html";

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.4}"))
}

fn signed(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:+.4}"))
}

fn interval(i: &Interval) -> String {
    match (i.low, i.high) {
        (Some(l), Some(h)) => format!("[{l:+.4}, {h:+.4}]"),
        _ => "—".to_owned(),
    }
}

fn plain_interval(i: &Interval) -> String {
    match (i.low, i.high) {
        (Some(l), Some(h)) => format!("[{l:.4}, {h:.4}]"),
        _ => "—".to_owned(),
    }
}

fn delta_rows(rows: &[MetricDelta]) -> Vec<[String; 5]> {
    rows.iter()
        .map(|m| {
            [
                m.metric.clone(),
                num(m.a),
                num(m.b),
                format!("{} {}", signed(m.delta.value), interval(&m.delta)),
                if m.significant {
                    "yes".to_owned()
                } else {
                    String::new()
                },
            ]
        })
        .collect()
}

/// A leaderboard row's difference from the best: `best`, or the change with its paired
/// interval and `*` when the interval excludes 0.
fn vs_best(s: &Standing) -> String {
    s.delta_to_best.as_ref().map_or_else(
        || "best".to_owned(),
        |d| {
            format!(
                "{} {}{}",
                signed(d.value),
                interval(d),
                if s.significantly_worse { " *" } else { "" }
            )
        },
    )
}

/// The console text.
pub fn console(outcome: &Outcome) -> String {
    let mut out = String::new();
    match outcome {
        Outcome::Pair(c) => {
            let _ = writeln!(out, "verdict compare · A = {} · B = {}", c.a, c.b);
            let _ = writeln!(
                out,
                "  {} shared examples ({} only in A, {} only in B) · {} units · {} replicates",
                c.shared_examples, c.only_a, c.only_b, c.units, c.replicates
            );
            let _ = writeln!(
                out,
                "  {:<24} {:>8} {:>8}  {:<30} significant",
                "metric", "A", "B", "B − A [95% paired interval]"
            );
            for row in delta_rows(&c.metrics) {
                let _ = writeln!(
                    out,
                    "  {:<24} {:>8} {:>8}  {:<30} {}",
                    row[0], row[1], row[2], row[3], row[4]
                );
            }
            if !c.unpaired.is_empty() {
                let _ = writeln!(
                    out,
                    "  fields, paths and lists: whole-run values, B − A without an interval"
                );
                for m in &c.unpaired {
                    let _ = writeln!(
                        out,
                        "  {:<24} {:>8} {:>8}  {}",
                        m.metric,
                        num(m.a),
                        num(m.b),
                        signed(m.difference)
                    );
                }
            }
            let _ = writeln!(
                out,
                "  exact match: {} right in A only, {} in B only; McNemar exact p = {:.4}",
                c.mcnemar.a_only, c.mcnemar.b_only, c.mcnemar.p_value
            );
        }
        Outcome::Leaderboard(l) => {
            let _ = writeln!(
                out,
                "verdict compare · leaderboard by {} · {} shared examples",
                l.metric, l.shared_examples
            );
            let width = l
                .standings
                .iter()
                .map(|s| s.run.chars().count())
                .max()
                .unwrap_or(3)
                .max(3);
            let _ = writeln!(
                out,
                "  {:>4}  {:<width$}  {:>8}  {:<18}  {:<30}",
                "rank", "run", l.metric, "95% interval", "vs best [95% paired interval]"
            );
            for s in &l.standings {
                let vs_best = vs_best(s);
                let _ = writeln!(
                    out,
                    "  {:>4}  {:<width$}  {:>8}  {:<18}  {vs_best}",
                    s.rank,
                    s.run,
                    num(s.value.value),
                    plain_interval(&s.value)
                );
            }
            let _ = writeln!(
                out,
                "  * the paired interval of the difference from the best excludes 0"
            );
        }
    }
    out
}

/// The Markdown comparison.
pub fn markdown(outcome: &Outcome) -> String {
    let mut out = String::new();
    let cell = |t: &str| t.replace('|', "\\|");
    match outcome {
        Outcome::Pair(c) => {
            let _ = writeln!(
                out,
                "# verdict compare\n\nA = `{}` · B = `{}`\n",
                cell(&c.a),
                cell(&c.b)
            );
            let _ = writeln!(
                out,
                "{} shared examples ({} only in A, {} only in B); paired percentile bootstrap, {} replicates over {} units, seed {}.\n",
                c.shared_examples, c.only_a, c.only_b, c.replicates, c.units, c.seed
            );
            for (title, rows) in [("Summary", &c.metrics), ("Per class", &c.classes)] {
                let _ = writeln!(
                    out,
                    "## {title}\n\n| metric | A | B | B − A [95% interval] | significant |\n| --- | ---: | ---: | ---: | --- |"
                );
                for row in delta_rows(rows) {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} | {} |",
                        cell(&row[0]),
                        row[1],
                        row[2],
                        row[3],
                        row[4]
                    );
                }
                out.push('\n');
            }
            if !c.unpaired.is_empty() {
                let _ = writeln!(
                    out,
                    "## Fields, paths and lists\n\nEach report's whole-run value: the per-example counts hold no field, path or list counters, so these differences have no paired interval.\n\n| metric | A | B | B − A (no interval) |\n| --- | ---: | ---: | ---: |"
                );
                for m in &c.unpaired {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} |",
                        cell(&m.metric),
                        num(m.a),
                        num(m.b),
                        signed(m.difference)
                    );
                }
                out.push('\n');
            }
            let _ = writeln!(
                out,
                "## Exact match, example by example\n\n{} examples right in A only, {} in B only; McNemar's exact test p = {:.4}.\n",
                c.mcnemar.a_only, c.mcnemar.b_only, c.mcnemar.p_value
            );
            for (title, ids) in [
                ("Right in A only", &c.right_in_a_only),
                ("Right in B only", &c.right_in_b_only),
            ] {
                if !ids.is_empty() {
                    let list: Vec<String> = ids.iter().map(|i| format!("`{}`", cell(i))).collect();
                    let _ = writeln!(
                        out,
                        "**{title}** (first {}): {}\n",
                        ids.len(),
                        list.join(", ")
                    );
                }
            }
        }
        Outcome::Leaderboard(l) => {
            let _ = writeln!(
                out,
                "# verdict compare: leaderboard by `{}`\n\n{} shared examples; percentile bootstrap, {} replicates, seed {}. `*`: the paired interval of the difference from the best excludes 0.\n",
                l.metric, l.shared_examples, l.replicates, l.seed
            );
            let _ = writeln!(
                out,
                "| rank | run | {} | 95% interval | vs best [95% paired interval] |\n| ---: | --- | ---: | ---: | ---: |",
                l.metric
            );
            for s in &l.standings {
                let vs_best = vs_best(s);
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} | {} | {} |",
                    s.rank,
                    cell(&s.run),
                    num(s.value.value),
                    plain_interval(&s.value),
                    vs_best
                );
            }
            out.push('\n');
        }
    }
    let _ = writeln!(out, "<sub>verdict {}</sub>", env!("CARGO_PKG_VERSION"));
    out
}

const TEMPLATE: &str = include_str!("compare.html");

/// The HTML comparison: one self-contained page.
pub fn html(outcome: &Outcome) -> String {
    let mut env = Environment::new();
    env.add_filter("num", |v: Option<f64>| num(v));
    env.add_filter("signed", |v: Option<f64>| signed(v));
    env.add_template("compare.html", TEMPLATE)
        .expect("the bundled template parses");
    let template = env
        .get_template("compare.html")
        .expect("the template was just added");
    template
        .render(context! { c => Value::from(Serde(outcome)), version => env!("CARGO_PKG_VERSION") })
        .expect("the bundled template renders every comparison")
}
