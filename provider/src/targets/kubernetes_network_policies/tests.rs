//! Tests of the NetworkPolicy target. The Longhorn tests evaluate the generated policies with the independent
//! evaluator (evaluator.rs) against the Longhorn networking table, transcribed by hand from
//! shared/reference/ports.md §1.3 (first table: the v1.13.0 page, identical port tables from v1.5.1 to v1.12.x;
//! version 1.6.0 lies inside), never from the program's output.

use super::evaluator::{allowed, check_structure, in_cidr, selector_matches, Party, Pod};
use super::*;
use crate::catalog::{Catalog, Selection};
use crate::targets::fixtures::addresses;
use crate::test_support::{assert_contains, line_containing};
use proptest::prelude::*;
use serde_json::json;
use std::net::IpAddr;

const LONGHORN: &str = "longhorn-system";

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

fn pod(namespace: &str, labels: &[(&str, &str)], address: &str) -> Party {
    let mut pod = Pod::new(namespace, labels);
    pod.ip = Some(ip(address));
    Party::Pod(pod)
}

/// The parties of the Longhorn table. Pods get addresses in the pod network 10.244.0.0/16; nodes are in
/// 10.0.0.0/24, the API server listens on a master node (10.0.0.10). Labels of roles the catalog selects are
/// the catalog's; labels of roles it cannot select (CSI sidecars, share manager, uninstaller) are arbitrary:
/// nothing may select them. The recurring job carries the label key the chart selects by existence.
struct Longhorn {
    manager: Party,
    ui: Party,
    instance_manager: Party,
    csi_plugin: Party,
    csi_sidecars: Vec<Party>,
    driver_deployer: Party,
    backing_image_manager: Party,
    backing_image_data_source: Party,
    share_manager: Party,
    recurring_job: Party,
    uninstaller: Party,
    node: Party,
    api_server: Party,
    backupstore_v4: Party,
    backupstore_v6: Party,
    image_server: Party,
    other_pod: Party,
    internet: Party,
}

fn longhorn_parties() -> Longhorn {
    let component = "longhorn.io/component";
    Longhorn {
        manager: pod(LONGHORN, &[("app", "longhorn-manager")], "10.244.1.10"),
        ui: pod(LONGHORN, &[("app", "longhorn-ui")], "10.244.1.11"),
        instance_manager: pod(LONGHORN, &[(component, "instance-manager")], "10.244.2.12"),
        csi_plugin: pod(LONGHORN, &[("app", "longhorn-csi-plugin")], "10.244.1.13"),
        csi_sidecars: [
            "csi-attacher",
            "csi-provisioner",
            "csi-resizer",
            "csi-snapshotter",
        ]
        .iter()
        .map(|app| pod(LONGHORN, &[("app", app)], "10.244.1.14"))
        .collect(),
        driver_deployer: pod(
            LONGHORN,
            &[("app", "longhorn-driver-deployer")],
            "10.244.1.15",
        ),
        backing_image_manager: pod(
            LONGHORN,
            &[(component, "backing-image-manager")],
            "10.244.2.16",
        ),
        backing_image_data_source: pod(
            LONGHORN,
            &[(component, "backing-image-data-source")],
            "10.244.2.17",
        ),
        share_manager: pod(LONGHORN, &[(component, "share-manager")], "10.244.3.18"),
        recurring_job: pod(
            LONGHORN,
            &[("recurring-job.longhorn.io", "nightly-backup")],
            "10.244.3.19",
        ),
        uninstaller: pod(
            LONGHORN,
            &[("job-name", "longhorn-uninstall")],
            "10.244.3.20",
        ),
        node: Party::Address(ip("10.0.0.21")),
        api_server: Party::Address(ip("10.0.0.10")),
        backupstore_v4: Party::Address(ip("192.0.2.10")),
        backupstore_v6: Party::Address(ip("2001:db8::10")),
        image_server: Party::Address(ip("198.51.100.20")),
        other_pod: pod("default", &[("app", "web")], "10.244.4.30"),
        internet: Party::Address(ip("1.1.1.1")),
    }
}

fn recurring_job_selector() -> RoleSelector {
    RoleSelector {
        role: "longhorn/recurring-job".into(),
        namespace: None,
        selector: LabelSelector {
            match_labels: BTreeMap::new(),
            match_expressions: vec![SelectorRequirement {
                key: "recurring-job.longhorn.io".into(),
                operator: SelectorOperator::Exists,
                values: Vec::new(),
            }],
        },
    }
}

/// Inputs for every Longhorn placeholder: API server 10.0.0.10:6443, backupstore (IPv4 and IPv6) on 9000, image
/// server on 443, nodes in 10.0.0.0/24, and the recurring jobs' selector the catalog cannot give.
fn longhorn_options() -> PolicyOptions {
    PolicyOptions {
        node_cidrs: vec!["10.0.0.0/24".into()],
        endpoints: BTreeMap::from([
            (
                "backupstore".to_string(),
                addresses(&["192.0.2.10/32"], &["2001:db8::10/128"]),
            ),
            (
                "kubernetes-api-server".to_string(),
                addresses(&["10.0.0.10/32"], &[]),
            ),
            (
                "image-download-server".to_string(),
                addresses(&["198.51.100.20/32"], &[]),
            ),
        ]),
        parameters: BTreeMap::from([
            ("apiserver_port".to_string(), 6443),
            ("backupstore_port".to_string(), 9000),
            ("image_download_port".to_string(), 443),
        ]),
        selectors: vec![recurring_job_selector()],
        ..PolicyOptions::default()
    }
}

fn select<'c>(catalog: &'c Catalog, platforms: &[(&str, Option<&str>)]) -> Vec<Selected<'c>> {
    platforms
        .iter()
        .map(|(name, version)| {
            catalog
                .select(&Selection {
                    platform: name.to_string(),
                    version: version.map(str::to_string),
                    options: BTreeMap::new(),
                })
                .expect("selection")
        })
        .collect()
}

fn longhorn_set(options: &PolicyOptions) -> PolicySet {
    let catalog = Catalog::builtin();
    network_policies(&select(catalog, &[("longhorn", Some("1.6.0"))]), options).expect("policies")
}

/// Longhorn 1.6.0 with the kubernetes platform (CoreDNS, metrics-server and every pod's flows).
fn kubernetes_and_longhorn_set() -> PolicySet {
    let catalog = Catalog::builtin();
    network_policies(
        &select(
            catalog,
            &[("kubernetes", None), ("longhorn", Some("1.6.0"))],
        ),
        &longhorn_options(),
    )
    .expect("policies")
}

