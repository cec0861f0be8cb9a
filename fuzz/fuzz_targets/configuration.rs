//! cargo-fuzz target: `autoorder::fuzzing::configuration` (docs/FUZZING.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| autoorder::fuzzing::configuration(data));
