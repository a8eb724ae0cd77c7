//! GCP VPC firewall rules: an [`Expansion`] shaped for `google_compute_firewall`.
//!
//! Every tier is a network tag (`<tag_prefix><tier>`) or, when the user gives them, a service account. One
//! firewall rule holds every protocol between one source and one destination in one direction, as `allow` entries
//! of a protocol and its ports. Ingress rules target the destination tier and name the source by tag, service
//! account or `source_ranges`; egress rules target the source tier and name the destination by
//! `destination_ranges`, because GCP egress rules cannot name tags or service accounts as destinations. A GCP rule
//! holds IPv4 or IPv6 ranges, never both, so endpoint rules come once per address family.
//!
//! Facts from Google's Compute API reference for `Firewall`: names are 1-63 characters matching
//! `[a-z]([-a-z0-9]*[a-z0-9])?`; `IPProtocol` is one of tcp, udp, icmp, esp, ah, sctp, ipip, all, or an IP protocol
//! number; `ports` apply to tcp and udp only; egress rules cannot use source tags; source service accounts cannot
//! be combined with tags.

use super::common::{
    check_name_prefix, description, name_part, platforms_and_purposes, unique_names, Inexpressible,
    NamedRuleSet, OptionError, RuleError, UnsupportedFlow, UnsupportedPolicy, NAME_PREFIX,
};
use crate::catalog::{PortRange, Protocol};
use crate::engine::cidr::{parse_cidr, CidrFamily};
use crate::engine::setting::{Literal, Setting};
use crate::engine::{EndpointAddresses, Expansion, Peer, Reason, RulePorts};
use crate::spelled::spelled;
use std::collections::{BTreeMap, BTreeSet};

mod output;
pub(crate) use output::GcpTarget;

/// The default prefix of rule names and network tags.
pub(crate) const DEFAULT_PREFIX: &str = "pm-";

/// GCP's default rule priority.
pub(crate) const DEFAULT_PRIORITY: u16 = 1000;

/// The longest name (and network tag) GCP accepts.
const MAX_NAME: usize = 63;

/// The longest name prefix accepted, so that every name keeps room for its tiers.
pub(crate) const MAX_PREFIX: usize = 20;

/// Descriptions are kept to this length: the API states no limit, and a shorter text stays readable in the
/// console; the full list of purposes is in `purposes`.
const MAX_DESCRIPTION: usize = 1024;

/// How to shape the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcpOptions {
    /// Prefix of every rule name.
    pub name_prefix: String,
    /// Prefix of every tier's network tag.
    pub tag_prefix: String,
    /// Service account per tier; when given, rules use them instead of network tags and every tier needs one.
    pub service_accounts: BTreeMap<String, String>,
    /// CIDR blocks per tier, the destinations of egress rules between tiers.
    pub tier_ranges: BTreeMap<String, Vec<String>>,
    /// The priority of every rule.
    pub priority: u16,
    /// What to do with flows GCP cannot express.
    pub unsupported_flows: UnsupportedPolicy,
}

impl Default for GcpOptions {
    fn default() -> Self {
        GcpOptions {
            name_prefix: DEFAULT_PREFIX.into(),
            tag_prefix: DEFAULT_PREFIX.into(),
            service_accounts: BTreeMap::new(),
            tier_ranges: BTreeMap::new(),
            priority: DEFAULT_PRIORITY,
            unsupported_flows: UnsupportedPolicy::Error,
        }
    }
}

/// Inbound or outbound, as `google_compute_firewall` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Traffic to the target tier.
    Ingress,
    /// Traffic from the target tier.
    Egress,
}

spelled!(Direction {
    Ingress => "INGRESS",
    Egress => "EGRESS",
});

/// One `allow` block: a protocol and, for tcp and udp, its ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    /// `tcp`, `udp`, `icmp`, `sctp`, `ipip`, `esp`, `ah`, or an IP protocol number (`58` for ICMPv6).
    pub protocol: String,
    /// Ports and ranges (`"6443"`, `"30000-32767"`); empty for the whole protocol.
    pub ports: Vec<String>,
}

