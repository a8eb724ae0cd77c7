//! `portmatrix expand --target kubernetes-network-policies`: NetworkPolicy objects per pod role, as
//! `portmatrix_kubernetes_network_policies` gives them. A separate arm of `expand` rather than a
//! [`crate::targets::target::Target`]: policies select pods by label, per role, not machines by tier, and their
//! output is manifests, not rules.

use serde_json::{json, Value};
use std::collections::BTreeMap;

use super::table::Table;
use crate::catalog::{Catalog, Selected};
use crate::engine::cidr::{parse_cidr, CidrFamily};
use crate::engine::{parameter_values, Expansion, ExpansionRequest, SkippedFlow};
use crate::targets::kubernetes_network_policies::{
    network_policies, Directions, LabelSelector, PolicyError, PolicyOptions, RoleSelector,
    DEFAULT_NAME_PREFIX,
};
use crate::targets::target::{OptionValue, Options, Shape, TargetOption};

/// The target's name on the command line.
pub(super) const NAME: &str = "kubernetes-network-policies";
/// One line for `--help`.
pub(super) const ABOUT: &str =
    "Kubernetes NetworkPolicy objects per pod role (as portmatrix_kubernetes_network_policies)";

const NODE_CIDRS: &str = "node_cidrs";
const POLICY_TYPES: &str = "policy_types";
const NAME_PREFIX: &str = "name_prefix";
/// The pod selectors: `ROLE[@NAMESPACE]` to its labels `LABEL=VALUE`.
pub(super) const POD_SELECTOR: &str = "pod_selector";

/// The target's options, as `expand` offers them (flags, and keys of the selection file).
pub(super) fn options() -> Vec<TargetOption> {
    vec![
        TargetOption::optional(
            NODE_CIDRS,
            Shape::texts(),
            None,
            "CIDR blocks of the addresses node (host-network) traffic has when it reaches pods; without them \
             flows from or to host-network roles are skipped with a warning.",
        ),
        TargetOption::optional(
            POLICY_TYPES,
            Shape::texts(),
            Some("Ingress,Egress"),
            "Directions to isolate: Ingress, Egress or both.",
        ),
        TargetOption::optional(
            NAME_PREFIX,
            Shape::Text,
            Some(DEFAULT_NAME_PREFIX),
            "Prefix of every policy name, followed by the role name.",
        ),
        TargetOption::optional(
            POD_SELECTOR,
            Shape::map(Shape::texts()),
            None,
            "The labels (and, after @, the namespace) of a pod role whose catalog gives none, e.g. \
             longhorn/recurring-job@longhorn-system=app=longhorn-recurring-job.",
        ),
    ]
}

/// The policies of a selection, shaped like the outputs of the data source.
pub(super) struct Policies {
    /// The JSON document.
    pub(super) json: Value,
    /// One row per policy.
    pub(super) table: Table,
    /// The target's warnings.
    pub(super) warnings: Vec<String>,
}

