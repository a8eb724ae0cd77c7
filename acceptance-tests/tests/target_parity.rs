//! Every tier-based target gives the same rules through Terraform and through `portmatrix expand`, on the same
//! selections and options: the data source's outputs (read by each Terraform with `terraform output -json`) equal
//! the fields of `portmatrix expand --target NAME --json`, field by field. Both go through one `Target`; this test
//! holds the two translations of its options (attributes and flags) and of its output (typed values and JSON) to
//! each other. Warnings name the settings that fix them in each front end's terms (`unsupported_flows = "skip"`
//! in Terraform, `--unsupported-flows skip` on the command line), so they are held to the same count and to
//! equality wherever they mention no setting. NetworkPolicy, a separate arm of `expand`, is held to its data
//! source the same way.

use portmatrix_acceptance_tests::{portmatrix_binary, terraforms, Workspace};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// A selection written both ways: the data source's arguments, and the CLI's flags.
struct Selection {
    hcl: &'static str,
    flags: &'static [&'static str],
}

/// A catalog of the user's own, selected by the third selection: an agent mesh on TCP 7000 and a UI on 7443.
const USER_CATALOG: &str = r#"format = 1

[platform]
name = "mesh-app"
title = "Mesh App"
versions = ">=1.0.0"
summary = "A test application."

[[sources]]
id = "ports"
document = "Mesh App ports"
url = "https://example.com/mesh-app/ports"
version = "1.x"
date = "2026-01-01"

[[roles]]
name = "agent"
title = "Agent"
network = "host"
tiers = ["master", "worker"]
description = "Runs on every node."

[[flows]]
from = "agent"
to = "agent"
protocol = "tcp"
ports = ["7000"]
purpose = "agent mesh"
source = "ports"
rows = ["Agent | Agent | 7000 | TCP"]
"#;

/// The user catalog's file in a workspace; `{dir}` in a selection's flags is the workspace.
const USER_CATALOG_FILE: &str = "mesh-app.toml";

const SELECTIONS: [Selection; 3] = [
    Selection {
        hcl: "platform {\n    name    = \"kublr\"\n    options = { cni = \"calico\" }\n  }",
        flags: &["--platform", "kublr", "--option", "cni=calico"],
    },
    Selection {
        hcl: "platform {\n    name = \"etcd\"\n  }\n  endpoint {\n    name      = \"etcd-clients\"\n    cidr_ipv4 = [\"10.0.0.0/16\"]\n  }",
        flags: &["--platform", "etcd", "--endpoint", "etcd-clients=10.0.0.0/16"],
    },
    Selection {
        hcl: "user_catalogs = [file(\"${path.module}/mesh-app.toml\")]\n  platform {\n    name = \"mesh-app\"\n  }",
        flags: &["--user-catalog", "{dir}/mesh-app.toml", "--platform", "mesh-app"],
    },
];

/// A target with non-default options, written both ways, and its output fields.
struct Case {
    target: &'static str,
    data_source: &'static str,
    hcl: &'static str,
    flags: &'static [&'static str],
    outputs: &'static [&'static str],
}

