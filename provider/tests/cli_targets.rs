//! `portmatrix expand` against every target as its data source offers it: each option error of each target is
//! told in the command line's terms (flags, never Terraform attributes or blocks), `--help` lists every target
//! and option, user catalogs are selected like built-in ones, and a selection file may give a target's options
//! that flags then override. The wording was written from what a command-line user should be told.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod cli_support;
mod corpus;

use cli_support::{run, selection};
use portmatrix::targets;
use serde_json::Value;

/// Terraform syntax a command-line user must never read: attribute assignments and blocks.
const TERRAFORM_SYNTAX: [&str; 10] = [
    "= true",
    "= {",
    "= [",
    " = \"",
    "endpoint block",
    "tier block",
    "platform block",
    "pod_selector",
    "unsupported_flows",
    "tier_ranges",
];

/// Arguments after `expand`, and the pieces standard error must hold.
type Case = (&'static [&'static str], &'static [&'static str]);

/// Each option error of each target.
const CASES: &[Case] = &[
    // aws
    (
        &["--platform", "etcd", "--target", "aws", "--rules-per-group", "0"],
        &["Invalid --rules-per-group: 0 is not a rule quota: give a whole number from 1 to 1000"],
    ),
    (
        &["--platform", "kubernetes", "--platform", "calico", "--target", "aws", "--rules-per-group", "5"],
        &[
            "--rules-per-group: Security group rule quota exceeded: tier \"master\" needs",
            "Raise the quota with AWS and set --rules-per-group, set --widen-to-fit to open the fewest extra ports",
        ],
    ),
    // gcp
    (
        &["--platform", "etcd", "--target", "gcp", "--priority", "70000"],
        &["Invalid --priority: 70000 is not a GCP rule priority"],
    ),
    (
        &["--platform", "etcd", "--target", "gcp", "--name-prefix", "BAD"],
        &["Invalid --name-prefix \"BAD\": Write 1 to 20 characters"],
    ),
    (
        &["--platform", "etcd", "--target", "gcp", "--tier-ranges", "wroker=10.0.0.0/8"],
        &["--tier-ranges wroker: Unknown tier \"wroker\" in --tier-ranges: The tiers are: lb, master, worker."],
    ),
    (
        &["--platform", "etcd", "--target", "gcp", "--tier-ranges", "master=10.0.0.1/8"],
        &["--tier-ranges master: Invalid range for tier \"master\": \"10.0.0.1/8\" has host bits set"],
    ),
    (
        &["--platform", "etcd", "--target", "gcp", "--unsupported-flows", "maybe"],
        &["Invalid --unsupported-flows: \"maybe\" is not a choice"],
    ),
    (
        &["--platform", "cilium", "--target", "gcp"],
        &[
            "--unsupported-flows: Flows GCP firewall rules cannot express",
            "Set --unsupported-flows widen to open the whole protocol instead",
            "or --unsupported-flows skip to leave them out",
        ],
    ),
    // azure
    (
        &["--platform", "etcd", "--target", "azure", "--first-priority", "50"],
        &["Invalid --first-priority: 50 is not an NSG rule priority"],
    ),
    (
        &["--platform", "etcd", "--target", "azure", "--first-priority", "300", "--last-priority", "200"],
        &["--last-priority: Empty priority range: --last-priority (200) is below --first-priority (300)."],
    ),
    (
        &[
            "--platform", "kubernetes", "--platform", "calico", "--target", "azure", "--first-priority", "100",
            "--last-priority", "102", "--unsupported-flows", "skip",
        ],
        &[
            "--last-priority: Not enough priorities",
            "but --first-priority..--last-priority (100..102) holds 3: widen the range, or set --nsg-per-tier to give",
        ],
    ),
    (
        &["--platform", "calico", "--target", "azure"],
        &["Set --unsupported-flows widen to open the nearest rule Azure can express"],
    ),
    // openstack
    (
        &["--platform", "etcd", "--target", "openstack", "--ethertypes", "IPv5"],
        &["--ethertypes (value 1): Invalid ethertype: \"IPv5\" is not an ethertype"],
    ),
    (
        &["--platform", "etcd", "--target", "openstack", "--unsupported-flows", "never"],
        &["Invalid --unsupported-flows: \"never\" is not a choice"],
    ),
    // hcloud
    (
        &["--platform", "kubernetes", "--target", "hcloud"],
        &[
            "--tier-ranges: Tier \"master\" has no address ranges",
            "Add --tier-ranges master=<CIDR>,... with the addresses its servers use.",
        ],
    ),
    (
        &["--platform", "kubernetes", "--target", "hcloud", "--unsupported-flows", "maybe"],
        &["Invalid --unsupported-flows: \"maybe\" is not a choice"],
    ),
    // nftables
    (
        &["--platform", "etcd", "--target", "nftables"],
        &["--target nftables needs --tier-addresses"],
    ),
    (
        &["--platform", "etcd", "--target", "nftables", "--tier-addresses", "wroker=10.0.0.0/8"],
        &[
            "--tier-addresses wroker: Unknown tier: --tier-addresses names \"wroker\"",
            "add a [[tier]] entry named wroker in the --selection file",
        ],
    ),
    (
        &["--platform", "etcd", "--target", "nftables", "--tier-addresses", "master=10.0.0.300"],
        &["--tier-addresses master (value 1): Invalid address: \"10.0.0.300\" is not an IP address or CIDR block"],
    ),
    (
        &["--platform", "etcd", "--target", "nftables", "--tier-addresses", "master=10.0.1.0/24", "--input-policy", "maybe"],
        &["Invalid --input-policy"],
    ),
    (
        &["--platform", "etcd", "--target", "nftables", "--tier-addresses", "master=10.0.1.0/24", "--output-policy", "maybe"],
        &["Invalid --output-policy"],
    ),
    (
        &["--platform", "kubernetes", "--target", "nftables", "--tier-addresses", "master=10.0.1.0/24"],
        &[
            "--tier-addresses: Tier without addresses: Tier \"worker\" has no addresses",
            "Add its machines' CIDR blocks or addresses: --tier-addresses worker=10.0.1.0/24.",
        ],
    ),
    // kubernetes-network-policies
    (
        &["--platform", "longhorn", "--target", "kubernetes-network-policies", "--node-cidrs", "10.0.0.1/16"],
        &["--node-cidrs (value 1): \"10.0.0.1/16\" has host bits set"],
    ),
    (
        &["--platform", "longhorn", "--target", "kubernetes-network-policies", "--policy-types", "Both"],
        &["--policy-types (value 1): Unknown policy type \"Both\": Write \"Ingress\" or \"Egress\""],
    ),
    (
        &["--platform", "longhorn", "--version", "1.6.0", "--target", "kubernetes-network-policies"],
        &[
            "--pod-selector: role longhorn/recurring-job has no pod selector in its catalog",
            "Give its namespace and labels in --pod-selector longhorn/recurring-job=LABEL=VALUE",
        ],
    ),
    (
        &[
            "--platform", "longhorn", "--version", "1.6.0", "--target", "kubernetes-network-policies",
            "--pod-selector", "longhorn/recurring-job=app=jobs", "--name-prefix", "Bad_",
        ],
        &["Invalid --name-prefix \"Bad_\": Policy names are Kubernetes object names"],
    ),
    (
        &[
            "--platform", "longhorn", "--target", "kubernetes-network-policies", "--pod-selector",
            "longhorn/recurring-job=app",
        ],
        &["--pod-selector longhorn/recurring-job: \"app\" is not LABEL=VALUE"],
    ),
];

