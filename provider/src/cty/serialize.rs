//! The bridge from serialisable output to typed values: a serde [`Serializer`] that builds a [`Value`] of a given
//! [`CtyType`] as the output serialises, by the rules `decode_json` applies to JSON (an absent attribute is null;
//! numbers and bools may fill text; decimal text may fill a number). Outputs hold thousands of values: building
//! them once, without a JSON tree between, is most of what a read's result costs.

use serde::ser::{self, Impossible, Serialize, Serializer};

use super::decode::{Entries, EntryDecoder};
use super::{CodecError, CtyType, Number, PathStep, Value};

/// `value`, serialised as a value of type `ty`.
pub(crate) fn to_value<T: Serialize + ?Sized>(
    ty: &CtyType,
    value: &T,
) -> Result<Value, CodecError> {
    value.serialize(Typed { ty })
}

impl ser::Error for CodecError {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        CodecError::here(message.to_string())
    }
}

/// Serialises one value as a value of type `ty`.
#[derive(Clone, Copy)]
struct Typed<'t> {
    ty: &'t CtyType,
}

impl<'t> Typed<'t> {
    /// A number, where `ty` takes one (or its text, where `ty` is text).
    fn number(self, number: Number) -> Result<Value, CodecError> {
        match self.ty {
            CtyType::Number => Ok(Value::Number(number)),
            CtyType::String => Ok(Value::String(number.to_string())),
            ty => Err(mismatch(ty, "a number")),
        }
    }

    /// A list, set or tuple of `len` elements (if known).
    fn sequence(self, len: Option<usize>) -> Result<Sequence<'t>, CodecError> {
        match self.ty {
            CtyType::List(_) | CtyType::Set(_) | CtyType::Tuple(_) => Ok(Sequence {
                ty: self.ty,
                items: Vec::with_capacity(len.unwrap_or_default()),
            }),
            ty => Err(mismatch(ty, "a sequence")),
        }
    }

    /// A map or object, its entries to follow.
    fn entries(self) -> Result<EntriesOf<'t>, CodecError> {
        let into = match self.ty {
            CtyType::Map(ety) => Entries::Map(ety),
            CtyType::Object(atys) => Entries::Object(atys),
            ty => return Err(mismatch(ty, "a map or struct")),
        };
        Ok(EntriesOf {
            ty: self.ty,
            entries: EntryDecoder::new(into),
            key: None,
        })
    }
}

/// Serialisers of integer types that fit `i64`, each through `serialize_i64`.
macro_rules! widened_integers {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, v: $ty) -> Result<Value, CodecError> {
            self.serialize_i64(i64::from(v))
        })*
    };
}

/// The error for a serialised `what` that type `ty` cannot hold.
fn mismatch(ty: &CtyType, what: &str) -> CodecError {
    CodecError::here(format!("{ty} is required, found {what}"))
}

impl<'t> Serializer for Typed<'t> {
    type Ok = Value;
    type Error = CodecError;
    type SerializeSeq = Sequence<'t>;
    type SerializeTuple = Sequence<'t>;
    type SerializeTupleStruct = Sequence<'t>;
    type SerializeTupleVariant = Impossible<Value, CodecError>;
    type SerializeMap = EntriesOf<'t>;
    type SerializeStruct = EntriesOf<'t>;
    type SerializeStructVariant = Impossible<Value, CodecError>;

    fn serialize_bool(self, v: bool) -> Result<Value, CodecError> {
        match self.ty {
            CtyType::Bool => Ok(Value::Bool(v)),
            CtyType::String => Ok(Value::String(v.to_string())),
            ty => Err(mismatch(ty, "a bool")),
        }
    }

    // The narrower integers, widened to `i64`.
    widened_integers! {
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32
    }

    fn serialize_i64(self, v: i64) -> Result<Value, CodecError> {
        self.number(Number::Int(v))
    }

    fn serialize_u64(self, v: u64) -> Result<Value, CodecError> {
        self.number(i64::try_from(v).map_or(Number::UInt(v), Number::Int))
    }

    fn serialize_f32(self, v: f32) -> Result<Value, CodecError> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<Value, CodecError> {
        if v.is_finite() {
            self.number(Number::Float(v))
        } else {
            Err(CodecError::here(format!("{v} is not a number")))
        }
    }

