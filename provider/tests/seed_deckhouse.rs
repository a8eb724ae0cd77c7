//! Row-by-row checks of the built-in Deckhouse catalog against its source documents: the port tables of the
//! Deckhouse "Network security setup" page (seed 002, deckhouse-ports.yml at b79ea808, v1.63-v1.66), the same file
//! at tag v1.62.0 (provider/tests/data/upstream/deckhouse/1.62-deckhouse-ports.yml), the v1.67 VXLAN row
//! (reference ports.md §2) and the v1.74 file (deckhouse-ports.yml at 6e01cad3,
//! provider/tests/data/upstream/deckhouse/1.74-deckhouse-ports.yml). Expected rows are written from those documents,
//! not from the program.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod corpus;

use std::collections::{BTreeMap, BTreeSet};

use portmatrix::catalog::{flow_lines, Catalog, Selected, Selection};

/// One documented port: the flow it must produce and the option settings under which it applies.
mod seed_support;
use seed_support::{row, row_if, Row};

const VCD: &[(&str, &str)] = &[("cloud_provider_vcd", "true")];
const RAE: &[(&str, &str)] = &[("runtime_audit_engine", "true")];
const SDS_RV: &[(&str, &str)] = &[("sds_replicated_volume", "true")];
const SDS_NC: &[(&str, &str)] = &[("sds_node_configurator", "true")];
const VIRT: &[(&str, &str)] = &[("virtualization", "true")];
const METALLB: &[(&str, &str)] = &[("metallb", "true")];
const L2LB: &[(&str, &str)] = &[("l2_load_balancer", "true")];
const OPENVPN: &[(&str, &str)] = &[("openvpn", "true")];
const HWF: &[(&str, &str)] = &[("ingress_host_with_failover", "true")];
const NLD: &[(&str, &str)] = &[("node_local_dns", "true")];
const EBPF: &[(&str, &str)] = &[("ebpf_exporter", "true")];
const KROUTER: &[(&str, &str)] = &[("kube_router", "true")];
const CILIUM: &[(&str, &str)] = &[("cni", "cilium")];
const STATUS: &[(&str, &str)] = &[("storage_status", "true")];
const NFS: &[(&str, &str)] = &[("csi_nfs", "true")];
const HPE: &[(&str, &str)] = &[("csi_hpe", "true")];
const S3: &[(&str, &str)] = &[("csi_s3", "true")];
const SCSI: &[(&str, &str)] = &[("csi_scsi_generic", "true")];
const CEPH: &[(&str, &str)] = &[("csi_ceph", "true")];
const YADRO: &[(&str, &str)] = &[("csi_yadro_tatlin_unified", "true")];
const SDS_LV: &[(&str, &str)] = &[("sds_local_volume", "true")];
const NETAPP: &[(&str, &str)] = &[("csi_netapp", "true")];
const HUAWEI: &[(&str, &str)] = &[("csi_huawei", "true")];
const SWH: &[(&str, &str)] = &[("service_with_healthchecks", "true")];
const ISTIO: &[(&str, &str)] = &[("istio", "true")];
const PING: &[(&str, &str)] = &[("monitoring_ping", "true")];

