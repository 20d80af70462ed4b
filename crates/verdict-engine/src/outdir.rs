//! Where a run may write its reports. Two rules, checked before anything is written:
//!
//! - never into the directory a `--baseline` is read from (the directory given, or the one
//!   holding the baseline's report.json): the run would replace the very report it is judged
//!   against, and a report.json and its examples.jsonl belong to one run;
//! - a *default* output directory (`reports/<name>/`, where two specs with the same `name`
//!   meet) never replaces the report of other inputs. An explicit `--out` is the user's
//!   choice and may replace any report but the baseline.
//!
//! Inputs are compared as report.json records them (`run.spec`, `run.expected`,
//! `run.predictions`), resolved against the current directory and canonicalized, so `./`,
//! `a/../a` or a symlinked directory name the same file as the plain path. report.json records
//! an absolute path by its file name alone (reports do not depend on where a checkout lives),
//! so a run also leaves [`INPUTS_FILE`] beside its reports: a digest of the canonical paths it
//! read, which tells `/ci/model-a/predictions.jsonl` from `/ci/model-b/predictions.jsonl`
//! without writing either path down.

use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};
use verdict_core::error::{Error, Result};
use verdict_report::{REPORT_JSON, Run};

/// The file beside a run's reports that identifies, on this machine, the files it read.
pub const INPUTS_FILE: &str = ".verdict-inputs";

/// A digest of the canonical paths of the spec, the expected file and the prediction paths
/// (as a set) of a run: the same for the same files however they are named, different
/// for files of the same name in other directories. It holds no path.
pub fn located(spec: &Path, expected: &Path, predictions: &[PathBuf]) -> String {
    let mut predictions: Vec<PathBuf> = predictions.iter().map(|p| resolve_path(p)).collect();
    predictions.sort();
    predictions.dedup();
    let mut hasher = Sha256::new();
    for path in [resolve_path(spec), resolve_path(expected)]
        .iter()
        .chain(&predictions)
    {
        hasher.update(path.as_os_str().as_encoded_bytes());
        hasher.update([0]);
    }
    verdict_input::hex(&hasher.finalize())
}

/// The inputs a run is identified by, in the form report.json's `run` records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// `run.spec`.
    pub spec: String,
    /// `run.expected`.
    pub expected: String,
    /// `run.predictions`.
    pub predictions: Vec<String>,
    /// Where the files are on this machine ([`located`]), when known.
    pub located: Option<String>,
}

impl Inputs {
    /// The inputs of a finished report.
    pub fn of_run(run: &Run) -> Inputs {
        Inputs {
            spec: run.spec.clone(),
            expected: run.expected.clone(),
            predictions: run.predictions.clone(),
            located: None,
        }
    }

    /// These inputs, known to be where `located` says.
    pub fn located(self, located: &str) -> Inputs {
        Inputs {
            located: Some(located.to_owned()),
            ..self
        }
    }

    /// The inputs a run of these files will record.
    pub fn of_paths(spec: &Path, expected: &Path, predictions: &[PathBuf]) -> Inputs {
        let shown = |p: &Path| verdict_core::files::public_path(&p.display().to_string());
        Inputs {
            spec: shown(spec),
            expected: shown(expected),
            predictions: predictions.iter().map(|p| shown(p)).collect(),
            located: Some(located(spec, expected, predictions)),
        }
    }

    /// The inputs an existing report.json records, or why they cannot be read.
    fn of_report_json(text: &str) -> std::result::Result<Inputs, String> {
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        let run = json.get("run").ok_or("it has no \"run\"")?;
        let text_of = |key: &str| {
            run.get(key)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("its \"run\" has no \"{key}\""))
        };
        let (spec, expected) = (text_of("spec")?, text_of("expected")?);
        let predictions = run
            .get("predictions")
            .and_then(serde_json::Value::as_array)
            .and_then(|list| {
                list.iter()
                    .map(|p| p.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or("its \"run\" has no \"predictions\" list")?;
        Ok(Inputs {
            spec,
            expected,
            predictions,
            located: None,
        })
    }

    /// The roles in which `self` and `other` name different files, each as
    /// `(role, self's paths, other's paths)`.
    fn differences(&self, other: &Inputs) -> Vec<(&'static str, String, String)> {
        let mut found = Vec::new();
        if resolve(&self.spec) != resolve(&other.spec) {
            found.push(("spec", self.spec.clone(), other.spec.clone()));
        }
        if resolve(&self.expected) != resolve(&other.expected) {
            found.push(("expected", self.expected.clone(), other.expected.clone()));
        }
        let set = |paths: &[String]| {
            let mut resolved: Vec<PathBuf> = paths.iter().map(|p| resolve(p)).collect();
            resolved.sort();
            resolved.dedup();
            resolved
        };
        if set(&self.predictions) != set(&other.predictions) {
            found.push((
                "predictions",
                self.predictions.join(" "),
                other.predictions.join(" "),
            ));
        }
        found
    }
}

/// Where the reports go and who chose it.
#[derive(Debug, Clone, Copy)]
pub enum Out<'a> {
    /// `--out DIR`.
    Given(&'a Path),
    /// `reports/<name>/`, chosen by verdict.
    Default(&'a Path),
}

impl Out<'_> {
    fn path(&self) -> &Path {
        match self {
            Out::Given(p) | Out::Default(p) => p,
        }
    }

    fn described(&self) -> String {
        match self {
            Out::Given(p) => format!("--out {}", p.display()),
            Out::Default(p) => format!("the default output directory {}", p.display()),
        }
    }
}

/// Checks that a run with `inputs` and `baseline` may write its reports into `out`: a usage
/// error (exit 2) that names both sides and the way out otherwise.
pub fn check_out(out: Out<'_>, inputs: &Inputs, baseline: Option<&Path>) -> Result<()> {
    if let Some(baseline) = baseline {
        check_baseline(out, baseline)?;
    }
    let Out::Default(path) = out else {
        return Ok(());
    };
    let report = path.join(REPORT_JSON);
    let text = match std::fs::read_to_string(&report) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Error::io(
                &report,
                "cannot read the report already there",
                e,
            ));
        }
    };
    let replace = format!(
        "pass --out DIR to keep both, or --out {} to replace it",
        path.display()
    );
    let before = Inputs::of_report_json(&text).map_err(|why| {
        Error::Usage(format!(
            "{} holds a report.json that does not say which inputs it was scored from ({why}): {replace}",
            out.described()
        ))
    })?;
    // Where the run before recorded where its files were, that decides: the same files under
    // other names are the same inputs, other files under the same names are not.
    let located_before = read_located(path)?;
    if let (Some(now), Some(then)) = (&inputs.located, &located_before)
        && now == then
    {
        return Ok(());
    }
    let differences = inputs.differences(&before);
    if differences.is_empty() {
        if inputs.located.is_none() || located_before.is_none() {
            return Ok(());
        }
        return Err(Error::Usage(format!(
            "{} holds the report of files with the same names in other directories (spec {}, expected {}, predictions {}): {replace}",
            out.described(),
            before.spec,
            before.expected,
            before.predictions.join(" "),
        )));
    }
    let list = |before: bool| {
        differences
            .iter()
            .map(|(role, now, then)| format!("{role} {}", if before { then } else { now }))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(Error::Usage(format!(
        "{} holds the report of other inputs ({}); this run scores {}: {replace}",
        out.described(),
        list(true),
        list(false),
    )))
}

