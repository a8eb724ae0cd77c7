//! Review unit tests: hand-made plans against hand-made expansions.

use super::plan::{PlanPeer, TIER_TAG};
use super::*;
use crate::catalog::{PortRange, Protocol};
use crate::engine::{EndpointAddresses, Expansion, Peer, Rule, RulePorts};
use crate::targets::fixtures::{self, endpoint, rule_of, tier};
use serde_json::{json, Value};

/// A TCP rule for one port of the made-up platform `p`.
fn tcp(from: Peer, to: Peer, port: u16, purpose: &str) -> Rule {
    rule_of("p", from, to, Protocol::Tcp, fixtures::port(port), purpose)
}

fn expansion(rules: Vec<Rule>, endpoints: &[(&str, &[&str])]) -> Expansion {
    Expansion {
        rules,
        not_needed: vec![],
        skipped: vec![],
        warnings: vec![],
        tiers: vec![("master".into(), vec![]), ("worker".into(), vec![])],
        endpoints: endpoints
            .iter()
            .map(|(name, cidrs)| {
                (
                    (*name).to_string(),
                    EndpointAddresses {
                        ipv4: cidrs.iter().map(|c| (*c).to_string()).collect(),
                        ..Default::default()
                    },
                )
            })
            .collect(),
    }
}

fn plan(resources: Value, configuration: Value) -> Plan {
    parse_plan(&json!({
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": resources}},
        "configuration": {"root_module": {"resources": configuration}}
    }))
    .unwrap()
}

fn sg(name: &str, ingress: Value, egress: Value) -> Value {
    json!({
        "address": format!("aws_security_group.{name}"), "mode": "managed", "type": "aws_security_group",
        "name": name, "values": {"name": name, "ingress": ingress, "egress": egress}
    })
}

/// A plan of the one security group `name` with the inline rules `ingress` and `egress`, and no configuration.
fn one_group(name: &str, ingress: Value, egress: Value) -> Plan {
    plan(json!([sg(name, ingress, egress)]), json!([]))
}

fn inline(protocol: &str, from: i64, to: i64, cidrs: &[&str], groups: &[&str], own: bool) -> Value {
    json!({
        "cidr_blocks": cidrs, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": groups,
        "self": own, "protocol": protocol, "from_port": from, "to_port": to, "description": ""
    })
}

/// `kind tiers direction protocol ports peer -> finding ports` lines of the failed checks.
fn findings(review: &Review) -> Vec<String> {
    review
        .findings()
        .map(|(c, f)| {
            format!(
                "{} {} {} {} {} {} -> {}",
                f.kind,
                c.tiers.join(","),
                c.direction,
                c.protocol,
                c.ports,
                c.peer,
                f.ports
            )
        })
        .collect()
}

/// The review of `plan` against `rules`, with the endpoint blocks `endpoints` and the tier map `given`.
fn reviewed(
    plan: &Plan,
    rules: Vec<Rule>,
    endpoints: &[(&str, &[&str])],
    given: &[(&str, &str)],
) -> Review {
    review(plan, &expansion(rules, endpoints), &map(given))
}

fn map(given: &[(&str, &str)]) -> TierMap {
    TierMap::new(
        &["master".to_string(), "worker".to_string()],
        &given
            .iter()
            .map(|(t, v)| ((*t).to_string(), (*v).to_string()))
            .collect::<Vec<_>>(),
    )
    .unwrap()
}

#[test]
fn a_matching_plan_has_no_findings() {
    let plan = plan(
        json!([
            sg(
                "master",
                json!([inline("tcp", 6443, 6443, &[], &["worker"], false)]),
                json!([])
            ),
            sg(
                "worker",
                json!([]),
                json!([inline("tcp", 6443, 6443, &[], &["master"], false)])
            ),
        ]),
        json!([]),
    );
    let review = reviewed(
        &plan,
        vec![tcp(tier("worker"), tier("master"), 6443, "api")],
        &[],
        &[("master", "master"), ("worker", "worker")],
    );
    assert_eq!(findings(&review), Vec::<String>::new());
    assert_eq!(
        review.tiers,
        vec![
            (
                "master".to_string(),
                vec!["aws_security_group.master".to_string()]
            ),
            (
                "worker".to_string(),
                vec!["aws_security_group.worker".to_string()]
            ),
        ]
    );
    // Two needs (ingress on master, egress on worker) and two permissions.
    assert_eq!(review.checks.len(), 4);
    assert_eq!(review.checks[0].flows, ["p: a -> b (api)"]);
}

