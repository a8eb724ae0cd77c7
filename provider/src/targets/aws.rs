//! AWS security group rules: an [`Expansion`] shaped for `aws_vpc_security_group_ingress_rule` and
//! `aws_vpc_security_group_egress_rule`, within AWS's per-group rule quota.
//!
//! Every tier is one security group. A rule whose destination is a tier becomes an ingress rule of that tier's
//! group; a rule whose source is a tier becomes an egress rule of that tier's group. AWS counts rules per group
//! and direction, separately for IPv4 and IPv6; a rule that references a group counts in both (Amazon VPC user
//! guide, "Inbound or outbound rules per security group"). AWS counts a referenced prefix list as its maximum
//! number of entries, unknown at plan time, so a prefix list counts as one rule per family here.

pub use super::common::Direction;
use super::common::{contributors, contributors_text};
use crate::catalog::{PortRange, Protocol};
use crate::engine::setting::{Literal, Setting};
use crate::engine::{EndpointAddresses, Expansion, Peer, Reason, RulePorts};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

mod output;
pub(crate) use output::{quota_errors, AwsTarget};
// The option names, for the tests that set them.
#[cfg(test)]
pub(crate) use output::{RULES_PER_GROUP, WIDEN_TO_FIT};

/// AWS's default number of inbound (and of outbound) rules per security group, per address family.
pub(crate) const DEFAULT_RULES_PER_GROUP: usize = 60;

/// The fewest rules per group `rules_per_group` (and `portmatrix audit --rules-per-group`) accepts.
pub(crate) const MIN_RULES_PER_GROUP: usize = 1;

/// The most rules per group `rules_per_group` accepts: AWS lets the quota be raised to 1000 at most.
pub(crate) const MAX_RULES_PER_GROUP: usize = 1000;

/// The longest rule description AWS accepts.
const MAX_DESCRIPTION: usize = 255;

/// The punctuation AWS accepts in rule descriptions, beside letters, digits and spaces: bit `b` stands for the
/// ASCII byte `b`.
const DESCRIPTION_PUNCTUATION: u128 = ascii_set(b"._-:/()#,@[]+=&;{}!$*");

/// The set of the ASCII bytes `bytes`, bit `b` standing for byte `b`.
const fn ascii_set(mut bytes: &[u8]) -> u128 {
    let mut set = 0;
    while let [first, rest @ ..] = bytes {
        set |= 1 << (*first % 128);
        bytes = rest;
    }
    set
}

/// How to shape the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsOptions {
    /// Quota per group, direction and address family.
    pub rules_per_group: usize,
    /// When over quota, merge neighbouring port ranges (opening the fewest extra ports) instead of failing.
    pub widen_to_fit: bool,
    /// Replace each tier's rules with itself by one all-traffic (`-1`) rule.
    pub all_traffic_within_tier: bool,
}

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            rules_per_group: DEFAULT_RULES_PER_GROUP,
            widen_to_fit: false,
            all_traffic_within_tier: false,
        }
    }
}

