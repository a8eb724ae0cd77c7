//! Kubernetes NetworkPolicy objects as nftables, written from the documented semantics (kubernetes.io, concepts
//! "Network Policies" and the `networking.k8s.io/v1` API reference) and not from portmatrix's target code:
//! - a policy applies to the pods of its own namespace that its `podSelector` selects (`{}`: all of them);
//! - `policyTypes` names the directions it isolates; when absent, `Ingress`, plus `Egress` if the policy has an
//!   `egress` section;
//! - a pod selected by a policy of a direction is isolated in that direction and allows only what some rule of
//!   some such policy allows (policies add up, nothing denies); a pod no such policy selects allows everything;
//! - a rule allows a connection when one of its peers and one of its ports match; no or empty `from`/`to` means
//!   every peer, no or empty `ports` every port;
//! - a peer is an `ipBlock` (addresses in `cidr` and in none of `except`), a `podSelector` (the selected pods of
//!   the policy's namespace), a `namespaceSelector` (every pod of the namespaces whose labels it selects; every
//!   namespace carries `kubernetes.io/metadata.name`), or both (the selected pods of the selected namespaces);
//!   selectors stand for pods only, never for a node's or an outside host's address;
//! - a port entry is a `protocol` (TCP when absent; UDP, SCTP) and a `port` (every port when absent) up to
//!   `endPort`;
//! - a connection needs the sender's egress and the receiver's ingress; replies to an allowed connection pass.
//!
//! Left out: named ports (the translator refuses them), and the rule that a pod's own node may always reach it:
//! the rig gives every pod a network namespace of its own, so a node host always stands for another node.
//! NetworkPolicy says nothing about protocols other than TCP, UDP and SCTP (the network plugin decides), so an
//! isolated pod here drops them and the proof sends none to or from pods.
//!
//! Each pod of the rig is the namespace set of one tier (the replicas of a role); the translator gives each
//! tier whose pods a policy isolates the input chain (ingress) and output chain (egress) those pods enforce.

use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The pods of one tier of the rig: replicas of a role, with its Kubernetes namespace and labels.
#[derive(Debug, Clone)]
pub struct Pods {
    /// The tier the replicas' network namespaces belong to.
    pub tier: String,
    /// The Kubernetes namespace.
    pub namespace: String,
    /// The labels every replica carries.
    pub labels: BTreeMap<String, String>,
    /// The replicas' addresses.
    pub v4: Vec<Ipv4Addr>,
    pub v6: Vec<Ipv6Addr>,
}

/// The nftables ruleset of each tier whose pods some policy isolates, from `policies` (manifests by key).
pub fn rulesets(policies: &Value, pods: &[Pods]) -> BTreeMap<String, String> {
    let policies: Vec<&Value> = policies
        .as_object()
        .expect("policies map")
        .values()
        .collect();
    let mut rulesets = BTreeMap::new();
    for own in pods {
        let mut input = None;
        let mut output = None;
        for policy in &policies {
            let namespace = policy["metadata"]["namespace"].as_str().expect("namespace");
            let spec = &policy["spec"];
            if namespace != own.namespace || !selects(&spec["podSelector"], &own.labels) {
                continue;
            }
            for (direction, peers, address, chain) in [
                ("Ingress", "from", "saddr", &mut input),
                ("Egress", "to", "daddr", &mut output),
            ] {
                if !types(spec).contains(&direction) {
                    continue;
                }
                // Isolated, even by a policy without rules of this direction.
                let lines: &mut Vec<String> = chain.get_or_insert_with(Vec::new);
                let rules = spec[direction.to_ascii_lowercase()].as_array();
                for rule in rules.into_iter().flatten() {
                    lines.extend(rule_lines(rule, peers, address, namespace, pods));
                }
            }
        }
        if input.is_none() && output.is_none() {
            continue;
        }
        let mut text = String::from("table inet network_policy {\n");
        if let Some(lines) = input {
            text.push_str(&format!(
                "  chain input {{\n    type filter hook input priority 0; policy drop;\n    iif \"lo\" accept\n    ct state established,related accept\n    icmpv6 type {{ nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }} accept\n{}\n  }}\n",
                lines.join("\n")
            ));
        }
        if let Some(lines) = output {
            text.push_str(&format!(
                "  chain output {{\n    type filter hook output priority 0; policy drop;\n    oif \"lo\" accept\n    ct state established,related accept\n    icmpv6 type {{ nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, 143 }} accept\n{}\n  }}\n",
                lines.join("\n")
            ));
        }
        text.push_str("}\n");
        rulesets.insert(own.tier.clone(), text);
    }
    rulesets
}

/// The directions a policy isolates.
fn types(spec: &Value) -> Vec<&str> {
    match spec["policyTypes"].as_array() {
        Some(types) => types.iter().map(|t| t.as_str().expect("type")).collect(),
        None if spec.get("egress").is_some() => vec!["Ingress", "Egress"],
        None => vec!["Ingress"],
    }
}

