//! Release gates: thresholds on any metric of report.json, and a baseline not to regress from.
//!
//! A gate names a metric by its dotted path in report.json (`event_f1` is short for
//! `summary.event_f1`; `classes.FG_MAKE.recall` finds the row whose label is `FG_MAKE`). Gates
//! are evaluated on the report's own JSON, so every number in it is gateable and a gate's name
//! can never drift from the key a user reads. One function decides pass or fail; the printed
//! PASS/FAIL lines and the exit code both come from its result.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::spec::{GateOp, GateSpec, Spec};
use crate::summary::{
    Task, baseline_metrics, check_threshold, metric, needs, without_interval_end,
};

/// Per-class gates on classes with less support than this are flagged as noise.
pub const MIN_SUPPORT: u64 = 10;

/// Default largest allowed drop from the baseline, absolute.
pub const DEFAULT_MAX_DROP: f64 = 0.01;

/// A threshold on one metric, from the spec or the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// Dotted metric path.
    pub metric: String,
    /// Comparison.
    pub op: GateOp,
    /// Threshold.
    pub threshold: f64,
}

impl FromStr for Gate {
    type Err = String;

    /// Parses `METRIC OP NUMBER`, as in `macro_f1>=0.75` or `classes.FG_MAKE.recall >= 0.7`.
    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        // The operator starts at the first < or > (a label may hold = or !), taking in an =
        // or ! just before it (`=>`, `!>`); without either, at the first = (`==`, `=`, `!=`).
        let at = match text.find(['>', '<']) {
            Some(at) => Some(text[..at].trim_end_matches(['=', '!']).len()),
            None => text
                .find('=')
                .map(|at| text[..at].trim_end_matches('!').len()),
        };
        let Some(at) = at else {
            // `--gate macro_f1>=0.75` unquoted: the shell redirects into a file `=0.75` and
            // passes the metric alone.
            let text = crate::quote::quoted(text);
            return Err(format!(
                "gate {text} has no operator: quote the whole gate, as in --gate 'macro_f1>=0.75' (unquoted, the shell takes > for a redirection, passes only the metric and creates a file named like =0.75)"
            ));
        };
        let metric = text[..at].trim();
        if metric.is_empty() || metric.contains(char::is_whitespace) {
            return Err(format!(
                "gate {} must be METRIC OP NUMBER, as in \"macro_f1>=0.75\"",
                crate::quote::quoted(text)
            ));
        }
        let (op, threshold) =
            crate::spec::parse_gate_in(&text[at..], text.trim(), "\"macro_f1>=0.75\"")?;
        check_threshold(metric, op.symbol(), threshold)?;
        Ok(Gate {
            metric: metric.to_owned(),
            op,
            threshold,
        })
    }
}

impl From<&GateSpec> for Gate {
    fn from(spec: &GateSpec) -> Self {
        Gate {
            metric: spec.metric.clone(),
            op: spec.op,
            threshold: spec.threshold,
        }
    }
}

/// A baseline to compare with: the earlier report.json and the allowed drops.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The file, as given (for messages and the report).
    pub file: String,
    /// The earlier report.
    pub report: Value,
    /// Allowed drop when a metric has no override.
    pub max_drop: f64,
    /// Per-metric allowed drops.
    pub overrides: BTreeMap<String, f64>,
    /// The baseline's per-example counts, when it was given as a run directory: its metrics
    /// are then judged on the paired interval of the change, not on point estimates.
    pub run: Option<crate::compare::Run>,
}

impl Baseline {
    /// The largest drop allowed for `metric`.
    pub fn max_drop_for(&self, metric: &str) -> f64 {
        self.overrides.get(metric).copied().unwrap_or(self.max_drop)
    }
}

/// The result of one gate, as it appears in `gates` in report.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateResult {
    /// Dotted metric path, as written.
    pub metric: String,
    /// Comparison.
    pub op: GateOp,
    /// Threshold (for a baseline gate: the baseline value minus the allowed drop).
    pub threshold: f64,
    /// The measured value; `null` when the metric is undefined.
    pub value: Option<f64>,
    /// Whether the gate passed. A gate on an undefined metric fails.
    pub passed: bool,
    /// Where the gate came from: `spec`, `cli` or `baseline`.
    pub source: &'static str,
    /// For baseline gates: the baseline's value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// For baseline gates: the largest drop allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_drop: Option<f64>,
    /// Why a gate failed without a value, or why its number deserves caution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The sections of report.json only an events task fills.
