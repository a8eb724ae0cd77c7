//! cty types and their JSON form (the schema `type` bytes and the type half
//! of a dynamically-typed value).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use super::TypeError;
use crate::output_shape::Shape;

/// A cty type, as Terraform's type system knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CtyType {
    /// `bool`.
    Bool,
    /// `number`: arbitrary-precision decimal.
    Number,
    /// `string`.
    String,
    /// `dynamic`: the value carries its own type on the wire.
    Dynamic,
    /// `list(T)`.
    List(Box<CtyType>),
    /// `set(T)`.
    Set(Box<CtyType>),
    /// `map(T)`: string keys.
    Map(Box<CtyType>),
    /// `object({...})`: a fixed set of named attributes.
    Object(BTreeMap<String, CtyType>),
    /// `tuple([...])`: a fixed sequence of element types.
    Tuple(Vec<CtyType>),
}

impl CtyType {
    /// The type of the values of an output shape.
    pub fn of_shape(shape: &Shape) -> CtyType {
        match shape {
            Shape::Text => CtyType::String,
            Shape::Number => CtyType::Number,
            Shape::Bool => CtyType::Bool,
            Shape::List(element) => CtyType::list(CtyType::of_shape(element)),
            Shape::Map(element) => CtyType::map(CtyType::of_shape(element)),
            Shape::Object(fields) => CtyType::object(
                fields
                    .iter()
                    .map(|(name, shape)| (*name, CtyType::of_shape(shape))),
            ),
        }
    }

    /// `list(element)`.
    pub fn list(element: CtyType) -> CtyType {
        CtyType::List(Box::new(element))
    }

    /// `set(element)`.
    pub fn set(element: CtyType) -> CtyType {
        CtyType::Set(Box::new(element))
    }

    /// `map(element)`.
    pub fn map(element: CtyType) -> CtyType {
        CtyType::Map(Box::new(element))
    }

    /// `object({name = type, ...})`.
    pub fn object<I, K>(attributes: I) -> CtyType
    where
        I: IntoIterator<Item = (K, CtyType)>,
        K: Into<String>,
    {
        CtyType::Object(attributes.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }

    /// `tuple([...])`.
    pub(crate) fn tuple(elements: Vec<CtyType>) -> CtyType {
        CtyType::Tuple(elements)
    }

    /// Whether `dynamic` occurs anywhere in this type.
    pub(crate) fn has_dynamic_types(&self) -> bool {
        match self {
            CtyType::Bool | CtyType::Number | CtyType::String => false,
            CtyType::Dynamic => true,
            CtyType::List(t) | CtyType::Set(t) | CtyType::Map(t) => t.has_dynamic_types(),
            CtyType::Object(attrs) => attrs.values().any(CtyType::has_dynamic_types),
            CtyType::Tuple(elems) => elems.iter().any(CtyType::has_dynamic_types),
        }
    }

    /// Whether this is a list, set or map (cty's "collection" types).
    pub fn is_collection(&self) -> bool {
        matches!(self, CtyType::List(_) | CtyType::Set(_) | CtyType::Map(_))
    }

    /// The compact JSON bytes Terraform expects in a schema attribute's
    /// `type` field ([`Serialize`] gives the form).
    pub(crate) fn to_json_bytes(&self) -> Vec<u8> {
        // Cannot fail: every map key is text.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses the JSON form. Also accepts the optional-attributes form
    /// `["object",{...},["name",...]]`; the optional markers are checked
    /// against the attributes and then dropped, since they only matter for
    /// type conversion, which this crate doesn't do.
    pub(crate) fn from_json(v: &serde_json::Value) -> Result<CtyType, TypeError> {
        match v {
            serde_json::Value::String(s) => match s.as_str() {
                "bool" => Ok(CtyType::Bool),
                "number" => Ok(CtyType::Number),
                "string" => Ok(CtyType::String),
                "dynamic" => Ok(CtyType::Dynamic),
                other => Err(TypeError::new(format!(
                    "invalid primitive type name {other:?}"
                ))),
            },
            serde_json::Value::Array(items) => {
                let kind = items
                    .first()
                    .and_then(serde_json::Value::as_str)
                    .ok_or_else(|| TypeError::new("type array must start with a kind string"))?;
                match (kind, items.as_slice()) {
                    ("list", [_, elem]) => Ok(CtyType::list(CtyType::from_json(elem)?)),
                    ("set", [_, elem]) => Ok(CtyType::set(CtyType::from_json(elem)?)),
                    ("map", [_, elem]) => Ok(CtyType::map(CtyType::from_json(elem)?)),
                    ("object", [_, attrs]) => object_from_json(attrs, None),
                    ("object", [_, attrs, optional]) => object_from_json(attrs, Some(optional)),
                    ("tuple", [_, elems]) => {
                        let elems = elems.as_array().ok_or_else(|| {
                            TypeError::new("tuple element types must be an array")
                        })?;
                        elems
                            .iter()
                            .map(CtyType::from_json)
                            .collect::<Result<Vec<_>, _>>()
                            .map(CtyType::Tuple)
                    }
                    (kind, items) => Err(TypeError::new(format!(
                        "invalid type kind {kind:?} with {} array elements",
                        items.len()
                    ))),
                }
            }
            _ => Err(TypeError::new("a type must be a JSON string or array")),
        }
    }

    /// Parses the JSON form from bytes.
    pub(crate) fn from_json_bytes(bytes: &[u8]) -> Result<CtyType, TypeError> {
        let v: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| TypeError::new(format!("type is not valid JSON: {e}")))?;
        CtyType::from_json(&v)
    }
}

fn object_from_json(
    attrs: &serde_json::Value,
    optional: Option<&serde_json::Value>,
) -> Result<CtyType, TypeError> {
    let attrs = attrs
        .as_object()
        .ok_or_else(|| TypeError::new("object attribute types must be a JSON object"))?;
    let mut out = BTreeMap::new();
    for (name, ty) in attrs {
        out.insert(name.clone(), CtyType::from_json(ty)?);
    }
    if let Some(optional) = optional {
        let names = optional
            .as_array()
            .ok_or_else(|| TypeError::new("optional attribute names must be an array"))?;
        for name in names {
            let name = name
                .as_str()
                .ok_or_else(|| TypeError::new("optional attribute names must be strings"))?;
            if !out.contains_key(name) {
                return Err(TypeError::new(format!(
                    "optional attribute {name:?} is not an attribute of the object"
                )));
            }
        }
    }
    Ok(CtyType::Object(out))
}

/// The JSON form, e.g. `["list",["object",{"port":"number"}]]`, written as it serialises (a schema holds
/// hundreds of attribute types): object attributes come out sorted by name, as Go's map encoding sorts them.
impl Serialize for CtyType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            CtyType::Bool => serializer.serialize_str("bool"),
            CtyType::Number => serializer.serialize_str("number"),
            CtyType::String => serializer.serialize_str("string"),
            CtyType::Dynamic => serializer.serialize_str("dynamic"),
            CtyType::List(t) => ("list", t).serialize(serializer),
            CtyType::Set(t) => ("set", t).serialize(serializer),
            CtyType::Map(t) => ("map", t).serialize(serializer),
            CtyType::Object(attrs) => ("object", attrs).serialize(serializer),
            CtyType::Tuple(elems) => ("tuple", elems).serialize(serializer),
        }
    }
}

