//! Row-by-row checks of the built-in Kubernetes core, etcd and CNI catalogs (kubernetes, etcd, calico, cilium,
//! flannel, weave, canal) against the rows of the project reference (shared/reference/ports.md §4, §5) and the
//! upstream documents it cites. Expected rows are transcribed from those documents, not from the program.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};

use portmatrix::catalog::{flow_lines, Catalog, PortSpec, Protocol, Release, Selected, Selection};

/// Option settings a row needs: each named option must have one of the listed values.
type When = &'static [(&'static str, &'static [&'static str])];

/// One documented port: the flow line it must produce and the option settings under which it applies.
struct Row {
    from: &'static str,
    to: &'static str,
    proto: &'static str,
    port: &'static str,
    when: When,
}

const fn row(from: &'static str, to: &'static str, proto: &'static str, port: &'static str) -> Row {
    Row {
        from,
        to,
        proto,
        port,
        when: &[],
    }
}

const fn row_if(
    from: &'static str,
    to: &'static str,
    proto: &'static str,
    port: &'static str,
    when: When,
) -> Row {
    Row {
        from,
        to,
        proto,
        port,
        when,
    }
}

impl Row {
    fn line(&self) -> String {
        format!("{} -> {} {} {}", self.from, self.to, self.proto, self.port)
    }

    fn applies(&self, options: &BTreeMap<String, String>) -> bool {
        self.when.iter().all(|(name, values)| {
            options
                .get(*name)
                .is_some_and(|v| values.contains(&v.as_str()))
        })
    }
}

/// What one catalog file must contain.
struct Spec {
    platform: &'static str,
    origin: &'static str,
    versions: &'static str,
    /// Options in file order: name, values, default.
    options: &'static [(&'static str, &'static [&'static str], &'static str)],
    /// Roles: name and default tiers (host-network unless listed in `pod_roles`).
    roles: &'static [(&'static str, &'static [&'static str])],
    /// Roles that run on the pod network.
    pod_roles: &'static [&'static str],
    rows: &'static [Row],
    /// Loopback-only listeners: protocol and port.
    loopback: &'static [(&'static str, u16)],
    /// Option settings under which the catalog says the loopback listeners were bound to the node's address (its
    /// own flag, cited): only then may a flow reach one, and only a flow that requires these settings.
    rebound: When,
    /// Source URLs, as the reference gives them (commit included where it names one).
    urls: &'static [&'static str],
    /// Words the recorded disagreements must mention.
    disagreements: &'static [&'static str],
}

const BOTH: &[&str] = &["master", "worker"];

const METRICS_SERVER: When = &[("metrics_server", &["true"])];

const COREDNS: When = &[("coredns", &["true"])];

const API_LOAD_BALANCER: When = &[("api_load_balancer", &["true"])];

const METRICS: When = &[("metrics", &["true"])];

