//! Full AWS security group rule sets for Longhorn 1.5+ (overlay and routed pod networks) and for Kubernetes +
//! Calico + Longhorn, under every Terraform.
//!
//! The expected tables are written by hand from the port documents, never from the provider's output:
//! * Longhorn 1.5+: shared/reference/ports.md §1.3, first table (v1.13.0 page, identical port tables from v1.5.1 to
//!   v1.12.x; version "1.6.0" is inside that range). Rows are cited as "Section / Direction | peer | ports".
//! * Kubernetes: ports.md §4 (kubernetes/website "Ports and Protocols" @3842a284 plus the UDP NodePort row of
//!   PR #47991).
//! * Calico: ports.md §5 "Calico" (tigera/docs ReqsSys.js @d6bc3298).
//!
//! The documents were turned into rules with the expansion spec: with no `tier` blocks the tiers are master, worker
//! and lb, and each role sits on its catalog's default tiers (every Longhorn role and Calico's node and typha on
//! master and worker; Kubernetes control-plane and Calico kube-apiserver on master; Kubernetes worker on worker;
//! nothing on lb). A flow between roles gives one rule per ordered (source tier, destination tier) pair. On an
//! overlay pod network a flow whose destination is a pod needs no cloud rule; every other flow (destination a
//! host role or an endpoint) does. Rules of one (group, peer, protocol) merge when their tcp/udp ranges overlap or
//! touch.

mod common;

use common::{
    assert_rules, assert_tier_counts, expected, mirror, raw_outputs, rules, warnings, Direction,
    Rule,
};
use portmatrix_acceptance_tests::{terraforms, Workspace};
use serde_json::Value;
use std::collections::BTreeSet;

/// The tiers a configuration without `tier` blocks gets.
const TIERS: [&str; 3] = ["lb", "master", "worker"];

/// Tiers that hold roles (lb holds none, so it is never a peer).
const CLUSTER_TIERS: [&str; 2] = ["master", "worker"];

/// Endpoint blocks for every Longhorn endpoint that flows reach. The backupstore has an IPv4 and an IPv6 address,
/// so its rules come once per CIDR.
const LONGHORN_ENDPOINTS: &str = r#"
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
"#;

/// Values for Longhorn's placeholders: "Kubernetes API server port", "User defined" (backupstore) and "user
/// defined" (image download server).
const LONGHORN_PARAMETERS: &str = r#"
  api_server_port = 6443
  parameters = {
    backupstore_port    = 9000
    image_download_port = 443
  }
"#;

const LONGHORN_1_6: &str = r#"
  platform {
    name    = "longhorn"
    version = "1.6.0"
  }
"#;

/// Both data sources over the same inputs, with every output the tests read.
fn config(inputs: &str) -> String {
    format!(
        r#"
data "portmatrix_aws_security_group_rules" "cluster" {{
{inputs}
}}

data "portmatrix_flows" "cluster" {{
{inputs}
}}

output "ingress" {{
  value = data.portmatrix_aws_security_group_rules.cluster.ingress
}}

output "egress" {{
  value = data.portmatrix_aws_security_group_rules.cluster.egress
}}

output "tiers" {{
  value = data.portmatrix_aws_security_group_rules.cluster.tiers
}}

output "warnings" {{
  value = data.portmatrix_aws_security_group_rules.cluster.warnings
}}

output "flow_warnings" {{
  value = data.portmatrix_flows.cluster.warnings
}}

output "not_needed" {{
  value = data.portmatrix_flows.cluster.not_needed
}}

output "aws_not_needed" {{
  value = data.portmatrix_aws_security_group_rules.cluster.not_needed
}}
"#
    )
}

/// Egress of every Longhorn 1.5+ flow to an endpoint, with [`LONGHORN_ENDPOINTS`] and [`LONGHORN_PARAMETERS`].
/// The senders are pods on master and worker; their traffic leaves the node with the node's address, so the rules
/// sit on the master and the worker groups.
#[rustfmt::skip]
const LONGHORN_ENDPOINT_EGRESS: &[common::Row] = &[
    // "Longhorn Manager / Egress | External Backupstore | User defined | TCP" and
    // "Instance Manager / Egress | External Backupstore | User defined | TCP": backupstore_port = 9000,
    // one rule per CIDR of the endpoint.
    ("master", "backupstore:192.0.2.10/32", "tcp", Some(9000), Some(9000)),
    ("master", "backupstore:2001:db8::10/128", "tcp", Some(9000), Some(9000)),
    ("worker", "backupstore:192.0.2.10/32", "tcp", Some(9000), Some(9000)),
    ("worker", "backupstore:2001:db8::10/128", "tcp", Some(9000), Some(9000)),
    // "Longhorn Manager / Egress | Kubernetes API server | Kubernetes API server port | TCP",
    // "CSI sidecar (csi-attacher, csi-provisioner, csi-resizer, csi-snapshotter) / Egress | Kubernetes API server",
    // "Driver deployer / Egress | Kubernetes API server", "Uninstaller / Egress | Kubernetes API server":
    // api_server_port = 6443.
    ("master", "kubernetes-api-server:10.0.0.10/32", "tcp", Some(6443), Some(6443)),
    ("worker", "kubernetes-api-server:10.0.0.10/32", "tcp", Some(6443), Some(6443)),
    // "Backing Image Data Source / Egress | User provided server IP to download the images from | user defined |
    // TCP": image_download_port = 443.
    ("master", "image-download-server:198.51.100.20/32", "tcp", Some(443), Some(443)),
    ("worker", "image-download-server:198.51.100.20/32", "tcp", Some(443), Some(443)),
];

