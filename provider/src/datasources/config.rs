//! Reading arguments out of a decoded configuration object.
//!
//! During validation any argument may still be unknown; these helpers return `None` for unknown (and null)
//! values so that callers only check what is already decided.

use crate::cty::Value;
pub use crate::schema::{reject_null_elements, reject_unconfigurable};

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
pub fn is_known(config: &Value, name: &str) -> bool {
    config.get_attr(name).is_none_or(Value::is_wholly_known)
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
