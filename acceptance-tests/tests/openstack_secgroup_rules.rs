//! `portmatrix_openstack_secgroup_rules` under every Terraform, for the stacks of the AWS target: Kublr with
//! Calico, Deckhouse with its modules off and on, Longhorn 1.5+ on overlay and routed pod networks, and Kubernetes
//! + Calico + Longhorn; plus the documented diagnostic for the flows the resource cannot write.
//!
//! The expected tables are written by hand from the source documents, never from the program's output: Kublr's
//! "Network Access" page (shared/seeds/004_47f2e9499fd6d2ef.txt), Deckhouse's port requirements for v1.63-v1.66
//! (shared/seeds/002_9b596b334cd8af9c.txt), and for Longhorn, Kubernetes and Calico shared/reference/ports.md.
//! Each table lists rules per (security group of tier, peer, protocol, ports), applying the engine's rules as the
//! AWS tests do: "Node" is the master and worker tiers, each node-to-node row gives every ordered pair, ranges that
//! touch merge per (group, peer, protocol), IP-in-IP is IP protocol 4 without ports, ICMP without types admits
//! every type. Then the OpenStack rules, from Neutron's API: a rule has one ethertype, so a rule referencing a
//! tier's group (`remote_group_id`) comes once per family (`IPv4`, `IPv6`), except ICMP, which exists over IPv4
//! only (ICMPv6 is `ipv6-icmp`); a rule with an endpoint comes once per CIDR block, in that block's family.

mod common;

use common::{warnings, Row};
use portmatrix_acceptance_tests::{terraforms, Workspace};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One Neutron rule as the tests compare it: (tier, ethertype, protocol, port_range_min, port_range_max, peer).
/// The peer is a tier name or `endpoint:cidr`.
type Neutron = (String, String, String, Option<i64>, Option<i64>, String);

/// The tiers without `tier` blocks.
const TIERS: [&str; 3] = ["master", "worker", "lb"];

/// Both address families, the default of `ethertypes`.
const BOTH: &[&str] = &["IPv4", "IPv6"];

/// The Neutron rules of tier-level rows (tier, peer, protocol, from, to), with `families` for tier peers.
fn neutron(rows: &[Row], families: &[&str]) -> BTreeSet<Neutron> {
    let mut set = BTreeSet::new();
    for &(tier, peer, protocol, from, to) in rows {
        let ethertypes: Vec<&str> = match peer.split_once(':') {
            // An endpoint block: its own family.
            Some((_, cidr)) if cidr.contains(':') => vec!["IPv6"],
            Some(_) => vec!["IPv4"],
            None if protocol == "icmp" => {
                families.iter().copied().filter(|f| *f == "IPv4").collect()
            }
            None => families.to_vec(),
        };
        for ethertype in ethertypes {
            let rule = (
                tier.to_string(),
                ethertype.to_string(),
                protocol.to_string(),
                from,
                to,
                peer.to_string(),
            );
            assert!(set.insert(rule.clone()), "row {rule:?} written twice");
        }
    }
    set
}