/// Every Longhorn 1.5+ flow whose destination is a pod (all of them except the ones to endpoints):
/// (from role, to role, protocol, ports). On an overlay network none needs a cloud rule. "Node in the cluster" is
/// the host-network role `node`; its flows also end at pods.
const LONGHORN_POD_DESTINATION_FLOWS: &[(&str, &str, &str, &str)] = &[
    // "Longhorn Manager / Ingress | Other Longhorn Manager | 9500 | TCP" (= Egress "Other Longhorn Manager 9500")
    ("longhorn-manager", "longhorn-manager", "tcp", "9500"),
    // "Longhorn Manager / Ingress | UI | 9500 | TCP" (= "UI / Egress | Longhorn Manager | 9500")
    ("longhorn-ui", "longhorn-manager", "tcp", "9500"),
    // "Longhorn Manager / Ingress | Longhorn CSI plugin | 9500 | TCP"
    ("longhorn-csi-plugin", "longhorn-manager", "tcp", "9500"),
    // "Longhorn Manager / Ingress | Backup/Snapshot Recurring Job Pod | 9500 | TCP"
    ("recurring-job", "longhorn-manager", "tcp", "9500"),
    // "Longhorn Manager / Ingress | Longhorn Driver Deployer | 9500 | TCP"
    (
        "longhorn-driver-deployer",
        "longhorn-manager",
        "tcp",
        "9500",
    ),
    // "Longhorn Manager / Ingress | Conversion Webhook Server | 9501 | TCP" (served by longhorn-manager since 1.5)
    ("longhorn-manager", "longhorn-manager", "tcp", "9501"),
    // "Longhorn Manager / Ingress | Admission Webhook Server | 9502 | TCP"
    ("longhorn-manager", "longhorn-manager", "tcp", "9502"),
    // "Longhorn Manager / Ingress | Recovery Backend Server | 9503 | TCP"
    ("longhorn-manager", "longhorn-manager", "tcp", "9503"),
    // The webhooks' caller named by the Longhorn chart (longhorn/longhorn bb2f2223, values.yaml "Kubernetes API
    // server source CIDRs allowed to access the Longhorn admission webhook", webhook policy TCP 9501 and 9502)
    (
        "kubernetes-api-server",
        "longhorn-manager",
        "tcp",
        "9501-9502",
    ),
    // "Longhorn Manager / Egress | Instance Manager | 8500 (process-manager service); 8501 (proxy service);
    // 8502 (disk service); 8503 (instance service); 8504 (spdk service) | TCP"
    ("longhorn-manager", "instance-manager", "tcp", "8500-8504"),
    // "Longhorn Manager / Egress | Backing Image Manager | 8000 | TCP"
    ("longhorn-manager", "backing-image-manager", "tcp", "8000"),
    // "Longhorn Manager / Egress | Backing Image Data Source | 8000 | TCP"
    (
        "longhorn-manager",
        "backing-image-data-source",
        "tcp",
        "8000",
    ),
    // "Instance Manager / Ingress | Other Instance Manager | 10000-30000 | TCP"
    ("instance-manager", "instance-manager", "tcp", "10000-30000"),
    // "Instance Manager / Ingress | Node in the Cluster | 3260 | TCP"
    ("node", "instance-manager", "tcp", "3260"),
    // "Instance Manager / Ingress | Backing Image Data Source | 10000-30000 | TCP"
    (
        "backing-image-data-source",
        "instance-manager",
        "tcp",
        "10000-30000",
    ),
    // "Instance Manager / Egress | Backing Image Data Source | 8002 | TCP"
    (
        "instance-manager",
        "backing-image-data-source",
        "tcp",
        "8002",
    ),
    // "Backing Image Manager / Ingress | Other Backing Image Manager | 30001-31000 | TCP"
    (
        "backing-image-manager",
        "backing-image-manager",
        "tcp",
        "30001-31000",
    ),
    // "Backing Image Manager / Egress | Instance Manager | 10000-30000 | TCP"
    (
        "backing-image-manager",
        "instance-manager",
        "tcp",
        "10000-30000",
    ),
    // "Backing Image Manager / Egress | Backing Image Data Source | 8000 | TCP"
    (
        "backing-image-manager",
        "backing-image-data-source",
        "tcp",
        "8000",
    ),
    // "Share Manager / Ingress | Node in the cluster | 2049 | TCP"
    ("node", "share-manager", "tcp", "2049"),
];

/// Ingress from the API server's address to the Longhorn Manager pods on master and worker on a routed pod
/// network: kube-apiserver calls the conversion (9501) and admission (9502) webhooks (the Longhorn chart at
/// bb2f2223: "Kubernetes API server source CIDRs allowed to access the Longhorn admission webhook").
#[rustfmt::skip]
const LONGHORN_WEBHOOK_CALLER_INGRESS: &[common::Row] = &[
    ("master", "kubernetes-api-server:10.0.0.10/32", "tcp", Some(9501), Some(9502)),
    ("worker", "kubernetes-api-server:10.0.0.10/32", "tcp", Some(9501), Some(9502)),
];

