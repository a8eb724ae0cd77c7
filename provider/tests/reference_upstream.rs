//! Row-by-row checks of the catalogs whose tables come straight from upstream documentation: RKE2, K3s, MetalLB,
//! ingress-nginx, node_exporter, cert-manager, kube-state-metrics and SSH administration.
//!
//! Every expected line below was transcribed by hand from the upstream document named in the comment above it
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

use std::collections::BTreeMap;

mod reference_support;
use reference_support::*;

use portmatrix::catalog::{flow_lines, Catalog, Network, PortSpec, Tier};

/// The platforms this file checks.
const PLATFORMS: [&str; 8] = [
    "rke2",
    "k3s",
    "metallb",
    "ingress-nginx",
    "node-exporter",
    "cert-manager",
    "kube-state-metrics",
    "ssh-admin",
];

// ---------------------------------------------------------------------------------------------------------------
// RKE2: rancher/rke2-docs docs/install/requirements.md @0588300e, section "Networking".
// ---------------------------------------------------------------------------------------------------------------

/// Table "Inbound Network Rules" (all rows unconditional):
/// 6443 TCP All->server "Kubernetes API"; 9345 TCP All->server "RKE2 supervisor API"; 10250 TCP All->All "kubelet
/// metrics"; 2379/2380/2381 TCP server->server "etcd client/peer/metrics port"; 30000-32767 TCP All->All "NodePort".
const RKE2_INBOUND: &[&str] = &[
    // 6443 is the selection's api_server_port (`apiserver_port`, default 6443: see api_server_port_defaults).
    "node -> server tcp ${apiserver_port}",
    "node -> server tcp 9345",
    "node -> node tcp 10250",
    "server -> server tcp 2379",
    "server -> server tcp 2380",
    "server -> server tcp 2381",
    "node -> node tcp 30000-32767",
];
/// "CNI Specific Inbound Network Rules", Canal tab: 8472 UDP "Canal CNI with VXLAN".
const RKE2_CANAL_VXLAN: &[&str] = &["node -> node udp 8472"];
/// Canal tab: 9099 TCP "Canal CNI health checks".
const RKE2_CANAL_HEALTH: &[&str] = &["node -> node tcp 9099"];
/// Canal tab: 51820 UDP "Canal CNI with WireGuard IPv4" (IPv4 and dual-stack clusters).
const RKE2_CANAL_WG4: &[&str] = &["node -> node udp 51820"];
/// Canal tab: 51821 UDP "Canal CNI with WireGuard IPv6/dual-stack" (IPv6-only and dual-stack clusters).
const RKE2_CANAL_WG6: &[&str] = &["node -> node udp 51821"];
/// Cilium tab: 8/0 ICMP and 4240 TCP "Cilium CNI health checks".
const RKE2_CILIUM: &[&str] = &["node -> node icmp all types=0,8", "node -> node tcp 4240"];
/// Cilium tab: 8472 UDP "Cilium CNI with VXLAN"; network-options "IPv6 setup": "In IPv6-only mode, Cilium does not
/// support encapsulation of IPv6 traffic between nodes".
const RKE2_CILIUM_VXLAN: &[&str] = &["node -> node udp 8472"];
/// Cilium tab: 51871 UDP "Cilium CNI with WireGuard".
const RKE2_CILIUM_WG: &[&str] = &["node -> node udp 51871"];
/// Calico tab: 5473 TCP "Calico CNI with Typha", 9098 TCP "Calico Typha health checks", 9099 TCP "Calico health checks".
const RKE2_CALICO: &[&str] = &[
    "node -> node tcp 5473",
    "node -> node tcp 9098",
    "node -> node tcp 9099",
];
/// Calico tab: 4789 UDP "Calico CNI with VXLAN" (not on dual-stack: the network-options page says "when using
/// dual-stack, calico leverages BGP instead of VXLAN encapsulation").
const RKE2_CALICO_VXLAN: &[&str] = &["node -> node udp 4789"];
/// Calico tab: 179 TCP "Calico CNI with BGP", listed for every Calico cluster.
const RKE2_CALICO_BGP: &[&str] = &["node -> node tcp 179"];
/// Flannel tab: 4789 UDP "Flannel CNI with VXLAN".
const RKE2_FLANNEL: &[&str] = &["node -> node udp 4789"];
/// "Windows Specific Inbound Network Rules": UDP 4789 "Required for Calico and Flannel VXLAN".
const RKE2_WINDOWS_VXLAN: &[&str] = &["node -> node udp 4789"];
/// "Windows Specific Inbound Network Rules": TCP 179 "Calico CNI with BGP".
const RKE2_WINDOWS_BGP: &[&str] = &["node -> node tcp 179"];

