//! The `score` pipeline: load → join → score every example → aggregate → report.
//!
//! This is the only module that runs work in parallel. Examples are scored independently on a
//! local rayon pool and collected in input order; everything is then aggregated sequentially,
//! so the report is the same for any thread count.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use indicatif::{ParallelProgressIterator, ProgressBar};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::events::extract;
use crate::gate::{BASELINE_METRICS, Baseline, Gate, evaluate, paired_baseline_gates};
use crate::input::join::{Case, JoinMode, Joined, join};
use crate::input::read::{expand_paths, read_jsonl};
use crate::input::{Example, Output, Prediction, expected, predicted};
use crate::metrics::{Totals, anls_stats, class_metrics, event_metrics};
use crate::outcome::{EventOutcome, LabelOutcome, label_at, score_events, seconds_to_us};
use crate::repair::Repairs;
use crate::report::{
    AlignedRow, BaselineDeltas, Delta, Intervals, RepairCounts, Report, Run, SchemaCounts, Summary,
    TimingBias, Tool, Validity, WorstExample,
};
use crate::resample::{
    ClusterBy, DEFAULT_MAX_EXAMPLES, DEFAULT_REPLICATES, Layout, NamedCounts, Units, bootstrap,
    player_fields,
};
use crate::schema::{ErrorTable, Schema, Violation};
use crate::spec::{FieldSpec, Spec};
use crate::validity::{Tier, classify};

/// What `verdict score` was asked to do, free of any command-line types.
#[derive(Debug, Clone)]
pub struct ScoreRequest {
    /// The spec file (`eval.toml`).
    pub spec: PathBuf,
    /// The expected file.
    pub expected: PathBuf,
    /// Prediction files, directories or glob patterns.
    pub predictions: Vec<PathBuf>,
    /// How to join predictions to examples.
    pub join: JoinMode,
    /// Score repaired outputs too.
    pub repair: bool,
    /// Worker threads; `None` uses one per core.
    pub threads: Option<usize>,
    /// Gates from the command line (they replace spec gates on the same metric).
    pub gates: Vec<Gate>,
    /// An earlier report.json not to regress from.
    pub baseline: Option<PathBuf>,
    /// Allowed drop from the baseline when a metric has no override.
    pub max_drop: f64,
    /// Per-metric allowed drops.
    pub max_drop_overrides: BTreeMap<String, f64>,
    /// Bootstrap replicates for the intervals: `None` for the default (1000, skipped above
    /// 200,000 examples), `Some(0)` for none.
    pub bootstrap: Option<usize>,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Resample clusters of examples instead of single examples.
    pub cluster_by: Option<ClusterBy>,
}

/// How many of the worst examples the report shows side by side.
pub const WORST_EXAMPLES: usize = 10;

/// The loaded inputs of a run.
#[derive(Debug)]
pub struct Loaded {
    /// The spec.
    pub spec: Spec,
    /// The compiled output schema, if the spec names one.
    pub schema: Option<Schema>,
    /// Examples joined to their predictions.
    pub joined: Joined,
    /// The baseline, when one was given.
    pub baseline: Option<Baseline>,
    /// Each example's cluster, in expected-file order, when `--cluster-by` was given.
    pub clusters: Vec<Option<String>>,
}

/// The result of scoring one example.
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleScore {
    /// Validity tier of the output.
    pub tier: Tier,
    /// Repairs the output needed.
    pub repairs: Repairs,
    /// Whether a prediction line answered the example.
    pub has_prediction: bool,
    /// The provider's finish reason, if a prediction gave one.
    pub finish_reason: Option<String>,
    /// Schema violations of the scored output; `None` when there was no schema or no parsed
    /// output to check.
    pub violations: Option<Vec<Violation>>,
    /// The event outcome, when the spec has `[events]`.
    pub events: Option<EventOutcome>,
    /// The label outcome, when the spec has `label`.
    pub label: Option<LabelOutcome>,
    /// ANLS* of the scored output (null when it was not parsed) against the expected output;
    /// `None` when the pair is too large to score (see [`crate::anls::MAX_LEAVES`]).
    pub anls: Option<f64>,
    /// The typed ANLS* variant and its leaf scores by pattern.
    pub anls_typed: Option<(f64, crate::anls::LeafScores)>,
    /// Per `[paths]` pattern (spec name order): the comparisons.
    pub paths: Vec<crate::objects::PathCounts>,
    /// Per `[lists]` list (spec name order): the alignment.
    pub lists: Vec<crate::objects::ListCounts>,
}

