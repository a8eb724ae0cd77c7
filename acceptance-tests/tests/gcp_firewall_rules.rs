//! `portmatrix_gcp_firewall_rules` under every Terraform, for the stacks of the AWS target: Kublr with Canal and
//! with Calico, Deckhouse with its modules off and on, Longhorn 1.5+ on overlay and routed pod networks, and
//! Kubernetes + Calico + Longhorn; plus the documented diagnostic for the flows GCP cannot express.
//!
//! The expected tables are written by hand from the source documents, never from the program's output: Kublr's
//! "Network Access" page (shared/seeds/004_47f2e9499fd6d2ef.txt), Deckhouse's port requirements for v1.63-v1.66
//! (shared/seeds/002_9b596b334cd8af9c.txt), and for Longhorn, Kubernetes, Calico and Cilium
//! shared/reference/ports.md. The rows become tier-to-tier needs as in the AWS tests ("Node" is the master and
//! worker tiers and node-to-node rows give every ordered pair; ranges that overlap or touch merge; IP-in-IP is IP
//! protocol 4; ICMP without types is every type), then GCP rules by the data source's documented shape: one
//! `google_compute_firewall` per direction, source and destination, named `pm-<in|eg>-<source>-to-<destination>`,
//! with one `allow` per protocol in the order tcp, udp, icmp, then IP protocols (`ipip` for 4), ports for tcp and
//! udp only. Ingress rules target the destination's tag `pm-<tier>` and name the source by tag or CIDR ranges
//! (one address family per rule, `-v6` for IPv6); egress rules target the source's tag and name the destination by
//! CIDR ranges: an endpoint's, or a tier's from `tier_ranges`.

mod common;

use common::{raw_outputs, warnings};
use portmatrix_acceptance_tests::{terraforms, Terraform, Workspace};
use serde_json::Value;
use std::collections::BTreeMap;

/// A rule as the tests compare it: direction, target tag, the peer (`tag:pm-worker` or `ranges:a,b`) and the
/// allow blocks as `protocol` or `protocol:port,port`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Firewall {
    direction: String,
    target: String,
    peer: String,
    allow: Vec<String>,
}

/// An expected rule: (name, direction, target tag, peer, allow blocks).
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

fn expected(rows: &[Row]) -> BTreeMap<String, Firewall> {
    let mut map = BTreeMap::new();
    for &(name, direction, target, peer, allow) in rows {
        let rule = Firewall {
            direction: direction.into(),
            target: target.into(),
            peer: peer.into(),
            allow: allow.iter().map(|a| a.to_string()).collect(),
        };
        assert!(
            map.insert(name.to_string(), rule).is_none(),
            "row {name} written twice"
        );
    }
    map
}

