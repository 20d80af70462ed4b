//! A report set is all or nothing: after a refusal, a failed write, a signal or a second run
//! into the same directory, `--out` holds every file of the earlier run or every file of the
//! new one, never a mix (docs/errors.md, "Output directories").

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{root, tempdir, verdict, write};
use verdict_input::synth::{SynthConfig, generate};

/// Every entry of `dir` with its bytes, by name; a directory shows as `<dir>` and its entries.
fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            for (inner, bytes) in listing(&entry.path()) {
                entries.push((format!("{name}/{inner}"), bytes));
            }
            entries.push((name, b"<dir>".to_vec()));
        } else {
            entries.push((name, std::fs::read(entry.path()).unwrap()));
        }
    }
    entries.sort();
    entries
}

fn names(listing: &[(String, Vec<u8>)]) -> Vec<&str> {
    listing.iter().map(|(name, _)| name.as_str()).collect()
}

fn score_into(out: &Path, args: &[&str]) -> crate::harness::Run {
    let mut full = vec!["score", "--quiet", "--bootstrap", "0"];
    full.extend(args);
    full.extend(["--out", out.to_str().unwrap()]);
    verdict(&full)
}

#[test]
fn a_directory_where_a_report_file_goes_is_refused_before_anything_is_written() {
    let out = tempdir();
    score_into(out.path(), &["datasets/tickets"]).assert_code(0);
    // report.html, a file of the set, is a directory; so is examples.jsonl.gz, which this
    // run would remove as an earlier run's (it writes examples.jsonl).
    for name in ["report.html", "examples.jsonl.gz"] {
        let before = out.path().join(name);
        let _ = std::fs::remove_file(&before);
        std::fs::create_dir(&before).unwrap();
        write(&before, "notes.txt", "mine");
        let old = listing(out.path());
        let run = score_into(out.path(), &["datasets/basketball"]);
        assert_eq!(
            listing(out.path()),
            old,
            "nothing of the new set is written"
        );
        run.assert_code(2);
        assert_eq!(
            run.stderr,
            format!(
                "verdict: error: {}: a directory where this run writes its {name}: move it away and run again (nothing was written)\n",
                before.display()
            )
        );
        std::fs::remove_dir_all(&before).unwrap();
    }
}

/// A single-label test set of `classes` examples, each of its own class and each predicted as
/// the next class, or right when `right`: its report.html (a `classes`² confusion heatmap) is
/// far larger than any other file the run writes.
fn many_classes(dir: &Path, classes: usize, right: bool) {
    write(dir, "eval.toml", "name = \"many\"\nlabel = \"/c\"\n");
    let mut expected = String::new();
    let mut predictions = String::new();
    for i in 0..classes {
        let predicted = if right { i } else { (i + 1) % classes };
        expected.push_str(&format!(
            "{{\"id\": {i}, \"expected\": {{\"c\": \"class-{i:03}\"}}}}\n"
        ));
        predictions.push_str(&format!(
            "{{\"id\": {i}, \"output\": \"{{\\\"c\\\": \\\"class-{predicted:03}\\\"}}\"}}\n"
        ));
    }
    write(dir, "expected.jsonl", expected);
    write(dir, "predictions.jsonl", predictions);
}

