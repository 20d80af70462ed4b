//! Command-line arguments and terminal output. clap types stop here: arguments become a
//! [`ScoreRequest`] before any work starts.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::progress::Bar;
use clap::{Args, Parser, Subcommand, ValueEnum};
use verdict_core::error::{EXIT_GATE_FAILED, EXIT_OK, Error, Result};
use verdict_core::gate::{Gate, parse_max_drops};
use verdict_core::joining::JoinMode;
use verdict_core::output::OutputDir;
use verdict_core::resample::{ClusterBy, MAX_REPLICATES, MAX_THREADS};
use verdict_curves::{self as curves, ColumnMap, CurvesRequest, ScoreRef};
use verdict_engine::comparing::{
    CompareRequest, Compared, TestSet, compare_dir, compare_json, compare_runs, write_comparison,
};
use verdict_engine::outdir::{Inputs, Out, check_baseline, check_out};
use verdict_engine::score::{ScoreRequest, Shard, load_spec, report_set, score, stage_run};
use verdict_input::read::{DEFAULT_MAX_LINE_BYTES, MAX_MAX_LINE_BYTES, MIN_MAX_LINE_BYTES};
use verdict_report::comparison;
use verdict_report::{ExamplesOutput, Kept, console, markdown};

/// `eprintln!` for lines that may quote the data (labels, ids, provider messages): made safe
/// for a terminal or a CI log first.
macro_rules! eprintln_safe {
    ($($arg:tt)*) => {
        eprintln!("{}", crate::terminal::safe(&format!($($arg)*)))
    };
}

/// Score a model's structured (JSON) outputs against expected outputs.
///
/// Exit codes: 0 ok, 1 a gate failed, 2 usage or input error.
#[derive(Debug, Parser)]
// `about` is the root package's description, which a bare `about` would take from this crate's.
#[command(
    name = "verdict",
    version,
    about = "Score a model's structured (JSON) outputs against expected outputs, and gate releases on the numbers",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Score predictions against expected outputs and write report.json.
    Score(ScoreArgs),
    /// Compare two runs (paired intervals of every difference, McNemar's test), or rank more.
    Compare(CompareArgs),
    /// Merge the partial states of `verdict score --shard I/N` runs into the report of the
    /// whole run: the same report a single run writes.
    Merge(MergeArgs),
    /// JSON validity (and, with --schema, schema compliance) of model outputs, with no expected
    /// outputs.
    Validate(ValidateArgs),
    /// Read tuning-job metrics (OpenAI, Azure, Vertex AI or any CSV) and diagnose the loss
    /// curves: overfitting, underfitting, the checkpoint to ship.
    Curves(CurvesArgs),
    /// Write the batch input file of a test set for a provider's batch API, one request an
    /// example (its system and user turns, never its answer) with a stable key, so that the
    /// provider's output joins the test set by key even when it has no ids.
    Requests(RequestsArgs),
}

#[derive(Debug, Args)]
struct RequestsArgs {
    /// The test set: lines of any test-set shape that carries its turns (docs/requests.md);
    /// the plain {"id", "expected"} form gives only the expected output and is refused.
    #[arg(value_name = "EXPECTED")]
    expected: PathBuf,

    /// Whose batch API the requests are for (docs/requests.md).
    #[arg(long, value_enum, value_name = "PROVIDER")]
    provider: ProviderArg,

    /// The model each request names: required for openai-chat, openai-responses and
    /// anthropic; refused for vertex, gemini and bedrock-claude, whose batch job names it.
    #[arg(long, value_name = "MODEL")]
    model: Option<String>,

    /// The most tokens an answer may have (max_completion_tokens, max_output_tokens,
    /// maxOutputTokens or max_tokens); required for anthropic and bedrock-claude.
    #[arg(long = "max-tokens", value_name = "N")]
    max_tokens: Option<u32>,

    /// The sampling temperature (0 to 2; 0 to 1 for anthropic and bedrock-claude).
    #[arg(long, value_name = "T")]
    temperature: Option<f64>,

    /// Where to write the requests, one JSON object a line.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,

