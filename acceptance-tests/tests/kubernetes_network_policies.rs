//! `portmatrix_kubernetes_network_policies` under every Terraform: the Longhorn 1.5+ policy set written out in
//! full, used the way users use it (`for_each` over `policies` into a module taking `manifest = each.value`,
//! `jsondecode` of `manifests`, Terraform's own `yamldecode` of `yaml`), evaluated against the Longhorn
//! networking table, plus key facts of ingress-nginx and of a Kubernetes + Calico + Longhorn stack, and the
//! error for a role without labels.
//!
//! Expected rules are written by hand from shared/reference/ports.md §1.3 (first table: the v1.13.0 page, whose
//! port tables are identical from v1.5.1 to v1.12.x; version "1.6.0" lies inside) and from the pod labels the
//! Longhorn catalog takes from the Helm chart's NetworkPolicy templates, never from the provider's output.

#[allow(dead_code)]
#[path = "../../provider/src/targets/kubernetes_network_policies/evaluator.rs"]
mod evaluator;

use evaluator::{allowed, check_structure, Party, Pod};
use portmatrix_acceptance_tests::{terraforms, Workspace};
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// A module that takes one manifest, as `kubernetes_manifest` does, and gives it back.
const ECHO_MODULE: &str = r#"
variable "manifest" {
  type = any
}

output "manifest" {
  value = var.manifest
}
"#;

/// Inputs for every Longhorn placeholder: the API server on a master node (10.0.0.10:6443), the backupstore
/// (IPv4 and IPv6) on 9000, the image server on 443, nodes in 10.0.0.0/24, and the recurring jobs' selector,
/// which the catalog cannot give (the chart selects them by label-key existence).
const LONGHORN_INPUTS: &str = r#"
  platform {
    name    = "longhorn"
    version = "1.6.0"
  }
  endpoint {
    name      = "kubernetes-api-server"
    cidr_ipv4 = ["10.0.0.10/32"]
  }
  endpoint {
    name      = "backupstore"
    cidr_ipv4 = ["192.0.2.10/32"]
    cidr_ipv6 = ["2001:db8::10/128"]
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
  node_cidrs = ["10.0.0.0/24"]
  pod_selector {
    role = "longhorn/recurring-job"
    match_expression {
      key      = "recurring-job.longhorn.io"
      operator = "Exists"
    }
  }
"#;

fn config(inputs: &str) -> String {
    format!(
        r#"
data "portmatrix_kubernetes_network_policies" "cluster" {{
{inputs}
}}

module "policy" {{
  source   = "./echo"
  for_each = data.portmatrix_kubernetes_network_policies.cluster.policies
  manifest = each.value
}}

output "policies" {{
  value = data.portmatrix_kubernetes_network_policies.cluster.policies
}}

output "through_module" {{
  value = {{ for key, policy in module.policy : key => policy.manifest }}
}}

output "from_json" {{
  value = {{ for key, text in data.portmatrix_kubernetes_network_policies.cluster.manifests : key => jsondecode(text) }}
}}

output "from_yaml" {{
  value = [
    for document in split("---\n", data.portmatrix_kubernetes_network_policies.cluster.yaml) :
    yamldecode(document) if trimspace(document) != ""
  ]
}}

output "warnings" {{
  value = data.portmatrix_kubernetes_network_policies.cluster.warnings
}}

output "not_needed" {{
  value = data.portmatrix_kubernetes_network_policies.cluster.not_needed
}}
"#
    )
}

/// A workspace with the echo module installed (`terraform get` needs no registry).
fn workspace(terraform: &portmatrix_acceptance_tests::Terraform, inputs: &str) -> Workspace {
    let workspace = Workspace::new(terraform, &config(inputs));
    let module = workspace.path().join("echo");
    std::fs::create_dir(&module).expect("module dir");
    std::fs::write(module.join("main.tf"), ECHO_MODULE).expect("module");
    let get = workspace.run(&["get", "-no-color"], &[]);
    assert!(get.success, "terraform get: {}", get.stderr);
    workspace
}

/// One rule port of one peer: (policy key, direction, peer, protocol, port, endPort or port).
type Flat = (String, &'static str, String, String, u64, u64);

fn selector_text(selector: &Value) -> String {
    let mut parts: Vec<String> = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    parts.extend(
        selector["matchExpressions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                format!(
                    "{} {}",
                    e["key"].as_str().unwrap_or_default(),
                    e["operator"].as_str().unwrap_or_default()
                )
            }),
    );
    parts.join(",")
}

