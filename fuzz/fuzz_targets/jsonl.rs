//! Fuzz target `jsonl`: see `verdict_input::fuzzing::jsonl` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict_input::fuzzing::jsonl(data));
