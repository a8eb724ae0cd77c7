//! Hetzner Cloud firewall rules: an [`Expansion`] shaped for `hcloud_firewall`, one firewall per tier.
//!
//! A Hetzner rule names its peers by address only (`source_ips` for `in`, `destination_ips` for `out`); it cannot
//! reference another firewall or a label selector, which only choose the servers a firewall applies to. So tier
//! peers take their addresses from `tier_ranges`, and one rule holds every peer address that is allowed the same
//! protocol and port. Rules whose destination is a tier are `in` rules of that tier's firewall; `out` rules are
//! written only when asked for, because a firewall with any `out` rule drops every other outbound packet.
//!
//! Facts from Hetzner's documentation: `protocol` is one of tcp, udp, icmp, gre and esp (hcloud_firewall resource
//! and API reference); `port` is a port or a range `80-85` for tcp and udp only; a rule takes at most 100 CIDR
//! blocks; a firewall takes at most 50 rules and 500 effective rules (API reference of "Set Rules", Cloud
//! Firewalls FAQ). Hetzner does not state how effective rules are counted: portmatrix counts one per address of
//! each rule, the reading that gives the most.
//!
//! Hetzner Cloud Firewalls filter the servers' public interfaces only, not Hetzner private Networks (Cloud
//! Firewalls FAQ). A rule whose peers are private addresses therefore restricts nothing on the path that traffic
//! takes, and the rule set says so in one warning.

use super::common::{
    contributors, contributors_text, description, platforms_and_purposes, Inexpressible,
    OptionError, UnsupportedFlow, UnsupportedFlowsError, UnsupportedPolicy, Widening,
};
use crate::catalog::Protocol;
use crate::engine::cidr::{parse_cidr, CidrFamily};
use crate::engine::setting::{Literal, Setting};
use crate::engine::{Expansion, Peer, Reason, Rule, RulePorts};
use crate::spelled::spelled;
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

mod output;
pub(crate) use output::HcloudTarget;

/// Rules per firewall (Hetzner API reference, "Set Rules").
pub const MAX_RULES_PER_FIREWALL: usize = 50;

/// Effective rules per firewall (Hetzner API reference, "Set Rules"; Cloud Firewalls FAQ).
pub const MAX_EFFECTIVE_RULES: usize = 500;

/// CIDR blocks per rule (Hetzner API reference, firewall rule `source_ips` / `destination_ips`).
pub const MAX_IPS_PER_RULE: usize = 100;

/// Descriptions are kept to this length; Hetzner states no limit, and Neutron's and AWS's are the same.
const MAX_DESCRIPTION: usize = 255;

/// Private address space: RFC 1918, the shared address space of RFC 6598 (carrier-grade NAT, also used by
/// overlays such as Tailscale), and IPv6 unique local addresses (RFC 4193). A block inside one of these is a
/// private peer.
const PRIVATE_BLOCKS: [&str; 5] = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
];

/// Private blocks the private network warning names per peer before it counts the rest, to keep it short.
const PRIVATE_BLOCKS_NAMED: usize = 3;

/// What an ICMP flow limited to some types opens once widened.
const EVERY_TYPE: &str = "every ICMP type (hcloud_firewall rules take no ICMP type)";

/// How to shape the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HcloudOptions {
    /// CIDR blocks per tier: the addresses the tier's servers send from and receive on.
    pub tier_ranges: BTreeMap<String, Vec<String>>,
    /// What to do with flows Hetzner cannot express.
    pub unsupported_flows: UnsupportedPolicy,
    /// Also write `out` rules (which make the firewall drop every other outbound packet).
    pub outbound_rules: bool,
}

/// `in` or `out`, as `hcloud_firewall` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Traffic to the firewall's servers.
    In,
    /// Traffic from the firewall's servers.
    Out,
}

spelled!(Direction {
    In => "in",
    Out => "out",
});

/// The protocols a Hetzner firewall rule takes, in rule order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HcloudProtocol {
    /// `tcp`, with a port.
    Tcp,
    /// `udp`, with a port.
    Udp,
    /// `icmp`: every ICMP type (ICMPv6 towards IPv6 addresses).
    Icmp,
    /// `gre`, IP protocol 47.
    Gre,
    /// `esp`, IP protocol 50.
    Esp,
}

impl HcloudProtocol {
    /// The Hetzner protocol a catalog protocol is written as, if any.
    pub fn of(protocol: Protocol) -> Option<HcloudProtocol> {
        match protocol {
            Protocol::Tcp => Some(HcloudProtocol::Tcp),
            Protocol::Udp => Some(HcloudProtocol::Udp),
            Protocol::Icmp | Protocol::Icmpv6 => Some(HcloudProtocol::Icmp),
            Protocol::Number(47) => Some(HcloudProtocol::Gre),
            Protocol::Number(50) => Some(HcloudProtocol::Esp),
            Protocol::Sctp | Protocol::Number(_) => None,
        }
    }
}

