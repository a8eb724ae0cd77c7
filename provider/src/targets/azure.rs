//! Azure network security rules: an [`Expansion`] shaped for `azurerm_network_security_rule`.
//!
//! Every tier is an application security group (ASG). By default all rules go in one network security group (NSG)
//! shared by the cluster (typically on its subnet); with `nsg_per_tier` each tier has its own NSG, holding the
//! inbound rules of traffic to the tier and the outbound rules of traffic from it. A rule names tiers by their ASGs
//! and endpoints by address prefixes, one address family per rule (Azure refuses rules that mix them).
//!
//! One rule holds one protocol between one source and one destination, with all of its destination port ranges.
//! Azure takes the protocols `Tcp`, `Udp`, `Icmp`, `Esp`, `Ah` and `*` (any), priorities from 100 to 4096 unique per
//! NSG and direction, and descriptions of at most 140 characters (Azure network REST API, `SecurityRule`).
//!
//! Priorities come from a stable hash of each rule's identity (direction, source, destination, protocol, address
//! family), spread over the allowed range, so that they leave room and do not depend on the other rules. Two
//! identities hashing to the same priority are resolved by taking the next free one, rules being placed in the order
//! of their first platform in the user's `platform` blocks: a platform appended to the list only places rules after
//! all existing ones, and so never renumbers them.

use super::common::{
    check_name_prefix, description, name_part, owner_index, platforms_and_purposes, stable_hash,
    unique_names, Inexpressible, NamedRuleSet, OptionError, RuleError, UnsupportedFlow,
    UnsupportedPolicy, NAME_PREFIX,
};
use crate::catalog::{PortRange, Protocol};
use crate::engine::setting::{Literal, Setting};
use crate::engine::{EndpointAddresses, Expansion, Peer, Reason, RulePorts};
use crate::spelled::spelled;
use std::collections::{BTreeMap, BTreeSet};

mod output;
pub(crate) use output::AzureTarget;

/// The default prefix of rule names.
pub(crate) const DEFAULT_PREFIX: &str = "pm-";

/// The lowest priority Azure accepts for a rule.
pub(crate) const MIN_PRIORITY: u16 = 100;

/// The highest priority Azure accepts for a rule.
pub(crate) const MAX_PRIORITY: u16 = 4096;

/// Whether Azure accepts `priority` as a rule priority.
pub(crate) fn valid_priority(priority: u16) -> bool {
    (MIN_PRIORITY..=MAX_PRIORITY).contains(&priority)
}

/// The longest rule name Azure accepts.
const MAX_NAME: usize = 80;

/// The longest description Azure accepts.
const MAX_DESCRIPTION: usize = 140;

/// The longest name prefix accepted, so that every name keeps room for its tiers.
pub(crate) const MAX_PREFIX: usize = 20;

/// How to shape the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureOptions {
    /// Prefix of every rule name.
    pub name_prefix: String,
    /// One NSG per tier instead of one shared NSG.
    pub nsg_per_tier: bool,
    /// The lowest priority to use.
    pub first_priority: u16,
    /// The highest priority to use.
    pub last_priority: u16,
    /// What to do with flows Azure cannot express.
    pub unsupported_flows: UnsupportedPolicy,
    /// Platform names in the order of the user's `platform` blocks, which orders priority placement.
    pub platform_order: Vec<String>,
}

impl Default for AzureOptions {
    fn default() -> Self {
        AzureOptions {
            name_prefix: DEFAULT_PREFIX.into(),
            nsg_per_tier: false,
            first_priority: MIN_PRIORITY,
            last_priority: MAX_PRIORITY,
            unsupported_flows: UnsupportedPolicy::Error,
            platform_order: Vec::new(),
        }
    }
}

/// Inbound or outbound, as `azurerm_network_security_rule` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Traffic to the rule's tier.
    Inbound,
    /// Traffic from the rule's tier.
    Outbound,
}

