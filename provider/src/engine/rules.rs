//! Normalized rules: who may reach whom on what, why, and how rules merge.

use crate::catalog::{PortRange, Protocol};
use crate::output_shape::output_struct;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One end of a rule: a tier of the cluster or an endpoint outside it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    /// A user tier, by name.
    Tier(String),
    /// A user endpoint block, by the name it was given.
    Endpoint(String),
}

impl Peer {
    /// The tier or endpoint name.
    pub fn name(&self) -> &str {
        match self {
            Peer::Tier(name) | Peer::Endpoint(name) => name,
        }
    }

    /// `tier` or `endpoint`.
    pub fn kind(&self) -> &'static str {
        match self {
            Peer::Tier(_) => "tier",
            Peer::Endpoint(_) => "endpoint",
        }
    }
}

/// What a rule admits within its protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RulePorts {
    /// A tcp/udp/sctp port range.
    Range(PortRange),
    /// One ICMP type, or every type (`None`).
    IcmpType(Option<u8>),
    /// The whole protocol (IP protocols without ports, such as 4 or 50).
    All,
}

impl fmt::Display for RulePorts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RulePorts::Range(range) => write!(f, "{range}"),
            RulePorts::IcmpType(Some(icmp_type)) => write!(f, "{icmp_type}"),
            RulePorts::IcmpType(None) | RulePorts::All => f.write_str("all"),
        }
    }
}

output_struct! {
    /// Why a rule exists: one catalog flow behind it.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
    pub struct Reason {
        /// Platform name.
        pub platform: String,
        /// Version range of the release the flow comes from.
        pub versions: String,
        /// The flow's sending role or endpoint.
        pub from_role: String,
        /// The flow's receiving role or endpoint.
        pub to_role: String,
        /// What the traffic is for.
        pub purpose: String,
        /// The source document.
        pub document: String,
        /// Where to read it.
        pub url: String,
        /// The source rows, verbatim.
        pub rows: Vec<String>,
    }
}

/// A normalized rule: source may reach destination on protocol and ports, for these reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Where traffic comes from.
    pub source: Peer,
    /// Where traffic goes.
    pub destination: Peer,
    /// The protocol.
    pub protocol: Protocol,
    /// Ports, ICMP type or the whole protocol.
    pub ports: RulePorts,
    /// The flows behind the rule, sorted and without duplicates.
    pub reasons: Vec<Reason>,
}

impl Rule {
    /// A stable, readable identifier: `worker->master:tcp:6443`.
    pub fn key(&self) -> String {
        format!(
            "{}->{}:{}:{}",
            self.source.name(),
            self.destination.name(),
            self.protocol,
            self.ports
        )
    }

    /// Platforms behind the rule, sorted.
    pub fn platforms(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self.reasons.iter().map(|r| r.platform.as_str()).collect();
        set.into_iter().map(str::to_string).collect()
    }

    /// Purposes behind the rule, sorted.
    pub fn purposes(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self.reasons.iter().map(|r| r.purpose.as_str()).collect();
        set.into_iter().map(str::to_string).collect()
    }
}