spelled!(HcloudProtocol {
    Tcp => "tcp",
    Udp => "udp",
    Icmp => "icmp",
    Gre => "gre",
    Esp => "esp",
});

/// One `rule` block of an `hcloud_firewall`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HcloudRule {
    /// `{tier}:{direction}:{protocol}:{port}`, `#2`, `#3`... when the addresses fill several rules.
    pub key: String,
    /// `in` or `out`.
    pub direction: Direction,
    /// The protocol.
    pub protocol: HcloudProtocol,
    /// `80` or `30000-32767` for tcp and udp; `None` for the others.
    pub port: Option<String>,
    /// The peer addresses: `source_ips` of an `in` rule, `destination_ips` of an `out` rule.
    pub ips: Vec<String>,
    /// The tiers and endpoints whose addresses `ips` holds.
    pub peers: Vec<String>,
    /// `portmatrix <platforms>: <purposes>`.
    pub description: String,
    /// Platforms behind the rule.
    pub platforms: Vec<String>,
    /// Purposes behind the rule.
    pub purposes: Vec<String>,
}

/// The rules of one tier's firewall.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Firewall {
    /// Rules, `in` before `out`, then by protocol and port.
    pub rules: Vec<HcloudRule>,
    /// Effective rules, counted one per address of each rule.
    pub effective_rules: usize,
}

/// The firewalls of a whole cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HcloudRuleSet {
    /// Every tier's firewall.
    pub firewalls: BTreeMap<String, Firewall>,
    /// Rules wider than the catalogs ask (only with `unsupported_flows = "widen"`).
    pub widened: Vec<Widening>,
    /// Flows left out and peers without usable addresses, and why; last, one warning when rules hold private
    /// addresses, which Hetzner's firewalls do not filter on private networks.
    pub warnings: Vec<String>,
}

/// Which of Hetzner's per-firewall limits is exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Rules per firewall.
    Rules,
    /// Effective rules per firewall.
    EffectiveRules,
}

/// A firewall over one of Hetzner's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitError {
    /// The tier.
    pub tier: String,
    /// The limit.
    pub limit: Limit,
    /// What the firewall needs.
    pub count: usize,
    /// Platforms by their share of the count, most first.
    pub contributors: Vec<(String, usize)>,
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let contributors = contributors_text(&self.contributors, "");
        match self.limit {
            Limit::Rules => write!(
                f,
                "the firewall of tier {:?} needs {} rules; Hetzner allows {MAX_RULES_PER_FIREWALL} per firewall. \
                 Rules by platform: {}. Split the tier's roles over more tiers (a server takes up to 5 \
                 firewalls), or select fewer platform options.",
                self.tier,
                self.count,
                contributors
            ),
            Limit::EffectiveRules => write!(
                f,
                "the firewall of tier {:?} needs {} effective rules (one per address of each rule); Hetzner \
                 allows {MAX_EFFECTIVE_RULES} per firewall. Effective rules by platform: {}. Give fewer, wider \
                 blocks in {} and in the endpoints' addresses, or split the tier.",
                self.tier,
                self.count,
                contributors,
                Setting::option("tier_ranges")
            ),
        }
    }
}

/// Why no rule set could be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HcloudError {
    /// `tier_ranges` is invalid or lacks a tier that rules need.
    Option(OptionError),
    /// Flows Hetzner cannot express, with `unsupported_flows = "error"`.
    Unsupported(UnsupportedFlowsError),
    /// Flows no Hetzner rule contains, with `unsupported_flows = "widen"`.
    NoWiderRule(Vec<UnsupportedFlow>),
    /// A firewall over a limit.
    Limit(LimitError),
}

impl fmt::Display for HcloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HcloudError::Option(error) => error.fmt(f),
            HcloudError::Unsupported(error) => error.fmt(f),
            HcloudError::Limit(error) => error.fmt(f),
            HcloudError::NoWiderRule(flows) => {
                writeln!(
                    f,
                    "hcloud_firewall has no rule that contains {} flow(s) the selected platforms need:",
                    flows.len()
                )?;
                for flow in flows {
                    writeln!(f, "  - {flow}")?;
                }
                write!(
                    f,
                    "{} cannot open them. Set {} to leave them out (each listed in `warnings`; the firewall then \
                     drops that traffic), or change the platform options that ask for them.",
                    Setting::text(super::common::UNSUPPORTED_FLOWS, "widen"),
                    Setting::text(super::common::UNSUPPORTED_FLOWS, "skip")
                )
            }
        }
    }
}

