//! Finishing a run: scored parts (one for a single run, every shard's for a merge) become the
//! report, with intervals, the baseline comparison and the gates.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;

use super::records::{ExampleLines, LineOrder, Part, read_records};
use super::request::ScoreRequest;
use verdict_core::accumulate::Accumulator;
use verdict_core::bounded::MAX_LABEL_BYTES;
use verdict_core::coverage::{Coverage, SpecCoverage, unseen_labels};
use verdict_core::error::{Error, Result};
use verdict_core::gate::{
    Baseline, UndecidedSchema, evaluate, paired_baseline_gates, settle_undecided_schema,
};
use verdict_core::metrics::{ClassMetrics, ClassRow, EventMetrics, class_metrics, event_metrics};
use verdict_core::outcome::seconds_to_us;
use verdict_core::paired::RunReplicates;
use verdict_core::resample::{DEFAULT_REPLICATES, Layout};
use verdict_core::spec::{Comparator, FieldSpec, Spec};
use verdict_core::summary::{self, SUMMARY_METRICS, Sums};
use verdict_report::{
    BaselineDeltas, Delta, Intervals, Report, Run, SchemaCounts, Summary, TimingBias, Tool,
};

/// The outcome of a run: the report, the per-example diagnostics and the warnings worth
/// telling the user.
#[derive(Debug)]
pub struct Scored {
    /// The report.
    pub report: Report,
    /// `examples.jsonl`.
    pub examples: ExampleLines,
    /// Per example, keyed as in `examples.jsonl`, when the request asked to keep them.
    pub run_examples: Vec<verdict_core::compare::RunExample>,
    /// Non-fatal problems (orphans, failed requests, ignored settings), one sentence each.
    pub warnings: Vec<String>,
    /// Which files on this machine the run read ([`crate::outdir::located`]), for the
    /// output-directory rule.
    pub located: String,
    /// The bootstrap replicates, written beside the report ([`verdict_core::paired`]), unless
    /// intervals are off.
    pub replicates: Option<RunReplicates>,
    /// Holds the temporary files of a single run until the report is written.
    pub(super) _work: Option<verdict_core::files::ScratchDir>,
}

impl Scored {
    /// This run as `verdict compare` sees a run directory.
    pub fn current_run(&self, report: &serde_json::Value) -> verdict_core::compare::Run {
        verdict_core::compare::Run {
            name: "this run".into(),
            report: report.clone(),
            examples: self.run_examples.clone(),
            replicates: self.replicates.clone(),
        }
    }
}

