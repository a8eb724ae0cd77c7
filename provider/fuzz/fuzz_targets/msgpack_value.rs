//! The gRPC server's configuration decoders (msgpack and JSON) on every schema, then validation and read.
//! The checks are in `portmatrix::fuzzing::msgpack_value`, which the test suite replays on this target's corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| portmatrix::fuzzing::msgpack_value(data));
