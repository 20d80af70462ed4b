//! What a file that is not JSON Lines looks like, told from the line that failed: a JSON array
//! or pretty-printed JSON, CSV, UTF-16 without a byte-order mark. Only a line that already
//! failed is looked at, so good files are read exactly as fast as before.

use std::path::Path;

use verdict_core::error::Location;

/// The hint appended to the message of a line that is not valid JSON (`e`), starting with
/// `; `, or nothing when the line looks like no known mistake.
pub(crate) fn not_json_hint(location: &Location, text: &str, e: &serde_json::Error) -> String {
    let at = text
        .lines()
        .nth(e.line().saturating_sub(1))
        .and_then(|line| line.get(e.column().saturating_sub(1)..))
        .unwrap_or("");
    if ["NaN", "Infinity", "-Infinity"]
        .iter()
        .any(|word| at.starts_with(word))
    {
        return "; NaN and Infinity are not JSON numbers (write null, or leave the field out)"
            .into();
    }
    if e.to_string().starts_with("number out of range") {
        return "; a JSON number must fit a 64-bit float (at most about 1.8e308)".into();
    }
    file_hint(location, text).map_or_else(String::new, |hint| format!("; {hint}"))
}

/// The hint for a line that is valid JSON but not an object, starting with `; `, or nothing.
pub(crate) fn not_object_hint(location: &Location, value: &serde_json::Value) -> String {
    if value.is_array() && location.line == 1 {
        format!("; {}", array_hint(&location.path))
    } else {
        String::new()
    }
}

/// What the file of `location` looks like, judged from its failing line `text`.
fn file_hint(location: &Location, text: &str) -> Option<String> {
    if text.contains('\0') {
        // UTF-16 text of ASCII characters is valid UTF-8 with a NUL beside every character;
        // with a byte-order mark it is caught earlier, as bytes that are not UTF-8.
        let order = if location.line == 1 && text.starts_with('\0') {
            "UTF-16BE"
        } else {
            "UTF-16LE"
        };
        return Some(format!(
            "the file looks like UTF-16 without a byte-order mark (it holds NUL bytes): input files must be UTF-8 encoded (save it as UTF-8, e.g. iconv -f {order} -t UTF-8 {} > {})",
            location.path.display(),
            lines_name(&location.path)
        ));
    }
    // A lone bracket never starts a JSON Lines record, wherever it is; the first line of a
    // file may also open an array on the same line as its first element.
    if text == "[" || (location.line == 1 && text.starts_with('[')) {
        return Some(array_hint(&location.path));
    }
    if text == "{" {
        return Some(format!(
            "the file looks like pretty-printed JSON (an object spread over several lines), not JSON Lines: verdict expects each object on one line, e.g. jq -c . {} > {}",
            location.path.display(),
            lines_name(&location.path)
        ));
    }
    if location.line == 1 && !text.starts_with(['{', '"']) {
        let separator = if text.contains(',') {
            Some("CSV (its first line is comma-separated)")
        } else if text.contains('\t') {
            Some("TSV (its first line is tab-separated)")
        } else {
            None
        };
        if let Some(kind) = separator {
            return Some(format!(
                "the file looks like {kind}, not JSON Lines: verdict expects one JSON object per line, in one of the shapes of docs/input-formats.md"
            ));
        }
    }
    None
}

fn array_hint(path: &Path) -> String {
    format!(
        "the file looks like a JSON array, not JSON Lines: verdict expects one JSON object per line, e.g. jq -c '.[]' {} > {}",
        path.display(),
        lines_name(path)
    )
}

/// Where the converted file of `path` could go: `x.json` becomes `x.jsonl`, any other name
/// `x.lines.jsonl`, so the command never writes over the file it reads.
fn lines_name(path: &Path) -> String {
    let extension = if path.extension().is_some_and(|e| e == "json") {
        "jsonl"
    } else {
        "lines.jsonl"
    };
    path.with_extension(extension).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(path: &str, line: usize) -> Location {
        Location {
            path: path.into(),
            line,
        }
    }

    fn hint(location: &Location, text: &str) -> String {
        let e = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        not_json_hint(location, text, &e)
    }

    #[test]
    fn arrays_and_pretty_printed_json_get_the_jq_command() {
        assert_eq!(
            hint(&at("d/expected.json", 1), "["),
            "; the file looks like a JSON array, not JSON Lines: verdict expects one JSON object per line, e.g. jq -c '.[]' d/expected.json > d/expected.jsonl"
        );
        assert!(hint(&at("p.jsonl", 1), "[{\"id\": 1},").contains("> p.lines.jsonl"));
        assert!(hint(&at("p.jsonl", 3), "{").contains("jq -c . p.jsonl > p.lines.jsonl"));
        // A truncated object is not pretty-printed JSON.
        assert_eq!(hint(&at("p.jsonl", 1), "{\"id\": 1, "), "");
        let array = serde_json::json!([{"id": 1}]);
        assert!(not_object_hint(&at("p.json", 1), &array).contains("jq -c '.[]' p.json > p.jsonl"));
        assert_eq!(not_object_hint(&at("p.json", 2), &array), "");
    }

    #[test]
    fn csv_tsv_and_utf16_are_named() {
        assert!(hint(&at("e.jsonl", 1), "id,expected").contains("looks like CSV"));
        assert!(hint(&at("e.jsonl", 1), "id\texpected").contains("looks like TSV"));
        // Only a first line is a header.
        assert_eq!(hint(&at("e.jsonl", 2), "id,expected"), "");
        assert!(
            hint(&at("e.jsonl", 1), "{\0\"\0i\0d\0")
                .contains("iconv -f UTF-16LE -t UTF-8 e.jsonl > e.lines.jsonl")
        );
        assert!(hint(&at("e.jsonl", 1), "\0{\0\"\0i\0d").contains("iconv -f UTF-16BE"));
        assert_eq!(hint(&at("e.jsonl", 1), "hello"), "");
    }
}
