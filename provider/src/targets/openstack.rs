//! OpenStack security group rules: an [`Expansion`] shaped for `openstack_networking_secgroup_rule_v2`.
//!
//! Every tier is one Neutron security group. A rule whose destination is a tier becomes an ingress rule of that
//! tier's group; a rule whose source is a tier becomes an egress rule of that tier's group. Unlike an AWS group
//! reference, a Neutron rule has one `ethertype`: a rule referencing another group (`remote_group_id`) matches only
//! that family's addresses, so a tier peer gets one rule per address family in [`OpenStackOptions::ethertypes`],
//! and a CIDR peer one rule in its own family.
//!
//! Protocol names are Neutron's (neutron-lib `IP_PROTOCOL_MAP`, as the Terraform provider validates them): `tcp`,
//! `udp`, `sctp`, `icmp`, and `ipv6-icmp` for ICMPv6, which Neutron stores under that name whatever alias it is
//! sent. Other protocols are sent as their number, which every Neutron release accepts (names such as `ipip` were
//! added to Neutron later).

use crate::catalog::Protocol;
use crate::engine::{merge, EndpointAddresses, Expansion, Peer, Rule, RulePorts};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// The longest description Neutron stores (neutron-lib `DESCRIPTION_FIELD_SIZE`).
const MAX_DESCRIPTION: usize = 255;

/// IP protocols that exist only over IPv6; Neutron refuses them in an `IPv4` rule (neutron `securitygroups_db`
/// `_validate_ethertype_and_protocol`): ipv6-route 43, ipv6-frag 44, ipv6-encap 41, ipv6-nonxt 59, ipv6-opts 60.
const IPV6_ONLY_PROTOCOLS: [u8; 5] = [41, 43, 44, 59, 60];

/// A Neutron address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ethertype {
    /// `IPv4`.
    Ipv4,
    /// `IPv6`.
    Ipv6,
}

impl fmt::Display for Ethertype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ethertype::Ipv4 => "IPv4",
            Ethertype::Ipv6 => "IPv6",
        })
    }
}

impl FromStr for Ethertype {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "IPv4" => Ok(Ethertype::Ipv4),
            "IPv6" => Ok(Ethertype::Ipv6),
            other => Err(format!(
                "{other:?} is not an ethertype: write \"IPv4\" or \"IPv6\", as Neutron spells them"
            )),
        }
    }
}

/// How to shape the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenStackOptions {
    /// Address families of the rules that reference a tier's group.
    pub ethertypes: BTreeSet<Ethertype>,
    /// Write ICMP type 0 rules as rules for every ICMP type instead of failing.
    pub widen_icmp_types: bool,
}

impl Default for OpenStackOptions {
    fn default() -> Self {
        OpenStackOptions {
            ethertypes: BTreeSet::from([Ethertype::Ipv4, Ethertype::Ipv6]),
            widen_icmp_types: false,
        }
    }
}

/// Inbound or outbound, as Neutron names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Rules of the destination's group.
    Ingress,
    /// Rules of the source's group.
    Egress,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        })
    }
}

/// The other side of a Neutron rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpenStackPeer {
    /// Another tier's (or the same tier's) group, as `remote_group_id`.
    Tier(String),
    /// One CIDR block of an endpoint, as `remote_ip_prefix`.
    Cidr {
        /// Endpoint block name.
        endpoint: String,
        /// The CIDR block.
        cidr: String,
    },
}

impl OpenStackPeer {
    /// The peer as it appears in rule keys: a tier name, or `endpoint:cidr`.
    pub fn key(&self) -> String {
        match self {
            OpenStackPeer::Tier(tier) => tier.clone(),
            OpenStackPeer::Cidr { endpoint, cidr } => format!("{endpoint}:{cidr}"),
        }
    }
}