#[test]
fn missing_excess_and_over_broad() {
    // master: kubelet 10250 open to the world, 22 from the admin block (not needed), and a -1 self rule.
    // worker: nothing at all, no egress either.
    let plan = plan(
        json!([
            sg(
                "master",
                json!([
                    inline("tcp", 10250, 10250, &["0.0.0.0/0"], &[], false),
                    inline("tcp", 22, 22, &["10.0.0.0/8"], &[], false),
                    inline("-1", 0, 0, &[], &[], true)
                ]),
                json!([])
            ),
            sg("worker", json!([]), json!([])),
        ]),
        json!([]),
    );
    let rules = vec![
        tcp(tier("master"), tier("master"), 2379, "etcd"),
        tcp(tier("worker"), tier("master"), 10250, "kubelet"),
        tcp(endpoint("admins"), tier("master"), 6443, "api"),
    ];
    let review = reviewed(
        &plan,
        rules,
        &[("admins", &["192.168.0.0/16"])],
        &[
            ("master", "aws_security_group.master"),
            ("worker", "aws_security_group.worker"),
        ],
    );
    assert_eq!(
        findings(&review),
        [
            // master -> master 2379 ingress is admitted by the -1 self rule, its egress is not.
            "missing master ingress tcp 6443 admins:192.168.0.0/16 -> 6443",
            "missing master egress tcp 2379 master -> 2379",
            "missing worker egress tcp 10250 master -> 10250",
            "over-broad master ingress all all self -> all",
            "excess master ingress tcp 22 10.0.0.0/8 -> 22",
            "over-broad master ingress tcp 10250 0.0.0.0/0 -> 10250",
        ]
    );
    let (_, over) = review
        .findings()
        .find(|(c, _)| c.subject == Subject::Permission && c.ports == "10250")
        .unwrap();
    assert_eq!(
        over.message,
        "aws_security_group.master.ingress[0]: ingress tcp 10250 from 0.0.0.0/0: opens 10250 to every address \
         where it is needed only from worker; carries p: a -> b (kubelet)"
    );
}

#[test]
fn partial_coverage_reports_the_gap_and_ranges_report_their_excess() {
    let plan = one_group(
        "master",
        json!([
            inline("tcp", 2379, 2379, &[], &[], true),
            inline("tcp", 30000, 30100, &[], &[], true)
        ]),
        json!([inline("tcp", 0, 65535, &[], &[], true)]),
    );
    let mut range = tcp(tier("master"), tier("master"), 2379, "etcd");
    range.ports = RulePorts::Range(PortRange {
        from: 2379,
        to: 2380,
    });
    let review = reviewed(
        &plan,
        vec![range, tcp(tier("master"), tier("master"), 30050, "x")],
        &[],
        &[("master", "master")],
    );
    assert_eq!(
        findings(&review),
        [
            "missing master ingress tcp 2379-2380 master -> 2380",
            "excess master ingress tcp 30000-30100 self -> 30000-30049,30051-30100",
            "excess master egress tcp 0-65535 self -> 1-2378,2381-30049,30051-65535",
        ]
    );
    let (_, missing) = review.findings().next().unwrap();
    assert!(
        missing
            .message
            .starts_with("master tcp 2380 (of 2379-2380) from master is needed"),
        "{}",
        missing.message
    );
}

