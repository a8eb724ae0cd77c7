//! Declarative schemas for data sources and the provider block: building
//! them, checking them against Terraform's own schema rules, completing
//! values against them, and converting them to protocol messages.

mod block;
mod config;
mod path;
mod proto;
mod validate;

pub use block::{Attribute, AttributeMode, Block, NestedBlock, Nesting, Schema};
pub use config::{reject_null_elements, reject_unconfigurable};
pub use path::{AttributePath, PathStep};
