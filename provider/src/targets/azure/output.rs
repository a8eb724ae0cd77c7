//! Azure as a [`Firewall`]: its options, its output shape, and its rules as `portmatrix_azure_nsg_rules` and
//! `portmatrix expand --target azure` give them.

use super::{
    security_rules, valid_priority, AzureOptions, AzureRule, AzureRuleSet, Side, MAX_PREFIX,
    MAX_PRIORITY, MIN_PRIORITY,
};
use crate::engine::Expansion;
use crate::targets::common::{
    name_prefix, name_prefix_option, rule_errors, unsupported_flows_option, unsupported_policy,
    WidenedField,
};
use crate::targets::target::{
    fields_with_outcome, keyed, null_if_empty, output_struct, tier_summaries, Firewall, Options,
    OutputField, Shape, Shaped, Tabular, TargetError, TargetOption, Tiered,
};
use serde::Serialize;
use std::collections::BTreeMap;

const NSG_PER_TIER: &str = "nsg_per_tier";
const FIRST_PRIORITY: &str = "first_priority";
const LAST_PRIORITY: &str = "last_priority";

/// Azure network security rules, one application security group per tier.
pub(crate) struct AzureTarget;

output_struct! {
    /// One rule as the outputs give it.
    struct RuleOutput<'a> {
    name: &'a str,
    tier: &'a str,
    direction: String,
    priority: u16,
    protocol: &'static str,
    destination_port_range: Option<&'static str>,
    destination_port_ranges: Option<&'a [String]>,
    source_tier: Option<&'a str>,
    source_endpoint: Option<&'a str>,
    source_address_prefixes: Option<&'a [String]>,
    destination_tier: Option<&'a str>,
    destination_endpoint: Option<&'a str>,
    destination_address_prefixes: Option<&'a [String]>,
    description: &'a str,
    platforms: &'a [String],
    purposes: &'a [String],
    }
}

/// (tier, endpoint, prefixes) of one side, `None` where they do not apply.
fn side(side: &Side) -> (Option<&str>, Option<&str>, Option<&[String]>) {
    match side {
        Side::Tier(tier) => (Some(tier), None, None),
        Side::Prefixes { endpoint, prefixes } => (None, Some(endpoint), Some(prefixes)),
    }
}

/// One side as the table shows it.
fn side_text(side: &Side) -> String {
    match side {
        Side::Tier(tier) => tier.clone(),
        Side::Prefixes { endpoint, prefixes } => format!("{endpoint}:{}", prefixes.join(",")),
    }
}

fn rule_output(rule: &AzureRule) -> RuleOutput<'_> {
    let (source_tier, source_endpoint, source_address_prefixes) = side(&rule.source);
    let (destination_tier, destination_endpoint, destination_address_prefixes) =
        side(&rule.destination);
    RuleOutput {
        name: &rule.name,
        tier: &rule.tier,
        direction: rule.direction.to_string(),
        priority: rule.priority,
        protocol: rule.protocol.as_str(),
        destination_port_range: rule.destination_ports.is_empty().then_some("*"),
        destination_port_ranges: null_if_empty(&rule.destination_ports),
        source_tier,
        source_endpoint,
        source_address_prefixes,
        destination_tier,
        destination_endpoint,
        destination_address_prefixes,
        description: &rule.description,
        platforms: &rule.platforms,
        purposes: &rule.purposes,
    }
}

output_struct! {
    /// A tier's rule counts.
    pub(crate) struct TierOutput {
        inbound_rules: usize,
        outbound_rules: usize,
        roles: Vec<String>,
    }
}

output_struct! {
    /// The output fields.
    struct Fields<'a> {
        /// Security rules keyed by `name`, e.g. `pm-in-worker-to-master-tcp`, `pm-out-master-to-internet-udp`,
        /// `pm-in-clients-to-worker-tcp-v6`. `tier` is the tier the rule protects (the destination of
        /// `Inbound` rules, the source of `Outbound` ones; with `nsg_per_tier`, whose NSG holds it).
        /// `protocol` is `Tcp`, `Udp`, `Icmp`, `Esp`, `Ah` or `*`. `destination_port_ranges` lists ports and
        /// ranges (`"6443"`, `"30000-32767"`); when the rule covers every port it is null and
        /// `destination_port_range` is `"*"`. Each side is a tier's application security group
        /// (`source_tier`, `destination_tier`) or an endpoint's `*_address_prefixes` of one address family;
        /// fields that do not apply are null. `priority` is unique per NSG and direction; `description` fits
        /// Azure's 140 characters.
        rules: BTreeMap<&'a str, RuleOutput<'a>>,
        /// Every tier, one application security group each, with its numbers of `inbound_rules` and
        /// `outbound_rules` and the `roles` placed on it.
        tiers: &'a BTreeMap<String, TierOutput>,
        #[serde(flatten)]
        widened: WidenedField<'a>,
    }
}

impl Serialize for Tiered<AzureRuleSet, TierOutput> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Fields {
            rules: keyed(&self.set.rules, rule_output),
            tiers: &self.tiers,
            widened: WidenedField {
                widened: &self.set.widened,
            },
        }
        .serialize(serializer)
    }
}

