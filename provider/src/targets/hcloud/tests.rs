//! Hetzner shaping on hand-made expansions.

use super::*;
use crate::targets::fixtures::*;
use proptest::prelude::*;

fn expansion(rules: Vec<Rule>) -> Expansion {
    let admin = ("admin", &["203.0.113.0/24"][..], &["2001:db8::/32"][..]);
    expansion_of(rules, TIERS, &[admin, EMPTY])
}

fn ranges() -> BTreeMap<String, Vec<String>> {
    BTreeMap::from([
        (
            "master".to_string(),
            vec!["10.0.1.0/24".to_string(), "fd00:1::/64".to_string()],
        ),
        ("worker".to_string(), vec!["10.0.2.0/24".to_string()]),
    ])
}

fn options() -> HcloudOptions {
    HcloudOptions {
        tier_ranges: ranges(),
        ..Default::default()
    }
}

/// The rule set of `rules` with the options of these tests.
fn shaped(rules: Vec<Rule>) -> HcloudRuleSet {
    firewall_rules(&expansion(rules), &options()).unwrap()
}

fn rules_of<'a>(set: &'a HcloudRuleSet, tier: &str) -> BTreeMap<&'a str, &'a HcloudRule> {
    set.firewalls[tier]
        .rules
        .iter()
        .map(|r| (r.key.as_str(), r))
        .collect()
}

#[test]
fn one_rule_holds_every_peer_allowed_a_port() {
    let set = shaped(vec![
        tcp(tier("worker"), tier("master"), port(6443), "API"),
        tcp(tier("master"), tier("master"), port(6443), "API"),
        tcp(endpoint("admin"), tier("master"), port(6443), "admin API"),
        udp(tier("worker"), tier("master"), port(8472), "VXLAN"),
        tcp(tier("master"), tier("master"), range(2379, 2380), "etcd"),
        tcp(tier("master"), endpoint("admin"), port(443), "out"),
    ]);
    let master = rules_of(&set, "master");
    assert_eq!(
        master.keys().copied().collect::<Vec<_>>(),
        [
            "master:in:tcp:2379-2380",
            "master:in:tcp:6443",
            "master:in:udp:8472"
        ]
    );
    let api = master["master:in:tcp:6443"];
    assert_eq!(api.direction, Direction::In);
    assert_eq!(api.port.as_deref(), Some("6443"));
    assert_eq!(
        api.ips,
        [
            "10.0.1.0/24",
            "10.0.2.0/24",
            "2001:db8::/32",
            "203.0.113.0/24",
            "fd00:1::/64"
        ]
    );
    assert_eq!(api.peers, ["admin", "master", "worker"]);
    assert_eq!(api.purposes, ["API", "admin API"]);
    assert_eq!(api.description, "portmatrix k8s: API; admin API");
    assert_eq!(
        master["master:in:tcp:2379-2380"].ips,
        ["10.0.1.0/24", "fd00:1::/64"]
    );
    assert_eq!(set.firewalls["master"].effective_rules, 5 + 2 + 1);
    // No out rules unless asked for; the lb tier has an empty firewall.
    assert!(set.firewalls["worker"].rules.is_empty());
    assert!(set.firewalls["lb"].rules.is_empty());
    // The tiers' 10.x and fd00: blocks are private; the admin endpoint's are not, and are not named.
    assert_eq!(
        set.warnings,
        [
            "Hetzner Cloud Firewalls filter the servers' public interfaces only, not Hetzner private Networks: 3 \
             rule(s) (firewall \"master\": 3) allow private addresses of tier \"master\" (10.0.1.0/24, \
             fd00:1::/64), tier \"worker\" (10.0.2.0/24), and have no effect on traffic over a Hetzner private \
             network, which reaches the servers unfiltered. Restrict that traffic on the servers themselves, for \
             example with portmatrix_nftables_ruleset."
        ]
    );
}