/// GCP's name rule: `[a-z]([-a-z0-9]*[a-z0-9])?`, 1 to 63 characters.
fn valid_gcp_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn list(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads `rules`, checking every entry against GCP: the key is the valid name, a target, exactly one kind of peer
/// in one address family, ports only for tcp and udp, and the description.
fn read(context: &str, outputs: &Value) -> BTreeMap<String, Firewall> {
    let map = outputs["rules"]["value"]
        .as_object()
        .unwrap_or_else(|| panic!("{context}: rules is not a map: {outputs}"));
    let mut found = BTreeMap::new();
    for (key, value) in map {
        assert!(valid_gcp_name(key), "{context}: invalid name {key}");
        assert_eq!(value["name"], key.as_str(), "{context}: {key}");
        let direction = value["direction"].as_str().unwrap_or_default().to_string();
        let target = list(&value["target_tags"]);
        assert_eq!(target.len(), 1, "{context}: {key}: one target tag: {value}");
        let source_tags = list(&value["source_tags"]);
        let source_ranges = list(&value["source_ranges"]);
        let destination_ranges = list(&value["destination_ranges"]);
        for field in [
            "target_service_accounts",
            "source_service_accounts",
            "source_tags",
            "source_ranges",
            "destination_ranges",
        ] {
            assert!(
                value[field].is_null() || !list(&value[field]).is_empty(),
                "{context}: {key}: an unused {field} must be null, not empty: {value}"
            );
        }
        let peer = match (
            direction.as_str(),
            &source_tags[..],
            &source_ranges[..],
            &destination_ranges[..],
        ) {
            ("INGRESS", [tag], [], []) => format!("tag:{tag}"),
            ("INGRESS", [], ranges, []) if !ranges.is_empty() => {
                format!("ranges:{}", ranges.join(","))
            }
            ("EGRESS", [], [], ranges) if !ranges.is_empty() => {
                format!("ranges:{}", ranges.join(","))
            }
            _ => panic!("{context}: {key}: not one kind of peer for its direction: {value}"),
        };
        let ranges: Vec<&String> = source_ranges.iter().chain(&destination_ranges).collect();
        assert!(
            ranges.iter().all(|r| r.contains(':')) || ranges.iter().all(|r| !r.contains(':')),
            "{context}: {key} mixes address families"
        );
        assert_eq!(
            key.ends_with("-v6"),
            ranges.iter().any(|r| r.contains(':')),
            "{context}: {key}: -v6 names the IPv6 rules"
        );
        let allow: Vec<String> = value["allow"]
            .as_array()
            .unwrap_or_else(|| panic!("{context}: {key}: allow is not a list"))
            .iter()
            .map(|a| {
                let protocol = a["protocol"].as_str().unwrap_or_default();
                let ports = list(&a["ports"]);
                if a["ports"].is_null() {
                    protocol.to_string()
                } else {
                    assert!(
                        matches!(protocol, "tcp" | "udp") && !ports.is_empty(),
                        "{context}: {key}: ports only for tcp and udp: {a}"
                    );
                    format!("{protocol}:{}", ports.join(","))
                }
            })
            .collect();
        let description = value["description"].as_str().unwrap_or_default();
        assert!(
            description.starts_with("portmatrix ") && description.chars().count() <= 1024,
            "{context}: {key}: {description:?}"
        );
        assert_eq!(
            value["priority"].as_i64(),
            Some(1000),
            "{context}: {key}: GCP's default priority"
        );
        found.insert(
            key.clone(),
            Firewall {
                direction,
                target: target[0].clone(),
                peer,
                allow,
            },
        );
    }
    found
}

fn assert_same(
    context: &str,
    actual: &BTreeMap<String, Firewall>,
    expected: &BTreeMap<String, Firewall>,
) {
    let mut problems = Vec::new();
    for (name, rule) in expected {
        match actual.get(name) {
            None => problems.push(format!("  missing {name}: {rule:?}")),
            Some(found) if found != rule => problems.push(format!(
                "  {name}:\n    expected {rule:?}\n    found    {found:?}"
            )),
            Some(_) => {}
        }
    }
    for (name, rule) in actual {
        if !expected.contains_key(name) {
            problems.push(format!("  unexpected {name}: {rule:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{context}: rules differ\n{}",
        problems.join("\n")
    );
}

fn config(inputs: &str) -> String {
    let mut hcl = format!("data \"portmatrix_gcp_firewall_rules\" \"cluster\" {{\n{inputs}\n}}\n");
    for output in ["rules", "tiers", "widened", "warnings", "not_needed"] {
        hcl.push_str(&format!(
            "\noutput \"{output}\" {{\n  value = data.portmatrix_gcp_firewall_rules.cluster.{output}\n}}\n"
        ));
    }
    hcl
}

fn apply(terraform: &Terraform, inputs: &str) -> Value {
    Workspace::new(terraform, &config(inputs)).outputs()
}

/// Terraform wraps long diagnostics; compare with whitespace runs as single spaces.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------------------------------
// Kublr (seed 004), default tiers master, worker, lb.

const KUBLR_CALICO_INPUTS: &str = r#"
  platform {
    name    = "kublr"
    options = { cni = "calico" }
  }
  endpoint {
    name      = "internet"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
  tier_ranges = {
    master = ["10.0.1.0/24"]
    worker = ["10.0.2.0/24", "fd00:2::/64"]
  }
"#;

/// Kublr with Calico. Table 1 (Node to Node): "10250 TCP Kubelet API", "4 (IP-in-IP) Calico Calico IP-in-IP",
/// "179 TCP Calico BGP", "8472 UDP Calico VXLAN/Flannel", "5473 TCP Calico Typha", every ordered pair of master
/// and worker; Table 2 (Workers to Masters): "443 TCP Kubernetes API"; Table 3 (Master to Masters): "2379 TCP Etcd"
/// and "2380 TCP Etcd" (touching, merged); Table 4 (Other), non-air-gap: "53 TCP/UDP Node Internet DNS", "443 TCP
/// Node Internet HTTPS to binary repositories". Egress between tiers goes to the tiers' `tier_ranges`, the
/// worker's in both families.
const KUBLR_CALICO: &[Row] = &[
    (
        "pm-in-master-to-master",
        "INGRESS",
        "pm-master",
        "tag:pm-master",
        &["tcp:179,2379-2380,5473,10250", "udp:8472", "ipip"],
    ),
    (
        "pm-in-worker-to-master",
        "INGRESS",
        "pm-master",
        "tag:pm-worker",
        &["tcp:179,443,5473,10250", "udp:8472", "ipip"],
    ),
    (
        "pm-in-master-to-worker",
        "INGRESS",
        "pm-worker",
        "tag:pm-master",
        &["tcp:179,5473,10250", "udp:8472", "ipip"],
    ),
    (
        "pm-in-worker-to-worker",
        "INGRESS",
        "pm-worker",
        "tag:pm-worker",
        &["tcp:179,5473,10250", "udp:8472", "ipip"],
    ),
    (
        "pm-eg-master-to-master",
        "EGRESS",
        "pm-master",
        "ranges:10.0.1.0/24",
        &["tcp:179,2379-2380,5473,10250", "udp:8472", "ipip"],
    ),
    (
        "pm-eg-worker-to-master",
        "EGRESS",
        "pm-worker",
        "ranges:10.0.1.0/24",
        &["tcp:179,443,5473,10250", "udp:8472", "ipip"],
    ),
    (
        "pm-eg-master-to-worker",
        "EGRESS",
        "pm-master",
        "ranges:10.0.2.0/24",
        &["tcp:179,5473,10250", "udp:8472", "ipip"],
    ),
    (
        "pm-eg-master-to-worker-v6",
        "EGRESS",
        "pm-master",
        "ranges:fd00:2::/64",
        &["tcp:179,5473,10250", "udp:8472", "ipip"],
    ),
    (
        "pm-eg-worker-to-worker",
        "EGRESS",
        "pm-worker",
        "ranges:10.0.2.0/24",
        &["tcp:179,5473,10250", "udp:8472", "ipip"],
    ),
    (
        "pm-eg-worker-to-worker-v6",
        "EGRESS",
        "pm-worker",
        "ranges:fd00:2::/64",
        &["tcp:179,5473,10250", "udp:8472", "ipip"],
    ),
    (
        "pm-eg-master-to-internet",
        "EGRESS",
        "pm-master",
        "ranges:0.0.0.0/0",
        &["tcp:53,443", "udp:53"],
    ),
    (
        "pm-eg-worker-to-internet",
        "EGRESS",
        "pm-worker",
        "ranges:0.0.0.0/0",
        &["tcp:53,443", "udp:53"],
    ),
];

#[test]
fn kublr_calico_rules_match_the_network_access_page() {
    let expected = expected(KUBLR_CALICO);
    for terraform in terraforms() {
        let context = format!("Terraform {} kublr calico", terraform.version);
        let workspace = Workspace::new(terraform, &config(KUBLR_CALICO_INPUTS));
        let plan = workspace.plan();
        for needle in ["\"pm-in-worker-to-master\"", "\"ipip\"", "\"179\""] {
            assert!(
                plan.stdout.contains(needle),
                "{context}: the plan lacks {needle}:\n{}",
                plan.stdout
            );
        }
        let outputs = workspace.outputs();
        assert_same(&context, &read(&context, &outputs), &expected);
        let tiers = &outputs["tiers"]["value"];
        assert_eq!(tiers["master"]["network_tag"], "pm-master", "{context}");
        assert_eq!(tiers["lb"]["network_tag"], "pm-lb", "{context}");
        assert!(tiers["lb"]["service_account"].is_null(), "{context}");
        assert_eq!(
            tiers["worker"]["ranges"],
            serde_json::json!(["10.0.2.0/24", "fd00:2::/64"]),
            "{context}"
        );
        // Table 5 (KCP) has no addresses here: its rows are skipped with warnings, as on AWS. Both tiers that
        // egress rules reach have ranges, so no warning asks for tier_ranges.
        let warnings = warnings(&outputs);
        assert!(
            warnings.iter().any(|w| w.contains("kcp-node")),
            "{context}: {warnings:?}"
        );
        assert!(
            !warnings.iter().any(|w| w.contains("tier_ranges")),
            "{context}: {warnings:?}"
        );
        assert_eq!(outputs["widened"]["value"], serde_json::json!([]));
    }
}

#[test]
fn kublr_canal_key_facts_and_egress_without_tier_ranges() {
    // Canal (the default CNI): Table 1 "8472 UDP Canal (default) Canal" and "5473 TCP Canal (default) Calico
    // Typha" instead of the Calico rows, so no BGP and no IP-in-IP.
    let inputs = "  platform {\n    name = \"kublr\"\n  }\n";
    let expected = expected(&[
        (
            "pm-in-master-to-master",
            "INGRESS",
            "pm-master",
            "tag:pm-master",
            &["tcp:2379-2380,5473,10250", "udp:8472"],
        ),
        (
            "pm-in-worker-to-master",
            "INGRESS",
            "pm-master",
            "tag:pm-worker",
            &["tcp:443,5473,10250", "udp:8472"],
        ),
        (
            "pm-in-master-to-worker",
            "INGRESS",
            "pm-worker",
            "tag:pm-master",
            &["tcp:5473,10250", "udp:8472"],
        ),
        (
            "pm-in-worker-to-worker",
            "INGRESS",
            "pm-worker",
            "tag:pm-worker",
            &["tcp:5473,10250", "udp:8472"],
        ),
    ]);
    for terraform in terraforms() {
        let context = format!("Terraform {} kublr canal", terraform.version);
        let outputs = apply(terraform, inputs);
        // No endpoints and no tier_ranges: only ingress; the egress between tiers is named in one warning.
        assert_same(&context, &read(&context, &outputs), &expected);
        let warnings = warnings(&outputs);
        let egress: Vec<&String> = warnings
            .iter()
            .filter(|w| w.contains("tier_ranges"))
            .collect();
        assert_eq!(egress.len(), 1, "{context}: {warnings:?}");
        assert!(
            egress[0]
                .starts_with("4 egress rule(s) towards tier(s) master, worker were not written"),
            "{context}: {}",
            egress[0]
        );
        assert!(
            warnings.iter().any(|w| w.contains("internet")),
            "{context}: the Internet rows ask for an endpoint block: {warnings:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Deckhouse 1.64 (seed 002, the table of v1.63-v1.66). "master" is the master tier, "nodes" master and worker,
// "frontends" worker. Rows naming an optional module apply only when its option is on; Cilium is the default CNI.

/// Every module off, no endpoints: the four tier-to-tier ingress rules.
/// master <- master: "Master to master nodes traffic" (2379, 2380; 4200; 4223), "Master to nodes traffic" (22;
/// 10250; 4221), "Nodes to masters traffic" (4234 UDP; 6443; 4203; 4219; 4222), "Nodes to nodes traffic" (ICMP;
/// 8469, 8472 UDP; 4204; 4206; 4209; 4210; 4211; 4240; 4241; 4242; 4244). Touching ports merge: 4203-4204,
/// 4209-4211, 4221-4223, 4240-4242.
/// master <- worker: "Nodes to masters traffic" and "Nodes to nodes traffic".
/// worker <- master: "Master to nodes traffic" and "Nodes to nodes traffic".
/// worker <- worker: "Nodes to nodes traffic".
const DECKHOUSE_DEFAULT: &[Row] = &[
    (
        "pm-in-master-to-master",
        "INGRESS",
        "pm-master",
        "tag:pm-master",
        &[
            "tcp:22,2379-2380,4200,4203-4204,4206,4209-4211,4219,4221-4223,4240-4242,4244,6443,10250",
            "udp:4234,8469,8472",
            "icmp",
        ],
    ),
    (
        "pm-in-worker-to-master",
        "INGRESS",
        "pm-master",
        "tag:pm-worker",
        &[
            "tcp:4203-4204,4206,4209-4211,4219,4222,4240-4242,4244,6443",
            "udp:4234,8469,8472",
            "icmp",
        ],
    ),
    (
        "pm-in-master-to-worker",
        "INGRESS",
        "pm-worker",
        "tag:pm-master",
        &[
            "tcp:22,4204,4206,4209-4211,4221,4240-4242,4244,10250",
            "udp:8469,8472",
            "icmp",
        ],
    ),
    (
        "pm-in-worker-to-worker",
        "INGRESS",
        "pm-worker",
        "tag:pm-worker",
        &[
            "tcp:4204,4206,4209-4211,4240-4242,4244",
            "udp:8469,8472",
            "icmp",
        ],
    ),
];

#[test]
fn deckhouse_modules_off_rules_match_the_port_table() {
    // Every module option off (they default to on).
    let inputs = "  platform {\n    name    = \"deckhouse\"\n    version = \"1.64\"\n    options = { cloud_provider_vcd = \"false\", runtime_audit_engine = \"false\", sds_replicated_volume = \"false\", sds_node_configurator = \"false\", virtualization = \"false\", metallb = \"false\", l2_load_balancer = \"false\", openvpn = \"false\", node_local_dns = \"false\", ebpf_exporter = \"false\", kube_router = \"false\" }\n  }\n";
    let expected = expected(DECKHOUSE_DEFAULT);
    for terraform in terraforms() {
        let context = format!("Terraform {} deckhouse 1.64", terraform.version);
        let outputs = apply(terraform, inputs);
        assert_same(&context, &read(&context, &outputs), &expected);
        for (_, rule) in outputs["rules"]["value"].as_object().into_iter().flatten() {
            assert_eq!(
                rule["platforms"],
                serde_json::json!(["deckhouse"]),
                "{context}"
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
    options = { cloud_provider_vcd = "false", runtime_audit_engine = "false", sds_replicated_volume = "false", sds_node_configurator = "false", virtualization = "false", metallb = "true", l2_load_balancer = "false", openvpn = "true", node_local_dns = "false", ebpf_exporter = "false", kube_router = "false" }
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
  endpoint {
    name      = "dns-servers"
    cidr_ipv4 = ["10.0.0.2/32"]
  }
"#;
    for terraform in terraforms() {
        let context = format!("Terraform {} deckhouse 1.64 modules", terraform.version);
        let outputs = apply(terraform, inputs);
        let rules = read(&context, &outputs);
        // "External traffic to frontends": "80, 443 TCP", "5416 UDP OpenVPN", "5416 TCP OpenVPN", "30000-32767
        // TCP NodePort range", from the clients, one rule per address family.
        let clients = ["tcp:80,443,5416,30000-32767", "udp:5416"];
        for (name, peer) in [
            ("pm-in-frontend-clients-to-worker", "ranges:0.0.0.0/0"),
            ("pm-in-frontend-clients-to-worker-v6", "ranges:::/0"),
        ] {
            assert_eq!(
                rules.get(name),
                Some(&Firewall {
                    direction: "INGRESS".into(),
                    target: "pm-worker".into(),
                    peer: peer.into(),
                    allow: clients.iter().map(|s| s.to_string()).collect(),
                }),
                "{context}: {name}"
            );
        }
        // "External traffic to masters": "22, 22322 TCP SSH", "6443 TCP kube-apiserver for local administrators".
        assert_eq!(
            rules["pm-in-administrators-to-master"].allow,
            ["tcp:22,6443,22322"],
            "{context}"
        );
        // "External traffic for all nodes": "53 UDP DNS", "53 TCP DNS", from master and worker.
        for tier in ["master", "worker"] {
            let dns = &rules[&format!("pm-eg-{tier}-to-dns-servers")];
            assert_eq!(dns.allow, ["tcp:53", "udp:53"], "{context}");
            assert_eq!(dns.peer, "ranges:10.0.0.2/32", "{context}");
        }
        // metallb: "4218, 4225 TCP/UDP memberlist" (4218 with metallb), "4220, 4226 TCP metrics" (4220), on
        // every ordered pair of nodes; 4218 to 4220 touch 4219 on masters only.
        assert!(
            rules["pm-in-worker-to-worker"]
                .allow
                .iter()
                .any(|a| a == "udp:4218,8469,8472"),
            "{context}: {:?}",
            rules["pm-in-worker-to-worker"]
        );
        assert!(
            rules["pm-in-worker-to-master"].allow[0].contains(",4218-4220,"),
            "{context}: {:?}",
            rules["pm-in-worker-to-master"]
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Longhorn 1.5+ (ports.md §1.3, v1.13.0 page, identical tables from v1.5.1), Kubernetes (ports.md §4) and Calico
// (ports.md §5).

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
  parameters = {
    backupstore_port    = 9000
    image_download_port = 443
  }
"#;

/// Egress of every Longhorn flow to an endpoint, from master and worker (the senders are pods whose traffic
/// leaves with the node's address): "Longhorn Manager / Egress | External Backupstore | User defined" and
/// "Instance Manager / Egress | External Backupstore" (9000, both families); "... / Egress | Kubernetes API server
/// | Kubernetes API server port" (6443); "Backing Image Data Source / Egress | User provided server IP to download
/// the images from | user defined" (443).
fn longhorn_egress() -> BTreeMap<String, Firewall> {
    let mut map = BTreeMap::new();
    for tier in ["master", "worker"] {
        for (endpoint, ranges, allow) in [
            ("backupstore", "192.0.2.10/32", "tcp:9000"),
            ("backupstore-v6", "2001:db8::10/128", "tcp:9000"),
            ("kubernetes-api-server", "10.0.0.10/32", "tcp:6443"),
            ("image-download-server", "198.51.100.20/32", "tcp:443"),
        ] {
            map.insert(
                format!("pm-eg-{tier}-to-{endpoint}"),
                Firewall {
                    direction: "EGRESS".into(),
                    target: format!("pm-{tier}"),
                    peer: format!("ranges:{ranges}"),
                    allow: vec![allow.into()],
                },
            );
        }
    }
    map
}

#[test]
fn longhorn_overlay_and_routed() {
    for terraform in terraforms() {
        // Overlay: every flow between Longhorn roles ends at a pod, so only the egress to endpoints remains.
        let context = format!("Terraform {} longhorn overlay", terraform.version);
        let outputs = apply(terraform, LONGHORN);
        assert_same(&context, &read(&context, &outputs), &longhorn_egress());
        // The 19 flows to pods of ports.md §1.3 (the AWS test lists them row by row) and the API server calling the
        // webhooks (the Longhorn chart at bb2f2223) need no rule.
        let not_needed = outputs["not_needed"]["value"].as_array().map(Vec::len);
        assert_eq!(not_needed, Some(20), "{context}");

        // Routed: every flow between roles, which all run on master and worker, merged per tier pair: 2049
        // (Share Manager / Ingress | Node), 3260 (Instance Manager / Ingress | Node), 8000 (Backing Image Manager
        // and Data Source), 8002 (Instance Manager / Egress | Backing Image Data Source), 8500-8504 (Instance
        // Manager services), 9500-9503 (Longhorn Manager, webhooks, recovery backend), 10000-31000 (Instance
        // Manager 10000-30000 and Backing Image Manager 30001-31000, touching).
        let context = format!("Terraform {} longhorn routed", terraform.version);
        let outputs = apply(
            terraform,
            &format!("{LONGHORN}\n  pod_network = \"routed\"\n"),
        );
        let rules = read(&context, &outputs);
        let longhorn = ["tcp:2049,3260,8000,8002,8500-8504,9500-9503,10000-31000"];
        for source in ["master", "worker"] {
            for destination in ["master", "worker"] {
                let rule = &rules[&format!("pm-in-{source}-to-{destination}")];
                assert_eq!(rule.allow, longhorn, "{context}");
                assert_eq!(rule.peer, format!("tag:pm-{source}"), "{context}");
            }
        }
        assert_eq!(
            outputs["not_needed"]["value"].as_array().map(Vec::len),
            Some(0),
            "{context}"
        );
    }
}

const STACK: &str = r#"
  platform {
    name = "kubernetes"
  }
  platform {
    name = "calico"
  }
  endpoint {
    name      = "api-clients"
    cidr_ipv4 = ["203.0.113.0/24"]
  }
  endpoint {
    name      = "nodeport-clients"
    cidr_ipv4 = ["203.0.113.0/24"]
  }
  endpoint {
    name      = "load-balancers"
    cidr_ipv4 = ["10.0.200.0/24"]
  }
"#;

#[test]
fn kubernetes_calico_longhorn_key_facts_and_stability() {
    let inputs = format!("{STACK}{LONGHORN}");
    for terraform in terraforms() {
        let context = format!(
            "Terraform {} kubernetes + calico + longhorn",
            terraform.version
        );
        let workspace = Workspace::new(terraform, &config(&inputs));
        let first = raw_outputs(&workspace);
        let outputs: Value = serde_json::from_str(&first).expect("output -json is JSON");
        let rules = read(&context, &outputs);
        // Kubernetes "Control plane / Inbound | TCP | 6443 | All" and Calico "All | kube-apiserver host | 6443";
        // Calico BGP 179, Typha 5473, IP-in-IP (protocol 4) between all hosts; the kubelet 10250 for
        // metrics-server on the workers (README "Metrics Server to Kubelet on all nodes").
        assert_eq!(
            rules["pm-in-worker-to-master"].allow,
            ["tcp:179,5473,6443,10250", "ipip"],
            "{context}"
        );
        // Kubernetes "Worker node(s) / Inbound": 10250 (Control plane), NodePort 30000-32767 TCP and UDP (All).
        assert_eq!(
            rules["pm-in-master-to-worker"].allow,
            ["tcp:179,5473,10250,30000-32767", "udp:30000-32767", "ipip"],
            "{context}"
        );
        assert_eq!(
            rules["pm-in-api-clients-to-master"],
            Firewall {
                direction: "INGRESS".into(),
                target: "pm-master".into(),
                peer: "ranges:203.0.113.0/24".into(),
                allow: vec!["tcp:6443".into()],
            },
            "{context}"
        );
        // "Worker node(s) / Inbound | TCP | 10256 | kube-proxy | Self, Load balancers".
        assert_eq!(
            rules["pm-in-load-balancers-to-worker"].allow,
            ["tcp:10256"],
            "{context}"
        );
        // IP-in-IP is a protocol, never port 4.
        assert!(
            !rules.values().any(|r| r
                .allow
                .iter()
                .any(|a| a.split([':', ',']).any(|p| p == "4"))),
            "{context}"
        );
        // Longhorn's endpoint egress is there too.
        assert_eq!(rules["pm-eg-worker-to-backupstore-v6"].allow, ["tcp:9000"]);
        let again = raw_outputs(&Workspace::new(terraform, &config(&inputs)));
        assert_eq!(first, again, "{context}: output differs between two runs");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// What GCP cannot express, and the options.

const CILIUM: &str = "  platform {\n    name = \"cilium\"\n  }\n";

#[test]
fn icmp_types_are_an_error_unless_unsupported_flows_says_otherwise() {
    for terraform in terraforms() {
        let context = format!("Terraform {} cilium", terraform.version);
        // Cilium (ports.md §5): "ICMP Type 0/8, Code 0 open among all nodes"; GCP rules match every ICMP type or
        // none. Four ordered pairs of master and worker, types 0 and 8: 8 flows.
        let error = Workspace::new(terraform, &config(CILIUM)).plan_error();
        for needle in [
            "Flows GCP firewall rules cannot express",
            "GCP firewall rules cannot express 8 flow(s)",
            "worker -> master icmp type 8 (cilium: cilium-health node connectivity (ping)): GCP firewall rules \
             cannot match ICMP types",
            "unsupported_flows = \"widen\"",
            "unsupported_flows = \"skip\"",
            "unsupported_flows",
        ] {
            assert!(
                squash(&error).contains(needle),
                "{context}: {needle:?} not in:\n{error}"
            );
        }

        let outputs = apply(
            terraform,
            &format!("{CILIUM}  unsupported_flows = \"widen\"\n"),
        );
        let rules = read(&context, &outputs);
        assert!(
            rules["pm-in-worker-to-master"]
                .allow
                .contains(&"icmp".to_string()),
            "{context}: {:?}",
            rules["pm-in-worker-to-master"]
        );
        let widened = outputs["widened"]["value"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        // Two types for each of the four ingress rules between master and worker (egress needs tier_ranges).
        assert_eq!(widened.len(), 8, "{context}: {widened:?}");
        assert!(widened.iter().all(|w| w["opened"] == "every ICMP type"
            && w["rule"].as_str().is_some_and(|r| r.starts_with("pm-in-"))));

        let outputs = apply(
            terraform,
            &format!("{CILIUM}  unsupported_flows = \"skip\"\n"),
        );
        let rules = read(&context, &outputs);
        assert!(
            !rules
                .values()
                .any(|r| r.allow.contains(&"icmp".to_string())),
            "{context}"
        );
        let warnings = warnings(&outputs);
        assert_eq!(
            warnings
                .iter()
                .filter(|w| w.starts_with("unsupported_flows = \"skip\" left out"))
                .count(),
            8,
            "{context}: {warnings:?}"
        );
    }
}

#[test]
fn options_name_tags_accounts_and_long_names() {
    let long = "control-plane-nodes-of-the-primary-production-region";
    let inputs = format!(
        r#"
  platform {{
    name = "kubernetes"
  }}
  tier {{
    name  = "{long}"
    roles = ["kubernetes/control-plane"]
  }}
  tier {{
    name  = "worker_pool"
    roles = ["kubernetes/worker"]
  }}
  name_prefix = "prod-"
  tag_prefix  = "k8s-"
  priority    = 900
"#
    );
    for terraform in terraforms() {
        let context = format!("Terraform {} long names", terraform.version);
        let outputs = Workspace::new(terraform, &config(&inputs)).outputs();
        let rules = outputs["rules"]["value"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(!rules.is_empty(), "{context}");
        for (name, rule) in &rules {
            assert!(
                valid_gcp_name(name) && name.starts_with("prod-"),
                "{context}: {name}"
            );
            assert_eq!(rule["priority"], 900, "{context}");
        }
        // Kubernetes "Worker node(s) / Inbound | TCP | 10250 | Kubelet API | Self, Control plane": from the
        // control plane tier to the worker pool, whose tag turns '_' into '-'.
        let kubelet = rules
            .values()
            .find(|r| {
                r["target_tags"] == serde_json::json!(["k8s-worker-pool"])
                    && r["source_tags"] == serde_json::json!([format!("k8s-{long}")])
            })
            .unwrap_or_else(|| {
                panic!("{context}: no rule from the control plane to k8s-worker-pool: {rules:?}")
            });
        assert_eq!(kubelet["direction"], "INGRESS", "{context}");
        assert!(
            kubelet["allow"][0]["ports"]
                .as_array()
                .is_some_and(|p| p.contains(&serde_json::json!("10250"))),
            "{context}: {kubelet}"
        );
        // prod-in-<52 characters>-to-worker-pool is 75 characters: cut, with a hash.
        let name = kubelet["name"].as_str().unwrap_or_default();
        assert!(
            name.len() <= 63
                && name[name.len() - 8..]
                    .chars()
                    .all(|c| c.is_ascii_hexdigit()),
            "{context}: {name}"
        );

        // Service accounts replace tags, and must cover every tier.
        let accounts = format!(
            "{inputs}\n  service_accounts = {{\n    \"{long}\" = \"cp@p.iam.gserviceaccount.com\"\n    worker_pool = \"wk@p.iam.gserviceaccount.com\"\n  }}\n"
        );
        let outputs = Workspace::new(terraform, &config(&accounts)).outputs();
        let kubelet = outputs["rules"]["value"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, r)| r)
            .find(|r| {
                r["target_service_accounts"] == serde_json::json!(["wk@p.iam.gserviceaccount.com"])
                    && r["source_service_accounts"]
                        == serde_json::json!(["cp@p.iam.gserviceaccount.com"])
            })
            .cloned()
            .unwrap_or_else(|| panic!("{context}: no rule targets the worker account"));
        assert!(kubelet["target_tags"].is_null() && kubelet["source_tags"].is_null());

        let partial = format!(
            "{inputs}\n  service_accounts = {{ worker_pool = \"wk@p.iam.gserviceaccount.com\" }}\n  tier_ranges = {{ worker_pool = [\"10.0.0.1/24\"] }}\n"
        );
        let error = squash(&Workspace::new(terraform, &config(&partial)).plan_error());
        for needle in [
            "Tiers without a service account",
            &format!("missing: {long}"),
            "Invalid range for tier \"worker_pool\"",
            "write the network address \"10.0.0.0/24\"",
        ] {
            assert!(
                error.contains(needle),
                "{context}: {needle:?} not in:\n{error}"
            );
        }
    }
}

#[test]
fn bad_options_are_plan_errors_on_their_argument() {
    for terraform in terraforms() {
        let context = format!("Terraform {}", terraform.version);
        let inputs = format!(
            "{KUBLR_CALICO_INPUTS}\n  unsupported_flows = \"allow\"\n  name_prefix = \"Prod_\"\n  priority = 70000\n"
        );
        let error = squash(&Workspace::new(terraform, &config(&inputs)).plan_error());
        for needle in [
            "Invalid unsupported_flows",
            "\"allow\" is not a choice",
            "Invalid name_prefix \"Prod_\"",
            "Invalid priority",
            "with data.portmatrix_gcp_firewall_rules.cluster",
        ] {
            assert!(
                error.contains(needle),
                "{context}: {needle:?} not in:\n{error}"
            );
        }
    }
}

/// A configuration without its `resource` blocks: the Google provider cannot be installed here.
fn without_resources(config: &str) -> String {
    let mut kept = Vec::new();
    let mut skipping = false;
    for line in config.lines() {
        if line.starts_with("resource \"") {
            skipping = true;
        } else if skipping {
            skipping = line != "}";
        } else {
            kept.push(line);
        }
    }
    kept.join("\n") + "\n"
}

#[test]
fn the_documented_example_plans() {
    let path = portmatrix_acceptance_tests::repo_root()
        .join("examples/data-sources/portmatrix_gcp_firewall_rules/data-source.tf");
    let example = std::fs::read_to_string(&path).expect("data-source.tf");
    assert!(example.contains("for_each = data.portmatrix_gcp_firewall_rules.cluster.rules"));
    let config = without_resources(&example);
    for terraform in terraforms() {
        let context = format!("Terraform {} example", terraform.version);
        let outputs = Workspace::new(terraform, &config).outputs();
        assert_eq!(
            outputs["network_tags"]["value"],
            serde_json::json!({"lb": "prod-lb", "master": "prod-master", "worker": "prod-worker"}),
            "{context}"
        );
        // Longhorn's image download server has no endpoint block or port: its flow is named, not guessed.
        let warnings = warnings(&outputs);
        assert!(
            warnings.iter().any(|w| w.contains("image-download-server")),
            "{context}: {warnings:?}"
        );
    }
}
