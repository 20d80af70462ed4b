//! The runs of verdict over files: `score` (streamed, sharded or whole), `merge`, `compare`'s
//! reading of run directories and `validate`.
//!
//! The pipeline of a score run: `verdict-input` reads and joins the files → the judges of
//! `verdict-core` score each example ([`verdict_core::example`]) and the accumulator adds them
//! up → [`score`] finishes the totals into a `verdict-report` [`Report`](verdict_report::Report)
//! and writes it with [`examples`]' per-example lines. Progress is reported through the
//! [`Progress`] trait, so the library never prints; the command line (`verdict-cli`) owns the
//! terminal.
//!
//! May depend on: `verdict-core`, `verdict-input` and `verdict-report`. Only the command line
//! (`verdict-cli`), the Python bindings and the root package depend on this crate.

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr, missing_docs)]

pub mod comparing;
pub mod examples;
pub mod outdir;
#[cfg(test)]
mod properties;
pub mod runs;
pub mod score;
pub mod validate;

/// A stage of a score run, in the order a run goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Indexing the prediction files; measured in bytes of those files.
    ReadingPredictions,
    /// Joining and scoring the expected examples; measured in examples. The total is the
    /// number of predictions indexed, which is the number of examples in a run where every
    /// example has its prediction: a display may grow it when more examples come.
    Scoring,
    /// Reading the per-example records back from the scratch files, for intervals, a
    /// paired baseline, the timing-bias re-match or a merge; measured in examples.
    ReadingRecords,
    /// The bootstrap's confidence intervals; measured in replicates.
    Intervals,
}

/// Where a long run reports how far it got. The binary draws a progress bar from it; the
/// library calls it from worker threads, so it must be `Sync`.
pub trait Progress: Sync {
    /// A phase begins, with `total` units of work ahead (its unit is the phase's). Later
    /// [`advance`](Progress::advance) calls count in that unit until the next phase.
    fn phase(&self, _phase: Phase, _total: u64) {}
    /// `done` more units of the current phase were done.
    fn advance(&self, done: u64);
    /// The run is over; a bar can be cleared.
    fn finish(&self) {}
}

/// No progress display.
impl Progress for () {
    fn advance(&self, _done: u64) {}
}
