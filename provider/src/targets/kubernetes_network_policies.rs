//! Kubernetes NetworkPolicy objects for the pod roles of a catalog selection.
//!
//! This target works on roles, not tiers: every selected flow with a pod at one end becomes a rule of the
//! policy that selects that pod (an ingress rule at the receiving pod, an egress rule at the sending pod). The
//! other end is a pod selector (the role's namespace and labels), the node CIDRs the user gives (host-network
//! roles such as Longhorn's "Node in the cluster"), or an endpoint's CIDRs (`ipBlock`). Port ranges use
//! `endPort`.
//!
//! NetworkPolicy semantics decide the shape (kubernetes.io, "Network Policies"): a pod selected by a policy of
//! a direction is isolated in that direction and admits only the union of the rules of the policies selecting
//! it; a pod no policy selects admits everything. So a role is isolated only in the directions the catalogs
//! list flows for (Longhorn's UI, whose ingress the page leaves to "Users defined", keeps its ingress open), a
//! role without labels cannot be isolated (it stays open, with a warning), and a role without labels that
//! another role's policy must admit is an error: its flow would be denied. Flows with no pod at either end
//! (host-network components, endpoints) cannot be governed by NetworkPolicy and are reported.
//!
//! A role that stands for every pod (`every_pod`, such as the clients of cluster DNS) is the peer "all pods of all
//! namespaces" (`namespaceSelector: {}`) at the other end, and never a policy of its own: its side of a flow goes
//! to every policy isolated in that direction, so a role isolated for egress can still reach CoreDNS.

pub mod inputs;
mod yaml;

#[cfg(test)]
mod evaluator;
#[cfg(test)]
mod tests;

use crate::catalog::{
    Catalog, Network, PortRange, PortSpec, Protocol, Release, Role, Selected, SelectionError, Tier,
};
use crate::engine::setting::Setting;
use crate::engine::{
    missing_parameter, parameter_port, parameter_values, roles_named, EndpointAddresses, Expansion,
    ExpansionRequest, SkippedFlow,
};
use crate::spelled::spelled;
use inputs::OwnInputs;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The name prefix of generated policies when the user gives none.
pub const DEFAULT_NAME_PREFIX: &str = "portmatrix-";

/// The namespace label every namespace carries (Kubernetes sets it since 1.21), used to select a peer's namespace.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The longest object name Kubernetes accepts (a DNS subdomain).
const MAX_NAME: usize = 253;

/// The DNS port: a flow of every pod to it is the cluster DNS every isolated role must still reach.
const DNS_PORT: u16 = 53;

/// Operator of a label selector requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SelectorOperator {
    /// The label's value is one of `values`.
    In,
    /// The label is absent or its value is none of `values`.
    NotIn,
    /// The label is present, whatever its value.
    Exists,
    /// The label is absent.
    DoesNotExist,
}

impl SelectorOperator {
    /// Whether the operator takes values (`In`, `NotIn`) or none (`Exists`, `DoesNotExist`).
    pub fn takes_values(self) -> bool {
        matches!(self, SelectorOperator::In | SelectorOperator::NotIn)
    }
}

spelled! {
    SelectorOperator {
        In => "In",
        NotIn => "NotIn",
        Exists => "Exists",
        DoesNotExist => "DoesNotExist",
    }
    else |other| format!(
        "unknown operator {other:?}; write In, NotIn, Exists or DoesNotExist (Kubernetes spelling)"
    )
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SelectorRequirement {
    /// Label key.
    pub key: String,
    /// How the key is tested.
    pub operator: SelectorOperator,
    /// Values for `In` and `NotIn`; empty otherwise.
    pub values: Vec<String>,
}

/// A Kubernetes label selector.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelSelector {
    /// Labels a pod must carry with these values.
    pub match_labels: BTreeMap<String, String>,
    /// Further requirements, all of which must hold.
    pub match_expressions: Vec<SelectorRequirement>,
}

impl LabelSelector {
    /// Whether the selector has no requirement (it would select every pod of a namespace).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }

    fn manifest(&self) -> Value {
        let mut selector = Map::new();
        if !self.match_labels.is_empty() {
            selector.insert("matchLabels".into(), json!(self.match_labels));
        }
        if !self.match_expressions.is_empty() {
            let expressions = self
                .match_expressions
                .iter()
                .map(|e| {
                    let mut entry = Map::new();
                    entry.insert("key".into(), json!(e.key));
                    entry.insert("operator".into(), json!(e.operator.to_string()));
                    if e.operator.takes_values() {
                        entry.insert("values".into(), json!(e.values));
                    }
                    Value::Object(entry)
                })
                .collect();
            selector.insert("matchExpressions".into(), Value::Array(expressions));
        }
        Value::Object(selector)
    }

    /// Checks label keys and values against Kubernetes' syntax and operators against their values.
    fn check(&self) -> Result<(), String> {
        if self.is_empty() {
            return Err("the selector is empty, which would select every pod of the namespace: give labels or \
                        expressions"
                .into());
        }
        for (key, value) in &self.match_labels {
            check_label_key(key)?;
            check_label_value(key, value)?;
        }
        for expression in &self.match_expressions {
            check_label_key(&expression.key)?;
            match (
                expression.operator.takes_values(),
                expression.values.is_empty(),
            ) {
                (true, true) => {
                    return Err(format!(
                        "operator {} on {:?} needs values",
                        expression.operator, expression.key
                    ))
                }
                (false, false) => {
                    return Err(format!(
                        "operator {} on {:?} takes no values",
                        expression.operator, expression.key
                    ))
                }
                _ => {}
            }
            for value in &expression.values {
                check_label_value(&expression.key, value)?;
            }
        }
        Ok(())
    }
}

