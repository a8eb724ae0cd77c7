//! How the command line spells the settings messages mention ([`crate::engine::setting`]): flags, or the entry
//! of the selection file where no flag exists.

use crate::engine::setting::{has_markers, render, Literal, Setting};

/// An option's flag: `rules_per_group` is `--rules-per-group`.
pub(super) fn flag(name: &str) -> String {
    format!("--{}", name.replace('_', "-"))
}

/// A literal as a flag's value.
fn value(literal: &Literal) -> String {
    match literal {
        Literal::Bool(b) => b.to_string(),
        Literal::Number(n) | Literal::Text(n) => n.clone(),
        Literal::Texts(items) => items.join(","),
    }
}

/// A literal as the selection file (TOML) writes it.
fn toml(literal: &Literal) -> String {
    literal.bracketed(|item| format!("{item:?}"))
}

/// How the command line writes `setting`.
pub(super) fn cli_spelling(setting: &Setting) -> String {
    match setting {
        Setting::Option { name, value: None } => flag(name),
        Setting::Option {
            name,
            value: Some(Literal::Bool(true)),
        } => flag(name),
        Setting::Option {
            name,
            value: Some(Literal::Bool(false)),
        } => format!("no {}", flag(name)),
        Setting::Option {
            name,
            value: Some(literal),
        } => format!("{} {}", flag(name), value(literal)),
        Setting::OptionEntry {
            name,
            key,
            value: v,
        } => {
            format!("{} {key}={}", flag(name), value(v))
        }
        Setting::Platform { name } => format!("--platform {name}"),
        Setting::Tier { name } => {
            format!("a [[tier]] entry named {name} in the --selection file")
        }
        Setting::PlatformOption {
            platform,
            key,
            value: None,
        } => format!("--option {platform}:{key}"),
        Setting::PlatformOption {
            platform,
            key,
            value: Some(v),
        } => format!("--option {platform}:{key}={v}"),
        Setting::PodSelector { role } => format!("--pod-selector {role}=LABEL=VALUE"),
        Setting::Endpoint { name } => format!("--endpoint {name}=ADDRESSES"),
        Setting::Parameter { name, value: None } => format!("--param {name}"),
        Setting::Parameter {
            name,
            value: Some(v),
        } => format!("--param {name}={}", value(v)),
        Setting::ApiServerPort { value: None } => "--api-server-port".to_string(),
        Setting::ApiServerPort { value: Some(v) } => format!("--api-server-port {}", value(v)),
        Setting::PodNetwork { value } => format!("--pod-network {value}"),
        Setting::ExtraFlowField { field, value } => format!(
            "{field} = {} in the [[extra_flow]] entry of the --selection file",
            toml(value)
        ),
    }
}

/// `text` with the settings it mentions spelled as the command line writes them.
pub(super) fn in_cli_terms(text: &str) -> String {
    render(text, &cli_spelling)
}

/// `value` with the settings its texts mention spelled as the command line writes them.
pub(super) fn json_in_cli_terms(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) if has_markers(&text) => Value::String(in_cli_terms(&text)),
        Value::Array(items) => Value::Array(items.into_iter().map(json_in_cli_terms).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, json_in_cli_terms(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_spelled_as_flags() {
        let cases = [
            (
                Setting::option_value("widen_to_fit", Literal::Bool(true)),
                "--widen-to-fit",
            ),
            (
                Setting::text("unsupported_flows", "skip"),
                "--unsupported-flows skip",
            ),
            (
                Setting::option_entry(
                    "tier_ranges",
                    "master",
                    Literal::Texts(vec!["<CIDR>".into()]),
                ),
                "--tier-ranges master=<CIDR>",
            ),
            (
                Setting::Parameter {
                    name: "backupstore_port".into(),
                    value: Some(Literal::Number("<port>".into())),
                },
                "--param backupstore_port=<port>",
            ),
            (
                Setting::ApiServerPort {
                    value: Some(Literal::Number("443".into())),
                },
                "--api-server-port 443",
            ),
        ];
        for (setting, spelled) in cases {
            assert_eq!(
                in_cli_terms(&format!("set {setting}.")),
                format!("set {spelled}.")
            );
        }
    }
}
