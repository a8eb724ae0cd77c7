//! Checks of a decoded configuration against its block that Terraform does not make itself, the same for every
//! data source.

use super::{AttributeMode, Block};
use crate::cty::{AttributePath, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};

/// An error for each attribute the provider computes that the configuration sets (`warnings = []`): Terraform
/// passes such values to data sources without a word, and the provider would ignore them.
pub fn reject_unconfigurable(block: &Block, config: &Value, diagnostics: &mut Diagnostics) {
    unconfigurable(block, config, AttributePath::root(), diagnostics);
}

fn unconfigurable(
    block: &Block,
    value: &Value,
    path: AttributePath,
    diagnostics: &mut Diagnostics,
) {
    for attribute in &block.attributes {
        let set = value
            .get_attr(&attribute.name)
            .is_some_and(|v| !v.is_null());
        if attribute.mode == AttributeMode::Computed && set {
            let at = path.clone().attr(attribute.name.clone());
            diagnostics.push(
                Diagnostic::error(
                    "Value for unconfigurable attribute",
                    format!(
                        "`{at}` is computed by the provider, so a value set here is not used: remove it, and read \
                         the result from the data source instead."
                    ),
                )
                .at(at),
            );
        }
    }
    for nested in &block.blocks {
        let Some(inner) = value.get_attr(&nested.type_name) else {
            continue;
        };
        let at = path.clone().attr(nested.type_name.clone());
        match inner {
            Value::List(items) | Value::Set(items) => {
                for (index, item) in items.iter().enumerate() {
                    unconfigurable(
                        &nested.block,
                        item,
                        at.clone().index(index as i64),
                        diagnostics,
                    );
                }
            }
            Value::Map(items) => {
                for (key, item) in items {
                    unconfigurable(
                        &nested.block,
                        item,
                        at.clone().key(key.clone()),
                        diagnostics,
                    );
                }
            }
            Value::Object(_) => unconfigurable(&nested.block, inner, at, diagnostics),
            _ => {}
        }
    }
}

/// An error for each null element of a list, set or map anywhere in `config`. Terraform passes such nulls on
/// (`cidr_ipv4 = [null]`, `options = { cni = null }`); reading them as absent would drop what the user wrote
/// without a word, so each one is refused at its path with what to write instead.
pub fn reject_null_elements(config: &Value, diagnostics: &mut Diagnostics) {
    null_elements(config, AttributePath::root(), None, diagnostics);
}

/// Walks `value` at `path`. Terraform finds the source of a path only down to one index or key below an
/// attribute (`ElaborateFromConfigBody`), so an element of a nested collection (`tier_addresses["a"][1]`) is
/// reported at `anchor`, the outer element, with the full path in the text.
fn null_elements(
    value: &Value,
    path: AttributePath,
    anchor: Option<&AttributePath>,
    diagnostics: &mut Diagnostics,
) {
    let mut report = |at: AttributePath, summary: String, detail: String| {
        let shown = anchor.cloned().unwrap_or(at);
        diagnostics.push(Diagnostic::error(summary, detail).at(shown));
    };
    let elements: Vec<(AttributePath, &Value, Option<&String>)> = match value {
        Value::Object(attributes) => {
            for (name, attribute) in attributes.iter().filter(|(_, v)| may_hold_nulls(v)) {
                null_elements(
                    attribute,
                    path.clone().attr(name.clone()),
                    anchor,
                    diagnostics,
                );
            }
            return;
        }
        Value::Dynamic { value, .. } => return null_elements(value, path, anchor, diagnostics),
        Value::List(elements) | Value::Set(elements) | Value::Tuple(elements) => elements
            .iter()
            .enumerate()
            .filter(|(_, element)| element.is_null() || may_hold_nulls(element))
            .map(|(index, element)| (path.clone().index(index as i64), element, None))
            .collect(),
        Value::Map(entries) => entries
            .iter()
            .filter(|(_, entry)| entry.is_null() || may_hold_nulls(entry))
            .map(|(key, entry)| (path.clone().key(key.clone()), entry, Some(key)))
            .collect(),
        _ => return,
    };
    let mut nested = Vec::new();
    for (at, element, key) in elements {
        if !element.is_null() {
            nested.push((at, element));
            continue;
        }
        match key {
            None => report(
                at.clone(),
                format!("Null element in {path}"),
                format!(
                    "{at} is null, and a list cannot leave an element out: remove it, or write the value it \
                     stands for. To leave `{path}` unset, leave the attribute out."
                ),
            ),
            Some(key) => report(
                at.clone(),
                format!("Null value in {path}"),
                format!(
                    "{at} is null, which is not read as unset: give {key:?} a value, or remove the key (a key \
                     left out takes its default)."
                ),
            ),
        }
    }
    for (at, element) in nested {
        // Blocks are objects; an element of an attribute's collection that is itself a collection is as deep
        // as Terraform can point.
        let inner = match element {
            Value::Object(_) => anchor.cloned(),
            _ => Some(anchor.cloned().unwrap_or_else(|| at.clone())),
        };
        null_elements(element, at, inner.as_ref(), diagnostics);
    }
}

