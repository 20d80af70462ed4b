//! Fuzz target `repair`: see `verdict::fuzzing::repair` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict::fuzzing::repair(data));
