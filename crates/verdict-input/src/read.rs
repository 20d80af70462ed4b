//! Reading JSONL inputs: each line split off by [`crate::lines`] (gzip, BOMs, CRLF, blank
//! lines, the length limit) and parsed here as JSON, with no object naming a key twice (the
//! paths are expanded by [`crate::paths`]).
//!
//! What a line *means* is decided by the shape detectors in [`super::expected`] and
//! [`super::predicted`].

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

pub use crate::lines::{
    DEFAULT_MAX_LINE_BYTES, MAX_MAX_LINE_BYTES, MIN_MAX_LINE_BYTES, RawLine, read_batches,
    read_batches_ahead,
};
pub use crate::paths::{expand_paths, refuse_special_file};
use verdict_core::error::{Error, Location, Result};
use verdict_core::quote::quoted;

/// Reads one JSONL file and hands every non-blank line, parsed, to `each` with its location.
///
/// Lines may end in LF or CRLF; a UTF-8 byte-order mark at the start of the file is skipped;
/// lines holding only white space are skipped but still counted, so line numbers match what an
/// editor shows. Returns the number of non-blank lines. A line that is not UTF-8, not JSON or
/// longer than `max_line` bytes is an error naming the file and line.
pub fn read_jsonl(
    path: &Path,
    max_line: usize,
    mut each: impl FnMut(Location, Value) -> Result<()>,
) -> Result<usize> {
    read_batches(path, 1, max_line, |batch| -> Result<()> {
        for line in batch {
            let location = line.location(path);
            let value = parse_line(&location, line.text())?;
            each(location, value)?;
        }
        Ok(())
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
    E::custom(format_args!("duplicate key {}", quoted(key)))
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
        read_jsonl(path, DEFAULT_MAX_LINE_BYTES, |loc, v| {
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

    #[test]
    fn a_gzip_line_inflating_past_the_limit_is_refused_by_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"{\"a\":1}\n[").unwrap();
        for _ in 0..1000 {
            enc.write_all(&b"0,".repeat(5000)).unwrap();
        }
        enc.write_all(b"0]\n{\"a\":3}\n").unwrap();
        let path = write(dir.path(), "p.jsonl.gz", &enc.finish().unwrap());
        let mut read = Vec::new();
        let err = read_jsonl(&path, 1 << 20, |location, _| {
            read.push(location.line);
            Ok(())
        })
        .unwrap_err()
        .to_string();
        assert_eq!(read, [1]);
        assert!(
            err.ends_with(
                "p.jsonl.gz:2: line is longer than the limit of 1048576 bytes (--max-line-bytes), so it was not read: a line must hold one JSON object of at most that size; give a larger --max-line-bytes if lines this long are meant"
            ),
            "{err}"
        );
        // The same 10 MB line reads under a limit that takes it.
        assert_eq!(read_jsonl(&path, 16 << 20, |_, _| Ok(())).unwrap(), 3);
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
