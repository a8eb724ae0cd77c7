//! How the Terraform front end spells what the pure layers say neutrally: the settings messages mention
//! ([`crate::engine::setting`]) as attributes and blocks, and the inputs errors name (engine paths, target
//! locations, input problems) as attribute paths. The server renders every diagnostic with it; the data sources
//! render every text of a read's result as it is written, and the option descriptions of their schemas.

use std::borrow::Cow;

use crate::audit::inputs::SECURITY_GROUPS;
use crate::audit::{AuditError, ExpansionAuditError};
use crate::cty::AttributePath;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::engine::setting::{has_markers, render, Literal, Setting};
use crate::engine::{InputError, PathStep};
use crate::targets::aws::quota_errors;
use crate::targets::kubernetes_network_policies::inputs::{InputProblem, NAME_PREFIX};
use crate::targets::kubernetes_network_policies::PolicyError;
use crate::targets::target::{Location, TargetError};

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
    literal.bracketed(|item| match item {
        "..." => item.to_string(),
        _ => format!("{item:?}"),
    })
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

/// A text of a read's result (a warning, a reason) with the settings it mentions spelled as Terraform writes them.
/// Borrowed when it mentions none: a result holds thousands of texts, and few mention a setting.
pub fn terraform_text(text: &str) -> Cow<'_, str> {
    if has_markers(text) {
        Cow::Owned(in_terraform_terms(text))
    } else {
        Cow::Borrowed(text)
    }
}

/// A target error as a diagnostic on the attribute (and map key) that can fix it. Terraform locates a path only
/// down to one key below an attribute, so an element of a map entry's list is named in the detail.
pub fn target_diagnostic(error: TargetError) -> Diagnostic {
    let (path, detail) = match error.location {
        Location::Option {
            name,
            key: None,
            index,
        } => {
            let path = AttributePath::root().attr(name);
            (
                match index {
                    Some(index) => path.index(index as i64),
                    None => path,
                },
                error.detail,
            )
        }
        Location::Option {
            name,
            key: Some(key),
            index,
        } => {
            let path = AttributePath::root().attr(name).key(key);
            let detail = match index {
                Some(index) => format!("{path}[{index}]: {}", error.detail),
                None => error.detail,
            };
            (path, detail)
        }
        Location::Tiers => (AttributePath::root().attr("tier"), error.detail),
    };
    terraform_diagnostic(Diagnostic::error(error.summary, detail).at(path))
}

/// Engine input errors as diagnostics on the attributes they name.
pub fn input_diagnostics(errors: Vec<InputError>) -> Diagnostics {
    errors
        .into_iter()
        .map(|error| {
            let path = error
                .path
                .iter()
                .fold(AttributePath::root(), |path, step| match step {
                    PathStep::Field(name) => path.attr(name.clone()),
                    PathStep::Index(index) => path.index(*index as i64),
                    PathStep::Key(key) => path.key(key.clone()),
                });
            Diagnostic::error(error.summary, error.detail).at(path)
        })
        .collect()
}

/// A problem with an input of the NetworkPolicy target as a diagnostic on the input (and element) it concerns.
pub fn problem_diagnostic(problem: InputProblem) -> Diagnostic {
    let path = AttributePath::root().attr(problem.input);
    let path = match problem.index {
        Some(index) => path.index(index as i64),
        None => path,
    };
    Diagnostic::error(problem.summary, problem.detail).at(path)
}

/// A NetworkPolicy error as a diagnostic on the `pod_selector` block (or the input) that can fix it.
pub fn policy_diagnostic(error: &PolicyError) -> Diagnostic {
    let at = |name: &str| AttributePath::root().attr(name);
    let selector = |index: &usize| at("pod_selector").index(*index as i64);
    let (summary, path) = match error {
        PolicyError::UnknownRole { index, .. } => {
            ("Unknown pod role", selector(index).attr("role"))
        }
        PolicyError::DuplicateSelector { index, .. } => {
            ("Duplicate pod_selector", selector(index).attr("role"))
        }
        PolicyError::InvalidSelector {
            index: Some(index), ..
        } => ("Invalid pod selector", selector(index)),
        PolicyError::InvalidSelector { index: None, .. } => {
            ("Invalid catalog selector", at("platform"))
        }
        PolicyError::UnselectablePeer { .. } => ("Role without pod selector", at("pod_selector")),
        PolicyError::InvalidName { .. } => ("Invalid policy name", at(NAME_PREFIX)),
    };
    Diagnostic::error(summary, error.to_string()).at(path)
}

/// Why an audit produced no report, as diagnostics on the options that can fix it: the quota, the tier to group
/// map, or the group that could not be read.
pub fn audit_diagnostics(error: ExpansionAuditError) -> Diagnostics {
    let groups = AttributePath::root().attr(SECURITY_GROUPS);
    match error {
        ExpansionAuditError::Rules(errors) => quota_errors(errors)
            .into_iter()
            .map(target_diagnostic)
            .collect(),
        ExpansionAuditError::Audit(AuditError::Groups(errors)) => errors
            .into_iter()
            .map(|error| {
                Diagnostic::error("Unusable security_groups", error.to_string()).at(groups.clone())
            })
            .collect(),
        ExpansionAuditError::Audit(AuditError::Read(errors)) => errors
            .into_iter()
            .map(|error| {
                let path = match &error.tier {
                    Some(tier) => groups.clone().key(tier.clone()),
                    None => AttributePath::root(),
                };
                let detail = format!("{} {}", error.message, error.hint);
                Diagnostic::error(error.summary(), detail.trim_end()).at(path)
            })
            .collect(),
    }
}