const CASES: [Case; 6] = [
    Case {
        target: "aws",
        data_source: "portmatrix_aws_security_group_rules",
        hcl: "rules_per_group = 100\n  all_traffic_within_tier = true",
        flags: &["--rules-per-group", "100", "--all-traffic-within-tier"],
        outputs: &["ingress", "egress", "tiers", "widened"],
    },
    Case {
        target: "gcp",
        data_source: "portmatrix_gcp_firewall_rules",
        hcl: "name_prefix = \"prod-\"\n  priority = 900\n  unsupported_flows = \"widen\"\n  tier_ranges = { master = [\"10.0.1.0/24\"], worker = [\"10.0.2.0/24\", \"fd00::/64\"] }",
        flags: &[
            "--name-prefix",
            "prod-",
            "--priority",
            "900",
            "--unsupported-flows",
            "widen",
            "--tier-ranges",
            "master=10.0.1.0/24",
            "--tier-ranges",
            "worker=10.0.2.0/24,fd00::/64",
        ],
        outputs: &["rules", "tiers", "widened"],
    },
    Case {
        target: "azure",
        data_source: "portmatrix_azure_nsg_rules",
        hcl: "nsg_per_tier = true\n  first_priority = 200\n  last_priority = 4000\n  unsupported_flows = \"widen\"",
        flags: &[
            "--nsg-per-tier",
            "--first-priority",
            "200",
            "--last-priority",
            "4000",
            "--unsupported-flows",
            "widen",
        ],
        outputs: &["rules", "tiers", "widened"],
    },
    Case {
        target: "openstack",
        data_source: "portmatrix_openstack_secgroup_rules",
        hcl: "ethertypes = [\"IPv4\"]\n  unsupported_flows = \"widen\"",
        flags: &["--ethertypes", "IPv4", "--unsupported-flows", "widen"],
        outputs: &["ingress", "egress", "tiers", "widened"],
    },
    Case {
        target: "hcloud",
        data_source: "portmatrix_hcloud_firewall_rules",
        hcl: "unsupported_flows = \"skip\"\n  outbound_rules = true\n  tier_ranges = { master = [\"203.0.113.0/28\", \"2a01:4f8:c0c:1::/64\"], worker = [\"203.0.113.16/28\"], lb = [\"203.0.113.32/28\"] }",
        flags: &[
            "--unsupported-flows",
            "skip",
            "--outbound-rules",
            "--tier-ranges",
            "master=203.0.113.0/28,2a01:4f8:c0c:1::/64",
            "--tier-ranges",
            "worker=203.0.113.16/28",
            "--tier-ranges",
            "lb=203.0.113.32/28",
        ],
        outputs: &["firewalls", "widened"],
    },
    Case {
        target: "nftables",
        data_source: "portmatrix_nftables_ruleset",
        hcl: "tier_addresses = { master = [\"10.0.1.0/24\"], worker = [\"10.0.2.0/24\", \"fd00:2::/64\"], lb = [\"10.0.3.5\"] }\n  pod_cidrs = [\"10.244.0.0/16\"]\n  output_policy = \"accept\"",
        flags: &[
            "--tier-addresses",
            "master=10.0.1.0/24",
            "--tier-addresses",
            "worker=10.0.2.0/24,fd00:2::/64",
            "--tier-addresses",
            "lb=10.0.3.5",
            "--pod-cidrs",
            "10.244.0.0/16",
            "--output-policy",
            "accept",
        ],
        outputs: &["rulesets", "cloud_init"],
    },
];

/// Every output of the case's data source for each selection, as `terraform output -json` gives them.
fn config(case: &Case) -> String {
    let mut text = String::new();
    for (index, selection) in SELECTIONS.iter().enumerate() {
        text.push_str(&format!(
            "data \"{}\" \"s{index}\" {{\n  {}\n  {}\n}}\n",
            case.data_source, selection.hcl, case.hcl
        ));
        for field in case.outputs.iter().chain(&["not_needed", "warnings"]) {
            text.push_str(&format!(
                "output \"s{index}_{field}\" {{\n  value = data.{}.s{index}.{field}\n}}\n",
                case.data_source
            ));
        }
    }
    text
}

