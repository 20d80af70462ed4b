//! Fuzz target `classify`: see `verdict::fuzzing::classify` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict::fuzzing::classify(data));
