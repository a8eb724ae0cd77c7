//! `portmatrix_hcloud_firewall_rules` under every Terraform, for the stacks of the AWS target: Kublr with Canal
//! and Calico, Deckhouse with its modules off and on, Longhorn 1.5+, and Kubernetes + Calico + Longhorn; plus the
//! documented diagnostics for flows Hetzner cannot express, for missing `tier_ranges` and for Hetzner's limits.
//!
//! The expected tables are written by hand from the source documents, never from the program's output: Kublr's
//! "Network Access" page (shared/seeds/004_47f2e9499fd6d2ef.txt), Deckhouse's port requirements for v1.63-v1.66
//! (shared/seeds/002_9b596b334cd8af9c.txt), and for Longhorn, Kubernetes and Calico shared/reference/ports.md.
//! They apply the engine's rules as the AWS tests do ("Node" is the master and worker tiers, every ordered pair,
//! ranges that touch merge per peer and protocol, ICMP without types admits every type), then Hetzner's rule
//! shape: one firewall per tier; one `in` rule per (protocol, port) holding the addresses of every peer allowed
//! it, a tier's addresses being its `tier_ranges` and ICMP taking IPv4 blocks only (ICMPv6 for IPv6 blocks);
//! `out` rules only with `outbound_rules`. Each row below is (firewall, direction, protocol, port, peers).
//!
//! Hetzner Cloud Firewalls do not filter traffic over Hetzner private Networks (Cloud Firewalls FAQ), so a read
//! whose rules allow private addresses (the 10.x `tier_ranges` of most cases) ends its warnings with one warning
//! counting those rules per firewall and naming the private blocks per peer; public addresses give none.

mod common;

use common::warnings;
use portmatrix_acceptance_tests::{terraforms, Workspace};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// An expected rule: (firewall tier, direction, protocol, port or "", peers).
type Row<'a> = (&'a str, &'a str, &'a str, &'a str, &'a [&'a str]);

/// A rule as compared: (firewall tier, key, direction, protocol, port, addresses, peers).
type Rule = (
    String,
    String,
    String,
    String,
    Option<String>,
    BTreeSet<String>,
    BTreeSet<String>,
);

const MASTER_V4: &str = "10.0.1.0/24";
const MASTER_V6: &str = "2a01:4f8:c0c:1::/64";
const WORKER_V4: &str = "10.0.2.0/24";
const LB_V4: &str = "10.0.3.0/24";

/// `tier_ranges` of most cases: the master tier has an IPv6 network too.
const TIER_RANGES: &str = r#"
  tier_ranges = {
    master = ["10.0.1.0/24", "2a01:4f8:c0c:1::/64"]
    worker = ["10.0.2.0/24"]
    lb     = ["10.0.3.0/24"]
  }
"#;

/// The addresses of a peer in the test configurations.
fn addresses(peer: &str) -> Vec<&'static str> {
    match peer {
        "master" => vec![MASTER_V4, MASTER_V6],
        "worker" => vec![WORKER_V4],
        "lb" => vec![LB_V4],
        "internet" => vec!["0.0.0.0/0"],
        "api-clients" | "nodeport-clients" => vec!["203.0.113.0/24"],
        other => panic!("no addresses for {other} in the tests"),
    }
}

/// The rules of a table: addresses from the peers, IPv4 only for ICMP.
fn expected(rows: &[Row]) -> BTreeSet<Rule> {
    let mut set = BTreeSet::new();
    for &(tier, direction, protocol, port, peers) in rows {
        let ips: BTreeSet<String> = peers
            .iter()
            .flat_map(|p| addresses(p))
            .filter(|a| protocol != "icmp" || !a.contains(':'))
            .map(str::to_string)
            .collect();
        let port = (!port.is_empty()).then(|| port.to_string());
        let key = format!(
            "{tier}:{direction}:{protocol}:{}",
            port.as_deref().unwrap_or("all")
        );
        let rule = (
            tier.to_string(),
            key,
            direction.to_string(),
            protocol.to_string(),
            port,
            ips,
            peers.iter().map(|p| p.to_string()).collect(),
        );
        assert!(set.insert(rule.clone()), "row {rule:?} written twice");
    }
    set
}

/// The warning of a read whose `rules` (`8 rule(s) (firewall "master": 5, "worker": 3)`) allow the private
/// addresses of `peers` (`tier "master" (10.0.1.0/24), ...`).
fn private_network_warning(rules: &str, peers: &str) -> String {
    format!(
        "Hetzner Cloud Firewalls filter the servers' public interfaces only, not Hetzner private Networks: {rules} \
         allow private addresses of {peers}, and have no effect on traffic over a Hetzner private network, which \
         reaches the servers unfiltered. Restrict that traffic on the servers themselves, for example with \
         portmatrix_nftables_ruleset."
    )
}

