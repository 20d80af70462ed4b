//! The report: one serializable value that every output format renders from, and the atomic
//! writing of report files.
//!
//! `Report` mirrors `report.json` key for key; its field order is the file's key order. Rates
//! are fractions in [0, 1], `None` (JSON `null`) where their denominator is zero. Nothing here
//! holds a clock time or an absolute path, so two runs on the same data give the same bytes.

pub mod comparison;
pub mod console;
pub mod csv;
pub mod examples;
pub mod html;
pub mod junit;
pub mod markdown;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::gate::GateResult;
use crate::input::join::JoinedBy;
use crate::metrics::{ClassRow, Confusion, EventCounts, FieldRow, Sweep, Timestamps};
use crate::resample::Interval;
use crate::schema::ErrorRow;

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The program that wrote the report.
    pub tool: Tool,
    /// What was scored.
    pub run: Run,
    /// The headline numbers.
    pub summary: Summary,
    /// How many outputs fell in each validity tier (they add up to `summary.examples`).
    pub validity: Validity,
    /// How many repaired outputs needed each repair (one output may need several).
    pub repairs: RepairCounts,
    /// Outputs by the provider's finish reason (`unspecified` where the line gave none);
    /// missing outputs are not counted.
    pub finish_reasons: BTreeMap<String, usize>,
    /// How many outputs were checked against the schema, and how many passed.
    pub schema: SchemaCounts,
    /// Schema violations folded by path pattern and keyword, most frequent first.
    pub schema_errors: Vec<ErrorRow>,
    /// Per-class counts and rates, in label order (spec labels first); empty when the spec
    /// has neither `[events]` nor `label`.
    pub classes: Vec<ClassRow>,
    /// The confusion matrix over the same labels plus `∅`.
    pub confusion: Option<Confusion>,
    /// What the event matcher worked with (`[events]` only).
    pub events: Option<EventCounts>,
    /// Timestamp error statistics over all pairs (`[events]` only).
    pub timestamps: Option<Timestamps>,
    /// Field accuracy per `[fields.NAME]`.
    pub fields: BTreeMap<String, FieldRow>,
    /// Micro F1 at a grid of tolerances (`[events]` only).
    pub tolerance_sweep: Option<Sweep>,
    /// A systematic clock offset, and F1 once it is removed (`[events]` only).
    pub timing_bias: Option<TimingBias>,
    /// The examples with the most event errors, expected and predicted side by side.
    pub worst_examples: Vec<WorstExample>,
    /// The distribution of per-example ANLS* scores.
    pub anls: crate::metrics::AnlsStats,
    /// Object mode: accuracy and presence per `[paths]` pattern.
    pub paths: BTreeMap<String, crate::objects::PathRow>,
    /// Element-level precision / recall / F1 per `[lists]` list.
    pub lists: BTreeMap<String, crate::objects::ListRow>,
    /// Bootstrap confidence intervals of the summary rates and per-class P/R/F1; `null` when
    /// turned off.
    pub intervals: Option<Intervals>,
    /// The baseline compared with (`--baseline`), and how each headline metric moved.
    pub baseline: Option<BaselineDeltas>,
    /// Every gate and its result.
    pub gates: Vec<GateResult>,
    /// Whether every gate passed (true when there are none). The exit code is 1 iff false.
    pub passed: bool,
}

/// `intervals` in report.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Intervals {
    /// Always `percentile bootstrap`.
    pub method: &'static str,
    /// Confidence level.
    pub confidence: f64,
    /// Bootstrap replicates.
    pub replicates: usize,
    /// Seed of the resampling.
    pub seed: u64,
    /// `--cluster-by`, when clusters rather than examples were resampled.
    pub cluster_by: Option<String>,
    /// How many units (examples, or clusters) the intervals rest on.
    pub units: usize,
    /// Per summary metric.
    pub summary: BTreeMap<String, Interval>,
    /// Per class label, per `precision` / `recall` / `f1`.
    pub classes: BTreeMap<String, BTreeMap<String, Interval>>,
}

impl Intervals {
    /// Sorts intervals keyed by report path into the summary and per-class maps.
    pub fn new(
        all: BTreeMap<String, Interval>,
        replicates: usize,
        seed: u64,
        cluster_by: Option<String>,
        units: usize,
    ) -> Self {
        let mut summary = BTreeMap::new();
        let mut classes: BTreeMap<String, BTreeMap<String, Interval>> = BTreeMap::new();
        for (path, interval) in all {
            match path
                .strip_prefix("classes.")
                .and_then(|rest| rest.rsplit_once('.'))
            {
                Some((label, metric)) => {
                    classes
                        .entry(label.to_owned())
                        .or_default()
                        .insert(metric.to_owned(), interval);
                }
                None => {
                    summary.insert(path, interval);
                }
            }
        }
        Intervals {
            method: "percentile bootstrap",
            confidence: crate::resample::CONFIDENCE,
            replicates,
            seed,
            cluster_by,
            units,
            summary,
            classes,
        }
    }
}