#[test]
fn outbound_rules_are_written_only_when_asked_for() {
    let rules = vec![
        tcp(tier("worker"), tier("master"), port(6443), "API"),
        udp(tier("worker"), endpoint("admin"), port(53), "DNS"),
    ];
    let set = firewall_rules(
        &expansion(rules),
        &HcloudOptions {
            outbound_rules: true,
            ..options()
        },
    )
    .unwrap();
    let worker = rules_of(&set, "worker");
    assert_eq!(
        worker.keys().copied().collect::<Vec<_>>(),
        ["worker:out:tcp:6443", "worker:out:udp:53"]
    );
    assert_eq!(
        worker["worker:out:tcp:6443"].ips,
        ["10.0.1.0/24", "fd00:1::/64"]
    );
    assert_eq!(
        worker["worker:out:udp:53"].ips,
        ["2001:db8::/32", "203.0.113.0/24"]
    );
    assert_eq!(rules_of(&set, "master").len(), 1);
}

#[test]
fn icmp_takes_its_family_and_gre_and_esp_their_names() {
    let set = shaped(vec![
        icmp(tier("master"), tier("worker"), None, "ping"),
        icmpv6(tier("master"), tier("worker"), None, "ping6"),
        ip(tier("master"), tier("worker"), 47, "gre"),
        ip(tier("master"), tier("worker"), 50, "esp"),
    ]);
    let worker = rules_of(&set, "worker");
    assert_eq!(
        worker.keys().copied().collect::<Vec<_>>(),
        [
            "worker:in:esp:all",
            "worker:in:gre:all",
            "worker:in:icmp:all"
        ]
    );
    // ICMP from the IPv4 block, ICMPv6 from the IPv6 block: one icmp rule with both.
    let icmp = worker["worker:in:icmp:all"];
    assert_eq!(icmp.ips, ["10.0.1.0/24", "fd00:1::/64"]);
    assert_eq!(icmp.port, None);
    assert_eq!(
        set.firewalls["worker"].rules[0].protocol,
        HcloudProtocol::Icmp
    );
    assert_eq!(
        set.firewalls["worker"].rules[2].protocol,
        HcloudProtocol::Esp
    );
}

#[test]
fn icmp_types_and_other_protocols_follow_unsupported_flows() {
    let rules = vec![
        icmp(tier("worker"), tier("master"), Some(8), "echo"),
        ip(tier("worker"), tier("master"), 4, "IP-in-IP"),
        tcp(tier("worker"), tier("master"), port(179), "BGP"),
    ];
    let errors = firewall_rules(&expansion(rules.clone()), &options()).unwrap_err();
    assert_eq!(errors.len(), 1);
    let text = errors[0].to_string();
    assert!(
        text.starts_with("hcloud_firewall cannot express 2 flow(s)"),
        "{text}"
    );
    assert_contains(&text, "worker -> master icmp type 8 (k8s: echo)");
    assert_contains(&text, "worker -> master 4 all (k8s: IP-in-IP): hcloud_firewall rules take tcp, udp, icmp, gre (47) and esp (50) only, not IP protocol 4");

    let widen = HcloudOptions {
        unsupported_flows: UnsupportedPolicy::Widen,
        ..options()
    };
    let errors = firewall_rules(&expansion(rules.clone()), &widen).unwrap_err();
    let text = errors[0].to_string();
    assert!(
        matches!(&errors[0], HcloudError::NoWiderRule(flows) if flows.len() == 1),
        "{text}"
    );
    assert!(
        crate::terraform_terms::in_terraform_terms(&text).contains("unsupported_flows = \"skip\""),
        "{text}"
    );

    let widen_icmp_only = firewall_rules(&expansion(rules[..1].to_vec()), &widen).unwrap();
    assert_eq!(
        widen_icmp_only.firewalls["master"].rules[0].key,
        "master:in:icmp:all"
    );
    assert_eq!(widen_icmp_only.widened.len(), 1);
    assert_eq!(widen_icmp_only.widened[0].rule, "master:in:icmp:all");
    assert!(widen_icmp_only.widened[0]
        .opened
        .starts_with("every ICMP type"));

    let skip = HcloudOptions {
        unsupported_flows: UnsupportedPolicy::Skip,
        ..options()
    };
    let set = firewall_rules(&expansion(rules), &skip).unwrap();
    let keys: Vec<&str> = set.firewalls["master"]
        .rules
        .iter()
        .map(|r| r.key.as_str())
        .collect();
    assert_eq!(keys, ["master:in:tcp:179"]);
    // The two flows left out, then the private network warning for the BGP rule from the workers' 10.x block.
    assert_eq!(set.warnings.len(), 3, "{:?}", set.warnings);
    assert!(set.warnings[..2]
        .iter()
        .all(|w| crate::terraform_terms::in_terraform_terms(w)
            .starts_with("unsupported_flows = \"skip\" left out worker -> master")));
    assert_contains(&set.warnings[2], "1 rule(s) (firewall \"master\": 1) allow private addresses of tier \"worker\" (10.0.2.0/24)");
}