/// Every (peer, port) of every rule of every policy, with the peer as "pods:LABELS", "pods:NS/LABELS" (another
/// namespace) or "ip:CIDR".
fn flatten(policies: &Value) -> BTreeSet<Flat> {
    let mut flat = BTreeSet::new();
    for (key, policy) in policies.as_object().expect("policies object") {
        check_structure(policy);
        for (direction, section, field) in
            [("ingress", "ingress", "from"), ("egress", "egress", "to")]
        {
            for rule in policy["spec"][section].as_array().into_iter().flatten() {
                for peer in rule[field].as_array().expect("peers") {
                    let peer = match (peer.get("ipBlock"), peer.get("namespaceSelector")) {
                        (Some(block), _) => {
                            format!("ip:{}", block["cidr"].as_str().unwrap_or_default())
                        }
                        (None, Some(namespace)) => format!(
                            "pods:{}/{}",
                            namespace["matchLabels"]["kubernetes.io/metadata.name"]
                                .as_str()
                                .unwrap_or_default(),
                            selector_text(&peer["podSelector"])
                        ),
                        (None, None) => format!("pods:{}", selector_text(&peer["podSelector"])),
                    };
                    for port in rule["ports"].as_array().expect("ports") {
                        let first = port["port"].as_u64().expect("port");
                        flat.insert((
                            key.clone(),
                            direction,
                            peer.clone(),
                            port["protocol"].as_str().unwrap_or_default().to_string(),
                            first,
                            port["endPort"].as_u64().unwrap_or(first),
                        ));
                    }
                }
            }
        }
    }
    flat
}

const MANAGER: &str = "pods:app=longhorn-manager";
const UI: &str = "pods:app=longhorn-ui";
const IM: &str = "pods:longhorn.io/component=instance-manager";
const CSI_PLUGIN: &str = "pods:app=longhorn-csi-plugin";
const DRIVER_DEPLOYER: &str = "pods:app=longhorn-driver-deployer";
const BIM: &str = "pods:longhorn.io/component=backing-image-manager";
const BIDS: &str = "pods:longhorn.io/component=backing-image-data-source";
const RECURRING_JOB: &str = "pods:recurring-job.longhorn.io Exists";
const NODES: &str = "ip:10.0.0.0/24";
/// The peer "every pod of every namespace", `namespaceSelector: {}` (no namespace name, no pod labels).
const EVERY_POD: &str = "pods:/";
const API_SERVER: &str = "ip:10.0.0.10/32";
const BACKUPSTORE_V4: &str = "ip:192.0.2.10/32";
const BACKUPSTORE_V6: &str = "ip:2001:db8::10/128";
const IMAGE_SERVER: &str = "ip:198.51.100.20/32";