const EVENT_SECTIONS: [&str; 5] = [
    "events",
    "timestamps",
    "fields",
    "tolerance_sweep",
    "timing_bias",
];

/// Why `spec` can never produce the metric at `path`, if it cannot: a gate on it would fail
/// on every run, whatever the model does, which is a mistake in the gate and not a verdict on
/// the model. Classes are only known once the data is read ([`evaluate`] names them).
fn never_produced(spec: &Spec, task: &Task, path: &str) -> Option<String> {
    let base = without_interval_end(path);
    let segments: Vec<&str> = base.split('.').collect();
    match segments.as_slice() {
        [name] => metric(name)
            .filter(|m| !(m.applies)(task))
            .map(|m| format!("`{name}` needs {} in the spec", needs(m))),
        [section, ..] if EVENT_SECTIONS.contains(section) && !task.events => Some(format!(
            "`{section}` is measured on events and the spec has no [events]"
        )),
        ["fields", name, ..] if !spec.fields.contains_key(*name) => Some(format!(
            "the spec has no [fields.{name}]{}",
            known(spec.fields.keys())
        )),
        ["paths", pattern, ..] if !spec.paths.contains_key(*pattern) => Some(format!(
            "the spec has no [paths.\"{pattern}\"]{}",
            known(spec.paths.keys())
        )),
        ["lists", name, ..] if !spec.lists.contains_key(*name) => Some(format!(
            "the spec has no [lists.{name}]{}",
            known(spec.lists.keys())
        )),
        ["classes", ..] if !task.has_classes() => Some(
            "per-class metrics need [events] or label = \"/pointer\" in the spec, and it has neither"
                .to_owned(),
        ),
        _ => None,
    }
}

fn known<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<&str> = names.map(String::as_str).collect();
    if names.is_empty() {
        String::new()
    } else {
        format!(" (it has {})", names.join(", "))
    }
}

/// Refuses gates on metrics `spec` can never produce (an events metric without `[events]`, a
/// field, path or list the spec does not have): a usage error, before any scoring, never a
/// failed gate. A metric that exists but is null in a run (nothing to measure) is judged by
/// [`evaluate`] and fails there.
pub fn check_producible<'a>(spec: &Spec, metrics: impl IntoIterator<Item = &'a str>) -> Result<()> {
    let task = spec.task();
    for path in metrics {
        if let Some(why) = never_produced(spec, &task, path) {
            return Err(Error::Usage(format!(
                "gate on `{path}`: this spec never produces it ({why}); remove the gate or gate on a metric the spec scores"
            )));
        }
    }
    Ok(())
}

/// Every dotted path of a numeric (or null) value in a report, for suggestions.
fn metric_paths(report: &Value) -> Vec<String> {
    let mut paths = Vec::new();
    if let Some(summary) = report.get("summary").and_then(Value::as_object) {
        paths.extend(summary.keys().cloned());
    }
    if let Some(classes) = report.get("classes").and_then(Value::as_array) {
        for row in classes {
            let label = row.get("label").and_then(Value::as_str).unwrap_or_default();
            if let Some(obj) = row.as_object() {
                for (key, value) in obj {
                    if value.is_number() {
                        paths.push(format!("classes.{label}.{key}"));
                    }
                }
            }
        }
    }
    fn walk(prefix: &str, value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    walk(&format!("{prefix}.{key}"), child, out);
                }
            }
            Value::Number(_) | Value::Null => out.push(prefix.to_owned()),
            _ => {}
        }
    }
    if let Some(summary) = report
        .pointer("/intervals/summary")
        .and_then(Value::as_object)
    {
        for key in summary.keys() {
            paths.extend(["low", "high"].map(|end| format!("{key}.{end}")));
        }
    }
    for section in [
        "validity",
        "repairs",
        "schema",
        "events",
        "timestamps",
        "fields",
        "timing_bias",
    ] {
        if let Some(value) = report.get(section) {
            walk(section, value, &mut paths);
        }
    }
    paths
}

/// Looks a dotted metric path up in a report, including interval ends (`event_f1.low`,
/// `classes.FG_MAKE.recall.high`). `Err` when it names nothing; `Ok(None)` is a metric that
/// exists but is null.
fn lookup(report: &Value, path: &str) -> std::result::Result<(Option<f64>, Option<u64>), ()> {
    lookup_plain(report, path).or_else(|()| lookup_interval(report, path))
}

