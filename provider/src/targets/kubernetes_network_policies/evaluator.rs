//! A NetworkPolicy evaluator for tests: given manifests (as JSON), is a connection allowed?
//!
//! Written from the Kubernetes documentation (concepts "Network Policies" and the `networking.k8s.io/v1` API
//! reference), independently of the generator, which it is meant to check; it reads manifests as plain JSON and
//! uses only std and serde_json, so the acceptance tests can include this file too. Semantics:
//!
//! * A policy applies to the pods of its namespace that its `podSelector` selects (`{}` selects all).
//! * `policyTypes` names the directions a policy isolates; when absent, `Ingress`, plus `Egress` if the policy
//!   has an `egress` section.
//! * A pod is isolated in a direction when a policy of that direction applies to it. Isolated: a connection is
//!   allowed only if some rule of some such policy matches it (rules and policies add up). Not isolated:
//!   everything is allowed.
//! * A rule matches when a peer matches (no or an empty `from`/`to`: every peer) and a port matches (no or empty
//!   `ports`: every port and protocol). A port entry matches its `protocol` (default TCP) and `port` (absent:
//!   every port), up to `endPort` when given.
//! * Peers: `ipBlock` matches addresses in `cidr` and in none of `except`; `podSelector` alone matches pods of
//!   the policy's namespace; `namespaceSelector` alone matches every pod of the namespaces it selects (by their
//!   labels); both together match the selected pods of the selected namespaces. A selector peer never matches a
//!   bare address (a node, an outside host).
//! * A connection between two pods must be allowed by the sender's egress and the receiver's ingress; from an
//!   address to a pod only the receiver's ingress applies, from a pod to an address only the sender's egress.
//!
//! Left out on purpose: the exception that traffic between a pod and its own node is always allowed (tests model
//! a node reaching pods on other nodes, which policies must admit), named ports, and anything else the generator
//! never writes; the structural check rejects those so no test passes by accident.

use serde_json::Value;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// A pod: namespace, labels and (optionally) its address.
#[derive(Debug, Clone)]
pub struct Pod {
    /// Namespace.
    pub namespace: String,
    /// Pod labels.
    pub labels: BTreeMap<String, String>,
    /// The pod's address, for `ipBlock` peers.
    pub ip: Option<IpAddr>,
}

impl Pod {
    /// A pod of `namespace` with these labels and no address.
    pub fn new(namespace: &str, labels: &[(&str, &str)]) -> Pod {
        Pod {
            namespace: namespace.to_string(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ip: None,
        }
    }
}

/// One end of a connection.
#[derive(Debug, Clone)]
pub enum Party {
    /// A pod on the pod network.
    Pod(Pod),
    /// A host-network sender or an outside address (a node, an API server, a backup target).
    Address(IpAddr),
}

/// The labels a namespace carries: Kubernetes sets `kubernetes.io/metadata.name` on every namespace.
fn namespace_labels(namespace: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(
        "kubernetes.io/metadata.name".to_string(),
        namespace.to_string(),
    )])
}

/// Whether `from` may open a connection to `to` on `protocol` ("TCP", "UDP", "SCTP") and `port`.
pub fn allowed(policies: &[Value], from: &Party, to: &Party, protocol: &str, port: u16) -> bool {
    let egress = match from {
        Party::Pod(pod) => direction_allows(policies, pod, "Egress", to, protocol, port),
        Party::Address(_) => true,
    };
    let ingress = match to {
        Party::Pod(pod) => direction_allows(policies, pod, "Ingress", from, protocol, port),
        Party::Address(_) => true,
    };
    egress && ingress
}

fn direction_allows(
    policies: &[Value],
    pod: &Pod,
    direction: &str,
    peer: &Party,
    protocol: &str,
    port: u16,
) -> bool {
    let applying: Vec<&Value> = policies
        .iter()
        .filter(|p| applies(p, pod) && policy_types(p).contains(&direction.to_string()))
        .collect();
    if applying.is_empty() {
        return true;
    }
    let (section, peers_field) = match direction {
        "Ingress" => ("ingress", "from"),
        _ => ("egress", "to"),
    };
    applying.iter().any(|policy| {
        let namespace = policy["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default");
        policy["spec"][section]
            .as_array()
            .into_iter()
            .flatten()
            .any(|rule| {
                peer_matches(&rule[peers_field], namespace, peer)
                    && port_matches(&rule["ports"], protocol, port)
            })
    })
}

fn applies(policy: &Value, pod: &Pod) -> bool {
    policy["metadata"]["namespace"].as_str() == Some(pod.namespace.as_str())
        && selector_matches(&policy["spec"]["podSelector"], &pod.labels)
}

fn policy_types(policy: &Value) -> Vec<String> {
    match policy["spec"]["policyTypes"].as_array() {
        Some(types) => types
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        None => {
            let mut types = vec!["Ingress".to_string()];
            if !policy["spec"]["egress"].is_null() {
                types.push("Egress".to_string());
            }
            types
        }
    }
}

fn peer_matches(peers: &Value, policy_namespace: &str, party: &Party) -> bool {
    let Some(peers) = peers.as_array().filter(|p| !p.is_empty()) else {
        return true;
    };
    peers.iter().any(|peer| {
        if let Some(block) = peer.get("ipBlock") {
            let address = match party {
                Party::Address(ip) => Some(*ip),
                Party::Pod(pod) => pod.ip,
            };
            return address.is_some_and(|ip| {
                block["cidr"].as_str().is_some_and(|c| in_cidr(ip, c))
                    && !block["except"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|e| e.as_str().is_some_and(|c| in_cidr(ip, c)))
            });
        }
        let Party::Pod(pod) = party else {
            return false;
        };
        let namespace_ok = match peer.get("namespaceSelector") {
            Some(selector) => selector_matches(selector, &namespace_labels(&pod.namespace)),
            None => pod.namespace == policy_namespace,
        };
        let pod_ok = match peer.get("podSelector") {
            Some(selector) => selector_matches(selector, &pod.labels),
            None => true,
        };
        namespace_ok && pod_ok
    })
}

