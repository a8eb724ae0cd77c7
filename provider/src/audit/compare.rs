//! The comparison at the heart of the audit: the rules a selection requires ([`AwsRuleSet`]) against the rules
//! the tiers' security groups hold ([`ObservedRule`]), as findings per tier. Pure: no SDK types, no I/O.
//!
//! Terms, per tier (one security group) and direction:
//! * A required rule is **present** when a rule of the group has the same peer, protocol and ports. Present
//!   rules are no finding.
//! * Otherwise it is **covered** when wider rules of the group allow all of its traffic (a wider port range, a
//!   wider CIDR, all protocols, `0.0.0.0/0` for a referenced group), and **missing** when they do not.
//! * A group rule that is not present is **over-broad** when it opens traffic that the selection needs only
//!   between tiers (a rule whose peer is a tier) to `0.0.0.0/0` or `::/0`, or to all protocols. Rules the
//!   selection asks for by address, such as `0.0.0.0/0` for an internet endpoint, are present, never over-broad.
//! * A group rule that is neither present, nor over-broad, nor used to cover a required rule is **excess**.
//!
//! Descriptions are not compared: they are labels, and EC2 implementations differ in returning them.

use crate::output_shape::output_struct;
use crate::targets::aws::{AwsPeer, AwsRule, AwsRuleSet, Direction};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The other side of a rule read from a security group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObservedPeer {
    /// A referenced security group, by ID.
    Group(String),
    /// An IPv4 CIDR block.
    Ipv4(String),
    /// An IPv6 CIDR block.
    Ipv6(String),
    /// A managed prefix list, by ID.
    PrefixList(String),
}

/// One rule of a security group, as the EC2 API describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedRule {
    /// The rule's ID (`sgr-…`).
    pub rule_id: String,
    /// The group that holds it.
    pub group_id: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// `IpProtocol` as returned: `tcp`, `udp`, `icmp`, `icmpv6`, `-1` or a protocol number.
    pub ip_protocol: String,
    /// `FromPort` (first port, or ICMP type; -1 = all).
    pub from_port: Option<i64>,
    /// `ToPort` (last port, or ICMP code; -1 = all).
    pub to_port: Option<i64>,
    /// The other side.
    pub peer: ObservedPeer,
}

/// What the audit checks and what counts against compliance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditOptions {
    /// Compare outbound rules too (`false` for groups that keep AWS's default allow-all egress).
    pub audit_egress: bool,
    /// Count excess rules against `compliant`.
    pub fail_on_excess: bool,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            audit_egress: true,
            fail_on_excess: false,
        }
    }
}

