//! `verdict-synth`: writes the synthetic basketball eval set from `verdict_input::synth` to disk as
//! `expected.jsonl` and `predictions.jsonl`, so verdict can be tried and tested end to end.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use verdict_input::synth::{SynthConfig, generate};

/// Generate a deterministic sample eval set: Gemini tuning-format ground truth plus Vertex AI
/// batch-prediction output with realistic model faults.
#[derive(Debug, Parser)]
#[command(name = "verdict-synth", version, about)]
struct Args {
    /// Number of clips (lines of expected.jsonl).
    #[arg(long, default_value_t = 320)]
    clips: usize,
    /// Seed; the output is a pure function of (clips, seed).
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Directory to write expected.jsonl and predictions.jsonl into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("verdict-synth: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<String, String> {
    fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let data = generate(&SynthConfig {
        clips: args.clips,
        seed: args.seed,
    });
    let expected = args.out.join("expected.jsonl");
    let predictions = args.out.join("predictions.jsonl");
    for (path, lines) in [
        (&expected, &data.expected),
        (&predictions, &data.predictions),
    ] {
        write_lines(path, lines).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(format!(
        "wrote {} expected lines to {} and {} prediction lines to {} (seed {})",
        data.expected.len(),
        expected.display(),
        data.predictions.len(),
        predictions.display(),
        args.seed
    ))
}

/// Writes to a temporary sibling and renames it into place, so a reader never sees half a file.
fn write_lines(path: &Path, lines: &[String]) -> io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let result = write_file(&tmp, lines).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        // Best effort: the original error is the one worth reporting.
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_file(path: &Path, lines: &[String]) -> io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for line in lines {
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()
}