/// The v1.63-v1.66 table (seed 002), one entry per port of each row.
const TABLE_1_63: &[Row] = &[
    // Master to master nodes traffic
    row("master", "master", "tcp", "2379"),
    row("master", "master", "tcp", "2380"),
    row("master", "master", "tcp", "4200"),
    row_if("master", "master", "tcp", "4201", VCD),
    row("master", "master", "tcp", "4223"),
    // Master to nodes traffic
    row("master", "node", "tcp", "22"),
    row("master", "node", "tcp", "10250"),
    row("master", "node", "tcp", "4221"),
    row_if("master", "node", "tcp", "4227", RAE),
    // Nodes to masters traffic
    row("node", "master", "udp", "4234"),
    row("node", "master", "tcp", "${apiserver_port}"),
    row("node", "master", "tcp", "4203"),
    row("node", "master", "tcp", "4219"),
    row("node", "master", "tcp", "4222"),
    // Nodes to nodes traffic
    row("node", "node", "icmp", "all"),
    row_if("node", "node", "tcp", "7000-7999", SDS_RV),
    row("node", "node", "udp", "8469"),
    row("node", "node", "udp", "8472"),
    row("node", "node", "tcp", "4204"),
    row_if("node", "node", "tcp", "4205", EBPF),
    row("node", "node", "tcp", "4206"),
    row_if("node", "node", "tcp", "4207", HWF),
    row_if("node", "node", "tcp", "4208", HWF),
    row("node", "node", "tcp", "4209"),
    row("node", "node", "tcp", "4210"),
    row("node", "node", "tcp", "4211"),
    row_if("node", "node", "tcp", "4212", RAE),
    row_if("node", "node", "tcp", "4213", KROUTER),
    row_if("node", "node", "tcp", "9695", SDS_NC),
    row_if("node", "node", "tcp", "3367", SDS_RV),
    row_if("node", "node", "tcp", "9942", SDS_RV),
    row_if("node", "node", "tcp", "49152", VIRT),
    row_if("node", "node", "tcp", "49153", VIRT),
    row_if("node", "node", "tcp", "4218", METALLB),
    row_if("node", "node", "tcp", "4225", L2LB),
    row_if("node", "node", "udp", "4218", METALLB),
    row_if("node", "node", "udp", "4225", L2LB),
    row_if("node", "node", "tcp", "4220", METALLB),
    row_if("node", "node", "tcp", "4226", L2LB),
    row_if("node", "node", "tcp", "4224", NLD),
    row_if("node", "node", "tcp", "4240", CILIUM),
    row_if("node", "node", "tcp", "4241", CILIUM),
    row_if("node", "node", "tcp", "4242", CILIUM),
    row_if("node", "node", "tcp", "4244", CILIUM),
    // External traffic to masters
    row("administrators", "master", "tcp", "22"),
    row("administrators", "master", "tcp", "22322"),
    row("administrators", "master", "tcp", "${apiserver_port}"),
    // External traffic to frontends
    row("frontend-clients", "frontend", "tcp", "80"),
    row("frontend-clients", "frontend", "tcp", "443"),
    row_if("frontend-clients", "frontend", "udp", "5416", OPENVPN),
    row_if("frontend-clients", "frontend", "tcp", "5416", OPENVPN),
    row("external-balancers", "frontend", "tcp", "10256"),
    row("frontend-clients", "frontend", "tcp", "30000-32767"),
    // External traffic for all nodes (the nodes connect out)
    row("node", "dns-servers", "udp", "53"),
    row("node", "dns-servers", "tcp", "53"),
    row("node", "ntp-servers", "udp", "123"),
    row("node", "container-registry", "tcp", "443"),
];

/// What v1.67 adds: the VXLAN row "8469, 8472, 4299, 4298 | UDP"; 4298/4299 are Cilium's tunnel port.
const DELTA_1_67: &[Row] = &[
    row_if("node", "node", "udp", "4298", CILIUM),
    row_if("node", "node", "udp", "4299", CILIUM),
];

