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

use target::Target;

/// Every tier-based target, in the order `--help` lists them. Here rather than beside [`Target`], which the
/// targets implement: the list depends on every target, the trait on none.
pub fn all() -> [&'static dyn Target; 6] {
    [
        &aws::AwsTarget,
        &gcp::GcpTarget,
        &azure::AzureTarget,
        &openstack::OpenStackTarget,
        &hcloud::HcloudTarget,
        &nftables::NftablesTarget,
    ]
}
