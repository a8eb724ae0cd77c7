//! Schema building blocks and what they imply for values.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::cty::{CtyType, Value};
use crate::output_shape::OutputField;

/// A versioned schema: a data source's, or the provider configuration's. Built once and not changed after:
/// the type it implies is kept at its first use.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Schema version (Terraform uses it to upgrade managed-resource state).
    pub version: i64,
    /// The top-level block.
    pub block: Block,
    /// [`Block::implied_type`] of `block`, kept: every request decodes and encodes with it.
    implied_type: OnceLock<CtyType>,
}

impl Schema {
    /// A schema of the given version around a top-level block.
    pub fn new(version: i64, block: Block) -> Self {
        Schema {
            version,
            block,
            implied_type: OnceLock::new(),
        }
    }

    /// The type of the values this schema's configurations and results have.
    pub fn implied_type(&self) -> &CtyType {
        self.implied_type.get_or_init(|| self.block.implied_type())
    }
}

/// A configuration block: attributes plus nested block types.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    /// Markdown description.
    pub description: String,
    /// The block's attributes.
    pub attributes: Vec<Attribute>,
    /// The block's nested block types.
    pub blocks: Vec<NestedBlock>,
    /// Whether the whole block is deprecated.
    pub deprecated: bool,
}

/// How an attribute gets its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttributeMode {
    /// Set in configuration, always.
    Required,
    /// May be set in configuration; null otherwise.
    Optional,
    /// Set by the provider only.
    Computed,
    /// May be set in configuration; otherwise the provider sets it.
    OptionalComputed,
}

/// One attribute of a block.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// Attribute name (`^[a-z0-9_]+$`).
    pub name: String,
    /// Attribute type.
    pub ty: CtyType,
    /// Markdown description.
    pub description: String,
    /// Required / optional / computed.
    pub mode: AttributeMode,
    /// Hide the value in Terraform's output.
    pub sensitive: bool,
    /// Warn when the attribute is used.
    pub deprecated: bool,
}

/// How a nested block type repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nesting {
    /// At most one block; its value is an object, null when absent.
    Single,
    /// Exactly one block, implied when absent; never null.
    Group,
    /// Any number of blocks, ordered: a list of objects.
    List,
    /// Any number of blocks, unordered: a set of objects.
    Set,
    /// Labelled blocks: a map of objects keyed by label.
    Map,
}

/// A nested block type of a block.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlock {
    /// Block type name (`^[a-z0-9_]+$`).
    pub type_name: String,
    /// How the block repeats.
    pub nesting: Nesting,
    /// The nested block's schema.
    pub block: Block,
    /// Minimum number of blocks (0: no minimum).
    pub min_items: i64,
    /// Maximum number of blocks (0: no maximum).
    pub max_items: i64,
}

impl Block {
    /// An empty block with a Markdown description.
    pub fn new(description: impl Into<String>) -> Self {
        Block {
            description: description.into(),
            ..Block::default()
        }
    }

    /// Adds an attribute.
    #[must_use]
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// Adds a computed attribute for each output field.
    #[must_use]
    pub fn outputs(self, fields: Vec<OutputField>) -> Self {
        fields.into_iter().fold(self, |block, field| {
            block.attribute(Attribute::computed(
                field.name,
                CtyType::of_shape(&field.shape),
                field.description,
            ))
        })
    }

    /// Adds a nested block type.
    #[must_use]
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }

    /// The object type a value of this block has on the wire, as Terraform
    /// core derives it (`configschema.Block.ImpliedType`).
    pub fn implied_type(&self) -> CtyType {
        let mut attrs: BTreeMap<String, CtyType> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for nb in &self.blocks {
            attrs.insert(nb.type_name.clone(), nb.implied_type());
        }
        CtyType::Object(attrs)
    }

    /// Makes an object value of this block complete: every absent
    /// attribute becomes null and every absent nested block its empty form,
    /// recursively through nested blocks, because Terraform rejects objects
    /// with missing attributes. Non-object values are returned unchanged.
    pub fn complete(&self, value: Value) -> Value {
        let Value::Object(mut attrs) = value else {
            return value;
        };
        for a in &self.attributes {
            attrs.entry(a.name.clone()).or_insert(Value::Null);
        }
        Value::Object(self.complete_blocks(attrs))
    }

    /// The attributes `attrs` of an object of this block with its nested blocks completed ([`Block::complete`]),
    /// absent ones in their empty form; attributes are left as they are.
    pub fn complete_blocks(&self, mut attrs: BTreeMap<String, Value>) -> BTreeMap<String, Value> {
        for nb in &self.blocks {
            let completed = match attrs.remove(&nb.type_name) {
                Some(v) => nb.complete(v),
                None => nb.empty_value(),
            };
            attrs.insert(nb.type_name.clone(), completed);
        }
        attrs
    }
}

