//! End-to-end tests: the real `verdict` binary on fixtures. One test binary for the whole
//! suite, to keep link time down on small CI machines.

mod errors;
mod harness;
mod reference;
mod sample;
mod score;
