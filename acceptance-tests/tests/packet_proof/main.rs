//! Proof by packets (issue 14): the rules portmatrix generates, enforced by a real kernel, admit exactly the
//! flows the port tables require.
//!
//! For each stack, real Terraform reads `portmatrix_flows` (what must be open) and the rules of each target
//! (nftables, AWS, GCP, OpenStack, Hetzner, Azure) for one selection. The rig ([`rig::Rig`]) makes a network
//! namespace per node (two masters, two workers, two load balancers), per endpoint host and for one outside
//! address, loads each tier's rules into that tier's nodes, starts listeners on every port it will probe, and
//! probes from every kind of host: TCP handshakes, UDP requests and answers, ICMP of each type the flows name
//! (and echo requests) and raw IP protocols (IP-in-IP is protocol 4). Expected verdicts come from the flows
//! alone: a probe must pass exactly when some flow's source holds the sender, its destination the receiver,
//! and its protocol and ports the packet. Probes cover, for every flow, its first, middle and last port and the
//! neighbours of its range, the first port of every other flow, well-known ports of other platforms, other IP
//! protocols, and every source (each tier, each endpoint host, the outside host), in IPv4 and IPv6.
//!
//! The AWS, GCP, OpenStack, Hetzner and Azure rules are enforced through [`aws::rulesets`],
//! [`gcp::rulesets`], [`openstack::rulesets`], [`hcloud::rulesets`] and [`azure::rulesets`], translators
//! written from each cloud's documented semantics, not from the targets' code. Where a cloud cannot express a
//! flow exactly (ICMP types on GCP, Hetzner and Azure; ICMP type 0 on OpenStack) the selection asks for the
//! documented widening, and the probes, which send only the ICMP types the flows name, stay exact.
//!
//! `portmatrix_kubernetes_network_policies` works on roles, not tiers, so its stacks ([`PolicyStack`]) read
//! `portmatrix_flows` with one tier per pod role (plus one for every host role, the nodes) and routed pods: each
//! flow is then one pair of roles. Every pod is a network namespace of its own, with its role's Kubernetes
//! namespace and labels (replicas where a role talks to itself); [`network_policy::rulesets`] turns the
//! policies into each pod's input and output chains, from the documented NetworkPolicy semantics. What
//! NetworkPolicy does not decide is not probed, and the run lists it with the reason: flows with no pod at
//! either end (the target must list those too), protocols other than TCP and UDP to or from pods, and probes
//! no flow requires between ends that no policy isolates (roles without labels, directions without flows).
//!
//! Needs root, `ip`, `nft` and `python3`. Under CI (`CI` set) their absence fails the test; elsewhere the test
//! says why it skips. `make proof` runs this file alone and prints the counts.

mod aws;
mod azure;
mod gcp;
mod hcloud;
mod network_policy;
mod openstack;
mod rig;

use portmatrix_acceptance_tests::{terraforms, Workspace};
use rig::{endpoint_cidrs, tier_block, tier_cidrs, Group, Host, ListenSpec, Rig, TIERS};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Instant;

// ---------------------------------------------------------------------------------------------------------------
// Stacks

/// A selection to prove: its platform and tier blocks, the endpoints that get a host (and addresses), the
/// endpoints placed on a tier, parameters and pod network.
struct Stack {
    name: &'static str,
    platforms: &'static str,
    endpoints: &'static [&'static str],
    tier_endpoints: &'static [(&'static str, &'static str)],
    parameters: &'static str,
    /// Whether the stack needs IP-in-IP (Calico's default). Hetzner firewalls (tcp, udp, icmp, gre, esp) and
    /// Azure NSGs (Tcp, Udp, Icmp, Esp, Ah, `*`) cannot carry it, as their data sources' pages say: those
    /// targets are not run for such a stack, and the run says so.
    ip_in_ip: bool,
}

const KUBLR_CALICO: Stack = Stack {
    name: "kublr+calico",
    platforms: r#"
  platform {
    name    = "kublr"
    options = { cni = "calico", master_lb = "true", ingress_lb = "true", air_gap = "true" }
  }"#,
    endpoints: &["intranet", "kcp-node", "cloud-api"],
    tier_endpoints: &[("managed-cluster-api", "master")],
    parameters: "",
    ip_in_ip: true,
};

/// Deckhouse 1.67 (the release these module options are written for; 1.74 has other modules) with its module
/// options off: with every module on (the default) a tier needs more rules than one
/// Hetzner firewall takes (50), which the data source refuses.
const DECKHOUSE: Stack = Stack {
    name: "deckhouse",
    platforms: r#"
  platform {
    name    = "deckhouse"
    version = "1.67"
    options = {
      cloud_provider_vcd = "false", runtime_audit_engine = "false", sds_replicated_volume = "false",
      sds_node_configurator = "false", virtualization = "false", metallb = "false", l2_load_balancer = "false",
      openvpn = "false", node_local_dns = "false", ebpf_exporter = "false", kube_router = "false"
    }
  }"#,
    endpoints: &[
        "administrators",
        "frontend-clients",
        "external-balancers",
        "dns-servers",
        "ntp-servers",
        "container-registry",
    ],
    tier_endpoints: &[],
    parameters: "",
    ip_in_ip: false,
};

const KUBEADM_CALICO_LONGHORN: Stack = Stack {
    name: "kubernetes+calico+longhorn",
    platforms: r#"
  platform {
    name = "kubernetes"
  }
  platform {
    name = "calico"
  }
  platform {
    name    = "longhorn"
    version = "1.6.0"
  }"#,
    endpoints: &[
        "api-clients",
        "nodeport-clients",
        "load-balancers",
        "backupstore",
        "image-download-server",
    ],
    tier_endpoints: &[("kubernetes-api-server", "master")],
    parameters: "backupstore_port = 9000, image_download_port = 8000",
    ip_in_ip: true,
};

const RKE2_CANAL: Stack = Stack {
    name: "rke2+canal",
    platforms: r#"
  platform {
    name    = "rke2"
    options = { cni = "canal" }
  }"#,
    endpoints: &[],
    tier_endpoints: &[],
    parameters: "",
    ip_in_ip: false,
};

const K3S: Stack = Stack {
    name: "k3s",
    platforms: r#"
  platform {
    name = "k3s"
  }"#,
    endpoints: &[],
    tier_endpoints: &[],
    parameters: "",
    ip_in_ip: false,
};

/// Pods on routed addresses, ingress-nginx and MetalLB's speakers on the load-balancer tier.
const ROUTED_WITH_LB: Stack = Stack {
    name: "routed+lb (kubernetes+cilium+metallb+ingress-nginx)",
    platforms: r#"
  platform {
    name = "kubernetes"
  }
  platform {
    name = "cilium"
  }
  platform {
    name = "metallb"
  }
  platform {
    name = "ingress-nginx"
  }
  tier {
    name = "master"
  }
  tier {
    name = "worker"
  }
  tier {
    name  = "lb"
    roles = ["ingress-nginx/controller", "metallb/speaker", "cilium/node"]
  }
  pod_network = "routed""#,
    endpoints: &[
        "api-clients",
        "nodeport-clients",
        "clients",
        "load-balancers",
        "prometheus",
    ],
    tier_endpoints: &[],
    parameters: "metrics_port = 7472",
    ip_in_ip: false,
};