/// Which directions policies isolate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Directions {
    /// Generate ingress rules (policy type `Ingress`).
    pub ingress: bool,
    /// Generate egress rules (policy type `Egress`).
    pub egress: bool,
}

impl Default for Directions {
    fn default() -> Self {
        Directions {
            ingress: true,
            egress: true,
        }
    }
}

/// Labels (and optionally a namespace) the user gives for a pod role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSelector {
    /// `platform/role`, or a role name unique among the selected platforms.
    pub role: String,
    /// The role's namespace, replacing the catalog's.
    pub namespace: Option<String>,
    /// The role's pod labels, replacing the catalog's selector.
    pub selector: LabelSelector,
}

/// The user's inputs besides the platform selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyOptions {
    /// Addresses node (host-network) traffic has when it reaches pods, validated CIDRs.
    pub node_cidrs: Vec<String>,
    /// Validated addresses of the endpoint blocks, by block name (`name` or `platform/name`).
    pub endpoints: BTreeMap<String, EndpointAddresses>,
    /// Values of port parameters, by name.
    pub parameters: BTreeMap<String, u16>,
    /// Pod selectors the user gives, in the user's order (errors name the index).
    pub selectors: Vec<RoleSelector>,
    /// The directions to isolate.
    pub directions: Directions,
    /// Prefix of every policy name.
    pub name_prefix: String,
}

impl Default for PolicyOptions {
    fn default() -> Self {
        PolicyOptions {
            node_cidrs: Vec::new(),
            endpoints: BTreeMap::new(),
            parameters: BTreeMap::new(),
            selectors: Vec::new(),
            directions: Directions::default(),
            name_prefix: DEFAULT_NAME_PREFIX.to_string(),
        }
    }
}

/// The other end of a policy rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyPeer {
    /// Pods with these labels, in the policy's own namespace (`None`) or in another one.
    Pods {
        /// The peer's namespace when it differs from the policy's.
        namespace: Option<String>,
        /// The peer's pod labels.
        selector: LabelSelector,
    },
    /// Addresses in this CIDR block.
    IpBlock(String),
    /// Every pod of every namespace.
    AllPods,
}

impl PolicyPeer {
    fn manifest(&self) -> Value {
        match self {
            PolicyPeer::Pods {
                namespace,
                selector,
            } => {
                let mut peer = Map::new();
                if let Some(namespace) = namespace {
                    peer.insert(
                        "namespaceSelector".into(),
                        json!({ "matchLabels": { NAMESPACE_NAME_LABEL: namespace } }),
                    );
                }
                peer.insert("podSelector".into(), selector.manifest());
                Value::Object(peer)
            }
            PolicyPeer::IpBlock(cidr) => json!({ "ipBlock": { "cidr": cidr } }),
            PolicyPeer::AllPods => json!({ "namespaceSelector": {} }),
        }
    }
}

/// A port (range) of a rule: tcp, udp or sctp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyPort {
    /// `Tcp`, `Udp` or `Sctp`.
    pub protocol: Protocol,
    /// The ports; a range becomes `port` + `endPort`.
    pub range: PortRange,
}

impl PolicyPort {
    fn manifest(&self) -> Value {
        let protocol = self.protocol.to_string().to_ascii_uppercase();
        if self.range.from == self.range.to {
            json!({ "protocol": protocol, "port": self.range.from })
        } else {
            json!({ "protocol": protocol, "port": self.range.from, "endPort": self.range.to })
        }
    }
}

/// One ingress or egress rule: any of the peers, on any of the ports.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PolicyRule {
    /// Where traffic may come from (ingress) or go to (egress).
    pub peers: Vec<PolicyPeer>,
    /// Which ports, sorted, touching ranges merged.
    pub ports: Vec<PolicyPort>,
}

impl PolicyRule {
    fn manifest(&self, peer_field: &str) -> Value {
        let mut rule = Map::new();
        rule.insert(
            peer_field.into(),
            Value::Array(self.peers.iter().map(PolicyPeer::manifest).collect()),
        );
        rule.insert(
            "ports".into(),
            Value::Array(self.ports.iter().map(PolicyPort::manifest).collect()),
        );
        Value::Object(rule)
    }
}

/// The NetworkPolicy of one pod role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPolicy {
    /// Object name.
    pub name: String,
    /// Object namespace: the role's.
    pub namespace: String,
    /// Platform of the role.
    pub platform: String,
    /// The role the policy selects.
    pub role: String,
    /// The role's pod labels.
    pub pod_selector: LabelSelector,
    /// Ingress rules when the role is isolated for ingress.
    pub ingress: Option<Vec<PolicyRule>>,
    /// Egress rules when the role is isolated for egress.
    pub egress: Option<Vec<PolicyRule>>,
}