/// `portmatrix expand --json` with `args`, `{dir}` standing for `dir`.
fn expand(args: &[&str], dir: &Path) -> Value {
    let dir = dir.to_string_lossy();
    let args: Vec<String> = args.iter().map(|a| a.replace("{dir}", &dir)).collect();
    let output = Command::new(portmatrix_binary())
        .arg("expand")
        .args(&args)
        .arg("--json")
        .output()
        .expect("portmatrix runs");
    assert!(
        output.status.success(),
        "portmatrix expand {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("expand --json is JSON")
}

fn cli(case: &Case, selection: &Selection, dir: &Path) -> Value {
    let mut args: Vec<&str> = selection.flags.to_vec();
    args.extend(["--target", case.target]);
    args.extend(case.flags);
    expand(&args, dir)
}

/// The same warnings in each front end's terms: as many, equal where they mention no setting, and where they
/// differ, the command line's naming flags and Terraform's none.
fn assert_same_warnings(cli: &Value, terraform: &Value, context: &str) {
    let texts = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (cli, terraform) = (texts(cli), texts(terraform));
    assert_eq!(
        cli.len(),
        terraform.len(),
        "{context}: {cli:?} vs {terraform:?}"
    );
    for (c, t) in cli.iter().zip(&terraform) {
        if c != t {
            assert!(
                c.contains("--") && !t.contains(" --") && !c.contains(" = "),
                "{context}: {c:?} vs {t:?}"
            );
        }
    }
}

#[test]
fn terraform_and_the_cli_give_the_same_rules_for_every_target() {
    for terraform in terraforms() {
        for case in &CASES {
            let workspace = Workspace::new(terraform, &config(case));
            std::fs::write(workspace.path().join(USER_CATALOG_FILE), USER_CATALOG)
                .expect("write the user catalog");
            let outputs = workspace.outputs();
            for (index, selection) in SELECTIONS.iter().enumerate() {
                let json = cli(case, selection, workspace.path());
                assert_eq!(json["target"], case.target);
                let fields = json.as_object().expect("an object");
                let mut expected: Vec<&str> = case.outputs.to_vec();
                expected.extend(["not_needed", "warnings"]);
                let given: Vec<&str> = fields
                    .keys()
                    .map(String::as_str)
                    .filter(|k| *k != "target")
                    .collect();
                assert_eq!(given, expected, "{} fields", case.target);
                for field in expected {
                    let from_terraform = &outputs[format!("s{index}_{field}")]["value"];
                    assert!(
                        !from_terraform.is_null() || field == "widened",
                        "{} {field}: no output",
                        case.target
                    );
                    let context = format!(
                        "terraform {}, target {}, selection {index}, {field}",
                        terraform.version, case.target
                    );
                    if field == "warnings" {
                        assert_same_warnings(&json[field], from_terraform, &context);
                        continue;
                    }
                    assert_eq!(
                        &json[field], from_terraform,
                        "terraform {}, target {}, selection {index}, {field}",
                        terraform.version, case.target
                    );
                }
            }
        }
    }
}

/// NetworkPolicy through its data source and through `expand --target kubernetes-network-policies`: Longhorn with
/// a selector for the role its catalog cannot select, node CIDRs and the API server's addresses.
#[test]
fn terraform_and_the_cli_give_the_same_network_policies() {
    let hcl = "data \"portmatrix_kubernetes_network_policies\" \"p\" {\n  platform {\n    name    = \"longhorn\"\n    version = \"1.6.0\"\n  }\n  endpoint {\n    name      = \"kubernetes-api-server\"\n    cidr_ipv4 = [\"10.0.1.0/24\"]\n  }\n  parameters  = { backupstore_port = 9000 }\n  node_cidrs  = [\"10.0.0.0/16\", \"fd00::/64\"]\n  name_prefix = \"pm-\"\n  pod_selector {\n    role         = \"longhorn/recurring-job\"\n    match_labels = { app = \"longhorn-recurring-job\" }\n  }\n}\n";
    let fields = ["policies", "manifests", "yaml", "not_needed", "warnings"];
    let mut config = hcl.to_string();
    for field in fields {
        config.push_str(&format!(
            "output \"{field}\" {{\n  value = data.portmatrix_kubernetes_network_policies.p.{field}\n}}\n"
        ));
    }
    let args = [
        "--platform",
        "longhorn",
        "--version",
        "1.6.0",
        "--endpoint",
        "kubernetes-api-server=10.0.1.0/24",
        "--param",
        "backupstore_port=9000",
        "--target",
        "kubernetes-network-policies",
        "--node-cidrs",
        "10.0.0.0/16,fd00::/64",
        "--name-prefix",
        "pm-",
        "--pod-selector",
        "longhorn/recurring-job=app=longhorn-recurring-job",
    ];
    for terraform in terraforms() {
        let workspace = Workspace::new(terraform, &config);
        let outputs = workspace.outputs();
        let json = expand(&args, workspace.path());
        assert_eq!(json["target"], "kubernetes-network-policies");
        let given: Vec<&str> = json
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "target")
            .collect();
        assert_eq!(given, fields);
        assert!(
            json["policies"].as_object().is_some_and(|p| p.len() > 3),
            "{}",
            json["policies"]
        );
        for field in fields {
            let from_terraform = &outputs[field]["value"];
            let context = format!("terraform {}, NetworkPolicy, {field}", terraform.version);
            if field == "warnings" {
                assert_same_warnings(&json[field], from_terraform, &context);
            } else {
                assert_eq!(&json[field], from_terraform, "{context}");
            }
        }
    }
}
