//! From the prediction paths a user gives (files, directories of shards, quoted globs) to the
//! files verdict reads, each checked to be a regular file: nothing is skipped silently.

use std::path::{Path, PathBuf};

use verdict_core::error::{Error, Result};

/// Expands the paths a user gave into the list of files to read, in a stable order.
///
/// A file is taken as is; a directory contributes its `*.jsonl`, `*.jsonl.gz` and
/// `*.jsonl.out` (AWS Bedrock's batch output) files (not
/// recursively) sorted by name; a path that does not exist but contains `*`, `?` or `[` is a
/// glob pattern, expanded and sorted. Anything else that does not exist is an error.
pub fn expand_paths(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            files.extend(jsonl_files_in(input)?);
        } else if input.exists() {
            refuse_special_file(input)?;
            files.push(input.clone());
        } else if std::fs::symlink_metadata(input).is_ok() {
            return Err(dangling(input));
        } else if is_glob(input) {
            files.extend(expand_glob(input)?);
        } else {
            return Err(Error::Path {
                path: input.clone(),
                message: "no such file or directory".into(),
            });
        }
    }
    Ok(files)
}

fn is_glob(path: &Path) -> bool {
    path.to_string_lossy().contains(['*', '?', '['])
}

fn has_jsonl_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    // `.jsonl.out`: AWS Bedrock names each batch output file after its input file (beside a
    // `manifest.json.out` summary, which is not predictions).
    name.ends_with(".jsonl") || name.ends_with(".jsonl.gz") || name.ends_with(".jsonl.out")
}

/// Checks that `path` is not a special file or a link to nothing. verdict reads an input more
/// than once (the predictions are indexed, then read for scoring; the expected file is checked
/// for examples, then streamed), so a FIFO, `/dev/stdin` or a `<(…)` process substitution
/// would be read half or not at all and look like bad JSON: it is refused by name instead. A
/// missing path or a directory is left to the reader, whose messages say so.
pub fn refuse_special_file(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() || meta.is_dir() => Ok(()),
        Ok(_) => Err(not_regular(
            path,
            "not a regular file (a pipe, FIFO, socket or device)",
        )),
        Err(_) if std::fs::symlink_metadata(path).is_ok() => Err(dangling(path)),
        Err(_) => Ok(()),
    }
}

fn not_regular(path: &Path, what: &str) -> Error {
    Error::Path {
        path: path.to_path_buf(),
        message: format!(
            "{what}: verdict reads each input file more than once, so it takes regular files only; write the data to a file first"
        ),
    }
}

/// The error for a symbolic link that leads nowhere.
fn dangling(path: &Path) -> Error {
    Error::Path {
        path: path.to_path_buf(),
        message: "a symbolic link to nothing (its target is missing, or links loop): remove it or point it at a file".into(),
    }
}

/// Whether a directory or glob entry is a predictions file: a regular `.jsonl` file is;
/// anything with that name that verdict cannot read as one (a dangling link, a FIFO, a
/// directory) is an error naming it, never a silent skip whose predictions would quietly
/// count as missing.
fn predictions_entry(path: &Path, named_as_predictions: bool) -> Result<bool> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(true),
        Ok(meta) if meta.is_dir() && named_as_predictions => Err(not_regular(path, "a directory")),
        _ if named_as_predictions => refuse_special_file(path).map(|()| false),
        _ => Ok(false),
    }
}

fn jsonl_files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "cannot list directory", e))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, "cannot list directory", e))?;
        let path = entry.path();
        if has_jsonl_name(&path) && predictions_entry(&path, true)? {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(Error::Path {
            path: dir.to_path_buf(),
            message: "directory holds no .jsonl, .jsonl.gz or .jsonl.out file".into(),
        });
    }
    files.sort();
    Ok(files)
}

fn expand_glob(pattern: &Path) -> Result<Vec<PathBuf>> {
    let text = pattern.to_string_lossy();
    let paths = glob::glob(&text).map_err(|e| Error::Path {
        path: pattern.to_path_buf(),
        message: format!("not a valid glob pattern: {e}"),
    })?;
    let mut files = Vec::new();
    for path in paths {
        let path = path.map_err(|e| {
            let path = e.path().to_path_buf();
            Error::io(path, "cannot read", e.into())
        })?;
        if predictions_entry(&path, has_jsonl_name(&path))? {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(Error::Path {
            path: pattern.to_path_buf(),
            message: "glob pattern matches no file".into(),
        });
    }
    files.sort();
    Ok(files)
}
