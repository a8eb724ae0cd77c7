//! The provider under real Terraform CLIs: plan, outputs, diagnostics, schema, logs, shutdown and reattach.

use portmatrix_acceptance_tests::{provider_binary, terraforms, Workspace, PROVIDER_ADDRESS};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Every platform the catalog issue names, as the product documents them.
const PLATFORMS: [&str; 27] = [
    "aks",
    "calico",
    "canal",
    "cert-manager",
    "cilium",
    "deckhouse",
    "eks",
    "etcd",
    "flannel",
    "gke",
    "ingress-nginx",
    "istio",
    "k3s",
    "kube-state-metrics",
    "kube-vip",
    "kubernetes",
    "kublr",
    "linkerd",
    "longhorn",
    "metallb",
    "node-egress",
    "node-exporter",
    "rancher",
    "rke2",
    "rook-ceph",
    "ssh-admin",
    "weave",
];

const CATALOG_CONFIG: &str = r#"
data "portmatrix_catalog" "all" {}

data "portmatrix_catalog" "longhorn" {
  platform = "longhorn"
}

locals {
  longhorn_newest = data.portmatrix_catalog.longhorn.platforms[0].releases[length(data.portmatrix_catalog.longhorn.platforms[0].releases) - 1]
}

output "platform_names" {
  value = data.portmatrix_catalog.all.platform_names
}

output "longhorn_roles" {
  value = [for role in local.longhorn_newest.roles : role.name]
}

output "longhorn_apiserver_parameter" {
  value = [for p in local.longhorn_newest.parameters : p if p.name == "apiserver_port"]
}

output "release_ranges" {
  value = {
    for p in data.portmatrix_catalog.all.platforms :
    p.name => [for r in p.releases : "${r.versions} read up to ${coalesce(r.newest_read, "-")}"]
  }
}
"#;

