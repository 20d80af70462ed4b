//! Fuzz target `repair`: see `verdict_input::fuzzing::repair` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict_input::fuzzing::repair(data));