/// The three data sources of a stack and the outputs the rig reads.
fn config(stack: &Stack) -> String {
    let mut common = stack.platforms.to_string();
    for (i, endpoint) in stack.endpoints.iter().enumerate() {
        let (v4, v6) = endpoint_cidrs(i);
        common.push_str(&format!(
            "\n  endpoint {{\n    name      = \"{endpoint}\"\n    cidr_ipv4 = [\"{v4}\"]\n    cidr_ipv6 = [\"{v6}\"]\n  }}"
        ));
    }
    for (endpoint, tier) in stack.tier_endpoints {
        common.push_str(&format!(
            "\n  endpoint {{\n    name = \"{endpoint}\"\n    tier = \"{tier}\"\n  }}"
        ));
    }
    if !stack.parameters.is_empty() {
        common.push_str(&format!("\n  parameters = {{ {} }}", stack.parameters));
    }
    let addresses: Vec<String> = TIERS
        .iter()
        .map(|(tier, _)| {
            let (v4, v6) = tier_cidrs(tier);
            format!("{tier} = [\"{v4}\", \"{v6}\"]")
        })
        .collect();
    let hcloud = if !stack.ip_in_ip {
        format!(
            r#"
data "portmatrix_hcloud_firewall_rules" "s" {{{common}
  tier_ranges       = {{ {ranges} }}
  outbound_rules    = true
  unsupported_flows = "widen"
}}
output "hcloud_firewalls" {{
  value = data.portmatrix_hcloud_firewall_rules.s.firewalls
}}

data "portmatrix_azure_nsg_rules" "s" {{{common}
  last_priority     = 4095
  unsupported_flows = "widen"
}}
output "azure_rules" {{
  value = data.portmatrix_azure_nsg_rules.s.rules
}}
output "azure_tiers" {{
  value = data.portmatrix_azure_nsg_rules.s.tiers
}}
"#,
            ranges = addresses.join(", ")
        )
    } else {
        String::new()
    };
    format!(
        r#"{hcloud}
data "portmatrix_flows" "s" {{{common}
}}

data "portmatrix_nftables_ruleset" "s" {{{common}
  tier_addresses = {{ {ranges} }}
  output_policy  = "drop"
}}

data "portmatrix_aws_security_group_rules" "s" {{{common}
  rules_per_group = 1000
}}

data "portmatrix_openstack_secgroup_rules" "s" {{{common}
  unsupported_flows = "widen"
}}

data "portmatrix_gcp_firewall_rules" "s" {{{common}
  tier_ranges       = {{ {ranges} }}
  unsupported_flows = "widen"
}}

output "flows" {{
  value = data.portmatrix_flows.s.flows
}}
output "flow_warnings" {{
  value = data.portmatrix_flows.s.warnings
}}
output "rulesets" {{
  value = data.portmatrix_nftables_ruleset.s.rulesets
}}
output "ingress" {{
  value = data.portmatrix_aws_security_group_rules.s.ingress
}}
output "egress" {{
  value = data.portmatrix_aws_security_group_rules.s.egress
}}
output "aws_tiers" {{
  value = data.portmatrix_aws_security_group_rules.s.tiers
}}
output "openstack_ingress" {{
  value = data.portmatrix_openstack_secgroup_rules.s.ingress
}}
output "openstack_egress" {{
  value = data.portmatrix_openstack_secgroup_rules.s.egress
}}
output "openstack_tiers" {{
  value = data.portmatrix_openstack_secgroup_rules.s.tiers
}}
output "gcp_rules" {{
  value = data.portmatrix_gcp_firewall_rules.s.rules
}}
output "gcp_tiers" {{
  value = data.portmatrix_gcp_firewall_rules.s.tiers
}}
output "gcp_widened" {{
  value = data.portmatrix_gcp_firewall_rules.s.widened
}}
"#,
        ranges = addresses.join(", ")
    )
}

// ---------------------------------------------------------------------------------------------------------------
// Flows and the expected verdicts

/// What a probe sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Tcp(u16),
    Udp(u16),
    /// ICMP (IPv4) of a type.
    Icmp(u8),
    /// ICMPv6 of a type.
    Icmpv6(u8),
    /// An IP protocol without ports.
    Raw(u8),
}

/// A flow of `portmatrix_flows`.
#[derive(Debug)]
struct Flow {
    key: String,
    source: Group,
    destination: Group,
    protocol: String,
    from_port: Option<u16>,
    to_port: Option<u16>,
    icmp_type: Option<u8>,
    /// The catalog flows behind it: platform, sending role, receiving role.
    reasons: Vec<(String, String, String)>,
}

fn group(name: &Value, kind: &Value) -> Group {
    let name = name.as_str().expect("name").to_string();
    match kind.as_str() {
        Some("tier") => Group::Tier(name),
        Some("endpoint") => Group::Endpoint(name),
        other => panic!("unknown kind {other:?}"),
    }
}

fn flows(outputs: &Value) -> Vec<Flow> {
    outputs["flows"]["value"]
        .as_array()
        .expect("flows list")
        .iter()
        .map(|f| Flow {
            key: f["key"].as_str().expect("key").to_string(),
            source: group(&f["source"], &f["source_kind"]),
            destination: group(&f["destination"], &f["destination_kind"]),
            protocol: f["protocol"].as_str().expect("protocol").to_string(),
            from_port: f["from_port"].as_u64().map(|p| p as u16),
            to_port: f["to_port"].as_u64().map(|p| p as u16),
            icmp_type: f["icmp_type"].as_u64().map(|t| t as u8),
            reasons: f["reasons"]
                .as_array()
                .expect("reasons list")
                .iter()
                .map(|r| {
                    let text = |field: &str| r[field].as_str().expect(field).to_string();
                    (text("platform"), text("from_role"), text("to_role"))
                })
                .collect(),
        })
        .collect()
}

impl Flow {
    /// Whether the flow admits `kind` in `family` (4 or 6) from `source` to `destination`.
    fn admits(&self, source: &Group, destination: &Group, family: u8, kind: Kind) -> bool {
        if &self.source != source || &self.destination != destination {
            return false;
        }
        let in_range = |port: u16| {
            self.from_port.is_some_and(|f| f <= port) && self.to_port.is_some_and(|t| port <= t)
        };
        match (self.protocol.as_str(), kind) {
            ("tcp", Kind::Tcp(port)) | ("udp", Kind::Udp(port)) => in_range(port),
            ("icmp", Kind::Icmp(t)) => family == 4 && self.icmp_type.is_none_or(|x| x == t),
            ("icmpv6", Kind::Icmpv6(t)) => family == 6 && self.icmp_type.is_none_or(|x| x == t),
            (number, Kind::Raw(p)) => number.parse::<u8>() == Ok(p),
            _ => false,
        }
    }