/// Longhorn 1.5+ on a routed pod network: every flow between roles, merged per (group, peer, protocol). Every role
/// runs on master and worker, so each of the four ordered pairs gets the same seven ranges:
/// * 2049: "Share Manager / Ingress | Node in the cluster | 2049"
/// * 3260: "Instance Manager / Ingress | Node in the Cluster | 3260"
/// * 8000: "Longhorn Manager / Egress | Backing Image Manager | 8000", "... | Backing Image Data Source | 8000",
///   "Backing Image Manager / Egress | Backing Image Data Source | 8000"
/// * 8002: "Instance Manager / Egress | Backing Image Data Source | 8002" (8001 is in no row: no merge with 8000)
/// * 8500-8504: "Longhorn Manager / Egress | Instance Manager | 8500 (...); 8501 (...); 8502 (...); 8503 (...);
///   8504 (...)"
/// * 9500-9503: "Longhorn Manager / Ingress" 9500 (Other Longhorn Manager, UI, CSI plugin, Recurring Job, Driver
///   Deployer), 9501 (Conversion Webhook Server), 9502 (Admission Webhook Server), 9503 (Recovery Backend Server)
/// * 10000-31000: "Instance Manager / Ingress | Other Instance Manager | 10000-30000", "... | Backing Image Data
///   Source | 10000-30000", "Backing Image Manager / Egress | Instance Manager | 10000-30000" and "Backing Image
///   Manager / Ingress | Other Backing Image Manager | 30001-31000" (30000 and 30001 touch)
#[rustfmt::skip]
const LONGHORN_ROUTED_INGRESS: &[common::Row] = &[
    ("master", "master", "tcp", Some(2049), Some(2049)),
    ("master", "master", "tcp", Some(3260), Some(3260)),
    ("master", "master", "tcp", Some(8000), Some(8000)),
    ("master", "master", "tcp", Some(8002), Some(8002)),
    ("master", "master", "tcp", Some(8500), Some(8504)),
    ("master", "master", "tcp", Some(9500), Some(9503)),
    ("master", "master", "tcp", Some(10000), Some(31000)),
    ("master", "worker", "tcp", Some(2049), Some(2049)),
    ("master", "worker", "tcp", Some(3260), Some(3260)),
    ("master", "worker", "tcp", Some(8000), Some(8000)),
    ("master", "worker", "tcp", Some(8002), Some(8002)),
    ("master", "worker", "tcp", Some(8500), Some(8504)),
    ("master", "worker", "tcp", Some(9500), Some(9503)),
    ("master", "worker", "tcp", Some(10000), Some(31000)),
    ("worker", "master", "tcp", Some(2049), Some(2049)),
    ("worker", "master", "tcp", Some(3260), Some(3260)),
    ("worker", "master", "tcp", Some(8000), Some(8000)),
    ("worker", "master", "tcp", Some(8002), Some(8002)),
    ("worker", "master", "tcp", Some(8500), Some(8504)),
    ("worker", "master", "tcp", Some(9500), Some(9503)),
    ("worker", "master", "tcp", Some(10000), Some(31000)),
    ("worker", "worker", "tcp", Some(2049), Some(2049)),
    ("worker", "worker", "tcp", Some(3260), Some(3260)),
    ("worker", "worker", "tcp", Some(8000), Some(8000)),
    ("worker", "worker", "tcp", Some(8002), Some(8002)),
    ("worker", "worker", "tcp", Some(8500), Some(8504)),
    ("worker", "worker", "tcp", Some(9500), Some(9503)),
    ("worker", "worker", "tcp", Some(10000), Some(31000)),
];

/// Endpoints of Kubernetes + Calico + Longhorn: Kubernetes' "All" clients (of the API and of the NodePorts, the
/// same addresses) and "Load balancers", and Longhorn's.
/// ui-users is left out: no flow names it (the UI ingress row has no protocol or port).
fn stack_endpoints(extra: &str) -> String {
    format!(
        r#"
  endpoint {{
    name      = "api-clients"
    cidr_ipv4 = ["203.0.113.0/24"{extra}]
  }}
  endpoint {{
    name      = "nodeport-clients"
    cidr_ipv4 = ["203.0.113.0/24"{extra}]
  }}
  endpoint {{
    name      = "load-balancers"
    cidr_ipv4 = ["10.0.200.0/24"]
  }}
{LONGHORN_ENDPOINTS}"#
    )
}

fn stack_inputs(extra_endpoints: &str, extra_client_cidr: &str) -> String {
    format!(
        r#"
  platform {{
    name = "kubernetes"
  }}
  platform {{
    name = "calico"
  }}
{LONGHORN_1_6}
  pod_network = "overlay"
{}{extra_endpoints}
{LONGHORN_PARAMETERS}"#,
        stack_endpoints(extra_client_cidr)
    )
}

/// An expected rule with the platforms that ask for it: (tier, peer, ip_protocol, from, to, platforms).
type RowWithPlatforms = (
    &'static str,
    &'static str,
    &'static str,
    Option<i64>,
    Option<i64>,
    &'static [&'static str],
);

