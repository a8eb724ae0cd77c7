//! AWS shaping on hand-made expansions.

use super::*;
use crate::engine::Rule;
use crate::targets::fixtures::*;
use proptest::prelude::*;

fn expansion(rules: Vec<Rule>) -> Expansion {
    let mut endpoints = BTreeMap::new();
    endpoints.insert(
        "admin".to_string(),
        EndpointAddresses {
            ipv4: vec!["10.0.0.0/8".into(), "192.168.0.0/16".into()],
            ipv6: vec!["fd00::/8".into()],
            references: vec![],
        },
    );
    endpoints.insert("empty".to_string(), EndpointAddresses::default());
    Expansion {
        rules: crate::engine::merge(rules),
        not_needed: vec![],
        skipped: vec![],
        warnings: vec![],
        tiers: vec![
            ("master".into(), vec![]),
            ("worker".into(), vec![]),
            ("lb".into(), vec![]),
        ],
        endpoints,
    }
}

#[test]
fn rules_land_in_the_destination_group_inbound_and_the_source_group_outbound() {
    let set = security_group_rules(
        &expansion(vec![
            rule(
                tier("worker"),
                tier("master"),
                Protocol::Tcp,
                range(6443, 6443),
                "API",
            ),
            rule(
                Peer::Endpoint("admin".into()),
                tier("master"),
                Protocol::Tcp,
                range(22, 22),
                "SSH",
            ),
            rule(
                tier("worker"),
                Peer::Endpoint("admin".into()),
                Protocol::Udp,
                range(53, 53),
                "DNS",
            ),
        ]),
        &AwsOptions::default(),
    )
    .unwrap();
    let ingress: Vec<&str> = set.ingress.keys().map(String::as_str).collect();
    assert_eq!(
        ingress,
        [
            "master:tcp:22:admin:10.0.0.0/8",
            "master:tcp:22:admin:192.168.0.0/16",
            "master:tcp:22:admin:fd00::/8",
            "master:tcp:6443:worker",
        ]
    );
    let egress: Vec<&str> = set.egress.keys().map(String::as_str).collect();
    assert_eq!(
        egress,
        [
            "worker:tcp:6443:master",
            "worker:udp:53:admin:10.0.0.0/8",
            "worker:udp:53:admin:192.168.0.0/16",
            "worker:udp:53:admin:fd00::/8",
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
    let set = security_group_rules(
        &expansion(vec![
            rule(
                tier("worker"),
                tier("master"),
                Protocol::Number(4),
                RulePorts::All,
                "IP-in-IP",
            ),
            rule(
                tier("worker"),
                tier("master"),
                Protocol::Icmp,
                RulePorts::IcmpType(Some(8)),
                "ping",
            ),
            rule(
                tier("worker"),
                tier("master"),
                Protocol::Icmpv6,
                RulePorts::IcmpType(None),
                "icmpv6",
            ),
        ]),
        &AwsOptions::default(),
    )
    .unwrap();
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
        rule(
            tier("worker"),
            tier("worker"),
            Protocol::Udp,
            range(8472, 8472),
            "VXLAN",
        ),
        rule(
            tier("worker"),
            tier("worker"),
            Protocol::Tcp,
            range(10250, 10250),
            "kubelet",
        ),
        rule(
            tier("master"),
            tier("worker"),
            Protocol::Tcp,
            range(10250, 10250),
            "kubelet",
        ),
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
    let keys: Vec<&str> = set.ingress.keys().map(String::as_str).collect();
    assert_eq!(keys, ["worker:all:all:worker", "worker:tcp:10250:master"]);
    let all = &set.ingress["worker:all:all:worker"];
    assert_eq!(all.protocol.ip_protocol(), "-1");
    assert_eq!(all.purposes, ["VXLAN", "kubelet"]);
}

#[test]
fn descriptions_fit_aws_length_and_characters() {
    let purposes: BTreeSet<String> = (0..40)
        .map(|i| format!("purpose <{i}> with 'quotes' -> é"))
        .collect();
    let text = description(&BTreeSet::from(["longhorn".to_string()]), &purposes, &[]);
    assert!(text.len() <= 255);
    assert!(text.ends_with("..."));
    assert!(!text.contains("  "), "{text}");
    let tidy = description(
        &BTreeSet::from(["deckhouse".to_string()]),
        &BTreeSet::from(["node's <host>".to_string()]),
        &[],
    );
    assert_eq!(tidy, "portmatrix deckhouse: nodes host");
    assert!(
        text.chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(c)),
        "{text}"
    );
}

#[test]
fn endpoints_without_addresses_are_reported_not_silently_dropped() {
    let set = security_group_rules(
        &expansion(vec![rule(
            Peer::Endpoint("empty".into()),
            tier("master"),
            Protocol::Tcp,
            range(22, 22),
            "SSH",
        )]),
        &AwsOptions::default(),
    )
    .unwrap();
    assert!(set.ingress.is_empty());
    assert!(
        set.warnings[0].contains("endpoint \"empty\" has no addresses"),
        "{:?}",
        set.warnings
    );
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
    assert!(
        text[0].contains("tier \"master\" needs 7 IPv4 ingress rules, over the limit of 5"),
        "{}",
        text[0]
    );
    assert!(text[0].contains("k8s (7 rules)"), "{}", text[0]);
    assert!(text[0].contains("widen_to_fit"), "{}", text[0]);
}

#[test]
fn widening_opens_the_fewest_extra_ports_and_reports_them() {
    // Ports 8000, 8002, 8004, 8006, 8100: merging the three smallest gaps fits a limit of 2.
    let mut rules = many_ports(4, 2);
    rules.push(rule(
        tier("worker"),
        tier("master"),
        Protocol::Tcp,
        range(8100, 8100),
        "far",
    ));
    let options = AwsOptions {
        rules_per_group: 2,
        widen_to_fit: true,
        ..Default::default()
    };
    let set = security_group_rules(&expansion(rules), &options).unwrap();
    let keys: Vec<&str> = set.ingress.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
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
        rule(
            tier("worker"),
            tier("master"),
            Protocol::Tcp,
            range(80, 80),
            "http",
        ),
        rule(
            tier("worker"),
            tier("master"),
            Protocol::Udp,
            range(53, 53),
            "dns",
        ),
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
            (from..=to).map(move |p| (r.peer.key(), r.protocol.ip_protocol(), p))
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
    let text = description(
        &BTreeSet::from(["longhorn".to_string()]),
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
    let set = security_group_rules(
        &expansion(vec![rule(
            tier("worker"),
            tier("master"),
            Protocol::Sctp,
            range(9899, 9899),
            "sctp app",
        )]),
        &AwsOptions::default(),
    )
    .unwrap();
    let sctp = &set.ingress["master:132:all:worker"];
    assert_eq!((sctp.from_port, sctp.to_port), (None, None));
    assert!(
        set.warnings
            .iter()
            .any(|w| w.contains("cannot restrict SCTP ports")),
        "{:?}",
        set.warnings
    );
}
