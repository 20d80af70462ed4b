//! Folds per-example scores into the sums the report is computed from.
//!
//! An [`Accumulator`] holds counts and sums only (and the few worst examples), never a list
//! that grows with the examples, so a run's memory does not depend on its size. Accumulators
//! of disjoint sets of examples [`merge`](Accumulator::merge) into exactly the accumulator of
//! the whole, which is what lets `verdict score --shard` and `verdict merge` reproduce a single
//! run. What the report needs example by example (bootstrap counters, the timing-bias
//! re-match, `examples.jsonl`) goes into a [`Record`] per example, written to disk.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::counts::{RepairCounts, Validity, WorstExample};
use crate::coverage::{Coverage, Presence};
use crate::example::{ExampleScore, WORST_EXAMPLES};
use crate::metrics::{AnlsTotals, Totals};
use crate::objects::{ListCounts, PathCounts};
use crate::resample::{ANLS_UNIT, NamedCounts};
use crate::schema::{ErrorTable, UndecidedTable};

/// The sums over a set of scored examples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Accumulator {
    /// Examples scored.
    pub examples: usize,
    /// Examples no prediction answered.
    pub missing_predictions: usize,
    /// Examples exactly right ([`ExampleScore::exact`]).
    pub exact: usize,
    /// Validity tiers.
    pub validity: Validity,
    /// Repairs needed.
    pub repairs: RepairCounts,
    /// Finish reasons of the predictions.
    pub finish_reasons: BTreeMap<String, usize>,
    /// Predictions whose answer came with reasoning.
    pub reasoning: usize,
    /// Schema violations folded by path pattern and keyword.
    pub schema_table: ErrorTable,
    /// Outputs checked against the schema, and how many were valid.
    pub schema_checked: usize,
    /// Outputs valid against the schema.
    pub schema_valid: usize,
    /// Outputs whose validity a pattern the regex engine could not finish left unknown.
    pub schema_undecided: usize,
    /// Those patterns.
    pub undecided_table: UndecidedTable,
    /// Event and label totals.
    pub totals: Totals,
    /// ANLS* scores.
    pub anls: AnlsTotals,
    /// Per `[paths]` pattern, in spec order.
    pub paths: Vec<PathCounts>,
    /// Per `[lists]` list, in spec order; `similarity_sum` unused (see `list_similarity_e12`).
    pub lists: Vec<ListCounts>,
    /// Per list, the summed similarity in units of 1e-12, so sums do not depend on order.
    pub list_similarity_e12: Vec<i64>,
    /// The first failed request in expected-file order: (ordinal, location, reason).
    pub first_failed: Option<(usize, String, String)>,
    /// The worst examples so far, worst first: (errors, ordinal, the example).
    pub worst: Vec<(usize, usize, WorstExample)>,
    /// Per spec value naming a pointer or member (in [`Coverage`] order), how often the
    /// expected outputs had it; empty until an output is observed.
    pub coverage: Vec<Presence>,
}

impl Accumulator {
    /// An empty accumulator for a spec with `paths` `[paths]` patterns and `lists` lists.
    pub fn new(paths: usize, lists: usize) -> Accumulator {
        Accumulator {
            paths: vec![PathCounts::default(); paths],
            lists: vec![ListCounts::default(); lists],
            list_similarity_e12: vec![0; lists],
            ..Accumulator::default()
        }
    }

    /// Adds the score of example `ordinal` (its position in the expected file).
    pub fn add(&mut self, ordinal: usize, score: &ExampleScore) {
        self.examples += 1;
        self.missing_predictions += usize::from(!score.has_prediction);
        self.exact += usize::from(score.exact());
        self.validity.add(score.tier);
        self.repairs.add(score.repairs);
        if score.has_prediction {
            let reason = score.finish_reason.as_deref().unwrap_or("unspecified");
            *self.finish_reasons.entry(reason.to_owned()).or_default() += 1;
        }
        self.reasoning += usize::from(score.reasoning);
        if let Some(checked) = &score.schema {
            self.schema_table.add_output(ordinal, checked.violations());
            self.schema_checked += 1;
            self.schema_valid += usize::from(checked.is_valid());
            if let Some(undecided) = checked.undecided() {
                self.schema_undecided += 1;
                self.undecided_table.add_output(ordinal, undecided);
            }
        }
        if let Some(events) = &score.events {
            self.totals.add_events(events);
        }
        if let Some(label) = &score.label {
            self.totals.add_label(label);
        }
        self.anls.add(
            score.anls,
            score.anls_typed.as_ref(),
            score.anls_approximated,
        );
        for (total, counts) in self.paths.iter_mut().zip(&score.paths) {
            *total += *counts;
        }
        for ((total, e12), counts) in self
            .lists
            .iter_mut()
            .zip(&mut self.list_similarity_e12)
            .zip(&score.lists)
        {
            add_list(total, counts);
            *e12 += (counts.similarity_sum * ANLS_UNIT).round() as i64;
        }
    }