spelled!(Direction {
    Inbound => "Inbound",
    Outbound => "Outbound",
});

/// A protocol Azure accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AzureProtocol {
    /// `Tcp`.
    Tcp,
    /// `Udp`.
    Udp,
    /// `Icmp`.
    Icmp,
    /// `Esp` (IP protocol 50).
    Esp,
    /// `Ah` (IP protocol 51).
    Ah,
    /// `*`: every protocol, only for `unsupported_flows = "widen"`.
    Any,
}

impl AzureProtocol {
    /// The value of `protocol`.
    pub fn as_str(self) -> &'static str {
        match self {
            AzureProtocol::Tcp => "Tcp",
            AzureProtocol::Udp => "Udp",
            AzureProtocol::Icmp => "Icmp",
            AzureProtocol::Esp => "Esp",
            AzureProtocol::Ah => "Ah",
            AzureProtocol::Any => "*",
        }
    }

    /// The protocol as a piece of rule names and identities.
    fn label(self) -> &'static str {
        match self {
            AzureProtocol::Tcp => "tcp",
            AzureProtocol::Udp => "udp",
            AzureProtocol::Icmp => "icmp",
            AzureProtocol::Esp => "esp",
            AzureProtocol::Ah => "ah",
            AzureProtocol::Any => "any",
        }
    }

    fn has_ports(self) -> bool {
        matches!(self, AzureProtocol::Tcp | AzureProtocol::Udp)
    }
}

/// One side of a rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Side {
    /// A tier's application security group.
    Tier(String),
    /// CIDR blocks of one address family of an endpoint.
    Prefixes {
        /// The endpoint block name.
        endpoint: String,
        /// The CIDR blocks.
        prefixes: Vec<String>,
    },
}

/// One `azurerm_network_security_rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureRule {
    /// The rule name, also its key.
    pub name: String,
    /// The tier the rule protects: the destination of inbound rules, the source of outbound rules. With
    /// `nsg_per_tier`, the tier whose NSG holds the rule.
    pub tier: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Priority, unique per NSG and direction.
    pub priority: u16,
    /// The protocol.
    pub protocol: AzureProtocol,
    /// Destination ports and ranges (`"6443"`, `"30000-32767"`); empty for every port (`*`).
    pub destination_ports: Vec<String>,
    /// Where the traffic comes from.
    pub source: Side,
    /// Where it goes.
    pub destination: Side,
    /// `portmatrix <platforms>: <purposes>`, at most 140 characters.
    pub description: String,
    /// Platforms behind the rule.
    pub platforms: Vec<String>,
    /// Purposes behind the rule.
    pub purposes: Vec<String>,
}

/// Rule counts of one tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AzureTier {
    /// Inbound rules protecting the tier.
    pub inbound: usize,
    /// Outbound rules protecting the tier.
    pub outbound: usize,
}

/// The rule set of a whole cluster, each tier with its rule counts.
pub type AzureRuleSet = NamedRuleSet<AzureRule, AzureTier>;

/// Why no Azure rule set could be written.
pub type AzureError = RuleError;

/// A group of rules before it becomes NSG rules: tier, direction, source, destination, protocol.
type GroupKey = (String, Direction, Peer, Peer, AzureProtocol);

/// What one group admits: port ranges (`None`: every port), with the flows behind them (the expansion's reasons,
/// borrowed).
#[derive(Debug, Default)]
struct Entries<'e> {
    ranges: Option<BTreeSet<PortRange>>,
    reasons: BTreeSet<&'e Reason>,
}

/// Where a priority must be unique: the NSG (a tier's, or `None` for the shared one) and the direction.
type Scope = (Option<String>, Direction);

/// An exact Azure protocol with its port range (`None`: every port).
type Exact = (AzureProtocol, Option<PortRange>);

/// The nearest wider protocol, why the flow has no exact rule, and what the wider rule opens.
type Inexact = (AzureProtocol, &'static str, &'static str);