/// The [`located`] digest the run before left in `dir`, if it left one.
fn read_located(dir: &Path) -> Result<Option<String>> {
    let file = dir.join(INPUTS_FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) => Ok(Some(text.trim().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&file, "cannot read", e)),
    }
}

/// The baseline half of [`check_out`]: `out` is not the directory `baseline` is read from.
pub fn check_baseline(out: Out<'_>, baseline: &Path) -> Result<()> {
    let baseline_dir = if baseline.is_dir() {
        baseline.to_path_buf()
    } else {
        // The directory of the file itself: a symlink to a report.json names its target's.
        let file = resolve_path(baseline);
        file.parent().map_or_else(PathBuf::new, Path::to_path_buf)
    };
    if resolve_path(&baseline_dir) == resolve_path(out.path()) {
        return Err(Error::Usage(format!(
            "{} is where --baseline {} is read from: writing there would replace the report this run is compared with; pass --out with another directory",
            out.described(),
            baseline.display()
        )));
    }
    Ok(())
}

/// A path as recorded (relative to the current directory, or absolute), resolved.
fn resolve(recorded: &str) -> PathBuf {
    resolve_path(Path::new(recorded))
}

/// `path` made absolute and canonical as far as it exists: the longest existing ancestor is
/// canonicalized (symlinks followed) and the rest appended without `.` and with `..` applied,
/// so a directory not created yet or a glob pattern compares too.
fn resolve_path(path: &Path) -> PathBuf {
    let absolute = std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = existing.canonicalize() {
            let mut resolved = canonical;
            for component in rest.iter().rev() {
                match component {
                    Component::CurDir => {}
                    Component::ParentDir => {
                        resolved.pop();
                    }
                    other => resolved.push(other),
                }
            }
            return resolved;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(spec: &str, expected: &str, predictions: &[&str]) -> Inputs {
        Inputs {
            spec: spec.into(),
            expected: expected.into(),
            predictions: predictions.iter().map(|p| (*p).into()).collect(),
            located: None,
        }
    }

    #[test]
    fn dot_segments_and_missing_tails_resolve_like_the_plain_path() {
        let cwd = std::env::current_dir().unwrap().canonicalize().unwrap();
        assert_eq!(resolve("./src/../src/lib.rs"), cwd.join("src/lib.rs"));
        assert_eq!(resolve("not-there/./a/../b"), cwd.join("not-there/b"));
        assert_eq!(resolve("preds/*.jsonl"), cwd.join("preds/*.jsonl"));
    }

    #[test]
    fn predictions_compare_as_sets() {
        let a = inputs("e.toml", "x.jsonl", &["p1.jsonl", "./p2.jsonl"]);
        let b = inputs("./e.toml", "x.jsonl", &["p2.jsonl", "p1.jsonl"]);
        assert!(a.differences(&b).is_empty());
        let c = inputs("e.toml", "y.jsonl", &["p1.jsonl"]);
        let roles: Vec<_> = a.differences(&c).iter().map(|d| d.0).collect();
        assert_eq!(roles, ["expected", "predictions"]);
    }

    #[test]
    fn a_report_without_its_inputs_is_named_as_such() {
        assert_eq!(
            Inputs::of_report_json("{\"run\": {\"spec\": \"e.toml\"}}"),
            Err("its \"run\" has no \"expected\"".to_owned())
        );
        assert!(
            Inputs::of_report_json("previous report")
                .unwrap_err()
                .starts_with("not valid JSON")
        );
    }
}