// §4 Kubernetes "Ports and Protocols": Control plane and Worker node(s) tables, "Used By" as the source.
// "All" = both node roles and, outside the nodes, the api-clients endpoint (API server row) or the nodeport-clients
// endpoint (NodePort rows), and for the API server every pod too (in-cluster clients call it through the
// `kubernetes` Service); "Self" alone = loopback; UDP NodePort row from PR #47991. CoreDNS from kubeadm's add-on
// manifests (kubernetes/kubernetes cmd/kubeadm/app/phases/addons/dns/manifests.go @008b3652 and @8444b373: Service
// kube-dns and container ports 53/UDP, 53/TCP) with its clients from "DNS for Services and Pods" @0189ae0f (every
// pod by the default policy ClusterFirst; host-network pods, i.e. the nodes, by ClusterFirstWithHostNet). The API
// load balancer from kubeadm's HA guide (kubernetes/website .../kubeadm/high-availability.md @c0dffcfa, "Create load
// balancer for kube-apiserver"): "It must also allow incoming traffic on its listening port" (the placeholder
// LOAD_BALANCER_PORT of the control-plane endpoint, which the nodes' join commands use) and "must be able to
// communicate with all control plane nodes on the apiserver port".
const KUBERNETES: Spec = Spec {
    platform: "kubernetes",
    origin: "kubernetes.toml",
    versions: "*",
    options: &[
        ("coredns", &["true", "false"], "true"),
        ("metrics_server", &["true", "false"], "true"),
        ("api_load_balancer", &["false", "true"], "false"),
        ("metrics", &["false", "true"], "false"),
    ],
    pod_roles: &["metrics-server", "coredns", "pods"],
    roles: &[
        ("control-plane", &["master"]),
        ("worker", &["worker"]),
        ("metrics-server", BOTH),
        ("coredns", BOTH),
        ("pods", BOTH),
        ("api-load-balancer", &["lb"]),
    ],
    rows: &[
        // "6443 | Kubernetes API server | All": the selection's api_server_port, default 6443 (the parameter's).
        row("control-plane", "control-plane", "tcp", "${apiserver_port}"),
        row("worker", "control-plane", "tcp", "${apiserver_port}"),
        row("api-clients", "control-plane", "tcp", "${apiserver_port}"),
        row("pods", "control-plane", "tcp", "${apiserver_port}"),
        row("control-plane", "control-plane", "tcp", "2379-2380"),
        row("control-plane", "control-plane", "tcp", "10250"),
        row("control-plane", "worker", "tcp", "10250"),
        row("load-balancers", "worker", "tcp", "10256"),
        row("control-plane", "worker", "tcp", "30000-32767"),
        row("worker", "worker", "tcp", "30000-32767"),
        row("nodeport-clients", "worker", "tcp", "30000-32767"),
        row("control-plane", "worker", "udp", "30000-32767"),
        row("worker", "worker", "udp", "30000-32767"),
        row("nodeport-clients", "worker", "udp", "30000-32767"),
        // metrics-server README: "Metrics Server to Kubelet on all nodes" and "Control plane to Metrics Server ...
        // pod IP and port 10250".
        row_if("metrics-server", "control-plane", "tcp", "10250", METRICS_SERVER),
        row_if("metrics-server", "worker", "tcp", "10250", METRICS_SERVER),
        // The secure port is the parameter metrics_server_port: 10250 per the README and the manifests of v0.7.0 to
        // v0.9.0 (4443 in v0.3.7, v0.4.x and v0.5.2-v0.6.4; 443 in v0.5.0-v0.5.1).
        row_if("control-plane", "metrics-server", "tcp", "${metrics_server_port}", METRICS_SERVER),
        row_if("pods", "coredns", "udp", "53", COREDNS),
        row_if("pods", "coredns", "tcp", "53", COREDNS),
        row_if("control-plane", "coredns", "udp", "53", COREDNS),
        row_if("control-plane", "coredns", "tcp", "53", COREDNS),
        row_if("worker", "coredns", "udp", "53", COREDNS),
        row_if("worker", "coredns", "tcp", "53", COREDNS),
        row_if("api-clients", "api-load-balancer", "tcp", "${api_load_balancer_port}", API_LOAD_BALANCER),
        row_if("control-plane", "api-load-balancer", "tcp", "${api_load_balancer_port}", API_LOAD_BALANCER),
        row_if("worker", "api-load-balancer", "tcp", "${api_load_balancer_port}", API_LOAD_BALANCER),
        row_if("api-load-balancer", "control-plane", "tcp", "${apiserver_port}", API_LOAD_BALANCER),
        // Option metrics, a Prometheus scraping the components. The kubelet: "kubelet also exposes metrics in
        // `/metrics/cadvisor`, `/metrics/resource` and `/metrics/probes`" (system-metrics.md @a8d117f4), on the
        // Kubelet API port 10250 of both node tables.
        row_if("prometheus", "control-plane", "tcp", "10250", METRICS),
        row_if("prometheus", "worker", "tcp", "10250", METRICS),
        // kube-proxy.md @3842a284: --metrics-bind-address "defaulting to 127.0.0.1:10249"; kube-proxy runs on every
        // node.
        row_if("prometheus", "control-plane", "tcp", "10249", METRICS),
        row_if("prometheus", "worker", "tcp", "10249", METRICS),
        // kubeadm constants.go @3301161c "EtcdMetricsPort = 2381", local.go @0009808f --listen-metrics-urls.
        row_if("prometheus", "control-plane", "tcp", "2381", METRICS),
        // The page's 10257 (kube-controller-manager) and 10259 (kube-scheduler), "Self" and bound to 127.0.0.1 by
        // kubeadm (manifests.go @ad7cb45b): reachable only once rebound, which the option states.
        row_if("prometheus", "control-plane", "tcp", "10257", METRICS),
        row_if("prometheus", "control-plane", "tcp", "10259", METRICS),
    ],
    // "Self" on the page (10257, 10259), kube-proxy's --metrics-bind-address default 127.0.0.1:10249 and kubeadm's
    // --listen-metrics-urls=http://127.0.0.1:2381.
    loopback: &[("tcp", 10259), ("tcp", 10257), ("tcp", 10249), ("tcp", 2381)],
    rebound: METRICS,
    urls: &[
        "https://github.com/kubernetes/website/blob/3842a2847339fe9ad1013653ef81c9aa0f77b639/content/en/docs/reference/networking/ports-and-protocols.md",
        "https://github.com/kubernetes/website/pull/47991",
        "https://github.com/kubernetes-sigs/metrics-server/blob/80cd152e29806a22bd7f760526f915f96a3b8efc/README.md",
        "https://github.com/kubernetes-sigs/metrics-server/blob/2a7c4b2c7d46552ff47f4aeaa3a735c582587ecd/manifests/base/deployment.yaml",
        "https://github.com/kubernetes/kubernetes/blob/008b3652959ca58af8be3fb5b6ecfe9ae7638282/cmd/kubeadm/app/phases/addons/dns/manifests.go",
        "https://github.com/kubernetes/website/blob/0189ae0f6bf2a79ff2e4bfd5f9ec0da98d64c5d2/content/en/docs/concepts/services-networking/dns-pod-service.md",
        "https://github.com/kubernetes/website/blob/c0dffcfa6e0147957622bdbb6adce9911f264dd7/content/en/docs/setup/production-environment/tools/kubeadm/high-availability.md",
        "https://github.com/kubernetes/website/blob/a8d117f46542fafbd995a77dd95ca39538aefad8/content/en/docs/concepts/cluster-administration/system-metrics.md",
        "https://github.com/kubernetes/website/blob/3842a2847339fe9ad1013653ef81c9aa0f77b639/content/en/docs/reference/command-line-tools-reference/kube-proxy.md",
        "https://github.com/kubernetes/kubernetes/blob/0009808f5c66e87cead133ccc5c6d00149aae951/cmd/kubeadm/app/phases/etcd/local.go",
        "https://github.com/kubernetes/kubernetes/blob/ad7cb45bb24a21d7f391c10985d0af850471f426/cmd/kubeadm/app/phases/controlplane/manifests.go",
    ],
    disagreements: &["UDP", "443", "2381", "metrics-server", "4443", "9153"],
};

