//! cargo-fuzz target: `autoorder::fuzzing::callback_data` (docs/FUZZING.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| autoorder::fuzzing::callback_data(data));
