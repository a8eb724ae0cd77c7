//! A structured selection of the built-in catalog, expanded and rendered twice by every target.
//! The checks are in `portmatrix::fuzzing::writers`, which the test suite replays on this target's corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| portmatrix::fuzzing::writers(data));
