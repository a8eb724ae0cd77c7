//! OpenStack Neutron security groups as nftables, written from Neutron's documented semantics (Networking API
//! v2, "Security group rules"; `openstack_networking_secgroup_rule_v2`) and not from portmatrix's target code:
//! - a group's rules only allow; ingress not allowed is dropped. A new group also holds allow-all egress rules;
//!   portmatrix's egress rules are meant for groups created with `delete_default_rules = true`, which is what
//!   the rig models: egress is what the rules list;
//! - groups are stateful: answers to allowed traffic pass;
//! - a rule admits one `ethertype` (IPv4 or IPv6); `remote_group_id` stands for the fixed addresses of the
//!   group's ports in that family, `remote_ip_prefix` for a CIDR;
//! - `protocol` is a name (`tcp`, `udp`, `sctp`, `icmp`, `ipv6-icmp`) or a number; for tcp, udp and sctp
//!   `port_range_min`..`port_range_max` (both unset: every port); for ICMP the minimum is the type and the
//!   maximum the code (unset: every type, every code);
//! - ARP and IPv6 neighbour discovery pass Neutron's own anti-spoofing rules, not the groups.

use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The nftables ruleset each group's members enforce, by tier; `members[tier]` are the group's addresses.
pub fn rulesets(
    outputs: &Value,
    members: &BTreeMap<String, (Vec<Ipv4Addr>, Vec<Ipv6Addr>)>,
) -> BTreeMap<String, String> {
    let groups = outputs["openstack_tiers"]["value"]
        .as_object()
        .expect("openstack tiers map");
    let mut chains: BTreeMap<String, (Vec<String>, Vec<String>)> = groups
        .keys()
        .map(|tier| (tier.clone(), (Vec::new(), Vec::new())))
        .collect();
    for (direction, address) in [("ingress", "saddr"), ("egress", "daddr")] {
        let rules = outputs[&format!("openstack_{direction}")]["value"]
            .as_object()
            .unwrap_or_else(|| panic!("openstack {direction} is not a map"));
        for (key, rule) in rules {
            let tier = rule["tier"].as_str().expect("tier");
            let family = match rule["ethertype"].as_str() {
                Some("IPv4") => "ip",
                Some("IPv6") => "ip6",
                other => panic!("rule {key}: ethertype {other:?}"),
            };
            let peer = if let Some(group) = rule["remote_tier"].as_str() {
                let (v4, v6) = &members[group];
                let addresses: Vec<String> = if family == "ip" {
                    v4.iter().map(|a| a.to_string()).collect()
                } else {
                    v6.iter().map(|a| a.to_string()).collect()
                };
                format!("{family} {address} {{ {} }}", addresses.join(", "))
            } else if let Some(prefix) = rule["remote_ip_prefix"].as_str() {
                format!("{family} {address} {prefix}")
            } else {
                // No remote: every address of the ethertype.
                format!(
                    "meta nfproto {}",
                    if family == "ip" { "ipv4" } else { "ipv6" }
                )
            };
            let line =
                format!("    {peer} {} accept", protocol(rule, key)).replace("  accept", " accept");
            let (input, output) = chains
                .get_mut(tier)
                .unwrap_or_else(|| panic!("rule {key} on unknown group {tier}"));
            if direction == "ingress" {
                input.push(line);
            } else {
                output.push(line);
            }
        }
    }
    chains
        .into_iter()
        .map(|(tier, (input, output))| {
            let text = format!(
                "table inet neutron_security_group {{\n  chain input {{\n    type filter hook input priority 0; policy drop;\n    iif \"lo\" accept\n    ct state established,related accept\n    icmpv6 type {{ nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }} accept\n{}\n  }}\n  chain output {{\n    type filter hook output priority 0; policy drop;\n    oif \"lo\" accept\n    ct state established,related accept\n    icmpv6 type {{ nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, 143 }} accept\n{}\n  }}\n}}\n",
                input.join("\n"),
                output.join("\n")
            );
            (tier, text)
        })
        .collect()
}

/// The protocol match of a rule.
fn protocol(rule: &Value, key: &str) -> String {
    let min = rule["port_range_min"].as_i64();
    let max = rule["port_range_max"].as_i64();
    let ports = |name: &str| match (min, max) {
        (None, None) => format!("meta l4proto {name}"),
        (Some(f), Some(t)) if f == t => format!("{name} dport {f}"),
        (Some(f), Some(t)) => format!("{name} dport {f}-{t}"),
        _ => panic!("rule {key}: half a port range"),
    };
    let icmp = |name: &str, l4: &str| match (min, max) {
        (None, _) => format!("meta l4proto {l4}"),
        (Some(t), None) => format!("{name} type {t}"),
        (Some(t), Some(c)) => format!("{name} type {t} {name} code {c}"),
    };
    match rule["protocol"].as_str() {
        None => String::new(),
        Some(name @ ("tcp" | "udp" | "sctp")) => ports(name),
        Some("icmp") => icmp("icmp", "icmp"),
        Some("ipv6-icmp") => icmp("icmpv6", "ipv6-icmp"),
        Some(number) => {
            let n: u8 = number
                .parse()
                .unwrap_or_else(|_| panic!("rule {key}: protocol {number:?}"));
            format!("meta l4proto {n}")
        }
    }
}
