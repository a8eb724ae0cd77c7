//! `portmatrix review` on a `terraform show -json` plan, in every output format.
//! The checks are in `portmatrix::fuzzing::review_plan`, which the test suite replays on this target's corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| portmatrix::fuzzing::review_plan(data));
