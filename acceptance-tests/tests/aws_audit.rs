//! `portmatrix_aws_security_group_audit` under every Terraform, and `portmatrix audit`, against a real EC2 API:
//! moto's server on loopback (`acceptance-tests/setup.sh` installs it).
//!
//! Each test creates one security group per tier (without AWS's default allow-all egress, as Terraform's
//! `aws_security_group` leaves them), applies every rule `portmatrix_aws_security_group_rules` produces for the
//! selection through the EC2 API (boto3, one authorize call per rule), and audits. The expected findings follow
//! from what the test did to the groups, never from the provider's output: all rules applied gives no finding;
//! one rule revoked gives exactly that rule missing; the kubelet port opened to 0.0.0.0/0 on the workers gives
//! exactly that rule over-broad.
//!
//! The selection is Kubernetes (kubeadm ports) with Calico. The two rules the test changes come from
//! shared/reference/ports.md §4, kubernetes/website "Ports and Protocols": control plane "TCP | Inbound |
//! 2379-2380 | etcd server client API | kube-apiserver, etcd" (a master-to-master rule) and worker node "TCP |
//! Inbound | 10250 | Kubelet API | Self, Control plane" (worker from master).

use portmatrix_acceptance_tests::moto::{free_port, Moto};
use portmatrix_acceptance_tests::{
    portmatrix_binary, terraforms, validate_sarif, Terraform, Workspace,
};
use serde_json::{json, Value};
use std::process::Command;

const TIERS: [&str; 3] = ["lb", "master", "worker"];

/// The selection, as data source arguments.
const SELECTION: &str = r#"
  platform {
    name = "kubernetes"
  }
  platform {
    name = "calico"
  }
  endpoint {
    name      = "api-clients"
    cidr_ipv4 = ["10.20.0.0/16"]
  }
  endpoint {
    name      = "nodeport-clients"
    cidr_ipv4 = ["10.20.0.0/16"]
  }
  endpoint {
    name = "load-balancers"
    tier = "lb"
  }
"#;

/// The same selection as a `portmatrix` selection file.
const SELECTION_TOML: &str = r#"
[[platform]]
name = "kubernetes"

[[platform]]
name = "calico"

[[endpoint]]
name = "api-clients"
cidr_ipv4 = ["10.20.0.0/16"]

[[endpoint]]
name = "nodeport-clients"
cidr_ipv4 = ["10.20.0.0/16"]

[[endpoint]]
name = "load-balancers"
tier = "lb"
"#;

/// etcd among the control plane nodes (ports.md §4, control plane, 2379-2380).
const ETCD: &str = "master:tcp:2379-2380:master";
/// The kubelet of the workers, reached from the control plane (ports.md §4, worker node, 10250).
const KUBELET: &str = "worker:tcp:10250:master";

/// Groups in moto holding every rule of the selection.
struct Cluster {
    moto: Moto,
    groups: Value,
    rules: Value,
    rule_ids: Value,
}

impl Cluster {
    fn set_up(terraform: &Terraform) -> Cluster {
        let moto = Moto::start();
        let groups = moto.ec2("create-groups", &json!({ "tiers": TIERS }))["groups"].clone();
        let workspace = Workspace::new(
            terraform,
            &format!(
                r#"
data "portmatrix_aws_security_group_rules" "cluster" {{
{SELECTION}
}}

output "ingress" {{
  value = data.portmatrix_aws_security_group_rules.cluster.ingress
}}

output "egress" {{
  value = data.portmatrix_aws_security_group_rules.cluster.egress
}}
"#
            ),
        );
        let outputs = workspace.outputs();
        let rules = json!({
            "ingress": outputs["ingress"]["value"],
            "egress": outputs["egress"]["value"],
        });
        for key in [ETCD, KUBELET] {
            assert!(
                rules["ingress"].get(key).is_some(),
                "the selection lacks {key}: {}",
                rules["ingress"]
            );
        }
        let applied = moto.ec2(
            "apply",
            &json!({ "groups": groups, "ingress": rules["ingress"], "egress": rules["egress"] }),
        );
        Cluster {
            rule_ids: applied["rule_ids"].clone(),
            moto,
            groups,
            rules,
        }
    }