    /// No summary on stdout.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ProviderArg {
    /// OpenAI Batch API, /v1/chat/completions.
    OpenaiChat,
    /// OpenAI Batch API, /v1/responses.
    OpenaiResponses,
    /// Vertex AI batch prediction for Gemini (no key: the output echoes each request).
    Vertex,
    /// Gemini API Batch Mode input file ({"key", "request"}).
    Gemini,
    /// Anthropic Message Batches ({"custom_id", "params"}), one request a line.
    Anthropic,
    /// Amazon Bedrock batch inference for Anthropic Claude ({"recordId", "modelInput"}).
    BedrockClaude,
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// The output directories of every shard (`verdict score --shard I/N --out DIR`).
    #[arg(value_name = "PART", required = true)]
    parts: Vec<PathBuf>,

    /// Where to write the reports [default: reports/<spec name>/].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// A release gate such as `macro_f1>=0.75`; repeatable; replaces a spec gate on the same
    /// metric.
    #[arg(long = "gate", value_name = "EXPR")]
    gates: Vec<Gate>,

    /// An earlier report.json (or its output directory), as for `verdict score --baseline`.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    /// Largest allowed drop from the baseline, as for `verdict score --max-drop`.
    #[arg(long = "max-drop", value_name = "DROP")]
    max_drops: Vec<String>,

    /// Worker threads [default: one per core]. The report does not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_THREADS as i64))]
    threads: Option<u16>,

    #[command(flatten)]
    examples: ExamplesArgs,

    #[command(flatten)]
    lines: LineArgs,

    /// No summary on stdout.
    #[arg(long, short)]
    quiet: bool,
}

/// How long a line of a JSONL file may be, for every command that reads one.
#[derive(Debug, Args)]
struct LineArgs {
    /// The longest line read from a JSONL file (expected outputs, predictions, a run's
    /// examples.jsonl), in bytes: a longer line is an input error naming it, and is never held
    /// whole [default: 67108864, 64 MiB; at least 1024].
    #[arg(long = "max-line-bytes", value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE_BYTES as u64, hide_default_value = true, value_parser = clap::value_parser!(u64).range(MIN_MAX_LINE_BYTES as u64..=MAX_MAX_LINE_BYTES as u64), help_heading = "Input")]
    max_line_bytes: u64,
}

impl LineArgs {
    fn bytes(&self) -> usize {
        // The range above keeps it within u32, so within usize.
        self.max_line_bytes as usize
    }
}

/// What to keep of the per-example lines, for `score` and `merge`.
#[derive(Debug, Args)]
struct ExamplesArgs {
    /// Which examples examples.jsonl keeps: `all` (what `verdict compare` and `--baseline DIR`
    /// need), `errors` (those not exactly right) or `none` (no file).
    #[arg(long = "examples", value_enum, value_name = "WHICH", default_value_t = KeptArg::All, help_heading = "Output")]
    kept: KeptArg,

    /// Write examples.jsonl.gz, gzip-compressed, instead of examples.jsonl.
    #[arg(long = "examples-gzip", help_heading = "Output")]
    gzip: bool,
}

impl ExamplesArgs {
    /// Whether either flag was given.
    fn given(&self) -> bool {
        !matches!(self.kept, KeptArg::All) || self.gzip
    }

