//! portmatrix: Kubernetes platform port tables as data, and a Terraform provider that expands them into rules.
//!
//! Layers, from the wire inwards:
//! - [`plugin`]: go-plugin transport (handshake, AutoMTLS, lifecycle, logging); knows nothing of ports.
pub(crate) mod audit;
pub mod catalog;
pub mod cli;
pub mod cty;
pub mod datasources;
pub mod diagnostics;
pub mod engine;
#[doc(hidden)]
pub mod fuzzing;
pub mod output_shape;
pub mod plugin;
pub mod provider_config;
pub(crate) mod review;
pub mod schema;
pub mod server;
pub(crate) mod spelled;
pub mod targets;
pub mod terraform_terms;
#[cfg(test)]
mod test_support;
