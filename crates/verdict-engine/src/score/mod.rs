//! The `score` pipeline: index the predictions → stream the expected file in batches, joining,
//! parsing and scoring each batch on all threads → fold the scores in file order into sums
//! ([`Accumulator`](verdict_core::accumulate::Accumulator)) and per-example records on disk → finish the report from them.
//!
//! Batches are parsed and scored in parallel but folded in expected-file order, and every sum
//! is an integer count, so the report is the same for any thread count and, merged from
//! shards, the same as a single run. Memory holds the sums, a slot per prediction and a few
//! words per example, never the inputs.

use std::path::{Path, PathBuf};

use crate::Progress;

use verdict_core::error::{Error, Result};
use verdict_core::output::OutputDir;

mod finish;
mod records;
mod request;
pub mod shard;
mod stream;

pub use finish::{Scored, build_report, finish, layout};
pub use records::{ExampleLines, LINES_FILE, LineOrder, Part, RECORDS_FILE};
pub use request::{ScoreRequest, Shard, WholeRun, load_spec};
use request::{input_sizes, load_spec_and_texts};
pub use stream::score_part;

/// Runs the whole pipeline and returns the report, without writing anything.
pub fn score(request: &ScoreRequest, progress: &dyn Progress) -> Result<Scored> {
    let (spec, schema) = load_spec(request)?;
    let pool = pool(request.threads)?;
    let work = verdict_core::files::ScratchDir::new(None)?;
    // The expected file's digest is read on a thread of its own beside the scoring, which
    // reads the same bytes (from the page cache, once either has read them).
    let stop = std::sync::atomic::AtomicBool::new(false);
    let expected = [(request.expected.clone(), 0)];
    let (part, digest) = std::thread::scope(|scope| {
        let digest = scope.spawn(|| crate::score::shard::digest_inputs(&expected, &stop));
        let part =
            pool.install(|| score_part(request, &spec, schema.as_ref(), work.path(), progress));
        if part.is_err() {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let digest = digest
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (part, digest)
    });
    let part = part?;
    let digest = digest?.remove(0).sha256;
    let mut scored = finish(request, &spec, &mut [part], &pool, progress, digest)?;
    progress.finish();
    scored._work = Some(work);
    Ok(scored)
}

/// Scores one shard of a run and writes its partial state into `out`, as one set: an earlier
/// part there stays whole until this one is complete.
pub fn score_shard(request: &ScoreRequest, out: &Path) -> Result<PathBuf> {
    // The texts recorded are the texts scored with: the merge rebuilds the spec from them.
    let (spec, schema, (spec_text, schema_text)) = load_spec_and_texts(request)?;
    let pool = pool(request.threads)?;
    let mut out = OutputDir::lock(out)?;
    out.check(&crate::score::shard::PART_FILES)?;
    // Inside `out`, so the finished files are renamed into place, never copied.
    let work = verdict_core::files::ScratchDir::new(Some(out.path()))?;
    // The files and their sizes as the shard begins; their digests are read beside the
    // scoring. A scoring error is reported before anything of theirs, as it would be without
    // them, and stops the digests.
    let listed = input_sizes(request, None);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (part, digests) = std::thread::scope(|scope| {
        let digests = listed
            .as_ref()
            .ok()
            .map(|files| scope.spawn(|| crate::score::shard::digest_inputs(files, &stop)));
        let part = pool.install(|| score_part(request, &spec, schema.as_ref(), work.path(), &()));
        if part.is_err() {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let digests = digests.map(|thread| {
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (part, digests)
    });
    let part = part?;
    let (listed, digests) = match (listed, digests) {
        (Ok(listed), Some(digests)) => (listed, digests?),
        // The files could not be listed or sized when the shard began, yet were scored.
        (Err(e), _) => {
            let path = request.predictions.first().unwrap_or(&request.expected);
            return Err(Error::Path {
                path: path.clone(),
                message: format!(
                    "changed while the shard was scored (when it began: {e}): score the shard again on files that stay as they are"
                ),
            });
        }
        (Ok(_), None) => unreachable!("the digests are read whenever the files were listed"),
    };
    crate::score::shard::check_unchanged(&listed, &part.inputs, &digests)?;
    let settings = crate::score::shard::Settings::new(request, spec_text, schema_text, digests);
    let mut set = out.stage(&crate::score::shard::PART_FILES)?;
    let path = crate::score::shard::write_part(&mut set, settings, &part)?;
    set.commit()?;
    Ok(path)
}

/// Finishes a run from the partial states of all its shards.
pub fn merge(dirs: &[PathBuf], whole_run: WholeRun) -> Result<Scored> {
    let pool = pool(whole_run.threads)?;
    let (request, spec, mut parts, expected_sha256) =
        pool.install(|| crate::score::shard::load_parts(dirs, whole_run))?;
    let scored = finish(&request, &spec, &mut parts, &pool, &(), expected_sha256)?;
    Ok(scored)
}

fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        pool = pool.num_threads(n);
    }
    pool.build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))
}

/// The files of a run's report set, in the order they are written: the record of its inputs
/// first, so that a report.json is never beside an older run's.
pub fn report_set() -> Vec<&'static str> {
    [
        crate::outdir::INPUTS_FILE,
        verdict_core::paired::REPLICATES_FILE,
    ]
    .into_iter()
    .chain(verdict_report::REPORT_FILES)
    .collect()
}

/// Writes a finished run's files into `set` (named by [`report_set`]) and returns
/// report.json's path; `examples` writes the per-example lines into the file it is given
/// (the binary counts them for its progress bar).
pub fn stage_run(
    set: &mut verdict_core::output::Staged<'_>,
    scored: &Scored,
    examples: &mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<PathBuf> {
    set.write(crate::outdir::INPUTS_FILE, &format!("{}\n", scored.located))?;
    // Not written with --bootstrap 0: the commit then removes an earlier run's, which would
    // pair the wrong weights.
    if let Some(replicates) = &scored.replicates {
        let bytes = replicates.to_bytes();
        set.write_with(verdict_core::paired::REPLICATES_FILE, &mut |w| {
            w.write_all(&bytes)
        })?;
    }
    verdict_report::write_all(set, &scored.report, examples)
}
