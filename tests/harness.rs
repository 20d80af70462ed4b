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

/// Runs `verdict ARGS` from the repository root. Every report.json a `score` or `merge` run
/// writes is checked against the published schema here, so no test can forget to.
#[track_caller]
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
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let args: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    if let Some(report) = report_dir(dir, &args, &run) {
        assert_report_contract(&dir.join(report));
    }
    run
}

/// Where a run from `cwd` wrote report.json: `score` and `merge` runs (not shards, not
/// `--help`) that finished with a report (exit 0 or 1) write into `--out`, into the directory
/// their console's `report:` line names, or (quiet, by default) into the newest
/// `reports/<name>/`.
fn report_dir(cwd: &Path, args: &[String], run: &Run) -> Option<PathBuf> {
    let writes_report = matches!(args.first().map(String::as_str), Some("score" | "merge"))
        && !args
            .iter()
            .any(|a| a == "--shard" || a.starts_with("--shard=") || a == "--help" || a == "-h")
        && matches!(run.code, 0 | 1);
    if !writes_report {
        return None;
    }
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| {
            args.iter()
                .find_map(|a| a.strip_prefix("--out=").map(str::to_owned))
        });
    let dir = out
        .map(PathBuf::from)
        .or_else(|| {
            run.stdout
                .lines()
                .find_map(|l| l.strip_prefix("report: "))
                .and_then(|p| Path::new(p).parent().map(Path::to_path_buf))
        })
        .or_else(|| newest_default_report(cwd));
    assert!(
        dir.is_some(),
        "verdict {} wrote a report the harness cannot find: give it --out DIR",
        args.join(" ")
    );
    dir
}

/// The `reports/<name>/` below `cwd` whose report.json was written last.
fn newest_default_report(cwd: &Path) -> Option<PathBuf> {
    std::fs::read_dir(cwd.join("reports"))
        .ok()?
        .filter_map(|entry| {
            let dir = entry.ok()?.path();
            let written = std::fs::metadata(dir.join("report.json"))
                .and_then(|m| m.modified())
                .ok()?;
            Some((written, dir))
        })
        .max()
        .map(|(_, dir)| dir)
}

/// The published contract of report.json, compiled once.
fn report_schema() -> &'static verdict_core::schema::Schema {
    static SCHEMA: std::sync::OnceLock<verdict_core::schema::Schema> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        verdict_core::schema::Schema::load(&root().join(REPORT_SCHEMA))
            .expect("docs/report.schema.json is a valid JSON Schema")
    })
}

/// The published schema of report.json.
pub const REPORT_SCHEMA: &str = "docs/report.schema.json";

/// Every way `report` breaks the published schema, one line each (empty when it meets it).
pub fn contract_violations(report: &Value) -> Vec<String> {
    let checked = report_schema().check(report);
    let mut lines: Vec<String> = checked
        .violations()
        .iter()
        .map(|v| format!("{} ({}): {}", v.path, v.keyword, v.message))
        .collect();
    // A report the contract cannot decide does not meet it.
    lines.extend(
        checked
            .undecided()
            .map(|u| format!("{} (pattern {}): {}", u.path, u.pattern, u.message)),
    );
    lines
}

/// Reads `dir/report.json` and fails unless it meets the published schema.
#[track_caller]
pub fn assert_report_contract(dir: &Path) -> Value {
    let path = dir.join("report.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: report.json not written: {e}", path.display()));
    let report: Value = serde_json::from_str(&text).expect("report.json is JSON");
    let violations = contract_violations(&report);
    assert!(
        violations.is_empty(),
        "{} breaks {REPORT_SCHEMA}:\n{}",
        path.display(),
        violations.join("\n")
    );
    report
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
