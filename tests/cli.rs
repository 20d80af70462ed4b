//! End-to-end tests: the real `verdict` binary on fixtures. One test binary for the whole
//! suite, to keep link time down on small CI machines.

mod all_or_nothing;
mod bad_inputs;
mod bounds;
mod browser;
mod command_line;
mod compare;
mod contract;
mod curves;
mod curves_exports;
mod errors;
mod exact_gates;
mod harness;
mod hostile_output;
mod intervals;
mod labels;
mod layering;
mod long_lines;
mod no_answer;
mod nothing_lost;
mod openai_shapes;
mod out_dir;
mod paired;
mod providers;
mod reference;
mod reports;
mod requests;
mod sample;
mod schema_limits;
mod score;
mod shard;
mod spec_values;
mod test_sets;
mod validate;