// §5a etcd v3.6 defaults: --listen-client-urls :2379, --listen-peer-urls :2380.
const ETCD: Spec = Spec {
    platform: "etcd",
    origin: "etcd-3.6.toml",
    versions: ">=3.6.0, <3.7.0",
    options: &[],
    pod_roles: &[],
    roles: &[("etcd", &["master"])],
    rows: &[row("etcd-clients", "etcd", "tcp", "2379"), row("etcd", "etcd", "tcp", "2380")],
    loopback: &[],
    rebound: &[],
    urls: &["https://github.com/etcd-io/website/blob/ec9870cb3032e989ec3a66476667f733733ac9a6/content/en/docs/v3.6/op-guide/configuration.md"],
    disagreements: &["2381", "2379-2380"],
};

// The v3.4 page (one section per flag) gives the same defaults: --listen-client-urls / --advertise-client-urls
// "http://localhost:2379", --listen-peer-urls / --initial-advertise-peer-urls "http://localhost:2380".
const ETCD_3_4: Spec = Spec {
    origin: "etcd-3.4.toml",
    versions: ">=3.4.0, <3.5.0",
    urls: &["https://github.com/etcd-io/website/blob/0d6e903e30ada08436ab3ae5dc10680c503b190b/content/en/docs/v3.4/op-guide/configuration.md"],
    ..ETCD
};

// The v3.5 and v3.7 pages carry the v3.6 text word for word at the same commit.
const ETCD_3_5: Spec = Spec {
    origin: "etcd-3.5.toml",
    versions: ">=3.5.0, <3.6.0",
    urls: &["https://github.com/etcd-io/website/blob/ec9870cb3032e989ec3a66476667f733733ac9a6/content/en/docs/v3.5/op-guide/configuration.md"],
    ..ETCD
};

const ETCD_3_7: Spec = Spec {
    origin: "etcd-3.7.toml",
    versions: ">=3.7.0",
    urls: &["https://github.com/etcd-io/website/blob/ec9870cb3032e989ec3a66476667f733733ac9a6/content/en/docs/v3.7/op-guide/configuration.md"],
    ..ETCD
};

const CALICO_NET: (&str, &[&str]) = ("networking", &["calico"]);

// §5b Calico "Network requirements" (orchestrator Kubernetes). "Often TCP 443 or 6443*" split into two
// alternatives; IP-in-IP is protocol 4.
const CALICO: Spec = Spec {
    platform: "calico",
    origin: "calico.toml",
    versions: "*",
    options: &[
        ("networking", &["calico", "flannel"], "calico"),
        ("bgp", &["true", "false"], "true"),
        ("encapsulation", &["ipip", "vxlan", "none"], "ipip"),
        ("typha", &["true", "false"], "true"),
        ("wireguard", &["off", "ipv4", "ipv6", "dual-stack"], "off"),
        ("datastore", &["kubernetes", "etcd"], "kubernetes"),
        ("metrics", &["false", "true"], "false"),
    ],
    pod_roles: &["kube-controllers"],
    roles: &[
        ("node", BOTH),
        ("typha", BOTH),
        ("kube-apiserver", &["master"]),
        ("etcd", &["master"]),
        ("kube-controllers", BOTH),
    ],
    rows: &[
        row_if("node", "node", "tcp", "179", &[CALICO_NET, ("bgp", &["true"])]),
        row_if("node", "node", "4", "all", &[CALICO_NET, ("encapsulation", &["ipip"])]),
        row_if("node", "node", "udp", "4789", &[CALICO_NET, ("encapsulation", &["vxlan"])]),
        row_if("node", "typha", "tcp", "5473", &[("typha", &["true"])]),
        row_if("node", "node", "udp", "51820", &[("wireguard", &["ipv4", "dual-stack"])]),
        row_if("node", "node", "udp", "51821", &[("wireguard", &["ipv6", "dual-stack"])]),
        row_if("node", "node", "udp", "4789", &[("networking", &["flannel"])]),
        // "Often TCP 443 or 6443*": the selection's api_server_port (the parameter has no default).
        row("node", "kube-apiserver", "tcp", "${apiserver_port}"),
        row_if("node", "etcd", "tcp", "2379", &[("datastore", &["etcd"])]),
        // "Monitor Calico component metrics" @c87f03af: "Felix by default uses port 9091 TCP", Typha's port (9091 by
        // default, 9093 in the operator example: the parameter typha_metrics_port), kube-controllers "enabled by
        // default on TCP port 9094".
        row_if("prometheus", "node", "tcp", "9091", METRICS),
        row_if("prometheus", "typha", "tcp", "${typha_metrics_port}", &[("metrics", &["true"]), ("typha", &["true"])]),
        row_if("prometheus", "kube-controllers", "tcp", "9094", METRICS),
    ],
    loopback: &[],
    rebound: &[],
    urls: &[
        "https://github.com/tigera/docs/blob/d6bc32987da429f09349dccd5de76a0f44c305f8/calico/_includes/components/ReqsSys.js",
        "https://github.com/tigera/docs/blob/c87f03afa78bbdbb66fa835ccb830a534da6ebb0/calico/operations/monitor/monitor-component-metrics.mdx",
    ],
    disagreements: &["8472", "4789", "443", "9093"],
};

