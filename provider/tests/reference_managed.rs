//! Row-by-row checks of the managed Kubernetes platforms, whose control plane is the provider's: Amazon EKS, Google
//! Kubernetes Engine and Azure Kubernetes Service.
//!
//! Every expected line below was transcribed by hand from the provider's document named in the comment above it
//! (not generated from the program). Each scenario compares the selected flows' `flow_lines` with the expected
//! lines as multisets: a documented row that is missing fails, and so does any flow beyond the documented rows or a
//! conditional row that shows up while its option is off.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod reference_support;
use reference_support::*;

use portmatrix::catalog::{Network, Tier};

/// The managed platforms model the control plane as an endpoint (the provider's), never as a role on a tier: only
/// node-side rules are the user's. The API port is 443, as each provider states.
fn assert_managed_shape(platform: &str, roles: &[(&str, Network)]) {
    let rel = release(platform);
    assert!(
        rel.endpoints.iter().any(|e| e.name == "control-plane"),
        "{platform}: the control plane is an endpoint"
    );
    let got: Vec<(&str, Network, &[Tier])> = rel
        .roles
        .iter()
        .map(|r| (r.name.as_str(), r.network, r.tiers.as_slice()))
        .collect();
    let want: Vec<(&str, Network, &[Tier])> = roles
        .iter()
        .map(|(name, network)| (*name, *network, &[Tier::Worker][..]))
        .collect();
    assert_eq!(
        got, want,
        "{platform}: node-side roles only, on the workers"
    );
    let api = rel
        .parameters
        .iter()
        .find(|p| p.name == "apiserver_port")
        .unwrap_or_else(|| panic!("{platform}: apiserver_port"));
    assert_eq!(api.default, Some(443), "{platform}: the API on 443");
}

// ---------------------------------------------------------------------------------------------------------------
// EKS: awsdocs/amazon-eks-user-guide latest/ug/networking/sec-group-reqs.adoc @f6004140 ("Restricting cluster
// traffic") and doc_source/sec-group-reqs.md @babc0146 ("Control plane and node security groups").
// ---------------------------------------------------------------------------------------------------------------

/// Minimum rules, both revisions: "Outbound | TCP | 443 | Cluster security group" (nodes to the API), "Outbound |
/// TCP | 10250 | Cluster security group" (control plane to the kubelet), "Outbound (DNS) | TCP and UDP | 53 |
/// Cluster security group" ("CoreDNS | TCP and UDP | 53 | All node security groups").
const EKS_MINIMUM: &[&str] = &[
    "node -> control-plane tcp ${apiserver_port}",
    "control-plane -> node tcp 10250",
    "node -> node udp 53",
    "node -> node tcp 53",
];
/// 2022 recommended: control plane outbound "TCP | 1025-65535 | All node security groups"; node inbound "All TCP |
/// All 443, 1025-65535 | All node security groups Control plane security group".
const EKS_RECOMMENDED: &[&str] = &[
    "control-plane -> node tcp 443",
    "control-plane -> node tcp 1025-65535",
    "node -> node tcp 1-65535",
];
/// Private access: "allow ingress traffic on port 443 from your bastion host" (cluster-endpoint.adoc @f6004140).
const EKS_PRIVATE_ACCESS: &[&str] = &["api-clients -> control-plane tcp ${apiserver_port}"];

#[test]
fn eks_rows() {
    assert_rows("eks", &[], &[EKS_MINIMUM]);
    assert_rows("eks", &[("rules", "minimum")], &[EKS_MINIMUM]);
    assert_rows(
        "eks",
        &[("rules", "recommended")],
        &[EKS_MINIMUM, EKS_RECOMMENDED],
    );
    assert_rows(
        "eks",
        &[("private_access", "true")],
        &[EKS_MINIMUM, EKS_PRIVATE_ACCESS],
    );
    assert_rows(
        "eks",
        &[("rules", "recommended"), ("private_access", "true")],
        &[EKS_MINIMUM, EKS_RECOMMENDED, EKS_PRIVATE_ACCESS],
    );
}

#[test]
fn eks_is_node_side_only() {
    assert_managed_shape("eks", &[("node", Network::Host)]);
}