    /// Counts which spec values the expected output `expected` has.
    pub fn observe(&mut self, coverage: &Coverage, expected: &serde_json::Value) {
        coverage.observe(expected, &mut self.coverage);
    }

    /// Records a failed request of example `ordinal` for the warning, keeping the first.
    pub fn note_failed(&mut self, ordinal: usize, location: String, reason: &str) {
        if self
            .first_failed
            .as_ref()
            .is_none_or(|(o, _, _)| ordinal < *o)
        {
            self.first_failed = Some((ordinal, location, reason.to_owned()));
        }
    }

    /// Whether an example with `errors` event errors would be among the worst.
    pub fn is_worst(&self, errors: usize, ordinal: usize) -> bool {
        errors > 0
            && (self.worst.len() < WORST_EXAMPLES
                || self.worst.last().is_some_and(|(e, o, _)| {
                    (std::cmp::Reverse(errors), ordinal) < (std::cmp::Reverse(*e), *o)
                }))
    }

    /// Offers an example for the worst examples (most errors first, then file order).
    pub fn add_worst(&mut self, errors: usize, ordinal: usize, example: WorstExample) {
        if !self.is_worst(errors, ordinal) {
            return;
        }
        self.worst.push((errors, ordinal, example));
        self.worst
            .sort_by_key(|(e, o, _)| (std::cmp::Reverse(*e), *o));
        self.worst.truncate(WORST_EXAMPLES);
    }

    /// Adds the accumulator of another, disjoint set of examples.
    pub fn merge(&mut self, other: &Accumulator) {
        self.examples += other.examples;
        self.missing_predictions += other.missing_predictions;
        self.exact += other.exact;
        self.validity += other.validity;
        self.repairs += other.repairs;
        for (reason, n) in &other.finish_reasons {
            *self.finish_reasons.entry(reason.clone()).or_default() += n;
        }
        self.reasoning += other.reasoning;
        self.schema_table.merge(&other.schema_table);
        self.schema_checked += other.schema_checked;
        self.schema_valid += other.schema_valid;
        self.schema_undecided += other.schema_undecided;
        self.undecided_table.merge(&other.undecided_table);
        self.totals.merge(&other.totals);
        self.anls.merge(&other.anls);
        for (total, counts) in self.paths.iter_mut().zip(&other.paths) {
            *total += *counts;
        }
        for (total, counts) in self.lists.iter_mut().zip(&other.lists) {
            add_list(total, counts);
        }
        for (total, e12) in self
            .list_similarity_e12
            .iter_mut()
            .zip(&other.list_similarity_e12)
        {
            *total += e12;
        }
        if let Some((ordinal, location, reason)) = &other.first_failed {
            self.note_failed(*ordinal, location.clone(), reason);
        }
        for (errors, ordinal, example) in &other.worst {
            self.add_worst(*errors, *ordinal, example.clone());
        }
        crate::coverage::merge_all(&mut self.coverage, &other.coverage);
    }

    /// The summed lists, with their similarity sums.
    pub fn list_totals(&self) -> Vec<ListCounts> {
        self.lists
            .iter()
            .zip(&self.list_similarity_e12)
            .map(|(counts, e12)| ListCounts {
                similarity_sum: *e12 as f64 / ANLS_UNIT,
                ..*counts
            })
            .collect()
    }
}

/// Adds a list's element counts; similarities are summed apart, in integer units.
fn add_list(total: &mut ListCounts, counts: &ListCounts) {
    total.expected += counts.expected;
    total.predicted += counts.predicted;
    total.matched += counts.matched;
}

/// What the report needs of one example beyond the sums: written to disk as one frame of
/// the records file ([`Record::frame`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the expected file.
    pub ordinal: usize,
    /// The key `verdict compare` pairs examples by: the id, else the expected line.
    pub key: String,
    /// The cluster, with `--cluster-by`.
    pub cluster: Option<String>,
    /// The counters.
    pub counts: NamedCounts,
    /// fp + fn, for the order of `examples.jsonl`.
    pub errors: usize,
    /// Whether the example is exactly right, for the order of `examples.jsonl`.
    pub exact: bool,
    /// (time in µs, label) of the expected events, for the timing-bias re-match.
    pub expected_events: TimedLabels,
    /// (time in µs, label) of the predicted events.
    pub predicted_events: TimedLabels,
    /// The length in bytes, newline included, of the example's `examples.jsonl` line; the
    /// lines lie in their part's lines file in the order of the records.
    pub line_len: u64,
}

