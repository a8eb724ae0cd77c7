//! AWS shaping on hand-made expansions.

use super::*;
use crate::engine::Rule;
use crate::targets::fixtures::*;
use proptest::prelude::*;

fn expansion(rules: Vec<Rule>) -> Expansion {
    expansion_of(rules, TIERS, &[ADMIN, EMPTY])
}

/// The rule set of `rules` with the default options.
fn shaped(rules: Vec<Rule>) -> AwsRuleSet {
    security_group_rules(&expansion(rules), &AwsOptions::default()).unwrap()
}

#[test]
fn rules_land_in_the_destination_group_inbound_and_the_source_group_outbound() {
    let set = shaped(api_ssh_dns());
    assert_eq!(
        keys(&set.ingress),
        [
            "master:tcp:22:10.0.0.0/8",
            "master:tcp:22:192.168.0.0/16",
            "master:tcp:22:fd00::/8",
            "master:tcp:6443:worker",
        ]
    );
    assert_eq!(
        keys(&set.egress),
        [
            "worker:tcp:6443:master",
            "worker:udp:53:10.0.0.0/8",
            "worker:udp:53:192.168.0.0/16",
            "worker:udp:53:fd00::/8",
        ]
    );
    let api = &set.ingress["master:tcp:6443:worker"];
    assert_eq!((api.from_port, api.to_port), (Some(6443), Some(6443)));
    assert_eq!(api.peer, AwsPeer::Tier("worker".into()));
    // Group references count in both families; CIDRs in their own.
    assert_eq!(
        set.tiers["master"],
        TierCounts {
            ingress_ipv4: 3,
            ingress_ipv6: 2,
            egress_ipv4: 0,
            egress_ipv6: 0
        }
    );
    assert_eq!(
        set.tiers["worker"],
        TierCounts {
            ingress_ipv4: 0,
            ingress_ipv6: 0,
            egress_ipv4: 3,
            egress_ipv6: 2
        }
    );
    assert_eq!(set.tiers["lb"], TierCounts::default());
}

#[test]
fn ip_protocols_have_no_ports_and_icmp_uses_type_and_code() {
    let set = shaped(vec![
        ip(tier("worker"), tier("master"), 4, "IP-in-IP"),
        icmp(tier("worker"), tier("master"), Some(8), "ping"),
        icmpv6(tier("worker"), tier("master"), None, "icmpv6"),
    ]);
    let ipip = &set.ingress["master:4:all:worker"];
    assert_eq!(ipip.protocol.ip_protocol(), "4");
    assert_eq!((ipip.from_port, ipip.to_port), (None, None));
    let ping = &set.ingress["master:icmp:8:worker"];
    assert_eq!((ping.from_port, ping.to_port), (Some(8), Some(-1)));
    let icmpv6 = &set.ingress["master:icmpv6:all:worker"];
    assert_eq!((icmpv6.from_port, icmpv6.to_port), (Some(-1), Some(-1)));
}

#[test]
fn all_traffic_within_tier_is_one_self_rule_only_when_asked() {
    let rules = vec![
        udp(tier("worker"), tier("worker"), port(8472), "VXLAN"),
        tcp(tier("worker"), tier("worker"), port(10250), "kubelet"),
        tcp(tier("master"), tier("worker"), port(10250), "kubelet"),
    ];
    let plain = security_group_rules(&expansion(rules.clone()), &AwsOptions::default()).unwrap();
    assert!(plain
        .ingress
        .values()
        .all(|r| r.protocol != AwsProtocol::All));
    let options = AwsOptions {
        all_traffic_within_tier: true,
        ..Default::default()
    };
    let set = security_group_rules(&expansion(rules), &options).unwrap();
    assert_eq!(
        keys(&set.ingress),
        ["worker:all:all:worker", "worker:tcp:10250:master"]
    );
    let all = &set.ingress["worker:all:all:worker"];
    assert_eq!(all.protocol.ip_protocol(), "-1");
    assert_eq!(all.purposes, ["VXLAN", "kubelet"]);
}

