//! Streaming a run: index the predictions, then read the expected file in batches, join,
//! parse and score each batch on all threads, and fold the scores in file order into sums and
//! per-example records on disk.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::{Phase, Progress};
use rayon::prelude::*;

use super::records::{LINES_FILE, LineOrder, Part, PartFiles, RECORDS_FILE};
use super::request::{ScoreRequest, input_sizes};
use verdict_core::accumulate::{Accumulator, Record};
use verdict_core::anls::Patterns;
use verdict_core::bounded::{MAX_WORST_ROWS, shown_value};
use verdict_core::coverage::Coverage;
use verdict_core::error::{Error, Location, Result};
use verdict_core::events::extract;
use verdict_core::example::{ExampleScore, Scorer};
use verdict_core::poisson::Replicates;
use verdict_core::resample::{DEFAULT_REPLICATES, NamedCounts, player_fields};
use verdict_core::schema::Schema;
use verdict_core::spec::Spec;
use verdict_core::validity::classify;
use verdict_input::index::{BATCH_LINES, Claim, KeyDigest, PredictionIndex, digest};
use verdict_input::join::{Case, JoinMode, JoinedBy, KeyGaps, duplicate, key_of, nothing_joined};
use verdict_input::read::{expand_paths, parse_line, read_batches, read_batches_ahead, read_jsonl};
use verdict_input::spill::BackgroundWriter;
use verdict_input::{Example, Output, Prediction, expected};
use verdict_report::{AlignedRow, WorstExample};

/// Why streaming the expected file stopped.
pub(super) enum Stop {
    Input(Error),
    /// An example lacks the key tried: try the next kind of key.
    Fallback,
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Input(e)
    }
}

pub(super) fn no_examples(path: &Path) -> Error {
    Error::Path {
        path: path.to_path_buf(),
        message: "no examples: the file is empty (expected one JSON object per line)".into(),
    }
}

