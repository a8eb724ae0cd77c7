//! The user's journey on the real AWS provider: `terraform init` installs portmatrix and `hashicorp/aws`, `apply`
//! creates the groups and every rule against moto on loopback, a second plan shows no changes, the audit (data
//! source and CLI) reads the groups back and finds nothing, a platform added later applies, and a rule revoked out
//! of band is reported exactly.

use portmatrix_acceptance_tests::moto::Moto;
use portmatrix_acceptance_tests::{
    example_files, portmatrix_binary, terraforms, Run, Terraform, Workspace,
};
use serde_json::{json, Value};
use std::process::Command;

/// The AWS provider pointed at moto. The account ID is asked of moto's STS (`GetCallerIdentity`): without it the
/// provider writes `ACCOUNT/sg-…` for group references, and every later plan shows a change.
fn moto_provider(endpoint: &str) -> String {
    format!(
        r#"
provider "aws" {{
  region                 = "us-east-1"
  access_key             = "testing"
  secret_key             = "testing"
  skip_metadata_api_check = true
  skip_region_validation = true
  endpoints {{
    ec2 = "{endpoint}"
    sts = "{endpoint}"
  }}
}}
"#
    )
}

/// `terraform ARGS -var …`, which must succeed.
fn terraform_ok(workspace: &Workspace, args: &[&str], vars: &[String]) -> Run {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-input=false", "-no-color"]);
    all.extend(vars.iter().map(String::as_str));
    let run = workspace.run(&all, &[]);
    assert!(
        run.success,
        "terraform {args:?} failed: {}",
        run.failure_report()
    );
    run
}

/// A second plan finds nothing to change (`-detailed-exitcode` 0).
fn assert_no_changes(workspace: &Workspace, vars: &[String], context: &str) {
    let mut args = vec!["plan", "-detailed-exitcode", "-input=false", "-no-color"];
    args.extend(vars.iter().map(String::as_str));
    let run = workspace.run(&args, &[]);
    assert_eq!(
        run.code,
        Some(0),
        "{context}: a second plan must show no changes: {}",
        run.failure_report()
    );
}

fn outputs(workspace: &Workspace) -> Value {
    let run = workspace.run(&["output", "-json"], &[]);
    assert!(run.success, "terraform output failed: {}", run.stderr);
    serde_json::from_str(&run.stdout).expect("output -json is JSON")
}

