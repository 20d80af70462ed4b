//! An output directory as verdict writes it: one run at a time, and each run's files as one
//! set, so that after any failure or signal the directory holds every file of the earlier run
//! or every file of the new one, never a mix.
//!
//! [`OutputDir::lock`] takes an advisory lock (`flock` on Unix) on `.verdict-lock` in the
//! directory. The kernel releases it with the process however the process ends, so a run
//! killed outright never blocks the next one; a second run finds it held and stops.
//!
//! [`OutputDir::stage`] declares the set's file names and checks them before anything is
//! written; the files are then written into `.verdict-staging/new/` inside the directory (the
//! same filesystem, so moving them is a rename) and [`Staged::commit`] moves them into place:
//! it records the set in a journal, moves the earlier run's files of those names aside into
//! `.verdict-staging/old/`, `report.json` (the last name) first, then the new ones in,
//! `report.json` last. A failed rename puts everything back. A run killed outright while
//! moving leaves the journal, and the next run to lock the directory finishes the move before
//! it does anything else; a staging directory without a journal is an unfinished set, removed.
//! Files of other names in the directory are never touched.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::error::{Error, Result};

/// The lock file in an output directory.
pub const LOCK_FILE: &str = ".verdict-lock";

/// Where a set is written before it is moved into place.
pub const STAGING_DIR: &str = ".verdict-staging";

/// In the staging directory: the new files, the earlier ones moved aside, and the journal.
const NEW: &str = "new";
const OLD: &str = "old";
const JOURNAL: &str = "journal";

/// Output directories this process holds, for an interrupt handler: a signal ends the process
/// without running destructors. Every step that adds to a staging directory or moves files into
/// place runs under this lock, so the handler, which takes it, finds each set either not yet
/// moving (and removes its staging) or moved.
static HELD: Mutex<Vec<Held>> = Mutex::new(Vec::new());

#[derive(Debug)]
struct Held {
    dir: PathBuf,
    /// Directories created to hold it, outermost first, removed again if left empty.
    created: Vec<PathBuf>,
    /// The staging directory of a set not yet moved into place.
    staging: Option<PathBuf>,
}

fn held() -> MutexGuard<'static, Vec<Held>> {
    HELD.lock().unwrap_or_else(|e| e.into_inner())
}

/// For an interrupt handler about to end the process: removes the staging directory of every
/// set not yet moved into place (a set being moved is finished first: the lock is held while
/// it moves), the lock files and the directories created only to hold them, and returns a
/// guard that keeps any further set from being staged or moved.
pub fn abandon() -> Abandoned {
    let mut held = held();
    for dir in held.iter_mut() {
        if let Some(staging) = dir.staging.take() {
            let _ = std::fs::remove_dir_all(staging);
        }
        let _ = std::fs::remove_file(dir.dir.join(LOCK_FILE));
        remove_if_empty(&dir.created);
    }
    Abandoned { _held: held }
}

/// What [`abandon`] returns: while it lives, no set is staged or moved into place.
#[must_use = "sets can be moved into place again once it is dropped"]
pub struct Abandoned {
    _held: MutexGuard<'static, Vec<Held>>,
}

fn remove_if_empty(created: &[PathBuf]) {
    for dir in created.iter().rev() {
        // remove_dir fails on a directory that is not empty, which is then kept.
        let _ = std::fs::remove_dir(dir);
    }
}

/// An output directory locked by this run.
#[derive(Debug)]
pub struct OutputDir {
    path: PathBuf,
    lock: File,
}

