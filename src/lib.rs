//! verdict scores a model's structured (JSON) outputs against expected outputs.
//!
//! The pipeline, one module per step, with a plain data type between steps:
//! [`input`] reads and joins the files → [`validity`] parses each output (with [`repair`]) →
//! [`schema`] checks it → [`score`] runs the steps over every example and aggregates →
//! [`report`] renders and writes the result. [`curves`] reads tuning-job metrics exports and
//! diagnoses the loss curves. The library never prints; the `verdict` binary owns the terminal.

#![warn(clippy::print_stdout, clippy::print_stderr, missing_docs)]

pub mod accumulate;
pub mod anls;
pub mod compare;
pub mod curves;
pub mod error;
pub mod events;
pub mod fields;
pub mod fuzzing;
pub mod gate;
#[cfg(test)]
mod hostile;
pub mod input;
pub mod matching;
pub mod metrics;
pub mod objects;
pub mod outcome;
#[cfg(test)]
mod properties;
pub mod repair;
pub mod report;
pub mod resample;
pub mod rng;
pub mod schema;
pub mod score;
pub mod shard;
pub mod spec;
pub mod spill;
pub mod synth;
pub mod validate;
pub mod validity;
