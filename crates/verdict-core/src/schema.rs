//! JSON Schema compliance of outputs: compiling the schema once, checking a value, and folding
//! the violations into a table a person can read.
//!
//! A `pattern` the regex engine cannot finish matching (fancy-regex stops at its backtracking
//! limit) leaves an output's compliance unknown: jsonschema decides the output anyway when every
//! outcome of the match gives the same result, and otherwise reports the engine's failure,
//! which is a limit of the check, not a fault of the output. Such an output is
//! [`Checked::Undecided`]: counted apart, never as a violation.
//!
//! The schema's draft is taken from its `$schema` (draft 4, 6, 7, 2019-09 and 2020-12 are
//! supported; 2020-12 where it names none). References are never fetched: verdict is built
//! without the HTTP and file resolvers, so a remote `$ref` is a schema error, not a download.

use std::path::{Path, PathBuf};

use jsonschema::paths::LocationSegment;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// A compiled output schema.
pub struct Schema {
    validator: jsonschema::Validator,
    /// The schema itself, to quote a pattern the engine could not finish matching.
    source: Value,
    path: PathBuf,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// One violation of the schema by one output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The instance path with array indices folded to `*` (`/*/classification`).
    pub pattern: String,
    /// The instance path itself (`/3/classification`).
    pub path: String,
    /// The schema keyword that failed (`enum`, `required`, `type`, ...).
    pub keyword: String,
    /// The validator's message for this instance.
    pub message: String,
}

/// What checking one output against the schema found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// The output was checked: its violations, none when it is valid.
    Decided(Vec<Violation>),
    /// Whether the output is valid depends on a match the regex engine could not finish.
    Undecided(Undecided),
}

impl Checked {
    /// Whether the output was checked and is valid.
    pub fn is_valid(&self) -> bool {
        matches!(self, Checked::Decided(v) if v.is_empty())
    }

    /// The violations found; none when the output is valid or undecided.
    pub fn violations(&self) -> &[Violation] {
        match self {
            Checked::Decided(violations) => violations,
            Checked::Undecided(_) => &[],
        }
    }

    /// The pattern that left the output undecided.
    pub fn undecided(&self) -> Option<&Undecided> {
        match self {
            Checked::Decided(_) => None,
            Checked::Undecided(undecided) => Some(undecided),
        }
    }
}

/// A pattern of the schema the regex engine could not finish matching against an output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Undecided {
    /// The pattern as the schema writes it; for a keyword holding several (as
    /// `patternProperties`), the keyword's location.
    pub pattern: String,
    /// Where the keyword is in the schema (`/properties/code/pattern`).
    pub schema_path: String,
    /// Where the string matched is in the output (`/0/code`).
    pub path: String,
    /// The engine's message.
    pub message: String,
}

/// The text of the schema file at `path`.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read schema", e))
}

impl Schema {
    /// Reads and compiles the schema at `path`.
    pub fn load(path: &Path) -> Result<Schema> {
        Self::from_text(path, &read_text(path)?)
    }

