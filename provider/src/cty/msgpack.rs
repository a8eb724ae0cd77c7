//! The msgpack form of `DynamicValue`, following go-cty's `cty/msgpack`
//! (marshal.go, unmarshal.go, unknown.go, dynamic.go).

use std::collections::BTreeMap;
use std::fmt;

use rmp::Marker;
use rmpv::Value as Raw;

use super::decode::{decode_indexed, Entries, EntryDecoder};
use super::value::WireNumber;
use super::{CodecError, CtyType, Number, PathStep, Refinements, Value};

/// Extension type of a refined unknown (go-cty `unknownWithRefinementsExt`).
const REFINED_UNKNOWN_EXT: i8 = 0x0c;
/// go-cty ignores refinement payloads larger than this as abusive.
const MAX_REFINEMENT_PAYLOAD: usize = 1024;
/// How deep values may nest, far more than any schema: it bounds the decoder's recursion on hostile input (a
/// dynamic value may hold another dynamic value, as deep as it likes). 1024 overflowed a 2 MiB thread stack in
/// debug builds.
const MAX_DEPTH: usize = 128;

const KEY_NULLNESS: i64 = 1;
const KEY_STRING_PREFIX: i64 = 2;
const KEY_NUMBER_MIN: i64 = 3;
const KEY_NUMBER_MAX: i64 = 4;
const KEY_LENGTH_MIN: i64 = 5;
const KEY_LENGTH_MAX: i64 = 6;

/// Decodes msgpack bytes as a value of type `ty`, reading them once, straight into the value.
///
/// Every msgpack extension decodes as an unknown; refinements are read from
/// go-cty's type-12 payload where they parse and apply to `ty`, and are
/// otherwise dropped (the value stays unknown, never an error).
pub fn decode_msgpack(ty: &CtyType, bytes: &[u8]) -> Result<Value, CodecError> {
    let mut cursor = Cursor {
        rest: bytes,
        depth: 0,
    };
    let value = cursor.value(ty)?;
    if !cursor.rest.is_empty() {
        return Err(CodecError::here("unexpected bytes after the msgpack value"));
    }
    Ok(value)
}

/// Encodes `value` as msgpack of type `ty`, byte for byte as go-cty would.
///
/// The value must conform to the type: an object needs exactly the type's
/// attributes (absent ones as explicit [`Value::Null`]), and a `dynamic`
/// slot needs a [`Value::Dynamic`], a null or an unrefined unknown.
pub fn encode_msgpack(ty: &CtyType, value: &Value) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    write_value(&mut out, ty, value)?;
    Ok(out)
}

/// An attribute written as null.
pub(super) fn write_nil_attribute(out: &mut Vec<u8>, name: &str) -> Result<(), CodecError> {
    written(rmp::encode::write_str(out, name))?;
    written(rmp::encode::write_nil(out))
}

/// A number, in the form go-cty writes it.
pub(super) fn write_number(out: &mut Vec<u8>, number: &Number) -> Result<(), CodecError> {
    let raw = encode_number(number).map_err(CodecError::here)?;
    written(rmpv::encode::write_value(out, &raw))
}

/// A write into memory; it fails only when memory does, which is not worth a path.
pub(super) fn written<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<(), CodecError> {
    result
        .map(|_| ())
        .map_err(|e| CodecError::here(format!("msgpack write failed: {e}")))
}

/// How an array's, map's or text's header is written, given its length (`rmp::encode::write_array_len`,
/// `write_map_len`, `write_str_len`).
pub(super) type Header = fn(&mut Vec<u8>, u32) -> Result<rmp::Marker, rmp::encode::ValueWriteError>;

/// The header of an array or map of `len` entries, or of a text of `len` bytes.
pub(super) fn write_len(out: &mut Vec<u8>, len: usize, header: Header) -> Result<(), CodecError> {
    let len = u32::try_from(len).map_err(|_| CodecError::here("more than 2^32 elements"))?;
    written(header(out, len))
}

/// Writes `value` as msgpack of type `ty` straight into `out`.
pub(super) fn write_value(
    out: &mut Vec<u8>,
    ty: &CtyType,
    value: &Value,
) -> Result<(), CodecError> {
    match (ty, value) {
        (_, Value::Null) => written(rmp::encode::write_nil(out)),
        (_, Value::Unknown(r)) => {
            let raw = encode_unknown(ty, r).map_err(CodecError::here)?;
            written(rmpv::encode::write_value(out, &raw))
        }
        (CtyType::Dynamic, Value::Dynamic { ty: inner, value }) => {
            if *inner == CtyType::Dynamic {
                return Err(CodecError::here("a dynamic value needs a concrete type"));
            }
            write_len(out, 2, rmp::encode::write_array_len)?;
            written(rmp::encode::write_bin(out, &inner.to_json_bytes()))?;
            write_value(out, inner, value)
        }
        (CtyType::Bool, Value::Bool(b)) => written(rmp::encode::write_bool(out, *b)),
        (CtyType::Number, Value::Number(n)) => write_number(out, n),
        (CtyType::String, Value::String(s)) => written(rmp::encode::write_str(out, s)),
        (CtyType::List(ety), Value::List(items)) | (CtyType::Set(ety), Value::Set(items)) => {
            write_len(out, items.len(), rmp::encode::write_array_len)?;
            for (i, item) in items.iter().enumerate() {
                write_value(out, ety, item)
                    .map_err(|e| e.within(PathStep::ElementKeyInt(i as i64)))?;
            }
            Ok(())
        }
        (CtyType::Map(ety), Value::Map(entries)) => {
            write_len(out, entries.len(), rmp::encode::write_map_len)?;
            for (k, v) in entries {
                written(rmp::encode::write_str(out, k))?;
                write_value(out, ety, v)
                    .map_err(|e| e.within(PathStep::ElementKeyString(k.clone())))?;
            }
            Ok(())
        }
        (CtyType::Object(atys), Value::Object(attrs)) => {
            if let Some(extra) = attrs.keys().find(|k| !atys.contains_key(*k)) {
                return Err(CodecError::here("attribute is not part of the object type")
                    .within(PathStep::Attribute(extra.clone())));
            }
            write_len(out, atys.len(), rmp::encode::write_map_len)?;
            for (name, aty) in atys {
                let at = || PathStep::Attribute(name.clone());
                let v = attrs.get(name).ok_or_else(|| {
                    CodecError::here("attribute is missing (an absent value must be null)")
                        .within(at())
                })?;
                written(rmp::encode::write_str(out, name))?;
                write_value(out, aty, v).map_err(|e| e.within(at()))?;
            }
            Ok(())
        }
        (CtyType::Tuple(etys), Value::Tuple(items)) => {
            if etys.len() != items.len() {
                return Err(CodecError::here(format!(
                    "a tuple of length {} is required ({} given)",
                    etys.len(),
                    items.len()
                )));
            }
            write_len(out, items.len(), rmp::encode::write_array_len)?;
            for (i, (ety, item)) in etys.iter().zip(items).enumerate() {
                write_value(out, ety, item)
                    .map_err(|e| e.within(PathStep::ElementKeyInt(i as i64)))?;
            }
            Ok(())
        }
        (CtyType::Dynamic, _) => Err(CodecError::here(
            "a value in a dynamic slot must carry its type (Value::Dynamic)",
        )),
        (ty, v) => Err(CodecError::here(format!(
            "{ty} is required, found {}",
            kind_name(v)
        ))),
    }
}