/// Runs the target on an expanded selection with `options` (checked here, as the data source checks its inputs).
pub(super) fn policies(
    catalog: &Catalog,
    request: &ExpansionRequest,
    expansion: &Expansion,
    options: &Options,
    skipped_json: fn(&SkippedFlow) -> Value,
) -> Result<Policies, String> {
    let mut errors = Vec::new();
    let node_cidrs = node_cidrs(options, &mut errors);
    let directions = directions(options, &mut errors);
    let selectors = selectors(options, &mut errors);
    let mut selected: Vec<Selected<'_>> = Vec::new();
    for selection in &request.platforms {
        match catalog.select(selection) {
            Ok(chosen) => selected.push(chosen),
            Err(error) => errors.push(format!("--platform {}: {error}", selection.platform)),
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    let policy_options = PolicyOptions {
        node_cidrs,
        endpoints: expansion.endpoints.clone(),
        parameters: parameter_values(catalog, request).unwrap_or_default(),
        selectors,
        directions,
        name_prefix: options
            .text(NAME_PREFIX)
            .unwrap_or(DEFAULT_NAME_PREFIX)
            .to_string(),
    };
    let set = network_policies(&selected, &policy_options).map_err(|errors| {
        errors
            .iter()
            .map(policy_error)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let manifests = set.manifests();
    let mut table = Table::new(&["KEY", "PLATFORM", "ROLE", "INGRESS", "EGRESS"]);
    let count = |rules: &Option<Vec<_>>| {
        rules
            .as_ref()
            .map_or("-".to_string(), |r| r.len().to_string())
    };
    for (key, policy) in &set.policies {
        table.row(vec![
            key.clone(),
            policy.platform.clone(),
            policy.role.clone(),
            count(&policy.ingress),
            count(&policy.egress),
        ]);
    }
    let texts: BTreeMap<&String, String> = manifests
        .iter()
        .map(|(key, manifest)| {
            let text = serde_json::to_string_pretty(manifest).map_err(|e| e.to_string())?;
            Ok((key, text))
        })
        .collect::<Result<_, String>>()?;
    Ok(Policies {
        json: json!({
            "target": NAME,
            "policies": manifests,
            "manifests": texts,
            "yaml": set.yaml(),
            "not_needed": set.not_needed.iter().map(skipped_json).collect::<Vec<_>>(),
            "warnings": set.warnings,
        }),
        table,
        warnings: set.warnings,
    })
}

/// The error's flag, then the error.
fn policy_error(error: &PolicyError) -> String {
    let flag = match error {
        PolicyError::InvalidName { .. } => "--name-prefix",
        _ => "--pod-selector",
    };
    format!("{flag}: {error}")
}

fn texts(options: &Options, name: &str) -> Option<Vec<String>> {
    match options.get(name) {
        Some(OptionValue::List(items)) => Some(
            items
                .iter()
                .filter_map(|item| match item {
                    OptionValue::Text(text) => Some(text.clone()),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// The node CIDRs, validated and normalized.
fn node_cidrs(options: &Options, errors: &mut Vec<String>) -> Vec<String> {
    let mut cidrs = Vec::new();
    for (index, text) in texts(options, NODE_CIDRS)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        match parse_cidr(text, CidrFamily::Any) {
            Ok(net) => {
                let normalized = net.to_string();
                if !cidrs.contains(&normalized) {
                    cidrs.push(normalized);
                }
            }
            Err(error) => errors.push(format!(
                "--node-cidrs (value {}): {}: {}",
                index + 1,
                error.summary(),
                error.fix()
            )),
        }
    }
    cidrs
}

fn directions(options: &Options, errors: &mut Vec<String>) -> Directions {
    let Some(types) = texts(options, POLICY_TYPES) else {
        return Directions::default();
    };
    let mut directions = Directions {
        ingress: false,
        egress: false,
    };
    for (index, text) in types.iter().enumerate() {
        match text.as_str() {
            "Ingress" => directions.ingress = true,
            "Egress" => directions.egress = true,
            other => errors.push(format!(
                "--policy-types (value {}): Unknown policy type {other:?}: write \"Ingress\" or \"Egress\" \
                 (Kubernetes spelling).",
                index + 1
            )),
        }
    }
    if types.is_empty() {
        errors.push(
            "--policy-types: No policy type: list Ingress, Egress or both; leave it out for both."
                .to_string(),
        );
    }
    directions
}

/// The pod selectors: `ROLE[@NAMESPACE]` and its `LABEL=VALUE` entries.
fn selectors(options: &Options, errors: &mut Vec<String>) -> Vec<RoleSelector> {
    let mut selectors = Vec::new();
    for (target, labels) in options.list_map(POD_SELECTOR) {
        let (role, namespace) = match target.split_once('@') {
            Some((role, namespace)) => (role.to_string(), Some(namespace.to_string())),
            None => (target.clone(), None),
        };
        let mut match_labels = BTreeMap::new();
        for entry in labels {
            match entry.split_once('=') {
                Some((key, value)) if !key.is_empty() => {
                    match_labels.insert(key.to_string(), value.to_string());
                }
                _ => errors.push(format!(
                    "--pod-selector {target}: {entry:?} is not LABEL=VALUE (e.g. {target}=app=my-app)"
                )),
            }
        }
        selectors.push(RoleSelector {
            role,
            namespace,
            selector: LabelSelector {
                match_labels,
                match_expressions: Vec::new(),
            },
        });
    }
    selectors
}