impl NetworkPolicy {
    /// `namespace/name`, unique in a cluster.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The object as Kubernetes reads it (`networking.k8s.io/v1`), with no null anywhere.
    pub fn manifest(&self) -> Value {
        let mut types = Vec::new();
        let mut spec = Map::new();
        spec.insert("podSelector".into(), self.pod_selector.manifest());
        if self.ingress.is_some() {
            types.push("Ingress");
        }
        if self.egress.is_some() {
            types.push("Egress");
        }
        spec.insert("policyTypes".into(), json!(types));
        if let Some(rules) = &self.ingress {
            let rules = rules.iter().map(|r| r.manifest("from")).collect();
            spec.insert("ingress".into(), Value::Array(rules));
        }
        if let Some(rules) = &self.egress {
            let rules = rules.iter().map(|r| r.manifest("to")).collect();
            spec.insert("egress".into(), Value::Array(rules));
        }
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": {
                    "app.kubernetes.io/managed-by": "portmatrix",
                    "portmatrix/platform": self.platform,
                    "portmatrix/role": self.role,
                },
            },
            "spec": Value::Object(spec),
        })
    }
}

/// The generated policies and what they leave out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySet {
    /// Policies by `namespace/name`.
    pub policies: BTreeMap<String, NetworkPolicy>,
    /// Flows that need no policy rule, with the reason.
    pub not_needed: Vec<SkippedFlow>,
    /// Flows skipped for a missing input, roles left open, host-network flows, what to add by hand.
    pub warnings: Vec<String>,
}

impl PolicySet {
    /// Every policy's manifest, by key.
    pub fn manifests(&self) -> BTreeMap<String, Value> {
        self.policies
            .iter()
            .map(|(key, policy)| (key.clone(), policy.manifest()))
            .collect()
    }

    /// All manifests as one multi-document YAML stream, in key order.
    pub fn yaml(&self) -> String {
        self.policies
            .values()
            .map(|policy| format!("---\n{}", yaml::document(&policy.manifest())))
            .collect()
    }
}

/// Why no policy set can be written; each message says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// A `pod_selector` names no pod role of the selected platforms.
    UnknownRole {
        /// Index of the selector.
        index: usize,
        /// The role as written.
        reference: String,
        /// What is valid.
        detail: String,
    },
    /// Two `pod_selector`s name the same role.
    DuplicateSelector {
        /// Index of the second selector.
        index: usize,
        /// `platform/role`.
        role: String,
    },
    /// A selector or namespace breaks Kubernetes' syntax; `index` is `None` for a catalog's own selector.
    InvalidSelector {
        /// Index of the user's selector, or `None`.
        index: Option<usize>,
        /// `platform/role`.
        role: String,
        /// What is wrong.
        detail: String,
    },
    /// A policy must admit a role that has no pod selector (or namespace).
    UnselectablePeer {
        /// `platform/role`.
        role: String,
        /// What the catalog says about the role (often why it has no selector).
        description: String,
        /// The flows that need the selector, as `platform: from -> to protocol ports`.
        flows: Vec<String>,
    },
    /// A policy name is not a valid Kubernetes name, or two policies get the same one.
    InvalidName {
        /// The name.
        name: String,
        /// What is wrong.
        detail: String,
    },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::UnknownRole {
                reference, detail, ..
            } => write!(
                f,
                "{} role {reference:?}: {detail}",
                Setting::option("pod_selector")
            ),
            PolicyError::DuplicateSelector { role, .. } => write!(
                f,
                "role {role} is given two selectors in {}; give its labels once",
                Setting::option("pod_selector")
            ),
            PolicyError::InvalidSelector {
                index: Some(_),
                role,
                detail,
            } => write!(
                f,
                "the {} of {role}: {detail}",
                Setting::option("pod_selector")
            ),
            PolicyError::InvalidSelector {
                index: None,
                role,
                detail,
            } => write!(
                f,
                "the catalog's selector of {role}: {detail}; give its labels in {}",
                Setting::PodSelector { role: role.clone() }
            ),
            PolicyError::UnselectablePeer {
                role,
                description,
                flows,
            } => write!(
                f,
                "role {role} has no pod selector in its catalog, yet a policy must admit it for {}: {}. The \
                 catalog says: {description} Give its namespace and labels in {}; portmatrix never guesses labels.",
                plural(flows.len(), "flow"),
                flows.join(", "),
                Setting::PodSelector { role: role.clone() }
            ),
            PolicyError::InvalidName { name, detail } => {
                write!(f, "policy name {name:?}: {detail}")
            }
        }
    }
}

/// `platform/role`.
type Qualified = (String, String);

/// What selects a pod role's pods, when the catalog or the user says.
#[derive(Debug, Clone)]
struct Identity {
    namespace: String,
    selector: LabelSelector,
}

/// Where one end of a flow is, for policies.
enum End<'a> {
    /// A pod role; `None` when nothing selects its pods.
    Pod(&'a Role, Option<&'a Identity>),
    /// Every pod of the cluster (a role with `every_pod`).
    EveryPod,
    /// Every node's host network.
    Nodes,
    /// Outside addresses (an endpoint, or a host role running outside the cluster), by endpoint block.
    Addresses(String),
    /// No endpoint block answers for it.
    NoAddresses(String),
}

/// A rule entry before grouping: (policy owner, peer, port).
type Entry = (Qualified, PolicyPeer, PolicyPort);