#[test]
fn rke2_default_is_canal_with_vxlan() {
    let selected = Catalog::builtin()
        .select(&selection("rke2", &[]))
        .expect("rke2 selects");
    // basic_network_options.md: "Canal is the default CNI Plugin" ... "By default, it will use vxlan encapsulation".
    assert_eq!(
        selected.options.get("cni").map(String::as_str),
        Some("canal")
    );
    assert_rows(
        "rke2",
        &[],
        &[RKE2_INBOUND, RKE2_CANAL_VXLAN, RKE2_CANAL_HEALTH],
    );
}

#[test]
fn rke2_canal_rows() {
    let wg = [("cni", "canal"), ("wireguard", "true")];
    assert_rows(
        "rke2",
        &wg,
        &[RKE2_INBOUND, RKE2_CANAL_HEALTH, RKE2_CANAL_WG4],
    );
    let wg_dual = [
        ("cni", "canal"),
        ("wireguard", "true"),
        ("ip_family", "dual-stack"),
    ];
    assert_rows(
        "rke2",
        &wg_dual,
        &[
            RKE2_INBOUND,
            RKE2_CANAL_HEALTH,
            RKE2_CANAL_WG4,
            RKE2_CANAL_WG6,
        ],
    );
    let wg_v6 = [
        ("cni", "canal"),
        ("wireguard", "true"),
        ("ip_family", "ipv6"),
    ];
    assert_rows(
        "rke2",
        &wg_v6,
        &[RKE2_INBOUND, RKE2_CANAL_HEALTH, RKE2_CANAL_WG6],
    );
    let dual = [("cni", "canal"), ("ip_family", "dual-stack")];
    assert_rows(
        "rke2",
        &dual,
        &[RKE2_INBOUND, RKE2_CANAL_VXLAN, RKE2_CANAL_HEALTH],
    );
    assert_rows(
        "rke2",
        &[("cni", "canal"), ("ip_family", "ipv6")],
        &[RKE2_INBOUND, RKE2_CANAL_VXLAN, RKE2_CANAL_HEALTH],
    );
    // Canal is not supported with Windows nodes: the Windows rows name only Calico and Flannel.
    assert_rows(
        "rke2",
        &[("windows", "true")],
        &[RKE2_INBOUND, RKE2_CANAL_VXLAN, RKE2_CANAL_HEALTH],
    );
}

#[test]
fn rke2_cilium_rows() {
    assert_rows(
        "rke2",
        &[("cni", "cilium")],
        &[RKE2_INBOUND, RKE2_CILIUM, RKE2_CILIUM_VXLAN],
    );
    assert_rows(
        "rke2",
        &[("cni", "cilium"), ("wireguard", "true")],
        &[RKE2_INBOUND, RKE2_CILIUM, RKE2_CILIUM_VXLAN, RKE2_CILIUM_WG],
    );
    assert_rows(
        "rke2",
        &[("cni", "cilium"), ("ip_family", "dual-stack")],
        &[RKE2_INBOUND, RKE2_CILIUM, RKE2_CILIUM_VXLAN],
    );
    assert_rows(
        "rke2",
        &[("cni", "cilium"), ("ip_family", "ipv6")],
        &[RKE2_INBOUND, RKE2_CILIUM],
    );
}

#[test]
fn rke2_calico_rows() {
    let calico = [
        RKE2_INBOUND,
        RKE2_CALICO,
        RKE2_CALICO_BGP,
        RKE2_CALICO_VXLAN,
    ];
    assert_rows("rke2", &[("cni", "calico")], &calico);
    assert_rows("rke2", &[("cni", "calico"), ("ip_family", "ipv6")], &calico);
    let dual = [("cni", "calico"), ("ip_family", "dual-stack")];
    assert_rows("rke2", &dual, &[RKE2_INBOUND, RKE2_CALICO, RKE2_CALICO_BGP]);
    // The Calico tab has no WireGuard row.
    assert_rows("rke2", &[("cni", "calico"), ("wireguard", "true")], &calico);
    let windows = [("cni", "calico"), ("windows", "true")];
    assert_rows(
        "rke2",
        &windows,
        &[
            RKE2_INBOUND,
            RKE2_CALICO,
            RKE2_CALICO_BGP,
            RKE2_CALICO_VXLAN,
            RKE2_WINDOWS_VXLAN,
            RKE2_WINDOWS_BGP,
        ],
    );
}

