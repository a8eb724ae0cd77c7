//! Generates the Rust bindings for the wire contract with the pure-Rust
//! `protox` compiler (no `protoc` binary needed) and `tonic-prost-build`.

use std::path::Path;

const PROTO_DIR: &str = ".";
const PROTOS: [&str; 3] = [
    "tfplugin6.proto",
    "grpc_controller.proto",
    "grpc_stdio.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!(
            "cargo:rerun-if-changed={}",
            Path::new(PROTO_DIR).join(proto).display()
        );
    }
    println!("cargo:rerun-if-changed=build.rs");

    let fds = protox::compile(PROTOS, [PROTO_DIR])?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .generate_default_stubs(true)
        // Ordered maps make every response we encode byte-identical for the same input.
        .btree_map(".")
        .compile_fds(fds)?;

    Ok(())
}
