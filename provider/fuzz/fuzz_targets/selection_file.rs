//! `portmatrix --selection FILE` (TOML and JSON), expanded and rendered by every target.
//! The checks are in `portmatrix::fuzzing::selection_file`, which the test suite replays on this target's corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| portmatrix::fuzzing::selection_file(data));