#[test]
fn descriptions_fit_aws_length_and_characters() {
    let purposes: BTreeSet<String> = (0..40)
        .map(|i| format!("purpose <{i}> with 'quotes' -> é"))
        .collect();
    let purposes = purposes.iter().map(String::as_str).collect();
    let text = description(&BTreeSet::from(["longhorn"]), &purposes, &[]);
    assert!(text.len() <= 255);
    assert!(text.ends_with("..."));
    assert!(!text.contains("  "), "{text}");
    let tidy = description(
        &BTreeSet::from(["deckhouse"]),
        &BTreeSet::from(["node's <host>"]),
        &[],
    );
    assert_eq!(tidy, "portmatrix deckhouse: nodes host");
    // A run of characters beyond ASCII is one space, whatever their lengths in bytes.
    let accents = description(
        &BTreeSet::from(["kublr"]),
        &BTreeSet::from(["café→tea", "ü"]),
        &[],
    );
    assert_eq!(accents, "portmatrix kublr: caf tea;");
    assert!(
        text.chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c)),
        "{text}"
    );
}

#[test]
fn endpoints_without_addresses_are_reported_not_silently_dropped() {
    let rules = vec![tcp(endpoint("empty"), tier("master"), port(22), "SSH")];
    let set = security_group_rules(&expansion(rules), &AwsOptions::default()).unwrap();
    assert!(set.ingress.is_empty());
    assert_contains(&set.warnings[0], "endpoint \"empty\" has no addresses");
}

fn many_ports(count: u16, step: u16) -> Vec<Rule> {
    (0..count)
        .map(|i| {
            rule(
                tier("worker"),
                tier("master"),
                Protocol::Tcp,
                range(8000 + i * step, 8000 + i * step),
                "p",
            )
        })
        .collect()
}

#[test]
fn over_quota_is_an_error_naming_the_group_and_contributors() {
    let options = AwsOptions {
        rules_per_group: 5,
        ..Default::default()
    };
    let errors = security_group_rules(&expansion(many_ports(7, 2)), &options).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 4, "{text:?}"); // master ingress and worker egress, IPv4 and IPv6
    assert_contains(
        &text[0],
        "tier \"master\" needs 7 IPv4 ingress rules, over the limit of 5",
    );
    assert_contains(&text[0], "k8s (7 rules)");
    assert_contains(&text[0], "widen_to_fit");
}

#[test]
fn widening_opens_the_fewest_extra_ports_and_reports_them() {
    // Ports 8000, 8002, 8004, 8006, 8100: merging the three smallest gaps fits a limit of 2.
    let mut rules = many_ports(4, 2);
    rules.push(tcp(tier("worker"), tier("master"), port(8100), "far"));
    let options = AwsOptions {
        rules_per_group: 2,
        widen_to_fit: true,
        ..Default::default()
    };
    let set = security_group_rules(&expansion(rules), &options).unwrap();
    assert_eq!(
        keys(&set.ingress),
        ["master:tcp:8000-8006:worker", "master:tcp:8100:worker"]
    );
    let widened: Vec<_> = set
        .widened
        .iter()
        .filter(|w| w.direction == Direction::Ingress)
        .collect();
    assert_eq!(widened.len(), 1);
    assert_eq!(widened[0].extra_ports, ["8001", "8003", "8005"]);
    assert!(set.ingress["master:tcp:8000-8006:worker"]
        .description
        .contains("widened"));
}

#[test]
fn widening_that_cannot_fit_still_fails() {
    let rules = vec![
        tcp(tier("worker"), tier("master"), port(80), "http"),
        udp(tier("worker"), tier("master"), port(53), "dns"),
    ];
    let options = AwsOptions {
        rules_per_group: 1,
        widen_to_fit: true,
        ..Default::default()
    };
    let errors = security_group_rules(&expansion(rules), &options).unwrap_err();
    assert!(errors[0]
        .to_string()
        .contains("Widening port ranges cannot bring it under the limit"));
}

/// Every (tier, direction, peer, protocol, port) a rule set admits.
fn admitted(set: &AwsRuleSet) -> BTreeSet<(String, String, u16)> {
    set.ingress
        .values()
        .flat_map(|r| {
            let (from, to) = (
                r.from_port.unwrap_or(0) as u16,
                r.to_port.unwrap_or(0) as u16,
            );
            (from..=to).map(move |p| {
                (
                    r.peer.key().to_string(),
                    r.protocol.ip_protocol().into_owned(),
                    p,
                )
            })
        })
        .collect()
}

