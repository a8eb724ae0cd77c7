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

pub use super::common::Direction;
use super::common::{
    description, platforms_and_purposes, UnsupportedFlow, UnsupportedFlowsError, UnsupportedPolicy,
    Widening,
};
use crate::catalog::Protocol;
use crate::engine::{merge, EndpointAddresses, Expansion, Peer, Reason, Rule, RulePorts};
use crate::spelled::spelled;
use std::collections::{BTreeMap, BTreeSet};

mod output;
pub(crate) use output::OpenStackTarget;

/// The longest description Neutron stores (neutron-lib `DESCRIPTION_FIELD_SIZE`).
const MAX_DESCRIPTION: usize = 255;

/// IP protocols Neutron refuses in an `IPv4` rule (neutron `securitygroups_db` `_validate_ethertype_and_protocol`):
/// ipv6-encap 41, ipv6-route 43, ipv6-frag 44, ipv6-nonxt 59, ipv6-opts 60.
const IPV6_ONLY_PROTOCOLS: [u8; 5] = [41, 43, 44, 59, 60];

/// A Neutron address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ethertype {
    /// `IPv4`.
    Ipv4,
    /// `IPv6`.
    Ipv6,
}

spelled! {
    Ethertype {
        Ipv4 => "IPv4",
        Ipv6 => "IPv6",
    }
    else |other| format!(
        "{other:?} is not an ethertype: write \"IPv4\" or \"IPv6\", as Neutron spells them"
    )
}

/// How to shape the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenStackOptions {
    /// Address families of the rules that reference a tier's group.
    pub ethertypes: BTreeSet<Ethertype>,
    /// What to do with ICMP type 0 flows, which the Terraform resource cannot write exactly.
    pub unsupported_flows: UnsupportedPolicy,
}

