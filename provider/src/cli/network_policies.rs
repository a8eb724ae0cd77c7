//! `portmatrix expand --target kubernetes-network-policies`: NetworkPolicy objects per pod role, as
//! `portmatrix_kubernetes_network_policies` gives them. A separate arm of `expand` rather than a
//! [`crate::targets::target::Target`]: policies select pods by label, per role, not machines by tier, and their
//! output is manifests, not rules.

use serde_json::{json, Value};
use std::collections::BTreeMap;

use super::spelling::{flag, in_cli_terms};
use super::table::Table;
use crate::catalog::Catalog;
use crate::engine::{Expansion, ExpansionRequest, SkippedFlow};
use crate::targets::kubernetes_network_policies::inputs::{self, InputProblem};
use crate::targets::kubernetes_network_policies::{
    selection_policies, LabelSelector, PolicyError, RoleSelector, SelectionPoliciesError,
};
use crate::targets::target::{Options, Shape, TargetOption};

/// The target's name on the command line.
pub(super) const NAME: &str = "kubernetes-network-policies";
/// One line for `--help`.
pub(super) const ABOUT: &str =
    "Kubernetes NetworkPolicy objects per pod role (as portmatrix_kubernetes_network_policies)";

/// The pod selectors: `ROLE[@NAMESPACE]` to its labels `LABEL=VALUE`.
pub(super) const POD_SELECTOR: &str = "pod_selector";

/// The target's options, as `expand` offers them (flags, and keys of the selection file): the policies' own
/// inputs, then the pod selectors, which the data source takes as blocks.
pub(super) fn options() -> Vec<TargetOption> {
    let mut options = inputs::options();
    options.push(TargetOption::optional(
        POD_SELECTOR,
        Shape::map(Shape::texts()),
        None,
        "The labels (and, after @, the namespace) of a pod role whose catalog gives none, e.g. \
         longhorn/recurring-job@longhorn-system=app=longhorn-recurring-job.",
    ));
    options
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
    let mut problems = Vec::new();
    let own = inputs::own_inputs(options, &mut problems);
    let mut errors: Vec<String> = problems.into_iter().map(problem).collect();
    let selectors = selectors(options, &mut errors);
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    let set = selection_policies(catalog, request, expansion, own, selectors).map_err(|error| {
        let errors: Vec<String> = match error {
            SelectionPoliciesError::Platforms(errors) => errors
                .iter()
                .map(|(index, error)| {
                    let platform = request.platforms.get(*index).map(|p| p.platform.as_str());
                    format!("--platform {}: {error}", platform.unwrap_or_default())
                })
                .collect(),
            SelectionPoliciesError::Policies(errors) => errors.iter().map(policy_error).collect(),
        };
        errors.join("\n")
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

/// A problem with one of the policies' inputs, naming its flag (and the value, counted from 1) unless the
/// summary does.
fn problem(problem: InputProblem) -> String {
    let (flag, summary) = (flag(problem.input), in_cli_terms(&problem.summary));
    let at = match problem.index {
        Some(index) => format!("{flag} (value {}): ", index + 1),
        None if summary.contains(&flag) => String::new(),
        None => format!("{flag}: "),
    };
    format!("{at}{summary}: {}", in_cli_terms(&problem.detail))
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
