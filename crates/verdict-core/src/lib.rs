//! The bottom of verdict: the types every stage shares and the per-example judges.
//!
//! What a run is judged by: the spec ([`spec`]), errors and their locations ([`error`]); how
//! one output is read ([`validity`], [`repair`]), checked ([`schema`]) and scored against its
//! expected value ([`example`], built on [`events`], [`matching`], [`fields`], [`objects`],
//! [`anls`] and [`outcome`]); how scores add up ([`accumulate`], [`counts`], [`metrics`]), how
//! uncertain they are ([`resample`], [`compare`]) and whether they pass ([`gate`]).
//!
//! May depend on: no other verdict crate. Everything else (input, report, curves, engine, the
//! binary) builds on this one. No file I/O but scratch space ([`files`]) and the output
//! directory ([`output`]); nothing prints.

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr, missing_docs)]

pub mod accumulate;
pub mod anls;
pub mod bounded;
pub mod compare;
pub mod counts;
pub mod coverage;
pub mod error;
pub mod events;
pub mod example;
pub mod fields;
pub mod files;
pub mod gate;
pub mod joining;
pub mod matching;
pub mod metrics;
pub mod objects;
pub mod outcome;
pub mod output;
pub mod paired;
pub mod poisson;
pub mod quote;
pub mod repair;
pub mod resample;
pub mod rng;
pub mod schema;
pub mod spec;
pub mod summary;
pub mod tools;
pub mod validity;
