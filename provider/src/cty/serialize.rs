//! The bridge from serialisable output to Terraform's wire form: a serde [`Serializer`] that writes msgpack of a
//! given [`CtyType`] as the output serialises, by the rules `decode_json` applies to JSON (an absent attribute is
//! null; numbers and bools may fill text; decimal text may fill a number). Outputs hold thousands of values:
//! writing them as they serialise, with no value tree between, is most of what a read's result costs.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::ser::{self, Impossible, Serialize, Serializer};

use super::msgpack::{write_len, write_nil_attribute, write_number, write_value, written, Header};
use super::{CodecError, CtyType, Number, PathStep, Value};

/// How the output's texts are written: the caller's chance to rewrite them (the provider spells the settings they
/// mention as Terraform users write them). Map keys and attribute names are written as they are.
pub(crate) type TextRewrite = for<'s> fn(&'s str) -> Cow<'s, str>;

/// The [`TextRewrite`] that writes texts as they are.
fn unchanged(text: &str) -> Cow<'_, str> {
    Cow::Borrowed(text)
}

/// The attributes of an object type, written as msgpack map entries without the map's header, so that they can
/// join other attributes in one object ([`encode_object`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EncodedAttributes {
    /// The attributes written, every one of the type's.
    pub(super) names: Vec<String>,
    /// Their entries: name, then value, for each.
    pub(super) entries: Vec<u8>,
}

/// `value` serialised as the attributes of the object type `ty` (its absent fields null), `text` rewriting each
/// text it holds.
pub(crate) fn encode_attributes<T: Serialize + ?Sized>(
    ty: &CtyType,
    value: &T,
    text: TextRewrite,
) -> Result<EncodedAttributes, CodecError> {
    let CtyType::Object(atys) = ty else {
        return Err(mismatch(ty, "a struct"));
    };
    let mut entries = Vec::new();
    value.serialize(Writer {
        out: &mut entries,
        ty,
        text,
        header: false,
    })?;
    Ok(EncodedAttributes {
        names: atys.keys().cloned().collect(),
        entries,
    })
}

/// The object of type `ty` holding the attributes `values` and `encoded` (written as they come), every other
/// attribute null, as msgpack: a read's result, its configuration echoed as values and its output serialised.
pub(crate) fn encode_object<'v>(
    ty: &CtyType,
    values: impl IntoIterator<Item = (&'v str, &'v Value)>,
    encoded: &EncodedAttributes,
) -> Result<Vec<u8>, CodecError> {
    let CtyType::Object(atys) = ty else {
        return Err(mismatch(ty, "an object"));
    };
    let mut given = BTreeSet::new();
    for name in &encoded.names {
        claim(atys, &mut given, name)?;
    }
    let mut out = Vec::with_capacity(encoded.entries.len() + 1024);
    write_len(&mut out, atys.len(), rmp::encode::write_map_len)?;
    out.extend_from_slice(&encoded.entries);
    for (name, value) in values {
        let aty = claim(atys, &mut given, name)?;
        written(rmp::encode::write_str(&mut out, name))?;
        write_value(&mut out, aty, value)
            .map_err(|e| e.within(PathStep::Attribute(name.into())))?;
    }
    for name in atys.keys().filter(|name| !given.contains(name.as_str())) {
        write_nil_attribute(&mut out, name)?;
    }
    Ok(out)
}

/// The type of the attribute `name` of an object whose attributes are `atys`, noting it in `given`: an attribute
/// the type lacks, or one given twice, fails.
fn claim<'a>(
    atys: &'a BTreeMap<String, CtyType>,
    given: &mut BTreeSet<&'a str>,
    name: &str,
) -> Result<&'a CtyType, CodecError> {
    let at = || PathStep::Attribute(name.to_string());
    let Some((name, aty)) = atys.get_key_value(name) else {
        return Err(CodecError::here("attribute is not part of the object type").within(at()));
    };
    if !given.insert(name.as_str()) {
        return Err(CodecError::here("duplicate attribute").within(at()));
    }
    Ok(aty)
}

impl ser::Error for CodecError {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        CodecError::here(message.to_string())
    }
}

