//! The `score` pipeline: index the predictions → stream the expected file in batches, joining,
//! parsing and scoring each batch on all threads → fold the scores in file order into sums
//! ([`Accumulator`]) and per-example records on disk → finish the report from them.
//!
//! Batches are parsed and scored in parallel but folded in expected-file order, and every sum
//! is an integer count, so the report is the same for any thread count and, merged from
//! shards, the same as a single run. Memory holds the sums, a slot per prediction and a few
//! words per example, never the inputs.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::Progress;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use verdict_core::accumulate::{Accumulator, Record};
use verdict_core::anls::Patterns;
use verdict_core::error::{Error, Location, Result};
use verdict_core::events::extract;
use verdict_core::example::{ExampleScore, Scorer};
use verdict_core::gate::{BASELINE_METRICS, Baseline, Gate, evaluate, paired_baseline_gates};
use verdict_core::metrics::{class_metrics, event_metrics};
use verdict_core::outcome::seconds_to_us;
use verdict_core::resample::{
    ClusterBy, DEFAULT_MAX_EXAMPLES, DEFAULT_REPLICATES, Layout, NamedCounts, Units, bootstrap,
    player_fields,
};
use verdict_core::schema::Schema;
use verdict_core::spec::{FieldSpec, Spec};
use verdict_core::validity::classify;
use verdict_input::index::{BATCH_LINES, Claim, KeyDigest, PredictionIndex, digest};
use verdict_input::join::{Case, JoinMode, JoinedBy, KeyGaps, duplicate, key_of, nothing_joined};
use verdict_input::read::{expand_paths, parse_line, read_batches, read_batches_ahead, read_jsonl};
use verdict_input::spill::BackgroundWriter;
use verdict_input::{Example, Output, Prediction, expected};
use verdict_report::{
    AlignedRow, BaselineDeltas, Delta, Intervals, Report, Run, SchemaCounts, Summary, TimingBias,
    Tool, WorstExample,
};

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
    /// Score only this shard's examples (`--shard I/N`).
    pub shard: Option<Shard>,
    /// Keep every example's key and counts in [`Scored::run_examples`] (for `verdict compare`).
    pub keep_run: bool,
}