    /// The probe kinds that exercise the flow, and the neighbours of its range.
    fn kinds(&self) -> (Vec<Kind>, Vec<Kind>) {
        match (self.protocol.as_str(), self.from_port, self.to_port) {
            (protocol @ ("tcp" | "udp"), Some(from), Some(to)) => {
                let make = |p: u16| {
                    if protocol == "tcp" {
                        Kind::Tcp(p)
                    } else {
                        Kind::Udp(p)
                    }
                };
                let inside = [from, from + (to - from) / 2, to].map(make).to_vec();
                let mut neighbours = Vec::new();
                if from > 1 {
                    neighbours.push(make(from - 1));
                }
                if to < u16::MAX {
                    neighbours.push(make(to + 1));
                }
                (inside, neighbours)
            }
            ("icmp", _, _) => (vec![Kind::Icmp(self.icmp_type.unwrap_or(8))], vec![]),
            ("icmpv6", _, _) => (vec![Kind::Icmpv6(self.icmp_type.unwrap_or(128))], vec![]),
            (number, _, _) => {
                let p = number
                    .parse::<u8>()
                    .unwrap_or_else(|_| panic!("{}: the rig cannot probe {number}", self.key));
                (vec![Kind::Raw(p)], vec![])
            }
        }
    }
}

/// Ports other platforms use (SSH, DNS, HTTP(S), etcd, API servers, kubelet, CNIs, storage), probed on every
/// host whatever the stack: a stack that does not list them must not open them.
const WELL_KNOWN_TCP: &[u16] = &[
    22, 53, 80, 111, 179, 443, 2049, 2379, 2380, 3260, 4240, 5473, 6443, 6783, 7946, 8080, 9099,
    9345, 9500, 10250, 10256, 10257, 10259, 11250,
];
const WELL_KNOWN_UDP: &[u16] = &[53, 123, 4789, 6784, 7946, 8472, 51820];
/// IP-in-IP, GRE, ESP.
const OTHER_PROTOCOLS: &[u8] = &[4, 47, 50];

// ---------------------------------------------------------------------------------------------------------------
// Rounds

/// One probe: from host `source` to host `destination`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Probe {
    source: usize,
    destination: usize,
    family: u8,
    kind: Kind,
}

/// The result of probing one target's rules.
#[derive(Debug)]
struct Report {
    target: String,
    flows: usize,
    flows_open: usize,
    probes_open: usize,
    probes_closed: usize,
    wrong: Vec<String>,
    unproven: Vec<String>,
    /// Probes a [`Scope`] left out, by reason.
    excluded: BTreeMap<String, usize>,
    /// Flows whose every probe a [`Scope`] left out, by key, with the reasons.
    excluded_flows: BTreeMap<String, BTreeSet<String>>,
    seconds: f64,
}

/// Which probes a target's rules decide: given the sender's and receiver's groups, the probe and whether a flow
/// requires it, the reason a probe is left out, or `None` to send it.
type Scope<'a> = dyn Fn(&Group, &Group, Kind, bool) -> Option<String> + 'a;

/// Everything each host is probed on: for flows towards it the inside ports and neighbours of the range, the
/// first port of every other flow, the well-known ports, other IP protocols and ICMP echo.
fn points(flows: &[Flow], host: &Host) -> BTreeSet<Kind> {
    let mut points = BTreeSet::new();
    for flow in flows {
        let (inside, neighbours) = flow.kinds();
        if flow.destination == host.group {
            points.extend(inside);
            points.extend(neighbours);
        } else {
            points.insert(inside[0]);
        }
    }
    points.extend(WELL_KNOWN_TCP.iter().map(|&p| Kind::Tcp(p)));
    points.extend(WELL_KNOWN_UDP.iter().map(|&p| Kind::Udp(p)));
    points.extend(OTHER_PROTOCOLS.iter().map(|&p| Kind::Raw(p)));
    points.insert(Kind::Icmp(8));
    points.insert(Kind::Icmpv6(128));
    points
}

/// One sender per group for `destination`: the other node of its own tier, and of other tiers the node
/// matching its position, so that every node sends and receives.
fn senders(hosts: &[Host], destination: usize) -> Vec<usize> {
    let mut by_group: BTreeMap<&Group, Vec<usize>> = BTreeMap::new();
    for (i, host) in hosts.iter().enumerate() {
        if i != destination {
            by_group.entry(&host.group).or_default().push(i);
        }
    }
    by_group
        .values()
        .map(|members| members[destination % members.len()])
        .collect()
}

/// What every host listens on.
fn listen_specs(rig: &Rig, flows: &[Flow]) -> BTreeMap<String, ListenSpec> {
    rig.hosts
        .iter()
        .map(|host| {
            let mut spec = ListenSpec::default();
            for kind in points(flows, host) {
                match kind {
                    Kind::Tcp(p) => spec.tcp.push(p),
                    Kind::Udp(p) => spec.udp.push(p),
                    Kind::Icmp(_) => spec.raw4.push(1),
                    Kind::Icmpv6(_) => spec.raw6.push(58),
                    Kind::Raw(p) => {
                        spec.raw4.push(p);
                        spec.raw6.push(p);
                    }
                }
            }
            spec.raw6.sort();
            spec.raw6.dedup();
            spec.raw4.sort();
            spec.raw4.dedup();
            (host.label.clone(), spec)
        })
        .collect()
}

fn probe_json(probe: &Probe, host: &Host, token: &str) -> Value {
    let address = if probe.family == 4 {
        host.v4.to_string()
    } else {
        host.v6.to_string()
    };
    let mut value = json!({"token": token, "family": probe.family, "address": address});
    match probe.kind {
        Kind::Tcp(port) => {
            value["kind"] = "tcp".into();
            value["port"] = port.into();
        }
        Kind::Udp(port) => {
            value["kind"] = "udp".into();
            value["port"] = port.into();
        }
        Kind::Icmp(t) => {
            value["kind"] = "icmp".into();
            value["type"] = t.into();
        }
        Kind::Icmpv6(t) => {
            value["kind"] = "icmpv6".into();
            value["type"] = t.into();
        }
        Kind::Raw(p) => {
            value["kind"] = "raw".into();
            value["protocol"] = p.into();
        }
    }
    value
}

fn describe(rig: &Rig, probe: &Probe) -> String {
    format!(
        "{} -> {} IPv{} {:?}",
        rig.hosts[probe.source].label, rig.hosts[probe.destination].label, probe.family, probe.kind
    )
}