    fn group(&self, tier: &str) -> &str {
        self.groups[tier].as_str().expect("group id")
    }

    fn rule_count(&self) -> usize {
        ["ingress", "egress"]
            .iter()
            .map(|d| self.rules[d].as_object().map_or(0, |m| m.len()))
            .sum()
    }

    /// Revokes the applied ingress rule `key`.
    fn revoke(&self, key: &str) {
        let tier = key.split(':').next().expect("tier");
        self.moto.ec2(
            "revoke",
            &json!({
                "group_id": self.group(tier),
                "egress": false,
                "rule_id": self.rule_ids["ingress"][key],
            }),
        );
    }

    /// Applies the ingress rule `key` again.
    fn restore(&self, key: &str) {
        let mut one = serde_json::Map::new();
        one.insert(key.to_string(), self.rules["ingress"][key].clone());
        self.moto.ec2(
            "apply",
            &json!({ "groups": self.groups, "ingress": one, "egress": {} }),
        );
    }

    /// Opens the kubelet port of the workers to the world; the new rule's ID.
    fn open_kubelet_to_the_world(&self) -> String {
        let created = self.moto.ec2(
            "authorize",
            &json!({
                "group_id": self.group("worker"),
                "egress": false,
                "permission": {
                    "IpProtocol": "tcp",
                    "FromPort": 10250,
                    "ToPort": 10250,
                    "IpRanges": [{ "CidrIp": "0.0.0.0/0" }],
                },
            }),
        );
        created["rule_id"].as_str().expect("rule id").to_string()
    }

