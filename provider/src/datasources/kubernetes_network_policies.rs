//! `portmatrix_kubernetes_network_policies`: NetworkPolicy manifests for the pod roles of the selected
//! platforms, for `kubernetes_manifest` with `for_each`, as JSON strings, and as one YAML stream.
//!
//! The platform, endpoint, parameter and user-catalog inputs are those of the other rule data sources, reused
//! from [`selection`]; `tier` blocks, an endpoint's `tier` and `pod_network` are left out of this schema because
//! policies select pods by label, not machines by tier. Their validation (unknown platforms, endpoints and
//! parameters, malformed CIDRs) is the engine's, so every data source reports the same errors.

use super::config;
use super::config::{given_options, with_options};
use super::selection::{self, EndpointKind};
use super::{echo_config, outputs_type, read_result, skipped_type, DataSource, ReadResult};
use crate::cty::AttributePath;
use crate::cty::{typed_from_serde, CtyType, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::schema::{Attribute, Block, NestedBlock, Schema};
use crate::targets::kubernetes_network_policies::inputs::{
    self, OwnInputs, NAME_PREFIX, NODE_CIDRS, POLICY_TYPES,
};
use crate::targets::kubernetes_network_policies::{
    self as target, LabelSelector, PolicySet, RoleSelector, SelectionPoliciesError,
    SelectorOperator, SelectorRequirement,
};
use crate::targets::target::{outcome_fields, NOT_NEEDED, WARNINGS};
use crate::terraform_terms::{policy_diagnostic, problem_diagnostic};
use serde_json::json;

/// The `portmatrix_kubernetes_network_policies` data source.
pub(crate) struct KubernetesNetworkPoliciesDataSource;

const TYPE_NAME: &str = "portmatrix_kubernetes_network_policies";

const POD_SELECTOR: &str = "pod_selector";

/// Every configurable name, echoed into the result.
const INPUTS: [&str; 8] = [
    "platform",
    "endpoint",
    "parameters",
    "user_catalogs",
    NODE_CIDRS,
    POD_SELECTOR,
    POLICY_TYPES,
    NAME_PREFIX,
];

fn at(name: &str) -> AttributePath {
    AttributePath::root().attr(name)
}

/// The selection inputs without what concerns tiers.
fn selection_inputs(block: Block) -> Block {
    let mut block = selection::with_selection_inputs(block, EndpointKind::Cidrs);
    block.blocks.retain(|b| b.type_name != "tier");
    block.attributes.retain(|a| a.name != "pod_network");
    for nested in &mut block.blocks {
        if nested.type_name == "endpoint" {
            nested.block.attributes.retain(|a| a.name != "tier");
            nested.block.description = "Addresses for an endpoint the catalogs name (`kubernetes-api-server`, \
                `backupstore`, ...) or for a role that runs outside the cluster: rules of pods that talk to it \
                use its CIDRs as `ipBlock` peers."
                .into();
        }
    }
    block
}

/// The node CIDRs, policy types and name prefix given (those not known yet at their defaults), with
/// diagnostics on the bad ones.
fn own_inputs(config: &Value, diagnostics: &mut Diagnostics) -> OwnInputs {
    let mut problems = Vec::new();
    let own = inputs::own_inputs(&given_options(config, &inputs::options()), &mut problems);
    diagnostics.extend(problems.into_iter().map(problem_diagnostic));
    own
}

/// The `pod_selector` blocks, or diagnostics on bad operators.
fn selectors(config: &Value, diagnostics: &mut Diagnostics) -> Vec<RoleSelector> {
    let blocks = config
        .get_attr(POD_SELECTOR)
        .and_then(Value::as_elements)
        .unwrap_or_default();
    let mut selectors = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        let match_labels = block
            .get_attr("match_labels")
            .and_then(Value::as_map)
            .map(|labels| {
                labels
                    .iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let mut match_expressions = Vec::new();
        let expressions = block
            .get_attr("match_expression")
            .and_then(Value::as_elements)
            .unwrap_or_default();
        for (j, expression) in expressions.iter().enumerate() {
            let Some(operator) = config::string(expression, "operator") else {
                continue;
            };
            match operator.parse::<SelectorOperator>() {
                Ok(operator) => match_expressions.push(SelectorRequirement {
                    key: config::string(expression, "key")
                        .unwrap_or_default()
                        .to_string(),
                    operator,
                    values: config::strings(expression, "values")
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(_, v)| v.to_string())
                        .collect(),
                }),
                Err(detail) => diagnostics.push(
                    Diagnostic::error("Invalid selector operator", detail).at(at(POD_SELECTOR)
                        .index(index as i64)
                        .attr("match_expression")
                        .index(j as i64)
                        .attr("operator")),
                ),
            }
        }
        selectors.push(RoleSelector {
            role: config::string(block, "role")
                .unwrap_or_default()
                .to_string(),
            namespace: config::string(block, "namespace").map(str::to_string),
            selector: LabelSelector {
                match_labels,
                match_expressions,
            },
        });
    }
    selectors
}

/// Runs the selection and the target on a wholly known configuration.
fn compute(config: &Value, diagnostics: &mut Diagnostics) -> Option<PolicySet> {
    let own = own_inputs(config, diagnostics);
    let selectors = selectors(config, diagnostics);
    // The engine validates platforms, endpoint blocks and parameters exactly as for the other data sources,
    // and normalizes the endpoints' CIDRs; its tier rules are not used here.
    let (catalog, request, expansion) = selection::expanded(config, diagnostics)?;
    if diagnostics.has_errors() {
        return None;
    }
    match target::selection_policies(&catalog, &request, &expansion, own, selectors) {
        Ok(set) => Some(set),
        Err(SelectionPoliciesError::Platforms(errors)) => {
            for (index, error) in errors {
                let path = at("platform").index(index as i64);
                diagnostics.push(Diagnostic::error("Invalid platform", error.to_string()).at(path));
            }
            None
        }
        Err(SelectionPoliciesError::Policies(errors)) => {
            diagnostics.extend(errors.iter().map(policy_diagnostic));
            None
        }
    }
}

fn result(config: &Value, set: &PolicySet, diagnostics: &mut Diagnostics) -> Option<ReadResult> {
    let manifests = set.manifests();
    let policies = serde_json::Value::Object(manifests.clone().into_iter().collect());
    let (ty, value) = typed_from_serde(&policies);
    let json = manifests
        .iter()
        .map(|(key, manifest)| {
            let text = serde_json::to_string_pretty(manifest).unwrap_or_default();
            (key.clone(), Value::string(text))
        })
        .collect();
    let mut attributes = echo_config(config, &INPUTS);
    attributes.push(("policies".into(), Value::dynamic(ty, value)));
    attributes.push(("manifests".into(), Value::Map(json)));
    attributes.push(("yaml".into(), Value::string(set.yaml())));
    let outcome = json!({NOT_NEEDED: set.not_needed, WARNINGS: set.warnings});
    let outputs = outputs_type(&outcome_fields("", ""));
    read_result(TYPE_NAME, attributes, &outputs, &outcome, diagnostics)
}

impl DataSource for KubernetesNetworkPoliciesDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "Turns platform port tables into Kubernetes NetworkPolicy objects, one per pod role, selected by the \
             catalogs' namespaces and labels: ingress and egress rules with `endPort` for ranges, `ipBlock` peers \
             for nodes (from `node_cidrs`) and for endpoints such as the Kubernetes API server. Ready for \
             `kubernetes_manifest` with `for_each`, as JSON strings, or as one YAML stream.",
        );
        let match_expression =
            Block::new("A `matchExpressions` entry: the pods' label `key` tested with `operator`.")
                .attribute(Attribute::required("key", CtyType::String, "Label key."))
                .attribute(Attribute::required(
                    "operator",
                    CtyType::String,
                    "`In`, `NotIn`, `Exists` or `DoesNotExist`.",
                ))
                .attribute(Attribute::optional(
                    "values",
                    CtyType::list(CtyType::String),
                    "Values for `In` and `NotIn`; leave unset for `Exists` and `DoesNotExist`.",
                ));
        let pod_selector = Block::new(
            "The namespace and labels of a pod role whose catalog gives none (or whose labels differ in your \
             cluster). portmatrix never guesses labels: a role another role's policy must admit needs a selector.",
        )
        .attribute(Attribute::required(
            "role",
            CtyType::String,
            "The pod role, as `platform/role` or a role name unique among the selected platforms (e.g. \
             `longhorn/recurring-job`).",
        ))
        .attribute(Attribute::optional(
            "namespace",
            CtyType::String,
            "The role's namespace; defaults to the catalog's.",
        ))
        .attribute(Attribute::optional(
            "match_labels",
            CtyType::map(CtyType::String),
            "Labels the role's pods carry; they replace the catalog's selector.",
        ))
        .block(NestedBlock::list("match_expression", match_expression));
        let block = selection_inputs(block).block(NestedBlock::list(POD_SELECTOR, pod_selector));
        let block = with_options(block, &inputs::options())
            .attribute(Attribute::computed(
                "policies",
                CtyType::Dynamic,
                "The NetworkPolicy objects by `namespace/name` (e.g. \
                 `longhorn-system/portmatrix-longhorn-manager`), each exactly as Kubernetes reads it and with no \
                 null fields, for `kubernetes_manifest` with `for_each` and `manifest = each.value`.",
            ))
            .attribute(Attribute::computed(
                "manifests",
                CtyType::map(CtyType::String),
                "The same objects as JSON documents, by the same keys: `jsondecode(each.value)` gives the object; \
                 JSON is also valid YAML, for resources that take YAML text.",
            ))
            .attribute(Attribute::computed(
                "yaml",
                CtyType::String,
                "Every policy as one multi-document YAML stream (`---` before each), in key order, for `kubectl \
                 apply -f`.",
            ))
            .attribute(Attribute::computed(
                "not_needed",
                CtyType::list(skipped_type()),
                "Catalog flows that need no policy rule, with the `reason`: flows with no pod at either end \
                 (NetworkPolicy cannot govern them), and flows whose pods no policy isolates.",
            ))
            .attribute(Attribute::computed(
                "warnings",
                CtyType::list(CtyType::String),
                "Flows skipped for a missing input (node CIDRs, an endpoint's addresses, a port parameter), roles \
                 left open because their catalog gives no labels, host-network flows, and what to add by hand \
                 (DNS for egress-isolated roles).",
            ));
        Schema::new(0, block)
    }

    fn validates_from_config_alone(&self) -> bool {
        true
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        selection::validate(config, diagnostics);
        own_inputs(config, diagnostics);
    }

    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<ReadResult> {
        let set = compute(config, diagnostics)?;
        result(config, &set, diagnostics)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::cty::Number;
    use std::collections::BTreeMap;

    fn config(extra: &[(&str, Value)], selectors: Vec<Value>) -> Value {
        let block = KubernetesNetworkPoliciesDataSource.schema().block;
        let platform = Value::object([
            ("name", Value::string("longhorn")),
            ("version", Value::string("1.6.0")),
            ("options", Value::Null),
        ]);
        let endpoint = |name: &str, cidr: &str| {
            Value::object([
                ("name", Value::string(name)),
                ("cidr_ipv4", Value::List(vec![Value::string(cidr)])),
                ("cidr_ipv6", Value::Null),
            ])
        };
        let mut attributes = vec![
            ("platform".to_string(), Value::List(vec![platform])),
            (
                "endpoint".to_string(),
                Value::List(vec![
                    endpoint("kubernetes-api-server", "10.0.0.10/32"),
                    endpoint("backupstore", "192.0.2.10/32"),
                ]),
            ),
            (
                NODE_CIDRS.to_string(),
                Value::List(vec![Value::string("10.0.0.0/24")]),
            ),
            ("pod_selector".to_string(), Value::List(selectors)),
        ];
        attributes.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        block.complete(Value::Object(attributes.into_iter().collect()))
    }

    fn recurring_job() -> Value {
        Value::object([
            ("role", Value::string("recurring-job")),
            ("namespace", Value::Null),
            ("match_labels", Value::Null),
            (
                "match_expression",
                Value::List(vec![Value::object([
                    ("key", Value::string("recurring-job.longhorn.io")),
                    ("operator", Value::string("Exists")),
                    ("values", Value::Null),
                ])]),
            ),
        ])
    }

    #[test]
    fn result_conforms_to_the_schema_and_policies_carry_their_own_types() {
        let mut diagnostics = Diagnostics::default();
        let value = read_value(
            &KubernetesNetworkPoliciesDataSource,
            &config(&[], vec![recurring_job()]),
            &mut diagnostics,
        )
        .expect("policies");
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let Some(Value::Dynamic {
            ty,
            value: policies,
        }) = value.get_attr("policies")
        else {
            panic!("policies is not a dynamic value");
        };
        let CtyType::Object(keys) = ty else {
            panic!("policies is not an object: {ty:?}");
        };
        assert!(keys.contains_key("longhorn-system/portmatrix-longhorn-manager"));
        let recurring = policies
            .get_attr("longhorn-system/portmatrix-recurring-job")
            .expect("the recurring job's policy");
        let selector = recurring
            .get_attr("spec")
            .and_then(|s| s.get_attr("podSelector"))
            .and_then(|s| s.get_attr("matchExpressions"))
            .and_then(Value::as_elements)
            .expect("matchExpressions");
        assert_eq!(str_attr(&selector[0], "operator"), Some("Exists"));
        let manifests = value.get_attr("manifests").and_then(Value::as_map).unwrap();
        let json: serde_json::Value = serde_json::from_str(
            manifests["longhorn-system/portmatrix-longhorn-manager"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(json["metadata"]["name"], "portmatrix-longhorn-manager");
        assert!(str_attr(&value, "yaml")
            .is_some_and(|y| y.starts_with("---\napiVersion: networking.k8s.io/v1\n")));
        // Longhorn's host-network flows need no policy, and node traffic without node_cidrs is warned about.
        let listed = |name| {
            value
                .get_attr(name)
                .and_then(Value::as_elements)
                .map(<[Value]>::len)
        };
        assert!(listed(NOT_NEEDED).is_some_and(|n| n > 0), "{value:?}");
        assert!(listed(WARNINGS).is_some_and(|n| n > 0), "{value:?}");
    }

    #[test]
    fn errors_point_at_the_input_that_fixes_them() {
        let text = |config: Value| {
            let mut diagnostics = Diagnostics::default();
            assert!(KubernetesNetworkPoliciesDataSource
                .read(&config, &mut diagnostics)
                .is_none());
            format!("{diagnostics:?}")
        };
        let missing = text(config(&[], Vec::new()));
        assert!(missing.contains("Role without pod selector"), "{missing}");
        assert!(missing.contains("longhorn/recurring-job"), "{missing}");
        assert!(missing.contains("pod_selector"), "{missing}");

        let mut bad_operator = recurring_job();
        if let Value::Object(attributes) = &mut bad_operator {
            attributes.insert(
                "match_expression".into(),
                Value::List(vec![Value::object([
                    ("key", Value::string("a")),
                    ("operator", Value::string("exists")),
                    ("values", Value::Null),
                ])]),
            );
        }
        let bad = text(config(&[], vec![bad_operator]));
        assert!(bad.contains("Invalid selector operator"), "{bad}");

        let cidr = text(config(
            &[(NODE_CIDRS, Value::List(vec![Value::string("10.0.0.1/24")]))],
            vec![recurring_job()],
        ));
        assert!(cidr.contains("has host bits set"), "{cidr}");

        let types = text(config(
            &[(POLICY_TYPES, Value::List(vec![Value::string("ingress")]))],
            vec![recurring_job()],
        ));
        assert!(types.contains("Unknown policy type"), "{types}");

        let endpoint = text(config(
            &[(
                "parameters",
                Value::Map(BTreeMap::from([(
                    "no_such".to_string(),
                    Value::number(Number::from(1u64)),
                )])),
            )],
            vec![recurring_job()],
        ));
        assert!(endpoint.contains("Unknown parameter"), "{endpoint}");
    }

    #[test]
    fn schema_has_no_tier_inputs() {
        let block = KubernetesNetworkPoliciesDataSource.schema().block;
        assert!(block.blocks.iter().all(|b| b.type_name != "tier"));
        assert!(block.attributes.iter().all(|a| a.name != "pod_network"));
        let endpoint = block
            .blocks
            .iter()
            .find(|b| b.type_name == "endpoint")
            .unwrap();
        assert!(endpoint.block.attributes.iter().all(|a| a.name != "tier"));
        assert!(validation(
            &KubernetesNetworkPoliciesDataSource,
            &config(
                &[
                    (NAME_PREFIX, Value::string("Bad")),
                    ("user_catalogs", Value::unknown()),
                ],
                vec![recurring_job()],
            )
        )
        .contains("Invalid name_prefix"));
    }
}