fn manifests(set: &PolicySet) -> Vec<Value> {
    let manifests: Vec<Value> = set.manifests().into_values().collect();
    for manifest in &manifests {
        check_structure(manifest);
    }
    manifests
}

/// A row of the table: (row as written in ports.md, sender, receiver, protocol, ports to try).
type Row<'a> = (&'a str, &'a Party, &'a Party, &'a str, Vec<u16>);

/// Every row of ports.md §1.3's first table with a protocol and a port (UI ingress, "Users defined", has
/// neither), with the placeholders' values from [`longhorn_options`]. Ranges are tried at both ends and inside.
fn longhorn_table(l: &Longhorn) -> Vec<Row<'_>> {
    let mut rows: Vec<Row<'_>> = vec![
        ("Longhorn Manager / Ingress | Other Longhorn Manager | 9500", &l.manager, &l.manager, "TCP", vec![9500]),
        ("Longhorn Manager / Ingress | UI | 9500", &l.ui, &l.manager, "TCP", vec![9500]),
        ("Longhorn Manager / Ingress | Longhorn CSI plugin | 9500", &l.csi_plugin, &l.manager, "TCP", vec![9500]),
        (
            "Longhorn Manager / Ingress | Backup/Snapshot Recurring Job Pod | 9500",
            &l.recurring_job,
            &l.manager,
            "TCP",
            vec![9500],
        ),
        (
            "Longhorn Manager / Ingress | Longhorn Driver Deployer | 9500",
            &l.driver_deployer,
            &l.manager,
            "TCP",
            vec![9500],
        ),
        // The three servers run in the longhorn-manager pods since v1.5.0 (ports.md §1.2 item 3).
        ("Longhorn Manager / Ingress | Conversion Webhook Server | 9501", &l.manager, &l.manager, "TCP", vec![9501]),
        ("Longhorn Manager / Ingress | Admission Webhook Server | 9502", &l.manager, &l.manager, "TCP", vec![9502]),
        ("Longhorn Manager / Ingress | Recovery Backend Server | 9503", &l.manager, &l.manager, "TCP", vec![9503]),
        ("Longhorn Manager / Egress | Other Longhorn Manager | 9500", &l.manager, &l.manager, "TCP", vec![9500]),
        (
            "Longhorn Manager / Egress | Instance Manager | 8500; 8501; 8502; 8503; 8504",
            &l.manager,
            &l.instance_manager,
            "TCP",
            vec![8500, 8501, 8502, 8503, 8504],
        ),
        (
            "Longhorn Manager / Egress | Backing Image Manager | 8000",
            &l.manager,
            &l.backing_image_manager,
            "TCP",
            vec![8000],
        ),
        (
            "Longhorn Manager / Egress | Backing Image Data Source | 8000",
            &l.manager,
            &l.backing_image_data_source,
            "TCP",
            vec![8000],
        ),
        (
            "Longhorn Manager / Egress | External Backupstore | User defined (9000, IPv4)",
            &l.manager,
            &l.backupstore_v4,
            "TCP",
            vec![9000],
        ),
        (
            "Longhorn Manager / Egress | External Backupstore | User defined (9000, IPv6)",
            &l.manager,
            &l.backupstore_v6,
            "TCP",
            vec![9000],
        ),
        (
            "Longhorn Manager / Egress | Kubernetes API server | Kubernetes API server port (6443)",
            &l.manager,
            &l.api_server,
            "TCP",
            vec![6443],
        ),
        ("UI / Egress | Longhorn Manager | 9500", &l.ui, &l.manager, "TCP", vec![9500]),
        (
            "Instance Manager / Ingress | Longhorn Manager | 8500; 8501; 8502; 8503; 8504",
            &l.manager,
            &l.instance_manager,
            "TCP",
            vec![8500, 8501, 8502, 8503, 8504],
        ),
        (
            "Instance Manager / Ingress | Other Instance Manager | 10000-30000",
            &l.instance_manager,
            &l.instance_manager,
            "TCP",
            vec![10000, 20000, 30000],
        ),
        ("Instance Manager / Ingress | Node in the Cluster | 3260", &l.node, &l.instance_manager, "TCP", vec![3260]),
        (
            "Instance Manager / Ingress | Backing Image Data Source | 10000-30000",
            &l.backing_image_data_source,
            &l.instance_manager,
            "TCP",
            vec![10000, 20000, 30000],
        ),
        (
            "Instance Manager / Egress | Other Instance Manager | 10000-30000",
            &l.instance_manager,
            &l.instance_manager,
            "TCP",
            vec![10000, 30000],
        ),
        (
            "Instance Manager / Egress | Backing Image Data Source | 8002",
            &l.instance_manager,
            &l.backing_image_data_source,
            "TCP",
            vec![8002],
        ),
        (
            "Instance Manager / Egress | External Backupstore | User defined (9000, IPv4)",
            &l.instance_manager,
            &l.backupstore_v4,
            "TCP",
            vec![9000],
        ),
        (
            "Instance Manager / Egress | External Backupstore | User defined (9000, IPv6)",
            &l.instance_manager,
            &l.backupstore_v6,
            "TCP",
            vec![9000],
        ),
        ("Longhorn CSI plugin / Egress | Longhorn Manager | 9500", &l.csi_plugin, &l.manager, "TCP", vec![9500]),
        ("Driver deployer / Egress | Longhorn Manager | 9500", &l.driver_deployer, &l.manager, "TCP", vec![9500]),
        (
            "Driver deployer / Egress | Kubernetes API server | Kubernetes API server port (6443)",
            &l.driver_deployer,
            &l.api_server,
            "TCP",
            vec![6443],
        ),
        (
            "Backing Image Manager / Ingress | Longhorn Manager | 8000",
            &l.manager,
            &l.backing_image_manager,
            "TCP",
            vec![8000],
        ),
        (
            "Backing Image Manager / Ingress | Other Backing Image Manager | 30001-31000",
            &l.backing_image_manager,
            &l.backing_image_manager,
            "TCP",
            vec![30001, 30500, 31000],
        ),
        (
            "Backing Image Manager / Egress | Instance Manager | 10000-30000",
            &l.backing_image_manager,
            &l.instance_manager,
            "TCP",
            vec![10000, 30000],
        ),
        (
            "Backing Image Manager / Egress | Other Backing Image Manager | 30001-31000",
            &l.backing_image_manager,
            &l.backing_image_manager,
            "TCP",
            vec![30001, 31000],
        ),
        (
            "Backing Image Manager / Egress | Backing Image Data Source | 8000",
            &l.backing_image_manager,
            &l.backing_image_data_source,
            "TCP",
            vec![8000],
        ),
        (
            "Backing Image Data Source / Ingress | Longhorn Manager | 8000",
            &l.manager,
            &l.backing_image_data_source,
            "TCP",
            vec![8000],
        ),
        (
            "Backing Image Data Source / Ingress | Instance Manager | 8002",
            &l.instance_manager,
            &l.backing_image_data_source,
            "TCP",
            vec![8002],
        ),
        (
            "Backing Image Data Source / Ingress | Backing Image Manager | 8000",
            &l.backing_image_manager,
            &l.backing_image_data_source,
            "TCP",
            vec![8000],
        ),
        (
            "Backing Image Data Source / Egress | Instance Manager | 10000-30000",
            &l.backing_image_data_source,
            &l.instance_manager,
            "TCP",
            vec![10000, 30000],
        ),
        (
            "Backing Image Data Source / Egress | User provided server IP to download the images from | user \
             defined (443)",
            &l.backing_image_data_source,
            &l.image_server,
            "TCP",
            vec![443],
        ),
        ("Share Manager / Ingress | Node in the cluster | 2049", &l.node, &l.share_manager, "TCP", vec![2049]),
        (
            "Backup/Snapshot Recurring Job Pod / Egress | Longhorn Manager | 9500",
            &l.recurring_job,
            &l.manager,
            "TCP",
            vec![9500],
        ),
        (
            "Uninstaller / Egress | Kubernetes API server | Kubernetes API server port (6443)",
            &l.uninstaller,
            &l.api_server,
            "TCP",
            vec![6443],
        ),
    ];
    for sidecar in &l.csi_sidecars {
        rows.push((
            "CSI sidecar (csi-attacher, csi-provisioner, csi-resizer, csi-snapshotter) / Egress | Kubernetes API \
             server | Kubernetes API server port (6443)",
            sidecar,
            &l.api_server,
            "TCP",
            vec![6443],
        ));
    }
    rows
}

