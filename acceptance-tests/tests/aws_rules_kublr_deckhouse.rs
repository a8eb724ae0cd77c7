//! The complete AWS rule sets of `portmatrix_aws_security_group_rules` for Kublr and Deckhouse, under every
//! Terraform.
//!
//! The expected tables are written by hand from the source documents, never from the program's output:
//! Kublr's "Network Access" page (shared/seeds/004_47f2e9499fd6d2ef.txt, Tables 1-5) and Deckhouse's port
//! requirements for v1.63-v1.66 (shared/seeds/002_9b596b334cd8af9c.txt). Each row applies the engine's rules:
//! "Node" means the master and worker tiers and node-to-node rows give every ordered pair of them; a TCP/UDP row
//! gives a tcp and a udp rule; IP-in-IP is ip_protocol "4" without ports; ICMP without types is type -1, code -1;
//! tcp/udp ranges that overlap or touch merge per (group, peer, protocol); a rule from or to an endpoint becomes
//! one rule per CIDR or prefix list. All roles of both platforms are host roles, so every flow needs a rule.
//! Default tiers: master, worker, lb (no `tier` blocks).

mod common;

use common::{
    assert_rules, assert_tier_counts, expected, family_counts, mirror, rules, warnings, Direction,
    Row, Rule,
};
use portmatrix_acceptance_tests::{terraforms, Workspace};
use serde_json::Value;
use std::collections::BTreeSet;

/// AWS's default quota of rules per security group and direction, the data source's default `rules_per_group`.
const DEFAULT_RULES_PER_GROUP: u64 = 60;

/// The default tiers.
const TIERS: [&str; 3] = ["master", "worker", "lb"];

/// One `platform` block.
struct Platform<'a> {
    name: &'a str,
    version: Option<&'a str>,
    options: &'a [(&'a str, &'a str)],
}

/// One `endpoint` block; empty lists are left out.
struct Endpoint<'a> {
    name: &'a str,
    cidr_ipv4: &'a [&'a str],
    cidr_ipv6: &'a [&'a str],
    prefix_list_ids: &'a [&'a str],
}

/// A `portmatrix_aws_security_group_rules.cluster` data source with the default tiers, and the outputs
/// `ingress`, `egress`, `tiers` and `warnings`.
fn config(platform: &Platform, endpoints: &[Endpoint]) -> String {
    let mut hcl = format!(
        "data \"portmatrix_aws_security_group_rules\" \"cluster\" {{\n  platform {{\n    name = \"{}\"\n",
        platform.name
    );
    if let Some(version) = platform.version {
        hcl.push_str(&format!("    version = \"{version}\"\n"));
    }
    if !platform.options.is_empty() {
        let options: Vec<String> = platform
            .options
            .iter()
            .map(|(name, value)| format!("{name} = \"{value}\""))
            .collect();
        hcl.push_str(&format!("    options = {{ {} }}\n", options.join(", ")));
    }
    hcl.push_str("  }\n");
    for endpoint in endpoints {
        hcl.push_str(&format!(
            "  endpoint {{\n    name = \"{}\"\n",
            endpoint.name
        ));
        for (attribute, values) in [
            ("cidr_ipv4", endpoint.cidr_ipv4),
            ("cidr_ipv6", endpoint.cidr_ipv6),
            ("prefix_list_ids", endpoint.prefix_list_ids),
        ] {
            if !values.is_empty() {
                let list = serde_json::to_string(values).expect("strings serialize");
                hcl.push_str(&format!("    {attribute} = {list}\n"));
            }
        }
        hcl.push_str("  }\n");
    }
    hcl.push_str("}\n");
    for output in ["ingress", "egress", "tiers", "warnings"] {
        hcl.push_str(&format!(
            "\noutput \"{output}\" {{\n  value = data.portmatrix_aws_security_group_rules.cluster.{output}\n}}\n"
        ));
    }
    hcl
}

