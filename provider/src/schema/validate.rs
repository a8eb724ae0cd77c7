//! The schema rules Terraform core enforces when it loads a provider's
//! schemas (`configschema.Block.InternalValidate`, run by TF ≥ 1.x cores
//! but not by 1.0.3), checked here so a bad schema fails our tests instead
//! of a user's `terraform plan`.

use std::collections::BTreeSet;

use super::{Block, Nesting};

/// `^[a-z0-9_]+$`
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Block {
    /// Checks this block and everything nested in it. Errors are prefixed
    /// with the dotted path of the offending name and come out sorted by
    /// name, nested blocks after their parent's attributes.
    ///
    /// Beyond core's rules this also checks attribute names (core has that
    /// check disabled) and duplicate names within attributes or blocks
    /// (impossible in core's maps, possible in our `Vec`s). The attribute
    /// mode rules (exactly one of required/optional/computed, or
    /// optional+computed) hold by construction of `AttributeMode`.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        self.validate_into("", &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn validate_into(&self, prefix: &str, errors: &mut Vec<String>) {
        let mut attributes: Vec<_> = self.attributes.iter().collect();
        attributes.sort_by(|a, b| a.name.cmp(&b.name));
        let mut seen = BTreeSet::new();
        for a in attributes {
            let name = &a.name;
            if !seen.insert(name.as_str()) {
                errors.push(format!("{prefix}{name}: attribute defined more than once"));
            }
            if !valid_name(name) {
                errors.push(format!(
                    "{prefix}{name}: name may contain only lowercase letters, digits and underscores"
                ));
            }
        }

        let mut blocks: Vec<_> = self.blocks.iter().collect();
        blocks.sort_by(|a, b| a.type_name.cmp(&b.type_name));
        let mut seen_blocks = BTreeSet::new();
        for nb in blocks {
            let name = &nb.type_name;
            if seen.contains(name.as_str()) {
                errors.push(format!(
                    "{prefix}{name}: name defined as both attribute and child block type"
                ));
            } else if !valid_name(name) {
                errors.push(format!(
                    "{prefix}{name}: name may contain only lowercase letters, digits and underscores"
                ));
            }
            if !seen_blocks.insert(name.as_str()) {
                errors.push(format!("{prefix}{name}: block type defined more than once"));
            }
            let (min, max) = (nb.min_items, nb.max_items);
            if min < 0 || max < 0 {
                errors.push(format!(
                    "{prefix}{name}: MinItems and MaxItems must both be greater than zero"
                ));
            }
            match nb.nesting {
                Nesting::Single if min != max => errors.push(format!(
                    "{prefix}{name}: MinItems and MaxItems must match in NestingSingle mode"
                )),
                Nesting::Single if !(0..=1).contains(&min) => errors.push(format!(
                    "{prefix}{name}: MinItems and MaxItems must be set to either 0 or 1 in NestingSingle mode"
                )),
                Nesting::Single => {}
                Nesting::Group if min != 0 || max != 0 => errors.push(format!(
                    "{prefix}{name}: MinItems and MaxItems cannot be used in NestingGroup mode"
                )),
                Nesting::Group => {}
                // max_items 0 means "no maximum".
                Nesting::List | Nesting::Set if max != 0 && min > max => errors.push(format!(
                    "{prefix}{name}: MinItems must be less than or equal to MaxItems in {:?} mode",
                    nb.nesting
                )),
                Nesting::List | Nesting::Set => {}
                Nesting::Map if min != 0 || max != 0 => errors.push(format!(
                    "{prefix}{name}: MinItems and MaxItems must both be 0 in NestingMap mode"
                )),
                Nesting::Map => {}
            }
            // cty sets must know their element type exactly to hash it.
            if nb.nesting == Nesting::Set && nb.block.implied_type().has_dynamic_types() {
                errors.push(format!(
                    "{prefix}{name}: NestingSet blocks may not contain attributes of cty.DynamicPseudoType"
                ));
            }
            nb.block.validate_into(&format!("{prefix}{name}."), errors);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Attribute, AttributeMode, NestedBlock};
    use super::*;
    use crate::cty::CtyType;

    fn leaf() -> Block {
        Block::new("leaf").attribute(Attribute::optional("x", CtyType::String, "x"))
    }

    fn errors(block: &Block) -> Vec<String> {
        block.validate().expect_err("schema should be invalid")
    }

    #[test]
    fn accepts_a_realistic_schema() {
        let block = Block::new("Firewall flows for a set of platforms.")
            .attribute(Attribute::required(
                "platforms",
                CtyType::list(CtyType::String),
                "Platforms.",
            ))
            .attribute(Attribute::optional("cni", CtyType::String, "CNI."))
            .attribute(Attribute {
                mode: AttributeMode::OptionalComputed,
                ..Attribute::optional("ip_family", CtyType::String, "Family.")
            })
            .attribute(Attribute::computed(
                "flows",
                CtyType::list(CtyType::object([
                    ("from_port", CtyType::Number),
                    ("to_port", CtyType::Number),
                    ("protocol", CtyType::String),
                    ("sources", CtyType::list(CtyType::String)),
                ])),
                "Flows.",
            ))
            .attribute(Attribute {
                deprecated: true,
                ..Attribute::computed("id", CtyType::String, "Id.")
            })
            .block(
                NestedBlock::list("platform", leaf())
                    .min_items(1)
                    .max_items(10),
            )
            .block(NestedBlock::list("unbounded", leaf()).min_items(3))
            .block(NestedBlock::set("exclude", leaf()))
            .block(
                NestedBlock::single("options", leaf())
                    .min_items(1)
                    .max_items(1),
            )
            .block(NestedBlock::single("extra", leaf()))
            .block(NestedBlock::group("defaults", leaf()))
            .block(NestedBlock::map("zone", leaf()));
        assert_eq!(block.validate(), Ok(()));
    }

    #[test]
    fn rejects_invalid_block_name() {
        let block = Block::new("b").block(NestedBlock::list("Platform", leaf()));
        assert_eq!(
            errors(&block),
            ["Platform: name may contain only lowercase letters, digits and underscores"]
        );
        assert!(Block::new("b")
            .block(NestedBlock::list("", leaf()))
            .validate()
            .is_err());
        assert!(Block::new("b")
            .block(NestedBlock::list("a-b", leaf()))
            .validate()
            .is_err());
    }

    #[test]
    fn rejects_bad_names_and_item_counts_with_the_message_of_terraform_core() {
        for (block, message) in [
            // rejects invalid attribute name
            (
                Block::new("b").attribute(Attribute::optional("fromPort", CtyType::Number, "p")),
                "fromPort: name may contain only lowercase letters, digits and underscores",
            ),
            // rejects name shared by attribute and block
            (
                Block::new("b")
                    .attribute(Attribute::optional("platform", CtyType::String, "p"))
                    .block(NestedBlock::list("platform", leaf())),
                "platform: name defined as both attribute and child block type",
            ),
            // rejects negative item counts
            (
                Block::new("b").block(NestedBlock::list("l", leaf()).min_items(-1)),
                "l: MinItems and MaxItems must both be greater than zero",
            ),
            // rejects single with min not max
            (
                Block::new("b").block(NestedBlock::single("s", leaf()).max_items(1)),
                "s: MinItems and MaxItems must match in NestingSingle mode",
            ),
            // rejects single outside zero or one
            (
                Block::new("b").block(NestedBlock::single("s", leaf()).min_items(2).max_items(2)),
                "s: MinItems and MaxItems must be set to either 0 or 1 in NestingSingle mode",
            ),
            // rejects group with item counts
            (
                Block::new("b").block(NestedBlock::group("g", leaf()).max_items(1)),
                "g: MinItems and MaxItems cannot be used in NestingGroup mode",
            ),
            // rejects map with item counts
            (
                Block::new("b").block(NestedBlock::map("m", leaf()).min_items(1)),
                "m: MinItems and MaxItems must both be 0 in NestingMap mode",
            ),
        ] {
            assert_eq!(errors(&block), [message]);
        }
    }

    #[test]
    fn rejects_duplicate_attributes_and_blocks() {
        let block = Block::new("b")
            .attribute(Attribute::optional("a", CtyType::String, "p"))
            .attribute(Attribute::computed("a", CtyType::String, "p"));
        assert_eq!(errors(&block), ["a: attribute defined more than once"]);
        let block = Block::new("b")
            .block(NestedBlock::list("c", leaf()))
            .block(NestedBlock::set("c", leaf()));
        assert_eq!(errors(&block), ["c: block type defined more than once"]);
    }

    #[test]
    fn rejects_list_and_set_with_min_above_max() {
        let block = Block::new("b")
            .block(NestedBlock::list("l", leaf()).min_items(3).max_items(2))
            .block(NestedBlock::set("s", leaf()).min_items(5).max_items(1));
        assert_eq!(
            errors(&block),
            [
                "l: MinItems must be less than or equal to MaxItems in List mode",
                "s: MinItems must be less than or equal to MaxItems in Set mode",
            ]
        );
    }

    #[test]
    fn rejects_set_containing_dynamic_at_any_depth() {
        let inner = Block::new("i").attribute(Attribute::optional(
            "v",
            CtyType::map(CtyType::Dynamic),
            "v",
        ));
        let block = Block::new("b").block(NestedBlock::set(
            "s",
            Block::new("s").block(NestedBlock::list("deep", inner)),
        ));
        assert_eq!(
            errors(&block),
            ["s: NestingSet blocks may not contain attributes of cty.DynamicPseudoType"]
        );
    }

    #[test]
    fn errors_in_nested_blocks_carry_their_prefix() {
        let block = Block::new("b").block(NestedBlock::list(
            "platform",
            Block::new("p").block(NestedBlock::group("opts", leaf()).min_items(1)),
        ));
        assert_eq!(
            errors(&block),
            ["platform.opts: MinItems and MaxItems cannot be used in NestingGroup mode"]
        );
    }
}
