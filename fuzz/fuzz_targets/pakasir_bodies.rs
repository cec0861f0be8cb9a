//! cargo-fuzz target: `autoorder::fuzzing::pakasir_bodies` (docs/FUZZING.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| autoorder::fuzzing::pakasir_bodies(data));
