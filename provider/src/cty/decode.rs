//! What decoding collections means in both wire encodings: the path steps through each element or entry as go-cty's
//! does, and a map's or object's entries are checked alike. `decode` is the encoding's own decoder of one value.

use std::collections::BTreeMap;

use super::{AttributePath, CodecError, CtyType, PathStep, Value};

/// Decodes the elements of a list, set or tuple, each with its type, the path stepping through their indexes.
pub(super) fn decode_indexed<'t, I>(
    items: impl ExactSizeIterator<Item = (&'t CtyType, I)>,
    path: &mut AttributePath,
    decode: impl Fn(&CtyType, I, &mut AttributePath) -> Result<Value, CodecError>,
) -> Result<Vec<Value>, CodecError> {
    let mut out = Vec::with_capacity(items.len());
    for (i, (ty, item)) in items.enumerate() {
        path.push(PathStep::ElementKeyInt(i as i64));
        out.push(decode(ty, item, path)?);
        path.pop();
    }
    Ok(out)
}

/// Decodes the elements of a list or set, all of type `ety`.
pub(super) fn decode_elements<I>(
    ety: &CtyType,
    items: Vec<I>,
    path: &mut AttributePath,
    decode: impl Fn(&CtyType, I, &mut AttributePath) -> Result<Value, CodecError>,
) -> Result<Vec<Value>, CodecError> {
    decode_indexed(items.into_iter().map(|item| (ety, item)), path, decode)
}

/// What the entries of a map or object are decoded as.
#[derive(Clone, Copy)]
pub(super) enum Entries<'t> {
    /// A map's elements, all of one type.
    Map(&'t CtyType),
    /// An object's attributes, each of its own type.
    Object(&'t BTreeMap<String, CtyType>),
}

/// Decodes the entries of a map or object: `key` reads each key (`None`: not text, which fails with `key_error`);
/// an attribute the object type lacks and a key given twice fail too. The path does not step through the entries:
/// an error from inside one gets its step as it returns (an object's many attributes cost no copy of their names).
pub(super) fn decode_entries<K, I>(
    into: Entries<'_>,
    entries: impl IntoIterator<Item = (K, I)>,
    key: impl Fn(K) -> Option<String>,
    key_error: &str,
    path: &mut AttributePath,
    decode: impl Fn(&CtyType, I, &mut AttributePath) -> Result<Value, CodecError>,
) -> Result<BTreeMap<String, Value>, CodecError> {
    let mut out = BTreeMap::new();
    let depth = path.len();
    for (raw_key, item) in entries {
        let key = key(raw_key).ok_or_else(|| CodecError::new(path, key_error))?;
        let (ty, duplicate) = match into {
            Entries::Map(ety) => (Some(ety), "duplicate map key"),
            Entries::Object(atys) => (atys.get(&key), "duplicate attribute"),
        };
        let step = |key: &str| match into {
            Entries::Map(_) => PathStep::ElementKeyString(key.to_string()),
            Entries::Object(_) => PathStep::Attribute(key.to_string()),
        };
        let at_entry = |message: &str| {
            let mut at = path.clone();
            at.push(step(&key));
            CodecError::new(&at, message)
        };
        let ty = ty.ok_or_else(|| at_entry("unsupported attribute"))?;
        if out.contains_key(&key) {
            return Err(at_entry(duplicate));
        }
        let value = decode(ty, item, path).map_err(|mut error| {
            error.path.insert(depth, step(&key));
            error
        })?;
        out.insert(key, value);
    }
    Ok(out)
}