/// A rule waiting for its name and priority.
struct Draft {
    readable: String,
    scope: Scope,
    owner: usize,
    group: GroupKey,
    rule: AzureRule,
}

/// Shapes `expansion` into NSG rules.
pub fn security_rules(
    expansion: &Expansion,
    options: &AzureOptions,
) -> Result<AzureRuleSet, Vec<AzureError>> {
    check_options(options)?;
    let mut set = AzureRuleSet {
        tiers: expansion
            .tiers
            .iter()
            .map(|(t, _)| (t.clone(), AzureTier::default()))
            .collect(),
        ..AzureRuleSet::default()
    };
    let mut unsupported = Inexpressible::new(options.unsupported_flows);
    let mut groups: BTreeMap<GroupKey, Entries> = BTreeMap::new();
    for rule in &expansion.rules {
        let reasons: BTreeSet<&Reason> = rule.reasons.iter().collect();
        let (protocol, ports) = match azure_protocol(rule.protocol, rule.ports) {
            Ok(exact) => exact,
            Err((wider, why, opened)) => {
                let flow = UnsupportedFlow::of(rule, &reasons, why);
                let groups = group_keys(&rule.source, &rule.destination, wider);
                if !unsupported.widen_in(flow, groups, opened, &mut set.warnings) {
                    continue;
                }
                (wider, None)
            }
        };
        for key in group_keys(&rule.source, &rule.destination, protocol) {
            let entries = groups.entry(key).or_insert_with(|| Entries {
                ranges: Some(BTreeSet::new()),
                reasons: BTreeSet::new(),
            });
            match (ports, entries.ranges.as_mut()) {
                (Some(range), Some(ranges)) => {
                    ranges.insert(range);
                }
                // A rule for every port absorbs the ranges.
                _ => entries.ranges = None,
            }
            entries.reasons.extend(reasons.iter().copied());
        }
    }
    if let Some(error) = unsupported.error(
        "Azure network security rules",
        "open the nearest rule Azure can express instead (every ICMP type for typed ICMP; for the rest \
         protocol `*`, every protocol and port between the same tiers)",
    ) {
        return Err(vec![AzureError::Unsupported(error)]);
    }

    let mut drafts: BTreeMap<String, Draft> = BTreeMap::new();
    for (key, entries) in &groups {
        let (tier, direction, source, destination, protocol) = key;
        let variants = match (source, destination) {
            (Peer::Tier(s), Peer::Tier(d)) => {
                vec![("any", Side::Tier(s.clone()), Side::Tier(d.clone()))]
            }
            (Peer::Endpoint(e), Peer::Tier(d)) => endpoint_sides(expansion, e)
                .into_iter()
                .map(|(family, side)| (family, side, Side::Tier(d.clone())))
                .collect(),
            (Peer::Tier(s), Peer::Endpoint(e)) => endpoint_sides(expansion, e)
                .into_iter()
                .map(|(family, side)| (family, Side::Tier(s.clone()), side))
                .collect(),
            (Peer::Endpoint(_), Peer::Endpoint(_)) => Vec::new(),
        };
        if variants.is_empty() {
            let endpoint = [source, destination]
                .into_iter()
                .find(|p| matches!(p, Peer::Endpoint(_)))
                .map(Peer::name)
                .unwrap_or_default();
            set.warnings.push(format!(
                "endpoint {endpoint:?} has no addresses: the {} {} rule between {} and {} was not written",
                direction.to_string().to_lowercase(),
                protocol.as_str(),
                source.name(),
                destination.name()
            ));
        }
        let (platforms, purposes) = platforms_and_purposes(&entries.reasons);
        let destination_ports: Vec<String> = match (&entries.ranges, protocol.has_ports()) {
            (Some(ranges), true) => ranges.iter().map(ToString::to_string).collect(),
            _ => Vec::new(),
        };
        for (family, source_side, destination_side) in variants {
            let identity = format!(
                "{direction}|{}:{}|{}:{}|{}|{family}",
                source.kind(),
                source.name(),
                destination.kind(),
                destination.name(),
                protocol.label()
            );
            let readable = format!(
                "{}{}-{}-to-{}-{}{}",
                options.name_prefix,
                match direction {
                    Direction::Inbound => "in",
                    Direction::Outbound => "out",
                },
                name_part(source.name()),
                name_part(destination.name()),
                protocol.label(),
                if family == "ipv6" { "-v6" } else { "" }
            );
            drafts.insert(
                identity,
                Draft {
                    readable,
                    scope: (options.nsg_per_tier.then(|| tier.clone()), *direction),
                    owner: owner_index(&entries.reasons, &options.platform_order),
                    group: key.clone(),
                    rule: AzureRule {
                        name: String::new(),
                        tier: tier.clone(),
                        direction: *direction,
                        priority: 0,
                        protocol: *protocol,
                        destination_ports: destination_ports.clone(),
                        source: source_side,
                        destination: destination_side,
                        description: description(&entries.reasons, MAX_DESCRIPTION),
                        platforms: platforms.clone(),
                        purposes: purposes.clone(),
                    },
                },
            );
        }
    }

    let priorities = priorities(&drafts, options)?;
    let readable: BTreeMap<String, String> = drafts
        .iter()
        .map(|(identity, draft)| (identity.clone(), draft.readable.clone()))
        .collect();
    let names = unique_names(&readable, MAX_NAME);
    for (identity, draft) in drafts {
        let mut rule = draft.rule;
        rule.name = names.get(&identity).cloned().unwrap_or_default();
        rule.priority = priorities.get(&identity).copied().unwrap_or_default();
        set.widened
            .extend(unsupported.widenings(&draft.group, &rule.name));
        let counts = set.tiers.entry(rule.tier.clone()).or_default();
        match rule.direction {
            Direction::Inbound => counts.inbound += 1,
            Direction::Outbound => counts.outbound += 1,
        }
        set.rules.insert(rule.name.clone(), rule);
    }
    set.widened.sort();
    Ok(set)
}

