//! Reading JSONL inputs: gzip, BOMs, CRLF and blank lines (the paths are expanded by
//! [`crate::paths`]).
//!
//! Owns the byte-level reading of input files and nothing else: what a line *means* is decided
//! by the shape detectors in [`super::expected`] and [`super::predicted`].

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

pub use crate::paths::{expand_paths, refuse_special_file};
use verdict_core::error::{Error, Location, Result};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Opens a file for reading, transparently decompressing gzip (recognised by its magic bytes,
/// whatever the file is called). Unbuffered for a plain file: it is read a block at a time.
fn open(path: &Path) -> Result<Box<dyn Read + Send>> {
    if path.is_dir() {
        return Err(Error::Path {
            path: path.to_path_buf(),
            message: "is a directory, expected a JSONL file".into(),
        });
    }
    let mut file = File::open(path).map_err(|e| Error::io(path, "cannot open", e))?;
    let mut magic = [0u8; 2];
    let read = read_prefix(&mut file, &mut magic).map_err(|e| Error::io(path, "cannot read", e))?;
    let file = File::open(path).map_err(|e| Error::io(path, "cannot open", e))?;
    if read == 2 && magic == GZIP_MAGIC {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(
            file,
        ))))
    } else {
        Ok(Box::new(file))
    }
}

fn read_prefix(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Reads one JSONL file and hands every non-blank line, parsed, to `each` with its location.
///
/// Lines may end in LF or CRLF; a UTF-8 byte-order mark at the start of the file is skipped;
/// lines holding only white space are skipped but still counted, so line numbers match what an
/// editor shows. Returns the number of non-blank lines. A line that is not UTF-8 or not JSON is
/// an error naming the file and line.
pub fn read_jsonl(
    path: &Path,
    mut each: impl FnMut(Location, Value) -> Result<()>,
) -> Result<usize> {
    read_batches(path, 1, |batch| -> Result<()> {
        for line in batch {
            let location = line.location(path);
            let value = parse_line(&location, line.text())?;
            each(location, value)?;
        }
        Ok(())
    })
}

const BATCH_CAPACITY: usize = 1 << 14;

/// Bytes read from a file at a time (more when one line is longer).
const BLOCK_BYTES: usize = 1 << 20;

/// One non-blank line of a JSONL file, trimmed, not yet parsed.
pub struct RawLine {
    /// 1-based physical line number.
    pub line: usize,
    /// The text of the block the line was read in, shared by the block's lines rather than
    /// copied out line by line.
    block: Arc<String>,
    /// Where the line's text, without surrounding white space, lies in the block.
    span: Range<usize>,
}

impl std::fmt::Debug for RawLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawLine")
            .field("line", &self.line)
            .field("text", &self.text())
            .finish()
    }
}

impl RawLine {
    /// The line's text without surrounding white space.
    pub fn text(&self) -> &str {
        &self.block[self.span.clone()]
    }

    /// Where this line was read.
    pub fn location(&self, path: &Path) -> Location {
        Location {
            path: path.to_path_buf(),
            line: self.line,
        }
    }
}

/// Whole lines of a file, as read: they end after a line break, or where the file ends.
struct Block {
    /// The 1-based number of the first line.
    first_line: usize,
    /// The lines' text, or their bytes where some line is not UTF-8.
    text: std::result::Result<Arc<String>, Vec<u8>>,
}

impl Block {
    fn new(first_line: usize, bytes: Vec<u8>) -> Block {
        Block {
            first_line,
            text: String::from_utf8(bytes)
                .map(Arc::new)
                .map_err(std::string::FromUtf8Error::into_bytes),
        }
    }