impl Attribute {
    fn with_mode(
        name: impl Into<String>,
        ty: CtyType,
        description: impl Into<String>,
        mode: AttributeMode,
    ) -> Self {
        Attribute {
            name: name.into(),
            ty,
            description: description.into(),
            mode,
            sensitive: false,
            deprecated: false,
        }
    }

    /// A required attribute.
    pub fn required(name: impl Into<String>, ty: CtyType, description: impl Into<String>) -> Self {
        Self::with_mode(name, ty, description, AttributeMode::Required)
    }

    /// An optional attribute.
    pub fn optional(name: impl Into<String>, ty: CtyType, description: impl Into<String>) -> Self {
        Self::with_mode(name, ty, description, AttributeMode::Optional)
    }

    /// A computed (read-only) attribute.
    pub fn computed(name: impl Into<String>, ty: CtyType, description: impl Into<String>) -> Self {
        Self::with_mode(name, ty, description, AttributeMode::Computed)
    }
}

impl NestedBlock {
    fn with_nesting(type_name: impl Into<String>, nesting: Nesting, block: Block) -> Self {
        NestedBlock {
            type_name: type_name.into(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
        }
    }

    /// At most one block (`min_items`/`max_items` must be equal, 0 or 1).
    pub fn single(type_name: impl Into<String>, block: Block) -> Self {
        Self::with_nesting(type_name, Nesting::Single, block)
    }

    /// A group: exactly one, implied when absent.
    pub fn group(type_name: impl Into<String>, block: Block) -> Self {
        Self::with_nesting(type_name, Nesting::Group, block)
    }

    /// An ordered list of blocks.
    pub fn list(type_name: impl Into<String>, block: Block) -> Self {
        Self::with_nesting(type_name, Nesting::List, block)
    }

    /// An unordered set of blocks.
    pub fn set(type_name: impl Into<String>, block: Block) -> Self {
        Self::with_nesting(type_name, Nesting::Set, block)
    }

    /// Labelled blocks.
    pub fn map(type_name: impl Into<String>, block: Block) -> Self {
        Self::with_nesting(type_name, Nesting::Map, block)
    }

    /// Sets the minimum number of blocks.
    #[must_use]
    pub fn min_items(mut self, n: i64) -> Self {
        self.min_items = n;
        self
    }

    /// Sets the maximum number of blocks.
    #[must_use]
    // Only the schema tests build such schemas; the data sources need none.
    #[cfg(test)]
    pub(crate) fn max_items(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }

    /// The type of this block type's value in the parent object. As in
    /// Terraform core, list and map blocks whose content involves `dynamic`
    /// become `dynamic` themselves (a tuple or object at run time).
    pub fn implied_type(&self) -> CtyType {
        let object = self.block.implied_type();
        match self.nesting {
            Nesting::Single | Nesting::Group => object,
            Nesting::List if object.has_dynamic_types() => CtyType::Dynamic,
            Nesting::List => CtyType::list(object),
            Nesting::Set => CtyType::set(object),
            Nesting::Map if object.has_dynamic_types() => CtyType::Dynamic,
            Nesting::Map => CtyType::map(object),
        }
    }

    /// The value of this block type when no block is present
    /// (`configschema.NestedBlock.EmptyValue`).
    pub(crate) fn empty_value(&self) -> Value {
        let dynamic = self.block.implied_type().has_dynamic_types();
        match self.nesting {
            Nesting::Single => Value::Null,
            Nesting::Group => self.block.complete(Value::Object(BTreeMap::new())),
            Nesting::List if dynamic => {
                Value::dynamic(CtyType::Tuple(Vec::new()), Value::Tuple(Vec::new()))
            }
            Nesting::List => Value::List(Vec::new()),
            Nesting::Set => Value::Set(Vec::new()),
            Nesting::Map if dynamic => Value::dynamic(
                CtyType::Object(BTreeMap::new()),
                Value::Object(BTreeMap::new()),
            ),
            Nesting::Map => Value::Map(BTreeMap::new()),
        }
    }

    /// Completes a present value of this block type. Only a single block
    /// may be null; for the other nestings null means "no blocks".
    fn complete(&self, value: Value) -> Value {
        match (self.nesting, value) {
            (Nesting::Single, v) => self.block.complete(v),
            (_, Value::Null) => self.empty_value(),
            (Nesting::Group, v) => self.block.complete(v),
            (Nesting::List, Value::List(items)) => {
                Value::List(items.into_iter().map(|v| self.block.complete(v)).collect())
            }
            (Nesting::Set, Value::Set(items)) => {
                Value::Set(items.into_iter().map(|v| self.block.complete(v)).collect())
            }
            (Nesting::Map, Value::Map(entries)) => Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, self.block.complete(v)))
                    .collect(),
            ),
            // Unknowns and dynamic-typed forms are left as they are.
            (_, v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cty::{encode_msgpack, Number};

    fn platform() -> Block {
        Block::new("A platform.")
            .attribute(Attribute::required(
                "name",
                CtyType::String,
                "Platform name.",
            ))
            .attribute(Attribute::optional("version", CtyType::String, "Version."))
            .block(NestedBlock::single(
                "options",
                Block::new("Options.").attribute(Attribute::optional(
                    "cni",
                    CtyType::String,
                    "CNI.",
                )),
            ))
    }

    fn flows() -> Block {
        Block::new("Flows.")
            .attribute(Attribute::computed(
                "rules",
                CtyType::list(CtyType::object([("port", CtyType::Number)])),
                "Rules.",
            ))
            .block(NestedBlock::list("platform", platform()).min_items(1))
            .block(NestedBlock::set(
                "exclude",
                Block::new("x").attribute(Attribute::required("port", CtyType::Number, "p")),
            ))
            .block(NestedBlock::map("zone", Block::new("z")))
            .block(NestedBlock::group(
                "defaults",
                Block::new("d").attribute(Attribute::optional("ipv6", CtyType::Bool, "v6")),
            ))
    }

    #[test]
    fn implied_type_of_nested_blocks() {
        let platform_ty = CtyType::object([
            ("name", CtyType::String),
            ("version", CtyType::String),
            ("options", CtyType::object([("cni", CtyType::String)])),
        ]);
        assert_eq!(
            flows().implied_type(),
            CtyType::object([
                (
                    "rules",
                    CtyType::list(CtyType::object([("port", CtyType::Number)]))
                ),
                ("platform", CtyType::list(platform_ty)),
                (
                    "exclude",
                    CtyType::set(CtyType::object([("port", CtyType::Number)]))
                ),
                (
                    "zone",
                    CtyType::map(CtyType::object(Vec::<(String, CtyType)>::new()))
                ),
                ("defaults", CtyType::object([("ipv6", CtyType::Bool)])),
            ])
        );
    }

    #[test]
    fn list_and_map_blocks_with_dynamic_content_are_dynamic() {
        let dyn_block = Block::new("d").attribute(Attribute::optional("v", CtyType::Dynamic, "v"));
        assert_eq!(
            NestedBlock::list("l", dyn_block.clone()).implied_type(),
            CtyType::Dynamic
        );
        assert_eq!(
            NestedBlock::map("m", dyn_block.clone()).implied_type(),
            CtyType::Dynamic
        );
        assert_eq!(
            NestedBlock::single("s", dyn_block.clone()).implied_type(),
            CtyType::object([("v", CtyType::Dynamic)])
        );
        let empty = NestedBlock::list("l", dyn_block).empty_value();
        assert!(encode_msgpack(&CtyType::Dynamic, &empty).is_ok());
    }

    #[test]
    fn complete_fills_every_absent_part() {
        let partial = Value::object([(
            "platform",
            Value::List(vec![Value::object([("name", Value::from("k3s"))])]),
        )]);
        let complete = flows().complete(partial);
        assert_eq!(
            complete,
            Value::object([
                ("rules", Value::Null),
                (
                    "platform",
                    Value::List(vec![Value::object([
                        ("name", Value::from("k3s")),
                        ("version", Value::Null),
                        ("options", Value::Null),
                    ])])
                ),
                ("exclude", Value::Set(vec![])),
                ("zone", Value::Map(BTreeMap::new())),
                ("defaults", Value::object([("ipv6", Value::Null)])),
            ])
        );
        // What complete() returns always encodes against the implied type.
        assert!(encode_msgpack(&flows().implied_type(), &complete).is_ok());
    }

    #[test]
    fn complete_keeps_present_values_and_fills_inside_them() {
        let partial = Value::object([
            (
                "rules",
                Value::List(vec![Value::object([(
                    "port",
                    Value::Number(Number::Int(22)),
                )])]),
            ),
            ("exclude", Value::Null),
            (
                "zone",
                Value::Map([("a".to_owned(), Value::Object(BTreeMap::new()))].into()),
            ),
            ("defaults", Value::Object(BTreeMap::new())),
        ]);
        let complete = flows().complete(partial);
        assert_eq!(
            complete
                .get_attr("rules")
                .and_then(Value::as_elements)
                .map(<[Value]>::len),
            Some(1)
        );
        assert_eq!(complete.get_attr("exclude"), Some(&Value::Set(vec![])));
        assert_eq!(complete.get_attr("platform"), Some(&Value::List(vec![])));
        assert_eq!(
            complete.get_attr("defaults"),
            Some(&Value::object([("ipv6", Value::Null)]))
        );
        assert!(encode_msgpack(&flows().implied_type(), &complete).is_ok());
        assert_eq!(flows().complete(Value::Null), Value::Null);
    }
}
