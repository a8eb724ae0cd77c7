//! Wire contract of the portmatrix provider.
//!
//! This crate holds only the protobuf definitions Terraform speaks to a
//! provider plugin and the Rust code generated from them (messages, gRPC
//! clients and servers). It knows nothing about ports, matrices or any other
//! provider logic; that lives in the `provider` crate.
//!
//! Services with `generate_default_stubs` enabled: every RPC has a default
//! implementation returning `UNIMPLEMENTED`, so implementers override only
//! what they support. Streaming RPCs then return `BoxStream<T>`.

/// Terraform plugin protocol 6.10 (`package tfplugin6`): the `Provider`
/// service and all of its request/response messages.
// Generated from the .proto files, whose comments document only some of the fields.
#[allow(missing_docs)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// go-plugin's internal services (`package plugin`): `GRPCController`
/// (graceful `Shutdown`) and `GRPCStdio` (stdout/stderr streaming).
// Generated from the .proto files, whose comments document only some of the fields.
#[allow(missing_docs)]
pub mod plugin {
    tonic::include_proto!("plugin");
}