/// Reads an expected line: its example and, with `--cluster-by`, its cluster.
pub(super) fn read_example(
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
pub(super) fn unjoinable(request: &ScoreRequest, index: &PredictionIndex) -> Result<Error> {
    let (mut no_id, mut no_hash) = (None, None);
    read_jsonl(
        &request.expected,
        request.max_line_bytes,
        |location, value| {
            let example = expected::detect(location, value)?;
            if example.keys.explicit.is_none() && no_id.is_none() {
                no_id = Some(example.location.clone());
            }
            if example.keys.content.is_none() && no_hash.is_none() {
                no_hash = Some(example.location);
            }
            Ok(())
        },
    )?;
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

pub(super) fn score_part_in_batches(
    request: &ScoreRequest,
    spec: &Spec,
    schema: Option<&Schema>,
    dir: &Path,
    progress: &dyn Progress,
    batch_lines: usize,
) -> Result<Part> {
    // The expected file is named first when it cannot be read or holds no example, as it
    // would be if it were read before the predictions. It is read twice (checked for an
    // example, then streamed), so a pipe is refused by name.
    verdict_input::read::refuse_special_file(&request.expected)?;
    match read_batches(&request.expected, 1, request.max_line_bytes, |_| {
        Err(Stop::Fallback)
    }) {
        Ok(_) => return Err(no_examples(&request.expected)),
        Err(Stop::Input(e)) => return Err(e),
        Err(Stop::Fallback) => {}
    }
    let files = expand_paths(&request.predictions)?;
    let inputs = input_sizes(request, Some(&files))?;
    let prediction_bytes = inputs.iter().skip(1).map(|(_, size)| size).sum();
    progress.phase(Phase::ReadingPredictions, prediction_bytes);
    let mut index =
        PredictionIndex::build_reporting(&files, dir, request.max_line_bytes, &|bytes| {
            progress.advance(bytes);
        })?;
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
        JoinMode::Key => [
            JoinedBy::ExplicitKey,
            JoinedBy::RequestAndSystemHash,
            JoinedBy::RequestHash,
        ]
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
        // Also when a pass falls back to the next key: its count starts again.
        progress.phase(Phase::Scoring, index.len() as u64);
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

/// Creates `dir/name` for writing; `digested` for a file checked when it is read back.
pub(super) fn create(
    dir: &Path,
    name: &str,
    digested: bool,
) -> Result<(PathBuf, BackgroundWriter)> {
    let path = dir.join(name);
    let writer = if digested {
        BackgroundWriter::create_digested(&path)?
    } else {
        BackgroundWriter::create(&path)?
    };
    Ok((path, writer))
}

/// What scoring one example gives, before it is folded in order.
pub(super) struct Scored1 {
    score: ExampleScore,
    line: String,
    /// The [`Record`] as a frame of the records file.
    record: Vec<u8>,
    /// The record's errors and exactness, for the order of `examples.jsonl`.
    rank: (usize, bool),
    /// With intervals on: the generator stream of the example's unit and its counts.
    unit: Option<(u64, NamedCounts)>,
}

/// Folds example `ordinal` into `acc`: its sums, a failed request, a worst example.
pub(super) fn fold_one(
    acc: &mut Accumulator,
    (spec, coverage): (&Spec, &Coverage),
    use_repaired: bool,
    ordinal: usize,
    case: &Case,
    score: &ExampleScore,
) {
    acc.add(ordinal, score);
    acc.observe(coverage, &case.example.expected);
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

pub(super) fn stream_expected(
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
    let coverage = Coverage::new(spec);
    let mut acc = Accumulator::new(spec.paths.len(), spec.lists.len());
    let mut replicates = match request.bootstrap.unwrap_or(DEFAULT_REPLICATES) {
        0 => None,
        n => Some(Replicates::new(n, request.cluster_by.is_some())),
    };
    let intervals_on = replicates.is_some();
    // A shard's files are read back by a merge, maybe elsewhere and much later: their digests
    // let it tell a changed part from the one written.
    let digested = request.shard.is_some();
    let (records_path, mut records) = create(dir, RECORDS_FILE, digested)?;
    let (lines_path, mut lines) = create(dir, LINES_FILE, digested)?;
    let mut seen: HashMap<KeyDigest, usize> = HashMap::new();
    // With --join line: the expected keys seen so far, per kind (a key some lines share does
    // not tell where its answer is).
    let mut line_keys: [HashMap<KeyDigest, usize>; 3] = Default::default();
    let mut first_example: Option<(Location, String)> = None;
    let mut claimed_any = false;
    // The first duplicate expected key, reported once the pass shows this key is joined by.
    let mut expected_duplicate: Option<Error> = None;
    let mut ordinal = 0usize;
    let owns = |ordinal: usize| request.shard.is_none_or(|s| s.owns(ordinal));
    // A shard's examples are not all of the file's; its order is made when the parts merge.
    let mut line_order = request.shard.is_none().then(|| LineOrder::new(1, 0));
    let expected_path = &request.expected;
    read_batches_ahead(
        expected_path,
        batch_lines,
        request.max_line_bytes,
        |batch| {
            // By value, here and below, so that each line and example is dropped on the thread
            // that was working on it, not one after another on this one; and the key digested
            // there, so that this one only looks it up.
            let parsed: Vec<_> = batch
                .into_par_iter()
                .map(
                    |raw| -> Result<(Example, Option<String>, Option<KeyDigest>)> {
                        let (mut example, cluster) =
                            read_example(request, raw.location(expected_path), raw.text())?;
                        example.form_calls(spec.tool_calls);
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
                    JoinedBy::LineOrder => {
                        check_line_pair(index, &mut line_keys, ordinal, &example)?;
                        index.claim_at(ordinal)
                    }
                    _ => {
                        let (Some(key), Some(key_digest)) =
                            (key_of(&example.keys, kind), key_digest)
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
                    let mut example = example;
                    example.keys.known_by(kind);
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
                    let unit = intervals_on.then(|| {
                        (
                            unit_stream(request, kind, *ordinal, case, cluster.as_deref()),
                            counts.clone(),
                        )
                    });
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
                        unit,
                    }
                })
                .collect();
            // The declared labels are the task's label set: an expected label outside it is a
            // mistake in the spec or the data, and a class invented by either would skew the
            // averages.
            let undeclared = cases.iter().zip(&scored).find_map(|((_, case, _), one)| {
                let label = one.score.undeclared_expected_label(&spec.labels)?;
                Some((case, label))
            });
            if let Some((case, label)) = undeclared {
                return Err(Error::line(
                    case.example.location.clone(),
                    verdict_core::example::undeclared_label_message(label, &spec.labels),
                )
                .into());
            }
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
            if let Some(replicates) = &mut replicates {
                let units: Vec<(u64, &NamedCounts)> = scored
                    .iter()
                    .filter_map(|one| one.unit.as_ref().map(|(s, c)| (*s, c)))
                    .collect();
                replicates.add(&units);
            }
            // Every sum is order-free, so the batch is folded on all threads.
            let folded = cases
                .into_par_iter()
                .zip(scored)
                .fold(
                    || Accumulator::new(spec.paths.len(), spec.lists.len()),
                    |mut acc, ((ordinal, case, _), one)| {
                        let by = (spec, &coverage);
                        fold_one(&mut acc, by, request.repair, ordinal, &case, &one.score);
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
        },
    )?;
    let written = match (records.finish()?, lines.finish()?) {
        (Some(records), Some(lines)) => Some(PartFiles { records, lines }),
        _ => None,
    };
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
        replicates,
        total_examples: ordinal,
        orphans,
        first_orphan: first_orphan.map(|p| p.location.to_string()),
        joined_by: kind,
        records: records_path,
        lines: lines_path,
        written,
        inputs: Vec::new(),
        line_order,
    })
}

/// The generator stream of the bootstrap unit of example `ordinal`: its cluster with
/// `--cluster-by`, else its key, the one joined by (with `--join line`, its line): so another
/// run on the same test set and seed weighs it alike.
fn unit_stream(
    request: &ScoreRequest,
    kind: JoinedBy,
    ordinal: usize,
    case: &Case,
    cluster: Option<&str>,
) -> u64 {
    let seed = request.seed;
    match (cluster, kind) {
        (Some(cluster), _) => verdict_core::poisson::unit_stream(seed, cluster),
        (None, JoinedBy::LineOrder) => {
            verdict_core::poisson::unit_stream(seed, &format!("line {}", ordinal + 1))
        }
        (None, _) => verdict_core::poisson::unit_stream(
            seed,
            key_of(&case.example.keys, kind).unwrap_or_default(),
        ),
    }
}

/// With `--join line`: the error when the expected line at `ordinal` has a key (its id, or its
/// request hash) that the prediction at another position carries, and no other line of
/// either side has: the predictions came back in another order than the test set, and pairing
/// by position would score each answer against another example's expected output.
fn check_line_pair(
    index: &PredictionIndex,
    seen: &mut [HashMap<KeyDigest, usize>; 3],
    ordinal: usize,
    example: &Example,
) -> Result<()> {
    // With the system instruction too: two examples whose user turns are equal share a request
    // hash, which then tells nothing, but their system hashes still tell them apart.
    let kinds = [
        JoinedBy::ExplicitKey,
        JoinedBy::RequestHash,
        JoinedBy::RequestAndSystemHash,
    ];
    for (kind, seen) in kinds.into_iter().zip(seen.iter_mut()) {
        let Some(key) = key_of(&example.keys, kind) else {
            continue;
        };
        let key_digest = digest(key);
        if seen.insert(key_digest, ordinal).is_some() {
            continue;
        }
        let Some(position) = index.position_of(kind, key_digest) else {
            continue;
        };
        if position == ordinal {
            continue;
        }
        let Some(answer) = index.location_at(position) else {
            continue;
        };
        let paired = index.location_at(ordinal).map_or_else(
            || "no prediction (there are fewer)".to_owned(),
            |l| l.to_string(),
        );
        let key = match kind {
            JoinedBy::ExplicitKey => format!("the same key {key:?}"),
            JoinedBy::RequestAndSystemHash => {
                format!("the same request and system instruction (request hash {key})")
            }
            _ => format!("the same request (request hash {key})"),
        };
        return Err(Error::Join(format!(
            "--join line pairs {} with {paired}, but {answer} carries {key}: the predictions carry their own keys in another order than the test set (batch outputs come back in any order), so pairing by line would score answers against the wrong examples. Leave out --join line to join by key",
            example.location
        )));
    }
    Ok(())
}

/// The worst example `case`, its events aligned side by side.
pub(super) fn worst_example(
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
    let parsed = classify(case.prediction.as_ref().map(|p| &p.output), spec.tool_calls);
    let exp = extract(Some(&case.example.expected), events_spec);
    let pred = extract(parsed.scored_value(use_repaired), events_spec);
    // Which rows, in time order, before any is built: an output of millions of events
    // shows its first rows, and only those are copied.
    let mut rows: Vec<(Option<i64>, Row)> = Vec::new();
    rows.extend(
        outcome
            .pairs
            .iter()
            .enumerate()
            .map(|(i, pair)| (Some(pair.expected_time_us), Row::Pair(i))),
    );
    rows.extend(
        outcome
            .missed
            .iter()
            .map(|m| (m.time_us, Row::Missed(m.index))),
    );
    rows.extend(
        outcome
            .spurious
            .iter()
            .map(|s| (s.time_us, Row::Spurious(s.index))),
    );
    // Events without a time go last.
    rows.sort_by_key(|(time, _)| (time.is_none(), *time));
    let rows_not_shown = rows.len().saturating_sub(MAX_WORST_ROWS);
    rows.truncate(MAX_WORST_ROWS);
    let shown = |value: &serde_json::Value| shown_value(value).0;
    let rows = rows
        .into_iter()
        .map(|(_, row)| match row {
            Row::Pair(i) => {
                let pair = &outcome.pairs[i];
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
                AlignedRow {
                    status: status.into(),
                    expected: Some(shown(exp.events[pair.expected_index].value)),
                    predicted: Some(shown(pred.events[pair.predicted_index].value)),
                    dt: Some(pair.dt_us as f64 / 1e6),
                }
            }
            Row::Missed(index) => AlignedRow {
                status: "missed".into(),
                expected: Some(shown(exp.events[index].value)),
                predicted: None,
                dt: None,
            },
            Row::Spurious(index) => AlignedRow {
                status: "spurious".into(),
                expected: None,
                predicted: Some(shown(pred.events[index].value)),
                dt: None,
            },
        })
        .collect();
    let keys = &case.example.keys;
    WorstExample {
        id: keys.explicit.clone().or_else(|| keys.content.clone()),
        expected_line: verdict_core::files::public_location(&case.example.location),
        tier: score.tier,
        tp: outcome.tp(),
        fp: outcome.fp(),
        fn_: outcome.fn_(),
        rows,
        rows_not_shown,
    }
}

/// A row of a worst example before it is built: a pair (its position among the pairs), or a
/// missed or spurious event (its index in its output).
enum Row {
    Pair(usize),
    Missed(usize),
    Spurious(usize),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::*;

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
            order: order.clone(),
            threads: 3,
        };
        let written = |kept| {
            let mut out = Vec::new();
            examples.write_to(&mut out, kept).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(written(verdict_report::Kept::All), expected);
        // `errors` keeps the lines of the inexact examples (here o % 3 != 0), in the same order.
        let inexact: String = order
            .iter()
            .filter(|&&(_, exact, _)| !exact)
            .map(|&(_, _, o)| line(o))
            .collect();
        assert!(!inexact.is_empty() && inexact.len() < expected.len());
        assert_eq!(written(verdict_report::Kept::Errors), inexact);
        assert_eq!(written(verdict_report::Kept::None), "");
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
        let scored = finish(request, &spec, &mut [part], &pool, &(), String::new()).unwrap();
        let mut examples = Vec::new();
        scored
            .examples
            .write_to(&mut examples, verdict_report::Kept::All)
            .unwrap();
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

    /// Every phase begun and the units advanced in it.
    #[derive(Default)]
    struct Recorded(std::sync::Mutex<Vec<(crate::Phase, u64, u64)>>);

    impl Progress for Recorded {
        fn phase(&self, phase: crate::Phase, total: u64) {
            self.0.lock().unwrap().push((phase, total, 0));
        }
        fn advance(&self, done: u64) {
            self.0.lock().unwrap().last_mut().expect("a phase began").2 += done;
        }
    }

    #[test]
    fn a_run_reports_its_phases_in_order_with_their_totals() {
        use crate::Phase::*;
        let request = request("datasets/basketball");
        let recorded = Recorded::default();
        let scored = crate::score::score(&request, &recorded).unwrap();
        let examples = scored.report.summary.examples as u64;
        let bytes = std::fs::metadata(&request.predictions[0]).unwrap().len();
        // The bundled predictions file ends each line with one line break and nothing else,
        // so the bytes counted come to its size. Its 319 predictions are the scoring total
        // announced; the 320th example, which has none, is scored all the same.
        assert_eq!(examples, 320);
        assert_eq!(
            recorded.0.into_inner().unwrap(),
            vec![
                (ReadingPredictions, bytes, bytes),
                (Scoring, 319, examples),
                (ReadingRecords, examples, examples),
                (Intervals, 50, 50),
            ]
        );
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
