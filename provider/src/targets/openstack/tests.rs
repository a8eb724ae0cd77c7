//! OpenStack shaping on hand-made expansions.

use super::*;
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
    endpoints.insert(
        "v6only".to_string(),
        EndpointAddresses {
            ipv4: vec![],
            ipv6: vec!["2001:db8::/32".into()],
            references: vec![],
        },
    );
    endpoints.insert("empty".to_string(), EndpointAddresses::default());
    Expansion {
        rules: merge(rules),
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

fn keys(map: &BTreeMap<String, OpenStackRule>) -> Vec<&str> {
    map.keys().map(String::as_str).collect()
}

#[test]
fn tier_peers_get_one_rule_per_ethertype_and_cidrs_one_in_their_family() {
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
                endpoint("admin"),
                tier("master"),
                Protocol::Tcp,
                range(22, 22),
                "SSH",
            ),
            rule(
                tier("worker"),
                endpoint("admin"),
                Protocol::Udp,
                range(53, 53),
                "DNS",
            ),
        ]),
        &OpenStackOptions::default(),
    )
    .unwrap();
    assert_eq!(
        keys(&set.ingress),
        [
            "master:IPv4:tcp:22:admin:10.0.0.0/8",
            "master:IPv4:tcp:22:admin:192.168.0.0/16",
            "master:IPv4:tcp:6443:worker",
            "master:IPv6:tcp:22:admin:fd00::/8",
            "master:IPv6:tcp:6443:worker",
        ]
    );
    assert_eq!(
        keys(&set.egress),
        [
            "worker:IPv4:tcp:6443:master",
            "worker:IPv4:udp:53:admin:10.0.0.0/8",
            "worker:IPv4:udp:53:admin:192.168.0.0/16",
            "worker:IPv6:tcp:6443:master",
            "worker:IPv6:udp:53:admin:fd00::/8",
        ]
    );
    let api = &set.ingress["master:IPv6:tcp:6443:worker"];
    assert_eq!(api.peer, OpenStackPeer::Tier("worker".into()));
    assert_eq!(api.direction, Direction::Ingress);
    assert_eq!(
        (api.port_range_min, api.port_range_max),
        (Some(6443), Some(6443))
    );
    assert_eq!(api.description, "portmatrix k8s: API");
    let dns = &set.egress["worker:IPv6:udp:53:admin:fd00::/8"];
    assert_eq!(dns.ethertype, Ethertype::Ipv6);
    assert_eq!(
        dns.peer,
        OpenStackPeer::Cidr {
            endpoint: "admin".into(),
            cidr: "fd00::/8".into()
        }
    );
    assert_eq!(
        set.tiers["master"],
        TierCounts {
            ingress: 5,
            egress: 0
        }
    );
    assert_eq!(
        set.tiers["worker"],
        TierCounts {
            ingress: 0,
            egress: 5
        }
    );
    assert_eq!(set.tiers["lb"], TierCounts::default());
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);
}

#[test]
fn protocols_take_neutron_names_families_and_ports() {
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
                Protocol::Number(41),
                RulePorts::All,
                "6in4",
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
                "nd",
            ),
            rule(
                tier("worker"),
                tier("master"),
                Protocol::Sctp,
                range(9899, 9899),
                "sctp",
            ),
        ]),
        &OpenStackOptions::default(),
    )
    .unwrap();
    assert_eq!(
        keys(&set.ingress),
        [
            "master:IPv4:4:all:worker",
            "master:IPv4:icmp:8:worker",
            "master:IPv4:sctp:9899:worker",
            // Keys sort as text: "41:" before "4:".
            "master:IPv6:41:all:worker",
            "master:IPv6:4:all:worker",
            "master:IPv6:ipv6-icmp:all:worker",
            "master:IPv6:sctp:9899:worker",
        ]
    );
    let ipip = &set.ingress["master:IPv4:4:all:worker"];
    assert_eq!((ipip.port_range_min, ipip.port_range_max), (None, None));
    // Type 8, any code: the code 0 is left out of the request by the resource's client.
    let ping = &set.ingress["master:IPv4:icmp:8:worker"];
    assert_eq!(
        (ping.port_range_min, ping.port_range_max),
        (Some(8), Some(0))
    );
    let nd = &set.ingress["master:IPv6:ipv6-icmp:all:worker"];
    assert_eq!((nd.port_range_min, nd.port_range_max), (None, None));
}