/// One rule as `openstack_networking_secgroup_rule_v2` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenStackRule {
    /// The tier whose group holds the rule.
    pub tier: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// The address family.
    pub ethertype: Ethertype,
    /// The other side.
    pub peer: OpenStackPeer,
    /// `protocol`: a Neutron protocol name or an IP protocol number.
    pub protocol: String,
    /// `port_range_min`: first port, or the ICMP type; `None` for every ICMP type and portless protocols.
    pub port_range_min: Option<i64>,
    /// `port_range_max`: last port, or 0 for an ICMP type (see [`rule_ports`]); `None` like `port_range_min`.
    pub port_range_max: Option<i64>,
    /// The `ports` part of the key: `6443`, `30000-32767`, an ICMP type, or `all`.
    pub ports: String,
    /// `portmatrix <platforms>: <purposes>`, within Neutron's length.
    pub description: String,
    /// Platforms behind the rule.
    pub platforms: Vec<String>,
    /// Purposes behind the rule.
    pub purposes: Vec<String>,
}

impl OpenStackRule {
    /// `{tier}:{ethertype}:{protocol}:{ports}:{peer}`, e.g. `master:IPv4:tcp:6443:worker`.
    pub fn key(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            self.tier,
            self.ethertype,
            self.protocol,
            self.ports,
            self.peer.key()
        )
    }
}

/// Rule counts of one tier's group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierCounts {
    /// Ingress rules.
    pub ingress: usize,
    /// Egress rules.
    pub egress: usize,
}

/// ICMP rules opened to every type because the exact type cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcmpWidening {
    /// Sending tier or endpoint.
    pub source: String,
    /// Receiving tier or endpoint.
    pub destination: String,
    /// `icmp` or `icmpv6`.
    pub protocol: String,
    /// The types the catalogs ask for between these peers.
    pub asked: Vec<u8>,
}

/// The rule set of a whole cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenStackRuleSet {
    /// Ingress rules by key.
    pub ingress: BTreeMap<String, OpenStackRule>,
    /// Egress rules by key.
    pub egress: BTreeMap<String, OpenStackRule>,
    /// Counts per tier (every tier, even without rules).
    pub tiers: BTreeMap<String, TierCounts>,
    /// ICMP rules widened to every type (only with `widen_icmp_types`).
    pub widened: Vec<IcmpWidening>,
    /// Rules that produced no Neutron rule, and why.
    pub warnings: Vec<String>,
}

/// An ICMP type 0 rule, which the Terraform provider cannot write exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcmpTypeZeroError {
    /// Sending tier or endpoint.
    pub source: String,
    /// Receiving tier or endpoint.
    pub destination: String,
    /// `icmp` or `icmpv6`.
    pub protocol: String,
    /// Platforms asking for it.
    pub platforms: Vec<String>,
    /// What it is for.
    pub purposes: Vec<String>,
}

impl fmt::Display for IcmpTypeZeroError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} from {} to {} asks for {} type 0 only ({}: {}). openstack_networking_secgroup_rule_v2 cannot write \
             it: its client leaves a port_range_min of 0 out of the request (gophercloud issue #1775), so the rule \
             would admit every ICMP type. Set widen_icmp_types = true to open every ICMP type between these peers \
             (listed in `widened`). In stateful security groups (Neutron's default) echo replies to allowed echo \
             requests pass without a rule.",
            self.protocol,
            self.source,
            self.destination,
            self.protocol,
            self.platforms.join(", "),
            self.purposes.join("; ")
        )
    }
}

/// Shapes `expansion` into Neutron security group rules.
pub fn security_group_rules(
    expansion: &Expansion,
    options: &OpenStackOptions,
) -> Result<OpenStackRuleSet, Vec<IcmpTypeZeroError>> {
    let (rules, widened) = type_zero(&expansion.rules, options.widen_icmp_types)?;
    let mut set = OpenStackRuleSet {
        widened,
        ..Default::default()
    };
    for (tier, _) in &expansion.tiers {
        set.tiers.insert(tier.clone(), TierCounts::default());
    }
    for rule in &rules {
        for (tier, direction, peer) in sides(rule) {
            let written = spread(tier, direction, peer, rule, &expansion.endpoints, options);
            if written.is_empty() {
                set.warnings
                    .push(not_written(tier, direction, peer, rule, &expansion.endpoints));
            }
            let counts = set.tiers.entry(tier.to_string()).or_default();
            let (target, count) = match direction {
                Direction::Ingress => (&mut set.ingress, &mut counts.ingress),
                Direction::Egress => (&mut set.egress, &mut counts.egress),
            };
            for entry in written {
                *count += 1;
                target.insert(entry.key(), entry);
            }
        }
    }
    Ok(set)
}

