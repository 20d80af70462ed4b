//! Files a person or a CI job reads, and a run's scratch space: paths shown without where the
//! checkout lives, and scratch directories that no run, however it ends, leaves behind.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A path for a report a person reads: as given when relative, only its file name when
/// absolute, so reports do not depend on where the checkout lives.
pub fn public_path(path: &str) -> String {
    shown_path(Path::new(path)).into_owned()
}

/// A `file:line` location for a report, its path made public as by [`public_path`]. Written
/// for two lines of every example in `examples.jsonl`, so the path is borrowed, not copied.
pub fn public_location(location: &crate::error::Location) -> String {
    format!("{}:{}", shown_path(&location.path), location.line)
}

/// [`public_path`], borrowed from `path` where it can be.
fn shown_path(path: &Path) -> std::borrow::Cow<'_, str> {
    match path.file_name() {
        Some(name) if path.is_absolute() => name.to_string_lossy(),
        _ => path.to_string_lossy(),
    }
}

/// For an interrupt handler about to end the process: removes the scratch directories and
/// every report set not yet moved into place ([`crate::output::abandon`]), and returns a guard
/// that keeps any further set from being moved into place. Reports already in place stay as
/// they are.
pub fn abandon_writes() -> crate::output::Abandoned {
    let mut scratch = SCRATCH.lock().unwrap_or_else(|e| e.into_inner());
    for path in scratch.drain(..) {
        let _ = std::fs::remove_dir_all(path);
    }
    drop(scratch);
    // After the scratch: a shard's is inside the output directory, which is removed if the
    // run created it and nothing else is left in it.
    crate::output::abandon()
}

/// Scratch directories of runs in progress, for [`abandon_writes`] to remove.
static SCRATCH: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// The file in a scratch directory that names the process it belongs to.
const SCRATCH_OWNER: &str = "owner.pid";

/// Removes the scratch directories beside `ours` that runs left behind when they were killed
/// outright: only verdict's own (by name), only the current user's (the same owner as
/// `ours`), only those whose `owner.pid` names a process that no longer exists. Anything it
/// cannot be sure of is left alone, and a failure to remove is not an error of this run.
fn remove_stale_scratch(ours: &Path) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let (Some(parent), Ok(mine)) = (ours.parent(), std::fs::metadata(ours)) else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(parent) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let ours_by_name = entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(".verdict-scratch."));
            // symlink_metadata: a link is never followed, let alone removed through.
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if !ours_by_name || path == ours || !meta.is_dir() || meta.uid() != mine.uid() {
                continue;
            }
            let pid = std::fs::read_to_string(path.join(SCRATCH_OWNER))
                .ok()
                .and_then(|text| text.trim().parse::<u32>().ok());
            if let Some(pid) = pid
                && !Path::new("/proc").join(pid.to_string()).exists()
            {
                let _ = std::fs::remove_dir_all(&path);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = ours;
}

/// A run's scratch directory (spilled predictions, per-example records): removed when dropped,
/// and by [`abandon_writes`] when the run is interrupted, so no temporary file outlives a run.
#[derive(Debug)]
pub struct ScratchDir {
    dir: tempfile::TempDir,
}

impl ScratchDir {
    /// A new scratch directory in `parent`, or in the system's temporary directory (`TMPDIR`).
    pub fn new(parent: Option<&Path>) -> Result<ScratchDir> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".verdict-scratch.");
        // It holds a copy of every model output: readable by its owner alone, whatever the
        // umask (a shared /tmp is the default place).
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let mut scratch = SCRATCH.lock().unwrap_or_else(|e| e.into_inner());
        let dir = match parent {
            Some(parent) => builder.tempdir_in(parent),
            None => builder.tempdir(),
        }
        .map_err(|e| {
            Error::io(
                parent.map_or_else(std::env::temp_dir, Path::to_path_buf),
                "cannot create a temporary directory",
                e,
            )
        })?;
        scratch.push(dir.path().to_path_buf());
        drop(scratch);
        // Which process owns it, so that a later run can tell a dead run's directory (SIGKILL,
        // a power cut) from a live one's.
        let owner = dir.path().join(SCRATCH_OWNER);
        std::fs::write(&owner, format!("{}\n", std::process::id()))
            .map_err(|e| Error::io(&owner, "cannot write", e))?;
        remove_stale_scratch(dir.path());
        Ok(ScratchDir { dir })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let mut scratch = SCRATCH.lock().unwrap_or_else(|e| e.into_inner());
        scratch.retain(|p| p != self.dir.path());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_locations_show_relative_paths_whole_and_absolute_ones_by_name() {
        for (path, shown) in [
            ("data/expected.jsonl", "data/expected.jsonl:7"),
            ("/home/ci/data/expected.jsonl", "expected.jsonl:7"),
            ("/", "/:7"),
            ("../x.jsonl", "../x.jsonl:7"),
        ] {
            let location = crate::error::Location {
                path: path.into(),
                line: 7,
            };
            assert_eq!(public_location(&location), shown);
            assert_eq!(
                public_location(&location),
                format!("{}:7", public_path(path)),
                "the same as public_path"
            );
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn only_scratch_directories_of_dead_runs_are_removed() {
        let parent = tempfile::tempdir().unwrap();
        let dead_pid = {
            let mut child = std::process::Command::new("true").spawn().unwrap();
            let pid = child.id();
            child.wait().unwrap();
            pid
        };
        let make = |name: &str, pid: Option<u32>| {
            let dir = parent.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("predictions.spill"), "x").unwrap();
            if let Some(pid) = pid {
                std::fs::write(dir.join(SCRATCH_OWNER), format!("{pid}\n")).unwrap();
            }
            dir
        };
        let dead = make(".verdict-scratch.dead", Some(dead_pid));
        let live = make(".verdict-scratch.live", Some(std::process::id()));
        let unknown = make(".verdict-scratch.old", None);
        let other = make("someone-elses", Some(dead_pid));
        let scratch = ScratchDir::new(Some(parent.path())).unwrap();
        assert!(!dead.exists(), "a dead run's scratch goes");
        assert!(live.exists() && unknown.exists() && other.exists());
        assert!(scratch.path().join(SCRATCH_OWNER).exists());
    }

    #[cfg(unix)]
    #[test]
    fn scratch_space_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let scratch = ScratchDir::new(Some(parent.path())).unwrap();
        let mode = std::fs::metadata(scratch.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
