//! `portmatrix_azure_nsg_rules` under every Terraform, for the stacks of the AWS target: Kublr with Canal and with
//! Calico, Deckhouse with its modules off and on, Longhorn 1.5+ on overlay and routed pod networks, and the union
//! of Kubernetes, Calico and Longhorn; plus the documented diagnostic for the flows Azure cannot express, and the promise that a
//! platform block appended later keeps every existing rule's priority.
//!
//! The expected tables are written by hand from the source documents, never from the program's output: Kublr's
//! "Network Access" page (shared/seeds/004_47f2e9499fd6d2ef.txt), Deckhouse's port requirements for v1.63-v1.66
//! (shared/seeds/002_9b596b334cd8af9c.txt), and for Longhorn, Kubernetes and Calico shared/reference/ports.md.
//! The rows become tier-to-tier needs as in the AWS tests ("Node" is the master and worker tiers and node-to-node
//! rows give every ordered pair; ranges that overlap or touch merge; IP-in-IP is IP protocol 4; ICMP without types
//! is every type), then Azure rules by the data source's documented shape: one rule per direction, source,
//! destination and protocol (`Tcp`, `Udp`, `Icmp`), named `pm-<in|out>-<source>-to-<destination>-<protocol>`, with
//! every destination port range of that protocol; a need between two tiers is an `Inbound` rule protecting the
//! destination and an `Outbound` rule protecting the source, each side named by its tier's application security
//! group; an endpoint side is its address prefixes, one address family per rule (`-v6` for IPv6).

mod common;

use common::warnings;
use portmatrix_acceptance_tests::{terraforms, Terraform, Workspace};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A rule as the tests compare it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Nsg {
    direction: String,
    tier: String,
    protocol: String,
    /// `6443,30000-32767`, or `*` for every port.
    ports: String,
    /// `tier:worker` or `prefixes:a,b`.
    source: String,
    /// Like `source`.
    destination: String,
}

/// A need between two tiers: (source tier, destination tier, protocol, ports).
type Need = (&'static str, &'static str, &'static str, &'static str);

/// The Inbound and the Outbound rule of every need between tiers.
fn between_tiers(needs: &[Need]) -> BTreeMap<String, Nsg> {
    let mut map = BTreeMap::new();
    for &(source, destination, protocol, ports) in needs {
        for (direction, short, tier) in
            [("Inbound", "in", destination), ("Outbound", "out", source)]
        {
            let name = format!(
                "pm-{short}-{source}-to-{destination}-{}",
                protocol.to_lowercase()
            );
            let rule = Nsg {
                direction: direction.into(),
                tier: tier.into(),
                protocol: protocol.into(),
                ports: ports.into(),
                source: format!("tier:{source}"),
                destination: format!("tier:{destination}"),
            };
            assert!(
                map.insert(name.clone(), rule).is_none(),
                "{name} written twice"
            );
        }
    }
    map
}

/// The Outbound rule of a need from a tier to an endpoint's prefixes of one family.
fn to_endpoint(
    tier: &str,
    endpoint: &str,
    v6: bool,
    prefixes: &str,
    protocol: &str,
    ports: &str,
) -> (String, Nsg) {
    (
        format!(
            "pm-out-{tier}-to-{endpoint}-{}{}",
            protocol.to_lowercase(),
            if v6 { "-v6" } else { "" }
        ),
        Nsg {
            direction: "Outbound".into(),
            tier: tier.into(),
            protocol: protocol.into(),
            ports: ports.into(),
            source: format!("tier:{tier}"),
            destination: format!("prefixes:{prefixes}"),
        },
    )
}