    fn output(&self) -> Result<ExamplesOutput> {
        let kept = match self.kept {
            KeptArg::All => Kept::All,
            KeptArg::Errors => Kept::Errors,
            KeptArg::None => Kept::None,
        };
        if kept == Kept::None && self.gzip {
            return Err(Error::Usage(
                "--examples-gzip has nothing to compress with --examples none: drop one of them"
                    .into(),
            ));
        }
        Ok(ExamplesOutput {
            kept,
            gzip: self.gzip,
        })
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum KeptArg {
    /// Every example.
    All,
    /// Only the examples that are not exactly right.
    Errors,
    /// No per-example file.
    None,
}

#[derive(Debug, Args)]
struct ValidateArgs {
    /// The JSON Schema the outputs must follow [default: none: JSON validity alone].
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,

    /// Prediction files (any supported shape), directories or globs.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,

    /// Also check outputs that are valid only after repair.
    #[arg(long)]
    repair: bool,

    /// A gate on a number of validation.json, such as `schema_valid>=0.98`; repeatable.
    #[arg(long = "gate", value_name = "EXPR")]
    gates: Vec<Gate>,

    /// Where to write validation.json [default: reports/validate/].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    #[command(flatten)]
    lines: LineArgs,

    /// No summary on stdout.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct CompareArgs {
    /// Runs to compare: output directories of `verdict score` (holding report.json and
    /// examples.jsonl), or, with --spec and --expected, prediction files, directories or globs
    /// to score first. Two runs: B is compared with A. More: a leaderboard.
    #[arg(value_name = "RUN", num_args = 2.., required = true)]
    runs: Vec<PathBuf>,

    /// Score each RUN as predictions with this spec (needs --expected).
    #[arg(long, value_name = "FILE", requires = "expected")]
    spec: Option<PathBuf>,

    /// The expected outputs the RUN predictions are scored against (needs --spec).
    #[arg(long, value_name = "FILE", requires = "spec")]
    expected: Option<PathBuf>,

    /// The metric that ranks a leaderboard (a summary key) [default: the spec's main one:
    /// event_f1 for an events spec, macro_f1 for a single-label one, else exact_match].
    #[arg(long, value_name = "METRIC")]
    metric: Option<String>,

    /// Compare runs even when their reports record different expected files (by SHA-256);
    /// only the examples they share are compared.
    #[arg(long)]
    allow_different_expected: bool,

    /// Bootstrap replicates [default: all the runs kept in their replicates.bin (N uses the
    /// first N); else 1000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=u64::from(MAX_REPLICATES)))]
    bootstrap: Option<u64>,

    /// Seed of the bootstrap [default: the runs' own, kept in their replicates.bin; else 0].
    #[arg(long, value_name = "N")]
    seed: Option<u64>,

    /// Where to write compare.json, compare.md and compare.html [default: reports/compare/].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Worker threads [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_THREADS as i64))]
    threads: Option<u16>,

    #[command(flatten)]
    lines: LineArgs,

    /// No summary on stdout.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct CurvesArgs {
    /// Metrics exports: OpenAI result files (plain or base64) or checkpoint lists, Azure
    /// results.csv, Vertex AI TensorBoard series, Hugging Face trainer_state.json (or its
    /// checkpoint folder, or a run directory of checkpoint-N folders), or any CSV with --map. A
    /// directory stands for its files. Several runs are compared.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,

    /// Read CSV column COL as ROLE (step, epoch, train_loss, valid_loss, train_accuracy,
    /// valid_accuracy, full_valid_loss, full_valid_accuracy); repeatable.
    #[arg(long = "map", value_name = "COL=ROLE", help_heading = "Input")]
    maps: Vec<ColumnMap>,

    /// Early stopping: checkpoints without a lower validation loss before stopping.
    #[arg(long, value_name = "N", default_value_t = curves::DEFAULT_PATIENCE, help_heading = "Diagnosis")]
    patience: usize,

    /// Only the last N checkpoints can be deployed [default: the last 3 epochs for OpenAI and
    /// Azure result files, all otherwise].
    #[arg(long, value_name = "N", help_heading = "Diagnosis")]
    deployable_last: Option<usize>,

    /// The `verdict score` report of one checkpoint's predictions, STEP=REPORT (RUN:STEP=REPORT
    /// for the RUN-th run); repeatable. Checkpoints are ranked by --metric beside their loss.
    #[arg(
        long = "scores",
        value_name = "STEP=REPORT",
        help_heading = "Diagnosis"
    )]
    scores: Vec<ScoreRef>,

    /// The task metric read from --scores reports (a dotted path, as in gates).
    #[arg(long, value_name = "PATH", default_value = curves::DEFAULT_METRIC, help_heading = "Diagnosis")]
    metric: String,

    /// Where to write curves.json, curves.md and curves.html.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "reports/curves",
        help_heading = "Output"
    )]
    out: PathBuf,

    /// A gate on a number of every run's summary, METRIC OP NUMBER (`ratio<=1.5`,
    /// `final_over_best<=1.2`); repeatable.
    #[arg(long = "gate", value_name = "EXPR", help_heading = "Gates")]
    gates: Vec<Gate>,

    /// No table on stdout (errors and failed gates still go to stderr).
    #[arg(long, short, help_heading = "Output")]
    quiet: bool,
}

#[derive(Debug, Args)]
struct ScoreArgs {
    /// A dataset directory holding eval.toml, expected.jsonl and predictions.jsonl
    /// (or predictions.jsonl.gz, or a predictions/ directory). The flags below override
    /// single files.
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,