impl Default for OpenStackOptions {
    fn default() -> Self {
        OpenStackOptions {
            ethertypes: BTreeSet::from([Ethertype::Ipv4, Ethertype::Ipv6]),
            unsupported_flows: UnsupportedPolicy::Error,
        }
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

/// The rule set of a whole cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenStackRuleSet {
    /// Ingress rules by key.
    pub ingress: BTreeMap<String, OpenStackRule>,
    /// Egress rules by key.
    pub egress: BTreeMap<String, OpenStackRule>,
    /// Counts per tier (every tier, even without rules).
    pub tiers: BTreeMap<String, TierCounts>,
    /// Rules opened to every ICMP type (only with `unsupported_flows = "widen"`).
    pub widened: Vec<Widening>,
    /// Flows left out and rules that produced no Neutron rule, and why.
    pub warnings: Vec<String>,
}

/// Why an ICMP type 0 flow cannot be written exactly.
const TYPE_ZERO: &str = "openstack_networking_secgroup_rule_v2 leaves a port_range_min of 0 out of its request \
                         (gophercloud issue #1775), so a type-0 rule would admit every ICMP type; stateful security \
                         groups (Neutron's default) pass echo replies to allowed echo requests without a rule";

/// The rules of an ICMP type 0 flow once widened.
const EVERY_TYPE: &str = "every ICMP type";

/// Shapes `expansion` into Neutron security group rules.
pub fn security_group_rules(
    expansion: &Expansion,
    options: &OpenStackOptions,
) -> Result<OpenStackRuleSet, UnsupportedFlowsError> {
    let mut set = OpenStackRuleSet::default();
    let (rules, widened) = type_zero(
        &expansion.rules,
        options.unsupported_flows,
        &mut set.warnings,
    )?;
    for (tier, _) in &expansion.tiers {
        set.tiers.insert(tier.clone(), TierCounts::default());
    }
    for rule in &rules {
        let pair = (rule.source.clone(), rule.destination.clone(), rule.protocol);
        let widened_flows = match rule.ports {
            RulePorts::IcmpType(None) => widened.get(&pair),
            _ => None,
        };
        for (tier, direction, peer) in sides(rule) {
            let written = spread(tier, direction, peer, rule, &expansion.endpoints, options);
            if written.is_empty() {
                set.warnings.push(not_written(
                    tier,
                    direction,
                    peer,
                    rule,
                    &expansion.endpoints,
                ));
            }
            let counts = set.tiers.entry(tier.to_string()).or_default();
            let (target, count) = match direction {
                Direction::Ingress => (&mut set.ingress, &mut counts.ingress),
                Direction::Egress => (&mut set.egress, &mut counts.egress),
            };
            for entry in written {
                for flow in widened_flows.into_iter().flatten() {
                    set.widened.push(Widening {
                        rule: format!("{direction} {}", entry.key()),
                        flow: flow.clone(),
                        opened: EVERY_TYPE.to_string(),
                    });
                }
                *count += 1;
                target.insert(entry.key(), entry);
            }
        }
    }
    set.widened.sort();
    Ok(set)
}

/// Flows widened to every ICMP type, by (source, destination, protocol).
type WidenedFlows = BTreeMap<(Peer, Peer, Protocol), Vec<String>>;

/// Applies `unsupported_flows` to ICMP type 0 rules: an error naming them, their rules left out with a warning,
/// or their rules opened to every type (which then absorb the other types between the same peers, as the engine's
/// merge does).
fn type_zero(
    rules: &[Rule],
    policy: UnsupportedPolicy,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Rule>, WidenedFlows), UnsupportedFlowsError> {
    let zero = |r: &Rule| r.protocol.is_icmp() && r.ports == RulePorts::IcmpType(Some(0));
    let flow = |r: &Rule| {
        let reasons: BTreeSet<&Reason> = r.reasons.iter().collect();
        UnsupportedFlow::of(r, &reasons, TYPE_ZERO)
    };
    let flows: Vec<UnsupportedFlow> = rules.iter().filter(|r| zero(r)).map(flow).collect();
    if flows.is_empty() {
        return Ok((rules.to_vec(), WidenedFlows::new()));
    }
    match policy {
        UnsupportedPolicy::Error => Err(UnsupportedFlowsError {
            firewall: "openstack_networking_secgroup_rule_v2",
            flows,
            widen: "open every ICMP type between the same peers instead",
        }),
        UnsupportedPolicy::Skip => {
            warnings.extend(flows.iter().map(|f| super::common::skipped_warning(&f)));
            Ok((
                rules.iter().filter(|r| !zero(r)).cloned().collect(),
                WidenedFlows::new(),
            ))
        }
        UnsupportedPolicy::Widen => {
            let mut widened = WidenedFlows::new();
            for r in rules.iter().filter(|r| zero(r)) {
                widened
                    .entry((r.source.clone(), r.destination.clone(), r.protocol))
                    .or_default()
                    .push(flow(r).to_string());
            }
            let opened = rules.iter().cloned().map(|mut r| {
                if zero(&r) {
                    r.ports = RulePorts::IcmpType(None);
                }
                r
            });
            Ok((merge(opened), widened))
        }
    }
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
pub(crate) fn neutron_protocol(protocol: Protocol) -> String {
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
pub(crate) fn rule_ports(ports: RulePorts) -> (Option<i64>, Option<i64>) {
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
            let v4 = addresses
                .ipv4
                .into_iter()
                .map(|c| (Ethertype::Ipv4, cidr(c)));
            let v6 = addresses
                .ipv6
                .into_iter()
                .map(|c| (Ethertype::Ipv6, cidr(c)));
            v4.chain(v6).filter(|(e, _)| allowed.contains(e)).collect()
        }
    };
    let (port_range_min, port_range_max) = rule_ports(rule.ports);
    let reasons: BTreeSet<&Reason> = rule.reasons.iter().collect();
    let (platforms, purposes) = platforms_and_purposes(&reasons);
    let description = description(&reasons, MAX_DESCRIPTION);
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
        Peer::Endpoint(name) if endpoints.get(name).is_none_or(EndpointAddresses::is_empty) => {
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
            "{} exists only over {}, which {} leaves out",
            rule.protocol,
            families(rule.protocol)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" and "),
            crate::engine::setting::Setting::option("ethertypes")
        ),
    };
    format!(
        "the {direction} rule of tier {tier:?} with {:?} for {} {} was not written: {why}",
        peer.name(),
        rule.protocol,
        rule.ports
    )
}

#[cfg(test)]
mod tests;
