//! Nothing lost, nothing surprising: every input line is accounted for in the report, an
//! interrupted run leaves the previous report as it was, and reports hold no absolute paths.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use verdict_input::synth::{SynthConfig, generate};

use crate::harness::{root, score_ok, tempdir};

/// Non-blank lines of a JSONL file: what verdict counts as records.
fn records(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
}

fn write_synth(dir: &Path, clips: usize, seed: u64) {
    let data = generate(&SynthConfig { clips, seed });
    std::fs::write(dir.join("expected.jsonl"), data.expected.join("\n") + "\n").unwrap();
    std::fs::write(
        dir.join("predictions.jsonl"),
        data.predictions.join("\n") + "\n",
    )
    .unwrap();
}

#[track_caller]
fn assert_every_line_accounted_for(expected: &Path, predictions: &Path, out: &Path) {
    let args = [
        "--spec",
        "datasets/basketball/eval.toml",
        "--expected",
        expected.to_str().unwrap(),
        "--predictions",
        predictions.to_str().unwrap(),
        "--bootstrap",
        "0",
    ];
    let (_, report) = score_ok(&args, out);
    let count = |path: &str| report.pointer(path).and_then(Value::as_u64).unwrap() as usize;
    let examples = count("/summary/examples");
    let missing = count("/summary/missing_predictions");
    let orphans = count("/summary/orphan_predictions");
    let joined = examples - missing;
    assert_eq!(
        examples,
        records(expected),
        "every expected line is an example"
    );
    assert_eq!(joined + orphans, records(predictions), "joined + orphans");
    let tiers: usize = report["validity"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap() as usize)
        .sum();
    assert_eq!(tiers, examples, "validity tiers add up to the examples");
    assert_eq!(count("/validity/failed"), count("/summary/failed_requests"));
    assert!(count("/validity/missing") >= missing);
    let by_reason: usize = report["finish_reasons"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap() as usize)
        .sum();
    assert_eq!(
        by_reason, joined,
        "every joined prediction has a finish reason"
    );
    assert_eq!(
        records(&out.join("examples.jsonl")),
        examples,
        "examples.jsonl has one line per example"
    );
}

#[test]
fn every_line_of_the_sample_is_accounted_for() {
    let out = tempdir();
    let data = root().join("datasets/basketball");
    assert_every_line_accounted_for(
        &data.join("expected.jsonl"),
        &data.join("predictions.jsonl"),
        out.path(),
    );
}

#[test]
fn every_line_of_generated_data_is_accounted_for() {
    for (clips, seed) in [(1, 1), (57, 2), (1500, 3)] {
        let data = tempdir();
        write_synth(data.path(), clips, seed);
        let out = tempdir();
        assert_every_line_accounted_for(
            &data.path().join("expected.jsonl"),
            &data.path().join("predictions.jsonl"),
            out.path(),
        );
    }
}

#[test]
fn sigint_leaves_the_previous_report_intact() {
    interrupted_by("INT");
}

#[test]
fn sigterm_and_sighup_clean_up_as_sigint_does() {
    // What `timeout`, Kubernetes and CI cancellation send, and a closed terminal.
    interrupted_by("TERM");
    interrupted_by("HUP");
}