/// Applies the ICMP type 0 policy: an error per type-0 rule, or every such rule opened to all types (which then
/// absorbs the other types between the same peers, as the engine's merge does).
fn type_zero(
    rules: &[Rule],
    widen: bool,
) -> Result<(Vec<Rule>, Vec<IcmpWidening>), Vec<IcmpTypeZeroError>> {
    let zero = |r: &Rule| r.protocol.is_icmp() && r.ports == RulePorts::IcmpType(Some(0));
    if !rules.iter().any(zero) {
        return Ok((rules.to_vec(), Vec::new()));
    }
    if !widen {
        return Err(rules
            .iter()
            .filter(|r| zero(r))
            .map(|r| IcmpTypeZeroError {
                source: r.source.name().to_string(),
                destination: r.destination.name().to_string(),
                protocol: r.protocol.to_string(),
                platforms: r.platforms(),
                purposes: r.purposes(),
            })
            .collect());
    }
    let widened_pairs: BTreeSet<(Peer, Peer, Protocol)> = rules
        .iter()
        .filter(|r| zero(r))
        .map(|r| (r.source.clone(), r.destination.clone(), r.protocol))
        .collect();
    let widened = widened_pairs
        .iter()
        .map(|(source, destination, protocol)| IcmpWidening {
            source: source.name().to_string(),
            destination: destination.name().to_string(),
            protocol: protocol.to_string(),
            asked: rules
                .iter()
                .filter(|r| (&r.source, &r.destination, &r.protocol) == (source, destination, protocol))
                .filter_map(|r| match r.ports {
                    RulePorts::IcmpType(t) => t,
                    _ => None,
                })
                .collect(),
        })
        .collect();
    let opened = rules.iter().cloned().map(|mut r| {
        if zero(&r) {
            r.ports = RulePorts::IcmpType(None);
        }
        r
    });
    Ok((merge(opened), widened))
}

/// The groups a rule lands in: (tier, direction, peer).
fn sides(rule: &Rule) -> Vec<(&str, Direction, &Peer)> {
    let mut sides = Vec::new();
    if let Peer::Tier(tier) = &rule.destination {
        sides.push((tier.as_str(), Direction::Ingress, &rule.source));
    }
    if let Peer::Tier(tier) = &rule.source {
        sides.push((tier.as_str(), Direction::Egress, &rule.destination));
    }
    sides
}

/// The address families a protocol exists in, as Neutron accepts them.
fn families(protocol: Protocol) -> &'static [Ethertype] {
    match protocol {
        Protocol::Icmp => &[Ethertype::Ipv4],
        Protocol::Icmpv6 => &[Ethertype::Ipv6],
        Protocol::Number(n) if IPV6_ONLY_PROTOCOLS.contains(&n) => &[Ethertype::Ipv6],
        _ => &[Ethertype::Ipv4, Ethertype::Ipv6],
    }
}

/// `protocol` as Neutron stores it.
pub fn neutron_protocol(protocol: Protocol) -> String {
    match protocol {
        Protocol::Tcp => "tcp".into(),
        Protocol::Udp => "udp".into(),
        Protocol::Sctp => "sctp".into(),
        Protocol::Icmp => "icmp".into(),
        Protocol::Icmpv6 => "ipv6-icmp".into(),
        Protocol::Number(n) => n.to_string(),
    }
}

