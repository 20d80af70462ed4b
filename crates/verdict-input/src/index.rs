//! The prediction side of a streaming join: every prediction line is parsed once, on all
//! threads, and what scoring needs of it (its keys, output and finish reason) is written to a
//! spill file on disk. In memory stay only a small slot per line and maps from key digests to
//! slots, so a run's memory does not grow with the size of the prediction files.
//!
//! Each file is tallied as it is read ([`crate::yields`]): once every file is read, a file,
//! or the predictions as a whole, whose lines yield no answer or mostly fail alike is refused.
//!
//! Keys are held as 128-bit digests rather than strings; two different keys would have to
//! collide in 128 bits to be confused (about 10⁻²⁷ for a million lines).

use std::collections::HashMap;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::join::{JoinedBy, duplicate};
use super::read::read_batches_ahead;
use super::{Keys, Output, Prediction, ShapeId, predicted};
use crate::spill::BackgroundWriter;
use crate::yields::{NoAnswer, Tally, no_answer_reason};
use verdict_core::error::{Error, Location, Result};
use verdict_core::tools::{Arguments, ToolCall};

/// Lines parsed together on all threads.
pub const BATCH_LINES: usize = 4096;

/// A digest of a join key.
pub type KeyDigest = u128;

/// The digest of `key`: two SipHash passes with different prefixes.
pub fn digest(key: &str) -> KeyDigest {
    let half = |salt: u8| {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        salt.hash(&mut hasher);
        key.hash(&mut hasher);
        hasher.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

/// Where one prediction's record lies in the spill file, and which expected line claimed it
/// (0: none; lines count from 1). 24 bytes a prediction.
#[derive(Debug, Clone, Copy)]
struct Slot {
    offset: u64,
    len: u32,
    file: u32,
    line: u32,
    claimed_by: u32,
}

/// What claiming a prediction by key found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The prediction at this slot, now claimed.
    Slot(usize),
    /// An earlier expected line (given) claimed the same key: a duplicate.
    Taken(usize),
    /// No prediction has the key.
    None,
}

fn fits_u32(value: usize, path: &Path, what: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::Path {
        path: path.to_path_buf(),
        message: format!("more than {} {what}: split the run with --shard", u32::MAX),
    })
}

/// Per key kind: digest → slot, and the first duplicate found, reported if that kind is used.
/// A second line with the same key: (its location, the first line's slot, the key).
type Duplicate = (Location, u32, String);

/// Per key kind: digest → slot. A kind that some line lacks cannot be joined by, so once one
/// is missing nothing more is inserted.
#[derive(Default)]
struct KeyMap {
    slots: HashMap<KeyDigest, u32>,
    first_missing: Option<Location>,
    duplicate: Option<Duplicate>,
}

impl KeyMap {
    /// Adds a line's key, with its digest, or notes that the line has none.
    fn add(&mut self, key: Option<(&str, KeyDigest)>, slot: u32, location: &Location) {
        let Some((key, digest)) = key else {
            if self.first_missing.is_none() {
                self.first_missing = Some(location.clone());
                self.slots = HashMap::new();
            }
            return;
        };
        if self.first_missing.is_some() {
            return;
        }
        if let Some(&first) = self.slots.get(&digest) {
            if self.duplicate.is_none() {
                self.duplicate = Some((location.clone(), first, key.to_owned()));
            }
            return;
        }
        self.slots.insert(digest, slot);
    }
}

/// What of a prediction line stays beyond the worker that parsed it: where it was read, its
/// keys and their digests (explicit, content, system), and its spill record.
struct Indexed {
    location: Location,
    keys: Keys,
    digests: [Option<KeyDigest>; 3],
    record: Vec<u8>,
    no_answer: Option<NoAnswer>,
    shape: Option<ShapeId>,
}

/// Every prediction line, spilled to disk, with maps from its keys to it.
pub struct PredictionIndex {
    spill: File,
    slots: Vec<Slot>,
    explicit: KeyMap,
    content: KeyMap,
    system: KeyMap,
    files: Vec<PathBuf>,
}

impl PredictionIndex {
    /// Reads every prediction file (in order), parsing batches of lines on the current rayon
    /// pool, and spills each line's prediction to a file in `spill_dir`. A line longer than
    /// `max_line` bytes is an error naming it.
    pub fn build(files: &[PathBuf], spill_dir: &Path, max_line: usize) -> Result<PredictionIndex> {
        Self::build_reporting(files, spill_dir, max_line, &|_| {})
    }