const VXLAN_TUNNEL: When = &[("routing", &["tunnel"]), ("tunnel_protocol", &["vxlan"])];
const GENEVE_TUNNEL: When = &[("routing", &["tunnel"]), ("tunnel_protocol", &["geneve"])];
const HUBBLE: When = &[("hubble", &["true"])];

// §5c Cilium "Firewall Rules": health (ICMP 0/8, TCP 4240), ESP = protocol 50, WireGuard 51871, VXLAN 8472,
// Geneve 6081, AWS example etcd 2379-2380, "ports that should also be available on each node" (127.0.0.1 ones are
// loopback). Read from main-branch pages only: from 1.12, the first release with the metrics ports 9962-9964 (the older
// getting-started page @1f8824e3 opens 9090/9091/6942; PR #23404's review ties the change to the 1.12 docs).
const CILIUM: Spec = Spec {
    platform: "cilium",
    origin: "cilium.toml",
    versions: ">=1.12.0",
    options: &[
        ("routing", &["tunnel", "native"], "tunnel"),
        ("tunnel_protocol", &["vxlan", "geneve"], "vxlan"),
        ("encryption", &["none", "ipsec", "wireguard"], "none"),
        ("hubble", &["true", "false"], "true"),
        ("kvstore", &["none", "etcd"], "none"),
        ("metrics", &["false", "true"], "false"),
    ],
    pod_roles: &[],
    roles: &[("node", BOTH), ("etcd", &["master"])],
    rows: &[
        row("node", "node", "icmp", "all types=0,8"),
        row("node", "node", "tcp", "4240"),
        row_if("node", "node", "50", "all", &[("encryption", &["ipsec"])]),
        row_if("node", "node", "udp", "51871", &[("encryption", &["wireguard"])]),
        row_if("node", "node", "udp", "8472", VXLAN_TUNNEL),
        row_if("node", "node", "udp", "6081", GENEVE_TUNNEL),
        row_if("node", "etcd", "tcp", "2379-2380", &[("kvstore", &["etcd"])]),
        row_if("node", "node", "tcp", "4244", HUBBLE),
        row_if("node", "node", "tcp", "4245", HUBBLE),
        row("node", "node", "tcp", "4250"),
        row("node", "node", "tcp", "9962"),
        row("node", "node", "tcp", "9963"),
        row("node", "node", "tcp", "9964"),
        // metrics.rst @f8de569f: the scrape annotations (9962, 9964; the operator's 9963 from the table) and Hubble's
        // "prometheus.io/port: 9965" once hubble.metrics.enabled is set.
        row_if("prometheus", "node", "tcp", "9962", METRICS),
        row_if("prometheus", "node", "tcp", "9963", METRICS),
        row_if("prometheus", "node", "tcp", "9964", METRICS),
        row_if("prometheus", "node", "tcp", "9965", &[("metrics", &["true"]), ("hubble", &["true"])]),
    ],
    loopback: &[
        ("tcp", 4251),
        ("tcp", 6060),
        ("tcp", 6061),
        ("tcp", 6062),
        ("tcp", 9878),
        ("tcp", 9879),
        ("tcp", 9890),
        ("tcp", 9891),
        ("tcp", 9893),
        ("tcp", 9901),
    ],
    rebound: &[],
    urls: &[
        "https://github.com/cilium/cilium/blob/00c88111b78be84b2bb583ad20634819e94abd09/Documentation/operations/system_requirements.rst",
        "https://github.com/cilium/cilium/blob/f8de569f1add928fabae8f24f37931bd5286da26/Documentation/observability/metrics.rst",
        "https://github.com/cilium/cilium/blob/1f8824e3aaacbd7a49059edaf4ed5dfae5a4d923/Documentation/gettingstarted/grafana.rst",
        "https://github.com/cilium/cilium/pull/23404",
    ],
    disagreements: &["51871", "127.0.0.1", "9965"],
};

const IPSEC: When = &[("backend", &["ipsec"])];

// §5d Flannel backends: VXLAN 8472 (Linux) / 4789 (Windows), UDP 8285, WireGuard 51820 (+51821 IPv6),
// IPSec ESP = protocol 50 + UDP 500/4500, IPIP = protocol 4; host-gw, alloc, tencent-vpc: no port.
const FLANNEL: Spec = Spec {
    platform: "flannel",
    origin: "flannel-0.28.toml",
    versions: ">=0.28.0",
    options: &[
        ("backend", &["vxlan", "host-gw", "wireguard", "udp", "ipip", "ipsec", "alloc", "tencent-vpc"], "vxlan"),
        ("os", &["linux", "windows"], "linux"),
        ("ipv6", &["false", "true"], "false"),
    ],
    pod_roles: &[],
    roles: &[("node", BOTH)],
    rows: &[
        row_if("node", "node", "udp", "8472", &[("backend", &["vxlan"]), ("os", &["linux"])]),
        row_if("node", "node", "udp", "4789", &[("backend", &["vxlan"]), ("os", &["windows"])]),
        row_if("node", "node", "udp", "8285", &[("backend", &["udp"])]),
        row_if("node", "node", "udp", "51820", &[("backend", &["wireguard"])]),
        row_if("node", "node", "udp", "51821", &[("backend", &["wireguard"]), ("ipv6", &["true"])]),
        row_if("node", "node", "50", "all", IPSEC),
        row_if("node", "node", "udp", "500", IPSEC),
        row_if("node", "node", "udp", "4500", IPSEC),
        row_if("node", "node", "4", "all", &[("backend", &["ipip"])]),
    ],
    loopback: &[],
    rebound: &[],
    urls: &["https://github.com/flannel-io/flannel/blob/0947994ac575d5db8df5ae3f9dd27d553cab53e9/Documentation/backends.md"],
    disagreements: &["8472", "4789"],
};

