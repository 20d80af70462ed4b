//! The report value: `Report` mirrors `report.json` key for key, and its field order is the
//! file's key order. Every renderer reads this and nothing else.

use std::collections::BTreeMap;

use serde::Serialize;

use verdict_core::counts::{
    ReasoningCounts, RepairCounts, SchemaCounts, Tool, Validity, WorstExample,
};
use verdict_core::gate::GateResult;
use verdict_core::joining::JoinedBy;
use verdict_core::metrics::{ClassRow, Confusion, EventCounts, FieldRow, Sweep, Timestamps};
use verdict_core::resample::Interval;
use verdict_core::schema::ErrorRow;
use verdict_core::summary::Averages;

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The program that wrote the report.
    pub tool: Tool,
    /// What was scored.
    pub run: Run,
    /// The headline numbers.
    pub summary: Summary,
    /// How many outputs fell in each validity tier (they add up to `summary.examples`).
    pub validity: Validity,
    /// How many repaired outputs needed each repair (one output may need several).
    pub repairs: RepairCounts,
    /// Outputs by the provider's finish reason (`unspecified` where the line gave none);
    /// missing outputs are not counted.
    pub finish_reasons: BTreeMap<String, usize>,
    /// How many answers came with reasoning, removed before they were classified.
    pub reasoning: ReasoningCounts,
    /// How many outputs were checked against the schema, and how many passed.
    pub schema: SchemaCounts,
    /// Schema violations folded by path pattern and keyword, most frequent first.
    pub schema_errors: Vec<ErrorRow>,
    /// Per-class counts and rates: the spec's declared `labels` in their order, or every
    /// label seen, sorted; empty when the spec has neither `[events]` nor `label`.
    pub classes: Vec<ClassRow>,
    /// The micro, macro and weighted averages of the class rows (`classification_report`'s
    /// last rows); `null` without classes.
    pub averages: Option<Averages>,
    /// Predictions per label outside the spec's declared `labels`; `null` when it declares
    /// none.
    pub out_of_set: Option<BTreeMap<String, usize>>,
    /// The confusion matrix over the same labels, `(other)` when there are out-of-set
    /// predictions, and `∅`.
    pub confusion: Option<Confusion>,
    /// Label occurrences (expected and predicted) longer than
    /// [`MAX_LABEL_BYTES`](verdict_core::bounded::MAX_LABEL_BYTES), shown and counted cut
    /// ([`verdict_core::bounded::label`]).
    pub labels_cut: usize,
    /// What the event matcher worked with (`[events]` only).
    pub events: Option<EventCounts>,
    /// Timestamp error statistics over all pairs (`[events]` only).
    pub timestamps: Option<Timestamps>,
    /// Field accuracy per `[fields.NAME]`.
    pub fields: BTreeMap<String, FieldRow>,
    /// Micro F1 at a grid of tolerances (`[events]` only).
    pub tolerance_sweep: Option<Sweep>,
    /// A systematic clock offset, and F1 once it is removed (`[events]` only).
    pub timing_bias: Option<TimingBias>,
    /// The examples with the most event errors, expected and predicted side by side.
    pub worst_examples: Vec<WorstExample>,
    /// The distribution of per-example ANLS* scores.
    pub anls: verdict_core::metrics::AnlsStats,
    /// Object mode: accuracy and presence per `[paths]` pattern.
    pub paths: BTreeMap<String, verdict_core::objects::PathRow>,
    /// Element-level precision / recall / F1 per `[lists]` list.
    pub lists: BTreeMap<String, verdict_core::objects::ListRow>,
    /// How often each spec value naming a pointer or a member occurs in the expected outputs,
    /// and the declared labels none has.
    pub spec_coverage: verdict_core::coverage::SpecCoverage,
    /// Bootstrap confidence intervals of the summary rates and per-class P/R/F1; `null` when
    /// turned off.
    pub intervals: Option<Intervals>,
    /// The baseline compared with (`--baseline`), and how each headline metric moved.
    pub baseline: Option<BaselineDeltas>,
    /// Every gate and its result.
    pub gates: Vec<GateResult>,
    /// Whether every gate passed (true when there are none). The exit code is 1 iff false.
    pub passed: bool,
}