static ROUND: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Loads `rulesets` (by tier; a tier without one is not filtered) and probes every point of every host from
/// every group, comparing each verdict with what `flows` require. A ruleset without an output chain leaves
/// what its host sends alone (GCP's implied rule allows all egress; so does a Hetzner firewall without `out`
/// rules): from such a host, only what the receiver admits is proven.
///
/// With a `scope` (a target that governs only part of the traffic), the probes it sends are exactly those the
/// scope keeps, whatever the loaded rules say, so that a host the target wrongly leaves unfiltered is still
/// probed; the others are counted by reason, and a flow whose every probe is left out is listed with the
/// reasons instead of failing as unproven.
fn round(
    rig: &mut Rig,
    target: &str,
    flows: &[Flow],
    rulesets: &BTreeMap<String, String>,
    scope: Option<&Scope>,
) -> Report {
    let started = Instant::now();
    let per_host: Vec<Option<String>> = rig
        .hosts
        .iter()
        .map(|h| match &h.group {
            Group::Tier(tier) => rulesets.get(tier).cloned(),
            _ => None,
        })
        .collect();
    rig.load(&per_host);
    let filtered: Vec<bool> = per_host.iter().map(Option::is_some).collect();
    let egress: Vec<bool> = per_host
        .iter()
        .map(|r| {
            r.as_deref()
                .is_some_and(|text| text.contains("type filter hook output"))
        })
        .collect();
    let mut probes = BTreeSet::new();
    let mut excluded: BTreeMap<String, usize> = BTreeMap::new();
    let mut excluded_flows: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (d, host) in rig.hosts.iter().enumerate() {
        for s in senders(&rig.hosts, d) {
            // Unless one end filters the packet, only what must pass is worth sending: that it does.
            let filters = filtered[d] || egress[s];
            let source = &rig.hosts[s].group;
            for &kind in &points(flows, host) {
                for family in [4, 6] {
                    if matches!((kind, family), (Kind::Icmp(_), 6) | (Kind::Icmpv6(_), 4)) {
                        continue;
                    }
                    let required = flows
                        .iter()
                        .any(|f| f.admits(source, &host.group, family, kind));
                    match scope.and_then(|scope| scope(source, &host.group, kind, required)) {
                        Some(reason) => {
                            for flow in flows
                                .iter()
                                .filter(|f| f.admits(source, &host.group, family, kind))
                            {
                                excluded_flows
                                    .entry(flow.key.clone())
                                    .or_default()
                                    .insert(reason.clone());
                            }
                            *excluded.entry(reason).or_default() += 1;
                            continue;
                        }
                        None if scope.is_none() && !filters && !required => continue,
                        None => {}
                    }
                    probes.insert(Probe {
                        source: s,
                        destination: d,
                        family,
                        kind,
                    });
                }
            }
        }
    }
    let round = ROUND.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let probes: Vec<(String, Probe)> = probes
        .into_iter()
        .enumerate()
        .map(|(i, p)| (format!("PMX{:05}{:08}", round % 100_000, i), p))
        .collect();
    // Generic protocols are tracked by addresses alone: a probe A -> B would admit a later B -> A as its reply.
    // Such probes go in two phases, lower to higher host first, with the tracking tables emptied between.
    let mut verdicts = BTreeMap::new();
    for phase in 0..2 {
        rig.flush_conntrack();
        let mut batches = vec![Vec::new(); rig.hosts.len()];
        for (token, probe) in &probes {
            let late = matches!(probe.kind, Kind::Raw(_)) && probe.source > probe.destination;
            if late == (phase == 1) {
                batches[probe.source].push(probe_json(probe, &rig.hosts[probe.destination], token));
            }
        }
        verdicts.extend(rig.probe(&batches));
    }
    // Raw packets are judged by the receiver; give the last ones a moment to arrive.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let seen = rig.seen();
    let mut report = Report {
        target: target.to_string(),
        flows: flows.len(),
        flows_open: 0,
        probes_open: 0,
        probes_closed: 0,
        wrong: Vec::new(),
        unproven: Vec::new(),
        excluded,
        excluded_flows: BTreeMap::new(),
        seconds: 0.0,
    };
    let mut flow_probes = vec![(0usize, 0usize); flows.len()];
    for (token, probe) in &probes {
        let source = &rig.hosts[probe.source].group;
        let destination = &rig.hosts[probe.destination].group;
        let admitting: Vec<usize> = flows
            .iter()
            .enumerate()
            .filter(|(_, f)| f.admits(source, destination, probe.family, probe.kind))
            .map(|(i, _)| i)
            .collect();
        let expected = !admitting.is_empty();
        let verdict = verdicts.get(token).map(String::as_str);
        let open = match verdict {
            Some("open") => true,
            Some("closed") => false,
            Some("sent") => seen[probe.destination].contains(token),
            other => panic!("{}: prober answered {other:?}", describe(rig, probe)),
        };
        for &i in &admitting {
            flow_probes[i].0 += 1;
            if open {
                flow_probes[i].1 += 1;
            }
        }
        match (expected, open) {
            (true, true) => report.probes_open += 1,
            (false, false) => report.probes_closed += 1,
            (true, false) => report
                .wrong
                .push(format!("{}: required, but dropped", describe(rig, probe))),
            (false, true) => report.wrong.push(format!(
                "{}: not required, but admitted",
                describe(rig, probe)
            )),
        }
    }
    for (flow, (probed, passed)) in flows.iter().zip(flow_probes) {
        if probed > 0 && probed == passed {
            report.flows_open += 1;
        } else if probed == 0 {
            match excluded_flows.remove(&flow.key) {
                Some(reasons) => {
                    report.excluded_flows.insert(flow.key.clone(), reasons);
                }
                None => report
                    .unproven
                    .push(format!("{}: no probe reaches it", flow.key)),
            }
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

/// The addresses of each tier's nodes, as AWS groups stand for their members.
fn members(rig: &Rig) -> BTreeMap<String, (Vec<std::net::Ipv4Addr>, Vec<std::net::Ipv6Addr>)> {
    let mut members: BTreeMap<String, (Vec<_>, Vec<_>)> = BTreeMap::new();
    for host in &rig.hosts {
        if let Group::Tier(tier) = &host.group {
            let entry = members.entry(tier.clone()).or_default();
            entry.0.push(host.v4);
            entry.1.push(host.v6);
        }
    }
    members
}

fn rulesets(outputs: &Value) -> BTreeMap<String, String> {
    outputs["rulesets"]["value"]
        .as_object()
        .expect("rulesets map")
        .iter()
        .map(|(tier, text)| (tier.clone(), text.as_str().expect("text").to_string()))
        .collect()
}

/// Whether the rig can run here: root, `ip`, `nft` and `python3`. Under CI a missing piece fails the test.
fn rig_available() -> bool {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let python = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let missing: Vec<&str> = [
        (uid != "0", "root (network namespaces)"),
        (rig::ip_program().is_none(), "ip (Debian package iproute2)"),
        (
            rig::nft_program().is_none(),
            "nft (Debian package nftables)",
        ),
        (!python, "python3"),
    ]
    .into_iter()
    .filter(|(absent, _)| *absent)
    .map(|(_, what)| what)
    .collect();
    if missing.is_empty() {
        return true;
    }
    let reason = format!("the packet proof rig needs {}", missing.join(", "));
    assert!(
        std::env::var_os("CI").is_none(),
        "{reason}: CI must run it (as root, after acceptance-tests/setup.sh)"
    );
    eprintln!("SKIPPED: {reason}; run the tests as root to prove the rules by packets");
    false
}

/// Terraform's outputs for a stack.
fn outputs(stack: &Stack) -> Value {
    Workspace::new(&terraforms()[0], &config(stack)).outputs()
}

/// Proves a stack's nftables rulesets and AWS, GCP, OpenStack, Hetzner and Azure rules by packets; panics listing every wrong verdict.
fn prove(stack: &Stack) {
    if !rig_available() {
        return;
    }
    let started = Instant::now();
    let outputs = outputs(stack);
    let warnings = outputs["flow_warnings"]["value"].as_array().expect("list");
    assert!(
        warnings.is_empty(),
        "{}: the selection leaves flows out: {warnings:#?}",
        stack.name
    );
    let flows = flows(&outputs);
    let mut rig = Rig::new(stack.endpoints);
    rig.listen(&listen_specs(&rig, &flows));
    let nftables = rulesets(&outputs);
    let aws = aws::rulesets(&outputs, &members(&rig));
    let gcp = gcp::rulesets(&outputs, &members(&rig));
    let openstack = openstack::rulesets(&outputs, &members(&rig));
    let hcloud = (!stack.ip_in_ip).then(|| {
        (
            hcloud::rulesets(&outputs),
            azure::rulesets(&outputs, &members(&rig)),
        )
    });
    let mut reports = vec![
        round(&mut rig, "nftables", &flows, &nftables, None),
        round(&mut rig, "aws", &flows, &aws, None),
        round(&mut rig, "gcp", &flows, &gcp, None),
        round(&mut rig, "openstack", &flows, &openstack, None),
    ];
    match &hcloud {
        Some((hcloud, azure)) => {
            reports.push(round(&mut rig, "hcloud", &flows, hcloud, None));
            reports.push(round(&mut rig, "azure", &flows, azure, None));
        }
        None => println!(
            "proof {} / hcloud, azure: not run: neither can carry IP-in-IP, which this stack needs",
            stack.name
        ),
    }
    drop(rig);
    let mut failures = Vec::new();
    for report in &reports {
        println!(
            "proof {} / {}: {}/{} flows proven open ({} probes), {} probes proven closed, {} wrong verdicts ({:.1} s)",
            stack.name,
            report.target,
            report.flows_open,
            report.flows,
            report.probes_open,
            report.probes_closed,
            report.wrong.len(),
            report.seconds
        );
        for line in report.wrong.iter().chain(&report.unproven) {
            failures.push(format!("{} / {}: {line}", stack.name, report.target));
        }
    }
    println!(
        "proof {}: {:.1} s in all (Terraform, rig, every target)",
        stack.name,
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} wrong verdicts:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn kublr_with_calico_admits_exactly_its_flows() {
    prove(&KUBLR_CALICO);
}

#[test]
fn deckhouse_without_modules_admits_exactly_its_flows() {
    prove(&DECKHOUSE);
}

#[test]
fn kubeadm_calico_longhorn_admits_exactly_its_flows() {
    prove(&KUBEADM_CALICO_LONGHORN);
}

#[test]
fn rke2_with_canal_admits_exactly_its_flows() {
    prove(&RKE2_CANAL);
}

#[test]
fn k3s_admits_exactly_its_flows() {
    prove(&K3S);
}

#[test]
fn routed_pods_with_load_balancer_tier_admit_exactly_their_flows() {
    prove(&ROUTED_WITH_LB);
}

/// The rig is only worth something if it catches mistakes: a ruleset with one rule removed and one range one
/// port wider must give exactly those wrong verdicts.
#[test]
fn a_broken_ruleset_is_caught() {
    if !rig_available() {
        return;
    }
    let stack = &KUBEADM_CALICO_LONGHORN;
    let outputs = outputs(stack);
    let flows = flows(&outputs);
    let mut broken = rulesets(&outputs);
    let worker = broken.get_mut("worker").expect("worker ruleset");
    let removed = "    ip saddr @tier_master_v4 tcp dport 10250 accept";
    let widened = "    ip saddr @endpoint_nodeport-clients_v4 tcp dport 30000-32767 accept";
    let lines: Vec<String> = worker
        .lines()
        .filter(|l| !l.starts_with(removed))
        .map(|l| match l.strip_prefix(widened) {
            Some(rest) => {
                format!(
                    "    ip saddr @endpoint_nodeport-clients_v4 tcp dport 30000-32768 accept{rest}"
                )
            }
            None => l.to_string(),
        })
        .collect();
    let changed = lines.join("\n") + "\n";
    assert_eq!(
        worker.lines().count(),
        changed.lines().count() + 1,
        "the worker ruleset no longer has the line to remove"
    );
    assert!(changed.contains("30000-32768"), "no range to widen");
    *worker = changed;
    let mut rig = Rig::new(stack.endpoints);
    rig.listen(&listen_specs(&rig, &flows));
    let report = round(&mut rig, "broken nftables", &flows, &broken, None);
    drop(rig);
    let wrong: BTreeSet<&str> = report.wrong.iter().map(String::as_str).collect();
    let expected = BTreeSet::from([
        "master1 -> worker1 IPv4 Tcp(10250): required, but dropped",
        "master2 -> worker2 IPv4 Tcp(10250): required, but dropped",
        "endpoint:nodeport-clients -> worker1 IPv4 Tcp(32768): not required, but admitted",
        "endpoint:nodeport-clients -> worker2 IPv4 Tcp(32768): not required, but admitted",
    ]);
    assert_eq!(wrong, expected, "{report:#?}");
    println!(
        "proof broken ruleset: {} wrong verdicts caught ({:.1} s)",
        report.wrong.len(),
        report.seconds
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Kubernetes NetworkPolicy

/// A pod role of a NetworkPolicy stack and what its pods carry.
struct PodRole {
    /// `platform/role`.
    role: &'static str,
    /// The Kubernetes namespace of its pods.
    namespace: &'static str,
    /// The labels its selector (the catalog's, or the stack's `pod_selector`) selects by, as the pods carry
    /// them; empty for a role with neither, whose pods then carry only a label of the rig's, which no policy
    /// names.
    labels: &'static [(&'static str, &'static str)],
}

/// A selection to prove as NetworkPolicy objects. The flows come from `portmatrix_flows` with routed pods and
/// one tier per pod role, so that each flow is one pair of roles: every host role on a tier `nodes`, each pod
/// role on a tier named `platform-role`. A role missing from the lists leaves flows on no tier, which
/// `portmatrix_flows` warns about and the proof refuses.
struct PolicyStack {
    name: &'static str,
    platforms: &'static str,
    /// The host-network roles (`platform/role`), all on the nodes.
    host_roles: &'static [&'static str],
    /// The pod roles that send or receive flows.
    pods: &'static [PodRole],
    endpoints: &'static [&'static str],
    parameters: &'static str,
    /// `pod_selector` blocks for roles another role's policy must admit and whose catalog gives no labels.
    selectors: &'static str,
}

/// The NetworkPolicy stacks leave CoreDNS out (`coredns = "false"`): the rig has no pod of its own for it. The
/// NetworkPolicy target's unit tests check the CoreDNS policy against an independent evaluator. Every pod tier of
/// the rig also runs kubernetes' every-pod role, so what every pod sends (the API server, "Used By: All") is proven
/// from each of them.
///
/// Longhorn 1.6 (the 1.5+ catalog, with pod labels from the Helm chart's NetworkPolicy templates) with
/// kubernetes' metrics-server and Calico: policies between Longhorn's components, `ipBlock`s for the nodes, the
/// API server, the backup store and the image server, and Calico's and kubelet's host flows, which NetworkPolicy
/// cannot govern.
const LONGHORN_POLICIES: PolicyStack = PolicyStack {
    name: "kubernetes+calico+longhorn",
    platforms: r#"
  platform {
    name    = "kubernetes"
    options = { coredns = "false" }
  }
  platform {
    name = "calico"
  }
  platform {
    name    = "longhorn"
    version = "1.6.0"
  }"#,
    host_roles: &[
        "kubernetes/control-plane",
        "kubernetes/worker",
        "calico/node",
        "calico/typha",
        "calico/kube-apiserver",
        "calico/etcd",
        "longhorn/node",
    ],
    pods: &[
        PodRole {
            role: "kubernetes/metrics-server",
            namespace: "kube-system",
            labels: &[("k8s-app", "metrics-server")],
        },
        PodRole {
            role: "longhorn/longhorn-manager",
            namespace: "longhorn-system",
            labels: &[("app", "longhorn-manager")],
        },
        PodRole {
            role: "longhorn/longhorn-ui",
            namespace: "longhorn-system",
            labels: &[("app", "longhorn-ui")],
        },
        PodRole {
            role: "longhorn/instance-manager",
            namespace: "longhorn-system",
            labels: &[("longhorn.io/component", "instance-manager")],
        },
        PodRole {
            role: "longhorn/longhorn-csi-plugin",
            namespace: "longhorn-system",
            labels: &[("app", "longhorn-csi-plugin")],
        },
        PodRole {
            role: "longhorn/longhorn-driver-deployer",
            namespace: "longhorn-system",
            labels: &[("app", "longhorn-driver-deployer")],
        },
        PodRole {
            role: "longhorn/backing-image-manager",
            namespace: "longhorn-system",
            labels: &[("longhorn.io/component", "backing-image-manager")],
        },
        PodRole {
            role: "longhorn/backing-image-data-source",
            namespace: "longhorn-system",
            labels: &[("longhorn.io/component", "backing-image-data-source")],
        },
        // The selector below tests the key only, as the chart's policy does; the value is a job's name. It also
        // moves the jobs to a namespace of their own, so that policies must name namespaces (Longhorn's own
        // components share one).
        PodRole {
            role: "longhorn/recurring-job",
            namespace: "longhorn-jobs",
            labels: &[("recurring-job.longhorn.io", "nightly-backup")],
        },
        PodRole {
            role: "longhorn/csi-attacher",
            namespace: "longhorn-system",
            labels: &[],
        },
        PodRole {
            role: "longhorn/csi-provisioner",
            namespace: "longhorn-system",
            labels: &[],
        },
        PodRole {
            role: "longhorn/csi-resizer",
            namespace: "longhorn-system",
            labels: &[],
        },
        PodRole {
            role: "longhorn/csi-snapshotter",
            namespace: "longhorn-system",
            labels: &[],
        },
        PodRole {
            role: "longhorn/share-manager",
            namespace: "longhorn-system",
            labels: &[],
        },
        PodRole {
            role: "longhorn/uninstaller",
            namespace: "longhorn-system",
            labels: &[],
        },
    ],
    endpoints: &[
        "api-clients",
        "nodeport-clients",
        "load-balancers",
        "kubernetes-api-server",
        "backupstore",
        "image-download-server",
    ],
    parameters: "backupstore_port = 9000, image_download_port = 8000",
    selectors: r#"
  pod_selector {
    role      = "longhorn/recurring-job"
    namespace = "longhorn-jobs"
    match_expression {
      key      = "recurring-job.longhorn.io"
      operator = "Exists"
    }
  }"#,
};

/// ingress-nginx's controller (isolated for ingress only: its catalog lists no egress), MetalLB's controller
/// (no labels in its catalog, so left open) and metrics-server, beside Cilium's and MetalLB's host flows.
const INGRESS_POLICIES: PolicyStack = PolicyStack {
    name: "kubernetes+cilium+metallb+ingress-nginx",
    platforms: r#"
  platform {
    name    = "kubernetes"
    options = { coredns = "false" }
  }
  platform {
    name = "cilium"
  }
  platform {
    name = "metallb"
  }
  platform {
    name = "ingress-nginx"
  }"#,
    host_roles: &[
        "kubernetes/control-plane",
        "kubernetes/worker",
        "cilium/node",
        "cilium/etcd",
        "metallb/speaker",
        "metallb/kube-apiserver",
        "ingress-nginx/controller-host",
        "ingress-nginx/node",
        "ingress-nginx/kube-apiserver",
    ],
    pods: &[
        PodRole {
            role: "kubernetes/metrics-server",
            namespace: "kube-system",
            labels: &[("k8s-app", "metrics-server")],
        },
        PodRole {
            role: "ingress-nginx/controller",
            namespace: "ingress-nginx",
            labels: &[
                ("app.kubernetes.io/name", "ingress-nginx"),
                ("app.kubernetes.io/component", "controller"),
            ],
        },
        PodRole {
            role: "metallb/controller",
            namespace: "metallb-system",
            labels: &[],
        },
    ],
    endpoints: &[
        "api-clients",
        "nodeport-clients",
        "clients",
        "load-balancers",
        "prometheus",
    ],
    parameters: "metrics_port = 7472",
    selectors: "",
};

/// The tier of a pod role.
fn pod_tier(role: &str) -> String {
    role.replace('/', "-")
}

/// `portmatrix_flows` and `portmatrix_kubernetes_network_policies` for a stack, on the same inputs.
fn policy_config(stack: &PolicyStack) -> String {
    let mut common = stack.platforms.to_string();
    for (i, endpoint) in stack.endpoints.iter().enumerate() {
        let (v4, v6) = endpoint_cidrs(i);
        common.push_str(&format!(
            "\n  endpoint {{\n    name      = \"{endpoint}\"\n    cidr_ipv4 = [\"{v4}\"]\n    cidr_ipv6 = [\"{v6}\"]\n  }}"
        ));
    }
    if !stack.parameters.is_empty() {
        common.push_str(&format!("\n  parameters = {{ {} }}", stack.parameters));
    }
    let quoted = |items: &[&str]| {
        items
            .iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut tiers = format!(
        "\n  tier {{\n    name  = \"nodes\"\n    roles = [{}]\n  }}",
        quoted(stack.host_roles)
    );
    // Each pod tier also runs kubernetes' every-pod role: its pods are pods of the cluster like any other.
    for pod in stack.pods {
        tiers.push_str(&format!(
            "\n  tier {{\n    name  = \"{}\"\n    roles = [\"{}\", \"kubernetes/pods\"]\n  }}",
            pod_tier(pod.role),
            pod.role
        ));
    }
    let (v4, v6) = tier_block(0);
    format!(
        r#"
data "portmatrix_flows" "s" {{{common}{tiers}
  pod_network = "routed"
}}

data "portmatrix_kubernetes_network_policies" "s" {{{common}
  node_cidrs = ["{v4}", "{v6}"]{selectors}
}}

output "flows" {{
  value = data.portmatrix_flows.s.flows
}}
output "flow_warnings" {{
  value = data.portmatrix_flows.s.warnings
}}
output "policies" {{
  value = data.portmatrix_kubernetes_network_policies.s.policies
}}
output "not_needed" {{
  value = data.portmatrix_kubernetes_network_policies.s.not_needed
}}
output "policy_warnings" {{
  value = data.portmatrix_kubernetes_network_policies.s.warnings
}}
"#,
        selectors = stack.selectors
    )
}

/// What the expansion and the documented contract of the target say about a stack, for [`Scope`]: the pod
/// tiers, and which of them policies must isolate in each direction.
struct Isolation {
    pods: BTreeSet<String>,
    ingress: BTreeSet<String>,
    egress: BTreeSet<String>,
}

/// Why a probe is outside what NetworkPolicy decides.
const NOT_A_POD: &str = "neither end is a pod: NetworkPolicy governs pod traffic only";
const NOT_PORTS: &str =
    "NetworkPolicy filters TCP, UDP and SCTP only: other protocols of pods are the network plugin's";

impl Isolation {
    /// A pod role is isolated in a direction when it has labels (a policy can select it) and some flow of a
    /// protocol NetworkPolicy filters goes that way: the data source's page says a role is isolated only in the
    /// directions its catalogs list flows for. What every pod sends or receives (kubernetes' every-pod role,
    /// which each pod tier runs too) is no role's own: it isolates nothing.
    fn new(stack: &PolicyStack, flows: &[Flow]) -> Isolation {
        let mut isolation = Isolation {
            pods: stack.pods.iter().map(|p| pod_tier(p.role)).collect(),
            ingress: BTreeSet::new(),
            egress: BTreeSet::new(),
        };
        let labelled: BTreeSet<String> = stack
            .pods
            .iter()
            .filter(|p| !p.labels.is_empty())
            .map(|p| pod_tier(p.role))
            .collect();
        for flow in flows
            .iter()
            .filter(|f| matches!(f.protocol.as_str(), "tcp" | "udp" | "sctp"))
        {
            let every_pod = |role: fn(&(String, String, String)) -> &String| {
                flow.reasons
                    .iter()
                    .all(|reason| reason.0 == "kubernetes" && role(reason) == "pods")
            };
            for (end, set, every_pod) in [
                (
                    &flow.destination,
                    &mut isolation.ingress,
                    every_pod(|r| &r.2),
                ),
                (&flow.source, &mut isolation.egress, every_pod(|r| &r.1)),
            ] {
                if every_pod {
                    continue;
                }
                if let Group::Tier(tier) = end {
                    if labelled.contains(tier) {
                        set.insert(tier.clone());
                    }
                }
            }
        }
        isolation
    }

    fn pod<'a>(&self, group: &'a Group) -> Option<&'a String> {
        match group {
            Group::Tier(tier) if self.pods.contains(tier) => Some(tier),
            _ => None,
        }
    }

    /// Why a probe is left out, or `None` when the policies decide it: a probe between two non-pods, or of a
    /// protocol NetworkPolicy does not filter, is never theirs; one no flow requires is theirs only when the
    /// sender is a pod isolated for egress or the receiver a pod isolated for ingress (any other such probe
    /// passes by the documented contract, unproven here).
    fn scope(
        &self,
        source: &Group,
        destination: &Group,
        kind: Kind,
        required: bool,
    ) -> Option<String> {
        let (from, to) = (self.pod(source), self.pod(destination));
        let Some(end) = to.or(from) else {
            return Some(NOT_A_POD.to_string());
        };
        if !matches!(kind, Kind::Tcp(_) | Kind::Udp(_)) {
            return Some(NOT_PORTS.to_string());
        }
        let egress = from.is_some_and(|tier| self.egress.contains(tier));
        let ingress = to.is_some_and(|tier| self.ingress.contains(tier));
        if required || egress || ingress {
            return None;
        }
        Some(if to.is_some() {
            format!("{end} is not isolated for ingress, nor the sender for egress")
        } else {
            format!("{end} is not isolated for egress, and the receiver is no pod")
        })
    }
}

/// The hosts of each tier: two where a flow goes from the tier to itself (one sends, the other receives), else
/// one.
fn policy_layout(stack: &PolicyStack, flows: &[Flow]) -> Vec<(String, u8)> {
    std::iter::once("nodes".to_string())
        .chain(stack.pods.iter().map(|p| pod_tier(p.role)))
        .map(|tier| {
            let group = Group::Tier(tier.clone());
            let to_itself = flows
                .iter()
                .any(|f| f.source == group && f.destination == group);
            (tier, if to_itself { 2 } else { 1 })
        })
        .collect()
}

/// The pods of the rig, for the translator: each pod tier's hosts with their role's namespace and labels, plus
/// a label of the rig's naming the tier.
fn policy_pods(stack: &PolicyStack, rig: &Rig) -> Vec<network_policy::Pods> {
    stack
        .pods
        .iter()
        .map(|pod| {
            let tier = pod_tier(pod.role);
            let hosts: Vec<&Host> = rig
                .hosts
                .iter()
                .filter(|h| h.group == Group::Tier(tier.clone()))
                .collect();
            let mut labels: BTreeMap<String, String> = pod
                .labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            labels.insert("rig.portmatrix.invalid/tier".into(), tier.clone());
            network_policy::Pods {
                tier,
                namespace: pod.namespace.to_string(),
                labels,
                v4: hosts.iter().map(|h| h.v4).collect(),
                v6: hosts.iter().map(|h| h.v6).collect(),
            }
        })
        .collect()
}

/// The catalog flows behind `flow` that the target does not list as beyond NetworkPolicy: in `not_needed`
/// (neither end a pod) or in its warning about protocols other than TCP, UDP and SCTP.
fn unlisted(flow: &Flow, outputs: &Value) -> Vec<String> {
    let not_needed = outputs["not_needed"]["value"].as_array().expect("list");
    let warnings = outputs["policy_warnings"]["value"]
        .as_array()
        .expect("list");
    flow.reasons
        .iter()
        .filter(|(platform, from, to)| {
            let in_not_needed = not_needed.iter().any(|n| {
                n["platform"] == platform.as_str()
                    && n["from_role"] == from.as_str()
                    && n["to_role"] == to.as_str()
                    && n["protocol"] == flow.protocol.as_str()
            });
            let line = format!("{platform}: {from} -> {to} {}", flow.protocol);
            let in_warning = warnings.iter().any(|w| {
                w.as_str()
                    .is_some_and(|w| w.contains("TCP, UDP and SCTP only") && w.contains(&line))
            });
            !in_not_needed && !in_warning
        })
        .map(|(platform, from, to)| format!("{platform}: {from} -> {to}"))
        .collect()
}

/// Everything a NetworkPolicy proof needs: Terraform's outputs, the flows, the rig, its pods and the scope.
struct PolicyRig {
    outputs: Value,
    flows: Vec<Flow>,
    rig: Rig,
    pods: Vec<network_policy::Pods>,
    isolation: Isolation,
}

fn policy_rig(stack: &PolicyStack) -> PolicyRig {
    let outputs = Workspace::new(&terraforms()[0], &policy_config(stack)).outputs();
    let warnings = outputs["flow_warnings"]["value"].as_array().expect("list");
    assert!(
        warnings.is_empty(),
        "{}: the selection leaves flows out (a role on no tier?): {warnings:#?}",
        stack.name
    );
    let flows = flows(&outputs);
    let mut rig = Rig::with_tiers(&policy_layout(stack, &flows), stack.endpoints);
    rig.listen(&listen_specs(&rig, &flows));
    let pods = policy_pods(stack, &rig);
    let isolation = Isolation::new(stack, &flows);
    PolicyRig {
        outputs,
        flows,
        rig,
        pods,
        isolation,
    }
}

/// Proves a stack's NetworkPolicy objects by packets: every flow with a pod at one end open, and everything else
/// the policies decide closed; flows NetworkPolicy cannot govern are listed, and the target must say so too.
fn prove_network_policies(stack: &PolicyStack) {
    if !rig_available() {
        return;
    }
    let started = Instant::now();
    let PolicyRig {
        outputs,
        flows,
        mut rig,
        pods,
        isolation,
    } = policy_rig(stack);
    let rulesets = network_policy::rulesets(&outputs["policies"]["value"], &pods);
    let scope =
        |s: &Group, d: &Group, kind: Kind, required: bool| isolation.scope(s, d, kind, required);
    let report = round(
        &mut rig,
        "kubernetes_network_policies",
        &flows,
        &rulesets,
        Some(&scope),
    );
    drop(rig);
    let label = format!("proof {} / kubernetes_network_policies", stack.name);
    println!(
        "{label}: {}/{} flows proven open ({} probes), {} probes proven closed, {} wrong verdicts, {} flows beyond \
         NetworkPolicy ({:.1} s)",
        report.flows_open,
        report.flows,
        report.probes_open,
        report.probes_closed,
        report.wrong.len(),
        report.excluded_flows.len(),
        report.seconds
    );
    let mut failures: Vec<String> = report
        .wrong
        .iter()
        .chain(&report.unproven)
        .cloned()
        .collect();
    for (key, reasons) in &report.excluded_flows {
        let flow = flows.iter().find(|f| &f.key == key).expect("a flow");
        let reasons: Vec<&str> = reasons.iter().map(String::as_str).collect();
        println!("{label}: not probed: {key}: {}", reasons.join("; "));
        let unlisted = unlisted(flow, &outputs);
        if !unlisted.is_empty() {
            failures.push(format!(
                "{key} is beyond NetworkPolicy ({}), yet the target does not say so for {}",
                reasons.join("; "),
                unlisted.join(", ")
            ));
        }
    }
    for (reason, count) in &report.excluded {
        println!("{label}: {count} probes not sent: {reason}");
    }
    println!(
        "proof {}: {:.1} s in all (Terraform, rig, NetworkPolicy)",
        stack.name,
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} / kubernetes_network_policies: {} failures:\n{}",
        stack.name,
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn longhorn_network_policies_admit_exactly_their_flows() {
    prove_network_policies(&LONGHORN_POLICIES);
}

#[test]
fn ingress_nginx_network_policies_admit_exactly_their_flows() {
    prove_network_policies(&INGRESS_POLICIES);
}

/// The one port entry of `policy`'s ingress rules that admits `range` (`port`, `endPort`).
fn ingress_port<'a>(
    policies: &'a mut Value,
    policy: &str,
    range: (u64, Option<u64>),
) -> &'a mut Value {
    let rules = policies[policy]["spec"]["ingress"]
        .as_array_mut()
        .unwrap_or_else(|| panic!("{policy} has no ingress rules"));
    let mut found = rules
        .iter_mut()
        .flat_map(|rule| rule["ports"].as_array_mut().into_iter().flatten())
        .filter(|p| p["port"] == range.0 && p["endPort"].as_u64() == range.1);
    let port = found
        .next()
        .unwrap_or_else(|| panic!("{policy} no longer admits {range:?}"));
    assert!(found.next().is_none(), "{policy} admits {range:?} twice");
    port
}

/// The NetworkPolicy rig catches mistakes too: instance-manager's policy with port 8504 removed from the range
/// longhorn-manager may reach (8500-8504), and metrics-server's with its node port range one port wider, must
/// give exactly those wrong verdicts.
#[test]
fn a_broken_network_policy_is_caught() {
    if !rig_available() {
        return;
    }
    let stack = &LONGHORN_POLICIES;
    let PolicyRig {
        outputs,
        flows,
        mut rig,
        pods,
        isolation,
    } = policy_rig(stack);
    let mut policies = outputs["policies"]["value"].clone();
    ingress_port(
        &mut policies,
        "longhorn-system/portmatrix-instance-manager",
        (8500, Some(8504)),
    )["endPort"] = 8503.into();
    ingress_port(
        &mut policies,
        "kube-system/portmatrix-metrics-server",
        (10250, None),
    )["endPort"] = 10251.into();
    let broken = network_policy::rulesets(&policies, &pods);
    let scope =
        |s: &Group, d: &Group, kind: Kind, required: bool| isolation.scope(s, d, kind, required);
    let report = round(
        &mut rig,
        "broken kubernetes_network_policies",
        &flows,
        &broken,
        Some(&scope),
    );
    drop(rig);
    let wrong: BTreeSet<&str> = report.wrong.iter().map(String::as_str).collect();
    let expected = BTreeSet::from([
        "longhorn-longhorn-manager1 -> longhorn-instance-manager1 IPv4 Tcp(8504): required, but dropped",
        "longhorn-longhorn-manager1 -> longhorn-instance-manager1 IPv6 Tcp(8504): required, but dropped",
        "longhorn-longhorn-manager2 -> longhorn-instance-manager2 IPv4 Tcp(8504): required, but dropped",
        "longhorn-longhorn-manager2 -> longhorn-instance-manager2 IPv6 Tcp(8504): required, but dropped",
        "nodes1 -> kubernetes-metrics-server1 IPv4 Tcp(10251): not required, but admitted",
        "nodes1 -> kubernetes-metrics-server1 IPv6 Tcp(10251): not required, but admitted",
    ]);
    assert_eq!(wrong, expected, "{report:#?}");
    println!(
        "proof broken NetworkPolicy: {} wrong verdicts caught ({:.1} s)",
        report.wrong.len(),
        report.seconds
    );
}
