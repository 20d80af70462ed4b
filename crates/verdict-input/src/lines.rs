//! Splitting input files into lines: gzip, BOMs, CRLF, blank lines, lines that are not UTF-8,
//! and lines longer than the limit.
//!
//! Owns the bytes of the files up to a line's text; what the text holds is parsed by
//! [`crate::read`].

use std::fs::File;
use std::io::{BufReader, Read};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use verdict_core::error::{Error, Location, Result};

/// The longest line read by default, in bytes (`--max-line-bytes`): far above any real example
/// or batch-output line (a Vertex AI line with a long video prompt and a long answer is some
/// hundreds of KB), yet a bound on what one line can make verdict hold.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 << 20;

/// The smallest limit `--max-line-bytes` takes: below it, ordinary lines would be refused (and
/// `--max-line-bytes 64` is more likely a slip for 64 MiB than meant).
pub const MIN_MAX_LINE_BYTES: usize = 1 << 10;

/// The largest limit `--max-line-bytes` takes: a prediction's record in the index counts its
/// bytes in 32 bits, and parsing a line takes a few times its size in memory.
pub const MAX_MAX_LINE_BYTES: usize = u32::MAX as usize;

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
    /// The most bytes a line may have, its line break left out.
    max_line: usize,
    /// The lines' text, or their bytes where some line is not UTF-8.
    text: std::result::Result<Arc<String>, Vec<u8>>,
}

impl Block {
    fn new(first_line: usize, max_line: usize, bytes: Vec<u8>) -> Block {
        Block {
            first_line,
            max_line,
            text: String::from_utf8(bytes)
                .map(Arc::new)
                .map_err(std::string::FromUtf8Error::into_bytes),
        }
    }