#[test]
fn plan_shows_real_catalog_output_under_every_terraform() {
    for terraform in terraforms() {
        let workspace = Workspace::new(terraform, CATALOG_CONFIG);
        let plan = workspace.plan();
        assert!(
            plan.stdout.contains("platform_names"),
            "{}: {}",
            terraform.version,
            plan.stdout
        );
        for platform in ["\"longhorn\"", "\"deckhouse\"", "\"kublr\""] {
            assert!(
                plan.stdout.contains(platform),
                "{} plan lacks {platform}:\n{}",
                terraform.version,
                plan.stdout
            );
        }

        let outputs = workspace.outputs();
        let names: Vec<&str> = outputs["platform_names"]["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(names, PLATFORMS, "Terraform {}", terraform.version);
        let roles = outputs["longhorn_roles"]["value"].as_array().unwrap();
        for role in ["longhorn-manager", "instance-manager", "longhorn-ui"] {
            assert!(
                roles.iter().any(|r| r == role),
                "{role} missing from {roles:?}"
            );
        }
        // Longhorn's table says only "Kubernetes API server port": a parameter without a guessed default.
        let parameter = &outputs["longhorn_apiserver_parameter"]["value"][0];
        assert_eq!(parameter["name"], "apiserver_port");
        assert!(parameter["default"].is_null(), "{parameter}");
        // The platforms added from their own documentation (issue 15), with the versions whose docs were read.
        let ranges = &outputs["release_ranges"]["value"];
        for (platform, expected) in NEW_PLATFORM_RANGES {
            assert_eq!(
                ranges[*platform],
                serde_json::json!(expected),
                "Terraform {}: {platform}",
                terraform.version
            );
        }
    }
}

/// Each release of the platforms added for issue 15, as "<versions> read up to <newest_read>".
const NEW_PLATFORM_RANGES: &[(&str, &[&str])] = &[
    ("istio", &[">=1.8.0 read up to 1.30"]),
    ("linkerd", &[">=2.10.0 read up to 2.19"]),
    ("rook-ceph", &[">=1.11.0 read up to 1.20"]),
    ("kube-vip", &["* read up to -"]),
    (
        "rancher",
        &[
            ">=2.6.0, <2.7.0 read up to -",
            ">=2.10.0, <2.11.0 read up to -",
            ">=2.13.0 read up to 2.13",
        ],
    ),
];

#[test]
fn bad_input_gets_a_diagnostic_that_names_the_attribute() {
    for terraform in terraforms() {
        let workspace = Workspace::new(
            terraform,
            r#"
data "portmatrix_catalog" "typo" {
  platform = "longhron"
}
"#,
        );
        let error = workspace.plan_error();
        assert!(
            error.contains("Unknown platform \"longhron\""),
            "{}: {error}",
            terraform.version
        );
        assert!(error.contains("Set `platform` to one of:"), "{error}");
        assert!(error.contains("longhorn"), "{error}");
        // Terraform quotes the offending line when the diagnostic carries an attribute path.
        assert!(
            error.contains("platform = \"longhron\""),
            "{}: {error}",
            terraform.version
        );
    }
}

#[test]
fn an_invalid_user_catalog_names_the_document_line_and_field() {
    for terraform in terraforms() {
        let workspace = Workspace::new(
            terraform,
            r#"
data "portmatrix_catalog" "mine" {
  user_catalogs = [<<-EOT
    format = 1
    [platform]
    name = "acme"
    title = "Acme"
    versions = "*"
    summary = "x"
    colour = "blue"
  EOT
  ]
}
"#,
        );
        let error = workspace.plan_error();
        assert!(
            error.contains("Invalid user catalog"),
            "{}: {error}",
            terraform.version
        );
        assert!(error.contains("user_catalogs[0]"), "{error}");
        assert!(error.contains("colour"), "{error}");
        assert!(error.contains(":7"), "the error names line 7: {error}");
    }
}

#[test]
fn providers_schema_json_describes_the_data_sources() {
    for terraform in terraforms() {
        let workspace = Workspace::new(terraform, "data \"portmatrix_catalog\" \"all\" {}\n");
        let run = workspace.run(&["providers", "schema", "-json"], &[]);
        assert!(run.success, "{}: {}", terraform.version, run.stderr);
        let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let catalog = &schema["provider_schemas"][PROVIDER_ADDRESS]["data_source_schemas"]
            ["portmatrix_catalog"];
        let platform = &catalog["block"]["attributes"]["platform"];
        assert_eq!(platform["type"], "string");
        assert_eq!(platform["optional"], true);
        assert_eq!(platform["description_kind"], "markdown");
        assert_eq!(
            catalog["block"]["attributes"]["platforms"]["computed"],
            true
        );
        assert_eq!(catalog["block"]["description_kind"], "markdown");
    }
}

#[test]
fn provider_logs_reach_tf_log_provider_under_the_provider_name() {
    for terraform in terraforms() {
        let workspace = Workspace::new(terraform, "data \"portmatrix_catalog\" \"all\" {}\n");
        let run = workspace.run(
            &["plan", "-input=false", "-no-color"],
            &[("TF_LOG_PROVIDER", "DEBUG")],
        );
        assert!(run.success, "{}", run.stderr);
        let line = run
            .stderr
            .lines()
            .find(|line| line.contains("provider configured"))
            .unwrap_or_else(|| {
                panic!(
                    "no provider log line under {}:\n{}",
                    terraform.version, run.stderr
                )
            });
        assert!(
            line.contains("provider.terraform-provider-portmatrix"),
            "{line}"
        );
        assert!(line.contains("[INFO]"), "{line}");
        assert!(
            line.contains(&format!("terraform_version={}", terraform.version)),
            "{line}"
        );
    }
}

#[test]
fn terraform_shuts_every_provider_process_down_gracefully() {
    for terraform in terraforms() {
        let workspace = Workspace::new(terraform, "data \"portmatrix_catalog\" \"all\" {}\n");
        let run = workspace.run(
            &["plan", "-input=false", "-no-color"],
            &[("TF_LOG", "TRACE")],
        );
        assert!(run.success, "{}", run.stderr);
        let started = run.stderr.matches("starting plugin").count();
        let exited = run.stderr.matches("plugin exited").count()
            + run.stderr.matches("plugin process exited").count();
        assert!(
            started >= 2,
            "{}: expected several plugin launches, saw {started}",
            terraform.version
        );
        assert!(
            exited >= started,
            "{}: {started} launches but {exited} exits",
            terraform.version
        );
        assert!(
            !run.stderr.contains("plugin failed to exit gracefully"),
            "{}: Terraform had to kill the provider",
            terraform.version
        );
        assert!(
            run.stderr.contains("using plugin: version=6"),
            "{}",
            terraform.version
        );
    }
}

#[test]
fn debug_mode_serves_terraform_through_tf_reattach_providers() {
    let mut provider = Command::new(provider_binary())
        .arg("--debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(provider.stdout.take().unwrap());
    let reattach = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "debug mode printed no TF_REATTACH_PROVIDERS"
        );
        if let Some(value) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            break value.trim_end_matches('\'').to_string();
        }
    };
    let terraform = terraforms().last().unwrap();
    let workspace = Workspace::new(terraform, "data \"portmatrix_catalog\" \"all\" {}\noutput \"n\" { value = length(data.portmatrix_catalog.all.platform_names) }\n");
    let run = workspace.run(
        &["plan", "-input=false", "-no-color"],
        &[("TF_REATTACH_PROVIDERS", &reattach)],
    );
    assert!(run.success, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!("n = {}", PLATFORMS.len())),
        "{}",
        run.stdout
    );
    assert!(
        provider.try_wait().unwrap().is_none(),
        "an unmanaged provider outlives the Terraform run"
    );
    Command::new("kill")
        .args(["-INT", &provider.id().to_string()])
        .status()
        .unwrap();
    let status = provider.wait().unwrap();
    assert!(
        status.success(),
        "Ctrl-C stops debug mode cleanly: {status}"
    );
}
