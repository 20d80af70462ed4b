//! Fuzz target `spec`: see `verdict_input::fuzzing::spec` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict_input::fuzzing::spec(data));