/// The warnings of a read about private networks: at most the one, and last.
fn private_network_warnings(context: &str, outputs: &Value) -> Vec<String> {
    let all = warnings(outputs);
    let private: Vec<String> = all
        .iter()
        .filter(|w| w.contains("private Networks"))
        .cloned()
        .collect();
    if let Some(first) = private.first() {
        assert_eq!(all.last(), Some(first), "{context}: not last: {all:?}");
    }
    private
}

/// Protocols in Hetzner rule order.
const PROTOCOLS: [&str; 5] = ["tcp", "udp", "icmp", "gre", "esp"];

/// Reads `firewalls`, checking every rule: key, direction and address fields, port by protocol, at most 100
/// addresses, the order of the list, the counts, and the description.
fn read(context: &str, outputs: &Value) -> BTreeSet<Rule> {
    let firewalls = outputs["firewalls"]["value"]
        .as_object()
        .unwrap_or_else(|| panic!("{context}: firewalls is not a map: {outputs}"));
    let mut found = BTreeSet::new();
    for (tier, firewall) in firewalls {
        let rules = firewall["rules"].as_array().cloned().unwrap_or_default();
        let mut order = Vec::new();
        let mut effective = 0;
        for rule in &rules {
            let text = |field: &str| rule[field].as_str().map(str::to_string);
            let list = |field: &str| -> BTreeSet<String> {
                rule[field]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            };
            let key = text("key").unwrap_or_default();
            let direction = text("direction").unwrap_or_default();
            let protocol = text("protocol").unwrap_or_default();
            let port = text("port");
            let (sources, destinations) = (list("source_ips"), list("destination_ips"));
            let ips = match direction.as_str() {
                "in" if destinations.is_empty() => sources,
                "out" if sources.is_empty() => destinations,
                _ => panic!("{context}: {key}: addresses do not fit the direction: {rule}"),
            };
            assert!(
                !ips.is_empty() && ips.len() <= 100,
                "{context}: {key}: {} addresses",
                ips.len()
            );
            effective += ips.len();
            let rank = PROTOCOLS.iter().position(|p| *p == protocol);
            assert!(rank.is_some(), "{context}: {key}: protocol {protocol}");
            let first_port = match (protocol.as_str(), &port) {
                ("tcp" | "udp", Some(port)) => port
                    .split('-')
                    .next()
                    .and_then(|p| p.parse::<u32>().ok())
                    .unwrap_or_else(|| panic!("{context}: {key}: port {port}")),
                ("tcp" | "udp", None) => panic!("{context}: {key} needs a port"),
                (_, None) => 0,
                (_, Some(port)) => panic!("{context}: {key}: {protocol} takes no port, got {port}"),
            };
            assert!(
                key.starts_with(&format!(
                    "{tier}:{direction}:{protocol}:{}",
                    port.as_deref().unwrap_or("all")
                )),
                "{context}: key {key} of {rule}"
            );
            order.push((direction != "in", rank, first_port));
            let description = text("description").unwrap_or_default();
            assert!(
                description.starts_with("portmatrix ") && description.chars().count() <= 255,
                "{context}: {key}: description {description:?}"
            );
            assert!(
                !list("platforms").is_empty() && !list("purposes").is_empty(),
                "{context}: {key}"
            );
            found.insert((
                tier.clone(),
                key,
                direction,
                protocol,
                port,
                ips,
                list("peers"),
            ));
        }
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "{context}: rules of {tier} are not in order");
        assert_eq!(
            firewall["rule_count"].as_u64(),
            Some(rules.len() as u64),
            "{context}: {tier}"
        );
        assert_eq!(
            firewall["effective_rule_count"].as_u64(),
            Some(effective as u64),
            "{context}: {tier}"
        );
    }
    found
}

fn assert_same(context: &str, actual: &BTreeSet<Rule>, expected: &BTreeSet<Rule>) {
    let missing: Vec<&Rule> = expected.difference(actual).collect();
    let unexpected: Vec<&Rule> = actual.difference(expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "{context}: rule sets differ\n  missing ({}): {missing:#?}\n  unexpected ({}): {unexpected:#?}",
        missing.len(),
        unexpected.len()
    );
}

fn config(inputs: &str) -> String {
    let mut hcl =
        format!("data \"portmatrix_hcloud_firewall_rules\" \"cluster\" {{\n{inputs}\n}}\n");
    for output in ["firewalls", "widened", "warnings"] {
        hcl.push_str(&format!(
            "\noutput \"{output}\" {{\n  value = data.portmatrix_hcloud_firewall_rules.cluster.{output}\n}}\n"
        ));
    }
    hcl
}

/// Terraform wraps long diagnostics; compare with whitespace runs as single spaces.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_error(context: &str, error: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            squash(error).contains(needle),
            "{context}: {needle:?} not in:\n{error}"
        );
    }
}