#[test]
fn tier_ranges_must_cover_peer_tiers_and_be_network_addresses() {
    let rules = vec![
        tcp(tier("lb"), tier("worker"), range(30000, 32767), "NodePort"),
        tcp(tier("worker"), tier("master"), port(6443), "API"),
    ];
    let errors = firewall_rules(&expansion(rules.clone()), &options()).unwrap_err();
    assert_eq!(errors.len(), 1);
    let HcloudError::Option(error) = &errors[0] else {
        panic!("{errors:?}");
    };
    assert_eq!(error.option, "tier_ranges");
    assert_eq!(error.summary, "Tier \"lb\" has no address ranges");
    assert_contains(&error.detail, "lb -> worker tcp 30000-32767");
    assert!(
        crate::terraform_terms::in_terraform_terms(&error.detail)
            .contains("tier_ranges = { lb = [\"<CIDR>\", ...] }"),
        "{}",
        error.detail
    );

    let bad = HcloudOptions {
        tier_ranges: BTreeMap::from([
            (
                "master".to_string(),
                vec!["10.0.1.7/24".to_string(), "nope".to_string()],
            ),
            ("db".to_string(), vec!["10.0.9.0/24".to_string()]),
        ]),
        ..Default::default()
    };
    let errors = firewall_rules(&expansion(rules), &bad).unwrap_err();
    let texts: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(
        texts[0].contains("Unknown tier \"db\": The tiers are: master, worker, lb."),
        "{texts:?}"
    );
    assert!(
        texts[1].contains(
            "\"10.0.1.7/24\" has host bits set: write the network address \"10.0.1.0/24\""
        ),
        "{texts:?}"
    );
    assert!(
        texts[2].contains("\"nope\" is not a CIDR block"),
        "{texts:?}"
    );
}

#[test]
fn endpoints_without_usable_addresses_are_reported() {
    let set = shaped(vec![
        tcp(endpoint("empty"), tier("master"), port(22), "SSH"),
        icmpv6(tier("worker"), tier("master"), None, "ping6"),
    ]);
    assert!(set.firewalls["master"].rules.is_empty());
    assert_eq!(
        set.warnings,
        [
            // In rule order: tier sources before endpoints.
            "the in rule of tier \"master\" with \"worker\" for icmpv6 all was not written: tier \"worker\" has no IPv6 address",
            "the in rule of tier \"master\" with \"empty\" for tcp 22 was not written: endpoint \"empty\" has no addresses",
        ]
    );
}

#[test]
fn private_blocks_are_the_private_ranges_and_what_lies_inside_them() {
    for block in PRIVATE_BLOCKS {
        assert!(is_private(block), "{block}");
    }
    for inside in [
        "10.0.1.0/24",
        "10.255.255.255/32",
        "172.16.0.0/16",
        "172.31.255.255/32",
        "192.168.255.0/24",
        "100.64.0.0/16",
        "100.127.255.255/32",
        "fd00:1::/64",
        "fc00::/8",
    ] {
        assert!(is_private(inside), "{inside}");
    }
    for outside in [
        "9.255.255.255/32",
        "11.0.0.0/8",
        "172.15.255.0/24",
        "172.32.0.0/16",
        "192.169.0.0/16",
        "100.63.255.255/32",
        "100.128.0.0/10",
        "203.0.113.0/24",
        "2001:db8::/32",
        "2a01:4f8:c0c:1::/64",
        "fe80::/10",
        // Wider than a private block: they also admit public addresses, which the firewall filters.
        "10.0.0.0/7",
        "0.0.0.0/0",
        "::/0",
        "not a block",
    ] {
        assert!(!is_private(outside), "{outside}");
    }
}