    /// [`build`](Self::build), telling `read` after each batch about how many bytes of the
    /// files it took (each line's text and one line break: surrounding blanks are not counted).
    pub fn build_reporting(
        files: &[PathBuf],
        spill_dir: &Path,
        max_line: usize,
        read: &dyn Fn(u64),
    ) -> Result<PredictionIndex> {
        let cannot_create = |e| Error::io(spill_dir, "cannot create a temporary file", e);
        let spill = tempfile::tempfile_in(spill_dir).map_err(cannot_create)?;
        let mut writer =
            BackgroundWriter::to_file(spill_dir, spill.try_clone().map_err(cannot_create)?);
        let mut index = PredictionIndex {
            spill,
            slots: Vec::new(),
            explicit: KeyMap::default(),
            content: KeyMap::default(),
            system: KeyMap::default(),
            files: files.to_vec(),
        };
        let mut offset = 0u64;
        let mut tallies = Vec::with_capacity(files.len());
        for (file_index, file) in files.iter().enumerate() {
            let mut tally = Tally::default();
            read_batches_ahead(file, BATCH_LINES, max_line, |batch| {
                read(batch.iter().map(|raw| raw.text().len() as u64 + 1).sum());
                // Of a prediction, only its keys (digested here too) and line stay beyond its
                // worker: the rest, the output text above all, is dropped there, not one after
                // another on the thread that adds the keys in order.
                let parsed: Vec<_> = batch
                    .into_par_iter()
                    .map(|raw| -> Result<Indexed> {
                        let prediction = predicted::read(raw.location(file), raw.text())?;
                        let mut record = Vec::new();
                        encode(&prediction, file_index as u32, &mut record);
                        let no_answer = no_answer_reason(&prediction.output, digest);
                        let Prediction {
                            location,
                            keys,
                            shape,
                            ..
                        } = prediction;
                        let digests = [&keys.explicit, &keys.content, &keys.system]
                            .map(|key| key.as_deref().map(digest));
                        Ok(Indexed {
                            location,
                            keys,
                            digests,
                            record,
                            no_answer,
                            shape,
                        })
                    })
                    .collect();
                let mut spilled = Vec::with_capacity(parsed.len());
                for item in parsed {
                    let Indexed {
                        location,
                        keys,
                        digests: [explicit, content, system],
                        record,
                        no_answer,
                        shape,
                    } = item?;
                    let slot = fits_u32(index.slots.len(), file, "prediction lines")?;
                    tally.add(no_answer, slot as usize, &location, shape);
                    index.slots.push(Slot {
                        offset,
                        len: fits_u32(record.len(), file, "bytes in one prediction")?,
                        file: file_index as u32,
                        line: fits_u32(location.line, file, "lines in a file")?,
                        claimed_by: 0,
                    });
                    offset += record.len() as u64;
                    spilled.push(record);
                    let explicit = keys.explicit.as_deref().zip(explicit);
                    index.explicit.add(explicit, slot, &location);
                    let content = keys.content.as_deref().zip(content);
                    index.content.add(content, slot, &location);
                    let system = keys.system.as_deref().zip(system);
                    index.system.add(system, slot, &location);
                }
                writer.write(spilled)?;
                Ok(())
            })?;
            tallies.push(tally);
        }
        writer.finish()?;
        let mut run = Tally::default();
        for tally in &tallies {
            if let Some((broken, reason)) = tally.broken(false) {
                let first = index.fetch(reason.first_slot)?;
                return Err(tally.error(broken, reason, &first.output, "this file"));
            }
            run.merge(tally);
        }
        if let Some((broken, reason)) = run.broken(true) {
            let first = index.fetch(reason.first_slot)?;
            return Err(run.error(broken, reason, &first.output, "the predictions"));
        }
        Ok(index)
    }

    /// Number of prediction lines.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are no prediction lines.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The first prediction without the key `kind` joins by: an explicit key, a request hash
    /// with a system instruction, a request hash.
    pub fn first_without(&self, kind: JoinedBy) -> Option<&Location> {
        self.map(kind).first_missing.as_ref()
    }

    fn map(&self, kind: JoinedBy) -> &KeyMap {
        match kind {
            JoinedBy::ExplicitKey => &self.explicit,
            JoinedBy::RequestAndSystemHash => &self.system,
            _ => &self.content,
        }
    }