/// Checks an AWS managed prefix list ID as users write it in endpoint blocks: `pl-` followed by 8 or 17
/// lower-case hexadecimal digits. EC2 resource IDs have 8 characters after the hyphen for resources created
/// before 2016 and 17 since (Amazon EC2 User Guide, "Resource IDs",
/// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html; `prefix-list` is one of the resource
/// types of `ModifyIdFormat`, EC2 API Reference), e.g. `pl-63a5400a` and `pl-0123456789abcdef0`. AWS only refuses
/// a malformed ID at apply time, after the other rules were made; here it is refused at validation.
pub(crate) fn check_prefix_list_id(id: &str) -> Result<(), String> {
    let digits = id.strip_prefix("pl-").ok_or_else(|| {
        format!(
            "{id:?} is not an AWS prefix list ID, which starts with \"pl-\" (like \"pl-63a5400a\"). Put CIDR blocks \
             in cidr_ipv4 or cidr_ipv6."
        )
    })?;
    let valid = |digits: &str| {
        (digits.len() == 8 || digits.len() == 17)
            && digits
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if valid(digits) {
        return Ok(());
    }
    let lower = digits.to_ascii_lowercase();
    let hint = if valid(&lower) {
        format!(" AWS writes IDs in lower case: \"pl-{lower}\".")
    } else {
        String::new()
    };
    Err(format!(
        "{id:?} is not an AWS prefix list ID: after \"pl-\" AWS writes 8 or 17 hexadecimal digits (0-9, a-f), like \
         \"pl-63a5400a\" or \"pl-0123456789abcdef0\". Copy the ID from the VPC console or `aws ec2 \
         describe-managed-prefix-lists`.{hint}"
    ))
}

/// The other side of an AWS rule, as AWS identifies it: two endpoint blocks that share an address are one peer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AwsPeer {
    /// Another tier's (or the same tier's) security group.
    Tier(String),
    /// An IPv4 block (normalized, as the engine validated it).
    Ipv4(String),
    /// An IPv6 block (normalized).
    Ipv6(String),
    /// A managed prefix list, by ID.
    PrefixList(String),
}

impl AwsPeer {
    /// The peer as it appears in rule keys: a tier name, a CIDR block or a prefix list ID. Tier names cannot
    /// contain `/` or `:` nor start with `pl-` (the engine refuses them), so the three never collide.
    pub fn key(&self) -> &str {
        match self {
            AwsPeer::Tier(name)
            | AwsPeer::Ipv4(name)
            | AwsPeer::Ipv6(name)
            | AwsPeer::PrefixList(name) => name,
        }
    }
}

/// An IP protocol as a security group rule names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AwsProtocol {
    /// A catalog protocol.
    Catalog(Protocol),
    /// Every protocol (`-1`), only for `all_traffic_within_tier`.
    All,
}

impl AwsProtocol {
    /// `ip_protocol` as AWS takes it: names for tcp, udp, icmp and icmpv6, numbers for the rest, `-1` for all.
    /// Borrowed but for protocol numbers: it is written three times per rule.
    pub fn ip_protocol(self) -> Cow<'static, str> {
        match self {
            AwsProtocol::Catalog(Protocol::Tcp) => "tcp".into(),
            AwsProtocol::Catalog(Protocol::Udp) => "udp".into(),
            AwsProtocol::Catalog(Protocol::Icmp) => "icmp".into(),
            AwsProtocol::Catalog(Protocol::Icmpv6) => "icmpv6".into(),
            AwsProtocol::Catalog(Protocol::Sctp) => "132".into(),
            AwsProtocol::Catalog(Protocol::Number(n)) => n.to_string().into(),
            AwsProtocol::All => "-1".into(),
        }
    }
}

/// One rule as the AWS resources take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsRule {
    /// The tier whose group holds the rule.
    pub tier: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// The other side.
    pub peer: AwsPeer,
    /// The endpoint blocks whose addresses the peer is, sorted (several when they share an address; none for
    /// a tier).
    pub endpoints: Vec<String>,
    /// The protocol.
    pub protocol: AwsProtocol,
    /// `from_port`: first port, ICMP type, or `None` where AWS takes no ports.
    pub from_port: Option<i64>,
    /// `to_port`: last port, ICMP code (-1 = all), or `None`.
    pub to_port: Option<i64>,
    /// A description within AWS's length and character set.
    pub description: String,
    /// Platforms behind the rule.
    pub platforms: Vec<String>,
    /// Purposes behind the rule.
    pub purposes: Vec<String>,
}