#[test]
fn public_peers_give_no_private_network_warning() {
    let options = HcloudOptions {
        tier_ranges: BTreeMap::from([
            (
                "master".to_string(),
                vec![
                    "203.0.113.10/32".to_string(),
                    "2a01:4f8:c0c:1::/64".to_string(),
                ],
            ),
            ("worker".to_string(), vec!["198.51.100.0/27".to_string()]),
        ]),
        outbound_rules: true,
        ..Default::default()
    };
    let set = firewall_rules(
        &expansion(vec![
            tcp(tier("worker"), tier("master"), port(6443), "API"),
            tcp(endpoint("admin"), tier("master"), port(22), "SSH"),
            icmp(tier("master"), tier("worker"), None, "ping"),
        ]),
        &options,
    )
    .unwrap();
    assert_eq!(rules_of(&set, "master").len(), 3);
    assert_eq!(rules_of(&set, "worker").len(), 2);
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);
}

#[test]
fn one_warning_counts_the_rules_and_names_the_private_peers_compactly() {
    let mut expansion = expansion(vec![
        tcp(tier("worker"), tier("master"), port(6443), "API"),
        tcp(endpoint("vpn"), tier("master"), port(22), "SSH"),
        udp(tier("master"), tier("worker"), port(8472), "VXLAN"),
        tcp(tier("worker"), endpoint("admin"), port(443), "HTTPS"),
    ]);
    expansion.endpoints.insert(
        "vpn".to_string(),
        addresses(&["100.64.0.0/10"], &["fd00::/8"]),
    );
    let options = HcloudOptions {
        tier_ranges: BTreeMap::from([
            (
                "master".to_string(),
                vec!["10.0.1.0/24".to_string(), "2a01:4f8:c0c:1::/64".to_string()],
            ),
            ("worker".to_string(), hosts(150)),
        ]),
        outbound_rules: true,
        ..Default::default()
    };
    let set = firewall_rules(&expansion, &options).unwrap();
    // Rules with a private address: on the masters' firewall in tcp 6443 and out udp 8472 (the workers' 150
    // blocks, two rules each) and in tcp 22 (vpn); on the workers' in udp 8472 and out tcp 6443 (the masters'
    // 10.0.1.0/24). The workers' out tcp 443 holds only the admin endpoint's public blocks.
    assert_eq!(
        set.warnings,
        [
            "Hetzner Cloud Firewalls filter the servers' public interfaces only, not Hetzner private Networks: 7 \
             rule(s) (firewall \"master\": 5, \"worker\": 2) allow private addresses of tier \"master\" \
             (10.0.1.0/24), tier \"worker\" (10.0.0.1/32, 10.0.1.1/32, 10.0.10.1/32, and 147 more), endpoint \
             \"vpn\" (100.64.0.0/10, fd00::/8), and have no effect on traffic over a Hetzner private network, which \
             reaches the servers unfiltered. Restrict that traffic on the servers themselves, for example with \
             portmatrix_nftables_ruleset."
        ]
    );
    assert_eq!(
        rules_of(&set, "worker")["worker:out:tcp:443"].ips,
        ["2001:db8::/32", "203.0.113.0/24"]
    );
}

fn hosts(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("10.{}.{}.1/32", i / 250, i % 250))
        .collect()
}

#[test]
fn more_than_a_hundred_addresses_fill_several_rules() {
    let options = HcloudOptions {
        tier_ranges: BTreeMap::from([("worker".to_string(), hosts(150))]),
        ..Default::default()
    };
    let rules = vec![udp(tier("worker"), tier("worker"), port(8472), "VXLAN")];
    let set = firewall_rules(&expansion(rules), &options).unwrap();
    let worker = &set.firewalls["worker"];
    let keys: Vec<&str> = worker.rules.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["worker:in:udp:8472", "worker:in:udp:8472#2"]);
    assert_eq!(worker.rules[0].ips.len(), 100);
    assert_eq!(worker.rules[1].ips.len(), 50);
    assert_eq!(worker.effective_rules, 150);
}