    /// The block's lines in order: `None` for a blank one, an error for one that is not UTF-8.
    fn lines(&self, path: &Path) -> Vec<Option<Result<RawLine>>> {
        let bytes = match &self.text {
            Ok(text) => text.as_bytes(),
            Err(bytes) => bytes,
        };
        let mut lines = Vec::new();
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', bytes) {
            lines.push(self.line(path, self.first_line + lines.len(), start..end));
            start = end + 1;
        }
        if start < bytes.len() {
            lines.push(self.line(path, self.first_line + lines.len(), start..bytes.len()));
        }
        lines
    }

    /// Line `line_no`, at `span` of the block (its line break left out).
    fn line(&self, path: &Path, line_no: usize, span: Range<usize>) -> Option<Result<RawLine>> {
        match &self.text {
            Ok(text) => RawLine::at(line_no, text, span).map(Ok),
            // Only this block's bad line is copied out of it, with the good lines around it.
            Err(bytes) => match std::str::from_utf8(&bytes[span.clone()]) {
                Ok(line) => {
                    let len = line.len();
                    RawLine::at(line_no, &Arc::new(line.to_owned()), 0..len).map(Ok)
                }
                Err(_) => Some(Err(not_utf8(path, line_no, &bytes[span]))),
            },
        }
    }
}

impl RawLine {
    /// Line `line_no` of `text`, at `span`: trimmed of white space (and of the byte-order mark
    /// on the first line); `None` when that leaves nothing.
    fn at(line_no: usize, text: &Arc<String>, span: Range<usize>) -> Option<RawLine> {
        let mut line = &text[span.clone()];
        if line_no == 1 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return None;
        }
        // Line breaks and the mark are ASCII and whole characters: the offsets fall between
        // characters.
        let start = span.end - line.len() + (line.len() - line.trim_start().len());
        Some(RawLine {
            line: line_no,
            block: Arc::clone(text),
            span: start..start + trimmed.len(),
        })
    }
}

/// Reads `reader`, the file at `path`, a block of whole lines (about `block_bytes`) at a time
/// and hands each block to `each`.
/// When reading fails, the whole lines read before go to `each` first, then the error names
/// the last of them: a gzip file cut off in transfer reads fine up to there.
fn read_blocks_from<E: From<Error>>(
    mut reader: impl Read,
    path: &Path,
    block_bytes: usize,
    mut each: impl FnMut(Block) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut pending: Vec<u8> = Vec::with_capacity(block_bytes);
    let mut next_line = 1;
    loop {
        let before = pending.len();
        let want = block_bytes
            .saturating_sub(before)
            .max(block_bytes / 16)
            .max(1) as u64;
        match (&mut reader).take(want).read_to_end(&mut pending) {
            Err(e) => {
                let whole = memchr::memrchr(b'\n', &pending).map_or(0, |at| at + 1);
                pending.truncate(whole);
                let lines_read = next_line - 1 + memchr::memchr_iter(b'\n', &pending).count();
                if whole > 0 {
                    each(Block::new(next_line, pending))?;
                }
                let message = match lines_read {
                    0 => "cannot read".to_owned(),
                    n => format!("cannot read after line {n}"),
                };
                return Err(Error::io(path, message, e).into());
            }
            Ok(0) => {
                if !pending.is_empty() {
                    each(Block::new(next_line, pending))?;
                }
                return Ok(());
            }
            Ok(_) => {
                // A line longer than a block is read on until it ends.
                let Some(last) = memchr::memrchr(b'\n', &pending[before..]) else {
                    continue;
                };
                let cut = before + last + 1;
                let mut next = Vec::with_capacity(block_bytes.max(pending.len() - cut));
                next.extend_from_slice(&pending[cut..]);
                pending.truncate(cut);
                let block = std::mem::replace(&mut pending, next);
                let lines = memchr::memchr_iter(b'\n', &block).count();
                each(Block::new(next_line, block))?;
                next_line += lines;
            }
        }
    }
}

/// The error for line `line_no`, whose `bytes` are not UTF-8.
fn not_utf8(path: &Path, line_no: usize, bytes: &[u8]) -> Error {
    let bytes = match line_no {
        1 => bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes),
        _ => bytes,
    };
    let utf16 = line_no == 1 && (bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF"));
    let message = if utf16 {
        "not valid UTF-8: the file starts with a UTF-16 byte-order mark; input files must be UTF-8 encoded (save it as UTF-8)".to_owned()
    } else {
        let valid = std::str::from_utf8(bytes)
            .err()
            .map_or(bytes.len(), |e| e.valid_up_to());
        format!(
            "not valid UTF-8 (invalid byte at column {}): input files must be UTF-8 encoded",
            valid + 1
        )
    };
    let location = Location {
        path: path.to_path_buf(),
        line: line_no,
    };
    Error::line(location, message)
}

