//! Files a person or a CI job reads: paths shown without where the checkout lives, and atomic
//! writes, so a reader never sees half a file and an interrupted run leaves no temporary file.

use std::io::Write;
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

/// Temporary files being written by [`write_atomic`], so that an interrupted run can remove
/// them: a signal ends the process without running destructors.
static IN_FLIGHT: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// For an interrupt handler about to end the process: removes every temporary file
/// [`write_atomic`] is writing and returns a guard that keeps any further write from being
/// started or renamed into place. Reports already in place stay as they are.
pub fn abandon_writes() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    let mut in_flight = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    for path in in_flight.drain(..) {
        let _ = std::fs::remove_file(path);
    }
    let mut scratch = SCRATCH.lock().unwrap_or_else(|e| e.into_inner());
    for path in scratch.drain(..) {
        let _ = std::fs::remove_dir_all(path);
    }
    in_flight
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

/// Writes `contents` to `dir/name` atomically: a reader sees the old file or the new one,
/// never half of either. `dir` is created if needed.
pub fn write_atomic(dir: &Path, name: &str, contents: &str) -> Result<PathBuf> {
    write_atomic_with(dir, name, &mut |w| w.write_all(contents.as_bytes()))
}

/// [`write_atomic`] for contents written piece by piece by `write`, so large files need not be
/// held in memory.
pub fn write_atomic_with(
    dir: &Path,
    name: &str,
    write: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(dir, "cannot create output directory", e))?;
    let target = dir.join(name);
    let in_flight = || IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    // Created and registered under the lock, so no interrupt falls between the two.
    let mut registry = in_flight();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // A report is shared (CI artifacts, a web server, a team directory): it gets the mode any
    // new file gets under the user's umask, not the owner-only mode of a temporary file.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(dir).map_err(|e| {
        Error::io(
            dir,
            "cannot create a temporary file in the output directory",
            e,
        )
    })?;
    registry.push(file.path().to_path_buf());
    drop(registry);
    let written = {
        let mut buffered = std::io::BufWriter::with_capacity(1 << 20, &mut file);
        write(&mut buffered).and_then(|()| buffered.flush())
    }
    .and_then(|()| file.as_file().sync_all());
    // The rename happens under the lock, so an interrupt sees the file either still in flight
    // (and removes it) or in place.
    let mut registry = in_flight();
    registry.retain(|p| p != file.path());
    written.map_err(|e| Error::io(&target, "cannot write", e))?;
    file.persist(&target)
        .map_err(|e| Error::io(&target, "cannot replace", e.error))?;
    drop(registry);
    Ok(target)
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

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nested/out");
        write_atomic(&out, "report.json", "one\n").unwrap();
        let path = write_atomic(&out, "report.json", "two\n").unwrap();
        assert_eq!(std::fs::read_to_string(path).unwrap(), "two\n");
        let names: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.json"]);
        // Other tests write in parallel: only this test's directory must be out of the list.
        assert!(
            !IN_FLIGHT
                .lock()
                .unwrap()
                .iter()
                .any(|p| p.starts_with(&out))
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_report_gets_the_mode_of_any_new_file_not_an_owner_only_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let report = write_atomic(dir.path(), "report.json", "{}\n").unwrap();
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&report), mode(&plain));
    }

    #[test]
    fn a_failed_write_leaves_no_temporary_file_and_nothing_in_flight() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let err = write_atomic(&file.join("out"), "report.json", "x").unwrap_err();
        assert!(err.to_string().contains("cannot create output directory"));
        // The target is a directory: the rename fails after the temporary file was written.
        std::fs::create_dir(dir.path().join("report.json")).unwrap();
        let err = write_atomic(dir.path(), "report.json", "x").unwrap_err();
        assert!(err.to_string().contains("cannot replace"), "{err}");
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["file", "report.json"]);
        assert!(
            !IN_FLIGHT
                .lock()
                .unwrap()
                .iter()
                .any(|p| p.starts_with(dir.path()))
        );
    }
}
