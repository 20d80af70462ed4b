//! Fuzz target `time`: see `verdict::fuzzing::time` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict::fuzzing::time(data));