#[test]
fn rke2_flannel_and_none_rows() {
    assert_rows("rke2", &[("cni", "flannel")], &[RKE2_INBOUND, RKE2_FLANNEL]);
    assert_rows(
        "rke2",
        &[("cni", "flannel"), ("windows", "true")],
        &[RKE2_INBOUND, RKE2_FLANNEL, RKE2_WINDOWS_VXLAN],
    );
    assert_rows("rke2", &[("cni", "none")], &[RKE2_INBOUND]);
    assert_rows(
        "rke2",
        &[("cni", "none"), ("windows", "true"), ("wireguard", "true")],
        &[RKE2_INBOUND],
    );
}

/// rancher/rke2-docs docs/install/ha.md @039563a6, "1. Configure the Fixed Registration Address": "the `rke2 server`
/// process listens on port `9345` for new nodes to register. The Kubernetes API is served on port `6443`, as normal.
/// Configure your load balancer accordingly"; "This endpoint can also be used for accessing the Kubernetes API".
const RKE2_REGISTRATION_LB: &[&str] = &[
    "node -> registration-load-balancer tcp 9345",
    "registration-load-balancer -> server tcp 9345",
    "api-clients -> registration-load-balancer tcp ${apiserver_port}",
    "registration-load-balancer -> server tcp ${apiserver_port}",
];