impl ScoreRequest {
    /// A request with the defaults of `verdict score`: keyed join, no repair, default threads,
    /// no gates or baseline, default intervals with seed 0, no clusters, no shard.
    pub fn new(spec: PathBuf, expected: PathBuf, predictions: Vec<PathBuf>) -> ScoreRequest {
        ScoreRequest {
            spec,
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

/// A scored part of a run: the sums, and the per-example records and `examples.jsonl` lines in
/// two files (records in expected-file order).
#[derive(Debug)]
pub struct Part {
    /// What the part covers.
    pub shard: Option<Shard>,
    /// The sums.
    pub acc: Accumulator,
    /// Examples in the whole expected file (every shard reads all of it).
    pub total_examples: usize,
    /// Predictions no example answered (the same in every shard).
    pub orphans: usize,
    /// The first of them, as `file:line`.
    pub first_orphan: Option<String>,
    /// How the join was made.
    pub joined_by: JoinedBy,
    /// The records file, one [`Record`] frame per example.
    pub records: PathBuf,
    /// The `examples.jsonl` lines of the part's examples.
    pub lines: PathBuf,
    /// Each input file read (the expected file, then every prediction file the paths expand
    /// to) and its size in bytes before it was read.
    pub inputs: Vec<(PathBuf, u64)>,
    /// The order of `examples.jsonl`, kept while scoring by a run that is not a shard, so
    /// that finishing reads the records back only when something else needs them.
    pub line_order: Option<LineOrder>,
}

/// The order to write `examples.jsonl` in and where each line lies in its part's lines file:
/// 28 bytes an example.
#[derive(Debug)]
pub struct LineOrder {
    /// Per part: where its next line starts in its lines file.
    offsets: Vec<u64>,
    /// Per example, by position in the expected file: where its line starts in its part's
    /// file, and its length.
    lines: Vec<(u64, u64)>,
    /// (errors, reversed; exactly right; example): worst first once sorted.
    order: Vec<(std::cmp::Reverse<u32>, bool, u32)>,
}

impl LineOrder {
    fn new(parts: usize, examples: usize) -> Self {
        LineOrder {
            offsets: vec![0; parts],
            lines: Vec::with_capacity(examples),
            order: Vec::with_capacity(examples),
        }
    }

    /// Adds the next example of the expected file (examples come in order); `ordinal` below
    /// 2^32, which [`finish`] checks before any is written out.
    fn push(&mut self, ordinal: usize, errors: usize, exact: bool, line_len: u64) {
        let part = ordinal % self.offsets.len();
        let offset = self.offsets[part];
        self.offsets[part] += line_len;
        // Saturating: past 4 billion errors an example is simply among the worst.
        let errors = u32::try_from(errors).unwrap_or(u32::MAX);
        self.order
            .push((std::cmp::Reverse(errors), exact, ordinal as u32));
        self.lines.push((offset, line_len));
    }

    /// Gives back what growing one example at a time left unused.
    fn shrink(&mut self) {
        self.lines.shrink_to_fit();
        self.order.shrink_to_fit();
    }
}

/// Why streaming the expected file stopped.
enum Stop {
    Input(Error),
    /// An example lacks the key tried: try the next kind of key.
    Fallback,
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Input(e)
    }
}

fn no_examples(path: &Path) -> Error {
    Error::Path {
        path: path.to_path_buf(),
        message: "no examples: the file is empty (expected one JSON object per line)".into(),
    }
}

/// Reads an expected line: its example and, with `--cluster-by`, its cluster.
fn read_example(
    request: &ScoreRequest,
    location: Location,
    text: &str,
) -> Result<(Example, Option<String>)> {
    let (example, from_line) = match &request.cluster_by {
        // A cluster key or pointer may name any part of the line: it is read in full.
        Some(by) if !by.uses_id() => {
            let value = parse_line(&location, text)?;
            let from_line = by.cluster(Some(&value), None);
            (expected::detect(location, value)?, Some(from_line))
        }
        _ => (expected::read(location, text)?, None),
    };
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
    Ok((example, cluster))
}

/// The error for inputs no kind of key joins: the first line of each side lacking each key.
fn unjoinable(request: &ScoreRequest, index: &PredictionIndex) -> Result<Error> {
    let (mut no_id, mut no_hash) = (None, None);
    read_jsonl(&request.expected, |location, value| {
        let example = expected::detect(location, value)?;
        if example.keys.explicit.is_none() && no_id.is_none() {
            no_id = Some(example.location.clone());
        }
        if example.keys.content.is_none() && no_hash.is_none() {
            no_hash = Some(example.location);
        }
        Ok(())
    })?;
    let gaps = KeyGaps {
        expected_no_id: no_id.as_ref(),
        predicted_no_id: index.first_without(JoinedBy::ExplicitKey),
        expected_no_hash: no_hash.as_ref(),
        predicted_no_hash: index.first_without(JoinedBy::RequestHash),
    };
    Ok(match gaps.choose() {
        Err(e) => e,
        Ok(_) => Error::Join("cannot join predictions to expected examples".into()),
    })
}

/// Scores the examples of `request` (those of its shard, if it has one) into a [`Part`] whose
/// files are written to `dir`. Predictions are indexed first; the expected file is then read
/// in batches, each parsed and scored on the current rayon pool and folded in file order.
pub fn score_part(
    request: &ScoreRequest,
    spec: &Spec,
    schema: Option<&Schema>,
    dir: &Path,
    progress: &dyn Progress,
) -> Result<Part> {
    score_part_in_batches(request, spec, schema, dir, progress, BATCH_LINES)
}

fn score_part_in_batches(
    request: &ScoreRequest,
    spec: &Spec,
    schema: Option<&Schema>,
    dir: &Path,
    progress: &dyn Progress,
    batch_lines: usize,
) -> Result<Part> {
    // The expected file is named first when it cannot be read or holds no example, as it
    // would be if it were read before the predictions.
    match read_batches(&request.expected, 1, |_| Err(Stop::Fallback)) {
        Ok(_) => return Err(no_examples(&request.expected)),
        Err(Stop::Input(e)) => return Err(e),
        Err(Stop::Fallback) => {}
    }
    let files = expand_paths(&request.predictions)?;
    let inputs = input_sizes(request, Some(&files))?;
    let mut index = PredictionIndex::build(&files, dir)?;
    if index.is_empty() {
        let path = request.predictions.first().cloned().unwrap_or_default();
        return Err(Error::Path {
            path,
            message:
                "no predictions: the prediction files are empty (expected one JSON object per line)"
                    .into(),
        });
    }
    let kinds: Vec<JoinedBy> = match request.join {
        JoinMode::Line => vec![JoinedBy::LineOrder],
        JoinMode::Key => [JoinedBy::ExplicitKey, JoinedBy::RequestHash]
            .into_iter()
            .filter(|&kind| index.first_without(kind).is_none())
            .collect(),
    };
    for kind in kinds {
        // A duplicate key only matters once this key is the one joined by: a later expected
        // line without it falls back to the next key, duplicates and all. So the pass still
        // reads every expected line, scoring nothing once a duplicate is known.
        let predicted_duplicate = match kind {
            JoinedBy::LineOrder => None,
            _ => index.duplicate_error(kind),
        };
        let batch = (spec, schema, batch_lines);
        let check_only = predicted_duplicate.is_some();
        match stream_expected(request, batch, dir, progress, &mut index, kind, check_only) {
            Ok(part) => {
                return match predicted_duplicate {
                    Some(e) => Err(e),
                    None => Ok(Part { inputs, ..part }),
                };
            }
            Err(Stop::Input(e)) => return Err(e),
            Err(Stop::Fallback) => index.unclaim_all(),
        }
    }
    Err(unjoinable(request, &index)?)
}

fn create(dir: &Path, name: &str) -> Result<(PathBuf, BackgroundWriter)> {
    let path = dir.join(name);
    let writer = BackgroundWriter::create(&path)?;
    Ok((path, writer))
}

/// What scoring one example gives, before it is folded in order.
struct Scored1 {
    score: ExampleScore,
    line: String,
    /// The [`Record`] as a frame of the records file.
    record: Vec<u8>,
    /// The record's errors and exactness, for the order of `examples.jsonl`.
    rank: (usize, bool),
}

/// Folds example `ordinal` into `acc`: its sums, a failed request, a worst example.
fn fold_one(
    acc: &mut Accumulator,
    spec: &Spec,
    use_repaired: bool,
    ordinal: usize,
    case: &Case,
    score: &ExampleScore,
) {
    acc.add(ordinal, score);
    if let Some(p) = &case.prediction
        && let Output::Failed(reason) = &p.output
    {
        acc.note_failed(ordinal, p.location.to_string(), reason);
    }
    let event_errors = score.events.as_ref().map_or(0, |e| e.fp() + e.fn_());
    if acc.is_worst(event_errors, ordinal) {
        let worst = worst_example(spec, case, score, use_repaired);
        acc.add_worst(event_errors, ordinal, worst);
    }
}

fn stream_expected(
    request: &ScoreRequest,
    (spec, schema, batch_lines): (&Spec, Option<&Schema>, usize),
    dir: &Path,
    progress: &dyn Progress,
    index: &mut PredictionIndex,
    kind: JoinedBy,
    check_only: bool,
) -> std::result::Result<Part, Stop> {
    let scorer = Scorer::new(spec, schema, request.repair);
    let players = player_fields(spec);
    let mut acc = Accumulator::new(spec.paths.len(), spec.lists.len());
    let (records_path, mut records) = create(dir, RECORDS_FILE)?;
    let (lines_path, mut lines) = create(dir, LINES_FILE)?;
    let mut seen: HashMap<KeyDigest, usize> = HashMap::new();
    let mut first_example: Option<(Location, String)> = None;
    let mut claimed_any = false;
    // The first duplicate expected key, reported once the pass shows this key is joined by.
    let mut expected_duplicate: Option<Error> = None;
    let mut ordinal = 0usize;
    let owns = |ordinal: usize| request.shard.is_none_or(|s| s.owns(ordinal));
    // A shard's examples are not all of the file's; its order is made when the parts merge.
    let mut line_order = request.shard.is_none().then(|| LineOrder::new(1, 0));
    let expected_path = &request.expected;
    read_batches_ahead(expected_path, batch_lines, |batch| {
        // By value, here and below, so that each line and example is dropped on the thread
        // that was working on it, not one after another on this one; and the key digested
        // there, so that this one only looks it up.
        let parsed: Vec<_> = batch
            .into_par_iter()
            .map(
                |raw| -> Result<(Example, Option<String>, Option<KeyDigest>)> {
                    let (example, cluster) =
                        read_example(request, raw.location(expected_path), raw.text())?;
                    let key = match kind {
                        JoinedBy::LineOrder => None,
                        _ => key_of(&example.keys, kind).map(digest),
                    };
                    Ok((example, cluster, key))
                },
            )
            .collect();
        let mut pending = Vec::new();
        for item in parsed {
            let (example, cluster, key_digest) = item?;
            let slot = match kind {
                JoinedBy::LineOrder => index.claim_at(ordinal),
                _ => {
                    let (Some(key), Some(key_digest)) = (key_of(&example.keys, kind), key_digest)
                    else {
                        return Err(Stop::Fallback);
                    };
                    if first_example.is_none() {
                        first_example = Some((example.location.clone(), key.to_owned()));
                    }
                    // A key a prediction has is checked for duplicates by its claim; only keys
                    // without a prediction (few, in a usable run) need a set of their own.
                    let first = match index.claim(kind, key_digest, example.location.line) {
                        Claim::Slot(slot) => Ok(Some(slot)),
                        Claim::Taken(first) => Err(first),
                        Claim::None => match seen.insert(key_digest, example.location.line) {
                            Some(first) => Err(first),
                            None => Ok(None),
                        },
                    };
                    match first {
                        Ok(slot) => slot,
                        Err(first) => {
                            let first = Location {
                                path: expected_path.clone(),
                                line: first,
                            };
                            if expected_duplicate.is_none() {
                                expected_duplicate =
                                    Some(duplicate(&example.location, &first, key, kind));
                            }
                            None
                        }
                    }
                }
            };
            claimed_any |= slot.is_some();
            if owns(ordinal) && !check_only && expected_duplicate.is_none() {
                pending.push((ordinal, example, slot, cluster));
            }
            ordinal += 1;
        }
        let index = &*index;
        let cases: Vec<(usize, Case, Option<String>)> = pending
            .into_par_iter()
            .map(|(ordinal, example, slot, cluster)| {
                let prediction = slot.map(|s| index.fetch(s)).transpose()?;
                let case = Case {
                    example,
                    prediction,
                };
                Ok((ordinal, case, cluster))
            })
            .collect::<Result<_>>()?;
        let mut scored: Vec<Scored1> = cases
            .par_iter()
            .map_init(Patterns::default, |patterns, (ordinal, case, cluster)| {
                let score = scorer.score_with(
                    &case.example.expected,
                    case.prediction.as_ref().map(Prediction::answer),
                    patterns,
                );
                let counts = NamedCounts::of(&score, &players);
                let (line, errors, exact) =
                    crate::examples::render_line(case, &score, cluster.as_deref(), &counts);
                let (expected_events, predicted_events) = score
                    .events
                    .as_ref()
                    .map(verdict_core::accumulate::outcome_events)
                    .unwrap_or_default();
                let keys = &case.example.keys;
                let rank = (errors, exact);
                let record = Record {
                    ordinal: *ordinal,
                    key: keys
                        .explicit
                        .clone()
                        .or_else(|| keys.content.clone())
                        .unwrap_or_else(|| case.example.location.to_string()),
                    cluster: cluster.clone(),
                    counts,
                    errors,
                    exact,
                    expected_events,
                    predicted_events,
                    line_len: line.len() as u64,
                };
                Scored1 {
                    score,
                    line,
                    record: record.frame(),
                    rank,
                }
            })
            .collect();
        let (line_parts, record_parts) = cases
            .iter()
            .zip(&mut scored)
            .map(|((ordinal, ..), one)| {
                if let Some(line_order) = &mut line_order {
                    let (errors, exact) = one.rank;
                    line_order.push(*ordinal, errors, exact, one.line.len() as u64);
                }
                let line = std::mem::take(&mut one.line).into_bytes();
                (line, std::mem::take(&mut one.record))
            })
            .unzip();
        lines.write(line_parts)?;
        records.write(record_parts)?;
        progress.advance(cases.len() as u64);
        // Every sum is order-free, so the batch is folded on all threads.
        let folded = cases
            .into_par_iter()
            .zip(scored)
            .fold(
                || Accumulator::new(spec.paths.len(), spec.lists.len()),
                |mut acc, ((ordinal, case, _), one)| {
                    fold_one(&mut acc, spec, request.repair, ordinal, &case, &one.score);
                    acc
                },
            )
            .reduce_with(|mut a, b| {
                a.merge(&b);
                a
            });
        if let Some(folded) = folded {
            acc.merge(&folded);
        }
        Ok(())
    })?;
    records.finish()?;
    lines.finish()?;
    if let Some(line_order) = &mut line_order {
        line_order.shrink();
    }
    if let Some(e) = expected_duplicate {
        return Err(e.into());
    }
    if ordinal == 0 {
        return Err(no_examples(expected_path).into());
    }
    let (orphans, first_orphan) = index.orphans()?;
    if kind != JoinedBy::LineOrder
        && !check_only
        && !claimed_any
        && let (Some((location, key)), Some(orphan)) = (&first_example, &first_orphan)
    {
        let orphan_key = key_of(&orphan.keys, kind).unwrap_or_default();
        return Err(nothing_joined(kind, (location, key), (&orphan.location, orphan_key)).into());
    }
    Ok(Part {
        shard: request.shard,
        acc,
        total_examples: ordinal,
        orphans,
        first_orphan: first_orphan.map(|p| p.location.to_string()),
        joined_by: kind,
        records: records_path,
        lines: lines_path,
        inputs: Vec::new(),
        line_order,
    })
}

/// The name of a part's records file.
pub const RECORDS_FILE: &str = "records.bin";
/// The name of a part's `examples.jsonl` lines file.
pub const LINES_FILE: &str = "lines.jsonl";

/// The worst example `case`, its events aligned side by side.
fn worst_example(
    spec: &Spec,
    case: &Case,
    score: &ExampleScore,
    use_repaired: bool,
) -> WorstExample {
    let events_spec = spec
        .events
        .as_ref()
        .expect("only event tasks rank worst examples");
    let outcome = score.events.as_ref().expect("ranked examples have events");
    let parsed = classify(case.prediction.as_ref().map(|p| &p.output));
    let exp = extract(Some(&case.example.expected), events_spec);
    let pred = extract(parsed.scored_value(use_repaired), events_spec);
    let mut rows: Vec<(Option<i64>, AlignedRow)> = Vec::new();
    for pair in &outcome.pairs {
        let fields_right = pair
            .fields
            .iter()
            .flatten()
            .all(|o| *o == verdict_core::fields::Outcome::Correct);
        let status = match (pair.same_label(), fields_right) {
            (false, _) => "confused",
            (true, false) => "field",
            (true, true) => "match",
        };
        rows.push((
            Some(pair.expected_time_us),
            AlignedRow {
                status: status.into(),
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
                status: "missed".into(),
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
                status: "spurious".into(),
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
        expected_line: verdict_core::files::public_location(&case.example.location),
        tier: score.tier,
        tp: outcome.tp(),
        fp: outcome.fp(),
        fn_: outcome.fn_(),
        rows: rows.into_iter().map(|(_, row)| row).collect(),
    }
}

/// The `examples.jsonl` of a run: its lines, in the parts' lines files (example `o` in part
/// `o % parts`), and the order to write them in. 28 bytes an example.
#[derive(Debug)]
pub struct ExampleLines {
    files: Vec<PathBuf>,
    /// Per example: where its line starts in its part's file, and its length.
    lines: Vec<(u64, u64)>,
    /// (errors, reversed; exactly right; example), sorted: worst first.
    order: Vec<(std::cmp::Reverse<u32>, bool, u32)>,
    /// The threads to read the lines back on.
    threads: usize,
}

impl ExampleLines {
    /// Writes the lines, worst first.
    pub fn write_to(&self, out: &mut dyn Write) -> std::io::Result<()> {
        /// Lines read back by one task.
        const CHUNK: usize = 2048;
        let files: Vec<File> = self
            .files
            .iter()
            .map(File::open)
            .collect::<std::io::Result<_>>()?;
        // The order scatters the reads over the files: on all threads, a window of chunks at
        // a time, so that memory holds only the window.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads.max(1))
            .build()
            .map_err(std::io::Error::other)?;
        let window = CHUNK * 2 * pool.current_num_threads();
        for lines in self.order.chunks(window) {
            let chunks: Vec<std::io::Result<Vec<u8>>> = pool.install(|| {
                lines
                    .par_chunks(CHUNK)
                    .map(|chunk| self.read_lines(&files, chunk))
                    .collect()
            });
            for chunk in chunks {
                out.write_all(&chunk?)?;
            }
        }
        Ok(())
    }

    /// The lines of `examples`, one after another.
    fn read_lines(
        &self,
        files: &[File],
        examples: &[(std::cmp::Reverse<u32>, bool, u32)],
    ) -> std::io::Result<Vec<u8>> {
        // (file, offset, length) of each line; lines that follow each other in a file, as
        // examples of one rank often do, are read together.
        let mut spans: Vec<(usize, u64, u64)> = Vec::new();
        for &(_, _, ordinal) in examples {
            let (offset, len) = self.lines[ordinal as usize];
            let file = ordinal as usize % files.len();
            match spans.last_mut() {
                Some((f, o, l)) if *f == file && *o + *l == offset => *l += len,
                _ => spans.push((file, offset, len)),
            }
        }
        let mut buf = vec![0; spans.iter().map(|&(_, _, len)| len as usize).sum()];
        let mut at = 0;
        for (file, offset, len) in spans {
            let end = at + len as usize;
            files[file].read_exact_at(&mut buf[at..end], offset)?;
            at = end;
        }
        Ok(buf)
    }
}

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
    /// Holds the temporary files of a single run until the report is written.
    _work: Option<verdict_core::files::ScratchDir>,
}

impl Scored {
    /// This run as `verdict compare` sees a run directory.
    pub fn current_run(&self, report: &serde_json::Value) -> verdict_core::compare::Run {
        verdict_core::compare::Run {
            name: "this run".into(),
            report: report.clone(),
            examples: self.run_examples.clone(),
        }
    }
}

/// Loads the spec and its schema.
pub fn load_spec(request: &ScoreRequest) -> Result<(Spec, Option<Schema>)> {
    let (spec, schema, _) = load_spec_and_texts(request)?;
    Ok((spec, schema))
}

/// The spec text and the schema text (when the spec names one) a run was loaded from.
type SpecTexts = (String, Option<String>);

/// [`load_spec`], with the texts each was parsed from, each file read once.
fn load_spec_and_texts(request: &ScoreRequest) -> Result<(Spec, Option<Schema>, SpecTexts)> {
    let spec_text = verdict_core::spec::read_text(&request.spec)?;
    let spec = verdict_core::spec::parse(&request.spec, &spec_text)?;
    let (schema, schema_text) = match spec.schema.as_deref() {
        Some(path) => {
            let text = verdict_core::schema::read_text(path)?;
            (Some(Schema::from_text(path, &text)?), Some(text))
        }
        None => (None, None),
    };
    Ok((spec, schema, (spec_text, schema_text)))
}

/// Runs the whole pipeline and returns the report, without writing anything.
pub fn score(request: &ScoreRequest, progress: &dyn Progress) -> Result<Scored> {
    let (spec, schema) = load_spec(request)?;
    let pool = pool(request.threads)?;
    let work = verdict_core::files::ScratchDir::new(None)?;
    let part =
        pool.install(|| score_part(request, &spec, schema.as_ref(), work.path(), progress))?;
    progress.finish();
    let mut scored = finish(request, &spec, &mut [part], &pool)?;
    scored._work = Some(work);
    Ok(scored)
}

/// Scores one shard of a run and writes its partial state into `out`.
pub fn score_shard(request: &ScoreRequest, out: &Path) -> Result<PathBuf> {
    // The texts recorded are the texts scored with: the merge rebuilds the spec from them.
    let (spec, schema, (spec_text, schema_text)) = load_spec_and_texts(request)?;
    let pool = pool(request.threads)?;
    std::fs::create_dir_all(out)
        .map_err(|e| Error::io(out, "cannot create output directory", e))?;
    // Inside `out`, so the finished files are renamed into place, never copied.
    let work = verdict_core::files::ScratchDir::new(Some(out))?;
    // The files and their sizes as the shard begins; their digests are read beside the
    // scoring. A scoring error is reported before anything of theirs, as it would be without
    // them, and stops the digests.
    let listed = input_sizes(request, None);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (part, digests) = std::thread::scope(|scope| {
        let digests = listed
            .as_ref()
            .ok()
            .map(|files| scope.spawn(|| crate::shard::digest_inputs(files, &stop)));
        let part = pool.install(|| score_part(request, &spec, schema.as_ref(), work.path(), &()));
        if part.is_err() {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let digests = digests.map(|thread| {
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (part, digests)
    });
    let part = part?;
    let (listed, digests) = match (listed, digests) {
        (Ok(listed), Some(digests)) => (listed, digests?),
        // The files could not be listed or sized when the shard began, yet were scored.
        (Err(e), _) => {
            let path = request.predictions.first().unwrap_or(&request.expected);
            return Err(Error::Path {
                path: path.clone(),
                message: format!(
                    "changed while the shard was scored (when it began: {e}): score the shard again on files that stay as they are"
                ),
            });
        }
        (Ok(_), None) => unreachable!("the digests are read whenever the files were listed"),
    };
    crate::shard::check_unchanged(&listed, &part.inputs, &digests)?;
    let settings = crate::shard::Settings::new(request, spec_text, schema_text, digests);
    crate::shard::write_part(out, settings, &part)
}

/// Each input file of `request` (the expected file, then every file the prediction paths
/// expand to, or `files` when they were expanded already) and its size in bytes.
fn input_sizes(request: &ScoreRequest, files: Option<&[PathBuf]>) -> Result<Vec<(PathBuf, u64)>> {
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
fn file_size(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .map_err(|e| Error::io(path, "cannot read", e))?
        .len())
}

/// What `verdict merge` applies to the whole run: the settings a shard does not take.
#[derive(Debug, Clone, Default)]
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
}

/// Finishes a run from the partial states of all its shards.
pub fn merge(dirs: &[PathBuf], whole_run: WholeRun) -> Result<Scored> {
    let threads = whole_run.threads;
    let (request, spec, mut parts) = crate::shard::load_parts(dirs, whole_run)?;
    let pool = pool(threads)?;
    finish(&request, &spec, &mut parts, &pool)
}

/// Turns scored parts (one for a single run, every shard's for a merge) into the report.
pub fn finish(
    request: &ScoreRequest,
    spec: &Spec,
    parts: &mut [Part],
    pool: &rayon::ThreadPool,
) -> Result<Scored> {
    let mut acc = parts[0].acc.clone();
    for part in &parts[1..] {
        acc.merge(&part.acc);
    }
    let first = &parts[0];
    let baseline = request
        .baseline
        .as_deref()
        .map(|path| load_baseline(path, request))
        .transpose()?;
    let mut report = build_report(request, spec, &acc, first);
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
            "{} request(s) failed or were blocked and score as empty outputs (first: {location}: {reason})",
            acc.validity.failed
        ));
    }
    let intervals_on = if request.bootstrap.is_none() && n > DEFAULT_MAX_EXAMPLES {
        warnings.push(format!(
            "no confidence intervals by default above {DEFAULT_MAX_EXAMPLES} examples (they cost time and would be narrow); pass --bootstrap N to compute them"
        ));
        false
    } else {
        replicates > 0
    };
    let paired = baseline.as_ref().is_some_and(|b| b.run.is_some());
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
    // counters, cluster, key and events.
    let kept = match parts {
        [only] => only.line_order.take(),
        _ => None,
    };
    let merging = kept.is_none();
    let mut line_order = kept.unwrap_or_else(|| LineOrder::new(parts.len(), n));
    let mut tp_shifted = 0usize;
    let mut counters = Vec::new();
    let mut clusters = Vec::new();
    let mut run_examples = Vec::new();
    if merging || intervals_on || keep_run || shift.is_some() {
        read_records(parts, pool, |records| {
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
                if intervals_on {
                    counters.push(record.counts.counters(&layout));
                    clusters.push(record.cluster.clone());
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
    if intervals_on {
        let units = Units::new(&counters, &clusters, &layout);
        let all = pool.install(|| bootstrap(&units, &layout, replicates, request.seed));
        report.intervals = Some(Intervals::new(
            all,
            replicates,
            request.seed,
            request.cluster_by.as_ref().map(|c| c.text.clone()),
            units.len(),
        ));
    }
    drop(counters);
    pool.install(|| apply_gates(&mut report, spec, baseline.as_ref(), &run_examples, request))?;
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
        _work: None,
    })
}

/// Reads every part's records, in expected-file order across the parts, and hands them to
/// `take` a batch at a time, decoded on all threads.
fn read_records(
    parts: &[Part],
    pool: &rayon::ThreadPool,
    mut take: impl FnMut(Vec<Record>),
) -> Result<()> {
    let n = parts[0].total_examples;
    let mut readers: Vec<_> = parts
        .iter()
        .map(|p| {
            File::open(&p.records)
                .map(|f| std::io::BufReader::with_capacity(1 << 20, f))
                .map_err(|e| Error::io(&p.records, "cannot read", e))
        })
        .collect::<Result<_>>()?;
    let mut batch: Vec<(usize, Vec<u8>)> = Vec::with_capacity(BATCH_LINES);
    let mut flush = |batch: &mut Vec<(usize, Vec<u8>)>| -> Result<()> {
        let records: Vec<Record> = pool.install(|| {
            batch
                .par_iter()
                .map(|(ordinal, frame)| read_record(parts, *ordinal, frame))
                .collect::<Result<_>>()
        })?;
        batch.clear();
        take(records);
        Ok(())
    };
    for ordinal in 0..n {
        let part = ordinal % parts.len();
        let path = &parts[part].records;
        let frame = Record::read_frame(&mut readers[part]).map_err(|e| {
            let message = match e.kind() {
                std::io::ErrorKind::InvalidData => {
                    format!("{e} at example {ordinal}: the part is damaged")
                }
                _ => format!("cannot read: {e}"),
            };
            Error::Path {
                path: path.clone(),
                message,
            }
        })?;
        let Some(frame) = frame else {
            return Err(Error::Path {
                path: path.clone(),
                message: format!("ends before example {ordinal}: the part is incomplete"),
            });
        };
        batch.push((ordinal, frame));
        if batch.len() == BATCH_LINES {
            flush(&mut batch)?;
        }
    }
    flush(&mut batch)
}

/// Decodes the record of example `ordinal` from its frame in its part's records file.
fn read_record(parts: &[Part], ordinal: usize, frame: &[u8]) -> Result<Record> {
    let path = &parts[ordinal % parts.len()].records;
    let record = Record::decode(frame).map_err(|e| Error::Path {
        path: path.clone(),
        message: format!("a record does not parse ({e}): the part is damaged"),
    })?;
    if record.ordinal != ordinal {
        return Err(Error::Path {
            path: path.clone(),
            message: format!(
                "holds example {} where example {ordinal} was expected: the parts do not belong together",
                record.ordinal
            ),
        });
    }
    Ok(record)
}

/// The layout of the resampling counters for a finished report: its class labels.
pub fn layout(spec: &Spec, has_schema: bool, report: &Report) -> Layout {
    let labels = report.classes.iter().map(|c| c.label.clone()).collect();
    Layout::new(spec, has_schema, labels)
}

fn load_baseline(path: &Path, request: &ScoreRequest) -> Result<Baseline> {
    if path.is_dir() {
        let run = crate::runs::load_run(path)?;
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
    let ratio = |count: usize| (n > 0).then(|| count as f64 / n as f64);
    let scored_classes = spec.events.is_some() || spec.label.is_some();
    let classes = scored_classes.then(|| class_metrics(totals, &spec.labels));
    let field_specs: Vec<(&String, &FieldSpec)> = spec.fields.iter().collect();
    let events = spec
        .events
        .as_ref()
        .map(|e| event_metrics(totals, &field_specs, &e.sweep, seconds_to_us(e.tolerance)));
    let timing_bias = events.as_ref().map(|m| {
        let f1 = classes.as_ref().and_then(|c| c.micro_f1);
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
        missing_predictions: acc.missing_predictions,
        orphan_predictions: part.orphans,
        failed_requests: validity.failed,
        json_valid_strict: ratio(validity.strict),
        json_valid: ratio(validity.strict + validity.extracted),
        json_recoverable: ratio(validity.strict + validity.extracted + validity.repaired),
        schema_valid: spec.schema.as_ref().and_then(|_| ratio(schema.valid)),
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
            joined_by: part.joined_by,
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
        worst_examples: acc.worst.iter().map(|(_, _, w)| w.clone()).collect(),
        anls,
        paths,
        lists,
        intervals: None,
        baseline: None,
        gates: Vec::new(),
        passed: true,
    }
}

/// Evaluates the gates and the baseline on the finished report and records the results.
fn apply_gates(
    report: &mut Report,
    spec: &Spec,
    baseline: Option<&Baseline>,
    examples: &[verdict_core::compare::RunExample],
    request: &ScoreRequest,
) -> Result<()> {
    let json = serde_json::to_value(&*report)
        .map_err(|e| Error::Usage(format!("cannot evaluate gates: {e}")))?;
    report.gates = evaluate(&json, &spec.gates, &request.gates, baseline)?;
    if let Some(baseline) = baseline
        && let Some(before) = &baseline.run
    {
        let replicates = request.bootstrap.unwrap_or(DEFAULT_REPLICATES);
        if replicates == 0 {
            return Err(Error::Usage(
                "--baseline DIR judges the change on a bootstrap interval: drop --bootstrap 0, or give the baseline's report.json"
                    .into(),
            ));
        }
        let now = verdict_core::compare::Run {
            name: "this run".into(),
            report: json.clone(),
            examples: examples.to_vec(),
        };
        let comparison = verdict_core::compare::compare(before, &now, replicates, request.seed)?;
        report
            .gates
            .extend(paired_baseline_gates(baseline, &comparison));
    }
    report.passed = report.gates.iter().all(|g| g.passed);
    if let Some(baseline) = baseline {
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
    verdict_core::files::public_path(&path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_lines_are_written_in_order_across_chunks_and_parts() {
        // Two parts' lines files, examples alternating between them, and an order that jumps
        // about: more lines than one window of chunks holds, on three threads.
        let dir = tempfile::tempdir().unwrap();
        let n = 11_000u32;
        let line = |o: u32| format!("{{\"example\": {o}}}\n");
        let mut files = vec![Vec::new(), Vec::new()];
        let mut lines = Vec::new();
        for o in 0..n {
            let file = &mut files[o as usize % 2];
            lines.push((file.len() as u64, line(o).len() as u64));
            file.extend_from_slice(line(o).as_bytes());
        }
        let paths: Vec<PathBuf> = (0..2)
            .map(|i| dir.path().join(format!("{i}.jsonl")))
            .collect();
        for (path, bytes) in paths.iter().zip(&files) {
            std::fs::write(path, bytes).unwrap();
        }
        let mut order: Vec<_> = (0..n)
            .map(|o| (std::cmp::Reverse(o * 7919 % 13), o % 3 == 0, o))
            .collect();
        order.sort_unstable();
        let expected: String = order.iter().map(|&(_, _, o)| line(o)).collect();
        let examples = ExampleLines {
            files: paths,
            lines,
            order,
            threads: 3,
        };
        let mut out = Vec::new();
        examples.write_to(&mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn a_cluster_pointer_reads_the_parts_of_a_line_scoring_leaves_unread() {
        let line = r#"{"systemInstruction": {"parts": [{"text": "game-7"}]}, "contents": [{"role": "user", "parts": [{"text": "q"}]}, {"role": "model", "parts": [{"text": "[]"}]}]}"#;
        let location = Location {
            path: "expected.jsonl".into(),
            line: 1,
        };
        let mut request = request("datasets/basketball");
        request.cluster_by = Some("/systemInstruction/parts/0/text".parse().unwrap());
        let (_, cluster) = read_example(&request, location.clone(), line).unwrap();
        assert_eq!(cluster.as_deref(), Some("game-7"));
        request.cluster_by = None;
        let (example, cluster) = read_example(&request, location, line).unwrap();
        assert_eq!((example.expected, cluster), (serde_json::json!([]), None));
    }

    fn request(dataset: &str) -> ScoreRequest {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(dataset);
        ScoreRequest {
            threads: Some(2),
            bootstrap: Some(50),
            seed: 1,
            keep_run: true,
            ..ScoreRequest::new(
                dir.join("eval.toml"),
                dir.join("expected.jsonl"),
                vec![dir.join("predictions.jsonl")],
            )
        }
    }

    /// The report, `examples.jsonl` and per-example keys of a run read in batches of `lines`.
    fn run_in_batches(request: &ScoreRequest, lines: usize) -> (String, Vec<u8>, Vec<String>) {
        let (spec, schema) = load_spec(request).unwrap();
        let pool = pool(request.threads).unwrap();
        let work = tempfile::tempdir().unwrap();
        let part = pool
            .install(|| {
                score_part_in_batches(request, &spec, schema.as_ref(), work.path(), &(), lines)
            })
            .unwrap();
        let scored = finish(request, &spec, &mut [part], &pool).unwrap();
        let mut examples = Vec::new();
        scored.examples.write_to(&mut examples).unwrap();
        let keys = scored.run_examples.iter().map(|e| e.key.clone()).collect();
        (scored.report.to_json(), examples, keys)
    }

    #[test]
    fn batch_boundaries_change_nothing() {
        for dataset in ["datasets/basketball", "datasets/tickets"] {
            let request = request(dataset);
            let whole = run_in_batches(&request, BATCH_LINES);
            for lines in [1, 7, 64] {
                assert!(
                    run_in_batches(&request, lines) == whole,
                    "{dataset}, batches of {lines}"
                );
            }
            let report: serde_json::Value = serde_json::from_str(&whole.0).unwrap();
            assert_eq!(
                Some(whole.2.len() as u64),
                report["summary"]["examples"].as_u64()
            );
        }
    }

    #[test]
    fn shard_numbers_parse_and_own_every_example_once() {
        let shards: Vec<Shard> = ["0/3", "1/3", "2 / 3"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        for ordinal in 0..30 {
            assert_eq!(shards.iter().filter(|s| s.owns(ordinal)).count(), 1);
        }
        assert!("3/3".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        assert!("-1/2".parse::<Shard>().is_err());
    }
}
