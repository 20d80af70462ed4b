//! The per-example record files a part of a run leaves on disk: one [`Record`] frame per
//! example and its `examples.jsonl` line, and the order the lines are written back in.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::request::Shard;
use verdict_core::accumulate::{Accumulator, Record};
use verdict_core::error::{Error, Result};
use verdict_core::poisson::Replicates;
use verdict_input::index::BATCH_LINES;
use verdict_input::join::JoinedBy;
use verdict_input::spill::Written;
use verdict_report::Kept;

/// A scored part of a run: the sums, and the per-example records and `examples.jsonl` lines in
/// two files (records in expected-file order).
#[derive(Debug)]
pub struct Part {
    /// What the part covers.
    pub shard: Option<Shard>,
    /// The sums.
    pub acc: Accumulator,
    /// The bootstrap replicates' sums, unless intervals are off (`--bootstrap 0`).
    pub replicates: Option<Replicates>,
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
    /// A shard's: the size and digest of its records and lines files as written, which the
    /// merge checks before it reads them.
    pub written: Option<PartFiles>,
    /// Each input file read (the expected file, then every prediction file the paths expand
    /// to) and its size in bytes before it was read.
    pub inputs: Vec<(PathBuf, u64)>,
    /// The order of `examples.jsonl`, kept while scoring by a run that is not a shard, so
    /// that finishing reads the records back only when something else needs them.
    pub line_order: Option<LineOrder>,
}

/// The size and SHA-256 of each file a shard writes beside its `partial.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartFiles {
    /// [`RECORDS_FILE`].
    pub records: Written,
    /// [`LINES_FILE`].
    pub lines: Written,
}

/// The order to write `examples.jsonl` in and where each line lies in its part's lines file:
/// 28 bytes an example.
#[derive(Debug)]
pub struct LineOrder {
    /// Per part: where its next line starts in its lines file.
    pub(super) offsets: Vec<u64>,
    /// Per example, by position in the expected file: where its line starts in its part's
    /// file, and its length.
    pub(super) lines: Vec<(u64, u64)>,
    /// (errors, reversed; exactly right; example): worst first once sorted.
    pub(super) order: Vec<(std::cmp::Reverse<u32>, bool, u32)>,
}

impl LineOrder {
    pub(super) fn new(parts: usize, examples: usize) -> Self {
        LineOrder {
            offsets: vec![0; parts],
            lines: Vec::with_capacity(examples),
            order: Vec::with_capacity(examples),
        }
    }

    /// Adds the next example of the expected file (examples come in order); `ordinal` below
    /// 2^32, which [`finish`] checks before any is written out.
    pub(super) fn push(&mut self, ordinal: usize, errors: usize, exact: bool, line_len: u64) {
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
    pub(super) fn shrink(&mut self) {
        self.lines.shrink_to_fit();
        self.order.shrink_to_fit();
    }
}

/// The name of a part's records file.
pub const RECORDS_FILE: &str = "records.bin";

/// The name of a part's `examples.jsonl` lines file.
pub const LINES_FILE: &str = "lines.jsonl";

/// The `examples.jsonl` of a run: its lines, in the parts' lines files (example `o` in part
/// `o % parts`), and the order to write them in. 28 bytes an example.
#[derive(Debug)]
pub struct ExampleLines {
    pub(super) files: Vec<PathBuf>,
    /// Per example: where its line starts in its part's file, and its length.
    pub(super) lines: Vec<(u64, u64)>,
    /// (errors, reversed; exactly right; example), sorted: worst first.
    pub(super) order: Vec<(std::cmp::Reverse<u32>, bool, u32)>,
    /// The threads to read the lines back on.
    pub(super) threads: usize,
}

impl ExampleLines {
    /// The size of `examples.jsonl` in bytes when every example is kept.
    pub fn bytes(&self) -> u64 {
        self.lines.iter().map(|(_, len)| len).sum()
    }

    /// Writes the lines `kept` keeps, worst first: the order is the same whichever are kept,
    /// so `errors` gives the lines of `all` whose example is not exactly right.
    pub fn write_to(&self, out: &mut dyn Write, kept: Kept) -> std::io::Result<()> {
        /// Lines read back by one task.
        const CHUNK: usize = 2048;
        let filtered: Vec<(std::cmp::Reverse<u32>, bool, u32)>;
        let order = match kept {
            Kept::All => &self.order[..],
            Kept::Errors => {
                filtered = self
                    .order
                    .iter()
                    .filter(|(_, exact, _)| !exact)
                    .copied()
                    .collect();
                &filtered[..]
            }
            Kept::None => return Ok(()),
        };
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
        for lines in order.chunks(window) {
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

/// Reads every part's records, in expected-file order across the parts, and hands them to
/// `take` a batch at a time, decoded on all threads.
pub(super) fn read_records(
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
pub(super) fn read_record(parts: &[Part], ordinal: usize, frame: &[u8]) -> Result<Record> {
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
