//! Fuzz target `player`: see `verdict::fuzzing::player` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict::fuzzing::player(data));