/// One msgpack item as its header gives it: a scalar with its data, or an array or map with its number of entries
/// (the entries follow it).
enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    F32(f32),
    F64(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext(i8, &'a [u8]),
}

/// A read position in msgpack bytes, and how deep in nested values it is.
struct Cursor<'a> {
    rest: &'a [u8],
    depth: usize,
}

impl<'a> Cursor<'a> {
    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if n > self.rest.len() {
            return Err(invalid("unexpected end of input"));
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    /// The next `N` bytes as an array, for big-endian numbers.
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// A length of `width` bytes.
    fn len(&mut self, width: usize) -> Result<usize, CodecError> {
        Ok(match width {
            1 => usize::from(u8::from_be_bytes(self.bytes()?)),
            2 => usize::from(u16::from_be_bytes(self.bytes()?)),
            _ => u32::from_be_bytes(self.bytes()?) as usize,
        })
    }

    /// The `n` entries of an array or map, each at least `min_size` bytes: more than the bytes left is an error
    /// here, before any is read, so a forged length costs nothing.
    fn entries(&mut self, n: usize, min_size: usize) -> Result<usize, CodecError> {
        if n.saturating_mul(min_size) > self.rest.len() {
            return Err(invalid("unexpected end of input"));
        }
        Ok(n)
    }

    /// An extension of `len` payload bytes: its type code, then the payload.
    fn ext(&mut self, len: usize) -> Result<Item<'a>, CodecError> {
        let [code] = self.bytes::<1>()?;
        Ok(Item::Ext(code as i8, self.take(len)?))
    }

