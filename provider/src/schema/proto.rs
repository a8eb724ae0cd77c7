//! Conversions into the tfplugin6 protocol messages. Attributes and nested
//! blocks are sorted by name so the wire form is deterministic.

use pb::schema::nested_block::NestingMode;
use portmatrix_proto::tfplugin6 as pb;

use super::{Attribute, AttributeMode, Block, NestedBlock, Nesting, Schema};
use crate::cty::{AttributePath, PathStep};

impl From<&Schema> for pb::Schema {
    fn from(schema: &Schema) -> Self {
        let mut block = pb::schema::Block::from(&schema.block);
        block.version = schema.version;
        pb::Schema {
            version: schema.version,
            block: Some(block),
        }
    }
}

impl From<&Block> for pb::schema::Block {
    fn from(block: &Block) -> Self {
        pb::schema::Block {
            version: 0,
            attributes: sorted_by_name(&block.attributes, |a: &pb::schema::Attribute| &a.name),
            block_types: sorted_by_name(&block.blocks, |b: &pb::schema::NestedBlock| &b.type_name),
            description: block.description.clone(),
            description_kind: pb::StringKind::Markdown.into(),
            deprecated: block.deprecated,
        }
    }
}

/// `items` as protocol messages, sorted by the name `name` gives each.
fn sorted_by_name<'a, T, M>(items: &'a [T], name: impl Fn(&M) -> &String) -> Vec<M>
where
    M: From<&'a T>,
{
    let mut messages: Vec<M> = items.iter().map(M::from).collect();
    messages.sort_by(|a, b| name(a).cmp(name(b)));
    messages
}

impl From<&Attribute> for pb::schema::Attribute {
    /// Always `type`, never `nested_type`: nested attributes crash
    /// Terraform before 1.0.5, and core rejects setting both.
    fn from(a: &Attribute) -> Self {
        let (required, optional, computed) = match a.mode {
            AttributeMode::Required => (true, false, false),
            AttributeMode::Optional => (false, true, false),
            AttributeMode::Computed => (false, false, true),
            AttributeMode::OptionalComputed => (false, true, true),
        };
        pb::schema::Attribute {
            name: a.name.clone(),
            r#type: a.ty.to_json_bytes(),
            nested_type: None,
            description: a.description.clone(),
            required,
            optional,
            computed,
            sensitive: a.sensitive,
            description_kind: pb::StringKind::Markdown.into(),
            deprecated: a.deprecated,
            write_only: false,
        }
    }
}

impl From<&NestedBlock> for pb::schema::NestedBlock {
    fn from(nb: &NestedBlock) -> Self {
        let nesting = match nb.nesting {
            Nesting::Single => NestingMode::Single,
            Nesting::Group => NestingMode::Group,
            Nesting::List => NestingMode::List,
            Nesting::Set => NestingMode::Set,
            Nesting::Map => NestingMode::Map,
        };
        pb::schema::NestedBlock {
            type_name: nb.type_name.clone(),
            block: Some(pb::schema::Block::from(&nb.block)),
            nesting: nesting.into(),
            min_items: nb.min_items,
            max_items: nb.max_items,
        }
    }
}

impl From<&AttributePath> for pb::AttributePath {
    fn from(path: &AttributePath) -> Self {
        use pb::attribute_path::step::Selector;
        pb::AttributePath {
            steps: path
                .steps()
                .iter()
                .map(|step| pb::attribute_path::Step {
                    selector: Some(match step {
                        PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                        PathStep::ElementKeyString(key) => Selector::ElementKeyString(key.clone()),
                        PathStep::ElementKeyInt(i) => Selector::ElementKeyInt(*i),
                    }),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cty::CtyType;
    use crate::test_support::selectors;
    use pb::attribute_path::step::Selector;

    fn schema() -> Schema {
        Schema::new(
            2,
            Block::new("Top **markdown**.")
                .attribute(Attribute::computed(
                    "zeta",
                    CtyType::list(CtyType::String),
                    "Z.",
                ))
                .attribute(Attribute {
                    sensitive: true,
                    ..Attribute::required("alpha", CtyType::String, "A.")
                })
                .attribute(Attribute {
                    mode: AttributeMode::OptionalComputed,
                    ..Attribute::optional("mid", CtyType::Number, "M.")
                })
                .block(NestedBlock::set("rule", Block::new("R.")).max_items(4))
                .block(NestedBlock::single(
                    "options",
                    Block {
                        deprecated: true,
                        ..Block::new("O.")
                    },
                )),
        )
    }

    #[test]
    fn schema_converts_sorted_with_markdown_descriptions() {
        let pb_schema = pb::Schema::from(&schema());
        assert_eq!(pb_schema.version, 2);
        let block = pb_schema.block.expect("block");
        let names: Vec<_> = block.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["alpha", "mid", "zeta"]);
        let blocks: Vec<_> = block
            .block_types
            .iter()
            .map(|b| b.type_name.as_str())
            .collect();
        assert_eq!(blocks, ["options", "rule"]);
        assert_eq!(block.description, "Top **markdown**.");
        assert_eq!(block.description_kind, pb::StringKind::Markdown as i32);
        for a in &block.attributes {
            assert_eq!(a.description_kind, pb::StringKind::Markdown as i32);
            assert!(a.nested_type.is_none());
        }
        let nested = &block.block_types[0];
        let nested_block = nested.block.as_ref().expect("nested block");
        assert_eq!(
            nested_block.description_kind,
            pb::StringKind::Markdown as i32
        );
        assert!(nested_block.deprecated);
        assert_eq!(nested.nesting, NestingMode::Single as i32);
        assert_eq!(block.block_types[1].nesting, NestingMode::Set as i32);
        assert_eq!(block.block_types[1].max_items, 4);
    }

    #[test]
    fn attribute_modes_and_types() {
        let block = pb::Schema::from(&schema()).block.expect("block");
        let flags = |a: &pb::schema::Attribute| (a.required, a.optional, a.computed);
        assert_eq!(flags(&block.attributes[0]), (true, false, false));
        assert!(block.attributes[0].sensitive);
        assert_eq!(block.attributes[0].r#type, br#""string""#);
        assert_eq!(flags(&block.attributes[1]), (false, true, true));
        assert_eq!(flags(&block.attributes[2]), (false, false, true));
        assert_eq!(block.attributes[2].r#type, br#"["list","string"]"#);
        let optional = pb::schema::Attribute::from(&Attribute::optional("o", CtyType::Bool, ""));
        assert_eq!(flags(&optional), (false, true, false));
    }

    #[test]
    fn attribute_path_converts_step_by_step() {
        let path = AttributePath::root().attr("platform").index(0).key("k");
        assert_eq!(
            selectors(pb::AttributePath::from(&path)),
            [
                Selector::AttributeName("platform".into()),
                Selector::ElementKeyInt(0),
                Selector::ElementKeyString("k".into()),
            ]
        );
    }
}