#[test]
fn rules_attach_through_configuration_references_and_duplicates_merge() {
    // The group IDs are unknown at plan time: the rule names its groups in the configuration only. The group's
    // inline ingress repeats the separate rule, as refreshed plans do.
    let plan = plan(
        json!([
            sg("master", json!([inline("tcp", 443, 443, &["10.0.0.0/8"], &[], false)]), json!([])),
            sg("worker", json!([]), json!([])),
            {
                "address": "aws_security_group_rule.api", "mode": "managed", "type": "aws_security_group_rule",
                "name": "api",
                "values": {"type": "ingress", "protocol": "tcp", "from_port": 443, "to_port": 443,
                           "cidr_blocks": ["10.0.0.0/8"], "self": false}
            },
            {
                "address": "aws_security_group_rule.from_worker", "mode": "managed",
                "type": "aws_security_group_rule", "name": "from_worker",
                "values": {"type": "ingress", "protocol": "tcp", "from_port": 10250, "to_port": 10250,
                           "self": false}
            }
        ]),
        json!([
            {"address": "aws_security_group_rule.api", "expressions": {
                "security_group_id": {"references": ["aws_security_group.master.id", "aws_security_group.master"]}}},
            {"address": "aws_security_group_rule.from_worker", "expressions": {
                "security_group_id": {"references": ["aws_security_group.master.id", "aws_security_group.master"]},
                "source_security_group_id": {"references": ["aws_security_group.worker.id", "aws_security_group.worker"]}}}
        ]),
    );
    assert_eq!(plan.permissions.len(), 2, "{:#?}", plan.permissions);
    assert_eq!(
        plan.permissions[0].resources,
        [
            "aws_security_group.master.ingress[0]",
            "aws_security_group_rule.api"
        ]
    );
    assert_eq!(plan.permissions[1].peer, PlanPeer::Group(1));
    let review = reviewed(
        &plan,
        vec![
            tcp(tier("worker"), tier("master"), 10250, "kubelet"),
            tcp(endpoint("clients"), tier("master"), 443, "api"),
        ],
        &[("clients", &["10.1.0.0/16"])],
        &[],
    );
    // Default matchers: the groups are named like the tiers. Only the worker's egress is missing.
    assert_eq!(
        findings(&review),
        ["missing worker egress tcp 10250 master -> 10250"]
    );
}

#[test]
fn a_narrower_block_carries_an_endpoint_but_does_not_cover_it() {
    let plan = one_group(
        "master",
        json!([inline("tcp", 22, 22, &["10.1.0.0/16"], &[], false)]),
        json!([]),
    );
    let review = reviewed(
        &plan,
        vec![tcp(endpoint("admins"), tier("master"), 22, "ssh")],
        &[("admins", &["10.0.0.0/8"])],
        &[],
    );
    assert_eq!(
        findings(&review),
        ["missing master ingress tcp 22 admins:10.0.0.0/8 -> 22"]
    );
    assert!(review.warnings.is_empty(), "{:?}", review.warnings);
}

#[test]
fn tiers_without_groups_and_groups_without_tiers() {
    let plan = one_group(
        "db",
        json!([inline("tcp", 5432, 5432, &["0.0.0.0/0"], &[], false)]),
        json!([]),
    );
    let review = reviewed(
        &plan,
        vec![tcp(tier("worker"), tier("master"), 6443, "api")],
        &[],
        &[],
    );
    assert_eq!(
        findings(&review),
        [
            "missing master ingress tcp 6443 worker -> 6443",
            "missing worker egress tcp 6443 master -> 6443"
        ]
    );
    assert_eq!(review.unassigned, ["aws_security_group.db"]);
    assert_eq!(
        review.warnings,
        [
            "tier master matches no group of the plan (matchers: portmatrix:tier=master, master); its 1 needs are \
             reported missing where the cloud's defaults do not admit them",
            "tier worker matches no group of the plan (matchers: portmatrix:tier=worker, worker); its 1 needs are \
             reported missing where the cloud's defaults do not admit them",
        ]
    );
}