    fn serialize_char(self, v: char) -> Result<Value, CodecError> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<Value, CodecError> {
        match self.ty {
            CtyType::String => Ok(Value::string(v)),
            CtyType::Number => Number::parse(v)
                .map(Value::Number)
                .map_err(|_| CodecError::here("a number is required")),
            ty => Err(mismatch(ty, "text")),
        }
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<Value, CodecError> {
        Err(mismatch(self.ty, "bytes"))
    }

    fn serialize_none(self) -> Result<Value, CodecError> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, CodecError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, CodecError> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, CodecError> {
        Ok(Value::Null)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value, CodecError> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Value, CodecError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, CodecError> {
        let mut entries = self.entries()?;
        ser::SerializeMap::serialize_entry(&mut entries, variant, value)?;
        ser::SerializeMap::end(entries)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Sequence<'t>, CodecError> {
        self.sequence(len)
    }

    fn serialize_tuple(self, len: usize) -> Result<Sequence<'t>, CodecError> {
        self.sequence(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Sequence<'t>, CodecError> {
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

    fn serialize_map(self, _: Option<usize>) -> Result<EntriesOf<'t>, CodecError> {
        self.entries()
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<EntriesOf<'t>, CodecError> {
        self.entries()
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
pub(crate) struct Sequence<'t> {
    ty: &'t CtyType,
    items: Vec<Value>,
}

impl ser::SerializeSeq for Sequence<'_> {
    type Ok = Value;
    type Error = CodecError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        let index = self.items.len();
        let ty = match self.ty {
            CtyType::List(ety) | CtyType::Set(ety) => Some(&**ety),
            CtyType::Tuple(etys) => etys.get(index),
            _ => None,
        };
        let item = match ty {
            Some(ty) => to_value(ty, value),
            None => Err(CodecError::here("more elements than the tuple type has")),
        };
        self.items
            .push(item.map_err(|e| e.within(PathStep::ElementKeyInt(index as i64)))?);
        Ok(())
    }

    fn end(self) -> Result<Value, CodecError> {
        match self.ty {
            CtyType::Set(_) => Ok(Value::Set(self.items)),
            CtyType::Tuple(etys) if etys.len() != self.items.len() => Err(CodecError::here(
                format!("a tuple of length {} is required", etys.len()),
            )),
            CtyType::Tuple(_) => Ok(Value::Tuple(self.items)),
            _ => Ok(Value::List(self.items)),
        }
    }
}

/// Tuples and tuple structs serialise as sequences do.
macro_rules! sequence_like {
    ($($serializer:ident: $method:ident),*) => {
        $(impl ser::$serializer for Sequence<'_> {
            type Ok = Value;
            type Error = CodecError;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
                ser::SerializeSeq::serialize_element(self, value)
            }

            fn end(self) -> Result<Value, CodecError> {
                ser::SerializeSeq::end(self)
            }
        })*
    };
}

sequence_like!(SerializeTuple: serialize_element, SerializeTupleStruct: serialize_field);

/// The entries of a map or object as they serialise (a struct with flattened fields serialises as a map).
pub(crate) struct EntriesOf<'t> {
    ty: &'t CtyType,
    entries: EntryDecoder<'t>,
    /// The key whose value comes next.
    key: Option<String>,
}

impl EntriesOf<'_> {
    fn entry<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), CodecError> {
        self.entries.entry(key, |ty| to_value(ty, value))
    }

    /// The map, or the object with its absent attributes null.
    fn finish(self) -> Value {
        let mut entries = self.entries.finish();
        match self.ty {
            CtyType::Object(atys) => {
                for name in atys.keys() {
                    entries.entry(name.clone()).or_insert(Value::Null);
                }
                Value::Object(entries)
            }
            _ => Value::Map(entries),
        }
    }
}

impl ser::SerializeMap for EntriesOf<'_> {
    type Ok = Value;
    type Error = CodecError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CodecError> {
        // A key is text, or a number or bool written as text (as JSON writes them).
        match key.serialize(Typed {
            ty: &CtyType::String,
        })? {
            Value::String(key) => {
                self.key = Some(key);
                Ok(())
            }
            _ => Err(CodecError::here("map keys must be text")),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| CodecError::here("a map value came before its key"))?;
        self.entry(key, value)
    }

    fn end(self) -> Result<Value, CodecError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for EntriesOf<'_> {
    type Ok = Value;
    type Error = CodecError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        self.entry(key.to_string(), value)
    }

    fn end(self) -> Result<Value, CodecError> {
        Ok(self.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use std::collections::BTreeMap;

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
}