/// `port_range_min` and `port_range_max` for the Terraform resource.
///
/// For ICMP Neutron reads `port_range_min` as the type and `port_range_max` as the code, and a missing code admits
/// every code. The resource requires both arguments together, and its client leaves zeros out of the request, so
/// `(type, 0)` reaches Neutron as "this type, any code".
pub fn rule_ports(ports: RulePorts) -> (Option<i64>, Option<i64>) {
    match ports {
        RulePorts::Range(range) => (Some(i64::from(range.from)), Some(i64::from(range.to))),
        RulePorts::IcmpType(Some(icmp_type)) => (Some(i64::from(icmp_type)), Some(0)),
        RulePorts::IcmpType(None) | RulePorts::All => (None, None),
    }
}

/// The Neutron rules of one side of a rule: one per ethertype for a tier peer, one per CIDR for an endpoint.
fn spread(
    tier: &str,
    direction: Direction,
    peer: &Peer,
    rule: &Rule,
    endpoints: &BTreeMap<String, EndpointAddresses>,
    options: &OpenStackOptions,
) -> Vec<OpenStackRule> {
    let allowed = families(rule.protocol);
    let peers: Vec<(Ethertype, OpenStackPeer)> = match peer {
        Peer::Tier(other) => options
            .ethertypes
            .iter()
            .filter(|e| allowed.contains(e))
            .map(|e| (*e, OpenStackPeer::Tier(other.clone())))
            .collect(),
        Peer::Endpoint(name) => {
            let addresses = endpoints.get(name).cloned().unwrap_or_default();
            let cidr = |cidr: String| OpenStackPeer::Cidr {
                endpoint: name.clone(),
                cidr,
            };
            let v4 = addresses.ipv4.into_iter().map(|c| (Ethertype::Ipv4, cidr(c)));
            let v6 = addresses.ipv6.into_iter().map(|c| (Ethertype::Ipv6, cidr(c)));
            v4.chain(v6).filter(|(e, _)| allowed.contains(e)).collect()
        }
    };
    let (port_range_min, port_range_max) = rule_ports(rule.ports);
    let platforms = rule.platforms();
    let purposes = rule.purposes();
    let description = description(&platforms, &purposes);
    peers
        .into_iter()
        .map(|(ethertype, peer)| OpenStackRule {
            tier: tier.to_string(),
            direction,
            ethertype,
            peer,
            protocol: neutron_protocol(rule.protocol),
            port_range_min,
            port_range_max,
            ports: rule.ports.to_string(),
            description: description.clone(),
            platforms: platforms.clone(),
            purposes: purposes.clone(),
        })
        .collect()
}

/// Why one side of a rule produced no Neutron rule.
fn not_written(
    tier: &str,
    direction: Direction,
    peer: &Peer,
    rule: &Rule,
    endpoints: &BTreeMap<String, EndpointAddresses>,
) -> String {
    let why = match peer {
        Peer::Endpoint(name)
            if endpoints
                .get(name)
                .is_none_or(|a| a.ipv4.is_empty() && a.ipv6.is_empty()) =>
        {
            format!("endpoint {name:?} has no addresses")
        }
        Peer::Endpoint(name) => format!(
            "endpoint {name:?} has no {} block",
            families(rule.protocol)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        Peer::Tier(_) => format!(
            "{} exists only over {}, which ethertypes leaves out",
            rule.protocol,
            families(rule.protocol)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    };
    format!(
        "the {direction} rule of tier {tier:?} with {:?} for {} {} was not written: {why}",
        peer.name(),
        rule.protocol,
        rule.ports
    )
}

/// `portmatrix <platforms>: <purposes>`, cut to Neutron's length on a character boundary.
fn description(platforms: &[String], purposes: &[String]) -> String {
    let text = format!(
        "portmatrix {}: {}",
        platforms.join(","),
        purposes.join("; ")
    );
    if text.chars().count() <= MAX_DESCRIPTION {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_DESCRIPTION - 3).collect();
    cut.push_str("...");
    cut
}

#[cfg(test)]
mod tests;