/// The Longhorn 1.5+ policies, from the table: (role, direction, peer, first port, last port), all TCP. Each
/// ingress row is the receiving section's "Ingress" row; each egress row the sending section's "Egress" row.
#[rustfmt::skip]
const LONGHORN_RULES: &[(&str, &str, &str, u64, u64)] = &[
    // Longhorn Manager / Ingress: Other Longhorn Manager 9500; Conversion Webhook Server 9501, Admission Webhook
    // Server 9502, Recovery Backend Server 9503 (servers in the manager pods since v1.5.0), merged to 9500-9503;
    // UI, Longhorn CSI plugin, Backup/Snapshot Recurring Job Pod, Longhorn Driver Deployer 9500.
    ("longhorn-manager", "ingress", MANAGER, 9500, 9503),
    ("longhorn-manager", "ingress", UI, 9500, 9500),
    ("longhorn-manager", "ingress", CSI_PLUGIN, 9500, 9500),
    ("longhorn-manager", "ingress", RECURRING_JOB, 9500, 9500),
    ("longhorn-manager", "ingress", DRIVER_DEPLOYER, 9500, 9500),
    // The webhooks' caller, kube-apiserver, which the Longhorn chart (bb2f2223) names: values.yaml "Kubernetes API
    // server source CIDRs allowed to access the Longhorn admission webhook", the webhook policy's TCP 9501 and 9502.
    ("longhorn-manager", "ingress", API_SERVER, 9501, 9502),
    // Longhorn Manager / Egress: Other Longhorn Manager 9500, and 9501-9503 because the ingress rows above have
    // manager pods as senders; Instance Manager 8500; 8501; 8502; 8503; 8504; Backing Image Manager 8000; Backing
    // Image Data Source 8000; External Backupstore "User defined" (9000); Kubernetes API server "Kubernetes API
    // server port" (6443).
    ("longhorn-manager", "egress", MANAGER, 9500, 9503),
    ("longhorn-manager", "egress", IM, 8500, 8504),
    ("longhorn-manager", "egress", BIM, 8000, 8000),
    ("longhorn-manager", "egress", BIDS, 8000, 8000),
    ("longhorn-manager", "egress", BACKUPSTORE_V4, 9000, 9000),
    ("longhorn-manager", "egress", BACKUPSTORE_V6, 9000, 9000),
    ("longhorn-manager", "egress", API_SERVER, 6443, 6443),
    // UI / Egress: Longhorn Manager 9500. (UI / Ingress is "Users defined": no rule, the UI stays open.)
    ("longhorn-ui", "egress", MANAGER, 9500, 9500),
    // Instance Manager / Ingress: Longhorn Manager 8500-8504; Other Instance Manager 10000-30000; Node in the
    // Cluster 3260; Backing Image Data Source 10000-30000. Backing Image Manager / Egress lists Instance Manager
    // 10000-30000 too, which the receiving side must admit.
    ("instance-manager", "ingress", MANAGER, 8500, 8504),
    ("instance-manager", "ingress", IM, 10000, 30000),
    ("instance-manager", "ingress", NODES, 3260, 3260),
    ("instance-manager", "ingress", BIDS, 10000, 30000),
    ("instance-manager", "ingress", BIM, 10000, 30000),
    // Instance Manager / Egress: Other Instance Manager 10000-30000; Backing Image Data Source 8002; External
    // Backupstore (9000).
    ("instance-manager", "egress", IM, 10000, 30000),
    ("instance-manager", "egress", BIDS, 8002, 8002),
    ("instance-manager", "egress", BACKUPSTORE_V4, 9000, 9000),
    ("instance-manager", "egress", BACKUPSTORE_V6, 9000, 9000),
    // Longhorn CSI plugin / Egress: Longhorn Manager 9500.
    ("longhorn-csi-plugin", "egress", MANAGER, 9500, 9500),
    // Driver deployer / Egress: Longhorn Manager 9500; Kubernetes API server (6443).
    ("longhorn-driver-deployer", "egress", MANAGER, 9500, 9500),
    ("longhorn-driver-deployer", "egress", API_SERVER, 6443, 6443),
    // Backing Image Manager / Ingress: Longhorn Manager 8000; Other Backing Image Manager 30001-31000.
    ("backing-image-manager", "ingress", MANAGER, 8000, 8000),
    ("backing-image-manager", "ingress", BIM, 30001, 31000),
    // Backing Image Manager / Egress: Instance Manager 10000-30000; Other Backing Image Manager 30001-31000;
    // Backing Image Data Source 8000.
    ("backing-image-manager", "egress", IM, 10000, 30000),
    ("backing-image-manager", "egress", BIM, 30001, 31000),
    ("backing-image-manager", "egress", BIDS, 8000, 8000),
    // Backing Image Data Source / Ingress: Longhorn Manager 8000; Instance Manager 8002; Backing Image Manager 8000.
    ("backing-image-data-source", "ingress", MANAGER, 8000, 8000),
    ("backing-image-data-source", "ingress", IM, 8002, 8002),
    ("backing-image-data-source", "ingress", BIM, 8000, 8000),
    // Backing Image Data Source / Egress: Instance Manager 10000-30000; the image server "user defined" (443).
    ("backing-image-data-source", "egress", IM, 10000, 30000),
    ("backing-image-data-source", "egress", IMAGE_SERVER, 443, 443),
    // Backup/Snapshot Recurring Job Pod / Egress: Longhorn Manager 9500.
    ("recurring-job", "egress", MANAGER, 9500, 9500),
];