/// Turns scored parts (one for a single run, every shard's for a merge) into the report;
/// `expected_sha256` is the digest of the expected file.
pub fn finish(
    request: &ScoreRequest,
    spec: &Spec,
    parts: &mut [Part],
    pool: &rayon::ThreadPool,
    progress: &dyn crate::Progress,
    expected_sha256: String,
) -> Result<Scored> {
    // A merge reads its gates from the command line only now.
    super::request::check_gates(request, spec)?;
    let mut acc = parts[0].acc.clone();
    let mut resampled = parts[0].replicates.take();
    for part in &parts[1..] {
        acc.merge(&part.acc);
        if let (Some(sums), Some(theirs)) = (&mut resampled, &part.replicates) {
            sums.merge(theirs);
        }
    }
    check_spec_values(spec, &acc)?;
    let first = &parts[0];
    let baseline = request
        .baseline
        .as_deref()
        .map(|path| load_baseline(path, request))
        .transpose()?;
    let mut report = build_report(request, spec, &acc, first);
    report.run.expected_sha256 = Some(expected_sha256.clone());
    let n = first.total_examples;
    let replicates = request.bootstrap.unwrap_or(DEFAULT_REPLICATES);
    let mut warnings = Vec::new();
    if let Some(location) = &first.first_orphan {
        warnings.push(format!(
            "{} prediction line(s) answer no expected example and were not scored (first: {location})",
            first.orphans
        ));
    }
    if let Some((_, location, reason)) = &acc.first_failed {
        warnings.push(format!(
            "{} request(s) failed or were blocked and score as empty outputs (first: {location}: {})",
            acc.validity.failed,
            verdict_core::quote::plain(reason)
        ));
    }
    warnings.extend(report.spec_coverage.warnings());
    warnings.extend(report.schema.warnings());
    if report.anls.approximated > 0 {
        warnings.push(format!(
            "{} example(s) compare texts too long to compare exactly for ANLS* (over 2^24 cells of the distance matrix): their ANLS* scores are lower bounds (anls.approximated in report.json; docs/metrics.md, \"Long texts\")",
            report.anls.approximated
        ));
    }
    if report.labels_cut > 0 {
        warnings.push(format!(
            "{} label(s) longer than {MAX_LABEL_BYTES} bytes are shown and counted cut to their first {MAX_LABEL_BYTES} bytes and a digest of the whole (labels_cut in report.json; docs/metrics.md, \"Long labels\")",
            report.labels_cut
        ));
    }
    // A baseline without replicates is paired example by example, from this run's records.
    let paired = baseline
        .as_ref()
        .and_then(|b| b.run.as_ref())
        .is_some_and(|run| run.replicates.is_none());
    let keep_run = request.keep_run || paired;
    let layout = layout(spec, spec.schema.is_some(), &report);
    let shift = report
        .timing_bias
        .as_ref()
        .and_then(|_| acc.totals.median_offset_us())
        .filter(|&offset| offset != 0);
    let tolerance_us = spec
        .events
        .as_ref()
        .map_or(0, |e| seconds_to_us(e.tolerance));

    if u32::try_from(n).is_err() {
        return Err(Error::Path {
            path: request.expected.clone(),
            message: format!("more than {} examples: split the file", u32::MAX),
        });
    }
    // A single run kept the order of its lines while scoring; a merge takes it from the
    // parts' records, which are read back too for what only they hold: each example's
    // counts, cluster, key and events (the intervals come from the replicate sums).
    let kept = match parts {
        [only] => only.line_order.take(),
        _ => None,
    };
    let merging = kept.is_none();
    let mut line_order = kept.unwrap_or_else(|| LineOrder::new(parts.len(), n));
    let mut tp_shifted = 0usize;
    let mut run_examples = Vec::new();
    if merging || keep_run || shift.is_some() {
        progress.phase(crate::Phase::ReadingRecords, n as u64);
        read_records(parts, pool, |records| {
            progress.advance(records.len() as u64);
            tp_shifted += pool.install(|| {
                records
                    .par_iter()
                    .map(|r| shift.map_or(0, |s| r.tp_after_shift(-s, tolerance_us)))
                    .sum::<usize>()
            });
            for record in records {
                if merging {
                    line_order.push(record.ordinal, record.errors, record.exact, record.line_len);
                }
                if keep_run {
                    run_examples.push(verdict_core::compare::RunExample {
                        key: record.key,
                        cluster: record.cluster,
                        counts: record.counts,
                    });
                }
            }
        })?;
    }

    if let (Some(bias), Some(_)) = (report.timing_bias.as_mut(), shift) {
        let denominator = report.events.map_or(0, |e| e.predicted + e.expected);
        bias.f1_after_removing =
            (denominator > 0).then(|| 2.0 * tp_shifted as f64 / denominator as f64);
    }

    // Resampling one cluster draws the same data every time: zero-width intervals that gates
    // on `.low` would take for certainty. So a single cluster gets no interval ends (its gates
    // fail, as on any null), and a handful of clusters a warning.
    let one_cluster = match (&resampled, &request.cluster_by) {
        (Some(sums), Some(by)) if sums.units() < 2 => {
            warnings.push(format!(
                "no confidence intervals: --cluster-by {} puts every example in {} cluster(s), and resampling needs at least 2 (gates on interval ends fail)",
                by.text,
                sums.units()
            ));
            true
        }
        (Some(sums), Some(by)) if sums.units() < FEW_CLUSTERS => {
            warnings.push(format!(
                "the confidence intervals rest on only {} clusters (--cluster-by {}): with fewer than {FEW_CLUSTERS} they understate the uncertainty",
                sums.units(),
                by.text
            ));
            false
        }
        _ => false,
    };
    if let Some(sums) = &resampled {
        let all = if one_cluster {
            sums.point(&layout)
                .into_iter()
                .map(|(name, value)| {
                    let ends = verdict_core::resample::Interval {
                        value,
                        low: None,
                        high: None,
                        undefined: 0,
                    };
                    (name, ends)
                })
                .collect()
        } else {
            progress.phase(crate::Phase::Intervals, replicates as u64);
            let replicated = || progress.advance(1);
            pool.install(|| sums.intervals(&layout, &replicated))
        };
        report.intervals = Some(Intervals::new(
            all,
            replicates,
            request.seed,
            request.cluster_by.as_ref().map(|c| c.text.clone()),
            sums.units(),
        ));
    }
    let replicates = resampled.map(|sums| RunReplicates {
        seed: request.seed,
        expected_sha256,
        joined_by: format!("{:?}", parts[0].joined_by),
        cluster_by: request.cluster_by.as_ref().map(|c| c.text.clone()),
        sums,
    });
    let now = (&run_examples[..], replicates.as_ref());
    pool.install(|| apply_gates(&mut report, spec, baseline.as_ref(), now, request))?;
    line_order.order.sort_unstable();
    Ok(Scored {
        report,
        examples: ExampleLines {
            files: parts.iter().map(|p| p.lines.clone()).collect(),
            lines: line_order.lines,
            order: line_order.order,
            threads: pool.current_num_threads(),
        },
        run_examples: if request.keep_run {
            run_examples
        } else {
            Vec::new()
        },
        warnings,
        replicates,
        _work: None,
        located: crate::outdir::located(&request.spec, &request.expected, &request.predictions),
    })
}