proptest! {
    #[test]
    fn widening_only_adds_the_ports_it_reports(
        ports in prop::collection::btree_set(1u16..300, 1..30),
        limit in 1usize..10,
    ) {
        let rules: Vec<Rule> = ports.iter().map(|p| rule(tier("worker"), tier("master"), Protocol::Tcp, range(*p, *p), "p")).collect();
        let plain = security_group_rules(&expansion(rules.clone()), &AwsOptions { rules_per_group: 1000, ..Default::default() }).unwrap();
        let options = AwsOptions { rules_per_group: limit, widen_to_fit: true, ..Default::default() };
        let widened = security_group_rules(&expansion(rules), &options).unwrap();
        prop_assert!(widened.ingress.len() <= limit);
        let before = admitted(&plain);
        let after = admitted(&widened);
        prop_assert!(before.is_subset(&after), "nothing is lost");
        let mut extra: BTreeSet<u16> = BTreeSet::new();
        for w in widened.widened.iter().filter(|w| w.direction == Direction::Ingress) {
            for text in &w.extra_ports {
                let range: PortRange = text.parse().unwrap();
                extra.extend(range.from..=range.to);
            }
        }
        let added: BTreeSet<u16> = after.difference(&before).map(|(_, _, p)| *p).collect();
        prop_assert_eq!(&added, &extra, "every extra port is reported, and only those");
        // The fewest extra ports: merging the smallest gaps between sorted ports.
        let sorted: Vec<u16> = ports.iter().copied().collect();
        let mut gaps: Vec<u16> = sorted.windows(2).map(|w| w[1] - w[0] - 1).collect();
        gaps.sort();
        let merges = sorted.len().saturating_sub(limit);
        let optimal: u32 = gaps.iter().take(merges).map(|g| u32::from(*g)).sum();
        prop_assert_eq!(extra.len() as u32, optimal);
    }
}

#[test]
fn the_widening_note_survives_truncation() {
    let purposes: BTreeSet<String> = (0..40)
        .map(|i| format!("a long purpose number {i}"))
        .collect();
    let purposes = purposes.iter().map(String::as_str).collect();
    let text = description(
        &BTreeSet::from(["longhorn"]),
        &purposes,
        &[PortRange { from: 1, to: 2 }],
    );
    assert!(text.len() <= 255, "{}", text.len());
    assert!(
        text.ends_with("... (widened to fit the rule quota)"),
        "{text}"
    );
}

#[test]
fn sctp_rules_are_whole_protocol_with_a_warning() {
    let rules = vec![sctp(tier("worker"), tier("master"), port(9899), "sctp app")];
    let set = security_group_rules(&expansion(rules), &AwsOptions::default()).unwrap();
    let sctp = &set.ingress["master:132:all:worker"];
    assert_eq!((sctp.from_port, sctp.to_port), (None, None));
    assert_some_contains(&set.warnings, "cannot restrict SCTP ports");
}

/// An expansion whose endpoint blocks share addresses, as `internet` and a backup store on `0.0.0.0/0` do.
fn shared_address_expansion(rules: Vec<Rule>) -> Expansion {
    let mut expansion = expansion(rules);
    let everywhere = |extra: &[&str]| EndpointAddresses {
        ipv4: ["0.0.0.0/0"]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect(),
        ipv6: vec!["::/0".into()],
        references: vec!["pl-0123456789abcdef0".into()],
    };
    expansion
        .endpoints
        .insert("internet".into(), everywhere(&[]));
    expansion
        .endpoints
        .insert("backupstore".into(), everywhere(&["10.9.0.0/16"]));
    expansion
}