impl OutputDir {
    /// Creates `path` if needed, locks it, and finishes or removes what an interrupted run left
    /// there. Another run holding it is an error naming the directory (and its process).
    pub fn lock(path: &Path) -> Result<OutputDir> {
        let created = create_dirs(path)?;
        let locked = take_lock(path).and_then(|lock| {
            let dir = OutputDir {
                path: path.to_path_buf(),
                lock,
            };
            held().push(Held {
                dir: dir.path.clone(),
                created: created.clone(),
                staging: None,
            });
            recover(path)?;
            Ok(dir)
        });
        if locked.is_err() {
            remove_if_empty(&created);
        }
        locked
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Checks that a set of files named `names` can be written here: none of them is a
    /// directory. [`OutputDir::stage`] checks it again; a run checks it before its work too, so
    /// that it is not refused only at its end.
    pub fn check(&self, names: &[&str]) -> Result<()> {
        for name in names {
            debug_assert!(is_file_name(name), "{name}");
            let target = self.path.join(name);
            match std::fs::symlink_metadata(&target) {
                Ok(meta) if meta.is_dir() => return Err(a_directory(target, name)),
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io(&target, "cannot read", e));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Begins a set of files named `names`, in the order they are moved into place (the most
    /// telling one, `report.json`, last). When it is committed the directory's files of these
    /// names are exactly those written into it: a name not written is removed. Checked before
    /// anything is written: no name may be a directory.
    pub fn stage(&mut self, names: &[&str]) -> Result<Staged<'_>> {
        self.check(names)?;
        let staging = self.path.join(STAGING_DIR);
        let mut held = held();
        std::fs::create_dir(&staging)
            .map_err(|e| Error::io(&staging, "cannot create a staging directory", e))?;
        if let Some(entry) = held.iter_mut().find(|h| h.dir == self.path) {
            entry.staging = Some(staging.clone());
        }
        drop(held);
        let staged = Staged {
            dir: self,
            staging,
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            written: Vec::new(),
            committed: false,
        };
        for sub in [NEW, OLD] {
            let path = staged.staging.join(sub);
            std::fs::create_dir(&path)
                .map_err(|e| Error::io(&path, "cannot create a staging directory", e))?;
        }
        Ok(staged)
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        let mut held = held();
        let Some(at) = held.iter().position(|h| h.dir == self.path) else {
            return;
        };
        let entry = held.remove(at);
        // Only while the file is still the one locked: another run may lock a new one as soon
        // as this one goes.
        if same_file(&self.lock, &self.path.join(LOCK_FILE)) {
            let _ = std::fs::remove_file(self.path.join(LOCK_FILE));
        }
        remove_if_empty(&entry.created);
    }
}

/// The directories `path` needs that do not exist yet, created, outermost first.
fn create_dirs(path: &Path) -> Result<Vec<PathBuf>> {
    let missing: Vec<PathBuf> = path
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .take_while(|p| std::fs::symlink_metadata(p).is_err())
        .map(Path::to_path_buf)
        .collect();
    std::fs::create_dir_all(path)
        .map_err(|e| Error::io(path, "cannot create output directory", e))?;
    Ok(missing.into_iter().rev().collect())
}

fn take_lock(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK_FILE);
    // A run that ends removes its lock file; one that opened it just before may lock the
    // removed file, which excludes nobody: it then opens the new one.
    for _ in 0..16 {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, "cannot create the lock file", e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let pid = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|text| text.trim().parse::<u32>().ok())
                    .map(|pid| format!(" (process {pid})"))
                    .unwrap_or_default();
                return Err(Error::Path {
                    path: dir.to_path_buf(),
                    message: format!(
                        "another verdict run{pid} is writing into this directory: wait for it to finish, or give this run another --out"
                    ),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io(
                    &path,
                    "cannot lock the output directory (verdict locks it so that two runs never write into it at once)",
                    e,
                ));
            }
        }
        if !same_file(&file, &path) {
            continue;
        }
        // Which process holds it, for the message of a run that finds it held.
        let mut writer = &file;
        file.set_len(0)
            .and_then(|()| writer.write_all(format!("{}\n", std::process::id()).as_bytes()))
            .map_err(|e| Error::io(&path, "cannot write", e))?;
        return Ok(file);
    }
    Err(Error::Path {
        path: path.clone(),
        message: "removed and created again by other runs each time it was locked: run again"
            .into(),
    })
}

/// Whether `path` is the file `file` has open.
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::symlink_metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

/// A plain file name: one component, so a set never reaches outside its directory.
fn is_file_name(name: &str) -> bool {
    let mut components = Path::new(name).components();
    matches!(
        (components.next(), components.next()),
        (Some(std::path::Component::Normal(_)), None)
    ) && !name.contains('/')
}

/// A set of files being written into an output directory: removed unless committed.
#[derive(Debug)]
pub struct Staged<'a> {
    dir: &'a mut OutputDir,
    staging: PathBuf,
    names: Vec<String>,
    written: Vec<String>,
    committed: bool,
}