/// One `google_compute_firewall`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcpRule {
    /// The rule name, also its key.
    pub name: String,
    /// Ingress or egress.
    pub direction: Direction,
    /// Priority (lower wins).
    pub priority: u16,
    /// Where the traffic comes from.
    pub source: Peer,
    /// Where it goes.
    pub destination: Peer,
    /// Network tag of the target tier (empty when service accounts are used).
    pub target_tags: Vec<String>,
    /// Service account of the target tier (empty when network tags are used).
    pub target_service_accounts: Vec<String>,
    /// Network tag of the source tier, for ingress from a tier.
    pub source_tags: Vec<String>,
    /// Service account of the source tier, for ingress from a tier.
    pub source_service_accounts: Vec<String>,
    /// Source CIDR blocks, for ingress from an endpoint; one address family.
    pub source_ranges: Vec<String>,
    /// Destination CIDR blocks, for egress; one address family.
    pub destination_ranges: Vec<String>,
    /// Protocols and ports.
    pub allow: Vec<Allow>,
    /// `portmatrix <platforms>: <purposes>`.
    pub description: String,
    /// Platforms behind the rule.
    pub platforms: Vec<String>,
    /// Purposes behind the rule.
    pub purposes: Vec<String>,
}

/// How one tier is named in rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcpTier {
    /// The network tag to put on the tier's instances, when tags are used.
    pub network_tag: Option<String>,
    /// The tier's service account, when service accounts are used.
    pub service_account: Option<String>,
    /// The tier's CIDR blocks from `tier_ranges`.
    pub ranges: Vec<String>,
}

/// The rule set of a whole cluster, each tier with its names in rules.
pub type GcpRuleSet = NamedRuleSet<GcpRule, GcpTier>;

/// Why no GCP rule set could be written.
pub type GcpError = RuleError;

/// A group of rules before it becomes firewall rules: direction, source, destination.
type GroupKey = (Direction, Peer, Peer);

/// What one group admits: protocol and ports, with the flows behind them (the expansion's reasons, borrowed).
type Entries<'e> = BTreeMap<(Protocol, RulePorts), BTreeSet<&'e Reason>>;

/// IPv4, IPv6, or neither (a rule that names tiers only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Tags,
    Ipv4,
    Ipv6,
}

impl Family {
    fn label(self) -> &'static str {
        match self {
            Family::Tags => "any",
            Family::Ipv4 => "ipv4",
            Family::Ipv6 => "ipv6",
        }
    }
}