/// Gathers lines into batches of `batch_lines` for `each`, across blocks.
struct Batcher<F> {
    batch: Vec<RawLine>,
    batch_lines: usize,
    records: usize,
    each: F,
}

impl<E: From<Error>, F: FnMut(Vec<RawLine>) -> std::result::Result<(), E>> Batcher<F> {
    fn new(batch_lines: usize, each: F) -> Self {
        Batcher {
            batch: Vec::with_capacity(batch_lines.min(BATCH_CAPACITY)),
            batch_lines,
            records: 0,
            each,
        }
    }

    /// Takes the lines of a block in order. The lines before a bad one are handed over first,
    /// so the first error in the file is the one reported, whichever step finds it.
    fn take(
        &mut self,
        lines: impl IntoIterator<Item = Option<Result<RawLine>>>,
    ) -> std::result::Result<(), E> {
        for line in lines.into_iter().flatten() {
            let line = match line {
                Ok(line) => line,
                Err(e) => {
                    self.flush()?;
                    return Err(e.into());
                }
            };
            self.records += 1;
            self.batch.push(line);
            if self.batch.len() >= self.batch_lines {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> std::result::Result<(), E> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let capacity = self.batch_lines.min(BATCH_CAPACITY);
        (self.each)(std::mem::replace(
            &mut self.batch,
            Vec::with_capacity(capacity),
        ))
    }

    /// Hands over the last lines; the number of non-blank lines.
    fn finish(mut self) -> std::result::Result<usize, E> {
        self.flush()?;
        Ok(self.records)
    }
}

/// Reads one JSONL file in batches of up to `batch_lines` non-blank lines, so that a caller
/// can parse each batch on all threads while the file is never held whole. Byte-level
/// problems (unreadable file, invalid UTF-8) are errors naming the file and line; parsing is
/// left to [`parse_line`]. Returns the number of non-blank lines.
pub fn read_batches<E: From<Error>>(
    path: &Path,
    batch_lines: usize,
    each: impl FnMut(Vec<RawLine>) -> std::result::Result<(), E>,
) -> std::result::Result<usize, E> {
    batches_from(open(path)?, path, BLOCK_BYTES, batch_lines, each)
}

/// [`read_batches`] of `reader`, the file at `path`, read in blocks of about `block_bytes`.
fn batches_from<E: From<Error>>(
    reader: impl Read,
    path: &Path,
    block_bytes: usize,
    batch_lines: usize,
    each: impl FnMut(Vec<RawLine>) -> std::result::Result<(), E>,
) -> std::result::Result<usize, E> {
    let mut batcher = Batcher::new(batch_lines, each);
    match read_blocks_from(reader, path, block_bytes, |block| {
        batcher.take(block.lines(path))
    }) {
        Ok(()) => batcher.finish(),
        // The lines read before a read error are handed over before it. (After any other
        // error, the batch was handed over already.)
        Err(e) => {
            batcher.flush()?;
            Err(e)
        }
    }
}

/// [`read_batches`] with the reading (the UTF-8 check and the splitting into lines too) done
/// on a thread of its own, up to two blocks ahead of `each`, so that it overlaps with parsing
/// and scoring the last lines.
pub fn read_batches_ahead<E: From<Error>>(
    path: &Path,
    batch_lines: usize,
    each: impl FnMut(Vec<RawLine>) -> std::result::Result<(), E>,
) -> std::result::Result<usize, E> {
    batches_ahead_from(open(path)?, path, BLOCK_BYTES, batch_lines, each)
}

/// [`read_batches_ahead`] of `reader`, the file at `path`, read in blocks of about
/// `block_bytes`.
fn batches_ahead_from<E: From<Error>>(
    reader: impl Read + Send,
    path: &Path,
    block_bytes: usize,
    batch_lines: usize,
    each: impl FnMut(Vec<RawLine>) -> std::result::Result<(), E>,
) -> std::result::Result<usize, E> {
    /// A block's lines, split on the reading thread, or the error that ended the reading.
    enum Message {
        Lines(Vec<Option<Result<RawLine>>>),
        Failed(Error),
    }
    /// Why the reading thread stopped early.
    enum Stopped {
        ReceiverGone,
        Failed(Error),
    }
    impl From<Error> for Stopped {
        fn from(e: Error) -> Stopped {
            Stopped::Failed(e)
        }
    }
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let read = read_blocks_from(reader, path, block_bytes, |block| {
                sender
                    .send(Message::Lines(block.lines(path)))
                    .map_err(|_| Stopped::ReceiverGone)
            });
            if let Err(Stopped::Failed(e)) = read {
                // The receiver may be gone too; then nobody needs the error.
                let _ = sender.send(Message::Failed(e));
            }
        });
        let mut batcher = Batcher::new(batch_lines, each);
        for message in receiver {
            match message {
                Message::Lines(lines) => batcher.take(lines)?,
                Message::Failed(e) => {
                    batcher.flush()?;
                    return Err(e.into());
                }
            }
        }
        batcher.finish()
    })
}

