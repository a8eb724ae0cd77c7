//! nftables rulesets for static and bare-metal nodes: one `table inet portmatrix` per tier, ready for `nft -f`
//! and for cloud-init.
//!
//! Every tier that holds a role gets a ruleset for its machines. Its `input` chain admits the flows whose
//! destination is the tier, each from the named set of its source (a tier's addresses from `tier_addresses`, an
//! endpoint's from its block), plus the base traffic every node needs: loopback, replies and related packets
//! (`ct state established,related`), ICMPv6 neighbour and multicast listener discovery, and optionally the
//! cluster's pods. The optional `output` chain does the same for the flows whose source is the tier. Only
//! traffic addressed to or sent by the node itself passes these hooks: forwarded pod traffic, and Service
//! traffic that kube-proxy or the CNI translates to pod addresses before the input hook, is left to them.
//!
//! Loading the file replaces the whole `portmatrix` table in one transaction and leaves every other table
//! (kube-proxy's, the CNI's, the distribution's) alone.

use super::common::origins_text;
use crate::catalog::{PortRange, Protocol};
use crate::engine::cidr::{leading_zeros, parse_cidr, CidrError, CidrFamily};
use crate::engine::setting::{Literal, Setting};
use crate::engine::{Expansion, Peer, Reason, Rule, RulePorts};
use crate::spelled::spelled;
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;

mod output;
pub(crate) use output::NftablesTarget;

/// The table every ruleset defines.
pub(crate) const TABLE: &str = "portmatrix";

/// Where cloud-init writes the ruleset.
pub(crate) const RULESET_PATH: &str = "/etc/portmatrix/portmatrix.nft";

/// The systemd unit cloud-init installs to load the ruleset at every boot.
pub(crate) const UNIT_NAME: &str = "portmatrix-nftables.service";

/// nftables refuses longer rule comments ("comment too long, 128 characters maximum allowed").
const MAX_COMMENT: usize = 128;

/// What a chain does with packets no rule admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Policy {
    /// Let them through: the rules only count (the chain's last rule counts what a drop would block).
    Accept,
    /// Drop them.
    Drop,
}

spelled! {
    Policy {
        Accept => "accept",
        Drop => "drop",
    }
    else |other| format!(
        "unknown policy {other:?}; write \"drop\" (block what no rule admits) or \"accept\" (let it \
         through and only count it)"
    )
}

/// Parses an output policy: `none` (no output chain), `accept` or `drop`.
pub(crate) fn parse_output_policy(text: &str) -> Result<Option<Policy>, String> {
    match text {
        "none" => Ok(None),
        "accept" => Ok(Some(Policy::Accept)),
        "drop" => Ok(Some(Policy::Drop)),
        other => Err(format!(
            "unknown output policy {other:?}; write \"none\" (no output chain: the node sends freely), \"accept\" \
             (an output chain that only counts) or \"drop\" (the node sends only what the catalogs list)"
        )),
    }
}

/// How to write the rulesets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NftOptions {
    /// Each tier's addresses as the user wrote them: CIDR blocks or single addresses, IPv4 and IPv6 mixed.
    pub tier_addresses: BTreeMap<String, Vec<String>>,
    /// The cluster's pod ranges, admitted on every port (pods reach host services of their own node).
    pub pod_cidrs: Vec<String>,
    /// Policy of the input chain.
    pub input_policy: Policy,
    /// Policy of the output chain; `None` writes no output chain.
    pub output_policy: Option<Policy>,
}

impl Default for NftOptions {
    fn default() -> Self {
        NftOptions {
            tier_addresses: BTreeMap::new(),
            pod_cidrs: Vec::new(),
            input_policy: Policy::Drop,
            output_policy: None,
        }
    }
}

/// The rulesets of a cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NftRulesets {
    /// The `nft -f` text of each tier that holds a role, by tier name.
    pub rulesets: BTreeMap<String, String>,
    /// A `#cloud-config` document per tier that writes and loads its ruleset.
    pub cloud_init: BTreeMap<String, String>,
    /// Rules that could not be written, and base traffic the configuration leaves out.
    pub warnings: Vec<String>,
}

/// Which user input an address came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressInput {
    /// `tier_addresses[tier][index]`.
    Tier {
        /// The tier (map key).
        tier: String,
        /// The element's index.
        index: usize,
    },
    /// `pod_cidrs[index]`.
    Pods {
        /// The element's index.
        index: usize,
    },
}