#[test]
fn firewalls_over_hetzners_limits_fail_naming_the_contributors() {
    let many: Vec<Rule> = (0..51)
        .map(|i| {
            rule(
                tier("worker"),
                tier("master"),
                Protocol::Tcp,
                range(8000 + 2 * i, 8000 + 2 * i),
                "p",
            )
        })
        .collect();
    let errors = firewall_rules(&expansion(many), &options()).unwrap_err();
    let text = errors[0].to_string();
    assert!(
        matches!(
            &errors[0],
            HcloudError::Limit(LimitError {
                limit: Limit::Rules,
                count: 51,
                ..
            })
        ),
        "{text}"
    );
    assert_contains(&text, "tier \"master\" needs 51 rules; Hetzner allows 50 per firewall. Rules by platform: k8s (51)");

    let options = HcloudOptions {
        tier_ranges: BTreeMap::from([("worker".to_string(), hosts(100))]),
        ..Default::default()
    };
    let six: Vec<Rule> = (0..6)
        .map(|i| {
            rule(
                tier("worker"),
                tier("master"),
                Protocol::Tcp,
                range(9000 + 2 * i, 9000 + 2 * i),
                "p",
            )
        })
        .collect();
    let errors = firewall_rules(&expansion(six), &options).unwrap_err();
    let text = errors[0].to_string();
    assert!(
        text.contains(
            "needs 600 effective rules (one per address of each rule); Hetzner allows 500"
        ),
        "{text}"
    );
}

fn arb_rule() -> impl Strategy<Value = Rule> {
    use Protocol::{Icmp, Icmpv6, Number, Tcp, Udp};
    let peer = prop::sample::select(peers(&["master", "worker"], &["admin", "empty"]));
    let protocol = prop::sample::select(vec![Tcp, Udp, Icmp, Icmpv6, Number(47)]);
    (peer.clone(), peer, protocol, 1u16..40, 0u16..3).prop_map(
        |(source, destination, protocol, from, width)| {
            let ports = ports_for(&protocol, from, width, None);
            rule(source, destination, protocol, ports, "p")
        },
    )
}

proptest! {
    /// Every address a flow may use appears in the rule of its tier, direction, protocol and port, and no rule
    /// holds an address no flow asks for.
    #[test]
    fn no_address_is_lost_or_invented(rules in prop::collection::vec(arb_rule(), 0..25), outbound in any::<bool>()) {
        let expansion = expansion(rules);
        let options = HcloudOptions { outbound_rules: outbound, ..options() };
        let set = firewall_rules(&expansion, &options).unwrap();
        let mut expected: BTreeSet<(String, String)> = BTreeSet::new();
        for r in &expansion.rules {
            let mut sides = Vec::new();
            if let Peer::Tier(t) = &r.destination { sides.push((t, Direction::In, &r.source)); }
            if let (Peer::Tier(t), true) = (&r.source, outbound) { sides.push((t, Direction::Out, &r.destination)); }
            for (t, direction, peer) in sides {
                let addresses: Vec<String> = match peer {
                    Peer::Tier(p) => ranges().get(p).cloned().unwrap_or_default(),
                    Peer::Endpoint(e) => {
                        let a = &expansion.endpoints[e];
                        a.ipv4.iter().chain(&a.ipv6).cloned().collect()
                    }
                };
                let protocol = HcloudProtocol::of(r.protocol).unwrap();
                let port = match r.ports {
                    RulePorts::Range(range) if range.from == range.to => range.from.to_string(),
                    RulePorts::Range(range) => format!("{}-{}", range.from, range.to),
                    _ => "all".to_string(),
                };
                for a in addresses.into_iter().filter(|a| family_fits(r.protocol, a)) {
                    expected.insert((format!("{t}:{direction}:{protocol}:{port}"), a));
                }
            }
        }
        let written: BTreeSet<(String, String)> = set
            .firewalls
            .values()
            .flat_map(|f| f.rules.iter())
            .flat_map(|r| r.ips.iter().map(move |a| (r.key.clone(), a.clone())))
            .collect();
        prop_assert_eq!(written, expected);
    }

    #[test]
    fn output_does_not_depend_on_input_order(rules in prop::collection::vec(arb_rule(), 0..25)) {
        let mut reversed = rules.clone();
        reversed.reverse();
        prop_assert_eq!(
            firewall_rules(&expansion(rules), &options()),
            firewall_rules(&expansion(reversed), &options())
        );
    }
}
