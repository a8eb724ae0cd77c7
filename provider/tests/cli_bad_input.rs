//! What a hostile or careless user types at `portmatrix`: every subcommand with unknown flags, missing values,
//! conflicting flags, bad selection files and bad plan files. One table of (arguments, standard input, exit
//! code, a piece of standard error); each message names the flag or file at fault and says what to write
//! instead. The expected texts were written by hand, as the product ought to say it.
//!
//! `{dir}` in an argument is a temporary directory holding the files of [`files`]. Every case runs with PATH
//! holding no program (so no Graphviz), HOME in that directory and fake AWS credentials, so that no case can
//! reach a real AWS account or read the user's configuration.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Arguments, standard input, exit code, a piece of standard error.
type Case = (&'static [&'static str], &'static str, i32, &'static str);

/// The files the cases read, by name.
fn files() -> Vec<(&'static str, Vec<u8>)> {
    let text = |s: &str| s.as_bytes().to_vec();
    let group = |values: &str| {
        text(&format!(
            r#"{{"format_version": "1.2", "planned_values": {{"root_module": {{"resources": [
                {{"address": "aws_security_group.master", "mode": "managed", "type": "aws_security_group",
                  "values": {values}}}]}}}}}}"#
        ))
    };
    vec![
        // Selection files.
        ("empty.toml", Vec::new()),
        ("aws-options.toml", text("rules_per_group = 5\n[[platform]]\nname = \"etcd\"\n")),
        ("aws-bad-option.toml", text("rules_per_group = \"many\"\n[[platform]]\nname = \"etcd\"\n")),
        ("not-a-catalog.toml", text("[platform]\nname = \"x\"\n")),
        ("etcd-again.toml", text(include_str!("../catalogs/etcd-3.4.toml"))),
        ("broken.toml", text("not = [toml")),
        ("broken.json", text("{\"platform\": [")),
        ("array.json", text("[1, 2]")),
        ("binary.toml", vec![0xff, 0xfe, 0x00, 0x81, 0x9c, 0x00]),
        ("platform-string.toml", text("platform = \"etcd\"\n")),
        ("name-number.toml", text("[[platform]]\nname = 3\n")),
        ("name-number.json", text(r#"{"platform": [{"name": 3}]}"#)),
        ("unknown-platform.toml", text("[[platform]]\nname = \"nope\"\n")),
        ("unknown-field.toml", text("[[platform]]\nname = \"etcd\"\ncolour = \"red\"\n")),
        ("bad-version.toml", text("[[platform]]\nname = \"etcd\"\nversion = \"banana\"\n")),
        ("old-version.toml", text("[[platform]]\nname = \"etcd\"\nversion = \"2.0\"\n")),
        ("bad-option.toml", text("[[platform]]\nname = \"kublr\"\n[platform.options]\ncni = \"nope\"\n")),
        ("twice.toml", text("[[platform]]\nname = \"etcd\"\n[[platform]]\nname = \"etcd\"\n")),
        (
            "unknown-role.toml",
            text("[[platform]]\nname = \"etcd\"\n[[tier]]\nname = \"db\"\nroles = [\"nosuch\"]\n"),
        ),
        ("bad-tier-name.toml", text("[[platform]]\nname = \"etcd\"\n[[tier]]\nname = \"Bad Name!\"\n")),
        (
            "duplicate-tier.toml",
            text("[[platform]]\nname = \"etcd\"\n[[tier]]\nname = \"master\"\n[[tier]]\nname = \"master\"\n"),
        ),
        ("tier-object.json", text(r#"{"platform": [{"name": "etcd"}], "tier": {"name": "x"}}"#)),
        (
            "bad-cidr.toml",
            text("[[platform]]\nname = \"etcd\"\n[[endpoint]]\nname = \"etcd-clients\"\ncidr_ipv4 = [\"10.0.0.300/8\"]\n"),
        ),
        (
            "host-bits.toml",
            text("[[platform]]\nname = \"etcd\"\n[[endpoint]]\nname = \"etcd-clients\"\ncidr_ipv4 = [\"10.1.2.3/8\"]\n"),
        ),
        (
            "v4-as-v6.toml",
            text("[[platform]]\nname = \"etcd\"\n[[endpoint]]\nname = \"etcd-clients\"\ncidr_ipv6 = [\"10.0.0.0/8\"]\n"),
        ),
        (
            "cidr-string.toml",
            text("[[platform]]\nname = \"etcd\"\n[[endpoint]]\nname = \"etcd-clients\"\ncidr_ipv4 = \"10.0.0.0/8\"\n"),
        ),
        (
            "unknown-endpoint.toml",
            text("[[platform]]\nname = \"etcd\"\n[[endpoint]]\nname = \"nosuch\"\ncidr_ipv4 = [\"10.0.0.0/8\"]\n"),
        ),
        ("big-port.toml", text("[[platform]]\nname = \"longhorn\"\n[parameters]\nbackupstore_port = 99999\n")),
        ("port-string.toml", text("[[platform]]\nname = \"longhorn\"\n[parameters]\nbackupstore_port = \"9000\"\n")),
        ("pod-network.toml", text("pod_network = \"mesh\"\n[[platform]]\nname = \"etcd\"\n")),
        ("api-port.toml", text("api_server_port = 0\n[[platform]]\nname = \"etcd\"\n")),
        // Plans.
        ("plan.tfplan", b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec()),
        ("binary.json", vec![0x00, 0xff, 0xfe, 0x7b]),
        ("empty.json", text("  \n")),
        ("deep.json", text(&format!("{}{}", "[".repeat(500), "]".repeat(500)))),
        ("huge-number.json", text(r#"{"format_version": "1.2", "planned_values": {"root_module": {}}, "x": 1e400}"#)),
        ("state.json", text(r#"{"format_version": "1.0", "values": {"root_module": {}}}"#)),
        ("top-array.json", text(r#"[{"format_version": "1.2"}]"#)),
        ("no-format.json", text(r#"{"planned_values": {"root_module": {}}}"#)),
        (
            "resources-object.json",
            text(r#"{"format_version": "1.2", "planned_values": {"root_module": {"resources": {}}}}"#),
        ),
        ("ingress-string.json", group(r#"{"name": "master", "ingress": "oops"}"#)),
        (
            "port-overflow.json",
            group(
                r#"{"name": "master", "ingress": [{"protocol": "tcp", "from_port": 100000000000000000000,
                    "to_port": 22, "cidr_blocks": ["10.0.0.0/8"]}]}"#,
            ),
        ),
        ("plan.json", group(r#"{"name": "master", "ingress": [], "egress": []}"#)),
        (
            "data-options-list.json",
            text(
                r#"{"format_version": "1.2", "planned_values": {"root_module": {"resources": [
                    {"address": "data.portmatrix_flows.this", "mode": "data", "type": "portmatrix_flows",
                      "values": {"platform": [{"name": "etcd", "options": ["x"]}]}}]}}}"#,
            ),
        ),
        (
            "data-unknown-platform.json",
            text(
                r#"{"format_version": "1.2", "planned_values": {"root_module": {"resources": [
                    {"address": "data.portmatrix_flows.this", "mode": "data", "type": "portmatrix_flows",
                      "values": {"platform": [{"name": "nope", "options": null}]}}]}}}"#,
            ),
        ),
        // Documents for `catalog verify`.
        ("binary.md", vec![0xc3, 0x28, 0xa0, 0xa1]),
    ]
}

/// The table.
fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = vec![
        // The program and its subcommands.
        (&[], "", 2, "Usage: portmatrix <COMMAND>"),
        (&["bogus"], "", 2, "unrecognized subcommand 'bogus'"),
        (&["--verbose"], "", 2, "unexpected argument '--verbose' found"),
        (&["-x"], "", 2, "unexpected argument '-x' found"),
        (&["catalog"], "", 2, "Usage: portmatrix catalog <COMMAND>"),
        (&["catalog", "lst"], "", 2, "tip: a similar subcommand exists: 'list'"),
        // catalog list / show / diff / verify.
        (&["catalog", "list", "--yaml"], "", 2, "unexpected argument '--yaml' found"),
        (&["catalog", "list", "extra"], "", 2, "unexpected argument 'extra' found"),
        (&["catalog", "show"], "", 2, "required arguments were not provided:\n  <PLATFORM>"),
        (&["catalog", "show", "nope"], "", 2, "unknown platform \"nope\"; valid platforms: aks, calico, canal"),
        (&["catalog", "show", "etcd", "--version"], "", 2, "a value is required for '--version <VERSION>'"),
        (&["catalog", "show", "etcd", "--version", "banana"], "", 2, "--version banana: invalid version \"banana\": write e.g. \"1.5.2\""),
        (&["catalog", "show", "etcd", "--version", "2.0"], "", 2, "--version 2.0: no release of etcd covers version 2.0.0; releases cover: >=3.4.0"),
        (&["catalog", "show", "etcd", "--option", "cni"], "", 2, "\"cni\" is not KEY=VALUE (e.g. cni=calico)"),
        (&["catalog", "show", "etcd", "--option", "=calico"], "", 2, "\"=calico\" is not KEY=VALUE"),
        (&["catalog", "show", "kublr", "--option", "nosuch=1"], "", 2, "--option nosuch: kublr"),
        (&["catalog", "show", "kublr", "--option", "nosuch=1"], "", 2, "has no option \"nosuch\"; valid options: cni"),
        (&["catalog", "show", "kublr", "--option", "cni=nope"], "", 2, "--option cni: option \"cni\" of kublr"),
        (&["catalog", "show", "kublr", "--option", "cni=calico", "--option", "cni=weave"], "", 2, "option \"cni\" is given more than once"),
        (&["catalog", "diff", "etcd"], "", 2, "required arguments were not provided:\n  <FROM>\n  <TO>"),
        (&["catalog", "diff", "nope", "1", "2"], "", 2, "unknown platform \"nope\"; valid platforms:"),
        (&["catalog", "diff", "k3s", "1.30", "banana"], "", 2, "version banana: invalid version \"banana\""),
        (&["catalog", "verify", "longhorn", "--document", "{dir}/binary.md"], "", 2, "required arguments were not provided:\n  --version <VERSION>"),
        (&["catalog", "verify", "longhorn", "--version", "1.7.0"], "", 2, "required arguments were not provided:\n  --document <FILE>"),
        (&["catalog", "verify", "nope", "--version", "1.0", "--document", "{dir}/binary.md"], "", 2, "unknown platform \"nope\""),
        (&["catalog", "verify", "longhorn", "--version", "banana", "--document", "{dir}/binary.md"], "", 2, "--version banana: invalid version"),
        (&["catalog", "verify", "longhorn", "--version", "1.7.0", "--document", "{dir}/missing.md"], "", 2, "--document {dir}/missing.md: No such file or directory"),
        (&["catalog", "verify", "longhorn", "--version", "1.7.0", "--document", "{dir}"], "", 2, "--document {dir}: Is a directory"),
        (&["catalog", "verify", "longhorn", "--version", "1.7.0", "--document", "{dir}/binary.md"], "", 2, "--document {dir}/binary.md: not text (UTF-8): give the upstream page as published"),
        (&["catalog", "verify", "longhorn", "--version", "1.7.0", "--document", "{dir}/binary.md", "--source", "nosuch"], "", 2, "--source nosuch: longhorn (longhorn-1.5.toml) has no source \"nosuch\"; give one of: networking"),
        // expand: flags.
        (&["expand"], "", 2, "no platform selected: give --platform NAME (repeatable) or --selection FILE"),
        (&["expand", "--platform"], "", 2, "a value is required for '--platform <NAME>'"),
        (&["expand", "--platform", "nope"], "", 2, "--platform nope: Unknown platform \"nope\""),
        (&["expand", "--platform", "nope"], "", 2, "--platform nope: Unknown platform \"nope\": Valid platforms: aks, calico,"),
        (&["expand", "--platform", "Kubernetes"], "", 2, "Valid platforms: aks, calico, canal, cert-manager, cilium, deckhouse, eks, etcd, flannel, gke, ingress-nginx, istio, k3s, kube-state-metrics, kube-vip, kubernetes, kublr, linkerd, longhorn, metallb, node-egress, node-exporter, rancher, rke2, rook-ceph, ssh-admin, weave. Platform names are lower-case: \"kubernetes\"."),
        (&["expand", "--platform", "etcd", "--platform", "etcd"], "", 2, "--platform etcd: Platform \"etcd\" is selected twice"),
        (&["expand", "--platform", "etcd", "--platform", "etcd"], "", 2, "Select each platform once: keep one --platform etcd with all of its options."),
        (&["expand", "--platform", "kubernetes", "--param", "apiserver_port=1234", "--api-server-port", "6443"], "", 2, "--api-server-port is 6443 but --param apiserver_port is 1234: remove --param apiserver_port."),
        (&["expand", "--platform", "etcd", "--target", "nft"], "", 2, "invalid value 'nft' for '--target <TARGET>'\n  [possible values: flows, aws, gcp, azure, openstack, hcloud, nftables, kubernetes-network-policies]"),
        (&["expand", "--platform", "etcd", "--target"], "", 2, "a value is required for '--target <TARGET>'"),
        (&["expand", "--platform", "etcd", "--json", "--csv"], "", 2, "the argument '--json' cannot be used with '--csv'"),
        (&["expand", "--platform", "etcd", "--markdown", "--json"], "", 2, "the argument '--markdown' cannot be used with '--json'"),
        (&["expand", "--platform", "etcd", "--version", "1.2.3.4"], "", 2, "--platform etcd: Unsupported version: Invalid version \"1.2.3.4\""),
        (&["expand", "--platform", "etcd", "--version", "2.0"], "", 2, "No release of etcd covers version 2.0.0; releases cover: >=3.4.0"),
        (&["expand", "--platform", "etcd", "--version", "kublr=1.0"], "", 2, "--version kublr=1.0: \"kublr\" is not a selected platform (selected: etcd); add --platform kublr"),
        (&["expand", "--platform", "etcd", "--platform", "kublr", "--version", "3.5"], "", 2, "--version 3.5: several platforms are selected; write PLATFORM=VERSION"),
        (&["expand", "--platform", "etcd", "--version", "etcd=3.5", "--version", "etcd=3.6"], "", 2, "--version: etcd is given more than one version"),
        (&["expand", "--platform", "etcd", "--option", "cni=calico"], "", 2, "--platform etcd: Unknown option \"cni\""),
        (&["expand", "--platform", "kublr", "--option", "cni=nope"], "", 2, "--platform kublr: Invalid value for option \"cni\""),
        (&["expand", "--platform", "kublr", "--option", "cni"], "", 2, "--option cni: write PLATFORM:KEY=VALUE (e.g. kublr:cni=calico)"),
        (&["expand", "--platform", "kublr", "--option", "=calico"], "", 2, "--option =calico: the option name is empty"),
        (&["expand", "--platform", "kublr", "--option", "etcd:x=1"], "", 2, "--option etcd:x=1: \"etcd\" is not a selected platform (selected: kublr); add --platform etcd"),
        (&["expand", "--platform", "kublr", "--platform", "etcd", "--option", "cni=calico"], "", 2, "--option cni=calico: several platforms are selected; write PLATFORM:KEY=VALUE"),
        (&["expand", "--platform", "etcd", "--endpoint", "etcd-clients"], "", 2, "--endpoint etcd-clients: write NAME=CIDR[,CIDR...] (e.g. internet=0.0.0.0/0)"),
        (&["expand", "--platform", "etcd", "--endpoint", "=10.0.0.0/8"], "", 2, "--endpoint =10.0.0.0/8: write NAME=CIDR"),
        (&["expand", "--platform", "etcd", "--endpoint", "etcd-clients=10.0.0.1/8"], "", 2, "--endpoint etcd-clients: \"10.0.0.1/8\" has host bits set: Write the network address \"10.0.0.0/8\""),
        (&["expand", "--platform", "etcd", "--endpoint", "etcd-clients=banana"], "", 2, "--endpoint etcd-clients: \"banana\" is not an IPv4 CIDR block: Write it like \"10.0.0.0/8\""),
        (&["expand", "--platform", "etcd", "--endpoint", "etcd-clients=10.0.0.0/33"], "", 2, "\"10.0.0.0/33\" is not an IPv4 CIDR block"),
        (&["expand", "--platform", "etcd", "--endpoint", "etcd-clients=2001:db8::1/32"], "", 2, "\"2001:db8::1/32\" has host bits set: Write the network address \"2001:db8::/32\""),
        (&["expand", "--platform", "etcd", "--endpoint", "nosuch=10.0.0.0/8"], "", 2, "--endpoint nosuch: Unknown endpoint \"nosuch\": The selected platforms name these endpoints (and roles running outside your tiers): etcd-clients"),
        (&["expand", "--platform", "etcd", "--endpoint", "etcd-clients=tier:nosuch"], "", 2, "--endpoint etcd-clients: Unknown tier \"nosuch\": Name one of your tiers: master, worker, lb"),
        (&["expand", "--platform", "longhorn", "--param", "backupstore_port=abc"], "", 2, "--param backupstore_port=abc: write NAME=PORT (e.g. backupstore_port=9000)"),
        (&["expand", "--platform", "longhorn", "--param", "backupstore_port=70000"], "", 2, "--param backupstore_port: Parameter \"backupstore_port\" is not a port: 70000 is outside 1..65535"),
        (&["expand", "--platform", "longhorn", "--param", "backupstore_port=0"], "", 2, "--param backupstore_port: Parameter \"backupstore_port\" is not a port: 0 is outside 1..65535"),
        (&["expand", "--platform", "longhorn", "--param", "backupstore_port=-1"], "", 2, "-1 is outside 1..65535"),
        (&["expand", "--platform", "longhorn", "--param", "backupstore_port=99999999999999999999"], "", 2, "--param backupstore_port: Parameter \"backupstore_port\" is not a port: 99999999999999999999 is outside 1..65535"),
        (&["expand", "--platform", "kubernetes", "--endpoint", "api-clients="], "", 2, "--endpoint api-clients=: no address after \"=\" (an unset variable?)"),
        (&["expand", "--platform", "kubernetes", "--endpoint", "api-clients= , "], "", 2, "--endpoint api-clients= , : no address after"),
        (&["expand", "--platform", "longhorn", "--param", "nosuch=1"], "", 2, "--param nosuch: Unknown parameter \"nosuch\": Parameters of the selected platforms: apiserver_port, backupstore_port"),
        (&["expand", "--platform", "longhorn", "--param", "backupstore_port=1", "--param", "backupstore_port=2"], "", 2, "--param: backupstore_port is given more than once"),
        (&["expand", "--platform", "etcd", "--api-server-port", "70000"], "", 2, "--api-server-port: --api-server-port is not a port: 70000 is outside 1..65535"),
        (&["expand", "--platform", "etcd", "--api-server-port", "x"], "", 2, "invalid value 'x' for '--api-server-port <PORT>'"),
        (&["expand", "--platform", "etcd", "--pod-network", "mesh"], "", 2, "--pod-network mesh: unknown pod network \"mesh\"; write \"overlay\""),
        (&["expand", "--platform", "etcd", "--target", "aws", "--rules-per-group", "0"], "", 2, "Invalid --rules-per-group: 0 is not a rule quota: give a whole number from 1 to 1000"),
        (&["expand", "--platform", "etcd", "--target", "aws", "--rules-per-group", "1001"], "", 2, "Invalid --rules-per-group: 1001 is not a rule quota"),
        (&["expand", "--platform", "etcd", "--target", "gcp", "--unsupported-flows", "maybe"], "", 2, "\"maybe\" is not a choice: write \"error\""),
        // expand: selection files.
        // expand: a selection file's target options, and flags over the file.
        (&["expand", "--selection", "{dir}/aws-options.toml"], "", 2, "{dir}/aws-options.toml: unknown field `rules_per_group`: a selection file holds platform, tier, endpoint, extra_flow, parameters, api_server_port and pod_network"),
        (&["expand", "--selection", "{dir}/aws-options.toml", "--target", "gcp"], "", 2, "unknown field `rules_per_group`: a selection file holds platform, tier, endpoint, extra_flow, parameters, api_server_port and pod_network, and the options of --target gcp: name_prefix"),
        (&["expand", "--selection", "{dir}/aws-bad-option.toml", "--target", "aws"], "", 2, "--selection: rules_per_group: expected a number (or give --rules-per-group)"),
        (&["expand", "--selection", "{dir}/aws-options.toml", "--target", "aws", "--rules-per-group", "0"], "", 2, "Invalid --rules-per-group: 0 is not a rule quota"),
        (&["expand", "--selection", "{dir}/aws-options.toml", "--target", "aws", "--version", "2.0"], "", 2, "No release of etcd covers version 2.0.0"),
        (&["review", "{dir}/plan.json", "--selection", "{dir}/aws-options.toml"], "", 2, "unknown field `rules_per_group`"),
        // --user-catalog, for every command that takes a selection.
        (&["expand", "--platform", "etcd", "--user-catalog", "{dir}/missing.toml"], "", 2, "--user-catalog {dir}/missing.toml: cannot read it: No such file or directory"),
        (&["expand", "--platform", "etcd", "--user-catalog", "{dir}/not-a-catalog.toml"], "", 2, "--user-catalog: invalid user catalog: {dir}/not-a-catalog.toml"),
        (&["expand", "--platform", "etcd", "--user-catalog", "{dir}/etcd-again.toml"], "", 2, "--user-catalog: conflicting user catalog"),
        (&["diagram", "--platform", "etcd", "--user-catalog", "{dir}/not-a-catalog.toml"], "", 2, "--user-catalog: invalid user catalog"),
        (&["review", "{dir}/plan.json", "--platform", "etcd", "--user-catalog", "{dir}/not-a-catalog.toml"], "", 2, "--user-catalog: invalid user catalog"),
        (&["expand", "--selection"], "", 2, "a value is required for '--selection <FILE>'"),
        (&["expand", "--selection", "{dir}/missing.toml"], "", 2, "cannot read the selection file {dir}/missing.toml: No such file or directory"),
        (&["expand", "--selection", "{dir}"], "", 2, "cannot read the selection file {dir}: Is a directory"),
        (&["expand", "--selection", "{dir}/binary.toml"], "", 2, "{dir}/binary.toml is not text (UTF-8): give a selection file in TOML or JSON"),
        (&["expand", "--selection", "{dir}/empty.toml"], "", 2, "{dir}/empty.toml: platform: No platform selected: Select at least one platform, e.g. --platform kubernetes."),
        (&["expand", "--selection", "{dir}/broken.toml"], "", 2, "{dir}/broken.toml: TOML parse error at line 1, column 12"),
        (&["expand", "--selection", "{dir}/broken.json"], "", 2, "{dir}/broken.json is not JSON (EOF while parsing a list"),
        (&["expand", "--selection", "{dir}/array.json"], "", 2, "{dir}/array.json: the selection is not a JSON object: write {\"platform\": [{\"name\": \"etcd\"}]"),
        (&["expand", "--selection", "{dir}/platform-string.toml"], "", 2, "{dir}/platform-string.toml: platform: TOML parse error at line 1"),
        (&["expand", "--selection", "{dir}/name-number.toml"], "", 2, "{dir}/name-number.toml: platform[0].name: TOML parse error at line 2, column 8"),
        (&["expand", "--selection", "{dir}/name-number.json"], "", 2, "{dir}/name-number.json: platform[0].name: invalid type: integer `3`, expected a string"),
        (&["expand", "--selection", "{dir}/unknown-platform.toml"], "", 2, "{dir}/unknown-platform.toml: platform[0].name: Unknown platform \"nope\""),
        (&["expand", "--selection", "{dir}/unknown-field.toml"], "", 2, "unknown field `colour`, expected one of `name`, `version`, `options`"),
        (&["expand", "--selection", "{dir}/bad-version.toml"], "", 2, "{dir}/bad-version.toml: platform[0].version: Unsupported version: Invalid version \"banana\""),
        (&["expand", "--selection", "{dir}/old-version.toml"], "", 2, "platform[0].version: Unsupported version: No release of etcd covers version 2.0.0"),
        (&["expand", "--selection", "{dir}/bad-option.toml"], "", 2, "{dir}/bad-option.toml: platform[0].options.cni: Invalid value for option \"cni\""),
        (&["expand", "--selection", "{dir}/twice.toml"], "", 2, "Platform \"etcd\" is selected twice"),
        (&["expand", "--selection", "{dir}/unknown-role.toml"], "", 2, "{dir}/unknown-role.toml: tier[0].roles[0]: Unknown role \"nosuch\": Valid roles of the selected platforms: etcd/etcd"),
        (&["expand", "--selection", "{dir}/bad-tier-name.toml"], "", 2, "{dir}/bad-tier-name.toml: tier[0].name: Invalid tier name \"Bad Name!\""),
        (&["expand", "--selection", "{dir}/duplicate-tier.toml"], "", 2, "tier[1].name: Duplicate tier \"master\""),
        (&["expand", "--selection", "{dir}/tier-object.json"], "", 2, "{dir}/tier-object.json: tier: invalid type: map, expected a sequence"),
        (&["expand", "--selection", "{dir}/bad-cidr.toml"], "", 2, "{dir}/bad-cidr.toml: endpoint[0].cidr_ipv4[0]: \"10.0.0.300/8\" is not an IPv4 CIDR block"),
        (&["expand", "--selection", "{dir}/host-bits.toml"], "", 2, "endpoint[0].cidr_ipv4[0]: \"10.1.2.3/8\" has host bits set: Write the network address \"10.0.0.0/8\""),
        (&["expand", "--selection", "{dir}/v4-as-v6.toml"], "", 2, "endpoint[0].cidr_ipv6[0]: \"10.0.0.0/8\" is not an IPv6 CIDR block"),
        (&["expand", "--selection", "{dir}/cidr-string.toml"], "", 2, "{dir}/cidr-string.toml: endpoint[0].cidr_ipv4: TOML parse error"),
        (&["expand", "--selection", "{dir}/unknown-endpoint.toml"], "", 2, "endpoint[0].name: Unknown endpoint \"nosuch\""),
        (&["expand", "--selection", "{dir}/big-port.toml"], "", 2, "{dir}/big-port.toml: parameters.backupstore_port: Parameter \"backupstore_port\" is not a port: 99999 is outside 1..65535"),
        (&["expand", "--selection", "{dir}/port-string.toml"], "", 2, "{dir}/port-string.toml: parameters.backupstore_port: TOML parse error at line 4"),
        (&["expand", "--selection", "{dir}/pod-network.toml"], "", 2, "{dir}/pod-network.toml: pod_network: unknown pod network \"mesh\"; write \"overlay\""),
        (&["expand", "--selection", "{dir}/api-port.toml"], "", 2, "{dir}/api-port.toml: api_server_port: --api-server-port is not a port: 0 is outside 1..65535"),
        // review.
        (&["review"], "", 2, "required arguments were not provided:\n  <PLAN>"),
        (&["review", "{dir}/missing.json", "--platform", "etcd"], "", 2, "cannot read the plan {dir}/missing.json: No such file or directory"),
        (&["review", "{dir}", "--platform", "etcd"], "", 2, "cannot read the plan {dir}: Is a directory"),
        (&["review", "{dir}/plan.tfplan", "--platform", "etcd"], "", 2, "{dir}/plan.tfplan is a saved plan file (a zip archive), not its JSON: run `terraform show -json {dir}/plan.tfplan > plan.json`"),
        (&["review", "{dir}/binary.json", "--platform", "etcd"], "", 2, "{dir}/binary.json is not text (UTF-8), so not a JSON plan: give the output of `terraform show -json PLANFILE`"),
        (&["review", "{dir}/empty.json", "--platform", "etcd"], "", 2, "{dir}/empty.json is empty: give the output of `terraform show -json PLANFILE`"),
        (&["review", "-", "--platform", "etcd"], "", 2, "- is empty: give the output of `terraform show -json PLANFILE`"),
        (&["review", "-", "--platform", "etcd"], "Plan: 3 to add", 2, "- is not JSON (expected value at line 1 column 1): give the output of `terraform show -json PLANFILE`"),
        (&["review", "{dir}/deep.json", "--platform", "etcd"], "", 2, "{dir}/deep.json is not JSON (recursion limit exceeded"),
        (&["review", "{dir}/huge-number.json", "--platform", "etcd"], "", 2, "{dir}/huge-number.json is not JSON (number out of range"),
        (&["review", "{dir}/state.json", "--platform", "etcd"], "", 2, "has no planned_values.root_module: give the output of `terraform show -json PLANFILE` (a saved plan), not of `terraform show -json` on a state"),
        (&["review", "{dir}/top-array.json", "--platform", "etcd"], "", 2, "{dir}/top-array.json: the document: found array, expected an object (the output of `terraform show -json PLANFILE`)"),
        (&["review", "{dir}/no-format.json", "--platform", "etcd"], "", 2, "{dir}/no-format.json: the document: missing `format_version`"),
        (&["review", "{dir}/resources-object.json", "--platform", "etcd"], "", 2, "planned_values.root_module.resources: found object, expected an array"),
        (&["review", "{dir}/ingress-string.json", "--platform", "etcd"], "", 2, "planned_values.root_module.resources[0].values.ingress: found string \"oops\", expected an array (resource aws_security_group.master)"),
        (&["review", "{dir}/port-overflow.json", "--platform", "etcd"], "", 2, "values.ingress[0].from_port: found floating point `1e+20`, expected a string or a whole number"),
        (&["review", "{dir}/plan.json"], "", 2, "{dir}/plan.json holds no portmatrix data source known at plan time: give the selection with --platform NAME (repeatable) or --selection FILE"),
        (&["review", "{dir}/plan.json", "--platform", "etcd", "--tier", "master"], "", 2, "\"master\" is not TIER=MATCH (e.g. master=module.masters or worker=sg-0123456789abcdef0)"),
        (&["review", "{dir}/plan.json", "--platform", "etcd", "--tier", "db=x"], "", 2, "--tier db=x: the selection has no tier \"db\"; its tiers: master, worker, lb"),
        (&["review", "{dir}/plan.json", "--platform", "etcd", "--tier", "master=sg-nothing"], "", 2, "--tier master=sg-nothing: nothing in the plan matches \"sg-nothing\""),
        (&["review", "{dir}/plan.json", "--platform", "etcd", "--json", "--junit"], "", 2, "the argument '--json' cannot be used with '--junit'"),
        (&["review", "{dir}/plan.json", "--platform", "etcd", "--junit", "--sarif"], "", 2, "the argument '--junit' cannot be used with '--sarif'"),
        (&["review", "{dir}/plan.json", "--selection", "{dir}/missing.toml"], "", 2, "cannot read the selection file {dir}/missing.toml"),
        (&["review", "{dir}/plan.json", "--platform", "nope"], "", 2, "--platform nope: Unknown platform \"nope\""),
        (&["review", "{dir}/data-options-list.json"], "", 2, "data.portmatrix_flows.this: its selection cannot be read: platform[0].options: invalid type: sequence, expected a map"),
        (&["review", "{dir}/data-unknown-platform.json"], "", 2, "data.portmatrix_flows.this: Unknown platform \"nope\""),
        // diagram.
        (&["diagram"], "", 2, "no platform selected: give --platform NAME (repeatable) or --selection FILE"),
        (&["diagram", "--platform", "etcd", "--mermaid", "--dot"], "", 2, "the argument '--mermaid' cannot be used with '--dot'"),
        (&["diagram", "--platform", "nope"], "", 2, "--platform nope: Unknown platform \"nope\""),
        (&["diagram", "--platform", "etcd", "--svg"], "", 2, "cannot run Graphviz `dot` (No such file or directory (os error 2)): install Graphviz, or print DOT with --dot"),
        (&["diagram", "--platform", "etcd", "--svg-timeout", "5"], "", 2, "required arguments were not provided:\n  --svg"),
        (&["diagram", "--platform", "etcd", "--svg", "--svg-timeout", "0"], "", 2, "invalid value '0' for '--svg-timeout <SECONDS>': 0 is not in 1..=86400"),
        (&["diagram", "--platform", "etcd", "--svg", "--svg-timeout", "soon"], "", 2, "invalid value 'soon' for '--svg-timeout <SECONDS>'"),
        (&["diagram", "--selection", "{dir}/bad-cidr.toml"], "", 2, "{dir}/bad-cidr.toml: endpoint[0].cidr_ipv4[0]"),
        // audit: everything that can be told before calling EC2.
        (&["audit", "--platform", "etcd"], "", 2, "required arguments were not provided:\n  --security-group <TIER=GROUP_ID>"),
        (&["audit", "--platform", "etcd", "--security-group", "master=x"], "", 2, "\"master=x\" is not TIER=GROUP_ID (e.g. worker=sg-0123456789abcdef0)"),
        (&["audit", "--platform", "etcd", "--security-group", "sg-0123"], "", 2, "\"sg-0123\" is not TIER=GROUP_ID"),
        (&["audit", "--platform", "etcd", "--security-group", "master=sg-1", "--security-group", "master=sg-2"], "", 2, "--security-group: tier \"master\" is given more than once"),
        (&["audit", "--platform", "etcd", "--security-group", "master=sg-1", "--region", "eu_central"], "", 2, "--region: \"eu_central\" is not an AWS region name such as \"eu-central-1\""),
        (&["audit", "--platform", "etcd", "--security-group", "master=sg-1", "--endpoint-url", "ftp://x"], "", 2, "--endpoint-url: \"ftp://x\" is not an endpoint URL: give http:// or https:// and a host"),
        (&["audit", "--platform", "etcd", "--security-group", "master=sg-1", "--assume-role-arn", "nope"], "", 2, "--assume-role-arn: \"nope\" is not an IAM role ARN such as \"arn:aws:iam::123456789012:role/audit\""),
        (&["audit", "--platform", "etcd", "--security-group", "master=sg-1", "--rules-per-group", "0"], "", 2, "invalid value '0' for '--rules-per-group <N>'"),
        (&["audit", "--platform", "etcd", "--security-group", "master=sg-1", "--rules-per-group", "1001"], "", 2, "invalid value '1001' for '--rules-per-group <N>': 1001 is not in 1..=1000"),
        (&["audit", "--platform", "etcd", "--security-group", "master=sg-1", "--json", "--sarif"], "", 2, "the argument '--json' cannot be used with '--sarif'"),
        (&["audit", "--platform", "nope", "--security-group", "master=sg-1"], "", 2, "--platform nope: Unknown platform \"nope\""),
        (&["audit", "--selection", "{dir}/missing.toml", "--security-group", "master=sg-1"], "", 2, "cannot read the selection file {dir}/missing.toml"),
        // completions and man.
        (&["completions"], "", 2, "required arguments were not provided:\n  <SHELL>"),
        (&["completions", "fish2"], "", 2, "invalid value 'fish2' for '<SHELL>'\n  [possible values: bash, elvish, fish, powershell, zsh]"),
        (&["completions", "bash", "extra"], "", 2, "unexpected argument 'extra' found"),
        (&["man", "extra"], "", 2, "unexpected argument 'extra' found"),
        (&["man", "--dir"], "", 2, "a value is required for '--dir <DIR>'"),
        (&["man", "--dir", "{dir}/missing/pages"], "", 2, "cannot write the manual pages into {dir}/missing/pages: No such file or directory"),
        (&["man", "--dir", "{dir}/plan.json"], "", 2, "cannot write the manual pages into {dir}/plan.json: Not a directory"),
    ];
    // An audit with no EC2 to reach (a closed port on loopback) fails at once and says why.
    let unreachable: &'static [&'static str] = &[
        "audit",
        "--platform",
        "etcd",
        "--endpoint",
        "etcd-clients=10.0.0.0/16",
        "--security-group",
        "master=sg-0123456789abcdef0",
        "--region",
        "eu-central-1",
        "--endpoint-url",
        "http://127.0.0.1:1",
    ];
    cases.push(if cfg!(feature = "aws-audit") {
        (
            unreachable,
            "",
            2,
            "DescribeSecurityGroups failed for sg-0123456789abcdef0 (tier master): dispatch failure: io error: \
             client error (Connect): tcp connect error: Connection refused",
        )
    } else {
        (
            unreachable,
            "",
            2,
            "this portmatrix was built without the aws-audit feature, so it cannot read security groups",
        )
    });
    cases
}

/// What one case did, or `None` when it did what the table says.
fn check(case: &Case, dir: &Path) -> Option<String> {
    let (args, stdin, code, expected) = *case;
    let dir_text = dir.display().to_string();
    let args: Vec<String> = args.iter().map(|a| a.replace("{dir}", &dir_text)).collect();
    let expected = expected.replace("{dir}", &dir_text);
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_portmatrix"))
        .args(&args)
        .env_clear()
        .env("PATH", dir.join("bin"))
        .env("HOME", dir.join("home"))
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        .env("AWS_CONFIG_FILE", dir.join("home/aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("home/aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("portmatrix starts");
    let mut input = child.stdin.take().expect("stdin");
    // A command that fails before reading its input may have closed it.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    let output = child.wait_with_output().expect("portmatrix runs");
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut wrong = Vec::new();
    if output.status.code() != Some(code) {
        wrong.push(format!(
            "exit code {:?}, expected {code}",
            output.status.code()
        ));
    }
    if !stderr.contains(&expected) {
        wrong.push(format!("stderr lacks {expected:?}"));
    }
    if stderr.contains("panicked") {
        wrong.push("it panicked".to_string());
    }
    if code == 2 && !stdout.is_empty() {
        wrong.push(format!("an error with output on stdout: {stdout:?}"));
    }
    // Bad input is answered at once: the slowest case, the unreachable EC2 endpoint, retries for a few seconds.
    if elapsed > Duration::from_secs(30) {
        wrong.push(format!("took {elapsed:?}"));
    }
    (!wrong.is_empty()).then(|| format!("{args:?}: {}\n  stderr: {stderr}", wrong.join("; ")))
}

#[test]
fn bad_input_is_refused_with_a_message_that_says_what_to_fix() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir(dir.path().join("bin")).expect("bin");
    std::fs::create_dir(dir.path().join("home")).expect("home");
    for (name, bytes) in files() {
        std::fs::write(dir.path().join(name), bytes).expect("write a case's file");
    }
    let cases = cases();
    assert!(cases.len() >= 80, "{} cases", cases.len());
    // Four at a time: each case is a process of its own.
    let chunk = cases.len().div_ceil(4);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = cases
            .chunks(chunk)
            .map(|part| {
                scope.spawn(|| {
                    part.iter()
                        .filter_map(|c| check(c, dir.path()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
