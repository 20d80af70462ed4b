//! Comparing runs: two or more sets of predictions scored on the same examples.
//!
//! A run is what `verdict score` wrote into its out dir: `report.json` and `examples.jsonl`,
//! whose lines carry each example's counts. Runs are paired example by example (by id, or by
//! expected line where an example has no id), so every difference comes with a *paired*
//! bootstrap interval: each replicate weighs the same examples (or clusters) alike in both runs,
//! from the Poisson replicates the runs kept ([`crate::paired`]) or by drawing the shared
//! examples with replacement.
//! Example-level exact match is also compared with McNemar's exact test.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::paired::RunReplicates;
use crate::resample::{
    Interval, Layout, NamedCounts, Units, bootstrap, mcnemar_exact, paired_delta, point_metrics,
};

/// How many example ids each side of a comparison lists.
pub const LISTED_EXAMPLES: usize = 50;

/// A scored run, ready to be compared.
#[derive(Debug, Clone)]
pub struct Run {
    /// How the run is named in reports (its directory, or its predictions, as given).
    pub name: String,
    /// Its report.json.
    pub report: Value,
    /// Per example: the pairing key, the cluster (if the run was clustered) and the counts.
    pub examples: Vec<RunExample>,
    /// Its bootstrap replicates (`replicates.bin`), when it kept them.
    pub replicates: Option<RunReplicates>,
}

/// One example of a run.
#[derive(Debug, Clone)]
pub struct RunExample {
    /// The id, or the expected line where there is none.
    pub key: String,
    /// The cluster, when the run was scored with `--cluster-by`.
    pub cluster: Option<String>,
    /// The counts.
    pub counts: NamedCounts,
}

/// Two runs lined up on the examples they share.
#[derive(Debug, Clone)]
pub struct Paired {
    /// A layout covering both runs' labels.
    pub layout: Layout,
    /// Run A's units (examples or clusters), in A's order.
    pub a: Units,
    /// Run B's units, the same examples in the same order.
    pub b: Units,
    /// Examples in both runs.
    pub shared: usize,
    /// Examples only in A.
    pub only_a: usize,
    /// Examples only in B.
    pub only_b: usize,
    /// The shared examples' keys and counts, (A, B).
    pub examples: Vec<(String, NamedCounts, NamedCounts)>,
}

/// Pairs run B's examples with run A's by key.
pub fn pair(a: &Run, b: &Run) -> Result<Paired> {
    let layout = same_task_layout(a, b)?;
    let in_b: HashMap<&str, &RunExample> = b.examples.iter().map(|e| (e.key.as_str(), e)).collect();
    let mut shared: Vec<(&RunExample, &RunExample)> = a
        .examples
        .iter()
        .filter_map(|ea| in_b.get(ea.key.as_str()).map(|eb| (ea, *eb)))
        .collect();
    // Key order, not file order: a run read from examples.jsonl (worst first) and the same
    // run scored in memory must resample the same units.
    shared.sort_by(|x, y| x.0.key.cmp(&y.0.key));
    let clusters: Vec<Option<String>> = shared.iter().map(|(ea, _)| ea.cluster.clone()).collect();
    let examples: Vec<(String, NamedCounts, NamedCounts)> = shared
        .iter()
        .map(|(ea, eb)| (ea.key.clone(), ea.counts.clone(), eb.counts.clone()))
        .collect();
    if examples.is_empty() {
        return Err(Error::Usage(format!(
            "{} and {} share no example (ids differ): compare runs scored on the same expected file",
            a.name, b.name
        )));
    }
    let shared = examples.len();
    let counters = |pick: fn(&(String, NamedCounts, NamedCounts)) -> &NamedCounts| -> Vec<_> {
        examples.iter().map(|e| pick(e).counters(&layout)).collect()
    };
    let units_a = Units::new(&counters(|e| &e.1), &clusters, &layout);
    let units_b = Units::new(&counters(|e| &e.2), &clusters, &layout);
    Ok(Paired {
        a: units_a,
        b: units_b,
        shared,
        only_a: a.examples.len() - shared,
        only_b: b.examples.len() - shared,
        layout,
        examples,
    })
}