    /// Parses and compiles schema text read from `path`.
    pub fn from_text(path: &Path, text: &str) -> Result<Schema> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::Schema {
            path: path.to_path_buf(),
            message: format!("not valid JSON ({e})"),
        })?;
        Self::compile(path, &value)
    }

    /// Compiles an already parsed schema; `path` is used in messages.
    pub fn compile(path: &Path, schema: &Value) -> Result<Schema> {
        let validator = jsonschema::validator_for(schema).map_err(|e| Error::Schema {
            path: path.to_path_buf(),
            message: compile_error(&e),
        })?;
        Ok(Schema {
            validator,
            source: schema.clone(),
            path: path.to_path_buf(),
        })
    }

    /// Checks `instance`: every violation of the schema, in the validator's order, or the
    /// pattern whose unfinished match leaves its validity unknown. A violation found beside
    /// an unfinished match decides: the output fails whatever the match would give.
    pub fn check(&self, instance: &Value) -> Checked {
        use jsonschema::error::ValidationErrorKind::{BacktrackLimitExceeded, RegexEngineFailure};
        let mut violations = Vec::new();
        let mut undecided = None;
        for error in self.validator.iter_errors(instance) {
            if let BacktrackLimitExceeded { .. } | RegexEngineFailure { .. } = error.kind() {
                let schema_path = error.schema_path().as_str().to_owned();
                let pattern = match self.source.pointer(&schema_path) {
                    Some(Value::String(pattern)) => pattern.clone(),
                    _ => schema_path.clone(),
                };
                undecided.get_or_insert(Undecided {
                    pattern,
                    schema_path,
                    path: error.instance_path().as_str().to_owned(),
                    message: error.to_string(),
                });
                continue;
            }
            violations.push(Violation {
                pattern: fold_indices(error.instance_path()),
                path: error.instance_path().as_str().to_owned(),
                keyword: error.kind().keyword().to_owned(),
                message: error.to_string(),
            });
        }
        match undecided {
            Some(undecided) if violations.is_empty() => Checked::Undecided(undecided),
            _ => Checked::Decided(violations),
        }
    }
}

fn fold_indices(path: &jsonschema::paths::Location) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        out.push('/');
        match segment {
            LocationSegment::Index(_) => out.push('*'),
            LocationSegment::Property(name) => {
                out.push_str(&name.replace('~', "~0").replace('/', "~1"));
            }
        }
    }
    out
}

/// Longest example message kept in the table: a message may quote a whole output.
const EXAMPLE_CHARS: usize = 200;

fn shorten(message: &str) -> String {
    match message.char_indices().nth(EXAMPLE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}

/// One row of the schema error table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ErrorRow {
    /// Instance path pattern, indices folded to `*`; `""` is the root.
    pub path: String,
    /// The failing keyword.
    pub keyword: String,
    /// How many violations of this kind there were.
    pub count: usize,
    /// How many outputs had at least one.
    pub outputs: usize,
    /// The message of the first one, in example order.
    pub example: String,
}

/// Folds violations into the schema error table: one row per (path pattern, keyword), most
/// frequent first, ties by path then keyword. Each row's example message is that of the
/// first example (by its position in the expected file) with the violation, so tables of
/// disjoint sets of examples [`merge`](ErrorTable::merge) into the table of the whole.
#[derive(Debug, Default, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ErrorTable {
    rows: Vec<(ErrorRow, usize)>,
}

impl ErrorTable {
    fn row(&mut self, path: &str, keyword: &str, example: &str, ordinal: usize) -> &mut ErrorRow {
        let at = self
            .rows
            .iter()
            .position(|(r, _)| r.path == path && r.keyword == keyword);
        let at = at.unwrap_or_else(|| {
            self.rows.push((
                ErrorRow {
                    path: path.to_owned(),
                    keyword: keyword.to_owned(),
                    count: 0,
                    outputs: 0,
                    example: example.to_owned(),
                },
                ordinal,
            ));
            self.rows.len() - 1
        });
        let (row, first) = &mut self.rows[at];
        if ordinal < *first {
            row.example = example.to_owned();
            *first = ordinal;
        }
        row
    }

    /// Adds the violations of the output of example `ordinal` (its position in the expected
    /// file).
    pub fn add_output(&mut self, ordinal: usize, violations: &[Violation]) {
        let mut counted_for_output: Vec<(&str, &str)> = Vec::new();
        for v in violations {
            let row = self.row(&v.pattern, &v.keyword, &shorten(&v.message), ordinal);
            row.count += 1;
            let key = (v.pattern.as_str(), v.keyword.as_str());
            if !counted_for_output.contains(&key) {
                row.outputs += 1;
                counted_for_output.push(key);
            }
        }
    }

