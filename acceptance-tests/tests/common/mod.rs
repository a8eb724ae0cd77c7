//! Helpers shared by the acceptance tests of `portmatrix_aws_security_group_rules`: they turn its `ingress` and
//! `egress` maps into sets that can be compared with tables written by hand from the port documents, and check the
//! invariants every entry must keep (key format, peer fields, description, protocol and ports).

// Each test crate that declares `mod common;` uses only some of these helpers.
#![allow(dead_code)]

use portmatrix_acceptance_tests::Workspace;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One AWS rule as the tests compare it: (tier whose group holds the rule, peer, ip_protocol, from_port, to_port).
/// The peer is the other tier's name, or "{endpoint}:{cidr or prefix list}" exactly as in the map keys.
pub type Rule = (String, String, String, Option<i64>, Option<i64>);

/// An expected rule written as a literal row: (tier, peer, ip_protocol, from_port, to_port).
pub type Row<'a> = (&'a str, &'a str, &'a str, Option<i64>, Option<i64>);

/// Which map of the data source a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `ingress`: rules on the destination tier's group; the peer tier is in `source_tier`.
    Ingress,
    /// `egress`: rules on the source tier's group; the peer tier is in `destination_tier`.
    Egress,
}

/// The characters AWS accepts in a security group rule description.
const AWS_DESCRIPTION_CHARS: &str =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-:/()#,@[]+=&;{}!$*";

/// The `ports` part of a key for an entry: "6443", "30000-32767", ICMP "8" or "all", "all" for numbered protocols.
fn key_ports(protocol: &str, from: Option<i64>, to: Option<i64>) -> String {
    match (protocol, from, to) {
        ("icmp" | "icmpv6", Some(-1), _) => "all".into(),
        ("icmp" | "icmpv6", Some(icmp_type), _) => icmp_type.to_string(),
        (_, Some(from), Some(to)) if from == to => from.to_string(),
        (_, Some(from), Some(to)) => format!("{from}-{to}"),
        _ => "all".into(),
    }
}

/// Reads a rule map (`ingress` or `egress` output value), checks every entry's invariants and returns the rules.
/// Panics, naming `context` and the entry, when an entry is malformed or two keys describe the same rule.
pub fn rules(context: &str, map: &Value, direction: Direction) -> BTreeSet<Rule> {
    let entries = map
        .as_object()
        .unwrap_or_else(|| panic!("{context}: {direction:?} is not a map: {map}"));
    let peer_tier_field = match direction {
        Direction::Ingress => "source_tier",
        Direction::Egress => "destination_tier",
    };
    let mut found = BTreeSet::new();
    for (key, value) in entries {
        let text = |field: &str| value[field].as_str().map(str::to_string);
        let tier = text("tier").unwrap_or_else(|| panic!("{context}: {key} has no tier: {value}"));
        let protocol = text("ip_protocol")
            .unwrap_or_else(|| panic!("{context}: {key} has no ip_protocol: {value}"));
        let from = value["from_port"].as_i64();
        let to = value["to_port"].as_i64();
        match protocol.as_str() {
            "tcp" | "udp" => assert!(
                matches!((from, to), (Some(f), Some(t)) if 1 <= f && f <= t && t <= 65535),
                "{context}: {key} needs a port range: {value}"
            ),
            "icmp" | "icmpv6" => assert_eq!(to, Some(-1), "{context}: {key}: ICMP code: {value}"),
            _ => assert!(
                from.is_none() && to.is_none(),
                "{context}: {key}: protocol {protocol} takes no ports: {value}"
            ),
        }

        let peer_tier = text(peer_tier_field);
        let addresses: Vec<String> = ["cidr_ipv4", "cidr_ipv6", "prefix_list_id"]
            .iter()
            .filter_map(|field| text(field))
            .collect();
        let endpoints: Vec<&str> = value["endpoints"]
            .as_array()
            .unwrap_or_else(|| panic!("{context}: {key} has no endpoints list: {value}"))
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect();
        // The key names the peer as AWS identifies it: the tier, or the address alone.
        let (peer, key_peer) = match (peer_tier, endpoints.is_empty()) {
            (Some(peer_tier), true) => {
                assert!(
                    addresses.is_empty(),
                    "{context}: {key} names a tier and addresses: {value}"
                );
                (peer_tier.clone(), peer_tier)
            }
            (None, false) => {
                assert_eq!(
                    addresses.len(),
                    1,
                    "{context}: {key} must have exactly one address: {value}"
                );
                assert!(
                    endpoints.windows(2).all(|w| w[0] < w[1]),
                    "{context}: {key}: endpoints must be sorted and unique: {value}"
                );
                // Tables name the peer `endpoints:address`, endpoints joined by `+` when they share the address.
                (
                    format!("{}:{}", endpoints.join("+"), addresses[0]),
                    addresses[0].clone(),
                )
            }
            _ => panic!("{context}: {key} needs either {peer_tier_field} or endpoints: {value}"),
        };

        let expected_key = format!(
            "{tier}:{protocol}:{}:{key_peer}",
            key_ports(&protocol, from, to)
        );
        assert_eq!(key, &expected_key, "{context}: key of {value}");

        let description = text("description").unwrap_or_default();
        assert!(
            !description.is_empty() && description.chars().count() <= 255,
            "{context}: {key}: description must have 1 to 255 characters: {description:?}"
        );
        assert!(
            description
                .chars()
                .all(|c| AWS_DESCRIPTION_CHARS.contains(c)),
            "{context}: {key}: description has characters AWS rejects: {description:?}"
        );
        for list in ["platforms", "purposes"] {
            assert!(
                value[list]
                    .as_array()
                    .is_some_and(|items| !items.is_empty()),
                "{context}: {key}: {list} is empty: {value}"
            );
        }

        let rule = (tier, peer, protocol, from, to);
        assert!(
            found.insert(rule.clone()),
            "{context}: two keys describe the rule {rule:?}"
        );
    }
    found
}