/// `intervals` in report.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Intervals {
    /// Always `percentile bootstrap`.
    pub method: &'static str,
    /// Confidence level.
    pub confidence: f64,
    /// Bootstrap replicates.
    pub replicates: usize,
    /// Seed of the resampling.
    pub seed: u64,
    /// `--cluster-by`, when clusters rather than examples were resampled.
    pub cluster_by: Option<String>,
    /// How many units (examples, or clusters) the intervals rest on.
    pub units: usize,
    /// Per summary metric.
    pub summary: BTreeMap<String, Interval>,
    /// Per class label, per `precision` / `recall` / `f1`.
    pub classes: BTreeMap<String, BTreeMap<String, Interval>>,
}

impl Intervals {
    /// Sorts intervals keyed by report path into the summary and per-class maps.
    pub fn new(
        all: BTreeMap<String, Interval>,
        replicates: usize,
        seed: u64,
        cluster_by: Option<String>,
        units: usize,
    ) -> Self {
        let mut summary = BTreeMap::new();
        let mut classes: BTreeMap<String, BTreeMap<String, Interval>> = BTreeMap::new();
        for (path, interval) in all {
            match path
                .strip_prefix("classes.")
                .and_then(|rest| rest.rsplit_once('.'))
            {
                Some((label, metric)) => {
                    classes
                        .entry(label.to_owned())
                        .or_default()
                        .insert(metric.to_owned(), interval);
                }
                None => {
                    summary.insert(path, interval);
                }
            }
        }
        Intervals {
            method: "percentile bootstrap",
            confidence: verdict_core::resample::CONFIDENCE,
            replicates,
            seed,
            cluster_by,
            units,
            summary,
            classes,
        }
    }
}

/// `baseline` in report.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineDeltas {
    /// The baseline report, as given.
    pub file: String,
    /// Per summary metric present in both: baseline, current and current − baseline.
    pub deltas: BTreeMap<String, Delta>,
}

/// How one metric moved from the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Delta {
    /// The baseline's value.
    pub baseline: f64,
    /// This run's value.
    pub current: f64,
    /// current − baseline.
    pub delta: f64,
}

/// `timing_bias` in report.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimingBias {
    /// Median of t_pred − t_exp over the same-label pairs found at the widest tolerance (the
    /// larger of the sweep's largest and `[events] tolerance`), seconds; positive when
    /// predictions are late. Pairs at the widest tolerance are used so that a shift larger
    /// than the tolerance, which leaves no pairs at the tolerance itself, is still seen.
    pub median_offset: Option<f64>,
    /// Micro F1 as scored.
    pub f1: Option<f64>,
    /// Micro F1 after subtracting `median_offset` from every predicted time and matching again.
    pub f1_after_removing: Option<f64>,
}

/// `run` in report.json: the inputs, as the user named them.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The dataset's name (the spec's `name`, else its directory's name).
    pub name: String,
    /// The spec file.
    pub spec: String,
    /// The expected file.
    pub expected: String,
    /// SHA-256 of the expected file's bytes (lowercase hex, as `sha256sum` prints it), so that
    /// `verdict compare` can tell runs scored against different expected files apart.
    pub expected_sha256: Option<String>,
    /// The prediction paths (files, directories or globs) as given.
    pub predictions: Vec<String>,
    /// How predictions were joined to examples.
    pub joined_by: JoinedBy,
    /// Whether repaired outputs were scored (`--repair`).
    pub repair: bool,
    /// The spec's `[events]` settings the events were scored with (tolerance included).
    pub events: Option<verdict_core::spec::EventsSpec>,
    /// Which examples the per-example file keeps, and which file it is; left out when it is
    /// every example in `examples.jsonl`.
    #[serde(skip_serializing_if = "crate::examples::ExamplesOutput::is_default")]
    pub examples: crate::examples::ExamplesOutput,
}

/// `summary` in report.json: the example counts, then every headline metric of
/// [`SUMMARY_METRICS`](verdict_core::summary::SUMMARY_METRICS) in the table's order (`null`
/// where the task does not have it or its denominator is zero). Each metric's definition is in
/// docs/metrics.md.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Expected examples (N, the denominator of every validity rate).
    pub examples: usize,
    /// Examples no prediction line answered.
    pub missing_predictions: usize,
    /// Prediction lines that answer no example (not scored).
    pub orphan_predictions: usize,
    /// Examples whose request failed or was blocked.
    pub failed_requests: usize,
    /// The headline metrics, by name, in table order.
    pub metrics: Vec<(&'static str, Option<f64>)>,
}

impl Summary {
    /// The notice a report shows first when many examples have no prediction
    /// ([`verdict_core::summary::missing_notice`]).
    pub fn missing_notice(&self) -> Option<String> {
        verdict_core::summary::missing_notice(
            self.examples,
            self.missing_predictions,
            self.orphan_predictions,
        )
    }