impl fmt::Display for CtyType {
    /// Terraform-style type expression, e.g. `list(object({port=number}))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CtyType::Bool => f.write_str("bool"),
            CtyType::Number => f.write_str("number"),
            CtyType::String => f.write_str("string"),
            CtyType::Dynamic => f.write_str("any"),
            CtyType::List(t) => write!(f, "list({t})"),
            CtyType::Set(t) => write!(f, "set({t})"),
            CtyType::Map(t) => write!(f, "map({t})"),
            CtyType::Object(attrs) => {
                f.write_str("object({")?;
                for (i, (k, t)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{k}={t}")?;
                }
                f.write_str("})")
            }
            CtyType::Tuple(elems) => {
                f.write_str("tuple([")?;
                for (i, t) in elems.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_bytes_match_terraform_schema_form() {
        let ty = CtyType::list(CtyType::object([
            ("protocol", CtyType::String),
            ("from_port", CtyType::Number),
        ]));
        assert_eq!(
            String::from_utf8(ty.to_json_bytes()).unwrap(),
            r#"["list",["object",{"from_port":"number","protocol":"string"}]]"#
        );
        assert_eq!(CtyType::String.to_json_bytes(), br#""string""#);
        assert_eq!(
            CtyType::tuple(vec![CtyType::Bool, CtyType::map(CtyType::Dynamic)]).to_json_bytes(),
            br#"["tuple",["bool",["map","dynamic"]]]"#
        );
        assert_eq!(
            CtyType::set(CtyType::Number).to_json_bytes(),
            br#"["set","number"]"#
        );
    }

    #[test]
    fn json_round_trips_every_kind() {
        let ty = CtyType::object([
            ("a", CtyType::Bool),
            ("b", CtyType::list(CtyType::Number)),
            ("c", CtyType::set(CtyType::String)),
            ("d", CtyType::map(CtyType::Dynamic)),
            ("e", CtyType::tuple(vec![])),
            ("f", CtyType::object(Vec::<(String, CtyType)>::new())),
        ]);
        assert_eq!(CtyType::from_json_bytes(&ty.to_json_bytes()).unwrap(), ty);
    }

    #[test]
    fn from_json_accepts_optional_attribute_form() {
        let v = json!(["object", {"a": "string", "b": "number"}, ["b"]]);
        assert_eq!(
            CtyType::from_json(&v).unwrap(),
            CtyType::object([("a", CtyType::String), ("b", CtyType::Number)])
        );
        let bad = json!(["object", {"a": "string"}, ["zz"]]);
        assert!(CtyType::from_json(&bad).is_err());
    }

    #[test]
    fn from_json_rejects_garbage() {
        for v in [
            json!("float"),
            json!(["list"]),
            json!(["list", "string", "x"]),
            json!(["object", ["a"]]),
            json!(["tuple", "string"]),
            json!(42),
            json!([]),
        ] {
            assert!(CtyType::from_json(&v).is_err(), "{v}");
        }
    }

    #[test]
    fn has_dynamic_types_looks_deep() {
        assert!(!CtyType::list(CtyType::String).has_dynamic_types());
        assert!(
            CtyType::object([("x", CtyType::tuple(vec![CtyType::Dynamic]))]).has_dynamic_types()
        );
    }

    #[test]
    fn display_is_a_type_expression() {
        let ty = CtyType::list(CtyType::object([("port", CtyType::Number)]));
        assert_eq!(ty.to_string(), "list(object({port=number}))");
    }
}
