//! Building blocks for the targets' tests: hand-made rules and reasons, so each test states only what it is about.

use std::collections::BTreeMap;

use crate::catalog::{PortRange, Protocol};
use crate::engine::{merge, EndpointAddresses, Expansion, Peer, Reason, Rule, RulePorts};
use crate::targets::common::Widening;
pub use crate::test_support::{assert_contains, assert_some_contains};

/// The tiers master, worker and lb, with no roles placed on them.
pub const TIERS: &[(&str, &[&str])] = &[("master", &[]), ("worker", &[]), ("lb", &[])];

/// The endpoint block `admin` most targets' tests use: two IPv4 ranges and one IPv6 range.
pub const ADMIN: (&str, &[&str], &[&str]) =
    ("admin", &["10.0.0.0/8", "192.168.0.0/16"], &["fd00::/8"]);

/// An endpoint block that gives IPv6 addresses only.
pub const V6ONLY: (&str, &[&str], &[&str]) = ("v6only", &[], &["2001:db8::/32"]);

/// An endpoint block that gives no addresses.
pub const EMPTY: (&str, &[&str], &[&str]) = ("empty", &[], &[]);

/// The strings `items`, owned.
pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Each name with its list of strings, owned: a map, or a list of pairs.
pub fn named_lists<C: FromIterator<(String, Vec<String>)>>(pairs: &[(&str, &[&str])]) -> C {
    pairs
        .iter()
        .map(|(name, items)| (name.to_string(), strings(items)))
        .collect()
}

/// The keys of `map`, in order.
pub fn keys<T>(map: &BTreeMap<String, T>) -> Vec<&str> {
    map.keys().map(String::as_str).collect()
}

/// Addresses of an endpoint block: IPv4 and IPv6 CIDRs, no references.
pub fn addresses(ipv4: &[&str], ipv6: &[&str]) -> EndpointAddresses {
    EndpointAddresses {
        ipv4: strings(ipv4),
        ipv6: strings(ipv6),
        references: vec![],
    }
}

/// An expansion of `rules`, merged, over `tiers` (each with its roles) and the endpoint blocks
/// `endpoints` (each with its IPv4 and IPv6 CIDRs); nothing skipped, no warnings.
pub fn expansion_of(
    rules: Vec<Rule>,
    tiers: &[(&str, &[&str])],
    endpoints: &[(&str, &[&str], &[&str])],
) -> Expansion {
    Expansion {
        rules: merge(rules),
        not_needed: vec![],
        skipped: vec![],
        warnings: vec![],
        tiers: named_lists(tiers),
        endpoints: endpoints
            .iter()
            .map(|(name, ipv4, ipv6)| (name.to_string(), addresses(ipv4, ipv6)))
            .collect::<BTreeMap<_, _>>(),
    }
}

/// A reason of `platform` with `purpose`; the other fields are placeholders.
pub fn reason(platform: &str, purpose: &str) -> Reason {
    Reason {
        platform: platform.into(),
        versions: "*".into(),
        from_role: "a".into(),
        to_role: "b".into(),
        purpose: purpose.into(),
        document: "doc".into(),
        url: "https://example.invalid/doc".into(),
        rows: vec![],
    }
}

/// A tier peer.
pub fn tier(name: &str) -> Peer {
    Peer::Tier(name.into())
}

/// An endpoint peer.
pub fn endpoint(name: &str) -> Peer {
    Peer::Endpoint(name.into())
}

/// A rule of `platform`.
pub(crate) fn rule_of(
    platform: &str,
    source: Peer,
    destination: Peer,
    protocol: Protocol,
    ports: RulePorts,
    purpose: &str,
) -> Rule {
    Rule {
        source,
        destination,
        protocol,
        ports,
        reasons: vec![reason(platform, purpose)],
    }
}