output_struct! {
    /// One finding: a required rule (missing or covered) or a group rule (excess or over-broad).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Finding {
        /// The key of the required rule in `portmatrix_aws_security_group_rules`; `None` for group rules.
        pub key: Option<String>,
        /// `ingress` or `egress`.
        pub direction: String,
        /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1` or a protocol number.
        pub ip_protocol: String,
        /// First port or ICMP type; `None` where the protocol has no ports.
        pub from_port: Option<i64>,
        /// Last port or ICMP code; `None` where the protocol has no ports.
        pub to_port: Option<i64>,
        /// A tier name (required rules), a CIDR, prefix list or foreign group ID.
        pub peer: String,
        /// The group rule's ID; `None` for required rules.
        pub rule_id: Option<String>,
        /// For covered rules: the group rules that allow the traffic.
        pub covered_by: Vec<String>,
        /// The finding in words.
        pub detail: String,
    }
}

output_struct! {
    /// The findings of one tier.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct TierReport {
        /// The tier's security group.
        pub security_group_id: String,
        /// Required rules no group rule allows.
        pub missing: Vec<Finding>,
        /// Required rules allowed only by wider group rules.
        pub covered: Vec<Finding>,
        /// Group rules the selection does not ask for.
        pub excess: Vec<Finding>,
        /// Group rules that open tier-to-tier traffic to the world or to all protocols.
        pub over_broad: Vec<Finding>,
    }
}

impl TierReport {
    /// The findings that break compliance, by kind: `missing`, `over-broad`, `excess`.
    pub fn failing(&self) -> [(&'static str, &[Finding]); 3] {
        [
            ("missing", &self.missing),
            ("over-broad", &self.over_broad),
            ("excess", &self.excess),
        ]
    }

    /// Every finding by kind, in the order people read them: the [`failing`](TierReport::failing) ones, then
    /// `covered`.
    pub fn by_kind(&self) -> impl Iterator<Item = (&'static str, &[Finding])> {
        self.failing()
            .into_iter()
            .chain([("covered", self.covered.as_slice())])
    }
}

output_struct! {
    /// Counts over all audited tiers.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct Summary {
        /// Required rules compared.
        pub required: usize,
        /// Group rules compared.
        pub observed: usize,
        /// Missing required rules.
        pub missing: usize,
        /// Covered required rules.
        pub covered: usize,
        /// Excess group rules.
        pub excess: usize,
        /// Over-broad group rules.
        pub over_broad: usize,
    }
}

output_struct! {
    /// The outcome of an audit; the fields are the outputs of `portmatrix_aws_security_group_audit`.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct AuditReport {
        /// Findings per audited tier, with its `security_group_id`. `missing`: required rules that no rule of the
        /// group allows (`key` is the rules data source's key). `covered`: required rules allowed only by wider
        /// rules, whose IDs are in `covered_by`. `excess`: rules of the group the selection does not require
        /// (`rule_id` is the `sgr-…` ID). `over_broad`: rules that open traffic the selection needs only between
        /// tiers to `0.0.0.0/0` or `::/0`, or to all protocols. Each finding has `direction`, `ip_protocol`,
        /// `from_port`, `to_port` (as in the rules data source; null where the protocol has no ports), `peer`,
        /// and `detail` in words. Descriptions are not compared.
        pub tiers: BTreeMap<String, TierReport>,
        /// Counts over all audited tiers: `required` and `observed` rules compared, and the number of
        /// `missing`, `covered`, `excess` and `over_broad` findings.
        pub summary: Summary,
        /// `true` when no rule is missing and none is over-broad (and, with `fail_on_excess`, none is excess).
        /// Use it in a `precondition` or `check` block.
        pub compliant: bool,
        /// What was not audited and why: flows skipped for a missing input, tiers without a group, outbound
        /// rules when `audit_egress` is false.
        pub warnings: Vec<String>,
    }
}

/// A `security_groups` map the audit cannot work with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupsError {
    /// No tier is mapped to a group.
    Empty,
    /// A tier the selection does not have.
    UnknownTier {
        /// The tier named in the map.
        tier: String,
        /// The selection's tiers.
        known: Vec<String>,
    },
    /// Two tiers mapped to one group.
    SharedGroup {
        /// The group.
        group_id: String,
        /// The tiers sharing it.
        tiers: Vec<String>,
    },
    /// An audited rule references a tier whose group is not given, so its peer cannot be recognised.
    PeerWithoutGroup {
        /// The audited tier.
        tier: String,
        /// The referenced tier.
        peer: String,
    },
}

impl fmt::Display for GroupsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupsError::Empty => f.write_str(
                "no security group to audit: map at least one tier to its security group ID.",
            ),
            GroupsError::UnknownTier { tier, known } => write!(
                f,
                "the selection has no tier {tier:?}; its tiers are {}.",
                known.join(", ")
            ),
            GroupsError::SharedGroup { group_id, tiers } => write!(
                f,
                "tiers {} all map to {group_id}; each tier needs a security group of its own.",
                tiers.join(", ")
            ),
            GroupsError::PeerWithoutGroup { tier, peer } => write!(
                f,
                "rules of tier {tier:?} reference tier {peer:?}, whose security group is not given: give it too, \
                 so that rules referencing its group can be recognised."
            ),
        }
    }
}

/// Checks the tier to group map against the required rules before anything is read.
pub fn check_groups(
    required: &AwsRuleSet,
    groups: &BTreeMap<String, String>,
    options: &AuditOptions,
) -> Result<(), Vec<GroupsError>> {
    if groups.is_empty() {
        return Err(vec![GroupsError::Empty]);
    }
    let mut errors = Vec::new();
    for tier in groups.keys() {
        if !required.tiers.contains_key(tier) {
            errors.push(GroupsError::UnknownTier {
                tier: tier.clone(),
                known: required.tiers.keys().cloned().collect(),
            });
        }
    }
    let mut by_group: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (tier, group) in groups {
        by_group.entry(group).or_default().push(tier.clone());
    }
    for (group_id, tiers) in by_group {
        if tiers.len() > 1 {
            errors.push(GroupsError::SharedGroup {
                group_id: group_id.to_string(),
                tiers,
            });
        }
    }
    let mut unmapped = BTreeSet::new();
    for rule in audited_rules(required, options) {
        if let AwsPeer::Tier(peer) = &rule.peer {
            if groups.contains_key(&rule.tier) && !groups.contains_key(peer) {
                unmapped.insert((rule.tier.clone(), peer.clone()));
            }
        }
    }
    errors.extend(
        unmapped
            .into_iter()
            .map(|(tier, peer)| GroupsError::PeerWithoutGroup { tier, peer }),
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn audited_rules<'a>(
    required: &'a AwsRuleSet,
    options: &AuditOptions,
) -> impl Iterator<Item = &'a AwsRule> {
    let egress = options.audit_egress;
    required
        .ingress
        .values()
        .chain(required.egress.values().filter(move |_| egress))
}

/// ICMP (`v6` for ICMPv6) type and code, -1 = all.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Icmp {
    v6: bool,
    icmp_type: i64,
    code: i64,
}

/// Traffic of a rule, normalized so that AWS's spellings (`6` for `tcp`, `-1` ports) compare equal.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Traffic {
    /// `-1`: every protocol and port.
    All,
    /// TCP ports, inclusive.
    Tcp(i64, i64),
    /// UDP ports, inclusive.
    Udp(i64, i64),
    /// ICMP or ICMPv6.
    Icmp(Icmp),
    /// Any other protocol by name or number. AWS opens all its ports whatever ports a rule gives.
    Other(String),
}

impl Traffic {
    fn new(ip_protocol: &str, from: Option<i64>, to: Option<i64>) -> Traffic {
        let range = match (from, to) {
            (Some(from), Some(to)) if from >= 0 && to >= 0 => (from, to),
            _ => (0, 65535),
        };
        let icmp = |v6| {
            Traffic::Icmp(Icmp {
                v6,
                icmp_type: from.unwrap_or(-1),
                code: to.unwrap_or(-1),
            })
        };
        match ip_protocol.trim().to_ascii_lowercase().as_str() {
            "-1" | "all" => Traffic::All,
            "tcp" | "6" => Traffic::Tcp(range.0, range.1),
            "udp" | "17" => Traffic::Udp(range.0, range.1),
            "icmp" | "1" => icmp(false),
            "icmpv6" | "58" => icmp(true),
            other => Traffic::Other(other.to_string()),
        }
    }

    /// Whether this traffic includes all of `other`.
    fn covers(&self, other: &Traffic) -> bool {
        match (self, other) {
            (Traffic::All, _) => true,
            (Traffic::Tcp(a, b), Traffic::Tcp(c, d)) | (Traffic::Udp(a, b), Traffic::Udp(c, d)) => {
                a <= c && d <= b
            }
            (Traffic::Icmp(a), Traffic::Icmp(b)) => {
                a.v6 == b.v6
                    && (a.icmp_type == -1
                        || (a.icmp_type == b.icmp_type && (a.code == -1 || a.code == b.code)))
            }
            (Traffic::Other(a), Traffic::Other(b)) => a == b,
            _ => false,
        }
    }

    /// Whether this traffic and `other` share any packet.
    fn overlaps(&self, other: &Traffic) -> bool {
        let any = |a: i64, b: i64| a == -1 || b == -1 || a == b;
        match (self, other) {
            (Traffic::All, _) | (_, Traffic::All) => true,
            (Traffic::Tcp(a, b), Traffic::Tcp(c, d)) | (Traffic::Udp(a, b), Traffic::Udp(c, d)) => {
                a <= d && c <= b
            }
            (Traffic::Icmp(a), Traffic::Icmp(b)) => {
                a.v6 == b.v6
                    && (a.icmp_type == -1
                        || b.icmp_type == -1
                        || (a.icmp_type == b.icmp_type && any(a.code, b.code)))
            }
            (Traffic::Other(a), Traffic::Other(b)) => a == b,
            _ => false,
        }
    }

    /// The port range of tcp and udp traffic.
    fn range(&self) -> Option<(i64, i64)> {
        match self {
            Traffic::Tcp(a, b) | Traffic::Udp(a, b) => Some((*a, *b)),
            _ => None,
        }
    }

    /// `ip_protocol`, `from_port` and `to_port` in AWS's spelling.
    fn fields(&self) -> (String, Option<i64>, Option<i64>) {
        match self {
            Traffic::All => ("-1".into(), None, None),
            Traffic::Tcp(a, b) => ("tcp".into(), Some(*a), Some(*b)),
            Traffic::Udp(a, b) => ("udp".into(), Some(*a), Some(*b)),
            Traffic::Icmp(Icmp {
                v6,
                icmp_type,
                code,
            }) => (
                if *v6 { "icmpv6" } else { "icmp" }.into(),
                Some(*icmp_type),
                Some(*code),
            ),
            Traffic::Other(name) => (name.clone(), None, None),
        }
    }
}

impl fmt::Display for Traffic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ports = |f: &mut fmt::Formatter<'_>, name: &str, a: i64, b: i64| match (a, b) {
            (0, 65535) => write!(f, "all {name} ports"),
            (a, b) if a == b => write!(f, "{name} {a}"),
            (a, b) => write!(f, "{name} {a}-{b}"),
        };
        match self {
            Traffic::All => f.write_str("all traffic"),
            Traffic::Tcp(a, b) => ports(f, "tcp", *a, *b),
            Traffic::Udp(a, b) => ports(f, "udp", *a, *b),
            Traffic::Icmp(Icmp {
                v6,
                icmp_type,
                code,
            }) => {
                let name = if *v6 { "icmpv6" } else { "icmp" };
                match (icmp_type, code) {
                    (-1, _) => write!(f, "all {name}"),
                    (t, -1) => write!(f, "{name} type {t}"),
                    (t, c) => write!(f, "{name} type {t} code {c}"),
                }
            }
            Traffic::Other(name) => write!(f, "IP protocol {name}"),
        }
    }
}

/// A CIDR in canonical form, so that `10.0.0.1/8` and `10.0.0.0/8` compare equal; unparsable text stays as is.
fn canonical(cidr: &str) -> String {
    cidr.parse::<IpNet>()
        .map(|net| net.trunc().to_string())
        .unwrap_or_else(|_| cidr.to_string())
}

fn normalized(peer: &ObservedPeer) -> ObservedPeer {
    match peer {
        ObservedPeer::Ipv4(cidr) => ObservedPeer::Ipv4(canonical(cidr)),
        ObservedPeer::Ipv6(cidr) => ObservedPeer::Ipv6(canonical(cidr)),
        other => other.clone(),
    }
}

fn is_world(peer: &ObservedPeer) -> bool {
    matches!(peer, ObservedPeer::Ipv4(c) if c == "0.0.0.0/0")
        || matches!(peer, ObservedPeer::Ipv6(c) if c == "::/0")
}

fn contains(wide: &str, narrow: &str) -> bool {
    match (wide.parse::<IpNet>(), narrow.parse::<IpNet>()) {
        (Ok(wide), Ok(narrow)) => wide.contains(&narrow),
        _ => false,
    }
}

/// Whether group-rule peer `wide` lets every address of required peer `narrow` through. `0.0.0.0/0` covers a
/// referenced group, whose members always have IPv4 addresses in a VPC; `::/0` does not, since IPv4 traffic
/// between them would still be refused.
fn peer_covers(wide: &ObservedPeer, narrow: &ObservedPeer) -> bool {
    match (wide, narrow) {
        (a, b) if a == b => true,
        (ObservedPeer::Ipv4(a), ObservedPeer::Ipv4(b))
        | (ObservedPeer::Ipv6(a), ObservedPeer::Ipv6(b)) => contains(a, b),
        (ObservedPeer::Ipv4(a), ObservedPeer::Group(_)) => a == "0.0.0.0/0",
        _ => false,
    }
}

/// Whether group-rule peer `wide` lets any address of required peer `narrow` through.
fn peer_exposes(wide: &ObservedPeer, narrow: &ObservedPeer) -> bool {
    peer_covers(wide, narrow) || (is_world(wide) && matches!(narrow, ObservedPeer::Group(_)))
}

/// A required rule, ready to compare.
struct Required<'a> {
    rule: &'a AwsRule,
    peer: ObservedPeer,
    traffic: Traffic,
}

/// A group rule, ready to compare.
struct Observed<'a> {
    rule: &'a ObservedRule,
    peer: ObservedPeer,
    traffic: Traffic,
}

/// Compares the required rules of every tier in `groups` (tier name to security group ID) with `observed`,
/// the rules read from those groups. Call [`check_groups`] first: required rules referencing a tier without a
/// group are skipped here.
pub fn compare(
    required: &AwsRuleSet,
    groups: &BTreeMap<String, String>,
    observed: &[ObservedRule],
    options: &AuditOptions,
) -> AuditReport {
    let mut report = AuditReport::default();
    let tier_of_group: BTreeMap<&str, &str> = groups
        .iter()
        .map(|(tier, group)| (group.as_str(), tier.as_str()))
        .collect();
    let audited: Vec<&AwsRule> = audited_rules(required, options).collect();
    for tier in required.tiers.keys() {
        if !groups.contains_key(tier) && audited.iter().any(|r| &r.tier == tier) {
            report.warnings.push(format!(
                "tier {tier:?} has required rules but no entry in security_groups: its group was not audited"
            ));
        }
    }
    if !options.audit_egress {
        report.warnings.push(
            "audit_egress is false: outbound rules were neither required nor compared".to_string(),
        );
    }
    for (tier, group_id) in groups {
        let wanted: Vec<Required> = audited
            .iter()
            .filter(|rule| &rule.tier == tier)
            .filter_map(|rule| {
                let peer = match &rule.peer {
                    AwsPeer::Tier(peer) => ObservedPeer::Group(groups.get(peer)?.clone()),
                    AwsPeer::Ipv4(cidr) => ObservedPeer::Ipv4(canonical(cidr)),
                    AwsPeer::Ipv6(cidr) => ObservedPeer::Ipv6(canonical(cidr)),
                    AwsPeer::PrefixList(id) => ObservedPeer::PrefixList(id.clone()),
                };
                Some(Required {
                    rule,
                    peer,
                    traffic: Traffic::new(
                        &rule.protocol.ip_protocol(),
                        rule.from_port,
                        rule.to_port,
                    ),
                })
            })
            .collect();
        let mut held: Vec<Observed> = observed
            .iter()
            .filter(|rule| &rule.group_id == group_id)
            .filter(|rule| options.audit_egress || rule.direction == Direction::Ingress)
            .map(|rule| Observed {
                rule,
                peer: normalized(&rule.peer),
                traffic: Traffic::new(&rule.ip_protocol, rule.from_port, rule.to_port),
            })
            .collect();
        held.sort_by(|a, b| a.rule.rule_id.cmp(&b.rule.rule_id));
        let tier_report = compare_group(group_id, &wanted, &held, &tier_of_group);
        report.summary.required += wanted.len();
        report.summary.observed += held.len();
        report.summary.missing += tier_report.missing.len();
        report.summary.covered += tier_report.covered.len();
        report.summary.excess += tier_report.excess.len();
        report.summary.over_broad += tier_report.over_broad.len();
        report.tiers.insert(tier.clone(), tier_report);
    }
    let summary = &report.summary;
    report.compliant = summary.missing == 0
        && summary.over_broad == 0
        && (!options.fail_on_excess || summary.excess == 0);
    report
}

fn compare_group(
    group_id: &str,
    wanted: &[Required],
    held: &[Observed],
    tier_of_group: &BTreeMap<&str, &str>,
) -> TierReport {
    let mut tier = TierReport {
        security_group_id: group_id.to_string(),
        ..TierReport::default()
    };
    let mut present = BTreeSet::new();
    let mut covering = BTreeSet::new();
    for want in wanted {
        let same_direction = |h: &&Observed| h.rule.direction == want.rule.direction;
        if let Some(index) = held
            .iter()
            .position(|h| same_direction(&h) && h.peer == want.peer && h.traffic == want.traffic)
        {
            present.insert(index);
            continue;
        }
        let candidates: Vec<(usize, &Observed)> = held
            .iter()
            .enumerate()
            .filter(|(_, h)| same_direction(h) && peer_covers(&h.peer, &want.peer))
            .collect();
        match cover(want, &candidates) {
            Some(by) => {
                let words: Vec<String> =
                    by.iter().map(|(_, h)| describe(h, tier_of_group)).collect();
                let detail = format!("allowed by {}", words.join(" and "));
                let ids = by.iter().map(|(_, h)| h.rule.rule_id.clone()).collect();
                covering.extend(by.iter().map(|&(i, _)| i));
                tier.covered.push(required_finding(want, ids, detail));
            }
            None => {
                let reasons = if want.rule.purposes.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; needed by {}: {}",
                        want.rule.platforms.join(", "),
                        want.rule.purposes.join("; ")
                    )
                };
                let detail = format!(
                    "no {} rule of {group_id} allows {} {} {}{reasons}",
                    want.rule.direction,
                    want.traffic,
                    preposition(want.rule.direction),
                    peer_words(&want.peer, tier_of_group),
                );
                tier.missing
                    .push(required_finding(want, Vec::new(), detail));
            }
        }
    }
    for (index, have) in held.iter().enumerate() {
        if present.contains(&index) {
            continue;
        }
        let wide = is_world(&have.peer) || have.traffic == Traffic::All;
        let exposed: Vec<String> = wanted
            .iter()
            .filter(|want| {
                wide && matches!(want.rule.peer, AwsPeer::Tier(_))
                    && want.rule.direction == have.rule.direction
                    && peer_exposes(&have.peer, &want.peer)
                    && have.traffic.overlaps(&want.traffic)
            })
            .map(|want| want.rule.key())
            .collect();
        if !exposed.is_empty() {
            let detail = format!(
                "{} opens traffic the selection needs only between tiers to {}: {}",
                describe(have, tier_of_group),
                if have.traffic == Traffic::All {
                    "all protocols".to_string()
                } else {
                    peer_words(&have.peer, tier_of_group)
                },
                abbreviated(&exposed)
            );
            tier.over_broad
                .push(observed_finding(have, tier_of_group, detail));
        } else if !covering.contains(&index) {
            let detail = format!(
                "{} is not required by the selection",
                describe(have, tier_of_group)
            );
            tier.excess
                .push(observed_finding(have, tier_of_group, detail));
        }
    }
    tier
}

/// The group rules that together allow `want`: the narrowest single rule when one suffices, else for tcp and
/// udp the fewest rules whose port ranges join up across `want`'s range.
/// `candidates` are the group's rules with their positions, which break ties.
fn cover<'h, 'r>(
    want: &Required,
    candidates: &[(usize, &'h Observed<'r>)],
) -> Option<Vec<(usize, &'h Observed<'r>)>> {
    let single = candidates
        .iter()
        .copied()
        .filter(|(_, h)| h.traffic.covers(&want.traffic))
        .min_by_key(|&(i, h)| {
            let span = h.traffic.range().map_or(i64::MAX, |(a, b)| b - a);
            (h.peer != want.peer, h.traffic == Traffic::All, span, i)
        });
    if let Some(found) = single {
        return Some(vec![found]);
    }
    let (from, to) = want.traffic.range()?;
    let mut pieces: Vec<(i64, i64, usize, &Observed<'r>)> = candidates
        .iter()
        .filter_map(|&(i, h)| {
            let (a, b) = h.traffic.range()?;
            let same_protocol =
                std::mem::discriminant(&h.traffic) == std::mem::discriminant(&want.traffic);
            (same_protocol && a <= to && b >= from).then_some((a, b, i, h))
        })
        .collect();
    pieces.sort_by_key(|&(a, b, i, _)| (a, b, i));
    let mut next = from;
    let mut chosen = Vec::new();
    while next <= to {
        let best = pieces
            .iter()
            .filter(|(a, _, _, _)| *a <= next)
            .max_by_key(|(_, b, i, _)| (*b, std::cmp::Reverse(*i)))?;
        if best.1 < next {
            return None;
        }
        chosen.push((best.2, best.3));
        next = best.1 + 1;
    }
    Some(chosen)
}

fn preposition(direction: Direction) -> &'static str {
    match direction {
        Direction::Ingress => "from",
        Direction::Egress => "to",
    }
}

/// A peer as findings show it: the tier whose group it is, else the ID or CIDR.
fn peer_label(peer: &ObservedPeer, tier_of_group: &BTreeMap<&str, &str>) -> String {
    match peer {
        ObservedPeer::Group(id) => tier_of_group
            .get(id.as_str())
            .map_or_else(|| id.clone(), |tier| tier.to_string()),
        ObservedPeer::Ipv4(cidr) | ObservedPeer::Ipv6(cidr) => cidr.clone(),
        ObservedPeer::PrefixList(id) => id.clone(),
    }
}

fn peer_words(peer: &ObservedPeer, tier_of_group: &BTreeMap<&str, &str>) -> String {
    match peer {
        ObservedPeer::Group(id) => match tier_of_group.get(id.as_str()) {
            Some(tier) => format!("tier {tier} ({id})"),
            None => format!("group {id}"),
        },
        ObservedPeer::PrefixList(id) => format!("prefix list {id}"),
        ObservedPeer::Ipv4(cidr) | ObservedPeer::Ipv6(cidr) => cidr.clone(),
    }
}

/// `sgr-1 (tcp 10250 from 0.0.0.0/0)`.
fn describe(have: &Observed, tier_of_group: &BTreeMap<&str, &str>) -> String {
    format!(
        "{} ({} {} {})",
        have.rule.rule_id,
        have.traffic,
        preposition(have.rule.direction),
        peer_words(&have.peer, tier_of_group)
    )
}

fn abbreviated(keys: &[String]) -> String {
    const SHOWN: usize = 5;
    match keys.split_at_checked(SHOWN) {
        Some((shown, rest)) if !rest.is_empty() => {
            format!("{} and {} more", shown.join(", "), rest.len())
        }
        _ => keys.join(", "),
    }
}

fn required_finding(want: &Required, covered_by: Vec<String>, detail: String) -> Finding {
    Finding {
        key: Some(want.rule.key()),
        direction: want.rule.direction.to_string(),
        ip_protocol: want.rule.protocol.ip_protocol().into_owned(),
        from_port: want.rule.from_port,
        to_port: want.rule.to_port,
        peer: want.rule.peer.key().to_string(),
        rule_id: None,
        covered_by,
        detail,
    }
}

fn observed_finding(
    have: &Observed,
    tier_of_group: &BTreeMap<&str, &str>,
    detail: String,
) -> Finding {
    let (ip_protocol, from_port, to_port) = have.traffic.fields();
    Finding {
        key: None,
        direction: have.rule.direction.to_string(),
        ip_protocol,
        from_port,
        to_port,
        peer: peer_label(&have.peer, tier_of_group),
        rule_id: Some(have.rule.rule_id.clone()),
        covered_by: Vec::new(),
        detail,
    }
}

#[cfg(test)]
mod tests;