    /// The spec file (eval.toml).
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    spec: Option<PathBuf>,

    /// The expected outputs (JSONL, optionally gzipped).
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    expected: Option<PathBuf>,

    /// Prediction files, directories of *.jsonl[.gz] shards, or glob patterns (quote them).
    #[arg(long, value_name = "PATH", num_args = 1.., help_heading = "Input")]
    predictions: Vec<PathBuf>,

    /// How to pair predictions with expected examples.
    #[arg(long, value_enum, default_value_t = Join::Key, help_heading = "Input")]
    join: Join,

    /// Also score outputs that are valid only after repair (trailing commas, unquoted keys,
    /// single quotes, truncated tails).
    #[arg(long, help_heading = "Scoring")]
    repair: bool,

    /// Where to write the reports [default: reports/<dataset name>/].
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    out: Option<PathBuf>,

    /// A release gate, METRIC OP NUMBER (`macro_f1>=0.75`, `classes.FG_MAKE.recall>=0.7`,
    /// `timestamp_mae<=0.5`); repeatable. Replaces a spec gate on the same metric.
    #[arg(long = "gate", value_name = "EXPR", help_heading = "Gates")]
    gates: Vec<Gate>,

    /// An earlier report.json: fail any headline metric that dropped by more than --max-drop.
    #[arg(long, value_name = "FILE", help_heading = "Gates")]
    baseline: Option<PathBuf>,

    /// Largest allowed drop from the baseline, absolute [default: 0.01]; METRIC=NUMBER sets
    /// it for one metric. Repeatable.
    #[arg(long = "max-drop", value_name = "DROP", help_heading = "Gates")]
    max_drops: Vec<String>,

    /// Bootstrap replicates for the 95% confidence intervals [default: 1000; 0 turns them off].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=u64::from(MAX_REPLICATES)), help_heading = "Intervals")]
    bootstrap: Option<u64>,

    /// Seed of the bootstrap: the same seed gives the same intervals.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        help_heading = "Intervals"
    )]
    seed: u64,

    /// Resample whole clusters (e.g. all clips of one game): `id`, a key of the expected line
    /// or a JSON Pointer into it, optionally `~REGEX` to take a capture group from it.
    #[arg(long, value_name = "SOURCE[~REGEX]", help_heading = "Intervals")]
    cluster_by: Option<ClusterBy>,

    /// Score only shard I of N (the examples at positions ≡ I mod N in the expected file) and
    /// write its partial state to --out, for `verdict merge`.
    #[arg(long, value_name = "I/N", help_heading = "Sharding")]
    shard: Option<Shard>,

    /// Worker threads [default: one per core]. The report does not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_THREADS as i64), help_heading = "Output")]
    threads: Option<u16>,

    #[command(flatten)]
    examples: ExamplesArgs,

    #[command(flatten)]
    lines: LineArgs,

    /// No progress bar and no summary on stdout (errors and warnings still go to stderr).
    #[arg(long, short, help_heading = "Output")]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Join {
    /// By id / key / custom_id, or by the request's user turns where lines have no ids.
    Key,
    /// The n-th prediction answers the n-th expected example.
    Line,
}

/// Runs the parsed command; returns the exit code.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Score(args) => run_score(args),
        Command::Compare(args) => run_compare(args),
        Command::Merge(args) => run_merge(args),
        Command::Validate(args) => run_validate(args),
        Command::Curves(args) => run_curves(args),
        Command::Requests(args) => run_requests(args),
    }
}

fn run_requests(args: RequestsArgs) -> Result<u8> {
    use verdict_input::requests::{self, KeyedBy, Provider, Settings};
    let provider = match args.provider {
        ProviderArg::OpenaiChat => Provider::OpenAiChat,
        ProviderArg::OpenaiResponses => Provider::OpenAiResponses,
        ProviderArg::Vertex => Provider::Vertex,
        ProviderArg::Gemini => Provider::Gemini,
        ProviderArg::Anthropic => Provider::Anthropic,
        ProviderArg::BedrockClaude => Provider::BedrockClaude,
    };
    let settings = Settings {
        model: args.model,
        max_tokens: args.max_tokens,
        temperature: args.temperature,
    };
    let written = requests::write(&args.expected, provider, &settings, &args.out)?;
    if !args.quiet {
        let keyed = match written.keyed_by {
            KeyedBy::Ids => "keyed by the examples' ids",
            KeyedBy::Derived => "keyed by their request hashes (not every example has an id)",
            KeyedBy::RequestEcho => "no keys: the output echoes each request, which joins it",
        };
        print_stdout(&format!(
            "verdict: wrote {} {} requests to {}, {keyed}\n",
            written.requests,
            provider.name(),
            written.path.display()
        ));
    }
    Ok(EXIT_OK)
}

