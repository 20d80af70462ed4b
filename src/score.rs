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
use crate::input::join::{Case, JoinMode, Joined, join};
use crate::input::read::{expand_paths, read_jsonl};
use crate::input::{Example, Output, Prediction, expected, predicted};
use crate::repair::Repairs;
use crate::report::{RepairCounts, Report, Run, SchemaCounts, Summary, Tool, Validity};
use crate::schema::{ErrorTable, Schema, Violation};
use crate::spec::Spec;
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
}

/// The loaded inputs of a run.
#[derive(Debug)]
pub struct Loaded {
    /// The spec.
    pub spec: Spec,
    /// The compiled output schema, if the spec names one.
    pub schema: Option<Schema>,
    /// Examples joined to their predictions.
    pub joined: Joined,
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
}

/// The outcome of a run: the report and the warnings worth telling the user.
#[derive(Debug)]
pub struct Scored {
    /// The report.
    pub report: Report,
    /// Non-fatal problems (orphans, ignored settings), one sentence each.
    pub warnings: Vec<String>,
}

/// Reads the spec, the schema, the expected file and the predictions, and joins them.
pub fn load(request: &ScoreRequest) -> Result<Loaded> {
    let spec = crate::spec::load(&request.spec)?;
    let schema = spec.schema.as_deref().map(Schema::load).transpose()?;

    let mut examples: Vec<Example> = Vec::new();
    read_jsonl(&request.expected, |location, value| {
        examples.push(expected::detect(location, value)?);
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
    Ok(Loaded {
        spec,
        schema,
        joined,
    })
}

/// Scores one example. Pure: the same case always gives the same score.
pub fn score_example(case: &Case, schema: Option<&Schema>, use_repaired: bool) -> ExampleScore {
    let output = case.prediction.as_ref().map(|p| &p.output);
    let parsed = classify(output);
    let violations = schema
        .zip(parsed.scored_value(use_repaired))
        .map(|(schema, value)| schema.check(value));
    ExampleScore {
        tier: parsed.tier,
        repairs: parsed.repairs,
        has_prediction: case.prediction.is_some(),
        finish_reason: case
            .prediction
            .as_ref()
            .and_then(|p| p.finish_reason.clone()),
        violations,
    }
}

/// Scores every case on `threads` threads, ticking `progress`; results are in case order.
pub fn score_all(
    loaded: &Loaded,
    use_repaired: bool,
    threads: Option<usize>,
    progress: &ProgressBar,
) -> Result<Vec<ExampleScore>> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        pool = pool.num_threads(n);
    }
    let pool = pool
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {threads:?} worker threads: {e}")))?;
    progress.set_length(loaded.joined.cases.len() as u64);
    let schema = loaded.schema.as_ref();
    let scores = pool.install(|| {
        loaded
            .joined
            .cases
            .par_iter()
            .progress_with(progress.clone())
            .map(|case| score_example(case, schema, use_repaired))
            .collect()
    });
    progress.finish_and_clear();
    Ok(scores)
}

/// Aggregates per-example scores into the report. Sequential and in example order.
pub fn build_report(request: &ScoreRequest, loaded: &Loaded, scores: &[ExampleScore]) -> Report {
    let mut validity = Validity::default();
    let mut repairs = RepairCounts::default();
    let mut finish_reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut schema_table = ErrorTable::default();
    let mut schema = SchemaCounts {
        file: loaded.spec.schema.as_deref().map(display),
        ..SchemaCounts::default()
    };
    for score in scores {
        *match score.tier {
            Tier::Strict => &mut validity.strict,
            Tier::Extracted => &mut validity.extracted,
            Tier::Repaired => &mut validity.repaired,
            Tier::Invalid => &mut validity.invalid,
            Tier::Missing => &mut validity.missing,
            Tier::Failed => &mut validity.failed,
        } += 1;
        let r = score.repairs;
        repairs.trailing_comma += usize::from(r.trailing_comma);
        repairs.unquoted_key += usize::from(r.unquoted_key);
        repairs.single_quote += usize::from(r.single_quote);
        repairs.truncated += usize::from(r.truncated);
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
    }

    let n = scores.len();
    let ratio = |count: usize| (n > 0).then(|| count as f64 / n as f64);
    let summary = Summary {
        examples: n,
        missing_predictions: scores.iter().filter(|s| !s.has_prediction).count(),
        orphan_predictions: loaded.joined.orphans.len(),
        failed_requests: validity.failed,
        json_valid_strict: ratio(validity.strict),
        json_valid: ratio(validity.strict + validity.extracted),
        json_recoverable: ratio(validity.strict + validity.extracted + validity.repaired),
        schema_valid: loaded.schema.as_ref().and_then(|_| ratio(schema.valid)),
    };
    Report {
        tool: Tool::default(),
        run: Run {
            name: loaded.spec.name.clone(),
            spec: display(&request.spec),
            expected: display(&request.expected),
            predictions: request.predictions.iter().map(|p| display(p)).collect(),
            joined_by: loaded.joined.joined_by,
            repair: request.repair,
        },
        summary,
        validity,
        repairs,
        finish_reasons,
        schema,
        schema_errors: schema_table.into_rows(),
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Runs the whole pipeline and returns the report, without writing anything.
pub fn score(request: &ScoreRequest, progress: &ProgressBar) -> Result<Scored> {
    let loaded = load(request)?;
    let scores = score_all(&loaded, request.repair, request.threads, progress)?;
    let report = build_report(request, &loaded, &scores);
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
    if !loaded.spec.gates.is_empty() {
        warnings.push(format!(
            "{} gate(s) in {} are not evaluated by this version of verdict; the exit code does not reflect them",
            loaded.spec.gates.len(),
            loaded.spec.path.display()
        ));
    }
    Ok(Scored { report, warnings })
}
