//! `verdict-parse-baseline`: the yardstick for verdict's throughput. It reads an expected file
//! and a predictions file, parses every line with serde_json and every inner output text (the
//! model turn of a tuning line, the candidate or choice text of a batch line, a plain
//! `output`), and does nothing else. `scripts/bench.sh` times it beside `verdict score` on the
//! same files; see `docs/performance.md`.

use std::io::BufRead;
use std::process::ExitCode;

use rayon::prelude::*;
use serde_json::Value;

// The same allocator as `verdict`, so the comparison measures work done, not allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Where an output text can sit in a line, by shape.
const TEXT_POINTERS: [&str; 4] = [
    "/response/candidates/0/content/parts/0/text",
    "/response/body/choices/0/message/content",
    "/output",
    "/expected",
];

fn inner_text(line: &Value) -> Option<&str> {
    if let Some(turns) = line.get("contents").and_then(Value::as_array) {
        return turns.last()?.pointer("/parts/0/text")?.as_str();
    }
    if let Some(messages) = line.get("messages").and_then(Value::as_array) {
        return messages.last()?.get("content")?.as_str();
    }
    TEXT_POINTERS
        .iter()
        .find_map(|p| line.pointer(p))
        .and_then(Value::as_str)
}

fn parse_file(path: &str) -> std::io::Result<(usize, usize)> {
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let lines: Vec<String> = reader.lines().collect::<std::io::Result<_>>()?;
    let parsed: Vec<(usize, usize)> = lines
        .par_iter()
        .map(|line| match serde_json::from_str::<Value>(line) {
            Ok(value) => {
                let inner =
                    inner_text(&value).map(|t| serde_json::from_str::<Value>(t.trim()).is_ok());
                (1, usize::from(inner == Some(true)))
            }
            Err(_) => (0, 0),
        })
        .collect();
    Ok(parsed.iter().fold((0, 0), |(a, b), (x, y)| (a + x, b + y)))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: verdict-parse-baseline FILE...");
        return ExitCode::from(2);
    }
    for path in &args {
        match parse_file(path) {
            Ok((lines, inner)) => {
                println!("{path}: {lines} lines parsed, {inner} inner texts parsed");
            }
            Err(e) => {
                eprintln!("verdict-parse-baseline: {path}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::SUCCESS
}
