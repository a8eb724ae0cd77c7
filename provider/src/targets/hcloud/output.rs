//! Hetzner Cloud as a [`Firewall`]: its options, its output shape, and its firewalls as
//! `portmatrix_hcloud_firewall_rules` and `portmatrix expand --target hcloud` give them.

use super::{
    firewall_rules, Direction, HcloudError, HcloudOptions, HcloudRule, HcloudRuleSet, Limit,
};
use crate::engine::Expansion;
use crate::targets::common::{capitalized, unsupported_error, Widening, UNSUPPORTED_FLOWS};
use crate::targets::target::{
    fields_with_outcome, output_struct, tier_roles, Firewall, Location, Options, OutputField,
    Shape, Shaped, Tabular, TargetError, TargetOption,
};
use serde::Serialize;
use std::collections::BTreeMap;

const TIER_RANGES: &str = "tier_ranges";
const OUTBOUND_RULES: &str = "outbound_rules";

/// Hetzner Cloud firewalls, one per tier.
pub(crate) struct HcloudTarget;

/// A target error on the input that can fix it.
fn target_error(error: HcloudError) -> TargetError {
    let detail = error.to_string();
    match error {
        HcloudError::Option(option) => option.into(),
        HcloudError::Unsupported(_) | HcloudError::NoWiderRule(_) => {
            unsupported_error("Flows Hetzner firewalls cannot express", &detail)
        }
        HcloudError::Limit(limit) => match limit.limit {
            Limit::Rules => TargetError {
                location: Location::Tiers,
                summary: "Too many rules for one Hetzner firewall".into(),
                detail,
            },
            Limit::EffectiveRules => TargetError::option(
                TIER_RANGES,
                "Too many effective rules for one Hetzner firewall",
                detail,
            ),
        },
    }
}

output_struct! {
    /// One rule as the outputs give it.
    struct RuleOutput<'a> {
        key: &'a str,
        direction: String,
        protocol: String,
        port: Option<&'a str>,
        source_ips: &'a [String],
        destination_ips: &'a [String],
        peers: &'a [String],
        description: &'a str,
        platforms: &'a [String],
        purposes: &'a [String],
    }
}

fn rule_output(rule: &HcloudRule) -> RuleOutput<'_> {
    let (source_ips, destination_ips): (&[String], &[String]) = match rule.direction {
        Direction::In => (&rule.ips, &[]),
        Direction::Out => (&[], &rule.ips),
    };
    RuleOutput {
        key: &rule.key,
        direction: rule.direction.to_string(),
        protocol: rule.protocol.to_string(),
        port: rule.port.as_deref(),
        source_ips,
        destination_ips,
        peers: &rule.peers,
        description: &rule.description,
        platforms: &rule.platforms,
        purposes: &rule.purposes,
    }
}

output_struct! {
    /// A tier's firewall.
    struct FirewallOutput<'a> {
        rules: Vec<RuleOutput<'a>>,
        rule_count: usize,
        effective_rule_count: usize,
        roles: &'a [String],
    }
}

output_struct! {
    /// The output fields.
    struct Fields<'a> {
        /// One entry per tier, for one `hcloud_firewall` each: its `rules` (`in` before `out`, then by
        /// protocol and port), `rule_count`, `effective_rule_count` (one per address of each rule, the
        /// count Hetzner limits to 500), and the `roles` placed on the tier. Each rule has a `key`
        /// `tier:direction:protocol:port` (`#2`, `#3`... when its addresses fill several rules of 100),
        /// `direction` `in` or `out`, `protocol` `tcp`, `udp`, `icmp`, `gre` or `esp`, `port` (`6443`,
        /// `30000-32767`; null for icmp, gre and esp), `source_ips` (for `in`) or `destination_ips` (for
        /// `out`), the `peers` whose addresses these are, `description`, `platforms` and `purposes`.
        firewalls: BTreeMap<&'a str, FirewallOutput<'a>>,
        /// Rules wider than the catalogs ask (only with `unsupported_flows = "widen"`): the `rule` key,
        /// the catalog `flow` it stands for, and what it `opened`.
        widened: &'a [Widening],
    }
}

pub(crate) struct HcloudOutput {
    set: HcloudRuleSet,
    roles: BTreeMap<String, Vec<String>>,
}

impl Serialize for HcloudOutput {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let firewalls = self
            .set
            .firewalls
            .iter()
            .map(|(tier, firewall)| {
                let output = FirewallOutput {
                    rules: firewall.rules.iter().map(rule_output).collect(),
                    rule_count: firewall.rules.len(),
                    effective_rule_count: firewall.effective_rules,
                    roles: self.roles.get(tier).map_or(&[], Vec::as_slice),
                };
                (tier.as_str(), output)
            })
            .collect();
        Fields {
            firewalls,
            widened: &self.set.widened,
        }
        .serialize(serializer)
    }
}