/// Kubernetes + Calico (defaults: networking calico, BGP on, IP-in-IP, Typha on, WireGuard off, Kubernetes
/// datastore, API server 6443) + Longhorn 1.6.0 on an overlay network: (tier, peer, ip_protocol, from, to,
/// platforms). Longhorn adds no ingress: all its flows between roles end at pods.
#[rustfmt::skip]
const STACK_INGRESS: &[RowWithPlatforms] = &[
    // master group, from master
    // Calico "Calico networking (BGP) | All hosts | TCP 179" (bgp default true)
    ("master", "master", "tcp", Some(179), Some(179), &["calico"]),
    // Kubernetes "Control plane / Inbound | TCP | 2379-2380 | etcd server client API | kube-apiserver, etcd"
    ("master", "master", "tcp", Some(2379), Some(2380), &["kubernetes"]),
    // Calico "Calico networking with Typha enabled | Typha agent hosts | TCP 5473 (default)"
    ("master", "master", "tcp", Some(5473), Some(5473), &["calico"]),
    // Kubernetes "Control plane / Inbound | TCP | 6443 | Kubernetes API server | All" and
    // Calico "All | kube-apiserver host | Often TCP 443 or 6443*" (option apiserver_port default 6443)
    ("master", "master", "tcp", Some(6443), Some(6443), &["calico", "kubernetes"]),
    // Kubernetes "Control plane / Inbound | TCP | 10250 | Kubelet API | Self, Control plane"
    ("master", "master", "tcp", Some(10250), Some(10250), &["kubernetes"]),
    // Calico "Calico networking with IP-in-IP enabled (default) | All | IP-in-IP ... protocol number 4"
    ("master", "master", "4", None, None, &["calico"]),
    // master group, from worker: BGP, Typha, the API server (Kubernetes "All"; Calico "All"), the kubelet, IP-in-IP
    ("master", "worker", "tcp", Some(179), Some(179), &["calico"]),
    ("master", "worker", "tcp", Some(5473), Some(5473), &["calico"]),
    ("master", "worker", "tcp", Some(6443), Some(6443), &["calico", "kubernetes"]),
    // metrics-server README "Metrics Server to Kubelet on all nodes" (metrics-server on both tiers)
    ("master", "worker", "tcp", Some(10250), Some(10250), &["kubernetes"]),
    ("master", "worker", "4", None, None, &["calico"]),
    // master group, from the api-clients endpoint: Kubernetes "6443 | All"
    ("master", "api-clients:203.0.113.0/24", "tcp", Some(6443), Some(6443), &["kubernetes"]),
    // worker group, from master: BGP, Typha, IP-in-IP;
    // Kubernetes "Worker node(s) / Inbound | TCP | 10250 | Kubelet API | Self, Control plane";
    // "Worker node(s) / Inbound | TCP | 30000-32767 | NodePort Services | All" and the UDP row of PR #47991
    ("worker", "master", "tcp", Some(179), Some(179), &["calico"]),
    ("worker", "master", "tcp", Some(5473), Some(5473), &["calico"]),
    ("worker", "master", "tcp", Some(10250), Some(10250), &["kubernetes"]),
    ("worker", "master", "tcp", Some(30000), Some(32767), &["kubernetes"]),
    ("worker", "master", "udp", Some(30000), Some(32767), &["kubernetes"]),
    ("worker", "master", "4", None, None, &["calico"]),
    // worker group, from worker: BGP, Typha, the kubelet, NodePort tcp/udp ("All"), IP-in-IP
    ("worker", "worker", "tcp", Some(179), Some(179), &["calico"]),
    ("worker", "worker", "tcp", Some(5473), Some(5473), &["calico"]),
    // metrics-server README "Metrics Server to Kubelet on all nodes"
    ("worker", "worker", "tcp", Some(10250), Some(10250), &["kubernetes"]),
    ("worker", "worker", "tcp", Some(30000), Some(32767), &["kubernetes"]),
    ("worker", "worker", "udp", Some(30000), Some(32767), &["kubernetes"]),
    ("worker", "worker", "4", None, None, &["calico"]),
    // worker group, from the nodeport-clients endpoint: NodePort tcp/udp ("All")
    ("worker", "nodeport-clients:203.0.113.0/24", "tcp", Some(30000), Some(32767), &["kubernetes"]),
    ("worker", "nodeport-clients:203.0.113.0/24", "udp", Some(30000), Some(32767), &["kubernetes"]),
    // worker group, from load balancers: "Worker node(s) / Inbound | TCP | 10256 | kube-proxy | Self, Load balancers"
    ("worker", "load-balancers:10.0.200.0/24", "tcp", Some(10256), Some(10256), &["kubernetes"]),
];

