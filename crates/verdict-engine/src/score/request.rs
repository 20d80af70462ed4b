//! What a score run is asked to do, free of any command-line types: the request, the shard it
//! covers, the settings a merge applies to the whole run, and loading its spec and inputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use verdict_core::error::{Error, Result};
use verdict_core::gate::Gate;
use verdict_core::resample::ClusterBy;
use verdict_core::schema::Schema;
use verdict_core::spec::Spec;
use verdict_input::join::JoinMode;
use verdict_input::read::{DEFAULT_MAX_LINE_BYTES, expand_paths};
use verdict_report::ExamplesOutput;

/// What `verdict score` was asked to do, free of any command-line types.
#[derive(Debug, Clone)]
pub struct ScoreRequest {
    /// The spec file (`eval.toml`): where its text is read from, unless [`spec_text`] holds
    /// it, and in any case the path its messages name and its relative paths start from.
    ///
    /// [`spec_text`]: ScoreRequest::spec_text
    pub spec: PathBuf,
    /// The spec's TOML text, for a spec that is not a file of its own (the Python bindings
    /// take a dict of its keys): `spec` is then only its name, and nothing is read from it.
    pub spec_text: Option<String>,
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
    /// Bootstrap replicates for the intervals: `None` for the default (1000), `Some(0)` for
    /// none.
    pub bootstrap: Option<usize>,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Resample clusters of examples instead of single examples.
    pub cluster_by: Option<ClusterBy>,
    /// Score only this shard's examples (`--shard I/N`).
    pub shard: Option<Shard>,
    /// Keep every example's key and counts in [`Scored::run_examples`](super::Scored::run_examples) (for `verdict compare`).
    pub keep_run: bool,
    /// Which examples the per-example file keeps, and whether it is compressed.
    pub examples: ExamplesOutput,
    /// The longest line read from any JSONL file, in bytes (`--max-line-bytes`).
    pub max_line_bytes: usize,
}

impl ScoreRequest {
    /// A request with the defaults of `verdict score`: keyed join, no repair, default threads,
    /// no gates or baseline, default intervals with seed 0, no clusters, no shard, lines of up
    /// to [`DEFAULT_MAX_LINE_BYTES`].
    pub fn new(spec: PathBuf, expected: PathBuf, predictions: Vec<PathBuf>) -> ScoreRequest {
        ScoreRequest {
            spec,
            spec_text: None,
            expected,
            predictions,
            join: JoinMode::Key,
            repair: false,
            threads: None,
            gates: Vec::new(),
            baseline: None,
            max_drop: verdict_core::gate::DEFAULT_MAX_DROP,
            max_drop_overrides: BTreeMap::new(),
            bootstrap: None,
            seed: 0,
            cluster_by: None,
            shard: None,
            keep_run: false,
            examples: ExamplesOutput::default(),
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// Which part of the examples a sharded run scores: those whose position in the expected file
/// is `index` modulo `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, from 0.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// Whether example `ordinal` is this shard's.
    pub fn owns(self, ordinal: usize) -> bool {
        ordinal % self.count == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Shard, String> {
        let (index, count) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?}: expected I/N, such as 0/4"))?;
        let index: usize = index
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: I must be a whole number"))?;
        let count: usize = count
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: N must be a whole number"))?;
        if count == 0 || index >= count {
            return Err(format!(
                "{text:?}: expected 0 <= I < N (shards are numbered from 0)"
            ));
        }
        Ok(Shard { index, count })
    }
}

/// What `verdict merge` applies to the whole run: the settings a shard does not take.
#[derive(Debug, Clone)]
pub struct WholeRun {
    /// Gates from the command line.
    pub gates: Vec<Gate>,
    /// An earlier report.json or output directory not to regress from.
    pub baseline: Option<PathBuf>,
    /// Allowed drop from the baseline when a metric has no override.
    pub max_drop: f64,
    /// Per-metric allowed drops.
    pub max_drop_overrides: BTreeMap<String, f64>,
    /// Worker threads; `None` uses one per core.
    pub threads: Option<usize>,
    /// Which examples the per-example file keeps, and whether it is compressed.
    pub examples: ExamplesOutput,
    /// The longest line read from a `--baseline DIR`'s examples.jsonl, in bytes.
    pub max_line_bytes: usize,
}

/// Loads the spec and its schema.
pub fn load_spec(request: &ScoreRequest) -> Result<(Spec, Option<Schema>)> {
    let (spec, schema, _) = load_spec_and_texts(request)?;
    Ok((spec, schema))
}

/// Refuses a spec or command-line gate on a metric `spec` can never produce.
pub(super) fn check_gates(request: &ScoreRequest, spec: &Spec) -> Result<()> {
    verdict_core::gate::check_producible(
        spec,
        spec.gates
            .iter()
            .map(|g| g.metric.as_str())
            .chain(request.gates.iter().map(|g| g.metric.as_str())),
    )
}

/// The spec text and the schema text (when the spec names one) a run was loaded from.
pub(super) type SpecTexts = (String, Option<String>);

/// [`load_spec`], with the texts each was parsed from, each file read once.
pub(super) fn load_spec_and_texts(
    request: &ScoreRequest,
) -> Result<(Spec, Option<Schema>, SpecTexts)> {
    let spec_text = match &request.spec_text {
        Some(text) => text.clone(),
        None => verdict_core::spec::read_text(&request.spec)?,
    };
    let spec = verdict_core::spec::parse(&request.spec, &spec_text)?;
    // Before any scoring: a gate the spec can never pass is a mistake to fix now, not after
    // the whole run.
    check_gates(request, &spec)?;
    let (schema, schema_text) = match spec.schema.as_deref() {
        Some(path) => {
            let text = verdict_core::schema::read_text(path)?;
            (Some(Schema::from_text(path, &text)?), Some(text))
        }
        None => (None, None),
    };
    Ok((spec, schema, (spec_text, schema_text)))
}

/// Each input file of `request` (the expected file, then every file the prediction paths
/// expand to, or `files` when they were expanded already) and its size in bytes.
pub(super) fn input_sizes(
    request: &ScoreRequest,
    files: Option<&[PathBuf]>,
) -> Result<Vec<(PathBuf, u64)>> {
    let expanded;
    let files = match files {
        Some(files) => files,
        None => {
            expanded = expand_paths(&request.predictions)?;
            &expanded
        }
    };
    std::iter::once(&request.expected)
        .chain(files)
        .map(|path| Ok((path.clone(), file_size(path)?)))
        .collect()
}

/// The size in bytes of the file at `path`.
pub(super) fn file_size(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .map_err(|e| Error::io(path, "cannot read", e))?
        .len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spec given as text is never looked for on disk, yet its messages name `spec`.
    #[test]
    fn spec_text_is_used_instead_of_the_file() {
        let nowhere = PathBuf::from("<spec dict>");
        let request = ScoreRequest {
            spec_text: Some("name = \"from-text\"\nlabel = \"/intent\"\n".into()),
            ..ScoreRequest::new(nowhere.clone(), "e.jsonl".into(), vec!["p.jsonl".into()])
        };
        let (spec, schema) = load_spec(&request).unwrap();
        assert_eq!(
            (spec.name.as_str(), spec.path.as_path()),
            ("from-text", nowhere.as_path())
        );
        assert!(schema.is_none());

        let bad = ScoreRequest {
            spec_text: Some("name = \"from-text\"\nlabel = 3\n".into()),
            ..request
        };
        let message = load_spec(&bad).unwrap_err().to_string();
        assert!(message.starts_with("<spec dict>:2: "), "{message}");
    }
}