/// The root module's resources in the state (`terraform show -json`).
fn state_resources(workspace: &Workspace) -> Vec<Value> {
    let run = workspace.run(&["show", "-json"], &[]);
    assert!(run.success, "terraform show failed: {}", run.stderr);
    let state: Value = serde_json::from_str(&run.stdout).expect("show -json is JSON");
    state["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Rules of one resource address prefix in the state: key -> security_group_rule_id.
fn rule_ids(workspace: &Workspace, resource: &str) -> Vec<(String, String)> {
    let resources = state_resources(workspace);
    resources
        .iter()
        .filter(|r| {
            r["address"]
                .as_str()
                .is_some_and(|a| a.starts_with(resource))
        })
        .map(|r| {
            (
                r["index"].as_str().unwrap_or_default().to_string(),
                r["values"]["security_group_rule_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

/// The selection of the state's `portmatrix_aws_security_group_rules` data source, as a `portmatrix` selection
/// file (JSON): its platform, tier and endpoint blocks, parameters and pod network, nulls left out.
fn selection_from_state(workspace: &Workspace) -> Value {
    let resources = state_resources(workspace);
    let rules = resources
        .iter()
        .find(|r| r["type"] == "portmatrix_aws_security_group_rules")
        .expect("the state holds the rules data source");
    let without_nulls = |value: &Value| -> Value {
        match value {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| match item {
                        Value::Object(fields) => Value::Object(
                            fields
                                .iter()
                                .filter(|(_, v)| !v.is_null())
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect(),
                        ),
                        other => other.clone(),
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    };
    let values = &rules["values"];
    let mut selection = serde_json::Map::new();
    for block in ["platform", "tier", "endpoint"] {
        selection.insert(block.into(), without_nulls(&values[block]));
    }
    for field in ["parameters", "pod_network"] {
        if !values[field].is_null() {
            selection.insert(field.into(), values[field].clone());
        }
    }
    Value::Object(selection)
}

/// `portmatrix audit` with `selection` flags against the groups; (exit code, JSON report).
fn cli_audit(moto: &Moto, selection: &[&str], groups: &Value) -> (Option<i32>, Value) {
    let mut command = Command::new(portmatrix_binary());
    command
        .arg("audit")
        .args(selection)
        .args(["--endpoint-url", &moto.endpoint(), "--region", "us-east-1"])
        .arg("--json");
    for (tier, id) in groups.as_object().expect("security_group_ids is a map") {
        command
            .arg("--security-group")
            .arg(format!("{tier}={}", id.as_str().expect("group ID")));
    }
    for (key, value) in Moto::env() {
        command.env(key, value);
    }
    let output = command.output().expect("portmatrix runs");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "portmatrix audit printed no JSON:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), report)
}

/// Every finding of an audit report (the CLI's JSON, or the data source's `tiers`), as `(kind, key or rule ID)`.
fn findings(tiers: &Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for tier in tiers.as_object().into_iter().flat_map(|t| t.values()) {
        for kind in ["missing", "covered", "over_broad", "excess"] {
            for finding in tier[kind].as_array().into_iter().flatten() {
                let key = finding["key"]
                    .as_str()
                    .or_else(|| finding["rule_id"].as_str())
                    .unwrap_or_default();
                found.push((kind.to_string(), key.to_string()));
            }
        }
    }
    found
}

/// The parent example's selection, as the CLI takes it.
const CLUSTER_SELECTION: &[&str] = &[
    "--platform",
    "kubernetes",
    "--platform",
    "calico",
    "--option",
    "calico:encapsulation=ipip",
    "--platform",
    "longhorn",
    "--version",
    "longhorn=1.9.0",
    "--endpoint",
    "kubernetes-api-server=tier:master",
    "--endpoint",
    "api-clients=203.0.113.0/24",
    "--endpoint",
    "backupstore=0.0.0.0/0,pl-0123456789abcdef0",
    "--api-server-port",
    "6443",
    "--param",
    "backupstore_port=443",
    "--param",
    "image_download_port=443",
];

/// The audit data source beside the parent example, reading the groups it created once every rule is applied.
fn audit_data_source(endpoint: &str) -> String {
    format!(
        r#"
provider "portmatrix" {{
  aws {{
    region       = "us-east-1"
    endpoint_url = "{endpoint}"
  }}
}}

data "portmatrix_aws_security_group_audit" "check" {{
  platform {{
    name = "kubernetes"
  }}
  platform {{
    name    = "calico"
    options = {{ encapsulation = var.calico_encapsulation }}
  }}
  platform {{
    name    = "longhorn"
    version = var.longhorn_version
  }}
  endpoint {{
    name = "kubernetes-api-server"
    tier = "master"
  }}
  dynamic "endpoint" {{
    for_each = {{
      for name, addresses in local.endpoints : name => addresses
      if length(addresses.cidr_ipv4) + length(addresses.prefix_list_ids) > 0
    }}
    content {{
      name            = endpoint.key
      cidr_ipv4       = endpoint.value.cidr_ipv4
      prefix_list_ids = endpoint.value.prefix_list_ids
    }}
  }}
  api_server_port = 6443
  parameters = {{
    backupstore_port    = var.backupstore_port
    image_download_port = var.image_download_port
  }}
  security_groups = local.security_group_ids
  depends_on      = [aws_vpc_security_group_ingress_rule.cluster, aws_vpc_security_group_egress_rule.cluster]
}}

output "audit" {{
  value = {{
    compliant = data.portmatrix_aws_security_group_audit.check.compliant
    tiers     = data.portmatrix_aws_security_group_audit.check.tiers
  }}
}}
"#
    )
}

/// MetalLB added to the parent example's platforms (an override file replaces the data source's platform blocks).
const WITH_METALLB: &str = r#"
data "portmatrix_aws_security_group_rules" "cluster" {
  platform {
    name = "kubernetes"
  }
  platform {
    name    = "calico"
    options = { encapsulation = var.calico_encapsulation }
  }
  platform {
    name    = "longhorn"
    version = var.longhorn_version
  }
  platform {
    name = "metallb"
  }
}
"#;

fn cluster_vars(vpc_id: &str) -> Vec<String> {
    [
        format!("vpc_id={vpc_id}"),
        "allow_all_egress=false".into(),
        r#"api_client_cidrs=["203.0.113.0/24"]"#.into(),
        r#"backupstore_cidrs=["0.0.0.0/0"]"#.into(),
        r#"backupstore_prefix_list_ids=["pl-0123456789abcdef0"]"#.into(),
        "image_download_port=443".into(),
    ]
    .into_iter()
    .flat_map(|v| ["-var".to_string(), v])
    .collect()
}

fn apply_the_cluster_example(terraform: &Terraform) {
    let context = format!(
        "Terraform {}: examples/aws-kubernetes-cluster",
        terraform.version
    );
    let moto = Moto::start();
    let vpc = moto.ec2("create-vpc", &json!({}));
    let vpc_id = vpc["vpc_id"].as_str().expect("vpc_id");
    let mut files = example_files("examples/aws-kubernetes-cluster");
    files.push(("moto.tf".into(), moto_provider(&moto.endpoint())));
    files.push(("audit.tf".into(), audit_data_source(&moto.endpoint())));
    // The portmatrix provider reads credentials from the environment (its audit has none in configuration).
    let workspace = Workspace::installed(terraform, &files).with_env(&Moto::env());
    let vars = cluster_vars(vpc_id);

    let apply = terraform_ok(&workspace, &["apply", "-auto-approve"], &vars);
    assert!(
        apply.stdout.contains("Apply complete!"),
        "{context}: {}",
        apply.stdout
    );
    let out = outputs(&workspace);
    let audit = &out["audit"]["value"];
    assert_eq!(
        audit["compliant"], true,
        "{context}: audit after apply: {audit}"
    );
    assert_eq!(findings(&audit["tiers"]), vec![], "{context}: {audit}");
    let ingress = rule_ids(&workspace, "aws_vpc_security_group_ingress_rule.cluster");
    let egress = rule_ids(&workspace, "aws_vpc_security_group_egress_rule.cluster");
    assert!(
        ingress.len() >= 20 && !egress.is_empty(),
        "{context}: {} ingress and {} egress rules applied",
        ingress.len(),
        egress.len()
    );
    assert_no_changes(&workspace, &vars, &context);

    let groups = out["security_group_ids"]["value"].clone();
    let (code, report) = cli_audit(&moto, CLUSTER_SELECTION, &groups);
    assert_eq!(code, Some(0), "{context}: portmatrix audit: {report}");
    assert_eq!(findings(&report["tiers"]), vec![], "{context}: {report}");

    // A platform added later: new rules apply next to the existing ones, keys of the old ones stay.
    std::fs::write(workspace.path().join("metallb_override.tf"), WITH_METALLB)
        .expect("write the override");
    let apply = terraform_ok(&workspace, &["apply", "-auto-approve"], &vars);
    assert!(
        apply.stdout.contains(", 0 destroyed."),
        "{context}: adding MetalLB must only add rules:\n{}",
        apply.stdout
    );
    let after = rule_ids(&workspace, "aws_vpc_security_group_ingress_rule.cluster");
    assert!(
        after.len() > ingress.len() && ingress.iter().all(|rule| after.contains(rule)),
        "{context}: every earlier rule keeps its key and ID"
    );
    assert_eq!(
        outputs(&workspace)["audit"]["value"]["compliant"],
        true,
        "{context}: audit after adding MetalLB"
    );
    assert_no_changes(&workspace, &vars, &context);
    std::fs::remove_file(workspace.path().join("metallb_override.tf"))
        .expect("remove the override");
    terraform_ok(&workspace, &["apply", "-auto-approve"], &vars);

    // One rule revoked out of band: the audit reports exactly that rule, and the next plan puts it back.
    let (key, rule_id) = ingress
        .iter()
        .find(|(key, _)| key == "master:tcp:6443:203.0.113.0/24")
        .cloned()
        .unwrap_or_else(|| panic!("{context}: no API rule for the clients in {ingress:?}"));
    moto.ec2(
        "revoke",
        &json!({"group_id": groups["master"], "egress": false, "rule_id": rule_id}),
    );
    let (code, report) = cli_audit(&moto, CLUSTER_SELECTION, &groups);
    assert_eq!(code, Some(1), "{context}: audit after the revoke: {report}");
    assert_eq!(
        findings(&report["tiers"]),
        vec![("missing".to_string(), key.clone())],
        "{context}: {report}"
    );
    let mut args = vec!["plan", "-detailed-exitcode", "-input=false", "-no-color"];
    args.extend(vars.iter().map(String::as_str));
    let plan = workspace.run(&args, &[]);
    assert_eq!(plan.code, Some(2), "{context}: {}", plan.stderr);
    assert!(
        plan.stdout.contains(&format!(
            "aws_vpc_security_group_ingress_rule.cluster[\"{key}\"] will be created"
        )),
        "{context}: the plan must recreate {key}:\n{}",
        plan.stdout
    );
}

#[test]
fn the_cluster_example_applies_audits_clean_and_replans_without_changes() {
    for terraform in terraforms() {
        apply_the_cluster_example(terraform);
    }
}

/// Kublr with Longhorn, whose `internet` and `backupstore` endpoints are both `0.0.0.0/0`: the workers' egress on
/// 443 to both is one rule in AWS's sense (an override file replaces the example's platform and endpoint blocks).
const KUBLR_WITH_LONGHORN: &str = r#"
data "portmatrix_aws_security_group_rules" "cluster" {
  platform {
    name    = "kublr"
    options = { cni = "calico", master_lb = "true" }
  }
  platform {
    name    = "longhorn"
    version = "1.9.0"
  }
  endpoint {
    name      = "internet"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
  endpoint {
    name      = "backupstore"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
  endpoint {
    name      = "kcp-node"
    cidr_ipv4 = var.kcp_cidrs
  }
  endpoint {
    name = "managed-cluster-api"
    tier = "master"
  }
  endpoint {
    name = "kubernetes-api-server"
    tier = "master"
  }
  parameters = { apiserver_port = 443, backupstore_port = 443 }
}
"#;

/// Applies `files` with `vars` against a fresh moto, plans again (no changes) and audits with the CLI, using the
/// selection Terraform stored for the rules data source; returns the applied ingress and egress rule keys.
fn apply_and_audit(
    terraform: &Terraform,
    context: &str,
    mut files: Vec<(String, String)>,
    vars: &[&str],
) -> (Vec<String>, Vec<String>) {
    let moto = Moto::start();
    let vpc = moto.ec2("create-vpc", &json!({}));
    files.push(("moto.tf".into(), moto_provider(&moto.endpoint())));
    let workspace = Workspace::installed(terraform, &files);
    let mut all_vars = vec![
        "-var".to_string(),
        format!("vpc_id={}", vpc["vpc_id"].as_str().expect("vpc_id")),
    ];
    for var in vars {
        all_vars.extend(["-var".to_string(), var.to_string()]);
    }
    let apply = terraform_ok(&workspace, &["apply", "-auto-approve"], &all_vars);
    assert!(
        apply.stdout.contains("Apply complete!"),
        "{context}: {}",
        apply.stdout
    );
    assert_no_changes(&workspace, &all_vars, context);

    let selection = tempfile::Builder::new()
        .suffix(".json")
        .tempfile()
        .expect("selection file");
    std::fs::write(
        selection.path(),
        selection_from_state(&workspace).to_string(),
    )
    .expect("write the selection");
    let groups = outputs(&workspace)["security_group_ids"]["value"].clone();
    let path = selection.path().to_string_lossy().into_owned();
    let (code, report) = cli_audit(&moto, &["--selection", &path], &groups);
    assert_eq!(code, Some(0), "{context}: portmatrix audit: {report}");
    assert_eq!(findings(&report["tiers"]), vec![], "{context}: {report}");
    let keys = |resource: &str| -> Vec<String> {
        rule_ids(&workspace, resource)
            .into_iter()
            .map(|(key, _)| key)
            .collect()
    };
    (
        keys("aws_vpc_security_group_ingress_rule.cluster"),
        keys("aws_vpc_security_group_egress_rule.cluster"),
    )
}

#[test]
fn the_kublr_deckhouse_and_shared_address_stacks_apply_and_audit_clean() {
    for terraform in terraforms() {
        let context = |name: &str| format!("Terraform {}: {name}", terraform.version);
        let kublr = example_files("examples/aws-kubernetes-cluster/kublr");
        let (ingress, egress) = apply_and_audit(
            terraform,
            &context("kublr"),
            kublr.clone(),
            &[r#"kcp_cidrs=["198.51.100.0/24"]"#],
        );
        assert!(
            !ingress.is_empty() && !egress.is_empty(),
            "{ingress:?} {egress:?}"
        );

        apply_and_audit(
            terraform,
            &context("deckhouse"),
            example_files("examples/aws-kubernetes-cluster/deckhouse"),
            &[r#"admin_cidrs=["203.0.113.0/24"]"#],
        );

        // Without the merge, AWS (and moto) refuse the second 443 rule to 0.0.0.0/0 as a duplicate.
        let mut shared = kublr;
        shared.push(("longhorn_override.tf".into(), KUBLR_WITH_LONGHORN.into()));
        let (_, egress) = apply_and_audit(
            terraform,
            &context("kublr + longhorn, internet and backupstore on 0.0.0.0/0"),
            shared,
            &[r#"kcp_cidrs=["198.51.100.0/24"]"#],
        );
        assert!(
            egress.contains(&"worker:tcp:443:0.0.0.0/0".to_string()),
            "{egress:?}"
        );
    }
}

#[test]
fn the_rules_only_example_applies_and_replans_without_changes() {
    for terraform in terraforms() {
        let workspace = Workspace::installed(
            terraform,
            &example_files("examples/aws-kubernetes-cluster/rules-only"),
        );
        let apply = terraform_ok(&workspace, &["apply", "-auto-approve"], &[]);
        assert!(apply.stdout.contains("Apply complete!"), "{}", apply.stdout);
        assert_no_changes(
            &workspace,
            &[],
            &format!("Terraform {}: rules-only", terraform.version),
        );
    }
}