impl ExampleScore {
    /// Whether the output counts as valid JSON for exact match (strict or extracted).
    pub fn valid_json(&self) -> bool {
        matches!(self.tier, Tier::Strict | Tier::Extracted)
    }
}

/// Everything per-example scoring needs, borrowed from the loaded inputs.
pub struct Scorer<'a> {
    schema: Option<&'a Schema>,
    spec: &'a Spec,
    fields: Vec<(&'a String, &'a FieldSpec)>,
    sweep_us: Vec<i64>,
    use_repaired: bool,
}

impl<'a> Scorer<'a> {
    /// A scorer for `spec` and `schema`.
    pub fn new(spec: &'a Spec, schema: Option<&'a Schema>, use_repaired: bool) -> Self {
        let sweep_us = spec
            .events
            .as_ref()
            .map(|e| e.sweep.iter().map(|&t| seconds_to_us(t)).collect())
            .unwrap_or_default();
        Scorer {
            schema,
            spec,
            fields: spec.fields.iter().collect(),
            sweep_us,
            use_repaired,
        }
    }

    /// Scores one example. Pure: the same case always gives the same score.
    pub fn score(&self, case: &Case) -> ExampleScore {
        let output = case.prediction.as_ref().map(|p| &p.output);
        let parsed = classify(output);
        let value = parsed.scored_value(self.use_repaired);
        let violations = self
            .schema
            .zip(value)
            .map(|(schema, value)| schema.check(value));
        let events = self.spec.events.as_ref().map(|spec| {
            score_events(
                &case.example.expected,
                value,
                spec,
                &self.fields,
                &self.sweep_us,
                0,
            )
        });
        let label = self.spec.label.as_deref().map(|pointer| LabelOutcome {
            expected: label_at(Some(&case.example.expected), pointer),
            predicted: label_at(value, pointer),
        });
        let (anls, anls_typed) = crate::anls::anls_scores(
            &case.example.expected,
            value.unwrap_or(&serde_json::Value::Null),
            &|pattern| self.typed_leaf(pattern),
        );
        ExampleScore {
            tier: parsed.tier,
            repairs: parsed.repairs,
            has_prediction: case.prediction.is_some(),
            finish_reason: case
                .prediction
                .as_ref()
                .and_then(|p| p.finish_reason.clone()),
            violations,
            events,
            label,
            anls,
            anls_typed,
            paths: self
                .spec
                .paths
                .iter()
                .map(|(pattern, field)| {
                    crate::objects::compare_path(pattern, field, &case.example.expected, value)
                })
                .collect(),
            lists: self
                .spec
                .lists
                .values()
                .map(|list| crate::objects::align_list(list, &case.example.expected, value))
                .collect(),
        }
    }

    /// How the typed ANLS* compares two leaves at `pattern`: with the spec's comparator where
    /// one applies (a `[paths]` pattern; an event's time within the tolerance, its label
    /// exactly, its `[fields]` by their comparators), else by ANLS* text similarity.
    fn typed_leaf(&self, pattern: &str) -> crate::anls::LeafRule<'_> {
        use crate::anls::LeafRule;
        if let Some(field) = self.spec.paths.get(pattern) {
            return LeafRule::Field(field);
        }
        if let Some(events) = &self.spec.events
            && let Some(key) = pattern.strip_prefix(&format!("{}/*/", events.pointer))
        {
            if key == events.time {
                return LeafRule::Time {
                    tolerance_us: seconds_to_us(events.tolerance),
                };
            }
            if key == events.label {
                return LeafRule::Equal;
            }
            if let Some((_, field)) = self.fields.iter().find(|(name, _)| name.as_str() == key) {
                return LeafRule::Field(field);
            }
        }
        LeafRule::Similarity
    }

    /// Same-label pairs of one example after shifting every predicted time by `shift_us`.
    fn tp_after_shift(&self, case: &Case, shift_us: i64) -> usize {
        let Some(spec) = &self.spec.events else {
            return 0;
        };
        let parsed = classify(case.prediction.as_ref().map(|p| &p.output));
        score_events(
            &case.example.expected,
            parsed.scored_value(self.use_repaired),
            spec,
            &[],
            &[],
            shift_us,
        )
        .tp()
    }
}