#[test]
fn rke2_registration_load_balancer_rows() {
    assert_rows(
        "rke2",
        &[("registration_load_balancer", "true")],
        &[
            RKE2_INBOUND,
            RKE2_CANAL_VXLAN,
            RKE2_CANAL_HEALTH,
            RKE2_REGISTRATION_LB,
        ],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// K3s: k3s-io/docs docs/installation/requirements.md @005d2954, "Inbound Rules for K3s Nodes" and "Local Ports".
// ---------------------------------------------------------------------------------------------------------------

/// Unconditional rows: TCP 6443 Agents->Servers "K3s supervisor and Kubernetes API Server" (prose: "accessible by all
/// nodes", hence from every node); TCP 10250 All nodes->All nodes "Kubelet metrics and API".
/// The 6443 to the servers is the selection's api_server_port (default 6443: see api_server_port_defaults); the
/// Spegel row below keeps its own 6443.
const K3S_ALWAYS: &[&str] = &[
    "node -> server tcp ${apiserver_port}",
    "node -> node tcp 10250",
];
/// UDP 8472 All nodes->All nodes "Required only for Flannel VXLAN".
const K3S_VXLAN: &[&str] = &["node -> node udp 8472"];
/// UDP 51820 "Required only for Flannel Wireguard with IPv4".
const K3S_WG4: &[&str] = &["node -> node udp 51820"];
/// UDP 51821 "Required only for Flannel Wireguard with IPv6".
const K3S_WG6: &[&str] = &["node -> node udp 51821"];
/// TCP 2379-2380 Servers->Servers "Required only for HA with embedded etcd".
const K3S_ETCD: &[&str] = &["server -> server tcp 2379-2380"];
/// TCP 5001 and TCP 6443 All nodes->All nodes "Required only for embedded distributed registry (Spegel)".
const K3S_SPEGEL: &[&str] = &["node -> node tcp 5001", "node -> node tcp 6443"];
/// "Local Ports" (loopback), TCP: 2381 etcd metrics, 2382 etcd legacy HTTP API, 6444 kube-apiserver local access,
/// 10010 containerd/cri-dockerd streaming, 10248 kubelet health, 10249 kube-proxy metrics, 10256 kube-proxy health,
/// 10257 kube-controller-manager metrics, 10258 cloud-controller-manager metrics, 10259 kube-scheduler metrics.
/// (10250 is also in that table but is an inbound rule between nodes; see the file's disagreements.)
const K3S_LOOPBACK: &[u16] = &[
    2381, 2382, 6444, 10010, 10248, 10249, 10256, 10257, 10258, 10259,
];

#[test]
fn k3s_default_is_flannel_vxlan() {
    let selected = Catalog::builtin()
        .select(&selection("k3s", &[]))
        .expect("k3s selects");
    // basic-network-options.md: "The default backend for Flannel is `vxlan`."
    assert_eq!(
        selected.options.get("flannel_backend").map(String::as_str),
        Some("vxlan")
    );
    assert_rows("k3s", &[], &[K3S_ALWAYS, K3S_VXLAN]);
    assert_rows(
        "k3s",
        &[("ip_family", "dual-stack")],
        &[K3S_ALWAYS, K3S_VXLAN],
    );
}

#[test]
fn k3s_flannel_backend_rows() {
    let wg = |family: &'static str| {
        [
            ("flannel_backend", "wireguard-native"),
            ("ip_family", family),
        ]
    };
    assert_rows("k3s", &wg("ipv4"), &[K3S_ALWAYS, K3S_WG4]);
    assert_rows("k3s", &wg("dual-stack"), &[K3S_ALWAYS, K3S_WG4, K3S_WG6]);
    assert_rows("k3s", &wg("ipv6"), &[K3S_ALWAYS, K3S_WG6]);
    assert_rows("k3s", &[("flannel_backend", "host-gw")], &[K3S_ALWAYS]);
    // "if you do not use Flannel and provide your own custom CNI, then the ports needed by Flannel are not needed".
    assert_rows("k3s", &[("flannel_backend", "none")], &[K3S_ALWAYS]);
}

#[test]
fn k3s_ha_etcd_and_spegel_rows() {
    assert_rows(
        "k3s",
        &[("ha_embedded_etcd", "true")],
        &[K3S_ALWAYS, K3S_VXLAN, K3S_ETCD],
    );
    assert_rows(
        "k3s",
        &[("spegel", "true")],
        &[K3S_ALWAYS, K3S_VXLAN, K3S_SPEGEL],
    );
    let all = [
        ("ha_embedded_etcd", "true"),
        ("spegel", "true"),
        ("flannel_backend", "none"),
    ];
    assert_rows("k3s", &all, &[K3S_ALWAYS, K3S_ETCD, K3S_SPEGEL]);
}

#[test]
fn k3s_local_ports_are_loopback_only() {
    let k3s = release("k3s");
    let mut documented: Vec<(String, String, u16)> = Vec::new();
    for lb in &k3s.loopback {
        let PortSpec::Ranges(ranges) = &lb.ports else {
            panic!("k3s loopback {lb:?} has no port list")
        };
        for r in ranges {
            assert_eq!(r.from, r.to, "k3s Local Ports lists single ports");
            documented.push((lb.role.clone(), lb.protocol.to_string(), r.from));
        }
    }
    documented.sort();
    let want: Vec<(String, String, u16)> = K3S_LOOPBACK
        .iter()
        .map(|&p| ("node".to_owned(), "tcp".to_owned(), p))
        .collect();
    assert_eq!(documented, want);
}

// ---------------------------------------------------------------------------------------------------------------
// MetalLB: metallb/metallb website/content/_index.md @3550cadb ("Requirements"), api/v1beta2/bgppeer_types.go
// @027d4305 (peerPort default 179), charts/metallb/templates/controller.yaml @022efea6 (webhook-server 9443,
// metrics port) and speaker.yaml @3550cadb (monitoring port).
// ---------------------------------------------------------------------------------------------------------------

/// "When using the L2 operating mode, traffic on port 7946 (TCP & UDP ...) must be allowed between nodes".
const METALLB_MEMBERLIST: &[&str] = &["speaker -> speaker tcp 7946", "speaker -> speaker udp 7946"];
/// BGPPeerSpec.Port: "Port to dial when establishing the session" ... "+kubebuilder:default:=179".
const METALLB_BGP: &[&str] = &["speaker -> bgp-peers tcp 179"];
/// speaker.yaml / controller.yaml: `--port={{ .Values.prometheus.metricsPort }}` (no documented default value).
const METALLB_METRICS: &[&str] = &[
    "prometheus -> speaker tcp ${metrics_port}",
    "prometheus -> controller tcp ${metrics_port}",
];
/// controller.yaml: `containerPort: 9443 name: webhook-server` unless webhookMode is "disabled".
const METALLB_WEBHOOK: &[&str] = &["kube-apiserver -> controller tcp 9443"];

#[test]
fn metallb_rows() {
    assert_rows(
        "metallb",
        &[],
        &[METALLB_MEMBERLIST, METALLB_METRICS, METALLB_WEBHOOK],
    );
    let bgp_only = [("layer2", "false"), ("bgp", "true")];
    assert_rows(
        "metallb",
        &bgp_only,
        &[METALLB_BGP, METALLB_METRICS, METALLB_WEBHOOK],
    );
    let both = [("layer2", "true"), ("bgp", "true")];
    assert_rows(
        "metallb",
        &both,
        &[
            METALLB_MEMBERLIST,
            METALLB_BGP,
            METALLB_METRICS,
            METALLB_WEBHOOK,
        ],
    );
    assert_rows(
        "metallb",
        &[("webhook_mode", "disabled")],
        &[METALLB_MEMBERLIST, METALLB_METRICS],
    );
}

#[test]
fn metallb_metrics_port_has_no_default_and_versions_start_at_0_13() {
    let metallb = release("metallb");
    let metrics = metallb
        .parameters
        .iter()
        .find(|p| p.name == "metrics_port")
        .expect("metrics_port parameter");
    assert_eq!(
        metrics.default, None,
        "the docs give no metrics port; chart defaults differ by release"
    );
    let catalog = Catalog::builtin();
    let mut old = selection("metallb", &[]);
    old.version = Some("0.12.1".to_owned());
    assert!(
        catalog.select(&old).is_err(),
        "configuration via CRs (and the webhook) starts at v0.13.0"
    );
    // Read only from the main branch (newest_read = "none"): a version is served with a warning.
    let mut current = selection("metallb", &[]);
    current.version = Some("v0.14.8".to_owned());
    let selected = catalog.select(&current).expect("0.14.8 is covered");
    assert_eq!(
        selected.unread_version.as_deref(),
        Some(
            "metallb 0.14.8: no released documentation of metallb was read; the table of metallb >=0.13.0 \
             (metallb.toml) comes from unreleased (main-branch) pages: compare the upstream page of 0.14.8 before \
             relying on it"
        )
    );
}

// ---------------------------------------------------------------------------------------------------------------
// ingress-nginx: kubernetes/ingress-nginx docs/deploy/index.md @0124c313 (GCE-GKE warning, Bare metal clusters,
// Webhook network access) and docs/deploy/baremetal.md @01c4cd8b.
// ---------------------------------------------------------------------------------------------------------------

/// Controller container ports 80 and 443 behind the Service (baremetal.md: "the standard HTTP ports 80 and 443").
const INGRESS_HTTP: &[&str] = &[
    "clients -> controller tcp 80",
    "clients -> controller tcp 443",
];
/// GKE warning: "allows master nodes access to port `8443/tcp` on worker nodes" (admission webhook).
const INGRESS_WEBHOOK: &[&str] = &["kube-apiserver -> controller tcp 8443"];
/// "For quick testing, you can use a NodePort ... it will typically use a port in the range 30000-32767."
const INGRESS_NODEPORT: &[&str] = &["clients -> node tcp 30000-32767"];
/// baremetal.md "Via the host network": "bind ports 80 and 443 directly to Kubernetes nodes' network interfaces";
/// the webhook port is then on the node as well.
const INGRESS_HOSTNET: &[&str] = &[
    "clients -> controller-host tcp 80",
    "clients -> controller-host tcp 443",
    "kube-apiserver -> controller-host tcp 8443",
];

#[test]
fn ingress_nginx_rows() {
    assert_rows("ingress-nginx", &[], &[INGRESS_HTTP, INGRESS_WEBHOOK]);
    assert_rows(
        "ingress-nginx",
        &[("exposure", "nodeport")],
        &[INGRESS_HTTP, INGRESS_WEBHOOK, INGRESS_NODEPORT],
    );
    assert_rows(
        "ingress-nginx",
        &[("exposure", "hostnetwork")],
        &[INGRESS_HOSTNET],
    );
}

/// baremetal.md "Using a self-provisioned edge": "Incoming traffic on TCP ports 80 and 443 is forwarded to the
/// corresponding HTTP and HTTPS NodePort on the target nodes"; "external clients do not access cluster nodes
/// directly, only the edge component does" (so the clients' NodePort row goes away).
const INGRESS_EDGE: &[&str] = &[
    "clients -> edge-load-balancer tcp 80",
    "clients -> edge-load-balancer tcp 443",
    "edge-load-balancer -> node tcp 30000-32767",
];

#[test]
fn ingress_nginx_edge_load_balancer_rows() {
    let edge = ("edge_load_balancer", "true");
    assert_rows(
        "ingress-nginx",
        &[edge, ("exposure", "nodeport")],
        &[INGRESS_HTTP, INGRESS_WEBHOOK, INGRESS_EDGE],
    );
    // kubernetes/website service.md @7f1bc248: a LoadBalancer Service's "NodePort and ClusterIP Services, to which
    // the external load balancer routes, are automatically created".
    assert_rows(
        "ingress-nginx",
        &[edge, ("exposure", "loadbalancer")],
        &[INGRESS_HTTP, INGRESS_WEBHOOK, INGRESS_EDGE],
    );
    // No guide documents an edge in front of the host network.
    assert_rows(
        "ingress-nginx",
        &[edge, ("exposure", "hostnetwork")],
        &[INGRESS_HOSTNET],
    );
}

// docs/user-guide/monitoring.md @dbb11b92 (option metrics, off by default: the chart's controller.metrics.enabled is
// false): "Prometheus metrics are exposed on port 10254"; the guide's manifest adds "containerPort: 10254" to the
// controller, so with hostNetwork the port is on the node.
const INGRESS_METRICS: &[&str] = &["prometheus -> controller tcp 10254"];
const INGRESS_METRICS_HOSTNET: &[&str] = &["prometheus -> controller-host tcp 10254"];

#[test]
fn ingress_nginx_metrics_rows() {
    let metrics = ("metrics", "true");
    assert_rows(
        "ingress-nginx",
        &[metrics],
        &[INGRESS_HTTP, INGRESS_WEBHOOK, INGRESS_METRICS],
    );
    assert_rows(
        "ingress-nginx",
        &[metrics, ("exposure", "nodeport")],
        &[
            INGRESS_HTTP,
            INGRESS_WEBHOOK,
            INGRESS_NODEPORT,
            INGRESS_METRICS,
        ],
    );
    assert_rows(
        "ingress-nginx",
        &[metrics, ("exposure", "hostnetwork")],
        &[INGRESS_HOSTNET, INGRESS_METRICS_HOSTNET],
    );
    let option = release("ingress-nginx")
        .options
        .iter()
        .find(|o| o.name == "metrics")
        .expect("metrics option");
    assert_eq!(option.default, "false");
}

// ---------------------------------------------------------------------------------------------------------------
// node_exporter: prometheus/node_exporter README.md @0361693d, "Installation and Usage".
// ---------------------------------------------------------------------------------------------------------------

/// "The `node_exporter` listens on HTTP port 9100 by default."
const NODE_EXPORTER: &[&str] = &["prometheus -> node-exporter tcp 9100"];

#[test]
fn node_exporter_rows() {
    assert_rows("node-exporter", &[], &[NODE_EXPORTER]);
}

// ---------------------------------------------------------------------------------------------------------------
// cert-manager: cert-manager/website @776e5dba, content/docs/installation/compatibility.md (1.21) and the copies in
// content/v1.3-docs ... content/v1.20-docs (the same sentences in each; v1.3 to v1.8 also at @126f0d7e), and
// content/docs/troubleshooting/webhook.md (1.11 and later).
// ---------------------------------------------------------------------------------------------------------------

/// Warning box: "kubelet listens on port `10250` by default which clashes with the default port for the
/// cert-manager webhook"; GKE: "allow the GKE control plane access to your webhook pod". The port is the parameter
/// `webhook_secure_port`, default 10250 (checked in `cert_manager_parameters_and_tiers`).
const CERT_MANAGER_WEBHOOK_POD: &[&str] = &["kube-apiserver -> webhook tcp ${webhook_secure_port}"];
/// AWS EKS: "the webhook can be run in the host network ... by setting the `webhook.hostNetwork` key to true";
/// "running on the host network will necessitate changing the webhook's port" (no port named: no default).
const CERT_MANAGER_WEBHOOK_HOST: &[&str] =
    &["kube-apiserver -> webhook-host tcp ${webhook_host_port}"];

#[test]
fn cert_manager_rows() {
    assert_rows("cert-manager", &[], &[CERT_MANAGER_WEBHOOK_POD]);
    assert_rows(
        "cert-manager",
        &[("webhook_host_network", "false")],
        &[CERT_MANAGER_WEBHOOK_POD],
    );
    assert_rows(
        "cert-manager",
        &[("webhook_host_network", "true")],
        &[CERT_MANAGER_WEBHOOK_HOST],
    );
}

#[test]
fn cert_manager_parameters_and_tiers() {
    let rel = release("cert-manager");
    let default_of = |name: &str| {
        rel.parameters
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("parameter {name}"))
            .default
    };
    assert_eq!(default_of("webhook_secure_port"), Some(10250));
    assert_eq!(
        default_of("webhook_host_port"),
        None,
        "the pages require a port other than 10250 on the host network but name none"
    );
    let role = |name: &str| {
        rel.roles
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("role {name}"))
    };
    assert_eq!(role("webhook").network, Network::Pod);
    assert_eq!(role("webhook").tiers, [Tier::Worker]);
    assert_eq!(role("webhook-host").network, Network::Host);
    assert_eq!(role("webhook-host").tiers, [Tier::Worker]);
    assert_eq!(role("kube-apiserver").tiers, [Tier::Master]);
    let option = rel
        .options
        .iter()
        .find(|o| o.name == "webhook_host_network")
        .expect("webhook_host_network option");
    assert_eq!(option.default, "false");
}