    /// Adds the table of another, disjoint set of examples.
    pub fn merge(&mut self, other: &ErrorTable) {
        for (theirs, first) in &other.rows {
            let row = self.row(&theirs.path, &theirs.keyword, &theirs.example, *first);
            row.count += theirs.count;
            row.outputs += theirs.outputs;
        }
    }

    /// The rows, most frequent first.
    pub fn into_rows(self) -> Vec<ErrorRow> {
        let mut rows: Vec<ErrorRow> = self.rows.into_iter().map(|(row, _)| row).collect();
        rows.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.keyword.cmp(&b.keyword))
        });
        rows
    }
}

/// One pattern over a run: the outputs whose validity its unfinished matches left unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct UndecidedRow {
    /// The pattern, as [`Undecided::pattern`] (shortened to 200 characters).
    pub pattern: String,
    /// Where its keyword is in the schema.
    pub schema_path: String,
    /// Outputs it left undecided.
    pub outputs: usize,
    /// Where the string was in the first of them, in example order (`/0/code`).
    pub first_path: String,
}

impl UndecidedRow {
    /// The warning a run with this row shows.
    pub fn warning(&self) -> String {
        format!(
            "the schema's pattern {:?} (at {}) hit the regex engine's backtracking limit: {} output(s) could not be checked against it (first at {}), and count as neither schema-valid nor invalid",
            self.pattern,
            display_pointer(&self.schema_path),
            self.outputs,
            // The output's own keys may be in the path: no control character reaches a log.
            display_pointer(&self.first_path).escape_debug(),
        )
    }
}

fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() {
        "the root"
    } else {
        pointer
    }
}

/// The patterns that left outputs undecided, by where they are in the schema: most outputs
/// first, then by schema path. Tables of disjoint sets of examples merge into the table of
/// the whole, each row keeping the first example's location.
#[derive(Debug, Default, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct UndecidedTable {
    rows: Vec<(UndecidedRow, usize)>,
}

impl UndecidedTable {
    fn row(
        &mut self,
        pattern: &str,
        schema_path: &str,
        first_path: &str,
        ordinal: usize,
    ) -> &mut UndecidedRow {
        let at = self
            .rows
            .iter()
            .position(|(r, _)| r.schema_path == schema_path && r.pattern == pattern);
        let at = at.unwrap_or_else(|| {
            self.rows.push((
                UndecidedRow {
                    pattern: pattern.to_owned(),
                    schema_path: schema_path.to_owned(),
                    outputs: 0,
                    first_path: first_path.to_owned(),
                },
                ordinal,
            ));
            self.rows.len() - 1
        });
        let (row, first) = &mut self.rows[at];
        if ordinal < *first {
            row.first_path = first_path.to_owned();
            *first = ordinal;
        }
        row
    }

    /// Adds the undecided output of example `ordinal`.
    pub fn add_output(&mut self, ordinal: usize, undecided: &Undecided) {
        let pattern = shorten(&undecided.pattern);
        self.row(&pattern, &undecided.schema_path, &undecided.path, ordinal)
            .outputs += 1;
    }

    /// Adds the table of another, disjoint set of examples.
    pub fn merge(&mut self, other: &UndecidedTable) {
        for (theirs, first) in &other.rows {
            let row = self.row(
                &theirs.pattern,
                &theirs.schema_path,
                &theirs.first_path,
                *first,
            );
            row.outputs += theirs.outputs;
        }
    }

    /// The rows, most outputs first.
    pub fn into_rows(self) -> Vec<UndecidedRow> {
        let mut rows: Vec<UndecidedRow> = self.rows.into_iter().map(|(row, _)| row).collect();
        rows.sort_by(|a, b| {
            b.outputs
                .cmp(&a.outputs)
                .then_with(|| a.schema_path.cmp(&b.schema_path))
                .then_with(|| a.pattern.cmp(&b.pattern))
        });
        rows
    }
}