/// Shapes `expansion` into firewall rules.
pub fn firewall_rules(
    expansion: &Expansion,
    options: &GcpOptions,
) -> Result<GcpRuleSet, Vec<GcpError>> {
    let mut errors: Vec<GcpError> = Vec::new();
    if let Err(error) = check_name_prefix(NAME_PREFIX, &options.name_prefix, MAX_PREFIX) {
        errors.push(GcpError::Option(error));
    }
    let tiers = match tiers(expansion, options) {
        Ok(tiers) => tiers,
        Err(mut more) => {
            errors.append(&mut more);
            BTreeMap::new()
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut set = GcpRuleSet {
        tiers,
        ..GcpRuleSet::default()
    };
    let mut unsupported = Inexpressible::new(options.unsupported_flows);
    let mut groups: BTreeMap<GroupKey, Entries> = BTreeMap::new();
    for rule in &expansion.rules {
        let reasons: BTreeSet<&Reason> = rule.reasons.iter().collect();
        let mut keys = Vec::new();
        if let Peer::Tier(_) = rule.destination {
            keys.push((
                Direction::Ingress,
                rule.source.clone(),
                rule.destination.clone(),
            ));
        }
        if let Peer::Tier(_) = rule.source {
            keys.push((
                Direction::Egress,
                rule.source.clone(),
                rule.destination.clone(),
            ));
        }
        let mut ports = rule.ports;
        if let Some((wider, why, opened)) = inexpressible(rule.protocol, rule.ports) {
            let flow = UnsupportedFlow::of(rule, &reasons, why);
            if !unsupported.widen_in(flow, keys.iter().cloned(), opened, &mut set.warnings) {
                continue;
            }
            ports = wider;
        }
        for key in keys {
            groups
                .entry(key)
                .or_default()
                .entry((rule.protocol, ports))
                .or_default()
                .extend(reasons.iter().copied());
        }
    }
    if let Some(error) = unsupported.error(
        "GCP firewall rules",
        "open the whole protocol instead (every ICMP type, every SCTP port)",
    ) {
        return Err(vec![GcpError::Unsupported(error)]);
    }

    let mut drafts: BTreeMap<String, (String, GcpRule)> = BTreeMap::new();
    let mut skipped_egress: BTreeMap<String, usize> = BTreeMap::new();
    for ((direction, source, destination), entries) in &groups {
        let (target, peer) = match direction {
            Direction::Ingress => (destination.name(), source),
            Direction::Egress => (source.name(), destination),
        };
        let Some(target_tier) = set.tiers.get(target) else {
            continue;
        };
        let variants = match (direction, peer) {
            (Direction::Ingress, Peer::Tier(_)) => vec![(Family::Tags, Vec::new())],
            (Direction::Egress, Peer::Tier(tier)) => {
                let ranges = set
                    .tiers
                    .get(tier)
                    .map(|t| split(&t.ranges))
                    .unwrap_or_default();
                if ranges.ipv4.is_empty() && ranges.ipv6.is_empty() {
                    *skipped_egress.entry(tier.clone()).or_default() += 1;
                }
                by_family(ranges)
            }
            (_, Peer::Endpoint(endpoint)) => {
                let addresses = expansion
                    .endpoints
                    .get(endpoint)
                    .cloned()
                    .unwrap_or_default();
                if addresses.is_empty() {
                    set.warnings.push(format!(
                        "endpoint {endpoint:?} has no addresses: the {} rule between {} and {} was not written",
                        direction.to_string().to_lowercase(),
                        source.name(),
                        destination.name()
                    ));
                }
                by_family(addresses)
            }
        };
        let reasons: BTreeSet<&Reason> = entries.values().flatten().copied().collect();
        let (platforms, purposes) = platforms_and_purposes(&reasons);
        let allow = allow_list(entries);
        for (family, ranges) in variants {
            let identity = format!(
                "{direction}|{}:{}|{}:{}|{}",
                source.kind(),
                source.name(),
                destination.kind(),
                destination.name(),
                family.label()
            );
            let readable = format!(
                "{}{}-{}-to-{}{}",
                options.name_prefix,
                match direction {
                    Direction::Ingress => "in",
                    Direction::Egress => "eg",
                },
                name_part(source.name()),
                name_part(destination.name()),
                if family == Family::Ipv6 { "-v6" } else { "" }
            );
            let (target_tags, target_service_accounts) = identify(target_tier);
            let (source_tags, source_service_accounts, source_ranges, destination_ranges) =
                match (direction, family) {
                    (Direction::Ingress, Family::Tags) => {
                        let (tags, accounts) = set
                            .tiers
                            .get(source.name())
                            .map(identify)
                            .unwrap_or_default();
                        (tags, accounts, Vec::new(), Vec::new())
                    }
                    (Direction::Ingress, _) => (Vec::new(), Vec::new(), ranges, Vec::new()),
                    (Direction::Egress, _) => (Vec::new(), Vec::new(), Vec::new(), ranges),
                };
            let rule = GcpRule {
                name: String::new(),
                direction: *direction,
                priority: options.priority,
                source: source.clone(),
                destination: destination.clone(),
                target_tags,
                target_service_accounts,
                source_tags,
                source_service_accounts,
                source_ranges,
                destination_ranges,
                allow: allow.clone(),
                description: description(&reasons, MAX_DESCRIPTION),
                platforms: platforms.clone(),
                purposes: purposes.clone(),
            };
            drafts.insert(identity, (readable, rule));
        }
    }

    let readable: BTreeMap<String, String> = drafts
        .iter()
        .map(|(identity, (name, _))| (identity.clone(), name.clone()))
        .collect();
    let names = unique_names(&readable, MAX_NAME);
    for (identity, (_, mut rule)) in drafts {
        rule.name = names.get(&identity).cloned().unwrap_or_default();
        let key = (
            rule.direction,
            rule.source.clone(),
            rule.destination.clone(),
        );
        set.widened.extend(unsupported.widenings(&key, &rule.name));
        set.rules.insert(rule.name.clone(), rule);
    }
    set.widened.sort();
    if !skipped_egress.is_empty() {
        let count: usize = skipped_egress.values().sum();
        let tiers: Vec<&str> = skipped_egress.keys().map(String::as_str).collect();
        set.warnings.push(format!(
            "{count} egress rule(s) towards tier(s) {} were not written: GCP egress rules cannot name network tags \
             or service accounts as destinations, and {} gives no CIDR blocks for these tiers. GCP allows all \
             egress unless a rule denies it; if yours does, set {}.",
            tiers.join(", "),
            Setting::option("tier_ranges"),
            Setting::option_entry(
                "tier_ranges",
                tiers.first().copied().unwrap_or_default(),
                Literal::Texts(vec!["<CIDR>".into()])
            )
        ));
    }
    Ok(set)
}

/// Network tags or service accounts naming a tier in a rule.
fn identify(tier: &GcpTier) -> (Vec<String>, Vec<String>) {
    (
        tier.network_tag.iter().cloned().collect(),
        tier.service_account.iter().cloned().collect(),
    )
}

/// For a flow GCP cannot express: the narrowest expressible ports, why, and what that opens.
fn inexpressible(
    protocol: Protocol,
    ports: RulePorts,
) -> Option<(RulePorts, &'static str, &'static str)> {
    match (protocol, ports) {
        (Protocol::Icmp | Protocol::Icmpv6, RulePorts::IcmpType(Some(_))) => Some((
            RulePorts::IcmpType(None),
            "GCP firewall rules cannot match ICMP types",
            "every ICMP type",
        )),
        (Protocol::Sctp, RulePorts::Range(range)) if range != PortRange { from: 1, to: 65535 } => {
            Some((
                RulePorts::All,
                "GCP firewall rules take ports for tcp and udp only",
                "every SCTP port",
            ))
        }
        _ => None,
    }
}

/// The protocol name GCP takes.
fn gcp_protocol(protocol: Protocol) -> String {
    match protocol {
        Protocol::Tcp => "tcp".into(),
        Protocol::Udp => "udp".into(),
        Protocol::Sctp => "sctp".into(),
        Protocol::Icmp => "icmp".into(),
        // GCP names no ICMPv6; it takes the IP protocol number.
        Protocol::Icmpv6 => "58".into(),
        Protocol::Number(4) => "ipip".into(),
        Protocol::Number(50) => "esp".into(),
        Protocol::Number(51) => "ah".into(),
        Protocol::Number(n) => n.to_string(),
    }
}

/// `allow` blocks of a group: one per protocol, ports listed for tcp and udp, in protocol order.
fn allow_list(entries: &Entries<'_>) -> Vec<Allow> {
    let mut by_protocol: BTreeMap<Protocol, Option<Vec<String>>> = BTreeMap::new();
    for (protocol, ports) in entries.keys() {
        let slot = by_protocol
            .entry(*protocol)
            .or_insert_with(|| Some(Vec::new()));
        match (protocol, ports, slot.as_mut()) {
            (Protocol::Tcp | Protocol::Udp, RulePorts::Range(range), Some(list)) => {
                list.push(range.to_string())
            }
            // A protocol without ports (or with every port) is allowed whole.
            _ => *slot = None,
        }
    }
    by_protocol
        .into_iter()
        .map(|(protocol, ports)| Allow {
            protocol: gcp_protocol(protocol),
            ports: ports.unwrap_or_default(),
        })
        .collect()
}

/// CIDR blocks split by family: `:` appears in IPv6 blocks only.
fn split(ranges: &[String]) -> EndpointAddresses {
    let (ipv6, ipv4) = ranges.iter().cloned().partition(|r| r.contains(':'));
    EndpointAddresses {
        ipv4,
        ipv6,
        references: Vec::new(),
    }
}

/// One variant per address family that has blocks.
fn by_family(addresses: EndpointAddresses) -> Vec<(Family, Vec<String>)> {
    [
        (Family::Ipv4, addresses.ipv4),
        (Family::Ipv6, addresses.ipv6),
    ]
    .into_iter()
    .filter(|(_, ranges)| !ranges.is_empty())
    .collect()
}

/// Every tier's tag or service account and ranges, checked.
fn tiers(
    expansion: &Expansion,
    options: &GcpOptions,
) -> Result<BTreeMap<String, GcpTier>, Vec<GcpError>> {
    let mut errors = Vec::new();
    let names: BTreeSet<&str> = expansion.tiers.iter().map(|(t, _)| t.as_str()).collect();
    let valid = names.iter().copied().collect::<Vec<_>>().join(", ");
    for (option, keys) in [
        (
            "service_accounts",
            options.service_accounts.keys().collect::<Vec<_>>(),
        ),
        ("tier_ranges", options.tier_ranges.keys().collect()),
    ] {
        for key in keys {
            if !names.contains(key.as_str()) {
                errors.push(GcpError::Option(
                    OptionError::new(
                        option,
                        format!("Unknown tier {key:?} in {}", Setting::option(option)),
                        format!("The tiers are: {valid}."),
                    )
                    .at_key(key.clone()),
                ));
            }
        }
    }
    let use_accounts = !options.service_accounts.is_empty();
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|t| use_accounts && !options.service_accounts.contains_key(*t))
        .collect();
    if !missing.is_empty() {
        errors.push(GcpError::Option(OptionError::new(
            "service_accounts",
            "Tiers without a service account",
            format!(
                "A GCP rule cannot mix network tags and service accounts, so once service_accounts is set every \
                 tier needs one; missing: {}.",
                missing.join(", ")
            ),
        )));
    }
    let prefix_valid = options.tag_prefix.len() <= MAX_PREFIX
        && options
            .tag_prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !prefix_valid {
        errors.push(GcpError::Option(OptionError::new(
            "tag_prefix",
            format!("Invalid tag_prefix {:?}", options.tag_prefix),
            format!("Write at most {MAX_PREFIX} lower-case letters, digits and '-' (for example \"prod-\")."),
        )));
    }

    let mut tiers = BTreeMap::new();
    let mut tags: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for tier in &names {
        let network_tag = if use_accounts {
            None
        } else {
            let tag = format!("{}{}", options.tag_prefix, name_part(tier));
            // A bad prefix spoils every tag: it is reported once, above.
            if prefix_valid && !valid_gcp_name(&tag) {
                errors.push(GcpError::Option(OptionError::new(
                    "tag_prefix",
                    format!("Tier {tier:?} gives the invalid network tag {tag:?}"),
                    format!(
                        "Network tags are 1-{MAX_NAME} characters, start with a lower-case letter and end with a \
                         letter or digit: set a tag_prefix such as \"pm-\", or rename the tier."
                    ),
                )));
            }
            tags.entry(tag.clone()).or_default().push(tier);
            Some(tag)
        };
        let ranges = options
            .tier_ranges
            .get(*tier)
            .map(|list| normalized_ranges(tier, list, &mut errors))
            .unwrap_or_default();
        tiers.insert(
            tier.to_string(),
            GcpTier {
                network_tag,
                service_account: options.service_accounts.get(*tier).cloned(),
                ranges,
            },
        );
    }
    for (tag, sharing) in tags {
        if sharing.len() > 1 {
            errors.push(GcpError::Option(OptionError::new(
                "tier",
                format!("Tiers {} share the network tag {tag:?}", sharing.join(" and ")),
                "Network tags allow only lower-case letters, digits and '-', so '_' becomes '-': rename one of \
                 the tiers.",
            )));
        }
    }
    if errors.is_empty() {
        Ok(tiers)
    } else {
        Err(errors)
    }
}

/// A tier's `tier_ranges` entry, each block checked like an endpoint's.
fn normalized_ranges(tier: &str, list: &[String], errors: &mut Vec<GcpError>) -> Vec<String> {
    let mut out = BTreeSet::new();
    for text in list {
        let problem = match parse_cidr(text, CidrFamily::Any) {
            Ok(net) => {
                out.insert(net.to_string());
                continue;
            }
            Err(error) => error.to_string(),
        };
        errors.push(GcpError::Option(
            OptionError::new(
                "tier_ranges",
                format!("Invalid range for tier {tier:?}"),
                problem,
            )
            .at_key(tier),
        ));
    }
    out.into_iter().collect()
}

/// GCP's name rule (RFC 1035): `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters. Network tags follow it too.
pub fn valid_gcp_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests;
