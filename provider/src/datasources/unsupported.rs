//! What the GCP and Azure data sources share: the `unsupported_flows` option, the `widened` output, and target
//! option errors as diagnostics.

use crate::cty::{CtyType, Value};
use crate::diagnostics::Diagnostic;
use crate::schema::{Attribute, AttributePath};
use crate::targets::common::{OptionError, UnsupportedPolicy, Widening};

/// The option's name.
pub const UNSUPPORTED_FLOWS: &str = "unsupported_flows";

/// The `unsupported_flows` attribute: `cases` says which flows the firewall cannot express, `widen` what the
/// wider rules open.
pub fn unsupported_flows_attribute(cases: &str, widen: &str) -> Attribute {
    Attribute::optional(
        UNSUPPORTED_FLOWS,
        CtyType::String,
        format!(
            "What to do with flows the firewall cannot express exactly. {cases} `error` (default) fails, listing \
             each flow with its platform and purpose; `widen` writes the nearest wider rule ({widen}) and lists \
             each in `widened`; `skip` leaves them out and lists each in `warnings`."
        ),
    )
}

/// The policy of a known configuration, or the diagnostic for a bad value.
pub fn policy(config: &Value) -> Result<UnsupportedPolicy, Diagnostic> {
    match config.get_attr(UNSUPPORTED_FLOWS).and_then(Value::as_str) {
        None => Ok(UnsupportedPolicy::default()),
        Some(text) => text.parse().map_err(|detail: String| {
            Diagnostic::error("Invalid unsupported_flows", detail)
                .at(AttributePath::root().attr(UNSUPPORTED_FLOWS))
        }),
    }
}

/// The object type of `widened` entries.
pub fn widened_type() -> CtyType {
    CtyType::object([
        ("rule", CtyType::String),
        ("flow", CtyType::String),
        ("opened", CtyType::String),
    ])
}

/// The `widened` attribute.
pub fn widened_attribute() -> Attribute {
    Attribute::computed(
        "widened",
        CtyType::list(widened_type()),
        "Rules wider than the catalogs ask, only with `unsupported_flows = \"widen\"`: the `rule` key, the `flow` \
         as the catalogs ask for it (tiers, protocol, ports, platform and purpose) and what the rule `opened` \
         instead.",
    )
}

/// The `widened` value.
pub fn widened_value(widened: &[Widening]) -> Value {
    Value::List(
        widened
            .iter()
            .map(|w| {
                Value::object([
                    ("rule", Value::string(&w.rule)),
                    ("flow", Value::string(&w.flow)),
                    ("opened", Value::string(&w.opened)),
                ])
            })
            .collect(),
    )
}

/// A target option error as a diagnostic on the argument (and map key) that can fix it.
pub fn option_diagnostic(error: &OptionError) -> Diagnostic {
    let mut path = AttributePath::root().attr(error.option);
    if let Some(key) = &error.key {
        path = path.key(key.clone());
    }
    Diagnostic::error(error.summary.clone(), error.detail.clone()).at(path)
}

/// A list of strings, or null when empty: the cloud providers read an empty list as set, which conflicts with
/// attributes such as `source_tags`, and null as unset.
pub fn strings_or_null(items: &[String]) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        Value::List(items.iter().map(Value::string).collect())
    }
}

/// A list of strings.
pub fn strings(items: &[String]) -> Value {
    Value::List(items.iter().map(Value::string).collect())
}
