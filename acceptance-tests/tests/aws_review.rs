//! `portmatrix review` on real plans: `terraform show -json` of plans the real AWS provider makes for the AWS
//! example (no credentials, no API calls), reviewed with no flags: the selection comes from the plan's portmatrix
//! data source, and the groups from the `for_each` wiring the example uses (`local.security_group_ids[each.value.tier]`,
//! `each.value.source_tier`). A plan with one rule removed, one range widened or one extra 0.0.0.0/0 rule reports
//! exactly that.

use portmatrix_acceptance_tests::{
    example_files, portmatrix_binary, terraforms, validate_sarif, Terraform, Workspace,
};
use serde_json::Value;
use std::process::Command;

/// The AWS provider for plans only: nothing is asked of AWS while planning groups and rules.
const OFFLINE_AWS: &str = r#"
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}
"#;

/// The API rule from the workers left out of the ingress rules.
const ONE_RULE_REMOVED: &str = r#"
resource "aws_vpc_security_group_ingress_rule" "cluster" {
  for_each = { for key, rule in data.portmatrix_aws_security_group_rules.cluster.ingress : key => rule if key != "master:tcp:6443:worker" }
}
"#;

/// etcd's 2379-2380 among masters opened one port wider.
const ONE_RANGE_WIDENED: &str = r#"
resource "aws_vpc_security_group_ingress_rule" "cluster" {
  to_port = each.key == "master:tcp:2379-2380:master" ? 2381 : each.value.to_port
}
"#;

/// The kubelet opened to the whole IPv4 internet.
const KUBELET_TO_THE_WORLD: &str = r#"
resource "aws_vpc_security_group_ingress_rule" "kubelet_everywhere" {
  security_group_id = local.security_group_ids["worker"]
  ip_protocol       = "tcp"
  from_port         = 10250
  to_port           = 10250
  cidr_ipv4         = "0.0.0.0/0"
}
"#;

const VARS: &[&str] = &[
    "-var",
    "vpc_id=vpc-0123456789abcdef0",
    "-var",
    "allow_all_egress=false",
    "-var",
    r#"api_client_cidrs=["203.0.113.0/24"]"#,
    "-var",
    r#"backupstore_cidrs=["198.51.100.0/24"]"#,
];

/// The `terraform show -json` document of a plan of the parent example with `extra` files beside it.
fn plan_json(terraform: &Terraform, extra: &[(&str, &str)]) -> String {
    example_plan_json(terraform, "examples/aws-kubernetes-cluster", VARS, extra)
}