/// Why Hetzner cannot write a protocol.
fn no_protocol(protocol: Protocol) -> String {
    format!(
        "hcloud_firewall rules take tcp, udp, icmp, gre (47) and esp (50) only, not {}",
        match protocol {
            Protocol::Sctp => "sctp".to_string(),
            other => format!("IP protocol {other}"),
        }
    )
}

/// Why Hetzner cannot write an ICMP type.
const NO_ICMP_TYPE: &str = "hcloud_firewall icmp rules admit every ICMP type; they take no type";

/// One rule before its addresses are split over `ips` limits.
#[derive(Debug, Default)]
struct Draft<'e> {
    ips: BTreeSet<String>,
    peers: BTreeSet<String>,
    reasons: BTreeSet<&'e Reason>,
    widened: BTreeSet<String>,
}

/// (tier, direction, protocol, port range): the identity of a rule.
type DraftKey = (String, Direction, HcloudProtocol, Option<(u16, u16)>);

/// Shapes `expansion` into one firewall per tier.
pub fn firewall_rules(
    expansion: &Expansion,
    options: &HcloudOptions,
) -> Result<HcloudRuleSet, Vec<HcloudError>> {
    let tiers: Vec<&str> = expansion.tiers.iter().map(|(t, _)| t.as_str()).collect();
    let ranges = tier_ranges(&options.tier_ranges, &tiers).map_err(|errors| {
        errors
            .into_iter()
            .map(HcloudError::Option)
            .collect::<Vec<_>>()
    })?;

    let mut set = HcloudRuleSet::default();
    let mut unsupported: Inexpressible = Inexpressible::new(options.unsupported_flows);
    let mut no_wider = Vec::new();
    let mut missing: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut drafts: BTreeMap<DraftKey, Draft> = BTreeMap::new();
    // Private blocks by peer, tiers before endpoints, as the rules hold them.
    let mut private: BTreeMap<(bool, String), BTreeSet<String>> = BTreeMap::new();
    for rule in &expansion.rules {
        let reasons: BTreeSet<&Reason> = rule.reasons.iter().collect();
        let typed_icmp = matches!(rule.ports, RulePorts::IcmpType(Some(_)));
        let (protocol, widened) = match (HcloudProtocol::of(rule.protocol), typed_icmp) {
            (Some(protocol), false) => (protocol, None),
            (hcloud, _) => {
                let why = if hcloud.is_some() {
                    NO_ICMP_TYPE.to_string()
                } else {
                    no_protocol(rule.protocol)
                };
                let flow = UnsupportedFlow::of(rule, &reasons, why);
                let Some(flow) = unsupported.widen(flow, &mut set.warnings) else {
                    continue;
                };
                match hcloud {
                    Some(protocol) => (protocol, Some(flow.to_string())),
                    None => {
                        no_wider.push(flow);
                        continue;
                    }
                }
            }
        };
        let port = match rule.ports {
            RulePorts::Range(range) if rule.protocol.has_ports() => Some((range.from, range.to)),
            _ => None,
        };
        let mut sides = Vec::new();
        if let Peer::Tier(tier) = &rule.destination {
            sides.push((tier, Direction::In, &rule.source));
        }
        if let (Peer::Tier(tier), true) = (&rule.source, options.outbound_rules) {
            sides.push((tier, Direction::Out, &rule.destination));
        }
        for (tier, direction, peer) in sides {
            let (addresses, name) = match peer {
                Peer::Tier(other) => match ranges.get(other) {
                    Some(blocks) => (blocks.clone(), other),
                    None => {
                        missing.entry(other.clone()).or_default().insert(format!(
                            "{} -> {} {} {}",
                            rule.source.name(),
                            rule.destination.name(),
                            rule.protocol,
                            rule.ports
                        ));
                        continue;
                    }
                },
                Peer::Endpoint(endpoint) => {
                    let a = expansion
                        .endpoints
                        .get(endpoint)
                        .cloned()
                        .unwrap_or_default();
                    (a.ipv4.into_iter().chain(a.ipv6).collect(), endpoint)
                }
            };
            let usable: Vec<String> = addresses
                .iter()
                .filter(|cidr| family_fits(rule.protocol, cidr))
                .cloned()
                .collect();
            if usable.is_empty() {
                set.warnings.push(not_written(
                    tier,
                    direction,
                    peer,
                    rule,
                    addresses.is_empty(),
                ));
                continue;
            }
            let private_blocks: BTreeSet<String> =
                usable.iter().filter(|c| is_private(c)).cloned().collect();
            if !private_blocks.is_empty() {
                private
                    .entry((matches!(peer, Peer::Endpoint(_)), name.clone()))
                    .or_default()
                    .extend(private_blocks);
            }
            let draft = drafts
                .entry((tier.clone(), direction, protocol, port))
                .or_default();
            draft.ips.extend(usable);
            draft.peers.insert(name.clone());
            draft.reasons.extend(reasons.iter().copied());
            draft.widened.extend(widened.clone());
        }
    }

    let mut errors = Vec::new();
    let widen =
        "open every ICMP type instead (IP protocols other than gre and esp have no wider rule)";
    errors.extend(
        unsupported
            .error("hcloud_firewall", widen)
            .map(HcloudError::Unsupported),
    );
    if !no_wider.is_empty() {
        errors.push(HcloudError::NoWiderRule(no_wider));
    }
    for (tier, needed_by) in &missing {
        errors.push(HcloudError::Option(OptionError::new(
            "tier_ranges",
            format!("Tier {tier:?} has no address ranges"),
            format!(
                "hcloud_firewall rules name their peers by address only, and these flows have tier {tier:?} as a \
                 peer: {}. Add {} with the addresses its servers use.",
                needed_by.iter().cloned().collect::<Vec<_>>().join(", "),
                Setting::option_entry("tier_ranges", tier, Literal::Texts(vec!["<CIDR>".into(), "...".into()]))
            ),
        )));
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    for tier in &tiers {
        set.firewalls.insert(tier.to_string(), Firewall::default());
    }
    for ((tier, direction, protocol, port), draft) in drafts {
        let port_text = port.map(|(from, to)| {
            if from == to {
                from.to_string()
            } else {
                format!("{from}-{to}")
            }
        });
        let base = format!(
            "{tier}:{direction}:{protocol}:{}",
            port_text.as_deref().unwrap_or("all")
        );
        let (platforms, purposes) = platforms_and_purposes(&draft.reasons);
        let ips: Vec<String> = draft.ips.into_iter().collect();
        let firewall = set.firewalls.entry(tier.clone()).or_default();
        for (index, chunk) in ips.chunks(MAX_IPS_PER_RULE).enumerate() {
            let key = if index == 0 {
                base.clone()
            } else {
                format!("{base}#{}", index + 1)
            };
            for flow in &draft.widened {
                set.widened.push(Widening {
                    rule: key.clone(),
                    flow: flow.clone(),
                    opened: EVERY_TYPE.to_string(),
                });
            }
            firewall.effective_rules += chunk.len();
            firewall.rules.push(HcloudRule {
                key,
                direction,
                protocol,
                port: port_text.clone(),
                ips: chunk.to_vec(),
                peers: draft.peers.iter().cloned().collect(),
                description: description(&draft.reasons, MAX_DESCRIPTION),
                platforms: platforms.clone(),
                purposes: purposes.clone(),
            });
        }
    }
    set.widened.sort();
    set.warnings
        .extend(private_network_warning(&set.firewalls, &private));

    let errors: Vec<HcloudError> = set
        .firewalls
        .iter()
        .flat_map(|(tier, firewall)| limits(tier, firewall))
        .map(HcloudError::Limit)
        .collect();
    if errors.is_empty() {
        Ok(set)
    } else {
        Err(errors)
    }
}

/// Whether an address can be the peer of a protocol: ICMP for IPv4 addresses, ICMPv6 for IPv6 ones.
fn family_fits(protocol: Protocol, cidr: &str) -> bool {
    let v6 = cidr.contains(':');
    match protocol {
        Protocol::Icmp => !v6,
        Protocol::Icmpv6 => v6,
        _ => true,
    }
}

/// Whether `cidr` lies inside one of the [`PRIVATE_BLOCKS`]. Blocks that only overlap them (`0.0.0.0/0`) are
/// not private: such a rule also admits public addresses, which the firewall does filter.
fn is_private(cidr: &str) -> bool {
    let Ok(net) = cidr.parse::<IpNet>() else {
        return false;
    };
    PRIVATE_BLOCKS
        .iter()
        .filter_map(|block| block.parse::<IpNet>().ok())
        .any(|block| block.contains(&net))
}

/// The one warning for rules with private peers, or `None` when no rule has any. It counts the rules per firewall
/// and names the private blocks per peer (`private`, keyed tiers before endpoints), the first
/// [`PRIVATE_BLOCKS_NAMED`] of each.
fn private_network_warning(
    firewalls: &BTreeMap<String, Firewall>,
    private: &BTreeMap<(bool, String), BTreeSet<String>>,
) -> Option<String> {
    let per_firewall: Vec<(&str, usize)> = firewalls
        .iter()
        .map(|(tier, firewall)| {
            let count = firewall
                .rules
                .iter()
                .filter(|rule| rule.ips.iter().any(|ip| is_private(ip)))
                .count();
            (tier.as_str(), count)
        })
        .filter(|(_, count)| *count > 0)
        .collect();
    let total: usize = per_firewall.iter().map(|(_, count)| count).sum();
    if total == 0 {
        return None;
    }
    let firewalls_text: Vec<String> = per_firewall
        .iter()
        .map(|(tier, count)| format!("{tier:?}: {count}"))
        .collect();
    let peers_text: Vec<String> = private
        .iter()
        .map(|((endpoint, name), blocks)| {
            let kind = if *endpoint { "endpoint" } else { "tier" };
            let mut named: Vec<String> =
                blocks.iter().take(PRIVATE_BLOCKS_NAMED).cloned().collect();
            if blocks.len() > PRIVATE_BLOCKS_NAMED {
                named.push(format!("and {} more", blocks.len() - PRIVATE_BLOCKS_NAMED));
            }
            format!("{kind} {name:?} ({})", named.join(", "))
        })
        .collect();
    Some(format!(
        "Hetzner Cloud Firewalls filter the servers' public interfaces only, not Hetzner private Networks: {total} \
         rule(s) (firewall {}) allow private addresses of {}, and have no effect on traffic over a Hetzner private \
         network, which reaches the servers unfiltered. Restrict that traffic on the servers themselves, for \
         example with portmatrix_nftables_ruleset.",
        firewalls_text.join(", "),
        peers_text.join(", ")
    ))
}

/// Why one side of a rule produced no Hetzner rule.
fn not_written(
    tier: &str,
    direction: Direction,
    peer: &Peer,
    rule: &Rule,
    no_addresses: bool,
) -> String {
    let why = if no_addresses {
        format!("{} {:?} has no addresses", peer.kind(), peer.name())
    } else {
        format!(
            "{} {:?} has no {} address",
            peer.kind(),
            peer.name(),
            if rule.protocol == Protocol::Icmpv6 {
                "IPv6"
            } else {
                "IPv4"
            }
        )
    };
    format!(
        "the {direction} rule of tier {tier:?} with {:?} for {} {} was not written: {why}",
        peer.name(),
        rule.protocol,
        rule.ports
    )
}

/// The firewall's limits that `firewall` exceeds.
fn limits(tier: &str, firewall: &Firewall) -> Vec<LimitError> {
    let mut out = Vec::new();
    for (limit, count, max) in [
        (Limit::Rules, firewall.rules.len(), MAX_RULES_PER_FIREWALL),
        (
            Limit::EffectiveRules,
            firewall.effective_rules,
            MAX_EFFECTIVE_RULES,
        ),
    ] {
        if count <= max {
            continue;
        }
        let contributors = contributors(firewall.rules.iter().map(|rule| {
            let share = match limit {
                Limit::Rules => 1,
                Limit::EffectiveRules => rule.ips.len(),
            };
            (&rule.platforms, share)
        }));
        out.push(LimitError {
            tier: tier.to_string(),
            limit,
            count,
            contributors,
        });
    }
    out
}

/// `tier_ranges`, checked: every key a tier, every block a CIDR block written as its network address.
pub fn tier_ranges(
    given: &BTreeMap<String, Vec<String>>,
    tiers: &[&str],
) -> Result<BTreeMap<String, Vec<String>>, Vec<OptionError>> {
    let mut errors = Vec::new();
    let mut out = BTreeMap::new();
    for (tier, blocks) in given {
        if !tiers.contains(&tier.as_str()) {
            errors.push(
                OptionError::new(
                    "tier_ranges",
                    format!("Unknown tier {tier:?}"),
                    format!("The tiers are: {}.", tiers.join(", ")),
                )
                .at_key(tier.clone()),
            );
            continue;
        }
        let mut normalized = BTreeSet::new();
        for text in blocks {
            let problem = match parse_cidr(text, CidrFamily::Any) {
                Ok(net) => {
                    normalized.insert(net.to_string());
                    continue;
                }
                Err(error) => error.to_string(),
            };
            errors.push(
                OptionError::new(
                    "tier_ranges",
                    format!("Invalid range for tier {tier:?}"),
                    problem,
                )
                .at_key(tier.clone()),
            );
        }
        if !normalized.is_empty() {
            out.insert(tier.clone(), normalized.into_iter().collect());
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