// Tags v0.22.1-v0.28.8 carry one backends.md (blob 478b6c42; v0.22.0 differs by a spelling fix) with the same
// port rows as the master text above.
const FLANNEL_0_22: Spec = Spec {
    origin: "flannel-0.22.toml",
    versions: ">=0.22.0, <0.28.0",
    urls: &["https://github.com/flannel-io/flannel/blob/20bdda0b238784fbfa623a1cf4c469645f531efa/Documentation/backends.md"],
    ..FLANNEL
};

const OVERLAY: (&str, &[&str]) = ("mode", &["overlay"]);

// §5e Weave Net FAQ + AWS-VPC page: TCP 6783, UDP 6783/6784, metrics TCP 6781/6782 (only from another host),
// ESP (IP protocol 50) with encrypted fast datapath, AWS-VPC mode only TCP 6783; TCP 6784 is localhost only.
const WEAVE: Spec = Spec {
    platform: "weave",
    origin: "weave.toml",
    versions: "*",
    options: &[
        ("mode", &["overlay", "awsvpc"], "overlay"),
        ("encryption", &["false", "true"], "false"),
        ("metrics_from_other_host", &["false", "true"], "false"),
    ],
    pod_roles: &[],
    roles: &[("node", BOTH)],
    rows: &[
        row_if("node", "node", "tcp", "6783", &[OVERLAY]),
        row_if("node", "node", "udp", "6783-6784", &[OVERLAY]),
        row_if("metrics-collector", "node", "tcp", "6781-6782", &[("metrics_from_other_host", &["true"])]),
        row_if("node", "node", "50", "all", &[("encryption", &["true"]), OVERLAY]),
        row_if("node", "node", "tcp", "6783", &[("mode", &["awsvpc"])]),
    ],
    loopback: &[("tcp", 6784)],
    rebound: &[],
    urls: &[
        "https://github.com/weaveworks/weave/blob/8c8476381d48820891356497bfcee6337e99a401/site/faq.md",
        "https://github.com/weaveworks/weave/blob/8c8476381d48820891356497bfcee6337e99a401/site/tasks/manage/awsvpc.md",
    ],
    disagreements: &["6781", "6784"],
};

// §5f Canal: RKE2 Canal tab (8472, 9099, 51820, 51821), Kublr "Canal (default)" (8472, 5473), Calico
// "flannel networking (VXLAN)" (4789).
const CANAL: Spec = Spec {
    platform: "canal",
    origin: "canal.toml",
    versions: "*",
    options: &[
        ("vxlan_port", &["8472", "4789"], "8472"),
        ("typha", &["true", "false"], "true"),
        ("wireguard", &["off", "ipv4", "ipv6", "dual-stack"], "off"),
    ],
    pod_roles: &[],
    roles: &[("node", BOTH)],
    rows: &[
        row_if("node", "node", "udp", "8472", &[("vxlan_port", &["8472"])]),
        row_if("node", "node", "udp", "4789", &[("vxlan_port", &["4789"])]),
        row("node", "node", "tcp", "9099"),
        row_if("node", "node", "tcp", "5473", &[("typha", &["true"])]),
        row_if("node", "node", "udp", "51820", &[("wireguard", &["ipv4", "dual-stack"])]),
        row_if("node", "node", "udp", "51821", &[("wireguard", &["ipv6", "dual-stack"])]),
    ],
    loopback: &[],
    rebound: &[],
    urls: &[
        "https://github.com/rancher/rke2-docs/blob/0588300ebc7df2348a5f120d61dbc815a9c9a4f0/docs/install/requirements.md",
        "https://docs.qa.kublr-dev.com/reference/network-access",
        "https://github.com/tigera/docs/blob/d6bc32987da429f09349dccd5de76a0f44c305f8/calico/_includes/components/ReqsSys.js",
    ],
    disagreements: &["4789", "8472", "5473", "9099"],
};

const SPECS: &[&Spec] = &[
    &KUBERNETES,
    &ETCD_3_4,
    &ETCD_3_5,
    &ETCD,
    &ETCD_3_7,
    &CALICO,
    &CILIUM,
    &FLANNEL_0_22,
    &FLANNEL,
    &WEAVE,
    &CANAL,
];

fn release(spec: &Spec) -> &'static Release {
    let platform = Catalog::builtin()
        .platform(spec.platform)
        .unwrap_or_else(|| panic!("{} is not built in", spec.platform));
    platform
        .releases
        .iter()
        .find(|r| r.origin == spec.origin)
        .unwrap_or_else(|| panic!("{} is not built in", spec.origin))
}

/// Selects the spec's release: by its lowest version when the file is versioned.
fn select(spec: &Spec, options: &BTreeMap<String, String>) -> Selected<'static> {
    let release = release(spec);
    let selection = Selection {
        platform: spec.platform.to_owned(),
        version: (spec.versions != "*").then(|| release.platform.versions.lower().to_string()),
        options: options.clone(),
    };
    match Catalog::builtin().select(&selection) {
        Ok(selected) => selected,
        Err(e) => panic!("{} {options:?}: {e}", spec.platform),
    }
}

