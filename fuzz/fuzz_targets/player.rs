//! Fuzz target `player`: see `verdict_input::fuzzing::player` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict_input::fuzzing::player(data));
