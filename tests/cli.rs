//! End-to-end tests: the real `verdict` binary on fixtures. One test binary for the whole
//! suite, to keep link time down on small CI machines.

mod bad_inputs;
mod browser;
mod compare;
mod contract;
mod curves;
mod errors;
mod exact_gates;
mod harness;
mod hostile_output;
mod labels;
mod layering;
mod nothing_lost;
mod out_dir;
mod reference;
mod reports;
mod sample;
mod score;
mod shard;
mod spec_values;
mod test_sets;
mod validate;