/// The outcome of a run: the report, the per-example scores and the warnings worth telling
/// the user.
#[derive(Debug)]
pub struct Scored {
    /// The report.
    pub report: Report,
    /// The loaded inputs, for per-example diagnostics.
    pub loaded: Loaded,
    /// One score per example, in expected-file order.
    pub scores: Vec<ExampleScore>,
    /// Non-fatal problems (orphans, ignored settings), one sentence each.
    pub warnings: Vec<String>,
}

/// Reads the spec, the schema, the expected file and the predictions, and joins them.
pub fn load(request: &ScoreRequest) -> Result<Loaded> {
    let spec = crate::spec::load(&request.spec)?;
    let schema = spec.schema.as_deref().map(Schema::load).transpose()?;

    let mut examples: Vec<Example> = Vec::new();
    let mut clusters: Vec<Option<String>> = Vec::new();
    read_jsonl(&request.expected, |location, value| {
        let from_line = match &request.cluster_by {
            Some(by) if !by.uses_id() => Some(by.cluster(Some(&value), None)),
            _ => None,
        };
        let example = expected::detect(location, value)?;
        let cluster = match (&request.cluster_by, from_line) {
            (_, Some(result)) => Some(result),
            (Some(by), None) => {
                let id = example
                    .keys
                    .explicit
                    .as_deref()
                    .or(example.keys.content.as_deref());
                Some(by.cluster(None, id))
            }
            (None, None) => None,
        };
        let cluster = cluster.transpose().map_err(|why| {
            Error::line(
                example.location.clone(),
                format!(
                    "--cluster-by {}: {why}",
                    request.cluster_by.as_ref().map_or("", |c| c.text.as_str())
                ),
            )
        })?;
        clusters.push(cluster);
        examples.push(example);
        Ok(())
    })?;
    if examples.is_empty() {
        return Err(Error::Path {
            path: request.expected.clone(),
            message: "no examples: the file is empty (expected one JSON object per line)".into(),
        });
    }

    let mut predictions: Vec<Prediction> = Vec::new();
    for file in expand_paths(&request.predictions)? {
        read_jsonl(&file, |location, value| {
            predictions.push(predicted::detect(location, value)?);
            Ok(())
        })?;
    }
    if predictions.is_empty() {
        let path = request.predictions.first().cloned().unwrap_or_default();
        return Err(Error::Path {
            path,
            message:
                "no predictions: the prediction files are empty (expected one JSON object per line)"
                    .into(),
        });
    }

    let joined = join(examples, predictions, request.join)?;
    let baseline = request
        .baseline
        .as_deref()
        .map(|path| load_baseline(path, request))
        .transpose()?;
    Ok(Loaded {
        spec,
        schema,
        joined,
        baseline,
        clusters,
    })
}

fn load_baseline(path: &Path, request: &ScoreRequest) -> Result<Baseline> {
    if path.is_dir() {
        let run = crate::compare::load_run(path)?;
        return Ok(Baseline {
            file: display(path),
            report: run.report.clone(),
            max_drop: request.max_drop,
            overrides: request.max_drop_overrides.clone(),
            run: Some(run),
        });
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read baseline", e))?;
    let report: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Path {
        path: path.to_path_buf(),
        message: format!(
            "baseline is not valid JSON ({e}): expected a report.json written by verdict score"
        ),
    })?;
    if !report
        .get("summary")
        .is_some_and(serde_json::Value::is_object)
    {
        return Err(Error::Path {
            path: path.to_path_buf(),
            message: "baseline has no \"summary\": expected a report.json written by verdict score"
                .into(),
        });
    }
    Ok(Baseline {
        file: display(path),
        report,
        max_drop: request.max_drop,
        overrides: request.max_drop_overrides.clone(),
        run: None,
    })
}

fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        pool = pool.num_threads(n);
    }
    pool.build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))
}