/// Fails when a spec value that names a pointer or a member had the chance to occur in the
/// expected outputs of the whole run and never did. Decided here, over the summed counts, so a
/// shard never fails for what another shard's outputs have.
fn check_spec_values(spec: &Spec, acc: &Accumulator) -> Result<()> {
    let messages = Coverage::new(spec).check(&acc.coverage);
    if messages.is_empty() {
        return Ok(());
    }
    // One line per value, each naming the spec as a one-value error would.
    let next = format!("\n{}: ", spec.path.display());
    Err(Error::Spec {
        path: spec.path.clone(),
        line: None,
        message: messages.join(&next),
    })
}

/// `spec_coverage`: each spec value's presence in the expected outputs, and the declared
/// labels none of them has.
fn spec_coverage(spec: &Spec, acc: &Accumulator, classes: &[ClassRow]) -> SpecCoverage {
    let support: Vec<(&str, usize)> = classes
        .iter()
        .map(|c| (c.label.as_str(), c.support))
        .collect();
    SpecCoverage {
        values: Coverage::new(spec).rows(&acc.coverage),
        labels_never_expected: unseen_labels(&spec.labels, &support),
    }
}

/// The layout of the resampling counters for a finished report: its class labels.
pub fn layout(spec: &Spec, has_schema: bool, report: &Report) -> Layout {
    let labels = report.classes.iter().map(|c| c.label.clone()).collect();
    Layout::new(spec, has_schema, labels)
}