/// The compatibility pages read: v1.3 to v1.20 and the current docs (1.21). The v1.0 to v1.2 pages give no
/// default port and are not claimed; versions after 1.21 use the table with a warning.
#[test]
fn cert_manager_versions_are_those_read() {
    let catalog = Catalog::builtin();
    let select = |version: &str| {
        let mut s = selection("cert-manager", &[]);
        s.version = Some(version.to_owned());
        catalog.select(&s)
    };
    for version in [
        "1.3.0", "1.4.4", "1.5.0", "1.7.1", "1.8.2", "1.11.0", "1.20.1", "v1.21.0",
    ] {
        let selected = select(version).unwrap_or_else(|e| panic!("{version} was read: {e}"));
        assert_eq!(selected.unread_version, None, "{version} was read");
    }
    for version in ["0.16.1", "1.0.0", "1.2.6"] {
        assert!(select(version).is_err(), "{version} was not read");
    }
    let later = select("1.22.0").expect("later versions use the newest table");
    assert!(later.unread_version.is_some());
}

// ---------------------------------------------------------------------------------------------------------------
// kube-state-metrics: kubernetes/kube-state-metrics README.md @c92fe0c5 (the same sentences at every tag v2.0.0 to
// v2.20.0) and examples/standard/deployment.yaml.
// ---------------------------------------------------------------------------------------------------------------

