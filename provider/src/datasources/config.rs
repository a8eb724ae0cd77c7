//! Reading arguments out of a decoded configuration object: plain values, and options declared as
//! [`TargetOption`]s (the targets', the audit's, the network policies'), whose attributes [`with_options`] adds.
//!
//! During validation any argument may still be unknown; these helpers return `None` for unknown (and null)
//! values so that callers only check what is already decided.

use crate::cty::{CtyType, Value};
pub(crate) use crate::schema::{reject_null_elements, reject_unconfigurable};
use crate::schema::{Attribute, Block};
use crate::targets::target::{OptionValue, Options, Shape, TargetOption};
use crate::terraform_terms::in_terraform_terms;

/// A string argument's value, if set and known.
pub fn string<'a>(config: &'a Value, name: &str) -> Option<&'a str> {
    config.get_attr(name).and_then(Value::as_str)
}

/// The known string elements of a list argument, with their indexes. `None` when the list itself is unset
/// or unknown; unknown elements are skipped.
pub fn strings<'a>(config: &'a Value, name: &str) -> Option<Vec<(usize, &'a str)>> {
    let elements = config.get_attr(name)?.as_elements()?;
    Some(
        elements
            .iter()
            .enumerate()
            .filter_map(|(index, element)| element.as_str().map(|text| (index, text)))
            .collect(),
    )
}

/// Whether an argument's value is fully known (so that checks across its elements are meaningful).
pub(crate) fn is_known(config: &Value, name: &str) -> bool {
    config.get_attr(name).is_none_or(Value::is_wholly_known)
}

/// `block` with an attribute for each option, its description in Terraform terms.
pub(super) fn with_options(block: Block, options: &[TargetOption]) -> Block {
    options.iter().fold(block, |block, option| {
        let ty = CtyType::of_shape(&option.shape);
        let description = in_terraform_terms(&option.description);
        block.attribute(if option.required {
            Attribute::required(option.name, ty, description)
        } else {
            Attribute::optional(option.name, ty, description)
        })
    })
}

/// An option's value in the target's terms; `None` when null or unknown. Elements not known yet are
/// [`OptionValue::Unknown`], so that validation judges the known ones at their place.
fn option_value(shape: &Shape, value: &Value) -> Option<OptionValue> {
    if value.is_null() || value.is_unknown() {
        return None;
    }
    let element = |shape: &Shape, item: &Value| {
        if item.is_unknown() {
            Some(OptionValue::Unknown)
        } else {
            option_value(shape, item)
        }
    };
    Some(match shape {
        Shape::Text => OptionValue::Text(value.as_str()?.to_string()),
        Shape::Number => OptionValue::Number(value.as_number()?.to_string()),
        Shape::Bool => OptionValue::Bool(value.as_bool()?),
        Shape::List(shape) => OptionValue::List(
            value
                .as_elements()?
                .iter()
                .filter_map(|item| element(shape, item))
                .collect(),
        ),
        Shape::Map(shape) => OptionValue::Map(
            value
                .as_map()?
                .iter()
                .filter_map(|(key, item)| Some((key.clone(), element(shape, item)?)))
                .collect(),
        ),
        Shape::Object(_) => return None,
    })
}

/// The values a configuration gives `options` (those known so far).
pub(super) fn given_options(config: &Value, options: &[TargetOption]) -> Options {
    let values = options
        .iter()
        .filter_map(|TargetOption { name, shape, .. }| {
            let value = option_value(shape, config.get_attr(name)?)?;
            Some((name.to_string(), value))
        })
        .collect();
    Options {
        values,
        platform_order: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_null_read_as_absent() {
        let config = Value::object([
            ("a", Value::string("x")),
            ("b", Value::Null),
            ("c", Value::unknown()),
            (
                "l",
                Value::List(vec![
                    Value::string("p"),
                    Value::unknown(),
                    Value::string("q"),
                ]),
            ),
        ]);
        assert_eq!(string(&config, "a"), Some("x"));
        assert_eq!(string(&config, "b"), None);
        assert_eq!(string(&config, "c"), None);
        assert_eq!(strings(&config, "l"), Some(vec![(0, "p"), (2, "q")]));
        assert_eq!(strings(&config, "b"), None);
        assert!(!is_known(&config, "l"));
        assert!(is_known(&config, "a"));
    }
}