/// A rule of the made-up platform `k8s` from `from` to `to`.
pub fn rule(from: Peer, to: Peer, protocol: Protocol, ports: RulePorts, purpose: &str) -> Rule {
    rule_of("k8s", from, to, protocol, ports, purpose)
}

/// A port range.
pub fn range(from: u16, to: u16) -> RulePorts {
    RulePorts::Range(PortRange { from, to })
}

/// A one-port range.
pub fn port(port: u16) -> RulePorts {
    range(port, port)
}

/// A TCP rule of the made-up platform `k8s`.
pub fn tcp(source: Peer, destination: Peer, ports: RulePorts, purpose: &str) -> Rule {
    rule(source, destination, Protocol::Tcp, ports, purpose)
}

/// A UDP rule of the made-up platform `k8s`.
pub fn udp(source: Peer, destination: Peer, ports: RulePorts, purpose: &str) -> Rule {
    rule(source, destination, Protocol::Udp, ports, purpose)
}

/// An SCTP rule of the made-up platform `k8s`.
pub fn sctp(source: Peer, destination: Peer, ports: RulePorts, purpose: &str) -> Rule {
    rule(source, destination, Protocol::Sctp, ports, purpose)
}

/// A rule of the made-up platform `k8s` for every packet of IP protocol `number`.
pub fn ip(source: Peer, destination: Peer, number: u8, purpose: &str) -> Rule {
    rule(
        source,
        destination,
        Protocol::Number(number),
        RulePorts::All,
        purpose,
    )
}

/// An ICMP rule of the made-up platform `k8s` for one ICMP type, or every type.
pub fn icmp(source: Peer, destination: Peer, icmp_type: Option<u8>, purpose: &str) -> Rule {
    rule(
        source,
        destination,
        Protocol::Icmp,
        RulePorts::IcmpType(icmp_type),
        purpose,
    )
}

/// An ICMPv6 rule of the made-up platform `k8s` for one ICMPv6 type, or every type.
pub fn icmpv6(source: Peer, destination: Peer, icmp_type: Option<u8>, purpose: &str) -> Rule {
    rule(
        source,
        destination,
        Protocol::Icmpv6,
        RulePorts::IcmpType(icmp_type),
        purpose,
    )
}

/// Three rules many targets' tests start from: the API from workers to masters, SSH from the endpoint
/// block `admin` to masters, and DNS from workers to `admin`.
pub fn api_ssh_dns() -> Vec<Rule> {
    vec![
        tcp(tier("worker"), tier("master"), port(6443), "API"),
        tcp(endpoint("admin"), tier("master"), port(22), "SSH"),
        udp(tier("worker"), endpoint("admin"), port(53), "DNS"),
    ]
}

/// Peers for generated rules: the tiers `tiers`, then the endpoint blocks `endpoints`.
pub fn peers(tiers: &[&str], endpoints: &[&str]) -> Vec<Peer> {
    let tiers = tiers.iter().map(|t| tier(t));
    tiers.chain(endpoints.iter().map(|e| endpoint(e))).collect()
}

/// The ports of a generated rule of `protocol`: the ICMP type `icmp_type` for ICMP and ICMPv6, every packet
/// for a protocol given by number, else `from` to `from + width` (at most 65535).
pub fn ports_for(protocol: &Protocol, from: u16, width: u16, icmp_type: Option<u8>) -> RulePorts {
    match protocol {
        Protocol::Icmp | Protocol::Icmpv6 => RulePorts::IcmpType(icmp_type),
        Protocol::Number(_) => RulePorts::All,
        _ => range(from, from.saturating_add(width)),
    }
}

/// The one widening among `widened` that rule `rule` holds.
#[track_caller]
pub fn only_widening_of<'a>(widened: &'a [Widening], rule: &str) -> &'a Widening {
    let found: Vec<&Widening> = widened.iter().filter(|w| w.rule == rule).collect();
    assert_eq!(found.len(), 1, "{widened:?}");
    found[0]
}