/// Connections the table does not list (several were listed by older pages or differ from a listed row only by
/// a port, a sender or a direction): each must be denied.
fn unlisted(l: &Longhorn) -> Vec<(&'static str, &Party, &Party, &'static str, u16)> {
    vec![
        (
            "UI -> Instance Manager 8500",
            &l.ui,
            &l.instance_manager,
            "TCP",
            8500,
        ),
        (
            "Manager -> Instance Manager 9999",
            &l.manager,
            &l.instance_manager,
            "TCP",
            9999,
        ),
        (
            "Manager -> Instance Manager 10000 (1.2.x only)",
            &l.manager,
            &l.instance_manager,
            "TCP",
            10000,
        ),
        (
            "Manager -> Instance Manager 8505",
            &l.manager,
            &l.instance_manager,
            "TCP",
            8505,
        ),
        (
            "Manager -> Instance Manager 8500/udp",
            &l.manager,
            &l.instance_manager,
            "UDP",
            8500,
        ),
        (
            "a pod of another namespace -> Manager 9500",
            &l.other_pod,
            &l.manager,
            "TCP",
            9500,
        ),
        ("Node -> Manager 3260", &l.node, &l.manager, "TCP", 3260),
        ("Node -> Manager 9500", &l.node, &l.manager, "TCP", 9500),
        (
            "Node -> Instance Manager 2049",
            &l.node,
            &l.instance_manager,
            "TCP",
            2049,
        ),
        (
            "Node -> Instance Manager 3261",
            &l.node,
            &l.instance_manager,
            "TCP",
            3261,
        ),
        (
            "Instance Manager -> Manager 9500",
            &l.instance_manager,
            &l.manager,
            "TCP",
            9500,
        ),
        (
            "Backing Image Data Source -> Manager 9500",
            &l.backing_image_data_source,
            &l.manager,
            "TCP",
            9500,
        ),
        (
            "Manager -> Backing Image Manager 8001 (1.2.x only)",
            &l.manager,
            &l.backing_image_manager,
            "TCP",
            8001,
        ),
        ("UI -> Manager 9501", &l.ui, &l.manager, "TCP", 9501),
        (
            "CSI plugin -> Manager 9503",
            &l.csi_plugin,
            &l.manager,
            "TCP",
            9503,
        ),
        (
            "CSI sidecar -> Manager 9500 (the table lists the CSI plugin only)",
            &l.csi_sidecars[0],
            &l.manager,
            "TCP",
            9500,
        ),
        (
            "Recurring job -> Instance Manager 8500",
            &l.recurring_job,
            &l.instance_manager,
            "TCP",
            8500,
        ),
        (
            "Backing Image Manager -> Instance Manager 30001",
            &l.backing_image_manager,
            &l.instance_manager,
            "TCP",
            30001,
        ),
        (
            "Backing Image Manager -> Backing Image Manager 30000",
            &l.backing_image_manager,
            &l.backing_image_manager,
            "TCP",
            30000,
        ),
        (
            "Instance Manager -> Backing Image Data Source 8000",
            &l.instance_manager,
            &l.backing_image_data_source,
            "TCP",
            8000,
        ),
        (
            "Manager -> the internet 443",
            &l.manager,
            &l.internet,
            "TCP",
            443,
        ),
        (
            "Manager -> backupstore 9001",
            &l.manager,
            &l.backupstore_v4,
            "TCP",
            9001,
        ),
        (
            "Manager -> API server 443",
            &l.manager,
            &l.api_server,
            "TCP",
            443,
        ),
        (
            "UI -> backupstore 9000",
            &l.ui,
            &l.backupstore_v4,
            "TCP",
            9000,
        ),
        (
            "Backing Image Data Source -> the internet 443",
            &l.backing_image_data_source,
            &l.internet,
            "TCP",
            443,
        ),
        (
            "Instance Manager -> API server 6443",
            &l.instance_manager,
            &l.api_server,
            "TCP",
            6443,
        ),
        (
            "Manager -> a pod of another namespace 80",
            &l.manager,
            &l.other_pod,
            "TCP",
            80,
        ),
    ]
}

#[test]
fn every_flow_of_the_longhorn_table_is_allowed() {
    let policies = manifests(&longhorn_set(&longhorn_options()));
    let l = longhorn_parties();
    let mut denied = Vec::new();
    for (row, from, to, protocol, ports) in longhorn_table(&l) {
        for port in ports {
            if !allowed(&policies, from, to, protocol, port) {
                denied.push(format!("{row} (port {port})"));
            }
        }
    }
    assert!(
        denied.is_empty(),
        "listed flows denied:\n{}",
        denied.join("\n")
    );
}

