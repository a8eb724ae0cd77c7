//! What decoding collections means in both wire encodings: an error from inside an element or entry takes the step
//! to it as it returns ([`CodecError::within`]), so a value decoded without error builds no path, and a map's or
//! object's entries are checked alike.

use std::collections::BTreeMap;

use super::{CodecError, CtyType, PathStep, Value};

/// Decodes the elements of a list, set or tuple, one `decode` of each item in turn.
pub(super) fn decode_indexed<I>(
    items: impl IntoIterator<Item = I>,
    mut decode: impl FnMut(I) -> Result<Value, CodecError>,
) -> Result<Vec<Value>, CodecError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| decode(item).map_err(|e| e.within(PathStep::ElementKeyInt(i as i64))))
        .collect()
}

/// What the entries of a map or object are decoded as.
#[derive(Clone, Copy)]
pub(super) enum Entries<'t> {
    /// A map's elements, all of one type.
    Map(&'t CtyType),
    /// An object's attributes, each of its own type.
    Object(&'t BTreeMap<String, CtyType>),
}

/// The entries of one map or object, decoded one at a time as the encoding reads them.
pub(super) struct EntryDecoder<'t> {
    into: Entries<'t>,
    decoded: BTreeMap<String, Value>,
}

impl<'t> EntryDecoder<'t> {
    /// A map's or object's entries, none decoded yet.
    pub(super) fn new(into: Entries<'t>) -> Self {
        EntryDecoder {
            into,
            decoded: BTreeMap::new(),
        }
    }

    /// Decodes the entry `key` with `decode`, given the entry's type: an attribute the object type lacks and a key
    /// given twice fail.
    pub(super) fn entry(
        &mut self,
        key: String,
        decode: impl FnOnce(&CtyType) -> Result<Value, CodecError>,
    ) -> Result<(), CodecError> {
        let (ty, duplicate, step): (_, _, fn(String) -> PathStep) = match self.into {
            Entries::Map(ety) => (Some(ety), "duplicate map key", PathStep::ElementKeyString),
            Entries::Object(atys) => (atys.get(&key), "duplicate attribute", PathStep::Attribute),
        };
        let Some(ty) = ty else {
            return Err(CodecError::here("unsupported attribute").within(step(key)));
        };
        if self.decoded.contains_key(&key) {
            return Err(CodecError::here(duplicate).within(step(key)));
        }
        match decode(ty) {
            Ok(value) => {
                self.decoded.insert(key, value);
                Ok(())
            }
            Err(error) => Err(error.within(step(key))),
        }
    }

    /// The entries decoded.
    pub(super) fn finish(self) -> BTreeMap<String, Value> {
        self.decoded
    }
}
