//! Row-by-row checks of the platforms added from their own documentation for issue 15: Istio, Linkerd, Rook-Ceph,
//! kube-vip and Rancher.
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

use portmatrix::catalog::{flow_lines, Catalog, Network, PortSpec, Release, Selection, Tier};

/// The platforms this file checks.
const PLATFORMS: [&str; 5] = ["istio", "linkerd", "rook-ceph", "kube-vip", "rancher"];

fn role<'a>(release: &'a Release, name: &str) -> &'a portmatrix::catalog::Role {
    release
        .roles
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("{}: role {name}", release.origin))
}

fn option_default(release: &Release, name: &str) -> String {
    release
        .options
        .iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("{}: option {name}", release.origin))
        .default
        .clone()
}

/// Which versions select a release without a warning, which warn, and which are refused.
fn assert_versions(platform: &str, read: &[&str], beyond: &[&str], refused: &[&str]) {
    let catalog = Catalog::builtin();
    for version in read {
        let selected = catalog
            .select(&selection_at(platform, Some(version), &[]))
            .unwrap_or_else(|e| panic!("{platform} {version} was read: {e}"));
        assert_eq!(
            selected.unread_version, None,
            "{platform} {version} was read"
        );
    }
    for version in beyond {
        let selected = catalog
            .select(&selection_at(platform, Some(version), &[]))
            .unwrap_or_else(|e| panic!("{platform} {version} uses the newest table: {e}"));
        assert!(
            selected.unread_version.is_some(),
            "{platform} {version} lies beyond what was read and must warn"
        );
    }
    for version in refused {
        assert!(
            catalog
                .select(&selection_at(platform, Some(version), &[]))
                .is_err(),
            "{platform} {version} was not read"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Istio: istio/istio.io content/en/docs/ops/deployment/application-requirements/index.md @110ebf69 (and @5e234370),
// table "Ports used by Istio"; the istiod Service of istio/istio's chart at the tags 1.8.0 to 1.30.0.
// ---------------------------------------------------------------------------------------------------------------

/// istiod table: "15012 | GRPC | XDS and CA services (TLS and mTLS, recommended for production use) | No";
/// "15017 | HTTPS | Webhook container port, forwarded from 443 | No"; "15014 | HTTP | Control plane monitoring | No".
const ISTIO_CONTROL_PLANE: &[&str] = &[
    "proxy -> istiod tcp 15012",
    "kube-apiserver -> istiod tcp 15017",
    "monitoring -> istiod tcp 15014",
];
/// Sidecar table: "15020 | HTTP | Merged Prometheus telemetry ... | No"; "15090 | HTTP | Envoy Prometheus telemetry |
/// No"; "15021 | HTTP | Health checks | No".
const ISTIO_PROXY: &[&str] = &[
    "monitoring -> proxy tcp 15020",
    "monitoring -> proxy tcp 15090",
    "health-checkers -> proxy tcp 15021",
];
/// "15010 | GRPC | XDS and CA services (Plaintext, only for secure networks) | No".
const ISTIO_PLAINTEXT: &[&str] = &["proxy -> istiod tcp 15010"];
/// "15008 | HTTP2 | HBONE mTLS tunnel port | No".
const ISTIO_HBONE: &[&str] = &["proxy -> proxy tcp 15008"];

#[test]
fn istio_rows() {
    assert_rows("istio", &[], &[ISTIO_CONTROL_PLANE, ISTIO_PROXY]);
    assert_rows(
        "istio",
        &[("xds_plaintext", "true")],
        &[ISTIO_CONTROL_PLANE, ISTIO_PROXY, ISTIO_PLAINTEXT],
    );
    assert_rows(
        "istio",
        &[("hbone", "true")],
        &[ISTIO_CONTROL_PLANE, ISTIO_PROXY, ISTIO_HBONE],
    );
    assert_rows_at(
        "istio",
        Some("1.8.0"),
        &[("xds_plaintext", "true"), ("hbone", "true")],
        &[
            ISTIO_CONTROL_PLANE,
            ISTIO_PROXY,
            ISTIO_PLAINTEXT,
            ISTIO_HBONE,
        ],
    );
}

/// "Pod-internal only: Yes": 15000 (Envoy admin), 15002 (failure detection, newer revision), 15004 (debug) and
/// 15053 (DNS capture) never become flows; nor do 15001/15006 (iptables targets) or istiod's 8080 debug port.
#[test]
fn istio_pod_internal_ports_are_loopback_only() {
    let rel = &releases("istio")[0];
    let mut loopback: Vec<String> = rel
        .loopback
        .iter()
        .map(|l| format!("{} {} {}", l.role, l.protocol, l.ports.describe()))
        .collect();
    loopback.sort();
    assert_eq!(
        loopback,
        [
            "proxy tcp 15000",
            "proxy tcp 15002",
            "proxy tcp 15004",
            "proxy tcp 15053",
            "proxy udp 15053",
        ]
    );
    for combo in option_combinations(rel) {
        let options: Vec<(&str, &str)> = combo
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for line in lines_at("istio", None, &options) {
            for port in ["15000", "15001", "15002", "15004", "15006", "15053", "8080"] {
                assert!(!line.ends_with(&format!(" {port}")), "{line}");
            }
        }
    }
}

#[test]
fn istio_roles_and_options() {
    let rel = &releases("istio")[0];
    assert_eq!(role(rel, "istiod").network, Network::Pod);
    assert_eq!(
        role(rel, "istiod").namespace.as_deref(),
        Some("istio-system")
    );
    assert_eq!(
        role(rel, "istiod").selector.get("app").map(String::as_str),
        Some("istiod"),
        "the istiod Service's selector"
    );
    assert_eq!(role(rel, "proxy").network, Network::Pod);
    assert_eq!(role(rel, "kube-apiserver").network, Network::Host);
    assert_eq!(role(rel, "kube-apiserver").tiers, [Tier::Master]);
    assert_eq!(option_default(rel, "xds_plaintext"), "false");
    assert_eq!(option_default(rel, "hbone"), "false");
}

/// The istiod Service matches the page's table at every minor tag from 1.8.0 to 1.30.0; 1.6 and 1.7 also served DNS
/// on it and are not claimed; later releases use the table with a warning.
#[test]
fn istio_versions_are_those_read() {
    assert_versions(
        "istio",
        &["1.8.0", "1.12.3", "1.22.1", "1.30.0", "1.30.2"],
        &["1.31.0", "2.0.0"],
        &["1.5.0", "1.6.14", "1.7.8"],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Linkerd: linkerd/website @93f00175, linkerd.io/content/2.10 ... 2.19: reference/cluster-configuration.md (GKE private
// clusters), common-errors/network-policy.md (2.18+), features/protocol-detection.md (2.10-2.17),
// reference/proxy-metrics.md, tasks/adding-non-kubernetes-workloads.md (2.15+).
// ---------------------------------------------------------------------------------------------------------------

/// GKE private clusters, 2.11 to 2.19: "Create the firewall rules for `proxy-injector`, `policy-validator` and
/// `tap`": `--allow "tcp:8443,tcp:8089,tcp:9443"` from the control plane's range.
const LINKERD_WEBHOOKS: &[&str] = &[
    "kube-apiserver -> webhooks tcp 8443",
    "kube-apiserver -> webhooks tcp 8089",
    "kube-apiserver -> webhooks tcp 9443",
];
/// The 2.10 page: "Create the firewall rules for `proxy-injector` and `tap`": `--allow "tcp:8443,tcp:8089"`.
const LINKERD_WEBHOOKS_2_10: &[&str] = &[
    "kube-apiserver -> webhooks tcp 8443",
    "kube-apiserver -> webhooks tcp 8089",
];
/// Proxy metrics: "available at `/metrics` on the proxy's metrics port (default: `:4191`)".
const LINKERD_METRICS: &[&str] = &["monitoring -> meshed-pods tcp 4191"];
/// Network Policy (2.18+): "any `NetworkPolicy` which blocks the Linkerd inbound port (`4143`) will block all meshed
/// traffic"; protocol detection (2.10-2.17): opaque ports "target the proxy's inbound port instead (by default,
/// `4143`)".
const LINKERD_INBOUND: &[&str] = &["meshed-pods -> meshed-pods tcp 4143"];
/// Non-Kubernetes workloads (2.15+): `LINKERD2_PROXY_DESTINATION_SVC_ADDR=...linkerd-dst-headless...:8086`,
/// `LINKERD2_PROXY_POLICY_SVC_ADDR=...linkerd-policy...:8090`, `PROXY_INBOUND_PORT=4143` on the machine, and "IP
/// connectivity from the machine to every pod in the mesh".
const LINKERD_EXTERNAL: &[&str] = &[
    "external-workloads -> destination tcp 8086",
    "external-workloads -> destination tcp 8090",
    "meshed-pods -> external-workloads tcp 4143",
    "external-workloads -> meshed-pods tcp 4143",
];

#[test]
fn linkerd_rows() {
    assert_rows(
        "linkerd",
        &[],
        &[LINKERD_WEBHOOKS, LINKERD_METRICS, LINKERD_INBOUND],
    );
    // From 2.18 the inbound port is needed whatever the opaque ports.
    assert_rows(
        "linkerd",
        &[("opaque_ports", "false")],
        &[LINKERD_WEBHOOKS, LINKERD_METRICS, LINKERD_INBOUND],
    );
    assert_rows(
        "linkerd",
        &[("external_workloads", "true")],
        &[
            LINKERD_WEBHOOKS,
            LINKERD_METRICS,
            LINKERD_INBOUND,
            LINKERD_EXTERNAL,
        ],
    );
}

#[test]
fn linkerd_rows_per_version() {
    // 2.17: the inbound port only for opaque ports (on by default); external workloads exist since 2.15.
    assert_rows_at(
        "linkerd",
        Some("2.17.0"),
        &[],
        &[LINKERD_WEBHOOKS, LINKERD_METRICS, LINKERD_INBOUND],
    );
    assert_rows_at(
        "linkerd",
        Some("2.17.0"),
        &[("opaque_ports", "false")],
        &[LINKERD_WEBHOOKS, LINKERD_METRICS],
    );
    assert_rows_at(
        "linkerd",
        Some("2.15.1"),
        &[("opaque_ports", "false"), ("external_workloads", "true")],
        &[LINKERD_WEBHOOKS, LINKERD_METRICS, LINKERD_EXTERNAL],
    );
    // 2.14 has no mesh expansion page: the option selects nothing more.
    assert_rows_at(
        "linkerd",
        Some("2.14.10"),
        &[("external_workloads", "true")],
        &[LINKERD_WEBHOOKS, LINKERD_METRICS, LINKERD_INBOUND],
    );
    // 2.10: no policy validator, so no 9443.
    assert_rows_at(
        "linkerd",
        Some("2.10.2"),
        &[],
        &[LINKERD_WEBHOOKS_2_10, LINKERD_METRICS, LINKERD_INBOUND],
    );
    assert_rows_at(
        "linkerd",
        Some("2.11.0"),
        &[("opaque_ports", "false")],
        &[LINKERD_WEBHOOKS, LINKERD_METRICS],
    );
}

#[test]
fn linkerd_roles_and_options() {
    let rel = &releases("linkerd")[0];
    assert_eq!(role(rel, "webhooks").network, Network::Pod);
    assert_eq!(role(rel, "meshed-pods").network, Network::Pod);
    assert_eq!(
        role(rel, "destination").namespace.as_deref(),
        Some("linkerd")
    );
    assert_eq!(role(rel, "kube-apiserver").tiers, [Tier::Master]);
    assert_eq!(option_default(rel, "opaque_ports"), "true");
    assert_eq!(option_default(rel, "external_workloads"), "false");
    assert!(
        rel.loopback.is_empty(),
        "the pages name no loopback-only port"
    );
}

/// The docs in linkerd/website: 2.10 to 2.19; older versions' docs are gone from the repository.
#[test]
fn linkerd_versions_are_those_read() {
    assert_versions(
        "linkerd",
        &["2.10.0", "2.14.10", "2.18.0", "2.19.3"],
        &["2.20.0", "3.0.0"],
        &["2.9.4", "2.8.1"],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Rook-Ceph: ceph/ceph doc/rados/configuration/network-config-ref.rst @369dadea ("IP Tables": Monitor; MDS and
// Manager; OSD) and rook/rook Documentation at the tags v1.11.0 to v1.20.0: Troubleshooting/ceph-common-issues.md and
// ceph-csi-common-issues.md, CRDs/Cluster/ceph-cluster-crd.md (host networking, requireMsgr2),
// CRDs/Object-Storage/ceph-object-store-crd.md (port, securePort), Storage-Configuration/Monitoring/ceph-dashboard.md,
// Helm-Charts/operator-chart.md (csi.enableCSIHostNetwork, default true).
// ---------------------------------------------------------------------------------------------------------------

/// "Ceph Monitors listen on ports 3300 and 6789 by default" and "always operate on the public network": the other
/// daemons, the pods that are clients (operator, CSI provisioners) and the CSI node plugins on the host network
/// (default) reach them; 6789 only while msgr1 is allowed (requireMsgr2 "Default is false").
const ROOK_MON_3300: &[&str] = &[
    "daemons -> mon tcp 3300",
    "clients -> mon tcp 3300",
    "csi-nodeplugin -> mon tcp 3300",
];
const ROOK_MON_6789: &[&str] = &[
    "daemons -> mon tcp 6789",
    "clients -> mon tcp 6789",
    "csi-nodeplugin -> mon tcp 6789",
];
/// OSD IP Tables: "open the entire 6800-7300 port range"; MDS and Manager IP Tables: "listens on the first available
/// port on the public network beginning at port 6800 ... open the entire 6800-7300 range by default".
const ROOK_OSD: &[&str] = &[
    "daemons -> osd tcp 6800-7300",
    "clients -> osd tcp 6800-7300",
    "csi-nodeplugin -> osd tcp 6800-7300",
];
const ROOK_MGR: &[&str] = &[
    "daemons -> mgr tcp 6800-7300",
    "clients -> mgr tcp 6800-7300",
    "csi-nodeplugin -> mgr tcp 6800-7300",
];
const ROOK_MDS: &[&str] = &[
    "daemons -> mds tcp 6800-7300",
    "clients -> mds tcp 6800-7300",
    "csi-nodeplugin -> mds tcp 6800-7300",
];
/// Dashboard page: "Rook will enable port 8443 for https access"; "rook-ceph-mgr ... 9283/TCP": "The first service is
/// for reporting the Prometheus metrics" (the port is the parameter mgr_prometheus_port, default 9283).
const ROOK_MGR_HTTP: &[&str] = &[
    "dashboard-users -> mgr tcp 8443",
    "monitoring -> mgr tcp ${mgr_prometheus_port}",
];
/// CephObjectStore `port`: "If running on SDN, the RGW daemon listening port will be 8080 internally."
const ROOK_RGW: &[&str] = &["object-clients -> rgw tcp 8080"];

/// The same rules with `network.provider: host`: the daemons are on the nodes.
const ROOK_HOST: &[&str] = &[
    "daemons-host -> mon-host tcp 3300",
    "clients -> mon-host tcp 3300",
    "csi-nodeplugin -> mon-host tcp 3300",
    "daemons-host -> mon-host tcp 6789",
    "clients -> mon-host tcp 6789",
    "csi-nodeplugin -> mon-host tcp 6789",
    "daemons-host -> osd-host tcp 6800-7300",
    "clients -> osd-host tcp 6800-7300",
    "csi-nodeplugin -> osd-host tcp 6800-7300",
    "daemons-host -> mgr-host tcp 6800-7300",
    "clients -> mgr-host tcp 6800-7300",
    "csi-nodeplugin -> mgr-host tcp 6800-7300",
    "dashboard-users -> mgr-host tcp 8443",
    "monitoring -> mgr-host tcp ${mgr_prometheus_port}",
];

fn without(lines: &[&'static str], dropped: &[&str]) -> Vec<&'static str> {
    lines
        .iter()
        .copied()
        .filter(|l| !dropped.iter().any(|d| l.starts_with(d)))
        .collect()
}

#[test]
fn rook_ceph_rows() {
    assert_rows(
        "rook-ceph",
        &[],
        &[
            ROOK_MON_3300,
            ROOK_MON_6789,
            ROOK_OSD,
            ROOK_MGR,
            ROOK_MGR_HTTP,
        ],
    );
    // requireMsgr2: "the msgr v1 port (6789) will be disabled".
    assert_rows(
        "rook-ceph",
        &[("require_msgr2", "true")],
        &[ROOK_MON_3300, ROOK_OSD, ROOK_MGR, ROOK_MGR_HTTP],
    );
    assert_rows(
        "rook-ceph",
        &[("filesystem", "true"), ("object_store", "true")],
        &[
            ROOK_MON_3300,
            ROOK_MON_6789,
            ROOK_OSD,
            ROOK_MGR,
            ROOK_MDS,
            ROOK_MGR_HTTP,
            ROOK_RGW,
        ],
    );
    assert_rows(
        "rook-ceph",
        &[
            ("object_store", "true"),
            ("rgw_tls", "true"),
            ("dashboard", "false"),
        ],
        &[
            ROOK_MON_3300,
            ROOK_MON_6789,
            ROOK_OSD,
            ROOK_MGR,
            &["monitoring -> mgr tcp ${mgr_prometheus_port}"],
            ROOK_RGW,
            &["object-clients -> rgw tcp ${rgw_secure_port}"],
        ],
    );
    // CSI node plugins off the host network are pods among the clients.
    let pods_only: Vec<&str> = [ROOK_MON_3300, ROOK_MON_6789, ROOK_OSD, ROOK_MGR]
        .concat()
        .into_iter()
        .filter(|l| !l.starts_with("csi-nodeplugin "))
        .collect();
    assert_rows(
        "rook-ceph",
        &[("csi_host_network", "false")],
        &[&pods_only, ROOK_MGR_HTTP],
    );
    assert_rows("rook-ceph", &[("host_network", "true")], &[ROOK_HOST]);
    assert_rows(
        "rook-ceph",
        &[
            ("host_network", "true"),
            ("require_msgr2", "true"),
            ("csi_host_network", "false"),
            ("filesystem", "true"),
            ("object_store", "true"),
        ],
        &[
            &without(
                ROOK_HOST,
                &[
                    "daemons-host -> mon-host tcp 6789",
                    "clients -> mon-host tcp 6789",
                    "csi-nodeplugin ",
                ],
            ),
            &[
                "daemons-host -> mds-host tcp 6800-7300",
                "clients -> mds-host tcp 6800-7300",
                "object-clients -> rgw-host tcp ${rgw_port}",
            ],
        ],
    );
}

#[test]
fn rook_ceph_parameters_roles_and_options() {
    let rel = &releases("rook-ceph")[0];
    let parameter = |name: &str| {
        rel.parameters
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("parameter {name}"))
            .default
    };
    assert_eq!(parameter("mgr_prometheus_port"), Some(9283));
    assert_eq!(parameter("rgw_port"), None, "the CRD names no default");
    assert_eq!(
        parameter("rgw_secure_port"),
        None,
        "the example is commented out"
    );
    for (name, default) in [
        ("host_network", "false"),
        ("csi_host_network", "true"),
        ("require_msgr2", "false"),
        ("filesystem", "false"),
        ("object_store", "false"),
        ("rgw_tls", "false"),
        ("dashboard", "true"),
    ] {
        assert_eq!(option_default(rel, name), default, "{name}");
    }
    for pod in ["mon", "osd", "mgr", "mds", "rgw"] {
        assert_eq!(role(rel, pod).network, Network::Pod, "{pod}");
        assert_eq!(role(rel, pod).namespace.as_deref(), Some("rook-ceph"));
        assert_eq!(
            role(rel, pod).selector.get("app").map(String::as_str),
            Some(format!("rook-ceph-{pod}").as_str())
        );
        let host = format!("{pod}-host");
        assert_eq!(role(rel, &host).network, Network::Host, "{host}");
    }
    assert_eq!(role(rel, "csi-nodeplugin").network, Network::Host);
}

/// Rook's pages at the tags v1.11.0 to v1.20.0; v1.10 defaulted the CSI host network to false and had no
/// requireMsgr2 on the CephCluster page, so it is not claimed.
#[test]
fn rook_ceph_versions_are_those_read() {
    assert_versions(
        "rook-ceph",
        &["1.11.0", "1.15.4", "1.19.2", "1.20.0"],
        &["1.21.0"],
        &["1.10.9", "1.9.0"],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// kube-vip: kube-vip/website content/docs/about/architecture.md @023e95de (Virtual IP; Control Plane
// Load-Balancing) and content/docs/installation/flags.md @347ab4c4 (`lb_port` 6443).
// ---------------------------------------------------------------------------------------------------------------

/// "The leader within the cluster will assume the VIP": clients and workers reach the leader's API server.
const KUBE_VIP_LEADER: &[&str] = &[
    "api-clients -> control-plane tcp ${apiserver_port}",
    "worker -> control-plane tcp ${apiserver_port}",
];
/// `lb_enable`: "the load balancer will listen on the default port of 6443" (`lb_port`), "a Layer 4 (TCP-based)
/// round-robin across all of the control plane nodes" (`ipvsadm -ln`: VIP:6443 -> each node's :6443).
const KUBE_VIP_IPVS: &[&str] = &[
    "api-clients -> control-plane tcp ${lb_port}",
    "worker -> control-plane tcp ${lb_port}",
    "control-plane -> control-plane tcp ${apiserver_port}",
];

#[test]
fn kube_vip_rows() {
    assert_rows("kube-vip", &[], &[KUBE_VIP_LEADER]);
    assert_rows("kube-vip", &[("lb_enable", "true")], &[KUBE_VIP_IPVS]);
    // "As of v0.4.0": before it, the load balancer does not exist.
    assert_rows_at("kube-vip", Some("0.3.9"), &[("lb_enable", "true")], &[]);
    assert_rows_at(
        "kube-vip",
        Some("0.4.0"),
        &[("lb_enable", "true")],
        &[KUBE_VIP_IPVS],
    );
}

#[test]
fn kube_vip_parameters_and_roles() {
    let rel = &releases("kube-vip")[0];
    for name in ["apiserver_port", "lb_port"] {
        let default = rel
            .parameters
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("parameter {name}"))
            .default;
        assert_eq!(default, Some(6443), "{name}: the pages state 6443");
    }
    assert_eq!(option_default(rel, "lb_enable"), "false");
    assert_eq!(role(rel, "control-plane").network, Network::Host);
    assert_eq!(role(rel, "control-plane").tiers, [Tier::Master]);
    assert_eq!(role(rel, "worker").tiers, [Tier::Worker]);
    let expanded = Catalog::builtin()
        .select(&Selection {
            platform: "kube-vip".to_owned(),
            version: None,
            options: BTreeMap::from([("lb_enable".to_owned(), "true".to_owned())]),
        })
        .expect("selects");
    assert!(
        expanded
            .flows
            .iter()
            .all(|f| f.protocol.to_string() == "tcp"),
        "no BGP or other port is on the pages read"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Rancher: rancher/rancher-docs, Port Requirements:
// versioned_docs/version-2.13/.../port-requirements.md @cba36f00, version-2.10 @5d51acf2 and version-2.6 @14f94957
// (tabs "Ports for Rancher
// Server Nodes on K3s / RKE / RKE2 / in Docker"), and the tables the page renders from src/components:
// PortsIaasNodes.js @82667d93 (node pools), PortsCustomNodes.js @36f54e98 (custom nodes), PortsImportedHosted.js
// @144dc06b (hosted and registered clusters).
// ---------------------------------------------------------------------------------------------------------------

/// Hosted/registered table, cell "Rancher Nodes" to "Rancher Nodes": "80 TCP" (kept for every Rancher install).
const RANCHER_SELF_80: &[&str] = &["rancher-server -> rancher-server tcp 80"];
/// K3s tab, Inbound Rules for Rancher Server Nodes: "TCP | 443 | server nodes, agent nodes, hosted/registered
/// Kubernetes, any source that needs to be able to use the Rancher UI or API | Rancher agent, Rancher UI/API, kubectl".
const RANCHER_K3S_INBOUND: &[&str] = &[
    "rancher-server -> rancher-server tcp 443",
    "downstream-clusters -> rancher-server tcp 443",
    "ui-clients -> rancher-server tcp 443",
];
/// K3s and Docker tabs, Outbound Rules: "TCP | 22 | Any node IP from a node created using Node Driver"; "TCP | 443 |
/// git.rancher.io | Rancher catalog"; "TCP | 2376 | ... | Docker daemon TLS port used by Docker Machine"; "TCP | 6443 |
/// Hosted/Imported Kubernetes API".
const RANCHER_OUTBOUND: &[&str] = &[
    "rancher-server -> node-driver-nodes tcp 22",
    "rancher-server -> git-rancher-io tcp 443",
    "rancher-server -> node-driver-nodes tcp 2376",
    "rancher-server -> downstream-api tcp 6443",
];
/// Docker tab, Inbound Rules for Rancher Node: "TCP | 443 | hosted/registered Kubernetes, any source that needs to be
/// able to use the Rancher UI or API"; the RKE2 tab's HTTPS 443 row names the same two sources.
const RANCHER_UI_AND_AGENTS: &[&str] = &[
    "downstream-clusters -> rancher-server tcp 443",
    "ui-clients -> rancher-server tcp 443",
];
/// K3s, RKE2 and Docker tabs: "80 | Load balancer/proxy that does external SSL termination | Rancher UI/API when
/// external SSL termination is used".
const RANCHER_TLS_PROXY: &[&str] = &["load-balancer -> rancher-server tcp 80"];
/// 2.10's RKE tab: "Rules for traffic between Rancher nodes" (443, 2379, 2380, 6443, 8443, 8472/UDP, 9099, 10250,
/// 10254), "Inbound Rules for Rancher Nodes" (22 from RKE CLI; 80 and 443 from Load Balancer/Reverse Proxy; 443 from
/// "IPs of all cluster nodes and other API/UI clients"; 6443 from Kubernetes API clients) and "Outbound Rules for
/// Rancher Nodes" (443 git.rancher.io, 22 and 2376 to node-driver nodes, 6443 Hosted/Imported Kubernetes API,
/// "Provider dependent" port of the hosted cluster's API).
const RANCHER_RKE: &[&str] = &[
    "rancher-server -> rancher-server tcp 443",
    "rancher-server -> rancher-server tcp 2379",
    "rancher-server -> rancher-server tcp 2380",
    "rancher-server -> rancher-server tcp 6443",
    "rancher-server -> rancher-server tcp 8443",
    "rancher-server -> rancher-server udp 8472",
    "rancher-server -> rancher-server tcp 9099",
    "rancher-server -> rancher-server tcp 10250",
    "rancher-server -> rancher-server tcp 10254",
    "rke-cli -> rancher-server tcp 22",
    "load-balancer -> rancher-server tcp 80",
    "load-balancer -> rancher-server tcp 443",
    "downstream-clusters -> rancher-server tcp 443",
    "ui-clients -> rancher-server tcp 443",
    "api-clients -> rancher-server tcp 6443",
    "rancher-server -> git-rancher-io tcp 443",
    "rancher-server -> node-driver-nodes tcp 22",
    "rancher-server -> node-driver-nodes tcp 2376",
    "rancher-server -> downstream-api tcp 6443",
    "rancher-server -> downstream-api tcp ${hosted_api_port}",
];

/// Node pools and custom nodes: the cells every Rancher-launched cluster has. etcd to etcd "2379 TCP", "2380 TCP";
/// control plane to etcd "2379 TCP", "2380 TCP"; etcd, control plane and worker to control plane "6443 TCP";
/// "8472 UDP" spanning the three node columns from each row; control plane to all nodes "10250 TCP"; Workload
/// Clients or Load Balancer to workers "30000-32767 TCP / UDP (nodeport)", "80 TCP (Ingress)", "443 TCP (Ingress)".
const RANCHER_LAUNCHED: &[&str] = &[
    "etcd -> etcd tcp 2379",
    "etcd -> etcd tcp 2380",
    "controlplane -> etcd tcp 2379",
    "controlplane -> etcd tcp 2380",
    "etcd -> controlplane tcp 6443",
    "controlplane -> controlplane tcp 6443",
    "worker -> controlplane tcp 6443",
    "node -> node udp 8472",
    "controlplane -> node tcp 10250",
    "workload-clients -> worker tcp 30000-32767",
    "workload-clients -> worker udp 30000-32767",
    "workload-clients -> worker tcp 80",
    "workload-clients -> worker tcp 443",
];
/// Every node row to "Rancher Nodes": "443 TCP (3)", "3. Only without external load balancer in front of Rancher".
const RANCHER_LAUNCHED_TO_RANCHER: &[&str] = &["node -> rancher-nodes tcp 443"];
/// Every node row to "External Rancher Load Balancer": "443 TCP".
const RANCHER_LAUNCHED_TO_LB: &[&str] = &["node -> rancher-load-balancer tcp 443"];
/// Node pools only: Rancher Nodes to the three node columns, "22 TCP" and "2376 TCP".
const RANCHER_NODE_DRIVER: &[&str] = &[
    "rancher-nodes -> node tcp 22",
    "rancher-nodes -> node tcp 2376",
];
/// Kubernetes API Clients to control plane: "6443 TCP (5)", "5. Only if Authorized Cluster Endpoints are activated".
const RANCHER_ACE: &[&str] = &["api-clients -> controlplane tcp 6443"];
/// Custom nodes: "4789 UDP (6)" spanning the node columns, "6. Only if using Overlay mode on Windows cluster".
const RANCHER_WINDOWS_OVERLAY: &[&str] = &["node -> node udp 4789"];
/// Hosted and registered clusters: Rancher Nodes to the cluster "8443 TCP", "9443 TCP"; Kubernetes API Clients to the
/// cluster "Cluster / Provider Specific (6)".
const RANCHER_HOSTED_OR_REGISTERED: &[&str] = &[
    "rancher-nodes -> node tcp 8443",
    "rancher-nodes -> node tcp 9443",
    "api-clients -> node tcp ${apiserver_port}",
];
/// "Kubernetes API Endpoint Port (2)", "2. Only for hosted clusters".
const RANCHER_HOSTED_API: &[&str] = &["rancher-nodes -> node tcp ${apiserver_port}"];

#[test]
fn rancher_server_rows() {
    // Default: cluster = "rancher" on K3s, the page's first tab.
    assert_rows(
        "rancher",
        &[],
        &[RANCHER_K3S_INBOUND, RANCHER_OUTBOUND, RANCHER_SELF_80],
    );
    assert_rows(
        "rancher",
        &[("external_tls_termination", "true")],
        &[
            RANCHER_K3S_INBOUND,
            RANCHER_OUTBOUND,
            RANCHER_SELF_80,
            RANCHER_TLS_PROXY,
        ],
    );
    assert_rows(
        "rancher",
        &[("rancher_install", "docker")],
        &[RANCHER_UI_AND_AGENTS, RANCHER_OUTBOUND, RANCHER_SELF_80],
    );
    // RKE2 tab: 443 "Not needed if you have a load balancer doing TLS termination"; "Typically all outbound traffic is
    // allowed" (no outbound rows).
    assert_rows(
        "rancher",
        &[("rancher_install", "rke2")],
        &[RANCHER_UI_AND_AGENTS, RANCHER_SELF_80],
    );
    assert_rows(
        "rancher",
        &[
            ("rancher_install", "rke2"),
            ("external_tls_termination", "true"),
        ],
        &[RANCHER_TLS_PROXY, RANCHER_SELF_80],
    );
    // 2.6 (@14f94957) and 2.10 read the same for K3s and have the RKE tab, which 2.13 dropped.
    for version in ["2.6.5", "2.10.3"] {
        assert_rows_at(
            "rancher",
            Some(version),
            &[],
            &[RANCHER_K3S_INBOUND, RANCHER_OUTBOUND, RANCHER_SELF_80],
        );
        assert_rows_at(
            "rancher",
            Some(version),
            &[("rancher_install", "rke")],
            &[RANCHER_RKE, RANCHER_SELF_80],
        );
        assert_rows_at(
            "rancher",
            Some(version),
            &[("rancher_install", "rke2")],
            &[RANCHER_UI_AND_AGENTS, RANCHER_SELF_80],
        );
    }
    let refused = Catalog::builtin().select(&selection_at(
        "rancher",
        Some("2.13.0"),
        &[("rancher_install", "rke")],
    ));
    assert!(refused.is_err(), "2.13 has no RKE tab");
}

#[test]
fn rancher_downstream_rows() {
    for version in [Some("2.6.0"), Some("2.10.0"), None] {
        assert_rows_at(
            "rancher",
            version,
            &[("cluster", "node-pools")],
            &[
                RANCHER_LAUNCHED,
                RANCHER_LAUNCHED_TO_RANCHER,
                RANCHER_NODE_DRIVER,
            ],
        );
        assert_rows_at(
            "rancher",
            version,
            &[
                ("cluster", "node-pools"),
                ("rancher_load_balancer", "true"),
                ("authorized_cluster_endpoint", "true"),
            ],
            &[
                RANCHER_LAUNCHED,
                RANCHER_LAUNCHED_TO_LB,
                RANCHER_NODE_DRIVER,
                RANCHER_ACE,
            ],
        );
        assert_rows_at(
            "rancher",
            version,
            &[("cluster", "custom")],
            &[RANCHER_LAUNCHED, RANCHER_LAUNCHED_TO_RANCHER],
        );
        assert_rows_at(
            "rancher",
            version,
            &[("cluster", "custom"), ("windows_overlay", "true")],
            &[
                RANCHER_LAUNCHED,
                RANCHER_LAUNCHED_TO_RANCHER,
                RANCHER_WINDOWS_OVERLAY,
            ],
        );
        // "Only if using Overlay mode on Windows cluster" is a custom-nodes cell; the node-pools table has no 4789.
        assert_rows_at(
            "rancher",
            version,
            &[("cluster", "node-pools"), ("windows_overlay", "true")],
            &[
                RANCHER_LAUNCHED,
                RANCHER_LAUNCHED_TO_RANCHER,
                RANCHER_NODE_DRIVER,
            ],
        );
        // Hosted / Imported Cluster to Rancher Nodes: "443 TCP (4)(5)", "4. Only without external load balancer",
        // "5. From worker nodes"; to External Rancher Load Balancer: "443 TCP (5)".
        assert_rows_at(
            "rancher",
            version,
            &[("cluster", "hosted")],
            &[
                RANCHER_HOSTED_OR_REGISTERED,
                RANCHER_HOSTED_API,
                &["worker -> rancher-nodes tcp 443"],
            ],
        );
        assert_rows_at(
            "rancher",
            version,
            &[("cluster", "registered"), ("rancher_load_balancer", "true")],
            &[
                RANCHER_HOSTED_OR_REGISTERED,
                &["worker -> rancher-load-balancer tcp 443"],
            ],
        );
    }
}

/// "4. Local traffic to the node itself (not across nodes)": 9099 and 10254 of Rancher-launched nodes are loopback
/// rows, never flows to those roles.
#[test]
fn rancher_local_traffic_is_loopback_only() {
    for rel in releases("rancher") {
        let mut loopback: Vec<String> = rel
            .loopback
            .iter()
            .map(|l| format!("{} {} {}", l.role, l.protocol, l.ports.describe()))
            .collect();
        loopback.sort();
        assert_eq!(
            loopback,
            [
                "controlplane tcp 10254",
                "controlplane tcp 9099",
                "etcd tcp 9099",
                "worker tcp 10254",
                "worker tcp 9099",
            ],
            "{}",
            rel.origin
        );
    }
}

#[test]
fn rancher_roles_options_and_parameters() {
    for rel in releases("rancher") {
        for name in ["rancher-server", "etcd", "controlplane", "worker", "node"] {
            assert_eq!(role(rel, name).network, Network::Host, "{name}");
        }
        assert_eq!(role(rel, "etcd").tiers, [Tier::Master]);
        assert_eq!(role(rel, "controlplane").tiers, [Tier::Master]);
        assert_eq!(role(rel, "worker").tiers, [Tier::Worker]);
        assert_eq!(option_default(rel, "cluster"), "rancher");
        assert_eq!(option_default(rel, "rancher_install"), "k3s");
        for flag in [
            "external_tls_termination",
            "rancher_load_balancer",
            "authorized_cluster_endpoint",
            "windows_overlay",
        ] {
            assert_eq!(option_default(rel, flag), "false", "{flag}");
        }
        // "Kubernetes API Endpoint Port", "Cluster / Provider Specific", "Provider dependent": no default.
        for parameter in &rel.parameters {
            assert_eq!(parameter.default, None, "{}", parameter.name);
        }
    }
}

/// The store holds the page for 2.6, 2.10 and 2.13 among the 2.6+ minors; 2.7 to 2.9, 2.11 and 2.12 are not stored,
/// so they are refused, as is everything before 2.6.
#[test]
fn rancher_versions_are_those_read() {
    assert_versions(
        "rancher",
        &["2.6.0", "2.6.14", "2.10.0", "2.10.9", "2.13.0", "2.13.4"],
        &["2.14.0", "3.0.0"],
        &["2.5.16", "2.7.0", "2.9.3", "2.11.0", "2.12.2"],
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Properties shared by the files.
// ---------------------------------------------------------------------------------------------------------------

/// No flow of any release, whatever its conditions, opens a port the same release lists as loopback-only on the
/// flow's destination role.
#[test]
fn loopback_rows_never_become_flows() {
    for platform in PLATFORMS {
        for rel in releases(platform) {
            for lb in &rel.loopback {
                let PortSpec::Ranges(lb_ranges) = &lb.ports else {
                    continue;
                };
                for flow in rel.flows.iter().filter(|f| f.to == lb.role) {
                    let PortSpec::Ranges(ranges) = &flow.ports else {
                        continue;
                    };
                    let overlaps = flow.protocol == lb.protocol
                        && ranges
                            .iter()
                            .any(|r| lb_ranges.iter().any(|l| r.from <= l.to && l.from <= r.to));
                    assert!(
                        !overlaps,
                        "{}: flow {:?} opens loopback-only {lb:?}",
                        rel.origin,
                        flow_lines(flow)
                    );
                }
            }
        }
    }
}

#[test]
fn every_flow_cites_rows_and_every_combination_selects() {
    for platform in PLATFORMS {
        for rel in releases(platform) {
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
                // Each release at its own lowest version: an older release's option values need not exist later.
                let version = rel.platform.versions.lower().to_string();
                assert!(
                    Catalog::builtin()
                        .select(&selection_at(platform, Some(&version), &options))
                        .is_ok(),
                    "{platform} {version} {options:?}"
                );
            }
        }
    }
}

#[test]
fn sources_cite_a_commit() {
    for platform in PLATFORMS {
        for rel in releases(platform) {
            for source in &rel.sources {
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
}

#[test]
fn disagreements_are_recorded() {
    for (platform, topic) in [
        (
            "istio",
            "Sidecar ports 15002, 15008 and 15009 between page revisions",
        ),
        ("istio", "Webhook port: 443 (Service) vs 15017 (container)"),
        (
            "linkerd",
            "Inbound port 4143: opaque ports only (2.10-2.17) vs all meshed traffic (2.18+)",
        ),
        ("linkerd", "Webhook ports per component"),
        ("kube-vip", "Load balancer port vs API server port"),
        (
            "rook-ceph",
            "Monitor ports: 3300 and 6789 (text) vs 6789 (example rule)",
        ),
        (
            "rook-ceph",
            "Who may reach the daemons: the public network (Ceph) vs named peers (Rook)",
        ),
        (
            "rancher",
            "Outbound rules of the Rancher nodes: listed (K3s, Docker) vs \"Typically all outbound traffic is allowed\" (RKE2)",
        ),
        (
            "rancher",
            "Rancher UI ports on the RKE2 tab: 80/443 vs 8080/8443 (an earlier revision)",
        ),
        (
            "rancher",
            "Hosted and registered clusters' table: 80 between Rancher nodes, 8443 and 9443 to the cluster",
        ),
        (
            "rancher",
            "Port of a downstream cluster's Kubernetes API: 6443 vs \"Kubernetes API Endpoint Port\"",
        ),
        (
            "rancher",
            "Node-to-node rows of Rancher-launched clusters vs the rke2 and k3s catalogs",
        ),
    ] {
        assert!(
            releases(platform)
                .iter()
                .any(|rel| rel.disagreements.iter().any(|d| d.topic == topic)),
            "{platform}: disagreement {topic:?} missing"
        );
    }
}