    /// The value of headline metric `name`; `None` when it is `null` or not a headline metric.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| *v)
    }
}

impl Serialize for Summary {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(4 + self.metrics.len()))?;
        map.serialize_entry("examples", &self.examples)?;
        map.serialize_entry("missing_predictions", &self.missing_predictions)?;
        map.serialize_entry("orphan_predictions", &self.orphan_predictions)?;
        map.serialize_entry("failed_requests", &self.failed_requests)?;
        for (name, value) in &self.metrics {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl Report {
    /// The report as pretty-printed JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a Report always serializes");
        text.push('\n');
        text
    }
}

impl Report {
    /// The interval of a summary metric, if intervals were computed and it has both ends.
    pub fn interval(&self, metric: &str) -> Option<(f64, f64)> {
        let i = self.intervals.as_ref()?.summary.get(metric)?;
        Some((i.low?, i.high?))
    }

    /// The interval of a class's `precision`, `recall` or `f1`.
    pub fn class_interval(&self, label: &str, metric: &str) -> Option<(f64, f64)> {
        let i = self.intervals.as_ref()?.classes.get(label)?.get(metric)?;
        Some((i.low?, i.high?))
    }
}

/// One of the rows that end the per-class table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AverageRow {
    /// `micro avg`, `macro avg`, `weighted avg` or `accuracy`.
    pub name: &'static str,
    /// The support it rests on (examples, for accuracy).
    pub support: usize,
    /// Precision; `None` for accuracy, which has only the F1 column (as in
    /// `classification_report`).
    pub precision: Option<f64>,
    /// Recall; `None` for accuracy.
    pub recall: Option<f64>,
    /// F1, or the accuracy.
    pub f1: Option<f64>,
    /// The row is accuracy: a single figure.
    pub accuracy_only: bool,
}

impl Report {
    /// The micro, macro and weighted average rows, then accuracy for a single-label task.
    pub fn average_rows(&self) -> Vec<AverageRow> {
        let Some(a) = &self.averages else {
            return Vec::new();
        };
        let row = |name, avg: &verdict_core::summary::Average| AverageRow {
            name,
            support: usize::try_from(avg.support).unwrap_or_default(),
            precision: avg.precision,
            recall: avg.recall,
            f1: avg.f1,
            accuracy_only: false,
        };
        let mut rows = vec![
            row("micro avg", &a.micro),
            row("macro avg", &a.macro_),
            row("weighted avg", &a.weighted),
        ];
        if self.run.events.is_none() {
            rows.push(AverageRow {
                name: "accuracy",
                support: self.summary.examples,
                precision: None,
                recall: None,
                f1: self.summary.get("label_accuracy"),
                accuracy_only: true,
            });
        }
        rows
    }

    /// What the per-class table leaves out or counts in: the predicted labels outside a
    /// declared set, or, with none declared, the labels only ever predicted (each a class of
    /// its own in the averages) with the advice to declare `labels`.
    pub fn label_set_note(&self) -> Option<String> {
        self.label_set_note_quoting(&str::to_owned)
    }

    /// [`Report::label_set_note`] with each label written by `label`, for a format that
    /// must escape what came from the data but not its own markup.
    pub fn label_set_note_quoting(&self, label: &dyn Fn(&str) -> String) -> Option<String> {
        let listed = |labels: Vec<String>| labels.join(", ");
        match &self.out_of_set {
            Some(outside) if !outside.is_empty() => Some(format!(
                "out-of-set predictions (labels not in the spec's `labels`): {}; they are false positives of the micro average and fill the `{}` column of the confusion matrix, but no class of the macro or weighted averages",
                listed(
                    outside
                        .iter()
                        .map(|(l, n)| format!("{} {n}", label(l)))
                        .collect()
                ),
                verdict_core::metrics::OTHER_LABEL,
            )),
            Some(_) => None,
            None => {
                let only_predicted: Vec<String> = self
                    .classes
                    .iter()
                    .filter(|c| c.support == 0 && c.predicted > 0)
                    .map(|c| format!("{} {}", label(&c.label), c.predicted))
                    .collect();
                (!only_predicted.is_empty()).then(|| {
                    format!(
                        "labels only ever predicted, never expected: {}; each counts as a class (F1 0) in the macro and weighted averages. Declare the task's label set with `labels = [...]` in the spec to report them as out-of-set instead",
                        listed(only_predicted)
                    )
                })
            }
        }
    }
}
