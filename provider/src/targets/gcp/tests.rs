//! GCP shaping on hand-made expansions.

use super::*;
use crate::engine::Rule;
use crate::targets::fixtures::*;
use proptest::prelude::*;

fn expansion_with_tiers(rules: Vec<Rule>, tiers: &[&str]) -> Expansion {
    let tiers: Vec<(&str, &[&str])> = tiers.iter().map(|t| (*t, &[][..])).collect();
    expansion_of(rules, &tiers, &[ADMIN, EMPTY])
}

fn expansion(rules: Vec<Rule>) -> Expansion {
    expansion_of(rules, TIERS, &[ADMIN, EMPTY])
}

/// The rule set of `rules` with the default options.
fn shaped(rules: Vec<Rule>) -> GcpRuleSet {
    firewall_rules(&expansion(rules), &GcpOptions::default()).unwrap()
}

/// The options of these tests with `unsupported_flows = policy`.
fn unsupported(policy: UnsupportedPolicy) -> GcpOptions {
    GcpOptions {
        unsupported_flows: policy,
        ..GcpOptions::default()
    }
}

fn allow(protocol: &str, ports: &[&str]) -> Allow {
    Allow {
        protocol: protocol.into(),
        ports: ports.iter().map(|p| p.to_string()).collect(),
    }
}

#[test]
fn one_rule_per_direction_and_peer_pair_with_an_allow_block_per_protocol() {
    let set = shaped(vec![
        tcp(tier("worker"), tier("master"), port(6443), "API"),
        tcp(tier("worker"), tier("master"), port(179), "BGP"),
        udp(tier("worker"), tier("master"), port(8472), "VXLAN"),
        ip(tier("worker"), tier("master"), 4, "IPIP"),
        icmp(tier("worker"), tier("master"), None, "ping"),
        tcp(endpoint("admin"), tier("master"), port(22), "SSH"),
        udp(tier("master"), endpoint("admin"), port(53), "DNS"),
    ]);
    assert_eq!(
        keys(&set.rules),
        [
            "pm-eg-master-to-admin",
            "pm-eg-master-to-admin-v6",
            "pm-in-admin-to-master",
            "pm-in-admin-to-master-v6",
            "pm-in-worker-to-master",
        ]
    );
    let inbound = &set.rules["pm-in-worker-to-master"];
    assert_eq!(inbound.direction, Direction::Ingress);
    assert_eq!(inbound.target_tags, strings(&["pm-master"]));
    assert_eq!(inbound.source_tags, strings(&["pm-worker"]));
    assert!(inbound.source_ranges.is_empty() && inbound.destination_ranges.is_empty());
    assert_eq!(
        inbound.allow,
        [
            allow("tcp", &["179", "6443"]),
            allow("udp", &["8472"]),
            allow("icmp", &[]),
            allow("ipip", &[]),
        ]
    );
    assert_eq!(inbound.priority, DEFAULT_PRIORITY);
    assert_eq!(
        inbound.purposes,
        strings(&["API", "BGP", "IPIP", "VXLAN", "ping"])
    );

    // Endpoint ranges: one rule per address family, never both in one rule.
    let ssh = &set.rules["pm-in-admin-to-master"];
    assert_eq!(
        ssh.source_ranges,
        strings(&["10.0.0.0/8", "192.168.0.0/16"])
    );
    assert!(ssh.source_tags.is_empty());
    assert_eq!(
        set.rules["pm-in-admin-to-master-v6"].source_ranges,
        strings(&["fd00::/8"])
    );
    let dns = &set.rules["pm-eg-master-to-admin"];
    assert_eq!(dns.direction, Direction::Egress);
    assert_eq!(dns.target_tags, strings(&["pm-master"]));
    assert_eq!(
        dns.destination_ranges,
        strings(&["10.0.0.0/8", "192.168.0.0/16"])
    );
    assert!(dns.source_ranges.is_empty() && dns.source_tags.is_empty());

    // Egress to a tier needs its ranges; without tier_ranges it is left out, with a warning naming the fix.
    assert_eq!(set.warnings.len(), 1, "{:?}", set.warnings);
    assert!(set.warnings[0].contains("tier_ranges") && set.warnings[0].contains("master"));
}

