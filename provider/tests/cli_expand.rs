//! `portmatrix expand`: each output format and target, and the exit codes. Expected rows come from the
//! catalogs' source rows: etcd's configuration reference (client 2379, peer 2380) and Kublr's network access
//! page (seed 004: Calico BGP 179/tcp, IP-in-IP protocol 4, Kubernetes API 443 from workers to masters).

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
use serde_json::{json, Value};

const ETCD: [&str; 4] = [
    "--platform",
    "etcd",
    "--endpoint",
    "etcd-clients=10.0.0.0/16",
];

fn expand(args: &[&str]) -> cli_support::Run {
    let mut all = vec!["expand"];
    all.extend_from_slice(args);
    run(&all)
}

#[test]
fn flows_as_a_table() {
    let run = expand(&ETCD);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "SOURCE        DESTINATION  PROTOCOL  PORTS  PLATFORMS  PURPOSES\n\
         master        master       tcp       2380   etcd       peer traffic\n\
         etcd-clients  master       tcp       2379   etcd       client requests\n"
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn flows_as_csv_and_markdown() {
    let run = expand(&[&ETCD[..], &["--csv"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "SOURCE,DESTINATION,PROTOCOL,PORTS,PLATFORMS,PURPOSES\r\n\
         master,master,tcp,2380,etcd,peer traffic\r\n\
         etcd-clients,master,tcp,2379,etcd,client requests\r\n"
    );
    let run = expand(&[&ETCD[..], &["--markdown"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "| SOURCE | DESTINATION | PROTOCOL | PORTS | PLATFORMS | PURPOSES |\n\
         | --- | --- | --- | --- | --- | --- |\n\
         | master | master | tcp | 2380 | etcd | peer traffic |\n\
         | etcd-clients | master | tcp | 2379 | etcd | client requests |\n"
    );
    let run = expand(&[&ETCD[..], &["--csv", "--json"]].concat());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

#[test]
fn flows_as_json_like_the_flows_data_source() {
    let run = expand(&[&ETCD[..], &["--json"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(json["target"], "flows");
    let flow = &json["flows"][1];
    assert_eq!(flow["key"], "etcd-clients->master:tcp:2379");
    assert_eq!(flow["source_kind"], "endpoint");
    assert_eq!(flow["destination_kind"], "tier");
    assert_eq!(
        (flow["from_port"].clone(), flow["to_port"].clone()),
        (json!(2379), json!(2379))
    );
    assert_eq!(flow["icmp_type"], Value::Null);
    assert_eq!(flow["reasons"][0]["platform"], "etcd");
    assert_eq!(flow["reasons"][0]["from_role"], "etcd-clients");
    assert!(!flow["reasons"][0]["rows"]
        .as_array()
        .expect("rows")
        .is_empty());
    assert_eq!(json["flows"][0]["key"], "master->master:tcp:2380");
    assert_eq!(
        json["tiers"],
        json!([
            {"name": "master", "roles": ["etcd/etcd"]},
            {"name": "worker", "roles": []},
            {"name": "lb", "roles": []}
        ])
    );
    assert_eq!(json["warnings"], json!([]));
}

#[test]
fn aws_target_table_and_json() {
    let run = expand(&[&ETCD[..], &["--target", "aws"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "DIRECTION  KEY                          PROTOCOL  FROM_PORT  TO_PORT  PEER                        \
         DESCRIPTION\n\
         ingress    master:tcp:2379:10.0.0.0/16  tcp       2379       2379     10.0.0.0/16 (etcd-clients)  \
         portmatrix etcd: client requests\n\
         ingress    master:tcp:2380:master       tcp       2380       2380     master                      \
         portmatrix etcd: peer traffic\n\
         egress     master:tcp:2380:master       tcp       2380       2380     master                      \
         portmatrix etcd: peer traffic\n"
    );
    let run = expand(&[&ETCD[..], &["--target", "aws", "--json"]].concat());
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        json["ingress"]["master:tcp:2379:10.0.0.0/16"],
        json!({
            "tier": "master", "source_tier": null, "cidr_ipv4": "10.0.0.0/16", "cidr_ipv6": null,
            "prefix_list_id": null, "endpoints": ["etcd-clients"], "ip_protocol": "tcp", "from_port": 2379,
            "to_port": 2379, "description": "portmatrix etcd: client requests", "platforms": ["etcd"],
            "purposes": ["client requests"]
        })
    );
    assert_eq!(
        json["egress"]["master:tcp:2380:master"]["destination_tier"],
        "master"
    );
    // A group reference counts in both families; the CIDR rule in IPv4 only.
    assert_eq!(
        json["tiers"]["master"],
        json!({"ingress_ipv4": 2, "ingress_ipv6": 1, "egress_ipv4": 1, "egress_ipv6": 1, "limit": 60,
               "roles": ["etcd/etcd"]})
    );
}

#[test]
fn aws_quota_is_an_input_error() {
    let run = expand(&[&ETCD[..], &["--target", "aws", "--rules-per-group", "1"]].concat());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(
            "error: --rules-per-group: Security group rule quota exceeded: tier \"master\" needs 2 IPv4 ingress \
             rules, over the limit of 1"
        ),
        "{}",
        run.stderr
    );
    let run = expand(&[&ETCD[..], &["--target", "aws", "--rules-per-group", "0"]].concat());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("is not a rule quota"), "{}", run.stderr);
    let run = expand(&[&ETCD[..], &["--target", "nope"]].concat());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("invalid value 'nope'"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_issue_example_with_two_platforms() {
    let run = expand(&[
        "--platform",
        "kublr",
        "--option",
        "kublr:cni=calico",
        "--platform",
        "longhorn",
        "--version",
        "longhorn=1.6.0",
        "--endpoint",
        "internet=0.0.0.0/0",
        "--endpoint",
        "kubernetes-api-server=tier:master",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let flows = json["flows"].as_array().expect("flows");
    let by_key = |key: &str| {
        flows
            .iter()
            .find(|f| f["key"] == key)
            .unwrap_or_else(|| panic!("no flow {key}"))
    };
    // Kublr Table 1 with Calico: BGP and IP-in-IP between all nodes; Table 2: workers to masters on 443.
    assert_eq!(
        by_key("master->worker:tcp:179")["purposes"],
        json!(["Calico BGP"])
    );
    assert_eq!(by_key("worker->master:4:all")["ports"], "all");
    // One API server port for the selection: Kublr's table gives 443 (Longhorn's says only "Kubernetes API server
    // port"), so Longhorn's managers reach the API server on the master tier at 443 too, and nothing opens 6443.
    assert_eq!(
        by_key("worker->master:tcp:443")["platforms"],
        json!(["kublr", "longhorn"])
    );
    assert!(flows.iter().all(|f| f["ports"] != "6443"), "{flows:?}");
    assert_eq!(
        by_key("master->internet:udp:53")["destination_kind"],
        "endpoint"
    );
}

#[test]
fn selection_files_in_toml_and_json_agree() {
    let toml = selection(
        "[[platform]]\nname = \"etcd\"\n\n[[tier]]\nname = \"db\"\nroles = [\"etcd\"]\n\n[[endpoint]]\n\
         name = \"etcd-clients\"\ncidr_ipv4 = [\"10.0.0.0/16\"]\n",
        "toml",
    );
    let json = selection(
        r#"{"platforms": [{"name": "etcd"}], "tiers": [{"name": "db", "roles": ["etcd"]}],
            "endpoints": [{"name": "etcd-clients", "cidr_ipv4": ["10.0.0.0/16"]}]}"#,
        "json",
    );
    let a = expand(&["--selection", toml.path().to_str().expect("path"), "--csv"]);
    let b = expand(&["-f", json.path().to_str().expect("path"), "--csv"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(
        a.stdout,
        "SOURCE,DESTINATION,PROTOCOL,PORTS,PLATFORMS,PURPOSES\r\ndb,db,tcp,2380,etcd,peer traffic\r\n\
         etcd-clients,db,tcp,2379,etcd,client requests\r\n"
    );
}

#[test]
fn selection_files_take_extra_flows_wildcard_roles_and_mixed_endpoints() {
    let file = selection(
        "[[platform]]\nname = \"etcd\"\n\n[[tier]]\nname = \"db\"\nroles = [\"etcd/*\"]\n\n\
         [[endpoint]]\nname = \"etcd-clients\"\ntier = \"db\"\ncidr_ipv4 = [\"10.0.0.0/16\"]\n\n\
         [[endpoint]]\nname = \"bastion\"\ncidr_ipv4 = [\"192.0.2.10/32\"]\n\n\
         [[extra_flow]]\nfrom = \"bastion\"\nto = \"db\"\nprotocol = \"tcp\"\nports = [\"22\"]\n\
         description = \"SSH from the bastion\"\n",
        "toml",
    );
    let run = expand(&["--selection", file.path().to_str().expect("path"), "--csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "SOURCE,DESTINATION,PROTOCOL,PORTS,PLATFORMS,PURPOSES\r\ndb,db,tcp,2379-2380,etcd,client requests; peer traffic\r\n\
         bastion,db,tcp,22,user-defined,SSH from the bastion\r\netcd-clients,db,tcp,2379,etcd,client requests\r\n"
    );

    let bad = selection(
        "[[platform]]\nname = \"etcd\"\n\n[[extra_flow]]\nfrom = \"master\"\nto = \"wokrer\"\n\
         protocol = \"tcp\"\nports = [\"22\"]\ndescription = \"SSH\"\n",
        "toml",
    );
    let path = bad.path().to_str().expect("path");
    let run = expand(&["--selection", path]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(&format!(
            "error: {path}: extra_flow[0].to: Unknown end \"wokrer\""
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn selection_errors_exit_two_and_name_the_input() {
    let typo = selection("[[platform]]\nname = \"etcd\"\nverison = \"3.6\"\n", "toml");
    let run = expand(&["--selection", typo.path().to_str().expect("path")]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown field `verison`"),
        "{}",
        run.stderr
    );

    let bad = selection(
        "[[platform]]\nname = \"kublr\"\noptions = { cni = \"cilium\" }\n",
        "toml",
    );
    let path = bad.path().to_str().expect("path");
    let run = expand(&["--selection", path]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(&format!(
            "error: {path}: platform[0].options.cni: Invalid value for option \"cni\""
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("canal, calico, weave, flannel"),
        "{}",
        run.stderr
    );

    let run = expand(&[
        "--platform",
        "etcd",
        "--endpoint",
        "etcd-clients=10.0.0.1/16",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: --endpoint etcd-clients: \"10.0.0.1/16\" has host bits set"),
        "{}",
        run.stderr
    );
    let run = expand(&["--platform", "etcd", "--param", "apiserver_port=6443"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: --param apiserver_port: Unknown parameter \"apiserver_port\""),
        "{}",
        run.stderr
    );
    let run = expand(&["--selection", "/nonexistent.toml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("cannot read the selection file /nonexistent.toml"),
        "{}",
        run.stderr
    );
}

#[test]
fn skipped_flows_warn_on_stderr_and_still_succeed() {
    let run = expand(&["--platform", "etcd"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        "SOURCE  DESTINATION  PROTOCOL  PORTS  PLATFORMS  PURPOSES\nmaster  master       tcp       2380   etcd       peer traffic\n"
    );
    assert!(
        run.stderr
            .starts_with("warning: endpoint \"etcd-clients\" of etcd has no addresses"),
        "{}",
        run.stderr
    );
}

#[test]
fn help_documents_the_exit_codes() {
    for args in [
        &["--help"][..],
        &["expand", "--help"],
        &["review", "--help"],
        &["diagram", "--help"],
    ] {
        let help = run(args);
        assert_eq!(help.code, 0);
        // The audit subcommand adds its own words to these lines; ours must be there.
        for line in [
            "Exit codes:\n  0  success; for `review`, no findings",
            "\n  1  `review` found missing, excess or over-broad rules",
            "\n  2  usage, input",
            "output error (the message is on stderr)",
        ] {
            assert!(
                help.stdout.contains(line),
                "{args:?}: {line:?} in {}",
                help.stdout
            );
        }
    }
    assert_eq!(run(&["expand", "--bogus"]).code, 2);
}

#[test]
fn gcp_azure_and_openstack_targets() {
    let json_of = |target: &str| -> Value {
        let run = expand(&[&ETCD[..], &["--target", target, "--json"]].concat());
        assert_eq!(run.code, 0, "{target}: {}", run.stderr);
        serde_json::from_str(&run.stdout).expect("JSON")
    };
    // GCP: ingress rules on the tier's network tag; the master -> master egress needs tier_ranges (a warning).
    let gcp = json_of("gcp");
    let rule = &gcp["rules"]["pm-in-etcd-clients-to-master"];
    assert_eq!(rule["target_tags"], json!(["pm-master"]));
    assert_eq!(rule["source_ranges"], json!(["10.0.0.0/16"]));
    assert_eq!(
        rule["allow"],
        json!([{"protocol": "tcp", "ports": ["2379"]}])
    );
    assert_eq!(
        gcp["rules"]["pm-in-master-to-master"]["source_tags"],
        json!(["pm-master"])
    );
    assert!(gcp["warnings"]
        .to_string()
        .contains("egress rule(s) towards tier(s) master were not written"));
    // Azure: inbound 2379 and 2380, outbound 2380, in one shared NSG.
    let azure = json_of("azure");
    let rules = azure["rules"].as_object().expect("rules");
    assert_eq!(rules.len(), 3, "{azure}");
    let client = &azure["rules"]["pm-in-etcd-clients-to-master-tcp"];
    assert_eq!(client["direction"], "Inbound");
    assert_eq!(client["destination_port_ranges"], json!(["2379"]));
    assert_eq!(client["source_address_prefixes"], json!(["10.0.0.0/16"]));
    assert_eq!(azure["tiers"]["master"]["inbound_rules"], 2);
    assert_eq!(azure["tiers"]["master"]["outbound_rules"], 1);
    // OpenStack: a rule between tiers exists once per ethertype; the client's CIDR is IPv4 only.
    let openstack = json_of("openstack");
    let keys: Vec<&String> = openstack["ingress"]
        .as_object()
        .expect("ingress")
        .keys()
        .collect();
    assert_eq!(
        keys,
        [
            "master:IPv4:tcp:2379:etcd-clients:10.0.0.0/16",
            "master:IPv4:tcp:2380:master",
            "master:IPv6:tcp:2380:master"
        ]
    );
}

#[test]
fn flows_a_target_cannot_express_follow_the_policy() {
    // Kublr with Calico asks for IP-in-IP (protocol 4) between nodes; Azure rules cannot name protocol 4.
    let calico = [
        "--platform",
        "kublr",
        "--option",
        "cni=calico",
        "--target",
        "azure",
    ];
    let run = expand(&calico);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("master -> master 4 all (kublr: Calico IP-in-IP)"),
        "{}",
        run.stderr
    );
    let run = expand(&[&calico[..], &["--unsupported-flows", "skip"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("Calico IP-in-IP"), "{}", run.stdout);
    // Widened, the rule reads like any other in the table: a warning names it, which the JSON need not.
    let run = expand(&[&calico[..], &["--unsupported-flows", "widen"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: 8 rule(s) opened wider than the catalogs ask: pm-in-master-to-master-any, \
             pm-in-master-to-worker-any,"
        ),
        "{}",
        run.stderr
    );
    let run = expand(&[&calico[..], &["--unsupported-flows", "widen", "--json"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("opened wider"), "{}", run.stderr);
    assert!(run.stdout.contains("\"widened\""), "{}", run.stdout);
    let run = expand(&[&calico[..], &["--unsupported-flows", "maybe"]].concat());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("\"maybe\" is not a choice"),
        "{}",
        run.stderr
    );
}

/// cert-manager's compatibility pages (cert-manager/website @776e5dba, v1.3 to v1.21): the API server calls the
/// webhook pod on `webhook.securePort`, 10250 by default; on the host network the port must differ from the
/// kubelet's 10250 and the pages name none.
#[test]
fn cert_manager_webhook_follows_the_pod_network_and_the_host_network_option() {
    const HEADER: &str = "SOURCE  DESTINATION  PROTOCOL  PORTS  PLATFORMS     PURPOSES\n";
    const EMPTY: &str = "SOURCE  DESTINATION  PROTOCOL  PORTS  PLATFORMS  PURPOSES\n";
    let cert_manager =
        |extra: &[&str]| expand(&[&["--platform", "cert-manager"][..], extra].concat());

    // Pod addresses reached from the control plane (GKE's "access to your webhook pod"): a rule in routed pod
    // networks only; in an overlay the traffic rides the CNI tunnel.
    let run = cert_manager(&["--pod-network", "routed"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!(
            "{HEADER}master  worker       tcp       10250  cert-manager  admission webhook (webhook pod)\n"
        )
    );
    assert_eq!(run.stderr, "");
    let run = cert_manager(&[
        "--pod-network",
        "routed",
        "--param",
        "webhook_secure_port=10260",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "master  worker       tcp       10260  cert-manager  admission webhook (webhook pod)\n"
        ),
        "{}",
        run.stdout
    );
    let run = cert_manager(&["--pod-network", "overlay"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, EMPTY, "")
    );

    // On the host network the webhook is on the node in either pod network, on a port the user must give.
    let host = ["--option", "webhook_host_network=true"];
    let run = cert_manager(&host);
    assert_eq!((run.code, run.stdout.as_str()), (0, EMPTY));
    assert!(
        run.stderr
            .starts_with("warning: parameter \"webhook_host_port\" of cert-manager has no value"),
        "{}",
        run.stderr
    );
    for pod_network in ["overlay", "routed"] {
        let run = cert_manager(
            &[
                &host[..],
                &[
                    "--param",
                    "webhook_host_port=10260",
                    "--pod-network",
                    pod_network,
                ],
            ]
            .concat(),
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(
            run.stdout,
            format!(
                "{HEADER}master  worker       tcp       10260  cert-manager  admission webhook (webhook on the host network)\n"
            ),
            "{pod_network}"
        );
        assert_eq!(run.stderr, "", "{pod_network}");
    }
}

/// Target flags come from the targets' option definitions: each belongs to the targets that define it, a
/// required option is required, and a problem names the flag (and key, and element) to fix.
#[test]
fn target_flags_come_from_the_option_definitions() {
    let run = expand(&[&ETCD[..], &["--target", "aws", "--priority", "3"]].concat());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "--priority is not an option of --target aws (its options: --rules-per-group, --widen-to-fit, \
             --all-traffic-within-tier)"
        ),
        "{}",
        run.stderr
    );
    let run = expand(&[&ETCD[..], &["--priority", "3"]].concat());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--priority is not an option of --target flows"),
        "{}",
        run.stderr
    );
    let run = expand(&[&ETCD[..], &["--target", "nftables"]].concat());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--target nftables needs --tier-addresses"),
        "{}",
        run.stderr
    );
    let bad = [
        "--target",
        "nftables",
        "--tier-addresses",
        "master=10.0.1.0/24,zz",
    ];
    let run = expand(&[&ETCD[..], &bad[..]].concat());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "--tier-addresses master (value 2): Invalid address: \"zz\" is not an IP address or CIDR block"
        ),
        "{}",
        run.stderr
    );
    let good = [
        "--target",
        "nftables",
        "--tier-addresses",
        "master=10.0.1.0/24",
        "--json",
    ];
    let run = expand(&[&ETCD[..], &good[..]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let ruleset = json["rulesets"]["master"].as_str().expect("a ruleset");
    assert!(ruleset.contains("table inet portmatrix"), "{ruleset}");
    assert!(ruleset.contains("10.0.0.0/16"), "{ruleset}");
}

/// RKE2 left at its default CNI (canal) beside the calico platform opens both CNIs' ports: the warning names both
/// ways out in flags.
#[test]
fn a_platform_beside_an_option_that_chose_another_is_warned_of_in_flags() {
    let run = expand(&["--platform", "rke2", "--platform", "calico"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: rke2's option cni is \"canal\" (its default), yet the platform calico is selected too: the \
             rules open the ports of both. If calico is what runs, set --option rke2:cni=calico; if canal is, \
             remove --platform calico"
        ),
        "{}",
        run.stderr
    );
    let run = expand(&[
        "--platform",
        "rke2",
        "--option",
        "rke2:cni=none",
        "--platform",
        "calico",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("is selected too"), "{}", run.stderr);
}
