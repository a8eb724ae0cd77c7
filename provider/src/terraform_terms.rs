//! How the Terraform front end spells the settings messages mention ([`crate::engine::setting`]): attributes
//! and blocks. The server renders every diagnostic and result value with it before Terraform sees them, and the
//! data sources render the option descriptions of their schemas.

use crate::cty::Value;
use crate::diagnostics::Diagnostic;
use crate::engine::setting::{has_markers, render, Literal, Setting};

/// How a Terraform configuration writes a setting a message mentions: attributes and blocks.
pub fn terraform_spelling(setting: &Setting) -> String {
    let (name, value) = match setting {
        Setting::Option { name, value } => (name.clone(), value.as_ref()),
        Setting::OptionEntry { name, key, value } => {
            return format!("{name} = {{ {} = {} }}", hcl_key(key), hcl(value))
        }
        Setting::Platform { name } => return format!("platform {{ name = {name:?} }}"),
        Setting::Tier { name } => return format!("a tier block named {name:?}"),
        Setting::PlatformOption {
            platform,
            key,
            value: None,
        } => return format!("options.{key} of the platform block {platform:?}"),
        Setting::PlatformOption {
            platform,
            key,
            value: Some(value),
        } => {
            return format!(
                "options = {{ {} = {value:?} }} in the platform block {platform:?}",
                hcl_key(key)
            )
        }
        Setting::PodSelector { role } => return format!("a pod_selector block (role = {role:?})"),
        Setting::Endpoint { name } => return format!("an endpoint block named {name:?}"),
        Setting::Parameter { name, value: None } => return format!("parameters.{name}"),
        Setting::Parameter {
            name,
            value: Some(value),
        } => return format!("parameters = {{ {} = {} }}", hcl_key(name), hcl(value)),
        Setting::ApiServerPort { value } => ("api_server_port".to_string(), value.as_ref()),
        Setting::PodNetwork { value } => return format!("pod_network = {value:?}"),
        Setting::ExtraFlowField { field, value } => {
            return format!("{field} = {} in the extra_flow block", hcl(value))
        }
    };
    match value {
        None => name,
        Some(value) => format!("{name} = {}", hcl(value)),
    }
}

/// A literal as HCL writes it; `...` in a list stands for more elements.
fn hcl(literal: &Literal) -> String {
    match literal {
        Literal::Bool(b) => b.to_string(),
        Literal::Number(n) => n.clone(),
        Literal::Text(text) => format!("{text:?}"),
        Literal::Texts(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| match item.as_str() {
                    "..." => item.clone(),
                    _ => format!("{item:?}"),
                })
                .collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// A map key as HCL writes it: bare when it is an identifier, quoted otherwise.
fn hcl_key(key: &str) -> String {
    let bare = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

/// `text` with the settings it mentions spelled as Terraform writes them.
pub fn in_terraform_terms(text: &str) -> String {
    render(text, &terraform_spelling)
}

/// `diagnostic` with the settings it mentions spelled as Terraform writes them.
pub fn terraform_diagnostic(mut diagnostic: Diagnostic) -> Diagnostic {
    diagnostic.summary = in_terraform_terms(&diagnostic.summary);
    diagnostic.detail = in_terraform_terms(&diagnostic.detail);
    diagnostic
}

/// `value` with the settings its texts mention spelled as Terraform writes them (warnings, reasons).
pub fn terraform_value(value: Value) -> Value {
    match value {
        Value::String(text) if has_markers(&text) => Value::String(in_terraform_terms(&text)),
        Value::List(items) => Value::List(items.into_iter().map(terraform_value).collect()),
        Value::Set(items) => Value::Set(items.into_iter().map(terraform_value).collect()),
        Value::Tuple(items) => Value::Tuple(items.into_iter().map(terraform_value).collect()),
        Value::Map(items) => Value::Map(
            items
                .into_iter()
                .map(|(k, v)| (k, terraform_value(v)))
                .collect(),
        ),
        Value::Object(items) => Value::Object(
            items
                .into_iter()
                .map(|(k, v)| (k, terraform_value(v)))
                .collect(),
        ),
        Value::Dynamic { ty, value } => Value::Dynamic {
            ty,
            value: Box::new(terraform_value(*value)),
        },
        other => other,
    }
}