/// Compares one case's outputs with its tables: `ingress` and `egress` exactly (the common reader also checks
/// every key, peer, description and port field), every entry's platform, and the `tiers` output, whose counts
/// ([ingress_ipv4, ingress_ipv6, egress_ipv4, egress_ipv6]) must be the hand-counted `counts` and the limit the
/// default quota.
fn check_rule_sets(
    context: &str,
    outputs: &Value,
    platform: &str,
    ingress: &BTreeSet<Rule>,
    egress: &BTreeSet<Rule>,
    counts: &[(&str, [u64; 4])],
) {
    for (direction, expected) in [(Direction::Ingress, ingress), (Direction::Egress, egress)] {
        let name = match direction {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        };
        let what = format!("{context} {name}");
        let actual = rules(&what, &outputs[name]["value"], direction);
        assert_rules(&what, &actual, expected);
        for (key, value) in outputs[name]["value"].as_object().into_iter().flatten() {
            assert_eq!(
                value["platforms"],
                serde_json::json!([platform]),
                "{what}: {key}"
            );
        }
    }
    let tiers_output = &outputs["tiers"]["value"];
    assert_tier_counts(context, tiers_output, &TIERS, ingress, egress);
    let ingress_counts = family_counts(ingress, &TIERS);
    let egress_counts = family_counts(egress, &TIERS);
    for (tier, [in4, in6, out4, out6]) in counts {
        assert_eq!(
            (ingress_counts[*tier], egress_counts[*tier]),
            ((*in4, *in6), (*out4, *out6)),
            "{context}: the hand counts of tier {tier} contradict the tables"
        );
        assert_eq!(
            tiers_output[*tier]["limit"].as_u64(),
            Some(DEFAULT_RULES_PER_GROUP),
            "{context}: limit of tier {tier}: {}",
            tiers_output[*tier]
        );
    }
}

/// Egress rules on each of `tiers` to each of `peers` ("{endpoint}:{address}"): (protocol, from_port, to_port).
fn endpoint_egress(tiers: &[&str], peers: &[&str], rules: &[(&str, i64, i64)]) -> BTreeSet<Rule> {
    let mut set = BTreeSet::new();
    for tier in tiers {
        for peer in peers {
            for (protocol, from, to) in rules {
                set.insert((
                    tier.to_string(),
                    peer.to_string(),
                    protocol.to_string(),
                    Some(*from),
                    Some(*to),
                ));
            }
        }
    }
    set
}