#[test]
fn endpoints_sharing_an_address_give_one_rule_counted_once() {
    let set = security_group_rules(
        &shared_address_expansion(vec![
            tcp(
                endpoint("internet"),
                tier("worker"),
                port(443),
                "ingress HTTPS",
            ),
            tcp(
                endpoint("backupstore"),
                tier("worker"),
                port(443),
                "backup replies",
            ),
        ]),
        &AwsOptions::default(),
    )
    .unwrap();
    assert_eq!(
        keys(&set.ingress),
        [
            "worker:tcp:443:0.0.0.0/0",
            "worker:tcp:443:10.9.0.0/16",
            "worker:tcp:443:::/0",
            "worker:tcp:443:pl-0123456789abcdef0",
        ]
    );
    let shared = &set.ingress["worker:tcp:443:0.0.0.0/0"];
    assert_eq!(shared.endpoints, ["backupstore", "internet"]);
    assert_eq!(shared.purposes, ["backup replies", "ingress HTTPS"]);
    assert_eq!(
        set.ingress["worker:tcp:443:10.9.0.0/16"].endpoints,
        ["backupstore"]
    );
    // 0.0.0.0/0, 10.9.0.0/16 and the prefix list in IPv4; ::/0 and the prefix list in IPv6.
    assert_eq!(
        set.tiers["worker"],
        TierCounts {
            ingress_ipv4: 3,
            ingress_ipv6: 2,
            ..TierCounts::default()
        }
    );
}

#[test]
fn ranges_of_one_address_from_two_endpoints_merge_when_they_overlap_or_touch() {
    let from = |endpoint: &str, from: u16, to: u16| {
        rule(
            Peer::Endpoint(endpoint.into()),
            tier("worker"),
            Protocol::Tcp,
            range(from, to),
            endpoint,
        )
    };
    let set = security_group_rules(
        &shared_address_expansion(vec![
            from("internet", 8000, 8100),
            from("backupstore", 8050, 9000),
            from("internet", 80, 80),
            from("backupstore", 81, 81),
            from("backupstore", 83, 83),
        ]),
        &AwsOptions::default(),
    )
    .unwrap();
    let v4: Vec<&str> = set
        .ingress
        .keys()
        .map(String::as_str)
        .filter(|k| k.ends_with(":0.0.0.0/0"))
        .collect();
    assert_eq!(
        v4,
        [
            "worker:tcp:80-81:0.0.0.0/0",
            "worker:tcp:8000-9000:0.0.0.0/0",
            "worker:tcp:83:0.0.0.0/0",
        ]
    );
    assert!(set.widened.is_empty());
}

/// AWS's identity of a rule: group, direction, protocol, ports and peer.
type Identity = (String, Direction, String, Option<i64>, Option<i64>, AwsPeer);

/// Every (group, direction, peer, protocol, port or ICMP type) a rule set admits.
fn admits(set: &AwsRuleSet) -> BTreeSet<(String, Direction, AwsPeer, String, i64)> {
    set.ingress
        .values()
        .chain(set.egress.values())
        .flat_map(|r| {
            let (from, to) = match (r.from_port, r.to_port) {
                (Some(from), Some(to)) if r.protocol.ip_protocol() != "icmp" => (from, to),
                (Some(icmp_type), _) => (icmp_type, icmp_type),
                _ => (-1, -1),
            };
            (from..=to).map(move |p| {
                (
                    r.tier.clone(),
                    r.direction,
                    r.peer.clone(),
                    r.protocol.ip_protocol().into_owned(),
                    p,
                )
            })
        })
        .collect()
}