#[test]
fn google_cloud_source_tags_and_implied_egress() {
    let firewall = |name: &str, targets: &[&str], sources: &[&str], ports: &[&str]| {
        json!({
            "address": format!("google_compute_firewall.{name}"), "mode": "managed",
            "type": "google_compute_firewall", "name": name,
            "values": {"name": name, "direction": "INGRESS", "target_tags": targets, "source_tags": sources,
                       "allow": [{"protocol": "tcp", "ports": ports}], "deny": []}
        })
    };
    let plan = plan(
        json!([
            firewall(
                "to_master",
                &["k8s-master"],
                &["k8s-worker"],
                &["6443", "10250"]
            ),
            firewall("web", &["k8s-worker"], &[], &["80"]),
        ]),
        json!([]),
    );
    let review = reviewed(
        &plan,
        vec![tcp(tier("worker"), tier("master"), 6443, "api")],
        &[],
        &[("master", "k8s-master"), ("worker", "k8s-worker")],
    );
    // No source at all means 0.0.0.0/0 on Google Cloud: port 80 is open to the world and nobody needs it.
    assert_eq!(
        findings(&review),
        [
            "excess master ingress tcp 6443,10250 k8s-worker -> 10250",
            "excess worker ingress tcp 80 0.0.0.0/0 -> 80",
        ]
    );
}

#[test]
fn azure_defaults_admit_the_virtual_network_but_not_the_internet() {
    let plan = plan(
        json!([{
            "address": "azurerm_network_security_group.master", "mode": "managed",
            "type": "azurerm_network_security_group", "name": "master",
            "values": {"name": "master-nsg", "resource_group_name": "rg", "security_rule": [
                {"access": "Allow", "direction": "Inbound", "protocol": "Tcp", "name": "ssh",
                 "destination_port_range": "22", "destination_port_ranges": [],
                 "source_address_prefix": "*", "source_address_prefixes": [],
                 "source_application_security_group_ids": []},
                {"access": "Deny", "direction": "Inbound", "protocol": "*", "name": "deny"}
            ]}
        }]),
        json!([]),
    );
    let review = reviewed(
        &plan,
        vec![
            tcp(tier("worker"), tier("master"), 6443, "api"),
            tcp(endpoint("admins"), tier("master"), 22, "ssh"),
            tcp(endpoint("clients"), tier("master"), 443, "web"),
        ],
        &[("admins", &["10.0.0.0/8"]), ("clients", &["0.0.0.0/0"])],
        &[("master", "master-nsg")],
    );
    assert_eq!(
        findings(&review),
        [
            "missing master ingress tcp 443 clients:0.0.0.0/0 -> 443",
            "over-broad master ingress tcp 22 * -> 22",
        ]
    );
    assert_eq!(
        review.warnings,
        [
            "azurerm_network_security_group.master.security_rule[1]: deny rules are not evaluated (a deny with a \
             higher priority may block traffic an allow rule admits)",
            "tier worker matches no group of the plan (matchers: portmatrix:tier=worker, worker); its 1 needs are \
             reported missing where the cloud's defaults do not admit them",
        ]
    );
}

#[test]
fn every_protocol_to_the_internet_is_excess_when_no_internal_flow_rides_on_it() {
    let plan = one_group(
        "master",
        json!([]),
        json!([inline("-1", 0, 0, &["0.0.0.0/0"], &[], false)]),
    );
    let review = reviewed(
        &plan,
        vec![tcp(tier("master"), endpoint("internet"), 443, "https")],
        &[("internet", &["0.0.0.0/0"])],
        &[],
    );
    assert_eq!(
        findings(&review),
        ["excess master egress all all 0.0.0.0/0 -> all"]
    );
    let (_, finding) = review.findings().next().unwrap();
    assert_eq!(
        finding.message,
        "aws_security_group.master.egress[0]: egress all all to 0.0.0.0/0: admits every protocol and port where \
         the flows it carries need only their own (p: a -> b (https))"
    );
}