impl Tabular for Tiered<AzureRuleSet, TierOutput> {
    const HEADER: &'static [&'static str] = &[
        "NAME",
        "DIRECTION",
        "PRIORITY",
        "PROTOCOL",
        "PORTS",
        "SOURCE",
        "DESTINATION",
        "DESCRIPTION",
    ];

    fn cells(&self) -> Vec<Vec<String>> {
        self.set
            .rules
            .values()
            .map(|rule| {
                let ports = if rule.destination_ports.is_empty() {
                    "*".to_string()
                } else {
                    rule.destination_ports.join(",")
                };
                vec![
                    rule.name.clone(),
                    rule.direction.to_string(),
                    rule.priority.to_string(),
                    rule.protocol.as_str().to_string(),
                    ports,
                    side_text(&rule.source),
                    side_text(&rule.destination),
                    rule.description.clone(),
                ]
            })
            .collect()
    }
}

impl Firewall for AzureTarget {
    const NAME: &'static str = "azure";
    const ABOUT: &'static str =
        "Azure network security rules in one shared NSG (as portmatrix_azure_nsg_rules)";
    type Config = AzureOptions;
    type Output = Tiered<AzureRuleSet, TierOutput>;

    fn options() -> Vec<TargetOption> {
        use crate::engine::setting::{Literal, Setting};
        vec![
            name_prefix_option(
                "<prefix><in|out>-<source>-to-<destination>-<protocol>[-v6]",
                "Azure's 80 characters",
                MAX_PREFIX,
                "",
            ),
            TargetOption::optional(
                NSG_PER_TIER,
                Shape::Bool,
                Some("false"),
                format!(
                    "By default every rule goes in one network security group shared by the cluster (on its \
                     subnet or its network interfaces), tiers told apart by their application security groups. \
                     `{}`: each tier has its own NSG, holding the `Inbound` rules whose `tier` is the destination \
                     and the `Outbound` rules whose `tier` is the source; priorities are then unique per tier's \
                     NSG.",
                    Setting::option_value(NSG_PER_TIER, Literal::Bool(true)),
                ),
            ),
            TargetOption::optional(
                FIRST_PRIORITY,
                Shape::Number,
                Some("100"),
                "Lowest priority to use (default 100, Azure's lowest). Rules of your own with lower numbers win over \
                 these.",
            ),
            TargetOption::optional(
                LAST_PRIORITY,
                Shape::Number,
                Some("4096"),
                format!(
                    "Highest priority to use (default 4096, Azure's highest). Set 4095 to keep 4096 for a deny-all \
                     rule of your own. Each rule takes the priority its identity (direction, source, destination, \
                     protocol, address family) hashes to between `{}` and `{}`, or the next free one; rules are \
                     placed in the order of their first platform in your selection, so a platform appended later \
                     never renumbers existing rules. The hash spreads rules over the range, leaving room for new \
                     ones; reordering platforms or changing the range may move rules whose hashes collide.",
                    Setting::option(FIRST_PRIORITY),
                    Setting::option(LAST_PRIORITY),
                ),
            ),
            unsupported_flows_option(
                "Azure rules take the protocols Tcp, Udp, Icmp, Esp, Ah and `*` only, so IP-in-IP (IP protocol 4, \
                 Calico's default encapsulation), GRE, SCTP, ICMPv6 and other IP protocols have no exact rule; and \
                 they cannot match ICMP types (Cilium's ping asks for types 0 and 8).",
                "every ICMP type for typed ICMP; for the rest a protocol `*` rule, every protocol and port between \
                 the same tiers, much wider than the flow",
            ),
        ]
    }

    fn outputs() -> Vec<OutputField> {
        fields_with_outcome::<Fields>(
            "security rule",
            "Flows or rules that were not written: a missing input (an endpoint's addresses, a port parameter, a \
             role on no tier) or a flow left out by `unsupported_flows = \"skip\"`, naming the fix.",
        )
    }

    /// The Azure options given, or the errors of the bad ones.
    fn config(options: &Options) -> Result<AzureOptions, Vec<TargetError>> {
        let mut errors: Vec<TargetError> = Vec::new();
        let defaults = AzureOptions::default();
        let name_prefix = name_prefix(options, &defaults.name_prefix, MAX_PREFIX, &mut errors);
        let mut priority = |name: &'static str, default: u16| match options.number(name) {
            None => default,
            Some(n) => match n.parse::<u16>() {
                Ok(p) if valid_priority(p) => p,
                _ => {
                    errors.push(TargetError::invalid(
                        name,
                        format!(
                            "{n} is not an NSG rule priority: give a whole number from {MIN_PRIORITY} to \
                             {MAX_PRIORITY}."
                        ),
                    ));
                    default
                }
            },
        };
        let first_priority = priority(FIRST_PRIORITY, defaults.first_priority);
        let last_priority = priority(LAST_PRIORITY, defaults.last_priority);
        let unsupported_flows = unsupported_policy(options).unwrap_or_else(|error| {
            errors.push(error);
            defaults.unsupported_flows
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(AzureOptions {
            name_prefix,
            nsg_per_tier: options.flag(NSG_PER_TIER),
            first_priority,
            last_priority,
            unsupported_flows,
            platform_order: options.platform_order.clone(),
        })
    }

    fn rules(
        expansion: &Expansion,
        options: AzureOptions,
    ) -> Result<Shaped<Self::Output>, Vec<TargetError>> {
        let set = security_rules(expansion, &options).map_err(|errors| {
            rule_errors(errors, "Flows Azure network security rules cannot express")
        })?;
        let tiers = tier_summaries(expansion, &set.tiers, |counts, roles| TierOutput {
            inbound_rules: counts.inbound,
            outbound_rules: counts.outbound,
            roles,
        });
        let warnings = set.warnings.clone();
        Ok(Shaped::new(Tiered { set, tiers }, warnings))
    }
}