/// Tier-level egress rows mirroring the tier-to-tier ingress rows: the rule on T's group from S is, on S's group,
/// a rule to T.
fn mirror(rows: &[Row<'static>]) -> Vec<Row<'static>> {
    rows.iter()
        .filter(|(_, peer, ..)| !peer.contains(':'))
        .map(|&(tier, peer, protocol, from, to)| (peer, tier, protocol, from, to))
        .collect()
}

/// Reads the `ingress` or `egress` map, checking every entry: the key, the direction, one remote side, the CIDR's
/// family, ports as Neutron takes them for the protocol, and the description's length.
fn read(context: &str, outputs: &Value, direction: &str) -> BTreeSet<Neutron> {
    let map = outputs[direction]["value"]
        .as_object()
        .unwrap_or_else(|| panic!("{context}: {direction} is not a map: {outputs}"));
    let mut found = BTreeSet::new();
    for (key, value) in map {
        let text = |field: &str| value[field].as_str().map(str::to_string);
        let tier = text("tier").unwrap_or_default();
        let ethertype = text("ethertype").unwrap_or_default();
        let protocol = text("protocol").unwrap_or_default();
        let (min, max) = (
            value["port_range_min"].as_i64(),
            value["port_range_max"].as_i64(),
        );
        assert_eq!(
            text("direction").as_deref(),
            Some(direction),
            "{context}: {key}"
        );
        let peer = match (
            text("remote_tier"),
            text("remote_ip_prefix"),
            text("endpoint"),
        ) {
            (Some(t), None, None) => t,
            (None, Some(cidr), Some(endpoint)) => {
                let family = if cidr.contains(':') { "IPv6" } else { "IPv4" };
                assert_eq!(ethertype, family, "{context}: {key}: family of {cidr}");
                format!("{endpoint}:{cidr}")
            }
            _ => panic!(
                "{context}: {key} needs remote_tier, or remote_ip_prefix and endpoint: {value}"
            ),
        };
        match protocol.as_str() {
            "tcp" | "udp" | "sctp" => assert!(
                matches!((min, max), (Some(f), Some(t)) if 1 <= f && f <= t && t <= 65535),
                "{context}: {key} needs a port range: {value}"
            ),
            // Every type (both null), or a type with the code 0 that the provider's client leaves out.
            "icmp" | "ipv6-icmp" => assert!(
                matches!((min, max), (None, None) | (Some(0..=255), Some(0))),
                "{context}: {key}: ICMP type and code: {value}"
            ),
            other => {
                assert!(
                    other.parse::<u8>().is_ok(),
                    "{context}: {key}: protocol {other}"
                );
                assert!(
                    min.is_none() && max.is_none(),
                    "{context}: {key} takes no ports: {value}"
                );
            }
        }
        let ports = match (protocol.as_str(), min, max) {
            (_, None, _) => "all".to_string(),
            ("icmp" | "ipv6-icmp", Some(t), _) => t.to_string(),
            (_, Some(f), Some(t)) if f == t => f.to_string(),
            (_, Some(f), Some(t)) => format!("{f}-{t}"),
            _ => panic!("{context}: {key}: {value}"),
        };
        assert_eq!(
            key,
            &format!("{tier}:{ethertype}:{protocol}:{ports}:{peer}"),
            "{context}: key of {value}"
        );
        let description = text("description").unwrap_or_default();
        assert!(
            description.starts_with("portmatrix ") && description.chars().count() <= 255,
            "{context}: {key}: description {description:?}"
        );
        let rule = (tier, ethertype, protocol, min, max, peer);
        assert!(
            found.insert(rule.clone()),
            "{context}: two keys for {rule:?}"
        );
    }
    found
}

/// Asserts two rule sets are equal, listing the missing and the unexpected rules.
fn assert_same(context: &str, actual: &BTreeSet<Neutron>, expected: &BTreeSet<Neutron>) {
    let missing: Vec<&Neutron> = expected.difference(actual).collect();
    let unexpected: Vec<&Neutron> = actual.difference(expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "{context}: rule sets differ\n  missing ({}): {missing:#?}\n  unexpected ({}): {unexpected:#?}",
        missing.len(),
        unexpected.len()
    );
}

/// The `tiers` output counts each tier's expected rules.
fn assert_counts(
    context: &str,
    outputs: &Value,
    ingress: &BTreeSet<Neutron>,
    egress: &BTreeSet<Neutron>,
) {
    for tier in TIERS {
        let count = |set: &BTreeSet<Neutron>| set.iter().filter(|r| r.0 == tier).count() as u64;
        let counts = &outputs["tiers"]["value"][tier];
        assert_eq!(
            [counts["ingress"].as_u64(), counts["egress"].as_u64()],
            [Some(count(ingress)), Some(count(egress))],
            "{context}: counts of {tier}: {counts}"
        );
    }
}

/// A data source named `cluster` with `inputs`, and its outputs.
fn config(inputs: &str) -> String {
    let mut hcl =
        format!("data \"portmatrix_openstack_secgroup_rules\" \"cluster\" {{\n{inputs}\n}}\n");
    for output in ["ingress", "egress", "tiers", "widened", "warnings"] {
        hcl.push_str(&format!(
            "\noutput \"{output}\" {{\n  value = data.portmatrix_openstack_secgroup_rules.cluster.{output}\n}}\n"
        ));
    }
    hcl
}

// -------------------------------------------------------------------------------------------------------------
// Kublr (seed 004), CNI Calico, not air-gapped, with the Internet endpoint.

/// Table 1 Calico rows, Tables 2 and 3, as rules on the receiving tier's group.
#[rustfmt::skip]
const KUBLR_CALICO: &[Row<'static>] = &[
    // Table 1 (Node to Node): "10250 TCP Kubelet API", "4 (IP-in-IP) Calico Calico IP-in-IP", "179 TCP Calico
    // Calico BGP", "8472 UDP Calico Calico VXLAN/Flannel", "5473 TCP Calico Calico Typha"; every ordered pair.
    ("master", "master", "4", None, None),
    ("master", "master", "tcp", Some(179), Some(179)),
    ("master", "master", "tcp", Some(5473), Some(5473)),
    ("master", "master", "tcp", Some(10250), Some(10250)),
    ("master", "master", "udp", Some(8472), Some(8472)),
    ("master", "worker", "4", None, None),
    ("master", "worker", "tcp", Some(179), Some(179)),
    ("master", "worker", "tcp", Some(5473), Some(5473)),
    ("master", "worker", "tcp", Some(10250), Some(10250)),
    ("master", "worker", "udp", Some(8472), Some(8472)),
    ("worker", "master", "4", None, None),
    ("worker", "master", "tcp", Some(179), Some(179)),
    ("worker", "master", "tcp", Some(5473), Some(5473)),
    ("worker", "master", "tcp", Some(10250), Some(10250)),
    ("worker", "master", "udp", Some(8472), Some(8472)),
    ("worker", "worker", "4", None, None),
    ("worker", "worker", "tcp", Some(179), Some(179)),
    ("worker", "worker", "tcp", Some(5473), Some(5473)),
    ("worker", "worker", "tcp", Some(10250), Some(10250)),
    ("worker", "worker", "udp", Some(8472), Some(8472)),
    // Table 2 (Workers to Masters): "443 TCP Kubernetes API".
    ("master", "worker", "tcp", Some(443), Some(443)),
    // Table 3 (Master to Masters): "2379 TCP Etcd", "2380 TCP Etcd", touching, so merged.
    ("master", "master", "tcp", Some(2379), Some(2380)),
];

/// Table 4 (Other), non-air-gap deployment: "53 TCP/UDP Node Internet DNS" and "443 TCP Node Internet HTTPS to
/// binary repositories", on the groups of both node tiers.
#[rustfmt::skip]
const KUBLR_INTERNET_EGRESS: &[Row<'static>] = &[
    ("master", "internet:0.0.0.0/0", "tcp", Some(53), Some(53)),
    ("master", "internet:0.0.0.0/0", "udp", Some(53), Some(53)),
    ("master", "internet:0.0.0.0/0", "tcp", Some(443), Some(443)),
    ("worker", "internet:0.0.0.0/0", "tcp", Some(53), Some(53)),
    ("worker", "internet:0.0.0.0/0", "udp", Some(53), Some(53)),
    ("worker", "internet:0.0.0.0/0", "tcp", Some(443), Some(443)),
];

const KUBLR_CALICO_INPUTS: &str = r#"
  platform {
    name    = "kublr"
    options = { cni = "calico" }
  }
  endpoint {
    name      = "internet"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
"#;

#[test]
fn kublr_calico_rules_match_the_network_access_page() {
    let ingress = neutron(KUBLR_CALICO, BOTH);
    let egress_rows: Vec<Row> = mirror(KUBLR_CALICO)
        .into_iter()
        .chain(KUBLR_INTERNET_EGRESS.iter().copied())
        .collect();
    let egress = neutron(&egress_rows, BOTH);
    // 22 tier rows, every one in both families; the Internet rows only in IPv4.
    assert_eq!((ingress.len(), egress.len()), (44, 50));
    for terraform in terraforms() {
        let context = format!("Terraform {} kublr calico", terraform.version);
        let outputs = Workspace::new(terraform, &config(KUBLR_CALICO_INPUTS)).outputs();
        assert_same(
            &format!("{context} ingress"),
            &read(&context, &outputs, "ingress"),
            &ingress,
        );
        assert_same(
            &format!("{context} egress"),
            &read(&context, &outputs, "egress"),
            &egress,
        );
        assert_counts(&context, &outputs, &ingress, &egress);
        let ipip = &outputs["ingress"]["value"]["master:IPv6:4:all:worker"];
        assert_eq!(ipip["protocol"], "4", "{context}: {ipip}");
        assert_eq!(
            ipip["platforms"],
            serde_json::json!(["kublr"]),
            "{context}: {ipip}"
        );
        assert_eq!(
            ipip["purposes"],
            serde_json::json!(["Calico IP-in-IP"]),
            "{context}: {ipip}"
        );
        assert_eq!(
            outputs["widened"]["value"],
            serde_json::json!([]),
            "{context}"
        );
    }
}

#[test]
fn one_ethertype_halves_the_rules_between_tiers_only() {
    let inputs = format!("{KUBLR_CALICO_INPUTS}\n  ethertypes = [\"IPv4\"]\n");
    let ingress = neutron(KUBLR_CALICO, &["IPv4"]);
    let egress_rows: Vec<Row> = mirror(KUBLR_CALICO)
        .into_iter()
        .chain(KUBLR_INTERNET_EGRESS.iter().copied())
        .collect();
    let egress = neutron(&egress_rows, &["IPv4"]);
    for terraform in terraforms() {
        let context = format!("Terraform {} kublr calico IPv4", terraform.version);
        let outputs = Workspace::new(terraform, &config(&inputs)).outputs();
        assert_same(
            &format!("{context} ingress"),
            &read(&context, &outputs, "ingress"),
            &ingress,
        );
        assert_same(
            &format!("{context} egress"),
            &read(&context, &outputs, "egress"),
            &egress,
        );
    }
}

// -------------------------------------------------------------------------------------------------------------
// Deckhouse 1.64 (seed 002, the table of v1.63-v1.66). "master" = master tier; "nodes" = master and worker tiers;
// "frontends" = worker tier. Rows naming an optional module apply only with that module's option on; the Cilium
// rows apply with the default CNI, Cilium.

/// Every module option off (they default to on), no endpoints.
#[rustfmt::skip]
const DECKHOUSE_DEFAULT: &[Row<'static>] = &[
    // master <- master: "Master to master nodes traffic" 2379, 2380 (etcd), 4200 (Cluster API webhook), 4223
    // (Deckhouse controller webhook); "Master to nodes traffic" 22, 10250, 4221; "Nodes to masters traffic" 4234
    // UDP, 6443, 4203, 4219, 4222; "Nodes to nodes traffic" ICMP, 8469/8472 UDP, 4204, 4206, 4209, 4210, 4211,
    // 4240, 4241, 4242, 4244.
    ("master", "master", "icmp", None, None),
    ("master", "master", "tcp", Some(22), Some(22)),
    ("master", "master", "tcp", Some(2379), Some(2380)),
    ("master", "master", "tcp", Some(4200), Some(4200)),
    ("master", "master", "tcp", Some(4203), Some(4204)),
    ("master", "master", "tcp", Some(4206), Some(4206)),
    ("master", "master", "tcp", Some(4209), Some(4211)),
    ("master", "master", "tcp", Some(4219), Some(4219)),
    ("master", "master", "tcp", Some(4221), Some(4223)),
    ("master", "master", "tcp", Some(4240), Some(4242)),
    ("master", "master", "tcp", Some(4244), Some(4244)),
    ("master", "master", "tcp", Some(6443), Some(6443)),
    ("master", "master", "tcp", Some(10250), Some(10250)),
    ("master", "master", "udp", Some(4234), Some(4234)),
    ("master", "master", "udp", Some(8469), Some(8469)),
    ("master", "master", "udp", Some(8472), Some(8472)),
    // master <- worker: "Nodes to masters traffic" and "Nodes to nodes traffic".
    ("master", "worker", "icmp", None, None),
    ("master", "worker", "tcp", Some(4203), Some(4204)),
    ("master", "worker", "tcp", Some(4206), Some(4206)),
    ("master", "worker", "tcp", Some(4209), Some(4211)),
    ("master", "worker", "tcp", Some(4219), Some(4219)),
    ("master", "worker", "tcp", Some(4222), Some(4222)),
    ("master", "worker", "tcp", Some(4240), Some(4242)),
    ("master", "worker", "tcp", Some(4244), Some(4244)),
    ("master", "worker", "tcp", Some(6443), Some(6443)),
    ("master", "worker", "udp", Some(4234), Some(4234)),
    ("master", "worker", "udp", Some(8469), Some(8469)),
    ("master", "worker", "udp", Some(8472), Some(8472)),
    // worker <- master: "Master to nodes traffic" and "Nodes to nodes traffic".
    ("worker", "master", "icmp", None, None),
    ("worker", "master", "tcp", Some(22), Some(22)),
    ("worker", "master", "tcp", Some(4204), Some(4204)),
    ("worker", "master", "tcp", Some(4206), Some(4206)),
    ("worker", "master", "tcp", Some(4209), Some(4211)),
    ("worker", "master", "tcp", Some(4221), Some(4221)),
    ("worker", "master", "tcp", Some(4240), Some(4242)),
    ("worker", "master", "tcp", Some(4244), Some(4244)),
    ("worker", "master", "tcp", Some(10250), Some(10250)),
    ("worker", "master", "udp", Some(8469), Some(8469)),
    ("worker", "master", "udp", Some(8472), Some(8472)),
    // worker <- worker: "Nodes to nodes traffic".
    ("worker", "worker", "icmp", None, None),
    ("worker", "worker", "tcp", Some(4204), Some(4204)),
    ("worker", "worker", "tcp", Some(4206), Some(4206)),
    ("worker", "worker", "tcp", Some(4209), Some(4211)),
    ("worker", "worker", "tcp", Some(4240), Some(4242)),
    ("worker", "worker", "tcp", Some(4244), Some(4244)),
    ("worker", "worker", "udp", Some(8469), Some(8469)),
    ("worker", "worker", "udp", Some(8472), Some(8472)),
];

#[test]
fn deckhouse_modules_off_rules_match_the_port_table() {
    // Every module option off (they default to on).
    let inputs = "  platform {\n    name    = \"deckhouse\"\n    version = \"1.64\"\n    options = { cloud_provider_vcd = \"false\", runtime_audit_engine = \"false\", sds_replicated_volume = \"false\", sds_node_configurator = \"false\", virtualization = \"false\", metallb = \"false\", l2_load_balancer = \"false\", openvpn = \"false\", node_local_dns = \"false\", ebpf_exporter = \"false\", kube_router = \"false\" }\n  }\n";
    let ingress = neutron(DECKHOUSE_DEFAULT, BOTH);
    let egress = neutron(&mirror(DECKHOUSE_DEFAULT), BOTH);
    // 47 rows; the 4 ICMP rows in IPv4 only.
    assert_eq!(ingress.len(), 47 * 2 - 4);
    for terraform in terraforms() {
        let context = format!("Terraform {} deckhouse 1.64 defaults", terraform.version);
        let outputs = Workspace::new(terraform, &config(inputs)).outputs();
        assert_same(
            &format!("{context} ingress"),
            &read(&context, &outputs, "ingress"),
            &ingress,
        );
        assert_same(
            &format!("{context} egress"),
            &read(&context, &outputs, "egress"),
            &egress,
        );
        assert_counts(&context, &outputs, &ingress, &egress);
        let icmp = &outputs["ingress"]["value"]["master:IPv4:icmp:all:worker"];
        assert!(
            icmp["port_range_min"].is_null() && icmp["port_range_max"].is_null(),
            "{context}: {icmp}"
        );
        assert!(
            !outputs["ingress"]["value"]
                .as_object()
                .is_some_and(|m| m.contains_key("master:IPv6:icmp:all:worker")),
            "{context}: ICMP is IPv4 only"
        );
        // No endpoint is given: the external tables are skipped with warnings naming the blocks to add.
        let warnings = warnings(&outputs);
        for endpoint in ["administrators", "frontend-clients", "dns-servers"] {
            assert!(
                warnings.iter().any(|w| w.contains(endpoint)),
                "{context}: {endpoint}: {warnings:?}"
            );
        }
    }
}

#[test]
fn deckhouse_modules_key_facts() {
    let inputs = r#"
  platform {
    name    = "deckhouse"
    version = "1.64"
    options = {
      sds_replicated_volume = "true", virtualization = "true", metallb = "true", l2_load_balancer = "true",
      openvpn = "true", node_local_dns = "true", runtime_audit_engine = "true", ingress_host_with_failover = "true",
      cloud_provider_vcd = "false", sds_node_configurator = "false", ebpf_exporter = "false", kube_router = "false"
    }
  }
  endpoint {
    name      = "administrators"
    cidr_ipv4 = ["203.0.113.0/24"]
  }
  endpoint {
    name      = "frontend-clients"
    cidr_ipv4 = ["0.0.0.0/0"]
    cidr_ipv6 = ["::/0"]
  }
"#;
    for terraform in terraforms() {
        let context = format!("Terraform {} deckhouse 1.64 modules", terraform.version);
        let outputs = Workspace::new(terraform, &config(inputs)).outputs();
        let ingress = read(&context, &outputs, "ingress");
        let has = |tier: &str, ethertype: &str, protocol: &str, from: i64, to: i64, peer: &str| {
            ingress.contains(&(
                tier.to_string(),
                ethertype.to_string(),
                protocol.to_string(),
                Some(from),
                Some(to),
                peer.to_string(),
            ))
        };
        // "Nodes to nodes traffic" with the modules: 4218 (metallb) .. 4227 (runtime-audit-engine), every port of
        // the span listed between masters; "7000-7999 TCP sds-replicated-volume DRBD replication".
        assert!(
            has("master", "IPv4", "tcp", 4218, 4227, "master"),
            "{context}"
        );
        assert!(
            has("master", "IPv6", "tcp", 4218, 4227, "master"),
            "{context}"
        );
        assert!(
            has("worker", "IPv6", "tcp", 7000, 7999, "worker"),
            "{context}"
        );
        // "External traffic to frontends": "30000-32767 TCP NodePort range", once per block of the clients.
        assert!(
            has(
                "worker",
                "IPv4",
                "tcp",
                30000,
                32767,
                "frontend-clients:0.0.0.0/0"
            ),
            "{context}"
        );
        assert!(
            has(
                "worker",
                "IPv6",
                "tcp",
                30000,
                32767,
                "frontend-clients:::/0"
            ),
            "{context}"
        );
        assert!(
            has("worker", "IPv6", "udp", 5416, 5416, "frontend-clients:::/0"),
            "{context}"
        );
        // "External traffic to masters": 22, 22322 and 6443 from the administrators' IPv4 block only.
        for port in [22, 6443, 22322] {
            assert!(
                has(
                    "master",
                    "IPv4",
                    "tcp",
                    port,
                    port,
                    "administrators:203.0.113.0/24"
                ),
                "{context}"
            );
        }
        assert!(
            !ingress
                .iter()
                .any(|r| r.5.starts_with("administrators") && r.1 == "IPv6"),
            "{context}"
        );
    }
}

// -------------------------------------------------------------------------------------------------------------
// Longhorn 1.6.0 (ports.md §1.3) and Kubernetes + Calico + Longhorn (ports.md §4, §5).

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

/// Longhorn's flows to endpoints, on the groups of master and worker (every Longhorn role runs on both):
/// "... / Egress | External Backupstore | User defined | TCP" (backupstore_port 9000, per block),
/// "... / Egress | Kubernetes API server | Kubernetes API server port | TCP" (6443) and "Backing Image Data
/// Source / Egress | User provided server IP to download the images from | user defined | TCP" (443).
#[rustfmt::skip]
const LONGHORN_EGRESS: &[Row<'static>] = &[
    ("master", "backupstore:192.0.2.10/32", "tcp", Some(9000), Some(9000)),
    ("master", "backupstore:2001:db8::10/128", "tcp", Some(9000), Some(9000)),
    ("worker", "backupstore:192.0.2.10/32", "tcp", Some(9000), Some(9000)),
    ("worker", "backupstore:2001:db8::10/128", "tcp", Some(9000), Some(9000)),
    ("master", "kubernetes-api-server:10.0.0.10/32", "tcp", Some(6443), Some(6443)),
    ("worker", "kubernetes-api-server:10.0.0.10/32", "tcp", Some(6443), Some(6443)),
    ("master", "image-download-server:198.51.100.20/32", "tcp", Some(443), Some(443)),
    ("worker", "image-download-server:198.51.100.20/32", "tcp", Some(443), Some(443)),
];

#[test]
fn longhorn_overlay_and_routed() {
    // Routed: every role-to-role flow, merged per ordered pair of master and worker (see the AWS Longhorn test for
    // the rows behind each range): 2049, 3260, 8000, 8002, 8500-8504, 9500-9503, 10000-31000.
    let mut routed_rows = Vec::new();
    for tier in ["master", "worker"] {
        for peer in ["master", "worker"] {
            for (from, to) in [
                (2049, 2049),
                (3260, 3260),
                (8000, 8000),
                (8002, 8002),
                (8500, 8504),
                (9500, 9503),
                (10000, 31000),
            ] {
                routed_rows.push((tier, peer, "tcp", Some(from), Some(to)));
            }
        }
    }
    // kube-apiserver calls the conversion and admission webhooks on the Longhorn Manager pods (the Longhorn chart at
    // bb2f2223: "Kubernetes API server source CIDRs allowed to access the Longhorn admission webhook").
    let mut routed_ingress_rows = routed_rows.clone();
    for tier in ["master", "worker"] {
        routed_ingress_rows.push((
            tier,
            "kubernetes-api-server:10.0.0.10/32",
            "tcp",
            Some(9501),
            Some(9502),
        ));
    }
    let routed_ingress = neutron(&routed_ingress_rows, BOTH);
    let routed_egress_rows: Vec<Row> = routed_rows
        .iter()
        .map(|&(tier, peer, protocol, from, to)| (peer, tier, protocol, from, to))
        .chain(LONGHORN_EGRESS.iter().copied())
        .collect();
    let routed_egress = neutron(&routed_egress_rows, BOTH);
    let endpoint_egress = neutron(LONGHORN_EGRESS, BOTH);
    for terraform in terraforms() {
        let context = format!("Terraform {} longhorn overlay", terraform.version);
        let outputs = Workspace::new(terraform, &config(LONGHORN)).outputs();
        // Every Longhorn flow between roles ends at a pod: none needs a rule on an overlay network.
        assert_same(
            &context,
            &read(&context, &outputs, "ingress"),
            &BTreeSet::new(),
        );
        assert_same(
            &context,
            &read(&context, &outputs, "egress"),
            &endpoint_egress,
        );

        let context = format!("Terraform {} longhorn routed", terraform.version);
        let inputs = format!("{LONGHORN}\n  pod_network = \"routed\"\n");
        let outputs = Workspace::new(terraform, &config(&inputs)).outputs();
        assert_same(
            &context,
            &read(&context, &outputs, "ingress"),
            &routed_ingress,
        );
        assert_same(
            &context,
            &read(&context, &outputs, "egress"),
            &routed_egress,
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
    cidr_ipv6 = ["2001:db8:c::/48"]
  }}
  endpoint {{
    name      = "nodeport-clients"
    cidr_ipv4 = ["203.0.113.0/24"]
    cidr_ipv6 = ["2001:db8:c::/48"]
  }}
{LONGHORN}"#
    );
    for terraform in terraforms() {
        let context = format!(
            "Terraform {} kubernetes + calico + longhorn",
            terraform.version
        );
        let first = Workspace::new(terraform, &config(&inputs)).outputs();
        let ingress = read(&context, &first, "ingress");
        let value = &first["ingress"]["value"];
        // Kubernetes "Control plane / Inbound | TCP | 6443 | Kubernetes API server | All" and Calico "All |
        // kube-apiserver host | Often TCP 443 or 6443*": one rule per family from workers, per block of clients.
        for key in [
            "master:IPv4:tcp:6443:worker",
            "master:IPv6:tcp:6443:worker",
            "master:IPv4:tcp:6443:api-clients:203.0.113.0/24",
            "master:IPv6:tcp:6443:api-clients:2001:db8:c::/48",
        ] {
            assert!(value.get(key).is_some(), "{context}: no {key}");
        }
        assert_eq!(
            value["master:IPv4:tcp:6443:worker"]["platforms"],
            serde_json::json!(["calico", "kubernetes"]),
            "{context}"
        );
        assert_eq!(
            value["master:IPv4:tcp:6443:api-clients:203.0.113.0/24"]["platforms"],
            serde_json::json!(["kubernetes"]),
            "{context}"
        );
        // Calico "IP-in-IP, often represented by its protocol number 4": protocol 4, no port, both families.
        for key in ["worker:IPv4:4:all:master", "worker:IPv6:4:all:master"] {
            let ipip = &value[key];
            assert_eq!(ipip["protocol"], "4", "{context}: {key}");
            assert!(ipip["port_range_min"].is_null(), "{context}: {key}");
        }
        // Kubernetes "Worker node(s) / Inbound | TCP | 30000-32767 | NodePort Services | All" and the UDP row.
        assert!(
            value
                .get("worker:IPv6:udp:30000-32767:nodeport-clients:2001:db8:c::/48")
                .is_some(),
            "{context}"
        );
        // Longhorn adds no ingress on an overlay network.
        assert!(
            ingress.iter().all(|r| !r.5.starts_with("backupstore")),
            "{context}"
        );
        // The same input gives the same bytes, from a new provider process.
        let again = Workspace::new(terraform, &config(&inputs)).outputs();
        assert_eq!(first, again, "{context}: outputs differ between two runs");
    }
}

// -------------------------------------------------------------------------------------------------------------
// The flow the resource cannot write: Cilium's "ICMP Type 0/8, Code 0 open among all nodes" (cilium.toml,
// docs.cilium.io firewall rules). Type 8 is written exactly; type 0 cannot be, because the provider's client
// leaves a `port_range_min` of 0 out of its request (gophercloud issue #1775).

const CILIUM: &str = "  platform {\n    name = \"cilium\"\n  }\n";

#[test]
fn icmp_type_zero_is_an_error_unless_unsupported_flows_says_otherwise() {
    for terraform in terraforms() {
        let context = format!("Terraform {} cilium", terraform.version);
        let error = Workspace::new(terraform, &config(CILIUM)).plan_error();
        for needle in [
            "Flows the OpenStack security group rules cannot express",
            "openstack_networking_secgroup_rule_v2 cannot express 4 flow(s)",
            "master -> worker icmp type 0 (cilium: cilium-health node connectivity (ping))",
            "gophercloud issue #1775",
            "unsupported_flows = \"widen\"",
            "unsupported_flows = \"skip\"",
        ] {
            assert!(
                squash(&error).contains(needle),
                "{context}: {needle:?} not in:\n{error}"
            );
        }

        let widen = format!("{CILIUM}\n  unsupported_flows = \"widen\"\n");
        let outputs = Workspace::new(terraform, &config(&widen)).outputs();
        let ingress = &outputs["ingress"]["value"];
        let all = &ingress["worker:IPv4:icmp:all:master"];
        assert!(all["port_range_min"].is_null(), "{context}: {all}");
        // Every type absorbs type 8 between the same peers.
        assert!(
            ingress.get("worker:IPv4:icmp:8:master").is_none(),
            "{context}"
        );
        let widened: BTreeMap<String, String> = outputs["widened"]["value"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|w| {
                (
                    w["rule"].as_str().unwrap_or_default().to_string(),
                    w["opened"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        // 4 ordered pairs of master and worker, an ingress and an egress rule each.
        assert_eq!(widened.len(), 8, "{context}: {widened:?}");
        assert_eq!(
            widened
                .get("ingress worker:IPv4:icmp:all:master")
                .map(String::as_str),
            Some("every ICMP type")
        );

        let skip = format!("{CILIUM}\n  unsupported_flows = \"skip\"\n");
        let outputs = Workspace::new(terraform, &config(&skip)).outputs();
        let ping = &outputs["ingress"]["value"]["worker:IPv4:icmp:8:master"];
        assert_eq!(
            [
                ping["port_range_min"].as_i64(),
                ping["port_range_max"].as_i64()
            ],
            [Some(8), Some(0)],
            "{context}"
        );
        let warnings = warnings(&outputs);
        assert_eq!(
            warnings
                .iter()
                .filter(|w| w.starts_with("unsupported_flows = \"skip\" left out"))
                .count(),
            4,
            "{context}: {warnings:?}"
        );
    }
}

#[test]
fn bad_options_are_plan_errors_on_their_argument() {
    for terraform in terraforms() {
        let context = format!("Terraform {}", terraform.version);
        let inputs = format!("{KUBLR_CALICO_INPUTS}\n  ethertypes = [\"IPv4\", \"ipv6\"]\n  unsupported_flows = \"allow\"\n");
        let error = Workspace::new(terraform, &config(&inputs)).plan_error();
        for needle in [
            "Invalid ethertype",
            "\"ipv6\" is not an ethertype: write \"IPv4\" or \"IPv6\"",
            "Invalid unsupported_flows",
            "ethertypes",
        ] {
            assert!(
                squash(&error).contains(needle),
                "{context}: {needle:?} not in:\n{error}"
            );
        }
    }
}

/// Terraform wraps long diagnostics; compare with whitespace runs as single spaces.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