#[test]
fn flows_the_longhorn_table_does_not_list_are_denied() {
    let policies = manifests(&longhorn_set(&longhorn_options()));
    let l = longhorn_parties();
    let wrongly_allowed: Vec<&str> = unlisted(&l)
        .into_iter()
        .filter(|(_, from, to, protocol, port)| allowed(&policies, from, to, protocol, *port))
        .map(|(what, ..)| what)
        .collect();
    assert!(
        wrongly_allowed.is_empty(),
        "unlisted flows allowed:\n{}",
        wrongly_allowed.join("\n")
    );
}

#[test]
fn longhorn_policies_are_one_per_selectable_role_in_its_namespace() {
    let set = longhorn_set(&longhorn_options());
    let keys: Vec<&str> = set.policies.keys().map(String::as_str).collect();
    // Roles with a selector (catalog or pod_selector) and flows: the UI has egress only, the recurring job gets
    // its policy from the user's selector; CSI sidecars, share manager and uninstaller have no selector.
    assert_eq!(
        keys,
        [
            "longhorn-system/portmatrix-backing-image-data-source",
            "longhorn-system/portmatrix-backing-image-manager",
            "longhorn-system/portmatrix-instance-manager",
            "longhorn-system/portmatrix-longhorn-csi-plugin",
            "longhorn-system/portmatrix-longhorn-driver-deployer",
            "longhorn-system/portmatrix-longhorn-manager",
            "longhorn-system/portmatrix-longhorn-ui",
            "longhorn-system/portmatrix-recurring-job",
        ]
    );
    let manifests = set.manifests();
    let ui = &manifests["longhorn-system/portmatrix-longhorn-ui"];
    assert_eq!(ui["spec"]["policyTypes"], json!(["Egress"]));
    assert_eq!(
        ui["spec"]["podSelector"],
        json!({ "matchLabels": { "app": "longhorn-ui" } })
    );
    let manager = &manifests["longhorn-system/portmatrix-longhorn-manager"];
    assert_eq!(manager["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    assert_eq!(
        manager["metadata"]["labels"]["portmatrix/role"],
        "longhorn-manager"
    );
    // 8500-8504 become one port with endPort; same-namespace peers need no namespace selector.
    let im_rule = manager["spec"]["egress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ports"] == json!([{ "protocol": "TCP", "port": 8500, "endPort": 8504 }]))
        .expect("a rule for 8500-8504");
    assert_eq!(
        im_rule["to"],
        json!([{ "podSelector": { "matchLabels": { "longhorn.io/component": "instance-manager" } } }])
    );
    let instance_manager = &manifests["longhorn-system/portmatrix-instance-manager"];
    assert!(instance_manager["spec"]["ingress"]
        .as_array()
        .unwrap()
        .iter()
        .any(
            |r| r["from"] == json!([{ "ipBlock": { "cidr": "10.0.0.0/24" } }])
                && r["ports"] == json!([{ "protocol": "TCP", "port": 3260 }])
        ));
}

#[test]
fn roles_nothing_selects_stay_open_and_are_named_in_warnings() {
    let set = longhorn_set(&longhorn_options());
    let l = longhorn_parties();
    let policies = manifests(&set);
    // The UI's ingress is "Users defined": no flow, so the UI is not isolated for ingress.
    assert!(allowed(&policies, &l.other_pod, &l.ui, "TCP", 8000));
    // Share Manager has no selector: its ingress stays open, the warning says so.
    assert!(allowed(
        &policies,
        &l.other_pod,
        &l.share_manager,
        "TCP",
        2049
    ));
    let text = set.warnings.join("\n");
    for role in [
        "longhorn/share-manager",
        "longhorn/csi-attacher",
        "longhorn/csi-provisioner",
        "longhorn/csi-resizer",
        "longhorn/csi-snapshotter",
        "longhorn/uninstaller",
    ] {
        assert!(
            text.contains(&format!("{role} has no pod selector")),
            "{role}: {text}"
        );
    }
    assert_contains(&text, "longhorn: node -> share-manager tcp 2049");
    assert_contains(&text, "DNS is in no selected catalog");
    let not_needed: Vec<(&str, &str)> = set
        .not_needed
        .iter()
        .map(|f| (f.from_role.as_str(), f.to_role.as_str()))
        .collect();
    assert!(not_needed.contains(&("csi-attacher", "kubernetes-api-server")));
    assert!(not_needed.contains(&("node", "share-manager")));
    assert!(!not_needed.contains(&("node", "instance-manager")));
}

#[test]
fn a_peer_without_selector_is_an_error_naming_the_role_and_its_flows() {
    let catalog = Catalog::builtin();
    let selected = select(catalog, &[("longhorn", Some("1.6.0"))]);
    let options = PolicyOptions {
        selectors: Vec::new(),
        ..longhorn_options()
    };
    let errors = network_policies(&selected, &options).expect_err("recurring-job has no selector");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let text = errors[0].to_string();
    assert!(
        text.starts_with("role longhorn/recurring-job has no pod selector"),
        "{text}"
    );
    assert_contains(
        &text,
        "longhorn: recurring-job -> longhorn-manager tcp 9500",
    );
    // The catalog's own words about why, never invented labels.
    assert_contains(&text, "key existence (recurring-job.longhorn.io");

    // With ingress policies off, nothing must admit the recurring job, so there is no error.
    let egress_only = PolicyOptions {
        selectors: Vec::new(),
        directions: Directions {
            ingress: false,
            egress: true,
        },
        ..longhorn_options()
    };
    let set = network_policies(&selected, &egress_only).expect("egress only");
    assert!(set
        .manifests()
        .values()
        .all(|m| m["spec"]["policyTypes"] == json!(["Egress"])));
}

#[test]
fn longhorn_1_4_has_no_selectors_so_every_admitting_policy_fails_until_the_user_gives_labels() {
    let catalog = Catalog::builtin();
    let selected = select(catalog, &[("longhorn", Some("1.4.2"))]);
    let errors = network_policies(&selected, &longhorn_options()).expect_err("no selectors");
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    // The 1.2-1.4 catalogs carry no selectors. The only selected role is the user's recurring job, whose egress
    // policy must admit longhorn-manager: an error names longhorn-manager rather than guessing its labels.
    assert!(
        text.iter()
            .any(|t| t.starts_with("role longhorn/longhorn-manager has no pod selector")),
        "{text:?}"
    );
}

