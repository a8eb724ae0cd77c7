//! `portmatrix_nftables_ruleset` under every Terraform: the rulesets of the AWS issue's stacks on static and
//! bare-metal nodes, compared with tables written by hand from the port documents, and every ruleset checked by
//! nftables itself (`nft -c -f`).
//!
//! Expected rules come from Kublr's "Network Access" page (shared/seeds/004_47f2e9499fd6d2ef.txt, Tables 1-5),
//! Deckhouse's port requirements for v1.63-v1.66 (shared/seeds/002_9b596b334cd8af9c.txt) and, for Kubernetes +
//! Calico + Longhorn, shared/reference/ports.md §1.3, §4 and §5 "Calico". They follow the expansion spec: "Node"
//! is the master and worker tiers and node-to-node rows give every ordered pair; TCP/UDP rows give a tcp and a udp
//! rule; IP-in-IP is IP protocol 4 (`meta l4proto 4`), never a port; tcp/udp ranges that overlap or touch merge
//! per peer and protocol. The nftables shape: a rule towards a tier is a line of that tier's input chain matching
//! the source's set (`ip saddr @tier_worker_v4`); with an output chain, a rule from a tier is a line of its output
//! chain matching the destination's set. One line per address family the peer has addresses in; ICMP exists in
//! IPv4 only.
//!
//! `nft -c` runs inside `unshare -rn` (a new user and network namespace: no privileges needed and the host's
//! ruleset untouched) where user namespaces are allowed, and directly otherwise (CI runs as root). A missing
//! `nft` fails the tests; acceptance-tests/setup.sh installs the Debian package nftables.

use portmatrix_acceptance_tests::{repo_root, terraforms, Terraform, Workspace};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

// ---------------------------------------------------------------------------------------------------------------
// nft -c