fn settings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Every combination of the spec's option values.
fn combinations(spec: &Spec) -> Vec<BTreeMap<String, String>> {
    let mut all = vec![BTreeMap::new()];
    for (name, values, _) in spec.options {
        all = all
            .into_iter()
            .flat_map(|partial| {
                values.iter().map(move |v| {
                    let mut next = partial.clone();
                    next.insert((*name).to_owned(), (*v).to_owned());
                    next
                })
            })
            .collect();
    }
    all
}

/// Settings that satisfy `when`: for each condition, one value per choice in `pick` (index into its values).
fn satisfying(when: When, pick: &[usize]) -> BTreeMap<String, String> {
    when.iter()
        .zip(pick)
        .map(|((name, values), &i)| ((*name).to_owned(), values[i].to_owned()))
        .collect()
}

/// Every way of satisfying `when` (all value choices of all conditions).
fn all_satisfying(when: When) -> Vec<BTreeMap<String, String>> {
    let mut picks = vec![Vec::new()];
    for (_, values) in when {
        picks = picks
            .into_iter()
            .flat_map(|p: Vec<usize>| (0..values.len()).map(move |i| [p.clone(), vec![i]].concat()))
            .collect();
    }
    picks.iter().map(|p| satisfying(when, p)).collect()
}

/// Lines of the selected flows; fails on a line produced twice.
fn actual(selected: &Selected<'_>) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for flow in &selected.flows {
        for l in flow_lines(flow) {
            assert!(
                lines.insert(l.clone()),
                "{l} is produced twice with {:?}",
                selected.options
            );
        }
    }
    lines
}

fn expected(spec: &Spec, options: &BTreeMap<String, String>) -> BTreeSet<String> {
    spec.rows
        .iter()
        .filter(|r| r.applies(options))
        .map(Row::line)
        .collect()
}

#[test]
fn files_options_and_roles_are_as_documented() {
    for spec in SPECS {
        let errors: Vec<String> = Catalog::builtin_errors()
            .iter()
            .map(ToString::to_string)
            .filter(|e| e.starts_with(spec.origin))
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let release = release(spec);
        assert_eq!(release.origin, spec.origin);
        assert_eq!(
            release.platform.versions.text(),
            spec.versions,
            "{}",
            spec.platform
        );
        if spec.versions == "*" {
            assert!(
                release.platform.version_note.is_some(),
                "{}: '*' needs a version_note",
                spec.platform
            );
        }
        let options: Vec<(String, Vec<String>, String)> = release
            .options
            .iter()
            .map(|o| (o.name.clone(), o.values.clone(), o.default.clone()))
            .collect();
        let want: Vec<(String, Vec<String>, String)> = spec
            .options
            .iter()
            .map(|(n, vs, d)| {
                (
                    (*n).to_owned(),
                    vs.iter().map(|v| (*v).to_owned()).collect(),
                    (*d).to_owned(),
                )
            })
            .collect();
        assert_eq!(options, want, "{}", spec.platform);
        let roles: Vec<(String, Vec<String>)> = release
            .roles
            .iter()
            .map(|r| {
                let network = if spec.pod_roles.contains(&r.name.as_str()) {
                    "pod"
                } else {
                    "host"
                };
                assert_eq!(
                    r.network.to_string(),
                    network,
                    "{}: {}",
                    spec.platform,
                    r.name
                );
                (
                    r.name.clone(),
                    r.tiers.iter().map(ToString::to_string).collect(),
                )
            })
            .collect();
        let want: Vec<(String, Vec<String>)> = spec
            .roles
            .iter()
            .map(|(n, ts)| {
                (
                    (*n).to_owned(),
                    ts.iter().map(|t| (*t).to_owned()).collect(),
                )
            })
            .collect();
        assert_eq!(roles, want, "{}", spec.platform);
        // The API server port (the selection's api_server_port), where a platform calls it, metrics-server's
        // secure port, which changed between its releases, and the API load balancer's listening port, a
        // placeholder of kubeadm's HA guide.
        let parameters: Vec<&str> = release.parameters.iter().map(|p| p.name.as_str()).collect();
        let want: &[&str] = match spec.platform {
            "kubernetes" => &[
                "apiserver_port",
                "metrics_server_port",
                "api_load_balancer_port",
            ],
            // Typha's metrics port: 9091 by the monitoring page's default, 9093 in its operator example.
            "calico" => &["apiserver_port", "typha_metrics_port"],
            _ => &[],
        };
        assert_eq!(parameters, want, "{}", spec.platform);
    }
}

#[test]
fn defaults_select_the_documented_rows() {
    for spec in SPECS {
        let selected = select(spec, &BTreeMap::new());
        let defaults = settings(
            &spec
                .options
                .iter()
                .map(|(n, _, d)| (*n, *d))
                .collect::<Vec<_>>(),
        );
        assert_eq!(selected.options, defaults, "{}", spec.platform);
        assert_eq!(
            actual(&selected),
            expected(spec, &defaults),
            "{} with the defaults",
            spec.platform
        );
    }
}

#[test]
fn every_row_is_present_under_its_conditions() {
    for spec in SPECS {
        for r in spec.rows {
            for options in all_satisfying(r.when) {
                let got = actual(&select(spec, &options));
                assert!(
                    got.contains(&r.line()),
                    "{}: {} missing with {options:?}",
                    spec.platform,
                    r.line()
                );
            }
        }
    }
}

