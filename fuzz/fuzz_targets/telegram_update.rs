//! cargo-fuzz target: `autoorder::fuzzing::telegram_update` (docs/FUZZING.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| autoorder::fuzzing::telegram_update(data));
