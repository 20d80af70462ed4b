//! The one error type of verdict, and the exit codes it maps to.
//!
//! Only problems with the *inputs* (a file that cannot be read, a line that is not JSON, a spec
//! that does not parse) are errors. A model output that is garbage is data: it is scored, never
//! reported here.

use std::path::PathBuf;

/// Exit code: the run completed (and every gate passed).
pub const EXIT_OK: u8 = 0;
/// Exit code: the run completed but a gate failed.
pub const EXIT_GATE_FAILED: u8 = 1;
/// Exit code: a usage or input error; no report was written.
pub const EXIT_INPUT_ERROR: u8 = 2;

/// A location in an input file: the path as the user gave it and a 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as given on the command line or derived from the dataset directory.
    pub path: PathBuf,
    /// 1-based physical line number (blank lines count).
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// Everything that stops a run before a report is written. Every variant exits with
/// [`EXIT_INPUT_ERROR`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be opened, read or written.
    #[error("{}: {message}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What verdict was doing.
        message: String,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },

    /// An input path names nothing, or only things verdict cannot read.
    #[error("{}: {message}", path.display())]
    Path {
        /// The path as given.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },

    /// A line of an input file is malformed (not UTF-8, not JSON, an unknown shape, ...).
    #[error("{location}: {message}")]
    Line {
        /// Where.
        location: Location,
        /// What was wrong and what was expected.
        message: String,
    },

    /// Two input lines carry the same join key.
    #[error("{location}: duplicate key {key} (first seen at {first})")]
    DuplicateKey {
        /// The later of the two lines.
        location: Location,
        /// The earlier line with the same key.
        first: Location,
        /// The key, quoted.
        key: String,
    },

    /// The expected and prediction files cannot be joined as given.
    #[error("{0}")]
    Join(String),

    /// The spec file (`eval.toml`) is malformed.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Spec {
        /// The spec file.
        path: PathBuf,
        /// The line of the offending key, where known.
        line: Option<usize>,
        /// What was wrong, with a suggestion where there is one.
        message: String,
    },

    /// The JSON Schema named by the spec cannot be used.
    #[error("{}: {message}", path.display())]
    Schema {
        /// The schema file.
        path: PathBuf,
        /// Why it cannot be used.
        message: String,
    },

    /// The command line asks for something impossible.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        EXIT_INPUT_ERROR
    }

    /// Shorthand for an [`Error::Io`].
    pub fn io(
        path: impl Into<PathBuf>,
        message: impl Into<String>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            path: path.into(),
            message: message.into(),
            source,
        }
    }

    /// Shorthand for an [`Error::Line`].
    pub fn line(location: Location, message: impl Into<String>) -> Self {
        Error::Line {
            location,
            message: message.into(),
        }
    }
}

/// verdict's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