/// The Inbound rule of a need from an endpoint's prefixes of one family to a tier.
fn from_endpoint(
    endpoint: &str,
    prefixes: &str,
    tier: &str,
    protocol: &str,
    ports: &str,
) -> (String, Nsg) {
    (
        format!("pm-in-{endpoint}-to-{tier}-{}", protocol.to_lowercase()),
        Nsg {
            direction: "Inbound".into(),
            tier: tier.into(),
            protocol: protocol.into(),
            ports: ports.into(),
            source: format!("prefixes:{prefixes}"),
            destination: format!("tier:{tier}"),
        },
    )
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

/// Reads `rules`, checking every entry against Azure: the key is the name (at most 80 characters of lower-case
/// letters, digits and `-`), priorities within the range and unique per NSG and direction, a protocol Azure takes,
/// exactly one of `destination_port_range` (`*`) and `destination_port_ranges`, one kind of each side, one address
/// family per rule, and a description of at most 140 characters.
fn read(
    context: &str,
    outputs: &Value,
    per_tier: bool,
    range: (i64, i64),
) -> BTreeMap<String, Nsg> {
    let map = outputs["rules"]["value"]
        .as_object()
        .unwrap_or_else(|| panic!("{context}: rules is not a map: {outputs}"));
    let mut found = BTreeMap::new();
    let mut priorities = BTreeSet::new();
    for (key, value) in map {
        assert!(
            key.len() <= 80
                && key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !key.ends_with('-'),
            "{context}: invalid name {key}"
        );
        assert_eq!(value["name"], key.as_str(), "{context}: {key}");
        let text = |field: &str| value[field].as_str().unwrap_or_default().to_string();
        let direction = text("direction");
        let tier = text("tier");
        let priority = value["priority"].as_i64().unwrap_or_default();
        assert!(
            (range.0..=range.1).contains(&priority),
            "{context}: {key}: priority {priority} outside {range:?}"
        );
        let nsg = if per_tier {
            tier.clone()
        } else {
            String::new()
        };
        assert!(
            priorities.insert((nsg, direction.clone(), priority)),
            "{context}: {key}: priority {priority} used twice in one NSG and direction"
        );
        let protocol = text("protocol");
        assert!(
            ["Tcp", "Udp", "Icmp", "Esp", "Ah", "*"].contains(&protocol.as_str()),
            "{context}: {key}: protocol {protocol}"
        );
        let ports = match (
            value["destination_port_range"].as_str(),
            list(&value["destination_port_ranges"]),
        ) {
            (Some("*"), ranges)
                if ranges.is_empty() && value["destination_port_ranges"].is_null() =>
            {
                "*".to_string()
            }
            (None, ranges) if !ranges.is_empty() && matches!(protocol.as_str(), "Tcp" | "Udp") => {
                ranges.join(",")
            }
            _ => panic!("{context}: {key}: not exactly one of the port fields: {value}"),
        };
        let side = |prefix: &str| -> String {
            let tier = value[format!("{prefix}_tier")].as_str();
            let endpoint = value[format!("{prefix}_endpoint")].as_str();
            let prefixes = list(&value[format!("{prefix}_address_prefixes")]);
            match (tier, endpoint, prefixes.is_empty()) {
                (Some(tier), None, true) => format!("tier:{tier}"),
                (None, Some(_), false) => {
                    assert!(
                        prefixes.iter().all(|p| p.contains(':'))
                            || prefixes.iter().all(|p| !p.contains(':')),
                        "{context}: {key} mixes address families"
                    );
                    assert_eq!(
                        key.ends_with("-v6"),
                        prefixes[0].contains(':'),
                        "{context}: {key}: -v6 names the IPv6 rules"
                    );
                    format!("prefixes:{}", prefixes.join(","))
                }
                _ => panic!("{context}: {key}: {prefix} is not one tier or one endpoint: {value}"),
            }
        };
        let source = side("source");
        let destination = side("destination");
        let protected = match direction.as_str() {
            "Inbound" => &destination,
            "Outbound" => &source,
            other => panic!("{context}: {key}: direction {other}"),
        };
        assert_eq!(protected, &format!("tier:{tier}"), "{context}: {key}");
        let description = text("description");
        assert!(
            description.starts_with("portmatrix ") && description.chars().count() <= 140,
            "{context}: {key}: {description:?}"
        );
        found.insert(
            key.clone(),
            Nsg {
                direction,
                tier,
                protocol,
                ports,
                source,
                destination,
            },
        );
    }
    found
}

fn assert_same(context: &str, actual: &BTreeMap<String, Nsg>, expected: &BTreeMap<String, Nsg>) {
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

/// Rule counts per tier: (inbound, outbound) where the tier is the rule's `tier`.
fn counts(rules: &BTreeMap<String, Nsg>, tiers: &[&str]) -> BTreeMap<String, (u64, u64)> {
    let mut counts: BTreeMap<String, (u64, u64)> =
        tiers.iter().map(|t| (t.to_string(), (0, 0))).collect();
    for rule in rules.values() {
        let entry = counts.entry(rule.tier.clone()).or_default();
        if rule.direction == "Inbound" {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    counts
}

fn assert_tiers(context: &str, outputs: &Value, expected: &BTreeMap<String, (u64, u64)>) {
    let tiers = &outputs["tiers"]["value"];
    for (tier, (inbound, outbound)) in expected {
        assert_eq!(
            [
                tiers[tier]["inbound_rules"].as_u64(),
                tiers[tier]["outbound_rules"].as_u64()
            ],
            [Some(*inbound), Some(*outbound)],
            "{context}: counts of tier {tier}: {}",
            tiers[tier]
        );
    }
}

fn config(inputs: &str) -> String {
    let mut hcl = format!("data \"portmatrix_azure_nsg_rules\" \"cluster\" {{\n{inputs}\n}}\n");
    for output in ["rules", "tiers", "widened", "warnings", "not_needed"] {
        hcl.push_str(&format!(
            "\noutput \"{output}\" {{\n  value = data.portmatrix_azure_nsg_rules.cluster.{output}\n}}\n"
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

const FULL_RANGE: (i64, i64) = (100, 4096);

// ---------------------------------------------------------------------------------------------------------------
// Deckhouse 1.64 (seed 002, the table of v1.63-v1.66). "master" is the master tier, "nodes" master and worker,
// "frontends" worker. Rows naming an optional module apply only when its option is on; Cilium is the default CNI.

/// Every module off, no endpoints.
/// master <- master: "Master to master nodes traffic" (2379, 2380; 4200; 4223), "Master to nodes traffic" (22;
/// 10250; 4221), "Nodes to masters traffic" (4234 UDP; 6443; 4203; 4219; 4222), "Nodes to nodes traffic" (ICMP;
/// 8469, 8472 UDP; 4204; 4206; 4209; 4210; 4211; 4240; 4241; 4242; 4244). Touching ports merge.
/// master <- worker: "Nodes to masters traffic" and "Nodes to nodes traffic".
/// worker <- master: "Master to nodes traffic" and "Nodes to nodes traffic".
/// worker <- worker: "Nodes to nodes traffic".
const DECKHOUSE_DEFAULT: &[Need] = &[
    (
        "master",
        "master",
        "Tcp",
        "22,2379-2380,4200,4203-4204,4206,4209-4211,4219,4221-4223,4240-4242,4244,6443,10250",
    ),
    ("master", "master", "Udp", "4234,8469,8472"),
    ("master", "master", "Icmp", "*"),
    (
        "worker",
        "master",
        "Tcp",
        "4203-4204,4206,4209-4211,4219,4222,4240-4242,4244,6443",
    ),
    ("worker", "master", "Udp", "4234,8469,8472"),
    ("worker", "master", "Icmp", "*"),
    (
        "master",
        "worker",
        "Tcp",
        "22,4204,4206,4209-4211,4221,4240-4242,4244,10250",
    ),
    ("master", "worker", "Udp", "8469,8472"),
    ("master", "worker", "Icmp", "*"),
    (
        "worker",
        "worker",
        "Tcp",
        "4204,4206,4209-4211,4240-4242,4244",
    ),
    ("worker", "worker", "Udp", "8469,8472"),
    ("worker", "worker", "Icmp", "*"),
];

/// Deckhouse 1.64 with every module option off (they default to on).
const DECKHOUSE: &str = "  platform {\n    name    = \"deckhouse\"\n    version = \"1.64\"\n    options = { cloud_provider_vcd = \"false\", runtime_audit_engine = \"false\", sds_replicated_volume = \"false\", sds_node_configurator = \"false\", virtualization = \"false\", metallb = \"false\", l2_load_balancer = \"false\", openvpn = \"false\", node_local_dns = \"false\", ebpf_exporter = \"false\", kube_router = \"false\" }\n  }\n";

#[test]
fn deckhouse_modules_off_rules_match_the_port_table() {
    let expected = between_tiers(DECKHOUSE_DEFAULT);
    let tiers = ["master", "worker", "lb"];
    for terraform in terraforms() {
        let context = format!("Terraform {} deckhouse 1.64", terraform.version);
        let workspace = Workspace::new(terraform, &config(DECKHOUSE));
        let plan = workspace.plan();
        for needle in [
            "\"pm-in-worker-to-master-tcp\"",
            "\"Icmp\"",
            "\"4209-4211\"",
        ] {
            assert!(
                plan.stdout.contains(needle),
                "{context}: the plan lacks {needle}:\n{}",
                plan.stdout
            );
        }
        let outputs = workspace.outputs();
        let rules = read(&context, &outputs, false, FULL_RANGE);
        assert_same(&context, &rules, &expected);
        assert_tiers(&context, &outputs, &counts(&expected, &tiers));
        assert_eq!(
            outputs["tiers"]["value"]["lb"]["inbound_rules"], 0,
            "{context}"
        );
        assert_eq!(outputs["widened"]["value"], serde_json::json!([]));
    }
}

#[test]
fn deckhouse_modules_key_facts() {
    let inputs = format!(
        r#"{}
  endpoint {{
    name      = "frontend-clients"
    cidr_ipv4 = ["0.0.0.0/0"]
    cidr_ipv6 = ["::/0"]
  }}
  endpoint {{
    name      = "administrators"
    cidr_ipv4 = ["203.0.113.0/24"]
  }}
"#,
        DECKHOUSE.replace("openvpn = \"false\"", "openvpn = \"true\"")
    );
    for terraform in terraforms() {
        let context = format!("Terraform {} deckhouse modules", terraform.version);
        let outputs = apply(terraform, &inputs);
        let rules = read(&context, &outputs, false, FULL_RANGE);
        // "External traffic to frontends": "80, 443 TCP", "5416 TCP OpenVPN", "30000-32767 TCP NodePort range" and
        // "5416 UDP OpenVPN", from the clients in each address family.
        for (suffix, prefixes) in [("", "0.0.0.0/0"), ("-v6", "::/0")] {
            for (protocol, ports) in [("Tcp", "80,443,5416,30000-32767"), ("Udp", "5416")] {
                let name = format!(
                    "pm-in-frontend-clients-to-worker-{}{suffix}",
                    protocol.to_lowercase()
                );
                assert_eq!(
                    rules.get(&name),
                    Some(&Nsg {
                        direction: "Inbound".into(),
                        tier: "worker".into(),
                        protocol: protocol.into(),
                        ports: ports.into(),
                        source: format!("prefixes:{prefixes}"),
                        destination: "tier:worker".into(),
                    }),
                    "{context}: {name}"
                );
            }
        }
        // "External traffic to masters": "22, 22322 TCP", "6443 TCP kube-apiserver for local administrators".
        assert_eq!(
            rules["pm-in-administrators-to-master-tcp"].ports, "22,6443,22322",
            "{context}"
        );
        // An endpoint that only sends has no Outbound rule.
        assert!(
            !rules
                .keys()
                .any(|k| k.starts_with("pm-out-") && k.contains("frontend-clients")),
            "{context}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Kublr (seed 004), default tiers master, worker, lb.

/// Canal (the default CNI). Table 1 (Node to Node): "10250 TCP Kubelet API", "8472 UDP Canal (default) Canal",
/// "5473 TCP Canal (default) Calico Typha", every ordered pair of master and worker; Table 2 (Workers to
/// Masters): "443 TCP Kubernetes API"; Table 3 (Master to Masters): "2379 TCP Etcd", "2380 TCP Etcd" (merged).
const KUBLR_CANAL: &[Need] = &[
    ("master", "master", "Tcp", "2379-2380,5473,10250"),
    ("master", "master", "Udp", "8472"),
    ("worker", "master", "Tcp", "443,5473,10250"),
    ("worker", "master", "Udp", "8472"),
    ("master", "worker", "Tcp", "5473,10250"),
    ("master", "worker", "Udp", "8472"),
    ("worker", "worker", "Tcp", "5473,10250"),
    ("worker", "worker", "Udp", "8472"),
];

const KUBLR_INTERNET: &str = r#"
  endpoint {
    name      = "internet"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
"#;

#[test]
fn kublr_canal_rules_match_the_network_access_page_in_one_nsg_or_one_per_tier() {
    let mut expected = between_tiers(KUBLR_CANAL);
    // Table 4 (Other), non-air-gap: "53 TCP/UDP Node Internet DNS", "443 TCP Node Internet HTTPS to binary
    // repositories": Outbound from master and worker.
    for tier in ["master", "worker"] {
        expected.extend([
            to_endpoint(tier, "internet", false, "0.0.0.0/0", "Tcp", "53,443"),
            to_endpoint(tier, "internet", false, "0.0.0.0/0", "Udp", "53"),
        ]);
    }
    let tiers = ["master", "worker", "lb"];
    for terraform in terraforms() {
        for (per_tier, extra, range) in [
            (false, "", FULL_RANGE),
            (
                true,
                "  nsg_per_tier   = true\n  first_priority = 1000\n  last_priority  = 1049\n",
                (1000, 1049),
            ),
        ] {
            let context = format!(
                "Terraform {} kublr canal, nsg_per_tier {per_tier}",
                terraform.version
            );
            let inputs =
                format!("  platform {{\n    name = \"kublr\"\n  }}\n{KUBLR_INTERNET}{extra}");
            let outputs = apply(terraform, &inputs);
            assert_same(
                &context,
                &read(&context, &outputs, per_tier, range),
                &expected,
            );
            assert_tiers(&context, &outputs, &counts(&expected, &tiers));
            let warnings = warnings(&outputs);
            assert!(
                warnings.iter().any(|w| w.contains("kcp-node")),
                "{context}: Table 5 rows are skipped with warnings: {warnings:?}"
            );
        }
    }
}

const KUBLR_CALICO: &str =
    "  platform {\n    name    = \"kublr\"\n    options = { cni = \"calico\" }\n  }\n";

#[test]
fn ip_in_ip_is_an_error_unless_unsupported_flows_says_otherwise() {
    for terraform in terraforms() {
        let context = format!("Terraform {} kublr calico", terraform.version);
        // Table 1: "4 (IP-in-IP) Calico Calico IP-in-IP" between every ordered pair of master and worker: IP
        // protocol 4, which Azure cannot name.
        let error = squash(&Workspace::new(terraform, &config(KUBLR_CALICO)).plan_error());
        for needle in [
            "Flows Azure network security rules cannot express",
            "Azure network security rules cannot express 4 flow(s) the selected platforms need",
            "worker -> master 4 all (kublr: Calico IP-in-IP): Azure network security rules take the protocols \
             Tcp, Udp, Icmp, Esp, Ah and * only",
            "unsupported_flows = \"widen\"",
            "unsupported_flows = \"skip\"",
            "with data.portmatrix_azure_nsg_rules.cluster",
        ] {
            assert!(error.contains(needle), "{context}: {needle:?} not in:\n{error}");
        }

        // widen: a protocol `*` rule, every port, between the same tiers, in each direction; each listed.
        let outputs = apply(
            terraform,
            &format!("{KUBLR_CALICO}  unsupported_flows = \"widen\"\n"),
        );
        let rules = read(&context, &outputs, false, FULL_RANGE);
        let any: BTreeMap<String, Nsg> = rules
            .iter()
            .filter(|(_, r)| r.protocol == "*")
            .map(|(k, r)| (k.clone(), r.clone()))
            .collect();
        let expected_any = between_tiers(&[
            ("master", "master", "*", "*"),
            ("worker", "master", "*", "*"),
            ("master", "worker", "*", "*"),
            ("worker", "worker", "*", "*"),
        ]);
        let expected_any: BTreeMap<String, Nsg> = expected_any
            .into_iter()
            .map(|(k, v)| (k.replace("-*", "-any"), v))
            .collect();
        assert_same(&context, &any, &expected_any);
        let widened = outputs["widened"]["value"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(widened.len(), 8, "{context}: {widened:?}");
        assert!(widened
            .iter()
            .all(|w| w["opened"] == "every protocol and port (*)"
                && w["flow"]
                    .as_str()
                    .is_some_and(|f| f.contains(" 4 all (kublr: Calico IP-in-IP)"))));
        // The exact rules stay: BGP 179 among them.
        assert_eq!(
            rules["pm-in-worker-to-master-tcp"].ports,
            "179,443,5473,10250"
        );

        // skip: no `*` rule, one warning per flow.
        let outputs = apply(
            terraform,
            &format!("{KUBLR_CALICO}  unsupported_flows = \"skip\"\n"),
        );
        let rules = read(&context, &outputs, false, FULL_RANGE);
        assert!(!rules.values().any(|r| r.protocol == "*"), "{context}");
        let warnings = warnings(&outputs);
        assert_eq!(
            warnings
                .iter()
                .filter(|w| w.starts_with("unsupported_flows = \"skip\" left out")
                    && w.contains(" 4 all "))
                .count(),
            4,
            "{context}: {warnings:?}"
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

/// Longhorn's flows to endpoints, Outbound from master and worker: "... / Egress | External Backupstore | User
/// defined" (9000, both families), "... / Egress | Kubernetes API server | Kubernetes API server port" (6443),
/// "Backing Image Data Source / Egress | User provided server IP to download the images from" (443).
fn longhorn_outbound() -> BTreeMap<String, Nsg> {
    let mut map = BTreeMap::new();
    for tier in ["master", "worker"] {
        map.extend([
            to_endpoint(tier, "backupstore", false, "192.0.2.10/32", "Tcp", "9000"),
            to_endpoint(tier, "backupstore", true, "2001:db8::10/128", "Tcp", "9000"),
            to_endpoint(
                tier,
                "kubernetes-api-server",
                false,
                "10.0.0.10/32",
                "Tcp",
                "6443",
            ),
            to_endpoint(
                tier,
                "image-download-server",
                false,
                "198.51.100.20/32",
                "Tcp",
                "443",
            ),
        ]);
    }
    map
}

#[test]
fn longhorn_overlay_and_routed() {
    for terraform in terraforms() {
        // Overlay: every flow between Longhorn roles ends at a pod; only the Outbound rules to endpoints remain.
        let context = format!("Terraform {} longhorn overlay", terraform.version);
        let outputs = apply(terraform, LONGHORN);
        assert_same(
            &context,
            &read(&context, &outputs, false, FULL_RANGE),
            &longhorn_outbound(),
        );
        assert_eq!(
            outputs["not_needed"]["value"].as_array().map(Vec::len),
            Some(20),
            "{context}: the 19 flows to pods of ports.md §1.3 and the API server calling the webhooks"
        );

        // Routed: every flow between roles, all on master and worker, merged per tier pair (see the GCP test for
        // the rows behind each range).
        let context = format!("Terraform {} longhorn routed", terraform.version);
        let outputs = apply(
            terraform,
            &format!("{LONGHORN}\n  pod_network = \"routed\"\n"),
        );
        let mut expected = longhorn_outbound();
        let ports = "2049,3260,8000,8002,8500-8504,9500-9503,10000-31000";
        expected.extend(between_tiers(&[
            ("master", "master", "Tcp", ports),
            ("worker", "master", "Tcp", ports),
            ("master", "worker", "Tcp", ports),
            ("worker", "worker", "Tcp", ports),
        ]));
        // kube-apiserver calls the conversion and admission webhooks on the Longhorn Manager pods (the Longhorn
        // chart at bb2f2223: "Kubernetes API server source CIDRs allowed to access the Longhorn admission webhook").
        for tier in ["master", "worker"] {
            expected.extend([from_endpoint(
                "kubernetes-api-server",
                "10.0.0.10/32",
                tier,
                "Tcp",
                "9501-9502",
            )]);
        }
        assert_same(
            &context,
            &read(&context, &outputs, false, FULL_RANGE),
            &expected,
        );
    }
}

const STACK_ENDPOINTS: &str = r#"
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

const KUBERNETES: &str = "  platform {\n    name = \"kubernetes\"\n  }\n";
const CALICO: &str = "  platform {\n    name = \"calico\"\n  }\n";

#[test]
fn appending_platforms_keeps_every_priority() {
    // Kubernetes, then + Calico, then + Longhorn, each block appended: every rule of a step keeps its priority in
    // the next, whatever the rules the new platform adds (Calico's IP-in-IP becomes `*` rules with widen).
    let steps = [
        format!("{KUBERNETES}{STACK_ENDPOINTS}"),
        format!("{KUBERNETES}{CALICO}{STACK_ENDPOINTS}"),
        format!("{KUBERNETES}{CALICO}{STACK_ENDPOINTS}{LONGHORN}"),
    ];
    for terraform in terraforms() {
        let mut previous: Option<BTreeMap<String, i64>> = None;
        for (index, step) in steps.iter().enumerate() {
            let context = format!("Terraform {} step {index}", terraform.version);
            let inputs =
                format!("{step}  unsupported_flows = \"widen\"\n  pod_network = \"routed\"\n");
            let outputs = apply(terraform, &inputs);
            read(&context, &outputs, false, FULL_RANGE);
            let priorities: BTreeMap<String, i64> = outputs["rules"]["value"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v["priority"].as_i64().unwrap_or_default()))
                .collect();
            if let Some(before) = &previous {
                let added = priorities.len() - before.len();
                assert!(added > 0, "{context}: the platform adds rules");
                for (name, priority) in before {
                    assert_eq!(
                        priorities.get(name),
                        Some(priority),
                        "{context}: {name} was renumbered"
                    );
                }
            }
            previous = Some(priorities);
        }
        // The full stack's key facts. Kubernetes "Control plane / Inbound | TCP | 6443 | All" from the clients;
        // "Worker node(s) / Inbound | TCP | 10256 | kube-proxy | Self, Load balancers".
        let context = format!("Terraform {} stack", terraform.version);
        let outputs = apply(
            terraform,
            &format!("{}  unsupported_flows = \"widen\"\n", steps[2]),
        );
        let rules = read(&context, &outputs, false, FULL_RANGE);
        assert_eq!(
            rules["pm-in-api-clients-to-master-tcp"].ports, "6443",
            "{context}"
        );
        assert_eq!(
            rules["pm-in-api-clients-to-master-tcp"].source,
            "prefixes:203.0.113.0/24"
        );
        assert_eq!(rules["pm-in-load-balancers-to-worker-tcp"].ports, "10256");
        // Calico BGP 179, Typha 5473, the API server 6443 (Kubernetes "All"; Calico "All | kube-apiserver
        // host") and the kubelet 10250 for metrics-server ("Metrics Server to Kubelet on all nodes"); IP-in-IP only
        // as the widened `*` rule.
        assert_eq!(
            rules["pm-in-worker-to-master-tcp"].ports, "179,5473,6443,10250",
            "{context}"
        );
        assert_eq!(rules["pm-in-worker-to-master-any"].ports, "*", "{context}");
        // Kubernetes "Worker node(s) / Inbound": 10250 from the control plane, NodePort TCP and UDP from "All".
        assert_eq!(
            rules["pm-in-master-to-worker-tcp"].ports, "179,5473,10250,30000-32767",
            "{context}"
        );
        assert_eq!(rules["pm-in-master-to-worker-udp"].ports, "30000-32767");
    }
}

#[test]
fn bad_options_are_plan_errors_on_their_argument() {
    for terraform in terraforms() {
        let context = format!("Terraform {}", terraform.version);
        let inputs = format!(
            "{DECKHOUSE}  unsupported_flows = \"any\"\n  first_priority = 50\n  last_priority = 5000\n"
        );
        let error = squash(&Workspace::new(terraform, &config(&inputs)).plan_error());
        for needle in [
            "Invalid unsupported_flows",
            "\"any\" is not a choice",
            "Invalid first_priority",
            "Invalid last_priority",
            "from 100 to 4096",
        ] {
            assert!(
                error.contains(needle),
                "{context}: {needle:?} not in:\n{error}"
            );
        }
        let narrow = format!("{DECKHOUSE}  first_priority = 200\n  last_priority = 205\n");
        let error = squash(&Workspace::new(terraform, &config(&narrow)).plan_error());
        assert!(
            error.contains("Not enough priorities")
                && error.contains("the cluster's NSG needs 12 inbound rules")
                && error.contains("(200..205) holds 6"),
            "{context}: {error}"
        );
    }
}

/// A configuration without its `resource` blocks: the AzureRM provider cannot be installed here.
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
        .join("examples/data-sources/portmatrix_azure_nsg_rules/data-source.tf");
    let example = std::fs::read_to_string(&path).expect("data-source.tf");
    assert!(example.contains("for_each = data.portmatrix_azure_nsg_rules.cluster.rules"));
    let config = without_resources(&example)
        + "\noutput \"rules\" {\n  value = data.portmatrix_azure_nsg_rules.cluster.rules\n}\n";
    for terraform in terraforms() {
        let context = format!("Terraform {} example", terraform.version);
        let outputs = Workspace::new(terraform, &config).outputs();
        let rules = read(&context, &outputs, false, (100, 4095));
        // Calico "Calico networking with VXLAN enabled | All | UDP 4789": exact, so no `*` rule is needed.
        assert!(
            rules["pm-in-worker-to-master-udp"]
                .ports
                .split(',')
                .any(|p| p == "4789"),
            "{context}: {:?}",
            rules["pm-in-worker-to-master-udp"]
        );
        assert!(!rules.values().any(|r| r.protocol == "*"), "{context}");
        let warnings = warnings(&outputs);
        assert!(
            warnings.iter().any(|w| w.contains("image-download-server")),
            "{context}: {warnings:?}"
        );
    }
}
