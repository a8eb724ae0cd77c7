//! Output shapes written once: a serialisable output struct declared with [`output_struct!`] knows the
//! [`Shape`] of each of its fields and their descriptions, so that a schema (a Terraform data source's computed
//! attributes) and the values that fill it (its serde output, through [`crate::cty::encode_attributes`]) come from the
//! same declaration. Neutral: catalog, engine, targets and audit declare their outputs with it.

use std::collections::BTreeMap;

/// The type of an option or of an output field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// Text.
    Text,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// A list of one shape.
    List(Box<Shape>),
    /// A map from names to one shape.
    Map(Box<Shape>),
    /// An object with these fields.
    Object(Vec<(&'static str, Shape)>),
}

impl Shape {
    /// A list of `element`.
    pub fn list(element: Shape) -> Shape {
        Shape::List(Box::new(element))
    }

    /// A map of `element`.
    pub fn map(element: Shape) -> Shape {
        Shape::Map(Box::new(element))
    }

    /// A list of text.
    pub fn texts() -> Shape {
        Shape::list(Shape::Text)
    }

    /// An object.
    pub fn object<const N: usize>(fields: [(&'static str, Shape); N]) -> Shape {
        Shape::Object(fields.into())
    }
}

/// One field of an output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputField {
    /// The field's name.
    pub name: &'static str,
    /// Its type.
    pub shape: Shape,
    /// Markdown description.
    pub description: String,
}

impl OutputField {
    /// A field.
    pub fn new(name: &'static str, shape: Shape, description: impl Into<String>) -> Self {
        OutputField {
            name,
            shape,
            description: description.into(),
        }
    }
}

/// A type the outputs give values of, and so its [`Shape`]. [`output_struct!`] implements it for a struct from
/// its fields, so that an output's type is written once: as the struct that serialises it.
pub trait OutputShape {
    /// The shape of every value of the type.
    fn shape() -> Shape;
}

/// A struct of described output fields, as [`output_struct!`] writes it; its shape is the object of its fields.
pub trait OutputFields {
    /// How many fields [`Self::fields`] gives.
    const COUNT: usize;

    /// The fields in order, each described by its doc comment.
    fn fields() -> Vec<OutputField>;

    /// Serialises the fields, in order, into `state`.
    fn serialize_fields<S: serde::ser::SerializeStruct>(
        &self,
        state: &mut S,
    ) -> Result<(), S::Error>;
}

macro_rules! leaf_shapes {
    ($($shape:ident: $($ty:ty),+;)*) => {
        $($(impl OutputShape for $ty {
            fn shape() -> Shape {
                Shape::$shape
            }
        })+)*
    };
}

leaf_shapes! {
    Text: str, String;
    Number: u16, i64, usize;
    Bool: bool;
}

impl<T: OutputShape + ?Sized> OutputShape for &T {
    fn shape() -> Shape {
        T::shape()
    }
}

impl<T: OutputShape + ToOwned + ?Sized> OutputShape for std::borrow::Cow<'_, T> {
    fn shape() -> Shape {
        T::shape()
    }
}

/// Null is a value of every shape.
impl<T: OutputShape> OutputShape for Option<T> {
    fn shape() -> Shape {
        T::shape()
    }
}

impl<T: OutputShape> OutputShape for [T] {
    fn shape() -> Shape {
        Shape::list(T::shape())
    }
}

impl<T: OutputShape> OutputShape for Vec<T> {
    fn shape() -> Shape {
        Shape::list(T::shape())
    }
}

/// Maps are keyed by text, as the keys serialise.
impl<K, V: OutputShape> OutputShape for BTreeMap<K, V> {
    fn shape() -> Shape {
        Shape::map(V::shape())
    }
}

/// A serialisable output struct whose [`OutputFields`] (and so [`OutputShape`]) follow from its fields: each
/// field's name, its type's shape, and its doc comment as the description Terraform shows. A field marked
/// `#[serde(flatten)]` gives the fields of its own [`OutputFields`] type in its place.
///
/// The struct serialises as one `serialize_struct` of all its fields, flattened ones included, instead of serde's
/// derive: that makes a struct with a flattened field a map of unknown length whose keys a serialiser must take
/// as values, which cost an AWS read a tenth of its instructions where outputs hold thousands of rules
/// ([`crate::cty::encode_attributes`]). Serde's own attributes other than `flatten` are not taken.
macro_rules! output_struct {
    (
        $(#[$struct_attr:meta])*
        $vis:vis struct $name:ident $(<$lt:lifetime>)? {
            $($(#[doc = $doc:literal])* $(#[serde($flatten:ident)])? $field_vis:vis $field:ident: $ty:ty,)*
        }
    ) => {
        $(#[$struct_attr])*
        $vis struct $name $(<$lt>)? {
            $($(#[doc = $doc])* $field_vis $field: $ty,)*
        }

        impl $(<$lt>)? serde::Serialize for $name $(<$lt>)? {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct as _;
                let mut state = serializer.serialize_struct(
                    stringify!($name),
                    <Self as $crate::output_shape::OutputFields>::COUNT,
                )?;
                $crate::output_shape::OutputFields::serialize_fields(self, &mut state)?;
                state.end()
            }
        }

        impl $(<$lt>)? $crate::output_shape::OutputFields for $name $(<$lt>)? {
            const COUNT: usize =
                0 $(+ $crate::output_shape::output_struct!(@count [$($flatten)?] $ty))*;

            fn fields() -> Vec<$crate::output_shape::OutputField> {
                [$($crate::output_shape::output_struct!(@field [$($doc),*] [$($flatten)?] $field: $ty)),*]
                    .into_iter()
                    .flatten()
                    .collect()
            }

            fn serialize_fields<S: serde::ser::SerializeStruct>(
                &self,
                state: &mut S,
            ) -> Result<(), S::Error> {
                $($crate::output_shape::output_struct!(@serialize [$($flatten)?] self, state, $field);)*
                Ok(())
            }
        }

        impl $(<$lt>)? $crate::output_shape::OutputShape for $name $(<$lt>)? {
            fn shape() -> $crate::output_shape::Shape {
                $crate::output_shape::Shape::Object(
                    <Self as $crate::output_shape::OutputFields>::fields()
                        .into_iter()
                        .map(|field| (field.name, field.shape))
                        .collect(),
                )
            }
        }
    };
    (@count [flatten] $ty:ty) => {
        <$ty as $crate::output_shape::OutputFields>::COUNT
    };
    (@count [] $ty:ty) => {
        1
    };
    (@field [$($doc:literal),*] [flatten] $field:ident: $ty:ty) => {
        <$ty as $crate::output_shape::OutputFields>::fields()
    };
    (@field [$($doc:literal),*] [] $field:ident: $ty:ty) => {
        vec![$crate::output_shape::OutputField::new(
            stringify!($field),
            <$ty as $crate::output_shape::OutputShape>::shape(),
            [$($doc),*].map(str::trim).join(" "),
        )]
    };
    (@serialize [flatten] $self:ident, $state:ident, $field:ident) => {
        $crate::output_shape::OutputFields::serialize_fields(&$self.$field, $state)?
    };
    (@serialize [] $self:ident, $state:ident, $field:ident) => {
        $state.serialize_field(stringify!($field), &$self.$field)?
    };
}
pub(crate) use output_struct;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    output_struct! {
        /// Flattened into `Outer`.
        struct Inner {
            /// Described in `Outer` as a field of its own.
            count: usize,
        }
    }

    output_struct! {
        /// An output struct of every kind of field.
        struct Outer<'a> {
            /// A name,
            /// on two lines.
            name: &'a str,
            tags: Option<&'a [String]>,
            by_key: BTreeMap<String, Vec<u16>>,
            #[serde(flatten)]
            inner: Inner,
        }
    }

    #[test]
    fn output_struct_describes_its_fields_and_serialises_them() {
        let field = |name, shape, description: &str| OutputField::new(name, shape, description);
        assert_eq!(
            Outer::fields(),
            [
                field("name", Shape::Text, "A name, on two lines."),
                field("tags", Shape::texts(), ""),
                field("by_key", Shape::map(Shape::list(Shape::Number)), ""),
                field(
                    "count",
                    Shape::Number,
                    "Described in `Outer` as a field of its own."
                ),
            ]
        );
        assert_eq!(
            Outer::shape(),
            Shape::object([
                ("name", Shape::Text),
                ("tags", Shape::texts()),
                ("by_key", Shape::map(Shape::list(Shape::Number))),
                ("count", Shape::Number),
            ])
        );
        let outer = Outer {
            name: "a",
            tags: None,
            by_key: BTreeMap::new(),
            inner: Inner { count: 2 },
        };
        assert_eq!(
            serde_json::to_value(&outer).ok(),
            Some(serde_json::json!({"name": "a", "tags": null, "by_key": {}, "count": 2}))
        );
    }
}
