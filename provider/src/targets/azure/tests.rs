//! Azure shaping on hand-made expansions.

use super::*;
use crate::engine::Rule;
use crate::targets::fixtures::*;
use proptest::prelude::*;

fn expansion(rules: Vec<Rule>) -> Expansion {
    expansion_of(rules, TIERS, &[ADMIN])
}

/// The options of these tests with `unsupported_flows = policy`.
fn unsupported(policy: UnsupportedPolicy) -> AzureOptions {
    AzureOptions {
        unsupported_flows: policy,
        ..options()
    }
}

fn options() -> AzureOptions {
    AzureOptions {
        platform_order: strings(&["k8s", "calico", "longhorn"]),
        ..AzureOptions::default()
    }
}

#[test]
fn one_rule_per_protocol_between_two_sides_with_every_port_range() {
    let set = security_rules(
        &expansion(vec![
            tcp(tier("worker"), tier("master"), port(6443), "API"),
            tcp(
                tier("worker"),
                tier("master"),
                range(30000, 32767),
                "NodePort",
            ),
            udp(tier("worker"), tier("master"), port(8472), "VXLAN"),
            ip(tier("worker"), tier("master"), 50, "IPsec"),
            tcp(endpoint("admin"), tier("master"), port(22), "SSH"),
        ]),
        &options(),
    )
    .unwrap();
    assert_eq!(
        keys(&set.rules),
        [
            "pm-in-admin-to-master-tcp",
            "pm-in-admin-to-master-tcp-v6",
            "pm-in-worker-to-master-esp",
            "pm-in-worker-to-master-tcp",
            "pm-in-worker-to-master-udp",
            "pm-out-worker-to-master-esp",
            "pm-out-worker-to-master-tcp",
            "pm-out-worker-to-master-udp",
        ]
    );
    let api = &set.rules["pm-in-worker-to-master-tcp"];
    assert_eq!(api.tier, "master");
    assert_eq!(api.direction, Direction::Inbound);
    assert_eq!(api.protocol.as_str(), "Tcp");
    assert_eq!(api.destination_ports, strings(&["6443", "30000-32767"]));
    assert_eq!(api.source, Side::Tier("worker".into()));
    assert_eq!(api.destination, Side::Tier("master".into()));
    let out = &set.rules["pm-out-worker-to-master-tcp"];
    assert_eq!(out.tier, "worker");
    assert_eq!(
        set.rules["pm-in-worker-to-master-esp"].protocol.as_str(),
        "Esp"
    );
    assert!(set.rules["pm-in-worker-to-master-esp"]
        .destination_ports
        .is_empty());
    // Endpoint prefixes: one rule per address family.
    assert_eq!(
        set.rules["pm-in-admin-to-master-tcp"].source,
        Side::Prefixes {
            endpoint: "admin".into(),
            prefixes: strings(&["10.0.0.0/8", "192.168.0.0/16"])
        }
    );
    assert_eq!(
        set.rules["pm-in-admin-to-master-tcp-v6"].source,
        Side::Prefixes {
            endpoint: "admin".into(),
            prefixes: strings(&["fd00::/8"])
        }
    );
    assert_eq!(
        set.tiers["master"],
        AzureTier {
            inbound: 5,
            outbound: 0
        }
    );
    assert_eq!(
        set.tiers["worker"],
        AzureTier {
            inbound: 0,
            outbound: 3
        }
    );
    assert_eq!(set.tiers["lb"], AzureTier::default());
    for rule in set.rules.values() {
        assert!((100..=4096).contains(&rule.priority), "{rule:?}");
        assert!(rule.description.chars().count() <= 140);
    }
}

#[test]
fn priorities_are_unique_per_nsg_and_direction() {
    let mut rules = Vec::new();
    for port in 1..=300u16 {
        for (s, d) in [("worker", "master"), ("master", "worker"), ("lb", "worker")] {
            rules.push(rule(
                tier(s),
                tier(d),
                Protocol::Tcp,
                range(port * 2, port * 2),
                "p",
            ));
        }
        rules.push(rule(
            endpoint("admin"),
            tier("master"),
            Protocol::Udp,
            range(port * 2, port * 2),
            "q",
        ));
    }
    let narrow = AzureOptions {
        first_priority: 1000,
        last_priority: 1009,
        ..options()
    };
    for nsg_per_tier in [false, true] {
        let set = security_rules(
            &expansion(rules.clone()),
            &AzureOptions {
                nsg_per_tier,
                ..narrow.clone()
            },
        )
        .unwrap();
        let mut seen = BTreeSet::new();
        for rule in set.rules.values() {
            let nsg = nsg_per_tier.then(|| rule.tier.clone());
            assert!(
                seen.insert((nsg, rule.direction, rule.priority)),
                "{rule:?}"
            );
            assert!((1000..=1009).contains(&rule.priority));
        }
    }
    let tight = AzureOptions {
        first_priority: 1000,
        last_priority: 1001,
        ..options()
    };
    let errors = security_rules(&expansion(rules), &tight).unwrap_err();
    let text = errors[0].to_string();
    assert!(
        text.contains("Not enough priorities") && text.contains("nsg_per_tier"),
        "{text}"
    );
}

