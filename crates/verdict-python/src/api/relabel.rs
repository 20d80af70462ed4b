//! Rows given in memory are scored from scratch files; what verdict says about them names the
//! row ("expected row 3"), and the reports name the file by its name alone, never the scratch
//! directory.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use verdict_core::error::{EXIT_INPUT_ERROR, Error, Location};

use crate::errors::{VerdictError, to_py};
use crate::spec::DICT_SPEC;

/// A scratch file holding rows given in memory, and the name its rows go by in messages
/// ("expected" gives "expected row 3").
#[derive(Debug, Clone)]
pub(crate) struct Rows {
    path: PathBuf,
    role: String,
}

impl Rows {
    /// `(path, role)` pairs from Python.
    pub(super) fn from_pairs(pairs: Vec<(PathBuf, String)>) -> Vec<Rows> {
        pairs
            .into_iter()
            .map(|(path, role)| Rows { path, role })
            .collect()
    }

    /// The name the rows go by as a file: the scratch file's name, which report.json
    /// (`run`, `worst_examples`) and examples.jsonl record, as they record any absolute path.
    fn label(&self) -> String {
        verdict_core::files::public_path(&self.path.display().to_string())
    }
}

/// Names rows, never scratch paths, in what verdict says about in-memory inputs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Relabel {
    pub(super) rows: Vec<Rows>,
    pub(super) dict_spec: bool,
}

impl Relabel {
    fn rows_of(&self, path: &Path) -> Option<&Rows> {
        self.rows.iter().find(|r| r.path == path)
    }

    /// `path:line` → `ROLE row line`, then any other mention of the file → its name. A
    /// message shows a path whole or (an absolute one, in report texts) by its file name.
    pub(crate) fn text(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for rows in &self.rows {
            let whole = rows.path.display().to_string();
            for shown in [whole.clone(), rows.label()] {
                text = replace_locations(&text, &shown, &rows.role);
            }
            text = text.replace(&whole, &rows.label());
        }
        text
    }

    fn location(&self, location: &Location) -> String {
        match self.rows_of(&location.path) {
            Some(rows) => format!("{} row {}", rows.role, location.line),
            None => location.to_string(),
        }
    }

    /// The Python exception of `error`, its places relabelled.
    pub(crate) fn error(&self, error: Error) -> PyErr {
        match error {
            Error::Line { location, message } if self.rows_of(&location.path).is_some() => {
                self.row_error(&location, &self.text(&message))
            }
            Error::DuplicateKey {
                location,
                first,
                key,
            } if self.rows_of(&location.path).is_some() => self.row_error(
                &location,
                &format!(
                    "duplicate key {key} (first seen at {})",
                    self.location(&first)
                ),
            ),
            // A line of TOML generated from a dict means nothing to its author.
            Error::Spec { path, message, .. } if self.dict_spec && path == Path::new(DICT_SPEC) => {
                to_py(Error::Spec {
                    path,
                    line: None,
                    message: self.text(&message),
                })
            }
            other => self.relabelled(other),
        }
    }

    fn row_error(&self, location: &Location, message: &str) -> PyErr {
        let rows = self
            .rows_of(&location.path)
            .map(Rows::label)
            .unwrap_or_default();
        let error = VerdictError::new_err(format!("{}: {message}", self.location(location)));
        Python::attach(|py| {
            let value = error.value(py);
            // Setting attributes on a fresh exception instance cannot fail short of memory.
            let _ = value.setattr("file", rows);
            let _ = value.setattr("line", location.line);
            let _ = value.setattr("exit_code", EXIT_INPUT_ERROR);
        });
        error
    }

    /// Any other error, its scratch paths named as the rows they hold.
    fn relabelled(&self, error: Error) -> PyErr {
        if self.rows.is_empty() {
            return to_py(error);
        }
        let path = |p: PathBuf| match self.rows_of(&p) {
            Some(rows) => PathBuf::from(rows.label()),
            None => p,
        };
        to_py(match error {
            Error::Io {
                path: p,
                message,
                source,
            } => Error::Io {
                path: path(p),
                message: self.text(&message),
                source,
            },
            Error::Path { path: p, message } => Error::Path {
                path: path(p),
                message: self.text(&message),
            },
            Error::Line { location, message } => Error::Line {
                location,
                message: self.text(&message),
            },
            Error::DuplicateKey {
                location,
                first,
                key,
            } => Error::Line {
                message: format!(
                    "duplicate key {key} (first seen at {})",
                    self.location(&first)
                ),
                location,
            },
            Error::Join(message) => Error::Join(self.text(&message)),
            Error::Spec {
                path: p,
                line,
                message,
            } => Error::Spec {
                path: p,
                line,
                message: self.text(&message),
            },
            Error::Schema { path: p, message } => Error::Schema {
                path: p,
                message: self.text(&message),
            },
            Error::Usage(message) => Error::Usage(self.text(&message)),
        })
    }
}

/// `shown:N` → `ROLE row N` wherever `shown` is followed by `:` and digits.
fn replace_locations(text: &str, shown: &str, role: &str) -> String {
    let prefix = format!("{shown}:");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&prefix) {
        let after = &rest[at + prefix.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            out.push_str(&rest[..at + prefix.len()]);
            rest = after;
            continue;
        }
        out.push_str(&rest[..at]);
        out.push_str(&format!("{role} row {}", &after[..digits]));
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}
