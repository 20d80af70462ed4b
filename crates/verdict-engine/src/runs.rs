//! Reading back a run directory that `verdict score` wrote, for `verdict compare` and paired
//! baselines: its `report.json` and the counts of every example in `examples.jsonl`.

use std::path::Path;

use serde_json::Value;
use verdict_core::compare::{Run, RunExample};
use verdict_core::error::{Error, Result};
use verdict_core::resample::NamedCounts;

/// Reads a run directory written by `verdict score`.
pub fn load_run(dir: &Path) -> Result<Run> {
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
    let examples_path = dir.join(crate::examples::EXAMPLES_JSONL);
    let mut examples = Vec::new();
    verdict_input::read::read_jsonl(&examples_path, |location, line| {
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
    Ok(Run {
        name: dir.display().to_string(),
        report,
        examples,
    })
}