#[test]
fn egress_between_tiers_uses_tier_ranges_split_by_family() {
    let options = GcpOptions {
        tier_ranges: [(
            "master".to_string(),
            strings(&["10.0.1.0/24", "fd00:1::/64"]),
        )]
        .into(),
        ..GcpOptions::default()
    };
    let set = firewall_rules(
        &expansion(vec![tcp(tier("worker"), tier("master"), port(6443), "API")]),
        &options,
    )
    .unwrap();
    assert_eq!(
        set.rules["pm-eg-worker-to-master"].destination_ranges,
        strings(&["10.0.1.0/24"])
    );
    assert_eq!(
        set.rules["pm-eg-worker-to-master-v6"].destination_ranges,
        strings(&["fd00:1::/64"])
    );
    assert_eq!(
        set.tiers["master"].ranges,
        strings(&["10.0.1.0/24", "fd00:1::/64"])
    );
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);

    let bad = GcpOptions {
        tier_ranges: [("master".to_string(), strings(&["10.0.1.5/24"]))].into(),
        ..GcpOptions::default()
    };
    let errors = firewall_rules(&expansion(vec![]), &bad).unwrap_err();
    let GcpError::Option(error) = &errors[0] else {
        panic!("{errors:?}")
    };
    assert_eq!(
        (error.option, error.key.as_deref()),
        ("tier_ranges", Some("master"))
    );
    assert!(error.detail.contains("10.0.1.0/24"), "{error}");
}

#[test]
fn ip_protocols_use_the_names_gcp_accepts() {
    let set = shaped(vec![
        ip(tier("worker"), tier("master"), 4, "IPIP"),
        ip(tier("worker"), tier("master"), 50, "ESP"),
        ip(tier("worker"), tier("master"), 51, "AH"),
        ip(tier("worker"), tier("master"), 47, "GRE"),
        icmpv6(tier("worker"), tier("master"), None, "ping6"),
        sctp(tier("worker"), tier("master"), range(1, 65535), "sctp"),
    ]);
    let protocols: Vec<(&str, usize)> = set.rules["pm-in-worker-to-master"]
        .allow
        .iter()
        .map(|a| (a.protocol.as_str(), a.ports.len()))
        .collect();
    assert_eq!(
        protocols,
        [
            ("sctp", 0),
            ("58", 0),
            ("ipip", 0),
            ("47", 0),
            ("esp", 0),
            ("ah", 0)
        ]
    );
}

#[test]
fn icmp_types_fail_by_default_and_name_the_flows_and_the_choices() {
    let rules = vec![
        Rule {
            reasons: vec![reason("cilium", "cilium-health ping")],
            ..icmp(tier("worker"), tier("master"), Some(8), "")
        },
        tcp(tier("worker"), tier("master"), port(6443), "API"),
    ];
    let errors = firewall_rules(&expansion(rules.clone()), &GcpOptions::default()).unwrap_err();
    let text = errors[0].to_string();
    assert!(matches!(errors[0], GcpError::Unsupported(_)));
    assert_contains(
        &text,
        "worker -> master icmp type 8 (cilium: cilium-health ping)",
    );
    assert_contains(&text, "cannot match ICMP types");
    let text = crate::terraform_terms::in_terraform_terms(&text);
    assert!(
        text.contains("unsupported_flows = \"widen\"") && text.contains("\"skip\""),
        "{text}"
    );

    let widened = firewall_rules(
        &expansion(rules.clone()),
        &unsupported(UnsupportedPolicy::Widen),
    )
    .unwrap();
    assert_eq!(
        widened.rules["pm-in-worker-to-master"].allow,
        [allow("tcp", &["6443"]), allow("icmp", &[])]
    );
    let inbound = only_widening_of(&widened.widened, "pm-in-worker-to-master");
    assert_eq!(inbound.opened, "every ICMP type");
    assert!(inbound.flow.contains("icmp type 8"));

    let skipped = firewall_rules(&expansion(rules), &unsupported(UnsupportedPolicy::Skip)).unwrap();
    assert_eq!(
        skipped.rules["pm-in-worker-to-master"].allow,
        [allow("tcp", &["6443"])]
    );
    assert!(skipped.widened.is_empty());
    assert_some_contains(&skipped.warnings, "left out worker -> master icmp type 8");
}