fn port_matches(ports: &Value, protocol: &str, port: u16) -> bool {
    let Some(ports) = ports.as_array().filter(|p| !p.is_empty()) else {
        return true;
    };
    ports.iter().any(|entry| {
        let entry_protocol = entry["protocol"].as_str().unwrap_or("TCP");
        if entry_protocol != protocol {
            return false;
        }
        match entry["port"].as_u64() {
            None => true,
            Some(first) => {
                let last = entry["endPort"].as_u64().unwrap_or(first);
                (first..=last).contains(&u64::from(port))
            }
        }
    })
}

/// A label selector against labels: every `matchLabels` pair present, every `matchExpressions` entry true.
pub fn selector_matches(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let labels_ok = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str());
    let expressions_ok = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().unwrap_or_default();
            let values: Vec<&str> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let value = labels.get(key).map(String::as_str);
            match e["operator"].as_str() {
                Some("In") => value.is_some_and(|v| values.contains(&v)),
                Some("NotIn") => value.is_none_or(|v| !values.contains(&v)),
                Some("Exists") => value.is_some(),
                Some("DoesNotExist") => value.is_none(),
                other => panic!("unknown selector operator {other:?}"),
            }
        });
    labels_ok && expressions_ok
}

/// Whether `ip` lies in `cidr` ("10.0.0.0/24", "2001:db8::/32"); a family mismatch never matches.
pub fn in_cidr(ip: IpAddr, cidr: &str) -> bool {
    let Some((network, length)) = cidr.split_once('/') else {
        panic!("{cidr:?} is not a CIDR block");
    };
    let length: u32 = length.parse().expect("prefix length");
    let network: IpAddr = network.parse().expect("network address");
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - length).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - length).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// Panics unless `policy` is a NetworkPolicy this evaluator understands completely: known fields only (a typo
/// such as `endport` would otherwise be ignored by the evaluator and by Kubernetes alike), numeric ports,
/// `endPort` not below `port`, valid protocols and CIDRs, selectors with known operators, and a peer that is
/// either an `ipBlock` or selectors, never both.
pub fn check_structure(policy: &Value) {
    let keys = |value: &Value, allowed: &[&str], what: &str| {
        let object = value
            .as_object()
            .unwrap_or_else(|| panic!("{what} is not an object: {value}"));
        for key in object.keys() {
            assert!(
                allowed.contains(&key.as_str()),
                "unexpected field {key:?} in {what}: {value}"
            );
        }
    };
    keys(
        policy,
        &["apiVersion", "kind", "metadata", "spec"],
        "policy",
    );
    assert_eq!(policy["apiVersion"], "networking.k8s.io/v1");
    assert_eq!(policy["kind"], "NetworkPolicy");
    keys(
        &policy["metadata"],
        &["name", "namespace", "labels"],
        "metadata",
    );
    assert!(policy["metadata"]["name"].is_string() && policy["metadata"]["namespace"].is_string());
    let spec = &policy["spec"];
    keys(
        spec,
        &["podSelector", "policyTypes", "ingress", "egress"],
        "spec",
    );
    check_selector(&spec["podSelector"]);
    for (section, field) in [("ingress", "from"), ("egress", "to")] {
        for rule in spec[section].as_array().into_iter().flatten() {
            keys(rule, &[field, "ports"], section);
            for peer in rule[field].as_array().into_iter().flatten() {
                keys(
                    peer,
                    &["ipBlock", "namespaceSelector", "podSelector"],
                    "peer",
                );
                if let Some(block) = peer.get("ipBlock") {
                    assert_eq!(
                        peer.as_object().map(|o| o.len()),
                        Some(1),
                        "ipBlock with selectors: {peer}"
                    );
                    keys(block, &["cidr", "except"], "ipBlock");
                    let cidr = block["cidr"].as_str().expect("cidr");
                    let network = cidr.split('/').next().unwrap_or_default();
                    assert!(network.parse::<IpAddr>().is_ok(), "bad cidr {cidr:?}");
                }
                for selector in ["namespaceSelector", "podSelector"] {
                    if let Some(s) = peer.get(selector) {
                        check_selector(s);
                    }
                }
            }
            for port in rule["ports"].as_array().into_iter().flatten() {
                keys(port, &["protocol", "port", "endPort"], "port");
                assert!(
                    matches!(port["protocol"].as_str(), Some("TCP" | "UDP" | "SCTP")),
                    "protocol of {port}"
                );
                let first = port["port"].as_u64().expect("numeric port");
                assert!((1..=65535).contains(&first), "port {port}");
                if let Some(last) = port.get("endPort") {
                    let last = last.as_u64().expect("numeric endPort");
                    assert!(first <= last && last <= 65535, "endPort {port}");
                }
            }
        }
    }
}

fn check_selector(selector: &Value) {
    let object = selector.as_object().expect("selector object");
    for key in object.keys() {
        assert!(
            key == "matchLabels" || key == "matchExpressions",
            "unexpected selector field {key:?}"
        );
    }
    for expression in selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        assert!(
            matches!(
                expression["operator"].as_str(),
                Some("In" | "NotIn" | "Exists" | "DoesNotExist")
            ),
            "operator of {expression}"
        );
    }
}
