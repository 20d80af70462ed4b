//! Fuzz target `line_shape`: see `verdict_input::fuzzing::line_shape` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict_input::fuzzing::line_shape(data));