/// One metric of a two-run comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricDelta {
    /// Report path of the metric.
    pub metric: String,
    /// Run A on the shared examples.
    pub a: Option<f64>,
    /// Run B on the shared examples.
    pub b: Option<f64>,
    /// B − A with its paired 95% interval.
    pub delta: Interval,
    /// Whether the interval excludes 0.
    pub significant: bool,
}

/// McNemar's exact test on example-level exact match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct McNemar {
    /// Examples exactly right in A only.
    pub a_only: u64,
    /// Examples exactly right in B only.
    pub b_only: u64,
    /// Two-sided exact p-value.
    pub p_value: f64,
}

/// `compare.json` for two runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Run A.
    pub a: String,
    /// Run B.
    pub b: String,
    /// Examples in both runs (the comparison rests on these).
    pub shared_examples: usize,
    /// Examples only in A, only in B (left out).
    pub only_a: usize,
    /// Examples only in B.
    pub only_b: usize,
    /// Units resampled (examples, or clusters when the runs were clustered).
    pub units: usize,
    /// Bootstrap replicates.
    pub replicates: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Summary metrics.
    pub metrics: Vec<MetricDelta>,
    /// Per-class precision / recall / F1.
    pub classes: Vec<MetricDelta>,
    /// Field, path and list metrics both reports have, compared by their whole-run values:
    /// the per-example counts carry no field, path or list counters, so these have no
    /// interval (and rest on every example of each run, not only the shared ones).
    pub unpaired: Vec<ReportDelta>,
    /// Exact match, example by example.
    pub mcnemar: McNemar,
    /// Examples exactly right in A but not in B (first 50).
    pub right_in_a_only: Vec<String>,
    /// Examples exactly right in B but not in A (first 50).
    pub right_in_b_only: Vec<String>,
}

/// A metric compared by the two reports' values, without a paired interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportDelta {
    /// Report path of the metric (`paths./priority.accuracy`).
    pub metric: String,
    /// Run A's value in its report.json.
    pub a: Option<f64>,
    /// Run B's value in its report.json.
    pub b: Option<f64>,
    /// B − A, `null` when either is.
    pub difference: Option<f64>,
}

/// The rates of report.json's `fields`, `paths` and `lists` sections that both reports have,
/// in the reports' key order.
pub fn report_deltas(a: &Value, b: &Value) -> Vec<ReportDelta> {
    const RATES: [(&str, &[&str]); 3] = [
        ("fields", &["accuracy"]),
        ("paths", &["accuracy"]),
        ("lists", &["precision", "recall", "f1", "mean_similarity"]),
    ];
    let mut rows = Vec::new();
    for (section, rates) in RATES {
        let (Some(in_a), Some(in_b)) = (
            a.get(section).and_then(Value::as_object),
            b.get(section).and_then(Value::as_object),
        ) else {
            continue;
        };
        for (name, entry_a) in in_a {
            let Some(entry_b) = in_b.get(name) else {
                continue;
            };
            for rate in rates {
                if entry_a.get(rate).is_none() || entry_b.get(rate).is_none() {
                    continue;
                }
                let (va, vb) = (entry_a[rate].as_f64(), entry_b[rate].as_f64());
                rows.push(ReportDelta {
                    metric: format!("{section}.{name}.{rate}"),
                    a: va,
                    b: vb,
                    difference: va.zip(vb).map(|(x, y)| y - x),
                });
            }
        }
    }
    rows
}

/// The SHA-256 of the expected file a run was scored against, as its report.json records it.
pub fn expected_sha256(report: &Value) -> Option<&str> {
    report
        .pointer("/run/expected_sha256")
        .and_then(Value::as_str)
}

