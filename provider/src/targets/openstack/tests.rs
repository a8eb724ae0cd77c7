//! OpenStack shaping on hand-made expansions.

use super::*;
use crate::targets::fixtures::*;
use proptest::prelude::*;

fn expansion(rules: Vec<Rule>) -> Expansion {
    expansion_of(rules, TIERS, &[ADMIN, V6ONLY, EMPTY])
}

/// The rule set of `rules` with the default options.
fn shaped(rules: Vec<Rule>) -> OpenStackRuleSet {
    security_group_rules(&expansion(rules), &OpenStackOptions::default()).unwrap()
}

#[test]
fn tier_peers_get_one_rule_per_ethertype_and_cidrs_one_in_their_family() {
    let set = shaped(api_ssh_dns());
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
    let set = shaped(vec![
        ip(tier("worker"), tier("master"), 4, "IP-in-IP"),
        ip(tier("worker"), tier("master"), 41, "6in4"),
        icmp(tier("worker"), tier("master"), Some(8), "ping"),
        icmpv6(tier("worker"), tier("master"), None, "nd"),
        sctp(tier("worker"), tier("master"), port(9899), "sctp"),
    ]);
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
        tcp(tier("worker"), tier("master"), port(10250), "kubelet"),
        icmp(tier("worker"), tier("master"), None, "ping"),
        tcp(endpoint("admin"), tier("master"), port(22), "SSH"),
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
    let set = shaped(vec![
        tcp(endpoint("empty"), tier("master"), port(22), "SSH"),
        icmp(endpoint("v6only"), tier("master"), None, "ping"),
    ]);
    assert!(set.ingress.is_empty());
    assert_eq!(set.warnings.len(), 2, "{:?}", set.warnings);
    assert_some_contains(&set.warnings, "endpoint \"empty\" has no addresses");
    assert_some_contains(&set.warnings, "endpoint \"v6only\" has no IPv4 block");
}

#[test]
fn icmp_type_zero_follows_unsupported_flows() {
    let rules = vec![
        icmp(tier("worker"), tier("master"), Some(0), "echo reply"),
        icmp(tier("worker"), tier("master"), Some(8), "echo request"),
        icmp(tier("master"), tier("worker"), Some(8), "echo request"),
    ];
    let error =
        security_group_rules(&expansion(rules.clone()), &OpenStackOptions::default()).unwrap_err();
    assert_eq!(error.flows.len(), 1);
    let text = error.to_string();
    assert_contains(&text, "worker -> master icmp type 0 (k8s: echo reply)");
    assert_contains(&text, "gophercloud issue #1775");
    let text = crate::terraform_terms::in_terraform_terms(&text);
    assert_contains(&text, "unsupported_flows = \"widen\"");

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
    let rules = vec![tcp(tier("worker"), tier("master"), port(1), &long)];
    let set = security_group_rules(&expansion(rules), &OpenStackOptions::default()).unwrap();
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
    use Protocol::{Icmp, Icmpv6, Number, Tcp, Udp};
    let endpoints = ["admin", "v6only", "empty"];
    let peer = prop::sample::select(peers(&["master", "worker"], &endpoints));
    let protocol = prop::sample::select(vec![Tcp, Udp, Icmp, Icmpv6, Number(4), Number(43)]);
    let ports = (1u16..100, 0u16..5, prop::option::of(1u8..4));
    (peer.clone(), peer, protocol, ports).prop_map(
        |(source, destination, protocol, (from, width, icmp))| {
            let ports = ports_for(&protocol, from, width, icmp);
            rule(source, destination, protocol, ports, "p")
        },
    )
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