/// Input that cannot become a ruleset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NftError {
    /// Not an address or CIDR block.
    BadAddress {
        /// Where it was written.
        input: AddressInput,
        /// What is wrong and how to write it.
        problem: String,
    },
    /// `tier_addresses` names a tier the configuration does not have.
    UnknownTier {
        /// The key as written.
        tier: String,
        /// The configuration's tiers.
        tiers: Vec<String>,
    },
    /// A tier whose traffic some ruleset admits (or that some output chain sends to) has no addresses.
    MissingAddresses {
        /// The tier.
        tier: String,
        /// Rule keys that need them (`worker->master:tcp:443`).
        rules: Vec<String>,
    },
}

impl fmt::Display for NftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NftError::BadAddress { problem, .. } => f.write_str(problem),
            NftError::UnknownTier { tier, tiers } => write!(
                f,
                "{} names {tier:?}, which is not one of your tiers ({}). Fix the name or add {}.",
                Setting::option("tier_addresses"),
                tiers.join(", "),
                Setting::Tier { name: tier.clone() }
            ),
            NftError::MissingAddresses { tier, rules } => write!(
                f,
                "Tier {tier:?} has no addresses, but the rulesets need them for {}. Add its machines' CIDR blocks \
                 or addresses: {}.",
                rules.join(", "),
                Setting::option_entry(
                    "tier_addresses",
                    tier,
                    Literal::Texts(vec!["10.0.1.0/24".into()])
                )
            ),
        }
    }
}

/// Parses one address of `tier_addresses` or `pod_cidrs`: a CIDR block without host bits, or a single address
/// (a /32 or /128 block).
pub(crate) fn parse_address(text: &str) -> Result<IpNet, String> {
    if text.contains('/') {
        return parse_cidr(text, CidrFamily::Any).map_err(|error| match error {
            CidrError::HostBits { network, .. } => format!(
                "{text:?} has host bits set: write the network {network:?}, or the single address {:?} without a \
                 prefix.",
                text.split('/').next().unwrap_or_default()
            ),
            other => other.to_string(),
        });
    }
    if let Some(decimal) = leading_zeros(text) {
        return Err(CidrError::LeadingZeros {
            text: text.to_string(),
            decimal,
        }
        .to_string());
    }
    match text.parse::<IpAddr>() {
        Ok(address) if address.to_string() == text => Ok(IpNet::from(address)),
        Ok(address) => Err(format!(
            "{text:?} is not written in canonical form: write it as {:?}, the spelling the rulesets use.",
            address.to_string()
        )),
        Err(_) => Err(format!(
            "{text:?} is not an IP address or CIDR block: write it like \"10.0.1.0/24\", \"10.0.1.7\" or \
             \"fd00:1::/64\"."
        )),
    }
}

/// An address family of the inet table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    V4,
    V6,
}

/// How the rulesets and their warnings name an address family.
struct FamilyWords {
    /// The payload expression of the family's header: `ip` or `ip6`.
    header: &'static str,
    /// The end of the names of the family's sets: `v4` or `v6`.
    suffix: &'static str,
    /// The type of the elements of the family's sets.
    set_type: &'static str,
    /// The family as people name it: `IPv4` or `IPv6`.
    name: &'static str,
}

const IPV4: FamilyWords = FamilyWords {
    header: "ip",
    suffix: "v4",
    set_type: "ipv4_addr",
    name: "IPv4",
};

const IPV6: FamilyWords = FamilyWords {
    header: "ip6",
    suffix: "v6",
    set_type: "ipv6_addr",
    name: "IPv6",
};

impl Family {
    const BOTH: [Family; 2] = [Family::V4, Family::V6];

    fn of(net: &IpNet) -> Family {
        match net {
            IpNet::V4(_) => Family::V4,
            IpNet::V6(_) => Family::V6,
        }
    }

    fn words(self) -> &'static FamilyWords {
        match self {
            Family::V4 => &IPV4,
            Family::V6 => &IPV6,
        }
    }
}

/// Input (rules towards the tier) or output (rules from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chain {
    Input,
    Output,
}