#[test]
fn ip_in_ip_fails_by_default_listing_the_flows_and_choices() {
    let rules = vec![
        rule_of(
            "calico",
            tier("worker"),
            tier("master"),
            Protocol::Number(4),
            RulePorts::All,
            "IP-in-IP",
        ),
        rule_of(
            "calico",
            tier("master"),
            tier("worker"),
            Protocol::Number(4),
            RulePorts::All,
            "IP-in-IP",
        ),
        tcp(tier("worker"), tier("master"), port(6443), "API"),
    ];
    let errors = security_rules(&expansion(rules.clone()), &options()).unwrap_err();
    let text = errors[0].to_string();
    assert!(matches!(errors[0], AzureError::Unsupported(_)));
    assert!(
        text.contains("cannot express 2 flow(s)")
            && text.contains("worker -> master 4 all (calico: IP-in-IP)"),
        "{text}"
    );
    let text = crate::terraform_terms::in_terraform_terms(&text);
    assert!(
        text.contains("unsupported_flows = \"widen\"")
            && text.contains("unsupported_flows = \"skip\""),
        "{text}"
    );

    let widened = security_rules(
        &expansion(rules.clone()),
        &unsupported(UnsupportedPolicy::Widen),
    )
    .unwrap();
    let any = &widened.rules["pm-in-worker-to-master-any"];
    assert_eq!(any.protocol.as_str(), "*");
    assert!(any.destination_ports.is_empty());
    assert_eq!(any.platforms, strings(&["calico"]));
    let inbound = only_widening_of(&widened.widened, "pm-in-worker-to-master-any");
    assert!(inbound.opened.contains("every protocol"));

    let skipped = security_rules(&expansion(rules), &unsupported(UnsupportedPolicy::Skip)).unwrap();
    assert!(!skipped.rules.keys().any(|k| k.ends_with("-any")));
    assert_eq!(
        skipped
            .warnings
            .iter()
            .filter(|w| w.contains("left out") && w.contains(" 4 all "))
            .count(),
        2,
        "{:?}",
        skipped.warnings
    );
}

#[test]
fn typed_icmp_widens_to_icmp_and_other_protocols_to_any() {
    let rules = vec![
        icmp(tier("worker"), tier("master"), Some(8), "ping"),
        icmpv6(tier("worker"), tier("master"), None, "ping6"),
        sctp(tier("worker"), tier("master"), port(9899), "sctp"),
        ip(tier("worker"), tier("master"), 51, "AH"),
    ];
    let errors = security_rules(&expansion(rules.clone()), &options()).unwrap_err();
    let text = errors[0].to_string();
    for needle in [
        "cannot match ICMP types",
        "name no ICMPv6",
        "Tcp, Udp, Icmp, Esp, Ah and *",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    let set = security_rules(&expansion(rules), &unsupported(UnsupportedPolicy::Widen)).unwrap();
    let protocols: Vec<&str> = set
        .rules
        .values()
        .filter(|r| r.direction == Direction::Inbound)
        .map(|r| r.protocol.as_str())
        .collect();
    assert_eq!(protocols, ["Ah", "*", "Icmp"]);
    assert_eq!(
        set.widened
            .iter()
            .filter(|w| w.rule == "pm-in-worker-to-master-icmp")
            .map(|w| w.opened.as_str())
            .collect::<Vec<_>>(),
        ["every ICMP type"]
    );
}

#[test]
fn options_are_checked() {
    for (bad, option) in [
        (
            AzureOptions {
                first_priority: 99,
                ..options()
            },
            "first_priority",
        ),
        (
            AzureOptions {
                last_priority: 4097,
                ..options()
            },
            "last_priority",
        ),
        (
            AzureOptions {
                first_priority: 300,
                last_priority: 200,
                ..options()
            },
            "last_priority",
        ),
        (
            AzureOptions {
                name_prefix: "-x".into(),
                ..options()
            },
            "name_prefix",
        ),
    ] {
        let errors = security_rules(&expansion(vec![]), &bad).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| matches!(e, AzureError::Option(o) if o.option == option)),
            "{option}: {errors:?}"
        );
    }
}

fn arb_rule(platform: &'static str) -> impl Strategy<Value = Rule> {
    use Protocol::{Icmp, Number, Tcp, Udp};
    let peer = prop::sample::select(peers(&["master", "worker", "lb"], &["admin"]));
    let protocol = prop::sample::select(vec![Tcp, Udp, Icmp, Number(50), Number(4)]);
    (peer.clone(), peer, protocol, 1u16..2000, "[a-c]").prop_map(
        move |(src, dst, protocol, port, purpose)| {
            let ports = ports_for(&protocol, port, 0, None);
            rule_of(platform, src, dst, protocol, ports, &purpose)
        },
    )
}

proptest! {
    #[test]
    fn appending_a_platform_never_renumbers_existing_rules(
        first in prop::collection::vec(arb_rule("k8s"), 0..60),
        second in prop::collection::vec(arb_rule("calico"), 0..60),
        nsg_per_tier in any::<bool>(),
        span in 80u16..300,
    ) {
        let options = AzureOptions {
            nsg_per_tier,
            first_priority: 1000,
            last_priority: 1000 + span,
            unsupported_flows: UnsupportedPolicy::Widen,
            platform_order: strings(&["k8s", "calico"]),
            ..AzureOptions::default()
        };
        let before = security_rules(&expansion(first.clone()), &options).unwrap();
        let after = security_rules(&expansion([first, second].concat()), &options).unwrap();
        for (name, rule) in &before.rules {
            prop_assert_eq!(after.rules.get(name).map(|r| r.priority), Some(rule.priority), "{}", name);
        }
        let mut seen = BTreeSet::new();
        for rule in after.rules.values() {
            prop_assert!(seen.insert((nsg_per_tier.then(|| rule.tier.clone()), rule.direction, rule.priority)));
            prop_assert!(rule.description.chars().count() <= 140);
            prop_assert!(rule.name.len() <= 80);
        }
    }
}
