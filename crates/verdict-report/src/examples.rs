//! Which examples a run's per-example file keeps, and in which file: `examples.jsonl` takes
//! about 580 bytes an example (116 MB at 200,000 generated clips), so a run may keep only the
//! examples that are not exactly right, compress the file, or not write it. The choice is
//! recorded in `run.examples` of report.json, because `verdict compare` and `--baseline DIR`
//! need every example and must be able to tell a file that holds only some of them.

use serde::Serialize;

/// The file name of the per-example diagnostics, one line per example, worst first.
pub const EXAMPLES_JSONL: &str = "examples.jsonl";

/// The file name of the per-example diagnostics when they are gzip-compressed.
pub const EXAMPLES_JSONL_GZ: &str = "examples.jsonl.gz";

/// Which examples the per-example file keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kept {
    /// Every example: what `verdict compare` and `--baseline DIR` pair runs with.
    #[default]
    All,
    /// Only the examples that are not exactly right (`"exact": false` in their line).
    Errors,
    /// None: no per-example file is written.
    None,
}

impl Kept {
    /// The value as written in report.json and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Kept::All => "all",
            Kept::Errors => "errors",
            Kept::None => "none",
        }
    }

    /// The value named `name` in report.json.
    pub fn from_name(name: &str) -> Option<Kept> {
        [Kept::All, Kept::Errors, Kept::None]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

/// What a run writes of its per-example lines: `run.examples` in report.json, present only
/// when it is not the default (every example, uncompressed), so the reports of a default run
/// are the same bytes as before the choice existed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExamplesOutput {
    /// Which examples.
    pub kept: Kept,
    /// Whether they are gzip-compressed (`examples.jsonl.gz`).
    pub gzip: bool,
}

/// `{"kept": …, "file": …}`: the file by name, so a reader need not know the naming rule.
impl Serialize for ExamplesOutput {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("ExamplesOutput", 2)?;
        s.serialize_field("kept", &self.kept)?;
        s.serialize_field("file", &self.file())?;
        s.end()
    }
}

impl ExamplesOutput {
    /// The name of the file the lines go to; `None` when no line is kept.
    pub fn file(&self) -> Option<&'static str> {
        (self.kept != Kept::None).then(|| Self::file_of(self.gzip))
    }

    fn file_of(gzip: bool) -> &'static str {
        if gzip {
            EXAMPLES_JSONL_GZ
        } else {
            EXAMPLES_JSONL
        }
    }

    /// Every example, uncompressed: what report.json leaves unsaid.
    pub fn is_default(&self) -> bool {
        *self == ExamplesOutput::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_json_names_what_was_kept_and_where() {
        let json = |kept, gzip| serde_json::to_string(&ExamplesOutput { kept, gzip }).unwrap();
        assert_eq!(
            json(Kept::Errors, false),
            r#"{"kept":"errors","file":"examples.jsonl"}"#
        );
        assert_eq!(
            json(Kept::All, true),
            r#"{"kept":"all","file":"examples.jsonl.gz"}"#
        );
        assert_eq!(json(Kept::None, false), r#"{"kept":"none","file":null}"#);
        assert_eq!(json(Kept::None, true), r#"{"kept":"none","file":null}"#);
        assert!(ExamplesOutput::default().is_default());
        for kept in [Kept::All, Kept::Errors, Kept::None] {
            assert_eq!(Kept::from_name(kept.name()), Some(kept));
        }
        assert_eq!(Kept::from_name("some"), None);
    }
}
