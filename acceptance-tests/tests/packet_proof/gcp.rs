//! GCP VPC firewall rules as nftables, written from Google Cloud's documented semantics ("VPC firewall rules",
//! and the `google_compute_firewall` resource) and not from portmatrix's target code:
//! - every network has two implied rules at the lowest priority: deny all ingress, allow all egress. Rules of
//!   higher priority (lower number) override them; among rules that match, the highest priority wins and at
//!   equal priority deny beats allow;
//! - rules are stateful: the answer to an allowed connection passes in the other direction;
//! - an ingress rule applies to the instances carrying one of its `target_tags` and admits sources carrying one
//!   of its `source_tags` (here: the addresses of that tier's nodes, in both families, as portmatrix's
//!   single tag rule per tier pair also assumes) or inside its `source_ranges`;
//! - an egress rule applies to the instances carrying its target tags and names `destination_ranges`;
//! - an `allow` entry names a protocol (`tcp`, `udp`, `icmp`, `esp`, `ah`, `sctp`, `ipip`, `all` or a number)
//!   and, for tcp and udp, ports and ranges; without ports the whole protocol.
//!
//! So the members of each tier enforce an input chain (implied deny, then the allow rules targeting their tag)
//! and no output chain: egress allow rules add nothing to the implied allow. The rig can only prove, under
//! GCP, what a destination's ingress rules decide.

use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The nftables ruleset each tier's instances enforce, by tier; `members[tier]` are its nodes' addresses.
pub fn rulesets(
    outputs: &Value,
    members: &BTreeMap<String, (Vec<Ipv4Addr>, Vec<Ipv6Addr>)>,
) -> BTreeMap<String, String> {
    let tiers = outputs["gcp_tiers"]["value"]
        .as_object()
        .expect("gcp tiers map");
    let tier_of_tag: BTreeMap<&str, &str> = tiers
        .iter()
        .map(|(tier, t)| {
            (
                t["network_tag"].as_str().expect("network tag"),
                tier.as_str(),
            )
        })
        .collect();
    let rules = outputs["gcp_rules"]["value"]
        .as_object()
        .expect("gcp rules map");
    let mut input: BTreeMap<&str, Vec<String>> =
        tiers.keys().map(|t| (t.as_str(), Vec::new())).collect();
    for (name, rule) in rules {
        assert!(
            rule.get("deny").is_none_or(Value::is_null),
            "rule {name}: the translator models allow rules only"
        );
        if rule["direction"] == "EGRESS" {
            continue;
        }
        let mut peers = Vec::new();
        for tag in rule["source_tags"].as_array().into_iter().flatten() {
            let tag = tag.as_str().expect("tag");
            let tier = tier_of_tag
                .get(tag)
                .unwrap_or_else(|| panic!("rule {name}: unknown source tag {tag}"));
            let (v4, v6) = &members[*tier];
            let list = |items: Vec<String>| format!("{{ {} }}", items.join(", "));
            peers.push(format!(
                "ip saddr {}",
                list(v4.iter().map(|a| a.to_string()).collect())
            ));
            peers.push(format!(
                "ip6 saddr {}",
                list(v6.iter().map(|a| a.to_string()).collect())
            ));
        }
        for range in rule["source_ranges"].as_array().into_iter().flatten() {
            let range = range.as_str().expect("range");
            let family = if range.contains(':') { "ip6" } else { "ip" };
            peers.push(format!("{family} saddr {range}"));
        }
        assert!(
            rule["source_service_accounts"].is_null(),
            "rule {name}: the rig uses network tags"
        );
        let matches: Vec<String> = rule["allow"]
            .as_array()
            .expect("allow list")
            .iter()
            .map(|allow| protocol(allow, name))
            .collect();
        for tag in rule["target_tags"].as_array().expect("target tags") {
            let tier = tier_of_tag[tag.as_str().expect("tag")];
            let chain = input.get_mut(tier).expect("tier");
            for peer in &peers {
                for m in &matches {
                    chain.push(format!("    {peer} {m} accept").replace("  accept", " accept"));
                }
            }
        }
    }
    input
        .into_iter()
        .map(|(tier, lines)| {
            (
                tier.to_string(),
                format!(
                    "table inet gcp_firewall {{\n  chain input {{\n    type filter hook input priority 0; policy drop;\n    iif \"lo\" accept\n    ct state established,related accept\n    icmpv6 type {{ nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert }} accept\n{}\n  }}\n}}\n",
                    lines.join("\n")
                ),
            )
        })
        .collect()
}

/// The nftables match of one `allow` entry.
fn protocol(allow: &Value, name: &str) -> String {
    let protocol = allow["protocol"].as_str().expect("protocol");
    let ports: Vec<&str> = allow["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p.as_str().expect("port"))
        .collect();
    match protocol {
        "tcp" | "udp" if !ports.is_empty() => {
            format!("{protocol} dport {{ {} }}", ports.join(", "))
        }
        "tcp" | "udp" | "icmp" | "esp" | "ah" | "sctp" => format!("meta l4proto {protocol}"),
        "ipip" => "meta l4proto 4".to_string(),
        "all" => String::new(),
        number => {
            let n: u8 = number
                .parse()
                .unwrap_or_else(|_| panic!("rule {name}: protocol {number:?}"));
            format!("meta l4proto {n}")
        }
    }
}
