//! Targets: an engine [`Expansion`](crate::engine::Expansion) shaped for the resources of one platform's
//! firewall. Pure Rust, like the engine: no Terraform types here.

pub mod aws;