/// The v1.74 table (deckhouse-ports.yml at 6e01cad3), one entry per port of each row. "TCP/UDP" rows give one entry
/// per protocol; the VXLAN rows name the DKP version a cluster was deployed on, which the option cilium_tunnel_port
/// states.
const TABLE_1_74: &[Row] = &[
    // Traffic between master nodes
    row("master", "master", "tcp", "2379"),
    row("master", "master", "tcp", "2380"),
    row("master", "master", "tcp", "4200"),
    row_if("master", "master", "tcp", "4201", VCD),
    row("master", "master", "tcp", "4223"),
    // Traffic from master nodes to regular nodes
    row("master", "node", "tcp", "22"),
    row("master", "node", "tcp", "10250"),
    row("master", "node", "tcp", "4221"),
    row_if("master", "node", "tcp", "4227", RAE),
    // Traffic from nodes to master nodes
    row("node", "master", "udp", "4234"),
    row("node", "master", "tcp", "${apiserver_port}"),
    row("node", "master", "tcp", "4203"),
    row("node", "master", "tcp", "4219"),
    row("node", "master", "tcp", "4222"),
    // Traffic between nodes
    row("node", "node", "icmp", "all"),
    row_if("node", "node", "tcp", "4202", SDS_NC),
    row("node", "node", "tcp", "4204"),
    row_if("node", "node", "tcp", "4205", EBPF),
    row("node", "node", "tcp", "4206"),
    row_if("node", "node", "tcp", "4207", HWF),
    row_if("node", "node", "tcp", "4208", HWF),
    row("node", "node", "tcp", "4209"),
    row("node", "node", "tcp", "4210"),
    row("node", "node", "tcp", "4211"),
    row_if("node", "node", "tcp", "4212", RAE),
    row_if("node", "node", "tcp", "4213", KROUTER),
    row_if("node", "node", "tcp", "4214", SDS_RV),
    row_if("node", "node", "tcp", "4215", SDS_RV),
    row_if("node", "node", "tcp", "4216", STATUS),
    row_if("node", "node", "tcp", "4218", METALLB),
    row_if("node", "node", "udp", "4218", METALLB),
    row_if("node", "node", "tcp", "4220", METALLB),
    row_if("node", "node", "tcp", "4224", NLD),
    row_if("node", "node", "tcp", "4225", METALLB),
    row_if("node", "node", "udp", "4225", METALLB),
    row_if("node", "node", "tcp", "4226", METALLB),
    row_if("node", "node", "tcp", "4228", SDS_NC),
    row_if("node", "node", "tcp", "4229", NFS),
    row_if("node", "node", "tcp", "4230", NFS),
    row_if("node", "node", "tcp", "4231", HPE),
    row_if("node", "node", "tcp", "4232", HPE),
    row_if("node", "node", "tcp", "4235", S3),
    row_if("node", "node", "tcp", "4236", S3),
    row_if("node", "node", "tcp", "4237", SCSI),
    row_if("node", "node", "tcp", "4238", SCSI),
    row_if("node", "node", "tcp", "4239", STATUS),
    row_if("node", "node", "tcp", "4240", CILIUM),
    row_if("node", "node", "tcp", "4241", CILIUM),
    row_if("node", "node", "tcp", "4242", CILIUM),
    row_if("node", "node", "tcp", "4244", CILIUM),
    row("node", "node", "tcp", "4245"),
    row_if("node", "node", "tcp", "4246", CEPH),
    row_if("node", "node", "tcp", "4247", CEPH),
    row_if("node", "node", "tcp", "4248", YADRO),
    row_if("node", "node", "tcp", "4249", YADRO),
    row_if("node", "node", "tcp", "4250", SDS_LV),
    row_if("node", "node", "tcp", "4251", SDS_LV),
    row_if("node", "node", "tcp", "4252", CEPH),
    row_if("node", "node", "tcp", "4253", CEPH),
    row_if("node", "node", "tcp", "4254", NETAPP),
    row_if("node", "node", "tcp", "4255", NETAPP),
    row_if("node", "node", "tcp", "4256", NETAPP),
    row_if("node", "node", "tcp", "4257", NETAPP),
    row_if("node", "node", "tcp", "4258", HUAWEI),
    row_if("node", "node", "tcp", "4259", HUAWEI),
    row_if("node", "node", "tcp", "4260", HUAWEI),
    row_if("node", "node", "tcp", "4261", SDS_RV),
    row_if("node", "node", "tcp", "4262", SDS_RV),
    row_if("node", "node", "tcp", "4263", SWH),
    row_if("node", "node", "tcp", "4269", SDS_RV),
    row_if("node", "node", "tcp", "4270", SDS_RV),
    row_if("node", "node", "tcp", "4271", SDS_RV),
    row_if("node", "node", "tcp", "4272", SDS_RV),
    row_if("node", "node", "tcp", "4286", ISTIO),
    row_if("node", "node", "udp", "4287", CILIUM),
    row_if("node", "node", "tcp", "4288", PING),
    row_if("node", "node", "tcp", "4289", PING),
    row_if(
        "node",
        "node",
        "udp",
        "4295-4297",
        &[("cni", "cilium"), ("nested_virtualization", "true")],
    ),
    row_if(
        "node",
        "node",
        "udp",
        "4298",
        &[("cni", "cilium"), ("cilium_tunnel_port", "4298")],
    ),
    row_if(
        "node",
        "node",
        "udp",
        "4299",
        &[("cni", "cilium"), ("cilium_tunnel_port", "4299")],
    ),
    row_if("node", "node", "tcp", "7000-7999", SDS_RV),
    row_if(
        "node",
        "node",
        "udp",
        "8469",
        &[("cni", "cilium"), ("cilium_tunnel_port", "8469")],
    ),
    row_if(
        "node",
        "node",
        "udp",
        "8472",
        &[("cni", "cilium"), ("cilium_tunnel_port", "8472")],
    ),
    // External traffic to master nodes
    row("administrators", "master", "tcp", "22"),
    row("administrators", "master", "tcp", "${apiserver_port}"),
    // External traffic to frontend nodes
    row("frontend-clients", "frontend", "tcp", "80"),
    row("frontend-clients", "frontend", "tcp", "443"),
    row_if("frontend-clients", "frontend", "udp", "5416", OPENVPN),
    row_if("frontend-clients", "frontend", "tcp", "5416", OPENVPN),
    row("external-balancers", "frontend", "tcp", "10256"),
    row("frontend-clients", "frontend", "tcp", "30000-32767"),
    // External traffic for all nodes
    row("node", "dns-servers", "udp", "53"),
    row("node", "dns-servers", "tcp", "53"),
    row("node", "ntp-servers", "udp", "123"),
    row_if("node", "bgp-routers", "tcp", "179", METALLB),
    row("node", "container-registry", "tcp", "443"),
];