/// Sends `signal` to a run well into its scoring: the previous report stays byte-identical,
/// no scratch file is left behind, and the run exits 130.
fn interrupted_by(signal: &str) {
    let data = tempdir();
    write_synth(data.path(), 20_000, 11);
    let out = tempdir();
    // A real previous report in the out dir.
    score_ok(&["datasets/basketball", "--bootstrap", "0"], out.path());
    let before: Vec<(String, Vec<u8>)> = files(out.path());
    // The run's scratch files (spilled predictions, records) go here, and must go away.
    let scratch = tempdir();

    let child = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .env("TMPDIR", scratch.path())
        .args([
            "score",
            "--spec",
            "datasets/basketball/eval.toml",
            "--expected",
        ])
        .arg(data.path().join("expected.jsonl"))
        .arg("--predictions")
        .arg(data.path().join("predictions.jsonl"))
        .args(["--bootstrap", "2000", "--quiet", "--out"])
        .arg(out.path())
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let it get well into reading and scoring before the interrupt.
    std::thread::sleep(Duration::from_millis(1500));
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(
        !output.status.success(),
        "the run finished before the interrupt; make the dataset larger"
    );
    assert_eq!(output.status.code(), Some(130), "SIG{signal}: {output:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
    // stderr is a pipe and the run is quiet: no bar, and no "interrupted" line either.
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(
        files(out.path()),
        before,
        "the previous report is byte-identical"
    );
    assert_eq!(
        std::fs::read_dir(scratch.path()).unwrap().count(),
        0,
        "no scratch file is left behind"
    );
}

#[test]
fn without_a_terminal_a_run_prints_no_progress() {
    // The harness pipes stderr, as CI does: a run that is not quiet prints its summary on
    // stdout and only `verdict:` lines on stderr, with no bar, phase or carriage return.
    let out = tempdir();
    let run = crate::harness::verdict(&[
        "score",
        "datasets/basketball",
        "--bootstrap",
        "50",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    run.assert_code(0);
    for stream in [&run.stdout, &run.stderr] {
        assert!(!stream.contains('\r'), "{stream}");
        assert!(!stream.contains("ETA"), "{stream}");
        assert!(!stream.contains("reading predictions"), "{stream}");
    }
    for line in run.stderr.lines() {
        assert!(line.starts_with("verdict: "), "{line}");
    }
    // Quiet, only the summary goes: stderr holds the same warnings and nothing else.
    let quiet = tempdir();
    let (quiet_run, _) = score_ok(&["datasets/basketball", "--bootstrap", "50"], quiet.path());
    assert_eq!(
        (quiet_run.stdout.as_str(), quiet_run.stderr.as_str()),
        ("", run.stderr.as_str())
    );
}

#[test]
fn on_a_terminal_phases_are_drawn_and_an_interrupt_says_what_was_kept() {
    // util-linux `script` gives the run a pseudo-terminal; where it is missing there is no
    // terminal to test on (the drawing and the interrupt line have unit tests in verdict-cli).
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` to run verdict on a terminal");
        return;
    }
    let data = tempdir();
    // Few enough clips that reading them is done within the 8 s even on a loaded machine (at
    // 20,000 a debug build still read predictions after 6 s at load 10 on 2 cores).
    write_synth(data.path(), 5_000, 12);
    let out = tempdir();
    let verdict = env!("CARGO_BIN_EXE_verdict");
    let score = format!(
        "{verdict} score --spec datasets/basketball/eval.toml --expected {} --predictions {} --bootstrap 20000 --out {}",
        data.path().join("expected.jsonl").display(),
        data.path().join("predictions.jsonl").display(),
        out.path().display()
    );
    // The shell interrupts verdict well into its run, as Ctrl-C would, and reports its code.
    // 20,000 bootstrap replicates of 5,000 examples keep a debug build busy far longer than the
    // 8 s, however fast the machine, so the interrupt never comes after the run has finished.
    let shell = format!("{score} & pid=$!; sleep 8; kill -INT $pid; wait $pid; echo exit=$?");
    let output = Command::new("script")
        .args(["-qec", &shell, "/dev/null"])
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(screen.contains("exit=130"), "{screen}");
    assert!(screen.contains("reading predictions"), "{screen}");
    assert!(screen.contains(" examples, "), "{screen}");
    assert!(
        screen.contains("\x1b[2Kverdict: interrupted: previous reports kept"),
        "{screen}"
    );
    assert!(!out.path().join("report.json").exists());
}

/// Every file in `dir` (temporary files included) with its bytes, by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn reports_hold_no_absolute_paths() {
    let data = tempdir();
    for name in ["expected.jsonl", "predictions.jsonl"] {
        std::fs::copy(
            root().join("datasets/basketball").join(name),
            data.path().join(name),
        )
        .unwrap();
    }
    // Every input path absolute, the schema's included.
    let spec = std::fs::read_to_string(root().join("datasets/basketball/eval.toml")).unwrap();
    let schema = root().join("schemas/basketball-events.schema.json");
    let spec = spec.replace(
        "\"../../schemas/basketball-events.schema.json\"",
        &format!("{:?}", schema.to_str().unwrap()),
    );
    assert!(spec.contains(schema.to_str().unwrap()));
    std::fs::write(data.path().join("eval.toml"), spec).unwrap();
    let out = tempdir();
    let absolute = data.path().to_str().unwrap().to_owned();
    score_ok(&[&absolute, "--bootstrap", "0"], out.path());
    let checkout = root().to_str().unwrap();
    for (name, bytes) in files(out.path()) {
        let text = String::from_utf8(bytes).unwrap();
        assert!(!text.contains(&absolute), "{name} holds {absolute}");
        assert!(!text.contains(checkout), "{name} holds {checkout}");
        assert!(
            !text.contains(out.path().to_str().unwrap()),
            "{name} holds the out dir"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_run_removes_the_scratch_a_killed_run_left_behind() {
    // A run killed outright (SIGKILL, a power cut) cannot clean up: the next run does, for a
    // directory whose owner process is gone, and leaves a live run's alone.
    let tmp = tempdir();
    let dead_pid = {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    };
    let stale = tmp.path().join(".verdict-scratch.killed");
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join("owner.pid"), format!("{dead_pid}\n")).unwrap();
    std::fs::write(stale.join("predictions.spill"), "model outputs").unwrap();
    let live = tmp.path().join(".verdict-scratch.running");
    std::fs::create_dir(&live).unwrap();
    std::fs::write(live.join("owner.pid"), format!("{}\n", std::process::id())).unwrap();
    let out = tempdir();
    let status = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .env("TMPDIR", tmp.path())
        .args([
            "score",
            "datasets/tickets",
            "--quiet",
            "--bootstrap",
            "0",
            "--out",
        ])
        .arg(out.path())
        .current_dir(root())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(!stale.exists(), "the killed run's scratch is removed");
    assert!(live.exists(), "a live run's scratch is kept");
}