#[test]
fn a_write_that_fails_part_way_keeps_the_earlier_set_whole() {
    // As on a full disk, but deterministic: a limit on the size of any file the process
    // writes (RLIMIT_FSIZE), with SIGXFSZ ignored so that the write fails with EFBIG. The
    // limit lets the scratch files, .verdict-inputs, per_class.csv, junit.xml, report.md and
    // report.json through and stops report.html.
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("skipped: no `prlimit` to limit the size of files");
        return;
    }
    const LIMIT: u64 = 400_000;
    let data = tempdir();
    let out = tempdir();
    many_classes(data.path(), 150, true);
    score_into(out.path(), &[data.path().to_str().unwrap()]).assert_code(0);
    let old = listing(out.path());
    many_classes(data.path(), 150, false);
    let limited = |out: &Path| {
        Command::new("sh")
            .args(["-c", "trap '' XFSZ; exec prlimit --fsize=\"$0\" -- \"$@\""])
            .arg(LIMIT.to_string())
            .arg(env!("CARGO_BIN_EXE_verdict"))
            .args(["score", "--quiet", "--bootstrap", "0", "--examples", "none"])
            .arg(data.path())
            .arg("--out")
            .arg(out)
            .current_dir(root())
            .output()
            .unwrap()
    };
    let failed = limited(out.path());
    assert_eq!(listing(out.path()), old, "the earlier set, whole");
    assert_eq!(failed.status.code(), Some(2), "{failed:?}");
    assert_eq!(
        String::from_utf8_lossy(&failed.stderr),
        format!(
            "verdict: error: {}: cannot write (the files already there are kept): File too large (os error 27)\n",
            out.path().join("report.html").display()
        )
    );
    // The same run without the limit writes a report.html beyond it, and the rest within it.
    let fresh = tempdir();
    score_into(
        fresh.path(),
        &[data.path().to_str().unwrap(), "--examples", "none"],
    )
    .assert_code(0);
    for (name, bytes) in listing(fresh.path()) {
        assert_eq!(
            bytes.len() as u64 > LIMIT,
            name == "report.html",
            "{name}: {} bytes",
            bytes.len()
        );
    }
}

/// A dataset of `clips` generated clips in a new directory.
fn synth(clips: usize, seed: u64) -> tempfile::TempDir {
    let dir = tempdir();
    let data = generate(&SynthConfig { clips, seed });
    write(
        dir.path(),
        "expected.jsonl",
        data.expected.join("\n") + "\n",
    );
    write(
        dir.path(),
        "predictions.jsonl",
        data.predictions.join("\n") + "\n",
    );
    dir
}

/// `verdict score` of the basketball spec on `data` into `out`, with its scratch in `tmp`.
fn spawn_score(data: &Path, out: &Path, tmp: &Path, bootstrap: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_verdict"))
        .env("TMPDIR", tmp)
        .args([
            "score",
            "--spec",
            "datasets/basketball/eval.toml",
            "--expected",
        ])
        .arg(data.join("expected.jsonl"))
        .arg("--predictions")
        .arg(data.join("predictions.jsonl"))
        .args(["--bootstrap", bootstrap, "--quiet", "--out"])
        .arg(out)
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits, polling, until `path` exists; false if `child` ended first or a minute passed.
fn wait_for(path: &Path, child: &mut Child) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if path.exists() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    false
}

fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

