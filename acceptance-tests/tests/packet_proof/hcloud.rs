//! Hetzner Cloud firewalls as nftables, written from Hetzner's documented semantics (Cloud API reference,
//! "Firewalls"; Cloud Firewalls FAQ; the `hcloud_firewall` resource) and not from portmatrix's target code:
//! - firewalls are stateful; inbound traffic no `in` rule allows is dropped;
//! - outbound traffic is allowed until the firewall has an `out` rule, then only what `out` rules allow;
//! - a rule names its peers by address blocks only (`source_ips`, `destination_ips`, IPv4 or IPv6);
//! - `protocol` is `tcp` or `udp` with a `port` (`80`, `30000-32767` or `any`), or `icmp`, `gre`, `esp`
//!   without ports; an `icmp` rule admits every ICMP type, and ICMPv6 from IPv6 blocks.
//!
//! Each tier is one firewall applied to the rig's nodes of that tier.

use serde_json::Value;
use std::collections::BTreeMap;

/// The nftables ruleset each tier's servers enforce, by tier.
pub fn rulesets(outputs: &Value) -> BTreeMap<String, String> {
    let firewalls = outputs["hcloud_firewalls"]["value"]
        .as_object()
        .expect("hcloud firewalls map");
    firewalls
        .iter()
        .map(|(tier, firewall)| {
            let rules = firewall["rules"].as_array().expect("rules list");
            let mut input = Vec::new();
            let mut output = Vec::new();
            for rule in rules {
                let key = rule["key"].as_str().expect("key");
                let (blocks, address, chain) = match rule["direction"].as_str() {
                    Some("in") => (&rule["source_ips"], "saddr", &mut input),
                    Some("out") => (&rule["destination_ips"], "daddr", &mut output),
                    other => panic!("rule {key}: direction {other:?}"),
                };
                for block in blocks.as_array().expect("address blocks") {
                    let block = block.as_str().expect("block");
                    let v6 = block.contains(':');
                    let family = if v6 { "ip6" } else { "ip" };
                    chain.push(format!(
                        "    {family} {address} {block} {} accept",
                        protocol(rule, v6, key)
                    ));
                }
            }
            let output_chain = if output.is_empty() {
                String::new()
            } else {
                format!(
                    "  chain output {{\n    type filter hook output priority 0; policy drop;\n    oif \"lo\" accept\n    ct state established,related accept\n    icmpv6 type {{ nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, 143 }} accept\n{}\n  }}\n",
                    output.join("\n")
                )
            };
            let text = format!(
                "table inet hcloud_firewall {{\n  chain input {{\n    type filter hook input priority 0; policy drop;\n    iif \"lo\" accept\n    ct state established,related accept\n    icmpv6 type {{ nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }} accept\n{}\n  }}\n{output_chain}}}\n",
                input.join("\n")
            );
            (tier.clone(), text)
        })
        .collect()
}

/// The protocol match of a rule, for a block of IPv6 (`v6`) or IPv4.
fn protocol(rule: &Value, v6: bool, key: &str) -> String {
    let port = rule["port"].as_str();
    match rule["protocol"].as_str() {
        Some(name @ ("tcp" | "udp")) => match port {
            Some("any") | None => format!("meta l4proto {name}"),
            Some(port) => format!("{name} dport {port}"),
        },
        Some("icmp") if v6 => "meta l4proto ipv6-icmp".to_string(),
        Some("icmp") => "meta l4proto icmp".to_string(),
        Some("gre") => "meta l4proto gre".to_string(),
        Some("esp") => "meta l4proto esp".to_string(),
        other => panic!("rule {key}: protocol {other:?}"),
    }
}