/// Parses one line read by [`read_batches`]: JSON with no object naming a key twice. The
/// error names the line and, for NaN, Infinity and huge numbers, says what JSON allows.
pub fn parse_line(location: &Location, text: &str) -> Result<Value> {
    parse_line_unread(location, text, Unread::Nothing)
}

/// [`parse_line`], leaving out of the value the parts `unread` names: a line's readers look
/// at a few of its fields, and the rest (a request's generation settings, token counts) need
/// not be built and dropped again.
pub fn parse_line_unread(location: &Location, text: &str, unread: Unread) -> Result<Value> {
    parse_unread(text, unread).map_err(|e| {
        Error::line(
            location.clone(),
            if e.is_data() {
                format!(
                    "{e}: an object names the same key twice, so which value is meant is unclear"
                )
            } else {
                format!(
                    "not valid JSON ({e}): each line must hold one JSON object{}",
                    crate::looks::not_json_hint(location, text, &e)
                )
            },
        )
    })
}

/// Parses JSON like `serde_json::from_str`, except that an object naming the same key twice is
/// an error (a data error, `is_data()`) instead of silently keeping the last value: in an
/// input line, `{"id": 1, "id": 2}` would otherwise be scored as example 2 with no warning.
pub(crate) fn from_str_unique_keys(text: &str) -> serde_json::Result<Value> {
    parse_unread(text, Unread::Nothing)
}

fn parse_unread(text: &str, unread: Unread) -> serde_json::Result<Value> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde::de::DeserializeSeed::deserialize(UniqueKeys { unread }, &mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// The parts of a line that its readers never look at, by key path from the line's root.
///
/// An unread value is parsed in full all the same — it must be JSON, and no object in it may
/// name a key twice, exactly as if it were kept — but it is not built: its key stays, with a
/// null, so that what the keys of a line say about its shape is unchanged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unread {
    /// Every part of the value is read.
    Nothing,
    /// The value is not read at all.
    All,
    /// Of an object: the keys listed are read only in part, as given; every other key in full.
    Keys(&'static [(&'static str, Unread)]),
    /// Of an array: each element only in part, as given.
    Elements(&'static Unread),
}

impl Unread {
    fn of_key(self, key: &str) -> Unread {
        match self {
            Unread::Keys(keys) => keys
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(Unread::Nothing, |&(_, unread)| unread),
            _ => Unread::Nothing,
        }
    }

    fn of_elements(self) -> Unread {
        match self {
            Unread::Elements(elements) => *elements,
            _ => Unread::Nothing,
        }
    }
}

