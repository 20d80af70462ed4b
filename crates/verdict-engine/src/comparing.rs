//! `verdict compare`'s run: read (or score) the runs, pair two or rank more, and write the
//! comparison's files. The command line and the Python API both call it, so a comparison is
//! the same from either.

use std::path::{Path, PathBuf};

use verdict_core::compare::{Run, check_same_expected, compare, leaderboard, main_metric};
use verdict_core::error::{Error, Result};
use verdict_core::output::OutputDir;
use verdict_core::resample::DEFAULT_REPLICATES;
use verdict_report::comparison::{self, Outcome};

use crate::runs::load_run;
use crate::score::{ScoreRequest, score};

/// The files a comparison writes, `compare.json` last.
pub const COMPARE_FILES: [&str; 3] = [
    comparison::COMPARE_MD,
    comparison::COMPARE_HTML,
    comparison::COMPARE_JSON,
];

/// What to compare, and how.
#[derive(Debug, Clone)]
pub struct CompareRequest {
    /// Run directories of `verdict score`, or with [`scored_against`](Self::scored_against)
    /// prediction files to score first.
    pub runs: Vec<PathBuf>,
    /// The spec and expected file to score each of `runs` against, when they are predictions.
    pub scored_against: Option<TestSet>,
    /// The metric a leaderboard ranks by; the first run's main metric when `None`.
    pub metric: Option<String>,
    /// Runs over different expected files are compared anyway, with a warning.
    pub allow_different_expected: bool,
    /// Replicates: the runs' own when `None` (a pair), or 1,000 (a leaderboard).
    pub bootstrap: Option<usize>,
    /// The bootstrap seed: the runs' own when `None` (a pair), or 0 (a leaderboard).
    pub seed: Option<u64>,
    /// Worker threads; all cores when `None`.
    pub threads: Option<usize>,
    /// The longest per-example line read back from a run directory.
    pub max_line_bytes: usize,
}

/// The spec and expected file prediction files are scored against before a comparison.
#[derive(Debug, Clone)]
pub struct TestSet {
    /// The spec file, or the name a spec given as text goes by in messages.
    pub spec: PathBuf,
    /// The spec's text, when it is not read from `spec` (a Python dict).
    pub spec_text: Option<String>,
    /// The expected file.
    pub expected: PathBuf,
}

/// A comparison and the warnings to show beside it.
#[derive(Debug)]
pub struct Compared {
    /// The pair's differences or the leaderboard.
    pub outcome: Outcome,
    /// Notes on the runs' inputs (different expected files allowed, ...).
    pub warnings: Vec<String>,
}

/// Runs a comparison without writing anything.
pub fn compare_runs(request: &CompareRequest) -> Result<Compared> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = request.threads {
        pool = pool.num_threads(n);
    }
    let pool = pool
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;
    let runs: Vec<Run> = match &request.scored_against {
        Some(against) => request
            .runs
            .iter()
            .map(|predictions| {
                let request = ScoreRequest {
                    threads: request.threads,
                    // Runs scored here pair through their replicates, as run directories do.
                    bootstrap: Some(request.bootstrap.unwrap_or(DEFAULT_REPLICATES)),
                    seed: request.seed.unwrap_or(0),
                    keep_run: true,
                    max_line_bytes: request.max_line_bytes,
                    spec_text: against.spec_text.clone(),
                    ..ScoreRequest::new(
                        against.spec.clone(),
                        against.expected.clone(),
                        vec![predictions.clone()],
                    )
                };
                let scored = score(&request, &())?;
                let json = serde_json::to_value(&scored.report)
                    .map_err(|e| Error::Usage(e.to_string()))?;
                let mut run = scored.current_run(&json);
                run.name = predictions.display().to_string();
                Ok(run)
            })
            .collect::<Result<_>>()?,
        None => request
            .runs
            .iter()
            .map(|dir| load_run(dir, request.max_line_bytes))
            .collect::<Result<_>>()?,
    };
    let warnings = check_same_expected(&runs, request.allow_different_expected)?;
    let metric = request
        .metric
        .clone()
        .unwrap_or_else(|| main_metric(&runs[0].report).to_owned());
    let outcome = pool.install(|| -> Result<Outcome> {
        Ok(if runs.len() == 2 {
            Outcome::Pair(compare(
                &runs[0],
                &runs[1],
                request.bootstrap,
                request.seed,
            )?)
        } else {
            Outcome::Leaderboard(leaderboard(
                &runs,
                &metric,
                request.bootstrap.unwrap_or(DEFAULT_REPLICATES),
                request.seed.unwrap_or(0),
            )?)
        })
    })?;
    Ok(Compared { outcome, warnings })
}

/// compare.json's text: pretty JSON and a final line break.
pub fn compare_json(outcome: &Outcome) -> Result<String> {
    serde_json::to_string_pretty(outcome)
        .map(|text| text + "\n")
        .map_err(|e| Error::Usage(e.to_string()))
}

/// Writes the comparison's files into `dir` as one set and returns compare.json's path.
pub fn write_comparison(dir: &mut OutputDir, outcome: &Outcome, json: &str) -> Result<PathBuf> {
    let mut set = dir.stage(&COMPARE_FILES)?;
    set.write(comparison::COMPARE_MD, &comparison::markdown(outcome))?;
    set.write(comparison::COMPARE_HTML, &comparison::html(outcome))?;
    let path = set.write(comparison::COMPARE_JSON, json)?;
    set.commit()?;
    Ok(path)
}

/// Locks `out` for a comparison's files, refusing a directory holding other files.
pub fn compare_dir(out: &Path) -> Result<OutputDir> {
    let dir = OutputDir::lock(out)?;
    dir.check(&COMPARE_FILES)?;
    Ok(dir)
}
