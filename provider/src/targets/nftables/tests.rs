//! nftables rulesets on hand-made expansions.

use super::*;
use crate::targets::fixtures::*;
use proptest::prelude::*;

/// Tiers master, worker (both with a role) and lb (no role); endpoints `admin` (IPv4 and IPv6), `v6only` and
/// `empty` (no addresses).
fn expansion(rules: Vec<Rule>) -> Expansion {
    let admin = (
        "admin",
        &["10.0.0.0/8", "10.9.0.0/16"][..],
        &["fd00::/8"][..],
    );
    let tiers: &[(&str, &[&str])] = &[
        ("master", &["k8s/control-plane"]),
        ("worker", &["k8s/node"]),
        ("lb", &[]),
    ];
    expansion_of(rules, tiers, &[admin, V6ONLY, EMPTY])
}

fn options(addresses: &[(&str, &[&str])]) -> NftOptions {
    NftOptions {
        tier_addresses: named_lists(addresses),
        pod_cidrs: vec!["10.244.0.0/16".into()],
        ..Default::default()
    }
}

const ADDRESSES: &[(&str, &[&str])] = &[
    ("master", &["192.168.1.0/24"]),
    ("worker", &["192.168.2.0/24", "fd00:2::/64"]),
];

/// The lines of one chain of a ruleset, without indentation.
fn chain_lines<'a>(ruleset: &'a str, chain: &str) -> Vec<&'a str> {
    let start = format!("  chain {chain} {{");
    let Some((_, rest)) = ruleset.split_once(&start) else {
        return Vec::new();
    };
    rest.lines()
        .skip(1)
        .take_while(|line| *line != "  }")
        .map(str::trim)
        .collect()
}

#[test]
fn a_worker_ruleset_reads_as_written_by_hand() {
    let expansion = expansion(vec![
        tcp(tier("master"), tier("worker"), port(10250), "Kubelet API"),
        udp(tier("worker"), tier("worker"), port(8472), "VXLAN"),
        tcp(
            endpoint("admin"),
            tier("worker"),
            range(30000, 32767),
            "NodePort Services",
        ),
        tcp(
            tier("worker"),
            tier("master"),
            port(6443),
            "Kubernetes API server",
        ),
    ]);
    let set = rulesets(&expansion, &options(ADDRESSES)).unwrap();
    assert_eq!(
        set.rulesets.keys().collect::<Vec<_>>(),
        ["master", "worker"],
        "lb holds no role"
    );
    let expected = r#"# portmatrix nftables ruleset for tier "worker", generated from the port tables of: k8s.
# Input policy drop; output not filtered. Loading this file replaces table inet portmatrix and no other table.
# Sources:
#   k8s, versions *: doc <https://example.invalid/doc>

table inet portmatrix
delete table inet portmatrix

table inet portmatrix {
  set endpoint_admin_v4 {
    type ipv4_addr
    flags interval
    elements = { 10.0.0.0/8 }
  }

  set endpoint_admin_v6 {
    type ipv6_addr
    flags interval
    elements = { fd00::/8 }
  }

  set pod_cidrs_v4 {
    type ipv4_addr
    flags interval
    elements = { 10.244.0.0/16 }
  }

  set tier_master_v4 {
    type ipv4_addr
    flags interval
    elements = { 192.168.1.0/24 }
  }

  set tier_worker_v4 {
    type ipv4_addr
    flags interval
    elements = { 192.168.2.0/24 }
  }

  set tier_worker_v6 {
    type ipv6_addr
    flags interval
    elements = { fd00:2::/64 }
  }

  chain input {
    type filter hook input priority 0; policy drop;
    iif "lo" accept comment "portmatrix: loopback"
    ct state established,related accept comment "portmatrix: replies and related packets"
    icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query } accept comment "portmatrix: IPv6 neighbour and multicast listener discovery"
    ip saddr @pod_cidrs_v4 accept comment "portmatrix: pods of this cluster (pod_cidrs)"
    ip saddr @tier_master_v4 tcp dport 10250 accept comment "k8s: Kubelet API"
    ip saddr @tier_worker_v4 udp dport 8472 accept comment "k8s: VXLAN"
    ip6 saddr @tier_worker_v6 udp dport 8472 accept comment "k8s: VXLAN"
    ip saddr @endpoint_admin_v4 tcp dport 30000-32767 accept comment "k8s: NodePort Services"
    ip6 saddr @endpoint_admin_v6 tcp dport 30000-32767 accept comment "k8s: NodePort Services"
    counter comment "portmatrix: packets no rule admits, which meet the policy (drop)"
  }
}
"#;
    assert_eq!(set.rulesets["worker"], expected);
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);
}