/// How the rulesets and their warnings name a chain and what its rules match.
struct ChainWords {
    /// The chain and its hook: `input` or `output`.
    name: &'static str,
    /// The address the peer's set is matched against: the source of incoming, the destination of outgoing.
    peer_address: &'static str,
    /// The interface matched for loopback traffic.
    loopback: &'static str,
}

const INPUT: ChainWords = ChainWords {
    name: "input",
    peer_address: "saddr",
    loopback: "iif",
};

const OUTPUT: ChainWords = ChainWords {
    name: "output",
    peer_address: "daddr",
    loopback: "oif",
};

impl Chain {
    fn words(self) -> &'static ChainWords {
        match self {
            Chain::Input => &INPUT,
            Chain::Output => &OUTPUT,
        }
    }
}

/// Named address sets by set name, each with its sorted, non-overlapping elements.
type Sets = BTreeMap<String, (Family, Vec<IpNet>)>;

/// Addresses of a peer or of the pods, split by family, sorted, with blocks inside another block of the same
/// list left out (nftables refuses overlapping intervals in one set).
#[derive(Debug, Clone, Default)]
struct Addresses {
    v4: Vec<IpNet>,
    v6: Vec<IpNet>,
}

impl Addresses {
    fn new(nets: impl IntoIterator<Item = IpNet>) -> Addresses {
        let mut all: Vec<IpNet> = nets.into_iter().collect();
        all.sort();
        all.dedup();
        let mut kept: Vec<IpNet> = Vec::new();
        for net in all {
            if !kept.iter().any(|outer| outer.contains(&net)) {
                kept.push(net);
            }
        }
        let (v4, v6) = kept.into_iter().partition(|n| Family::of(n) == Family::V4);
        Addresses { v4, v6 }
    }

    fn family(&self, family: Family) -> &[IpNet] {
        match family {
            Family::V4 => &self.v4,
            Family::V6 => &self.v6,
        }
    }

    fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
}