#[test]
fn a_second_run_into_the_same_directory_is_refused_and_a_killed_one_blocks_nothing() {
    let data = synth(5_000, 21);
    let (out, tmp) = (tempdir(), tempdir());
    score_into(out.path(), &["datasets/tickets"]).assert_code(0);
    let old = listing(out.path());
    let lock = out.path().join(".verdict-lock");
    let mut first = spawn_score(data.path(), out.path(), tmp.path(), "2000");
    assert!(wait_for(&lock, &mut first), "the first run took the lock");
    // The process id is written just after the lock is taken.
    std::thread::sleep(Duration::from_millis(200));
    let refusal = format!(
        "verdict: error: {}: another verdict run (process {}) is writing into this directory: wait for it to finish, or give this run another --out\n",
        out.path().display(),
        first.id()
    );
    let second = score_into(out.path(), &["datasets/basketball"]);
    second.assert_code(2);
    assert_eq!(second.stderr, refusal);
    // Every command that writes into a directory takes the same lock.
    let validate = verdict(&[
        "validate",
        "datasets/basketball/predictions.jsonl",
        "--quiet",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    validate.assert_code(2);
    assert_eq!(validate.stderr, refusal);
    // Killed outright, the first run leaves its lock file, but not its lock.
    signal(&first, "KILL");
    first.wait().unwrap();
    assert!(lock.exists());
    let mut after = listing(out.path());
    after.retain(|(name, _)| name != ".verdict-lock");
    assert_eq!(after, old, "the earlier set, untouched by either run");
    score_into(out.path(), &["datasets/basketball"]).assert_code(0);
    assert!(!lock.exists(), "a run that ends removes its lock file");
}

#[test]
fn an_interrupt_while_the_reports_are_written_leaves_the_old_set_or_the_new() {
    let data = synth(5_000, 22);
    let out = tempdir();
    score_into(out.path(), &["datasets/basketball"]).assert_code(0);
    let old = listing(out.path());
    let staging = out.path().join(".verdict-staging");
    let mut new: Option<Vec<(String, Vec<u8>)>> = None;
    // From the moment the first file of the set is written, and later into the writing.
    for (name, delay) in [("INT", 0), ("TERM", 150), ("HUP", 600)] {
        let tmp = tempdir();
        let mut run = spawn_score(data.path(), out.path(), tmp.path(), "0");
        if wait_for(&staging, &mut run) {
            std::thread::sleep(Duration::from_millis(delay));
            signal(&run, name);
        }
        let status = run.wait().unwrap();
        let now = listing(out.path());
        eprintln!(
            "SIG{name} after {delay} ms: {status:?}, old set: {}",
            now == old
        );
        if now != old {
            // Not the earlier set: it must be the whole new one, as an uninterrupted run
            // writes it.
            let new = new.get_or_insert_with(|| {
                let fresh = tempdir();
                let mut reference = spawn_score(data.path(), fresh.path(), tmp.path(), "0");
                assert!(reference.wait().unwrap().success());
                listing(fresh.path())
            });
            assert_eq!(names(&now), names(new), "SIG{name} after {delay} ms");
            assert!(now == *new, "SIG{name} after {delay} ms: a mix of two runs");
            // Finished before the signal, or moved into place while it waited.
            assert!(matches!(status.code(), Some(0 | 130)), "{status:?}");
            score_into(out.path(), &["datasets/basketball"]).assert_code(0);
            assert_eq!(listing(out.path()), old);
            continue;
        }
        assert_eq!(status.code(), Some(130), "SIG{name} after {delay} ms");
        assert_eq!(
            std::fs::read_dir(tmp.path()).unwrap().count(),
            0,
            "no scratch left"
        );
    }
}

/// The directories a shard leaves: its part, whole, and nothing else.
fn part_files(dir: &Path) -> Vec<String> {
    names(&listing(dir))
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_shard_replaces_its_part_whole_or_not_at_all() {
    let out = tempdir();
    let part: PathBuf = out.path().join("part");
    let shard = |data: &str| {
        verdict(&[
            "score",
            data,
            "--shard",
            "0/2",
            "--quiet",
            "--out",
            part.to_str().unwrap(),
        ])
    };
    shard("datasets/basketball").assert_code(0);
    assert_eq!(
        part_files(&part),
        ["lines.jsonl", "partial.json", "records.bin"]
    );
    let old = listing(&part);
    // A part's records.bin is a directory: refused before the shard writes anything.
    std::fs::rename(part.join("records.bin"), out.path().join("records.bin")).unwrap();
    std::fs::create_dir(part.join("records.bin")).unwrap();
    let with_dir = listing(&part);
    let run = shard("datasets/tickets");
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("records.bin: a directory where this run writes its records.bin"),
        "{}",
        run.stderr
    );
    assert_eq!(listing(&part), with_dir);
    std::fs::remove_dir(part.join("records.bin")).unwrap();
    std::fs::rename(out.path().join("records.bin"), part.join("records.bin")).unwrap();
    assert_eq!(listing(&part), old);
    shard("datasets/tickets").assert_code(0);
    let new = listing(&part);
    assert_eq!(names(&new), names(&old));
    assert!(
        new.iter().zip(&old).all(|(a, b)| a.1 != b.1),
        "every file replaced"
    );
}