/// Writes one value as msgpack of type `ty`.
struct Writer<'o, 't> {
    out: &'o mut Vec<u8>,
    ty: &'t CtyType,
    text: TextRewrite,
    /// Whether a map or object writes its header; only the outermost object of [`encode_attributes`] does not.
    header: bool,
}

impl<'o, 't> Writer<'o, 't> {
    /// A writer of a value of type `ty` into `out`.
    fn of(out: &'o mut Vec<u8>, ty: &'t CtyType, text: TextRewrite) -> Self {
        Writer {
            out,
            ty,
            text,
            header: true,
        }
    }

    /// A number, where `ty` takes one (or its text, where `ty` is text).
    fn number(self, number: Number) -> Result<(), CodecError> {
        match self.ty {
            CtyType::Number => write_number(self.out, &number),
            CtyType::String => written(rmp::encode::write_str(self.out, &number.to_string())),
            ty => Err(mismatch(ty, "a number")),
        }
    }

    /// A list, set or tuple of `len` elements, if known.
    fn sequence(self, len: Option<usize>) -> Result<Elements<'o, 't>, CodecError> {
        let (CtyType::List(_) | CtyType::Set(_) | CtyType::Tuple(_)) = self.ty else {
            return Err(mismatch(self.ty, "a sequence"));
        };
        let counted = Counted::start(self.out, len, rmp::encode::write_array_len)?;
        Ok(Elements {
            out: self.out,
            ty: self.ty,
            text: self.text,
            counted,
        })
    }

    /// A map of `len` entries if known, or an object; its entries to follow.
    fn entries(self, len: Option<usize>) -> Result<EntriesOf<'o, 't>, CodecError> {
        let kind = match self.ty {
            CtyType::Map(ety) => Kind::Map(ety),
            CtyType::Object(atys) => Kind::Object {
                attributes: atys
                    .iter()
                    .map(|(name, ty)| Attribute {
                        name,
                        ty,
                        written: false,
                    })
                    .collect(),
                next: 0,
            },
            ty => return Err(mismatch(ty, "a map or struct")),
        };
        let len = match &kind {
            Kind::Object { attributes, .. } => Some(attributes.len()),
            Kind::Map(_) => len,
        };
        let counted = if self.header {
            Counted::start(self.out, len, rmp::encode::write_map_len)?
        } else {
            Counted::headless(len)
        };
        Ok(EntriesOf {
            out: self.out,
            text: self.text,
            kind,
            counted,
            key: Vec::new(),
            keyed: false,
        })
    }
}

/// Serialisers of integer types that fit `i64`, each through `serialize_i64`.
macro_rules! widened_integers {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, v: $ty) -> Result<(), CodecError> {
            self.serialize_i64(i64::from(v))
        })*
    };
}

/// The error for a serialised `what` that type `ty` cannot hold.
fn mismatch(ty: &CtyType, what: &str) -> CodecError {
    CodecError::here(format!("{ty} is required, found {what}"))
}

impl<'o, 't> Serializer for Writer<'o, 't> {
    type Ok = ();
    type Error = CodecError;
    type SerializeSeq = Elements<'o, 't>;
    type SerializeTuple = Elements<'o, 't>;
    type SerializeTupleStruct = Elements<'o, 't>;
    type SerializeTupleVariant = Impossible<(), CodecError>;
    type SerializeMap = EntriesOf<'o, 't>;
    type SerializeStruct = EntriesOf<'o, 't>;
    type SerializeStructVariant = Impossible<(), CodecError>;

    fn serialize_bool(self, v: bool) -> Result<(), CodecError> {
        match self.ty {
            CtyType::Bool => written(rmp::encode::write_bool(self.out, v)),
            CtyType::String => written(rmp::encode::write_str(self.out, &v.to_string())),
            ty => Err(mismatch(ty, "a bool")),
        }
    }

    // The narrower integers, widened to `i64`.
    widened_integers! {
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32
    }

    fn serialize_i64(self, v: i64) -> Result<(), CodecError> {
        self.number(Number::Int(v))
    }