#[test]
fn numbered_protocols_icmp_types_and_families() {
    let expansion = expansion(vec![
        ip(tier("worker"), tier("master"), 4, "IP-in-IP"),
        ip(tier("worker"), tier("master"), 50, "ESP"),
        icmp(tier("worker"), tier("master"), Some(8), "ping"),
        icmp(tier("worker"), tier("master"), Some(42), "odd"),
        icmp(endpoint("admin"), tier("master"), None, "icmp"),
        icmpv6(endpoint("admin"), tier("master"), Some(128), "ping6"),
        sctp(endpoint("admin"), tier("master"), port(9899), "sctp"),
    ]);
    let set = rulesets(&expansion, &options(ADDRESSES)).unwrap();
    let input = chain_lines(&set.rulesets["master"], "input");
    for wanted in [
        "ip saddr @tier_worker_v4 meta l4proto 4 accept comment \"k8s: IP-in-IP\"",
        "ip6 saddr @tier_worker_v6 meta l4proto 4 accept comment \"k8s: IP-in-IP\"",
        "ip saddr @tier_worker_v4 meta l4proto 50 accept comment \"k8s: ESP\"",
        "ip saddr @tier_worker_v4 icmp type echo-request accept comment \"k8s: ping\"",
        "ip saddr @tier_worker_v4 icmp type 42 accept comment \"k8s: odd\"",
        "ip saddr @endpoint_admin_v4 meta l4proto icmp accept comment \"k8s: icmp\"",
        "ip6 saddr @endpoint_admin_v6 icmpv6 type echo-request accept comment \"k8s: ping6\"",
        "ip saddr @endpoint_admin_v4 sctp dport 9899 accept comment \"k8s: sctp\"",
    ] {
        assert!(input.contains(&wanted), "missing {wanted:?} in {input:#?}");
    }
    // ICMP is IPv4 only and ICMPv6 IPv6 only: no line crosses families, and nothing opens a port 4 or 50.
    assert!(!input
        .iter()
        .any(|l| l.starts_with("ip6 ") && l.contains(" icmp ")));
    assert!(!input
        .iter()
        .any(|l| l.starts_with("ip ") && l.contains("icmpv6 type echo")));
    assert!(!input
        .iter()
        .any(|l| l.contains("dport 4 ") || l.contains("dport 50 ")));
}