    /// The block's lines in order: `None` for a blank one, an error for one that is not UTF-8
    /// or is longer than the limit.
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
        if span.len() > self.max_line {
            return Some(Err(too_long(path, line_no, self.max_line)));
        }
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
///
/// A line longer than `max_line` bytes (its line break left out) is an error naming it, after
/// the lines before it, and is never held whole: an unfinished line is read at most one byte
/// past the limit, and the buffer's capacity stays within `max(block_bytes, max_line + 1)`
/// bytes whatever the file holds (8 MB of gzip can inflate to one line of 8 GiB).
fn read_blocks_from<E: From<Error>>(
    mut reader: impl Read,
    path: &Path,
    block_bytes: usize,
    max_line: usize,
    mut each: impl FnMut(Block) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut pending: Vec<u8> = Vec::with_capacity(block_bytes);
    let mut next_line = 1;
    loop {
        // `pending` holds only the line not yet ended: the whole lines went with their block.
        let before = pending.len();
        if before > max_line {
            return Err(too_long(path, next_line, max_line).into());
        }
        let want = block_bytes
            .saturating_sub(before)
            .max(block_bytes / 16)
            .max(1);
        // Within a block the lines are measured once split; past one, the unfinished line is
        // read only as far as it takes to know it is over the limit.
        let want = match before + want > block_bytes {
            true => {
                let want = want.min((max_line - before).saturating_add(1));
                // Grown by hand, doubling but never past the limit: left to itself the
                // vector would double past it, to twice the limit. (Not to the limit at once:
                // a limit raised to gigabytes would then reserve gigabytes for every line
                // longer than a block.)
                if pending.capacity() < before + want {
                    let grown = (before * 2).clamp(before + want, max_line.saturating_add(1));
                    pending.reserve_exact(grown - before);
                }
                want
            }
            false => want,
        };
        let read = (&mut reader).take(want as u64).read_to_end(&mut pending);
        debug_assert!(
            pending.capacity() <= block_bytes.max(max_line.saturating_add(1)),
            "a buffer of {} bytes for blocks of {block_bytes} and lines of {max_line}",
            pending.capacity()
        );
        match read {
            Err(e) => {
                let whole = memchr::memrchr(b'\n', &pending).map_or(0, |at| at + 1);
                pending.truncate(whole);
                let lines_read = next_line - 1 + memchr::memchr_iter(b'\n', &pending).count();
                if whole > 0 {
                    each(Block::new(next_line, max_line, pending))?;
                }
                let message = match lines_read {
                    0 => "cannot read".to_owned(),
                    n => format!("cannot read after line {n}"),
                };
                return Err(Error::io(path, message, e).into());
            }
            Ok(0) => {
                if !pending.is_empty() {
                    each(Block::new(next_line, max_line, pending))?;
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
                each(Block::new(next_line, max_line, block))?;
                next_line += lines;
            }
        }
    }
}

/// The error for line `line_no`, longer than `max_line` bytes.
pub(crate) fn too_long(path: &Path, line_no: usize, max_line: usize) -> Error {
    let location = Location {
        path: path.to_path_buf(),
        line: line_no,
    };
    Error::line(
        location,
        format!(
            "line is longer than the limit of {max_line} bytes (--max-line-bytes), so it was not read: a line must hold one JSON object of at most that size; give a larger --max-line-bytes if lines this long are meant"
        ),
    )
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
/// problems (unreadable file, invalid UTF-8, a line longer than `max_line` bytes) are errors
/// naming the file and line; parsing is left to [`crate::read::parse_line`]. Returns the
/// number of non-blank lines.
pub fn read_batches<E: From<Error>>(
    path: &Path,
    batch_lines: usize,
    max_line: usize,
    each: impl FnMut(Vec<RawLine>) -> std::result::Result<(), E>,
) -> std::result::Result<usize, E> {
    batches_from(
        open(path)?,
        path,
        (BLOCK_BYTES, max_line),
        batch_lines,
        each,
    )
}

/// [`read_batches`] of `reader`, the file at `path`, read in blocks of about `block_bytes`
/// with lines of at most `max_line` bytes.
pub(crate) fn batches_from<E: From<Error>>(
    reader: impl Read,
    path: &Path,
    (block_bytes, max_line): (usize, usize),
    batch_lines: usize,
    each: impl FnMut(Vec<RawLine>) -> std::result::Result<(), E>,
) -> std::result::Result<usize, E> {
    let mut batcher = Batcher::new(batch_lines, each);
    match read_blocks_from(reader, path, block_bytes, max_line, |block| {
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
    max_line: usize,
    each: impl FnMut(Vec<RawLine>) -> std::result::Result<(), E>,
) -> std::result::Result<usize, E> {
    batches_ahead_from(
        open(path)?,
        path,
        (BLOCK_BYTES, max_line),
        batch_lines,
        each,
    )
}

/// [`read_batches_ahead`] of `reader`, the file at `path`, read in blocks of about
/// `block_bytes` with lines of at most `max_line` bytes.
fn batches_ahead_from<E: From<Error>>(
    reader: impl Read + Send,
    path: &Path,
    (block_bytes, max_line): (usize, usize),
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
            let read = read_blocks_from(reader, path, block_bytes, max_line, |block| {
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
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The lines `reader` reads as, in blocks of about `block_bytes` and batches of 3: (line,
    /// text) and the error that ended the reading, the same from both readers.
    fn block_lines(
        reader: impl Read + Send + Clone,
        block_bytes: usize,
    ) -> (Vec<(usize, String)>, Option<String>) {
        limited_lines(reader, block_bytes, usize::MAX)
    }

    /// [`block_lines`] with lines of at most `max_line` bytes.
    fn limited_lines(
        reader: impl Read + Send + Clone,
        block_bytes: usize,
        max_line: usize,
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
                false => batches_from(reader.clone(), path, (block_bytes, max_line), 3, each),
                true => batches_ahead_from(reader.clone(), path, (block_bytes, max_line), 3, each),
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
    fn a_line_longer_than_the_limit_is_refused_after_the_lines_before_it() {
        // Lines of 8 bytes pass a limit of 8 (a CR and surrounding blanks count, the LF does
        // not); the first of 9 is refused, wherever the blocks end.
        let text = "[123456]\n\n  [234]\r\n[1,2,3,4]\n[5]\n";
        let refused = "f.jsonl:4: line is longer than the limit of 8 bytes (--max-line-bytes), so it was not read: a line must hold one JSON object of at most that size; give a larger --max-line-bytes if lines this long are meant";
        for block_bytes in (1..=24).chain([BLOCK_BYTES]) {
            let (lines, error) = limited_lines(text.as_bytes(), block_bytes, 8);
            assert_eq!(
                lines,
                vec![(1, "[123456]".to_owned()), (3, "[234]".to_owned())],
                "blocks of {block_bytes} bytes"
            );
            assert_eq!(error.as_deref(), Some(refused), "blocks of {block_bytes}");
            // The last line, with no line break after it, is measured the same way.
            let (lines, error) = limited_lines(&b"[1]\n[1,2,3,4]"[..], block_bytes, 8);
            assert_eq!(lines, vec![(1, "[1]".to_owned())]);
            assert!(error.unwrap().starts_with("f.jsonl:2: line is longer"));
            // Within the limit, every line reads as with none.
            assert_eq!(
                limited_lines(text.as_bytes(), block_bytes, 9),
                block_lines(text.as_bytes(), block_bytes)
            );
        }
    }

    /// A line that never ends, counting the bytes taken from it.
    struct Endless {
        taken: Arc<AtomicUsize>,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let before = self.taken.fetch_add(buf.len(), Ordering::Relaxed);
            let head = b"{}\n".get(before..).unwrap_or_default();
            let n = head.len().min(buf.len());
            buf[..n].copy_from_slice(&head[..n]);
            buf[n..].fill(b'a');
            Ok(buf.len())
        }
    }

    #[test]
    fn an_endless_line_is_refused_having_read_at_most_one_byte_past_the_limit() {
        let path = Path::new("f.jsonl");
        for (block_bytes, max_line) in [(64, 1000), (1000, 64), (BLOCK_BYTES, 1 << 16), (7, 5)] {
            for ahead in [false, true] {
                let taken = Arc::new(AtomicUsize::new(0));
                let reader = Endless {
                    taken: Arc::clone(&taken),
                };
                let mut lines = Vec::new();
                let each = |batch: Vec<RawLine>| -> Result<()> {
                    lines.extend(batch.iter().map(|l| l.text().to_owned()));
                    Ok(())
                };
                let sizes = (block_bytes, max_line);
                let error = match ahead {
                    false => batches_from(reader, path, sizes, 3, each),
                    true => batches_ahead_from(reader, path, sizes, 3, each),
                }
                .unwrap_err()
                .to_string();
                assert_eq!(lines, ["{}"]);
                assert!(error.starts_with("f.jsonl:2: line is longer than the limit of"));
                // Nothing but the line's first bytes and the line before it was ever read (and
                // the reader's debug assertion held the buffer's capacity to the same bound).
                let taken = taken.load(Ordering::Relaxed);
                assert!(
                    taken <= 3 + block_bytes.max(max_line + 1),
                    "{taken} bytes read in blocks of {block_bytes} with a limit of {max_line}"
                );
            }
        }
    }
}
