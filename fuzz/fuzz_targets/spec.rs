//! Fuzz target `spec`: see `verdict::fuzzing::spec` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict::fuzzing::spec(data));
