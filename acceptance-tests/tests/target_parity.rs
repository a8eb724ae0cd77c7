//! Every tier-based target gives the same rules through Terraform and through `portmatrix expand`, on the same
//! selections and options: the data source's outputs (read by each Terraform with `terraform output -json`) equal
//! the fields of `portmatrix expand --target NAME --json`, field by field. Both go through one `Target`; this test
//! holds the two translations of its options (attributes and flags) and of its output (typed values and JSON) to
//! each other.

use portmatrix_acceptance_tests::{portmatrix_binary, terraforms, Workspace};
use serde_json::Value;
use std::process::Command;

/// A selection written both ways: the data source's arguments, and the CLI's flags.
struct Selection {
    hcl: &'static str,
    flags: &'static [&'static str],
}

const SELECTIONS: [Selection; 2] = [
    Selection {
        hcl: "platform {\n    name    = \"kublr\"\n    options = { cni = \"calico\" }\n  }",
        flags: &["--platform", "kublr", "--option", "cni=calico"],
    },
    Selection {
        hcl: "platform {\n    name = \"etcd\"\n  }\n  endpoint {\n    name      = \"etcd-clients\"\n    cidr_ipv4 = [\"10.0.0.0/16\"]\n  }",
        flags: &["--platform", "etcd", "--endpoint", "etcd-clients=10.0.0.0/16"],
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

fn cli(case: &Case, selection: &Selection) -> Value {
    let output = Command::new(portmatrix_binary())
        .arg("expand")
        .args(selection.flags)
        .args(["--target", case.target, "--json"])
        .args(case.flags)
        .output()
        .expect("portmatrix runs");
    assert!(
        output.status.success(),
        "portmatrix expand --target {}: {}",
        case.target,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("expand --json is JSON")
}

#[test]
fn terraform_and_the_cli_give_the_same_rules_for_every_target() {
    for terraform in terraforms() {
        for case in &CASES {
            let outputs = Workspace::new(terraform, &config(case)).outputs();
            for (index, selection) in SELECTIONS.iter().enumerate() {
                let json = cli(case, selection);
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
