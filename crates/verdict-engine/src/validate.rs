//! `verdict validate`: JSON validity and schema compliance of model outputs alone, with no
//! expected outputs — for teams who only need to know how often a model's output parses and
//! follows its schema.
//!
//! It reads prediction files of any supported shape, classifies every output into the
//! validity tiers of [`verdict_core::validity`] and checks the parsed ones against the schema, exactly
//! as `verdict score` does.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use verdict_core::error::{Error, Result};
use verdict_core::gate::{Gate, GateResult, evaluate};
use verdict_core::schema::{ErrorRow, ErrorTable, Schema};
use verdict_core::validity::{Tier, classify};
use verdict_input::read::{expand_paths, read_jsonl};
use verdict_input::{Output, predicted};
use verdict_report::{RepairCounts, SchemaCounts, Tool, Validity};

/// What `verdict validate` was asked to do.
#[derive(Debug, Clone)]
pub struct ValidateRequest {
    /// The JSON Schema; without one, JSON validity alone is reported.
    pub schema: Option<PathBuf>,
    /// Prediction files, directories or globs.
    pub files: Vec<PathBuf>,
    /// Count repaired outputs as parsed for the schema check.
    pub repair: bool,
    /// Gates on the report's numbers.
    pub gates: Vec<Gate>,
    /// The longest line read, in bytes (`--max-line-bytes`).
    pub max_line_bytes: usize,
}

/// `validation.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    /// The program.
    pub tool: Tool,
    /// The inputs as given.
    pub run: ValidationRun,
    /// The headline rates over all outputs.
    pub summary: ValidationSummary,
    /// Outputs per validity tier.
    pub validity: Validity,
    /// Repaired outputs per repair.
    pub repairs: RepairCounts,
    /// Outputs per finish reason.
    pub finish_reasons: BTreeMap<String, usize>,
    /// Outputs whose answer came with reasoning.
    pub reasoning: verdict_core::counts::ReasoningCounts,
    /// Outputs checked against the schema and valid.
    pub schema: SchemaCounts,
    /// Schema violations folded by path pattern and keyword.
    pub schema_errors: Vec<ErrorRow>,
    /// Gate results.
    pub gates: Vec<GateResult>,
    /// Whether every gate passed.
    pub passed: bool,
}

/// `run` of `validation.json`.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationRun {
    /// The schema file; `null` when none was given.
    pub schema: Option<String>,
    /// The prediction paths.
    pub files: Vec<String>,
    /// Whether repaired outputs were checked.
    pub repair: bool,
}

/// `summary` of `validation.json`. Rates are over all output lines (N).
#[derive(Debug, Clone, Serialize)]
pub struct ValidationSummary {
    /// Output lines read (N).
    pub outputs: usize,
    /// Lines whose request failed or was blocked.
    pub failed_requests: usize,
    /// strict / N.
    pub json_valid_strict: Option<f64>,
    /// (strict + extracted) / N.
    pub json_valid: Option<f64>,
    /// (strict + extracted + repaired) / N.
    pub json_recoverable: Option<f64>,
    /// Schema-valid outputs / N; `null` without a schema.
    pub schema_valid: Option<f64>,
}