/// A JSON value whose objects have unique keys, built but for the parts `unread` names; see
/// [`from_str_unique_keys`].
#[derive(Clone, Copy)]
struct UniqueKeys {
    unread: Unread,
}

impl<'de> serde::de::DeserializeSeed<'de> for UniqueKeys {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.unread == Unread::All {
            Unbuilt.deserialize(d)?;
            return Ok(Value::Null);
        }
        d.deserialize_any(self)
    }
}

fn duplicate_key<E: serde::de::Error>(key: &str) -> E {
    E::custom(format_args!("duplicate key {key:?}"))
}

impl<'de> serde::de::Visitor<'de> for UniqueKeys {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // serde_json never hands over a non-finite float; Value::from maps one to null.
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let element = UniqueKeys {
            unread: self.unread.of_elements(),
        };
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(element)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match members.entry(key) {
                serde_json::map::Entry::Occupied(entry) => {
                    return Err(duplicate_key(entry.key()));
                }
                serde_json::map::Entry::Vacant(entry) => {
                    let unread = self.unread.of_key(entry.key());
                    entry.insert(map.next_value_seed(UniqueKeys { unread })?);
                }
            }
        }
        Ok(Value::Object(members))
    }
}

/// A JSON value parsed and checked for repeated keys like [`UniqueKeys`], but not built.
#[derive(Clone, Copy)]
pub(crate) struct Unbuilt;

impl<'de> serde::de::DeserializeSeed<'de> for Unbuilt {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Unbuilt {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Unbuilt)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys = KeySet::default();
        while let Some(key) = map.next_key_seed(Key)? {
            if let Some(key) = keys.repeated(key) {
                return Err(duplicate_key(&key));
            }
            map.next_value_seed(Unbuilt)?;
        }
        Ok(())
    }
}

/// The keys of one object met so far, for refusing a repeated one without building the
/// object. Keys borrow the line where they hold no escape. The first few sit on the stack
/// (most objects have a handful, and a heap vector for each cost more than the scan); past
/// them a set, where scanning would be quadratic.
#[derive(Default)]
pub(crate) struct KeySet<'de> {
    first: [Option<Cow<'de, str>>; KeySet::SCAN],
    len: usize,
    /// Every key, once there are more than [`KeySet::SCAN`].
    wide: HashSet<Cow<'de, str>>,
}

impl<'de> KeySet<'de> {
    const SCAN: usize = 8;

