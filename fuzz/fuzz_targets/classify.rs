//! Fuzz target `classify`: see `verdict_input::fuzzing::classify` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict_input::fuzzing::classify(data));