    fn security_groups_hcl(&self) -> String {
        TIERS
            .iter()
            .map(|tier| format!("    {tier} = \"{}\"", self.group(tier)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn provider_block(endpoint: &str) -> String {
    format!(
        r#"
provider "portmatrix" {{
  aws {{
    region       = "us-east-1"
    endpoint_url = "{endpoint}"
  }}
}}
"#
    )
}

fn audit_workspace(terraform: &Terraform, endpoint: &str, security_groups: &str) -> Workspace {
    Workspace::new(
        terraform,
        &format!(
            r#"
{provider}
data "portmatrix_aws_security_group_audit" "cluster" {{
{SELECTION}
  security_groups = {{
{security_groups}
  }}
}}

output "compliant" {{
  value = data.portmatrix_aws_security_group_audit.cluster.compliant
}}

output "summary" {{
  value = data.portmatrix_aws_security_group_audit.cluster.summary
}}

output "tiers" {{
  value = data.portmatrix_aws_security_group_audit.cluster.tiers
}}
"#,
            provider = provider_block(endpoint)
        ),
    )
    .with_env(&Moto::env())
}

/// Every finding of an audit's `tiers` (output or CLI JSON): (tier, kind, finding).
fn findings(tiers: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (tier, report) in tiers.as_object().expect("tiers is a map") {
        for kind in ["missing", "covered", "excess", "over_broad"] {
            for finding in report[kind].as_array().expect("a list of findings") {
                out.push((tier.clone(), kind.to_string(), finding.clone()));
            }
        }
    }
    out
}

fn summary_counts(summary: &Value) -> [u64; 6] {
    [
        "required",
        "observed",
        "missing",
        "covered",
        "excess",
        "over_broad",
    ]
    .map(|name| summary[name].as_u64().expect("a count"))
}

#[test]
fn the_data_source_finds_exactly_what_was_changed_in_the_groups() {
    let cluster = Cluster::set_up(&terraforms()[0]);
    let count = cluster.rule_count() as u64;
    let workspaces: Vec<Workspace> = terraforms()
        .iter()
        .map(|terraform| {
            audit_workspace(
                terraform,
                &cluster.moto.endpoint(),
                &cluster.security_groups_hcl(),
            )
        })
        .collect();

    for workspace in &workspaces {
        let outputs = workspace.outputs();
        let tiers = &outputs["tiers"]["value"];
        assert_eq!(findings(tiers), vec![], "all rules applied: {tiers}");
        assert_eq!(outputs["compliant"]["value"], json!(true));
        assert_eq!(
            summary_counts(&outputs["summary"]["value"]),
            [count, count, 0, 0, 0, 0]
        );
        for tier in TIERS {
            assert_eq!(tiers[tier]["security_group_id"], cluster.groups[tier]);
        }
    }

    cluster.revoke(ETCD);
    for workspace in &workspaces {
        let outputs = workspace.outputs();
        let found = findings(&outputs["tiers"]["value"]);
        assert_eq!(found.len(), 1, "{found:#?}");
        let (tier, kind, finding) = &found[0];
        assert_eq!((tier.as_str(), kind.as_str()), ("master", "missing"));
        assert_eq!(finding["key"], ETCD);
        assert_eq!(finding["direction"], "ingress");
        assert_eq!(finding["ip_protocol"], "tcp");
        assert_eq!(
            (&finding["from_port"], &finding["to_port"]),
            (&json!(2379), &json!(2380))
        );
        assert_eq!(finding["peer"], "master");
        assert_eq!(finding["rule_id"], Value::Null);
        assert_eq!(outputs["compliant"]["value"], json!(false));
        assert_eq!(
            summary_counts(&outputs["summary"]["value"]),
            [count, count - 1, 1, 0, 0, 0]
        );
    }

    cluster.restore(ETCD);
    let world = cluster.open_kubelet_to_the_world();
    for workspace in &workspaces {
        let outputs = workspace.outputs();
        let found = findings(&outputs["tiers"]["value"]);
        assert_eq!(found.len(), 1, "{found:#?}");
        let (tier, kind, finding) = &found[0];
        assert_eq!((tier.as_str(), kind.as_str()), ("worker", "over_broad"));
        assert_eq!(finding["rule_id"], world.as_str());
        assert_eq!(finding["peer"], "0.0.0.0/0");
        assert_eq!(finding["key"], Value::Null);
        assert_eq!(
            (&finding["from_port"], &finding["to_port"]),
            (&json!(10250), &json!(10250))
        );
        let detail = finding["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(KUBELET), "{detail}");
        assert_eq!(outputs["compliant"]["value"], json!(false));
        assert_eq!(
            summary_counts(&outputs["summary"]["value"]),
            [count, count + 1, 0, 0, 0, 1]
        );
    }

    // The documented wiring: `compliant` in a precondition (Terraform 1.2 and later) stops the run.
    for terraform in terraforms()
        .iter()
        .filter(|t| supports_preconditions(&t.version))
    {
        let workspace = Workspace::new(
            terraform,
            &format!(
                r#"
{provider}
data "portmatrix_aws_security_group_audit" "cluster" {{
{SELECTION}
  security_groups = {{
{groups}
  }}
}}

output "security_groups_compliant" {{
  value = true
  precondition {{
    condition     = data.portmatrix_aws_security_group_audit.cluster.compliant
    error_message = "The cluster's security groups drifted from the port tables."
  }}
}}
"#,
                provider = provider_block(&cluster.moto.endpoint()),
                groups = cluster.security_groups_hcl()
            ),
        )
        .with_env(&Moto::env());
        let error = workspace.plan_error();
        assert!(
            error.contains("drifted from the port tables"),
            "Terraform {}: {error}",
            terraform.version
        );
    }
}

fn supports_preconditions(version: &str) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (1, 2)
}

#[test]
fn unreadable_groups_are_diagnostics_naming_the_group_and_the_call() {
    let moto = Moto::start();
    let groups = moto.ec2("create-groups", &json!({ "tiers": TIERS }))["groups"].clone();
    let missing = "sg-0000000000000dead";
    let hcl = format!(
        "    lb = \"{}\"\n    master = \"{}\"\n    worker = \"{missing}\"",
        groups["lb"].as_str().unwrap_or_default(),
        groups["master"].as_str().unwrap_or_default()
    );
    let nobody = format!("http://127.0.0.1:{}", free_port());
    for terraform in terraforms() {
        let error = audit_workspace(terraform, &moto.endpoint(), &hcl).plan_error();
        for wanted in [
            &format!("DescribeSecurityGroups failed for {missing} (tier worker)"),
            "InvalidGroup.NotFound",
        ] {
            assert!(
                error.contains(wanted),
                "Terraform {}: {error}",
                terraform.version
            );
        }
        assert!(!error.contains("panic"), "{error}");

        let error = audit_workspace(terraform, &nobody, &hcl).plan_error();
        assert!(
            error.contains("DescribeSecurityGroups failed for"),
            "Terraform {}: {error}",
            terraform.version
        );
        assert!(error.contains("Check the endpoint"), "{error}");

        let error =
            audit_workspace(terraform, &moto.endpoint(), "    worker = \"workers\"").plan_error();
        assert!(error.contains("Invalid security group ID"), "{error}");

        // The provider block is checked before anything is read.
        let error = audit_workspace(terraform, "127.0.0.1:5000", &hcl).plan_error();
        assert!(error.contains("Invalid endpoint_url"), "{error}");
    }
}

#[test]
fn credentials_stay_out_of_logs_and_state() {
    const SECRET: &str = "portmatrix-test-secret-key-never-logged";
    const TOKEN: &str = "portmatrix-test-session-token-never-logged";
    let moto = Moto::start();
    let groups = moto.ec2("create-groups", &json!({ "tiers": TIERS }))["groups"].clone();
    let hcl = TIERS
        .iter()
        .map(|tier| {
            format!(
                "    {tier} = \"{}\"",
                groups[tier].as_str().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    for terraform in terraforms() {
        let workspace = audit_workspace(terraform, &moto.endpoint(), &hcl).with_env(&[
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_SESSION_TOKEN", TOKEN),
        ]);
        let run = workspace.run(
            &["apply", "-input=false", "-no-color", "-auto-approve"],
            &[("TF_LOG", "trace")],
        );
        assert!(run.success, "{}", run.stderr);
        assert!(
            run.stdout.contains("compliant"),
            "the audit ran: {}",
            run.stdout
        );
        let state =
            std::fs::read_to_string(workspace.path().join("terraform.tfstate")).expect("state");
        for (place, text) in [
            ("log", &run.stderr),
            ("output", &run.stdout),
            ("state", &state),
        ] {
            for secret in [SECRET, TOKEN] {
                assert!(
                    !text.contains(secret),
                    "Terraform {}: a credential is in the {place}",
                    terraform.version
                );
            }
        }
    }
}

/// Runs `portmatrix audit` with the selection file and the cluster's groups.
fn cli(
    dir: &std::path::Path,
    endpoint: &str,
    groups: &Value,
    extra: &[&str],
) -> (i32, String, String) {
    let selection = dir.join("selection.toml");
    std::fs::write(&selection, SELECTION_TOML).expect("write the selection");
    let mut command = Command::new(portmatrix_binary());
    command
        .args(["audit", "--selection"])
        .arg(&selection)
        .args(["--region", "us-east-1", "--endpoint-url", endpoint]);
    for tier in TIERS {
        command.arg("--security-group").arg(format!(
            "{tier}={}",
            groups[tier].as_str().unwrap_or_default()
        ));
    }
    command.args(extra).envs(Moto::env());
    let output = command.output().expect("portmatrix runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_cli_exits_0_when_compliant_1_when_not_2_on_errors() {
    let cluster = Cluster::set_up(&terraforms()[0]);
    let count = cluster.rule_count() as u64;
    let dir = tempfile::tempdir().expect("temp dir");
    let endpoint = cluster.moto.endpoint();

    let (code, text, stderr) = cli(dir.path(), &endpoint, &cluster.groups, &[]);
    assert_eq!(code, 0, "{text}{stderr}");
    assert!(
        text.starts_with(&format!(
            "compliant: 0 missing, 0 over-broad, 0 excess, 0 covered ({count} required rules and {count} group \
             rules compared in 3 groups)"
        )),
        "{text}"
    );

    cluster.revoke(ETCD);
    let (code, json_text, stderr) = cli(dir.path(), &endpoint, &cluster.groups, &["--json"]);
    assert_eq!(code, 1, "{json_text}{stderr}");
    let report: Value = serde_json::from_str(&json_text).expect("JSON");
    let found = findings(&report["tiers"]);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1.as_str()),
        ("master", "missing")
    );
    assert_eq!(found[0].2["key"], ETCD);
    assert_eq!(report["compliant"], json!(false));
    let (code, sarif, stderr) = cli(dir.path(), &endpoint, &cluster.groups, &["--sarif"]);
    assert_eq!(code, 1, "{sarif}{stderr}");
    let log = validate_sarif(&sarif);
    let results = log["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(results.len(), 1, "{log:#}");
    assert_eq!(results[0]["ruleId"], "missing");
    assert_eq!(
        results[0]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        format!(
            "master ({})",
            cluster.groups["master"].as_str().unwrap_or_default()
        )
    );

    cluster.restore(ETCD);
    let world = cluster.open_kubelet_to_the_world();
    let (code, text, stderr) = cli(dir.path(), &endpoint, &cluster.groups, &[]);
    assert_eq!(code, 1, "{text}{stderr}");
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("worker (")).collect();
    assert_eq!(rows.len(), 1, "{text}");
    for wanted in [
        "over-broad",
        "ingress",
        "10250",
        "0.0.0.0/0",
        world.as_str(),
    ] {
        assert!(rows[0].contains(wanted), "{wanted} not in {}", rows[0]);
    }
    assert!(
        text.contains("NOT compliant: 0 missing, 1 over-broad"),
        "{text}"
    );

    let mut groups = cluster.groups.clone();
    groups["worker"] = json!("sg-0000000000000dead");
    let (code, text, stderr) = cli(dir.path(), &endpoint, &groups, &[]);
    assert_eq!(code, 2, "{text}{stderr}");
    assert!(
        stderr.contains("DescribeSecurityGroups failed for sg-0000000000000dead (tier worker)"),
        "{stderr}"
    );

    let nobody = format!("http://127.0.0.1:{}", free_port());
    let (code, text, stderr) = cli(dir.path(), &nobody, &cluster.groups, &[]);
    assert_eq!(code, 2, "{text}{stderr}");
    assert!(
        stderr.contains("DescribeSecurityGroups failed for"),
        "{stderr}"
    );
}

#[test]
fn an_explicit_profile_is_the_only_source_of_credentials() {
    let moto = Moto::start();
    let groups = moto.ec2("create-groups", &json!({ "tiers": TIERS }))["groups"].clone();
    let dir = tempfile::tempdir().expect("temp dir");
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        "[audit]\naws_access_key_id = profiled\naws_secret_access_key = profiled\n",
    )
    .expect("write the credentials file");
    let run = |profile: &str| {
        let selection = dir.path().join("selection.toml");
        std::fs::write(&selection, SELECTION_TOML).expect("write the selection");
        let mut command = Command::new(portmatrix_binary());
        command
            .args(["audit", "--selection"])
            .arg(&selection)
            .args(["--region", "us-east-1", "--endpoint-url", &moto.endpoint()])
            .args(["--profile", profile]);
        for tier in TIERS {
            command.arg("--security-group").arg(format!(
                "{tier}={}",
                groups[tier].as_str().unwrap_or_default()
            ));
        }
        // The environment's credentials are valid for moto: a profile that falls back to them would pass.
        command
            .envs(Moto::env())
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials);
        let output = command.output().expect("portmatrix runs");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stderr) = run("nosuch");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("configuration failed: profile \"nosuch\" gives no credentials"),
        "the error names the profile: {stderr}"
    );
    // The groups are empty, so a successful read reports missing rules: exit 1, not 2.
    let (code, stderr) = run("audit");
    assert_eq!(code, 1, "{stderr}");
}