/// The v1.74 module options; each defaults to "true" but nested_virtualization and ingress_host_with_failover, the
/// two cases the rows themselves limit.
const FLAGS_1_74: &[&str] = &[
    "cloud_provider_vcd",
    "runtime_audit_engine",
    "sds_replicated_volume",
    "sds_node_configurator",
    "sds_local_volume",
    "storage_status",
    "csi_nfs",
    "csi_hpe",
    "csi_s3",
    "csi_scsi_generic",
    "csi_ceph",
    "csi_yadro_tatlin_unified",
    "csi_netapp",
    "csi_huawei",
    "service_with_healthchecks",
    "istio",
    "monitoring_ping",
    "metallb",
    "openvpn",
    "node_local_dns",
    "ebpf_exporter",
    "kube_router",
    "nested_virtualization",
    "ingress_host_with_failover",
];

/// The v1.62 file's rows that differ from v1.63's (deckhouse-ports.yml at tag v1.62.0): the runtime-audit-engine
/// webhook "9680 | TCP", NTP between nodes "123 | UDP" in "Nodes to nodes traffic", and the metallb rows "4218 |
/// TCP", "4218 | UDP", "4220 | TCP" (v1.62.0 has no l2-load-balancer module, so they are metallb's).
const ONLY_1_62: &[Row] = &[
    row_if("master", "node", "tcp", "9680", RAE),
    row("node", "node", "udp", "123"),
    row_if("node", "node", "tcp", "4218", METALLB),
    row_if("node", "node", "udp", "4218", METALLB),
    row_if("node", "node", "tcp", "4220", METALLB),
];

/// The v1.60 table (deckhouse-ports.yml at tag v1.60.0, as added by 04a7419d), one entry per port of each row,
/// before most ports moved into 4200-4299.
const TABLE_1_60: &[Row] = &[
    // Master to master nodes traffic
    row("master", "master", "tcp", "2379"),
    row("master", "master", "tcp", "2380"),
    row("master", "master", "tcp", "9443"),
    row_if("master", "master", "tcp", "9444", VCD),
    // Master to nodes traffic
    row("master", "node", "tcp", "22"),
    row("master", "node", "tcp", "10250"),
    row("master", "node", "tcp", "10423"),
    row_if("master", "node", "tcp", "9680", RAE),
    row_if("master", "node", "tcp", "8443", HWF),
    // Nodes to masters traffic
    row("node", "master", "tcp", "${apiserver_port}"),
    row("node", "master", "tcp", "8443"),
    // Nodes to nodes traffic
    row("node", "node", "icmp", "all"),
    row("node", "node", "udp", "8469"),
    row("node", "node", "udp", "8472"),
    row("node", "node", "udp", "123"),
    row_if("node", "node", "tcp", "4240", CILIUM),
    row_if("node", "node", "tcp", "4244", CILIUM),
    row_if("node", "node", "tcp", "9734", CILIUM),
    row_if("node", "node", "tcp", "9735", CILIUM),
    row("node", "node", "tcp", "9889"),
    row_if("node", "node", "tcp", "9434", EBPF),
    row("node", "node", "tcp", "9101"),
    row_if("node", "node", "tcp", "10354", HWF),
    row_if("node", "node", "tcp", "10355", HWF),
    row("node", "node", "tcp", "8008"),
    row("node", "node", "tcp", "9255"),
    row("node", "node", "tcp", "8083"),
    row_if("node", "node", "tcp", "8766", RAE),
    row_if("node", "node", "tcp", "10445", KROUTER),
    row_if("node", "node", "tcp", "3367", SDS_RV),
    row_if("node", "node", "tcp", "9942", SDS_RV),
    row_if("node", "node", "tcp", "7000-7999", SDS_RV),
    row_if("node", "node", "tcp", "49152", VIRT),
    row_if("node", "node", "tcp", "49153", VIRT),
    row_if("node", "node", "tcp", "7946", METALLB),
    row_if("node", "node", "tcp", "7947", METALLB),
    row_if("node", "node", "udp", "7946", METALLB),
    row_if("node", "node", "udp", "7947", METALLB),
    row_if("node", "node", "tcp", "7473", METALLB),
    row_if("node", "node", "tcp", "7475", METALLB),
    // External traffic to masters
    row("administrators", "master", "tcp", "${apiserver_port}"),
    row("administrators", "master", "tcp", "22"),
    row("administrators", "master", "tcp", "22322"),
    // External traffic to frontends
    row("frontend-clients", "frontend", "tcp", "30000-32767"),
    row("frontend-clients", "frontend", "tcp", "80"),
    row("frontend-clients", "frontend", "tcp", "443"),
    row_if("frontend-clients", "frontend", "udp", "5416", OPENVPN),
    row_if("frontend-clients", "frontend", "tcp", "5416", OPENVPN),
    // External traffic for all nodes
    row("node", "container-registry", "tcp", "443"),
    row("node", "dns-servers", "udp", "53"),
    row("node", "dns-servers", "tcp", "53"),
    row("node", "ntp-servers", "udp", "123"),
];