/// Whether `value` has elements, so may hold a null one. The walk builds paths only down to such values: most of
/// a configuration is text and unset attributes.
fn may_hold_nulls(value: &Value) -> bool {
    matches!(
        value,
        Value::Object(_)
            | Value::Dynamic { .. }
            | Value::List(_)
            | Value::Set(_)
            | Value::Tuple(_)
            | Value::Map(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_elements_are_errors_at_their_index_or_key() {
        let config = Value::object([
            ("user_catalogs", Value::List(vec![Value::Null])),
            ("unset", Value::Null),
            (
                "endpoint",
                Value::List(vec![Value::object([
                    ("name", Value::string("internet")),
                    (
                        "cidr_ipv4",
                        Value::List(vec![Value::string("10.0.0.0/8"), Value::Null]),
                    ),
                    ("tier", Value::Null),
                ])]),
            ),
            (
                "platform",
                Value::List(vec![Value::object([(
                    "options",
                    Value::Map([("cni".to_string(), Value::Null)].into_iter().collect()),
                )])]),
            ),
            ("unknown", Value::List(vec![Value::unknown()])),
            (
                "tier_addresses",
                Value::Map(
                    [(
                        "a".to_string(),
                        Value::List(vec![Value::string("10.0.0.0/8"), Value::Null]),
                    )]
                    .into_iter()
                    .collect(),
                ),
            ),
        ]);
        let mut diagnostics = Diagnostics::default();
        reject_null_elements(&config, &mut diagnostics);
        let found: Vec<(String, String)> = diagnostics
            .iter()
            .map(|d| {
                (
                    d.attribute
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    d.summary.clone(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "endpoint[0].cidr_ipv4[1]".to_string(),
                    "Null element in endpoint[0].cidr_ipv4".to_string()
                ),
                (
                    "platform[0].options[\"cni\"]".to_string(),
                    "Null value in platform[0].options".to_string()
                ),
                (
                    // Terraform points no deeper than one index below an attribute.
                    "tier_addresses[\"a\"]".to_string(),
                    "Null element in tier_addresses[\"a\"]".to_string()
                ),
                (
                    "user_catalogs[0]".to_string(),
                    "Null element in user_catalogs".to_string()
                ),
            ]
        );
        assert!(diagnostics.iter().all(|d| d.is_error()));
        let details: Vec<&str> = diagnostics.iter().map(|d| d.detail.as_str()).collect();
        assert!(
            details[0].contains("remove it, or write the value"),
            "{details:?}"
        );
        assert!(
            details[1].contains("give \"cni\" a value, or remove the key"),
            "{details:?}"
        );
    }
}