/// The rules of a literal table; a row written twice is a mistake in the test.
pub fn expected(rows: &[Row]) -> BTreeSet<Rule> {
    let mut set = BTreeSet::new();
    for &(tier, peer, protocol, from, to) in rows {
        let rule = (tier.into(), peer.into(), protocol.into(), from, to);
        assert!(set.insert(rule.clone()), "row {rule:?} written twice");
    }
    set
}

/// The egress rules that mirror tier-to-tier ingress rules: the rule on the destination's group from tier S is,
/// on S's group, a rule to the destination. Rules whose peer is an endpoint have no mirror.
pub fn mirror(ingress: &BTreeSet<Rule>, tiers: &[&str]) -> BTreeSet<Rule> {
    ingress
        .iter()
        .filter(|(_, peer, ..)| tiers.contains(&peer.as_str()))
        .map(|(tier, peer, protocol, from, to)| {
            (peer.clone(), tier.clone(), protocol.clone(), *from, *to)
        })
        .collect()
}

/// Asserts two rule sets are equal, listing the missing and the unexpected rules.
pub fn assert_rules(context: &str, actual: &BTreeSet<Rule>, expected: &BTreeSet<Rule>) {
    let missing: Vec<&Rule> = expected.difference(actual).collect();
    let unexpected: Vec<&Rule> = actual.difference(expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "{context}: rule sets differ\n  missing ({}):\n{}\n  unexpected ({}):\n{}",
        missing.len(),
        lines(&missing),
        unexpected.len(),
        lines(&unexpected)
    );
}

fn lines(rules: &[&Rule]) -> String {
    rules
        .iter()
        .map(|rule| format!("    {rule:?}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Rule counts per tier and address family as AWS counts them against the per-group quota: a CIDR rule counts in
/// its family; a rule referencing a security group (a tier) or a prefix list counts once in each family.
/// Returns tier -> (ipv4, ipv6).
pub fn family_counts(rules: &BTreeSet<Rule>, tiers: &[&str]) -> BTreeMap<String, (u64, u64)> {
    let mut counts: BTreeMap<String, (u64, u64)> = tiers
        .iter()
        .map(|tier| (tier.to_string(), (0, 0)))
        .collect();
    for (tier, peer, ..) in rules {
        let (v4, v6) = counts.entry(tier.clone()).or_default();
        let address = peer.split_once(':').map(|(_, address)| address);
        match address {
            Some(address) if address.contains(':') => *v6 += 1,
            Some(address) if !address.starts_with("pl-") => *v4 += 1,
            _ => {
                *v4 += 1;
                *v6 += 1;
            }
        }
    }
    counts
}

/// Asserts the `tiers` output counts the expected ingress and egress rules per tier and family.
pub fn assert_tier_counts(
    context: &str,
    tiers_output: &Value,
    tiers: &[&str],
    ingress: &BTreeSet<Rule>,
    egress: &BTreeSet<Rule>,
) {
    let names: BTreeSet<&str> = tiers_output
        .as_object()
        .unwrap_or_else(|| panic!("{context}: tiers is not a map: {tiers_output}"))
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        tiers.iter().copied().collect(),
        "{context}: tier names"
    );
    let ingress_counts = family_counts(ingress, tiers);
    let egress_counts = family_counts(egress, tiers);
    for tier in tiers {
        let counts = &tiers_output[*tier];
        let actual = [
            counts["ingress_ipv4"].as_u64(),
            counts["ingress_ipv6"].as_u64(),
            counts["egress_ipv4"].as_u64(),
            counts["egress_ipv6"].as_u64(),
        ];
        let (in4, in6) = ingress_counts[*tier];
        let (out4, out6) = egress_counts[*tier];
        assert_eq!(
            actual,
            [Some(in4), Some(in6), Some(out4), Some(out6)],
            "{context}: counts of tier {tier} (ingress v4, v6, egress v4, v6): {counts}"
        );
    }
}

/// Applies the workspace and returns `terraform output -json` exactly as printed, for byte comparisons.
pub fn raw_outputs(workspace: &Workspace) -> String {
    workspace.outputs();
    let run = workspace.run(&["output", "-json"], &[]);
    assert!(run.success, "terraform output failed: {}", run.stderr);
    run.stdout
}

/// The warnings output as strings.
pub fn warnings(outputs: &Value) -> Vec<String> {
    outputs["warnings"]["value"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|w| w.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