/// "The metrics are exported on the HTTP endpoint `/metrics` on the listening port (default 8080)"; "its own
/// general process metrics under `--telemetry-host` and `--telemetry-port` (default 8081)".
const KUBE_STATE_METRICS: &[&str] = &[
    "prometheus -> kube-state-metrics tcp 8080",
    "prometheus -> kube-state-metrics tcp 8081",
];

#[test]
fn kube_state_metrics_rows_and_versions() {
    assert_rows("kube-state-metrics", &[], &[KUBE_STATE_METRICS]);
    let rel = release("kube-state-metrics");
    let role = &rel.roles[0];
    assert_eq!(
        (role.name.as_str(), role.network, role.tiers.as_slice()),
        (
            "kube-state-metrics",
            Network::Pod,
            [Tier::Worker].as_slice()
        )
    );
    assert_eq!(role.namespace.as_deref(), Some("kube-system"));
    assert_eq!(
        role.selector,
        BTreeMap::from([(
            "app.kubernetes.io/name".to_owned(),
            "kube-state-metrics".to_owned()
        )])
    );
    let catalog = Catalog::builtin();
    let select = |version: &str| {
        let mut s = selection("kube-state-metrics", &[]);
        s.version = Some(version.to_owned());
        catalog.select(&s)
    };
    for version in ["2.0.0", "v2.9.2", "2.20.0"] {
        let selected = select(version).unwrap_or_else(|e| panic!("{version} was read: {e}"));
        assert_eq!(selected.unread_version, None, "{version} was read");
    }
    assert!(select("1.9.8").is_err(), "v1 was not read");
    assert!(select("2.21.0").expect("later").unread_version.is_some());
}