// ---------------------------------------------------------------------------------------------------------------
// GKE: cloud.google.com/kubernetes-engine/docs/concepts/firewall-rules ("Automatically created firewall rules"),
// read from stored copies (undated).
// ---------------------------------------------------------------------------------------------------------------

/// gke-...-master: "Master CIDR (/28) | Node tag | TCP: 443 (metrics-server) and TCP: 10250 (Kubelet)"; "Connectivity
/// to control plane endpoints always uses TCP destination port 443"; gke-...-vms: "Node CIDR ... | Node tag | TCP:
/// 1-65535, UDP: 1-65535, ICMP"; gke-...-all: "Pod CIDR | Node tag | TCP, UDP, SCTP, ICMP, ESP, AH".
const GKE: &[&str] = &[
    "control-plane -> node tcp 10250",
    "control-plane -> node tcp 443",
    "node -> control-plane tcp ${apiserver_port}",
    "node -> node tcp 1-65535",
    "node -> node udp 1-65535",
    "node -> node icmp all",
    "pods -> pods tcp 1-65535",
    "pods -> pods udp 1-65535",
    "pods -> pods sctp 1-65535",
    "pods -> pods icmp all",
    "pods -> pods 50 all",
    "pods -> pods 51 all",
];

#[test]
fn gke_rows() {
    assert_rows("gke", &[], &[GKE]);
}

#[test]
fn gke_is_node_side_only() {
    assert_managed_shape("gke", &[("node", Network::Host), ("pods", Network::Pod)]);
}

// ---------------------------------------------------------------------------------------------------------------
// AKS: MicrosoftDocs/azure-aks-docs articles/aks/outbound-rules-control-egress.md @ccbb339b, "Azure Global required
// network rules" and "Azure Global required FQDN / application rules".
// ---------------------------------------------------------------------------------------------------------------

/// "*.hcp.<location>.azmk8s.io | HTTPS:443 | Required for Node <-> API server communication" and
/// "APIServerPublicIP:443".
const AKS_API: &[&str] = &["node -> control-plane tcp ${apiserver_port}"];
/// "*:1194 ... | UDP | 1194" and "*:9000 ... | TCP | 9000": "This isn't required for private clusters, or for clusters
/// with the konnectivity-agent enabled."
const AKS_TUNNEL: &[&str] = &[
    "node -> control-plane udp 1194",
    "node -> control-plane tcp 9000",
];
/// "*:123 or ntp.ubuntu.com:123 | UDP | 123".
const AKS_NTP: &[&str] = &["node -> ntp udp 123"];
/// "CustomDNSIP:53 (if using custom DNS servers) | UDP | 53".
const AKS_CUSTOM_DNS: &[&str] = &["node -> dns udp 53"];
/// mcr.microsoft.com (and its CDN), management.azure.com, login.microsoftonline.com, packages.microsoft.com,
/// acs-mirror.azureedge.net / packages.aks.azure.com: each "HTTPS:443".
const AKS_FQDN: &[&str] = &[
    "node -> registry tcp 443",
    "node -> azure-api tcp 443",
    "node -> entra tcp 443",
    "node -> packages tcp 443",
];

#[test]
fn aks_rows() {
    assert_rows("aks", &[], &[AKS_API]);
    assert_rows("aks", &[("konnectivity", "false")], &[AKS_API, AKS_TUNNEL]);
    assert_rows(
        "aks",
        &[("konnectivity", "false"), ("private_cluster", "true")],
        &[AKS_API],
    );
    assert_rows("aks", &[("ntp", "true")], &[AKS_API, AKS_NTP]);
    assert_rows("aks", &[("custom_dns", "true")], &[AKS_API, AKS_CUSTOM_DNS]);
    assert_rows(
        "aks",
        &[("egress_essentials", "true")],
        &[AKS_API, AKS_FQDN],
    );
}

#[test]
fn aks_is_node_side_only() {
    assert_managed_shape("aks", &[("node", Network::Host)]);
    let rel = release("aks");
    assert!(
        rel.flows.iter().all(|f| f.from == "node"),
        "\"AKS has no ingress requirements by default\": every flow leaves the nodes"
    );
}