impl Tabular for HcloudOutput {
    const HEADER: &'static [&'static str] = &[
        "KEY",
        "DIRECTION",
        "PROTOCOL",
        "PORT",
        "IPS",
        "PEERS",
        "DESCRIPTION",
    ];

    fn cells(&self) -> Vec<Vec<String>> {
        self.set
            .firewalls
            .values()
            .flat_map(|firewall| &firewall.rules)
            .map(|rule| {
                vec![
                    rule.key.clone(),
                    rule.direction.to_string(),
                    rule.protocol.to_string(),
                    rule.port.clone().unwrap_or_else(|| "-".to_string()),
                    rule.ips.join(","),
                    rule.peers.join(", "),
                    rule.description.clone(),
                ]
            })
            .collect()
    }
}

impl Firewall for HcloudTarget {
    const NAME: &'static str = "hcloud";
    const ABOUT: &'static str =
        "Hetzner Cloud firewall rules, one firewall per tier (as portmatrix_hcloud_firewall_rules)";
    type Config = HcloudOptions;
    type Output = HcloudOutput;

    fn options() -> Vec<TargetOption> {
        use crate::engine::setting::{Literal, Setting};
        let blocks = Literal::Texts(vec!["203.0.113.10/32".into(), "2001:db8:1::/64".into()]);
        vec![
            TargetOption::optional(
                TIER_RANGES,
                Shape::map(Shape::texts()),
                None,
                format!(
                    "The CIDR blocks of each tier's servers, as the firewalls see them (for example their public \
                     IPv4 addresses as `/32` blocks, or their IPv6 `/64` networks), e.g. `{}`. Hetzner rules \
                     cannot reference other firewalls or label selectors, so every tier that is a peer of a rule \
                     needs its blocks here. Blocks are written as network addresses.",
                    Setting::option_entry(TIER_RANGES, "master", blocks),
                ),
            ),
            TargetOption::optional(
                UNSUPPORTED_FLOWS,
                Shape::Text,
                Some("error"),
                "What to do with flows Hetzner cannot express: ICMP limited to some types (Hetzner `icmp` rules \
                 admit every type) and IP protocols other than tcp, udp, icmp, gre and esp (IP-in-IP `4`, SCTP). \
                 `error` (default) fails listing them; `widen` opens every ICMP type, listed in `widened` \
                 (other protocols have no wider rule and still fail); `skip` leaves them out, listed in \
                 `warnings`, and the firewalls then drop that traffic.",
            ),
            TargetOption::optional(
                OUTBOUND_RULES,
                Shape::Bool,
                Some("false"),
                format!(
                    "`{}` also writes `out` rules towards each tier's peers and endpoints. Hetzner allows all \
                     outbound traffic until a firewall has an `out` rule, and then drops every outbound packet no \
                     rule allows: set it only when the catalogs list all the traffic your servers send. Off by \
                     default.",
                    Setting::option_value(OUTBOUND_RULES, Literal::Bool(true)),
                ),
            ),
        ]
    }

    fn outputs() -> Vec<OutputField> {
        fields_with_outcome::<Fields>(
            "firewall rule",
            "Flows or rules that were not written: an input is missing (an endpoint's addresses, a port \
             parameter, a role on no tier), a peer has no address of the flow's family, or \
             `unsupported_flows = \"skip\"` left a flow out. Last, one warning when rules allow private \
             addresses (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7), naming the tiers \
             and endpoints they belong to: Hetzner firewalls do not filter traffic over Hetzner private \
             Networks, so such rules have no effect on it.",
        )
    }

    /// The Hetzner options given, or the error of a bad policy.
    fn config(options: &Options) -> Result<HcloudOptions, Vec<TargetError>> {
        let unsupported_flows = match options.text(UNSUPPORTED_FLOWS) {
            None => Default::default(),
            Some(text) => text.parse().map_err(|detail: String| {
                vec![TargetError::invalid(
                    UNSUPPORTED_FLOWS,
                    capitalized(&detail),
                )]
            })?,
        };
        Ok(HcloudOptions {
            tier_ranges: options.list_map(TIER_RANGES),
            unsupported_flows,
            outbound_rules: options.flag(OUTBOUND_RULES),
        })
    }

    fn rules(
        expansion: &Expansion,
        options: HcloudOptions,
    ) -> Result<Shaped<Self::Output>, Vec<TargetError>> {
        let set = firewall_rules(expansion, &options)
            .map_err(|errors| errors.into_iter().map(target_error).collect::<Vec<_>>())?;
        let roles = set
            .firewalls
            .keys()
            .map(|tier| (tier.clone(), tier_roles(expansion, tier)))
            .collect();
        let warnings = set.warnings.clone();
        Ok(Shaped::new(HcloudOutput { set, roles }, warnings))
    }
}
