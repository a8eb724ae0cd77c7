//! Targets: an engine [`Expansion`](crate::engine::Expansion) shaped for the resources of one platform's
//! firewall. Pure Rust, like the engine: no Terraform types here.

pub mod aws;
pub mod azure;
pub mod common;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod gcp;
pub(crate) mod hcloud;
pub(crate) mod kubernetes_network_policies;
pub mod nftables;
pub mod openstack;
pub mod target;