fn check_options(options: &AzureOptions) -> Result<(), Vec<AzureError>> {
    let mut errors = Vec::new();
    if let Err(error) = check_name_prefix(NAME_PREFIX, &options.name_prefix, MAX_PREFIX) {
        errors.push(AzureError::Option(error));
    }
    for (option, value) in [
        ("first_priority", options.first_priority),
        ("last_priority", options.last_priority),
    ] {
        if !valid_priority(value) {
            errors.push(AzureError::Option(OptionError::new(
                option,
                format!("Invalid {} {value}", Setting::option(option)),
                format!("Azure takes rule priorities from {MIN_PRIORITY} to {MAX_PRIORITY}."),
            )));
        }
    }
    if options.first_priority > options.last_priority {
        errors.push(AzureError::Option(OptionError::new(
            "last_priority",
            "Empty priority range",
            format!(
                "{} ({}) is below {} ({}).",
                Setting::option("last_priority"),
                options.last_priority,
                Setting::option("first_priority"),
                options.first_priority
            ),
        )));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The rule groups a flow lands in: inbound on its destination tier, outbound on its source tier.
fn group_keys(source: &Peer, destination: &Peer, protocol: AzureProtocol) -> Vec<GroupKey> {
    let mut keys = Vec::new();
    if let Peer::Tier(tier) = destination {
        keys.push((
            tier.clone(),
            Direction::Inbound,
            source.clone(),
            destination.clone(),
            protocol,
        ));
    }
    if let Peer::Tier(tier) = source {
        keys.push((
            tier.clone(),
            Direction::Outbound,
            source.clone(),
            destination.clone(),
            protocol,
        ));
    }
    keys
}

/// The Azure protocol and port range of a flow, or, when Azure cannot express it: the nearest wider protocol,
/// why, and what it opens.
fn azure_protocol(protocol: Protocol, ports: RulePorts) -> Result<Exact, Inexact> {
    const PROTOCOLS: &str =
        "Azure network security rules take the protocols Tcp, Udp, Icmp, Esp, Ah and * only";
    match (protocol, ports) {
        (Protocol::Tcp, RulePorts::Range(range)) => Ok((AzureProtocol::Tcp, Some(range))),
        (Protocol::Udp, RulePorts::Range(range)) => Ok((AzureProtocol::Udp, Some(range))),
        (Protocol::Icmp, RulePorts::IcmpType(None)) => Ok((AzureProtocol::Icmp, None)),
        (Protocol::Icmp, _) => Err((
            AzureProtocol::Icmp,
            "Azure network security rules cannot match ICMP types",
            "every ICMP type",
        )),
        (Protocol::Number(50), _) => Ok((AzureProtocol::Esp, None)),
        (Protocol::Number(51), _) => Ok((AzureProtocol::Ah, None)),
        // Azure documents Icmp without saying it covers ICMPv6, so ICMPv6 is not assumed to be expressible.
        (Protocol::Icmpv6, _) => Err((
            AzureProtocol::Any,
            "Azure network security rules name no ICMPv6 protocol",
            "every protocol and port (*)",
        )),
        _ => Err((AzureProtocol::Any, PROTOCOLS, "every protocol and port (*)")),
    }
}

/// An endpoint as rule sides, one per address family that has blocks.
fn endpoint_sides(expansion: &Expansion, endpoint: &str) -> Vec<(&'static str, Side)> {
    let EndpointAddresses { ipv4, ipv6, .. } = expansion
        .endpoints
        .get(endpoint)
        .cloned()
        .unwrap_or_default();
    [("ipv4", ipv4), ("ipv6", ipv6)]
        .into_iter()
        .filter(|(_, prefixes)| !prefixes.is_empty())
        .map(|(family, prefixes)| {
            (
                family,
                Side::Prefixes {
                    endpoint: endpoint.to_string(),
                    prefixes,
                },
            )
        })
        .collect()
}

/// Priorities by rule identity: per NSG and direction, rules in the order of their first platform and then
/// identity take the priority their identity hashes to, or the next free one.
fn priorities(
    drafts: &BTreeMap<String, Draft>,
    options: &AzureOptions,
) -> Result<BTreeMap<String, u16>, Vec<AzureError>> {
    let first = u32::from(options.first_priority);
    let span = u32::from(options.last_priority) - first + 1;
    let mut scopes: BTreeMap<&Scope, Vec<(usize, &String)>> = BTreeMap::new();
    for (identity, draft) in drafts {
        scopes
            .entry(&draft.scope)
            .or_default()
            .push((draft.owner, identity));
    }
    let mut errors = Vec::new();
    let mut out = BTreeMap::new();
    for ((nsg, direction), mut members) in scopes {
        if members.len() > span as usize {
            let group = match nsg {
                Some(tier) => format!("the NSG of tier {tier:?}"),
                None => "the cluster's NSG".to_string(),
            };
            errors.push(AzureError::Option(OptionError::new(
                "last_priority",
                "Not enough priorities",
                format!(
                    "{group} needs {} {} rules, but {}..{} ({}..{}) holds {span}: widen the range, or set {} to \
                     give each tier its own NSG.",
                    members.len(),
                    direction.to_string().to_lowercase(),
                    Setting::option("first_priority"),
                    Setting::option("last_priority"),
                    options.first_priority,
                    options.last_priority,
                    Setting::option_value("nsg_per_tier", Literal::Bool(true))
                ),
            )));
            continue;
        }
        members.sort();
        let mut taken = BTreeSet::new();
        for (_, identity) in members {
            let mut slot = (stable_hash(identity) % u64::from(span)) as u32;
            while !taken.insert(slot) {
                slot = (slot + 1) % span;
            }
            out.insert(identity.clone(), (first + slot) as u16);
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