#[test]
fn ethertypes_limit_tier_rules_and_report_what_cannot_be_written() {
    let rules = vec![
        rule(
            tier("worker"),
            tier("master"),
            Protocol::Tcp,
            range(10250, 10250),
            "kubelet",
        ),
        rule(
            tier("worker"),
            tier("master"),
            Protocol::Icmp,
            RulePorts::IcmpType(None),
            "ping",
        ),
        rule(
            endpoint("admin"),
            tier("master"),
            Protocol::Tcp,
            range(22, 22),
            "SSH",
        ),
    ];
    let v4 = OpenStackOptions {
        ethertypes: BTreeSet::from([Ethertype::Ipv4]),
        ..Default::default()
    };
    let set = security_group_rules(&expansion(rules.clone()), &v4).unwrap();
    assert_eq!(
        keys(&set.ingress),
        [
            "master:IPv4:icmp:all:worker",
            "master:IPv4:tcp:10250:worker",
            // Endpoint rules follow their CIDRs, whatever ethertypes says.
            "master:IPv4:tcp:22:admin:10.0.0.0/8",
            "master:IPv4:tcp:22:admin:192.168.0.0/16",
            "master:IPv6:tcp:22:admin:fd00::/8",
        ]
    );
    let v6 = OpenStackOptions {
        ethertypes: BTreeSet::from([Ethertype::Ipv6]),
        ..Default::default()
    };
    let set = security_group_rules(&expansion(rules), &v6).unwrap();
    assert!(!set.ingress.keys().any(|k| k.contains("icmp")));
    assert!(
        set.warnings
            .iter()
            .map(|w| crate::terraform_terms::in_terraform_terms(w))
            .any(|w| w.contains("ingress rule of tier \"master\"")
                && w.contains("icmp exists only over IPv4, which ethertypes leaves out")),
        "{:?}",
        set.warnings
    );
}

#[test]
fn endpoints_without_a_usable_address_are_reported() {
    let set = security_group_rules(
        &expansion(vec![
            rule(
                endpoint("empty"),
                tier("master"),
                Protocol::Tcp,
                range(22, 22),
                "SSH",
            ),
            rule(
                endpoint("v6only"),
                tier("master"),
                Protocol::Icmp,
                RulePorts::IcmpType(None),
                "ping",
            ),
        ]),
        &OpenStackOptions::default(),
    )
    .unwrap();
    assert!(set.ingress.is_empty());
    assert_eq!(set.warnings.len(), 2, "{:?}", set.warnings);
    assert!(set
        .warnings
        .iter()
        .any(|w| w.contains("endpoint \"empty\" has no addresses")));
    assert!(set
        .warnings
        .iter()
        .any(|w| w.contains("endpoint \"v6only\" has no IPv4 block")));
}

#[test]
fn icmp_type_zero_follows_unsupported_flows() {
    let rules = vec![
        rule(
            tier("worker"),
            tier("master"),
            Protocol::Icmp,
            RulePorts::IcmpType(Some(0)),
            "echo reply",
        ),
        rule(
            tier("worker"),
            tier("master"),
            Protocol::Icmp,
            RulePorts::IcmpType(Some(8)),
            "echo request",
        ),
        rule(
            tier("master"),
            tier("worker"),
            Protocol::Icmp,
            RulePorts::IcmpType(Some(8)),
            "echo request",
        ),
    ];
    let error =
        security_group_rules(&expansion(rules.clone()), &OpenStackOptions::default()).unwrap_err();
    assert_eq!(error.flows.len(), 1);
    let text = error.to_string();
    assert!(
        text.contains("worker -> master icmp type 0 (k8s: echo reply)"),
        "{text}"
    );
    assert!(text.contains("gophercloud issue #1775"), "{text}");
    let text = crate::terraform_terms::in_terraform_terms(&text);
    assert!(text.contains("unsupported_flows = \"widen\""), "{text}");

    let widen = OpenStackOptions {
        unsupported_flows: UnsupportedPolicy::Widen,
        ..Default::default()
    };
    let set = security_group_rules(&expansion(rules.clone()), &widen).unwrap();
    // Every type absorbs type 8 between the same peers; the other direction keeps its exact type.
    assert_eq!(
        keys(&set.ingress),
        ["master:IPv4:icmp:all:worker", "worker:IPv4:icmp:8:master"]
    );
    assert_eq!(
        set.ingress["master:IPv4:icmp:all:worker"].purposes,
        ["echo reply", "echo request"]
    );
    let rules_widened: Vec<&str> = set.widened.iter().map(|w| w.rule.as_str()).collect();
    assert_eq!(
        rules_widened,
        [
            "egress worker:IPv4:icmp:all:master",
            "ingress master:IPv4:icmp:all:worker"
        ]
    );
    assert!(set
        .widened
        .iter()
        .all(|w| w.opened == "every ICMP type" && w.flow.contains("type 0")));

    let skip = OpenStackOptions {
        unsupported_flows: UnsupportedPolicy::Skip,
        ..Default::default()
    };
    let set = security_group_rules(&expansion(rules), &skip).unwrap();
    assert_eq!(
        keys(&set.ingress),
        ["master:IPv4:icmp:8:worker", "worker:IPv4:icmp:8:master"]
    );
    assert!(set.widened.is_empty());
    assert!(
        crate::terraform_terms::in_terraform_terms(&set.warnings[0])
            .starts_with("unsupported_flows = \"skip\" left out worker -> master icmp type 0"),
        "{:?}",
        set.warnings
    );
}

