//! A user catalog document (`user_catalogs`): parsed, validated, expanded and rendered by every target.
//! The checks are in `portmatrix::fuzzing::user_catalog`, which the test suite replays on this target's corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| portmatrix::fuzzing::user_catalog(data));