/// Why a schema does not compile, saying where in the schema; a `$ref` to anything outside
/// the file gets its own explanation, since jsonschema's ("No base URI is available", "feature
/// required") reads like a bug rather than a rule.
fn compile_error(e: &jsonschema::ValidationError<'_>) -> String {
    use jsonschema::ReferencingError::Unretrievable;
    use jsonschema::error::ValidationErrorKind::Referencing;
    if let Referencing(Unretrievable { uri, .. }) = e.kind() {
        return format!(
            "not a usable JSON Schema: $ref {uri:?} points outside the schema file, and verdict never fetches a reference from the network or the file system: copy what it names into this file (under \"$defs\") and refer to it as \"#/$defs/NAME\""
        );
    }
    match e.instance_path().as_str() {
        "" => format!("not a usable JSON Schema: {e}"),
        at => format!("not a usable JSON Schema: at {at}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn events_schema(draft: &str) -> Schema {
        let schema = json!({
            "$schema": draft,
            "type": "array",
            "items": {
                "type": "object",
                "required": ["timestamp_seconds", "classification"],
                "properties": {
                    "timestamp_seconds": {"type": "number"},
                    "classification": {"enum": ["FG_MAKE", "FG_MISS"]}
                }
            }
        });
        Schema::compile(Path::new("s.json"), &schema).unwrap()
    }

    #[test]
    fn violations_fold_array_indices() {
        for draft in [
            "https://json-schema.org/draft/2020-12/schema",
            "http://json-schema.org/draft-07/schema#",
        ] {
            let schema = events_schema(draft);
            let out = json!([
                {"timestamp_seconds": 1, "classification": "FG_MAKE"},
                {"timestamp_seconds": "2", "classification": "LAYUP"},
                {"classification": "FG_MISS"}
            ]);
            let mut found: Vec<(String, String)> = schema
                .check(&out)
                .violations()
                .iter()
                .map(|v| (v.pattern.clone(), v.keyword.clone()))
                .collect();
            found.sort();
            assert_eq!(
                found,
                [
                    ("/*".to_owned(), "required".to_owned()),
                    ("/*/classification".to_owned(), "enum".to_owned()),
                    ("/*/timestamp_seconds".to_owned(), "type".to_owned()),
                ],
                "{draft}"
            );
            assert!(schema.check(&json!([])).is_valid());
            assert_eq!(
                schema.check(&json!({"events": []})).violations()[0].pattern,
                ""
            );
        }
    }

    #[test]
    fn error_table_counts_violations_and_outputs() {
        let schema = events_schema("https://json-schema.org/draft/2020-12/schema");
        let mut table = ErrorTable::default();
        table.add_output(0, schema.check(&json!([{"timestamp_seconds": 1, "classification": "A"}, {"timestamp_seconds": 2, "classification": "B"}])).violations());
        table.add_output(
            1,
            schema
                .check(&json!([{"timestamp_seconds": 1, "classification": "C"}]))
                .violations(),
        );
        table.add_output(
            2,
            schema
                .check(&json!([{"classification": "FG_MAKE"}]))
                .violations(),
        );
        let rows = table.into_rows();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[0].path.as_str(),
                rows[0].keyword.as_str(),
                rows[0].count,
                rows[0].outputs
            ),
            ("/*/classification", "enum", 3, 2)
        );
        assert!(rows[0].example.contains("\"A\""), "{}", rows[0].example);
        assert_eq!((rows[1].path.as_str(), rows[1].count), ("/*", 1));
    }

    #[test]
    fn long_example_messages_are_shortened() {
        let long = "é".repeat(500);
        assert_eq!(shorten(&long).chars().count(), EXAMPLE_CHARS + 1);
        assert_eq!(shorten("short"), "short");
    }

    #[test]
    fn unusable_schemas_are_errors() {
        let err = Schema::compile(Path::new("s.json"), &json!({"type": 12}))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("s.json: not a usable JSON Schema"), "{err}");
        let err = Schema::compile(
            Path::new("s.json"),
            &json!({"$ref": "https://example.com/x.json"}),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("s.json: not a usable JSON Schema: $ref \"https://example.com/x.json\" points outside the schema file"), "{err}");
        let err = Schema::compile(
            Path::new("s.json"),
            &json!({"items": {"$ref": "file:///etc/passwd"}}),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("$ref \"file:///etc/passwd\" points outside"),
            "{err}"
        );
        let err = Schema::compile(Path::new("s.json"), &json!({"items": {"type": 12}}))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("s.json: not a usable JSON Schema: at /items/type: "),
            "{err}"
        );
    }

    /// Alternatives that overlap (`ab` is `a` then `b`) before a lookahead: the lookahead makes
    /// fancy-regex match with its backtracking engine, which tries every split of "abab…"
    /// (2^28 of them) and stops at its limit of 1,000,000 steps. Without the lookahead the
    /// pattern would go to the regex crate, which never backtracks.
    const CATASTROPHIC: &str = "^(a|ab|b)*(?=c)$";

    fn code_schema() -> Schema {
        let schema = json!({
            "type": "object",
            "properties": {
                "code": {"type": "string", "pattern": CATASTROPHIC},
                "n": {"type": "integer"}
            }
        });
        Schema::compile(Path::new("s.json"), &schema).unwrap()
    }

    #[test]
    fn a_pattern_the_engine_cannot_finish_leaves_the_output_undecided() {
        let schema = code_schema();
        let long = "ab".repeat(28);
        assert_eq!(
            schema.check(&json!({"code": long})),
            Checked::Undecided(Undecided {
                pattern: CATASTROPHIC.into(),
                schema_path: "/properties/code/pattern".into(),
                path: "/code".into(),
                message: "Error executing regex: Max limit for backtracking count exceeded".into(),
            })
        );
        let undecided = schema.check(&json!({"code": long}));
        assert!(!undecided.is_valid());
        assert!(undecided.violations().is_empty());
        // A short string is matched to the end: decided, and a violation of the output.
        let short = schema.check(&json!({"code": "ab"}));
        assert_eq!(short.violations().len(), 1);
        assert_eq!(short.violations()[0].keyword, "pattern");
        assert!(short.undecided().is_none());
        // A violation that holds whatever the match gives decides the output.
        let also_wrong = schema.check(&json!({"code": long, "n": "x"}));
        let keywords: Vec<&str> = also_wrong
            .violations()
            .iter()
            .map(|v| v.keyword.as_str())
            .collect();
        assert_eq!(keywords, ["type"]);
        assert!(also_wrong.undecided().is_none());
        assert!(schema.check(&json!({"code": ""})).violations().len() == 1);
        assert!(schema.check(&json!({"n": 1})).is_valid());
    }

    #[test]
    fn undecided_outputs_are_counted_by_pattern_and_merge() {
        let schema = code_schema();
        let long = "ab".repeat(28);
        let undecided = |path: &str| Undecided {
            path: path.into(),
            ..schema
                .check(&json!({"code": long}))
                .undecided()
                .unwrap()
                .clone()
        };
        let (mut first, mut second) = (UndecidedTable::default(), UndecidedTable::default());
        second.add_output(1, &undecided("/code"));
        second.add_output(3, &undecided("/code"));
        first.add_output(2, &undecided("/0/code"));
        second.merge(&first);
        let rows = second.into_rows();
        assert_eq!(
            rows,
            [UndecidedRow {
                pattern: CATASTROPHIC.into(),
                schema_path: "/properties/code/pattern".into(),
                outputs: 3,
                first_path: "/code".into(),
            }]
        );
        assert_eq!(
            rows[0].warning(),
            "the schema's pattern \"^(a|ab|b)*(?=c)$\" (at /properties/code/pattern) hit the regex engine's backtracking limit: 3 output(s) could not be checked against it (first at /code), and count as neither schema-valid nor invalid"
        );
    }
}