fn run_curves(args: CurvesArgs) -> Result<u8> {
    let request = CurvesRequest {
        files: args.files,
        maps: args.maps,
        patience: args.patience,
        deployable_last: args.deployable_last,
        scores: args.scores,
        metric: args.metric,
        gates: args.gates,
    };
    let mut dir = OutputDir::lock(&args.out)?;
    dir.check(&curves::render::CURVES_FILES)?;
    let analysed = curves::analyse(&request)?;
    let mut set = dir.stage(&curves::render::CURVES_FILES)?;
    let path = curves::render::write_all(&mut set, &analysed)?;
    set.commit()?;
    drop(dir);
    if !args.quiet {
        print_stdout(&curves::render::console(
            &analysed,
            &path.display().to_string(),
        ));
    }
    // The same gate results drive the FAIL lines here and the exit code below.
    for line in curves::render::gate_failures(&analysed) {
        eprintln_safe!("verdict: {line}");
    }
    Ok(if analysed.passed {
        EXIT_OK
    } else {
        EXIT_GATE_FAILED
    })
}

fn dataset_file(dir: Option<&Path>, name: &str, flag: &str) -> Result<PathBuf> {
    dir.map(|d| d.join(name)).ok_or_else(|| {
        Error::Usage(format!(
            "missing --{flag}: give a dataset DIR or --spec, --expected and --predictions"
        ))
    })
}

/// The predictions of a dataset directory: the first of predictions.jsonl,
/// predictions.jsonl.gz and a predictions/ directory that exists.
fn dataset_predictions(dir: &Path) -> PathBuf {
    ["predictions.jsonl", "predictions.jsonl.gz", "predictions"]
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| dir.join("predictions.jsonl"))
}

fn run_score(args: ScoreArgs) -> Result<u8> {
    let dir = args.dir.as_deref();
    if let Some(dir) = dir.filter(|d| !d.is_dir()) {
        return Err(Error::Path {
            path: dir.to_path_buf(),
            message:
                "not a directory: DIR must hold eval.toml, expected.jsonl and predictions.jsonl"
                    .into(),
        });
    }
    if args.baseline.is_none() && !args.max_drops.is_empty() {
        return Err(Error::Usage("--max-drop needs --baseline".into()));
    }
    let (max_drop, max_drop_overrides) = parse_max_drops(&args.max_drops)?;
    let request = ScoreRequest {
        spec: args
            .spec
            .map_or_else(|| dataset_file(dir, "eval.toml", "spec"), Ok)?,
        spec_text: None,
        expected: args
            .expected
            .map_or_else(|| dataset_file(dir, "expected.jsonl", "expected"), Ok)?,
        predictions: if args.predictions.is_empty() {
            vec![dir.map(dataset_predictions).ok_or_else(|| {
                Error::Usage("missing --predictions: give a dataset DIR or --spec, --expected and --predictions".into())
            })?]
        } else {
            args.predictions
        },
        join: match args.join {
            Join::Key => JoinMode::Key,
            Join::Line => JoinMode::Line,
        },
        repair: args.repair,
        threads: args.threads.map(usize::from),
        gates: args.gates,
        baseline: args.baseline,
        max_drop,
        max_drop_overrides,
        bootstrap: args.bootstrap.map(|n| n as usize),
        seed: args.seed,
        cluster_by: args.cluster_by,
        shard: args.shard,
        keep_run: false,
        examples: args.examples.output()?,
        max_line_bytes: args.lines.bytes(),
    };
    if let Some(shard) = request.shard {
        if !request.gates.is_empty() || request.baseline.is_some() {
            return Err(Error::Usage(
                "--gate and --baseline apply to the whole run: pass them to verdict merge instead of to each shard".into(),
            ));
        }
        if args.examples.given() {
            return Err(Error::Usage(
                "--examples and --examples-gzip apply to the whole run: pass them to verdict merge instead of to each shard (a shard keeps every example's line for the merge)".into(),
            ));
        }
        let out = args.out.ok_or_else(|| {
            Error::Usage(format!(
                "--shard {}/{} needs --out DIR for its partial state",
                shard.index, shard.count
            ))
        })?;
        let path = verdict_engine::score::score_shard(&request, &out)?;
        if !args.quiet {
            print_stdout(&format!(
                "verdict shard {}/{}: partial state {}\n",
                shard.index,
                shard.count,
                path.display()
            ));
        }
        return Ok(EXIT_OK);
    }

    let progress = Bar::for_run(args.quiet);
    let given = args.out.is_some();
    let out = match args.out {
        Some(out) => out,
        None => default_out(&load_spec(&request)?.0.name),
    };
    // Checked before the scoring too, so a long run is not refused only at its end.
    check_out(
        if given {
            Out::Given(&out)
        } else {
            Out::Default(&out)
        },
        &Inputs::of_paths(&request.spec, &request.expected, &request.predictions),
        request.baseline.as_deref(),
    )?;
    // Held from here to the end, so that a second run into the same directory is refused
    // before it scores rather than after.
    let dir = OutputDir::lock(&out)?;
    dir.check(&report_set())?;
    let scored = score(&request, &progress)?;
    write_scored(
        &scored,
        dir,
        given,
        request.baseline.as_deref(),
        args.quiet,
        &progress,
    )
}