#[test]
fn conditional_rows_are_absent_when_their_option_is_off() {
    let mut checked = 0;
    for spec in SPECS {
        for r in spec.rows.iter().filter(|r| !r.when.is_empty()) {
            let base = satisfying(r.when, &vec![0; r.when.len()]);
            for (name, allowed) in r.when {
                let values = spec
                    .options
                    .iter()
                    .find(|(n, _, _)| n == name)
                    .map(|(_, vs, _)| *vs)
                    .unwrap_or_default();
                for off in values.iter().filter(|v| !allowed.contains(v)) {
                    let mut options = base.clone();
                    options.insert((*name).to_owned(), (*off).to_owned());
                    let selected = select(spec, &options);
                    // Another documented row may produce the same line under these settings (e.g. UDP 4789 of
                    // Calico VXLAN and of flannel networking); only then may it stay.
                    let other = spec
                        .rows
                        .iter()
                        .any(|o| o.line() == r.line() && o.applies(&selected.options));
                    if !other {
                        let got = actual(&selected);
                        assert!(
                            !got.contains(&r.line()),
                            "{}: {} present with {options:?}",
                            spec.platform,
                            r.line()
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked >= 40, "only {checked} absences checked");
}

#[test]
fn no_flow_beyond_the_documented_rows_for_every_combination() {
    for spec in SPECS {
        for options in combinations(spec) {
            let selected = select(spec, &options);
            let want = expected(spec, &selected.options);
            let got = actual(&selected);
            let missing: Vec<_> = want.difference(&got).collect();
            let extra: Vec<_> = got.difference(&want).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{} {options:?}: missing {missing:?}, undocumented {extra:?}",
                spec.platform
            );
        }
    }
}

#[test]
fn loopback_rows_never_become_flows() {
    for spec in SPECS {
        let release = release(spec);
        let listed: BTreeSet<(String, String)> = release
            .loopback
            .iter()
            .map(|l| (l.protocol.to_string(), l.ports.describe()))
            .collect();
        let want: BTreeSet<(String, String)> = spec
            .loopback
            .iter()
            .map(|(p, port)| ((*p).to_owned(), port.to_string()))
            .collect();
        assert_eq!(listed, want, "{}: loopback entries", spec.platform);
        let mut rebound_flows = 0;
        for options in combinations(spec) {
            let rebound = !spec.rebound.is_empty()
                && spec.rebound.iter().all(|(name, values)| {
                    options
                        .get(*name)
                        .is_some_and(|v| values.contains(&v.as_str()))
                });
            for flow in &select(spec, &options).flows {
                let PortSpec::Ranges(ranges) = &flow.ports else {
                    continue;
                };
                // A flow may reach a loopback listener only when it requires the settings that rebind it.
                let requires_rebound = !spec.rebound.is_empty()
                    && spec.rebound.iter().all(|(name, values)| {
                        flow.when.get(*name).is_some_and(|allowed| {
                            allowed.iter().all(|a| values.contains(&a.as_str()))
                        })
                    });
                for (proto, port) in spec.loopback {
                    let opens = flow.protocol.to_string() == *proto
                        && ranges.iter().any(|r| r.from <= *port && *port <= r.to);
                    assert!(
                        !opens || (rebound && requires_rebound),
                        "{}: loopback {proto} {port} opened by {:?} with {options:?}",
                        spec.platform,
                        flow_lines(flow)
                    );
                    rebound_flows += usize::from(opens);
                }
            }
        }
        assert_eq!(
            rebound_flows > 0,
            !spec.rebound.is_empty(),
            "{}: the rebinding settings open the loopback listeners, and only they",
            spec.platform
        );
    }
}

#[test]
fn ip_in_ip_and_esp_are_protocol_numbers_without_ports() {
    let mut seen = BTreeSet::new();
    for spec in SPECS {
        for r in spec
            .rows
            .iter()
            .filter(|r| r.proto == "4" || r.proto == "50")
        {
            assert_eq!(r.port, "all", "{}: {}", spec.platform, r.line());
        }
        for flow in &release(spec).flows {
            if let Protocol::Number(n) = flow.protocol {
                assert_eq!(flow.ports, PortSpec::All, "{}: {flow:?}", spec.platform);
                assert!(flow.icmp_types.is_empty());
                let cited = flow.rows.join("\n");
                let word = if n == 4 { "IP" } else { "ESP" };
                assert!(
                    cited.contains(word),
                    "{}: protocol {n} cites {cited:?}",
                    spec.platform
                );
                seen.insert((spec.platform, n));
            }
            if let PortSpec::Ranges(ranges) = &flow.ports {
                for bad in [4, 50] {
                    assert!(
                        !ranges.iter().any(|r| r.from == bad && r.to == bad),
                        "{}: port {bad} is an IP protocol, not a port: {flow:?}",
                        spec.platform
                    );
                }
            }
        }
    }
    let want: BTreeSet<(&str, u8)> = [
        ("calico", 4),
        ("cilium", 50),
        ("flannel", 4),
        ("flannel", 50),
        ("weave", 50),
    ]
    .into_iter()
    .collect();
    assert_eq!(seen, want);
}

#[test]
fn cited_rows_name_every_port() {
    for spec in SPECS {
        let release = release(spec);
        for flow in &release.flows {
            assert!(
                release.sources.iter().any(|s| s.id == flow.source),
                "{}: {flow:?}",
                spec.platform
            );
            assert!(
                !flow.rows.is_empty() && flow.rows.iter().all(|r| !r.trim().is_empty()),
                "{flow:?}"
            );
            let cited = flow.rows.join("\n");
            if let PortSpec::Ranges(ranges) = &flow.ports {
                for r in ranges {
                    for port in [r.from, r.to] {
                        assert!(
                            cited.contains(&port.to_string()),
                            "{}: {port} not in {cited:?}",
                            spec.platform
                        );
                    }
                }
            }
            if flow.protocol == Protocol::Icmp {
                assert!(
                    cited.contains("ICMP") && cited.contains("0/8"),
                    "{}: {cited:?}",
                    spec.platform
                );
            }
        }
        for l in &release.loopback {
            let cited = l.rows.join("\n");
            assert!(
                cited.contains(&l.ports.describe()),
                "{}: {cited:?}",
                spec.platform
            );
        }
    }
}

#[test]
fn sources_are_the_reference_documents() {
    for spec in SPECS {
        let release = release(spec);
        let urls: Vec<&str> = release.sources.iter().map(|s| s.url.as_str()).collect();
        assert_eq!(urls, spec.urls, "{}", spec.platform);
        for s in &release.sources {
            assert!(
                !s.version.trim().is_empty() && !s.date.trim().is_empty(),
                "{}: {s:?}",
                spec.platform
            );
        }
    }
    let canal = release(&CANAL);
    let kublr = canal
        .sources
        .iter()
        .find(|s| s.id == "kublr")
        .expect("canal cites Kublr");
    assert_eq!(kublr.seed.as_deref(), Some("004_47f2e9499fd6d2ef.txt"));
}

#[test]
fn disagreements_are_recorded() {
    for spec in SPECS {
        let text: String = release(spec)
            .disagreements
            .iter()
            .map(|d| format!("{} {}\n", d.topic, d.text))
            .collect();
        for needle in spec.disagreements {
            assert!(
                text.contains(needle),
                "{}: no disagreement mentions {needle}",
                spec.platform
            );
        }
    }
}

#[test]
fn versioned_files_cover_only_their_release_line() {
    for (spec, inside, outside) in [
        (&ETCD_3_4, ["3.4.0", "3.4.37"], ["3.3.27", "3.5.0"]),
        (&ETCD_3_5, ["3.5.0", "3.5.21"], ["3.4.37", "3.6.0"]),
        (&ETCD, ["3.6.0", "3.6.9"], ["3.5.17", "3.7.0"]),
        (&ETCD_3_7, ["3.7.0", "3.7.2"], ["3.6.9", "3.6.0"]),
        (&FLANNEL_0_22, ["0.22.0", "v0.27.4"], ["0.21.5", "0.28.0"]),
        (&FLANNEL, ["0.28.0", "v0.28.9"], ["0.27.4", "0.22.0"]),
    ] {
        let origin = |v: &str| {
            Catalog::builtin()
                .select(&Selection {
                    platform: spec.platform.to_owned(),
                    version: Some(v.to_owned()),
                    options: BTreeMap::new(),
                })
                .map(|s| s.release.origin.clone())
        };
        for v in inside {
            assert_eq!(
                origin(v).as_deref(),
                Ok(spec.origin),
                "{} {v}",
                spec.platform
            );
        }
        for v in outside {
            assert_ne!(
                origin(v).as_deref(),
                Ok(spec.origin),
                "{} {v} is not covered by {}",
                spec.platform,
                spec.origin
            );
        }
    }
    for (platform, version) in [("etcd", "3.3.27"), ("flannel", "0.21.5")] {
        let selection = Selection {
            platform: platform.to_owned(),
            version: Some(version.to_owned()),
            options: BTreeMap::new(),
        };
        assert!(
            Catalog::builtin().select(&selection).is_err(),
            "{platform} {version} was not read"
        );
    }
}

/// kubeadm's CoreDNS (manifests.go @008b3652 and @8444b373: Deployment in kube-system, pods labelled
/// `k8s-app: kube-dns`) and the every-pod role that stands for its clients; metrics-server's secure port defaults to
/// the README's 10250 and stays a parameter for the releases whose manifests used 4443 or 443.
#[test]
fn coredns_pods_and_the_metrics_server_port_are_as_documented() {
    let release = release(&KUBERNETES);
    let role = |name: &str| {
        release
            .roles
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no role {name}"))
    };
    let coredns = role("coredns");
    assert_eq!(coredns.namespace.as_deref(), Some("kube-system"));
    assert_eq!(
        coredns.selector,
        BTreeMap::from([("k8s-app".to_owned(), "kube-dns".to_owned())])
    );
    assert!(!coredns.every_pod);
    let pods = role("pods");
    assert!(pods.every_pod && pods.namespace.is_none() && pods.selector.is_empty());
    assert!(release
        .roles
        .iter()
        .all(|r| r.every_pod == (r.name == "pods")));
    let port = release
        .parameters
        .iter()
        .find(|p| p.name == "metrics_server_port")
        .expect("metrics_server_port");
    assert_eq!(port.default, Some(10250));
    for claim in ["4443", "443", "10250", "v0.7.0"] {
        assert!(
            port.description.contains(claim),
            "{claim}: {}",
            port.description
        );
    }
}