#[test]
fn every_target_option_error_names_flags_never_attributes() {
    let mut wrong = Vec::new();
    for (args, pieces) in CASES {
        let mut all = vec!["expand"];
        all.extend_from_slice(args);
        let run = run(&all);
        if run.code != 2 {
            wrong.push(format!("{args:?}: exit {} (want 2)", run.code));
        }
        for piece in *pieces {
            if !run.stderr.contains(piece) {
                wrong.push(format!(
                    "{args:?}: stderr lacks {piece:?}\n  stderr: {}",
                    run.stderr
                ));
            }
        }
        for syntax in TERRAFORM_SYNTAX {
            if run.stderr.contains(syntax) {
                wrong.push(format!(
                    "{args:?}: stderr holds Terraform syntax {syntax:?}\n  stderr: {}",
                    run.stderr
                ));
            }
        }
        if run.stderr.contains('\u{E000}') {
            wrong.push(format!("{args:?}: an unrendered setting in {}", run.stderr));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn warnings_name_flags_in_every_output_form() {
    let args = [
        "expand",
        "--platform",
        "longhorn",
        "--target",
        "gcp",
        "--unsupported-flows",
        "skip",
    ];
    for format in [None, Some("--json"), Some("--csv")] {
        let mut all = args.to_vec();
        all.extend(format);
        let run = run(&all);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stderr.contains("set --param backupstore_port=<port>"),
            "{}",
            run.stderr
        );
        for text in [&run.stdout, &run.stderr] {
            assert!(!text.contains("parameters = {"), "{text}");
            assert!(!text.contains('\u{E000}'), "{text}");
        }
        if format == Some("--json") {
            let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
            let warnings = json["warnings"].as_array().expect("warnings");
            assert!(
                warnings.iter().any(|w| w
                    .as_str()
                    .is_some_and(|w| w.contains("--param backupstore_port=<port>"))),
                "{warnings:?}"
            );
        }
    }
}

#[test]
fn help_lists_every_target_and_option() {
    let run = run(&["expand", "--help"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let help = run.stdout;
    let mut names: Vec<&str> = targets::all().iter().map(|t| t.name()).collect();
    names.push("kubernetes-network-policies");
    names.push("flows");
    for name in names {
        assert!(
            help.contains(&format!("- {name}:")) || help.contains(&format!("  {name}")),
            "{name} missing:\n{help}"
        );
    }
    let mut flags: Vec<String> = targets::all()
        .iter()
        .flat_map(|t| t.options())
        .map(|o| format!("--{}", o.name.replace('_', "-")))
        .collect();
    flags.extend(
        [
            "--node-cidrs",
            "--policy-types",
            "--pod-selector",
            "--user-catalog",
            "--selection",
        ]
        .map(String::from),
    );
    for flag in flags {
        let listed = help.lines().any(|line| {
            let line = line.trim_start();
            // A flag with a short form is listed as `-f, --selection`.
            let line = line
                .get(4..)
                .filter(|_| line.starts_with('-') && line.get(2..4) == Some(", "))
                .unwrap_or(line);
            line.strip_prefix(&flag)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        });
        assert!(listed, "{flag} missing:\n{help}");
    }
    assert!(help.contains("kubernetes-network-policies: "), "{help}");
    for command in ["review", "diagram", "audit"] {
        let run = cli_support::run(&[command, "--help"]);
        assert!(
            run.stdout.contains("--user-catalog <FILE>"),
            "{command}: {}",
            run.stdout
        );
    }
}

#[test]
fn help_is_written_in_the_command_lines_terms() {
    let run = run(&["expand", "--help"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let help = run.stdout;
    let syntax =
        TERRAFORM_SYNTAX
            .iter()
            .chain(&["= false", "{ master =", "[\"", "\u{E000}", "\u{E001}"]);
    for syntax in syntax {
        assert!(!help.contains(syntax), "{syntax:?} in:\n{help}");
    }
    // The option descriptions name other options as flags and suggest their values as flags take them.
    for flag in [
        "--pod-network routed",
        "--input-policy drop",
        "--tier-addresses worker=",
        "--first-priority",
    ] {
        assert!(help.contains(flag), "{flag} missing:\n{help}");
    }
}

/// A user catalog of one application: an agent mesh on TCP 7000.
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

#[test]
fn user_catalogs_are_selected_like_builtin_ones() {
    let catalog = selection(USER_CATALOG, "toml");
    let path = catalog.path().to_string_lossy().into_owned();
    let run = run(&[
        "expand",
        "--user-catalog",
        &path,
        "--platform",
        "mesh-app",
        "--target",
        "aws",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let rule = &json["ingress"]["master:tcp:7000:worker"];
    assert_eq!(rule["from_port"], 7000, "{json}");
    assert!(
        rule["description"]
            .as_str()
            .is_some_and(|d| d.contains("mesh-app")),
        "{rule}"
    );
    let run = cli_support::run(&["diagram", "--user-catalog", &path, "--platform", "mesh-app"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("7000"), "{}", run.stdout);
    // Without the document the platform is unknown.
    let run = cli_support::run(&["expand", "--platform", "mesh-app"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("Unknown platform \"mesh-app\""),
        "{}",
        run.stderr
    );
}

#[test]
fn a_selection_file_gives_target_options_and_flags_override_it() {
    let file = selection(
        "rules_per_group = 1\n[[platform]]\nname = \"etcd\"\n[[endpoint]]\nname = \"etcd-clients\"\ncidr_ipv4 = [\"10.0.0.0/16\"]\n",
        "toml",
    );
    let path = file.path().to_string_lossy().into_owned();
    let run = cli_support::run(&["expand", "--selection", &path, "--target", "aws"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("over the limit of 1"), "{}", run.stderr);
    let run = cli_support::run(&[
        "expand",
        "--selection",
        &path,
        "--target",
        "aws",
        "--rules-per-group",
        "60",
        "--endpoint",
        "etcd-clients=10.1.0.0/16",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let keys: Vec<&String> = json["ingress"]
        .as_object()
        .expect("ingress")
        .keys()
        .collect();
    assert_eq!(
        keys,
        ["master:tcp:2379:10.1.0.0/16", "master:tcp:2380:master"]
    );
}
