//! Fuzz target `line_limit`: see `verdict_input::fuzzing::line_limit` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict_input::fuzzing::line_limit(data));