/// The `terraform show -json` document of a plan of the example in `dir` with `vars` and `extra` files.
fn example_plan_json(
    terraform: &Terraform,
    dir: &str,
    vars: &[&str],
    extra: &[(&str, &str)],
) -> String {
    let mut files = example_files(dir);
    files.push(("offline_aws.tf".into(), OFFLINE_AWS.into()));
    files.extend(extra.iter().map(|(n, t)| (n.to_string(), t.to_string())));
    let workspace = Workspace::installed(terraform, &files);
    let mut args = vec!["plan", "-input=false", "-no-color", "-out=plan.tfplan"];
    args.extend(vars);
    let plan = workspace.run(&args, &[]);
    assert!(
        plan.success,
        "plan failed:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    let show = workspace.run(&["show", "-json", "plan.tfplan"], &[]);
    assert!(show.success, "show failed: {}", show.stderr);
    show.stdout
}

/// `portmatrix review - --json ARGS` on `plan`: (exit code, report, stderr).
fn review(plan: &str, args: &[&str]) -> (Option<i32>, Value, String) {
    let (code, stdout, stderr) = run_review(plan, &[&["--json"], args].concat());
    (
        code,
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr,
    )
}

/// `portmatrix review - ARGS` on `plan`: (exit code, stdout, stderr).
fn run_review(plan: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = Command::new(portmatrix_binary())
        .args(["review", "-"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("portmatrix runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(plan.as_bytes())
        .expect("write the plan");
    let output = child.wait_with_output().expect("portmatrix finishes");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Each finding as `kind direction protocol ports peer @ resources`.
fn findings(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{} {} {} {} {} @ {}",
                f["kind"].as_str().unwrap_or_default(),
                f["direction"].as_str().unwrap_or_default(),
                f["protocol"].as_str().unwrap_or_default(),
                f["affected_ports"].as_str().unwrap_or_default(),
                f["peer"].as_str().unwrap_or_default(),
                f["resources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .collect()
}

#[test]
fn the_example_plan_reviews_clean_and_each_alteration_is_reported_exactly() {
    for terraform in terraforms() {
        let context = format!("Terraform {}", terraform.version);
        let clean = plan_json(terraform, &[]);
        let (code, report, stderr) = review(&clean, &[]);
        assert_eq!(code, Some(0), "{context}: {stderr}\n{report:#}");
        assert_eq!(findings(&report), Vec::<String>::new(), "{context}");
        let tiers: Vec<(String, Value)> = report["tiers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                (
                    t["name"].as_str().unwrap_or_default().to_string(),
                    t["groups"].clone(),
                )
            })
            .collect();
        assert_eq!(
            tiers,
            [
                (
                    "master".to_string(),
                    serde_json::json!(["aws_security_group.tier[\"master\"]"])
                ),
                (
                    "worker".to_string(),
                    serde_json::json!(["aws_security_group.tier[\"worker\"]"])
                ),
                (
                    "lb".to_string(),
                    serde_json::json!(["aws_security_group.tier[\"lb\"]"])
                ),
            ],
            "{context}: each tier's group is found through the for_each wiring"
        );
        let text = report.to_string();
        for expression in ["each.value", "local.security_group_ids"] {
            assert!(
                !text.contains(expression),
                "{context}: {expression} reported as a group: {report:#}"
            );
        }

        let removed = plan_json(terraform, &[("removed_override.tf", ONE_RULE_REMOVED)]);
        let (code, report, stderr) = review(&removed, &[]);
        assert_eq!(code, Some(1), "{context}: {stderr}");
        assert_eq!(
            findings(&report),
            ["missing ingress tcp 6443 worker @ "],
            "{context}: one rule removed (a need: no resource grants it)"
        );
        let (code, sarif, stderr) = run_review(&removed, &["--sarif"]);
        assert_eq!(code, Some(1), "{context}: {stderr}");
        let log = validate_sarif(&sarif);
        let results = log["runs"][0]["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(results.len(), 1, "{context}: {log:#}");
        assert_eq!(results[0]["ruleId"], "missing");
        assert_eq!(
            results[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            "aws_security_group.tier[\"master\"]",
            "{context}: a missing need points at its tier's group"
        );

        let widened = plan_json(terraform, &[("widened_override.tf", ONE_RANGE_WIDENED)]);
        let (code, report, _) = review(&widened, &[]);
        assert_eq!(code, Some(1), "{context}");
        assert_eq!(
            findings(&report),
            ["excess ingress tcp 2381 self @ \
              aws_vpc_security_group_ingress_rule.cluster[\"master:tcp:2379-2380:master\"]"],
            "{context}: one range widened"
        );

        let world = plan_json(terraform, &[("kubelet.tf", KUBELET_TO_THE_WORLD)]);
        let (code, report, _) = review(&world, &[]);
        assert_eq!(code, Some(1), "{context}");
        let found = findings(&report);
        assert_eq!(
            found.len(),
            1,
            "{context}: one extra 0.0.0.0/0 rule: {found:#?}"
        );
        assert!(
            found[0].starts_with("over-broad ingress tcp 10250 0.0.0.0/0 @ aws_vpc_security_group_ingress_rule.kubelet_everywhere"),
            "{context}: {found:#?}"
        );

        // A --tier matcher naming nothing in the plan is an input error, not an empty tier.
        let (code, _, stderr) = review(&clean, &["--tier", "master=sg-0000000000nothing"]);
        assert_eq!(code, Some(2), "{context}: {stderr}");
        assert!(
            stderr.contains("nothing in the plan matches"),
            "{context}: {stderr}"
        );
    }
}

#[test]
fn the_kublr_and_deckhouse_example_plans_review_clean() {
    let examples: [(&str, &[&str]); 2] = [
        (
            "examples/aws-kubernetes-cluster/kublr",
            &[
                "-var",
                "vpc_id=vpc-0123456789abcdef0",
                "-var",
                r#"kcp_cidrs=["198.51.100.0/24"]"#,
            ],
        ),
        (
            "examples/aws-kubernetes-cluster/deckhouse",
            &[
                "-var",
                "vpc_id=vpc-0123456789abcdef0",
                "-var",
                r#"admin_cidrs=["203.0.113.0/24"]"#,
            ],
        ),
    ];
    for terraform in terraforms() {
        for (dir, vars) in examples {
            let plan = example_plan_json(terraform, dir, vars, &[]);
            let (code, report, stderr) = review(&plan, &[]);
            let context = format!("Terraform {}: {dir}", terraform.version);
            assert_eq!(code, Some(0), "{context}: {stderr}\n{report:#}");
            assert_eq!(findings(&report), Vec::<String>::new(), "{context}");
            assert!(
                report["tiers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .all(|t| t["groups"].as_array().is_some_and(|g| g.len() == 1)),
                "{context}: every tier has its one group: {report:#}"
            );
        }
    }
}