/// Writes the rulesets of `expansion`.
pub fn rulesets(expansion: &Expansion, options: &NftOptions) -> Result<NftRulesets, Vec<NftError>> {
    let mut errors = Vec::new();
    let tier_names: Vec<String> = expansion.tiers.iter().map(|(t, _)| t.clone()).collect();
    let mut tiers: BTreeMap<String, Addresses> = BTreeMap::new();
    for (tier, texts) in &options.tier_addresses {
        if !tier_names.contains(tier) {
            errors.push(NftError::UnknownTier {
                tier: tier.clone(),
                tiers: tier_names.clone(),
            });
            continue;
        }
        let parsed = parse_all(texts, |index| AddressInput::Tier {
            tier: tier.clone(),
            index,
        });
        match parsed {
            Ok(nets) => {
                tiers.insert(tier.clone(), Addresses::new(nets));
            }
            Err(mut bad) => errors.append(&mut bad),
        }
    }
    let pods = match parse_all(&options.pod_cidrs, |index| AddressInput::Pods { index }) {
        Ok(nets) => Addresses::new(nets),
        Err(mut bad) => {
            errors.append(&mut bad);
            Addresses::default()
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let endpoints: BTreeMap<String, Addresses> = expansion
        .endpoints
        .iter()
        .map(|(name, a)| {
            let nets = a.ipv4.iter().chain(&a.ipv6).filter_map(|t| t.parse().ok());
            (name.clone(), Addresses::new(nets))
        })
        .collect();
    let addresses = |peer: &Peer| -> Addresses {
        match peer {
            Peer::Tier(name) => tiers.get(name).cloned().unwrap_or_default(),
            Peer::Endpoint(name) => endpoints.get(name).cloned().unwrap_or_default(),
        }
    };

    let mut out = NftRulesets::default();
    let mut warnings = BTreeSet::new();
    let mut missing: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (tier, roles) in &expansion.tiers {
        if roles.is_empty() {
            continue;
        }
        let mut writer = Writer::new(tier, &pods);
        let mut chains = vec![(Chain::Input, options.input_policy)];
        if let Some(policy) = options.output_policy {
            chains.push((Chain::Output, policy));
        }
        for (chain, policy) in chains {
            let mut lines = Vec::new();
            for rule in &expansion.rules {
                let (this, peer) = match chain {
                    Chain::Input => (&rule.destination, &rule.source),
                    Chain::Output => (&rule.source, &rule.destination),
                };
                if *this != Peer::Tier(tier.clone()) {
                    continue;
                }
                let peer_addresses = addresses(peer);
                if peer_addresses.is_empty() {
                    match peer {
                        Peer::Tier(name) => {
                            missing.entry(name.clone()).or_default().insert(rule.key());
                        }
                        Peer::Endpoint(name) => {
                            warnings.insert(format!(
                                "endpoint {name:?} has no addresses: the {} rule of tier {tier:?} for {} {} was \
                                 not written; give IPv4 or IPv6 addresses in {}",
                                chain.words().name,
                                rule.protocol,
                                rule.ports,
                                Setting::Endpoint { name: name.clone() }
                            ));
                        }
                    }
                    continue;
                }
                let written = writer.rule_lines(chain, rule, peer, &peer_addresses);
                if written.is_empty() {
                    warnings.insert(format!(
                        "the {} rule of tier {tier:?} for {} {} ({} {}) was not written: {} {:?} has no {} \
                         addresses",
                        chain.words().name,
                        rule.protocol,
                        rule.ports,
                        if chain == Chain::Input { "from" } else { "to" },
                        peer.name(),
                        peer.kind(),
                        peer.name(),
                        protocol_family(rule.protocol).map_or("matching", |family| family.words().name)
                    ));
                }
                lines.extend(written);
            }
            writer.chain(chain, policy, lines);
        }
        let text = writer.finish(options);
        out.cloud_init
            .insert(tier.clone(), cloud_config(tier, &text));
        out.rulesets.insert(tier.clone(), text);
    }
    if !missing.is_empty() {
        return Err(missing
            .into_iter()
            .map(|(tier, rules)| NftError::MissingAddresses {
                tier,
                rules: rules.into_iter().collect(),
            })
            .collect());
    }
    if options.input_policy == Policy::Drop && pods.is_empty() && !out.rulesets.is_empty() {
        warnings.insert(format!(
            "{} is empty: with {} the rulesets block pods from host-network services of their own node (the API \
             server for pods on a master, node-local DNS, the kubelet); set {} to the cluster's pod ranges",
            Setting::option("pod_cidrs"),
            Setting::text("input_policy", "drop"),
            Setting::option("pod_cidrs")
        ));
    }
    out.warnings = warnings.into_iter().collect();
    Ok(out)
}

fn parse_all(
    texts: &[String],
    input: impl Fn(usize) -> AddressInput,
) -> Result<Vec<IpNet>, Vec<NftError>> {
    let mut nets = Vec::new();
    let mut errors = Vec::new();
    for (index, text) in texts.iter().enumerate() {
        match parse_address(text) {
            Ok(net) => nets.push(net),
            Err(problem) => errors.push(NftError::BadAddress {
                input: input(index),
                problem,
            }),
        }
    }
    if errors.is_empty() {
        Ok(nets)
    } else {
        Err(errors)
    }
}

/// The only family a protocol exists in, if it is tied to one.
fn protocol_family(protocol: Protocol) -> Option<Family> {
    match protocol {
        Protocol::Icmp => Some(Family::V4),
        Protocol::Icmpv6 => Some(Family::V6),
        _ => None,
    }
}

/// The protocol and port match of a rule: `tcp dport 30000-32767`, `icmp type echo-request`, `meta l4proto 4`.
fn l4_match(protocol: Protocol, ports: RulePorts) -> String {
    let name = match protocol {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Sctp => "sctp",
        Protocol::Icmp => "icmp",
        Protocol::Icmpv6 => "icmpv6",
        Protocol::Number(n) => return format!("meta l4proto {n}"),
    };
    match ports {
        RulePorts::Range(PortRange { from, to }) if from == to => format!("{name} dport {from}"),
        RulePorts::Range(PortRange { from, to }) => format!("{name} dport {from}-{to}"),
        RulePorts::IcmpType(Some(icmp_type)) => {
            format!("{name} type {}", icmp_type_name(protocol, icmp_type))
        }
        RulePorts::IcmpType(None) | RulePorts::All => match protocol {
            Protocol::Icmpv6 => "meta l4proto ipv6-icmp".to_string(),
            _ => format!("meta l4proto {name}"),
        },
    }
}

/// nftables' name of an ICMP type where it has had one since its early releases, else the number.
fn icmp_type_name(protocol: Protocol, icmp_type: u8) -> String {
    let name = match (protocol, icmp_type) {
        (Protocol::Icmp, 0) => "echo-reply",
        (Protocol::Icmp, 3) => "destination-unreachable",
        (Protocol::Icmp, 8) => "echo-request",
        (Protocol::Icmp, 11) => "time-exceeded",
        (Protocol::Icmpv6, 1) => "destination-unreachable",
        (Protocol::Icmpv6, 2) => "packet-too-big",
        (Protocol::Icmpv6, 3) => "time-exceeded",
        (Protocol::Icmpv6, 128) => "echo-request",
        (Protocol::Icmpv6, 129) => "echo-reply",
        _ => return icmp_type.to_string(),
    };
    name.to_string()
}

/// A rule comment within nftables' limit: `kublr: Kubelet API`, printable ASCII without double quotes.
fn comment(reasons: &[Reason]) -> String {
    quoted_text(&origins_text(reasons), MAX_COMMENT)
}

/// `text` as one line of printable ASCII without double quotes, at most `max` bytes.
fn quoted_text(text: &str, max: usize) -> String {
    let replaced: String = text
        .chars()
        .filter(|c| *c != '"')
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            c if c.is_ascii_graphic() => c,
            _ => ' ',
        })
        .collect();
    let mut clean = replaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if clean.len() > max {
        clean.truncate(max - 3);
        clean.push_str("...");
    }
    clean
}

