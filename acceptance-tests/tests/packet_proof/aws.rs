//! AWS security groups as nftables, written from AWS's documented semantics and not from portmatrix's target
//! code (VPC User Guide, "Security group rules" and "Security group connection tracking"; Terraform's
//! `aws_security_group`):
//! - a group's rules only allow; what no rule allows is denied, inbound and outbound (Terraform removes the
//!   allow-all egress rule AWS adds to a new group, so egress is what the rules list);
//! - groups are stateful: the answer to allowed traffic passes whatever the rules say;
//! - a rule referencing a group admits the private addresses of that group's members, in both families;
//! - `ip_protocol` is `tcp`, `udp`, `icmp`, `icmpv6`, a number, or `-1` (all). For tcp and udp the rule admits
//!   `from_port`..`to_port`; for icmp and icmpv6 `from_port` is the type and `to_port` the code, -1 meaning
//!   all; for any other protocol number the ports are ignored and the whole protocol is admitted;
//! - ARP and IPv6 neighbour discovery are handled by the VPC and never meet a security group.
//!
//! Each tier is one group whose members are the rig's nodes of that tier; an ingress rule of a group becomes a
//! line of its members' input chain, an egress rule a line of their output chain.

use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The nftables ruleset each group's members enforce, by tier; `members[tier]` are the group's addresses.
pub fn rulesets(
    outputs: &Value,
    members: &BTreeMap<String, (Vec<Ipv4Addr>, Vec<Ipv6Addr>)>,
) -> BTreeMap<String, String> {
    let groups = outputs["aws_tiers"]["value"]
        .as_object()
        .expect("aws tiers map");
    let mut chains: BTreeMap<String, (Vec<String>, Vec<String>)> = groups
        .keys()
        .map(|tier| (tier.clone(), (Vec::new(), Vec::new())))
        .collect();
    for (direction, peer_tier, address) in [
        ("ingress", "source_tier", "saddr"),
        ("egress", "destination_tier", "daddr"),
    ] {
        let rules = outputs[direction]["value"]
            .as_object()
            .unwrap_or_else(|| panic!("aws {direction} is not a map"));
        for (key, rule) in rules {
            let tier = rule["tier"].as_str().expect("tier");
            let peers = peers(rule, peer_tier, address, members, key);
            let protocol = protocol(rule, key);
            let (input, output) = chains
                .get_mut(tier)
                .unwrap_or_else(|| panic!("rule {key} on unknown group {tier}"));
            let chain = if direction == "ingress" {
                input
            } else {
                output
            };
            for peer in peers {
                chain.push(format!("    {peer} {protocol} accept").replace("  accept", " accept"));
            }
        }
    }
    chains
        .into_iter()
        .map(|(tier, (input, output))| {
            let text = format!(
                "table inet aws_security_group {{\n  chain input {{\n    type filter hook input priority 0; policy drop;\n    iif \"lo\" accept\n    ct state established,related accept\n    icmpv6 type {{ nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }} accept\n{}\n  }}\n  chain output {{\n    type filter hook output priority 0; policy drop;\n    oif \"lo\" accept\n    ct state established,related accept\n    icmpv6 type {{ nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, 143 }} accept\n{}\n  }}\n}}\n",
                input.join("\n"),
                output.join("\n")
            );
            (tier, text)
        })
        .collect()
}

/// The address matches a rule's peer stands for.
fn peers(
    rule: &Value,
    peer_tier: &str,
    address: &str,
    members: &BTreeMap<String, (Vec<Ipv4Addr>, Vec<Ipv6Addr>)>,
    key: &str,
) -> Vec<String> {
    if let Some(group) = rule[peer_tier].as_str() {
        let (v4, v6) = members
            .get(group)
            .unwrap_or_else(|| panic!("rule {key} references unknown group {group}"));
        let set = |items: Vec<String>| format!("{{ {} }}", items.join(", "));
        let mut peers = Vec::new();
        if !v4.is_empty() {
            peers.push(format!(
                "ip {address} {}",
                set(v4.iter().map(|a| a.to_string()).collect())
            ));
        }
        if !v6.is_empty() {
            peers.push(format!(
                "ip6 {address} {}",
                set(v6.iter().map(|a| a.to_string()).collect())
            ));
        }
        return peers;
    }
    if let Some(cidr) = rule["cidr_ipv4"].as_str() {
        return vec![format!("ip {address} {cidr}")];
    }
    if let Some(cidr) = rule["cidr_ipv6"].as_str() {
        return vec![format!("ip6 {address} {cidr}")];
    }
    panic!("rule {key} has a peer the rig does not model: {rule}");
}

/// The protocol match of a rule.
fn protocol(rule: &Value, key: &str) -> String {
    let protocol = rule["ip_protocol"].as_str().expect("ip_protocol");
    let from = rule["from_port"].as_i64();
    let to = rule["to_port"].as_i64();
    let ports = |name: &str| match (from, to) {
        (Some(f), Some(t)) if f == t => format!("{name} dport {f}"),
        (Some(f), Some(t)) => format!("{name} dport {f}-{t}"),
        _ => panic!("rule {key}: {name} without ports"),
    };
    let icmp = |name: &str, l4: &str| match (from, to) {
        (Some(-1), _) | (None, _) => format!("meta l4proto {l4}"),
        (Some(t), Some(-1)) | (Some(t), None) => format!("{name} type {t}"),
        (Some(t), Some(c)) => format!("{name} type {t} {name} code {c}"),
    };
    match protocol {
        "-1" => String::new(),
        "tcp" | "6" => ports("tcp"),
        "udp" | "17" => ports("udp"),
        "icmp" | "1" => icmp("icmp", "icmp"),
        "icmpv6" | "58" => icmp("icmpv6", "ipv6-icmp"),
        number => {
            let n: u8 = number
                .parse()
                .unwrap_or_else(|_| panic!("rule {key}: protocol {number:?}"));
            format!("meta l4proto {n}")
        }
    }
}