/// `reports/<name>/`, where a run writes when not given `--out`.
fn default_out(name: &str) -> PathBuf {
    Path::new("reports").join(name)
}

fn run_merge(args: MergeArgs) -> Result<u8> {
    if args.baseline.is_none() && !args.max_drops.is_empty() {
        return Err(Error::Usage("--max-drop needs --baseline".into()));
    }
    let (max_drop, max_drop_overrides) = parse_max_drops(&args.max_drops)?;
    let whole_run = verdict_engine::score::WholeRun {
        gates: args.gates,
        baseline: args.baseline,
        max_drop,
        max_drop_overrides,
        threads: args.threads.map(usize::from),
        examples: args.examples.output()?,
        max_line_bytes: args.lines.bytes(),
    };
    let mut locked = None;
    if let Some(out) = &args.out {
        // Before the merge, which reads every part: the inputs are checked once it is done.
        if let Some(baseline) = &whole_run.baseline {
            check_baseline(Out::Given(out), baseline)?;
        }
        let dir = OutputDir::lock(out)?;
        dir.check(&report_set())?;
        locked = Some(dir);
    }
    let baseline = whole_run.baseline.clone();
    let scored = verdict_engine::score::merge(&args.parts, whole_run)?;
    // The default directory is known once the merge has read the spec's name.
    let dir = match locked {
        Some(dir) => dir,
        None => OutputDir::lock(&default_out(&scored.report.run.name))?,
    };
    write_scored(
        &scored,
        dir,
        args.out.is_some(),
        baseline.as_deref(),
        args.quiet,
        &Bar::new(false),
    )
}

/// Writes a finished run's reports into `dir` (given with `--out` or not) as one set, prints
/// its summary and gate failures, and gives the exit code.
fn write_scored(
    scored: &verdict_engine::score::Scored,
    mut dir: OutputDir,
    given: bool,
    baseline: Option<&Path>,
    quiet: bool,
    bar: &Bar,
) -> Result<u8> {
    bar.clear();
    let report = &scored.report;
    let out = dir.path().to_path_buf();
    // Again under the lock: what the directory holds now is what the set replaces.
    check_out(
        if given {
            Out::Given(&out)
        } else {
            Out::Default(&out)
        },
        &Inputs::of_run(&report.run).located(&scored.located),
        baseline,
    )?;
    for warning in &scored.warnings {
        eprintln_safe!("verdict: warning: {warning}");
    }
    let mut set = dir.stage(&report_set())?;
    let kept = scored.report.run.examples.kept;
    bar.writing(scored.examples.bytes());
    let written = stage_run(&mut set, scored, &mut |w| {
        scored.examples.write_to(&mut bar.counting(w), kept)
    });
    // Before the move into place: an interrupt during it waits for it, and must not then say
    // that the earlier reports were kept.
    bar.clear();
    let path = written?;
    set.commit()?;
    drop(dir);
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        append_step_summary(Path::new(&summary), &markdown::render(report));
    }
    if !quiet {
        print_stdout(&console::render(report, &path.display().to_string()));
    } else if let Some(notice) = report.summary.missing_notice() {
        // The console summary, which ends with it, is off: stderr still carries it.
        eprintln_safe!("verdict: warning: {notice}");
    }
    // The same gate results drive the FAIL lines here and the exit code below.
    for line in console::gate_failures(report) {
        eprintln_safe!("verdict: {line}");
    }
    Ok(if report.passed {
        EXIT_OK
    } else {
        EXIT_GATE_FAILED
    })
}