/// Records larger than this are taken for damage, not read.
const MAX_FRAME: usize = 1 << 28;

impl Record {
    /// The record as one frame of a records file: its length in bytes (4, little-endian),
    /// then its postcard encoding. A binary frame, because the records are
    /// written and read back once per example, where JSON cost a tenth of a run's time.
    pub fn frame(&self) -> Vec<u8> {
        let mut frame = postcard::to_extend(self, vec![0; 4]).expect("a record encodes");
        let len = u32::try_from(frame.len() - 4).expect("a record under 4 GiB");
        frame[..4].copy_from_slice(&len.to_le_bytes());
        frame
    }

    /// The bytes of the next frame written by [`Record::frame`]; `None` at the end of the
    /// file. A frame cut short or of an impossible length is an error.
    pub fn read_frame(reader: &mut impl std::io::Read) -> std::io::Result<Option<Vec<u8>>> {
        let cut_short =
            || std::io::Error::new(std::io::ErrorKind::InvalidData, "a record cut short");
        let mut len = [0; 4];
        let mut got = 0;
        while got < len.len() {
            match reader.read(&mut len[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        match got {
            0 => return Ok(None),
            4 => {}
            _ => return Err(cut_short()),
        }
        let len = u32::from_le_bytes(len) as usize;
        if len > MAX_FRAME {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("a record of {len} bytes"),
            ));
        }
        let mut frame = vec![0; len];
        reader.read_exact(&mut frame).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => cut_short(),
            _ => e,
        })?;
        Ok(Some(frame))
    }

    /// Decodes a frame's bytes, all of them: a frame longer than its record is damaged too.
    pub fn decode(bytes: &[u8]) -> std::result::Result<Record, postcard::Error> {
        match postcard::take_from_bytes(bytes)? {
            (record, []) => Ok(record),
            _ => Err(postcard::Error::DeserializeBadEncoding),
        }
    }

    /// Same-label pairs of the example after shifting every predicted time by `shift_us`,
    /// matched at `tolerance_us`. The matcher maximises same-label pairs first, so this count
    /// depends only on the events' times and labels, which is all a record keeps.
    pub fn tp_after_shift(&self, shift_us: i64, tolerance_us: i64) -> usize {
        fn events(side: &[(Option<i64>, String)], shift: i64) -> Vec<crate::events::Event<'_>> {
            side.iter()
                .enumerate()
                .map(|(index, (time_us, label))| crate::events::Event {
                    index,
                    time_us: time_us.and_then(|t| t.checked_add(shift)),
                    label: label.as_str().into(),
                    value: &serde_json::Value::Null,
                })
                .collect()
        }
        let exp = events(&self.expected_events, 0);
        let pred = events(&self.predicted_events, shift_us);
        crate::matching::match_events(&exp, &pred, tolerance_us)
            .iter()
            .filter(|p| exp[p.expected].label == pred[p.predicted].label)
            .count()
    }
}

/// (time in µs, label) of one side's events, in output order.
pub type TimedLabels = Vec<(Option<i64>, String)>;

/// The (time, label) of both sides' events, rebuilt from an example's event outcome.
pub fn outcome_events(outcome: &crate::outcome::EventOutcome) -> (TimedLabels, TimedLabels) {
    let mut expected: Vec<(usize, Option<i64>, String)> = Vec::new();
    let mut predicted: Vec<(usize, Option<i64>, String)> = Vec::new();
    for pair in &outcome.pairs {
        expected.push((
            pair.expected_index,
            Some(pair.expected_time_us),
            pair.expected_label.clone(),
        ));
        predicted.push((
            pair.predicted_index,
            Some(pair.expected_time_us + pair.dt_us),
            pair.predicted_label.clone(),
        ));
    }
    for lone in &outcome.missed {
        expected.push((lone.index, lone.time_us, lone.label.clone()));
    }
    for lone in &outcome.spurious {
        predicted.push((lone.index, lone.time_us, lone.label.clone()));
    }
    let in_order = |mut side: Vec<(usize, Option<i64>, String)>| {
        side.sort_by_key(|(index, _, _)| *index);
        side.into_iter().map(|(_, t, l)| (t, l)).collect()
    };
    (in_order(expected), in_order(predicted))
}