impl Staged<'_> {
    /// Where file `name` of the set will be.
    pub fn target(&self, name: &str) -> PathBuf {
        self.dir.path.join(name)
    }

    /// Writes file `name` of the set.
    pub fn write(&mut self, name: &str, contents: &str) -> Result<PathBuf> {
        self.write_with(name, &mut |w| w.write_all(contents.as_bytes()))
    }

    /// [`Staged::write`] for contents written piece by piece by `write`, so large files need
    /// not be held in memory.
    pub fn write_with(
        &mut self,
        name: &str,
        write: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<PathBuf> {
        let target = self.target(name);
        let failed = |e| Error::io(&target, KEPT, e);
        let file = {
            // Created under the lock an interrupt takes, so none is created after the
            // interrupt removed the staging directory.
            let _held = held();
            self.claim(name);
            // A report is shared (CI artifacts, a web server): it gets the mode any new file
            // gets under the user's umask, not a temporary file's owner-only one.
            File::create(self.staging.join(NEW).join(name)).map_err(failed)?
        };
        let mut buffered = std::io::BufWriter::with_capacity(1 << 20, &file);
        write(&mut buffered)
            .and_then(|()| buffered.flush())
            .map_err(failed)?;
        drop(buffered);
        file.sync_all().map_err(failed)?;
        Ok(target)
    }

    /// Takes the finished file `from`, on the same filesystem, into the set as `name`.
    pub fn adopt(&mut self, name: &str, from: &Path) -> Result<PathBuf> {
        let target = self.target(name);
        let _held = held();
        self.claim(name);
        File::open(from)
            .and_then(|file| file.sync_all())
            .and_then(|()| std::fs::rename(from, self.staging.join(NEW).join(name)))
            .map_err(|e| Error::io(&target, KEPT, e))?;
        Ok(target)
    }

    fn claim(&mut self, name: &str) {
        assert!(
            self.names.iter().any(|n| n == name) && !self.written.iter().any(|n| n == name),
            "{name} is a file of the set, written once"
        );
        self.written.push(name.to_owned());
    }

    /// Moves the set into place: the directory's files of the set's names become the ones
    /// written (a name not written is removed), all at once as far as any failure or signal
    /// can tell.
    pub fn commit(mut self) -> Result<()> {
        let mut held = held();
        let journal: String = self
            .names
            .iter()
            .map(|name| {
                let mark = if self.written.contains(name) {
                    '+'
                } else {
                    '-'
                };
                format!("{mark}{name}\n")
            })
            .collect();
        // Written whole under another name and renamed: a journal that is there is complete.
        let (path, unfinished) = (
            self.staging.join(JOURNAL),
            self.staging.join(format!("{JOURNAL}.tmp")),
        );
        File::create(&unfinished)
            .and_then(|mut file| {
                file.write_all(journal.as_bytes())?;
                file.sync_all()
            })
            .and_then(|()| std::fs::rename(&unfinished, &path))
            .map_err(|e| Error::io(&path, "cannot write", e))?;
        sync_dir(&self.staging.join(NEW));
        sync_dir(&self.staging);
        let swapped = swap(&self.dir.path, &self.staging, &self.names, &self.written);
        if swapped.is_ok() {
            sync_dir(&self.dir.path);
            // Without its journal first: a staging directory half removed is then an
            // unfinished set to remove, never one to move in again.
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_dir_all(&self.staging);
        } else if !path.exists() {
            // Put back: the staging directory goes as for any set not committed.
            return swapped;
        }
        // In place, or, where the earlier files could not be put back, left with its journal
        // for the next run to finish: not to be removed either way.
        self.committed = true;
        if let Some(entry) = held.iter_mut().find(|h| h.dir == self.dir.path) {
            entry.staging = None;
            // Any directory made to hold the set now holds it.
            entry.created.clear();
        }
        swapped
    }
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        let mut held = held();
        let _ = std::fs::remove_dir_all(&self.staging);
        if let Some(entry) = held.iter_mut().find(|h| h.dir == self.dir.path) {
            entry.staging = None;
        }
    }
}

/// The message of a file of a set that cannot be written or moved into place.
const KEPT: &str = "cannot write (the files already there are kept)";