/// Aggregates per-example scores into the report. Sequential and in example order, apart
/// from the timing-bias re-match, whose integer results are summed in order too.
pub fn build_report(
    request: &ScoreRequest,
    loaded: &Loaded,
    scores: &[ExampleScore],
    pool: &rayon::ThreadPool,
) -> Report {
    let mut validity = Validity::default();
    let mut repairs = RepairCounts::default();
    let mut finish_reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut schema_table = ErrorTable::default();
    let mut schema = SchemaCounts {
        file: loaded.spec.schema.as_deref().map(display),
        ..SchemaCounts::default()
    };
    let mut totals = Totals::default();
    for score in scores {
        validity.add(score.tier);
        repairs.add(score.repairs);
        if score.has_prediction {
            let reason = score
                .finish_reason
                .clone()
                .unwrap_or_else(|| "unspecified".into());
            *finish_reasons.entry(reason).or_default() += 1;
        }
        if let Some(violations) = &score.violations {
            schema_table.add_output(violations);
            schema.checked += 1;
            schema.valid += usize::from(violations.is_empty());
        }
        if let Some(events) = &score.events {
            totals.add_events(events, score.valid_json());
        }
        if let Some(label) = &score.label {
            totals.add_label(label, score.valid_json());
        }
    }

    let mut anls = anls_stats(&scores.iter().map(|s| s.anls).collect::<Vec<_>>());
    crate::metrics::add_typed(
        &mut anls,
        &scores
            .iter()
            .map(|s| s.anls_typed.as_ref())
            .collect::<Vec<_>>(),
    );
    let mut path_totals = vec![crate::objects::PathCounts::default(); loaded.spec.paths.len()];
    let mut list_totals = vec![crate::objects::ListCounts::default(); loaded.spec.lists.len()];
    // Similarities are summed in units of 1e-12 so the total does not depend on example order.
    let mut similarity_e12 = vec![0i64; loaded.spec.lists.len()];
    for score in scores {
        for (total, counts) in path_totals.iter_mut().zip(&score.paths) {
            *total += *counts;
        }
        for ((total, e12), counts) in list_totals
            .iter_mut()
            .zip(&mut similarity_e12)
            .zip(&score.lists)
        {
            total.expected += counts.expected;
            total.predicted += counts.predicted;
            total.matched += counts.matched;
            *e12 += (counts.similarity_sum * crate::resample::ANLS_UNIT).round() as i64;
        }
    }
    for (total, e12) in list_totals.iter_mut().zip(&similarity_e12) {
        total.similarity_sum = *e12 as f64 / crate::resample::ANLS_UNIT;
    }
    let paths = loaded
        .spec
        .paths
        .iter()
        .zip(path_totals)
        .map(|((pattern, field), counts)| {
            (
                pattern.clone(),
                crate::objects::PathRow::new(field.compare, counts),
            )
        })
        .collect();
    let lists = loaded
        .spec
        .lists
        .keys()
        .zip(list_totals)
        .map(|(name, counts)| (name.clone(), crate::objects::ListRow::new(counts)))
        .collect();
    let n = scores.len();
    let ratio = |count: usize| (n > 0).then(|| count as f64 / n as f64);
    let spec = &loaded.spec;
    let scored_classes = spec.events.is_some() || spec.label.is_some();
    let classes = scored_classes.then(|| class_metrics(&totals, &spec.labels));
    let field_specs: Vec<(&String, &FieldSpec)> = spec.fields.iter().collect();
    let events = spec
        .events
        .as_ref()
        .map(|e| event_metrics(&totals, &field_specs, &e.sweep, seconds_to_us(e.tolerance)));
    let timing_bias = events.as_ref().map(|m| {
        let f1 = classes.as_ref().and_then(|c| c.micro_f1);
        let f1_after_removing = match m.median_offset_us {
            Some(0) => f1,
            Some(offset) => {
                let scorer = Scorer::new(spec, None, request.repair);
                let tps: Vec<usize> = pool.install(|| {
                    loaded
                        .joined
                        .cases
                        .par_iter()
                        .map(|case| scorer.tp_after_shift(case, -offset))
                        .collect()
                });
                let tp: usize = tps.iter().sum();
                let denominator = m.counts.predicted + m.counts.expected;
                (denominator > 0).then(|| 2.0 * tp as f64 / denominator as f64)
            }
            None => None,
        };
        TimingBias {
            median_offset: m.median_offset_us.map(|us| us as f64 / 1e6),
            f1,
            f1_after_removing,
        }
    });
    let label_accuracy = spec
        .label
        .as_ref()
        .and_then(|_| classes.as_ref().and_then(|c| c.exact_match));

    let positive = spec
        .positive
        .as_ref()
        .and_then(|label| classes.as_ref()?.classes.iter().find(|c| &c.label == label));
    let summary = Summary {
        examples: n,
        missing_predictions: scores.iter().filter(|s| !s.has_prediction).count(),
        orphan_predictions: loaded.joined.orphans.len(),
        failed_requests: validity.failed,
        json_valid_strict: ratio(validity.strict),
        json_valid: ratio(validity.strict + validity.extracted),
        json_recoverable: ratio(validity.strict + validity.extracted + validity.repaired),
        schema_valid: loaded.schema.as_ref().and_then(|_| ratio(schema.valid)),
        event_precision: events
            .as_ref()
            .and(classes.as_ref())
            .and_then(|c| c.micro_precision),
        event_recall: events
            .as_ref()
            .and(classes.as_ref())
            .and_then(|c| c.micro_recall),
        event_f1: events
            .as_ref()
            .and(classes.as_ref())
            .and_then(|c| c.micro_f1),
        macro_precision: classes.as_ref().and_then(|c| c.macro_precision),
        macro_recall: classes.as_ref().and_then(|c| c.macro_recall),
        macro_f1: classes.as_ref().and_then(|c| c.macro_f1),
        weighted_f1: classes.as_ref().and_then(|c| c.weighted_f1),
        matched_label_accuracy: events.as_ref().and_then(|m| m.matched_label_accuracy),
        timestamp_mae: events.as_ref().and_then(|m| m.timestamps.mae),
        player_id_accuracy: events.as_ref().and_then(|m| m.player_id_accuracy),
        exact_match: classes.as_ref().and_then(|c| c.exact_match),
        label_accuracy,
        anls_star: anls.mean,
        anls_star_typed: anls.typed_mean,
        positive_precision: positive.map(|c| c.precision),
        positive_recall: positive.map(|c| c.recall),
        positive_f1: positive.map(|c| c.f1),
    };
    let (classes, confusion) = match classes {
        Some(c) => (c.classes, Some(c.confusion)),
        None => (Vec::new(), None),
    };
    let (event_counts, timestamps, fields, tolerance_sweep) = match events {
        Some(m) => (Some(m.counts), Some(m.timestamps), m.fields, Some(m.sweep)),
        None => (None, None, BTreeMap::new(), None),
    };
    Report {
        tool: Tool::default(),
        run: Run {
            name: spec.name.clone(),
            spec: display(&request.spec),
            expected: display(&request.expected),
            predictions: request.predictions.iter().map(|p| display(p)).collect(),
            joined_by: loaded.joined.joined_by,
            repair: request.repair,
            events: spec.events.clone(),
        },
        summary,
        validity,
        repairs,
        finish_reasons,
        schema,
        schema_errors: schema_table.into_rows(),
        classes,
        confusion,
        events: event_counts,
        timestamps,
        fields,
        tolerance_sweep,
        timing_bias,
        worst_examples: Vec::new(),
        anls,
        paths,
        lists,
        intervals: None,
        baseline: None,
        gates: Vec::new(),
        passed: true,
    }
}

