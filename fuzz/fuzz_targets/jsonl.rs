//! Fuzz target `jsonl`: see `verdict::fuzzing::jsonl` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| verdict::fuzzing::jsonl(data));
