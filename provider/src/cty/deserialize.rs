//! Values read into Rust types with serde, straight from the value tree: the data sources read their blocks
//! (`platform`, `tier`, `endpoint`, ...) into the engine's specs this way, as the specs' `Deserialize` derives
//! say, with no JSON in between.
//!
//! Values read as JSON would write them: a null or unknown attribute of an object is left out, so the field's
//! `#[serde(default)]` applies; a whole number reads as an integer (also one held as a float or as decimal text),
//! any other as a float; sets and tuples read as lists; an enum reads its unit variants by name.

use super::{Number, Value};
use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, Error as _, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

/// `value` read as a `T`.
pub(crate) fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
    T::deserialize(Read(value))
}

/// A value being read.
#[derive(Clone, Copy)]
struct Read<'v>(&'v Value);

impl<'de> de::Deserializer<'de> for Read<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null | Value::Unknown(_) => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(Number::Int(i)) => visitor.visit_i64(*i),
            Value::Number(Number::UInt(u)) => visitor.visit_u64(*u),
            Value::Number(Number::Float(f)) => visit_float(*f, visitor),
            Value::Number(Number::Decimal(text)) => match text.parse() {
                Ok(f) => visit_float(f, visitor),
                Err(_) => Err(Error::custom(format!(
                    "{text} is not a number serde can read"
                ))),
            },
            Value::String(text) => visitor.visit_borrowed_str(text),
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                let mut elements = SeqDeserializer::new(items.iter().map(Read));
                let read = visitor.visit_seq(&mut elements)?;
                elements.end()?;
                Ok(read)
            }
            Value::Map(entries) | Value::Object(entries) => {
                let known = entries
                    .iter()
                    .filter(|(_, v)| !v.is_null() && !v.is_unknown());
                let mut entries = MapDeserializer::new(known.map(|(k, v)| (k.as_str(), Read(v))));
                let read = visitor.visit_map(&mut entries)?;
                entries.end()?;
                Ok(read)
            }
            Value::Dynamic { value, .. } => Read(value).deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.0.is_null() || self.0.is_unknown() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            // A unit variant, as its name.
            Value::String(text) => visitor.visit_enum(text.as_str().into_deserializer()),
            Value::Dynamic { value, .. } => Read(value).deserialize_enum(name, variants, visitor),
            _ => self.deserialize_any(visitor),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit unit_struct
        seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// A float as JSON would write it: a whole number within `i64` as an integer, so that integer fields read it.
fn visit_float<'de, V: Visitor<'de>>(f: f64, visitor: V) -> Result<V::Value, Error> {
    // 2^63: the first whole float past i64::MAX.
    const BOUND: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (-BOUND..BOUND).contains(&f) {
        visitor.visit_i64(f as i64)
    } else {
        visitor.visit_f64(f)
    }
}

impl<'de> IntoDeserializer<'de, Error> for Read<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Spec {
        name: String,
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        ports: Vec<u16>,
        #[serde(default)]
        options: BTreeMap<String, String>,
        mode: Mode,
        ratio: f64,
        #[serde(default)]
        port: Option<u16>,
        #[serde(default)]
        tag: Option<Tag>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Tag(String);

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        Overlay,
    }

    #[test]
    fn blocks_read_as_their_json_would() {
        let value = Value::object([
            ("name", Value::string("etcd")),
            ("version", Value::Null),
            (
                "ports",
                Value::Set(vec![
                    Value::number(Number::from(2379u64)),
                    Value::number(Number::Int(2380)),
                ]),
            ),
            (
                "options",
                Value::Map(BTreeMap::from([("tls".to_string(), Value::string("on"))])),
            ),
            ("mode", Value::string("overlay")),
            ("ratio", Value::number(Number::Decimal("1.5".into()))),
            ("port", Value::number(Number::Float(8080.0))),
            ("tag", Value::string("blue")),
        ]);
        let spec: Spec = from_value(&value).expect("reads");
        assert_eq!(
            spec,
            Spec {
                name: "etcd".into(),
                version: None,
                ports: vec![2379, 2380],
                options: BTreeMap::from([("tls".to_string(), "on".to_string())]),
                mode: Mode::Overlay,
                ratio: 1.5,
                port: Some(8080),
                tag: Some(Tag("blue".into())),
            }
        );
    }

    #[test]
    fn what_does_not_fit_the_type_is_an_error_naming_it() {
        let unknown_field = Value::object([
            ("name", Value::string("etcd")),
            ("colour", Value::string("red")),
        ]);
        let error = from_value::<Spec>(&unknown_field).expect_err("refused");
        assert!(error.to_string().contains("colour"), "{error}");
        let missing = Value::object([("version", Value::string("1"))]);
        let error = from_value::<Spec>(&missing).expect_err("refused");
        assert!(error.to_string().contains("name"), "{error}");
        let too_big = Value::object([(
            "ports",
            Value::List(vec![Value::number(Number::Int(70000))]),
        )]);
        assert!(from_value::<Spec>(&too_big).is_err());
    }
}