#[test]
fn a_port_needed_from_the_whole_world_is_not_over_broad_for_the_internal_flow_on_it() {
    // Workers reach the API on 443 and the internet on 443: egress 443 to 0.0.0.0/0 is exactly right, but
    // 0-65535 to 0.0.0.0/0 opens the kubelet port 10250 to every address.
    let plan = one_group(
        "worker",
        json!([]),
        json!([
            inline("tcp", 443, 443, &["0.0.0.0/0"], &[], false),
            inline("tcp", 0, 65535, &["0.0.0.0/0"], &[], false)
        ]),
    );
    let review = reviewed(
        &plan,
        vec![
            tcp(tier("worker"), tier("master"), 443, "api"),
            tcp(tier("worker"), tier("master"), 10250, "kubelet"),
            tcp(tier("worker"), endpoint("internet"), 443, "https"),
        ],
        &[("internet", &["0.0.0.0/0"])],
        &[],
    );
    assert_eq!(
        findings(&review),
        [
            "missing master ingress tcp 443 worker -> 443",
            "missing master ingress tcp 10250 worker -> 10250",
            "over-broad worker egress tcp 0-65535 0.0.0.0/0 -> 10250",
        ]
    );
    let (_, over) = review.findings().last().unwrap();
    assert_eq!(
        over.message,
        "aws_security_group.worker.egress[1]: egress tcp 0-65535 to 0.0.0.0/0: opens 10250 to every address where \
         it is needed only to master; also admits 1-442,444-10249,10251-65535, which no needed flow of tier worker \
         asks for; carries p: a -> b (api); p: a -> b (https); p: a -> b (kubelet)"
    );
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    /// Arbitrary JSON with the keys the reader looks at, so that wrong types and odd values reach every path.
    fn value() -> impl Strategy<Value = Value> {
        let keys = prop::sample::select(vec![
            "protocol",
            "ip_protocol",
            "from_port",
            "to_port",
            "cidr_blocks",
            "ipv6_cidr_blocks",
            "self",
            "security_groups",
            "security_group_id",
            "source_security_group_id",
            "type",
            "ingress",
            "egress",
            "direction",
            "allow",
            "ports",
            "source_ranges",
            "source_tags",
            "target_tags",
            "access",
            "destination_port_range",
            "destination_port_ranges",
            "source_address_prefix",
            "name",
            "tags",
            "network_security_group_name",
            "security_rule",
            "disabled",
            "deny",
            "references",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            prop::sample::select(vec![
                "tcp",
                "-1",
                "icmp",
                "58",
                "Tcp",
                "*",
                "Any",
                "0.0.0.0/0",
                "::/0",
                "10.0.0.1",
                "1-2",
                "9-3",
                "65536",
                "ingress",
                "egress",
                "EGRESS",
                "Allow",
                "Outbound",
                "aws_security_group.x.id",
                "x[",
                "module.m[\"a.b\"].aws_security_group.x",
            ])
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(keys.clone(), inner, 0..6).prop_map(|m| Value::Object(
                    m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
                )),
            ]
        })
    }

    fn resource() -> impl Strategy<Value = Value> {
        let kinds = prop::sample::select(vec![
            "aws_security_group",
            "aws_security_group_rule",
            "aws_vpc_security_group_ingress_rule",
            "google_compute_firewall",
            "azurerm_network_security_group",
            "azurerm_network_security_rule",
        ]);
        let addresses = prop::sample::select(vec![
            "aws_security_group.x",
            "module.m[\"a.b\"].aws_security_group.x",
            "r.y[0]",
            "weird",
        ]);
        (kinds, addresses, value()).prop_map(|(kind, address, values)| {
            json!({"address": address, "mode": "managed", "type": kind, "name": "n", "values": values})
        })
    }

    proptest! {
        #[test]
        fn odd_plans_never_panic(resources in prop::collection::vec(resource(), 0..6),
                                 expressions in value()) {
            let document = json!({
                "planned_values": {"root_module": {"resources": resources.clone()}},
                "configuration": {"root_module": {"resources": [
                    {"address": "aws_security_group_rule.r", "expressions": expressions}
                ]}}
            });
            if let Ok(plan) = parse_plan(&document) {
                let result = review(
                    &plan,
                    &expansion(vec![tcp(tier("worker"), tier("master"), 6443, "api")], &[]),
                    &map(&[("master", "x"), ("worker", "module.m[\"a.b\"]")]),
                );
                prop_assert!(result.checks.len() >= 2);
            }
        }
    }
}