/// `baseline` in report.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineDeltas {
    /// The baseline report, as given.
    pub file: String,
    /// Per summary metric present in both: baseline, current and current − baseline.
    pub deltas: BTreeMap<String, Delta>,
}

/// How one metric moved from the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Delta {
    /// The baseline's value.
    pub baseline: f64,
    /// This run's value.
    pub current: f64,
    /// current − baseline.
    pub delta: f64,
}

/// One of the worst examples: what it expected and what it got, row by row.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct WorstExample {
    /// Explicit key or request hash.
    pub id: Option<String>,
    /// Where the example is in the expected file.
    pub expected_line: String,
    /// Validity tier of the output.
    pub tier: crate::validity::Tier,
    /// Same-label pairs.
    pub tp: usize,
    /// Predicted events not in a same-label pair.
    pub fp: usize,
    /// Expected events not in a same-label pair.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Expected and predicted events aligned, in time order.
    pub rows: Vec<AlignedRow>,
}

/// One line of a worst example.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AlignedRow {
    /// `match`, `field` (same label, a field wrong), `confused`, `missed` or `spurious`.
    pub status: String,
    /// The expected event, if any.
    pub expected: Option<serde_json::Value>,
    /// The predicted event, if any.
    pub predicted: Option<serde_json::Value>,
    /// t_pred − t_exp in seconds, for pairs.
    pub dt: Option<f64>,
}

/// `timing_bias` in report.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimingBias {
    /// Median of t_pred − t_exp over the same-label pairs found at the widest tolerance (the
    /// larger of the sweep's largest and `[events] tolerance`), seconds; positive when
    /// predictions are late. Pairs at the widest tolerance are used so that a shift larger
    /// than the tolerance, which leaves no pairs at the tolerance itself, is still seen.
    pub median_offset: Option<f64>,
    /// Micro F1 as scored.
    pub f1: Option<f64>,
    /// Micro F1 after subtracting `median_offset` from every predicted time and matching again.
    pub f1_after_removing: Option<f64>,
}

/// `tool` in report.json.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// Always `verdict`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "verdict",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// `run` in report.json: the inputs, as the user named them.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The dataset's name (the spec's `name`, else its directory's name).
    pub name: String,
    /// The spec file.
    pub spec: String,
    /// The expected file.
    pub expected: String,
    /// The prediction paths (files, directories or globs) as given.
    pub predictions: Vec<String>,
    /// How predictions were joined to examples.
    pub joined_by: JoinedBy,
    /// Whether repaired outputs were scored (`--repair`).
    pub repair: bool,
    /// The spec's `[events]` settings the events were scored with (tolerance included).
    pub events: Option<crate::spec::EventsSpec>,
}

/// `summary` in report.json.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Expected examples (N, the denominator of every rate below).
    pub examples: usize,
    /// Examples no prediction line answered.
    pub missing_predictions: usize,
    /// Prediction lines that answer no example (not scored).
    pub orphan_predictions: usize,
    /// Examples whose request failed or was blocked.
    pub failed_requests: usize,
    /// strict / N.
    pub json_valid_strict: Option<f64>,
    /// (strict + extracted) / N.
    pub json_valid: Option<f64>,
    /// (strict + extracted + repaired) / N: what `--repair` would score.
    pub json_recoverable: Option<f64>,
    /// Outputs valid against the schema / N; `null` when the spec names no schema.
    pub schema_valid: Option<f64>,
    /// Micro precision over events: same-label pairs / predicted events.
    pub event_precision: Option<f64>,
    /// Micro recall over events: same-label pairs / expected events.
    pub event_recall: Option<f64>,
    /// Micro F1 over events: 2·tp / (predicted + expected).
    pub event_f1: Option<f64>,
    /// Unweighted mean of per-class precision.
    pub macro_precision: Option<f64>,
    /// Unweighted mean of per-class recall.
    pub macro_recall: Option<f64>,
    /// Unweighted mean of per-class F1.
    pub macro_f1: Option<f64>,
    /// Per-class F1 weighted by support.
    pub weighted_f1: Option<f64>,
    /// Same-label pairs / all pairs.
    pub matched_label_accuracy: Option<f64>,
    /// Mean |t_pred − t_exp| over all pairs, seconds.
    pub timestamp_mae: Option<f64>,
    /// Correct / compared over every `player_id` field.
    pub player_id_accuracy: Option<f64>,
    /// Share of examples that are valid JSON and exactly right.
    pub exact_match: Option<f64>,
    /// Single-label tasks: share of examples whose label is right.
    pub label_accuracy: Option<f64>,
    /// Mean ANLS* of the outputs against the expected outputs (invalid outputs as null).
    pub anls_star: Option<f64>,
    /// Mean of the typed ANLS* variant (leaves compared with the spec's comparators).
    pub anls_star_typed: Option<f64>,
    /// Binary single-label tasks (spec `positive`): the positive class's precision.
    pub positive_precision: Option<f64>,
    /// The positive class's recall.
    pub positive_recall: Option<f64>,
    /// The positive class's F1.
    pub positive_f1: Option<f64>,
}

