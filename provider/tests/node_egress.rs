//! The catalog `node-egress` (issue 9, point 7c): egress from every node to DNS, NTP, container registries, OS
//! package mirrors and the cloud's APIs, one option per destination class, every option off by default.
//!
//! The expected lines were written by hand from the documents the catalog cites, not from the program's output:
//! RFC 1035 4.2 ("name server access using TCP [RFC-793] on server port 53 (decimal) as well as datagram access using
//! UDP [RFC-768] on UDP port 53"), RFC 5905 7.2 and 7.3 ("PORT | 123", "The NTP packet is a UDP datagram"), RFC 9110
//! 4.2.1 and 4.2.2 (http: "TCP port 80", https: "TCP port 443") and the Amazon EKS hybrid nodes networking page
//! (awsdocs/amazon-eks-user-guide @f6004140: EKS, SSM and STS endpoints "HTTPS | 443").

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

mod reference_support;
use reference_support::*;

use portmatrix::catalog::{Catalog, Network, Protocol, Tier};
use portmatrix::engine::{expand, EndpointSpec, Expansion, ExpansionRequest};
use portmatrix::targets::aws::{security_group_rules, AwsOptions, AwsPeer, AwsProtocol};

const PLATFORM: &str = "node-egress";

/// RFC 1035 4.2, 4.2.1 and 4.2.2: port 53 over UDP and over TCP (TCP required by RFC 7766 section 5).
const DNS: &[&str] = &["node -> dns-servers udp 53", "node -> dns-servers tcp 53"];
/// RFC 5905 Figure 7 "PORT 123" and 7.3 "The NTP packet is a UDP datagram".
const NTP: &[&str] = &["node -> ntp-servers udp 123"];
/// RFC 9110 4.2.2: https without a port is TCP 443; the parameter registry_port defaults to it.
const REGISTRIES: &[&str] = &["node -> container-registry tcp ${registry_port}"];
/// RFC 9110 4.2.1: http without a port is TCP 80.
const PACKAGES_HTTP: &[&str] = &["node -> package-mirrors tcp 80"];
/// RFC 9110 4.2.2: https without a port is TCP 443.
const PACKAGES_HTTPS: &[&str] = &["node -> package-mirrors tcp 443"];
/// EKS hybrid nodes networking: "EKS service endpoints ... HTTPS | 443", SSM and STS "HTTPS | TCP | Outbound | 443".
const CLOUD_APIS: &[&str] = &["node -> cloud-apis tcp 443"];

/// Every option at its "on" value, each with the rows it must add.
const OPTIONS: &[(&str, &str, &[&[&str]])] = &[
    ("dns", "true", &[DNS]),
    ("ntp", "true", &[NTP]),
    ("registries", "true", &[REGISTRIES]),
    ("packages", "http", &[PACKAGES_HTTP]),
    ("packages", "https", &[PACKAGES_HTTPS]),
    ("packages", "both", &[PACKAGES_HTTP, PACKAGES_HTTPS]),
    ("cloud_apis", "true", &[CLOUD_APIS]),
];

/// Every endpoint of the catalog, bound to documentation addresses (the registry to a prefix list as well).
fn endpoints() -> Vec<EndpointSpec> {
    let bound = |name: &str, ipv4: &str, references: &[&str]| EndpointSpec {
        name: name.into(),
        ipv4: vec![ipv4.into()],
        references: references.iter().map(|r| (*r).to_owned()).collect(),
        ..Default::default()
    };
    vec![
        bound("dns-servers", "10.0.0.2/32", &[]),
        bound("ntp-servers", "169.254.169.123/32", &[]),
        bound(
            "container-registry",
            "10.1.0.0/16",
            &["pl-0123456789abcdef0"],
        ),
        bound("package-mirrors", "192.0.2.0/24", &[]),
        bound("cloud-apis", "198.51.100.0/24", &[]),
    ]
}

fn run(options: &[(&str, &str)], endpoints: Vec<EndpointSpec>) -> Expansion {
    let request = ExpansionRequest {
        platforms: vec![selection(PLATFORM, options)],
        endpoints,
        ..Default::default()
    };
    expand(Catalog::builtin(), &request).unwrap_or_else(|e| panic!("{options:?}: {e:?}"))
}

#[test]
fn every_option_is_a_flag_that_defaults_to_off() {
    let rel = release(PLATFORM);
    let mut names: Vec<&str> = rel.options.iter().map(|o| o.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["cloud_apis", "dns", "ntp", "packages", "registries"]
    );
    for option in &rel.options {
        assert_eq!(option.default, "false", "{}", option.name);
        assert_eq!(option.values.first().map(String::as_str), Some("false"));
    }
    // Every flow needs one option at an "on" value: none is unconditional.
    for flow in &rel.flows {
        assert_eq!(flow.when.len(), 1, "{} -> {}", flow.from, flow.to);
        assert!(
            flow.when.values().all(|v| !v.iter().any(|x| x == "false")),
            "{} -> {}",
            flow.from,
            flow.to
        );
    }
    let registry_port = rel.parameters.iter().find(|p| p.name == "registry_port");
    assert_eq!(registry_port.and_then(|p| p.default), Some(443));
    assert_eq!(rel.roles.len(), 1);
    assert_eq!(rel.roles[0].tiers, [Tier::Master, Tier::Worker]);
    assert_eq!(rel.roles[0].network, Network::Host);
    assert!(rel.loopback.is_empty());
}

