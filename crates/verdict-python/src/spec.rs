//! The spec a Python call names: a path to an `eval.toml`, or a dict of the same keys.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use verdict_core::error::Error;
use verdict_core::schema::Schema;
use verdict_core::spec::Spec;

use crate::errors::to_py;

/// The name a dict spec goes by in messages. Its parent is empty, so a relative `schema`
/// path in the dict is read from the working directory, as a notebook user expects.
pub(crate) const DICT_SPEC: &str = "<spec dict>";

/// A dict spec that cannot be read, with `.file` naming it as its other errors do.
fn dict_error(message: String) -> PyErr {
    to_py(Error::Spec {
        path: PathBuf::from(DICT_SPEC),
        line: None,
        message,
    })
}

/// A spec's TOML text and the path its messages name (and its relative paths start from).
pub(crate) struct SpecSource {
    pub(crate) path: PathBuf,
    pub(crate) text: String,
}

impl SpecSource {
    /// From a path (`str` or `os.PathLike`) or a dict of eval.toml's keys.
    pub(crate) fn from_py(spec: &Bound<'_, PyAny>) -> PyResult<SpecSource> {
        if let Ok(dict) = spec.cast::<PyDict>() {
            let table: toml::Table = pythonize::depythonize(dict.as_any()).map_err(|e| {
                dict_error(format!(
                    "{e}; expected the keys and values of eval.toml (docs/spec.md): strings, numbers, booleans, lists and dicts, no None"
                ))
            })?;
            let text = toml::to_string(&table)
                .map_err(|e| dict_error(format!("cannot be written as TOML: {e}")))?;
            return Ok(SpecSource {
                path: PathBuf::from(DICT_SPEC),
                text,
            });
        }
        let path: PathBuf = spec.extract().map_err(|_| {
            to_py(Error::Usage(format!(
                "spec: expected a path to an eval.toml or a dict of its keys, got {}",
                spec.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| "an object".into())
            )))
        })?;
        let text = verdict_core::spec::read_text(&path).map_err(to_py)?;
        Ok(SpecSource { path, text })
    }

    /// Whether the spec came from a dict, whose generated TOML has no lines a user wrote.
    pub(crate) fn is_dict(&self) -> bool {
        self.path == Path::new(DICT_SPEC)
    }

    /// The parsed spec and its compiled schema, checked as a run checks them.
    pub(crate) fn load(&self) -> PyResult<(Spec, Option<Schema>)> {
        let spec = verdict_core::spec::parse(&self.path, &self.text).map_err(|error| {
            let error = match error {
                // A line of TOML generated from a dict means nothing to its author.
                verdict_core::error::Error::Spec { path, message, .. } if self.is_dict() => {
                    verdict_core::error::Error::Spec {
                        path,
                        line: None,
                        message,
                    }
                }
                other => other,
            };
            to_py(error)
        })?;
        let schema = spec
            .schema
            .as_deref()
            .map(Schema::load)
            .transpose()
            .map_err(to_py)?;
        Ok((spec, schema))
    }
}