/// Builds one tier's ruleset: the sets its rules use and its chains.
struct Writer<'a> {
    tier: &'a str,
    pods: &'a Addresses,
    sets: Sets,
    sources: BTreeSet<(String, String, String, String)>,
    chains: Vec<String>,
}

impl<'a> Writer<'a> {
    fn new(tier: &'a str, pods: &'a Addresses) -> Writer<'a> {
        Writer {
            tier,
            pods,
            sets: Sets::new(),
            sources: BTreeSet::new(),
            chains: Vec::new(),
        }
    }

    /// The set of `addresses` for `family` under `name`, declared on first use.
    fn set(&mut self, name: String, family: Family, addresses: &[IpNet]) -> String {
        self.sets
            .entry(name.clone())
            .or_insert_with(|| (family, addresses.to_vec()));
        name
    }

    /// One line per address family the rule's protocol and its peer's addresses have in common.
    fn rule_lines(
        &mut self,
        chain: Chain,
        rule: &Rule,
        peer: &Peer,
        addresses: &Addresses,
    ) -> Vec<String> {
        let mut lines = Vec::new();
        for family in Family::BOTH {
            let nets = addresses.family(family);
            if nets.is_empty() || protocol_family(rule.protocol).is_some_and(|f| f != family) {
                continue;
            }
            let set = self.set(
                format!("{}_{}_{}", peer.kind(), peer.name(), family.words().suffix),
                family,
                nets,
            );
            lines.push(format!(
                "{} {} @{set} {} accept comment \"{}\"",
                family.words().header,
                chain.words().peer_address,
                l4_match(rule.protocol, rule.ports),
                comment(&rule.reasons)
            ));
        }
        if !lines.is_empty() {
            for reason in &rule.reasons {
                self.sources.insert((
                    reason.platform.clone(),
                    reason.versions.clone(),
                    reason.document.clone(),
                    reason.url.clone(),
                ));
            }
        }
        lines
    }

    /// A chain: base rules, the catalog rules, and a counter of what meets the policy.
    fn chain(&mut self, chain: Chain, policy: Policy, rules: Vec<String>) {
        let name = chain.words().name;
        let mut text = format!(
            "  chain {name} {{\n    type filter hook {name} priority 0; policy {policy};\n    {} \"lo\" accept \
             comment \"portmatrix: loopback\"\n    ct state established,related accept comment \"portmatrix: \
             replies and related packets\"\n",
            chain.words().loopback
        );
        // Neighbour discovery (RFC 4861) is not tracked as a connection, and a host that ignores multicast
        // listener queries (RFC 3810) loses its solicited-node groups on switches that snoop MLD.
        let discovery = match chain {
            Chain::Input => {
                "nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query"
            }
            Chain::Output => {
                "nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, 143"
            }
        };
        text.push_str(&format!(
            "    icmpv6 type {{ {discovery} }} accept comment \"portmatrix: IPv6 neighbour and multicast listener \
             discovery\"\n"
        ));
        for family in Family::BOTH {
            let nets = self.pods.family(family).to_vec();
            if nets.is_empty() {
                continue;
            }
            let set = self.set(
                format!("pod_cidrs_{}", family.words().suffix),
                family,
                &nets,
            );
            text.push_str(&format!(
                "    {} {} @{set} accept comment \"portmatrix: pods of this cluster (pod_cidrs)\"\n",
                family.words().header,
                chain.words().peer_address
            ));
        }
        for line in rules {
            text.push_str(&format!("    {line}\n"));
        }
        text.push_str(&format!(
            "    counter comment \"portmatrix: packets no rule admits, which meet the policy ({policy})\"\n  }}\n"
        ));
        self.chains.push(text);
    }

    fn finish(self, options: &NftOptions) -> String {
        let platforms: BTreeSet<&str> = self.sources.iter().map(|s| s.0.as_str()).collect();
        let mut text = if platforms.is_empty() {
            format!(
                "# portmatrix nftables ruleset for tier {:?}: no catalog flow reaches or leaves it.\n",
                self.tier
            )
        } else {
            format!(
                "# portmatrix nftables ruleset for tier {:?}, generated from the port tables of: {}.\n",
                self.tier,
                platforms.into_iter().collect::<Vec<_>>().join(", ")
            )
        };
        text.push_str(&format!(
            "# Input policy {}; output {}. Loading this file replaces table inet {TABLE} and no other table.\n",
            options.input_policy,
            options
                .output_policy
                .map_or("not filtered".to_string(), |p| format!("policy {p}"))
        ));
        if !self.sources.is_empty() {
            text.push_str("# Sources:\n");
            for (platform, versions, document, url) in &self.sources {
                text.push_str(&format!(
                    "#   {}\n",
                    quoted_text(
                        &format!("{platform}, versions {versions}: {document} <{url}>"),
                        400
                    )
                ));
            }
        }
        text.push_str(&format!(
            "\ntable inet {TABLE}\ndelete table inet {TABLE}\n\ntable inet {TABLE} {{\n"
        ));
        for (name, (family, nets)) in &self.sets {
            let elements: Vec<String> = nets.iter().map(ToString::to_string).collect();
            text.push_str(&format!(
                "  set {name} {{\n    type {}\n    flags interval\n    elements = {{ {} }}\n  }}\n\n",
                family.words().set_type,
                elements.join(", ")
            ));
        }
        text.push_str(&self.chains.join("\n"));
        text.push_str("}\n");
        text
    }
}