/// The examples with the most event errors (at most [`WORST_EXAMPLES`], only those with any),
/// with their events aligned side by side.
fn worst_examples(
    loaded: &Loaded,
    scores: &[ExampleScore],
    use_repaired: bool,
) -> Vec<WorstExample> {
    let Some(spec) = &loaded.spec.events else {
        return Vec::new();
    };
    let mut ranked: Vec<(usize, usize)> = scores
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.events.as_ref().map(|e| (e.fp() + e.fn_(), i)))
        .filter(|(errors, _)| *errors > 0)
        .collect();
    ranked.sort_by_key(|&(errors, index)| (std::cmp::Reverse(errors), index));
    ranked
        .into_iter()
        .take(WORST_EXAMPLES)
        .map(|(_, index)| {
            let case = &loaded.joined.cases[index];
            let score = &scores[index];
            let outcome = score.events.as_ref().expect("ranked examples have events");
            let parsed = classify(case.prediction.as_ref().map(|p| &p.output));
            let exp = extract(Some(&case.example.expected), spec);
            let pred = extract(parsed.scored_value(use_repaired), spec);
            let mut rows: Vec<(Option<i64>, AlignedRow)> = Vec::new();
            for pair in &outcome.pairs {
                let fields_right = pair
                    .fields
                    .iter()
                    .flatten()
                    .all(|o| *o == crate::fields::Outcome::Correct);
                let status = match (pair.same_label(), fields_right) {
                    (false, _) => "confused",
                    (true, false) => "field",
                    (true, true) => "match",
                };
                rows.push((
                    Some(pair.expected_time_us),
                    AlignedRow {
                        status,
                        expected: Some(exp.events[pair.expected_index].value.clone()),
                        predicted: Some(pred.events[pair.predicted_index].value.clone()),
                        dt: Some(pair.dt_us as f64 / 1e6),
                    },
                ));
            }
            for missed in &outcome.missed {
                rows.push((
                    missed.time_us,
                    AlignedRow {
                        status: "missed",
                        expected: Some(exp.events[missed.index].value.clone()),
                        predicted: None,
                        dt: None,
                    },
                ));
            }
            for spurious in &outcome.spurious {
                rows.push((
                    spurious.time_us,
                    AlignedRow {
                        status: "spurious",
                        expected: None,
                        predicted: Some(pred.events[spurious.index].value.clone()),
                        dt: None,
                    },
                ));
            }
            // Events without a time go last.
            rows.sort_by_key(|(time, _)| (time.is_none(), *time));
            let keys = &case.example.keys;
            WorstExample {
                id: keys.explicit.clone().or_else(|| keys.content.clone()),
                expected_line: crate::report::public_location(&case.example.location),
                tier: score.tier,
                tp: outcome.tp(),
                fp: outcome.fp(),
                fn_: outcome.fn_(),
                rows: rows.into_iter().map(|(_, row)| row).collect(),
            }
        })
        .collect()
}