/// Reads, classifies and checks every output.
pub fn validate(request: &ValidateRequest) -> Result<ValidationReport> {
    let schema = request.schema.as_deref().map(Schema::load).transpose()?;
    let mut outputs: Vec<(Output, Option<String>)> = Vec::new();
    let mut reasoning = verdict_core::counts::ReasoningCounts::default();
    for file in expand_paths(&request.files)? {
        read_jsonl(&file, request.max_line_bytes, |location, value| {
            let p = predicted::detect(location, value)?;
            reasoning.outputs += usize::from(p.reasoning);
            outputs.push((p.output, p.finish_reason));
            Ok(())
        })?;
    }
    if outputs.is_empty() {
        return Err(Error::Path {
            path: request.files.first().cloned().unwrap_or_default(),
            message: "no outputs: the files are empty (expected one JSON object per line)".into(),
        });
    }
    let checked: Vec<(
        Tier,
        verdict_core::repair::Repairs,
        Option<verdict_core::schema::Checked>,
    )> = outputs
        .par_iter()
        .map(|(output, _)| {
            let parsed = classify(Some(output), verdict_core::tools::ToolCallForm::default());
            let violations = schema
                .as_ref()
                .and_then(|schema| parsed.scored_value(request.repair).map(|v| schema.check(v)));
            (parsed.tier, parsed.repairs, violations)
        })
        .collect();

    let mut validity = Validity::default();
    let mut repairs = RepairCounts::default();
    let mut table = ErrorTable::default();
    let mut undecided = verdict_core::schema::UndecidedTable::default();
    let mut counts = SchemaCounts {
        file: request.schema.as_ref().map(|s| s.display().to_string()),
        ..SchemaCounts::default()
    };
    for (ordinal, (tier, r, violations)) in checked.iter().enumerate() {
        validity.add(*tier);
        repairs.add(*r);
        if let Some(checked) = violations {
            table.add_output(ordinal, checked.violations());
            counts.checked += 1;
            counts.valid += usize::from(checked.is_valid());
            if let Some(u) = checked.undecided() {
                counts.undecided += 1;
                undecided.add_output(ordinal, u);
            }
        }
    }
    counts.undecided_patterns = undecided.into_rows();
    let mut finish_reasons = BTreeMap::new();
    for (_, reason) in &outputs {
        *finish_reasons
            .entry(reason.clone().unwrap_or_else(|| "unspecified".into()))
            .or_default() += 1;
    }
    let n = outputs.len();
    let ratio = |c: usize| Some(c as f64 / n as f64);
    let mut report = ValidationReport {
        tool: Tool::default(),
        run: ValidationRun {
            schema: request.schema.as_ref().map(|s| s.display().to_string()),
            files: request
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect(),
            repair: request.repair,
        },
        summary: ValidationSummary {
            outputs: n,
            failed_requests: validity.failed,
            json_valid_strict: ratio(validity.strict),
            json_valid: ratio(validity.strict + validity.extracted),
            json_recoverable: ratio(validity.strict + validity.extracted + validity.repaired),
            // Outputs the check could not decide are neither valid nor invalid.
            schema_valid: schema.as_ref().and_then(|_| {
                let decided = n - counts.undecided;
                (decided > 0).then(|| counts.valid as f64 / decided as f64)
            }),
        },
        validity,
        repairs,
        finish_reasons,
        reasoning,
        schema: counts,
        schema_errors: table.into_rows(),
        gates: Vec::new(),
        passed: true,
    };
    let json = serde_json::to_value(&report).map_err(|e| Error::Usage(e.to_string()))?;
    report.gates = evaluate(&json, &[], &request.gates, None)?;
    let valid = report.schema.valid as f64;
    let undecided = report.schema.undecided;
    verdict_core::gate::settle_undecided_schema(
        &mut report.gates,
        verdict_core::gate::UndecidedSchema {
            outputs: undecided,
            bounds: Some((valid / n as f64, (valid + undecided as f64) / n as f64)),
        },
    );
    report.passed = report.gates.iter().all(|g| g.passed);
    Ok(report)
}

/// The file `verdict validate` writes.
pub const VALIDATION_JSON: &str = "validation.json";

/// validation.json's text: pretty JSON and a final line break.
pub fn validation_json(report: &ValidationReport) -> Result<String> {
    serde_json::to_string_pretty(report)
        .map(|text| text + "\n")
        .map_err(|e| Error::Usage(e.to_string()))
}

/// Writes validation.json into `dir` and returns its path.
pub fn write_validation(dir: &mut verdict_core::output::OutputDir, json: &str) -> Result<PathBuf> {
    let mut set = dir.stage(&[VALIDATION_JSON])?;
    let path = set.write(VALIDATION_JSON, json)?;
    set.commit()?;
    Ok(path)
}

/// The console summary.
pub fn console(report: &ValidationReport, path: &str) -> String {
    use std::fmt::Write;
    let s = &report.summary;
    let v = &report.validity;
    let mut out = String::new();
    let rate = |x: Option<f64>| x.map_or_else(|| "—".to_owned(), |x| format!("{x:.3}"));
    let _ = writeln!(
        out,
        "verdict validate · {} outputs · {}",
        s.outputs,
        report.run.schema.as_ref().map_or_else(
            || "no schema: JSON validity only".to_owned(),
            |s| format!("schema {s}")
        )
    );
    let _ = writeln!(
        out,
        "  json_valid_strict   {}  ({}/{})",
        rate(s.json_valid_strict),
        v.strict,
        s.outputs
    );
    let _ = writeln!(
        out,
        "  json_valid          {}  ({}/{})",
        rate(s.json_valid),
        v.strict + v.extracted,
        s.outputs
    );
    let _ = writeln!(out, "  json_recoverable    {}", rate(s.json_recoverable));
    if report.run.schema.is_some() {
        let _ = writeln!(
            out,
            "  schema_valid        {}  ({}/{})",
            rate(s.schema_valid),
            report.schema.valid,
            s.outputs - report.schema.undecided
        );
        for warning in report.schema.warnings() {
            let _ = writeln!(out, "  warning: {warning}");
        }
    }
    let _ = writeln!(
        out,
        "  validity            strict {} · extracted {} · repaired {} · invalid {} · missing {} · failed {}",
        v.strict, v.extracted, v.repaired, v.invalid, v.missing, v.failed
    );
    for row in report.schema_errors.iter().take(10) {
        let _ = writeln!(
            out,
            "    {:<28} {:<20} {:>6}",
            verdict_report::console::display_path(&row.path),
            row.keyword,
            row.count
        );
    }
    for g in &report.gates {
        let _ = writeln!(
            out,
            "  {}  {} = {}",
            if g.passed { "PASS" } else { "FAIL" },
            g.metric,
            rate(g.value)
        );
    }
    let _ = writeln!(out, "report: {path}");
    out
}