/// Typhoon's kubelet rules (poseidon/typhoon aws/fedora-coreos/kubernetes/security.tf @21428170: controller-kubelet
/// from the worker group and controller-kubelet-self, worker-kubelet from the controller group and
/// worker-kubelet-self) reviewed against the built-in kubernetes catalog: metrics-server's "Metrics Server to Kubelet
/// on all nodes" needs every one of them, so none is excess.
#[test]
fn typhoon_kubelet_rules_from_every_node_are_needed() {
    let catalog = crate::catalog::Catalog::builtin();
    let request = crate::engine::ExpansionRequest {
        platforms: vec![crate::catalog::Selection {
            platform: "kubernetes".into(),
            version: None,
            options: Default::default(),
        }],
        ..Default::default()
    };
    let expansion = crate::engine::expand(catalog, &request).unwrap();
    let kubelet = |from: &str| inline("tcp", 10250, 10250, &[], &[from], false);
    let own_kubelet = inline("tcp", 10250, 10250, &[], &[], true);
    let plan = plan(
        json!([
            sg(
                "controller",
                json!([kubelet("worker"), own_kubelet.clone()]),
                json!([])
            ),
            sg(
                "worker",
                json!([kubelet("controller"), own_kubelet]),
                json!([])
            ),
        ]),
        json!([]),
    );
    let review = review(
        &plan,
        &expansion,
        &map(&[("master", "controller"), ("worker", "worker")]),
    );
    let kubelet_findings: Vec<String> = findings(&review)
        .into_iter()
        .filter(|f| f.contains("10250") && f.contains("ingress"))
        .collect();
    assert_eq!(kubelet_findings, Vec::<String>::new());
}

/// The wiring the examples use: groups `for_each` over the data source's tiers, rules `for_each` over its
/// `ingress`, the group through `local.ids[each.value.tier]` and the peer through `each.value.source_tier`, all
/// unknown until apply. The data source's values sit in `prior_state`, as Terraform 1.0 writes them.
#[test]
fn groups_and_peers_resolve_through_the_for_each_wiring_of_a_portmatrix_data_source() {
    let rule = |key: &str, cidr: Option<&str>| {
        json!({
            "address": format!("aws_vpc_security_group_ingress_rule.cluster[\"{key}\"]"), "mode": "managed",
            "type": "aws_vpc_security_group_ingress_rule", "name": "cluster", "index": key,
            "values": {"ip_protocol": "tcp", "from_port": 10250, "to_port": 10250, "cidr_ipv4": cidr,
                       "cidr_ipv6": null, "prefix_list_id": null}
        })
    };
    let group = |tier: &str| {
        json!({
            "address": format!("aws_security_group.tier[\"{tier}\"]"), "mode": "managed",
            "type": "aws_security_group", "name": "tier", "index": tier,
            "values": {"name": format!("k8s-{tier}"), "tags": {}}
        })
    };
    let data = json!({
        "address": "data.portmatrix_aws_security_group_rules.cluster", "mode": "data",
        "type": "portmatrix_aws_security_group_rules", "name": "cluster",
        "values": {
            "platform": [{"name": "kubernetes", "version": null, "options": null}],
            "tiers": {"master": {}, "worker": {}, "lb": {}},
            "ingress": {
                "worker:tcp:10250:master": {"tier": "worker", "source_tier": "master"},
                "worker:tcp:10250:10.9.0.0/16": {"tier": "worker", "source_tier": null}
            }
        }
    });
    let document = json!({
        "format_version": "1.0",
        "terraform_version": "1.0.3",
        "planned_values": {"root_module": {"resources": [
            group("lb"), group("master"), group("worker"),
            rule("worker:tcp:10250:master", None),
            rule("worker:tcp:10250:10.9.0.0/16", Some("10.9.0.0/16"))
        ]}},
        "prior_state": {"values": {"root_module": {"resources": [data]}}},
        "configuration": {"root_module": {"resources": [
            {"address": "aws_security_group.tier",
             "for_each_expression": {"references": ["data.portmatrix_aws_security_group_rules.cluster.tiers",
                                                    "data.portmatrix_aws_security_group_rules.cluster"]},
             "expressions": {}},
            {"address": "aws_vpc_security_group_ingress_rule.cluster",
             "for_each_expression": {"references": ["data.portmatrix_aws_security_group_rules.cluster.ingress",
                                                    "data.portmatrix_aws_security_group_rules.cluster"]},
             "expressions": {
                "security_group_id": {"references": ["local.ids", "each.value.tier", "each.value"]},
                "referenced_security_group_id": {"references": ["each.value.source_tier", "each.value",
                                                                "local.ids"]}
             }}
        ]}}
    });
    let plan = parse_plan(&document).unwrap();
    assert_eq!(plan.selections.len(), 1);
    assert_eq!(
        plan.selections[0].0,
        "data.portmatrix_aws_security_group_rules.cluster"
    );
    let keys: Vec<&str> = plan.groups.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "aws_security_group.tier[\"lb\"]",
            "aws_security_group.tier[\"master\"]",
            "aws_security_group.tier[\"worker\"]"
        ],
        "no expression became a group"
    );
    for (group, tier) in plan.groups.iter().zip(["lb", "master", "worker"]) {
        assert_eq!(group.tags.get(TIER_TAG).map(String::as_str), Some(tier));
    }
    let peers: Vec<String> = plan
        .permissions
        .iter()
        .map(|p| plan.peer_label(p))
        .collect();
    assert_eq!(
        peers,
        ["aws_security_group.tier[\"master\"]", "10.9.0.0/16"]
    );
    assert!(
        plan.permissions.iter().all(|p| p.group == 2),
        "{:#?}",
        plan.permissions
    );
    assert!(plan.warnings.is_empty(), "{:#?}", plan.warnings);
}