    fn serialize_u64(self, v: u64) -> Result<(), CodecError> {
        self.number(i64::try_from(v).map_or(Number::UInt(v), Number::Int))
    }

    fn serialize_f32(self, v: f32) -> Result<(), CodecError> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), CodecError> {
        if v.is_finite() {
            self.number(Number::Float(v))
        } else {
            Err(CodecError::here(format!("{v} is not a number")))
        }
    }

    fn serialize_char(self, v: char) -> Result<(), CodecError> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), CodecError> {
        match self.ty {
            CtyType::String => written(rmp::encode::write_str(self.out, &(self.text)(v))),
            CtyType::Number => match Number::parse(v) {
                Ok(number) => write_number(self.out, &number),
                Err(_) => Err(CodecError::here("a number is required")),
            },
            ty => Err(mismatch(ty, "text")),
        }
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), CodecError> {
        Err(mismatch(self.ty, "bytes"))
    }

    fn serialize_none(self) -> Result<(), CodecError> {
        written(rmp::encode::write_nil(self.out))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), CodecError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), CodecError> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), CodecError> {
        self.serialize_none()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), CodecError> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        let mut entries = self.entries(Some(1))?;
        ser::SerializeMap::serialize_entry(&mut entries, variant, value)?;
        ser::SerializeMap::end(entries)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Elements<'o, 't>, CodecError> {
        self.sequence(len)
    }

    fn serialize_tuple(self, len: usize) -> Result<Elements<'o, 't>, CodecError> {
        self.sequence(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Elements<'o, 't>, CodecError> {
        self.sequence(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CodecError> {
        Err(mismatch(self.ty, variant))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<EntriesOf<'o, 't>, CodecError> {
        self.entries(len)
    }

    fn serialize_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<EntriesOf<'o, 't>, CodecError> {
        self.entries(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CodecError> {
        Err(mismatch(self.ty, variant))
    }
}

/// The elements of a list, set or tuple as they serialise.
pub(crate) struct Elements<'o, 't> {
    out: &'o mut Vec<u8>,
    ty: &'t CtyType,
    text: TextRewrite,
    counted: Counted,
}

/// How many elements or entries of a collection have been written: behind their header when serde announced how
/// many come, else gathered in a buffer and written behind the header of those counted at the end.
struct Counted {
    announced: Option<usize>,
    buffer: Option<Vec<u8>>,
    count: usize,
}

impl Counted {
    /// A collection of `len` items if known, its header written into `out` when it is.
    fn start(out: &mut Vec<u8>, len: Option<usize>, header: Header) -> Result<Self, CodecError> {
        if let Some(len) = len {
            write_len(out, len, header)?;
        }
        Ok(Counted::headless(len))
    }

    /// A collection of `len` items if known, whose header is somebody else's.
    fn headless(len: Option<usize>) -> Self {
        Counted {
            announced: len,
            buffer: len.is_none().then(Vec::new),
            count: 0,
        }
    }

    /// Where the next item goes: `out`, or the buffer.
    fn target<'a>(&'a mut self, out: &'a mut Vec<u8>) -> &'a mut Vec<u8> {
        self.buffer.as_mut().unwrap_or(out)
    }

    /// Checks that as many items came as were announced, or writes the header of those gathered and then them.
    fn finish(self, out: &mut Vec<u8>, header: Header) -> Result<(), CodecError> {
        match (self.announced, self.buffer) {
            (_, Some(buffer)) => {
                write_len(out, self.count, header)?;
                out.extend_from_slice(&buffer);
                Ok(())
            }
            (Some(announced), None) if announced != self.count => Err(CodecError::here(format!(
                "{} items serialised where {announced} were announced",
                self.count
            ))),
            _ => Ok(()),
        }
    }
}

impl ser::SerializeSeq for Elements<'_, '_> {
    type Ok = ();
    type Error = CodecError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        let index = self.counted.count;
        let ty = match self.ty {
            CtyType::List(ety) | CtyType::Set(ety) => Some(&**ety),
            CtyType::Tuple(etys) => etys.get(index),
            _ => None,
        };
        let out = self.counted.target(self.out);
        let item = match ty {
            Some(ty) => value.serialize(Writer::of(out, ty, self.text)),
            None => Err(CodecError::here("more elements than the tuple type has")),
        };
        item.map_err(|e| e.within(PathStep::ElementKeyInt(index as i64)))?;
        self.counted.count += 1;
        Ok(())
    }

    fn end(self) -> Result<(), CodecError> {
        if let CtyType::Tuple(etys) = self.ty {
            if etys.len() != self.counted.count {
                return Err(CodecError::here(format!(
                    "a tuple of length {} is required",
                    etys.len()
                )));
            }
        }
        self.counted.finish(self.out, rmp::encode::write_array_len)
    }
}

/// Tuples and tuple structs serialise as sequences do.
macro_rules! sequence_like {
    ($($serializer:ident: $method:ident),*) => {
        $(impl ser::$serializer for Elements<'_, '_> {
            type Ok = ();
            type Error = CodecError;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
                ser::SerializeSeq::serialize_element(self, value)
            }

            fn end(self) -> Result<(), CodecError> {
                ser::SerializeSeq::end(self)
            }
        })*
    };
}

sequence_like!(SerializeTuple: serialize_element, SerializeTupleStruct: serialize_field);

/// What the entries of a map or object are written as.
enum Kind<'t> {
    /// A map's elements, all of one type.
    Map(&'t CtyType),
    /// An object's attributes in name order, and where the search for the next one starts: after the last one
    /// found, so that fields serialised in name order are each found at the first look.
    Object {
        attributes: Vec<Attribute<'t>>,
        next: usize,
    },
}

/// An attribute of an object type, and whether it has been written. An object's attributes are copied out of
/// its type's map once per object: looking each entry up in a slice costs a fraction of walking the map.
struct Attribute<'t> {
    name: &'t str,
    ty: &'t CtyType,
    written: bool,
}

/// The entries of a map or object as they serialise (a struct with flattened fields serialises as a map). An
/// object's attributes are written in the order they come, and those that never came as nulls at the end: cty
/// reads an object's entries in any order, but needs every attribute.
pub(crate) struct EntriesOf<'o, 't> {
    out: &'o mut Vec<u8>,
    text: TextRewrite,
    kind: Kind<'t>,
    counted: Counted,
    /// The key whose value comes next, as msgpack text; the buffer is kept from key to key (a struct with
    /// flattened fields gives each field name as a key).
    key: Vec<u8>,
    /// Whether `key` holds a key whose value has not come yet.
    keyed: bool,
}

impl EntriesOf<'_, '_> {
    /// Writes the entry `key` (the UTF-8 of its text) with `value`: an attribute the object type lacks and one
    /// given twice fail. Keys stay bytes: map keys arrive as the msgpack text they serialised to, and comparing
    /// and copying those needs no UTF-8 check, which only an error's path takes.
    fn entry<T: Serialize + ?Sized>(&mut self, key: &[u8], value: &T) -> Result<(), CodecError> {
        let text = || String::from_utf8_lossy(key).into_owned();
        let (ty, step) = match &mut self.kind {
            Kind::Map(ety) => (*ety, PathStep::ElementKeyString as fn(String) -> PathStep),
            Kind::Object { attributes, next } => {
                let count = attributes.len();
                let (before, after) = attributes.split_at_mut((*next).min(count));
                let found = after
                    .iter_mut()
                    .chain(before)
                    .enumerate()
                    .find(|(_, attribute)| attribute.name.as_bytes() == key);
                let Some((offset, attribute)) = found else {
                    return Err(CodecError::here("unsupported attribute")
                        .within(PathStep::Attribute(text())));
                };
                if std::mem::replace(&mut attribute.written, true) {
                    return Err(
                        CodecError::here("duplicate attribute").within(PathStep::Attribute(text()))
                    );
                }
                *next = (*next + offset + 1) % count;
                (attribute.ty, PathStep::Attribute as fn(String) -> PathStep)
            }
        };
        let out = self.counted.target(self.out);
        write_len(out, key.len(), rmp::encode::write_str_len)?;
        out.extend_from_slice(key);
        value
            .serialize(Writer::of(out, ty, self.text))
            .map_err(|e| e.within(step(text())))?;
        self.counted.count += 1;
        Ok(())
    }

    /// The map, or the object with its absent attributes null.
    fn finish(mut self) -> Result<(), CodecError> {
        if let Kind::Object { attributes, .. } = &self.kind {
            for attribute in attributes.iter().filter(|a| !a.written) {
                write_nil_attribute(self.counted.target(self.out), attribute.name)?;
                self.counted.count += 1;
            }
        }
        self.counted.finish(self.out, rmp::encode::write_map_len)
    }
}

impl ser::SerializeMap for EntriesOf<'_, '_> {
    type Ok = ();
    type Error = CodecError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CodecError> {
        // A key is text, or a number or bool written as text (as JSON writes them).
        self.key.clear();
        key.serialize(Writer::of(&mut self.key, &CtyType::String, unchanged))
            .map_err(|_| CodecError::here("map keys must be text"))?;
        self.keyed = true;
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        if !std::mem::replace(&mut self.keyed, false) {
            return Err(CodecError::here("a map value came before its key"));
        }
        let key = std::mem::take(&mut self.key);
        let mut text = key.as_slice();
        let written = match rmp::decode::read_str_len(&mut text) {
            Ok(len) if text.len() == len as usize => self.entry(text, value),
            _ => Err(CodecError::here("map keys must be text")),
        };
        self.key = key;
        written
    }

    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

impl ser::SerializeStruct for EntriesOf<'_, '_> {
    type Ok = ();
    type Error = CodecError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        self.entry(key.as_bytes(), value)
    }

    fn end(self) -> Result<(), CodecError> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode_msgpack;
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

    /// `value` written as msgpack of type `ty` and read back.
    fn to_value<T: Serialize + ?Sized>(ty: &CtyType, value: &T) -> Result<Value, CodecError> {
        let mut out = Vec::new();
        value.serialize(Writer::of(&mut out, ty, unchanged))?;
        Ok(decode_msgpack(ty, &out).expect("what is written decodes"))
    }

    #[derive(Serialize)]
    enum Direction {
        Ingress,
    }

    #[derive(Serialize)]
    struct Widened {
        widened: Vec<(u16, &'static str)>,
    }

    #[derive(Serialize)]
    struct Output {
        ports: Vec<u16>,
        direction: Direction,
        note: Option<&'static str>,
        counts: BTreeMap<u8, u64>,
        #[serde(flatten)]
        widened: Widened,
    }

    fn output_type() -> CtyType {
        CtyType::object([
            ("ports", CtyType::list(CtyType::Number)),
            ("direction", CtyType::String),
            ("note", CtyType::String),
            ("counts", CtyType::map(CtyType::String)),
            (
                "widened",
                CtyType::set(CtyType::Tuple(vec![CtyType::String, CtyType::String])),
            ),
            ("absent", CtyType::Bool),
        ])
    }

    #[test]
    fn a_struct_serialises_into_its_object_type_flattened_fields_included() {
        let output = Output {
            ports: vec![22, 6443],
            direction: Direction::Ingress,
            note: None,
            counts: BTreeMap::from([(4, u64::MAX)]),
            widened: Widened {
                widened: vec![(8472, "udp")],
            },
        };
        let expected = Value::object([
            (
                "ports",
                Value::List(vec![Value::number(22u64), Value::number(6443u64)]),
            ),
            ("direction", Value::string("Ingress")),
            ("note", Value::Null),
            (
                "counts",
                Value::Map(BTreeMap::from([(
                    "4".into(),
                    Value::string(u64::MAX.to_string()),
                )])),
            ),
            (
                "widened",
                Value::Set(vec![Value::Tuple(vec![
                    Value::string("8472"),
                    Value::string("udp"),
                ])]),
            ),
            ("absent", Value::Null),
        ]);
        assert_eq!(to_value(&output_type(), &output), Ok(expected));
    }

    #[test]
    fn what_does_not_fit_is_an_error_naming_its_path() {
        let ty = CtyType::object([("rules", CtyType::list(CtyType::map(CtyType::Number)))]);
        let output = serde_json::json!({"rules": [{"a": 1}, {"b": "x"}]});
        let error = to_value(&ty, &output).unwrap_err();
        assert_eq!(
            (error.path.to_string().as_str(), error.message.as_str()),
            (r#"rules[1]["b"]"#, "a number is required")
        );
        let error = to_value(&ty, &serde_json::json!({"rules": [], "extra": true})).unwrap_err();
        assert_eq!(
            (error.path.to_string().as_str(), error.message.as_str()),
            ("extra", "unsupported attribute")
        );
        let error = to_value(&CtyType::Tuple(vec![CtyType::Bool]), &(true, false)).unwrap_err();
        assert_eq!(error.path.to_string(), "[1]");
        let error = to_value(&CtyType::Bool, &"yes").unwrap_err();
        assert_eq!(error.message, "bool is required, found text");
    }

    /// A map whose length serde does not announce, holding a sequence whose length it does not announce either
    /// (an iterator of unknown size).
    struct Unannounced;

    /// The odd numbers up to 3, from a filter: a sequence of unknown length.
    struct Odd;

    impl Serialize for Odd {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_seq((1..=3).filter(|n| n % 2 == 1))
        }
    }

    impl Serialize for Unannounced {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut map = serializer.serialize_map(None)?;
            map.serialize_entry("b", &Odd)?;
            map.serialize_entry("a", &[7])?;
            map.end()
        }
    }

    #[test]
    fn lengths_serde_does_not_announce_are_counted() {
        let ty = CtyType::map(CtyType::list(CtyType::Number));
        let expected = Value::Map(BTreeMap::from([
            ("a".into(), Value::List(vec![Value::number(7u64)])),
            (
                "b".into(),
                Value::List(vec![Value::number(1u64), Value::number(3u64)]),
            ),
        ]));
        assert_eq!(to_value(&ty, &Unannounced), Ok(expected));
    }

    #[derive(Serialize)]
    struct Outputs {
        warnings: Vec<&'static str>,
        count: u8,
    }

    fn loud(text: &str) -> Cow<'_, str> {
        Cow::Owned(text.to_uppercase())
    }

    #[test]
    fn attributes_join_values_in_one_object_absent_ones_null_texts_rewritten() {
        let ty = CtyType::object([
            ("name", CtyType::String),
            ("warnings", CtyType::list(CtyType::String)),
            ("count", CtyType::Number),
            ("note", CtyType::String),
        ]);
        let outputs_ty = CtyType::object([
            ("warnings", CtyType::list(CtyType::String)),
            ("count", CtyType::Number),
        ]);
        let outputs = Outputs {
            warnings: vec!["set x"],
            count: 2,
        };
        let encoded = encode_attributes(&outputs_ty, &outputs, loud).unwrap();
        let name = Value::string("as given");
        let msgpack = encode_object(&ty, [("name", &name)], &encoded).unwrap();
        let expected = Value::object([
            ("name", Value::string("as given")),
            ("warnings", Value::List(vec![Value::string("SET X")])),
            ("count", Value::number(2u64)),
            ("note", Value::Null),
        ]);
        assert_eq!(decode_msgpack(&ty, &msgpack), Ok(expected));
        // An attribute given as a value and as an output, or one the type lacks, is refused.
        let error = encode_object(&ty, [("count", &name)], &encoded).unwrap_err();
        assert_eq!(error.path.to_string(), "count");
        let error = encode_object(&ty, [("other", &name)], &encoded).unwrap_err();
        assert_eq!(error.path.to_string(), "other");
        let error = encode_object(&outputs_ty, [], &encoded).map(|_| ());
        assert_eq!(error, Ok(()));
        let error = encode_attributes(
            &CtyType::object([("count", CtyType::Number)]),
            &outputs,
            loud,
        )
        .unwrap_err();
        assert_eq!(
            (error.path.to_string().as_str(), error.message.as_str()),
            ("warnings", "unsupported attribute")
        );
    }
}