pub(super) fn load_baseline(path: &Path, request: &ScoreRequest) -> Result<Baseline> {
    if path.is_dir() {
        let run = crate::runs::load_baseline_run(path, request.max_line_bytes)?;
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

/// Below this many clusters, `--cluster-by` intervals are reported with a warning that they
/// understate the uncertainty (a percentile bootstrap needs many units to be trusted).
pub const FEW_CLUSTERS: usize = 20;

/// The counters of the headline metrics, from the sums of a whole run.
fn summary_sums(
    acc: &Accumulator,
    spec: &Spec,
    classes: Option<&ClassMetrics>,
    events: Option<&EventMetrics>,
) -> Sums {
    let count = |n: usize| n as i64;
    let totals = &acc.totals;
    let (player_correct, player_compared) = events.map_or((0, 0), |m| {
        m.fields
            .values()
            .filter(|f| f.compare == Comparator::PlayerId)
            .fold((0, 0), |(c, n), f| {
                (c + count(f.correct), n + count(f.compared))
            })
    });
    let counts = events.map(|m| m.counts).unwrap_or_default();
    let (scored, e12, typed_scored, typed_e12) = acc.anls.sums();
    let (timed_pairs, abs_dt_us) = totals.abs_dt_sum_us();
    let rows = classes.map_or(&[][..], |c| &c.classes[..]);
    let (class_sums, out_of_set_predicted, out_of_set_expected) =
        classes.map(ClassMetrics::sums).unwrap_or_default();
    Sums {
        examples: count(acc.examples),
        strict: count(acc.validity.strict),
        extracted: count(acc.validity.extracted),
        repaired: count(acc.validity.repaired),
        schema_valid: count(acc.schema_valid),
        schema_undecided: count(acc.schema_undecided),
        classes: class_sums,
        out_of_set_predicted,
        out_of_set_expected,
        declared: !spec.labels.is_empty(),
        pairs: count(counts.pairs),
        same_label_pairs: count(counts.same_label_pairs),
        timed_pairs: count(timed_pairs),
        abs_dt_us,
        player_correct,
        player_compared,
        exact: count(acc.exact),
        // Each right single label is the true positive of its class, and of no other.
        label_correct: if spec.label.is_some() {
            rows.iter().map(|c| count(c.tp)).sum()
        } else {
            0
        },
        joined: count(acc.examples - acc.missing_predictions),
        anls_scored: scored,
        anls_e12: e12,
        anls_typed_scored: typed_scored,
        anls_typed_e12: typed_e12,
        positive: spec
            .positive
            .as_ref()
            .and_then(|label| rows.iter().position(|c| &c.label == label)),
    }
}

/// The report's numbers from the summed examples of a run. Timing bias after removing a
/// non-zero offset needs the examples again and is filled in by [`finish`].
pub fn build_report(request: &ScoreRequest, spec: &Spec, acc: &Accumulator, part: &Part) -> Report {
    let validity = acc.validity;
    let repairs = acc.repairs;
    let finish_reasons = acc.finish_reasons.clone();
    let schema_table = acc.schema_table.clone();
    let schema = SchemaCounts {
        file: spec.schema.as_deref().map(display),
        checked: acc.schema_checked,
        valid: acc.schema_valid,
        undecided: acc.schema_undecided,
        undecided_patterns: acc.undecided_table.clone().into_rows(),
    };
    let totals = &acc.totals;
    let anls = acc.anls.stats();
    let paths = spec
        .paths
        .iter()
        .zip(&acc.paths)
        .map(|((pattern, field), counts)| {
            (
                pattern.clone(),
                verdict_core::objects::PathRow::new(field.compare, *counts),
            )
        })
        .collect();
    let lists = spec
        .lists
        .keys()
        .zip(acc.list_totals())
        .map(|(name, counts)| (name.clone(), verdict_core::objects::ListRow::new(counts)))
        .collect();
    let n = acc.examples;
    let scored_classes = spec.events.is_some() || spec.label.is_some();
    let classes = scored_classes.then(|| class_metrics(totals, &spec.labels));
    let field_specs: Vec<(&String, &FieldSpec)> = spec.fields.iter().collect();
    let events = spec
        .events
        .as_ref()
        .map(|e| event_metrics(totals, &field_specs, &e.sweep, seconds_to_us(e.tolerance)));
    let timing_bias = events.as_ref().map(|m| {
        let f1 = classes.as_ref().and_then(|c| c.averages.micro.f1);
        let f1_after_removing = match m.median_offset_us {
            Some(0) => f1,
            _ => None,
        };
        TimingBias {
            median_offset: m.median_offset_us.map(|us| us as f64 / 1e6),
            f1,
            f1_after_removing,
        }
    });
    let task = spec.task();
    let summary = Summary {
        examples: n,
        missing_predictions: acc.missing_predictions,
        orphan_predictions: part.orphans,
        failed_requests: validity.failed,
        metrics: summary::values(
            &task,
            &summary_sums(acc, spec, classes.as_ref(), events.as_ref()),
            false,
        ),
    };
    let spec_coverage = spec_coverage(
        spec,
        acc,
        classes.as_ref().map_or(&[][..], |c| &c.classes[..]),
    );
    let (classes, averages, out_of_set, confusion) = match classes {
        Some(c) => (c.classes, Some(c.averages), c.out_of_set, Some(c.confusion)),
        None => (Vec::new(), None, None, None),
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
            // Filled in by the run once its digest, read beside the scoring, is known.
            expected_sha256: None,
            predictions: request.predictions.iter().map(|p| display(p)).collect(),
            joined_by: part.joined_by,
            repair: request.repair,
            events: spec.events.clone(),
            examples: request.examples,
        },
        summary,
        validity,
        repairs,
        finish_reasons,
        reasoning: verdict_core::counts::ReasoningCounts {
            outputs: acc.reasoning,
        },
        schema,
        schema_errors: schema_table.into_rows(),
        classes,
        averages,
        out_of_set,
        confusion,
        labels_cut: totals.labels_cut(),
        events: event_counts,
        timestamps,
        fields,
        tolerance_sweep,
        timing_bias,
        worst_examples: acc.worst.iter().map(|(_, _, w)| w.clone()).collect(),
        anls,
        paths,
        lists,
        spec_coverage,
        intervals: None,
        baseline: None,
        gates: Vec::new(),
        passed: true,
    }
}

/// Evaluates the gates and the baseline on the finished report and records the results.
pub(super) fn apply_gates(
    report: &mut Report,
    spec: &Spec,
    baseline: Option<&Baseline>,
    (examples, replicates): (&[verdict_core::compare::RunExample], Option<&RunReplicates>),
    request: &ScoreRequest,
) -> Result<()> {
    let json = serde_json::to_value(&*report)
        .map_err(|e| Error::Usage(format!("cannot evaluate gates: {e}")))?;
    report.gates = evaluate(&json, &spec.gates, &request.gates, baseline)?;
    let undecided = report.schema.undecided;
    let (valid, n) = (report.schema.valid as f64, report.summary.examples as f64);
    settle_undecided_schema(
        &mut report.gates,
        UndecidedSchema {
            outputs: undecided,
            bounds: Some((valid / n, (valid + undecided as f64) / n)),
        },
    );
    if let Some(baseline) = baseline
        && let Some(before) = &baseline.run
    {
        let count = request.bootstrap.unwrap_or(DEFAULT_REPLICATES);
        if count == 0 {
            return Err(Error::Usage(
                "--baseline DIR judges the change on a bootstrap interval: drop --bootstrap 0, or give the baseline's report.json"
                    .into(),
            ));
        }
        let now = verdict_core::compare::Run {
            name: "this run".into(),
            report: json.clone(),
            examples: examples.to_vec(),
            replicates: replicates.cloned(),
        };
        // A baseline that kept its replicates is paired from them alone; an older one, from
        // its examples.
        let deltas = if before.replicates.is_some() {
            verdict_core::compare::replicate_deltas(before, &now, Some(count), Some(request.seed))?
        } else {
            let c = verdict_core::compare::compare(before, &now, Some(count), Some(request.seed))?;
            verdict_core::compare::Deltas {
                metrics: c.metrics,
                classes: c.classes,
                shared_examples: c.shared_examples,
                units: c.units,
                replicates: c.replicates,
                seed: c.seed,
            }
        };
        let mut paired = paired_baseline_gates(baseline, &deltas);
        let bounds = None;
        settle_undecided_schema(
            &mut paired,
            UndecidedSchema {
                outputs: undecided,
                bounds,
            },
        );
        report.gates.extend(paired);
    }
    report.passed = report.gates.iter().all(|g| g.passed);
    if let Some(baseline) = baseline {
        let value = |report: &serde_json::Value, metric: &str| {
            report
                .pointer(&format!("/summary/{metric}"))
                .and_then(serde_json::Value::as_f64)
        };
        // Every metric with an interval: the baseline-gated rates and timestamp_mae.
        let deltas = SUMMARY_METRICS
            .iter()
            .filter(|m| m.resampled)
            .map(|m| m.name)
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
pub(super) fn display(path: &Path) -> String {
    verdict_core::files::public_path(&path.display().to_string())
}
