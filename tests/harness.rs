//! A small harness: run `verdict` from the repository root and read what it wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The repository root; runs start there so relative paths in reports are stable.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `verdict ARGS` from the repository root.
pub fn verdict<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    verdict_in(root(), args)
}

/// Runs `verdict ARGS` from `dir`, for runs that write to the default `reports/<name>/`.
pub fn verdict_in<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the verdict binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `verdict score ARGS --out OUT` and returns the run and the parsed report.json.
#[track_caller]
pub fn score_ok(args: &[&str], out: &Path) -> (Run, Value) {
    let mut full: Vec<String> = vec!["score".into()];
    full.extend(args.iter().map(|a| a.to_string()));
    full.extend(["--out".into(), out.display().to_string(), "--quiet".into()]);
    let run = verdict(&full);
    run.assert_code(0);
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json written");
    (
        run,
        serde_json::from_str(&text).expect("report.json is JSON"),
    )
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// Writes `contents` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write fixture");
    path
}

/// The tiny spec most generated cases use: events at the root, no schema.
pub const PLAIN_SPEC: &str = "[events]\ntime = \"t\"\nlabel = \"c\"\n";
