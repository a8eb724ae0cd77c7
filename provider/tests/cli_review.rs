//! `portmatrix review` on the real plan fixtures of ../shared/fixtures/plans (see its README for where each
//! comes from). Every expected finding below was derived by reading the plan JSON and the catalog rows of the
//! selection, then applying the review rules: missing = a needed flow no rule admits; over-broad = an internal
//! flow opened to 0.0.0.0/0 or ::/0 on a port no world-wide flow needs, or carried by an all-protocols rule;
//! excess = ports (or protocols) no needed flow with that peer asks for.

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

use cli_support::{fixtures, plan, run, run_with, selection};
use serde_json::Value;

/// Runs `review --json` and returns the exit code and the document.
fn review(plan_file: &str, args: &[&str]) -> (i32, Value) {
    let path = plan(plan_file);
    let mut all = vec!["review", path.as_str(), "--json"];
    all.extend_from_slice(args);
    let run = run(&all);
    let json = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {:?} stderr {:?}", run.stdout, run.stderr));
    (run.code, json)
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// `kind tiers direction protocol ports peer -> affected_ports`, one line per finding.
fn findings(json: &Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {} {} {} -> {}",
                text(&f["kind"]),
                text(&f["tiers"]),
                text(&f["direction"]),
                text(&f["protocol"]),
                text(&f["ports"]),
                text(&f["peer"]),
                text(&f["affected_ports"])
            )
        })
        .collect()
}

fn summary(json: &Value) -> [u64; 4] {
    let s = &json["summary"];
    ["checks", "missing", "excess", "over_broad"].map(|k| s[k].as_u64().expect("count"))
}

fn tiers(json: &Value) -> Vec<String> {
    json["tiers"]
        .as_array()
        .expect("tiers")
        .iter()
        .map(|t| format!("{}: {}", text(&t["name"]), text(&t["groups"])))
        .collect()
}

fn finding<'a>(json: &'a Value, ports: &str, peer: &str) -> &'a Value {
    json["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["ports"] == ports && f["peer"] == peer))
        .unwrap_or_else(|| panic!("no finding on {ports} with {peer}"))
}

/// One security group whose rules are all separate `aws_security_group_rule` resources whose
/// `security_group_id` is unknown until apply: the group comes from the configuration's references.
/// etcd on tier master: etcd -> etcd tcp 2380 (peer), etcd-clients -> etcd tcp 2379.
#[test]
fn self_rules_resolved_through_configuration_references() {
    if !fixtures() {
        return;
    }
    let file = selection(
        "[[platform]]\nname = \"etcd\"\n\n[[tier]]\nname = \"master\"\n\n[[endpoint]]\nname = \"etcd-clients\"\n\
         cidr_ipv4 = [\"10.0.0.0/16\"]\n",
        "toml",
    );
    let path = file.path().to_str().expect("path");
    let (code, json) = review(
        "aws-sg-rule-self-terraform-compliance.json",
        &["--selection", path, "--tier", "master=ecs-tasks"],
    );
    assert_eq!(code, 1);
    assert_eq!(tiers(&json), ["master: aws_security_group.ecs_task"]);
    assert_eq!(
        findings(&json),
        [
            // ingress self 0-65535 admits etcd peer traffic, but nothing admits the clients' 10.0.0.0/16.
            "missing master ingress tcp 2379 etcd-clients:10.0.0.0/16 -> 2379",
            "excess master ingress tcp 0-65535 self -> 1-2379,2381-65535",
            "excess master egress tcp 0-65535 self -> 1-2379,2381-65535",
            "excess master egress tcp 443 0.0.0.0/0 -> 443",
            "excess master egress tcp 1433 10.0.0.0/16 -> 1433",
        ]
    );
    // Three needs (2380 in, 2379 in, 2380 out) and four permissions.
    assert_eq!(summary(&json), [7, 1, 4, 0]);
    assert_eq!(
        finding(&json, "0-65535", "self")["resources"],
        serde_json::json!(["aws_security_group_rule.ecs_task_ingress_self"])
    );
    assert_eq!(json["plan"]["terraform_version"], "0.12.24");
    assert_eq!(json["warnings"], serde_json::json!([]));

    // Without --tier the group (named ecs-tasks, untagged) is on no tier: every need is missing.
    let (code, json) = review(
        "aws-sg-rule-self-terraform-compliance.json",
        &["--selection", path],
    );
    assert_eq!(code, 1);
    assert_eq!(summary(&json), [3, 3, 0, 0]);
    assert_eq!(
        json["unassigned_groups"],
        serde_json::json!(["aws_security_group.ecs_task"])
    );
}