/// Accumulates the outcome of the flows.
#[derive(Default)]
struct Outcome {
    ingress: Vec<Entry>,
    egress: Vec<Entry>,
    not_needed: Vec<SkippedFlow>,
    /// Missing input -> flows it cost.
    missing: BTreeMap<String, Vec<String>>,
    /// Flows of protocols NetworkPolicy cannot filter.
    unsupported: Vec<String>,
    /// Roles without selector that stay open -> their flows.
    open: BTreeMap<Qualified, Vec<String>>,
    /// Roles without selector that a policy must admit -> the flows.
    unselectable: BTreeMap<Qualified, Vec<String>>,
    /// Flows with no pod at either end.
    host_flows: Vec<String>,
    /// Whether every pod's DNS (a flow of every pod to port 53, such as to CoreDNS) reaches the roles isolated for
    /// egress. Other flows of every pod (to the API server) do not tell: they come without DNS when CoreDNS is off.
    every_pod_dns: bool,
}

/// The every-pod side of a flow, applied to the isolated policies once all flows are known.
struct EveryPodSide<'a> {
    /// The release of the flow.
    release: &'a Release,
    /// The flow's other end, by name.
    other: String,
    /// `true`: every pod receives the flow (ingress); `false`: every pod sends it (egress).
    ingress: bool,
    protocol: Protocol,
    ranges: Vec<PortRange>,
    /// `platform: from -> to protocol ports`.
    line: String,
    /// The flow as not needed, kept for when no policy takes it and its other end has no rule either.
    skipped: Option<SkippedFlow>,
}

/// Why the policies of an expanded selection cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectionPoliciesError {
    /// The selected platforms at these positions of the request cannot be selected.
    Platforms(Vec<(usize, SelectionError)>),
    /// The policies cannot be written.
    Policies(Vec<PolicyError>),
}

/// The policies of the platforms `request` selects in `catalog`, with the endpoints its `expansion` resolved, its
/// port parameters' values, the user's `selectors` and the policies' own inputs: what the data source and
/// `portmatrix expand` run once the selection is expanded.
pub fn selection_policies(
    catalog: &Catalog,
    request: &ExpansionRequest,
    expansion: &Expansion,
    own: OwnInputs,
    selectors: Vec<RoleSelector>,
) -> Result<PolicySet, SelectionPoliciesError> {
    let mut selected = Vec::new();
    let mut errors = Vec::new();
    for (index, selection) in request.platforms.iter().enumerate() {
        match catalog.select(selection) {
            Ok(chosen) => selected.push(chosen),
            Err(error) => errors.push((index, error)),
        }
    }
    if !errors.is_empty() {
        return Err(SelectionPoliciesError::Platforms(errors));
    }
    let options = PolicyOptions {
        node_cidrs: own.node_cidrs,
        endpoints: expansion.endpoints.clone(),
        parameters: parameter_values(catalog, request).unwrap_or_default(),
        selectors,
        directions: own.directions,
        name_prefix: own.name_prefix,
    };
    network_policies(&selected, &options).map_err(SelectionPoliciesError::Policies)
}