fn expected_longhorn() -> BTreeSet<Flat> {
    let mut set = BTreeSet::new();
    for &(role, direction, peer, first, last) in LONGHORN_RULES {
        let row = (
            format!("longhorn-system/portmatrix-{role}"),
            direction,
            peer.to_string(),
            "TCP".to_string(),
            first,
            last,
        );
        assert!(set.insert(row.clone()), "row {row:?} written twice");
    }
    set
}

fn assert_same(context: &str, actual: &BTreeSet<Flat>, expected: &BTreeSet<Flat>) {
    let missing: Vec<_> = expected.difference(actual).collect();
    let unexpected: Vec<_> = actual.difference(expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "{context}: rules differ\n  missing: {missing:#?}\n  unexpected: {unexpected:#?}"
    );
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("address")
}

fn pod(labels: &[(&str, &str)]) -> Party {
    Party::Pod(Pod::new("longhorn-system", labels))
}

fn warnings(outputs: &Value) -> Vec<String> {
    outputs["warnings"]["value"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect()
}

#[test]
fn longhorn_policies_are_the_table_and_work_through_for_each_json_and_yaml() {
    let expected = expected_longhorn();
    for terraform in terraforms() {
        let context = format!("Terraform {}", terraform.version);
        let outputs = workspace(terraform, LONGHORN_INPUTS).outputs();
        let policies = &outputs["policies"]["value"];
        let keys: Vec<&str> = policies
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
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
            ],
            "{context}"
        );
        assert_same(&context, &flatten(policies), &expected);
        for (key, policy) in policies.as_object().unwrap() {
            let role = key.trim_start_matches("longhorn-system/portmatrix-");
            assert_eq!(
                policy["metadata"]["namespace"], "longhorn-system",
                "{context}: {key}"
            );
            assert_eq!(
                policy["metadata"]["labels"]["portmatrix/role"], role,
                "{context}: {key}"
            );
            let types: Vec<&str> = ["ingress", "egress"]
                .into_iter()
                .filter(|d| {
                    LONGHORN_RULES
                        .iter()
                        .any(|(r, dir, ..)| r == &role && dir == d)
                })
                .map(|d| if d == "ingress" { "Ingress" } else { "Egress" })
                .collect();
            assert_eq!(
                policy["spec"]["policyTypes"],
                serde_json::json!(types),
                "{context}: {key}"
            );
        }

        // The same objects through a module's `manifest = each.value`, through jsondecode and through
        // Terraform's own yamldecode of the YAML stream.
        assert_eq!(
            &outputs["through_module"]["value"], policies,
            "{context}: for_each"
        );
        assert_eq!(
            &outputs["from_json"]["value"], policies,
            "{context}: manifests"
        );
        let from_yaml: Vec<&Value> = outputs["from_yaml"]["value"]
            .as_array()
            .expect("documents")
            .iter()
            .collect();
        let in_order: Vec<&Value> = policies.as_object().unwrap().values().collect();
        assert_eq!(from_yaml, in_order, "{context}: yaml");

        // The table's flows, evaluated on what Terraform produced (the unit tests try every row).
        let list: Vec<Value> = policies.as_object().unwrap().values().cloned().collect();
        let manager = pod(&[("app", "longhorn-manager")]);
        let instance_manager = pod(&[("longhorn.io/component", "instance-manager")]);
        let recurring = pod(&[("recurring-job.longhorn.io", "nightly")]);
        let node = Party::Address(ip("10.0.0.21"));
        assert!(
            allowed(&list, &node, &instance_manager, "TCP", 3260),
            "{context}"
        );
        assert!(
            allowed(&list, &recurring, &manager, "TCP", 9500),
            "{context}"
        );
        assert!(
            allowed(
                &list,
                &manager,
                &Party::Address(ip("2001:db8::10")),
                "TCP",
                9000
            ),
            "{context}"
        );
        assert!(!allowed(&list, &node, &manager, "TCP", 3260), "{context}");
        assert!(
            !allowed(&list, &manager, &instance_manager, "TCP", 9999),
            "{context}"
        );
        assert!(
            !allowed(
                &list,
                &pod(&[("app", "longhorn-ui")]),
                &instance_manager,
                "TCP",
                8500
            ),
            "{context}"
        );

        let warnings = warnings(&outputs);
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("longhorn/share-manager has no pod selector")),
            "{context}: {warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("DNS is in no selected catalog")),
            "{context}"
        );
        let not_needed = outputs["not_needed"]["value"]
            .as_array()
            .expect("not_needed");
        assert!(
            not_needed
                .iter()
                .any(|f| f["from_role"] == "node" && f["to_role"] == "share-manager"),
            "{context}: {not_needed:?}"
        );
    }
}