    /// The next item's header (and a scalar's data).
    fn item(&mut self) -> Result<Item<'a>, CodecError> {
        let [byte] = self.bytes::<1>()?;
        Ok(match Marker::from_u8(byte) {
            Marker::Null => Item::Nil,
            Marker::True => Item::Bool(true),
            Marker::False => Item::Bool(false),
            Marker::FixPos(n) => Item::Int(i64::from(n)),
            Marker::FixNeg(n) => Item::Int(i64::from(n)),
            Marker::U8 => Item::Int(i64::from(u8::from_be_bytes(self.bytes()?))),
            Marker::U16 => Item::Int(i64::from(u16::from_be_bytes(self.bytes()?))),
            Marker::U32 => Item::Int(i64::from(u32::from_be_bytes(self.bytes()?))),
            Marker::U64 => {
                let n = u64::from_be_bytes(self.bytes()?);
                i64::try_from(n).map_or(Item::UInt(n), Item::Int)
            }
            Marker::I8 => Item::Int(i64::from(i8::from_be_bytes(self.bytes()?))),
            Marker::I16 => Item::Int(i64::from(i16::from_be_bytes(self.bytes()?))),
            Marker::I32 => Item::Int(i64::from(i32::from_be_bytes(self.bytes()?))),
            Marker::I64 => Item::Int(i64::from_be_bytes(self.bytes()?)),
            Marker::F32 => Item::F32(f32::from_be_bytes(self.bytes()?)),
            Marker::F64 => Item::F64(f64::from_be_bytes(self.bytes()?)),
            Marker::FixStr(n) => Item::Str(self.take(usize::from(n))?),
            Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                let len = self.len(width(byte, Marker::Str8))?;
                Item::Str(self.take(len)?)
            }
            Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
                let len = self.len(width(byte, Marker::Bin8))?;
                Item::Bin(self.take(len)?)
            }
            Marker::FixArray(n) => Item::Array(self.entries(usize::from(n), 1)?),
            Marker::Array16 | Marker::Array32 => {
                let len = self.len(width(byte, Marker::Array16) * 2)?;
                Item::Array(self.entries(len, 1)?)
            }
            Marker::FixMap(n) => Item::Map(self.entries(usize::from(n), 2)?),
            Marker::Map16 | Marker::Map32 => {
                let len = self.len(width(byte, Marker::Map16) * 2)?;
                Item::Map(self.entries(len, 2)?)
            }
            Marker::FixExt1 => self.ext(1)?,
            Marker::FixExt2 => self.ext(2)?,
            Marker::FixExt4 => self.ext(4)?,
            Marker::FixExt8 => self.ext(8)?,
            Marker::FixExt16 => self.ext(16)?,
            Marker::Ext8 | Marker::Ext16 | Marker::Ext32 => {
                let len = self.len(width(byte, Marker::Ext8))?;
                self.ext(len)?
            }
            Marker::Reserved => return Err(invalid("reserved marker 0xc1")),
        })
    }

    /// The next item as text: a string or UTF-8 bytes (go-cty writes strings as str, and reads bin too).
    fn text(&mut self) -> Result<Option<String>, CodecError> {
        Ok(match self.item()? {
            Item::Str(bytes) | Item::Bin(bytes) => String::from_utf8(bytes.to_vec()).ok(),
            _ => None,
        })
    }

    /// The next value, of type `ty`.
    fn value(&mut self, ty: &CtyType) -> Result<Value, CodecError> {
        if self.depth == MAX_DEPTH {
            return Err(invalid(format!("nested more than {MAX_DEPTH} levels deep")));
        }
        self.depth += 1;
        let value = self.item().and_then(|item| self.typed(ty, item));
        self.depth -= 1;
        value
    }

    /// `item` and what follows it, as a value of type `ty`.
    fn typed(&mut self, ty: &CtyType, item: Item<'a>) -> Result<Value, CodecError> {
        match (ty, item) {
            (ty, Item::Ext(code, payload)) => Ok(decode_unknown(ty, code, payload)),
            (_, Item::Nil) => Ok(Value::Null),
            (CtyType::Bool, Item::Bool(b)) => Ok(Value::Bool(b)),
            (CtyType::Bool, _) => Err(CodecError::here("bool is required")),
            (CtyType::Number, item) => decode_number(item)
                .map(Value::Number)
                .map_err(CodecError::here),
            (CtyType::String, Item::Str(bytes) | Item::Bin(bytes)) => {
                String::from_utf8(bytes.to_vec())
                    .map(Value::String)
                    .map_err(|_| CodecError::here("string is required"))
            }
            (CtyType::String, _) => Err(CodecError::here("string is required")),
            (CtyType::List(ety), Item::Array(n)) => {
                decode_indexed(std::iter::repeat_n(ety, n), |ety| self.value(ety)).map(Value::List)
            }
            (CtyType::List(_), _) => Err(CodecError::here("a list is required")),
            (CtyType::Set(ety), Item::Array(n)) => {
                decode_indexed(std::iter::repeat_n(ety, n), |ety| self.value(ety)).map(Value::Set)
            }
            (CtyType::Set(_), _) => Err(CodecError::here("a set is required")),
            (CtyType::Map(ety), Item::Map(n)) => self
                .entries_of(Entries::Map(ety), n, "map keys must be strings")
                .map(Value::Map),
            (CtyType::Map(_), _) => Err(CodecError::here("a map is required")),
            // go-cty requires the exact attribute count (an empty map would become
            // an empty object that then fails conformance, so it is an error too).
            (CtyType::Object(atys), Item::Map(n)) if n != atys.len() => {
                Err(CodecError::here(format!(
                    "an object with {} attributes is required ({n} given)",
                    atys.len(),
                )))
            }
            (CtyType::Object(atys), Item::Map(n)) => self
                .entries_of(Entries::Object(atys), n, "all keys must be strings")
                .map(Value::Object),
            (CtyType::Object(_), _) => Err(CodecError::here("an object is required")),
            (CtyType::Tuple(etys), Item::Array(n)) if n == etys.len() => {
                decode_indexed(etys, |ety| self.value(ety)).map(Value::Tuple)
            }
            (CtyType::Tuple(etys), _) => Err(CodecError::here(format!(
                "a tuple of length {} is required",
                etys.len()
            ))),
            (CtyType::Dynamic, item) => self.dynamic(item),
        }
    }

    /// The `n` entries of a map or object, each key text (or the error `key_error`).
    fn entries_of(
        &mut self,
        into: Entries<'_>,
        n: usize,
        key_error: &str,
    ) -> Result<BTreeMap<String, Value>, CodecError> {
        let mut decoder = EntryDecoder::new(into);
        for _ in 0..n {
            let key = self.text()?.ok_or_else(|| CodecError::here(key_error))?;
            decoder.entry(key, |ty| self.value(ty))?;
        }
        Ok(decoder.finish())
    }

    /// A value of a dynamic slot: `[type JSON, value]`.
    fn dynamic(&mut self, item: Item<'a>) -> Result<Value, CodecError> {
        match item {
            Item::Array(2) => {}
            Item::Array(_) => {
                return Err(CodecError::here(
                    "dynamic value array must have exactly two elements",
                ))
            }
            _ => {
                return Err(CodecError::here(
                    "dynamic value must be a [type, value] array",
                ))
            }
        }
        // go-cty writes the type as bin; its decoder (DecodeBytes) takes str too.
        let type_json = match self.item()? {
            Item::Bin(bytes) | Item::Str(bytes) => bytes,
            _ => return Err(CodecError::here("dynamic value type must be JSON bytes")),
        };
        let ty =
            CtyType::from_json_bytes(type_json).map_err(|e| CodecError::here(e.to_string()))?;
        let value = self.value(&ty)?;
        Ok(match ty {
            // A dynamic value typed "dynamic" is just the inner dynamic value.
            CtyType::Dynamic => value,
            ty => Value::dynamic(ty, value),
        })
    }
}

/// Bytes that are not msgpack.
fn invalid(message: impl fmt::Display) -> CodecError {
    CodecError::here(format!("invalid msgpack: {message}"))
}

/// The width in bytes of the length after `marker`, the first of a family of three (8, 16 and 32 bits) as `first`.
fn width(marker: u8, first: Marker) -> usize {
    1 << (marker - first.to_u8())
}

/// A number: an integer, a float, or decimal text (go-cty writes numbers too large for the others as text).
fn decode_number(item: Item<'_>) -> Result<Number, String> {
    match item {
        Item::Int(i) => Ok(Number::Int(i)),
        Item::UInt(u) => Ok(Number::UInt(u)),
        Item::F32(f) if f.is_nan() => Err("NaN is not a valid number".to_owned()),
        Item::F32(f) => Ok(Number::Float(f64::from(f))),
        Item::F64(f) if f.is_nan() => Err("NaN is not a valid number".to_owned()),
        Item::F64(f) => Ok(Number::Float(f)),
        Item::Str(bytes) | Item::Bin(bytes) => {
            let text = std::str::from_utf8(bytes).map_err(|_| "number is required")?;
            Number::parse(text).map_err(|e| e.to_string())
        }
        _ => Err("number is required".to_owned()),
    }
}