// ---------------------------------------------------------------------------------------------------------------
// SSH administration: openssh/openssh-portable sshd_config.5 @0ef0f5a8, "Port".
// ---------------------------------------------------------------------------------------------------------------

/// "Specifies the port number that sshd(8) listens on. The default is 22."
const SSH_ADMIN: &[&str] = &["admin -> node tcp ${ssh_port}"];

#[test]
fn ssh_admin_rows() {
    assert_rows("ssh-admin", &[], &[SSH_ADMIN]);
    let rel = release("ssh-admin");
    let port = rel
        .parameters
        .iter()
        .find(|p| p.name == "ssh_port")
        .expect("ssh_port");
    assert_eq!(port.default, Some(22));
    assert_eq!(
        rel.endpoints
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        ["admin"]
    );
    assert_eq!(rel.roles[0].tiers, [Tier::Master, Tier::Worker]);
    assert_eq!(rel.roles[0].network, Network::Host);
}

// ---------------------------------------------------------------------------------------------------------------
// Properties shared by the files.
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn loopback_rows_never_become_flows() {
    for platform in PLATFORMS {
        let rel = release(platform);
        for combo in option_combinations(rel) {
            let options: Vec<(&str, &str)> = combo
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let selected = Catalog::builtin()
                .select(&selection(platform, &options))
                .expect("selects");
            for lb in &rel.loopback {
                let PortSpec::Ranges(lb_ranges) = &lb.ports else {
                    continue;
                };
                for flow in &selected.flows {
                    let PortSpec::Ranges(ranges) = &flow.ports else {
                        continue;
                    };
                    let overlaps = flow.protocol == lb.protocol
                        && ranges
                            .iter()
                            .any(|r| lb_ranges.iter().any(|l| r.from <= l.to && l.from <= r.to));
                    assert!(
                        !overlaps,
                        "{platform} {options:?}: flow {:?} opens loopback-only {lb:?}",
                        flow_lines(flow)
                    );
                }
            }
        }
    }
}