fn lookup_interval(
    report: &Value,
    path: &str,
) -> std::result::Result<(Option<f64>, Option<u64>), ()> {
    let (metric, end) = path.rsplit_once('.').ok_or(())?;
    if !matches!(end, "low" | "high" | "value") {
        return Err(());
    }
    let intervals = report.get("intervals").filter(|i| !i.is_null()).ok_or(())?;
    let (interval, support) = match metric
        .strip_prefix("classes.")
        .and_then(|rest| rest.rsplit_once('.'))
    {
        Some((label, key)) => {
            let (_, support) = lookup_plain(report, &format!("classes.{label}.{key}"))?;
            (
                intervals
                    .get("classes")
                    .and_then(|c| c.get(label))
                    .and_then(|c| c.get(key)),
                support,
            )
        }
        None => (intervals.get("summary").and_then(|s| s.get(metric)), None),
    };
    match interval.and_then(|i| i.get(end)) {
        Some(Value::Number(n)) => Ok((n.as_f64(), support)),
        Some(Value::Null) => Ok((None, support)),
        _ => Err(()),
    }
}

fn lookup_plain(report: &Value, path: &str) -> std::result::Result<(Option<f64>, Option<u64>), ()> {
    let segments: Vec<&str> = path.split('.').collect();
    let found = match segments.as_slice() {
        [name] => report.get("summary").and_then(|s| s.get(*name)),
        ["classes", label @ .., key] if !label.is_empty() => {
            let label = label.join(".");
            let row = report
                .get("classes")
                .and_then(Value::as_array)
                .and_then(|rows| {
                    rows.iter()
                        .find(|r| r.get("label").and_then(Value::as_str) == Some(label.as_str()))
                });
            if let Some(row) = row {
                let support = row.get("support").and_then(Value::as_u64);
                return match row.get(*key) {
                    Some(Value::Number(n)) => Ok((n.as_f64(), support)),
                    Some(Value::Null) => Ok((None, support)),
                    _ => Err(()),
                };
            }
            None
        }
        _ => {
            let mut value = report;
            let mut ok = true;
            for segment in &segments {
                match value.get(*segment) {
                    Some(v) => value = v,
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            ok.then_some(value)
        }
    };
    match found {
        Some(Value::Number(n)) => Ok((n.as_f64(), None)),
        Some(Value::Null) => Ok((None, None)),
        _ => Err(()),
    }
}

/// The value of a dotted metric path in a report, as a gate reads it: `Ok(None)` where the
/// metric is `null`; an unknown path is a usage error that suggests a known one.
pub fn metric_value(report: &Value, path: &str) -> Result<Option<f64>> {
    lookup(report, path)
        .map(|(value, _)| value)
        .map_err(|()| unknown_metric(report, path))
}

fn unknown_metric(report: &Value, metric: &str) -> Error {
    if let Some(label) = unknown_class(report, metric) {
        let labels: Vec<&str> = report
            .get("classes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|row| row.get("label").and_then(Value::as_str))
            .collect();
        let (metric, label) = (crate::quote::plain(metric), crate::quote::plain(label));
        return Error::Usage(format!(
            "gate on `{metric}`: class `{label}` is neither declared in labels nor seen in this run, so the spec never produces it (classes: {})",
            crate::quote::list(labels.iter().map(|l| crate::quote::plain(l)))
        ));
    }
    let paths = metric_paths(report);
    let best = paths
        .iter()
        .map(|p| (strsim::jaro_winkler(metric, p), p))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .filter(|(score, _)| *score >= 0.7)
        .map(|(_, p)| format!("; did you mean `{p}`?"))
        .unwrap_or_default();
    let metric = crate::quote::plain(metric);
    Error::Usage(format!(
        "gate on unknown metric `{metric}`: name a number in report.json, such as `event_f1`, `timestamps.p90_abs` or `classes.LABEL.recall`{best}"
    ))
}

/// The label of a `classes.LABEL.KEY` path whose class the report does not have.
fn unknown_class<'a>(report: &Value, metric: &'a str) -> Option<&'a str> {
    let rest = without_interval_end(metric).strip_prefix("classes.")?;
    let (label, _) = rest.rsplit_once('.')?;
    let rows = report.get("classes").and_then(Value::as_array)?;
    (!rows
        .iter()
        .any(|r| r.get("label").and_then(Value::as_str) == Some(label)))
    .then_some(label)
}

fn compare(op: GateOp, value: f64, threshold: f64) -> bool {
    match op {
        GateOp::Ge => value >= threshold,
        GateOp::Gt => value > threshold,
        GateOp::Le => value <= threshold,
        GateOp::Lt => value < threshold,
    }
}

fn judge(
    metric: &str,
    op: GateOp,
    threshold: f64,
    value: Option<f64>,
    support: Option<u64>,
    source: &'static str,
) -> GateResult {
    let note = match (value, support) {
        (None, _) => {
            Some("the metric is undefined (null) in this run, so the gate cannot pass".to_owned())
        }
        (_, Some(s)) if s < MIN_SUPPORT => Some(format!(
            "only {s} expected in this class (< {MIN_SUPPORT}): the number is noise"
        )),
        _ => None,
    };
    GateResult {
        metric: metric.to_owned(),
        op,
        threshold,
        value,
        passed: value.is_some_and(|v| compare(op, v, threshold)),
        source,
        baseline: None,
        max_drop: None,
        note,
    }
}

/// Evaluates the spec's gates, the command line's (which replace a spec gate on the same
/// metric) and the baseline's against a report's JSON. An unknown metric path is an error.
pub fn evaluate(
    report: &Value,
    spec_gates: &[GateSpec],
    cli_gates: &[Gate],
    baseline: Option<&Baseline>,
) -> Result<Vec<GateResult>> {
    let mut results = Vec::new();
    let overridden = |metric: &str| cli_gates.iter().any(|g| g.metric == metric);
    let chosen = spec_gates
        .iter()
        .filter(|g| !overridden(&g.metric))
        .map(|g| (Gate::from(g), "spec"))
        .chain(cli_gates.iter().map(|g| (g.clone(), "cli")));
    for (gate, source) in chosen {
        let (value, support) =
            lookup(report, &gate.metric).map_err(|()| unknown_metric(report, &gate.metric))?;
        results.push(judge(
            &gate.metric,
            gate.op,
            gate.threshold,
            value,
            support,
            source,
        ));
    }
    if let Some(baseline) = baseline.filter(|b| b.run.is_none()) {
        for metric in baseline_metrics() {
            let before = lookup(&baseline.report, metric).ok().and_then(|(v, _)| v);
            let Some(before) = before else { continue };
            let now = lookup(report, metric).ok().and_then(|(v, _)| v);
            let drop = baseline.max_drop_for(metric);
            // Rounded so that a drop of exactly max_drop passes despite binary fractions.
            let threshold = ((before - drop) * 1e12).round() / 1e12;
            let mut result = judge(metric, GateOp::Ge, threshold, now, None, "baseline");
            result.baseline = Some(before);
            result.max_drop = Some(drop);
            results.push(result);
        }
    }
    if let Some(baseline) = baseline {
        for metric in baseline.overrides.keys() {
            if !baseline_metrics().any(|m| m == metric) {
                return Err(Error::Usage(format!(
                    "--max-drop {metric}=…: the baseline compares only {}",
                    baseline_metrics().collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }
    Ok(results)
}

/// What a run's schema check could not decide, for settling the gates on schema compliance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UndecidedSchema {
    /// Outputs whose schema validity is unknown (a pattern hit the regex engine's
    /// backtracking limit).
    pub outputs: usize,
    /// `schema_valid` were every one of them invalid, and were every one valid; `None` for
    /// gates that do not compare `schema_valid` itself with a threshold (paired baseline gates).
    pub bounds: Option<(f64, f64)>,
}

/// Settles the gates on `schema_valid` (and its interval ends) of a run with `undecided`
/// outputs, so that none passes or fails on them unseen. A gate comparing `schema_valid` with
/// a threshold stands when it holds, or fails, at both bounds, with a note; when the bounds
/// fall on both sides of the threshold it fails as undecided. Any other gate on it (an
/// interval end, a paired baseline change) fails as undecided: no bound settles it.
pub fn settle_undecided_schema(gates: &mut [GateResult], undecided: UndecidedSchema) {
    if undecided.outputs == 0 {
        return;
    }
    let n = undecided.outputs;
    let why = format!(
        "{n} output(s) could not be checked against the schema (a pattern hit the regex engine's backtracking limit)"
    );
    for gate in gates
        .iter_mut()
        .filter(|g| without_interval_end(&g.metric) == "schema_valid")
    {
        let bounds = undecided.bounds.filter(|_| gate.metric == "schema_valid");
        let (passed, note) = match bounds {
            Some((low, high)) => {
                let (at_low, at_high) = (
                    compare(gate.op, low, gate.threshold),
                    compare(gate.op, high, gate.threshold),
                );
                if at_low == at_high {
                    let outcome = if at_low { "holds" } else { "fails" };
                    (
                        at_low,
                        format!(
                            "{why}; the gate {outcome} whichever way they went (schema_valid {low:.4} if all were invalid, {high:.4} if all were valid)"
                        ),
                    )
                } else {
                    (
                        false,
                        format!(
                            "undecided: {why}, and schema_valid is {low:.4} if all were invalid, {high:.4} if all were valid, on both sides of the threshold: the gate cannot pass"
                        ),
                    )
                }
            }
            None => (
                false,
                format!("undecided: {why}, which no bound settles for this gate: it cannot pass"),
            ),
        };
        gate.passed = passed;
        gate.note = Some(note);
    }
}

/// Non-inferiority gates against a baseline run: a headline metric passes when the lower end of
/// the paired 95% interval of (current − baseline) is at least −max_drop.
pub fn paired_baseline_gates(
    baseline: &Baseline,
    paired: &crate::compare::Deltas,
) -> Vec<GateResult> {
    paired
        .metrics
        .iter()
        .filter(|m| baseline_metrics().any(|b| b == m.metric) && m.a.is_some())
        .map(|m| {
            let drop = baseline.max_drop_for(&m.metric);
            let low = m.delta.low;
            let note = match (m.delta.value, low, m.delta.high) {
                (Some(v), Some(l), Some(h)) => format!(
                    "change {v:+.4}, paired 95% interval [{l:+.4}, {h:+.4}] over {} shared examples",
                    paired.shared_examples
                ),
                (Some(v), None, None) if paired.units < 2 => format!(
                    "change {v:+.4}, with no paired interval: the runs rest on {} unit(s) (--cluster-by) and resampling needs at least 2, so the gate cannot pass",
                    paired.units
                ),
                _ => "the change is undefined in this run, so the gate cannot pass".to_owned(),
            };
            GateResult {
                metric: m.metric.clone(),
                op: GateOp::Ge,
                threshold: -drop,
                value: low,
                passed: low.is_some_and(|l| l >= -drop),
                source: "baseline",
                baseline: m.a,
                max_drop: Some(drop),
                note: Some(note),
            }
        })
        .collect()
}

/// Parses `--max-drop` values: a bare number sets the default, `METRIC=NUMBER` an override.
pub fn parse_max_drops(values: &[String]) -> Result<(f64, BTreeMap<String, f64>)> {
    let mut default = DEFAULT_MAX_DROP;
    let mut overrides = BTreeMap::new();
    for value in values {
        let (metric, number) = match value.split_once('=') {
            Some((m, n)) => (Some(m.trim()), n.trim()),
            None => (None, value.trim()),
        };
        let drop: f64 = number
            .parse()
            .ok()
            .filter(|d: &f64| d.is_finite() && *d >= 0.0)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "--max-drop {}: expected a number >= 0 or METRIC=NUMBER",
                    crate::quote::quoted(value)
                ))
            })?;
        match metric {
            Some(m) => {
                overrides.insert(m.to_owned(), drop);
            }
            None => default = drop,
        }
    }
    Ok((default, overrides))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> Value {
        json!({
            "summary": {"event_f1": 0.8, "macro_f1": 0.7, "timestamp_mae": 0.4, "label_accuracy": null, "json_valid": 0.99},
            "classes": [
                {"label": "FG_MAKE", "support": 166, "precision": 0.9, "recall": 0.75, "f1": 0.8},
                {"label": "BLOCK.X", "support": 3, "precision": 1.0, "recall": 0.5, "f1": 0.6}
            ],
            "timestamps": {"p90_abs": 0.9, "pairs": 10},
            "fields": {"player_a": {"accuracy": 0.95}}
        })
    }

    fn gate(text: &str) -> Gate {
        text.parse().unwrap()
    }

    fn eval(gates: &[&str]) -> Vec<GateResult> {
        let gates: Vec<Gate> = gates.iter().map(|g| gate(g)).collect();
        evaluate(&report(), &[], &gates, None).unwrap()
    }

    #[test]
    fn parsing_every_operator() {
        assert_eq!(
            gate("macro_f1>=0.75"),
            Gate {
                metric: "macro_f1".into(),
                op: GateOp::Ge,
                threshold: 0.75
            }
        );
        assert_eq!(gate(" event_f1 > 0.8 ").op, GateOp::Gt);
        assert_eq!(gate("timestamp_mae<=0.5").op, GateOp::Le);
        assert_eq!(gate("timestamp_mae < 1").op, GateOp::Lt);
        assert_eq!(
            gate("classes.FG_MAKE.recall >= 0.7").metric,
            "classes.FG_MAKE.recall"
        );
        for bad in [
            "macro_f1",
            ">= 0.7",
            "macro_f1 => 0.7",
            "macro_f1 >= x",
            "macro_f1 >= ",
            "a = 1",
            "a >= inf",
        ] {
            assert!(bad.parse::<Gate>().is_err(), "{bad}");
        }
    }

    fn parse_error(text: &str) -> String {
        text.parse::<Gate>().unwrap_err()
    }

    #[test]
    fn typos_in_the_operator_are_explained() {
        for (text, symbol) in [
            ("macro_f1==0.75", "=="),
            ("macro_f1 = 0.75", "="),
            ("macro_f1=>0.75", "=>"),
            ("macro_f1!=0.75", "!="),
        ] {
            assert_eq!(
                parse_error(text),
                format!(
                    "gate {text:?}: `{symbol}` is not a gate operator; use >=, >, <= or <, as in \"macro_f1>=0.75\""
                )
            );
        }
        let unquoted = parse_error("macro_f1");
        assert!(
            unquoted
                .contains("has no operator: quote the whole gate, as in --gate 'macro_f1>=0.75'"),
            "{unquoted}"
        );
        assert!(unquoted.contains("a file named like =0.75"), "{unquoted}");
        assert_eq!(gate("classes.a=b!.f1>=0.5").metric, "classes.a=b!.f1");
    }

    #[test]
    fn a_rate_threshold_outside_0_to_1_is_refused_with_the_likely_meaning() {
        assert_eq!(
            parse_error("macro_f1>=75"),
            "gate macro_f1>=75: macro_f1 is a rate between 0 and 1, so a threshold of 75 always passes or never does; for 75%, write macro_f1>=0.75"
        );
        assert!(parse_error("classes.FG_MAKE.recall.low>=1.5").contains("is a rate"));
        assert!(parse_error("paths./priority.accuracy<-0.1").contains("is a rate"));
        assert!(parse_error("coverage>=99").contains("write coverage>=0.99"));
        // Not rates: seconds and counts may exceed 1.
        for fine in [
            "timestamp_mae<=2",
            "timestamps.p90_abs<=1.5",
            "classes.FG_MAKE.support>=20",
            "missing_predictions<=10",
            "macro_f1>=1",
            "macro_f1>0",
        ] {
            assert!(fine.parse::<Gate>().is_ok(), "{fine}");
        }
    }

    #[test]
    fn gates_the_spec_can_never_produce_are_usage_errors() {
        let spec = crate::spec::parse(
            std::path::Path::new("eval.toml"),
            "label = \"/intent\"\n[paths.\"/priority\"]\ncompare = \"exact\"\n",
        )
        .unwrap();
        let refused = |metric: &str| check_producible(&spec, [metric]).unwrap_err().to_string();
        assert_eq!(
            refused("event_f1"),
            "gate on `event_f1`: this spec never produces it (`event_f1` needs [events] in the spec); remove the gate or gate on a metric the spec scores"
        );
        assert!(refused("event_f1.low").contains("needs [events]"));
        assert!(refused("schema_valid").contains("needs schema = \"FILE\""));
        assert!(refused("player_id_accuracy").contains("compare = \"player_id\""));
        assert!(refused("positive_f1").contains("positive = \"LABEL\""));
        assert!(refused("timestamps.p90_abs").contains("the spec has no [events]"));
        assert!(refused("paths./prio.accuracy").contains("(it has /priority)"));
        assert!(refused("lists.entities.f1").contains("no [lists.entities]"));
        for fine in [
            "macro_f1",
            "label_accuracy",
            "exact_match",
            "coverage",
            "paths./priority.accuracy",
            "classes.refund.recall",
            "json_valid.low",
        ] {
            assert!(check_producible(&spec, [fine]).is_ok(), "{fine}");
        }
        let none = crate::spec::parse(std::path::Path::new("eval.toml"), "").unwrap();
        assert!(
            check_producible(&none, ["classes.a.f1"])
                .unwrap_err()
                .to_string()
                .contains("per-class metrics need [events] or label")
        );
        assert!(check_producible(&none, ["exact_match", "anls_star"]).is_ok());
    }

    #[test]
    fn a_class_neither_declared_nor_seen_names_the_classes_there_are() {
        let err = evaluate(&report(), &[], &[gate("classes.LAYUP.recall>=0.8")], None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "gate on `classes.LAYUP.recall`: class `LAYUP` is neither declared in labels nor seen in this run, so the spec never produces it (classes: FG_MAKE, BLOCK.X)"
        );
    }

    #[test]
    fn thresholds_are_inclusive_or_strict_as_written() {
        let r = eval(&[
            "event_f1>=0.8",
            "event_f1>0.8",
            "timestamp_mae<=0.4",
            "timestamp_mae<0.4",
        ]);
        let passed: Vec<bool> = r.iter().map(|g| g.passed).collect();
        assert_eq!(passed, [true, false, true, false]);
        assert_eq!(r[0].value, Some(0.8));
        assert_eq!(r[0].source, "cli");
    }

    #[test]
    fn paths_reach_classes_sections_and_fields() {
        let r = eval(&[
            "classes.FG_MAKE.recall>=0.7",
            "timestamps.p90_abs<=1",
            "fields.player_a.accuracy>=0.9",
            "classes.BLOCK.X.f1>=0.5",
        ]);
        assert!(r.iter().all(|g| g.passed));
        assert_eq!(r[0].note, None);
        assert!(
            r[3].note
                .as_deref()
                .unwrap()
                .contains("only 3 expected in this class")
        );
    }

    #[test]
    fn interval_ends_are_gateable() {
        let mut r = report();
        r["intervals"] = json!({
            "summary": {"event_f1": {"value": 0.8, "low": 0.75, "high": 0.85}},
            "classes": {"FG_MAKE": {"recall": {"value": 0.75, "low": 0.6, "high": null}}}
        });
        let gates: Vec<Gate> = [
            "event_f1.low>=0.7",
            "event_f1.high<0.8",
            "classes.FG_MAKE.recall.low>=0.7",
            "classes.FG_MAKE.recall.high>=0",
        ]
        .iter()
        .map(|g| gate(g))
        .collect();
        let results = evaluate(&r, &[], &gates, None).unwrap();
        let summary: Vec<(Option<f64>, bool)> =
            results.iter().map(|g| (g.value, g.passed)).collect();
        assert_eq!(
            summary,
            [
                (Some(0.75), true),
                (Some(0.85), false),
                (Some(0.6), false),
                (None, false)
            ]
        );
        assert!(
            evaluate(&report(), &[], &[gate("event_f1.low>=0.7")], None).is_err(),
            "no intervals, no such metric"
        );
    }

    #[test]
    fn gates_on_schema_valid_are_settled_by_the_outputs_the_check_could_not_decide() {
        // 80 valid of 100 outputs, 10 undecided: schema_valid 80/90 = 0.889, between 0.80
        // (all 10 invalid) and 0.90 (all valid).
        let gates: Vec<Gate> = [
            "schema_valid>=0.75",
            "schema_valid>=0.85",
            "schema_valid>=0.95",
            "schema_valid.low>=0.5",
            "json_valid>=0.5",
        ]
        .iter()
        .map(|g| gate(g))
        .collect();
        let report = json!({
            "summary": {"json_valid": 1.0, "schema_valid": 80.0 / 90.0},
            "intervals": {"summary": {"schema_valid": {"low": 0.8, "high": 0.95}}}
        });
        let mut results = evaluate(&report, &[], &gates, None).unwrap();
        let before: Vec<bool> = results.iter().map(|g| g.passed).collect();
        assert_eq!(before, [true, true, false, true, true]);
        let undecided = UndecidedSchema {
            outputs: 10,
            bounds: Some((0.80, 0.90)),
        };
        settle_undecided_schema(&mut results, undecided);
        let after: Vec<(bool, Option<&str>)> = results
            .iter()
            .map(|g| (g.passed, g.note.as_deref()))
            .collect();
        let why = "10 output(s) could not be checked against the schema (a pattern hit the regex engine's backtracking limit)";
        assert_eq!(
            after,
            [
                (
                    true,
                    Some(&*format!(
                        "{why}; the gate holds whichever way they went (schema_valid 0.8000 if all were invalid, 0.9000 if all were valid)"
                    ))
                ),
                (
                    false,
                    Some(&*format!(
                        "undecided: {why}, and schema_valid is 0.8000 if all were invalid, 0.9000 if all were valid, on both sides of the threshold: the gate cannot pass"
                    ))
                ),
                (
                    false,
                    Some(&*format!(
                        "{why}; the gate fails whichever way they went (schema_valid 0.8000 if all were invalid, 0.9000 if all were valid)"
                    ))
                ),
                (
                    false,
                    Some(&*format!(
                        "undecided: {why}, which no bound settles for this gate: it cannot pass"
                    ))
                ),
                (true, None),
            ]
        );
        // Nothing undecided: nothing changes.
        let mut untouched = evaluate(&report, &[], &gates, None).unwrap();
        settle_undecided_schema(
            &mut untouched,
            UndecidedSchema {
                outputs: 0,
                bounds: None,
            },
        );
        assert_eq!(untouched, evaluate(&report, &[], &gates, None).unwrap());
    }

    #[test]
    fn a_null_metric_fails_with_a_reason() {
        let r = eval(&["label_accuracy>=0.5"]);
        assert!(!r[0].passed);
        assert!(r[0].note.as_deref().unwrap().contains("undefined"));
    }

    #[test]
    fn unknown_paths_suggest_a_known_one() {
        let err = evaluate(&report(), &[], &[gate("event_f>=0.8")], None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown metric `event_f`"), "{err}");
        assert!(err.ends_with("did you mean `event_f1`?"), "{err}");
    }

    #[test]
    fn the_command_line_replaces_a_spec_gate_on_the_same_metric() {
        let spec = [
            GateSpec {
                metric: "event_f1".into(),
                op: GateOp::Ge,
                threshold: 0.9,
            },
            GateSpec {
                metric: "macro_f1".into(),
                op: GateOp::Ge,
                threshold: 0.5,
            },
        ];
        let r = evaluate(&report(), &spec, &[gate("event_f1>=0.5")], None).unwrap();
        let summary: Vec<(&str, f64, &str, bool)> = r
            .iter()
            .map(|g| (g.metric.as_str(), g.threshold, g.source, g.passed))
            .collect();
        assert_eq!(
            summary,
            [
                ("macro_f1", 0.5, "spec", true),
                ("event_f1", 0.5, "cli", true)
            ]
        );
    }

    #[test]
    fn baseline_fails_a_drop_larger_than_allowed() {
        let old = json!({"summary": {"event_f1": 0.82, "macro_f1": 0.75, "json_valid": 0.99, "label_accuracy": null}});
        let (max_drop, overrides) =
            parse_max_drops(&["0.01".into(), "macro_f1=0.1".into()]).unwrap();
        let baseline = Baseline {
            file: "old.json".into(),
            report: old,
            max_drop,
            overrides,
            run: None,
        };
        let r = evaluate(&report(), &[], &[], Some(&baseline)).unwrap();
        let summary: Vec<(&str, f64, bool)> = r
            .iter()
            .map(|g| (g.metric.as_str(), g.threshold, g.passed))
            .collect();
        // event_f1 dropped 0.02 > 0.01; macro_f1 dropped 0.05 <= 0.1; json_valid dropped 0.
        assert_eq!(
            summary,
            [
                ("json_valid", 0.98, true),
                ("event_f1", 0.81, false),
                ("macro_f1", 0.65, true)
            ]
        );
        assert_eq!(r[1].baseline, Some(0.82));
        let exact = Baseline {
            file: "b".into(),
            report: json!({"summary": {"event_f1": 0.81}}),
            max_drop: 0.01,
            overrides: BTreeMap::new(),
            run: None,
        };
        assert!(
            evaluate(&report(), &[], &[], Some(&exact)).unwrap()[0].passed,
            "a drop of exactly max-drop passes"
        );
        assert!(parse_max_drops(&["-1".into()]).is_err());
        let bad = Baseline {
            file: "b".into(),
            report: json!({}),
            max_drop: 0.01,
            overrides: BTreeMap::from([("timestamp_mae".into(), 0.1)]),
            run: None,
        };
        assert!(evaluate(&report(), &[], &[], Some(&bad)).is_err());
    }
}