/// An extension value: always unknown. Zero/one-byte payloads are plain
/// unknowns; a type-12 payload is a map of refinements (unknown.go).
fn decode_unknown(ty: &CtyType, code: i8, payload: &[u8]) -> Value {
    if payload.len() <= 1
        || code != REFINED_UNKNOWN_EXT
        || payload.len() > MAX_REFINEMENT_PAYLOAD
        || *ty == CtyType::Dynamic
    {
        return Value::unknown();
    }
    let mut cursor = Cursor {
        rest: payload,
        depth: 0,
    };
    // go-cty ignores bytes after the map, reserved for future use; a payload that does not parse leaves the
    // value plainly unknown.
    cursor.refined(ty).unwrap_or_else(|_| Value::unknown())
}

impl<'a> Cursor<'a> {
    /// The unknown value of type `ty` that the refinements map here describes: refinements that do not fit `ty`,
    /// and keys from future versions, are passed over.
    fn refined(&mut self, ty: &CtyType) -> Result<Value, CodecError> {
        let Item::Map(n) = self.item()? else {
            return Ok(Value::unknown());
        };
        let mut r = Refinements::default();
        for _ in 0..n {
            let key = match self.item()? {
                Item::Int(key) => Some(key),
                other => self.skip(other).map(|()| None)?,
            };
            let item = self.item()?;
            match (key, ty, &item) {
                // "Definitely null" collapses into a known null, as in go-cty.
                (Some(KEY_NULLNESS), _, Item::Bool(true)) => return Ok(Value::Null),
                (Some(KEY_NULLNESS), _, Item::Bool(false)) => r.not_null = true,
                (
                    Some(KEY_STRING_PREFIX),
                    CtyType::String,
                    &(Item::Str(bytes) | Item::Bin(bytes)),
                ) => {
                    r.string_prefix = String::from_utf8(bytes.to_vec())
                        .ok()
                        .filter(|p| !p.is_empty());
                }
                (
                    Some(key @ (KEY_NUMBER_MIN | KEY_NUMBER_MAX)),
                    CtyType::Number,
                    Item::Array(2),
                ) => {
                    let bound = self.bound()?;
                    if key == KEY_NUMBER_MIN {
                        r.number_lower = bound;
                    } else {
                        r.number_upper = bound;
                    }
                }
                (
                    Some(key @ (KEY_LENGTH_MIN | KEY_LENGTH_MAX)),
                    ty,
                    Item::Int(_) | Item::UInt(_),
                ) if ty.is_collection() => {
                    let n = match item {
                        Item::Int(n) => u64::try_from(n).ok(),
                        Item::UInt(n) => Some(n),
                        _ => None,
                    };
                    if key == KEY_LENGTH_MIN {
                        r.length_lower = n;
                    } else {
                        r.length_upper = n;
                    }
                }
                _ => self.skip(item)?,
            }
        }
        Ok(Value::Unknown(r))
    }

    /// A number bound's two elements: the number and whether it is inclusive.
    fn bound(&mut self) -> Result<Option<(Number, bool)>, CodecError> {
        let number = self.item()?;
        let number = match number {
            Item::Array(_) | Item::Map(_) => self.skip(number).map(|()| None)?,
            item => decode_number(item).ok(),
        };
        Ok(match self.item()? {
            Item::Bool(inclusive) => number.map(|n| (n, inclusive)),
            other => self.skip(other).map(|()| None)?,
        })
    }

    /// Passes over what follows `item`: an array's or map's entries.
    fn skip(&mut self, item: Item<'a>) -> Result<(), CodecError> {
        let entries = match item {
            Item::Array(n) => n,
            Item::Map(n) => n.saturating_mul(2),
            _ => return Ok(()),
        };
        if self.depth == MAX_DEPTH {
            return Err(invalid(format!("nested more than {MAX_DEPTH} levels deep")));
        }
        self.depth += 1;
        for _ in 0..entries {
            let entry = self.item()?;
            self.skip(entry)?;
        }
        self.depth -= 1;
        Ok(())
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown(_) => "unknown",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Set(_) => "set",
        Value::Map(_) => "map",
        Value::Object(_) => "object",
        Value::Tuple(_) => "tuple",
        Value::Dynamic { .. } => "dynamic value",
    }
}

fn encode_number(n: &Number) -> Result<Raw, String> {
    Ok(match n.wire_form()? {
        WireNumber::Int(i) => Raw::from(i),
        WireNumber::Float(f) => Raw::F64(f),
        WireNumber::Text(s) => Raw::from(s),
    })
}