/// The plan's "Changes to Outputs" section shows every one of `needles`.
fn assert_plan_shows_outputs(context: &str, plan_stdout: &str, needles: &[&str]) {
    let (_, section) = plan_stdout
        .split_once("Changes to Outputs")
        .unwrap_or_else(|| {
            panic!("{context}: no \"Changes to Outputs\" in the plan:\n{plan_stdout}")
        });
    for needle in needles {
        assert!(
            section.contains(needle),
            "{context}: the plan's outputs lack {needle}:\n{section}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Kublr (seed 004). Table 5 (KCP Nodes -> managed cluster API / cloud API / masters) has an external source the
// configurations give no addresses for, so it adds no rule in any case; 11250 (Tables 2 and 5) needs
// Bring-your-own-infrastructure, which stays off.

/// Kublr, CNI Canal (the default), not air-gapped, no master or ingress LB.
const KUBLR_CANAL_INGRESS: &[Row<'static>] = &[
    // Table 1 (Node to Node): "10250 TCP Kubelet API", "8472 UDP Canal (default) Canal",
    // "5473 TCP Canal (default) Calico Typha"; Node = master and worker, every ordered pair.
    ("master", "master", "tcp", Some(5473), Some(5473)),
    ("master", "master", "tcp", Some(10250), Some(10250)),
    ("master", "master", "udp", Some(8472), Some(8472)),
    ("master", "worker", "tcp", Some(5473), Some(5473)),
    ("master", "worker", "tcp", Some(10250), Some(10250)),
    ("master", "worker", "udp", Some(8472), Some(8472)),
    ("worker", "master", "tcp", Some(5473), Some(5473)),
    ("worker", "master", "tcp", Some(10250), Some(10250)),
    ("worker", "master", "udp", Some(8472), Some(8472)),
    ("worker", "worker", "tcp", Some(5473), Some(5473)),
    ("worker", "worker", "tcp", Some(10250), Some(10250)),
    ("worker", "worker", "udp", Some(8472), Some(8472)),
    // Table 2 (Workers to Masters): "443 TCP Kubernetes API".
    ("master", "worker", "tcp", Some(443), Some(443)),
    // Table 3 (Master to Masters): "2379 TCP Etcd" and "2380 TCP Etcd" touch, so they merge.
    ("master", "master", "tcp", Some(2379), Some(2380)),
    // Table 4 (Other): the Node -> Internet rows go outside the cluster (egress only); the LB rows need an LB.
];

/// Kublr with Canal: egress on the source tier's group.
const KUBLR_CANAL_EGRESS: &[Row<'static>] = &[
    // Table 1 (Node to Node), Canal rows, seen from the source: every ordered pair of master and worker.
    ("master", "master", "tcp", Some(5473), Some(5473)),
    ("master", "master", "tcp", Some(10250), Some(10250)),
    ("master", "master", "udp", Some(8472), Some(8472)),
    ("master", "worker", "tcp", Some(5473), Some(5473)),
    ("master", "worker", "tcp", Some(10250), Some(10250)),
    ("master", "worker", "udp", Some(8472), Some(8472)),
    ("worker", "master", "tcp", Some(5473), Some(5473)),
    ("worker", "master", "tcp", Some(10250), Some(10250)),
    ("worker", "master", "udp", Some(8472), Some(8472)),
    ("worker", "worker", "tcp", Some(5473), Some(5473)),
    ("worker", "worker", "tcp", Some(10250), Some(10250)),
    ("worker", "worker", "udp", Some(8472), Some(8472)),
    // Table 2 (Workers to Masters): "443 TCP Kubernetes API", on the workers' group.
    ("worker", "master", "tcp", Some(443), Some(443)),
    // Table 3 (Master to Masters): 2379 and 2380 merged.
    ("master", "master", "tcp", Some(2379), Some(2380)),
    // Table 4 (Other), non-air-gap deployment: "53 TCP/UDP Node Internet DNS" (two rules) and
    // "443 TCP Node Internet HTTPS to binary repositories"; 53 and 443 do not touch.
    ("master", "internet:0.0.0.0/0", "tcp", Some(53), Some(53)),
    ("master", "internet:0.0.0.0/0", "tcp", Some(443), Some(443)),
    ("master", "internet:0.0.0.0/0", "udp", Some(53), Some(53)),
    ("worker", "internet:0.0.0.0/0", "tcp", Some(53), Some(53)),
    ("worker", "internet:0.0.0.0/0", "tcp", Some(443), Some(443)),
    ("worker", "internet:0.0.0.0/0", "udp", Some(53), Some(53)),
];

/// Kublr, CNI Calico (Table 1 Calico rows, Tables 2 and 3). The same for the air-gapped case.
const KUBLR_CALICO_INGRESS: &[Row<'static>] = &[
    // Table 1 (Node to Node): "10250 TCP Kubelet API", "4 (IP-in-IP) Calico Calico IP-in-IP" (IP protocol 4,
    // no ports), "179 TCP Calico BGP", "8472 UDP Calico VXLAN/Flannel", "5473 TCP Calico Typha";
    // every ordered pair of master and worker.
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
    // Table 3 (Master to Masters): 2379 and 2380 merged.
    ("master", "master", "tcp", Some(2379), Some(2380)),
];

/// Kublr, air-gapped, with a master LB and an ingress LB: the rows these add to [`KUBLR_CALICO_INGRESS`].
const KUBLR_LB_INGRESS: &[Row<'static>] = &[
    // Table 4 (Other): "443 TCP Master LB Master master LB"; the Master LB is on the lb tier.
    ("master", "lb", "tcp", Some(443), Some(443)),
    // Table 4 (Other): "30000-32767 TCP/UDP Ingress LB Workers ingress LB" (two rules).
    ("worker", "lb", "tcp", Some(30000), Some(32767)),
    ("worker", "lb", "udp", Some(30000), Some(32767)),
];

fn kublr_config(options: &[(&str, &str)], endpoints: &[Endpoint]) -> String {
    let platform = Platform {
        name: "kublr",
        version: None,
        options,
    };
    config(&platform, endpoints)
}

const INTERNET: Endpoint = Endpoint {
    name: "internet",
    cidr_ipv4: &["0.0.0.0/0"],
    cidr_ipv6: &[],
    prefix_list_ids: &[],
};

/// The Kublr Control Plane rows (Table 5) are skipped with warnings: KCP Nodes run on no tier and the
/// configurations give no addresses for them, for the managed clusters' API or for the cloud API.
fn assert_kcp_rows_skipped(context: &str, outputs: &Value) {
    let warnings = warnings(outputs);
    for name in ["kcp-node", "managed-cluster-api", "cloud-api"] {
        assert!(
            warnings.iter().any(|w| w.contains(name)),
            "{context}: no warning names {name} of the skipped Table 5 rows: {warnings:?}"
        );
    }
}

#[test]
fn kublr_canal_rules_match_the_network_access_page() {
    let config = kublr_config(&[], &[INTERNET]);
    let ingress = expected(KUBLR_CANAL_INGRESS);
    let egress = expected(KUBLR_CANAL_EGRESS);
    // The hand-written egress table is the mirror of the ingress table plus the Internet rows.
    let internet = endpoint_egress(
        &["master", "worker"],
        &["internet:0.0.0.0/0"],
        &[("tcp", 53, 53), ("udp", 53, 53), ("tcp", 443, 443)],
    );
    assert_eq!(
        mirror(&ingress, &TIERS)
            .union(&internet)
            .cloned()
            .collect::<BTreeSet<_>>(),
        egress,
        "the Kublr Canal tables contradict each other"
    );
    for terraform in terraforms() {
        let context = format!("Terraform {} kublr canal", terraform.version);
        let workspace = Workspace::new(terraform, &config);
        let plan = workspace.plan();
        assert_plan_shows_outputs(
            &context,
            &plan.stdout,
            &[
                "\"master:tcp:2379-2380:master\"",
                "\"worker:udp:8472:master\"",
                "10250",
                "\"master:tcp:443:0.0.0.0/0\"",
            ],
        );
        let outputs = workspace.outputs();
        check_rule_sets(
            &context,
            &outputs,
            "kublr",
            &ingress,
            &egress,
            // [ingress_ipv4, ingress_ipv6, egress_ipv4, egress_ipv6]: security-group rules count in both
            // families, the three Internet rules in IPv4 only.
            &[
                ("master", [8, 8, 10, 7]),
                ("worker", [6, 6, 10, 7]),
                ("lb", [0, 0, 0, 0]),
            ],
        );
        assert_kcp_rows_skipped(&context, &outputs);
    }
}

#[test]
fn kublr_calico_rules_match_the_network_access_page() {
    let config = kublr_config(&[("cni", "calico")], &[INTERNET]);
    // Table 4 (Other), non-air-gap deployment: DNS on 53 TCP/UDP and HTTPS on 443 TCP to the Internet.
    let ingress = expected(KUBLR_CALICO_INGRESS);
    let egress: BTreeSet<Rule> = mirror(&ingress, &TIERS)
        .union(&endpoint_egress(
            &["master", "worker"],
            &["internet:0.0.0.0/0"],
            &[("tcp", 53, 53), ("udp", 53, 53), ("tcp", 443, 443)],
        ))
        .cloned()
        .collect();
    for terraform in terraforms() {
        let context = format!("Terraform {} kublr calico", terraform.version);
        let outputs = Workspace::new(terraform, &config).outputs();
        check_rule_sets(
            &context,
            &outputs,
            "kublr",
            &ingress,
            &egress,
            &[
                ("master", [12, 12, 14, 11]),
                ("worker", [10, 10, 14, 11]),
                ("lb", [0, 0, 0, 0]),
            ],
        );
        let ipip = &outputs["ingress"]["value"]["worker:4:all:master"];
        assert_eq!(ipip["ip_protocol"], "4", "{context}: {ipip}");
        assert!(
            ipip["from_port"].is_null() && ipip["to_port"].is_null(),
            "{context}: {ipip}"
        );
        assert_kcp_rows_skipped(&context, &outputs);
    }
}

#[test]
fn kublr_calico_air_gapped_with_load_balancers_matches_the_network_access_page() {
    // The Internet endpoint is given too: an air-gap deployment must not use it.
    let config = kublr_config(
        &[
            ("cni", "calico"),
            ("air_gap", "true"),
            ("master_lb", "true"),
            ("ingress_lb", "true"),
        ],
        &[
            INTERNET,
            Endpoint {
                name: "intranet",
                cidr_ipv4: &["10.0.0.0/8"],
                cidr_ipv6: &[],
                prefix_list_ids: &[],
            },
        ],
    );
    let rows: Vec<Row> = KUBLR_CALICO_INGRESS
        .iter()
        .chain(KUBLR_LB_INGRESS)
        .copied()
        .collect();
    let ingress = expected(&rows);
    // Table 4 (Other), air-gap deployment: "53 TCP/UDP Node Intranet Intra-organizational DNS" and
    // "443 TCP Node Intranet Intra-organizational binary repository(ies)".
    let egress: BTreeSet<Rule> = mirror(&ingress, &TIERS)
        .union(&endpoint_egress(
            &["master", "worker"],
            &["intranet:10.0.0.0/8"],
            &[("tcp", 53, 53), ("udp", 53, 53), ("tcp", 443, 443)],
        ))
        .cloned()
        .collect();
    for terraform in terraforms() {
        let context = format!("Terraform {} kublr calico air-gapped", terraform.version);
        let outputs = Workspace::new(terraform, &config).outputs();
        check_rule_sets(
            &context,
            &outputs,
            "kublr",
            &ingress,
            &egress,
            &[
                ("master", [13, 13, 14, 11]),
                ("worker", [12, 12, 14, 11]),
                ("lb", [0, 0, 3, 3]),
            ],
        );
        assert_kcp_rows_skipped(&context, &outputs);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Deckhouse 1.64 (seed 002, the table of v1.63-v1.66). Roles: "master" = master tier; "nodes" = master and
// worker tiers; "frontends" = worker tier. The page lists every row without a condition; rows whose purpose names
// an optional module (cloud-provider-vcd, runtime-audit-engine, sds-*, virtualization, metallb,
// l2-load-balancer, openvpn, ingress-nginx HostWithFailover, node-local-dns, ebpf-exporter, kube-router) apply
// only when that module's option is on; the Cilium rows apply with the default CNI, Cilium.

/// Deckhouse 1.64, every module option off ([`DECKHOUSE_MODULES_OFF`]), CNI Cilium. No endpoints are given, so the
/// "External traffic ..." tables add no rule.
const DECKHOUSE_DEFAULT_INGRESS: &[Row<'static>] = &[
    // master <- master: "Master to master nodes traffic" (2379, 2380; 4200; 4223), "Master to nodes traffic"
    // (22; 10250; 4221), "Nodes to masters traffic" (4234 UDP; 6443; 4203; 4219; 4222), "Nodes to nodes
    // traffic" (ICMP; 8469, 8472 UDP; 4204; 4206; 4209; 4210; 4211; 4240; 4241; 4242; 4244).
    ("master", "master", "icmp", Some(-1), Some(-1)),
    ("master", "master", "tcp", Some(22), Some(22)),
    ("master", "master", "tcp", Some(2379), Some(2380)),
    ("master", "master", "tcp", Some(4200), Some(4200)),
    ("master", "master", "tcp", Some(4203), Some(4204)), // 4203 MCM metrics + 4204 controller debug
    ("master", "master", "tcp", Some(4206), Some(4206)),
    ("master", "master", "tcp", Some(4209), Some(4211)), // control plane, kube-proxy, Cluster API metrics
    ("master", "master", "tcp", Some(4219), Some(4219)),
    ("master", "master", "tcp", Some(4221), Some(4223)), // bashible, controller metrics, webhook handler
    ("master", "master", "tcp", Some(4240), Some(4242)), // Cilium healthcheck, agent and operator metrics
    ("master", "master", "tcp", Some(4244), Some(4244)),
    ("master", "master", "tcp", Some(6443), Some(6443)),
    ("master", "master", "tcp", Some(10250), Some(10250)),
    ("master", "master", "udp", Some(4234), Some(4234)),
    ("master", "master", "udp", Some(8469), Some(8469)),
    ("master", "master", "udp", Some(8472), Some(8472)),
    // master <- worker: "Nodes to masters traffic" and "Nodes to nodes traffic".
    ("master", "worker", "icmp", Some(-1), Some(-1)),
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
    ("worker", "master", "icmp", Some(-1), Some(-1)),
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
    ("worker", "worker", "icmp", Some(-1), Some(-1)),
    ("worker", "worker", "tcp", Some(4204), Some(4204)),
    ("worker", "worker", "tcp", Some(4206), Some(4206)),
    ("worker", "worker", "tcp", Some(4209), Some(4211)),
    ("worker", "worker", "tcp", Some(4240), Some(4242)),
    ("worker", "worker", "tcp", Some(4244), Some(4244)),
    ("worker", "worker", "udp", Some(8469), Some(8469)),
    ("worker", "worker", "udp", Some(8472), Some(8472)),
];

/// Every module option off (they default to on): the rows no optional module adds.
const DECKHOUSE_MODULES_OFF: &[(&str, &str)] = &[
    ("cloud_provider_vcd", "false"),
    ("runtime_audit_engine", "false"),
    ("sds_replicated_volume", "false"),
    ("sds_node_configurator", "false"),
    ("virtualization", "false"),
    ("metallb", "false"),
    ("l2_load_balancer", "false"),
    ("openvpn", "false"),
    ("node_local_dns", "false"),
    ("ebpf_exporter", "false"),
    ("kube_router", "false"),
];

/// The modules [`deckhouse_modules_rules_match_the_port_table`] turns on, and the four it turns off.
const DECKHOUSE_MODULES: &[(&str, &str)] = &[
    ("cloud_provider_vcd", "false"),
    ("sds_node_configurator", "false"),
    ("ebpf_exporter", "false"),
    ("kube_router", "false"),
    ("sds_replicated_volume", "true"),
    ("virtualization", "true"),
    ("metallb", "true"),
    ("l2_load_balancer", "true"),
    ("openvpn", "true"),
    ("node_local_dns", "true"),
    ("runtime_audit_engine", "true"),
    ("ingress_host_with_failover", "true"),
];

/// Deckhouse 1.64 with [`DECKHOUSE_MODULES`] on (cloud-provider-vcd, sds-node-configurator, ebpf-exporter and
/// kube-router stay off) and addresses for every external endpoint.
const DECKHOUSE_MODULES_INGRESS: &[Row<'static>] = &[
    // master <- master: the default rows plus "Master to nodes traffic" 4227 (runtime-audit-engine webhook) and
    // "Nodes to nodes traffic" 7000-7999 (DRBD), 3367 and 9942 (sds-replicated-volume), 4207, 4208
    // (HostWithFailover), 4212 (runtime-audit-engine metrics), 49152, 49153 (virtualization), 4218 TCP/UDP and
    // 4220 (metallb), 4225 TCP/UDP and 4226 (l2-load-balancer), 4224 (node-local-dns).
    ("master", "master", "icmp", Some(-1), Some(-1)),
    ("master", "master", "tcp", Some(22), Some(22)),
    ("master", "master", "tcp", Some(2379), Some(2380)),
    ("master", "master", "tcp", Some(3367), Some(3367)),
    ("master", "master", "tcp", Some(4200), Some(4200)),
    ("master", "master", "tcp", Some(4203), Some(4204)),
    ("master", "master", "tcp", Some(4206), Some(4212)), // 4206, 4207, 4208, 4209, 4210, 4211, 4212
    ("master", "master", "tcp", Some(4218), Some(4227)), // 4218 .. 4227, every port of the span listed
    ("master", "master", "tcp", Some(4240), Some(4242)),
    ("master", "master", "tcp", Some(4244), Some(4244)),
    ("master", "master", "tcp", Some(6443), Some(6443)),
    ("master", "master", "tcp", Some(7000), Some(7999)),
    ("master", "master", "tcp", Some(9942), Some(9942)),
    ("master", "master", "tcp", Some(10250), Some(10250)),
    ("master", "master", "tcp", Some(49152), Some(49153)),
    ("master", "master", "udp", Some(4218), Some(4218)),
    ("master", "master", "udp", Some(4225), Some(4225)),
    ("master", "master", "udp", Some(4234), Some(4234)),
    ("master", "master", "udp", Some(8469), Some(8469)),
    ("master", "master", "udp", Some(8472), Some(8472)),
    // master <- worker: "Nodes to masters traffic" (4234 UDP; 6443; 4203; 4219; 4222) and "Nodes to nodes
    // traffic" with the modules.
    ("master", "worker", "icmp", Some(-1), Some(-1)),
    ("master", "worker", "tcp", Some(3367), Some(3367)),
    ("master", "worker", "tcp", Some(4203), Some(4204)),
    ("master", "worker", "tcp", Some(4206), Some(4212)),
    ("master", "worker", "tcp", Some(4218), Some(4220)), // metallb 4218, proxy 4219, metallb metrics 4220
    ("master", "worker", "tcp", Some(4222), Some(4222)),
    ("master", "worker", "tcp", Some(4224), Some(4226)), // node-local-dns 4224, l2-load-balancer 4225, 4226
    ("master", "worker", "tcp", Some(4240), Some(4242)),
    ("master", "worker", "tcp", Some(4244), Some(4244)),
    ("master", "worker", "tcp", Some(6443), Some(6443)),
    ("master", "worker", "tcp", Some(7000), Some(7999)),
    ("master", "worker", "tcp", Some(9942), Some(9942)),
    ("master", "worker", "tcp", Some(49152), Some(49153)),
    ("master", "worker", "udp", Some(4218), Some(4218)),
    ("master", "worker", "udp", Some(4225), Some(4225)),
    ("master", "worker", "udp", Some(4234), Some(4234)),
    ("master", "worker", "udp", Some(8469), Some(8469)),
    ("master", "worker", "udp", Some(8472), Some(8472)),
    // worker <- master: "Master to nodes traffic" (22; 10250; 4221; 4227) and "Nodes to nodes traffic".
    ("worker", "master", "icmp", Some(-1), Some(-1)),
    ("worker", "master", "tcp", Some(22), Some(22)),
    ("worker", "master", "tcp", Some(3367), Some(3367)),
    ("worker", "master", "tcp", Some(4204), Some(4204)),
    ("worker", "master", "tcp", Some(4206), Some(4212)),
    ("worker", "master", "tcp", Some(4218), Some(4218)),
    ("worker", "master", "tcp", Some(4220), Some(4221)), // metallb metrics 4220, bashible 4221
    ("worker", "master", "tcp", Some(4224), Some(4227)), // 4224, 4225, 4226, runtime-audit-engine 4227
    ("worker", "master", "tcp", Some(4240), Some(4242)),
    ("worker", "master", "tcp", Some(4244), Some(4244)),
    ("worker", "master", "tcp", Some(7000), Some(7999)),
    ("worker", "master", "tcp", Some(9942), Some(9942)),
    ("worker", "master", "tcp", Some(10250), Some(10250)),
    ("worker", "master", "tcp", Some(49152), Some(49153)),
    ("worker", "master", "udp", Some(4218), Some(4218)),
    ("worker", "master", "udp", Some(4225), Some(4225)),
    ("worker", "master", "udp", Some(8469), Some(8469)),
    ("worker", "master", "udp", Some(8472), Some(8472)),
    // worker <- worker: "Nodes to nodes traffic" with the modules.
    ("worker", "worker", "icmp", Some(-1), Some(-1)),
    ("worker", "worker", "tcp", Some(3367), Some(3367)),
    ("worker", "worker", "tcp", Some(4204), Some(4204)),
    ("worker", "worker", "tcp", Some(4206), Some(4212)),
    ("worker", "worker", "tcp", Some(4218), Some(4218)),
    ("worker", "worker", "tcp", Some(4220), Some(4220)),
    ("worker", "worker", "tcp", Some(4224), Some(4226)),
    ("worker", "worker", "tcp", Some(4240), Some(4242)),
    ("worker", "worker", "tcp", Some(4244), Some(4244)),
    ("worker", "worker", "tcp", Some(7000), Some(7999)),
    ("worker", "worker", "tcp", Some(9942), Some(9942)),
    ("worker", "worker", "tcp", Some(49152), Some(49153)),
    ("worker", "worker", "udp", Some(4218), Some(4218)),
    ("worker", "worker", "udp", Some(4225), Some(4225)),
    ("worker", "worker", "udp", Some(8469), Some(8469)),
    ("worker", "worker", "udp", Some(8472), Some(8472)),
    // "External traffic to masters": "22, 22322 TCP SSH for ... initialization", "6443 TCP kube-apiserver for
    // local administrators"; none of 22, 6443, 22322 touch.
    (
        "master",
        "administrators:203.0.113.0/24",
        "tcp",
        Some(22),
        Some(22),
    ),
    (
        "master",
        "administrators:203.0.113.0/24",
        "tcp",
        Some(6443),
        Some(6443),
    ),
    (
        "master",
        "administrators:203.0.113.0/24",
        "tcp",
        Some(22322),
        Some(22322),
    ),
    // "External traffic to frontends": "80, 443 TCP", "5416 UDP OpenVPN", "5416 TCP OpenVPN",
    // "30000-32767 TCP NodePort range", one rule per CIDR of the clients (IPv4 and IPv6).
    (
        "worker",
        "frontend-clients:0.0.0.0/0",
        "tcp",
        Some(80),
        Some(80),
    ),
    (
        "worker",
        "frontend-clients:0.0.0.0/0",
        "tcp",
        Some(443),
        Some(443),
    ),
    (
        "worker",
        "frontend-clients:0.0.0.0/0",
        "tcp",
        Some(5416),
        Some(5416),
    ),
    (
        "worker",
        "frontend-clients:0.0.0.0/0",
        "tcp",
        Some(30000),
        Some(32767),
    ),
    (
        "worker",
        "frontend-clients:0.0.0.0/0",
        "udp",
        Some(5416),
        Some(5416),
    ),
    ("worker", "frontend-clients:::/0", "tcp", Some(80), Some(80)),
    (
        "worker",
        "frontend-clients:::/0",
        "tcp",
        Some(443),
        Some(443),
    ),
    (
        "worker",
        "frontend-clients:::/0",
        "tcp",
        Some(5416),
        Some(5416),
    ),
    (
        "worker",
        "frontend-clients:::/0",
        "tcp",
        Some(30000),
        Some(32767),
    ),
    (
        "worker",
        "frontend-clients:::/0",
        "udp",
        Some(5416),
        Some(5416),
    ),
    // "External traffic to frontends": "10256 TCP healthcheck port for external balancers".
    (
        "worker",
        "external-balancers:198.51.100.0/24",
        "tcp",
        Some(10256),
        Some(10256),
    ),
];

/// The addresses of Deckhouse's external endpoints in [`deckhouse_modules_rules_match_the_port_table`].
const DECKHOUSE_ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "administrators",
        cidr_ipv4: &["203.0.113.0/24"],
        cidr_ipv6: &[],
        prefix_list_ids: &[],
    },
    Endpoint {
        name: "frontend-clients",
        cidr_ipv4: &["0.0.0.0/0"],
        cidr_ipv6: &["::/0"],
        prefix_list_ids: &[],
    },
    Endpoint {
        name: "external-balancers",
        cidr_ipv4: &["198.51.100.0/24"],
        cidr_ipv6: &[],
        prefix_list_ids: &[],
    },
    Endpoint {
        name: "dns-servers",
        cidr_ipv4: &["10.0.0.2/32"],
        cidr_ipv6: &[],
        prefix_list_ids: &[],
    },
    Endpoint {
        name: "ntp-servers",
        cidr_ipv4: &["169.254.169.123/32"],
        cidr_ipv6: &[],
        prefix_list_ids: &[],
    },
    Endpoint {
        name: "container-registry",
        cidr_ipv4: &["10.1.0.0/16"],
        cidr_ipv6: &[],
        prefix_list_ids: &["pl-0123456789abcdef0"],
    },
];

/// Endpoint names the Deckhouse table's "External traffic ..." rows need.
const DECKHOUSE_ENDPOINT_NAMES: [&str; 6] = [
    "administrators",
    "frontend-clients",
    "external-balancers",
    "dns-servers",
    "ntp-servers",
    "container-registry",
];

fn deckhouse_config(options: &[(&str, &str)], endpoints: &[Endpoint]) -> String {
    let platform = Platform {
        name: "deckhouse",
        version: Some("1.64"),
        options,
    };
    config(&platform, endpoints)
}

#[test]
fn deckhouse_modules_off_rules_match_the_port_table() {
    let config = deckhouse_config(DECKHOUSE_MODULES_OFF, &[]);
    // No endpoint is given, so egress holds only the mirrored tier rules.
    let ingress = expected(DECKHOUSE_DEFAULT_INGRESS);
    let egress = mirror(&ingress, &TIERS);
    for terraform in terraforms() {
        let context = format!("Terraform {} deckhouse 1.64 modules off", terraform.version);
        let outputs = Workspace::new(terraform, &config).outputs();
        check_rule_sets(
            &context,
            &outputs,
            "deckhouse",
            &ingress,
            &egress,
            &[
                ("master", [28, 28, 27, 27]),
                ("worker", [19, 19, 20, 20]),
                ("lb", [0, 0, 0, 0]),
            ],
        );
        let warnings = warnings(&outputs);
        for endpoint in DECKHOUSE_ENDPOINT_NAMES {
            assert!(
                warnings.iter().any(|w| w.contains(endpoint)),
                "{context}: no warning names the missing endpoint {endpoint}: {warnings:?}"
            );
        }
    }
}

#[test]
fn deckhouse_modules_rules_match_the_port_table() {
    let config = deckhouse_config(DECKHOUSE_MODULES, DECKHOUSE_ENDPOINTS);
    // "External traffic for all nodes" (the nodes connect out): "53 UDP DNS", "53 TCP DNS",
    // "123 UDP NTP for external time synchronization", "443 TCP Container registry" (one rule per CIDR and per
    // prefix list).
    let ingress = expected(DECKHOUSE_MODULES_INGRESS);
    let mut egress = mirror(&ingress, &TIERS);
    for (peer, rules) in [
        (
            "dns-servers:10.0.0.2/32",
            &[("tcp", 53, 53), ("udp", 53, 53)][..],
        ),
        ("ntp-servers:169.254.169.123/32", &[("udp", 123, 123)][..]),
        ("container-registry:10.1.0.0/16", &[("tcp", 443, 443)][..]),
        (
            "container-registry:pl-0123456789abcdef0",
            &[("tcp", 443, 443)][..],
        ),
    ] {
        egress.extend(endpoint_egress(&["master", "worker"], &[peer], rules));
    }
    for terraform in terraforms() {
        let context = format!("Terraform {} deckhouse 1.64 modules", terraform.version);
        let workspace = Workspace::new(terraform, &config);
        let plan = workspace.plan();
        assert_plan_shows_outputs(
            &context,
            &plan.stdout,
            &[
                "\"master:tcp:4218-4227:master\"",
                "\"worker:tcp:30000-32767:::/0\"",
                "49152",
            ],
        );
        let outputs = workspace.outputs();
        check_rule_sets(
            &context,
            &outputs,
            "deckhouse",
            &ingress,
            &egress,
            // The frontend clients' rules count once per family, the prefix list rule in both families.
            &[
                ("master", [41, 38, 43, 39]),
                ("worker", [40, 39, 39, 35]),
                ("lb", [0, 0, 0, 0]),
            ],
        );
        let registry = &outputs["egress"]["value"]["worker:tcp:443:pl-0123456789abcdef0"];
        assert_eq!(
            registry["prefix_list_id"], "pl-0123456789abcdef0",
            "{context}: {registry}"
        );
        let warnings = warnings(&outputs);
        for endpoint in DECKHOUSE_ENDPOINT_NAMES {
            assert!(
                !warnings.iter().any(|w| w.contains(endpoint)),
                "{context}: a warning names the given endpoint {endpoint}: {warnings:?}"
            );
        }
    }
}
