//! verdict's errors as one Python exception, `verdict.VerdictError`, carrying the file, line
//! and exit code the command line would print.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use verdict_core::error::Error;

create_exception!(
    verdict,
    VerdictError,
    PyException,
    "An input verdict cannot use: a file it cannot read, a line it cannot parse, a spec value it does not know. `.file` and `.line` say where (None when the error has no place), `.exit_code` is the command line's (2)."
);

pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("VerdictError", module.py().get_type::<VerdictError>())
}

/// The Python exception of a verdict error: the message is the command line's, and the
/// place is in attributes a notebook can read.
pub(crate) fn to_py(error: Error) -> PyErr {
    let (file, line) = match &error {
        Error::Io { path, .. } | Error::Path { path, .. } | Error::Schema { path, .. } => {
            (Some(path.display().to_string()), None)
        }
        Error::Line { location, .. } | Error::DuplicateKey { location, .. } => (
            Some(location.path.display().to_string()),
            Some(location.line),
        ),
        Error::Spec { path, line, .. } => (Some(path.display().to_string()), *line),
        Error::Join(_) | Error::Usage(_) => (None, None),
    };
    let exit_code = error.exit_code();
    let message = error.to_string();
    Python::attach(|py| {
        let exception = VerdictError::new_err(message);
        let value = exception.value(py);
        // Setting attributes on a fresh exception instance cannot fail short of memory.
        let _ = value.setattr("file", file);
        let _ = value.setattr("line", line);
        let _ = value.setattr("exit_code", exit_code);
        exception
    })
}