#[test]
fn the_output_chain_is_written_only_when_asked_and_matches_destinations() {
    let rules = vec![
        tcp(tier("worker"), tier("master"), port(6443), "API"),
        udp(tier("worker"), endpoint("admin"), port(53), "DNS"),
    ];
    let plain = rulesets(&expansion(rules.clone()), &options(ADDRESSES)).unwrap();
    assert!(chain_lines(&plain.rulesets["worker"], "output").is_empty());
    assert!(
        !plain.rulesets["worker"].contains("endpoint_admin"),
        "unused sets are not declared"
    );

    let mut with_output = options(ADDRESSES);
    with_output.output_policy = Some(Policy::Drop);
    with_output.input_policy = Policy::Accept;
    let set = rulesets(&expansion(rules), &with_output).unwrap();
    let worker = &set.rulesets["worker"];
    assert!(worker.contains("type filter hook input priority 0; policy accept;"));
    assert!(worker.contains("type filter hook output priority 0; policy drop;"));
    let output = chain_lines(worker, "output");
    assert_eq!(
        output,
        [
            "type filter hook output priority 0; policy drop;",
            "oif \"lo\" accept comment \"portmatrix: loopback\"",
            "ct state established,related accept comment \"portmatrix: replies and related packets\"",
            "icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, 143 } \
             accept comment \"portmatrix: IPv6 neighbour and multicast listener discovery\"",
            "ip daddr @pod_cidrs_v4 accept comment \"portmatrix: pods of this cluster (pod_cidrs)\"",
            "ip daddr @tier_master_v4 tcp dport 6443 accept comment \"k8s: API\"",
            "ip daddr @endpoint_admin_v4 udp dport 53 accept comment \"k8s: DNS\"",
            "ip6 daddr @endpoint_admin_v6 udp dport 53 accept comment \"k8s: DNS\"",
            "counter comment \"portmatrix: packets no rule admits, which meet the policy (drop)\"",
        ]
    );
    // The master receives the API rule whatever the output policy.
    assert!(chain_lines(&set.rulesets["master"], "input")
        .contains(&"ip saddr @tier_worker_v4 tcp dport 6443 accept comment \"k8s: API\""));
}

#[test]
fn set_elements_are_sorted_single_addresses_accepted_and_nested_blocks_left_out() {
    let expansion = expansion(vec![tcp(tier("worker"), tier("master"), port(6443), "API")]);
    let addresses: &[(&str, &[&str])] = &[
        ("master", &["192.168.1.0/24"]),
        (
            "worker",
            &[
                "192.168.2.7",
                "10.1.0.0/16",
                "10.1.5.0/24",
                "192.168.2.7/32",
                "fd00::1",
                "10.0.0.0/8",
            ],
        ),
    ];
    let set = rulesets(&expansion, &options(addresses)).unwrap();
    let master = &set.rulesets["master"];
    assert!(master.contains(
        "  set tier_worker_v4 {\n    type ipv4_addr\n    flags interval\n    elements = { 10.0.0.0/8, \
         192.168.2.7/32 }\n  }"
    ));
    assert!(master.contains("elements = { fd00::1/128 }"));
}

#[test]
fn bad_and_unknown_addresses_are_errors_naming_the_input() {
    let expansion = expansion(vec![]);
    let mut bad = options(&[
        ("master", &["192.168.1.7/24", "not-an-address"]),
        ("wroker", &["10.0.0.0/8"]),
    ]);
    bad.pod_cidrs = vec!["10.244.0.0/33".into()];
    let errors = rulesets(&expansion, &bad).unwrap_err();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert_eq!(
        errors[0],
        NftError::BadAddress {
            input: AddressInput::Tier { tier: "master".into(), index: 0 },
            problem: "\"192.168.1.7/24\" has host bits set: write the network \"192.168.1.0/24\", or the single \
                      address \"192.168.1.7\" without a prefix."
                .into()
        }
    );
    assert!(matches!(
        &errors[1],
        NftError::BadAddress {
            input: AddressInput::Tier { index: 1, .. },
            ..
        }
    ));
    assert_eq!(
        crate::terraform_terms::in_terraform_terms(&errors[2].to_string()),
        "tier_addresses names \"wroker\", which is not one of your tiers (master, worker, lb). Fix the name or \
         add a tier block named \"wroker\"."
    );
    assert!(matches!(
        &errors[3],
        NftError::BadAddress {
            input: AddressInput::Pods { index: 0 },
            ..
        }
    ));
}

