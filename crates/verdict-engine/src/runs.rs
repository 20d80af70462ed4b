//! Reading back a run directory that `verdict score` wrote, for `verdict compare` and paired
//! baselines: its `report.json` and the counts of every example in its per-example file.

use std::path::Path;

use serde_json::Value;
use verdict_core::compare::{Run, RunExample};
use verdict_core::error::{Error, Result};
use verdict_core::paired::{REPLICATES_FILE, RunReplicates};
use verdict_core::resample::NamedCounts;
use verdict_report::{EXAMPLES_JSONL, Kept};

/// Reads a run directory written by `verdict score`, for `verdict compare`; its per-example
/// lines may be `max_line` bytes long.
pub fn load_run(dir: &Path, max_line: usize) -> Result<Run> {
    load_run_or(dir, max_line, "", false)
}

/// Reads a run directory given as `--baseline DIR`: its report.json and its replicates, which
/// pair it with this run; without replicates (a run of an older verdict), its examples. A run
/// that kept neither can still be a baseline through its report.json, and the message says so.
pub fn load_baseline_run(dir: &Path, max_line: usize) -> Result<Run> {
    let alternative = format!(
        ", or give --baseline {} to gate on point estimates",
        dir.join("report.json").display()
    );
    load_run_or(dir, max_line, &alternative, true)
}

/// [`load_run`]; `alternative` ends the message when the run cannot be paired example by
/// example; with `replicates_suffice`, a run that kept its replicates is read without its
/// examples.
fn load_run_or(
    dir: &Path,
    max_line: usize,
    alternative: &str,
    replicates_suffice: bool,
) -> Result<Run> {
    let report_path = dir.join("report.json");
    let text = std::fs::read_to_string(&report_path).map_err(|e| {
        Error::io(
            &report_path,
            "cannot read (is this a verdict score output directory?)",
            e,
        )
    })?;
    let report: Value = serde_json::from_str(&text).map_err(|e| Error::Path {
        path: report_path.clone(),
        message: format!("not valid JSON ({e}): expected a report.json written by verdict score"),
    })?;
    let replicates = read_replicates(dir, &report)?;
    if replicates_suffice && replicates.is_some() {
        return Ok(Run {
            name: dir.display().to_string(),
            report,
            examples: Vec::new(),
            replicates,
        });
    }
    let unpaired = |message: String| Error::Path {
        path: dir.to_path_buf(),
        message: format!(
            "{message}, and pairing runs example by example needs every example's counts: score it again with --examples all (the default){alternative}"
        ),
    };
    // A report without `run.examples` kept every example in examples.jsonl.
    let output = report.pointer("/run/examples");
    let kept = match output.map(|o| o.get("kept").and_then(Value::as_str)) {
        None => Kept::All,
        Some(name) => name.and_then(Kept::from_name).ok_or_else(|| Error::Path {
            path: report_path.clone(),
            message: format!(
                "run.examples.kept is {}: expected \"all\", \"errors\" or \"none\"",
                verdict_core::quote::plain(
                    &output
                        .and_then(|o| o.get("kept"))
                        .unwrap_or(&Value::Null)
                        .to_string()
                )
            ),
        })?,
    };
    let file = match kept {
        Kept::All => output
            .and_then(|o| o.get("file"))
            .and_then(Value::as_str)
            .unwrap_or(EXAMPLES_JSONL),
        Kept::Errors => {
            return Err(unpaired(
                "scored with --examples errors: its examples.jsonl holds only the examples that were not exactly right".into(),
            ));
        }
        Kept::None => {
            return Err(unpaired(
                "scored with --examples none: it has no per-example file".into(),
            ));
        }
    };
    // A file name in a report must not lead out of the run directory.
    if file.contains(['/', '\\']) || file.starts_with('.') {
        return Err(Error::Path {
            path: report_path,
            message: format!(
                "run.examples.file is {}: expected a file name",
                verdict_core::quote::quoted(file)
            ),
        });
    }
    let examples_path = dir.join(file);
    let mut examples = Vec::new();
    verdict_input::read::read_jsonl(&examples_path, max_line, |location, line| {
        let key = line
            .get("id")
            .and_then(Value::as_str)
            .or_else(|| line.get("expected_line").and_then(Value::as_str))
            .ok_or_else(|| Error::line(location.clone(), "no \"id\" or \"expected_line\": expected an examples.jsonl written by verdict score"))?
            .to_owned();
        let counts: NamedCounts = line
            .get("counts")
            .map(|c| serde_json::from_value(c.clone()))
            .transpose()
            .map_err(|e| Error::line(location.clone(), format!("\"counts\" is malformed ({e})")))?
            .ok_or_else(|| {
                Error::line(
                    location.clone(),
                    "no \"counts\": written by an older verdict? score the run again",
                )
            })?;
        let cluster = line
            .get("cluster")
            .and_then(Value::as_str)
            .map(str::to_owned);
        examples.push(RunExample {
            key,
            cluster,
            counts,
        });
        Ok(())
    })?;
    // A file filtered by hand, or cut short, would pair a part of the run as if it were all
    // of it.
    if let Some(counted) = report.pointer("/summary/examples").and_then(Value::as_u64)
        && examples.len() as u64 != counted
    {
        return Err(Error::Path {
            path: examples_path,
            message: format!(
                "holds {} example(s) where report.json counts {counted}: was it filtered or cut short? Pairing runs example by example needs every example's counts: score the run again{alternative}",
                examples.len()
            ),
        });
    }
    Ok(Run {
        name: dir.display().to_string(),
        report,
        examples,
        replicates,
    })
}

/// The run's [`REPLICATES_FILE`], if it kept one (not with `--bootstrap 0`, nor before verdict
/// kept them), checked against its report.json: a file from another run would pair the wrong
/// weights.
fn read_replicates(dir: &Path, report: &Value) -> Result<Option<RunReplicates>> {
    let path = dir.join(REPLICATES_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let replicates = RunReplicates::read(&path)?;
    let seed = report.pointer("/intervals/seed").and_then(Value::as_u64);
    let digest = verdict_core::compare::expected_sha256(report);
    if seed != Some(replicates.seed) || digest != Some(replicates.expected_sha256.as_str()) {
        return Err(Error::Path {
            path,
            message: format!(
                "does not belong to the report.json beside it (seed {}, test set sha256 {}…; the report: seed {}, {}): score the run again",
                replicates.seed,
                &replicates.expected_sha256[..replicates.expected_sha256.len().min(12)],
                seed.map_or("none".into(), |s| s.to_string()),
                digest.map_or("no digest".into(), |d| format!(
                    "sha256 {}…",
                    &d[..d.len().min(12)]
                )),
            ),
        });
    }
    Ok(Some(replicates))
}