fn run_validate(args: ValidateArgs) -> Result<u8> {
    let request = verdict_engine::validate::ValidateRequest {
        schema: args.schema,
        files: args.files,
        repair: args.repair,
        gates: args.gates,
        max_line_bytes: args.lines.bytes(),
    };
    let out = args
        .out
        .unwrap_or_else(|| Path::new("reports").join("validate"));
    let mut dir = OutputDir::lock(&out)?;
    dir.check(&[verdict_engine::validate::VALIDATION_JSON])?;
    let report = verdict_engine::validate::validate(&request)?;
    let json = verdict_engine::validate::validation_json(&report)?;
    let path = verdict_engine::validate::write_validation(&mut dir, &json)?;
    drop(dir);
    if !args.quiet {
        print_stdout(&verdict_engine::validate::console(
            &report,
            &path.display().to_string(),
        ));
    }
    for g in report.gates.iter().filter(|g| !g.passed) {
        eprintln_safe!(
            "verdict: gate failed: {} = {}, required {} {}{}",
            g.metric,
            g.value
                .map_or_else(|| "null".to_owned(), |v| format!("{v:.4}")),
            g.op.symbol(),
            g.threshold,
            g.note
                .as_ref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default()
        );
    }
    Ok(if report.passed {
        EXIT_OK
    } else {
        EXIT_GATE_FAILED
    })
}

fn run_compare(args: CompareArgs) -> Result<u8> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("reports").join("compare"));
    let mut dir = compare_dir(&out)?;
    let request = CompareRequest {
        runs: args.runs.clone(),
        scored_against: match (&args.spec, &args.expected) {
            (Some(spec), Some(expected)) => Some(TestSet {
                spec: spec.clone(),
                spec_text: None,
                expected: expected.clone(),
            }),
            _ => None,
        },
        metric: args.metric.clone(),
        allow_different_expected: args.allow_different_expected,
        bootstrap: args.bootstrap.map(|n| n as usize),
        seed: args.seed,
        threads: args.threads.map(usize::from),
        max_line_bytes: args.lines.bytes(),
    };
    let Compared { outcome, warnings } = compare_runs(&request)?;
    for warning in warnings {
        eprintln_safe!("verdict: warning: {warning}");
    }
    let json = compare_json(&outcome)?;
    let path = write_comparison(&mut dir, &outcome, &json)?;
    drop(dir);
    if !args.quiet {
        print_stdout(&format!(
            "{}report: {}\n",
            comparison::console(&outcome),
            path.display()
        ));
    }
    Ok(EXIT_OK)
}

/// Appends the Markdown report to GitHub Actions' step summary. A failure to do so is reported
/// but does not fail the run: the reports themselves were written.
fn append_step_summary(path: &Path, markdown: &str) {
    let result = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| file.write_all(markdown.as_bytes()));
    if let Err(e) = result {
        eprintln_safe!(
            "verdict: warning: {}: cannot append the step summary: {e}",
            path.display()
        );
    }
}

/// Writes to stdout, treating a closed pipe (`verdict score | head`) as success. The text
/// carries labels and paths from the data: it is made safe for a terminal first.
fn print_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(crate::terminal::safe(text).as_bytes())
        .and_then(|()| stdout.flush());
}

/// Prints an error the way every verdict error looks.
pub fn print_error(error: &Error) {
    eprintln_safe!("verdict: error: {error}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