#[test]
fn sctp_port_ranges_are_unsupported_because_gcp_ports_are_tcp_and_udp_only() {
    let rules = vec![sctp(tier("worker"), tier("master"), port(9899), "x")];
    let errors = firewall_rules(&expansion(rules.clone()), &GcpOptions::default()).unwrap_err();
    assert!(errors[0].to_string().contains("ports for tcp and udp only"));
    let widened =
        firewall_rules(&expansion(rules), &unsupported(UnsupportedPolicy::Widen)).unwrap();
    assert_eq!(
        widened.rules["pm-in-worker-to-master"].allow,
        [allow("sctp", &[])]
    );
    assert!(widened
        .widened
        .iter()
        .any(|w| w.opened == "every SCTP port"));
}

#[test]
fn service_accounts_replace_tags_and_must_cover_every_tier() {
    let accounts = |tiers: &[&str]| -> BTreeMap<String, String> {
        tiers
            .iter()
            .map(|t| (t.to_string(), format!("{t}@p.iam.gserviceaccount.com")))
            .collect()
    };
    let rules = vec![tcp(tier("worker"), tier("master"), port(6443), "API")];
    let options = GcpOptions {
        service_accounts: accounts(&["master", "worker", "lb"]),
        ..GcpOptions::default()
    };
    let set = firewall_rules(&expansion(rules.clone()), &options).unwrap();
    let inbound = &set.rules["pm-in-worker-to-master"];
    assert!(inbound.target_tags.is_empty() && inbound.source_tags.is_empty());
    assert_eq!(
        inbound.target_service_accounts,
        strings(&["master@p.iam.gserviceaccount.com"])
    );
    assert_eq!(
        inbound.source_service_accounts,
        strings(&["worker@p.iam.gserviceaccount.com"])
    );
    assert_eq!(set.tiers["master"].network_tag, None);

    let partial = GcpOptions {
        service_accounts: accounts(&["master", "nodes"]),
        ..GcpOptions::default()
    };
    let errors = firewall_rules(&expansion(rules), &partial).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        text.iter().any(|t| t.contains("Unknown tier \"nodes\"")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t.contains("missing: lb, worker")),
        "{text:?}"
    );
}

#[test]
fn long_or_clashing_names_get_a_stable_hash_and_clashing_tags_fail() {
    let long = "a-tier-name-that-is-long-enough-to-overflow-gcp-rule-names";
    let rules = vec![
        rule(
            tier(long),
            tier("master"),
            Protocol::Tcp,
            range(6443, 6443),
            "API",
        ),
        rule(
            endpoint("admin"),
            tier(long),
            Protocol::Tcp,
            range(22, 22),
            "SSH",
        ),
    ];
    let tiers = ["master", long];
    let set = firewall_rules(
        &expansion_with_tiers(rules.clone(), &tiers),
        &GcpOptions::default(),
    )
    .unwrap();
    for name in set.rules.keys() {
        assert!(valid_gcp_name(name), "{name}");
    }
    let again =
        firewall_rules(&expansion_with_tiers(rules, &tiers), &GcpOptions::default()).unwrap();
    assert_eq!(set, again);
    assert!(set
        .rules
        .keys()
        .any(|n| n.starts_with("pm-in-a-tier-name-that-is-long")
            && n.len() <= 63
            && n[n.len() - 9..].starts_with('-')
            && n[n.len() - 8..].chars().all(|c| c.is_ascii_hexdigit())));

    let errors = firewall_rules(
        &expansion_with_tiers(vec![], &["a_b", "a-b"]),
        &GcpOptions::default(),
    )
    .unwrap_err();
    let GcpError::Option(error) = &errors[0] else {
        panic!("{errors:?}")
    };
    assert_eq!(error.option, "tier");
    assert!(error.summary.contains("pm-a-b"), "{error}");
}