    /// The duplicate-key error among predictions under `kind`, if there is one.
    pub fn duplicate_error(&mut self, kind: JoinedBy) -> Option<Error> {
        let map = match kind {
            JoinedBy::ExplicitKey => &mut self.explicit,
            JoinedBy::RequestAndSystemHash => &mut self.system,
            _ => &mut self.content,
        };
        let (location, first, key) = map.duplicate.take()?;
        Some(duplicate(
            &location,
            &self.location(first as usize),
            &key,
            kind,
        ))
    }

    /// The position of the prediction whose key under `kind` has digest `key`, when no other
    /// prediction has the same key: what `--join line` checks its pairs against.
    pub fn position_of(&self, kind: JoinedBy, key: KeyDigest) -> Option<usize> {
        let map = match kind {
            JoinedBy::ExplicitKey => &self.explicit,
            JoinedBy::RequestAndSystemHash => &self.system,
            _ => &self.content,
        };
        if map.duplicate.is_some() {
            return None;
        }
        map.slots.get(&key).map(|&slot| slot as usize)
    }

    /// Where the prediction at position `slot` was read, if there is one.
    pub fn location_at(&self, slot: usize) -> Option<Location> {
        (slot < self.slots.len()).then(|| self.location(slot))
    }

    fn location(&self, slot: usize) -> Location {
        let s = self.slots[slot];
        Location {
            path: self.files[s.file as usize].clone(),
            line: s.line as usize,
        }
    }

    /// Claims the prediction whose key under `kind` has digest `key` for the expected line
    /// `by_line`.
    pub fn claim(&mut self, kind: JoinedBy, key: KeyDigest, by_line: usize) -> Claim {
        let Some(&slot) = self.map(kind).slots.get(&key) else {
            return Claim::None;
        };
        let s = &mut self.slots[slot as usize];
        if s.claimed_by != 0 {
            return Claim::Taken(s.claimed_by as usize);
        }
        s.claimed_by = u32::try_from(by_line).unwrap_or(u32::MAX);
        Claim::Slot(slot as usize)
    }

    /// Forgets every claim, for a join tried again by another key.
    pub fn unclaim_all(&mut self) {
        for slot in &mut self.slots {
            slot.claimed_by = 0;
        }
    }

    /// Claims the prediction at position `slot` (line-order joins).
    pub fn claim_at(&mut self, slot: usize) -> Option<usize> {
        let s = self.slots.get_mut(slot)?;
        s.claimed_by = u32::MAX;
        Some(slot)
    }

    /// Unclaimed predictions: how many, and the first in input order.
    pub fn orphans(&self) -> Result<(usize, Option<Prediction>)> {
        let count = self.slots.iter().filter(|s| s.claimed_by == 0).count();
        let first = self
            .slots
            .iter()
            .position(|s| s.claimed_by == 0)
            .map(|slot| self.fetch(slot))
            .transpose()?;
        Ok((count, first))
    }

    /// Reads back the prediction at `slot`.
    pub fn fetch(&self, slot: usize) -> Result<Prediction> {
        let s = self.slots[slot];
        let mut buf = vec![0; s.len as usize];
        self.spill
            .read_exact_at(&mut buf, s.offset)
            .map_err(|e| Error::io(Path::new("(temporary file)"), "cannot read back", e))?;
        Ok(decode(&buf, &self.files))
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn put_opt(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        None => out.push(0),
        Some(t) => {
            out.push(1);
            put_bytes(out, t.as_bytes());
        }
    }
}

/// The spill record of one prediction: its file and line, keys, output, finish reason and
/// whether it had reasoning.
fn encode(p: &Prediction, file: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(&file.to_le_bytes());
    out.extend_from_slice(&(p.location.line as u64).to_le_bytes());
    put_opt(out, p.keys.explicit.as_deref());
    put_opt(out, p.keys.content.as_deref());
    put_opt(out, p.keys.system.as_deref());
    match &p.output {
        Output::Text(t) => {
            out.push(0);
            put_bytes(out, t.as_bytes());
        }
        Output::Value(v) => {
            out.push(1);
            put_bytes(out, v.to_string().as_bytes());
        }
        Output::Empty => out.push(2),
        Output::Failed(reason) => {
            out.push(3);
            put_bytes(out, reason.as_bytes());
        }
        Output::ToolCalls(calls) => {
            out.push(4);
            out.extend_from_slice(&(calls.len() as u64).to_le_bytes());
            for call in calls {
                put_bytes(out, call.name.as_bytes());
                match &call.arguments {
                    Arguments::Text(text) => {
                        out.push(0);
                        put_bytes(out, text.as_bytes());
                    }
                    Arguments::Value(value) => {
                        out.push(1);
                        put_bytes(out, value.to_string().as_bytes());
                    }
                }
            }
        }
    }
    put_opt(out, p.finish_reason.as_deref());
    out.push(u8::from(p.reasoning));
    out.push(p.shape.map_or(u8::MAX, ShapeId::index));
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().expect("8 bytes"))
    }

    fn text(&mut self) -> String {
        let n = self.u64() as usize;
        String::from_utf8(self.take(n).to_vec()).expect("spilled text was UTF-8")
    }

    fn opt(&mut self) -> Option<String> {
        (self.take(1)[0] == 1).then(|| self.text())
    }
}

