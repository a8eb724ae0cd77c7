//! The expansion as `portmatrix_flows` lists it: every normalized flow with the catalog rows behind it, for
//! people and for firewalls portmatrix has no target for. The structs declare the data source's outputs (see
//! [`crate::output_shape`]).

use super::{Expansion, Reason, Rule, RulePorts, SkippedFlow};
use crate::output_shape::output_struct;

output_struct! {
    /// The outputs of `portmatrix_flows`.
    pub struct FlowListing<'a> {
        /// The flows, sorted by destination, source (tiers before endpoints), protocol and ports. `key` is
        /// `source->destination:protocol:ports`. `protocol` is `tcp`, `udp`, `sctp`, `icmp`, `icmpv6` or an IP
        /// protocol number (`4` IP-in-IP, `50` ESP). `from_port`/`to_port` are set for port protocols,
        /// `icmp_type` for ICMP (null: every type). `reasons` lists each catalog flow behind it: platform,
        /// release `versions`, roles, `purpose`, source `document`, `url` and verbatim `rows`.
        flows: Vec<FlowEntry<'a>>,
        /// Catalog flows that need no firewall rule, with the `reason` (for example pod traffic inside the
        /// overlay network).
        not_needed: &'a [SkippedFlow],
        /// Flows skipped because an input is missing (an endpoint's addresses, a port parameter, a role on no
        /// tier), one line per missing input naming the flows and the fix.
        warnings: Vec<String>,
        /// Each tier, in your order, with the roles placed on it (`platform/role`).
        tiers: Vec<TierEntry<'a>>,
    }
}

output_struct! {
    /// One flow.
    struct FlowEntry<'a> {
        key: String,
        source: &'a str,
        source_kind: &'a str,
        destination: &'a str,
        destination_kind: &'a str,
        protocol: String,
        from_port: Option<i64>,
        to_port: Option<i64>,
        icmp_type: Option<i64>,
        ports: String,
        platforms: Vec<String>,
        purposes: Vec<String>,
        reasons: &'a [Reason],
    }
}

output_struct! {
    /// One tier.
    struct TierEntry<'a> {
        name: &'a str,
        roles: &'a [String],
    }
}

/// The flows of `expansion`, with its warnings and one more per endpoint block whose flows have no addresses to
/// use: the rule data sources warn for the rules they cannot write, and the flows a user feeds to a firewall of
/// their own have the same gap.
pub fn flow_listing(expansion: &Expansion) -> FlowListing<'_> {
    let mut warnings = expansion.warnings.clone();
    for (name, keys) in expansion.endpoints_without_addresses() {
        warnings.push(format!(
            "endpoint {name:?} has no addresses: its flows {} have no addresses on that side; give the endpoint \
             block cidr_ipv4 or cidr_ipv6, or the tier it runs on",
            keys.join(", ")
        ));
    }
    FlowListing {
        flows: expansion.rules.iter().map(flow_entry).collect(),
        not_needed: &expansion.not_needed,
        warnings,
        tiers: expansion
            .tiers
            .iter()
            .map(|(name, roles)| TierEntry { name, roles })
            .collect(),
    }
}

fn flow_entry(rule: &Rule) -> FlowEntry<'_> {
    let (from_port, to_port, icmp_type) = match rule.ports {
        RulePorts::Range(range) => (Some(i64::from(range.from)), Some(i64::from(range.to)), None),
        RulePorts::IcmpType(t) => (None, None, t.map(i64::from)),
        RulePorts::All => (None, None, None),
    };
    FlowEntry {
        key: rule.key(),
        source: rule.source.name(),
        source_kind: rule.source.kind(),
        destination: rule.destination.name(),
        destination_kind: rule.destination.kind(),
        protocol: rule.protocol.to_string(),
        from_port,
        to_port,
        icmp_type,
        ports: rule.ports.to_string(),
        platforms: rule.platforms(),
        purposes: rule.purposes(),
        reasons: &rule.reasons,
    }
}