/// Kubernetes + Calico + Longhorn 1.6.0 on a routed network: [`STACK_INGRESS`] plus every Longhorn flow between
/// pods ([`LONGHORN_ROUTED_INGRESS`]), merged across platforms per (group, peer, protocol). Longhorn's
/// 10000-31000 (Instance Manager 10000-30000 touching Backing Image Manager 30001-31000) covers the kubelet's
/// 10250 (Kubernetes "Kubelet API | Self, Control plane") and overlaps the NodePort range 30000-32767
/// (Kubernetes "NodePort Services | All"), so on the worker group they become one 10000-32767 rule. Endpoint peers
/// only send Kubernetes flows, so their rules stay as in the overlay case.
#[rustfmt::skip]
const STACK_ROUTED_INGRESS: &[common::Row] = &[
    // master group, from master: Calico 179, 5473, 6443 and IP-in-IP; Kubernetes 2379-2380, 6443, 10250;
    // Longhorn's seven ranges, 10000-31000 absorbing 10250. CoreDNS runs on both tiers (kubeadm's Deployment
    // tolerates the control-plane taint) and every pod and node queries it: 53/TCP and 53/UDP (kubeadm's
    // manifests.go), from each tier to each tier.
    ("master", "master", "tcp", Some(53), Some(53)),
    ("master", "master", "udp", Some(53), Some(53)),
    ("master", "master", "tcp", Some(179), Some(179)),
    ("master", "master", "tcp", Some(2049), Some(2049)),
    ("master", "master", "tcp", Some(2379), Some(2380)),
    ("master", "master", "tcp", Some(3260), Some(3260)),
    ("master", "master", "tcp", Some(5473), Some(5473)),
    ("master", "master", "tcp", Some(6443), Some(6443)),
    ("master", "master", "tcp", Some(8000), Some(8000)),
    ("master", "master", "tcp", Some(8002), Some(8002)),
    ("master", "master", "tcp", Some(8500), Some(8504)),
    ("master", "master", "tcp", Some(9500), Some(9503)),
    ("master", "master", "tcp", Some(10000), Some(31000)),
    ("master", "master", "4", None, None),
    // master group, from worker: Calico 179, 5473, 6443 and IP-in-IP; Kubernetes 6443; Longhorn's seven ranges;
    // CoreDNS 53.
    ("master", "worker", "tcp", Some(53), Some(53)),
    ("master", "worker", "udp", Some(53), Some(53)),
    ("master", "worker", "tcp", Some(179), Some(179)),
    ("master", "worker", "tcp", Some(2049), Some(2049)),
    ("master", "worker", "tcp", Some(3260), Some(3260)),
    ("master", "worker", "tcp", Some(5473), Some(5473)),
    ("master", "worker", "tcp", Some(6443), Some(6443)),
    ("master", "worker", "tcp", Some(8000), Some(8000)),
    ("master", "worker", "tcp", Some(8002), Some(8002)),
    ("master", "worker", "tcp", Some(8500), Some(8504)),
    ("master", "worker", "tcp", Some(9500), Some(9503)),
    ("master", "worker", "tcp", Some(10000), Some(31000)),
    ("master", "worker", "4", None, None),
    ("master", "api-clients:203.0.113.0/24", "tcp", Some(6443), Some(6443)),
    // worker group, from master: Calico 179, 5473, IP-in-IP; Kubernetes 10250 and NodePorts tcp/udp; Longhorn's
    // seven ranges; tcp 10000-31000, 10250 and 30000-32767 merge to 10000-32767; CoreDNS 53.
    ("worker", "master", "tcp", Some(53), Some(53)),
    ("worker", "master", "udp", Some(53), Some(53)),
    ("worker", "master", "tcp", Some(179), Some(179)),
    ("worker", "master", "tcp", Some(2049), Some(2049)),
    ("worker", "master", "tcp", Some(3260), Some(3260)),
    ("worker", "master", "tcp", Some(5473), Some(5473)),
    ("worker", "master", "tcp", Some(8000), Some(8000)),
    ("worker", "master", "tcp", Some(8002), Some(8002)),
    ("worker", "master", "tcp", Some(8500), Some(8504)),
    ("worker", "master", "tcp", Some(9500), Some(9503)),
    ("worker", "master", "tcp", Some(10000), Some(32767)),
    ("worker", "master", "udp", Some(30000), Some(32767)),
    ("worker", "master", "4", None, None),
    // worker group, from worker: Calico 179, 5473, IP-in-IP; NodePorts tcp/udp; Longhorn's seven ranges; tcp
    // 10000-31000 and 30000-32767 merge to 10000-32767; CoreDNS 53.
    ("worker", "worker", "tcp", Some(53), Some(53)),
    ("worker", "worker", "udp", Some(53), Some(53)),
    ("worker", "worker", "tcp", Some(179), Some(179)),
    ("worker", "worker", "tcp", Some(2049), Some(2049)),
    ("worker", "worker", "tcp", Some(3260), Some(3260)),
    ("worker", "worker", "tcp", Some(5473), Some(5473)),
    ("worker", "worker", "tcp", Some(8000), Some(8000)),
    ("worker", "worker", "tcp", Some(8002), Some(8002)),
    ("worker", "worker", "tcp", Some(8500), Some(8504)),
    ("worker", "worker", "tcp", Some(9500), Some(9503)),
    ("worker", "worker", "tcp", Some(10000), Some(32767)),
    ("worker", "worker", "udp", Some(30000), Some(32767)),
    ("worker", "worker", "4", None, None),
    ("worker", "nodeport-clients:203.0.113.0/24", "tcp", Some(30000), Some(32767)),
    ("worker", "nodeport-clients:203.0.113.0/24", "udp", Some(30000), Some(32767)),
    ("worker", "load-balancers:10.0.200.0/24", "tcp", Some(10256), Some(10256)),
];

/// One Terraform run: the parsed outputs.
fn apply(terraform: &portmatrix_acceptance_tests::Terraform, inputs: &str) -> Value {
    Workspace::new(terraform, &config(inputs)).outputs()
}

fn ingress(context: &str, outputs: &Value) -> BTreeSet<Rule> {
    rules(context, &outputs["ingress"]["value"], Direction::Ingress)
}

fn egress(context: &str, outputs: &Value) -> BTreeSet<Rule> {
    rules(context, &outputs["egress"]["value"], Direction::Egress)
}