/// Two rules on security groups the plan does not create, both from sg-8d21ab5963b0e7917.
/// etcd on master, etcd-clients on tier worker: worker -> master tcp 2379, master -> master tcp 2380.
#[test]
fn rules_on_groups_outside_the_plan_by_id() {
    if !fixtures() {
        return;
    }
    let (code, json) = review(
        "aws-sg-rule-sgref-checkov.json",
        &[
            "--platform",
            "etcd",
            "--endpoint",
            "etcd-clients=tier:worker",
            "--tier",
            "master=sg-547cc4cd5f94bb695",
            "--tier",
            "worker=sg-8d21ab5963b0e7917",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        findings(&json),
        [
            "missing master ingress tcp 2380 master -> 2380",
            "missing master ingress tcp 2379 worker -> 2379",
            "missing master egress tcp 2380 master -> 2380",
            "missing worker egress tcp 2379 master -> 2379",
            // From the worker's group, as etcd-clients, but on postgres ports.
            "excess master ingress tcp 5432-5433 sg-8d21ab5963b0e7917 -> 5432-5433",
        ]
    );
    assert_eq!(summary(&json), [5, 4, 1, 0]);
    assert_eq!(
        json["unassigned_groups"],
        serde_json::json!(["sg-547cc4cd5f94bb696"])
    );
    assert!(json["warnings"][0]
        .as_str()
        .expect("warning")
        .starts_with("tier worker matches no group of the plan (matchers: sg-8d21ab5963b0e7917)"));
}

/// Five groups, each with one inline ingress rule from 0.0.0.0/0, and no egress (Terraform removes AWS's
/// default egress rule). ingress-nginx on the host network, clients 0.0.0.0/0: clients -> worker tcp 80 and
/// 443, master -> worker tcp 8443 (admission webhook).
#[test]
fn inline_port_ranges_against_host_network_ingress() {
    if !fixtures() {
        return;
    }
    let (code, json) = review(
        "aws-sg-inline-port-ranges-regula.json",
        &[
            "--platform",
            "ingress-nginx",
            "--option",
            "exposure=hostnetwork",
            "--endpoint",
            "clients=0.0.0.0/0",
            "--tier",
            "worker=aws_security_group.invalid_allow_all",
            "--tier",
            "worker=aws_security_group.invalid_include_443",
            "--tier",
            "worker=aws_security_group.invalid_include_80",
            "--tier",
            "master=aws_security_group.valid_exact_443",
            "--tier",
            "lb=aws_security_group.valid_exact_80",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        findings(&json),
        [
            "missing master egress tcp 8443 worker -> 8443",
            // 80 and 443 are needed from everywhere; the webhook port 8443 only from the masters.
            "over-broad worker ingress tcp 0-65535 0.0.0.0/0 -> 8443",
            "excess worker ingress tcp 442-444 0.0.0.0/0 -> 442,444",
            "excess worker ingress tcp 79-81 0.0.0.0/0 -> 79,81",
            "excess master ingress tcp 443 0.0.0.0/0 -> 443",
            "excess lb ingress tcp 80 0.0.0.0/0 -> 80",
        ]
    );
    assert_eq!(summary(&json), [9, 1, 4, 1]);
}

/// Three groups in `for_each` instances of one module, each admitting every protocol from 0.0.0.0/0.
/// Kubernetes (kubeadm) on master and worker, no endpoints given.
#[test]
fn all_protocols_from_anywhere_in_module_instances() {
    if !fixtures() {
        return;
    }
    let (code, json) = review(
        "aws-sg-module-for-each-checkov.json",
        &[
            "--platform",
            "kubernetes",
            "--tier",
            "master=module.sg[\"awful_example\"]",
            "--tier",
            "worker=bad_example",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        tiers(&json),
        [
            "master: module.sg[\"awful_example\"].aws_security_group.bad",
            "worker: module.sg[\"bad_example\"].aws_security_group.bad",
            "lb: ",
        ]
    );
    assert_eq!(
        findings(&json),
        [
            // Ingress is admitted (too widely); no group has an egress rule.
            "missing master egress tcp 2379-2380 master -> 2379-2380",
            "missing master egress tcp 6443 master -> 6443",
            "missing master egress tcp 10250 master -> 10250",
            "missing master egress tcp 10250 worker -> 10250",
            "missing master egress tcp 30000-32767 worker -> 30000-32767",
            "missing master egress udp 30000-32767 worker -> 30000-32767",
            "missing worker egress tcp 6443 master -> 6443",
            // metrics-server on the workers scrapes every kubelet.
            "missing worker egress tcp 10250 master -> 10250",
            "missing worker egress tcp 10250 worker -> 10250",
            "missing worker egress tcp 30000-32767 worker -> 30000-32767",
            "missing worker egress udp 30000-32767 worker -> 30000-32767",
            "over-broad master ingress all all 0.0.0.0/0 -> all",
            "over-broad worker ingress all all 0.0.0.0/0 -> all",
        ]
    );
    // 22 needs: master 5 in and 6 out, worker 6 in and 5 out (10250 from and to every node for metrics-server).
    assert_eq!(summary(&json), [24, 11, 0, 2]);
    assert_eq!(
        json["unassigned_groups"],
        serde_json::json!(["module.sg[\"terrible_example\"].aws_security_group.bad"])
    );
    // The kubernetes catalog's api-clients, nodeport-clients and load-balancers endpoints were not given.
    let warnings = text(&json["warnings"]);
    assert!(
        warnings.contains("endpoint \"api-clients\" of kubernetes has no addresses")
            && warnings.contains("endpoint \"nodeport-clients\" of kubernetes has no addresses"),
        "{warnings}"
    );
}

/// One group: ingress tcp 443 from 0.0.0.0/0, egress every protocol to 0.0.0.0/0 and ::/0. Kublr (Canal) with
/// all its node roles on one tier, internet on both families: nodes -> nodes tcp 443, 2379-2380, 5473, 10250,
/// udp 8472; nodes -> internet tcp 53, 443, udp 53.
#[test]
fn ipv6_egress_and_a_tag_matcher() {
    if !fixtures() {
        return;
    }
    let file = selection(
        "[[platform]]\nname = \"kublr\"\n\n[[tier]]\nname = \"nodes\"\nroles = [\"kublr/node\", \"kublr/master\", \
         \"kublr/worker\"]\n\n[[endpoint]]\nname = \"internet\"\ncidr_ipv4 = [\"0.0.0.0/0\"]\ncidr_ipv6 = [\"::/0\"]\n",
        "toml",
    );
    let (code, json) = review(
        "aws-sg-ipv6-egress-kics.json",
        &[
            "--selection",
            file.path().to_str().expect("path"),
            "--tier",
            "nodes=Name=invalid",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(tiers(&json), ["nodes: aws_security_group.invalid"]);
    assert_eq!(
        findings(&json),
        [
            "missing nodes ingress tcp 2379-2380 nodes -> 2379-2380",
            "missing nodes ingress tcp 5473 nodes -> 5473",
            "missing nodes ingress tcp 10250 nodes -> 10250",
            "missing nodes ingress udp 8472 nodes -> 8472",
            // The Kublr API (workers to masters on 443) is open to the world.
            "over-broad nodes ingress tcp 443 0.0.0.0/0 -> 443",
            "over-broad nodes egress all all 0.0.0.0/0 -> all",
            "over-broad nodes egress all all ::/0 -> all",
        ]
    );
    // 16 needs: 5 in, 5 out to nodes, 3 to each internet family.
    assert_eq!(summary(&json), [19, 4, 0, 3]);
}

/// Root rules on groups created in child modules, by known IDs; the groups' inline rules repeat the separate
/// rules (a refreshed plan). ingress-nginx on the host network, clients 10.0.0.0/8; tiers by tag `function`.
#[test]
fn child_module_groups_tags_and_duplicate_rules() {
    if !fixtures() {
        return;
    }
    let (code, json) = review(
        "aws-sg-modules-sgref-terraform-compliance.json",
        &[
            "--platform",
            "ingress-nginx",
            "--option",
            "exposure=hostnetwork",
            "--endpoint",
            "clients=10.0.0.0/8",
            "--tier",
            "worker=function=appserver",
            "--tier",
            "lb=function=loadbalancer",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        tiers(&json),
        [
            "master: ",
            "worker: aws_security_group.lambda_sg,module.myapp-asg.aws_security_group.sg_asg",
            "lb: module.alb.aws_security_group.alb",
        ]
    );
    assert_eq!(
        findings(&json),
        [
            "missing master egress tcp 8443 worker -> 8443",
            "missing worker ingress tcp 8443 master -> 8443",
            // The lambda group's -1 from 10.0.0.0/8 admits the clients' 80 and 443, and everything else.
            "excess worker ingress all all 10.0.0.0/8 -> all",
            "excess worker egress all all 0.0.0.0/0 -> all",
            "excess lb ingress tcp 443 10.0.0.0/8 -> 443",
            "excess lb egress all all 0.0.0.0/0 -> all",
            "excess worker ingress tcp 22 10.0.0.0/8 -> 22",
            "excess worker ingress tcp 4000 module.alb.aws_security_group.alb -> 4000",
        ]
    );
    // 4 needs and 7 permissions (lambda 2, alb 2, sg_asg 3: its 443 from 10.0.0.0/8 is needed).
    assert_eq!(summary(&json), [11, 2, 6, 0]);
    assert_eq!(
        finding(&json, "4000", "module.alb.aws_security_group.alb")["resources"],
        serde_json::json!([
            "aws_security_group_rule.asg-ingress",
            "module.myapp-asg.aws_security_group.sg_asg.ingress[2]"
        ])
    );
    assert_eq!(
        finding(&json, "443", "10.0.0.0/8")["resources"],
        serde_json::json!([
            "aws_security_group_rule.inbound",
            "module.alb.aws_security_group.alb.ingress[0]"
        ])
    );
}

/// Four NSGs with inline rules and five separate rules attached to `testnsg` by name. Kubernetes with API and
/// NodePort clients both 10.10.10.10/32. Azure's default rules admit traffic within the virtual network (between
/// tiers) and all outbound traffic, so only the clients' needs can be missing.
#[test]
fn azure_network_security_groups() {
    if !fixtures() {
        return;
    }
    let (code, json) = review(
        "azure-nsg-rules-regula.json",
        &[
            "--platform",
            "kubernetes",
            "--endpoint",
            "api-clients=10.10.10.10/32",
            "--endpoint",
            "nodeport-clients=10.10.10.10/32",
            "--tier",
            "master=testnsg",
            "--tier",
            "worker=invalidnsg1",
            "--tier",
            "lb=validnsg1",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        findings(&json),
        [
            "missing master ingress tcp 6443 api-clients:10.10.10.10/32 -> 6443",
            "missing worker ingress udp 30000-32767 nodeport-clients:10.10.10.10/32 -> 30000-32767",
            // testrule1: tcp * from *, carrying the kubelet and node ports needed from the tiers and the client.
            "over-broad worker ingress tcp 0-65535 * -> 10250,30000-32767",
            "excess worker ingress tcp 30-50,235 10.10.10.10/32 -> 30-50,235",
            "excess master ingress tcp 18-30,88 Any -> 18-30,88",
            "excess master ingress tcp 20-25 10.10.10.10/32 -> 20-25",
            "excess master ingress tcp 20-25 * -> 20-25",
            "excess master ingress tcp 22 10.10.10.10/32 -> 22",
            "excess master ingress tcp 22,27 Any -> 22,27",
            "excess master ingress tcp 34 10.10.10.10/32 -> 34",
            "excess master ingress tcp 34 * -> 34",
            "excess lb ingress tcp 20 Internet -> 20",
            "excess lb ingress tcp 20-50,235 10.10.10.10/32 -> 20-50,235",
        ]
    );
    // 25 needs (22 between tiers, 3 from the client) and 11 permissions. metrics-server, placed on both tiers, adds
    // master in from worker and worker in from worker on 10250, and the worker's two egress needs for them.
    assert_eq!(summary(&json), [36, 2, 10, 1]);
    assert_eq!(
        json["unassigned_groups"],
        serde_json::json!(["azurerm_network_security_group.invalidnsg2"])
    );
    assert_eq!(
        finding(&json, "0-65535", "*")["message"],
        "azurerm_network_security_group.invalidnsg1.security_rule[1]: ingress tcp 0-65535 from *: opens \
         10250,30000-32767 to every address where it is needed only from master, nodeport-clients:10.10.10.10/32, \
         worker; also admits 1-10249,10251-29999,32768-65535, which no needed flow of tier worker asks for; carries \
         kubernetes: control-plane -> worker (Kubelet API); kubernetes: control-plane -> worker (NodePort Services \
         (default range)); kubernetes: metrics-server -> worker (metrics-server scrapes the Kubelet (resource \
         metrics)); kubernetes: nodeport-clients -> worker (NodePort Services (default range)); kubernetes: worker \
         -> worker (NodePort Services (default range))"
    );
}

/// Three firewalls: one disabled, two with deny rules only. ingress-nginx on the host network, clients
/// 192.168.0.44/32. Nothing is admitted; egress is implied on Google Cloud.
#[test]
fn google_cloud_deny_and_disabled_firewalls() {
    if !fixtures() {
        return;
    }
    let (code, json) = review(
        "gcp-firewall-allow-deny-terraform-validator.json",
        &[
            "--platform",
            "ingress-nginx",
            "--option",
            "exposure=hostnetwork",
            "--endpoint",
            "clients=192.168.0.44/32",
            "--tier",
            "worker=test-target_service_account1",
            "--tier",
            "master=test-target_tag1",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        tiers(&json),
        [
            // full_list_default_1 has no targets: it applies to every instance, so to every tier.
            "master: google_compute_firewall.full_list_default_1,google_compute_firewall.full_list_default_3",
            "worker: google_compute_firewall.full_list_default_1,google_compute_firewall.full_list_default_2",
            "lb: google_compute_firewall.full_list_default_1",
        ]
    );
    assert_eq!(
        findings(&json),
        [
            "missing worker ingress tcp 8443 master -> 8443",
            "missing worker ingress tcp 80 clients:192.168.0.44/32 -> 80",
            "missing worker ingress tcp 443 clients:192.168.0.44/32 -> 443",
        ]
    );
    assert_eq!(summary(&json), [4, 3, 0, 0]);
    let warnings = text(&json["warnings"]);
    for expected in [
        "google_compute_firewall.full_list_default_1: the firewall is disabled; not reviewed",
        "google_compute_firewall.full_list_default_2: deny rules are not evaluated",
        "google_compute_firewall.full_list_default_3: deny rules are not evaluated",
    ] {
        assert!(warnings.contains(expected), "{expected} in {warnings}");
    }
}

/// Four egress firewalls to 0.0.0.0/0 in child modules (`count` instances), without targets. Kublr (Canal) on
/// master and worker, internet 0.0.0.0/0: nodes need tcp 53, 443 and udp 53 to the internet, workers need 443
/// to the masters.
#[test]
fn google_cloud_egress_to_anywhere() {
    if !fixtures() {
        return;
    }
    let (code, json) = review(
        "gcp-firewall-egress-modules-checkov.json",
        &["--platform", "kublr", "--endpoint", "internet=0.0.0.0/0"],
    );
    assert_eq!(code, 1);
    let all = "module.achia_test_valid_443.google_compute_firewall.custom[0],\
               module.achia_test_valid_ports.google_compute_firewall.custom[0],\
               module.achia_test_violating_no_ports.google_compute_firewall.custom[0],\
               module.achia_test_violating_port.google_compute_firewall.custom[0]";
    assert_eq!(
        tiers(&json),
        [
            format!("master: {all}"),
            format!("worker: {all}"),
            format!("lb: {all}")
        ]
    );
    assert_eq!(
        findings(&json),
        [
            // No ingress rule at all.
            "missing master ingress tcp 2379-2380 master -> 2379-2380",
            "missing master ingress tcp 5473 master -> 5473",
            "missing master ingress tcp 10250 master -> 10250",
            "missing master ingress udp 8472 master -> 8472",
            "missing master ingress tcp 443 worker -> 443",
            "missing master ingress tcp 5473 worker -> 5473",
            "missing master ingress tcp 10250 worker -> 10250",
            "missing master ingress udp 8472 worker -> 8472",
            "missing worker ingress tcp 5473 master -> 5473",
            "missing worker ingress tcp 10250 master -> 10250",
            "missing worker ingress udp 8472 master -> 8472",
            "missing worker ingress tcp 5473 worker -> 5473",
            "missing worker ingress tcp 10250 worker -> 10250",
            "missing worker ingress udp 8472 worker -> 8472",
            // valid_443 passes: 443 to anywhere is needed (internet), which also carries workers -> masters.
            "excess master,worker,lb egress tcp 80,443 0.0.0.0/0 -> 80",
            "over-broad master,worker,lb egress tcp 0-65535 0.0.0.0/0 -> 2379-2380,5473,10250",
            "excess master,worker,lb egress tcp 80,443,3600 0.0.0.0/0 -> 80,3600",
        ]
    );
    // 34 needs (14 in, 20 out, all out implied) and 4 permissions.
    assert_eq!(summary(&json), [38, 14, 2, 1]);
}

#[test]
fn every_fixture_is_there() {
    if !fixtures() {
        return;
    }
    for name in [
        "aws-sg-inline-port-ranges-regula.json",
        "aws-sg-ipv6-egress-kics.json",
        "aws-sg-module-for-each-checkov.json",
        "aws-sg-modules-sgref-terraform-compliance.json",
        "aws-sg-rule-self-terraform-compliance.json",
        "aws-sg-rule-sgref-checkov.json",
        "azure-nsg-rules-regula.json",
        "gcp-firewall-allow-deny-terraform-validator.json",
        "gcp-firewall-egress-modules-checkov.json",
    ] {
        plan(name);
    }
}

#[test]
fn text_report_for_people() {
    if !fixtures() {
        return;
    }
    let path = plan("aws-sg-rule-sgref-checkov.json");
    let run = run(&[
        "review",
        &path,
        "--platform",
        "etcd",
        "--endpoint",
        "etcd-clients=tier:worker",
        "--tier",
        "master=sg-547cc4cd5f94bb695",
        "--tier",
        "worker=sg-8d21ab5963b0e7917",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(
            "Review of a Terraform 1.4.6 plan (format 1.1)\n\nTiers\nTIER    GROUPS\n\
             master  sg-547cc4cd5f94bb695\nworker  -\nlb      -\n\n\
             Groups on no tier (not reviewed): sg-547cc4cd5f94bb696\n\nFindings\n\
             missing     master tcp 2380 from master is needed but no ingress rule of tier master admits it; \
             needed by etcd: etcd -> etcd (peer traffic)\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "excess      aws_security_group_rule.foo: ingress tcp 5432-5433 from sg-8d21ab5963b0e7917: no needed \
             flow of tier master asks for it\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("\n5 checks: 4 missing, 1 excess, 0 over-broad.\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("warning: tier worker matches no group of the plan"),
        "{}",
        run.stderr
    );
}

#[test]
fn junit_for_ci() {
    if !fixtures() {
        return;
    }
    let path = plan("aws-sg-inline-port-ranges-regula.json");
    let run = run(&[
        "review",
        &path,
        "--junit",
        "--platform",
        "ingress-nginx",
        "--option",
        "exposure=hostnetwork",
        "--endpoint",
        "clients=0.0.0.0/0",
        "--tier",
        "worker=aws_security_group.valid_exact_80",
        "--tier",
        "worker=aws_security_group.valid_exact_443",
        "--tier",
        "master=aws_security_group.invalid_allow_all",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // Needs: master egress 8443 (missing), worker ingress 8443 from master (missing), 80 and 443 from clients.
    // Permissions: master's 0-65535 (excess: master needs no ingress), worker's 80 and 443 (pass).
    assert!(
        run.stdout.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <testsuites name=\"portmatrix review\" tests=\"7\" failures=\"3\">\n  \
             <testsuite name=\"tier master\" tests=\"2\" failures=\"2\">\n    \
             <testcase classname=\"portmatrix.master.need\" name=\"egress tcp 8443 to worker\">\n      \
             <failure type=\"missing\" message=\"master tcp 8443 to worker is needed but no egress rule of tier \
             master admits it; needed by ingress-nginx: kube-apiserver -&gt; controller-host (admission webhook \
             (hostNetwork))\">ingress-nginx: kube-apiserver -&gt; controller-host (admission webhook \
             (hostNetwork))</failure>\n    </testcase>\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("<testsuite name=\"tier worker\" tests=\"5\" failures=\"1\">\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "<testcase classname=\"portmatrix.worker.permission\" name=\"aws_security_group.valid_exact_443.ingress[0]: \
             ingress tcp 443 from 0.0.0.0/0\"/>\n"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.ends_with("  </testsuite>\n</testsuites>\n"));
}

#[test]
fn a_plan_that_matches_exits_zero() {
    if !fixtures() {
        return;
    }
    // valid_exact_443 admits 443 from 0.0.0.0/0, which is all a host-network ingress-nginx needs from its
    // clients once the admission webhook flow has nowhere to go (no master tier).
    let file = selection(
        r#"{"platform": [{"name": "ingress-nginx", "options": {"exposure": "hostnetwork"}}],
            "tier": [{"name": "edge", "roles": ["ingress-nginx/controller-host"]}],
            "endpoint": [{"name": "clients", "cidr_ipv4": ["0.0.0.0/0"]}]}"#,
        "json",
    );
    let path = plan("aws-sg-inline-port-ranges-regula.json");
    let run = run(&[
        "review",
        &path,
        "--selection",
        file.path().to_str().expect("path"),
        "--tier",
        "edge=aws_security_group.valid_exact_443",
        "--tier",
        "edge=aws_security_group.valid_exact_80",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("\nFindings\n(none)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("\n4 checks: 0 missing, 0 excess, 0 over-broad.\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn plan_from_standard_input() {
    if !fixtures() {
        return;
    }
    let text = std::fs::read_to_string(plan("aws-sg-rule-sgref-checkov.json")).expect("fixture");
    let run = run_with(
        &[
            "review",
            "-",
            "--json",
            "--platform",
            "etcd",
            "--tier",
            "master=sg-547cc4cd5f94bb695",
        ],
        &text,
        None,
    );
    // etcd-clients has no addresses: its flow is skipped, leaving 2380 between masters (in and out), and the
    // 5432-5433 rule from a group of no tier.
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(summary(&json), [3, 2, 1, 0]);
}

#[test]
fn input_errors_exit_two() {
    if !fixtures() {
        return;
    }
    let path = plan("aws-sg-rule-sgref-checkov.json");
    let cases: [(&[&str], &str); 7] = [
        (
            &["review", "/nonexistent/plan.json", "--platform", "etcd"],
            "error: cannot read the plan /nonexistent/plan.json",
        ),
        (
            &["review", &path, "--platform", "etcd", "--tier", "db=x"],
            "error: --tier db=x: the selection has no tier \"db\"; its tiers: master, worker, lb",
        ),
        (
            &["review", &path, "--platform", "nope"],
            "error: --platform nope: Unknown platform \"nope\"",
        ),
        (
            &["review", &path],
            "holds no portmatrix data source known at plan time: give the selection with --platform",
        ),
        (
            &["review", &path, "--platform", "etcd", "--tier", "master=sg-nothing"],
            "error: --tier master=sg-nothing: nothing in the plan matches \"sg-nothing\"",
        ),
        (&["review", &path, "--tier", "master"], "is not TIER=MATCH"),
        (
            &["review", &path, "--json", "--junit", "--platform", "etcd"],
            "cannot be used with",
        ),
    ];
    for (args, expected) in cases {
        let run = run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }
    let not_json = run_with(&["review", "-", "--platform", "etcd"], "not json", None);
    assert_eq!(not_json.code, 2);
    assert!(
        not_json.stderr.contains("error: - is not JSON"),
        "{}",
        not_json.stderr
    );
    let state = run_with(
        &["review", "-", "--platform", "etcd"],
        "{\"values\": {}}",
        None,
    );
    assert_eq!(state.code, 2);
    assert!(
        state.stderr.contains("no planned_values.root_module"),
        "{}",
        state.stderr
    );
}

/// A plan of Terraform 1.11 with `resources` as its root module's resources.
fn inline_plan(resources: &str) -> String {
    format!(
        r#"{{"format_version": "1.2", "terraform_version": "1.11.4",
            "planned_values": {{"root_module": {{"resources": {resources}}}}}}}"#
    )
}

/// One `aws_security_group` named master with `values`.
fn aws_group(values: &str) -> String {
    inline_plan(&format!(
        r#"[{{"address": "aws_security_group.master", "mode": "managed", "type": "aws_security_group",
              "name": "master", "values": {values}}}]"#
    ))
}

#[test]
fn warnings_name_values_as_people_write_them() {
    let ports = aws_group(
        r#"{"name": "master", "egress": [], "ingress": [
            {"protocol": "tcp", "from_port": null, "to_port": 65535, "cidr_blocks": ["10.0.0.0/8"]},
            {"protocol": "tcp", "from_port": 70000, "to_port": 80, "cidr_blocks": ["10.0.0.0/8"]}]}"#,
    );
    let run = run_with(&["review", "-", "--platform", "etcd"], &ports, None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for expected in [
        "warning: aws_security_group.master.ingress[0]: from_port unknown and to_port 65535 are not a port range",
        "warning: aws_security_group.master.ingress[1]: from_port 70000 and to_port 80 are not a port range",
    ] {
        assert!(run.stderr.contains(expected), "{expected}: {}", run.stderr);
    }
    let rule = inline_plan(
        r#"[{"address": "aws_security_group_rule.a", "mode": "managed", "type": "aws_security_group_rule",
             "values": {"protocol": "tcp", "from_port": 2380, "to_port": 2380, "security_group_id": "sg-1"}},
            {"address": "azurerm_network_security_rule.b", "mode": "managed",
             "type": "azurerm_network_security_rule",
             "values": {"access": "Allow", "direction": "sideways", "protocol": "Tcp"}}]"#,
    );
    let run = run_with(&["review", "-", "--platform", "etcd"], &rule, None);
    for expected in [
        "warning: aws_security_group_rule.a: type unknown is neither ingress nor egress",
        "warning: azurerm_network_security_rule.b: direction \"sideways\" is neither Inbound nor Outbound",
    ] {
        assert!(run.stderr.contains(expected), "{expected}: {}", run.stderr);
    }
    for debug in ["Some(", "None"] {
        assert!(!run.stderr.contains(debug), "{}", run.stderr);
    }
}

#[test]
fn structurally_wrong_plans_name_the_json_path() {
    let group = |ingress: &str| {
        aws_group(&format!(
            r#"{{"name": "master", "egress": [], "ingress": {ingress}}}"#
        ))
    };
    let cases: Vec<(String, &str)> = vec![
        (
            "[]".to_string(),
            "the document: found array, expected an object (the output of `terraform show -json PLANFILE`)",
        ),
        (
            "\"plan\"".to_string(),
            "the document: found string \"plan\", expected an object",
        ),
        (
            r#"{"planned_values": {"root_module": {}}}"#.to_string(),
            "the document: missing `format_version`",
        ),
        (
            r#"{"format_version": 1.2, "planned_values": {"root_module": {}}}"#.to_string(),
            "format_version: found floating point `1.2`, expected a string",
        ),
        (
            r#"{"format_version": "2.0", "planned_values": {"root_module": {}}}"#.to_string(),
            "format_version \"2.0\" is not a version of Terraform's JSON plan format this reader knows",
        ),
        (
            inline_plan("{}"),
            "planned_values.root_module.resources: found object, expected an array",
        ),
        (
            inline_plan(r#"[["aws_security_group.a", "managed"]]"#),
            "planned_values.root_module.resources[0]: found array, expected a resource object",
        ),
        (
            inline_plan(r#"[{"mode": "managed", "type": "aws_security_group"}]"#),
            "planned_values.root_module.resources[0]: missing `address`",
        ),
        (
            group("\"oops\""),
            "planned_values.root_module.resources[0].values.ingress: found string \"oops\", expected an array \
             (resource aws_security_group.master)",
        ),
        (
            group(r#"[{"protocol": "tcp", "from_port": true, "to_port": 22}]"#),
            "planned_values.root_module.resources[0].values.ingress[0].from_port: found boolean `true`, expected a \
             string or a whole number",
        ),
        (
            group(r#"[{"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_blocks": "10.0.0.0/8"}]"#),
            "values.ingress[0].cidr_blocks: found string \"10.0.0.0/8\", expected an array",
        ),
        (
            group(r#"[{"protocol": "tcp", "from_port": 22, "to_port": 22, "self": "yes"}]"#),
            "values.ingress[0].self: found string \"yes\", expected true or false",
        ),
        (
            aws_group(r#"{"name": "master", "tags": ["a"]}"#),
            "planned_values.root_module.resources[0].values.tags: found array, expected an object",
        ),
        (
            inline_plan(
                r#"[{"address": "google_compute_firewall.f", "mode": "managed", "type": "google_compute_firewall",
                     "values": {"allow": [{"protocol": "tcp", "ports": [22]}]}}]"#,
            ),
            "planned_values.root_module.resources[0].values.allow[0].ports[0]: found integer `22`, expected a string",
        ),
        (
            inline_plan(
                r#"[{"address": "azurerm_network_security_group.n", "mode": "managed",
                     "type": "azurerm_network_security_group", "values": {"security_rule": {"name": "a"}}}]"#,
            ),
            "planned_values.root_module.resources[0].values.security_rule: found object, expected an array",
        ),
        (
            r#"{"format_version": "1.2", "planned_values": {"root_module": {"child_modules": [{"resources": [
                {"address": "module.m.aws_vpc_security_group_ingress_rule.r", "mode": "managed",
                 "type": "aws_vpc_security_group_ingress_rule", "values": {"ip_protocol": ["tcp"]}}]}]}}}"#
                .to_string(),
            "planned_values.root_module.child_modules[0].resources[0].values.ip_protocol: found array, expected a \
             string or a whole number (resource module.m.aws_vpc_security_group_ingress_rule.r)",
        ),
        (
            r#"{"format_version": "1.2", "planned_values": {"root_module": {}},
                "configuration": {"root_module": {"module_calls": {"m": {"module": {"resources": 3}}}}}}"#
                .to_string(),
            "configuration.root_module.module_calls.m.module.resources: found integer `3`, expected an array",
        ),
    ];
    for (document, expected) in &cases {
        let run = run_with(&["review", "-", "--platform", "etcd"], document, None);
        assert_eq!(run.code, 2, "{document}: {}", run.stderr);
        assert!(
            run.stderr.contains(expected),
            "{document}\nexpected {expected}\ngot {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
}