    /// Adds `key`; gives it back if the object named it before.
    pub(crate) fn repeated(&mut self, key: Cow<'de, str>) -> Option<Cow<'de, str>> {
        if self.len < Self::SCAN {
            if self.first[..self.len].iter().flatten().any(|k| *k == key) {
                return Some(key);
            }
            self.first[self.len] = Some(key);
            self.len += 1;
            return None;
        }
        if self.wide.is_empty() {
            self.wide
                .extend(self.first.iter_mut().filter_map(Option::take));
        }
        if self.wide.contains(&key) {
            return Some(key);
        }
        self.wide.insert(key);
        None
    }
}

/// An object key, borrowed from the text when it can be.
pub(crate) struct Key;

impl<'de> serde::de::DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::path::PathBuf;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn lines(path: &Path) -> Result<Vec<(usize, Value)>> {
        let mut out = Vec::new();
        read_jsonl(path, |loc, v| {
            out.push((loc.line, v));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn reads_bom_crlf_and_blank_lines_with_physical_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n   \n{\"a\":2}",
        );
        let got = lines(&path).unwrap();
        assert_eq!(
            got,
            vec![
                (1, serde_json::json!({"a":1})),
                (4, serde_json::json!({"a":2}))
            ]
        );
    }

    #[test]
    fn reads_gzip_by_magic_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"{\"a\":1}\n{\"a\":2}\n").unwrap();
        let path = write(dir.path(), "p.jsonl.gz", &enc.finish().unwrap());
        assert_eq!(lines(&path).unwrap().len(), 2);
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "a.jsonl", b"{\"a\":1}\n{\"a\":\"\xff\"}\n");
        let err = lines(&path).unwrap_err().to_string();
        assert!(err.ends_with("a.jsonl:2: not valid UTF-8 (invalid byte at column 7): input files must be UTF-8 encoded"), "{err}");
    }

    #[test]
    fn malformed_json_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "a.jsonl", b"{\"a\":1}\n{\"a\":\n");
        let err = lines(&path).unwrap_err().to_string();
        assert!(err.contains("a.jsonl:2: not valid JSON"), "{err}");
    }

    #[test]
    fn utf16_nan_infinity_and_huge_numbers_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let utf16: Vec<u8> = b"\xFF\xFE{\0}\0\n\0".to_vec();
        let path = write(dir.path(), "a.jsonl", &utf16);
        let err = lines(&path).unwrap_err().to_string();
        assert!(err.ends_with("a.jsonl:1: not valid UTF-8: the file starts with a UTF-16 byte-order mark; input files must be UTF-8 encoded (save it as UTF-8)"), "{err}");
        for (line, hint) in [
            (
                r#"{"t": NaN}"#,
                "; NaN and Infinity are not JSON numbers (write null, or leave the field out)",
            ),
            (
                r#"{"t": -Infinity}"#,
                "; NaN and Infinity are not JSON numbers (write null, or leave the field out)",
            ),
            (
                r#"{"t": 1e400}"#,
                "; a JSON number must fit a 64-bit float (at most about 1.8e308)",
            ),
            (r#"{"t": Nope}"#, "each line must hold one JSON object"),
        ] {
            let path = write(dir.path(), "b.jsonl", line.as_bytes());
            let err = lines(&path).unwrap_err().to_string();
            assert!(err.ends_with(hint), "{err}");
        }
    }

    /// The lines `reader` reads as, in blocks of about `block_bytes` and batches of 3: (line,
    /// text) and the error that ended the reading, the same from both readers.
    fn block_lines(
        reader: impl Read + Send + Clone,
        block_bytes: usize,
    ) -> (Vec<(usize, String)>, Option<String>) {
        let path = Path::new("f.jsonl");
        let read = |ahead: bool| {
            let mut lines = Vec::new();
            let mut sizes = Vec::new();
            let each = |batch: Vec<RawLine>| -> Result<()> {
                sizes.push(batch.len());
                lines.extend(batch.iter().map(|l| (l.line, l.text().to_owned())));
                Ok(())
            };
            let read = match ahead {
                false => batches_from(reader.clone(), path, block_bytes, 3, each),
                true => batches_ahead_from(reader.clone(), path, block_bytes, 3, each),
            };
            if let Some((_, full)) = sizes.split_last() {
                assert!(full.iter().all(|&n| n == 3), "batches of {sizes:?}");
            }
            if let Ok(count) = &read {
                assert_eq!(*count, lines.len());
            }
            (lines, read.err().map(|e| e.to_string()))
        };
        let serial = read(false);
        assert_eq!(read(true), serial, "blocks of {block_bytes} bytes");
        serial
    }

    #[test]
    fn blocks_of_any_size_read_the_same_lines() {
        let text =
            "\u{feff}{\"a\": \"é\"}\r\n\n  \t \n {\"b\": \"日本\"}  \n\r\n{\"c\": [1,\n{\"d\": 2}";
        let expected = vec![
            (1, "{\"a\": \"é\"}".to_owned()),
            (4, "{\"b\": \"日本\"}".to_owned()),
            (6, "{\"c\": [1,".to_owned()),
            (7, "{\"d\": 2}".to_owned()),
        ];
        for block_bytes in (1..=64).chain([BLOCK_BYTES]) {
            assert_eq!(
                block_lines(text.as_bytes(), block_bytes),
                (expected.clone(), None),
                "blocks of {block_bytes} bytes"
            );
        }
        // A line that is not UTF-8 comes after the lines before it, in any block, a mark
        // before them or not.
        for bad in [
            &b"{\"a\": 1}\n{\"b\": \"\xFF\"}\n{\"c\": 3}\n"[..],
            b"\xEF\xBB\xBF{\"a\": 1}\n{\"b\": \"\xFF\"}\n{\"c\": 3}\n",
        ] {
            for block_bytes in [1, 5, 12, BLOCK_BYTES] {
                let (lines, error) = block_lines(bad, block_bytes);
                assert_eq!(lines, vec![(1, "{\"a\": 1}".to_owned())]);
                assert_eq!(
                    error.as_deref(),
                    Some(
                        "f.jsonl:2: not valid UTF-8 (invalid byte at column 8): input files must be UTF-8 encoded"
                    )
                );
            }
        }
    }

    /// Reads `data`, then fails.
    #[derive(Clone)]
    struct FailsAfter<'a> {
        data: &'a [u8],
    }

    impl Read for FailsAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.data.is_empty() {
                return Err(std::io::Error::other("the disk went away"));
            }
            let n = buf.len().min(self.data.len()).min(3);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_read_error_comes_after_the_whole_lines_before_it_and_names_the_last() {
        for block_bytes in [1, 4, BLOCK_BYTES] {
            let (lines, error) = block_lines(
                FailsAfter {
                    data: b"[1]\n\n[22]\n[33",
                },
                block_bytes,
            );
            assert_eq!(lines, vec![(1, "[1]".to_owned()), (3, "[22]".to_owned())]);
            assert_eq!(
                error.as_deref(),
                Some("f.jsonl: cannot read after line 3: the disk went away")
            );
            let (lines, error) = block_lines(FailsAfter { data: b"[1" }, block_bytes);
            assert!(lines.is_empty());
            assert_eq!(
                error.as_deref(),
                Some("f.jsonl: cannot read: the disk went away")
            );
            // A line that is not UTF-8 before the failure is the first error in the file.
            let (lines, error) = block_lines(
                FailsAfter {
                    data: b"[1]\n[\"\xFF\"]\n[3]\n[4",
                },
                block_bytes,
            );
            assert_eq!(lines, vec![(1, "[1]".to_owned())]);
            assert_eq!(
                error.as_deref(),
                Some(
                    "f.jsonl:2: not valid UTF-8 (invalid byte at column 3): input files must be UTF-8 encoded"
                )
            );
        }
    }

    #[test]
    fn a_truncated_gzip_file_is_a_read_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&b"{\"a\":1}\n".repeat(1000)).unwrap();
        let gz = enc.finish().unwrap();
        let path = write(dir.path(), "p.jsonl.gz", &gz[..gz.len() / 2]);
        let err = lines(&path).unwrap_err().to_string();
        assert!(err.contains("p.jsonl.gz: cannot read"), "{err}");
        assert!(err.ends_with("deflate stream"), "{err}");
    }

    #[test]
    fn duplicate_object_keys_are_refused_at_any_depth() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "a.jsonl",
            b"{\"id\": 1, \"expected\": [{\"t\": 1, \"c\": \"A\", \"t\": 2}]}\n",
        );
        let err = lines(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("a.jsonl:1: duplicate key \"t\" at line 1 column 45: an object names the same key twice, so which value is meant is unclear"),
            "{err}"
        );
        // Equal keys in different objects are fine, and values read as serde_json reads them.
        let text =
            r#"{"a": {"k": 1}, "b": {"k": [1.5, -2, 18446744073709551615, null, true, "\u00e9"]}}"#;
        assert_eq!(
            from_str_unique_keys(text).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
    }

    /// What `unread` leaves out, worked out on the full value: each unread value nulled.
    fn nulled(value: &Value, unread: Unread) -> Value {
        match (unread, value) {
            (Unread::All, _) => Value::Null,
            (Unread::Elements(_), Value::Array(items)) => Value::Array(
                items
                    .iter()
                    .map(|v| nulled(v, unread.of_elements()))
                    .collect(),
            ),
            (Unread::Keys(_), Value::Object(map)) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), nulled(v, unread.of_key(k))))
                    .collect(),
            ),
            _ => value.clone(),
        }
    }

    const SOME_UNREAD: Unread = Unread::Keys(&[
        ("u", Unread::All),
        (
            "p",
            Unread::Keys(&[
                ("u", Unread::All),
                ("*", Unread::Elements(&Unread::Keys(&[("q", Unread::All)]))),
            ]),
        ),
        ("e", Unread::Elements(&Unread::All)),
    ]);

    fn value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e300f64..1e300).prop_map(Value::from),
            "[a\"\\\\/é\n\u{1F600}]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(vec!["u", "p", "q", "*", "e", "a", "u\"", "é"])
                        .prop_map(str::to_owned),
                    inner,
                    0..5
                )
                .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn unread_parts_come_back_as_nulls_and_the_rest_as_parsed(value in value()) {
            let text = value.to_string();
            for unread in [SOME_UNREAD, crate::predicted::UNREAD, Unread::Nothing, Unread::All] {
                proptest::prop_assert_eq!(parse_unread(&text, unread).unwrap(), nulled(&value, unread));
            }
        }
    }

    #[test]
    fn unread_parts_are_checked_as_read_ones_are() {
        // A repeated key, bad JSON, NaN, a huge number, a trailing value, each where it goes
        // unread: the same error, at the same column, as when the part is read.
        let location = Location {
            path: "p.jsonl".into(),
            line: 3,
        };
        let wide: String = (0..40).map(|i| format!("\"k{i}\": {i}, ")).collect();
        for text in [
            r#"{"u": {"a": 1, "b": [2], "a": 3}}"#,
            r#"{"p": {"u": [{"x": 1, "x": 1}]}}"#,
            r#"{"p": [{"q": {"\u0061": 1, "a": 2}}]}"#,
            &format!(r#"{{"u": {{{wide}"k39": 0}}}}"#),
            r#"{"u": [1, 2}"#,
            r#"{"u": {"t": NaN}}"#,
            r#"{"u": 1e400}"#,
            r#"{"u": "\x"}"#,
            r#"{"u": 1} 2"#,
        ] {
            let read = parse_line(&location, text).unwrap_err().to_string();
            let unread = parse_line_unread(&location, text, SOME_UNREAD)
                .unwrap_err()
                .to_string();
            assert_eq!(unread, read, "{text}");
            assert!(read.starts_with("p.jsonl:3: "), "{read}");
        }
        let unique = format!(r#"{{"u": {{{wide}"k40": 0}}}}"#);
        let value = parse_line_unread(&location, &unique, SOME_UNREAD).unwrap();
        assert_eq!(value, serde_json::json!({"u": null}));
    }

    #[test]
    fn a_key_set_finds_every_repeat_on_the_stack_and_past_it() {
        let texts: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
        for size in [1, 7, 8, 9, 40] {
            let mut keys = KeySet::default();
            for text in &texts[..size] {
                assert_eq!(keys.repeated(Cow::Owned(text.clone())), None, "{size}");
            }
            for text in &texts[..size] {
                // A borrowed key repeats an owned (unescaped) one of the same text.
                assert_eq!(
                    keys.repeated(Cow::Borrowed(text)).as_deref(),
                    Some(text.as_str())
                );
            }
            assert_eq!(keys.repeated(Cow::Borrowed("new")), None);
            assert!(keys.repeated(Cow::Borrowed("new")).is_some());
        }
    }

    #[test]
    fn expands_directories_and_globs_sorted() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b.jsonl", b"{}");
        write(dir.path(), "a.jsonl.gz", b"");
        write(dir.path(), "notes.txt", b"");
        let from_dir = expand_paths(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = from_dir
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.jsonl.gz", "b.jsonl"]);
        let from_glob = expand_paths(&[dir.path().join("*.jsonl")]).unwrap();
        assert_eq!(from_glob.len(), 1);
        let err = expand_paths(&[dir.path().join("missing.jsonl")]).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("missing.jsonl: no such file or directory")
        );
        let err = expand_paths(&[dir.path().join("*.csv")]).unwrap_err();
        assert!(err.to_string().ends_with("glob pattern matches no file"));
    }
}
