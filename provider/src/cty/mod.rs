//! Typed cty values and their wire encodings (msgpack, JSON), driven by the
//! schema's type the way go-cty's `cty/msgpack` and `cty/json` do it.
//!
//! This is the protocol layer's value model: it knows Terraform's type
//! system and `DynamicValue` bytes, and nothing about what the values mean.

mod decode;
mod deserialize;
mod json;
mod msgpack;
mod path;
mod serialize;
mod types;
mod value;

use std::fmt;

pub(crate) use deserialize::from_value;
pub(crate) use json::{decode_json, typed_from_serde};
pub use msgpack::{decode_msgpack, encode_msgpack};
pub use path::{AttributePath, PathStep};
pub(crate) use serialize::{encode_attributes, encode_object, EncodedAttributes};
pub use types::CtyType;
pub use value::{Number, NumberError, Refinements, Value};

/// A value that could not be encoded or decoded, and where in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CodecError {
    /// Where in the value the problem is (empty: the value as a whole).
    pub path: AttributePath,
    /// What is wrong, in cty terms.
    pub message: String,
}

impl CodecError {
    /// An error in the value at hand; the steps to it are put first as the error returns ([`CodecError::within`]).
    pub(crate) fn here(message: impl Into<String>) -> Self {
        CodecError {
            path: AttributePath::root(),
            message: message.into(),
        }
    }

    /// The error, found inside the part `step` leads to: its path with `step` put first.
    pub(crate) fn within(mut self, step: PathStep) -> Self {
        self.path.prepend(step);
        self
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A cty type's JSON form that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid type: {message}")]
pub(crate) struct TypeError {
    /// What is wrong.
    pub message: String,
}

impl TypeError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        TypeError {
            message: message.into(),
        }
    }
}