#[test]
fn descriptions_fit_neutron() {
    let long = "x".repeat(400);
    let set = security_group_rules(
        &expansion(vec![rule(
            tier("worker"),
            tier("master"),
            Protocol::Tcp,
            range(1, 1),
            &long,
        )]),
        &OpenStackOptions::default(),
    )
    .unwrap();
    assert!(set
        .ingress
        .values()
        .all(|r| r.description.chars().count() == 255));
}

#[test]
fn ethertype_names_are_neutrons() {
    assert_eq!("IPv6".parse::<Ethertype>(), Ok(Ethertype::Ipv6));
    assert!("ipv4"
        .parse::<Ethertype>()
        .unwrap_err()
        .contains("\"IPv4\" or \"IPv6\""));
}

fn arb_rule() -> impl Strategy<Value = Rule> {
    let peer = prop::sample::select(vec![
        tier("master"),
        tier("worker"),
        endpoint("admin"),
        endpoint("v6only"),
        endpoint("empty"),
    ]);
    let protocol = prop::sample::select(vec![
        Protocol::Tcp,
        Protocol::Udp,
        Protocol::Icmp,
        Protocol::Icmpv6,
        Protocol::Number(4),
        Protocol::Number(43),
    ]);
    (
        peer.clone(),
        peer,
        protocol,
        1u16..100,
        0u16..5,
        prop::option::of(1u8..4),
    )
        .prop_map(|(source, destination, protocol, from, width, icmp)| {
            let ports = match protocol {
                Protocol::Icmp | Protocol::Icmpv6 => RulePorts::IcmpType(icmp),
                Protocol::Number(_) => RulePorts::All,
                _ => range(from, from + width),
            };
            rule(source, destination, protocol, ports, "p")
        })
}

fn arb_ethertypes() -> impl Strategy<Value = BTreeSet<Ethertype>> {
    prop::sample::select(vec![
        BTreeSet::from([Ethertype::Ipv4]),
        BTreeSet::from([Ethertype::Ipv6]),
        BTreeSet::from([Ethertype::Ipv4, Ethertype::Ipv6]),
    ])
}

proptest! {
    /// Every side of every rule is written in each family it can be, or named in a warning; nothing else is written.
    #[test]
    fn no_rule_is_lost_or_invented(rules in prop::collection::vec(arb_rule(), 0..30), ethertypes in arb_ethertypes()) {
        let expansion = expansion(rules);
        let options = OpenStackOptions { ethertypes, ..Default::default() };
        let set = security_group_rules(&expansion, &options).unwrap();
        let mut expected = BTreeSet::new();
        let mut warned = 0;
        for r in &expansion.rules {
            for (tier, direction, peer) in sides(r) {
                let before = expected.len();
                let addresses: Vec<(Ethertype, String)> = match peer {
                    Peer::Tier(t) => options.ethertypes.iter().map(|e| (*e, t.clone())).collect(),
                    Peer::Endpoint(n) => {
                        let a = &expansion.endpoints[n];
                        a.ipv4.iter().map(|c| (Ethertype::Ipv4, format!("{n}:{c}")))
                            .chain(a.ipv6.iter().map(|c| (Ethertype::Ipv6, format!("{n}:{c}"))))
                            .collect()
                    }
                };
                for (ethertype, peer_key) in addresses {
                    if families(r.protocol).contains(&ethertype) {
                        expected.insert(format!(
                            "{direction}|{tier}:{ethertype}:{}:{}:{peer_key}",
                            neutron_protocol(r.protocol),
                            r.ports
                        ));
                    }
                }
                if expected.len() == before {
                    warned += 1;
                }
            }
        }
        let written: BTreeSet<String> = set.ingress.keys().map(|k| format!("ingress|{k}"))
            .chain(set.egress.keys().map(|k| format!("egress|{k}")))
            .collect();
        prop_assert_eq!(written, expected);
        prop_assert_eq!(set.warnings.len(), warned);
    }

    #[test]
    fn output_does_not_depend_on_input_order(rules in prop::collection::vec(arb_rule(), 0..30)) {
        let mut reversed = rules.clone();
        reversed.reverse();
        let options = OpenStackOptions::default();
        prop_assert_eq!(
            security_group_rules(&expansion(rules), &options),
            security_group_rules(&expansion(reversed), &options)
        );
    }
}