#[test]
fn a_peer_tier_without_addresses_is_an_error_listing_the_rules_that_need_them() {
    let expansion = expansion(vec![
        tcp(tier("worker"), tier("master"), port(6443), "API"),
        tcp(tier("worker"), tier("master"), port(10250), "kubelet"),
        tcp(tier("master"), tier("worker"), port(10250), "kubelet"),
    ]);
    let errors = rulesets(
        &expansion,
        &options(&[("master", &["192.168.1.0/24"]), ("worker", &[])]),
    )
    .unwrap_err();
    assert_eq!(
        errors,
        [NftError::MissingAddresses {
            tier: "worker".into(),
            rules: vec![
                "worker->master:tcp:10250".into(),
                "worker->master:tcp:6443".into()
            ],
        }]
    );
    assert!(
        crate::terraform_terms::in_terraform_terms(&errors[0].to_string())
            .contains("tier_addresses = { worker = [\"10.0.1.0/24\"] }")
    );
    // Without an output chain, a tier that only receives needs no addresses.
    let only_master = expansion.clone();
    let receive_only = Expansion {
        rules: only_master
            .rules
            .into_iter()
            .filter(|r| r.source == tier("worker"))
            .collect(),
        ..only_master
    };
    let set = rulesets(&receive_only, &options(&[("worker", &["192.168.2.0/24"])])).unwrap();
    assert!(set.rulesets.contains_key("master"));
}

#[test]
fn rules_that_cannot_be_written_are_warnings() {
    let expansion = expansion(vec![
        tcp(endpoint("empty"), tier("master"), port(22), "SSH"),
        icmp(endpoint("v6only"), tier("master"), None, "ICMP"),
    ]);
    let mut no_pods = options(ADDRESSES);
    no_pods.pod_cidrs.clear();
    let set = rulesets(&expansion, &no_pods).unwrap();
    assert_eq!(
        set.warnings.iter().map(|w| crate::terraform_terms::in_terraform_terms(w)).collect::<Vec<_>>(),
        [
            "endpoint \"empty\" has no addresses: the input rule of tier \"master\" for tcp 22 was not written; \
             give IPv4 or IPv6 addresses in an endpoint block named \"empty\"",
            "the input rule of tier \"master\" for icmp all (from v6only) was not written: endpoint \"v6only\" has \
             no IPv4 addresses",
            "pod_cidrs is empty: with input_policy = \"drop\" the rulesets block pods from host-network services \
             of their own node (the API server for pods on a master, node-local DNS, the kubelet); set pod_cidrs to \
             the cluster's pod ranges",
        ]
    );
    assert!(!set.rulesets["master"].contains("pod_cidrs"));
}

#[test]
fn comments_fit_nftables_and_carry_no_quotes() {
    let long = "a \"quoted\" purpose with the masters\u{2019} secret store ".repeat(8);
    let expansion = expansion(vec![tcp(
        tier("worker"),
        tier("master"),
        range(1, 2),
        &long,
    )]);
    let set = rulesets(&expansion, &options(ADDRESSES)).unwrap();
    let line = chain_lines(&set.rulesets["master"], "input")
        .into_iter()
        .find(|l| l.contains("dport 1-2"))
        .unwrap();
    let (_, comment) = line.split_once(" comment \"").unwrap();
    let comment = comment.strip_suffix('"').unwrap();
    assert!(comment.len() <= MAX_COMMENT, "{} bytes", comment.len());
    assert!(comment.ends_with("..."));
    assert!(
        comment.starts_with("k8s: a quoted purpose with the masters' secret store"),
        "{comment}"
    );
    assert!(comment.is_ascii() && !comment.contains('"'));
}