/// A port list as a canonical string of merged ranges ("8500,8501,8502" and "8500-8502" both give "8500-8502"),
/// so `not_needed` is compared by the ports it covers whatever list syntax it uses. A port parameter
/// ("${metrics_server_port}") stays as written.
fn canonical_ports(text: &str) -> String {
    if text.starts_with("${") {
        return text.to_string();
    }
    let mut ranges: Vec<(u32, u32)> = text
        .split([',', ';', ' '])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (from, to) = part.split_once('-').unwrap_or((part, part));
            let number = |s: &str| {
                s.trim()
                    .parse::<u32>()
                    .unwrap_or_else(|_| panic!("not a port list: {text:?}"))
            };
            (number(from), number(to))
        })
        .collect();
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::new();
    for (from, to) in ranges {
        match merged.last_mut() {
            Some(last) if from <= last.1 + 1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
        .iter()
        .map(|&(from, to)| {
            if from == to {
                from.to_string()
            } else {
                format!("{from}-{to}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `not_needed` of both data sources as sorted (platform, from role, to role, protocol, canonical ports), checking
/// every entry has a reason and that both data sources report the same flows. Role names may come bare or as
/// "platform/role".
fn not_needed(context: &str, outputs: &Value) -> Vec<(String, String, String, String, String)> {
    let flows = not_needed_of(context, &outputs["not_needed"]["value"]);
    let aws = not_needed_of(context, &outputs["aws_not_needed"]["value"]);
    assert_eq!(
        aws, flows,
        "{context}: portmatrix_aws_security_group_rules and portmatrix_flows disagree on not_needed"
    );
    flows
}

fn not_needed_of(context: &str, list: &Value) -> Vec<(String, String, String, String, String)> {
    let entries = list
        .as_array()
        .unwrap_or_else(|| panic!("{context}: not_needed is not a list: {list}"));
    let mut found: Vec<_> = entries
        .iter()
        .map(|entry| {
            let text = |field: &str| entry[field].as_str().unwrap_or_default().to_string();
            let platform = text("platform");
            let role = |field: &str| {
                let name = text(field);
                name.strip_prefix(&format!("{platform}/"))
                    .map(str::to_string)
                    .unwrap_or(name)
            };
            let reason = text("reason").to_lowercase();
            assert!(
                reason.contains("pod") || reason.contains("overlay"),
                "{context}: the reason should say the destination is a pod on the overlay: {entry}"
            );
            (
                platform.clone(),
                role("from_role"),
                role("to_role"),
                text("protocol"),
                canonical_ports(&text("ports")),
            )
        })
        .collect();
    found.sort();
    found
}

fn expected_longhorn_not_needed() -> Vec<(String, String, String, String, String)> {
    let mut rows: Vec<_> = LONGHORN_POD_DESTINATION_FLOWS
        .iter()
        .map(|&(from, to, protocol, ports)| {
            (
                "longhorn".to_string(),
                from.to_string(),
                to.to_string(),
                protocol.to_string(),
                ports.to_string(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn assert_no_warning_mentions(context: &str, outputs: &Value, words: &[&str]) {
    for warning in warnings(outputs) {
        for word in words {
            assert!(
                !warning.contains(word),
                "{context}: unexpected warning about {word}: {warning}"
            );
        }
    }
}

#[test]
fn longhorn_on_an_overlay_needs_only_egress_to_its_endpoints() {
    let expected_egress = expected(LONGHORN_ENDPOINT_EGRESS);
    let none = BTreeSet::new();
    for terraform in terraforms() {
        let context = format!("Terraform {}: Longhorn 1.6.0, overlay", terraform.version);
        let outputs = apply(
            terraform,
            &format!(
                "{LONGHORN_1_6}\n  pod_network = \"overlay\"\n{LONGHORN_ENDPOINTS}\n{LONGHORN_PARAMETERS}"
            ),
        );
        // Every Longhorn flow between roles ends at a pod, and endpoints have no group: no ingress at all.
        assert_rules(&context, &ingress(&context, &outputs), &none);
        assert_rules(&context, &egress(&context, &outputs), &expected_egress);
        assert_eq!(
            not_needed(&context, &outputs),
            expected_longhorn_not_needed(),
            "{context}: not_needed"
        );
        assert_tier_counts(
            &context,
            &outputs["tiers"]["value"],
            &TIERS,
            &none,
            &expected_egress,
        );
        assert_no_warning_mentions(
            &context,
            &outputs,
            &[
                "backupstore",
                "kubernetes-api-server",
                "image-download-server",
                "_port",
            ],
        );
        let lb_roles = &outputs["tiers"]["value"]["lb"]["roles"];
        assert_eq!(
            lb_roles,
            &serde_json::json!([]),
            "{context}: lb holds no role"
        );
        let master_roles = outputs["tiers"]["value"]["master"]["roles"].to_string();
        for role in [
            "longhorn/longhorn-manager",
            "longhorn/instance-manager",
            "longhorn/node",
        ] {
            assert!(
                master_roles.contains(role),
                "{context}: master lacks {role}: {master_roles}"
            );
        }
    }
}

#[test]
fn longhorn_endpoint_flows_without_endpoint_blocks_are_skipped_with_warnings() {
    let none = BTreeSet::new();
    for terraform in terraforms() {
        let context = format!(
            "Terraform {}: Longhorn 1.6.0, no endpoints",
            terraform.version
        );
        let outputs = apply(
            terraform,
            &format!("{LONGHORN_1_6}\n  pod_network = \"overlay\"\n{LONGHORN_PARAMETERS}"),
        );
        assert_rules(&context, &ingress(&context, &outputs), &none);
        assert_rules(&context, &egress(&context, &outputs), &none);
        let warnings = warnings(&outputs);
        for endpoint in [
            "backupstore",
            "kubernetes-api-server",
            "image-download-server",
        ] {
            assert!(
                warnings
                    .iter()
                    .any(|w| w.contains(endpoint) && w.contains("endpoint")),
                "{context}: no warning asks for an endpoint block {endpoint:?}: {warnings:#?}"
            );
        }
        // The flows data source reports the same skipped flows.
        let flow_warnings = outputs["flow_warnings"]["value"].to_string();
        assert!(
            flow_warnings.contains("backupstore"),
            "{context}: {flow_warnings}"
        );
    }
}

#[test]
fn longhorn_endpoint_flows_without_port_parameters_are_skipped_with_warnings() {
    let none = BTreeSet::new();
    for terraform in terraforms() {
        let context = format!(
            "Terraform {}: Longhorn 1.6.0, no parameters",
            terraform.version
        );
        let outputs = apply(
            terraform,
            &format!("{LONGHORN_1_6}\n  pod_network = \"overlay\"\n{LONGHORN_ENDPOINTS}"),
        );
        assert_rules(&context, &ingress(&context, &outputs), &none);
        // The catalog states no default for any of the three placeholders, so nothing can be opened.
        assert_rules(&context, &egress(&context, &outputs), &none);
        let warnings = warnings(&outputs);
        for parameter in ["apiserver_port", "backupstore_port", "image_download_port"] {
            assert!(
                warnings.iter().any(|w| w.contains(parameter)),
                "{context}: no warning names the parameter {parameter:?}: {warnings:#?}"
            );
        }
    }
}

#[test]
fn longhorn_on_a_routed_network_opens_every_flow_merged_per_tier_pair() {
    let mut expected_ingress = expected(LONGHORN_ROUTED_INGRESS);
    expected_ingress.extend(expected(LONGHORN_WEBHOOK_CALLER_INGRESS));
    let mut expected_egress = mirror(&expected_ingress, &CLUSTER_TIERS);
    expected_egress.extend(expected(LONGHORN_ENDPOINT_EGRESS));
    let mut per_terraform = Vec::new();
    for terraform in terraforms() {
        let context = format!("Terraform {}: Longhorn 1.6.0, routed", terraform.version);
        let outputs = apply(
            terraform,
            &format!(
                "{LONGHORN_1_6}\n  pod_network = \"routed\"\n{LONGHORN_ENDPOINTS}\n{LONGHORN_PARAMETERS}"
            ),
        );
        let actual_ingress = ingress(&context, &outputs);
        assert_rules(&context, &actual_ingress, &expected_ingress);
        assert_rules(&context, &egress(&context, &outputs), &expected_egress);
        assert_eq!(
            not_needed(&context, &outputs),
            Vec::new(),
            "{context}: a routed network needs every flow"
        );
        assert_tier_counts(
            &context,
            &outputs["tiers"]["value"],
            &TIERS,
            &expected_ingress,
            &expected_egress,
        );
        let keys: BTreeSet<&String> = outputs["ingress"]["value"]
            .as_object()
            .map(|map| map.keys().collect())
            .unwrap_or_default();
        for key in [
            "master:tcp:8500-8504:worker",
            "worker:tcp:9500-9503:worker",
            "master:tcp:10000-31000:master",
        ] {
            assert!(
                keys.contains(&key.to_string()),
                "{context}: no key {key}: {keys:?}"
            );
        }
        per_terraform.push(outputs["ingress"]["value"].clone());
    }
    assert!(
        per_terraform.windows(2).all(|pair| pair[0] == pair[1]),
        "every Terraform gets the same ingress map"
    );
}

#[test]
fn kubernetes_calico_longhorn_union_is_merged_and_stable() {
    let rows: Vec<common::Row> = STACK_INGRESS
        .iter()
        .map(|&(tier, peer, protocol, from, to, _)| (tier, peer, protocol, from, to))
        .collect();
    let expected_ingress = expected(&rows);
    let mut expected_egress = mirror(&expected_ingress, &CLUSTER_TIERS);
    expected_egress.extend(expected(LONGHORN_ENDPOINT_EGRESS));
    let inputs = stack_inputs("", "");

    for terraform in terraforms() {
        let context = format!(
            "Terraform {}: Kubernetes + Calico + Longhorn 1.6.0, overlay",
            terraform.version
        );
        let workspace = Workspace::new(terraform, &config(&inputs));
        let first = raw_outputs(&workspace);
        let outputs: Value = serde_json::from_str(&first).expect("output -json is JSON");

        let actual_ingress = ingress(&context, &outputs);
        assert_rules(&context, &actual_ingress, &expected_ingress);
        assert_rules(&context, &egress(&context, &outputs), &expected_egress);
        // Kubernetes' flows to pods ride the overlay too: metrics-server README "Control plane to Metrics Server
        // ... pod IP and port 10250" (the parameter metrics_server_port), and DNS to CoreDNS (kubeadm's manifests,
        // 53/UDP and 53/TCP) from every pod and from host-network pods on both node tiers.
        let mut expected_not_needed = expected_longhorn_not_needed();
        for (from, to, protocol, ports) in [
            ("control-plane", "coredns", "tcp", "53"),
            ("control-plane", "coredns", "udp", "53"),
            (
                "control-plane",
                "metrics-server",
                "tcp",
                "${metrics_server_port}",
            ),
            ("pods", "coredns", "tcp", "53"),
            ("pods", "coredns", "udp", "53"),
            ("worker", "coredns", "tcp", "53"),
            ("worker", "coredns", "udp", "53"),
        ] {
            expected_not_needed.push((
                "kubernetes".to_string(),
                from.to_string(),
                to.to_string(),
                protocol.to_string(),
                ports.to_string(),
            ));
        }
        expected_not_needed.sort();
        assert_eq!(
            not_needed(&context, &outputs),
            expected_not_needed,
            "{context}: not_needed"
        );
        assert_tier_counts(
            &context,
            &outputs["tiers"]["value"],
            &TIERS,
            &expected_ingress,
            &expected_egress,
        );
        assert_no_warning_mentions(&context, &outputs, &["clients", "load-balancers", "_port"]);

        // IP-in-IP is IP protocol 4 with no ports; nothing may open port 4.
        for (key, value) in outputs["ingress"]["value"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let ports = [value["from_port"].as_i64(), value["to_port"].as_i64()];
            assert!(
                !ports.contains(&Some(4)),
                "{context}: {key} opens port 4: {value}"
            );
            if value["ip_protocol"] == "4" {
                assert!(
                    value["from_port"].is_null() && value["to_port"].is_null(),
                    "{context}: {value}"
                );
                assert!(key.contains(":4:all:"), "{context}: {key}");
            }
        }

        // Platforms of each rule, from the table's last column.
        for &(tier, peer, protocol, from, to, platforms) in STACK_INGRESS {
            // Keys name an endpoint's address alone (`clients:203.0.113.0/24` is keyed `203.0.113.0/24`).
            let key_peer = peer.split_once(':').map_or(peer, |(_, address)| address);
            let key = format!(
                "{tier}:{protocol}:{}:{key_peer}",
                match (from, to) {
                    (Some(f), Some(t)) if f == t => f.to_string(),
                    (Some(f), Some(t)) => format!("{f}-{t}"),
                    _ => "all".into(),
                }
            );
            let value = &outputs["ingress"]["value"][&key];
            let actual: Vec<&str> = value["platforms"]
                .as_array()
                .map(|items| items.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut actual_sorted = actual.clone();
            actual_sorted.sort_unstable();
            assert_eq!(actual_sorted, platforms, "{context}: platforms of {key}");
        }

        // The same configuration planned again, by a new provider process, prints the same bytes.
        let again = raw_outputs(&Workspace::new(terraform, &config(&inputs)));
        assert_eq!(
            first, again,
            "{context}: output -json differs between two runs"
        );

        // An endpoint no flow uses changes nothing.
        let with_ui_users = apply(
            terraform,
            &stack_inputs(
                "\n  endpoint {\n    name      = \"ui-users\"\n    cidr_ipv4 = [\"10.9.0.0/16\"]\n  }\n",
                "",
            ),
        );
        for map in ["ingress", "egress"] {
            assert_eq!(
                with_ui_users[map]["value"], outputs[map]["value"],
                "{context}: adding the unused ui-users endpoint changed {map}"
            );
        }

        // A second clients CIDR adds entries for that CIDR only; every earlier entry keeps its key and value.
        let more_clients = apply(terraform, &stack_inputs("", ", \"198.18.0.0/15\""));
        let before = outputs["ingress"]["value"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let after = more_clients["ingress"]["value"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (key, value) in &before {
            assert_eq!(
                after.get(key),
                Some(value),
                "{context}: entry {key} changed"
            );
        }
        let added: BTreeSet<String> = after
            .keys()
            .filter(|key| !before.contains_key(*key))
            .cloned()
            .collect();
        let expected_added: BTreeSet<String> = [
            "master:tcp:6443:198.18.0.0/15",
            "worker:tcp:30000-32767:198.18.0.0/15",
            "worker:udp:30000-32767:198.18.0.0/15",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(
            added, expected_added,
            "{context}: entries added by the second CIDR"
        );
        assert_eq!(
            more_clients["egress"]["value"], outputs["egress"]["value"],
            "{context}: a CIDR of a sending endpoint changes no egress"
        );
    }
}

#[test]
fn longhorn_api_server_endpoint_on_the_master_tier_merges_into_the_api_server_rules() {
    // Longhorn's "Kubernetes API server" rows (Longhorn Manager, CSI sidecars, Driver deployer, Uninstaller, all
    // on master and worker) now reach the master group on apiserver_port 6443: the rules Kubernetes ("6443 | All")
    // and Calico ("All | kube-apiserver host | 6443") already ask for, so no rule is added and the two 6443 rules
    // on the master group name all three platforms.
    let rows: Vec<common::Row> = STACK_INGRESS
        .iter()
        .map(|&(tier, peer, protocol, from, to, _)| (tier, peer, protocol, from, to))
        .collect();
    let expected_ingress = expected(&rows);
    let mut expected_egress = mirror(&expected_ingress, &CLUSTER_TIERS);
    expected_egress.extend(
        expected(LONGHORN_ENDPOINT_EGRESS)
            .into_iter()
            .filter(|(_, peer, ..)| !peer.starts_with("kubernetes-api-server:")),
    );
    let cidr_block = "name      = \"kubernetes-api-server\"\n    cidr_ipv4 = [\"10.0.0.10/32\"]";
    let inputs = stack_inputs("", "");
    assert!(inputs.contains(cidr_block), "{inputs}");
    let inputs = inputs.replace(
        cidr_block,
        "name = \"kubernetes-api-server\"\n    tier = \"master\"",
    );

    for terraform in terraforms() {
        let context = format!(
            "Terraform {}: Kubernetes + Calico + Longhorn, API server endpoint on master",
            terraform.version
        );
        let outputs = apply(terraform, &inputs);
        assert_rules(&context, &ingress(&context, &outputs), &expected_ingress);
        assert_rules(&context, &egress(&context, &outputs), &expected_egress);
        for map in ["ingress", "egress"] {
            for key in ["master:tcp:6443:master", "master:tcp:6443:worker"] {
                let key = if map == "egress" {
                    key.replace("master:tcp:6443:worker", "worker:tcp:6443:master")
                } else {
                    key.to_string()
                };
                let platforms = &outputs[map]["value"][&key]["platforms"];
                assert_eq!(
                    platforms,
                    &serde_json::json!(["calico", "kubernetes", "longhorn"]),
                    "{context}: platforms of {map} {key}"
                );
            }
        }
        assert_no_warning_mentions(
            &context,
            &outputs,
            &["kubernetes-api-server", "apiserver_port"],
        );
    }
}

#[test]
fn kubernetes_calico_longhorn_on_a_routed_network_merge_across_platforms() {
    let mut expected_ingress = expected(STACK_ROUTED_INGRESS);
    expected_ingress.extend(expected(LONGHORN_WEBHOOK_CALLER_INGRESS));
    let mut expected_egress = mirror(&expected_ingress, &CLUSTER_TIERS);
    expected_egress.extend(expected(LONGHORN_ENDPOINT_EGRESS));
    let inputs =
        stack_inputs("", "").replace("pod_network = \"overlay\"", "pod_network = \"routed\"");
    assert!(inputs.contains("\"routed\""), "{inputs}");

    for terraform in terraforms() {
        let context = format!(
            "Terraform {}: Kubernetes + Calico + Longhorn 1.6.0, routed",
            terraform.version
        );
        let outputs = apply(terraform, &inputs);
        assert_rules(&context, &ingress(&context, &outputs), &expected_ingress);
        assert_rules(&context, &egress(&context, &outputs), &expected_egress);
        assert_eq!(not_needed(&context, &outputs), Vec::new(), "{context}");
        assert_tier_counts(
            &context,
            &outputs["tiers"]["value"],
            &TIERS,
            &expected_ingress,
            &expected_egress,
        );
        let merged = &outputs["ingress"]["value"]["worker:tcp:10000-32767:master"]["platforms"];
        assert_eq!(
            merged,
            &serde_json::json!(["kubernetes", "longhorn"]),
            "{context}: reasons of merged rules are united"
        );
    }
}