/// The lines of one rule: every peer match with every port match.
fn rule_lines(
    rule: &Value,
    peers_field: &str,
    address: &str,
    namespace: &str,
    pods: &[Pods],
) -> Vec<String> {
    let peers: Vec<String> = match rule[peers_field].as_array() {
        Some(list) if !list.is_empty() => list
            .iter()
            .flat_map(|peer| peer_matches(peer, address, namespace, pods))
            .collect(),
        _ => vec![String::new()],
    };
    let ports: Vec<String> = match rule["ports"].as_array() {
        Some(list) if !list.is_empty() => list.iter().map(port_match).collect(),
        _ => vec![String::new()],
    };
    let mut lines = Vec::new();
    for peer in &peers {
        for port in &ports {
            let words: Vec<&str> = [peer.as_str(), port.as_str(), "accept"]
                .into_iter()
                .filter(|w| !w.is_empty())
                .collect();
            lines.push(format!("    {}", words.join(" ")));
        }
    }
    lines
}

/// The address matches of a peer (none when it selects no pod of the rig).
fn peer_matches(peer: &Value, address: &str, namespace: &str, pods: &[Pods]) -> Vec<String> {
    if let Some(block) = peer.get("ipBlock") {
        let cidr = block["cidr"].as_str().expect("cidr");
        let family = if cidr.contains(':') { "ip6" } else { "ip" };
        let except: Vec<&str> = block["except"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e.as_str().expect("except block"))
            .collect();
        let mut line = format!("{family} {address} {cidr}");
        if !except.is_empty() {
            line.push_str(&format!(
                " {family} {address} != {{ {} }}",
                except.join(", ")
            ));
        }
        return vec![line];
    }
    let pod_selector = peer.get("podSelector");
    let namespace_selector = peer.get("namespaceSelector");
    assert!(
        pod_selector.is_some() || namespace_selector.is_some(),
        "a peer the rig does not model: {peer}"
    );
    let selected: Vec<&Pods> = pods
        .iter()
        .filter(|p| match namespace_selector {
            Some(selector) => selects(selector, &namespace_labels(&p.namespace)),
            None => p.namespace == namespace,
        })
        .filter(|p| pod_selector.is_none_or(|selector| selects(selector, &p.labels)))
        .collect();
    let set = |items: Vec<String>| format!("{{ {} }}", items.join(", "));
    let v4: Vec<String> = selected
        .iter()
        .flat_map(|p| &p.v4)
        .map(|a| a.to_string())
        .collect();
    let v6: Vec<String> = selected
        .iter()
        .flat_map(|p| &p.v6)
        .map(|a| a.to_string())
        .collect();
    let mut matches = Vec::new();
    if !v4.is_empty() {
        matches.push(format!("ip {address} {}", set(v4)));
    }
    if !v6.is_empty() {
        matches.push(format!("ip6 {address} {}", set(v6)));
    }
    matches
}

/// The labels Kubernetes gives every namespace.
fn namespace_labels(namespace: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(
        "kubernetes.io/metadata.name".to_string(),
        namespace.to_string(),
    )])
}

/// Whether a label selector selects `labels`: every `matchLabels` pair and every `matchExpressions` entry holds.
fn selects(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let pairs = selector["matchLabels"].as_object().into_iter().flatten();
    let labels_hold = pairs.into_iter().all(|(key, value)| {
        labels.get(key).map(String::as_str) == Some(value.as_str().expect("label value"))
    });
    let expressions = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten();
    let expressions_hold = expressions.into_iter().all(|e| {
        let key = e["key"].as_str().expect("key");
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().expect("value"))
            .collect();
        let value = labels.get(key).map(String::as_str);
        match e["operator"].as_str() {
            Some("In") => value.is_some_and(|v| values.contains(&v)),
            Some("NotIn") => value.is_none_or(|v| !values.contains(&v)),
            Some("Exists") => value.is_some(),
            Some("DoesNotExist") => value.is_none(),
            other => panic!("selector operator {other:?}"),
        }
    });
    labels_hold && expressions_hold
}

/// The protocol and port match of a port entry.
fn port_match(port: &Value) -> String {
    let protocol = match port["protocol"].as_str() {
        None | Some("TCP") => "tcp",
        Some("UDP") => "udp",
        Some("SCTP") => "sctp",
        other => panic!("port protocol {other:?}"),
    };
    match (&port["port"], port["endPort"].as_u64()) {
        (Value::Null, _) => format!("meta l4proto {protocol}"),
        (Value::Number(from), None) => format!("{protocol} dport {from}"),
        (Value::Number(from), Some(to)) => format!("{protocol} dport {from}-{to}"),
        (other, _) => panic!("the rig has no named ports: {other}"),
    }
}