proptest! {
    /// For random rules between tiers and endpoints whose addresses overlap, no two emitted rules share AWS's
    /// identity, and the rule set admits exactly what spreading each rule over its peers' addresses admits.
    #[test]
    fn no_two_rules_share_an_aws_identity(
        addresses in prop::collection::vec(prop::collection::btree_set(0usize..4, 0..3), 3),
        flows in prop::collection::vec((0usize..5, 0usize..5, 0usize..3, 1u16..40, 0u16..6), 1..25),
    ) {
        let pool = ["0.0.0.0/0", "10.0.0.0/8", "::/0", "pl-0123456789abcdef0"];
        let names = ["a", "b", "c"];
        let mut endpoints = BTreeMap::new();
        for (name, picked) in names.iter().zip(&addresses) {
            let mut block = EndpointAddresses::default();
            for &i in picked {
                let address = pool[i].to_string();
                match i {
                    0 | 1 => block.ipv4.push(address),
                    2 => block.ipv6.push(address),
                    _ => block.references.push(address),
                }
            }
            endpoints.insert(name.to_string(), block);
        }
        let peer = |i: usize| match i {
            0 => tier("master"),
            1 => tier("worker"),
            n => Peer::Endpoint(names[n - 2].into()),
        };
        let protocols = [Protocol::Tcp, Protocol::Udp, Protocol::Number(4)];
        let rules: Vec<Rule> = flows
            .iter()
            .filter(|(s, d, ..)| s != d && (*s < 2 || *d < 2))
            .map(|&(s, d, p, from, len)| {
                let ports = if p == 2 { RulePorts::All } else { range(from, from + len) };
                rule(peer(s), peer(d), protocols[p], ports, "p")
            })
            .collect();
        let mut input = expansion(rules.clone());
        input.endpoints = endpoints.clone();
        let set = security_group_rules(&input, &AwsOptions { rules_per_group: 1000, ..Default::default() }).unwrap();

        let mut seen: BTreeSet<Identity> = BTreeSet::new();
        for r in set.ingress.values().chain(set.egress.values()) {
            let identity = (r.tier.clone(), r.direction, r.protocol.ip_protocol().into_owned(), r.from_port, r.to_port, r.peer.clone());
            prop_assert!(seen.insert(identity), "duplicate in AWS's sense: {}", r.key());
        }

        // The naive spread: one rule per engine rule and address, each on its own.
        let mut naive = AwsRuleSet::default();
        for (i, r) in rules.iter().enumerate() {
            let mut single = expansion(vec![r.clone()]);
            single.endpoints = endpoints.clone();
            let one = security_group_rules(&single, &AwsOptions { rules_per_group: 1000, ..Default::default() }).unwrap();
            for (k, v) in one.ingress.into_iter().chain(one.egress) {
                let map = if v.direction == Direction::Ingress { &mut naive.ingress } else { &mut naive.egress };
                map.insert(format!("{i}/{k}"), v);
            }
        }
        prop_assert_eq!(admits(&set), admits(&naive));
    }
}

#[test]
fn prefix_list_ids_are_pl_and_8_or_17_hex_digits() {
    for id in ["pl-63a5400a", "pl-0123456789abcdef0"] {
        assert_eq!(check_prefix_list_id(id), Ok(()), "{id}");
    }
    for id in [
        "xyz",
        "pl-",
        "pl-ZZZ",
        "pl-123",
        "pl-63a5400",
        "pl-63a5400a1",
        "pl-0123456789abcdef",
        "pl-0123456789abcdef01",
        "pl-63a5400g",
        " pl-63a5400a",
        "PL-63a5400a",
        "pl_63a5400a",
        "10.0.0.0/8",
    ] {
        let error = check_prefix_list_id(id).expect_err(id);
        assert!(error.contains(&format!("{id:?}")), "{error}");
        assert_contains(&error, "\"pl-63a5400a\"");
    }
    assert!(check_prefix_list_id("pl-63A5400A")
        .unwrap_err()
        .contains("lower case: \"pl-63a5400a\""));
}

/// The built-in catalogs expanded for AWS with the default tiers: `platforms` with their options, the
/// `api-clients` and `clients` endpoints in 203.0.113.0/24, `nodeport-clients` in 198.51.100.0/24, and the `load-balancers` endpoint (kube-proxy's health
/// checks) pointed at the `lb` tier as the load balancers guide tells users to.
fn builtin_aws(platforms: &[(&str, &[(&str, &str)])], parameters: &[(&str, i64)]) -> AwsRuleSet {
    use crate::catalog::{Catalog, Selection};
    use crate::engine::{expand, EndpointSpec, ExpansionRequest};
    let outside = |name: &str| EndpointSpec {
        name: name.into(),
        ipv4: vec!["203.0.113.0/24".into()],
        ..Default::default()
    };
    let request = ExpansionRequest {
        platforms: platforms
            .iter()
            .map(|(platform, options)| Selection {
                platform: (*platform).into(),
                version: None,
                options: options
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                    .collect(),
            })
            .collect(),
        endpoints: platforms
            .iter()
            .flat_map(|(platform, _)| match *platform {
                "kubernetes" => vec![
                    outside("api-clients"),
                    EndpointSpec {
                        name: "nodeport-clients".into(),
                        ipv4: vec!["198.51.100.0/24".into()],
                        ..Default::default()
                    },
                    EndpointSpec {
                        name: "load-balancers".into(),
                        tier: Some("lb".into()),
                        ..Default::default()
                    },
                ],
                "ingress-nginx" => vec![outside("clients")],
                _ => vec![],
            })
            .collect(),
        parameters: parameters
            .iter()
            .map(|(k, v)| ((*k).to_string(), *v))
            .collect(),
        ..Default::default()
    };
    let expansion = expand(Catalog::builtin(), &request).unwrap();
    assert!(expansion.skipped.is_empty(), "{:?}", expansion.skipped);
    security_group_rules(&expansion, &AwsOptions::default()).unwrap()
}