/// Moves the earlier run's files of `names` aside into the staging directory (the last name
/// first) and the new ones in (the last name last). On a failure, puts back what it moved, so
/// the directory holds the earlier files again.
fn swap(dir: &Path, staging: &Path, names: &[String], written: &[String]) -> Result<()> {
    let (new, old) = (staging.join(NEW), staging.join(OLD));
    let mut aside = Vec::new();
    let mut moved_in = Vec::new();
    let moved: Result<()> = 'moves: {
        for name in names.iter().rev() {
            let target = dir.join(name);
            match std::fs::symlink_metadata(&target) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                // One made since the check: moved aside, it would be removed with the staging.
                Ok(meta) if meta.is_dir() => break 'moves Err(a_directory(target, name)),
                _ => {}
            }
            if let Err(e) = std::fs::rename(&target, old.join(name)) {
                break 'moves Err(Error::io(&target, KEPT, e));
            }
            aside.push(name);
        }
        for name in names.iter().filter(|n| written.contains(n)) {
            let target = dir.join(name);
            if let Err(e) = std::fs::rename(new.join(name), &target) {
                break 'moves Err(Error::io(&target, KEPT, e));
            }
            moved_in.push(name);
        }
        Ok(())
    };
    let Err(error) = moved else {
        return Ok(());
    };
    let back = moved_in
        .iter()
        .try_for_each(|name| std::fs::rename(dir.join(name), new.join(name)))
        .and_then(|()| {
            aside
                .iter()
                .try_for_each(|name| std::fs::rename(old.join(name), dir.join(name)))
        });
    match back {
        Ok(()) => {
            // Put back: nothing of the set is to be moved in by a later run.
            let _ = std::fs::remove_file(staging.join(JOURNAL));
            Err(error)
        }
        Err(undo) => Err(Error::Path {
            path: dir.to_path_buf(),
            message: format!(
                "{error}; and the earlier files could not be put back ({undo}): the next verdict run on this directory moves the new ones into place"
            ),
        }),
    }
}

fn a_directory(target: PathBuf, name: &str) -> Error {
    Error::Path {
        path: target,
        message: format!(
            "a directory where this run writes its {name}: move it away and run again (nothing was written)"
        ),
    }
}

/// Finishes or removes what a run that was killed outright left in `dir`'s staging directory:
/// a set with its journal is moved into place as that run would have, one without is removed.
fn recover(dir: &Path) -> Result<()> {
    let staging = dir.join(STAGING_DIR);
    match std::fs::symlink_metadata(&staging) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(&staging, "cannot read", e)),
        Ok(meta) if !meta.is_dir() => {
            return Err(Error::Path {
                path: staging,
                message: "not a directory, where verdict stages the files of a run: remove it"
                    .into(),
            });
        }
        Ok(_) => {}
    }
    let journal = staging.join(JOURNAL);
    match std::fs::read_to_string(&journal) {
        Ok(text) => roll_forward(dir, &staging, &text)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(&journal, "cannot read", e)),
    }
    let _ = std::fs::remove_file(&journal);
    std::fs::remove_dir_all(&staging).map_err(|e| {
        Error::io(
            &staging,
            "cannot remove the unfinished files of an interrupted run",
            e,
        )
    })
}

/// Moves a journalled set into place: each new file still in staging is moved in, each name
/// the set does not have is removed. Moves already done are not done again.
fn roll_forward(dir: &Path, staging: &Path, journal: &str) -> Result<()> {
    let new = staging.join(NEW);
    for (i, line) in journal.lines().enumerate() {
        let (mark, name) = line.split_at_checked(1).unwrap_or((line, ""));
        if !matches!(mark, "+" | "-") || !is_file_name(name) {
            return Err(Error::Path {
                path: staging.join(JOURNAL),
                message: format!(
                    "line {}: not a journal verdict wrote: remove {}",
                    i + 1,
                    staging.display()
                ),
            });
        }
        let target = dir.join(name);
        let done = if mark == "+" {
            std::fs::rename(new.join(name), &target)
        } else {
            std::fs::remove_file(&target)
        };
        match done {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io(
                    &target,
                    "cannot finish moving the files of an interrupted run into place",
                    e,
                ));
            }
            _ => {}
        }
    }
    sync_dir(dir);
    Ok(())
}