/// The layout of the resampling counters for a finished report: its class labels.
pub fn layout(loaded: &Loaded, report: &Report) -> Layout {
    let labels = report.classes.iter().map(|c| c.label.clone()).collect();
    Layout::new(&loaded.spec, loaded.schema.is_some(), labels)
}

fn intervals(
    loaded: &Loaded,
    scores: &[ExampleScore],
    report: &Report,
    request: &ScoreRequest,
    replicates: usize,
) -> Intervals {
    let layout = layout(loaded, report);
    let players = player_fields(&loaded.spec);
    let counters: Vec<_> = scores
        .par_iter()
        .map(|s| NamedCounts::of(s, &players).counters(&layout))
        .collect();
    let units = Units::new(&counters, &loaded.clusters, &layout);
    let all = bootstrap(&units, &layout, replicates, request.seed);
    Intervals::new(
        all,
        replicates,
        request.seed,
        request.cluster_by.as_ref().map(|c| c.text.clone()),
        units.len(),
    )
}

/// This run as `verdict compare` sees a run directory: keyed as in `examples.jsonl`.
pub fn current_run(
    loaded: &Loaded,
    scores: &[ExampleScore],
    report: &serde_json::Value,
) -> crate::compare::Run {
    let players = player_fields(&loaded.spec);
    let examples = loaded
        .joined
        .cases
        .iter()
        .zip(scores)
        .enumerate()
        .map(|(i, (case, score))| {
            let keys = &case.example.keys;
            crate::compare::RunExample {
                key: keys
                    .explicit
                    .clone()
                    .or_else(|| keys.content.clone())
                    .unwrap_or_else(|| case.example.location.to_string()),
                cluster: loaded.clusters.get(i).cloned().flatten(),
                counts: NamedCounts::of(score, &players),
            }
        })
        .collect();
    crate::compare::Run {
        name: "this run".into(),
        report: report.clone(),
        examples,
    }
}