/// Groups made in a child module and handed out as a map output: `module.groups.ids[each.value.tier]`.
#[test]
fn a_module_output_indexed_by_tier_resolves_to_the_group_inside_the_module() {
    let document = json!({
        "format_version": "1.0",
        "terraform_version": "1.0.3",
        "planned_values": {"root_module": {
            "resources": [{
                "address": "aws_vpc_security_group_ingress_rule.cluster[\"worker:tcp:10250:master\"]",
                "mode": "managed", "type": "aws_vpc_security_group_ingress_rule", "name": "cluster",
                "values": {"ip_protocol": "tcp", "from_port": 10250, "to_port": 10250, "cidr_ipv4": null}
            }],
            "child_modules": [{"address": "module.groups", "resources": [
                {"address": "module.groups.aws_security_group.this[\"master\"]", "mode": "managed",
                 "type": "aws_security_group", "name": "this", "values": {"name": "m"}},
                {"address": "module.groups.aws_security_group.this[\"worker\"]", "mode": "managed",
                 "type": "aws_security_group", "name": "this", "values": {"name": "w"}}
            ]}]
        }},
        "prior_state": {"values": {"root_module": {"resources": [{
            "address": "data.portmatrix_aws_security_group_rules.cluster", "mode": "data",
            "type": "portmatrix_aws_security_group_rules", "name": "cluster",
            "values": {"platform": [], "ingress": {
                "worker:tcp:10250:master": {"tier": "worker", "source_tier": "master"}}}
        }]}}},
        "configuration": {"root_module": {"resources": [
            {"address": "aws_vpc_security_group_ingress_rule.cluster",
             "for_each_expression": {"references": ["data.portmatrix_aws_security_group_rules.cluster.ingress"]},
             "expressions": {
                "security_group_id": {"references": ["module.groups.ids", "module.groups", "each.value.tier"]},
                "referenced_security_group_id": {"references": ["module.groups.ids", "module.groups",
                                                                "each.value.source_tier"]}
             }}
        ]}}
    });
    let plan = parse_plan(&document).unwrap();
    let keys: Vec<&str> = plan.groups.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "module.groups.aws_security_group.this[\"master\"]",
            "module.groups.aws_security_group.this[\"worker\"]"
        ]
    );
    assert_eq!(plan.permissions.len(), 1);
    assert_eq!(plan.permissions[0].group, 1);
    assert_eq!(plan.permissions[0].peer, PlanPeer::Group(0));
    assert_eq!(
        plan.groups[1].tags.get(TIER_TAG).map(String::as_str),
        Some("worker")
    );
}
