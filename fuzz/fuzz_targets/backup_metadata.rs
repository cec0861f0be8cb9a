//! cargo-fuzz target: `autoorder::fuzzing::backup_metadata` (docs/FUZZING.md).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| autoorder::fuzzing::backup_metadata(data));