/// go-cty's `marshalUnknownValue`: `d4 00 00` without refinements, else an
/// ext-12 map with the refinements that apply to the type, in key order.
fn encode_unknown(ty: &CtyType, r: &Refinements) -> Result<Raw, String> {
    let misplaced = |what: &str| format!("{what} refinement does not apply to {ty}");
    let mut entries: Vec<(Raw, Raw)> = Vec::new();
    if r.not_null {
        if *ty == CtyType::Dynamic {
            return Err(misplaced("not-null"));
        }
        entries.push((Raw::from(KEY_NULLNESS), Raw::Boolean(false)));
    }
    if let Some(prefix) = &r.string_prefix {
        if *ty != CtyType::String {
            return Err(misplaced("string prefix"));
        }
        if !prefix.is_empty() {
            entries.push((Raw::from(KEY_STRING_PREFIX), Raw::from(prefix.as_str())));
        }
    }
    for (key, bound) in [
        (KEY_NUMBER_MIN, &r.number_lower),
        (KEY_NUMBER_MAX, &r.number_upper),
    ] {
        if let Some((n, inclusive)) = bound {
            if *ty != CtyType::Number {
                return Err(misplaced("number bound"));
            }
            let n = encode_number(n)?;
            entries.push((
                Raw::from(key),
                Raw::Array(vec![n, Raw::Boolean(*inclusive)]),
            ));
        }
    }
    for (key, bound) in [
        (KEY_LENGTH_MIN, r.length_lower),
        (KEY_LENGTH_MAX, r.length_upper),
    ] {
        if let Some(n) = bound {
            if !ty.is_collection() {
                return Err(misplaced("length bound"));
            }
            entries.push((Raw::from(key), Raw::from(n)));
        }
    }
    if entries.is_empty() {
        return Ok(Raw::Ext(0, vec![0]));
    }
    let mut payload = Vec::new();
    rmpv::encode::write_value(&mut payload, &Raw::Map(entries))
        .map_err(|e| format!("msgpack write failed: {e}"))?;
    Ok(Raw::Ext(REFINED_UNKNOWN_EXT, payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(bytes: &[u8]) -> String {
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn unhex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    #[test]
    fn plain_unknown_is_fixext1_type_0() {
        let bytes = encode_msgpack(&CtyType::String, &Value::unknown()).unwrap();
        assert_eq!(hex(&bytes), "d4 00 00");
        assert_eq!(
            decode_msgpack(&CtyType::String, &bytes).unwrap(),
            Value::unknown()
        );
        // An unknown of dynamic type, and refinements on it, stay plain.
        assert_eq!(
            hex(&encode_msgpack(&CtyType::Dynamic, &Value::unknown()).unwrap()),
            "d4 00 00"
        );
    }

    #[test]
    fn refined_unknown_matches_terraform_bytes() {
        // `"pfx-${terraform_data.r.output}"` as sent by Terraform 1.11.4.
        let wire = unhex("c7 09 0c 82 01 c2 02 a4 70 66 78 2d");
        let expected = Value::Unknown(Refinements {
            not_null: true,
            string_prefix: Some("pfx-".into()),
            ..Refinements::default()
        });
        assert_eq!(decode_msgpack(&CtyType::String, &wire).unwrap(), expected);
        assert_eq!(encode_msgpack(&CtyType::String, &expected).unwrap(), wire);
    }

    #[test]
    fn number_and_length_refinements_round_trip() {
        let num = Value::Unknown(Refinements {
            not_null: true,
            number_lower: Some((Number::Int(1), true)),
            number_upper: Some((Number::Float(65535.5), false)),
            ..Refinements::default()
        });
        let bytes = encode_msgpack(&CtyType::Number, &num).unwrap();
        // ext8 len 19, type 12, {1:false, 3:[1,true], 4:[65535.5,false]}
        assert_eq!(
            hex(&bytes),
            "c7 13 0c 83 01 c2 03 92 01 c3 04 92 cb 40 ef ff f0 00 00 00 00 c2"
        );
        assert_eq!(decode_msgpack(&CtyType::Number, &bytes).unwrap(), num);

        let list = Value::Unknown(Refinements {
            length_lower: Some(1),
            length_upper: Some(3),
            ..Refinements::default()
        });
        let ty = CtyType::list(CtyType::String);
        let bytes = encode_msgpack(&ty, &list).unwrap();
        assert_eq!(hex(&bytes), "c7 05 0c 82 05 01 06 03");
        assert_eq!(decode_msgpack(&ty, &bytes).unwrap(), list);
    }

    #[test]
    fn misplaced_refinements_are_dropped_on_decode_and_rejected_on_encode() {
        // {2:"pfx"} sent for a number: go-cty errors, we keep a plain unknown.
        let wire = unhex("c7 06 0c 81 02 a3 70 66 78");
        assert_eq!(
            decode_msgpack(&CtyType::Number, &wire).unwrap(),
            Value::unknown()
        );
        let bad = Value::Unknown(Refinements {
            string_prefix: Some("x".into()),
            ..Refinements::default()
        });
        assert!(encode_msgpack(&CtyType::Number, &bad).is_err());
        assert!(
            encode_msgpack(&CtyType::Dynamic, &Value::Unknown(Refinements::not_null())).is_err()
        );
    }

    #[test]
    fn any_extension_decodes_as_unknown() {
        for wire in [
            "d4 00 00",             // plain
            "d4 05 ff",             // other type, one byte
            "c7 00 0c",             // empty payload
            "c7 03 07 01 02 03",    // unknown type with payload
            "c7 02 0c 91 01",       // refinement payload that isn't a map
            "c7 04 0c 81 63 a1 78", // unknown refinement key 99
            "c7 03 0c 81 01 01",    // nullness not a bool
            "c7 04 0c 81 03 91 01", // malformed number bound
            "d6 0c 81 01 c2 00",    // map followed by padding
        ] {
            let got = decode_msgpack(&CtyType::Number, &unhex(wire)).unwrap();
            assert!(got.is_unknown(), "{wire}: {got:?}");
        }
        // Refinements on a dynamic-typed unknown are ignored, as in go-cty.
        let wire = unhex("c7 03 0c 81 01 c2");
        assert_eq!(
            decode_msgpack(&CtyType::Dynamic, &wire).unwrap(),
            Value::unknown()
        );
        // "definitely null" collapses to null.
        assert_eq!(
            decode_msgpack(&CtyType::Bool, &unhex("c7 03 0c 81 01 c3")).unwrap(),
            Value::Null
        );
    }

    #[test]
    fn null_is_nil() {
        assert_eq!(
            encode_msgpack(&CtyType::Number, &Value::Null).unwrap(),
            vec![0xc0]
        );
        assert_eq!(
            decode_msgpack(&CtyType::list(CtyType::Bool), &[0xc0]).unwrap(),
            Value::Null
        );
    }

    #[test]
    fn numbers_use_go_cty_forms() {
        let cases: Vec<(Number, &str)> = vec![
            (Number::Int(0), "00"),
            (Number::Int(-1), "ff"),
            (Number::Int(-33), "d0 df"),
            (Number::Int(127), "7f"),
            (Number::Int(200), "cc c8"),
            (Number::Int(443), "cd 01 bb"),
            (Number::Int(65535), "cd ff ff"),
            (Number::Int(70000), "ce 00 01 11 70"),
            (Number::Int(i64::MIN), "d3 80 00 00 00 00 00 00 00"),
            (Number::Float(1.5), "cb 3f f8 00 00 00 00 00 00"),
            (Number::Float(8080.0), "cd 1f 90"),
            (Number::Float(f64::INFINITY), "cb 7f f0 00 00 00 00 00 00"),
            (
                Number::UInt(u64::MAX),
                "b4 31 38 34 34 36 37 34 34 30 37 33 37 30 39 35 35 31 36 31 35",
            ),
        ];
        for (n, wire) in cases {
            let bytes = encode_msgpack(&CtyType::Number, &Value::Number(n.clone())).unwrap();
            assert_eq!(hex(&bytes), wire, "{n:?}");
            assert_eq!(
                decode_msgpack(&CtyType::Number, &bytes).unwrap(),
                Value::Number(n)
            );
        }
    }

    #[test]
    fn big_decimal_survives() {
        let text = "123456789012345678901234567890.5";
        let v = Value::Number(Number::Decimal(text.into()));
        let bytes = encode_msgpack(&CtyType::Number, &v).unwrap();
        // str8: 32 bytes of decimal text.
        assert_eq!(bytes[..2], [0xd9, 32]);
        assert_eq!(&bytes[2..], text.as_bytes());
        match decode_msgpack(&CtyType::Number, &bytes).unwrap() {
            Value::Number(Number::Decimal(s)) => assert_eq!(s, text),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decoder_accepts_every_number_encoding() {
        for (wire, expected) in [
            ("cf ff ff ff ff ff ff ff ff", Number::UInt(u64::MAX)),
            ("cc 05", Number::Int(5)),
            ("d1 ff 00", Number::Int(-256)),
            ("ca 3f c0 00 00", Number::Float(1.5)),
            ("cb 3f f8 00 00 00 00 00 00", Number::Float(1.5)),
            ("a3 31 2e 35", Number::Float(1.5)),
            ("a2 2d 31", Number::Int(-1)),
            ("c4 02 34 32", Number::Int(42)),
        ] {
            assert_eq!(
                decode_msgpack(&CtyType::Number, &unhex(wire)).unwrap(),
                Value::Number(expected),
                "{wire}"
            );
        }
    }

    #[test]
    fn nan_is_rejected_both_ways() {
        assert!(encode_msgpack(&CtyType::Number, &Value::Number(Number::Float(f64::NAN))).is_err());
        assert!(decode_msgpack(&CtyType::Number, &unhex("cb 7f f8 00 00 00 00 00 00")).is_err());
        assert!(decode_msgpack(&CtyType::Number, &unhex("ca 7f c0 00 00")).is_err());
        assert!(decode_msgpack(&CtyType::Number, &unhex("a3 4e 61 4e")).is_err());
    }

    fn port_type() -> CtyType {
        CtyType::object([
            ("from_port", CtyType::Number),
            ("protocol", CtyType::String),
            ("description", CtyType::String),
        ])
    }

    #[test]
    fn object_round_trips_with_sorted_keys() {
        let v = Value::object([
            ("protocol", Value::from("tcp")),
            ("from_port", Value::number(9500)),
            ("description", Value::Null),
        ]);
        let bytes = encode_msgpack(&port_type(), &v).unwrap();
        let mut expected = vec![0x83];
        expected.extend([0xab]);
        expected.extend(b"description");
        expected.push(0xc0);
        expected.push(0xa9);
        expected.extend(b"from_port");
        expected.extend([0xcd, 0x25, 0x1c]);
        expected.push(0xa8);
        expected.extend(b"protocol");
        expected.push(0xa3);
        expected.extend(b"tcp");
        assert_eq!(bytes, expected);
        assert_eq!(decode_msgpack(&port_type(), &bytes).unwrap(), v);
    }

    #[test]
    fn object_with_missing_attribute_is_an_error_naming_the_path() {
        let ty = CtyType::object([("rules", CtyType::list(port_type()))]);
        let v = Value::object([(
            "rules",
            Value::List(vec![Value::object([
                ("protocol", Value::from("tcp")),
                ("from_port", Value::number(1)),
            ])]),
        )]);
        let err = encode_msgpack(&ty, &v).unwrap_err();
        assert_eq!(err.path.to_string(), "rules[0].description");
        assert!(err.to_string().starts_with("rules[0].description: "));

        let extra = Value::object([
            ("description", Value::Null),
            ("protocol", Value::Null),
            ("from_port", Value::Null),
            ("zone", Value::Null),
        ]);
        let err = encode_msgpack(&port_type(), &extra).unwrap_err();
        assert_eq!(err.path.to_string(), "zone");

        // Decoding a map that lacks an attribute (5 of 6 given, as in the
        // error Terraform reported): go-cty's count check.
        let short = unhex("82 a8 70 72 6f 74 6f 63 6f 6c c0 a9 66 72 6f 6d 5f 70 6f 72 74 c0");
        let err = decode_msgpack(&port_type(), &short).unwrap_err();
        assert_eq!(
            err.message,
            "an object with 3 attributes is required (2 given)"
        );
        let nested = unhex("81 a5 72 75 6c 65 73 91 80");
        let err = decode_msgpack(&ty, &nested).unwrap_err();
        assert_eq!(err.path.to_string(), "rules[0]");
        assert_eq!(
            err.message,
            "an object with 3 attributes is required (0 given)"
        );
        // Right count, wrong name.
        let wrong = unhex("81 a1 78 c0");
        let err = decode_msgpack(&CtyType::object([("y", CtyType::Bool)]), &wrong).unwrap_err();
        assert_eq!(
            (err.path.to_string().as_str(), err.message.as_str()),
            ("x", "unsupported attribute")
        );
    }

    #[test]
    fn a_decoding_error_deep_inside_names_its_whole_path() {
        let rules = |x: CtyType| {
            CtyType::object([(
                "rules",
                CtyType::list(CtyType::map(CtyType::object([("x", x)]))),
            )])
        };
        let value = Value::object([(
            "rules",
            Value::List(vec![Value::Map(
                [("a".to_string(), Value::object([("x", Value::from("yes"))]))].into(),
            )]),
        )]);
        let bytes = encode_msgpack(&rules(CtyType::String), &value).unwrap();
        let err = decode_msgpack(&rules(CtyType::Bool), &bytes).unwrap_err();
        assert_eq!(err.path.to_string(), r#"rules[0]["a"].x"#);
        assert_eq!(err.message, "bool is required");
    }

    #[test]
    fn collections_round_trip() {
        let cases = vec![
            (
                CtyType::list(CtyType::String),
                Value::List(vec!["a".into(), Value::Null]),
            ),
            (
                CtyType::set(CtyType::Number),
                Value::Set(vec![Value::number(1), Value::number(2)]),
            ),
            (CtyType::list(CtyType::Bool), Value::List(vec![])),
            (
                CtyType::map(CtyType::Bool),
                Value::Map(
                    [
                        ("b".to_owned(), true.into()),
                        ("a".to_owned(), false.into()),
                    ]
                    .into(),
                ),
            ),
            (
                CtyType::tuple(vec![CtyType::String, CtyType::Number]),
                Value::Tuple(vec!["x".into(), Value::unknown()]),
            ),
        ];
        for (ty, v) in cases {
            let bytes = encode_msgpack(&ty, &v).unwrap();
            assert_eq!(decode_msgpack(&ty, &bytes).unwrap(), v, "{ty}");
        }
        let ty = CtyType::map(CtyType::Bool);
        let v = Value::Map(
            [
                ("b".to_owned(), true.into()),
                ("a".to_owned(), false.into()),
            ]
            .into(),
        );
        assert_eq!(
            hex(&encode_msgpack(&ty, &v).unwrap()),
            "82 a1 61 c2 a1 62 c3"
        );
        // An absent list block is an empty array.
        assert_eq!(
            encode_msgpack(&CtyType::list(CtyType::Bool), &Value::List(vec![])).unwrap(),
            [0x90]
        );
    }

    #[test]
    fn dynamic_is_type_json_as_bin_then_value() {
        let v = Value::dynamic(
            CtyType::list(CtyType::String),
            Value::List(vec!["a".into()]),
        );
        let bytes = encode_msgpack(&CtyType::Dynamic, &v).unwrap();
        let mut expected = vec![0x92, 0xc4, 17];
        expected.extend(br#"["list","string"]"#);
        expected.extend([0x91, 0xa1, b'a']);
        assert_eq!(bytes, expected);
        assert_eq!(decode_msgpack(&CtyType::Dynamic, &bytes).unwrap(), v);
        // The type may also arrive as a str.
        let mut as_str = vec![0x92, 0xa8];
        as_str.extend(br#""string""#);
        as_str.extend([0xa1, b'z']);
        assert_eq!(
            decode_msgpack(&CtyType::Dynamic, &as_str).unwrap(),
            Value::dynamic(CtyType::String, "z".into())
        );
        // A typed null and a typed unknown keep their type.
        let typed_null = Value::dynamic(CtyType::Number, Value::Null);
        let bytes = encode_msgpack(&CtyType::Dynamic, &typed_null).unwrap();
        assert_eq!(
            decode_msgpack(&CtyType::Dynamic, &bytes).unwrap(),
            typed_null
        );
        assert_eq!(
            encode_msgpack(&CtyType::Dynamic, &Value::Null).unwrap(),
            [0xc0]
        );
        // A bare known value in a dynamic slot can't be encoded.
        assert!(encode_msgpack(&CtyType::Dynamic, &Value::from("x")).is_err());
        assert!(decode_msgpack(&CtyType::Dynamic, &unhex("91 c0")).is_err());
    }

    #[test]
    fn refinements_pass_over_future_keys_whatever_their_values_hold() {
        // Key 9 (not go-cty's yet) holds [[1, 2], {"a": true}]; the string prefix after it still applies.
        let payload = unhex("82 09 92 92 01 02 81 a1 61 c3 02 a2 70 2d");
        let mut wire = vec![0xc7, payload.len() as u8, 0x0c];
        wire.extend(&payload);
        let expected = Value::Unknown(Refinements {
            string_prefix: Some("p-".into()),
            ..Refinements::default()
        });
        assert_eq!(decode_msgpack(&CtyType::String, &wire).unwrap(), expected);
        // A bound that is not [number, bool] is dropped, not an error.
        let payload = unhex("81 03 92 91 01 c3");
        let mut wire = vec![0xc7, payload.len() as u8, 0x0c];
        wire.extend(&payload);
        assert_eq!(
            decode_msgpack(&CtyType::Number, &wire).unwrap(),
            Value::unknown()
        );
    }

    #[test]
    fn forged_and_truncated_lengths_fail_where_they_are_read() {
        // An array32 claiming 4 billion elements, with none after it.
        let forged = unhex("dd ff ff ff ff c3");
        let err = decode_msgpack(&CtyType::list(CtyType::Bool), &forged).unwrap_err();
        assert_eq!(err.message, "invalid msgpack: unexpected end of input");
        // A string cut short inside an object's attribute names that attribute.
        let ty = CtyType::object([("name", CtyType::String)]);
        let err = decode_msgpack(&ty, &unhex("81 a4 6e 61 6d 65 a5 65 74")).unwrap_err();
        assert_eq!(
            (err.path.to_string().as_str(), err.message.as_str()),
            ("name", "invalid msgpack: unexpected end of input")
        );
        // The marker msgpack reserves.
        let err = decode_msgpack(&CtyType::Bool, &[0xc1]).unwrap_err();
        assert_eq!(err.message, "invalid msgpack: reserved marker 0xc1");
    }

    #[test]
    fn mismatches_and_garbage_are_errors() {
        assert!(encode_msgpack(&CtyType::String, &Value::number(1)).is_err());
        assert!(decode_msgpack(&CtyType::String, &[0x01]).is_err());
        assert!(decode_msgpack(&CtyType::Bool, &[]).is_err());
        assert!(decode_msgpack(&CtyType::Bool, &[0xc3, 0xc3]).is_err());
        assert!(decode_msgpack(&CtyType::map(CtyType::Bool), &unhex("81 01 c3")).is_err());
        assert!(
            decode_msgpack(&CtyType::map(CtyType::Bool), &unhex("82 a1 61 c3 a1 61 c2")).is_err()
        );
        assert!(decode_msgpack(&CtyType::tuple(vec![CtyType::Bool]), &[0x90]).is_err());
        // Invalid UTF-8 in a string.
        assert!(decode_msgpack(&CtyType::String, &unhex("a1 ff")).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = vec![0x91; 100_000];
        assert!(decode_msgpack(&CtyType::Dynamic, &deep).is_err());
        let mut ty = CtyType::String;
        for _ in 0..2000 {
            ty = CtyType::list(ty);
        }
        assert!(decode_msgpack(&ty, &deep).is_err());
        // A type JSON nested deeper than serde_json's limit.
        let mut dynamic = vec![0x92, 0xc5, 0x0f, 0xa0];
        let type_json = format!(
            "{}\"string\"{}",
            "[\"list\",".repeat(1000),
            "]".repeat(1000)
        );
        dynamic[2..4].copy_from_slice(&(type_json.len() as u16).to_be_bytes());
        dynamic.extend(type_json.as_bytes());
        dynamic.push(0xc0);
        assert!(decode_msgpack(&CtyType::Dynamic, &dynamic).is_err());
        // Realistic depths are fine.
        let (mut ty, mut v) = (CtyType::Bool, Value::Bool(true));
        for _ in 0..60 {
            ty = CtyType::list(ty);
            v = Value::List(vec![v]);
        }
        let bytes = encode_msgpack(&ty, &v).unwrap();
        assert_eq!(decode_msgpack(&ty, &bytes).unwrap(), v);
    }

    fn arb_type() -> impl Strategy<Value = CtyType> {
        let leaf = prop_oneof![
            Just(CtyType::Bool),
            Just(CtyType::Number),
            Just(CtyType::String),
            Just(CtyType::Dynamic),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(CtyType::list),
                inner.clone().prop_map(CtyType::set),
                inner.clone().prop_map(CtyType::map),
                prop::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4)
                    .prop_map(CtyType::Object),
                prop::collection::vec(inner, 0..4).prop_map(CtyType::Tuple),
            ]
        })
    }

    fn arb_number() -> impl Strategy<Value = Number> {
        prop_oneof![
            any::<i64>().prop_map(Number::Int),
            any::<u64>().prop_map(Number::UInt),
            any::<f64>()
                .prop_filter("NaN is not a number", |f| !f.is_nan())
                .prop_map(Number::Float),
            ("-?[1-9][0-9]{0,40}", "[0-9]{0,30}").prop_map(|(i, f)| {
                Number::Decimal(if f.is_empty() { i } else { format!("{i}.{f}") })
            }),
        ]
    }

    /// Refinements of a value of type `ty`: only those go-cty allows on it (the others are dropped on decode).
    fn arb_refinements(ty: &CtyType) -> BoxedStrategy<Refinements> {
        let bound = || prop::option::of((arb_number(), any::<bool>()));
        let length = || prop::option::of(any::<u64>());
        let ty = ty.clone();
        let limits = (bound(), bound(), length(), length());
        (any::<bool>(), prop::option::of(".{0,8}"), limits)
            .prop_map(
                move |(not_null, prefix, (lower, upper, shortest, longest))| {
                    let number = ty == CtyType::Number;
                    let collection = ty.is_collection();
                    Refinements {
                        not_null: not_null && ty != CtyType::Dynamic,
                        string_prefix: prefix.filter(|p| ty == CtyType::String && !p.is_empty()),
                        number_lower: lower.filter(|_| number),
                        number_upper: upper.filter(|_| number),
                        length_lower: shortest.filter(|_| collection),
                        length_upper: longest.filter(|_| collection),
                    }
                },
            )
            .boxed()
    }

    fn arb_known(ty: &CtyType, depth: u32) -> BoxedStrategy<Value> {
        match ty {
            CtyType::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            CtyType::Number => arb_number().prop_map(Value::Number).boxed(),
            CtyType::String => ".{0,12}".prop_map(Value::String).boxed(),
            CtyType::List(e) => prop::collection::vec(arb_value(e, depth), 0..3)
                .prop_map(Value::List)
                .boxed(),
            CtyType::Set(e) => prop::collection::vec(arb_value(e, depth), 0..3)
                .prop_map(Value::Set)
                .boxed(),
            CtyType::Map(e) => prop::collection::btree_map(".{0,5}", arb_value(e, depth), 0..3)
                .prop_map(Value::Map)
                .boxed(),
            CtyType::Object(atys) => {
                let fields: Vec<_> = atys
                    .iter()
                    .map(|(k, t)| (Just(k.clone()), arb_value(t, depth)))
                    .collect();
                fields
                    .prop_map(|fields| Value::Object(fields.into_iter().collect()))
                    .boxed()
            }
            CtyType::Tuple(etys) => {
                let elems: Vec<_> = etys.iter().map(|t| arb_value(t, depth)).collect();
                elems.prop_map(Value::Tuple).boxed()
            }
            CtyType::Dynamic if depth == 0 => Just(Value::Null).boxed(),
            CtyType::Dynamic => arb_type()
                .prop_filter("dynamic needs a concrete type", |t| *t != CtyType::Dynamic)
                .prop_flat_map(move |t| {
                    arb_value(&t, depth - 1).prop_map(move |v| Value::dynamic(t.clone(), v))
                })
                .boxed(),
        }
    }

    fn arb_value(ty: &CtyType, depth: u32) -> BoxedStrategy<Value> {
        prop_oneof![
            1 => Just(Value::Null),
            1 => arb_refinements(ty).prop_map(Value::Unknown),
            4 => arb_known(ty, depth),
        ]
        .boxed()
    }

    fn arb_typed_value() -> impl Strategy<Value = (CtyType, Value)> {
        arb_type().prop_flat_map(|ty| {
            let v = arb_value(&ty, 2);
            (Just(ty), v)
        })
    }

    proptest! {
        #[test]
        fn msgpack_round_trips_bit_exact((ty, v) in arb_typed_value()) {
            let bytes = encode_msgpack(&ty, &v).unwrap();
            let back = decode_msgpack(&ty, &bytes).unwrap();
            prop_assert_eq!(&back, &v);
            prop_assert_eq!(encode_msgpack(&ty, &back).unwrap(), bytes);
        }

        #[test]
        fn garbage_never_panics(ty in arb_type(), bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_msgpack(&ty, &bytes);
        }

        #[test]
        fn corrupted_encodings_never_panic(
            (ty, v) in arb_typed_value(),
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        ) {
            let mut bytes = encode_msgpack(&ty, &v).unwrap();
            for (at, byte) in flips {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            if let Ok(decoded) = decode_msgpack(&ty, &bytes) {
                // Whatever decodes must encode again.
                prop_assert!(encode_msgpack(&ty, &decoded).is_ok());
            }
        }
    }
}