impl AwsRule {
    /// `{tier}:{protocol}:{ports}:{peer}`, e.g. `master:tcp:6443:worker`.
    pub fn key(&self) -> String {
        let mut key = String::with_capacity(self.tier.len() + self.peer.key().len() + 16);
        key.push_str(&self.tier);
        key.push(':');
        match self.protocol {
            AwsProtocol::All => key.push_str("all"),
            other => key.push_str(&other.ip_protocol()),
        }
        // Writing to a String cannot fail.
        let _ = match (self.protocol, self.from_port, self.to_port) {
            (AwsProtocol::Catalog(Protocol::Icmp | Protocol::Icmpv6), Some(t), _) if t >= 0 => {
                write!(key, ":{t}:")
            }
            (AwsProtocol::Catalog(p), Some(from), Some(to)) if p.has_ports() && from == to => {
                write!(key, ":{from}:")
            }
            (AwsProtocol::Catalog(p), Some(from), Some(to)) if p.has_ports() => {
                write!(key, ":{from}-{to}:")
            }
            _ => write!(key, ":all:"),
        };
        key.push_str(self.peer.key());
        key
    }
}

/// Rule counts of one tier's group, per direction and address family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierCounts {
    /// Inbound IPv4 rules.
    pub ingress_ipv4: usize,
    /// Inbound IPv6 rules.
    pub ingress_ipv6: usize,
    /// Outbound IPv4 rules.
    pub egress_ipv4: usize,
    /// Outbound IPv6 rules.
    pub egress_ipv6: usize,
}

/// A range opened wider than the catalog asks, to fit the quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Widening {
    /// The tier whose group holds the rule.
    pub tier: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// The other side, as in rule keys.
    pub peer: String,
    /// `ip_protocol` of the rule.
    pub protocol: String,
    /// The widened range's first port.
    pub from_port: u16,
    /// The widened range's last port.
    pub to_port: u16,
    /// Ports opened that no catalog flow asks for (`"8001"`, `"8003-8099"`).
    pub extra_ports: Vec<String>,
}

/// The rule set of a whole cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsRuleSet {
    /// Inbound rules by key.
    pub ingress: BTreeMap<String, AwsRule>,
    /// Outbound rules by key.
    pub egress: BTreeMap<String, AwsRule>,
    /// Counts per tier (every tier, even without rules).
    pub tiers: BTreeMap<String, TierCounts>,
    /// Ranges widened to fit the quota.
    pub widened: Vec<Widening>,
    /// Notes about rules that could not be written.
    pub warnings: Vec<String>,
}

/// A group over quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaError {
    /// The tier.
    pub tier: String,
    /// The direction.
    pub direction: Direction,
    /// `IPv4` or `IPv6`.
    pub family: &'static str,
    /// Rules needed.
    pub count: usize,
    /// The quota.
    pub limit: usize,
    /// Platforms by the number of rules they contribute, most first.
    pub contributors: Vec<(String, usize)>,
    /// Whether widening was tried and could not fit.
    pub widening_tried: bool,
}

impl fmt::Display for QuotaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tier {:?} needs {} {} {} rules, over the limit of {}; biggest contributors: {}.",
            self.tier,
            self.count,
            self.family,
            self.direction,
            self.limit,
            contributors_text(&self.contributors, " rules")
        )?;
        if self.widening_tried {
            write!(
                f,
                " Widening port ranges cannot bring it under the limit: raise the quota with AWS and set {}, or \
                 split the tier.",
                Setting::option("rules_per_group")
            )
        } else {
            write!(
                f,
                " Raise the quota with AWS and set {}, set {} to open the fewest extra ports instead, or split the \
                 tier.",
                Setting::option("rules_per_group"),
                Setting::option_value("widen_to_fit", Literal::Bool(true))
            )
        }
    }
}

/// One rule of a group at AWS's level of identity: group, direction, protocol, ports and one concrete peer. Its
/// reasons are the expansion's, borrowed: a reason holds its flow's citation, and a rule is spread over every
/// address of its peers.
#[derive(Debug, Clone)]
struct GroupRule<'e> {
    peer: AwsPeer,
    endpoints: BTreeSet<&'e str>,
    protocol: AwsProtocol,
    ports: RulePorts,
    /// A reason may come more than once: a list is cheaper to build, copy and join than a set, and what is read
    /// from it (platforms, purposes) is gathered into sets.
    reasons: Vec<&'e Reason>,
    extra: Vec<PortRange>,
}