/// Evaluates the gates and the baseline on the finished report and records the results.
fn apply_gates(
    report: &mut Report,
    loaded: &Loaded,
    scores: &[ExampleScore],
    request: &ScoreRequest,
) -> Result<()> {
    let json = serde_json::to_value(&*report)
        .map_err(|e| Error::Usage(format!("cannot evaluate gates: {e}")))?;
    report.gates = evaluate(
        &json,
        &loaded.spec.gates,
        &request.gates,
        loaded.baseline.as_ref(),
    )?;
    if let Some(baseline) = &loaded.baseline
        && let Some(before) = &baseline.run
    {
        let replicates = request.bootstrap.unwrap_or(DEFAULT_REPLICATES);
        if replicates == 0 {
            return Err(Error::Usage(
                "--baseline DIR judges the change on a bootstrap interval: drop --bootstrap 0, or give the baseline's report.json"
                    .into(),
            ));
        }
        let now = current_run(loaded, scores, &json);
        let comparison = crate::compare::compare(before, &now, replicates, request.seed)?;
        report
            .gates
            .extend(paired_baseline_gates(baseline, &comparison));
    }
    report.passed = report.gates.iter().all(|g| g.passed);
    if let Some(baseline) = &loaded.baseline {
        let value = |report: &serde_json::Value, metric: &str| {
            report
                .pointer(&format!("/summary/{metric}"))
                .and_then(serde_json::Value::as_f64)
        };
        let deltas = BASELINE_METRICS
            .iter()
            .chain(&["timestamp_mae"])
            .filter_map(|metric| {
                let (before, now) = (value(&baseline.report, metric)?, value(&json, metric)?);
                Some((
                    (*metric).to_owned(),
                    Delta {
                        baseline: before,
                        current: now,
                        delta: now - before,
                    },
                ))
            })
            .collect();
        report.baseline = Some(BaselineDeltas {
            file: baseline.file.clone(),
            deltas,
        });
    }
    Ok(())
}

/// A path as reports show it: relative as given, absolute reduced to its file name, so no
/// report depends on (or reveals) where the inputs live.
fn display(path: &Path) -> String {
    crate::report::public_path(&path.display().to_string())
}

/// Runs the whole pipeline and returns the report, without writing anything.
pub fn score(request: &ScoreRequest, progress: &ProgressBar) -> Result<Scored> {
    let loaded = load(request)?;
    let pool = pool(request.threads)?;
    let scorer = Scorer::new(&loaded.spec, loaded.schema.as_ref(), request.repair);
    progress.set_length(loaded.joined.cases.len() as u64);
    let scores: Vec<ExampleScore> = pool.install(|| {
        loaded
            .joined
            .cases
            .par_iter()
            .progress_with(progress.clone())
            .map(|case| scorer.score(case))
            .collect()
    });
    progress.finish_and_clear();
    let mut report = build_report(request, &loaded, &scores, &pool);
    report.worst_examples = worst_examples(&loaded, &scores, request.repair);
    let mut warnings = warnings(&loaded);
    let replicates = request.bootstrap.unwrap_or(DEFAULT_REPLICATES);
    if request.bootstrap.is_none() && scores.len() > DEFAULT_MAX_EXAMPLES {
        warnings.push(format!(
            "no confidence intervals by default above {DEFAULT_MAX_EXAMPLES} examples (they cost time and would be narrow); pass --bootstrap N to compute them"
        ));
    } else if replicates > 0 {
        report.intervals =
            Some(pool.install(|| intervals(&loaded, &scores, &report, request, replicates)));
    }
    pool.install(|| apply_gates(&mut report, &loaded, &scores, request))?;
    Ok(Scored {
        report,
        loaded,
        scores,
        warnings,
    })
}

fn warnings(loaded: &Loaded) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(first) = loaded.joined.orphans.first() {
        warnings.push(format!(
            "{} prediction line(s) answer no expected example and were not scored (first: {})",
            loaded.joined.orphans.len(),
            first.location
        ));
    }
    let failed: Vec<_> = loaded
        .joined
        .cases
        .iter()
        .filter_map(|c| c.prediction.as_ref())
        .filter_map(|p| match &p.output {
            Output::Failed(reason) => Some((p, reason)),
            _ => None,
        })
        .collect();
    if let Some((first, reason)) = failed.first() {
        warnings.push(format!(
            "{} request(s) failed or were blocked and score as empty outputs (first: {}: {reason})",
            failed.len(),
            first.location
        ));
    }
    warnings
}