#[test]
fn selected_alone_with_the_defaults_it_produces_nothing() {
    assert_rows(PLATFORM, &[], &[]);
    let off: Vec<(&str, &str)> = release(PLATFORM)
        .options
        .iter()
        .map(|o| (o.name.as_str(), o.default.as_str()))
        .collect();
    for options in [&[][..], &off[..]] {
        for bound in [vec![], endpoints()] {
            let expansion = run(options, bound);
            assert!(expansion.rules.is_empty(), "{:?}", expansion.rules);
            assert!(expansion.skipped.is_empty(), "{:?}", expansion.skipped);
            assert!(
                expansion.not_needed.is_empty(),
                "{:?}",
                expansion.not_needed
            );
            assert!(expansion.warnings.is_empty(), "{:?}", expansion.warnings);
        }
    }
}

#[test]
fn each_option_adds_exactly_its_cited_rows() {
    for (name, value, rows) in OPTIONS {
        assert_rows(PLATFORM, &[(name, value)], rows);
    }
    let all: Vec<(&str, &str)> = [
        ("dns", "true"),
        ("ntp", "true"),
        ("registries", "true"),
        ("packages", "both"),
        ("cloud_apis", "true"),
    ]
    .to_vec();
    assert_rows(
        PLATFORM,
        &all,
        &[
            DNS,
            NTP,
            REGISTRIES,
            PACKAGES_HTTP,
            PACKAGES_HTTPS,
            CLOUD_APIS,
        ],
    );
}

#[test]
fn every_flow_cites_a_source_with_rows() {
    let rel = release(PLATFORM);
    for flow in &rel.flows {
        assert!(
            rel.sources.iter().any(|s| s.id == flow.source),
            "{}",
            flow.source
        );
        assert!(!flow.rows.is_empty(), "{} -> {}", flow.from, flow.to);
    }
}

#[test]
fn an_option_without_its_endpoint_warns_naming_the_endpoint() {
    for (name, value, _) in OPTIONS {
        let expansion = run(&[(name, value)], vec![]);
        assert!(
            expansion.rules.is_empty(),
            "{name}={value}: {:?}",
            expansion.rules
        );
        let endpoint = release(PLATFORM)
            .flows
            .iter()
            .find(|f| {
                f.when
                    .get(*name)
                    .is_some_and(|v| v.iter().any(|x| x == value))
            })
            .map(|f| f.to.as_str())
            .unwrap_or_else(|| panic!("{name}={value}: no flow"));
        assert!(
            expansion.warnings.iter().any(|w| w.contains(endpoint)),
            "{name}={value}: no warning names {endpoint}: {:?}",
            expansion.warnings
        );
    }
}

/// On AWS an endpoint bound to a managed prefix list gives egress rules whose peer is the prefix list, from every
/// node tier, on the cited port; the CIDR bound beside it gets its own rules.
#[test]
fn aws_egress_to_a_prefix_list() {
    let expansion = run(&[("registries", "true"), ("dns", "true")], endpoints());
    let set = security_group_rules(&expansion, &AwsOptions::default())
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(set.ingress.is_empty(), "{:?}", set.ingress.keys());
    let mut keys: Vec<&str> = set.egress.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "master:tcp:443:10.1.0.0/16",
            "master:tcp:443:pl-0123456789abcdef0",
            "master:tcp:53:10.0.0.2/32",
            "master:udp:53:10.0.0.2/32",
            "worker:tcp:443:10.1.0.0/16",
            "worker:tcp:443:pl-0123456789abcdef0",
            "worker:tcp:53:10.0.0.2/32",
            "worker:udp:53:10.0.0.2/32",
        ]
    );
    for tier in ["master", "worker"] {
        let rule = &set.egress[&format!("{tier}:tcp:443:pl-0123456789abcdef0")];
        assert_eq!(
            rule.peer,
            AwsPeer::PrefixList("pl-0123456789abcdef0".into())
        );
        assert_eq!(rule.protocol, AwsProtocol::Catalog(Protocol::Tcp));
        assert_eq!((rule.from_port, rule.to_port), (Some(443), Some(443)));
        assert_eq!(rule.endpoints, ["container-registry"]);
        assert_eq!(rule.platforms, [PLATFORM]);
    }
}

/// registry_port moves the registry rule and nothing else.
#[test]
fn registry_port_moves_the_registry_rule() {
    let request = ExpansionRequest {
        platforms: vec![selection(PLATFORM, &[("registries", "true")])],
        endpoints: endpoints(),
        parameters: BTreeMap::from([("registry_port".to_owned(), 5000)]),
        ..Default::default()
    };
    let expansion = expand(Catalog::builtin(), &request).unwrap_or_else(|e| panic!("{e:?}"));
    let set = security_group_rules(&expansion, &AwsOptions::default())
        .unwrap_or_else(|e| panic!("{e:?}"));
    let mut keys: Vec<&str> = set.egress.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "master:tcp:5000:10.1.0.0/16",
            "master:tcp:5000:pl-0123456789abcdef0",
            "worker:tcp:5000:10.1.0.0/16",
            "worker:tcp:5000:pl-0123456789abcdef0",
        ]
    );
}