/// `validity` in report.json: counts per tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Validity {
    /// The whole text was one JSON value.
    pub strict: usize,
    /// Found in a fence or prose.
    pub extracted: usize,
    /// Readable only after repair.
    pub repaired: usize,
    /// Not readable.
    pub invalid: usize,
    /// No output text.
    pub missing: usize,
    /// Failed or blocked request.
    pub failed: usize,
}

impl Validity {
    /// Counts one output in its tier.
    pub fn add(&mut self, tier: crate::validity::Tier) {
        use crate::validity::Tier;
        *match tier {
            Tier::Strict => &mut self.strict,
            Tier::Extracted => &mut self.extracted,
            Tier::Repaired => &mut self.repaired,
            Tier::Invalid => &mut self.invalid,
            Tier::Missing => &mut self.missing,
            Tier::Failed => &mut self.failed,
        } += 1;
    }

    /// The sum of all tiers; equals the number of examples.
    pub fn total(&self) -> usize {
        self.strict + self.extracted + self.repaired + self.invalid + self.missing + self.failed
    }
}

/// `schema` in report.json.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SchemaCounts {
    /// The schema file, as the spec resolves it; `null` when the spec names none.
    pub file: Option<String>,
    /// Outputs that were parsed and so could be checked.
    pub checked: usize,
    /// Outputs valid against the schema (the numerator of `summary.schema_valid`).
    pub valid: usize,
}

impl RepairCounts {
    /// Counts the repairs one output needed.
    pub fn add(&mut self, r: crate::repair::Repairs) {
        self.trailing_comma += usize::from(r.trailing_comma);
        self.unquoted_key += usize::from(r.unquoted_key);
        self.single_quote += usize::from(r.single_quote);
        self.truncated += usize::from(r.truncated);
    }
}

/// `repairs` in report.json.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RepairCounts {
    /// Outputs with a trailing comma.
    pub trailing_comma: usize,
    /// Outputs with an unquoted key.
    pub unquoted_key: usize,
    /// Outputs with single-quoted strings.
    pub single_quote: usize,
    /// Outputs cut off and closed.
    pub truncated: usize,
}

/// A rate with four decimals, `—` when undefined: the one number format of the text reports.
pub fn format_rate(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.4}"))
}

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

/// The file name of the JSON report.
pub const REPORT_JSON: &str = "report.json";

impl Report {
    /// The report as pretty-printed JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a Report always serializes");
        text.push('\n');
        text
    }
}

/// Writes every report file of a run into `dir`, each atomically: `examples.jsonl`,
/// `per_class.csv`, `junit.xml`, `report.md`, `report.html`, and `report.json` last, so a
/// `report.json` that is there is never older than the files beside it. Returns the path of
/// `report.json`.
pub fn write_all(
    dir: &Path,
    report: &Report,
    examples: &crate::score::ExampleLines,
) -> Result<PathBuf> {
    write_atomic_with(dir, examples::EXAMPLES_JSONL, &mut |w| examples.write_to(w))?;
    write_atomic(dir, csv::PER_CLASS_CSV, &csv::render(report))?;
    write_atomic(dir, junit::JUNIT_XML, &junit::render(report))?;
    write_atomic(dir, REPORT_MD, &markdown::render(report))?;
    write_atomic(dir, html::REPORT_HTML, &html::render(report))?;
    write_atomic(dir, REPORT_JSON, &report.to_json())
}

impl Report {
    /// The interval of a summary metric, if intervals were computed and it has both ends.
    pub fn interval(&self, metric: &str) -> Option<(f64, f64)> {
        let i = self.intervals.as_ref()?.summary.get(metric)?;
        Some((i.low?, i.high?))
    }

    /// The interval of a class's `precision`, `recall` or `f1`.
    pub fn class_interval(&self, label: &str, metric: &str) -> Option<(f64, f64)> {
        let i = self.intervals.as_ref()?.classes.get(label)?.get(metric)?;
        Some((i.low?, i.high?))
    }
}

/// An interval as `[low, high]` with `decimals` decimals, or `""` when there is none.
pub fn format_interval(interval: Option<(f64, f64)>, decimals: usize) -> String {
    interval.map_or_else(String::new, |(l, h)| {
        format!("[{l:.decimals$}, {h:.decimals$}]")
    })
}

/// The file name of the Markdown report.
pub const REPORT_MD: &str = "report.md";

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

/// Implements `+=` for a struct of counts, field by field.
macro_rules! add_counts {
    ($type:ty { $($field:ident),* $(,)? }) => {
        impl std::ops::AddAssign for $type {
            fn add_assign(&mut self, other: $type) {
                $(self.$field += other.$field;)*
            }
        }
    };
}
pub(crate) use add_counts;

add_counts!(Validity {
    strict,
    extracted,
    repaired,
    invalid,
    missing,
    failed
});
add_counts!(RepairCounts {
    trailing_comma,
    unquoted_key,
    single_quote,
    truncated
});