/// Merges rules into their normal form: per (destination, source, protocol), overlapping or touching port
/// ranges become one range; ICMP keeps one rule per type unless some rule admits every type; whole-protocol
/// rules collapse to one. Reasons are united. The result is sorted by destination, source (tiers before
/// endpoints), protocol (tcp, udp, sctp, icmp, icmpv6, then numbers) and ports.
///
/// Merging never widens: every port of the result is a port of some input rule, and vice versa.
pub(crate) fn merge(rules: impl IntoIterator<Item = Rule>) -> Vec<Rule> {
    type Group = (Peer, Peer, Protocol);
    let mut groups: BTreeMap<Group, Vec<(RulePorts, Vec<Reason>)>> = BTreeMap::new();
    for rule in rules {
        groups
            .entry((rule.destination, rule.source, rule.protocol))
            .or_default()
            .push((rule.ports, rule.reasons));
    }
    let mut merged = Vec::new();
    for ((destination, source, protocol), mut entries) in groups {
        entries.sort_by_key(|entry| entry.0);
        let mut out: Vec<(RulePorts, BTreeSet<Reason>)> = Vec::new();
        let every_icmp_type = entries
            .iter()
            .any(|(ports, _)| *ports == RulePorts::IcmpType(None));
        for (ports, reasons) in entries {
            let ports = match ports {
                RulePorts::IcmpType(Some(_)) if every_icmp_type => RulePorts::IcmpType(None),
                other => other,
            };
            match (out.last_mut(), ports) {
                (Some((RulePorts::Range(last), last_reasons)), RulePorts::Range(next))
                    if u32::from(next.from) <= u32::from(last.to) + 1 =>
                {
                    last.to = last.to.max(next.to);
                    last_reasons.extend(reasons);
                }
                (Some((last, last_reasons)), next) if *last == next => last_reasons.extend(reasons),
                _ => out.push((ports, reasons.into_iter().collect())),
            }
        }
        merged.extend(out.into_iter().map(|(ports, reasons)| Rule {
            source: source.clone(),
            destination: destination.clone(),
            protocol,
            ports,
            reasons: reasons.into_iter().collect(),
        }));
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reason(purpose: &str) -> Reason {
        Reason {
            platform: "p".into(),
            versions: "*".into(),
            from_role: "a".into(),
            to_role: "b".into(),
            purpose: purpose.into(),
            document: "d".into(),
            url: "u".into(),
            rows: vec![],
        }
    }

    fn rule(src: &str, dst: &str, protocol: Protocol, ports: RulePorts, purpose: &str) -> Rule {
        Rule {
            source: Peer::Tier(src.into()),
            destination: Peer::Tier(dst.into()),
            protocol,
            ports,
            reasons: vec![reason(purpose)],
        }
    }

    /// An ICMP rule from tier `a` to tier `b` for one ICMP type, or every type.
    fn icmp(icmp_type: Option<u8>, purpose: &str) -> Rule {
        rule(
            "a",
            "b",
            Protocol::Icmp,
            RulePorts::IcmpType(icmp_type),
            purpose,
        )
    }

    fn range(from: u16, to: u16) -> RulePorts {
        RulePorts::Range(PortRange { from, to })
    }

    #[test]
    fn touching_and_overlapping_ranges_merge_but_gaps_stay() {
        let merged = merge([
            rule("w", "m", Protocol::Tcp, range(8502, 8502), "disk"),
            rule("w", "m", Protocol::Tcp, range(8500, 8501), "pm"),
            rule("w", "m", Protocol::Tcp, range(8504, 8510), "spdk"),
            rule("w", "m", Protocol::Tcp, range(8505, 8506), "x"),
            rule("w", "m", Protocol::Udp, range(8503, 8503), "udp"),
        ]);
        let keys: Vec<String> = merged.iter().map(Rule::key).collect();
        assert_eq!(
            keys,
            ["w->m:tcp:8500-8502", "w->m:tcp:8504-8510", "w->m:udp:8503"]
        );
        assert_eq!(merged[0].purposes(), ["disk", "pm"]);
    }

    #[test]
    fn icmp_types_stay_apart_unless_one_rule_admits_every_type() {
        let typed = merge([icmp(Some(8), "echo"), icmp(Some(0), "reply")]);
        assert_eq!(typed.len(), 2);
        let all = merge([icmp(Some(8), "echo"), icmp(None, "any")]);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].ports, RulePorts::IcmpType(None));
        assert_eq!(all[0].purposes(), ["any", "echo"]);
    }

    #[test]
    fn ip_protocols_collapse_and_keep_their_number() {
        let merged = merge([
            rule("a", "b", Protocol::Number(4), RulePorts::All, "ipip"),
            rule("a", "b", Protocol::Number(4), RulePorts::All, "ipip again"),
        ]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].key(), "a->b:4:all");
    }

    #[test]
    fn the_last_port_does_not_overflow() {
        let merged = merge([
            rule("a", "b", Protocol::Tcp, range(65535, 65535), "top"),
            rule("a", "b", Protocol::Tcp, range(1, 65535), "all"),
        ]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].ports, range(1, 65535));
    }

    fn arb_rule() -> impl Strategy<Value = Rule> {
        let peer = prop::sample::select(vec!["m", "w", "lb"]);
        let protocol = prop::sample::select(vec![
            Protocol::Tcp,
            Protocol::Udp,
            Protocol::Icmp,
            Protocol::Number(4),
        ]);
        (
            peer.clone(),
            peer,
            protocol,
            1u16..200,
            0u16..20,
            prop::option::of(0u8..3),
            "[a-c]",
        )
            .prop_map(|(src, dst, protocol, from, width, icmp, purpose)| {
                let ports = match protocol {
                    Protocol::Icmp => RulePorts::IcmpType(icmp),
                    Protocol::Number(_) => RulePorts::All,
                    _ => range(from, from.saturating_add(width)),
                };
                rule(src, dst, protocol, ports, &purpose)
            })
    }

    /// Every (source, destination, protocol, port-or-type) a set of rules admits.
    fn admitted(rules: &[Rule]) -> BTreeSet<(Peer, Peer, Protocol, i32)> {
        let mut set = BTreeSet::new();
        for r in rules {
            let points: Vec<i32> = match r.ports {
                RulePorts::Range(range) => (range.from..=range.to).map(i32::from).collect(),
                RulePorts::IcmpType(Some(t)) => vec![i32::from(t)],
                RulePorts::IcmpType(None) => (0..=255).collect(),
                RulePorts::All => vec![-1],
            };
            for p in points {
                set.insert((r.source.clone(), r.destination.clone(), r.protocol, p));
            }
        }
        set
    }

    proptest! {
        #[test]
        fn merging_neither_loses_nor_widens(rules in prop::collection::vec(arb_rule(), 0..40)) {
            let merged = merge(rules.clone());
            prop_assert_eq!(admitted(&merged), admitted(&rules));
        }

        #[test]
        fn merging_is_idempotent(rules in prop::collection::vec(arb_rule(), 0..40)) {
            let once = merge(rules);
            let twice = merge(once.clone());
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn input_order_does_not_matter(rules in prop::collection::vec(arb_rule(), 0..40), seed in any::<u64>()) {
            let mut shuffled = rules.clone();
            // A deterministic shuffle from the seed, so failures reproduce.
            let len = shuffled.len().max(1) as u64;
            for i in 0..shuffled.len() {
                let j = ((seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64)) % len) as usize;
                shuffled.swap(i, j);
            }
            prop_assert_eq!(merge(rules), merge(shuffled));
        }

        #[test]
        fn output_is_sorted_with_unique_keys(rules in prop::collection::vec(arb_rule(), 0..40)) {
            let merged = merge(rules);
            let keys: Vec<String> = merged.iter().map(Rule::key).collect();
            let unique: BTreeSet<&String> = keys.iter().collect();
            prop_assert_eq!(unique.len(), keys.len());
            let order: Vec<_> = merged.iter().map(|r| (r.destination.clone(), r.source.clone(), r.protocol, r.ports)).collect();
            let mut sorted = order.clone();
            sorted.sort();
            prop_assert_eq!(order, sorted);
        }
    }
}
