//! cargo-fuzz target: `autoorder::fuzzing::catalog` (docs/FUZZING.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| autoorder::fuzzing::catalog(data));