/// Checks that `runs` were scored against the same expected file, by the digests their
/// reports record. Different digests are a usage error unless `allow_different`; then, and
/// for a report that records no digest (written before verdict recorded one), the returned
/// warnings say what could not be vouched for.
pub fn check_same_expected(runs: &[Run], allow_different: bool) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    let mut first: Option<(&Run, &str)> = None;
    for run in runs {
        let Some(digest) = expected_sha256(&run.report) else {
            warnings.push(format!(
                "{}: report.json records no run.expected_sha256 (written by an older verdict), so whether its expected file is the others' cannot be checked: score it again to check",
                run.name
            ));
            continue;
        };
        match first {
            None => first = Some((run, digest)),
            Some((other, seen)) if seen != digest => {
                let expected = |r: &Run| {
                    r.report
                        .pointer("/run/expected")
                        .and_then(Value::as_str)
                        .unwrap_or("?")
                        .to_owned()
                };
                let what = format!(
                    "{} and {} were scored against different expected files ({}, sha256 {}…; {}, sha256 {}…)",
                    other.name,
                    run.name,
                    expected(other),
                    &seen[..seen.len().min(12)],
                    expected(run),
                    &digest[..digest.len().min(12)],
                );
                if !allow_different {
                    return Err(Error::Usage(format!(
                        "{what}: their numbers are not comparable; score both against one expected file, or pass --allow-different-expected to compare the examples they share anyway"
                    )));
                }
                warnings.push(format!(
                    "{what}: compared on the examples they share (--allow-different-expected)"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(warnings)
}

/// The metric a leaderboard ranks by when none is given: the spec's main one, read from a
/// run's report. Events: `event_f1`. Single label: `macro_f1`, every class weighing the same,
/// so that the frequent class does not hide the rare ones as `label_accuracy` would.
/// Otherwise (fields, paths, lists, or nothing specified): `exact_match`.
pub fn main_metric(report: &Value) -> &'static str {
    let has = |name: &str| {
        report
            .pointer(&format!("/summary/{name}"))
            .is_some_and(|v| !v.is_null())
    };
    if report.pointer("/run/events").is_some_and(|e| !e.is_null()) {
        "event_f1"
    } else if has("macro_f1")
        || report
            .get("classes")
            .is_some_and(|c| c.as_array().is_some_and(|c| !c.is_empty()))
    {
        "macro_f1"
    } else {
        "exact_match"
    }
}

/// The paired deltas of two runs: summary metrics and per-class rates, B − A with their
/// intervals, and how many examples and units they rest on.
#[derive(Debug, Clone, PartialEq)]
pub struct Deltas {
    /// Summary metrics.
    pub metrics: Vec<MetricDelta>,
    /// Per-class precision / recall / F1.
    pub classes: Vec<MetricDelta>,
    /// Examples both runs scored.
    pub shared_examples: usize,
    /// Units resampled.
    pub units: usize,
    /// Replicates used.
    pub replicates: usize,
    /// The seed of the replicates.
    pub seed: u64,
}

/// Sorts deltas by report path into summary and per-class rows, with each run's value.
fn rows(
    deltas: BTreeMap<String, Interval>,
    va: &BTreeMap<String, Option<f64>>,
    vb: &BTreeMap<String, Option<f64>>,
) -> (Vec<MetricDelta>, Vec<MetricDelta>) {
    let mut metrics = Vec::new();
    let mut classes = Vec::new();
    for (metric, delta) in deltas {
        let row = MetricDelta {
            a: va.get(&metric).copied().flatten(),
            b: vb.get(&metric).copied().flatten(),
            significant: excludes_zero(&delta),
            delta,
            metric: metric.clone(),
        };
        if metric.starts_with("classes.") {
            classes.push(row);
        } else {
            metrics.push(row);
        }
    }
    (metrics, classes)
}

/// B − A from the replicates both runs kept, without their examples: the first `replicates`
/// (all, when they kept as many) replicates of each, which weigh every unit alike. `seed`, if
/// given, must be theirs. Fails when either run kept none, or when they cannot be paired.
pub fn replicate_deltas(
    a: &Run,
    b: &Run,
    replicates: Option<usize>,
    seed: Option<u64>,
) -> Result<Deltas> {
    let (Some(ra), Some(rb)) = (&a.replicates, &b.replicates) else {
        return Err(Error::Usage(format!(
            "{} and {} cannot be paired from their replicates: {} kept none (scored with --bootstrap 0?)",
            a.name,
            b.name,
            if a.replicates.is_none() {
                &a.name
            } else {
                &b.name
            }
        )));
    };
    let layout = same_task_layout(a, b)?;
    ra.check_pairs_with(&a.name, rb, &b.name)?;
    let (in_a, in_b) = (ra.sums.replicates(), rb.sums.replicates());
    let kept = in_a.min(in_b);
    let used = match replicates {
        Some(asked) if asked > kept => {
            return Err(Error::Usage(format!(
                "{asked} replicates asked for, but {} kept {in_a} and {} kept {in_b}: their first {kept} pair; ask for {kept} or fewer (--bootstrap), or score the runs again with --bootstrap {asked}",
                a.name, b.name
            )));
        }
        Some(asked) => asked,
        None if in_a != in_b => {
            return Err(Error::Usage(format!(
                "{} and {} kept different numbers of replicates ({in_a} and {in_b}): pass --bootstrap {kept} or fewer to pair the first replicates of both",
                a.name, b.name
            )));
        }
        None => kept,
    };
    if let Some(asked) = seed.filter(|&s| s != ra.seed) {
        return Err(Error::Usage(format!(
            "--seed {asked}: the runs were scored with --seed {}, whose replicates pair them; leave out --seed, or score both runs again with --seed {asked}",
            ra.seed
        )));
    }
    let deltas = one_unit_has_no_ends(
        crate::paired::paired_delta(&ra.sums, &rb.sums, &layout, used),
        ra.sums.units(),
    );
    let (metrics, classes) = rows(deltas, &ra.sums.point(&layout), &rb.sums.point(&layout));
    Ok(Deltas {
        metrics,
        classes,
        shared_examples: ra.sums.examples(),
        units: ra.sums.units(),
        replicates: used,
        seed: ra.seed,
    })
}

/// Paired deltas resting on fewer than 2 units (every example in one `--cluster-by` cluster)
/// lose their interval ends: every replicate weighs the one unit alike in both runs, so each
/// gives the point's difference again, an interval of width 0 that would read as certain. A
/// run's own report drops its ends alike.
fn one_unit_has_no_ends(
    deltas: BTreeMap<String, Interval>,
    units: usize,
) -> BTreeMap<String, Interval> {
    if units >= 2 {
        return deltas;
    }
    deltas
        .into_iter()
        .map(|(name, interval)| {
            let ends = Interval {
                low: None,
                high: None,
                ..interval
            };
            (name, ends)
        })
        .collect()
}

/// A layout covering both runs' labels, when they were scored the same way.
fn same_task_layout(a: &Run, b: &Run) -> Result<Layout> {
    let layout_a = Layout::from_report(&a.report);
    let layout_b = Layout::from_report(&b.report);
    if !layout_a.same_task(&layout_b) {
        return Err(Error::Usage(format!(
            "{} and {} were not scored the same way (one has events, a single label or a declared label set the other lacks or has otherwise): score both with the same spec",
            a.name, b.name
        )));
    }
    Ok(layout_a.union(&layout_b))
}

/// Compares run B with run A. When both kept their replicates of one test set, the paired
/// intervals come from them ([`replicate_deltas`]); otherwise the shared examples are resampled
/// with replacement, `replicates` times (default 1000) from `seed` (default 0).
pub fn compare(
    a: &Run,
    b: &Run,
    replicates: Option<usize>,
    seed: Option<u64>,
) -> Result<Comparison> {
    let paired = pair(a, b)?;
    // Runs of different test sets get here only with --allow-different-expected, which
    // compares the examples they share: their replicates sum other units, so they cannot
    // serve, and the shared examples are resampled instead.
    let same_test_set =
        |ra: &RunReplicates, rb: &RunReplicates| ra.expected_sha256 == rb.expected_sha256;
    let (metrics, classes, units, replicates, seed) = if let (Some(ra), Some(rb)) =
        (&a.replicates, &b.replicates)
        && same_test_set(ra, rb)
    {
        let d = replicate_deltas(a, b, replicates, seed)?;
        (d.metrics, d.classes, d.units, d.replicates, d.seed)
    } else {
        let (replicates, seed) = (
            replicates.unwrap_or(crate::resample::DEFAULT_REPLICATES),
            seed.unwrap_or(0),
        );
        let deltas = one_unit_has_no_ends(
            paired_delta(&paired.a, &paired.b, &paired.layout, replicates, seed),
            paired.a.len(),
        );
        let values = |units: &Units| -> BTreeMap<String, Option<f64>> {
            point_metrics(units, &paired.layout)
        };
        let (metrics, classes) = rows(deltas, &values(&paired.a), &values(&paired.b));
        (metrics, classes, paired.a.len(), replicates, seed)
    };
    let right_a: Vec<String> = paired
        .examples
        .iter()
        .filter(|(_, x, y)| x.exact == 1 && y.exact == 0)
        .map(|e| e.0.clone())
        .collect();
    let right_b: Vec<String> = paired
        .examples
        .iter()
        .filter(|(_, x, y)| x.exact == 0 && y.exact == 1)
        .map(|e| e.0.clone())
        .collect();
    let mcnemar = McNemar {
        a_only: right_a.len() as u64,
        b_only: right_b.len() as u64,
        p_value: mcnemar_exact(right_a.len() as u64, right_b.len() as u64),
    };
    Ok(Comparison {
        a: a.name.clone(),
        b: b.name.clone(),
        shared_examples: paired.shared,
        only_a: paired.only_a,
        only_b: paired.only_b,
        units,
        replicates,
        seed,
        metrics,
        classes,
        unpaired: report_deltas(&a.report, &b.report),
        mcnemar,
        right_in_a_only: right_a.into_iter().take(LISTED_EXAMPLES).collect(),
        right_in_b_only: right_b.into_iter().take(LISTED_EXAMPLES).collect(),
    })
}

/// One row of a leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standing {
    /// 1 for the best run.
    pub rank: usize,
    /// The run.
    pub run: String,
    /// The ranking metric with its bootstrap interval, on the examples all runs share.
    pub value: Interval,
    /// This run minus the best, with its paired interval (`null` for the best itself).
    pub delta_to_best: Option<Interval>,
    /// Whether the paired interval of the difference from the best excludes 0.
    pub significantly_worse: bool,
}

/// `compare.json` for more than two runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leaderboard {
    /// The ranking metric (a report path; higher is better unless it is `timestamp_mae`).
    pub metric: String,
    /// Examples every run has (the ranking rests on these).
    pub shared_examples: usize,
    /// Bootstrap replicates.
    pub replicates: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Runs, best first.
    pub standings: Vec<Standing>,
}

/// Metrics where lower is better.
fn lower_is_better(metric: &str) -> bool {
    metric == "timestamp_mae"
}

/// Ranks runs by `metric` on the examples they all share, with intervals, and marks which
/// differ significantly from the best.
pub fn leaderboard(
    runs: &[Run],
    metric: &str,
    replicates: usize,
    seed: u64,
) -> Result<Leaderboard> {
    let mut layout = Layout::from_report(&runs[0].report);
    for run in &runs[1..] {
        let other = Layout::from_report(&run.report);
        if !layout.same_task(&other) {
            return Err(Error::Usage(format!(
                "{} and {} were not scored the same way: score every run with the same spec",
                runs[0].name, run.name
            )));
        }
        layout = layout.union(&other);
    }
    // Every run restricted to the examples all of them have, in the first run's order, so the
    // values are comparable and the differences paired.
    let by_key: Vec<HashMap<&str, &RunExample>> = runs
        .iter()
        .map(|r| r.examples.iter().map(|e| (e.key.as_str(), e)).collect())
        .collect();
    let mut shared: Vec<&RunExample> = runs[0]
        .examples
        .iter()
        .filter(|e| by_key.iter().all(|m| m.contains_key(e.key.as_str())))
        .collect();
    shared.sort_by(|x, y| x.key.cmp(&y.key));
    if shared.is_empty() {
        return Err(Error::Usage(
            "the runs share no example: compare runs scored on the same expected file".into(),
        ));
    }
    let clusters: Vec<Option<String>> = shared.iter().map(|e| e.cluster.clone()).collect();
    let units: Vec<Units> = by_key
        .iter()
        .map(|m| {
            let counters: Vec<_> = shared
                .iter()
                .map(|e| m[e.key.as_str()].counts.counters(&layout))
                .collect();
            Units::new(&counters, &clusters, &layout)
        })
        .collect();
    let mut valued: Vec<(usize, Interval)> = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let all = bootstrap(u, &layout, replicates, seed);
        let interval = *all
            .get(metric)
            .ok_or_else(|| unknown_metric(metric, &all))?;
        valued.push((i, interval));
    }
    let sign = if lower_is_better(metric) { -1.0 } else { 1.0 };
    valued.sort_by(|x, y| {
        let key = |v: &Interval| v.value.map_or(f64::NEG_INFINITY, |v| sign * v);
        key(&y.1).total_cmp(&key(&x.1)).then(x.0.cmp(&y.0))
    });
    let best = valued[0].0;
    let standings = valued
        .iter()
        .enumerate()
        .map(|(rank, (i, value))| {
            let delta_to_best = (*i != best)
                .then(|| paired_delta(&units[best], &units[*i], &layout, replicates, seed)[metric]);
            Standing {
                rank: rank + 1,
                run: runs[*i].name.clone(),
                value: *value,
                delta_to_best,
                significantly_worse: delta_to_best.is_some_and(|d| excludes_zero(&d)),
            }
        })
        .collect();
    Ok(Leaderboard {
        metric: metric.to_owned(),
        shared_examples: shared.len(),
        replicates,
        seed,
        standings,
    })
}