#[test]
fn missing_inputs_skip_flows_with_a_warning_and_keep_the_rest() {
    let catalog = Catalog::builtin();
    let selected = select(catalog, &[("longhorn", Some("1.6.0"))]);
    let options = PolicyOptions {
        node_cidrs: Vec::new(),
        parameters: BTreeMap::from([("apiserver_port".to_string(), 6443)]),
        ..longhorn_options()
    };
    let set = network_policies(&selected, &options).expect("policies");
    let text = crate::terraform_terms::in_terraform_terms(&set.warnings.join("\n"));
    assert_contains(&text, "node_cidrs is empty");
    assert_contains(&text, "longhorn: node -> instance-manager tcp 3260");
    assert_contains(
        &text,
        "parameter \"backupstore_port\" of longhorn has no value",
    );
    let policies = manifests(&set);
    let l = longhorn_parties();
    assert!(!allowed(
        &policies,
        &l.node,
        &l.instance_manager,
        "TCP",
        3260
    ));
    assert!(allowed(
        &policies,
        &l.manager,
        &l.instance_manager,
        "TCP",
        8502
    ));
    assert!(allowed(&policies, &l.manager, &l.api_server, "TCP", 6443));
}

#[test]
fn host_network_flows_are_listed_in_a_warning_and_not_needed() {
    let catalog = Catalog::builtin();
    let selected = select(
        catalog,
        &[
            ("kubernetes", None),
            ("calico", None),
            ("longhorn", Some("1.6.0")),
        ],
    );
    let set = network_policies(&selected, &longhorn_options()).expect("policies");
    let warning = line_containing(&set.warnings, "cannot be governed by NetworkPolicy");
    // Kubernetes' "Kubelet API | Self, Control plane | 10250" and Calico's BGP 179 are host-to-host flows.
    assert_contains(warning, "kubernetes: control-plane -> worker tcp 10250");
    assert_contains(warning, "calico: node -> node tcp 179");
    assert!(set.not_needed.iter().any(|f| f.platform == "calico"
        && f.ports == "179"
        && f.reason.starts_with("neither end is a pod")));
    // The Longhorn policies are named as without the other platforms; the kubernetes catalog adds one for each of
    // its pod roles in kube-system, metrics-server and CoreDNS (its every-pod role has no policy of its own).
    let mut expected: Vec<String> = longhorn_set(&longhorn_options())
        .policies
        .keys()
        .cloned()
        .collect();
    expected.push("kube-system/portmatrix-coredns".to_string());
    expected.push("kube-system/portmatrix-metrics-server".to_string());
    expected.sort();
    assert_eq!(set.policies.keys().cloned().collect::<Vec<_>>(), expected);
}

/// Kubernetes' "6443 | Kubernetes API server | All" includes every pod: in-cluster clients call the API through the
/// `kubernetes` Service, which leads to an API server's node address. A role isolated for egress by its own flows
/// (metrics-server by its kubelet scrapes, Longhorn's instance manager by its own) still reaches the API server, as it
/// reaches cluster DNS; without that, metrics-server could not list nodes and `kubectl top` would fail.
#[test]
fn roles_isolated_for_egress_reach_the_api_server() {
    let l = longhorn_parties();
    let metrics_server = pod(
        "kube-system",
        &[("k8s-app", "metrics-server")],
        "10.244.5.40",
    );
    let set = kubernetes_and_longhorn_set();
    let policies = manifests(&set);
    for client in [&metrics_server, &l.instance_manager, &l.manager] {
        assert!(
            allowed(&policies, client, &l.api_server, "TCP", 6443),
            "{client:?}"
        );
        // The API server's port only: etcd on the same node stays closed to pods.
        assert!(
            !allowed(&policies, client, &l.api_server, "TCP", 2379),
            "{client:?}"
        );
    }
    assert!(allowed(&policies, &metrics_server, &l.node, "TCP", 10250));
    assert!(!allowed(
        &policies,
        &metrics_server,
        &l.internet,
        "TCP",
        443
    ));
}

/// CoreDNS as kubeadm's manifests deploy it (kube-system, k8s-app: kube-dns) and the DNS policies of "DNS for Services
/// and Pods": every pod (ClusterFirst, the default) and host-network pods (ClusterFirstWithHostNet, from the node's
/// address) query it on 53/UDP and 53/TCP. Its policy admits exactly those; the roles another catalog isolates for
/// egress reach it too, since every pod does.
#[test]
fn coredns_admits_every_pod_and_the_nodes_and_egress_isolated_roles_reach_it() {
    let catalog = Catalog::builtin();
    let l = longhorn_parties();
    let coredns = pod("kube-system", &[("k8s-app", "kube-dns")], "10.244.5.53");
    let with_kubernetes = kubernetes_and_longhorn_set();
    let policies = manifests(&with_kubernetes);
    let dns = &with_kubernetes.policies["kube-system/portmatrix-coredns"];
    assert!(
        dns.egress.is_none(),
        "CoreDNS sends nothing the catalogs list"
    );
    for protocol in ["UDP", "TCP"] {
        for client in [&l.other_pod, &l.ui, &l.node] {
            assert!(
                allowed(&policies, client, &coredns, protocol, 53),
                "{client:?} {protocol}"
            );
        }
        // Longhorn Manager and the instance manager are isolated for egress by Longhorn's own flows.
        for client in [&l.manager, &l.instance_manager] {
            assert!(
                allowed(&policies, client, &coredns, protocol, 53),
                "{client:?} {protocol}"
            );
        }
    }
    // Isolated: nothing else reaches CoreDNS, not even its metrics port, which no catalog gives a client.
    assert!(!allowed(&policies, &l.other_pod, &coredns, "TCP", 9153));
    assert!(!allowed(&policies, &l.internet, &coredns, "UDP", 53));
    assert!(!allowed(&policies, &l.manager, &l.internet, "UDP", 53));
    let text = with_kubernetes.warnings.join("\n");
    assert_contains(
        &text,
        "what every pod reaches (such as cluster DNS) included",
    );
    assert!(!text.contains("DNS is in no selected catalog"), "{text}");
    // The every-pod role is a peer, never a policy, and a pod_selector cannot name it.
    assert!(with_kubernetes
        .policies
        .keys()
        .all(|k| !k.ends_with("-pods")));
    let mut options = longhorn_options();
    options.selectors.push(RoleSelector {
        role: "kubernetes/pods".into(),
        namespace: Some("default".into()),
        selector: LabelSelector {
            match_labels: BTreeMap::from([("app".to_string(), "web".to_string())]),
            match_expressions: Vec::new(),
        },
    });
    let errors = network_policies(
        &select(
            catalog,
            &[("kubernetes", None), ("longhorn", Some("1.6.0"))],
        ),
        &options,
    )
    .expect_err("every pod has no selector to give");
    assert!(
        matches!(&errors[..], [PolicyError::UnknownRole { reference, .. }] if reference == "kubernetes/pods"),
        "{errors:?}"
    );

    // Without the kubernetes platform, Longhorn Manager's egress admits no DNS: the warning says so.
    let alone = longhorn_set(&longhorn_options());
    assert!(!allowed(
        &manifests(&alone),
        &l.manager,
        &coredns,
        "UDP",
        53
    ));
    assert!(alone
        .warnings
        .join("\n")
        .contains("DNS is in no selected catalog"));
}