#[test]
fn prefixes_are_checked() {
    for (options, option) in [
        (
            GcpOptions {
                name_prefix: "9x-".into(),
                ..GcpOptions::default()
            },
            "name_prefix",
        ),
        (
            GcpOptions {
                tag_prefix: "Bad_".into(),
                ..GcpOptions::default()
            },
            "tag_prefix",
        ),
        (
            GcpOptions {
                tag_prefix: String::new(),
                ..GcpOptions::default()
            },
            "tag_prefix",
        ),
    ] {
        let errors = firewall_rules(&expansion_with_tiers(vec![], &["1st"]), &options).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| matches!(e, GcpError::Option(o) if o.option == option)),
            "{option}: {errors:?}"
        );
    }
}

#[test]
fn a_bad_tag_prefix_is_one_error_not_one_per_tier() {
    let options = GcpOptions {
        tag_prefix: "Tag_".into(),
        ..GcpOptions::default()
    };
    let errors = firewall_rules(
        &expansion_with_tiers(vec![], &["master", "worker", "lb"]),
        &options,
    )
    .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let GcpError::Option(error) = &errors[0] else {
        panic!("{errors:?}")
    };
    assert_eq!(error.summary, "Invalid tag_prefix \"Tag_\"");
}

fn arb_rule() -> impl Strategy<Value = Rule> {
    use Protocol::{Icmp, Number, Tcp, Udp};
    let peer = prop::sample::select(peers(&["master", "worker", "lb"], &["admin"]));
    let protocol = prop::sample::select(vec![Tcp, Udp, Icmp, Number(4), Number(50)]);
    (peer.clone(), peer, protocol, 1u16..200, 0u16..20, "[a-c]").prop_map(
        |(src, dst, protocol, from, width, purpose)| {
            let ports = ports_for(&protocol, from, width, None);
            rule(src, dst, protocol, ports, &purpose)
        },
    )
}

/// Whether a GCP rule admits traffic from `source` to `destination` on `protocol` and `port`.
fn admits(
    set: &GcpRuleSet,
    direction: Direction,
    source: &Peer,
    destination: &Peer,
    protocol: Protocol,
    port: Option<u16>,
) -> bool {
    set.rules.values().any(|r| {
        r.direction == direction
            && &r.source == source
            && &r.destination == destination
            && r.allow.iter().any(|a| {
                a.protocol == gcp_protocol(protocol)
                    && match port {
                        None => a.ports.is_empty(),
                        Some(p) => a.ports.iter().any(|text| {
                            let range: PortRange =
                                text.parse().unwrap_or(PortRange { from: 1, to: 0 });
                            range.from <= p && p <= range.to
                        }),
                    }
            })
    })
}

proptest! {
    #[test]
    fn every_flow_is_admitted_by_a_valid_uniquely_named_rule(rules in prop::collection::vec(arb_rule(), 0..30)) {
        let options = GcpOptions {
            tier_ranges: [("master".to_string(), strings(&["10.0.1.0/24"])), ("worker".to_string(), strings(&["10.0.2.0/24"])), ("lb".to_string(), strings(&["10.0.3.0/24"]))].into(),
            ..GcpOptions::default()
        };
        let expansion = expansion(rules);
        let set = firewall_rules(&expansion, &options).unwrap();
        prop_assert_eq!(&set, &firewall_rules(&expansion, &options).unwrap(), "deterministic");
        for (name, rule) in &set.rules {
            prop_assert!(valid_gcp_name(name));
            prop_assert_eq!(name, &rule.name);
            prop_assert!(!rule.allow.is_empty());
            prop_assert!(!rule.target_tags.is_empty());
            // Never both families in one rule.
            let ranges: Vec<&String> = rule.source_ranges.iter().chain(&rule.destination_ranges).collect();
            prop_assert!(ranges.iter().all(|r| r.contains(':')) || ranges.iter().all(|r| !r.contains(':')));
        }
        for rule in &expansion.rules {
            let port = match rule.ports {
                RulePorts::Range(range) => Some(range.from),
                _ => None,
            };
            if let Peer::Tier(_) = rule.destination {
                prop_assert!(admits(&set, Direction::Ingress, &rule.source, &rule.destination, rule.protocol, port), "{}", rule.key());
            }
            if let Peer::Tier(_) = rule.source {
                prop_assert!(admits(&set, Direction::Egress, &rule.source, &rule.destination, rule.protocol, port), "{}", rule.key());
            }
        }
    }
}