/// Makes the renames in `dir` durable. Not every filesystem syncs a directory: where one
/// cannot, the renames are as durable as it makes them.
fn sync_dir(dir: &Path) {
    let _ = File::open(dir).and_then(|d| d.sync_all());
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: [&str; 3] = ["extra.jsonl", "report.md", "report.json"];

    /// Every entry of `dir` with its contents (`<dir>` for a directory), by name.
    fn listing(dir: &Path) -> Vec<(String, String)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let text = std::fs::read_to_string(e.path()).unwrap_or_else(|_| "<dir>".into());
                (e.file_name().to_string_lossy().into_owned(), text)
            })
            .collect();
        files.sort();
        files
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    /// An output directory holding the set `old` of an earlier run and a file of the user's.
    fn earlier_run(dir: &Path) {
        let mut out = OutputDir::lock(dir).unwrap();
        let mut set = out.stage(&SET).unwrap();
        for name in SET {
            set.write(name, "old").unwrap();
        }
        set.commit().unwrap();
        drop(out);
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    }

    fn old_set() -> Vec<(String, String)> {
        pairs(&[
            ("extra.jsonl", "old"),
            ("notes.txt", "mine"),
            ("report.json", "old"),
            ("report.md", "old"),
        ])
    }

    #[test]
    fn a_set_replaces_the_earlier_one_whole_and_leaves_other_files_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("reports/run");
        earlier_run(&dir);
        assert_eq!(listing(&dir), old_set(), "no lock file or staging left");
        let mut out = OutputDir::lock(&dir).unwrap();
        assert!(dir.join(LOCK_FILE).exists());
        let mut set = out.stage(&SET).unwrap();
        set.write("report.md", "new").unwrap();
        let path = set.write("report.json", "new").unwrap();
        assert_eq!(path, dir.join("report.json"));
        assert_eq!(listing(&dir).len(), 6, "the staging beside the old set");
        set.commit().unwrap();
        drop(out);
        // extra.jsonl was not written this time: the earlier run's goes.
        assert_eq!(
            listing(&dir),
            pairs(&[
                ("notes.txt", "mine"),
                ("report.json", "new"),
                ("report.md", "new")
            ])
        );
    }

    #[test]
    fn a_set_not_committed_leaves_the_earlier_one_and_no_trace() {
        let tmp = tempfile::tempdir().unwrap();
        earlier_run(tmp.path());
        let mut out = OutputDir::lock(tmp.path()).unwrap();
        let mut set = out.stage(&SET).unwrap();
        set.write("report.md", "new").unwrap();
        let failed = set
            .write_with("report.json", &mut |w| {
                w.write_all(b"half")?;
                Err(std::io::Error::other("disk full"))
            })
            .unwrap_err();
        assert_eq!(
            failed.to_string(),
            format!(
                "{}: cannot write (the files already there are kept): disk full",
                tmp.path().join("report.json").display()
            )
        );
        drop(set);
        drop(out);
        assert_eq!(listing(tmp.path()), old_set());
    }

    #[test]
    fn a_directory_in_place_of_a_file_is_refused_before_anything_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        earlier_run(tmp.path());
        std::fs::remove_file(tmp.path().join("report.md")).unwrap();
        std::fs::create_dir(tmp.path().join("report.md")).unwrap();
        let mut out = OutputDir::lock(tmp.path()).unwrap();
        let err = out.stage(&SET).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: a directory where this run writes its report.md: move it away and run again (nothing was written)",
                tmp.path().join("report.md").display()
            )
        );
        assert!(!tmp.path().join(STAGING_DIR).exists());
    }

    #[test]
    fn a_failure_while_moving_puts_the_earlier_set_back() {
        let tmp = tempfile::tempdir().unwrap();
        earlier_run(tmp.path());
        std::fs::remove_file(tmp.path().join("extra.jsonl")).unwrap();
        let mut out = OutputDir::lock(tmp.path()).unwrap();
        let mut set = out.stage(&SET).unwrap();
        for name in SET {
            set.write(name, "new").unwrap();
        }
        // Made after the check, before the move: report.json and report.md are moved aside
        // first, and the move stops at it.
        std::fs::create_dir(tmp.path().join("extra.jsonl")).unwrap();
        std::fs::write(tmp.path().join("extra.jsonl/kept"), "x").unwrap();
        let err = set.commit().unwrap_err();
        assert!(
            err.to_string()
                .contains("a directory where this run writes its extra.jsonl")
        );
        drop(out);
        let mut expected = old_set();
        expected[0].1 = "<dir>".into();
        assert_eq!(listing(tmp.path()), expected);
        assert!(tmp.path().join("extra.jsonl/kept").exists());
    }

    #[test]
    fn a_second_run_is_refused_while_the_first_holds_the_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let first = OutputDir::lock(tmp.path()).unwrap();
        let err = OutputDir::lock(tmp.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: another verdict run (process {}) is writing into this directory: wait for it to finish, or give this run another --out",
                tmp.path().display(),
                std::process::id()
            )
        );
        drop(first);
        // A lock file left by a run killed outright holds no lock.
        std::fs::write(tmp.path().join(LOCK_FILE), "4194999\n").unwrap();
        drop(OutputDir::lock(tmp.path()).unwrap());
        assert_eq!(listing(tmp.path()), []);
    }

    #[test]
    fn directories_made_for_a_set_that_never_came_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/c");
        drop(OutputDir::lock(&dir).unwrap());
        assert_eq!(listing(tmp.path()), []);
        let mut out = OutputDir::lock(&dir).unwrap();
        let mut set = out.stage(&["report.json"]).unwrap();
        set.write("report.json", "{}").unwrap();
        set.commit().unwrap();
        drop(out);
        assert_eq!(listing(&dir), pairs(&[("report.json", "{}")]));
    }

    #[test]
    fn the_next_run_finishes_a_set_a_killed_run_was_moving_and_drops_an_unfinished_one() {
        let tmp = tempfile::tempdir().unwrap();
        earlier_run(tmp.path());
        // Killed while moving: the journal written, report.json and report.md moved aside,
        // extra.jsonl not yet; of the new files, none moved in.
        let staging = tmp.path().join(STAGING_DIR);
        for sub in [NEW, OLD] {
            std::fs::create_dir_all(staging.join(sub)).unwrap();
        }
        for name in ["report.md", "report.json"] {
            std::fs::write(staging.join(NEW).join(name), "new").unwrap();
            std::fs::rename(tmp.path().join(name), staging.join(OLD).join(name)).unwrap();
        }
        std::fs::write(
            staging.join(JOURNAL),
            "-extra.jsonl\n+report.md\n+report.json\n",
        )
        .unwrap();
        drop(OutputDir::lock(tmp.path()).unwrap());
        assert_eq!(
            listing(tmp.path()),
            pairs(&[
                ("notes.txt", "mine"),
                ("report.json", "new"),
                ("report.md", "new")
            ])
        );
        // Killed while writing: no journal, so the earlier set stays.
        std::fs::create_dir_all(staging.join(NEW)).unwrap();
        std::fs::write(staging.join(NEW).join("report.md"), "newer").unwrap();
        drop(OutputDir::lock(tmp.path()).unwrap());
        assert_eq!(listing(tmp.path()).len(), 3);
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("report.md")).unwrap(),
            "new"
        );
        // A journal that names a path outside the directory is not followed.
        std::fs::create_dir_all(&staging).unwrap();
        std::fs::write(staging.join(JOURNAL), "-../notes.txt\n").unwrap();
        let err = OutputDir::lock(tmp.path()).unwrap_err();
        assert!(
            err.to_string()
                .contains("line 1: not a journal verdict wrote"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_report_gets_the_mode_of_any_new_file_not_an_owner_only_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mut out = OutputDir::lock(dir.path()).unwrap();
        let mut set = out.stage(&["report.json"]).unwrap();
        let report = set.write("report.json", "{}\n").unwrap();
        set.commit().unwrap();
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&report), mode(&plain));
    }

    #[test]
    fn only_plain_file_names_make_a_set() {
        assert!(is_file_name("report.json") && is_file_name(".verdict-inputs"));
        for bad in ["", "..", ".", "a/b", "/etc", "../x"] {
            assert!(!is_file_name(bad), "{bad}");
        }
    }
}