/// Builds the policies for `selected` (one entry per platform) with `options`.
pub fn network_policies(
    selected: &[Selected<'_>],
    options: &PolicyOptions,
) -> Result<PolicySet, Vec<PolicyError>> {
    let identities = identities(selected, options)?;
    let mut outcome = Outcome::default();
    let mut every_pod = Vec::new();
    for chosen in selected {
        expand_release(chosen, options, &identities, &mut outcome, &mut every_pod);
    }
    apply_every_pod(&every_pod, options, &identities, &mut outcome);

    let mut errors: Vec<PolicyError> = outcome
        .unselectable
        .iter()
        .map(|((platform, role), flows)| PolicyError::UnselectablePeer {
            role: format!("{platform}/{role}"),
            description: role_description(selected, platform, role),
            flows: flows.clone(),
        })
        .collect();
    let policies = build_policies(&outcome, &identities, options, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut not_needed = outcome.not_needed.clone();
    not_needed.sort();
    Ok(PolicySet {
        warnings: warnings(&outcome, &policies, selected),
        policies,
        not_needed,
    })
}

/// The namespace and labels of every pod role that has both, from the catalogs and the user's selectors.
fn identities(
    selected: &[Selected<'_>],
    options: &PolicyOptions,
) -> Result<BTreeMap<Qualified, Identity>, Vec<PolicyError>> {
    let pod_roles: BTreeMap<Qualified, &Role> = selected
        .iter()
        .flat_map(|s| {
            let platform = &s.release.platform.name;
            s.release
                .roles
                .iter()
                .filter(|r| r.network == Network::Pod && !r.every_pod)
                .map(move |r| ((platform.clone(), r.name.clone()), r))
        })
        .collect();
    let mut errors = Vec::new();
    let mut given: BTreeMap<Qualified, &RoleSelector> = BTreeMap::new();
    for (index, spec) in options.selectors.iter().enumerate() {
        let qualified = match resolve_pod_role(&spec.role, &pod_roles) {
            Ok(qualified) => qualified,
            Err(detail) => {
                errors.push(PolicyError::UnknownRole {
                    index,
                    reference: spec.role.clone(),
                    detail,
                });
                continue;
            }
        };
        let role = format!("{}/{}", qualified.0, qualified.1);
        if given.insert(qualified, spec).is_some() {
            errors.push(PolicyError::DuplicateSelector { index, role });
            continue;
        }
        let checked = spec.selector.check().and_then(|()| match &spec.namespace {
            Some(namespace) => check_namespace(namespace),
            None => Ok(()),
        });
        if let Err(detail) = checked {
            errors.push(PolicyError::InvalidSelector {
                index: Some(index),
                role,
                detail,
            });
        }
    }

    let mut identities = BTreeMap::new();
    for (qualified, role) in &pod_roles {
        let spec = given.get(qualified);
        let namespace = spec
            .and_then(|s| s.namespace.clone())
            .or_else(|| role.namespace.clone());
        let selector = match spec {
            Some(spec) => spec.selector.clone(),
            None if role.selector.is_empty() => continue,
            None => {
                let selector = LabelSelector {
                    match_labels: role.selector.clone(),
                    match_expressions: Vec::new(),
                };
                let checked = selector.check().and_then(|()| match &namespace {
                    Some(namespace) => check_namespace(namespace),
                    None => Ok(()),
                });
                if let Err(detail) = checked {
                    errors.push(PolicyError::InvalidSelector {
                        index: None,
                        role: format!("{}/{}", qualified.0, qualified.1),
                        detail,
                    });
                    continue;
                }
                selector
            }
        };
        if let Some(namespace) = namespace {
            identities.insert(
                qualified.clone(),
                Identity {
                    namespace,
                    selector,
                },
            );
        }
    }
    if errors.is_empty() {
        Ok(identities)
    } else {
        Err(errors)
    }
}

/// Resolves `platform/role` or a bare role name unique among the selected platforms' pod roles.
fn resolve_pod_role(
    reference: &str,
    roles: &BTreeMap<Qualified, &Role>,
) -> Result<Qualified, String> {
    let found = roles_named(reference, roles);
    let valid = || {
        let names: Vec<String> = roles.keys().map(|(p, n)| format!("{p}/{n}")).collect();
        if names.is_empty() {
            "the selected platforms have no pod roles".to_string()
        } else {
            format!("pod roles of the selected platforms: {}", names.join(", "))
        }
    };
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!("no such pod role; {}", valid())),
        several => Err(format!(
            "several selected platforms have a pod role named {reference:?}: write one of {}",
            several
                .iter()
                .map(|(p, n)| format!("{p}/{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn expand_release<'a>(
    chosen: &Selected<'a>,
    options: &PolicyOptions,
    identities: &BTreeMap<Qualified, Identity>,
    outcome: &mut Outcome,
    every_pod: &mut Vec<EveryPodSide<'a>>,
) {
    let release = chosen.release;
    let platform = &release.platform.name;
    for flow in &chosen.flows {
        let line = format!(
            "{platform}: {} -> {} {} {}",
            flow.from,
            flow.to,
            flow.protocol,
            flow.ports.describe()
        );
        let skipped = |reason: String| SkippedFlow {
            platform: platform.clone(),
            from_role: flow.from.clone(),
            to_role: flow.to.clone(),
            protocol: flow.protocol.to_string(),
            ports: flow.ports.describe(),
            purpose: flow.purpose.clone(),
            reason,
        };
        let from = end(release, &flow.from, options, identities);
        let to = end(release, &flow.to, options, identities);
        let is_pod = |e: &End<'_>| matches!(e, End::Pod(..) | End::EveryPod);
        if !is_pod(&from) && !is_pod(&to) {
            outcome.not_needed.push(skipped(
                "neither end is a pod: NetworkPolicy governs pod traffic only, so host-network and outside \
                 traffic needs host firewall rules (see portmatrix_flows)"
                    .into(),
            ));
            outcome.host_flows.push(line);
            continue;
        }
        if !flow.protocol.has_ports() {
            outcome.unsupported.push(line);
            continue;
        }
        let ranges = match port_ranges(&flow.ports, release, &options.parameters) {
            Ok(ranges) => ranges,
            Err(missing) => {
                outcome.missing.entry(missing).or_default().push(line);
                continue;
            }
        };

        // Each pod end that a policy selects gets the rule in its direction; a pod end nothing selects stays
        // open in that direction, so the flow needs nothing there.
        let sides = [
            (
                &from,
                &to,
                &flow.to,
                false,
                options.directions.egress,
                &mut outcome.egress,
            ),
            (
                &to,
                &from,
                &flow.from,
                true,
                options.directions.ingress,
                &mut outcome.ingress,
            ),
        ];
        let mut ruled = false;
        let mut missing_inputs = Vec::new();
        let mut open_roles = Vec::new();
        let mut deferred = Vec::new();
        for (own, other, other_name, ingress, enabled, entries) in sides {
            if !enabled {
                continue;
            }
            let (role, identity) = match own {
                End::Pod(role, identity) => (role, identity),
                // Every pod's side belongs to every policy isolated in its direction, which only all flows
                // together decide.
                End::EveryPod => {
                    deferred.push(EveryPodSide {
                        release,
                        other: other_name.clone(),
                        ingress,
                        protocol: flow.protocol,
                        ranges: ranges.clone(),
                        line: line.clone(),
                        skipped: None,
                    });
                    continue;
                }
                _ => continue,
            };
            let Some(identity) = identity else {
                open_roles.push((platform.clone(), role.name.clone()));
                continue;
            };
            match peers(other, identity, options) {
                Ok(peers) => {
                    let owner = (platform.clone(), role.name.clone());
                    for peer in peers {
                        for range in &ranges {
                            entries.push((
                                owner.clone(),
                                peer.clone(),
                                PolicyPort {
                                    protocol: flow.protocol,
                                    range: *range,
                                },
                            ));
                        }
                    }
                    ruled = true;
                }
                Err(PeerError::Missing(what)) => missing_inputs.push(what),
                Err(PeerError::Unselectable(peer)) => outcome
                    .unselectable
                    .entry((platform.clone(), peer.name.clone()))
                    .or_default()
                    .push(line.clone()),
            }
        }
        // A flow from a role to itself names the role once.
        open_roles.dedup();
        file_line(&mut outcome.open, &open_roles, &line);
        file_line(&mut outcome.missing, &missing_inputs, &line);
        let waits = !deferred.is_empty();
        for mut side in deferred {
            if !ruled && missing_inputs.is_empty() && open_roles.is_empty() {
                side.skipped = Some(skipped(format!(
                    "no policy isolates a pod for {}, so nothing restricts this flow of every pod",
                    if side.ingress { "ingress" } else { "egress" }
                )));
            }
            every_pod.push(side);
        }
        if !ruled && missing_inputs.is_empty() && !waits {
            let reason = if open_roles.is_empty() {
                format!(
                    "{} excludes the direction a policy would restrict this flow in",
                    Setting::option("policy_types")
                )
            } else {
                let names = open_roles
                    .iter()
                    .map(|(p, r)| format!("{p}/{r}"))
                    .collect::<Vec<_>>()
                    .join(" and ");
                let (verb, pods) = if open_roles.len() == 1 {
                    ("has", "its pods")
                } else {
                    ("have", "their pods")
                };
                format!("{names} {verb} no pod selector, so no policy isolates {pods} and the flow is allowed")
            };
            outcome.not_needed.push(skipped(reason));
        }
    }
}

/// Why a flow end cannot be a peer.
enum PeerError<'a> {
    /// An input is missing; the text names it and the fix.
    Missing(String),
    /// A pod role nothing selects.
    Unselectable(&'a Role),
}

/// Files the flow `line` under each of `keys` in `lines`.
fn file_line<K: Ord + Clone>(lines: &mut BTreeMap<K, Vec<String>>, keys: &[K], line: &str) {
    for key in keys {
        lines.entry(key.clone()).or_default().push(line.to_string());
    }
}

/// The peers that stand for `end`, seen from a policy of `owner`.
fn peers<'a>(
    end: &End<'a>,
    owner: &Identity,
    options: &PolicyOptions,
) -> Result<Vec<PolicyPeer>, PeerError<'a>> {
    match end {
        End::Pod(_, Some(identity)) => Ok(vec![PolicyPeer::Pods {
            namespace: (identity.namespace != owner.namespace).then(|| identity.namespace.clone()),
            selector: identity.selector.clone(),
        }]),
        End::Pod(role, None) => Err(PeerError::Unselectable(role)),
        End::EveryPod => Ok(vec![PolicyPeer::AllPods]),
        End::Nodes if options.node_cidrs.is_empty() => Err(PeerError::Missing(format!(
            "{} is empty: give the addresses node (host-network) traffic has when it reaches pods",
            Setting::option("node_cidrs")
        ))),
        End::Nodes => Ok(options
            .node_cidrs
            .iter()
            .cloned()
            .map(PolicyPeer::IpBlock)
            .collect()),
        End::Addresses(block) => {
            let addresses = options.endpoints.get(block);
            let cidrs: Vec<PolicyPeer> = addresses
                .into_iter()
                .flat_map(|a| a.ipv4.iter().chain(&a.ipv6))
                .cloned()
                .map(PolicyPeer::IpBlock)
                .collect();
            if cidrs.is_empty() {
                Err(PeerError::Missing(format!(
                    "endpoint {block:?} has no CIDRs: give IPv4 or IPv6 CIDRs in {}",
                    Setting::Endpoint {
                        name: block.clone()
                    }
                )))
            } else {
                Ok(cidrs)
            }
        }
        End::NoAddresses(what) => Err(PeerError::Missing(what.clone())),
    }
}

/// Where a flow end is: a pod role, the nodes, or an endpoint block's addresses.
fn end<'a>(
    release: &'a Release,
    name: &str,
    options: &PolicyOptions,
    identities: &'a BTreeMap<Qualified, Identity>,
) -> End<'a> {
    let platform = &release.platform.name;
    let block = || {
        [format!("{platform}/{name}"), name.to_string()]
            .into_iter()
            .find(|b| options.endpoints.contains_key(b))
    };
    match release.roles.iter().find(|r| r.name == name) {
        Some(role) if role.network == Network::Pod && role.every_pod => End::EveryPod,
        Some(role) if role.network == Network::Pod => {
            End::Pod(role, identities.get(&(platform.clone(), name.to_string())))
        }
        // A host role that runs only outside the cluster (such as Kublr's kcp-node) has the addresses of the
        // endpoint block named like it; every other host role is the cluster's nodes.
        Some(role) if role.tiers.iter().all(|t| *t == Tier::External) => match block() {
            Some(block) => End::Addresses(block),
            None => End::NoAddresses(format!(
                "role {platform}/{name} runs outside the cluster: give its addresses in {}",
                Setting::Endpoint {
                    name: name.to_string()
                }
            )),
        },
        Some(_) => End::Nodes,
        None => match block() {
            Some(block) => End::Addresses(block),
            None => End::NoAddresses(format!(
                "endpoint {name:?} of {platform} has no addresses: add {} with its CIDRs",
                Setting::Endpoint {
                    name: name.to_string()
                }
            )),
        },
    }
}

/// A flow's ports as ranges, or the missing parameter.
fn port_ranges(
    ports: &PortSpec,
    release: &Release,
    values: &BTreeMap<String, u16>,
) -> Result<Vec<PortRange>, String> {
    match ports {
        PortSpec::Ranges(ranges) => Ok(ranges.clone()),
        PortSpec::All => Ok(vec![PortRange { from: 1, to: 65535 }]),
        PortSpec::Parameter(name) => match parameter_port(release, values, name) {
            Some(port) => Ok(vec![PortRange {
                from: port,
                to: port,
            }]),
            None => Err(missing_parameter(release, name)),
        },
    }
}

/// Gives every pod's side of a flow to each role isolated in that direction, with the flow's other end as the
/// peer: a role isolated for egress by its own flows still reaches what every pod reaches. A side no policy takes
/// is listed as not needed, unless the flow's other end got a rule.
fn apply_every_pod(
    sides: &[EveryPodSide<'_>],
    options: &PolicyOptions,
    identities: &BTreeMap<Qualified, Identity>,
    outcome: &mut Outcome,
) {
    let owners = |entries: &[Entry]| -> BTreeSet<Qualified> {
        entries.iter().map(|(owner, _, _)| owner.clone()).collect()
    };
    let (isolated_ingress, isolated_egress) = (owners(&outcome.ingress), owners(&outcome.egress));
    for side in sides {
        let (isolated, entries) = if side.ingress {
            (&isolated_ingress, &mut outcome.ingress)
        } else {
            (&isolated_egress, &mut outcome.egress)
        };
        let other = end(side.release, &side.other, options, identities);
        let mut applied = false;
        for owner in isolated {
            let Some(identity) = identities.get(owner) else {
                continue;
            };
            match peers(&other, identity, options) {
                Ok(peers) => {
                    for peer in peers {
                        for range in &side.ranges {
                            entries.push((
                                owner.clone(),
                                peer.clone(),
                                PolicyPort {
                                    protocol: side.protocol,
                                    range: *range,
                                },
                            ));
                        }
                    }
                    applied = true;
                }
                Err(PeerError::Missing(what)) => {
                    let flows = outcome.missing.entry(what).or_default();
                    if !flows.contains(&side.line) {
                        flows.push(side.line.clone());
                    }
                }
                Err(PeerError::Unselectable(role)) => {
                    let platform = side.release.platform.name.clone();
                    let flows = outcome
                        .unselectable
                        .entry((platform, role.name.clone()))
                        .or_default();
                    if !flows.contains(&side.line) {
                        flows.push(side.line.clone());
                    }
                }
            }
        }
        if applied
            && !side.ingress
            && side
                .ranges
                .iter()
                .any(|r| r.from <= DNS_PORT && DNS_PORT <= r.to)
        {
            outcome.every_pod_dns = true;
        }
        if let (false, Some(skipped)) = (applied, &side.skipped) {
            outcome.not_needed.push(skipped.clone());
        }
    }
}

/// Groups the entries into one policy per role: per peer the merged ports, then peers with equal ports in one
/// rule.
fn build_policies(
    outcome: &Outcome,
    identities: &BTreeMap<Qualified, Identity>,
    options: &PolicyOptions,
    errors: &mut Vec<PolicyError>,
) -> BTreeMap<String, NetworkPolicy> {
    let ingress = rules_by_owner(&outcome.ingress);
    let egress = rules_by_owner(&outcome.egress);
    let owners: BTreeSet<&Qualified> = ingress.keys().chain(egress.keys()).collect();
    let mut policies = BTreeMap::new();
    for owner in owners {
        let Some(identity) = identities.get(owner) else {
            continue;
        };
        let name = format!("{}{}", options.name_prefix, owner.1);
        if let Err(detail) = check_object_name(&name) {
            errors.push(PolicyError::InvalidName { name, detail });
            continue;
        }
        let policy = NetworkPolicy {
            name: name.clone(),
            namespace: identity.namespace.clone(),
            platform: owner.0.clone(),
            role: owner.1.clone(),
            pod_selector: identity.selector.clone(),
            ingress: ingress.get(owner).cloned(),
            egress: egress.get(owner).cloned(),
        };
        if let Some(other) = policies.insert(policy.key(), policy) {
            errors.push(PolicyError::InvalidName {
                name,
                detail: format!(
                    "two roles named {:?} in namespace {:?} get the same policy name: select one of the platforms",
                    other.role, other.namespace
                ),
            });
        }
    }
    policies
}

fn rules_by_owner(entries: &[Entry]) -> BTreeMap<Qualified, Vec<PolicyRule>> {
    let mut by_owner: BTreeMap<&Qualified, BTreeMap<&PolicyPeer, Vec<PolicyPort>>> =
        BTreeMap::new();
    for (owner, peer, port) in entries {
        by_owner
            .entry(owner)
            .or_default()
            .entry(peer)
            .or_default()
            .push(*port);
    }
    by_owner
        .into_iter()
        .map(|(owner, peers)| {
            let mut by_ports: BTreeMap<Vec<PolicyPort>, Vec<PolicyPeer>> = BTreeMap::new();
            for (peer, ports) in peers {
                by_ports
                    .entry(merge_ports(ports))
                    .or_default()
                    .push(peer.clone());
            }
            let rules = by_ports
                .into_iter()
                .map(|(ports, peers)| PolicyRule { peers, ports })
                .collect();
            (owner.clone(), rules)
        })
        .collect()
}

/// Sorts ports and merges ranges of one protocol that overlap or touch (8500-8501 and 8502 -> 8500-8502).
fn merge_ports(mut ports: Vec<PolicyPort>) -> Vec<PolicyPort> {
    ports.sort();
    let mut merged: Vec<PolicyPort> = Vec::new();
    for port in ports {
        match merged.last_mut() {
            Some(last)
                if last.protocol == port.protocol
                    && u32::from(port.range.from) <= u32::from(last.range.to) + 1 =>
            {
                last.range.to = last.range.to.max(port.range.to);
            }
            _ => merged.push(port),
        }
    }
    merged
}

fn role_description(selected: &[Selected<'_>], platform: &str, role: &str) -> String {
    selected
        .iter()
        .filter(|s| s.release.platform.name == platform)
        .flat_map(|s| &s.release.roles)
        .find(|r| r.name == role)
        .map(|r| r.description.clone())
        .unwrap_or_default()
}

fn warnings(
    outcome: &Outcome,
    policies: &BTreeMap<String, NetworkPolicy>,
    selected: &[Selected<'_>],
) -> Vec<String> {
    let mut warnings: Vec<String> = outcome
        .missing
        .iter()
        .map(|(what, flows)| {
            format!(
                "{what}; {} without a rule: {}",
                plural(flows.len(), "flow"),
                flows.join(", ")
            )
        })
        .collect();
    if !outcome.unsupported.is_empty() {
        warnings.push(format!(
            "NetworkPolicy filters TCP, UDP and SCTP only (other protocols behave as the network plugin decides), \
             so {} got no rule: {}",
            plural(outcome.unsupported.len(), "flow"),
            outcome.unsupported.join(", ")
        ));
    }
    for ((platform, role), flows) in &outcome.open {
        let description = role_description(selected, platform, role);
        warnings.push(format!(
            "{platform}/{role} has no pod selector in its catalog ({description}), so no policy isolates its \
             pods: its {} allowed, and so is any other traffic of theirs. Give its labels in {} to isolate it: {}",
            if flows.len() == 1 {
                "flow is"
            } else {
                "flows are"
            },
            Setting::PodSelector {
                role: format!("{platform}/{role}")
            },
            flows.join(", ")
        ));
    }
    if !outcome.host_flows.is_empty() {
        warnings.push(format!(
            "{} between host-network components or outside endpoints cannot be governed by NetworkPolicy (see \
             not_needed); secure them with host firewall rules: {}",
            plural(outcome.host_flows.len(), "flow"),
            outcome.host_flows.join(", ")
        ));
    }
    let egress: Vec<&str> = policies
        .values()
        .filter(|p| p.egress.is_some())
        .map(|p| p.role.as_str())
        .collect();
    if !egress.is_empty() {
        let dns = if outcome.every_pod_dns {
            ", what every pod reaches (such as cluster DNS) included; anything else they reach needs a policy of \
             yours"
        } else {
            "; DNS is in no selected catalog (the kubernetes platform models CoreDNS), so add a policy letting them \
             reach your cluster DNS (UDP and TCP 53 to kube-dns)"
        };
        warnings.push(format!(
            "{} isolated for egress and can reach only what the catalogs list{dns}, or set {}: {}",
            if egress.len() == 1 {
                "1 role is"
            } else {
                "these roles are"
            },
            Setting::option_value(
                "policy_types",
                crate::engine::setting::Literal::Texts(vec!["Ingress".into()])
            ),
            egress.join(", ")
        ));
    }
    warnings
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?` of at most 63 characters: a label name or non-empty value.
fn is_label_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum)
        && bytes
            .iter()
            .all(|b| alnum(b) || matches!(b, b'-' | b'_' | b'.'))
}

/// A DNS-1123 subdomain: dot-separated lower-case labels of letters, digits and `-`, at most 253 characters.
fn is_dns_subdomain(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_NAME && text.split('.').all(is_dns_label)
}

/// A DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
fn is_dns_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum)
        && bytes.iter().all(|b| alnum(b) || *b == b'-')
}

fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if prefix.is_some_and(|p| !is_dns_subdomain(p)) || !is_label_name(name) {
        return Err(format!(
            "label key {key:?} is not a Kubernetes label key (an optional DNS subdomain and '/', then up to 63 \
             letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"
        ));
    }
    Ok(())
}

fn check_label_value(key: &str, value: &str) -> Result<(), String> {
    if value.is_empty() || is_label_name(value) {
        Ok(())
    } else {
        Err(format!(
            "value {value:?} of label {key:?} is not a Kubernetes label value (up to 63 letters, digits, '-', '_' \
             or '.', starting and ending with a letter or digit)"
        ))
    }
}

fn check_namespace(namespace: &str) -> Result<(), String> {
    if is_dns_label(namespace) {
        Ok(())
    } else {
        Err(format!(
            "namespace {namespace:?} is not a Kubernetes namespace name (lower-case letters, digits and '-', at \
             most 63)"
        ))
    }
}

fn check_object_name(name: &str) -> Result<(), String> {
    if is_dns_subdomain(name) {
        Ok(())
    } else {
        Err(format!(
            "not a Kubernetes object name (lower-case letters, digits, '-' and '.', at most {MAX_NAME}): change {}",
            Setting::option("name_prefix")
        ))
    }
}