/// A group and direction: the tier's name, borrowed from the expansion.
type GroupKey<'e> = (&'e str, Direction);

/// Shapes `expansion` into security group rules.
///
/// AWS identifies a rule by its group, direction, protocol, ports and peer (a group, a CIDR block or a prefix
/// list), not by its description, and refuses a second rule with the same identity
/// (`InvalidPermission.Duplicate`). So rules are spread over their peers' addresses first and then merged per
/// concrete peer: two endpoint blocks sharing an address give one rule naming both, counted once.
pub fn security_group_rules(
    expansion: &Expansion,
    options: &AwsOptions,
) -> Result<AwsRuleSet, Vec<QuotaError>> {
    let mut set = AwsRuleSet::default();
    let mut groups: BTreeMap<GroupKey<'_>, Vec<GroupRule<'_>>> = BTreeMap::new();
    for rule in &expansion.rules {
        let reasons: Vec<&Reason> = rule.reasons.iter().collect();
        let protocol = AwsProtocol::Catalog(rule.protocol);
        let sides = [
            (&rule.destination, Direction::Ingress, &rule.source),
            (&rule.source, Direction::Egress, &rule.destination),
        ];
        for (holder, direction, other) in sides {
            let Peer::Tier(tier) = holder else { continue };
            let peers = concrete_peers(other, &expansion.endpoints);
            if peers.is_empty() {
                set.warnings.push(format!(
                    "endpoint {:?} has no addresses: the {direction} rule of tier {tier:?} for {} {} was not written",
                    other.name(),
                    protocol.ip_protocol(),
                    rule.ports
                ));
            }
            let group = groups.entry((tier.as_str(), direction)).or_default();
            group.extend(peers.into_iter().map(|(peer, endpoint)| GroupRule {
                peer,
                endpoints: endpoint.into_iter().collect(),
                protocol,
                ports: rule.ports,
                reasons: reasons.clone(),
                extra: Vec::new(),
            }));
        }
    }

    let mut errors = Vec::new();
    for ((tier, direction), mut rules) in groups {
        if options.all_traffic_within_tier {
            collapse_self_rules(tier, &mut rules);
        }
        let mut rules = merge_same_peer(rules);
        if !over_quota(&rules, options.rules_per_group).is_empty() {
            if options.widen_to_fit {
                widen(&mut rules, options.rules_per_group);
            }
            for family in over_quota(&rules, options.rules_per_group) {
                errors.push(quota_error(tier, direction, family, &rules, options));
            }
        }
        for rule in rules {
            if !rule.extra.is_empty() {
                set.widened.push(widening(tier, direction, &rule));
            }
            if rule.protocol == AwsProtocol::Catalog(Protocol::Sctp) {
                set.warnings.push(format!(
                    "AWS security groups cannot restrict SCTP ports: the {direction} rule of tier {tier:?} with {} \
                     for SCTP {} admits every SCTP port",
                    rule.peer.key(),
                    rule.ports
                ));
            }
            let aws_rule = aws_rule(tier, direction, rule);
            let target = match direction {
                Direction::Ingress => &mut set.ingress,
                Direction::Egress => &mut set.egress,
            };
            target.insert(aws_rule.key(), aws_rule);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    set.warnings.sort();
    set.warnings.dedup();
    for (tier, _) in &expansion.tiers {
        set.tiers.insert(tier.clone(), TierCounts::default());
    }
    // Counted under the rules' borrowed tier names, then stored: a name is copied per tier, not per rule.
    let mut counted: BTreeMap<&str, TierCounts> = BTreeMap::new();
    for (rules, ingress) in [(&set.ingress, true), (&set.egress, false)] {
        for rule in rules.values() {
            let (v4, v6) = families(&rule.peer);
            let counts = counted.entry(rule.tier.as_str()).or_default();
            let (c4, c6) = if ingress {
                (&mut counts.ingress_ipv4, &mut counts.ingress_ipv6)
            } else {
                (&mut counts.egress_ipv4, &mut counts.egress_ipv6)
            };
            *c4 += v4;
            *c6 += v6;
        }
    }
    for (tier, counts) in counted {
        set.tiers.insert(tier.to_string(), counts);
    }
    Ok(set)
}

/// The concrete peers an engine peer stands for: its group, or each address of its endpoint block (with the
/// block's name). Empty for an endpoint without addresses.
fn concrete_peers<'e>(
    peer: &'e Peer,
    endpoints: &BTreeMap<String, EndpointAddresses>,
) -> Vec<(AwsPeer, Option<&'e str>)> {
    match peer {
        Peer::Tier(tier) => vec![(AwsPeer::Tier(tier.clone()), None)],
        Peer::Endpoint(name) => {
            let Some(addresses) = endpoints.get(name) else {
                return Vec::new();
            };
            let v4 = addresses.ipv4.iter().cloned().map(AwsPeer::Ipv4);
            let v6 = addresses.ipv6.iter().cloned().map(AwsPeer::Ipv6);
            let lists = addresses
                .references
                .iter()
                .cloned()
                .map(AwsPeer::PrefixList);
            v4.chain(v6)
                .chain(lists)
                .map(|peer| (peer, Some(name.as_str())))
                .collect()
        }
    }
}

/// Unites rules of the same peer and protocol whose ports are equal, overlap or touch, as the engine merges
/// per tier or endpoint: afterwards no two rules share AWS's identity, and nothing was widened.
fn merge_same_peer(mut rules: Vec<GroupRule<'_>>) -> Vec<GroupRule<'_>> {
    rules.sort_by(|a, b| {
        (&a.peer, a.protocol, ports_order(a.ports)).cmp(&(
            &b.peer,
            b.protocol,
            ports_order(b.ports),
        ))
    });
    let mut merged: Vec<GroupRule<'_>> = Vec::with_capacity(rules.len());
    for rule in rules {
        if let Some(last) = merged.last_mut() {
            if last.peer == rule.peer && last.protocol == rule.protocol {
                let joined = match (&mut last.ports, rule.ports) {
                    (RulePorts::Range(a), RulePorts::Range(b))
                        if u32::from(b.from) <= u32::from(a.to) + 1 =>
                    {
                        a.to = a.to.max(b.to);
                        true
                    }
                    (a, b) => *a == b,
                };
                if joined {
                    last.endpoints.extend(rule.endpoints);
                    last.reasons.extend(rule.reasons);
                    continue;
                }
            }
        }
        merged.push(rule);
    }
    merged
}

/// A sort key for ports: ranges by their first then last port, ICMP types in order, all last.
fn ports_order(ports: RulePorts) -> (u8, u32, u32) {
    match ports {
        RulePorts::Range(range) => (0, u32::from(range.from), u32::from(range.to)),
        RulePorts::IcmpType(Some(icmp_type)) => (1, u32::from(icmp_type), 0),
        RulePorts::IcmpType(None) => (2, 0, 0),
        RulePorts::All => (3, 0, 0),
    }
}

/// Replaces a group's rules with its own tier by one `-1` rule carrying all their reasons.
fn collapse_self_rules(tier: &str, rules: &mut Vec<GroupRule<'_>>) {
    let own = AwsPeer::Tier(tier.to_string());
    let (mine, others): (Vec<GroupRule<'_>>, Vec<GroupRule<'_>>) =
        rules.drain(..).partition(|r| r.peer == own);
    *rules = others;
    if !mine.is_empty() {
        rules.push(GroupRule {
            peer: own,
            endpoints: BTreeSet::new(),
            protocol: AwsProtocol::All,
            ports: RulePorts::All,
            reasons: mine.into_iter().flat_map(|r| r.reasons).collect(),
            extra: Vec::new(),
        });
    }
}

/// The AWS rule of one group rule.
fn aws_rule(tier: &str, direction: Direction, rule: GroupRule<'_>) -> AwsRule {
    let (from_port, to_port) = match (rule.protocol, rule.ports) {
        // AWS ignores ports for protocols other than tcp, udp, icmp and icmpv6: an SCTP rule admits every
        // SCTP port, which `security_group_rules` reports as a warning.
        (AwsProtocol::Catalog(Protocol::Sctp), _) => (None, None),
        (_, RulePorts::Range(range)) => (Some(i64::from(range.from)), Some(i64::from(range.to))),
        // For ICMP, AWS reads from_port as the type and to_port as the code; -1 is "all".
        (_, RulePorts::IcmpType(Some(icmp_type))) => (Some(i64::from(icmp_type)), Some(-1)),
        (_, RulePorts::IcmpType(None)) => (Some(-1), Some(-1)),
        (_, RulePorts::All) => (None, None),
    };
    let platforms: BTreeSet<&str> = rule.reasons.iter().map(|r| r.platform.as_str()).collect();
    let purposes: BTreeSet<&str> = rule.reasons.iter().map(|r| r.purpose.as_str()).collect();
    AwsRule {
        tier: tier.to_string(),
        direction,
        peer: rule.peer,
        endpoints: rule.endpoints.into_iter().map(str::to_string).collect(),
        protocol: rule.protocol,
        from_port,
        to_port,
        description: description(&platforms, &purposes, &rule.extra),
        platforms: platforms.into_iter().map(str::to_string).collect(),
        purposes: purposes.into_iter().map(str::to_string).collect(),
    }
}

/// `portmatrix <platforms>: <purposes>`, in AWS's character set and length.
fn description(
    platforms: &BTreeSet<&str>,
    purposes: &BTreeSet<&str>,
    extra: &[PortRange],
) -> String {
    // The widening note goes last but must survive truncation: it is how a reviewer spots the extra ports.
    let note = if extra.is_empty() {
        ""
    } else {
        " (widened to fit the rule quota)"
    };
    let pieces = ["portmatrix "]
        .into_iter()
        .chain(separated(platforms, ","))
        .chain([": "])
        .chain(separated(purposes, "; "));
    let allowed =
        |b: u8| b.is_ascii_alphanumeric() || (b < 128 && DESCRIPTION_PUNCTUATION >> b & 1 == 1);
    // Quotes vanish ("node's" reads "nodes"); other characters AWS refuses become spaces, runs of spaces one,
    // none at either end. What is left is ASCII, so the truncation below cuts between characters. Byte by byte,
    // which costs a fraction of decoding characters: every byte of a character beyond ASCII is refused, so such a
    // character becomes one space as a refused ASCII character does.
    let mut clean = String::with_capacity(MAX_DESCRIPTION);
    let mut space = false;
    for b in pieces
        .flat_map(str::bytes)
        .filter(|b| !matches!(b, b'\'' | b'"'))
    {
        if !allowed(b) {
            space = true;
            continue;
        }
        if std::mem::take(&mut space) && !clean.is_empty() {
            clean.push(' ');
        }
        clean.push(char::from(b));
    }
    let room = MAX_DESCRIPTION - note.len();
    if clean.len() > room {
        clean.truncate(room - 3);
        clean.push_str("...");
    }
    clean.push_str(note);
    clean
}

/// `items` with `separator` between them.
fn separated<'a>(
    items: &'a BTreeSet<&'a str>,
    separator: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    items
        .iter()
        .enumerate()
        .flat_map(move |(i, item)| [if i == 0 { "" } else { separator }, item])
}

/// How many rules a peer costs in (IPv4, IPv6).
fn families(peer: &AwsPeer) -> (usize, usize) {
    match peer {
        AwsPeer::Tier(_) | AwsPeer::PrefixList(_) => (1, 1),
        AwsPeer::Ipv4(_) => (1, 0),
        AwsPeer::Ipv6(_) => (0, 1),
    }
}

fn counts(rules: &[GroupRule<'_>]) -> (usize, usize) {
    rules
        .iter()
        .map(|r| families(&r.peer))
        .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
}

fn over_quota(rules: &[GroupRule<'_>], limit: usize) -> Vec<&'static str> {
    let (v4, v6) = counts(rules);
    [("IPv4", v4), ("IPv6", v6)]
        .into_iter()
        .filter(|(_, n)| *n > limit)
        .map(|(f, _)| f)
        .collect()
}

/// Merges neighbouring ranges of the same peer and protocol, smallest gap first, until the group fits or no
/// merge helps. Each merge records the ports it opens beyond the catalog's.
fn widen(rules: &mut Vec<GroupRule<'_>>, limit: usize) {
    loop {
        let over = over_quota(rules, limit);
        if over.is_empty() {
            return;
        }
        // Candidate pairs: consecutive ranges of one peer and protocol whose merge lowers an over-limit family.
        let mut best: Option<(u32, usize, usize)> = None;
        for (i, a) in rules.iter().enumerate() {
            let RulePorts::Range(ra) = a.ports else {
                continue;
            };
            let (c4, c6) = families(&a.peer);
            let helps = (over.contains(&"IPv4") && c4 > 0) || (over.contains(&"IPv6") && c6 > 0);
            if !helps {
                continue;
            }
            // The next range above `a` of the same peer and protocol.
            let next = rules
                .iter()
                .enumerate()
                .filter(|(j, b)| *j != i && b.peer == a.peer && b.protocol == a.protocol)
                .filter_map(|(j, b)| match b.ports {
                    RulePorts::Range(rb) if rb.from > ra.to => Some((rb.from, j)),
                    _ => None,
                })
                .min();
            if let Some((from, j)) = next {
                let gap = u32::from(from) - u32::from(ra.to) - 1;
                if best.is_none_or(|(g, _, _)| gap < g) {
                    best = Some((gap, i, j));
                }
            }
        }
        let Some((gap, i, j)) = best else { return };
        // The candidates exclude `j == i` and both come from enumerating `rules`: two distinct rules.
        let Ok([lower, upper]) = rules.get_disjoint_mut([i, j]) else {
            return;
        };
        if let (RulePorts::Range(lo), RulePorts::Range(hi)) = (&mut lower.ports, &upper.ports) {
            if gap > 0 {
                lower.extra.push(PortRange {
                    from: lo.to + 1,
                    to: hi.from - 1,
                });
            }
            lo.to = hi.to;
        }
        lower.extra.append(&mut upper.extra);
        lower.extra.sort();
        lower.reasons.append(&mut upper.reasons);
        lower.endpoints.append(&mut upper.endpoints);
        rules.remove(j);
    }
}

fn widening(tier: &str, direction: Direction, rule: &GroupRule<'_>) -> Widening {
    let (from_port, to_port) = match rule.ports {
        RulePorts::Range(range) => (range.from, range.to),
        _ => (0, 0),
    };
    Widening {
        tier: tier.to_string(),
        direction,
        peer: rule.peer.key().to_string(),
        protocol: rule.protocol.ip_protocol().into_owned(),
        from_port,
        to_port,
        extra_ports: rule.extra.iter().map(ToString::to_string).collect(),
    }
}

fn quota_error(
    tier: &str,
    direction: Direction,
    family: &'static str,
    rules: &[GroupRule<'_>],
    options: &AwsOptions,
) -> QuotaError {
    let pick = |c: (usize, usize)| if family == "IPv4" { c.0 } else { c.1 };
    let mut contributors = contributors(rules.iter().map(|rule| {
        let platforms: BTreeSet<&String> = rule.reasons.iter().map(|r| &r.platform).collect();
        (platforms, pick(families(&rule.peer)))
    }));
    contributors.truncate(5);
    QuotaError {
        tier: tier.to_string(),
        direction,
        family,
        count: pick(counts(rules)),
        limit: options.rules_per_group,
        contributors,
        widening_tried: options.widen_to_fit,
    }
}

#[cfg(test)]
mod tests;