// -------------------------------------------------------------------------------------------------------------
// Kublr (seed 004).

const KUBLR_INTERNET: &str = r#"
  endpoint {
    name      = "internet"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
"#;

/// Kublr, CNI Canal (the default), not air-gapped: the `in` rules.
#[rustfmt::skip]
const KUBLR_CANAL_IN: &[Row<'static>] = &[
    // Table 2 (Workers to Masters): "443 TCP Kubernetes API".
    ("master", "in", "tcp", "443", &["worker"]),
    // Table 3 (Master to Masters): "2379 TCP Etcd", "2380 TCP Etcd", touching.
    ("master", "in", "tcp", "2379-2380", &["master"]),
    // Table 1 (Node to Node): "5473 TCP Canal (default) Calico Typha", "10250 TCP Kubelet API",
    // "8472 UDP Canal (default) Canal": from both node tiers, on both.
    ("master", "in", "tcp", "5473", &["master", "worker"]),
    ("master", "in", "tcp", "10250", &["master", "worker"]),
    ("master", "in", "udp", "8472", &["master", "worker"]),
    ("worker", "in", "tcp", "5473", &["master", "worker"]),
    ("worker", "in", "tcp", "10250", &["master", "worker"]),
    ("worker", "in", "udp", "8472", &["master", "worker"]),
];

/// The `out` rules of the same tables, with Table 4 (Other), non-air-gap: "53 TCP/UDP Node Internet DNS" and
/// "443 TCP Node Internet HTTPS to binary repositories". On the workers' firewall the Internet's 443 and the
/// masters' 443 (Table 2) share one rule.
#[rustfmt::skip]
const KUBLR_CANAL_OUT: &[Row<'static>] = &[
    ("master", "out", "tcp", "53", &["internet"]),
    ("master", "out", "tcp", "443", &["internet"]),
    ("master", "out", "tcp", "2379-2380", &["master"]),
    ("master", "out", "tcp", "5473", &["master", "worker"]),
    ("master", "out", "tcp", "10250", &["master", "worker"]),
    ("master", "out", "udp", "53", &["internet"]),
    ("master", "out", "udp", "8472", &["master", "worker"]),
    ("worker", "out", "tcp", "53", &["internet"]),
    ("worker", "out", "tcp", "443", &["internet", "master"]),
    ("worker", "out", "tcp", "5473", &["master", "worker"]),
    ("worker", "out", "tcp", "10250", &["master", "worker"]),
    ("worker", "out", "udp", "53", &["internet"]),
    ("worker", "out", "udp", "8472", &["master", "worker"]),
];

#[test]
fn kublr_canal_firewalls_match_the_network_access_page() {
    let inputs =
        format!("  platform {{\n    name = \"kublr\"\n  }}\n{KUBLR_INTERNET}{TIER_RANGES}");
    let outbound = format!("{inputs}\n  outbound_rules = true\n");
    let with_out: Vec<Row> = KUBLR_CANAL_IN
        .iter()
        .chain(KUBLR_CANAL_OUT)
        .copied()
        .collect();
    for terraform in terraforms() {
        let context = format!("Terraform {} kublr canal", terraform.version);
        let outputs = Workspace::new(terraform, &config(&inputs)).outputs();
        assert_same(
            &context,
            &read(&context, &outputs),
            &expected(KUBLR_CANAL_IN),
        );
        let firewalls = &outputs["firewalls"]["value"];
        assert_eq!(
            firewalls["lb"]["rule_count"], 0,
            "{context}: the lb tier holds no role"
        );
        // 1 + 2 + 3 * 3 on the masters' firewall (the master tier has two blocks), 3 * 3 on the workers'.
        assert_eq!(firewalls["master"]["effective_rule_count"], 12, "{context}");
        assert_eq!(firewalls["worker"]["effective_rule_count"], 9, "{context}");
        let roles = firewalls["master"]["roles"].to_string();
        assert!(roles.contains("kublr/master"), "{context}: {roles}");
        // Every `in` rule holds a node tier's 10.x block; the masters' IPv6 network is public.
        assert_eq!(
            private_network_warnings(&context, &outputs),
            [private_network_warning(
                "8 rule(s) (firewall \"master\": 5, \"worker\": 3)",
                "tier \"master\" (10.0.1.0/24), tier \"worker\" (10.0.2.0/24)"
            )],
            "{context}"
        );

        let context = format!("Terraform {} kublr canal outbound", terraform.version);
        let outputs = Workspace::new(terraform, &config(&outbound)).outputs();
        assert_same(&context, &read(&context, &outputs), &expected(&with_out));
        // The `out` rules to the nodes count too; those to the Internet's 0.0.0.0/0 alone (53 tcp and udp, and
        // 443 on the masters' firewall) do not.
        assert_eq!(
            private_network_warnings(&context, &outputs),
            [private_network_warning(
                "16 rule(s) (firewall \"master\": 9, \"worker\": 7)",
                "tier \"master\" (10.0.1.0/24), tier \"worker\" (10.0.2.0/24)"
            )],
            "{context}"
        );
    }
}

#[test]
fn public_tier_ranges_give_no_private_network_warning() {
    // The same Kublr tables with the servers' public addresses, as the firewalls see them.
    let inputs = format!(
        r#"
  platform {{
    name = "kublr"
  }}
{KUBLR_INTERNET}
  tier_ranges = {{
    master = ["203.0.113.10/32", "203.0.113.11/32", "2a01:4f8:c0c:1::/64"]
    worker = ["198.51.100.0/27"]
  }}
  outbound_rules = true
"#
    );
    for terraform in terraforms() {
        let context = format!("Terraform {} kublr canal public", terraform.version);
        let outputs = Workspace::new(terraform, &config(&inputs)).outputs();
        let firewalls = &outputs["firewalls"]["value"];
        assert_eq!(firewalls["master"]["rule_count"], 12, "{context}");
        assert_eq!(firewalls["worker"]["rule_count"], 9, "{context}");
        assert_eq!(
            private_network_warnings(&context, &outputs),
            Vec::<String>::new(),
            "{context}: {:?}",
            warnings(&outputs)
        );
    }
}

#[test]
fn kublr_calico_needs_ip_in_ip_which_hetzner_cannot_filter() {
    let inputs = format!(
        "  platform {{\n    name    = \"kublr\"\n    options = {{ cni = \"calico\" }}\n  }}\n{KUBLR_INTERNET}{TIER_RANGES}"
    );
    // Table 1, Calico rows: "4 (IP-in-IP) Calico Calico IP-in-IP" between every ordered pair of node tiers;
    // "179 TCP Calico Calico BGP", "8472 UDP Calico Calico VXLAN/Flannel", "5473 TCP Calico Calico Typha".
    #[rustfmt::skip]
    let skipped: &[Row] = &[
        ("master", "in", "tcp", "179", &["master", "worker"]),
        ("master", "in", "tcp", "443", &["worker"]),
        ("master", "in", "tcp", "2379-2380", &["master"]),
        ("master", "in", "tcp", "5473", &["master", "worker"]),
        ("master", "in", "tcp", "10250", &["master", "worker"]),
        ("master", "in", "udp", "8472", &["master", "worker"]),
        ("worker", "in", "tcp", "179", &["master", "worker"]),
        ("worker", "in", "tcp", "5473", &["master", "worker"]),
        ("worker", "in", "tcp", "10250", &["master", "worker"]),
        ("worker", "in", "udp", "8472", &["master", "worker"]),
    ];
    for terraform in terraforms() {
        let context = format!("Terraform {} kublr calico", terraform.version);
        let error = Workspace::new(terraform, &config(&inputs)).plan_error();
        assert_error(
            &context,
            &error,
            &[
                "Flows Hetzner firewalls cannot express",
                "hcloud_firewall cannot express 4 flow(s) the selected platforms need",
                "worker -> master 4 all (kublr: Calico IP-in-IP): hcloud_firewall rules take tcp, udp, icmp, gre (47) \
                 and esp (50) only, not IP protocol 4",
                "unsupported_flows = \"skip\"",
                "unsupported_flows",
            ],
        );

        let widen = format!("{inputs}\n  unsupported_flows = \"widen\"\n");
        let error = Workspace::new(terraform, &config(&widen)).plan_error();
        assert_error(
            &context,
            &error,
            &[
                "hcloud_firewall has no rule that contains 4 flow(s)",
                "unsupported_flows = \"widen\" cannot open them",
            ],
        );

        let skip = format!("{inputs}\n  unsupported_flows = \"skip\"\n");
        let outputs = Workspace::new(terraform, &config(&skip)).outputs();
        assert_same(&context, &read(&context, &outputs), &expected(skipped));
        let left_out: Vec<String> = warnings(&outputs)
            .into_iter()
            .filter(|w| w.starts_with("unsupported_flows = \"skip\" left out"))
            .collect();
        assert_eq!(left_out.len(), 4, "{context}: {left_out:?}");
        assert!(
            left_out
                .iter()
                .all(|w| w.contains(" 4 all (kublr: Calico IP-in-IP)")),
            "{context}: {left_out:?}"
        );
    }
}

// -------------------------------------------------------------------------------------------------------------
// Deckhouse 1.64 (seed 002). "master" = master tier, "nodes" = master and worker tiers; module rows only with the
// module on; Cilium rows with the default CNI.

/// Every module option off (they default to on), no endpoints: the `in` rules.
#[rustfmt::skip]
const DECKHOUSE_DEFAULT: &[Row<'static>] = &[
    // Masters' firewall. From masters only: "Master to nodes traffic" 22, 10250, and "Master to master nodes
    // traffic" 2379, 2380, 4200, with 4221 (Master to nodes), 4222 (Nodes to masters) and 4223 (Master to master)
    // touching. From both: "Nodes to masters traffic" 4203 (with 4204 Nodes to nodes), 4219, 6443, 4234 UDP;
    // "Nodes to nodes traffic" 4206, 4209-4211, 4240-4242, 4244, 8469 and 8472 UDP, ICMP. From workers only:
    // 4222 ("Nodes to masters"), which from them touches nothing.
    ("master", "in", "tcp", "22", &["master"]),
    ("master", "in", "tcp", "2379-2380", &["master"]),
    ("master", "in", "tcp", "4200", &["master"]),
    ("master", "in", "tcp", "4203-4204", &["master", "worker"]),
    ("master", "in", "tcp", "4206", &["master", "worker"]),
    ("master", "in", "tcp", "4209-4211", &["master", "worker"]),
    ("master", "in", "tcp", "4219", &["master", "worker"]),
    ("master", "in", "tcp", "4221-4223", &["master"]),
    ("master", "in", "tcp", "4222", &["worker"]),
    ("master", "in", "tcp", "4240-4242", &["master", "worker"]),
    ("master", "in", "tcp", "4244", &["master", "worker"]),
    ("master", "in", "tcp", "6443", &["master", "worker"]),
    ("master", "in", "tcp", "10250", &["master"]),
    ("master", "in", "udp", "4234", &["master", "worker"]),
    ("master", "in", "udp", "8469", &["master", "worker"]),
    ("master", "in", "udp", "8472", &["master", "worker"]),
    ("master", "in", "icmp", "", &["master", "worker"]),
    // Workers' firewall: "Master to nodes traffic" 22, 10250, 4221 from masters; "Nodes to nodes traffic" from both.
    ("worker", "in", "tcp", "22", &["master"]),
    ("worker", "in", "tcp", "4204", &["master", "worker"]),
    ("worker", "in", "tcp", "4206", &["master", "worker"]),
    ("worker", "in", "tcp", "4209-4211", &["master", "worker"]),
    ("worker", "in", "tcp", "4221", &["master"]),
    ("worker", "in", "tcp", "4240-4242", &["master", "worker"]),
    ("worker", "in", "tcp", "4244", &["master", "worker"]),
    ("worker", "in", "tcp", "10250", &["master"]),
    ("worker", "in", "udp", "8469", &["master", "worker"]),
    ("worker", "in", "udp", "8472", &["master", "worker"]),
    ("worker", "in", "icmp", "", &["master", "worker"]),
];

/// Deckhouse 1.64 with every module option off (they default to on).
const DECKHOUSE: &str = "  platform {\n    name    = \"deckhouse\"\n    version = \"1.64\"\n    options = { cloud_provider_vcd = \"false\", runtime_audit_engine = \"false\", sds_replicated_volume = \"false\", sds_node_configurator = \"false\", virtualization = \"false\", metallb = \"false\", l2_load_balancer = \"false\", openvpn = \"false\", node_local_dns = \"false\", ebpf_exporter = \"false\", kube_router = \"false\" }\n  }\n";

#[test]
fn deckhouse_modules_off_firewalls_match_the_port_table() {
    let inputs = format!("{DECKHOUSE}{TIER_RANGES}");
    for terraform in terraforms() {
        let context = format!("Terraform {} deckhouse 1.64 defaults", terraform.version);
        let outputs = Workspace::new(terraform, &config(&inputs)).outputs();
        assert_same(
            &context,
            &read(&context, &outputs),
            &expected(DECKHOUSE_DEFAULT),
        );
        let icmp = &outputs["firewalls"]["value"]["worker"]["rules"]
            .as_array()
            .and_then(|rules| rules.iter().find(|r| r["protocol"] == "icmp").cloned())
            .unwrap_or_default();
        // "ICMP for node-to-node connectivity monitoring": the masters' IPv6 network is left out of the ICMP rule.
        assert_eq!(
            icmp["source_ips"],
            serde_json::json!([MASTER_V4, WORKER_V4]),
            "{context}: {icmp}"
        );
        assert!(icmp["port"].is_null(), "{context}: {icmp}");
        assert_eq!(
            outputs["firewalls"]["value"]["master"]["rule_count"], 17,
            "{context}"
        );
    }
}

#[test]
fn deckhouse_modules_key_facts() {
    let inputs = format!(
        r#"
  platform {{
    name    = "deckhouse"
    version = "1.64"
    options = {{
      sds_replicated_volume = "true", virtualization = "true", metallb = "true", l2_load_balancer = "true",
      openvpn = "true", node_local_dns = "true", runtime_audit_engine = "true", ingress_host_with_failover = "true",
      cloud_provider_vcd = "false", sds_node_configurator = "false", ebpf_exporter = "false", kube_router = "false"
    }}
  }}
  endpoint {{
    name      = "administrators"
    cidr_ipv4 = ["203.0.113.0/24"]
  }}
  endpoint {{
    name      = "frontend-clients"
    cidr_ipv4 = ["0.0.0.0/0"]
    cidr_ipv6 = ["::/0"]
  }}
{TIER_RANGES}"#
    );
    for terraform in terraforms() {
        let context = format!("Terraform {} deckhouse 1.64 modules", terraform.version);
        let outputs = Workspace::new(terraform, &config(&inputs)).outputs();
        let rules = read(&context, &outputs);
        let find = |key: &str| {
            rules
                .iter()
                .find(|r| r.1 == key)
                .unwrap_or_else(|| panic!("{context}: no rule {key}"))
        };
        let set = |items: &[&str]| {
            items
                .iter()
                .map(|s| s.to_string())
                .collect::<BTreeSet<String>>()
        };
        // "External traffic to masters": "22, 22322 TCP SSH ..." from the administrators; 22 also from masters
        // ("Master to nodes traffic"), in one rule.
        assert_eq!(
            find("master:in:tcp:22").6,
            set(&["administrators", "master"]),
            "{context}"
        );
        assert_eq!(
            find("master:in:tcp:22").5,
            set(&[MASTER_V4, MASTER_V6, "203.0.113.0/24"]),
            "{context}"
        );
        assert_eq!(
            find("master:in:tcp:22322").6,
            set(&["administrators"]),
            "{context}"
        );
        // "External traffic to frontends": "30000-32767 TCP NodePort range", "5416 UDP OpenVPN".
        assert_eq!(
            find("worker:in:tcp:30000-32767").5,
            set(&["0.0.0.0/0", "::/0"]),
            "{context}"
        );
        assert_eq!(
            find("worker:in:udp:5416").6,
            set(&["frontend-clients"]),
            "{context}"
        );
        // "7000-7999 TCP sds-replicated-volume DRBD replication" between all nodes; 4218 .. 4227 between masters.
        assert_eq!(
            find("worker:in:tcp:7000-7999").6,
            set(&["master", "worker"]),
            "{context}"
        );
        assert_eq!(
            find("master:in:tcp:4218-4227").6,
            set(&["master"]),
            "{context}"
        );
        let count = outputs["firewalls"]["value"]["master"]["rule_count"]
            .as_u64()
            .unwrap_or_default();
        assert!(count <= 50, "{context}: {count} rules");
    }
}

#[test]
fn too_many_addresses_exceed_the_effective_rule_limit() {
    // 60 workers, each a /32: the masters' firewall takes 12 rules with the workers as peers (see
    // DECKHOUSE_DEFAULT) and 16 with the master tier's one block: 12 * 60 + 16 = 736 effective rules. The workers'
    // firewall has 8 rules with workers and 11 with masters: 8 * 60 + 11 = 491, under the limit.
    let workers: Vec<String> = (1..=60).map(|i| format!("\"198.51.100.{i}/32\"")).collect();
    let inputs = format!(
        "{DECKHOUSE}\n  tier_ranges = {{\n    master = [\"{MASTER_V4}\"]\n    worker = [{}]\n  }}\n",
        workers.join(", ")
    );
    for terraform in terraforms() {
        let context = format!("Terraform {} deckhouse with 60 workers", terraform.version);
        let error = Workspace::new(terraform, &config(&inputs)).plan_error();
        assert_error(
            &context,
            &error,
            &[
                "Too many effective rules for one Hetzner firewall",
                "the firewall of tier \"master\" needs 736 effective rules (one per address of each rule); Hetzner \
                 allows 500 per firewall. Effective rules by platform: deckhouse (736)",
                "tier_ranges",
            ],
        );
        assert!(
            !error.contains("tier \"worker\" needs"),
            "{context}: {error}"
        );
    }
}

#[test]
fn more_than_fifty_rules_exceed_the_rule_limit() {
    // A catalog of our own: one host flow between all nodes on 51 ports that do not touch.
    let ports: Vec<String> = (0..51).map(|i| format!("\"{}\"", 20000 + 2 * i)).collect();
    let catalog = format!(
        r#"format = 1

[platform]
name = "wide-app"
title = "Wide App"
versions = ">=1.0.0"
summary = "A test application with many ports."

[[sources]]
id = "ports"
document = "Wide App ports"
url = "https://example.com/wide-app/ports"
version = "1.x"
date = "2026-01-01"

[[roles]]
name = "agent"
title = "Agent"
network = "host"
tiers = ["master", "worker"]
description = "Runs on every node."

[[flows]]
from = "agent"
to = "agent"
protocol = "tcp"
ports = [{}]
purpose = "agent mesh"
source = "ports"
rows = ["Agent | Agent | 20000, 20002, ... 20100 | TCP"]
"#,
        ports.join(", ")
    );
    let inputs = format!(
        "  platform {{\n    name = \"wide-app\"\n  }}\n  user_catalogs = [<<-EOT\n{catalog}\nEOT\n  ]\n{TIER_RANGES}"
    );
    for terraform in terraforms() {
        let context = format!("Terraform {} wide-app", terraform.version);
        let error = Workspace::new(terraform, &config(&inputs)).plan_error();
        for tier in ["master", "worker"] {
            assert_error(
                &context,
                &error,
                &[
                    "Too many rules for one Hetzner firewall",
                    &format!(
                        "the firewall of tier \"{tier}\" needs 51 rules; Hetzner allows 50 per firewall. Rules by \
                         platform: wide-app (51)"
                    ),
                ],
            );
        }
    }
}

// -------------------------------------------------------------------------------------------------------------
// Longhorn 1.6.0 (ports.md §1.3), Kubernetes + Calico + Longhorn (ports.md §4, §5), and the inputs Hetzner needs.

const LONGHORN: &str = r#"
  platform {
    name    = "longhorn"
    version = "1.6.0"
  }
  endpoint {
    name      = "backupstore"
    cidr_ipv4 = ["192.0.2.10/32"]
    cidr_ipv6 = ["2001:db8::10/128"]
  }
  endpoint {
    name      = "kubernetes-api-server"
    cidr_ipv4 = ["10.0.0.10/32"]
  }
  endpoint {
    name      = "image-download-server"
    cidr_ipv4 = ["198.51.100.20/32"]
  }
  api_server_port = 6443
  parameters = { backupstore_port = 9000, image_download_port = 443 }
"#;

#[test]
fn longhorn_overlay_needs_only_outbound_rules() {
    let inputs = format!("{LONGHORN}{TIER_RANGES}");
    let outbound = format!("{inputs}\n  outbound_rules = true\n");
    for terraform in terraforms() {
        let context = format!("Terraform {} longhorn overlay", terraform.version);
        // Every Longhorn flow between roles ends at a pod: no `in` rule on an overlay network, and no rule to
        // warn about.
        let outputs = Workspace::new(terraform, &config(&inputs)).outputs();
        assert_same(&context, &read(&context, &outputs), &BTreeSet::new());
        assert_eq!(
            private_network_warnings(&context, &outputs),
            Vec::<String>::new(),
            "{context}"
        );
        // "... / Egress | External Backupstore | User defined" (9000), "... / Egress | Kubernetes API server"
        // (6443) and "Backing Image Data Source / Egress | User provided server IP ..." (443), from both tiers.
        let outputs = Workspace::new(terraform, &config(&outbound)).outputs();
        let rules = read(&context, &outputs);
        let mut by_key: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for rule in &rules {
            by_key.insert(rule.1.clone(), rule.5.clone());
        }
        for tier in ["master", "worker"] {
            let set = |items: &[&str]| {
                items
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<BTreeSet<String>>()
            };
            assert_eq!(
                by_key.get(&format!("{tier}:out:tcp:443")),
                Some(&set(&["198.51.100.20/32"])),
                "{context}"
            );
            assert_eq!(
                by_key.get(&format!("{tier}:out:tcp:6443")),
                Some(&set(&["10.0.0.10/32"])),
                "{context}"
            );
            assert_eq!(
                by_key.get(&format!("{tier}:out:tcp:9000")),
                Some(&set(&["192.0.2.10/32", "2001:db8::10/128"])),
                "{context}"
            );
        }
        assert_eq!(rules.len(), 6, "{context}: {by_key:?}");
        // Of the endpoints, only the API server's 10.0.0.10/32 is private: one 6443 rule on each firewall.
        assert_eq!(
            private_network_warnings(&context, &outputs),
            [private_network_warning(
                "2 rule(s) (firewall \"master\": 1, \"worker\": 1)",
                "endpoint \"kubernetes-api-server\" (10.0.0.10/32)"
            )],
            "{context}"
        );
    }
}

#[test]
fn kubernetes_calico_longhorn_key_facts() {
    let inputs = format!(
        r#"
  platform {{
    name = "kubernetes"
  }}
  platform {{
    name = "calico"
  }}
  endpoint {{
    name      = "api-clients"
    cidr_ipv4 = ["203.0.113.0/24"]
  }}
  endpoint {{
    name      = "nodeport-clients"
    cidr_ipv4 = ["203.0.113.0/24"]
  }}
  unsupported_flows = "skip"
{LONGHORN}{TIER_RANGES}"#
    );
    for terraform in terraforms() {
        let context = format!(
            "Terraform {} kubernetes + calico + longhorn",
            terraform.version
        );
        let outputs = Workspace::new(terraform, &config(&inputs)).outputs();
        let rules = read(&context, &outputs);
        let find = |key: &str| {
            rules
                .iter()
                .find(|r| r.1 == key)
                .unwrap_or_else(|| panic!("{context}: no rule {key}"))
        };
        let set = |items: &[&str]| {
            items
                .iter()
                .map(|s| s.to_string())
                .collect::<BTreeSet<String>>()
        };
        // Kubernetes "Control plane / Inbound | TCP | 6443 | Kubernetes API server | All" and Calico's
        // kube-apiserver row: masters, workers and the API's clients in one rule.
        let api = find("master:in:tcp:6443");
        assert_eq!(
            api.6,
            set(&["api-clients", "master", "worker"]),
            "{context}"
        );
        assert_eq!(
            api.5,
            set(&[MASTER_V4, MASTER_V6, WORKER_V4, "203.0.113.0/24"]),
            "{context}"
        );
        // Kubernetes "Worker node(s) / Inbound | TCP | 30000-32767 | NodePort Services | All" and the UDP row.
        assert_eq!(
            find("worker:in:udp:30000-32767").6,
            set(&["master", "nodeport-clients", "worker"]),
            "{context}"
        );
        // Calico BGP "TCP 179" between all hosts.
        assert_eq!(
            find("worker:in:tcp:179").6,
            set(&["master", "worker"]),
            "{context}"
        );
        // Calico IP-in-IP (protocol 4) cannot be written; "skip" leaves it out with a warning per ordered pair.
        let warnings = warnings(&outputs);
        let ipip = warnings
            .iter()
            .filter(|w| w.contains(" 4 all (calico: "))
            .count();
        assert_eq!(ipip, 4, "{context}: {warnings:?}");
        let again = Workspace::new(terraform, &config(&inputs)).outputs();
        assert_eq!(outputs, again, "{context}: outputs differ between two runs");
    }
}

#[test]
fn cilium_icmp_types_are_widened_only_when_asked() {
    // Cilium: "ICMP Type 0/8, Code 0 open among all nodes" (cilium.toml); Hetzner icmp rules take no type.
    let inputs = format!("  platform {{\n    name = \"cilium\"\n  }}\n{TIER_RANGES}");
    for terraform in terraforms() {
        let context = format!("Terraform {} cilium", terraform.version);
        let error = Workspace::new(terraform, &config(&inputs)).plan_error();
        assert_error(
            &context,
            &error,
            &[
                "hcloud_firewall cannot express 8 flow(s)",
                "worker -> master icmp type 0 (cilium: cilium-health node connectivity (ping)): hcloud_firewall icmp \
                 rules admit every ICMP type; they take no type",
                "worker -> master icmp type 8",
                "unsupported_flows = \"widen\" to open every ICMP type instead",
            ],
        );
        let widen = format!("{inputs}\n  unsupported_flows = \"widen\"\n");
        let outputs = Workspace::new(terraform, &config(&widen)).outputs();
        let rules = read(&context, &outputs);
        let icmp = rules
            .iter()
            .find(|r| r.1 == "master:in:icmp:all")
            .unwrap_or_else(|| panic!("{context}: no icmp rule"));
        assert_eq!(
            icmp.5,
            [MASTER_V4, WORKER_V4]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            "{context}"
        );
        let widened = outputs["widened"]["value"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        // Types 0 and 8 from each of the two node tiers, on each of the two firewalls.
        assert_eq!(widened.len(), 8, "{context}: {widened:?}");
        assert!(
            widened.iter().all(|w| w["opened"]
                .as_str()
                .is_some_and(|o| o.starts_with("every ICMP type"))),
            "{context}: {widened:?}"
        );
    }
}

#[test]
fn tier_ranges_are_required_and_checked() {
    for terraform in terraforms() {
        let context = format!("Terraform {}", terraform.version);
        let missing = format!(
            "  platform {{\n    name = \"kublr\"\n  }}\n  tier_ranges = {{ master = [\"{MASTER_V4}\"] }}\n"
        );
        let error = Workspace::new(terraform, &config(&missing)).plan_error();
        assert_error(
            &context,
            &error,
            &[
                "Tier \"worker\" has no address ranges",
                "hcloud_firewall rules name their peers by address only",
                "worker -> master tcp 443",
                "tier_ranges = { worker = [\"<CIDR>\", ...] }",
            ],
        );
        let bad = "  platform {\n    name = \"kublr\"\n  }\n  tier_ranges = { master = [\"10.0.1.7/24\"], db = [\"10.0.9.0/24\"] }\n";
        let error = Workspace::new(terraform, &config(bad)).plan_error();
        assert_error(
            &context,
            &error,
            &[
                "Unknown tier \"db\"",
                "The tiers are: master, worker, lb.",
                "Invalid range for tier \"master\"",
                "\"10.0.1.7/24\" has host bits set: write the network address \"10.0.1.0/24\".",
            ],
        );
    }
}