/// The rule keys (ingress and egress) that involve the `lb` tier, on its group or as the peer.
fn lb_keys(set: &AwsRuleSet) -> Vec<String> {
    let mut keys: Vec<String> = set
        .ingress
        .keys()
        .map(|k| format!("ingress {k}"))
        .chain(set.egress.keys().map(|k| format!("egress {k}")))
        .filter(|k| k.contains(" lb:") || k.ends_with(":lb"))
        .collect();
    keys.sort();
    keys
}

/// kubeadm's HA guide (kubernetes/website .../kubeadm/high-availability.md @c0dffcfa): the API load balancer
/// "must be able to communicate with all control plane nodes on the apiserver port" and "allow incoming traffic on
/// its listening port", which the nodes' control-plane endpoint names. With a listening port of 443 in front of the
/// API server's 6443, the lb group admits the clients and both node tiers on 443 and reaches the masters on 6443;
/// kube-proxy's health checks (Ports and Protocols: 10256 "Used By: Self, Load balancers") come from the lb group.
#[test]
fn the_api_load_balancer_gives_the_lb_group_its_rules() {
    let set = builtin_aws(
        &[("kubernetes", &[("api_load_balancer", "true")])],
        &[("api_load_balancer_port", 443)],
    );
    assert_eq!(
        lb_keys(&set),
        [
            "egress lb:tcp:10256:worker",
            "egress lb:tcp:6443:master",
            "egress master:tcp:443:lb",
            "egress worker:tcp:443:lb",
            "ingress lb:tcp:443:203.0.113.0/24",
            "ingress lb:tcp:443:master",
            "ingress lb:tcp:443:worker",
            "ingress master:tcp:6443:lb",
            "ingress worker:tcp:10256:lb",
        ]
    );
    // Without the option (its default "false") the lb group keeps only kube-proxy's health checks, and every
    // other rule is the same as with the load balancer.
    let default = builtin_aws(&[("kubernetes", &[])], &[]);
    assert_eq!(
        lb_keys(&default),
        ["egress lb:tcp:10256:worker", "ingress worker:tcp:10256:lb"]
    );
    let without_lb = |set: &AwsRuleSet| -> Vec<String> {
        set.ingress
            .keys()
            .chain(set.egress.keys())
            .filter(|k| !k.starts_with("lb:") && !k.ends_with(":lb"))
            .cloned()
            .collect()
    };
    assert_eq!(without_lb(&default), without_lb(&set));
}

/// ingress-nginx's bare-metal considerations @01c4cd8b, "Using a self-provisioned edge": "Incoming traffic on TCP
/// ports 80 and 443 is forwarded to the corresponding HTTP and HTTPS NodePort on the target nodes", and "external
/// clients do not access cluster nodes directly, only the edge component does".
#[test]
fn the_edge_load_balancer_takes_the_clients_node_port_traffic() {
    let nodeport: &[(&str, &str)] = &[("exposure", "nodeport")];
    let direct = builtin_aws(&[("ingress-nginx", nodeport)], &[]);
    assert!(lb_keys(&direct).is_empty(), "{:?}", lb_keys(&direct));
    assert!(direct
        .ingress
        .contains_key("worker:tcp:30000-32767:203.0.113.0/24"));
    let edge = builtin_aws(
        &[(
            "ingress-nginx",
            &[("exposure", "nodeport"), ("edge_load_balancer", "true")],
        )],
        &[],
    );
    assert_eq!(
        lb_keys(&edge),
        [
            "egress lb:tcp:30000-32767:master",
            "egress lb:tcp:30000-32767:worker",
            "ingress lb:tcp:443:203.0.113.0/24",
            "ingress lb:tcp:80:203.0.113.0/24",
            "ingress master:tcp:30000-32767:lb",
            "ingress worker:tcp:30000-32767:lb",
        ]
    );
    assert!(!edge
        .ingress
        .keys()
        .any(|k| k.contains(":30000-32767:203.0.113.0/24")));
}