#[test]
fn cloud_config_writes_the_ruleset_verbatim_and_loads_it_at_boot() {
    let expansion = expansion(vec![tcp(tier("worker"), tier("master"), port(6443), "API")]);
    let set = rulesets(&expansion, &options(ADDRESSES)).unwrap();
    let document = &set.cloud_init["master"];
    assert!(document.starts_with("#cloud-config\n"));
    // The first write_files entry's block scalar, indented six spaces, is the ruleset line for line.
    let (_, after) = document
        .split_once(&format!("  - path: {RULESET_PATH}\n"))
        .unwrap();
    let (_, content) = after.split_once("    content: |\n").unwrap();
    let (block, rest) = content
        .split_once("\n  - path: /etc/systemd/system/portmatrix-nftables.service\n")
        .unwrap();
    let unindented: Vec<&str> = block
        .lines()
        .map(|line| {
            line.strip_prefix("      ").unwrap_or_else(|| {
                assert!(
                    line.is_empty(),
                    "line {line:?} is not indented into the block"
                );
                line
            })
        })
        .collect();
    assert_eq!(unindented.join("\n") + "\n", set.rulesets["master"]);
    assert!(rest.contains(&format!("ExecStart=/usr/sbin/nft -f {RULESET_PATH}")));
    assert!(rest.ends_with(
        "runcmd:\n  - [systemctl, daemon-reload]\n  - [systemctl, enable, --now, portmatrix-nftables.service]\n"
    ));
    assert!(!document.contains('\t'), "YAML indentation takes no tabs");
}

#[test]
fn policies_parse_and_refuse_other_words() {
    assert_eq!("drop".parse::<Policy>(), Ok(Policy::Drop));
    assert_eq!("accept".parse::<Policy>(), Ok(Policy::Accept));
    assert!("reject".parse::<Policy>().unwrap_err().contains("\"drop\""));
    assert_eq!(parse_output_policy("none"), Ok(None));
    assert_eq!(parse_output_policy("drop"), Ok(Some(Policy::Drop)));
    assert!(parse_output_policy("deny")
        .unwrap_err()
        .contains("\"none\""));
}

fn arb_rule() -> impl Strategy<Value = Rule> {
    use Protocol::{Icmp, Icmpv6, Number, Tcp, Udp};
    let peer = prop::sample::select(peers(&["master", "worker"], &["admin", "v6only"]));
    let protocol = prop::sample::select(vec![Tcp, Udp, Icmp, Icmpv6, Number(4)]);
    let ports = (1u16..2000, 0u16..50, prop::option::of(0u8..3));
    (peer, prop::bool::ANY, protocol, ports).prop_map(
        |(peer, to_master, protocol, (from, width, icmp))| {
            let ports = ports_for(&protocol, from, width, icmp);
            let destination = tier(if to_master { "master" } else { "worker" });
            rule(peer, destination, protocol, ports, "p")
        },
    )
}

proptest! {
    #[test]
    fn every_rule_has_its_line_and_output_is_deterministic(rules in prop::collection::vec(arb_rule(), 0..30)) {
        let expansion = expansion(rules);
        let set = rulesets(&expansion, &options(ADDRESSES)).unwrap();
        let again = rulesets(&expansion.clone(), &options(ADDRESSES)).unwrap();
        prop_assert_eq!(&set, &again);
        for rule in &expansion.rules {
            let Peer::Tier(destination) = &rule.destination else { continue };
            let input = chain_lines(&set.rulesets[destination], "input");
            let l4 = l4_match(rule.protocol, rule.ports);
            for family in Family::BOTH {
                let has_addresses = match rule.source.name() {
                    "master" | "admin" | "worker" => true,
                    _ => family == Family::V6,
                } && !(rule.source.name() == "master" && family == Family::V6);
                let fits = protocol_family(rule.protocol).is_none_or(|f| f == family);
                let line = format!(
                    "{} saddr @{}_{}_{} {l4} accept",
                    family.words().header,
                    rule.source.kind(),
                    rule.source.name(),
                    family.words().suffix
                );
                let found = input.iter().any(|l| l.starts_with(&line));
                prop_assert_eq!(found, has_addresses && fits, "{} in {:#?}", line, input);
            }
        }
    }
}