#[test]
fn every_combination_selects_and_every_flow_cites_rows() {
    for platform in PLATFORMS {
        let rel = release(platform);
        for flow in &rel.flows {
            assert!(
                !flow.rows.is_empty(),
                "{platform}: {:?} cites no row",
                flow_lines(flow)
            );
            assert!(
                rel.sources.iter().any(|s| s.id == flow.source),
                "{platform}: unknown source {}",
                flow.source
            );
        }
        for combo in option_combinations(rel) {
            let options: Vec<(&str, &str)> = combo
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert!(
                Catalog::builtin()
                    .select(&selection(platform, &options))
                    .is_ok(),
                "{platform} {options:?}"
            );
        }
    }
}

#[test]
fn sources_cite_a_commit() {
    for platform in PLATFORMS {
        for source in &release(platform).sources {
            let commit = source
                .url
                .split("/blob/")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .unwrap_or_else(|| {
                    panic!(
                        "{platform}: source {} has no /blob/<commit>/ URL",
                        source.id
                    )
                });
            assert!(
                commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()),
                "{platform}: source {} URL does not pin a commit: {}",
                source.id,
                source.url
            );
            assert!(
                !source.version.is_empty() && !source.date.is_empty(),
                "{platform}: source {}",
                source.id
            );
        }
    }
}

#[test]
fn disagreements_are_recorded() {
    // Each file records the cross-source disagreements found while transcribing it.
    for (platform, topic) in [
        ("rke2", "Flannel VXLAN port: 4789 vs 8472"),
        ("rke2", "Calico BGP on Windows"),
        ("k3s", "Source of 6443: Agents (table) vs all nodes (prose)"),
        (
            "k3s",
            "10250 listed both as inbound and as a loopback-only local port",
        ),
        ("metallb", "Metrics port across chart releases"),
        ("ingress-nginx", "Admission webhook port in Deckhouse"),
        ("node-exporter", "node-exporter port in Deckhouse"),
        (
            "cert-manager",
            "Webhook secure port: 10250 (installation) vs 6443 (WebhookConfiguration)",
        ),
        ("cert-manager", "Webhook port on the host network"),
        (
            "cert-manager",
            "GKE private clusters: extra firewall rule vs default port already open",
        ),
    ] {
        assert!(
            release(platform)
                .disagreements
                .iter()
                .any(|d| d.topic == topic),
            "{platform}: disagreement {topic:?} missing"
        );
    }
}

/// Every platform that serves or calls the Kubernetes API names its port with the parameter `apiserver_port`, whose
/// value is the selection's `api_server_port`. Its default is the port the platform's own table states, and none
/// where the table states no single port (Calico: "Often TCP 443 or 6443*"; Longhorn: "Kubernetes API server port").
#[test]
fn api_server_port_defaults() {
    let expected: &[(&str, Option<u16>)] = &[
        ("kubernetes", Some(6443)),
        ("rke2", Some(6443)),
        ("k3s", Some(6443)),
        ("deckhouse", Some(6443)),
        ("kublr", Some(443)),
        ("calico", None),
        ("longhorn", None),
    ];
    for (name, default) in expected {
        let platform = Catalog::builtin()
            .platform(name)
            .unwrap_or_else(|| panic!("{name} is built in"));
        for release in &platform.releases {
            let parameter = release
                .parameters
                .iter()
                .find(|p| p.name == "apiserver_port")
                .unwrap_or_else(|| panic!("{}: no apiserver_port", release.origin));
            assert_eq!(parameter.default, *default, "{}", release.origin);
            let literal: Vec<String> = release
                .flows
                .iter()
                .flat_map(flow_lines)
                .filter(|line| line.contains("apiserver") && line.ends_with(" 6443"))
                .collect();
            assert!(literal.is_empty(), "{}: {literal:?}", release.origin);
        }
    }
}
