//! Azure network security groups as nftables, written from Azure's documented semantics ("Network security
//! groups", "How network security groups filter network traffic", "Application security groups";
//! `azurerm_network_security_rule`) and not from portmatrix's target code:
//! - rules are evaluated in priority order, lowest number first, and the first match (allow or deny) ends the
//!   evaluation; NSGs are stateful;
//! - the default rules (AllowVnetInBound, AllowVnetOutBound, ...) sit at 65000 and above: within a virtual
//!   network everything passes unless a rule of yours denies it. The data source leaves 4096 free for that
//!   rule ("Set 4095 to keep 4096 for a deny-all rule of your own"): the rig adds a deny-all at 4096 in each
//!   direction, as that advice means, so the defaults are never reached;
//! - inbound rules are evaluated for the destination's network interface, outbound rules for the source's;
//! - an application security group stands for the addresses of the network interfaces in it (both
//!   families); address prefixes for themselves;
//! - `protocol` is `Tcp`, `Udp`, `Icmp`, `Esp`, `Ah` or `*`; ports apply to Tcp and Udp (`*` every port).
//!   `Icmp` is read as ICMP for IPv4, the only ICMP the stacks proven here ask for.
//!
//! One NSG is shared by every tier (the data source's default), told apart by application security groups.

use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The nftables ruleset each tier's network interfaces enforce, by tier.
pub fn rulesets(
    outputs: &Value,
    members: &BTreeMap<String, (Vec<Ipv4Addr>, Vec<Ipv6Addr>)>,
) -> BTreeMap<String, String> {
    let tiers = outputs["azure_tiers"]["value"]
        .as_object()
        .expect("azure tiers map");
    let mut rules: Vec<&Value> = outputs["azure_rules"]["value"]
        .as_object()
        .expect("azure rules map")
        .values()
        .collect();
    rules.sort_by_key(|r| r["priority"].as_i64().expect("priority"));
    tiers
        .keys()
        .map(|tier| {
            let mut input = Vec::new();
            let mut output = Vec::new();
            for rule in &rules {
                let name = rule["name"].as_str().expect("name");
                let priority = rule["priority"].as_i64().expect("priority");
                assert!(priority < 4096, "rule {name} at {priority}: 4096 is the rig's deny-all");
                let (own_side, peer_side, address, chain) = match rule["direction"].as_str() {
                    Some("Inbound") => ("destination", "source", "saddr", &mut input),
                    Some("Outbound") => ("source", "destination", "daddr", &mut output),
                    other => panic!("rule {name}: direction {other:?}"),
                };
                if rule[format!("{own_side}_tier")].as_str() != Some(tier.as_str()) {
                    continue;
                }
                let mut peers = Vec::new();
                if let Some(group) = rule[format!("{peer_side}_tier")].as_str() {
                    let (v4, v6) = &members[group];
                    let list = |items: Vec<String>| format!("{{ {} }}", items.join(", "));
                    peers.push(format!(
                        "ip {address} {}",
                        list(v4.iter().map(|a| a.to_string()).collect())
                    ));
                    peers.push(format!(
                        "ip6 {address} {}",
                        list(v6.iter().map(|a| a.to_string()).collect())
                    ));
                }
                for prefix in rule[format!("{peer_side}_address_prefixes")]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let prefix = prefix.as_str().expect("prefix");
                    let family = if prefix.contains(':') { "ip6" } else { "ip" };
                    peers.push(format!("{family} {address} {prefix}"));
                }
                assert!(!peers.is_empty(), "rule {name}: no peer the rig models");
                let protocol = protocol(rule, name);
                for peer in peers {
                    chain.push(
                        format!("    {peer} {protocol} accept comment \"{name} ({priority})\"")
                            .replace("  accept", " accept"),
                    );
                }
            }
            let chain = |hook: &str, nd: &str, lines: &[String]| {
                format!(
                    "  chain {hook} {{\n    type filter hook {hook} priority 0; policy accept;\n    {} \"lo\" accept\n    ct state established,related accept\n    icmpv6 type {{ {nd} }} accept\n{}\n    drop comment \"deny-all (4096)\"\n  }}\n",
                    if hook == "input" { "iif" } else { "oif" },
                    lines.join("\n")
                )
            };
            let text = format!(
                "table inet azure_nsg {{\n{}{}}}\n",
                chain(
                    "input",
                    "nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert",
                    &input
                ),
                chain(
                    "output",
                    "nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, 143",
                    &output
                )
            );
            (tier.clone(), text)
        })
        .collect()
}

/// The protocol and port match of a rule.
fn protocol(rule: &Value, name: &str) -> String {
    let ranges: Vec<&str> = rule["destination_port_ranges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p.as_str().expect("port range"))
        .collect();
    let every_port = ranges.is_empty() || ranges == ["*"];
    match rule["protocol"].as_str() {
        Some("Tcp") if !every_port => format!("tcp dport {{ {} }}", ranges.join(", ")),
        Some("Udp") if !every_port => format!("udp dport {{ {} }}", ranges.join(", ")),
        Some("Tcp") => "meta l4proto tcp".to_string(),
        Some("Udp") => "meta l4proto udp".to_string(),
        Some("Icmp") => "meta l4proto icmp".to_string(),
        Some("Esp") => "meta l4proto esp".to_string(),
        Some("Ah") => "meta l4proto ah".to_string(),
        Some("*") => String::new(),
        other => panic!("rule {name}: protocol {other:?}"),
    }
}