/// The program and leading arguments that run `nft` for a check.
fn nft_command() -> &'static (PathBuf, Vec<String>) {
    static FOUND: OnceLock<(PathBuf, Vec<String>)> = OnceLock::new();
    FOUND.get_or_init(|| {
        // /usr/sbin is not on every user's PATH.
        let nft = ["nft", "/usr/sbin/nft", "/sbin/nft"]
            .iter()
            .map(PathBuf::from)
            .find(|candidate| {
                Command::new(candidate)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
            .unwrap_or_else(|| {
                panic!("nft not found: run acceptance-tests/setup.sh, which installs the Debian package nftables")
            });
        let namespaces = Command::new("unshare")
            .args(["-rn", "true"])
            .output()
            .is_ok_and(|o| o.status.success());
        if namespaces {
            (
                PathBuf::from("unshare"),
                vec!["-rn".into(), nft.display().to_string()],
            )
        } else {
            (nft, Vec::new())
        }
    })
}

/// `nft -c -f` on `text`; panics with nft's messages and the ruleset when nft refuses it.
fn assert_nft_accepts(context: &str, text: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("ruleset.nft");
    std::fs::write(&file, text).expect("write ruleset");
    let (program, leading) = nft_command();
    let output = Command::new(program)
        .args(leading)
        .args(["-c", "-f"])
        .arg(&file)
        .output()
        .expect("nft runs");
    assert!(
        output.status.success(),
        "{context}: nft -c -f refuses the ruleset:\n{}{}\n{text}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Reading rulesets

/// One accepted flow of a chain: (chain, family header "ip"/"ip6", peer set, protocol, ports). Protocol is
/// "tcp", "udp", "icmp", "icmpv6" or an IP protocol number; ports a port, a range, an ICMP type or "all".
type Line = (String, String, String, String, String);

/// A ruleset taken apart: its sets (name -> elements), chain headers and accepted flows.
#[derive(Debug, Default)]
struct Ruleset {
    sets: BTreeMap<String, Vec<String>>,
    headers: BTreeMap<String, String>,
    base: BTreeMap<String, Vec<String>>,
    lines: BTreeSet<Line>,
    comments: BTreeMap<Line, String>,
}

fn parse_ruleset(context: &str, text: &str) -> Ruleset {
    let mut ruleset = Ruleset::default();
    let mut set: Option<String> = None;
    let mut chain: Option<String> = None;
    for line in text.lines() {
        if let Some(name) = line
            .strip_prefix("  set ")
            .and_then(|l| l.strip_suffix(" {"))
        {
            set = Some(name.to_string());
            continue;
        }
        if let Some(name) = line
            .strip_prefix("  chain ")
            .and_then(|l| l.strip_suffix(" {"))
        {
            chain = Some(name.to_string());
            continue;
        }
        if line == "  }" {
            set = None;
            chain = None;
            continue;
        }
        let body = line.trim();
        if let Some(name) = &set {
            if let Some(elements) = body
                .strip_prefix("elements = { ")
                .and_then(|l| l.strip_suffix(" }"))
            {
                ruleset.sets.insert(
                    name.clone(),
                    elements.split(", ").map(str::to_string).collect(),
                );
            }
            continue;
        }
        let Some(chain) = &chain else { continue };
        if body.starts_with("type filter hook ") {
            ruleset.headers.insert(chain.clone(), body.to_string());
            continue;
        }
        let (family, rest) = match body.split_once(' ') {
            // The pod_cidrs line admits every port: a base rule.
            Some((family @ ("ip" | "ip6"), rest))
                if rest.contains(" @") && !rest.contains(" @pod_cidrs_") =>
            {
                (family, rest)
            }
            _ => {
                ruleset
                    .base
                    .entry(chain.clone())
                    .or_default()
                    .push(body.to_string());
                continue;
            }
        };
        let (matched, comment) = rest
            .split_once(" accept comment \"")
            .unwrap_or_else(|| panic!("{context}: line without accept and comment: {line:?}"));
        let (_, matched) = matched
            .split_once(" @")
            .unwrap_or_else(|| panic!("{context}: {line:?}"));
        let (set_name, l4) = matched
            .split_once(' ')
            .unwrap_or_else(|| panic!("{context}: {line:?}"));
        let words: Vec<&str> = l4.split(' ').collect();
        let (protocol, ports) = match words.as_slice() {
            [protocol, "dport", ports] => (*protocol, *ports),
            ["icmp" | "icmpv6", "type", icmp_type] => (words[0], *icmp_type),
            ["meta", "l4proto", "ipv6-icmp"] => ("icmpv6", "all"),
            ["meta", "l4proto", protocol] => (*protocol, "all"),
            _ => panic!("{context}: unexpected match {l4:?} in {line:?}"),
        };
        let key = (
            chain.clone(),
            family.to_string(),
            set_name.to_string(),
            protocol.to_string(),
            ports.to_string(),
        );
        ruleset
            .comments
            .insert(key.clone(), comment.trim_end_matches('"').to_string());
        assert!(
            ruleset.lines.insert(key),
            "{context}: a line is written twice: {line:?}"
        );
    }
    ruleset
}

/// A hand-written row: (chain, peer, protocol, ports). The peer is a tier name or `endpoint:NAME`.
type Row<'a> = (&'a str, &'a str, &'a str, &'a str);

/// The lines a table's rows become, one per address family the peer has addresses in (`families`: peer ->
/// ["ip", "ip6"]); icmp exists in IPv4 only.
fn expected_lines(rows: &[Row], families: &[(&str, &[&str])]) -> BTreeSet<Line> {
    let mut set = BTreeSet::new();
    for &(chain, peer, protocol, ports) in rows {
        let peer_families = families
            .iter()
            .find(|(name, _)| *name == peer)
            .map(|(_, f)| *f)
            .unwrap_or_else(|| panic!("the test names no families for {peer}"));
        for family in peer_families {
            if protocol == "icmp" && *family == "ip6" {
                continue;
            }
            let suffix = if *family == "ip" { "v4" } else { "v6" };
            let set_name = match peer.strip_prefix("endpoint:") {
                Some(endpoint) => format!("endpoint_{endpoint}_{suffix}"),
                None => format!("tier_{peer}_{suffix}"),
            };
            let line = (
                chain.to_string(),
                family.to_string(),
                set_name,
                protocol.to_string(),
                ports.to_string(),
            );
            assert!(set.insert(line.clone()), "row {line:?} written twice");
        }
    }
    set
}

fn assert_lines(context: &str, actual: &BTreeSet<Line>, expected: &BTreeSet<Line>) {
    let missing: Vec<&Line> = expected.difference(actual).collect();
    let unexpected: Vec<&Line> = actual.difference(expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "{context}: lines differ\n  missing: {missing:#?}\n  unexpected: {unexpected:#?}"
    );
}

/// The base rules every input chain starts with, in order.
const INPUT_BASE: [&str; 3] = [
    "iif \"lo\" accept comment \"portmatrix: loopback\"",
    "ct state established,related accept comment \"portmatrix: replies and related packets\"",
    "icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query } accept comment \
     \"portmatrix: IPv6 neighbour and multicast listener discovery\"",
];

/// Checks what every ruleset of an output map must be: accepted by `nft -c`, wrapped verbatim in its cloud-init
/// document, and a complete `table inet portmatrix` that replaces itself. Returns the parsed rulesets.
fn check_rulesets(context: &str, outputs: &Value) -> BTreeMap<String, Ruleset> {
    let rulesets = outputs["rulesets"]["value"]
        .as_object()
        .unwrap_or_else(|| panic!("{context}: rulesets is not a map: {outputs}"));
    let cloud_init = &outputs["cloud_init"]["value"];
    let mut parsed = BTreeMap::new();
    for (tier, text) in rulesets {
        let what = format!("{context}, tier {tier}");
        let text = text.as_str().expect("ruleset text");
        assert_nft_accepts(&what, text);
        assert!(
            text.contains(
                "\ntable inet portmatrix\ndelete table inet portmatrix\n\ntable inet portmatrix {\n"
            ),
            "{what}: the file must replace the table in one transaction:\n{text}"
        );
        let document = cloud_init[tier]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no cloud_init document"));
        let indented: String = text
            .lines()
            .map(|l| {
                if l.is_empty() {
                    "\n".to_string()
                } else {
                    format!("      {l}\n")
                }
            })
            .collect();
        assert!(
            document.starts_with("#cloud-config\n")
                && document.contains(&format!(
                    "  - path: /etc/portmatrix/portmatrix.nft\n    owner: root:root\n    permissions: \"0644\"\n    \
                     content: |\n{indented}"
                ))
                && document.contains("  - [systemctl, enable, --now, portmatrix-nftables.service]\n"),
            "{what}: cloud_init does not write and load the ruleset:\n{document}"
        );
        let ruleset = parse_ruleset(&what, text);
        assert_eq!(
            ruleset.base.get("input").map(|b| &b[..3]),
            Some(&INPUT_BASE.map(str::to_string)[..]),
            "{what}: base rules of the input chain"
        );
        parsed.insert(tier.clone(), ruleset);
    }
    assert_eq!(
        cloud_init.as_object().map(|m| m.len()),
        Some(rulesets.len()),
        "{context}: one cloud_init document per ruleset"
    );
    parsed
}

/// The lines of one tier's ruleset in one chain.
fn chain_lines(rulesets: &BTreeMap<String, Ruleset>, tier: &str, chain: &str) -> BTreeSet<Line> {
    rulesets[tier]
        .lines
        .iter()
        .filter(|l| l.0 == chain)
        .cloned()
        .collect()
}

fn warnings(outputs: &Value) -> Vec<String> {
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

/// A `portmatrix_nftables_ruleset.cluster` data source with `body`, and its outputs.
fn config(body: &str) -> String {
    let mut hcl = format!("data \"portmatrix_nftables_ruleset\" \"cluster\" {{\n{body}\n}}\n");
    for output in ["rulesets", "cloud_init", "warnings", "not_needed"] {
        hcl.push_str(&format!(
            "\noutput \"{output}\" {{\n  value = data.portmatrix_nftables_ruleset.cluster.{output}\n}}\n"
        ));
    }
    hcl
}

fn apply(terraform: &Terraform, body: &str) -> Value {
    Workspace::new(terraform, &config(body)).outputs()
}

// ---------------------------------------------------------------------------------------------------------------
// Kublr, bring-your-own-infrastructure (seed 004)

const KUBLR_BYOI: &str = r#"
  platform {
    name    = "kublr"
    options = { byo_infrastructure = "true" }
  }
  tier_addresses = {
    master = ["10.10.1.0/24", "fd00:10:1::/64"]
    worker = ["10.10.2.0/24"]
    lb     = ["10.10.9.10"]
  }
  pod_cidrs = ["10.244.0.0/16"]
  endpoint {
    name      = "internet"
    cidr_ipv4 = ["0.0.0.0/0"]
    cidr_ipv6 = ["::/0"]
  }
  endpoint {
    name      = "kcp-node"
    cidr_ipv4 = ["192.0.2.0/28"]
  }
  endpoint {
    name = "managed-cluster-api"
    tier = "master"
  }
  output_policy = "drop"
"#;

/// Address families of the peers in [`KUBLR_BYOI`].
const KUBLR_FAMILIES: &[(&str, &[&str])] = &[
    ("master", &["ip", "ip6"]),
    ("worker", &["ip"]),
    ("endpoint:internet", &["ip", "ip6"]),
    ("endpoint:kcp-node", &["ip"]),
];

/// Table 1 (Node to Node) with the default CNI, Canal: "10250 TCP Kubelet API", "8472 UDP Canal (default) Canal",
/// "5473 TCP Canal (default) Calico Typha", from and to every node.
fn kublr_table_1(chain: &'static str) -> Vec<Row<'static>> {
    ["master", "worker"]
        .into_iter()
        .flat_map(|peer| {
            [
                (chain, peer, "tcp", "10250"),
                (chain, peer, "udp", "8472"),
                (chain, peer, "tcp", "5473"),
            ]
        })
        .collect()
}

/// Table 4 (Other), non-air-gap: "53 TCP/UDP Node Internet DNS", "443 TCP Node Internet HTTPS to binary
/// repositories".
const KUBLR_INTERNET: &[Row<'static>] = &[
    ("output", "endpoint:internet", "tcp", "53"),
    ("output", "endpoint:internet", "udp", "53"),
    ("output", "endpoint:internet", "tcp", "443"),
];

#[test]
fn kublr_byoi_rulesets_hold_exactly_the_network_access_ports() {
    let mut worker = kublr_table_1("input");
    worker.extend(kublr_table_1("output"));
    // Table 2 (Workers to Masters): "443 TCP Kubernetes API", "11250 TCP Bring-your-own-infrastructure".
    worker.extend([
        ("output", "master", "tcp", "443"),
        ("output", "master", "tcp", "11250"),
    ]);
    worker.extend_from_slice(KUBLR_INTERNET);

    let mut master = kublr_table_1("input");
    master.extend(kublr_table_1("output"));
    master.extend([
        // Table 2, received from the workers.
        ("input", "worker", "tcp", "443"),
        ("input", "worker", "tcp", "11250"),
        // Table 3 (Master to Masters): "2379 TCP Etcd", "2380 TCP Etcd", which touch and merge.
        ("input", "master", "tcp", "2379-2380"),
        ("output", "master", "tcp", "2379-2380"),
        // Table 5 (Kublr Control Plane): "443 TCP KCP Nodes Managed Clusters' K8S API" (the API runs on the
        // masters here) and "11250 TCP KCP Nodes Managed Clusters' Masters Bring-your-own-infrastructure".
        ("input", "endpoint:kcp-node", "tcp", "443"),
        ("input", "endpoint:kcp-node", "tcp", "11250"),
    ]);
    master.extend_from_slice(KUBLR_INTERNET);

    for terraform in terraforms() {
        let context = format!("Terraform {} kublr byoi", terraform.version);
        let outputs = apply(terraform, KUBLR_BYOI);
        let rulesets = check_rulesets(&context, &outputs);
        assert_eq!(
            rulesets.keys().collect::<Vec<_>>(),
            ["lb", "master", "worker"],
            "{context}: Kublr's master LB and ingress LB roles sit on lb"
        );
        for (tier, rows) in [("worker", &worker), ("master", &master)] {
            assert_lines(
                &format!("{context}, {tier}"),
                &rulesets[tier].lines,
                &expected_lines(rows, KUBLR_FAMILIES),
            );
        }
        // Without master_lb and ingress_lb no Table 4 row reaches or leaves the LBs.
        assert!(
            rulesets["lb"].lines.is_empty(),
            "{context}: {:?}",
            rulesets["lb"].lines
        );
        let worker_rules = &rulesets["worker"];
        assert_eq!(
            worker_rules.sets["tier_master_v6"],
            ["fd00:10:1::/64"],
            "{context}"
        );
        assert_eq!(worker_rules.sets["endpoint_internet_v4"], ["0.0.0.0/0"]);
        assert_eq!(worker_rules.sets["pod_cidrs_v4"], ["10.244.0.0/16"]);
        assert_eq!(
            worker_rules.headers["input"],
            "type filter hook input priority 0; policy drop;"
        );
        assert_eq!(
            worker_rules.headers["output"],
            "type filter hook output priority 0; policy drop;"
        );
        assert_eq!(
            worker_rules.comments[&(
                "input".into(),
                "ip".into(),
                "tier_master_v4".into(),
                "tcp".into(),
                "10250".into()
            )],
            "kublr: Kubelet API"
        );
        assert_eq!(
            rulesets["master"].comments[&(
                "input".into(),
                "ip".into(),
                "endpoint_kcp-node_v4".into(),
                "tcp".into(),
                "11250".into()
            )],
            "kublr: KCP needs access to bare-metal clusters' masters' secret store"
        );
        // Table 5's KCP -> cloud API flow has no endpoint block: skipped with a warning, not guessed.
        let warnings = warnings(&outputs);
        assert!(
            warnings.iter().any(|w| w.contains("cloud-api")),
            "{context}: {warnings:?}"
        );
        assert!(
            !warnings.iter().any(|w| w.contains("pod_cidrs")),
            "{context}: {warnings:?}"
        );
    }
}

#[test]
fn kublr_calico_with_load_balancers_key_facts() {
    let body = r#"
  platform {
    name    = "kublr"
    options = { cni = "calico", master_lb = "true", ingress_lb = "true", air_gap = "true" }
  }
  tier_addresses = {
    master = ["10.10.1.0/24"]
    worker = ["10.10.2.0/24"]
    lb     = ["10.10.9.10", "10.10.9.11"]
  }
  endpoint {
    name      = "intranet"
    cidr_ipv4 = ["10.99.0.0/16"]
  }
  output_policy = "accept"
"#;
    for terraform in terraforms() {
        let context = format!("Terraform {} kublr calico with LBs", terraform.version);
        let outputs = apply(terraform, body);
        let rulesets = check_rulesets(&context, &outputs);
        let worker_input = chain_lines(&rulesets, "worker", "input");
        let facts = expected_lines(
            &[
                // Table 1: "4 (IP-in-IP) Calico Calico IP-in-IP" is IP protocol 4; "179 TCP Calico BGP".
                ("input", "master", "4", "all"),
                ("input", "master", "tcp", "179"),
                // Table 4: "30000-32767 TCP/UDP Ingress LB Workers".
                ("input", "lb", "tcp", "30000-32767"),
                ("input", "lb", "udp", "30000-32767"),
            ],
            &[("master", &["ip"]), ("lb", &["ip"])],
        );
        assert!(
            facts.is_subset(&worker_input),
            "{context}: {facts:#?} not all in {worker_input:#?}"
        );
        assert!(
            !worker_input
                .iter()
                .any(|l| l.3 != "4" && (l.4 == "4" || l.4.starts_with("4-"))),
            "{context}: IP-in-IP opened a port"
        );
        // Table 4: "443 TCP Master LB Master": on the lb's output chain (accept policy) and the masters' input.
        assert!(chain_lines(&rulesets, "lb", "output").contains(&(
            "output".into(),
            "ip".into(),
            "tier_master_v4".into(),
            "tcp".into(),
            "443".into()
        )));
        assert_eq!(
            rulesets["lb"].headers["output"],
            "type filter hook output priority 0; policy accept;"
        );
        assert_eq!(rulesets["lb"].sets["tier_master_v4"], ["10.10.1.0/24"]);
        // Air-gapped: Table 4's Intranet rows instead of the Internet ones.
        assert!(chain_lines(&rulesets, "worker", "output").contains(&(
            "output".into(),
            "ip".into(),
            "endpoint_intranet_v4".into(),
            "udp".into(),
            "53".into()
        )));
        assert!(!rulesets["worker"].sets.contains_key("endpoint_internet_v4"));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Deckhouse static nodes with modules on (seed 002)

const DECKHOUSE_STATIC: &str = r#"
  platform {
    name    = "deckhouse"
    version = "1.64"
    options = {
      sds_replicated_volume      = "true"
      virtualization             = "true"
      metallb                    = "true"
      l2_load_balancer           = "true"
      openvpn                    = "true"
      node_local_dns             = "true"
      runtime_audit_engine       = "true"
      ingress_host_with_failover = "true"
      cloud_provider_vcd         = "false"
      sds_node_configurator      = "false"
      ebpf_exporter              = "false"
      kube_router                = "false"
    }
  }
  tier_addresses = {
    master = ["10.20.1.0/24"]
    worker = ["10.20.2.0/24", "fd00:20:2::/64"]
  }
  pod_cidrs = ["10.111.0.0/16"]
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
    name      = "external-balancers"
    cidr_ipv4 = ["198.51.100.0/24"]
  }
"#;

/// "Nodes to nodes traffic" with the modules of [`DECKHOUSE_STATIC`] (cloud-provider-vcd, sds-node-configurator,
/// ebpf-exporter and kube-router off): ICMP; 7000-7999 DRBD; 8469, 8472 UDP VXLAN; 4204; 4206 (node-exporter),
/// 4207, 4208 (HostWithFailover), 4209, 4210, 4211, 4212 (runtime-audit-engine) merged to 4206-4212; 3367; 9942;
/// 49152, 49153; 4218, 4225 TCP and UDP; 4220, 4226 TCP; 4224; 4240, 4241, 4242; 4244. From `peer`, on the
/// input chain, before merging with the peer's other rows.
fn deckhouse_nodes_to_nodes(peer: &'static str) -> Vec<Row<'static>> {
    vec![
        ("input", peer, "icmp", "all"),
        ("input", peer, "tcp", "3367"),
        ("input", peer, "tcp", "4204"),
        ("input", peer, "tcp", "4206-4212"),
        ("input", peer, "tcp", "4240-4242"),
        ("input", peer, "tcp", "4244"),
        ("input", peer, "tcp", "7000-7999"),
        ("input", peer, "tcp", "9942"),
        ("input", peer, "tcp", "49152-49153"),
        ("input", peer, "udp", "4218"),
        ("input", peer, "udp", "4225"),
        ("input", peer, "udp", "8469"),
        ("input", peer, "udp", "8472"),
    ]
}

#[test]
fn deckhouse_static_nodes_worker_ruleset_matches_the_port_table() {
    let mut worker = Vec::new();
    // From the workers: the nodes-to-nodes rows; tcp 4218, 4220 and 4224-4226 (4224 node-local-dns, 4225 and
    // 4226 l2-load-balancer).
    worker.extend(deckhouse_nodes_to_nodes("worker"));
    worker.extend([
        ("input", "worker", "tcp", "4218"),
        ("input", "worker", "tcp", "4220"),
        ("input", "worker", "tcp", "4224-4226"),
    ]);
    // From the masters, also "Master to nodes traffic": "22 TCP SSH for Static nodes bootstrapping by static
    // provider", "10250 TCP kubelet", "4221 TCP bashible apiserver", "4227 TCP runtime-audit-engine webhook
    // handler", which touch 4220 and 4224-4226.
    worker.extend(deckhouse_nodes_to_nodes("master"));
    worker.extend([
        ("input", "master", "tcp", "22"),
        ("input", "master", "tcp", "10250"),
        ("input", "master", "tcp", "4218"),
        ("input", "master", "tcp", "4220-4221"),
        ("input", "master", "tcp", "4224-4227"),
    ]);
    // "External traffic to frontends": "80, 443 TCP", "5416 UDP OpenVPN", "5416 TCP OpenVPN", "30000-32767 TCP
    // NodePort range"; "10256 TCP healthcheck port for external balancers".
    for (protocol, ports) in [
        ("tcp", "80"),
        ("tcp", "443"),
        ("tcp", "5416"),
        ("udp", "5416"),
        ("tcp", "30000-32767"),
    ] {
        worker.push(("input", "endpoint:frontend-clients", protocol, ports));
    }
    worker.push(("input", "endpoint:external-balancers", "tcp", "10256"));
    let families: &[(&str, &[&str])] = &[
        ("master", &["ip"]),
        ("worker", &["ip", "ip6"]),
        ("endpoint:frontend-clients", &["ip", "ip6"]),
        ("endpoint:external-balancers", &["ip"]),
    ];
    let expected = expected_lines(&worker, families);
    for terraform in terraforms() {
        let context = format!(
            "Terraform {} deckhouse 1.64 static nodes",
            terraform.version
        );
        let outputs = apply(terraform, DECKHOUSE_STATIC);
        let rulesets = check_rulesets(&context, &outputs);
        assert_eq!(
            rulesets.keys().collect::<Vec<_>>(),
            ["master", "worker"],
            "{context}"
        );
        assert_lines(&context, &rulesets["worker"].lines, &expected);
        // Masters, key facts: "External traffic to masters" 22, 22322 and 6443 from the administrators; "Nodes to
        // masters traffic" 4234 UDP NTP and 6443; "Master to master nodes traffic" 2379, 2380 merged.
        let master = chain_lines(&rulesets, "master", "input");
        for fact in [
            ("endpoint_administrators_v4", "tcp", "22"),
            ("endpoint_administrators_v4", "tcp", "22322"),
            ("endpoint_administrators_v4", "tcp", "6443"),
            ("tier_worker_v4", "udp", "4234"),
            ("tier_worker_v6", "udp", "4234"),
            ("tier_worker_v4", "tcp", "6443"),
            ("tier_master_v4", "tcp", "2379-2380"),
        ] {
            let family = if fact.0.ends_with("_v6") { "ip6" } else { "ip" };
            let line = (
                "input".to_string(),
                family.to_string(),
                fact.0.to_string(),
                fact.1.to_string(),
                fact.2.to_string(),
            );
            assert!(master.contains(&line), "{context}: master lacks {line:?}");
        }
        // Deckhouse's ICMP row (no types) is IPv4 ICMP: no ICMPv6 line, and no output chain unless asked.
        assert!(!master.iter().any(|l| l.3 == "icmpv6"), "{context}");
        assert!(!rulesets["master"].headers.contains_key("output"));
        assert!(warnings(&outputs).iter().all(|w| !w.contains("pod_cidrs")));
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes + Calico + Longhorn (ports.md §1.3, §4, §5)

const STACK: &str = r#"
  platform {
    name = "kubernetes"
  }
  platform {
    name = "calico"
  }
  platform {
    name    = "longhorn"
    version = "1.6.0"
  }
  tier_addresses = {
    master = ["10.30.1.0/24"]
    worker = ["10.30.2.0/24"]
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
  endpoint {
    name      = "backupstore"
    cidr_ipv4 = ["192.0.2.10/32"]
    cidr_ipv6 = ["2001:db8::10/128"]
  }
  endpoint {
    name = "kubernetes-api-server"
    tier = "master"
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
  output_policy = "accept"
"#;

#[test]
fn kubernetes_calico_longhorn_input_chains_match_the_documents() {
    // Calico: "Calico networking (BGP) | All hosts | TCP 179", "Typha agent hosts | TCP 5473", "IP-in-IP ...
    // protocol number 4", between every pair of nodes; Kubernetes: control plane "6443 | All", "2379-2380 |
    // kube-apiserver, etcd", "10250 | Self, Control plane"; workers "10250 | Self, Control plane",
    // "30000-32767 | NodePort Services | All" (TCP, and UDP from PR #47991), "10256 | kube-proxy | Self, Load
    // balancers"; metrics-server README "Metrics Server to Kubelet on all nodes" (10250 from both tiers). On an
    // overlay, Longhorn's flows (and "Control plane to Metrics Server") all end at pods: no input line.
    let calico = |peer: &'static str| -> Vec<Row<'static>> {
        vec![
            ("input", peer, "tcp", "179"),
            ("input", peer, "tcp", "5473"),
            ("input", peer, "4", "all"),
        ]
    };
    let mut master = calico("master");
    master.extend(calico("worker"));
    master.extend([
        ("input", "master", "tcp", "2379-2380"),
        ("input", "master", "tcp", "6443"),
        ("input", "master", "tcp", "10250"),
        ("input", "worker", "tcp", "6443"),
        ("input", "worker", "tcp", "10250"),
        ("input", "endpoint:api-clients", "tcp", "6443"),
    ]);
    let mut worker = calico("master");
    worker.extend(calico("worker"));
    worker.extend([
        ("input", "master", "tcp", "10250"),
        ("input", "master", "tcp", "30000-32767"),
        ("input", "master", "udp", "30000-32767"),
        ("input", "worker", "tcp", "10250"),
        ("input", "worker", "tcp", "30000-32767"),
        ("input", "worker", "udp", "30000-32767"),
        ("input", "endpoint:nodeport-clients", "tcp", "30000-32767"),
        ("input", "endpoint:nodeport-clients", "udp", "30000-32767"),
        ("input", "endpoint:load-balancers", "tcp", "10256"),
    ]);
    let families: &[(&str, &[&str])] = &[
        ("master", &["ip"]),
        ("worker", &["ip"]),
        ("endpoint:api-clients", &["ip"]),
        ("endpoint:nodeport-clients", &["ip"]),
        ("endpoint:load-balancers", &["ip"]),
    ];
    for terraform in terraforms() {
        let context = format!(
            "Terraform {} kubernetes + calico + longhorn",
            terraform.version
        );
        let workspace = Workspace::new(terraform, &config(STACK));
        let outputs = workspace.outputs();
        let rulesets = check_rulesets(&context, &outputs);
        for (tier, rows) in [("master", &master), ("worker", &worker)] {
            assert_lines(
                &format!("{context}, {tier} input"),
                &chain_lines(&rulesets, tier, "input"),
                &expected_lines(rows, families),
            );
        }
        // Longhorn's egress to its backupstore ("User defined", here 9000) leaves the nodes: an output line per
        // family of the backupstore's addresses.
        let worker_output = chain_lines(&rulesets, "worker", "output");
        for (family, set) in [
            ("ip", "endpoint_backupstore_v4"),
            ("ip6", "endpoint_backupstore_v6"),
        ] {
            let line = (
                "output".to_string(),
                family.to_string(),
                set.to_string(),
                "tcp".to_string(),
                "9000".to_string(),
            );
            assert!(
                worker_output.contains(&line),
                "{context}: worker output lacks {line:?}"
            );
        }
        let not_needed = outputs["not_needed"]["value"].as_array().expect("list");
        assert!(
            not_needed.iter().any(|f| f["platform"] == "longhorn"),
            "{context}: Longhorn's pod flows are not needed on an overlay"
        );
        assert!(
            warnings(&outputs).iter().any(|w| w.contains("pod_cidrs")),
            "{context}: the empty pod_cidrs warning"
        );
        // Same configuration, a new provider process: the same bytes.
        let again = Workspace::new(terraform, &config(STACK)).outputs();
        assert_eq!(
            again["rulesets"], outputs["rulesets"],
            "{context}: not deterministic"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Diagnostics and the documented example

#[test]
fn inputs_the_rulesets_cannot_use_fail_on_the_attribute_to_fix() {
    let kublr = |rest: &str| {
        format!(
            "  platform {{\n    name = \"kublr\"\n  }}\n  endpoint {{\n    name      = \"internet\"\n    \
             cidr_ipv4 = [\"0.0.0.0/0\"]\n  }}\n{rest}"
        )
    };
    let cases = [
        (
            "a tier without addresses",
            kublr("  tier_addresses = { master = [\"10.10.1.0/24\"] }\n"),
            &[
                "Tier without addresses",
                "Tier \"worker\" has no addresses",
                "worker->master:tcp:443",
                "tier_addresses",
            ][..],
        ),
        (
            "host bits",
            kublr("  tier_addresses = { master = [\"10.10.1.7/24\"], worker = [\"10.10.2.0/24\"] }\n"),
            &["Invalid address", "has host bits set", "\"10.10.1.0/24\""][..],
        ),
        (
            "an unknown tier",
            kublr(
                "  tier_addresses = { master = [\"10.10.1.0/24\"], worker = [\"10.10.2.0/24\"], wroker = [] }\n",
            ),
            &["Unknown tier", "\"wroker\"", "master, worker, lb"][..],
        ),
        (
            "an unknown policy",
            kublr("  tier_addresses = { master = [\"10.10.1.0/24\"], worker = [\"10.10.2.0/24\"] }\n  input_policy = \"reject\"\n"),
            &["Invalid input_policy", "\"drop\"", "\"accept\""][..],
        ),
    ];
    for terraform in terraforms() {
        for (what, body, needles) in &cases {
            let error = Workspace::new(terraform, &config(body)).plan_error();
            let flat = error.split_whitespace().collect::<Vec<_>>().join(" ");
            for needle in *needles {
                assert!(
                    flat.contains(needle),
                    "Terraform {} {what}: the error lacks {needle:?}:\n{error}",
                    terraform.version
                );
            }
        }
    }
}

/// The example's configuration, copied next to the site-access catalog it reads.
fn example_workspace(terraform: &Terraform) -> Workspace {
    let example: &Path = &repo_root().join("examples/data-sources/portmatrix_nftables_ruleset");
    let workspace = Workspace::new(terraform, "");
    for entry in std::fs::read_dir(example)
        .expect("example folder")
        .flatten()
    {
        std::fs::copy(entry.path(), workspace.path().join(entry.file_name())).expect("copy");
    }
    workspace
}

#[test]
fn the_documented_example_keeps_ssh_and_passes_nft_check() {
    for terraform in terraforms() {
        let context = format!("Terraform {} example", terraform.version);
        let outputs = example_workspace(terraform).outputs();
        let worker = outputs["worker_ruleset"]["value"]
            .as_str()
            .expect("worker ruleset");
        assert_nft_accepts(&context, worker);
        let page =
            std::fs::read_to_string(repo_root().join("docs/data-sources/nftables_ruleset.md"))
                .expect("the data source's page");
        assert!(
            page.contains(&format!("```\n{worker}```\n")),
            "{context}: docs/data-sources/nftables_ruleset.md must show the example's worker ruleset verbatim:\n{worker}"
        );
        let parsed = parse_ruleset(&context, worker);
        // The site-access catalog's only flow, "SSH (22/tcp) from the bastion hosts only", on every tier.
        assert!(parsed.lines.contains(&(
            "input".into(),
            "ip".into(),
            "endpoint_bastion_v4".into(),
            "tcp".into(),
            "22".into()
        )));
        let documents = outputs["cloud_init"]["value"].as_object().expect("map");
        assert_eq!(
            documents.keys().collect::<Vec<_>>(),
            ["lb", "master", "worker"]
        );
        for (tier, document) in documents {
            assert!(
                document.as_str().is_some_and(
                    |d| d.contains("      ip saddr @endpoint_bastion_v4 tcp dport 22 accept")
                ),
                "{context}: tier {tier} keeps SSH"
            );
        }
        let warnings: Vec<String> = outputs["warnings"]["value"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w.as_str().map(str::to_string))
            .collect();
        assert_eq!(warnings.len(), 1, "{context}: {warnings:?}");
        assert!(warnings[0].contains("cloud-api"), "{context}: {warnings:?}");
    }
}

#[test]
fn flows_a_family_cannot_carry_are_named_in_warnings() {
    // Deckhouse's "ICMP for node-to-node connectivity monitoring" row is ICMP, which IPv4 carries: workers with
    // IPv6 addresses only cannot get it, and the endpoint with no addresses gets no line either.
    let body = DECKHOUSE_STATIC
        .replace(
            "worker = [\"10.20.2.0/24\", \"fd00:20:2::/64\"]",
            "worker = [\"fd00:20:2::/64\"]",
        )
        .replace("cidr_ipv4 = [\"198.51.100.0/24\"]", "cidr_ipv4 = []");
    assert_ne!(body, DECKHOUSE_STATIC);
    for terraform in terraforms() {
        let context = format!(
            "Terraform {} deckhouse, IPv6-only workers",
            terraform.version
        );
        let outputs = apply(terraform, &body);
        let rulesets = check_rulesets(&context, &outputs);
        let warnings = warnings(&outputs);
        for needle in [
            "the input rule of tier \"master\" for icmp all (from worker) was not written: tier \"worker\" has no \
             IPv4 addresses",
            "the input rule of tier \"worker\" for icmp all (from worker) was not written: tier \"worker\" has no \
             IPv4 addresses",
            "endpoint \"external-balancers\" has no addresses: the input rule of tier \"worker\" for tcp 10256 was \
             not written",
        ] {
            assert!(
                warnings.iter().any(|w| w.contains(needle)),
                "{context}: no warning {needle:?} in {warnings:?}"
            );
        }
        // The workers' other flows reach the masters over IPv6.
        assert!(chain_lines(&rulesets, "master", "input").contains(&(
            "input".into(),
            "ip6".into(),
            "tier_worker_v6".into(),
            "tcp".into(),
            "6443".into()
        )));
    }
}