/// A `#cloud-config` document that writes the ruleset and a systemd unit that loads it now and at every boot.
fn cloud_config(tier: &str, ruleset: &str) -> String {
    let unit = format!(
        "[Unit]\nDescription=portmatrix nftables ruleset (tier {tier})\nDocumentation=man:nft(8)\n\
         DefaultDependencies=no\nAfter=nftables.service\nWants=network-pre.target\n\
         Before=network-pre.target shutdown.target\nConflicts=shutdown.target\n\n[Service]\nType=oneshot\n\
         RemainAfterExit=yes\nExecStart=/usr/sbin/nft -f {RULESET_PATH}\nExecReload=/usr/sbin/nft -f \
         {RULESET_PATH}\nExecStop=/usr/sbin/nft delete table inet {TABLE}\n\n[Install]\nWantedBy=sysinit.target\n"
    );
    let indent = |text: &str| -> String {
        text.lines()
            .map(|line| {
                if line.is_empty() {
                    String::new()
                } else {
                    format!("      {line}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "#cloud-config\n# portmatrix: the nftables ruleset of tier {tier:?}, loaded now and at every boot by {UNIT_NAME}.\n\
         packages:\n  - nftables\nwrite_files:\n  - path: {RULESET_PATH}\n    owner: root:root\n    \
         permissions: \"0644\"\n    content: |\n{}\n  - path: /etc/systemd/system/{UNIT_NAME}\n    owner: root:root\n    \
         permissions: \"0644\"\n    content: |\n{}\nruncmd:\n  - [systemctl, daemon-reload]\n  - [systemctl, enable, \
         --now, {UNIT_NAME}]\n",
        indent(ruleset),
        indent(&unit)
    )
}

#[cfg(test)]
mod tests;