fn decode(bytes: &[u8], files: &[PathBuf]) -> Prediction {
    let mut r = Reader(bytes);
    let file = u32::from_le_bytes(r.take(4).try_into().expect("4 bytes")) as usize;
    let line = r.u64() as usize;
    let explicit = r.opt();
    let content = r.opt();
    let system = r.opt();
    let output = match r.take(1)[0] {
        0 => Output::Text(r.text()),
        1 => Output::Value(serde_json::from_str(&r.text()).expect("spilled JSON parses")),
        2 => Output::Empty,
        3 => Output::Failed(r.text()),
        _ => {
            let calls = (0..r.u64())
                .map(|_| {
                    let name = r.text();
                    let arguments = match r.take(1)[0] {
                        0 => Arguments::Text(r.text()),
                        _ => Arguments::Value(
                            serde_json::from_str(&r.text()).expect("spilled JSON parses"),
                        ),
                    };
                    ToolCall { name, arguments }
                })
                .collect();
            Output::ToolCalls(calls)
        }
    };
    Prediction {
        location: Location {
            path: files[file].clone(),
            line,
        },
        keys: Keys {
            explicit,
            content,
            system,
        },
        output,
        finish_reason: r.opt(),
        reasoning: r.take(1)[0] == 1,
        shape: ShapeId::from_index(r.take(1)[0]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spill_records_round_trip_every_output_kind() {
        let files = vec![PathBuf::from("a.jsonl"), PathBuf::from("b.jsonl")];
        let outputs = [
            Output::Text("[{\"t\": 1}] ünïcode".into()),
            Output::Value(json!({"a": [1, 2.5, null]})),
            Output::Empty,
            Output::Failed("blocked: SAFETY".into()),
            Output::ToolCalls(vec![
                ToolCall {
                    name: "record".into(),
                    arguments: Arguments::Text("{\"a\": 1".into()),
                },
                ToolCall {
                    name: "ünï".into(),
                    arguments: Arguments::Value(json!({"b": [true]})),
                },
            ]),
        ];
        for (i, output) in outputs.into_iter().enumerate() {
            let p = Prediction {
                location: Location {
                    path: files[1].clone(),
                    line: 7 + i,
                },
                keys: Keys {
                    explicit: (i % 2 == 0).then(|| format!("id-{i}")),
                    content: Some("0123456789abcdef".into()),
                    system: (i == 1).then(|| "fedcba9876543210".into()),
                },
                output,
                finish_reason: (i != 2).then(|| "STOP".into()),
                reasoning: i % 3 == 1,
                shape: ShapeId::from_index((i % 2) as u8),
            };
            let mut buf = Vec::new();
            encode(&p, 1, &mut buf);
            let back = decode(&buf, &files);
            assert_eq!(back.location, p.location);
            assert_eq!(back.keys, p.keys);
            assert_eq!(back.output, p.output);
            assert_eq!(back.finish_reason, p.finish_reason);
            assert_eq!(back.reasoning, p.reasoning);
            assert_eq!(back.shape, p.shape);
        }
    }

    #[test]
    fn digests_tell_keys_apart() {
        assert_eq!(digest("clip-1"), digest("clip-1"));
        assert_ne!(digest("clip-1"), digest("clip-2"));
        assert_ne!(digest(""), digest("\0"));
    }
}
