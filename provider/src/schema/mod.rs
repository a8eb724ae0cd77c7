//! Declarative schemas for data sources and the provider block: building
//! them, checking them against Terraform's own schema rules, completing
//! values against them, and converting them to protocol messages.

mod block;
mod config;
mod proto;
mod validate;

pub use block::{Attribute, AttributeMode, Block, NestedBlock, Nesting, Schema};
pub(crate) use config::{reject_null_elements, reject_unconfigurable};
