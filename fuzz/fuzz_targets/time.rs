//! Fuzz target `time`: see `verdict_input::fuzzing::time` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict_input::fuzzing::time(data));