/// Whether an interval lies entirely on one side of 0.
pub fn excludes_zero(interval: &Interval) -> bool {
    matches!((interval.low, interval.high), (Some(l), Some(h)) if l > 0.0 || h < 0.0)
}

fn unknown_metric(metric: &str, known: &BTreeMap<String, Interval>) -> Error {
    let names: Vec<&str> = known
        .keys()
        .map(String::as_str)
        .filter(|k| !k.starts_with("classes."))
        .collect();
    Error::Usage(format!(
        "--metric {metric}: not a metric of these runs; choose one of {}",
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(name: &str, report: Value) -> Run {
        Run {
            name: name.into(),
            report,
            examples: Vec::new(),
            replicates: None,
        }
    }

    #[test]
    fn the_main_metric_follows_the_task() {
        let events = json!({"run": {"events": {"time": "t"}}, "summary": {"macro_f1": 0.5}});
        let label = json!({"run": {"events": null}, "summary": {"macro_f1": 0.5}});
        let fields = json!({"run": {"events": null}, "summary": {"macro_f1": null}});
        assert_eq!(main_metric(&events), "event_f1");
        assert_eq!(main_metric(&label), "macro_f1");
        assert_eq!(main_metric(&fields), "exact_match");
    }

    #[test]
    fn report_deltas_take_the_rates_both_reports_have() {
        let a = json!({
            "paths": {"/priority": {"accuracy": 0.82}, "/only_a": {"accuracy": 1.0}},
            "lists": {"entities": {"precision": 0.5, "recall": null, "f1": 0.25, "mean_similarity": 1.0}},
        });
        let b = json!({
            "paths": {"/priority": {"accuracy": 0.65}},
            "lists": {"entities": {"precision": 0.75, "recall": 0.5, "f1": 0.5, "mean_similarity": 1.0}},
        });
        let rows = report_deltas(&a, &b);
        let names: Vec<&str> = rows.iter().map(|r| r.metric.as_str()).collect();
        assert_eq!(
            names,
            [
                "paths./priority.accuracy",
                "lists.entities.precision",
                "lists.entities.recall",
                "lists.entities.f1",
                "lists.entities.mean_similarity"
            ]
        );
        assert!((rows[0].difference.unwrap() + 0.17).abs() < 1e-12);
        assert_eq!(rows[1].difference, Some(0.25));
        assert_eq!((rows[2].a, rows[2].difference), (None, None));
    }

    #[test]
    fn different_expected_digests_are_refused_unless_allowed() {
        let with = |d: &str| json!({"run": {"expected": "e.jsonl", "expected_sha256": d}});
        let same = [run("a", with("ab12")), run("b", with("ab12"))];
        assert_eq!(
            check_same_expected(&same, false).unwrap(),
            Vec::<String>::new()
        );
        let different = [run("a", with("ab12")), run("b", with("cd34"))];
        let refused = check_same_expected(&different, false)
            .unwrap_err()
            .to_string();
        assert!(refused.contains("a and b were scored against different expected files (e.jsonl, sha256 ab12…; e.jsonl, sha256 cd34…)"), "{refused}");
        assert_eq!(check_same_expected(&different, true).unwrap().len(), 1);
        let old = [run("a", with("ab12")), run("old", json!({"run": {}}))];
        let warned = check_same_expected(&old, false).unwrap();
        assert!(warned[0].starts_with("old: report.json records no run.expected_sha256"));
    }
}