/// What v1.61.0 adds: "Nodes to masters traffic | 5443 | TCP | Proxy for registry packages registry-packages-proxy"
/// (28d10e12) and "Nodes to nodes traffic | 9695 | TCP | sds-node-configurator node agent metrics" (a5cbfde9).
const ADDED_1_61: &[Row] = &[
    row("node", "master", "tcp", "5443"),
    row_if("node", "node", "tcp", "9695", SDS_NC),
];

/// The v1.63 rows v1.62 does not have: 4227 (runtime-audit-engine webhook), 4234/UDP to the masters (NTP), and the
/// rows of the l2-load-balancer module, which came with v1.63 (4225 TCP/UDP, 4226).
const ONLY_1_63: &[&str] = &[
    "master -> node tcp 4227",
    "node -> master udp 4234",
    "node -> node tcp 4225",
    "node -> node udp 4225",
    "node -> node tcp 4226",
];

/// Option defaults as the catalog documents them: every module whose rows the page lists without a condition is
/// on ("Inter-node communication is allowed on the ports shown in the tables"); the HostWithFailover row is the one
/// the page conditions ("for HostWithFailover inlet").
const DEFAULTS: &[(&str, &str)] = &[
    ("cni", "cilium"),
    ("cloud_provider_vcd", "true"),
    ("runtime_audit_engine", "true"),
    ("sds_replicated_volume", "true"),
    ("sds_node_configurator", "true"),
    ("virtualization", "true"),
    ("metallb", "true"),
    ("l2_load_balancer", "true"),
    ("openvpn", "true"),
    ("ingress_host_with_failover", "false"),
    ("node_local_dns", "true"),
    ("ebpf_exporter", "true"),
    ("kube_router", "true"),
];

const FLAGS: &[&str] = &[
    "cloud_provider_vcd",
    "runtime_audit_engine",
    "sds_replicated_volume",
    "sds_node_configurator",
    "virtualization",
    "metallb",
    "l2_load_balancer",
    "openvpn",
    "ingress_host_with_failover",
    "node_local_dns",
    "ebpf_exporter",
    "kube_router",
];

/// The v1.62 table: the v1.63 rows without [`ONLY_1_63`], and [`ONLY_1_62`].
fn table_1_62() -> Vec<Row> {
    TABLE_1_63
        .iter()
        .filter(|r| !ONLY_1_63.contains(&line(r).as_str()))
        .map(|r| Row { ..*r })
        .chain(ONLY_1_62.iter().map(|r| Row { ..*r }))
        .collect()
}

fn select(version: Option<&str>, options: &[(&str, &str)]) -> Selected<'static> {
    let selection = Selection {
        platform: "deckhouse".to_owned(),
        version: version.map(str::to_owned),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    match Catalog::builtin().select(&selection) {
        Ok(selected) => selected,
        Err(e) => panic!("deckhouse {version:?} {options:?}: {e}"),
    }
}

fn line(r: &Row) -> String {
    format!("{} -> {} {} {}", r.from, r.to, r.proto, r.port)
}