#[test]
fn a_role_without_labels_that_a_policy_must_admit_is_an_error() {
    let inputs = LONGHORN_INPUTS
        .split("  pod_selector {")
        .next()
        .expect("inputs");
    for terraform in terraforms() {
        let error = workspace(terraform, inputs).plan_error();
        let flat = error.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("Role without pod selector"), "{flat}");
        assert!(
            flat.contains("role longhorn/recurring-job has no pod selector"),
            "{flat}"
        );
        assert!(
            flat.contains("longhorn: recurring-job -> longhorn-manager tcp 9500"),
            "{flat}"
        );
        assert!(flat.contains("pod_selector"), "{flat}");
    }
}

#[test]
fn ingress_nginx_admits_clients_and_the_api_server_and_keeps_egress_open() {
    // ingress-nginx deploy/baremetal docs (catalog ingress-nginx.toml): clients -> controller 80, 443 behind a
    // LoadBalancer or NodePort Service; the API server (host network, on masters) -> controller 8443 (admission
    // webhook). The controller's catalog lists no egress, so the policy isolates ingress only.
    let inputs = r#"
  platform {
    name = "ingress-nginx"
  }
  endpoint {
    name      = "clients"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
  node_cidrs = ["10.0.0.0/24", "fd00:10::/64"]
"#;
    let labels = "app.kubernetes.io/component=controller,app.kubernetes.io/name=ingress-nginx";
    for terraform in terraforms() {
        let outputs = workspace(terraform, inputs).outputs();
        let policies = &outputs["policies"]["value"];
        let key = "ingress-nginx/portmatrix-controller".to_string();
        let expected: BTreeSet<Flat> = [
            ("ip:0.0.0.0/0", 80, 80),
            ("ip:0.0.0.0/0", 443, 443),
            ("ip:10.0.0.0/24", 8443, 8443),
            ("ip:fd00:10::/64", 8443, 8443),
        ]
        .into_iter()
        .map(|(peer, first, last)| {
            (
                key.clone(),
                "ingress",
                peer.to_string(),
                "TCP".to_string(),
                first,
                last,
            )
        })
        .collect();
        assert_same(&terraform.version, &flatten(policies), &expected);
        assert_eq!(
            policies[&key]["spec"]["policyTypes"],
            serde_json::json!(["Ingress"])
        );
        assert_eq!(
            selector_text(&policies[&key]["spec"]["podSelector"]),
            labels
        );
    }
}

#[test]
fn a_kubernetes_calico_longhorn_stack_lists_its_host_network_flows() {
    let inputs = format!(
        "  platform {{\n    name = \"kubernetes\"\n  }}\n  platform {{\n    name = \"calico\"\n  }}\n{LONGHORN_INPUTS}"
    );
    for terraform in terraforms() {
        let outputs = workspace(terraform, &inputs).outputs();
        // The platforms' host flows add no policy: the set is Longhorn's, plus Kubernetes' pod roles.
        // metrics-server (README "Requirements"): "Control plane to Metrics Server ... pod IP and port 10250" comes
        // from the nodes' addresses, and "Metrics Server to Kubelet on all nodes" (10250) goes to them.
        let mut expected = expected_longhorn();
        for direction in ["ingress", "egress"] {
            expected.insert((
                "kube-system/portmatrix-metrics-server".to_string(),
                direction,
                NODES.to_string(),
                "TCP".to_string(),
                10250,
                10250,
            ));
        }
        // CoreDNS (kubeadm's manifests: kube-system, k8s-app=kube-dns, 53/UDP and 53/TCP) admits every pod (DNS
        // policy ClusterFirst, the default) and the nodes (host-network pods, ClusterFirstWithHostNet); every role
        // isolated for egress may reach it, as every pod may.
        let egress_isolated: BTreeSet<String> = expected
            .iter()
            .filter(|(_, direction, ..)| *direction == "egress")
            .map(|(key, ..)| key.clone())
            .collect();
        for protocol in ["UDP", "TCP"] {
            for peer in [EVERY_POD, NODES] {
                expected.insert((
                    "kube-system/portmatrix-coredns".to_string(),
                    "ingress",
                    peer.to_string(),
                    protocol.to_string(),
                    53,
                    53,
                ));
            }
            for key in &egress_isolated {
                let peer = if key.starts_with("kube-system/") {
                    "pods:k8s-app=kube-dns"
                } else {
                    "pods:kube-system/k8s-app=kube-dns"
                };
                expected.insert((
                    key.clone(),
                    "egress",
                    peer.to_string(),
                    protocol.to_string(),
                    53,
                    53,
                ));
            }
        }
        // Kubernetes' "6443 | Kubernetes API server | All" includes every pod (in-cluster clients call it through the
        // `kubernetes` Service): every role isolated for egress reaches the nodes' API server port, as it reaches DNS.
        for key in &egress_isolated {
            expected.insert((
                key.clone(),
                "egress",
                NODES.to_string(),
                "TCP".to_string(),
                6443,
                6443,
            ));
        }
        assert_same(
            &terraform.version,
            &flatten(&outputs["policies"]["value"]),
            &expected,
        );
        let warnings = warnings(&outputs);
        let host = warnings
            .iter()
            .find(|w| w.contains("cannot be governed by NetworkPolicy"))
            .expect("host-network warning");
        // Kubernetes "Kubelet API 10250" (control plane and workers) and Calico "BGP 179" are host-to-host.
        assert!(
            host.contains("kubernetes: control-plane -> worker tcp 10250"),
            "{host}"
        );
        assert!(host.contains("calico: node -> node tcp 179"), "{host}");
        assert!(host.contains("calico: node -> node 4 all"), "{host}");
    }
}

/// The configuration of an example without its `resource` blocks (the Kubernetes provider cannot be installed
/// here), so its data source is proven under real Terraform.
fn without_resources(config: &str) -> String {
    let mut kept = Vec::new();
    let mut skipping = false;
    for line in config.lines() {
        if line.starts_with("resource \"") {
            skipping = true;
        } else if skipping {
            skipping = line != "}";
        } else {
            kept.push(line);
        }
    }
    kept.join("\n") + "\n"
}

#[test]
fn the_documented_example_plans_and_names_what_it_leaves_open() {
    let path = portmatrix_acceptance_tests::repo_root()
        .join("examples/data-sources/portmatrix_kubernetes_network_policies/data-source.tf");
    let example = std::fs::read_to_string(&path).expect("data-source.tf");
    assert!(
        example.contains("manifest = each.value"),
        "the example wires kubernetes_manifest"
    );
    let config = without_resources(&example);
    for terraform in terraforms() {
        let outputs = Workspace::new(terraform, &config).outputs();
        let yaml = outputs["longhorn_policies_yaml"]["value"]
            .as_str()
            .expect("yaml");
        assert!(
            yaml.contains("  name: portmatrix-longhorn-manager\n"),
            "{}: {yaml}",
            terraform.version
        );
        let warnings = warnings(&outputs);
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("longhorn/share-manager has no pod selector")),
            "{warnings:?}"
        );
        // The example leaves the image download server out: its flow is named, not guessed.
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("backing-image-data-source -> image-download-server")),
            "{warnings:?}"
        );
    }
}