/// With coredns = "false" the kubernetes catalog has no CoreDNS flows, so no policy and no every-pod rule.
#[test]
fn without_coredns_no_dns_policy_is_written() {
    let catalog = Catalog::builtin();
    let kubernetes = catalog
        .select(&Selection {
            platform: "kubernetes".into(),
            version: None,
            options: BTreeMap::from([("coredns".to_string(), "false".to_string())]),
        })
        .expect("selection");
    let mut selected = vec![kubernetes];
    selected.extend(select(catalog, &[("longhorn", Some("1.6.0"))]));
    let set = network_policies(&selected, &longhorn_options()).expect("policies");
    assert!(!set.policies.contains_key("kube-system/portmatrix-coredns"));
    assert!(set
        .warnings
        .join("\n")
        .contains("DNS is in no selected catalog"));
}

/// A user catalog exercising what Longhorn does not: namespaces, host roles outside the cluster, ICMP.
const SHOP: &str = r#"
format = 1
platform = { name = "shop", title = "Shop", versions = "*", version_note = "test document", summary = "A test application." }
sources = [{ id = "doc", document = "test", url = "https://example.invalid/shop", version = "any", date = "2026" }]
endpoints = [{ name = "payments", title = "Payment provider", description = "Outside." }]
roles = [
  { name = "web", title = "Web", network = "pod", tiers = ["worker"], namespace = "shop", selector = { app = "web" }, description = "Front end." },
  { name = "db", title = "Database", network = "pod", tiers = ["worker"], namespace = "data", selector = { app = "db" }, description = "Database in another namespace." },
  { name = "admin", title = "Admin hosts", network = "host", tiers = ["external"], description = "Administrators' machines outside the cluster." },
  { name = "batch", title = "Batch jobs", network = "pod", tiers = ["worker"], namespace = "shop", description = "No labels known." },
]
flows = [
  { from = "web", to = "db", protocol = "tcp", ports = ["5432"], purpose = "SQL", source = "doc", rows = ["web -> db 5432"] },
  { from = "web", to = "payments", protocol = "tcp", ports = ["443"], purpose = "payments", source = "doc", rows = ["web -> payments 443"] },
  { from = "admin", to = "db", protocol = "tcp", ports = ["5432", "5433", "9187"], purpose = "administration and metrics", source = "doc", rows = ["admin -> db"] },
  { from = "web", to = "web", protocol = "icmp", purpose = "ping", source = "doc", rows = ["web -> web icmp"] },
  { from = "batch", to = "web", protocol = "udp", ports = ["8125"], purpose = "metrics", source = "doc", rows = ["batch -> web 8125/udp"] },
]
"#;

fn shop_catalog() -> Catalog {
    let release = Catalog::parse_release(SHOP, "user_catalogs[0]").expect("test catalog");
    Catalog::from_releases(vec![release]).expect("catalog")
}

fn shop_options() -> PolicyOptions {
    PolicyOptions {
        endpoints: BTreeMap::from([
            ("payments".to_string(), addresses(&["203.0.113.0/24"], &[])),
            (
                "admin".to_string(),
                addresses(&["192.0.2.0/28"], &["2001:db8:1::/48"]),
            ),
        ]),
        selectors: vec![RoleSelector {
            role: "batch".into(),
            namespace: None,
            selector: LabelSelector {
                match_labels: BTreeMap::from([("job".to_string(), "batch".to_string())]),
                match_expressions: Vec::new(),
            },
        }],
        ..PolicyOptions::default()
    }
}

#[test]
fn namespaces_outside_hosts_and_unsupported_protocols() {
    let catalog = shop_catalog();
    let selected = select(&catalog, &[("shop", None)]);
    let set = network_policies(&selected, &shop_options()).expect("policies");
    let manifests = set.manifests();
    let web = &manifests["shop/portmatrix-web"];
    // web -> db crosses namespaces: namespace selector plus pod selector.
    assert_eq!(
        web["spec"]["egress"],
        json!([
            {
                "to": [{ "ipBlock": { "cidr": "203.0.113.0/24" } }],
                "ports": [{ "protocol": "TCP", "port": 443 }]
            },
            {
                "to": [{
                    "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "data" } },
                    "podSelector": { "matchLabels": { "app": "db" } }
                }],
                "ports": [{ "protocol": "TCP", "port": 5432 }]
            }
        ])
    );
    let db = &manifests["data/portmatrix-db"];
    // Rules are sorted by their ports. 5432 and 5433 merge, 9187 stays apart; both address families of the admin
    // hosts share one rule.
    assert_eq!(
        db["spec"]["ingress"],
        json!([
            {
                "from": [{
                    "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "shop" } },
                    "podSelector": { "matchLabels": { "app": "web" } }
                }],
                "ports": [{ "protocol": "TCP", "port": 5432 }]
            },
            {
                "from": [
                    { "ipBlock": { "cidr": "192.0.2.0/28" } },
                    { "ipBlock": { "cidr": "2001:db8:1::/48" } }
                ],
                "ports": [
                    { "protocol": "TCP", "port": 5432, "endPort": 5433 },
                    { "protocol": "TCP", "port": 9187 }
                ]
            }
        ])
    );
    assert!(set
        .warnings
        .iter()
        .any(|w| w.contains("TCP, UDP and SCTP only") && w.contains("shop: web -> web icmp all")));

    let policies: Vec<Value> = manifests.into_values().collect();
    let web_pod = pod("shop", &[("app", "web")], "10.244.0.5");
    let db_pod = pod("data", &[("app", "db")], "10.244.0.6");
    let batch_pod = pod("shop", &[("job", "batch")], "10.244.0.7");
    let db_in_shop = pod("shop", &[("app", "db")], "10.244.0.8");
    assert!(allowed(&policies, &web_pod, &db_pod, "TCP", 5432));
    assert!(!allowed(&policies, &web_pod, &db_in_shop, "TCP", 5432));
    assert!(allowed(
        &policies,
        &Party::Address(ip("2001:db8:1::9")),
        &db_pod,
        "TCP",
        5433
    ));
    assert!(!allowed(
        &policies,
        &Party::Address(ip("192.0.2.16")),
        &db_pod,
        "TCP",
        5433
    ));
    assert!(allowed(&policies, &batch_pod, &web_pod, "UDP", 8125));
    assert!(!allowed(&policies, &batch_pod, &web_pod, "TCP", 8125));
    assert!(allowed(
        &policies,
        &web_pod,
        &Party::Address(ip("203.0.113.7")),
        "TCP",
        443
    ));
    assert!(!allowed(
        &policies,
        &web_pod,
        &Party::Address(ip("203.0.114.7")),
        "TCP",
        443
    ));
}