/// The lines of the documented rows that apply under the resolved options.
fn expected(rows: &[&[Row]], options: &BTreeMap<String, String>) -> BTreeSet<String> {
    rows.iter()
        .flat_map(|table| table.iter())
        .filter(|r| {
            r.when
                .iter()
                .all(|(k, v)| options.get(*k).map(String::as_str) == Some(*v))
        })
        .map(line)
        .collect()
}

/// Lines of the selected flows; fails on a line produced twice.
fn actual(selected: &Selected<'_>) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for flow in &selected.flows {
        for l in flow_lines(flow) {
            assert!(lines.insert(l.clone()), "{l} is produced twice");
        }
    }
    lines
}

fn assert_rows(version: Option<&str>, options: &[(&str, &str)], rows: &[&[Row]], origin: &str) {
    let selected = select(version, options);
    assert_eq!(selected.release.origin, origin, "{version:?} {options:?}");
    let want = expected(rows, &selected.options);
    let got = actual(&selected);
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{version:?} {options:?}: missing {missing:?}, undocumented {extra:?}"
    );
}

/// Every option combination the tests cover: defaults, flannel, all modules on, all off, each module alone on and
/// each alone off.
fn scenarios() -> Vec<Vec<(&'static str, &'static str)>> {
    scenarios_of(FLAGS)
}

fn scenarios_of(flags: &[&'static str]) -> Vec<Vec<(&'static str, &'static str)>> {
    let mut all = vec![vec![], vec![("cni", "flannel")], vec![("cni", "cilium")]];
    for value in ["true", "false"] {
        let mut everything: Vec<_> = flags.iter().map(|f| (*f, value)).collect();
        all.push(everything.clone());
        everything.push(("cni", "flannel"));
        all.push(everything);
    }
    for (value, others) in [("true", "false"), ("false", "true")] {
        for flag in flags {
            all.push(
                flags
                    .iter()
                    .map(|f| (*f, if f == flag { value } else { others }))
                    .collect(),
            );
        }
    }
    all
}

#[test]
fn defaults_are_documented_choices() {
    for version in [Some("1.63.0"), Some("1.67.0")] {
        let selected = select(version, &[]);
        let want: BTreeMap<String, String> = DEFAULTS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(selected.options, want, "{version:?}");
    }
}

#[test]
fn v1_63_to_v1_66_rows() {
    for version in ["1.63.0", "1.64", "v1.65.3", "1.66.99"] {
        for options in scenarios() {
            assert_rows(
                Some(version),
                &options,
                &[TABLE_1_63],
                "deckhouse-1.63.toml",
            );
        }
    }
}

#[test]
fn v1_62_rows() {
    let table = table_1_62();
    assert_eq!(table.len(), TABLE_1_63.len());
    for version in ["1.62.0", "v1.62.7"] {
        for options in scenarios() {
            // v1.62 has no l2-load-balancer module, so no such option.
            let options: Vec<_> = options
                .into_iter()
                .filter(|(k, _)| *k != "l2_load_balancer")
                .collect();
            assert_rows(Some(version), &options, &[&table], "deckhouse-1.62.toml");
        }
    }
    let defaults = select(Some("1.62.0"), &[]);
    let mut want: BTreeMap<String, String> = DEFAULTS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    want.remove("l2_load_balancer");
    assert_eq!(defaults.options, want);
}

#[test]
fn v1_60_and_v1_61_rows() {
    for (version, tables) in [
        ("1.60.0", &[TABLE_1_60][..]),
        ("1.60.4", &[TABLE_1_60][..]),
        ("1.61.0", &[TABLE_1_60, ADDED_1_61][..]),
        ("v1.61.9", &[TABLE_1_60, ADDED_1_61][..]),
    ] {
        for options in scenarios() {
            // Neither l2-load-balancer nor node-local-dns has a row before v1.62, so neither is an option.
            let options: Vec<_> = options
                .into_iter()
                .filter(|(k, _)| *k != "l2_load_balancer" && *k != "node_local_dns")
                .collect();
            assert_rows(Some(version), &options, tables, "deckhouse-1.60.toml");
        }
    }
}

#[test]
fn v1_67_rows() {
    for version in [Some("1.67.0"), Some("v1.67.9")] {
        for options in scenarios() {
            assert_rows(
                version,
                &options,
                &[TABLE_1_63, DELTA_1_67],
                "deckhouse-1.67.toml",
            );
        }
    }
}

#[test]
fn v1_74_and_newer_rows() {
    let ports = ["4298", "4299", "8472", "8469"];
    for version in [Some("1.74.0"), Some("v1.74.3"), Some("1.75.0"), None] {
        for options in scenarios_of(FLAGS_1_74) {
            assert_rows(version, &options, &[TABLE_1_74], "deckhouse-1.74.toml");
            for port in ports {
                let mut with_port = options.clone();
                with_port.push(("cilium_tunnel_port", port));
                assert_rows(version, &with_port, &[TABLE_1_74], "deckhouse-1.74.toml");
            }
        }
    }
}

/// v1.74's defaults: every module on but the two rows the table limits itself, Cilium on the tunnel port of a
/// cluster deployed on v1.71 or later ("4298").
#[test]
fn v1_74_defaults_are_documented_choices() {
    let selected = select(None, &[]);
    assert_eq!(selected.release.origin, "deckhouse-1.74.toml");
    let mut want: BTreeMap<String, String> = FLAGS_1_74
        .iter()
        .map(|f| ((*f).to_owned(), "true".to_owned()))
        .collect();
    want.insert("nested_virtualization".to_owned(), "false".to_owned());
    want.insert("ingress_host_with_failover".to_owned(), "false".to_owned());
    want.insert("cni".to_owned(), "cilium".to_owned());
    want.insert("cilium_tunnel_port".to_owned(), "4298".to_owned());
    assert_eq!(selected.options, want);
    let lines = actual(&selected);
    for present in [
        "node -> node tcp 4202",
        "node -> node tcp 4214",
        "node -> node tcp 4215",
        "node -> node udp 4298",
        "node -> bgp-routers tcp 179",
    ] {
        assert!(lines.contains(present), "{present}");
    }
    // The v1.63-v1.67 rows the v1.74 table no longer has.
    for gone in [
        "node -> node tcp 3367",
        "node -> node tcp 9942",
        "node -> node tcp 9695",
        "node -> node tcp 49152",
        "administrators -> master tcp 22322",
        "node -> node udp 4299",
        "node -> node udp 8472",
    ] {
        assert!(!lines.contains(gone), "{gone}");
    }
    let flannel = actual(&select(None, &[("cni", "flannel")]));
    for vxlan in ["4295-4297", "4298", "4299", "8469", "8472"] {
        assert!(
            !flannel.contains(&format!("node -> node udp {vxlan}")),
            "every v1.74 VXLAN row names cni-cilium: {vxlan}"
        );
    }
}

/// Seed 002's rows the catalog used to leave out of default output (issue 15, point 2), from its tables "Master to
/// nodes traffic" (4227) and "Nodes to nodes traffic" (the others).
const LISTED_WITHOUT_CONDITION: &[&str] = &[
    "master -> node tcp 4227",
    "node -> node tcp 4205",
    "node -> node tcp 4212",
    "node -> node tcp 4213",
    "node -> node tcp 9695",
    "node -> node tcp 3367",
    "node -> node tcp 9942",
    "node -> node tcp 4224",
];

#[test]
fn default_output_is_the_whole_table_but_the_host_with_failover_row() {
    for (version, delta) in [(Some("1.64"), &[][..]), (Some("1.67"), DELTA_1_67)] {
        let got = actual(&select(version, &[]));
        let want: BTreeSet<String> = TABLE_1_63
            .iter()
            .chain(delta)
            .filter(|r| r.port != "4207" && r.port != "4208")
            .map(line)
            .collect();
        assert_eq!(got, want, "{version:?}");
        for listed in LISTED_WITHOUT_CONDITION {
            assert!(got.contains(*listed), "{version:?}: {listed}");
        }
    }
}

#[test]
fn conditional_rows_are_absent_when_off() {
    let mut off: Vec<_> = FLAGS.iter().map(|f| (*f, "false")).collect();
    off.push(("cni", "flannel"));
    let lines = actual(&select(Some("1.64"), &off));
    for listed in LISTED_WITHOUT_CONDITION {
        assert!(!lines.contains(*listed), "{listed} with every module off");
    }
    for absent in [
        "node -> node tcp 4240",
        "node -> node tcp 4244",
        "master -> master tcp 4201",
        "master -> node tcp 4227",
        "node -> node tcp 7000-7999",
        "node -> node tcp 49152",
        "node -> node udp 4218",
        "frontend-clients -> frontend udp 5416",
        "node -> node tcp 4207",
    ] {
        assert!(
            !lines.contains(absent),
            "{absent} with cni=flannel and every module off"
        );
    }
    for present in [
        "master -> master tcp 2379",
        "master -> node tcp 4221",
        "node -> node udp 8469",
        "node -> node icmp all",
    ] {
        assert!(lines.contains(present), "{present} is unconditional");
    }
    let flannel_1_67 = actual(&select(Some("1.67"), &[("cni", "flannel")]));
    assert!(!flannel_1_67.contains("node -> node udp 4298"));
    assert!(flannel_1_67.contains("node -> node udp 8472"));
}

#[test]
fn versions_outside_the_tables_are_refused() {
    let selection = Selection {
        platform: "deckhouse".to_owned(),
        version: Some("1.59.9".to_owned()),
        options: BTreeMap::new(),
    };
    assert!(
        Catalog::builtin().select(&selection).is_err(),
        "before v1.60 there is no ports data file to read"
    );
    for unread in ["1.68.0", "1.70.2", "1.73.9"] {
        let selection = Selection {
            platform: "deckhouse".to_owned(),
            version: Some(unread.to_owned()),
            options: BTreeMap::new(),
        };
        assert!(
            Catalog::builtin().select(&selection).is_err(),
            "{unread}: the tables of v1.68-v1.73 were not read"
        );
    }
    let bad = Selection {
        platform: "deckhouse".to_owned(),
        version: None,
        options: BTreeMap::from([("cni".to_owned(), "weave".to_owned())]),
    };
    assert!(
        Catalog::builtin().select(&bad).is_err(),
        "Deckhouse names only cilium and flannel"
    );
}

#[test]
fn every_flow_cites_a_source_and_rows() {
    let errors: Vec<String> = Catalog::builtin_errors()
        .iter()
        .map(ToString::to_string)
        .filter(|e| e.starts_with("deckhouse"))
        .collect();
    assert!(
        errors.is_empty(),
        "deckhouse documents left out of the catalog: {errors:#?}"
    );
    let platform = Catalog::builtin()
        .platform("deckhouse")
        .expect("deckhouse is built in");
    let origins: Vec<&str> = platform
        .releases
        .iter()
        .map(|r| r.origin.as_str())
        .collect();
    assert_eq!(
        origins,
        [
            "deckhouse-1.60.toml",
            "deckhouse-1.62.toml",
            "deckhouse-1.63.toml",
            "deckhouse-1.67.toml",
            "deckhouse-1.74.toml"
        ]
    );
    for release in &platform.releases {
        assert!(release.loopback.is_empty());
        for flow in &release.flows {
            assert!(
                release.sources.iter().any(|s| s.id == flow.source),
                "{}: {flow:?}",
                release.origin
            );
            assert!(
                !flow.rows.is_empty() && flow.rows.iter().all(|r| !r.trim().is_empty()),
                "{flow:?}"
            );
            assert!(!flow.purpose.is_empty(), "{flow:?}");
        }
    }
}

/// Each cited row of a seeded source is "<table title> | <cells>": the title is a line of the seed and the cells
/// start a row of that table. The seeds must be present (shared/ beside the repository).
#[test]
fn cited_rows_are_verbatim_in_the_seed() {
    let Some(seeds) = corpus::shared("seeds") else {
        return;
    };
    let platform = Catalog::builtin()
        .platform("deckhouse")
        .expect("deckhouse is built in");
    let mut checked = 0;
    for release in &platform.releases {
        for source in &release.sources {
            let Some(seed) = &source.seed else { continue };
            let text = std::fs::read_to_string(seeds.join(seed)).expect("seed is readable");
            let tables = seed_tables(&text);
            for flow in release.flows.iter().filter(|f| f.source == source.id) {
                for cited in &flow.rows {
                    let (title, cells) = cited.split_once(" | ").expect("row has a table title");
                    let rows = tables
                        .get(title)
                        .unwrap_or_else(|| panic!("no table {title:?} in {seed}"));
                    assert!(
                        rows.iter().any(|r| r.starts_with(&format!("{cells} |"))),
                        "{cited:?} not in {seed}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= TABLE_1_63.len(), "only {checked} rows checked");
}

/// The seed's tables: a title line followed by "a | b | c |" rows.
fn seed_tables(text: &str) -> BTreeMap<&str, Vec<&str>> {
    let mut tables: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut title = None;
    for l in text.lines() {
        if !l.contains(" | ") && !l.starts_with("---") {
            title = Some(l);
        } else if let Some(t) = title {
            tables.entry(t).or_default().push(l);
        }
    }
    tables
}