#[test]
fn bad_selectors_and_names_are_errors_that_say_what_to_fix() {
    let catalog = shop_catalog();
    let selected = select(&catalog, &[("shop", None)]);
    let with = |selectors: Vec<RoleSelector>, prefix: &str| {
        let options = PolicyOptions {
            selectors,
            name_prefix: prefix.to_string(),
            ..shop_options()
        };
        network_policies(&selected, &options)
            .expect_err("an error")
            .iter()
            .map(|e| crate::terraform_terms::in_terraform_terms(&e.to_string()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let selector = |role: &str, labels: &[(&str, &str)]| RoleSelector {
        role: role.into(),
        namespace: None,
        selector: LabelSelector {
            match_labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            match_expressions: Vec::new(),
        },
    };
    let text = with(vec![selector("admin", &[("a", "b")])], "p-");
    assert!(
        text.contains(
            "no such pod role; pod roles of the selected platforms: shop/batch, shop/db, shop/web"
        ),
        "{text}"
    );
    let text = with(vec![selector("batch", &[])], "p-");
    assert_contains(&text, "the selector is empty");
    let text = with(vec![selector("batch", &[("-bad", "x")])], "p-");
    assert_contains(&text, "label key \"-bad\"");
    let text = with(vec![selector("batch", &[("ok", "bad value")])], "p-");
    assert_contains(&text, "value \"bad value\"");
    let text = with(
        vec![
            selector("batch", &[("a", "b")]),
            selector("shop/batch", &[("c", "d")]),
        ],
        "p-",
    );
    assert_contains(
        &text,
        "role shop/batch is given two selectors in pod_selector",
    );
    let text = with(vec![selector("batch", &[("a", "b")])], "Bad_");
    assert!(
        text.contains("policy name \"Bad_web\"") && text.contains("change name_prefix"),
        "{text}"
    );
    let mut exists_with_values = selector("batch", &[]);
    exists_with_values
        .selector
        .match_expressions
        .push(SelectorRequirement {
            key: "job".into(),
            operator: SelectorOperator::Exists,
            values: vec!["x".into()],
        });
    let text = with(vec![exists_with_values], "p-");
    assert_contains(&text, "operator Exists on \"job\" takes no values");
    let mut namespaced = selector("batch", &[("a", "b")]);
    namespaced.namespace = Some("Shop".into());
    let text = with(vec![namespaced], "p-");
    assert_contains(&text, "namespace \"Shop\"");
}

#[test]
fn yaml_holds_every_manifest_in_key_order() {
    let set = longhorn_set(&longhorn_options());
    let yaml = set.yaml();
    let documents: Vec<&str> = yaml.split("---\n").filter(|d| !d.is_empty()).collect();
    assert_eq!(documents.len(), set.policies.len());
    for (document, policy) in documents.iter().zip(set.policies.values()) {
        assert!(document.starts_with("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"));
        assert!(document.contains(&format!("  name: {}\n", policy.name)));
        assert!(
            document.contains("      endPort: ")
                || !policy.manifest().to_string().contains("endPort")
        );
    }
}

// The evaluator itself, on policies written by hand from the Kubernetes documentation's examples.

#[test]
fn evaluator_follows_the_documented_semantics() {
    let web = pod("prod", &[("role", "web")], "10.1.0.1");
    let db = pod("prod", &[("role", "db")], "10.1.0.2");
    let other_ns_web = pod("dev", &[("role", "web")], "10.1.0.3");
    let deny_all_ingress = json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": { "name": "deny", "namespace": "prod" },
        "spec": { "podSelector": {}, "policyTypes": ["Ingress"] }
    });
    let allow_web_to_db = json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": { "name": "db", "namespace": "prod" },
        "spec": {
            "podSelector": { "matchLabels": { "role": "db" } },
            "ingress": [{ "from": [{ "podSelector": { "matchLabels": { "role": "web" } } }],
                          "ports": [{ "protocol": "TCP", "port": 6000, "endPort": 6010 }] }]
        }
    });
    let namespace_only = json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": { "name": "ns", "namespace": "prod" },
        "spec": {
            "podSelector": { "matchExpressions": [{ "key": "role", "operator": "In", "values": ["db"] }] },
            "policyTypes": ["Ingress"],
            "ingress": [{ "from": [{ "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": "dev" } } }] }]
        }
    });
    let egress_block = json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": { "name": "out", "namespace": "prod" },
        "spec": {
            "podSelector": { "matchLabels": { "role": "web" } },
            "egress": [{ "to": [{ "ipBlock": { "cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"] } }] }]
        }
    });
    for policy in [
        &deny_all_ingress,
        &allow_web_to_db,
        &namespace_only,
        &egress_block,
    ] {
        check_structure(policy);
    }
    // No policy: everything is allowed.
    assert!(allowed(&[], &web, &db, "TCP", 1));
    // Deny-all ingress isolates every pod of prod.
    let deny = [deny_all_ingress.clone()];
    assert!(!allowed(&deny, &web, &db, "TCP", 6000));
    assert!(allowed(&deny, &db, &other_ns_web, "TCP", 6000));
    // Policies add up; policyTypes defaults to Ingress; endPort is inclusive; podSelector alone is same-namespace.
    let both = [deny_all_ingress.clone(), allow_web_to_db.clone()];
    assert!(allowed(&both, &web, &db, "TCP", 6010));
    assert!(!allowed(&both, &web, &db, "TCP", 6011));
    assert!(!allowed(&both, &web, &db, "UDP", 6000));
    assert!(!allowed(&both, &other_ns_web, &db, "TCP", 6000));
    // A namespace selector alone admits every pod of the namespace, on every port when `ports` is absent.
    let ns = [deny_all_ingress, namespace_only];
    assert!(allowed(&ns, &other_ns_web, &db, "UDP", 53));
    assert!(!allowed(&ns, &web, &db, "TCP", 6000));
    // Egress: a policy with an egress section isolates egress (default policyTypes); `except` is carved out;
    // selector peers never match bare addresses.
    let out = [egress_block];
    assert!(allowed(
        &out,
        &web,
        &Party::Address(ip("172.17.2.1")),
        "TCP",
        80
    ));
    assert!(!allowed(
        &out,
        &web,
        &Party::Address(ip("172.17.1.1")),
        "TCP",
        80
    ));
    assert!(!allowed(&out, &web, &db, "TCP", 80));
    // Without policyTypes a policy isolates ingress too, even with no ingress section.
    assert!(!allowed(&out, &db, &web, "TCP", 80));
    // Label selectors.
    let labels = BTreeMap::from([("a".to_string(), "1".to_string())]);
    assert!(selector_matches(&json!({}), &labels));
    assert!(selector_matches(
        &json!({ "matchExpressions": [{ "key": "b", "operator": "DoesNotExist" }] }),
        &labels
    ));
    assert!(selector_matches(
        &json!({ "matchExpressions": [{ "key": "a", "operator": "NotIn", "values": ["2"] }] }),
        &labels
    ));
    assert!(!selector_matches(
        &json!({ "matchExpressions": [{ "key": "a", "operator": "Exists" }], "matchLabels": { "a": "2" } }),
        &labels
    ));
    assert!(in_cidr(ip("10.0.0.255"), "10.0.0.0/24") && !in_cidr(ip("10.0.1.0"), "10.0.0.0/24"));
    assert!(in_cidr(ip("2001:db8::1"), "2001:db8::/32") && !in_cidr(ip("10.0.0.1"), "::/0"));
    assert!(in_cidr(ip("8.8.8.8"), "0.0.0.0/0"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the directions and however many node CIDRs, no listed flow is lost: each is allowed, or a warning
    /// names it; and the same inputs give the same YAML.
    #[test]
    fn no_listed_flow_is_lost(ingress: bool, egress: bool, extra_nodes in 0usize..3) {
        let mut options = longhorn_options();
        options.directions = Directions { ingress, egress };
        for i in 0..extra_nodes {
            options.node_cidrs.push(format!("10.{}.0.0/16", 10 + i));
        }
        let set = longhorn_set(&options);
        prop_assert_eq!(set.yaml(), longhorn_set(&options).yaml());
        let policies = manifests(&set);
        let l = longhorn_parties();
        for (row, from, to, protocol, ports) in longhorn_table(&l) {
            for port in ports {
                prop_assert!(allowed(&policies, from, to, protocol, port), "{} (port {})", row, port);
            }
        }
        if !ingress && !egress {
            prop_assert!(set.policies.is_empty());
        }
    }
}

/// A made-up cluster service every pod calls (like cluster DNS) and a worker isolated for egress by its own flow.
const EVERY_POD: &str = r#"
format = 1
platform = { name = "svc", title = "Service", versions = "*", version_note = "test document", summary = "A cluster service every pod calls." }
sources = [{ id = "doc", document = "test", url = "https://example.invalid/svc", version = "1", date = "2026" }]
roles = [
  { name = "server", title = "Server", network = "pod", tiers = ["worker"], namespace = "svc", selector = { app = "server" }, description = "The service's pods." },
  { name = "worker", title = "Worker", network = "pod", tiers = ["worker"], namespace = "jobs", selector = { app = "worker" }, description = "A client isolated for egress by its own flow." },
  { name = "pods", title = "Every pod", network = "pod", tiers = ["master", "worker"], every_pod = true, description = "Every pod of the cluster." },
]
flows = [
  { from = "pods", to = "server", protocol = "udp", ports = ["5353"], purpose = "lookups", source = "doc", rows = ["every pod | server | 5353 | UDP"] },
  { from = "worker", to = "server", protocol = "tcp", ports = ["8080"], purpose = "jobs API", source = "doc", rows = ["worker | server | 8080 | TCP"] },
]
"#;

#[test]
fn every_pod_is_the_all_pods_peer_and_reaches_isolated_roles_through_their_policies() {
    let release = Catalog::parse_release(EVERY_POD, "user_catalogs[0]").expect("test catalog");
    let catalog = Catalog::from_releases(vec![release]).expect("catalog");
    let selected = select(&catalog, &[("svc", None)]);
    let set = network_policies(&selected, &PolicyOptions::default()).expect("policies");
    let keys: Vec<&String> = set.policies.keys().collect();
    assert_eq!(keys, ["jobs/portmatrix-worker", "svc/portmatrix-server"]);
    let server = &set.policies["svc/portmatrix-server"];
    assert_eq!(
        server.manifest()["spec"]["ingress"][1]["from"],
        json!([{ "namespaceSelector": {} }])
    );
    let policies = manifests(&set);
    let server_pod = pod("svc", &[("app", "server")], "10.244.0.2");
    let worker_pod = pod("jobs", &[("app", "worker")], "10.244.0.3");
    let anyone = pod("default", &[("app", "web")], "10.244.0.4");
    for client in [&anyone, &worker_pod] {
        assert!(allowed(&policies, client, &server_pod, "UDP", 5353));
    }
    assert!(!allowed(&policies, &anyone, &server_pod, "TCP", 8080));
    // The worker's egress is isolated by its own flow, and every pod's flow joins it there.
    assert!(server.egress.is_none());
    assert!(set.policies["jobs/portmatrix-worker"].ingress.is_none());
    assert!(!allowed(&policies, &worker_pod, &anyone, "UDP", 5353));
    assert!(set.not_needed.is_empty(), "{:?}", set.not_needed);

    // Isolating egress only: the server's ingress is no policy's, and with the worker's egress the lookups still
    // get their rule. Without any egress-isolated role, every pod's flow restricts nothing and is not needed.
    let egress_only = PolicyOptions {
        directions: Directions {
            ingress: false,
            egress: true,
        },
        ..PolicyOptions::default()
    };
    let set = network_policies(&selected, &egress_only).expect("policies");
    assert!(allowed(
        &manifests(&set),
        &worker_pod,
        &server_pod,
        "UDP",
        5353
    ));
    assert!(set.not_needed.is_empty(), "{:?}", set.not_needed);
    // The same document without the worker's own flow.
    let lookups_only: Vec<&str> = EVERY_POD
        .lines()
        .filter(|line| !line.contains("from = \"worker\""))
        .collect();
    let release =
        Catalog::parse_release(&lookups_only.join("\n"), "user_catalogs[0]").expect("test catalog");
    let catalog = Catalog::from_releases(vec![release]).expect("catalog");
    let set =
        network_policies(&select(&catalog, &[("svc", None)]), &egress_only).expect("policies");
    let lookups: Vec<&SkippedFlow> = set
        .not_needed
        .iter()
        .filter(|f| f.from_role == "pods")
        .collect();
    assert_eq!(lookups.len(), 1, "{:?}", set.not_needed);
    assert!(
        lookups[0]
            .reason
            .starts_with("no policy isolates a pod for egress"),
        "{:?}",
        lookups[0]
    );
}
