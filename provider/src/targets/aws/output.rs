//! AWS as a [`Firewall`]: its options, its output shape, and its rules as `portmatrix_aws_security_group_rules`
//! and `portmatrix expand --target aws` give them.

use super::{
    security_group_rules, AwsOptions, AwsPeer, AwsRule, AwsRuleSet, QuotaError,
    MAX_RULES_PER_GROUP, MIN_RULES_PER_GROUP,
};
use crate::engine::Expansion;
use crate::targets::target::{
    fields_with_outcome, keyed, output_struct, tier_summaries, Firewall, Options, OutputField,
    Shape, Shaped, Tabular, TargetError, TargetOption, Tiered,
};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// `rules_per_group`.
pub(crate) const RULES_PER_GROUP: &str = "rules_per_group";
/// `widen_to_fit`.
pub(crate) const WIDEN_TO_FIT: &str = "widen_to_fit";
/// `all_traffic_within_tier`.
pub(crate) const ALL_TRAFFIC_WITHIN_TIER: &str = "all_traffic_within_tier";

/// AWS security group rules, one security group per tier.
pub(crate) struct AwsTarget;

/// Groups over quota, as errors on `rules_per_group`, the option that fixes them.
pub(crate) fn quota_errors(errors: Vec<QuotaError>) -> Vec<TargetError> {
    errors
        .into_iter()
        .map(|error| {
            TargetError::option(
                RULES_PER_GROUP,
                "Security group rule quota exceeded",
                error.to_string(),
            )
        })
        .collect()
}

output_struct! {
    /// What follows a rule's tier and peer tier.
    struct RuleFields<'a> {
        cidr_ipv4: Option<&'a str>,
        cidr_ipv6: Option<&'a str>,
        prefix_list_id: Option<&'a str>,
        endpoints: &'a [String],
        ip_protocol: Cow<'static, str>,
        from_port: Option<i64>,
        to_port: Option<i64>,
        description: &'a str,
        platforms: &'a [String],
        purposes: &'a [String],
    }
}

output_struct! {
    /// An inbound rule as the outputs give it.
    struct IngressOutput<'a> {
        tier: &'a str,
        source_tier: Option<&'a str>,
        #[serde(flatten)]
        rule: RuleFields<'a>,
    }
}

output_struct! {
    /// An outbound rule as the outputs give it.
    struct EgressOutput<'a> {
        tier: &'a str,
        destination_tier: Option<&'a str>,
        #[serde(flatten)]
        rule: RuleFields<'a>,
    }
}

/// The tier of `rule`, its peer tier, and the rest.
fn rule_output(rule: &AwsRule) -> (&str, Option<&str>, RuleFields<'_>) {
    let (tier, v4, v6, list) = match &rule.peer {
        AwsPeer::Tier(tier) => (Some(tier.as_str()), None, None, None),
        AwsPeer::Ipv4(cidr) => (None, Some(cidr.as_str()), None, None),
        AwsPeer::Ipv6(cidr) => (None, None, Some(cidr.as_str()), None),
        AwsPeer::PrefixList(id) => (None, None, None, Some(id.as_str())),
    };
    let fields = RuleFields {
        cidr_ipv4: v4,
        cidr_ipv6: v6,
        prefix_list_id: list,
        endpoints: &rule.endpoints,
        ip_protocol: rule.protocol.ip_protocol(),
        from_port: rule.from_port,
        to_port: rule.to_port,
        description: &rule.description,
        platforms: &rule.platforms,
        purposes: &rule.purposes,
    };
    (&rule.tier, tier, fields)
}

output_struct! {
    /// A tier's rule counts.
    pub(crate) struct TierOutput {
        ingress_ipv4: usize,
        ingress_ipv6: usize,
        egress_ipv4: usize,
        egress_ipv6: usize,
        limit: usize,
        roles: Vec<String>,
    }
}

output_struct! {
    /// A port range opened wider than asked.
    struct WidenedOutput {
        tier: String,
        direction: String,
        peer: String,
        ip_protocol: String,
        from_port: u16,
        to_port: u16,
        extra_ports: Vec<String>,
    }
}

output_struct! {
    /// The output fields.
    struct Fields<'a> {
        /// Inbound rules, keyed `tier:protocol:ports:peer` (e.g. `master:tcp:6443:worker`,
        /// `master:tcp:22:10.0.0.0/8`). Each goes in the security group of `tier`; its source is the group
        /// of `source_tier`, or `cidr_ipv4` / `cidr_ipv6` / `prefix_list_id`, an address of the endpoint blocks
        /// listed in `endpoints` (blocks sharing an address share one rule, as AWS refuses duplicates).
        /// `ip_protocol` is `tcp`, `udp`, `icmp`, `icmpv6`, or an IP protocol number (`4` IP-in-IP, `50` ESP; such rules have no
        /// ports). For ICMP `from_port` is the type and `to_port` the code (-1 = all). `description` fits AWS.
        ingress: BTreeMap<&'a str, IngressOutput<'a>>,
        /// Outbound rules, keyed like `ingress`: each goes in the security group of `tier`, towards the group of
        /// `destination_tier` or the endpoint's addresses. Apply them when your groups restrict egress.
        egress: BTreeMap<&'a str, EgressOutput<'a>>,
        /// Every tier with its rule counts per direction and address family, the quota `limit`, and the `roles`
        /// placed on it.
        tiers: &'a BTreeMap<String, TierOutput>,
        /// Port ranges opened wider than the catalogs ask to fit the quota (only with `widen_to_fit`), with the
        /// `extra_ports` each one opens.
        widened: Vec<WidenedOutput>,
    }
}

impl Serialize for Tiered<AwsRuleSet, TierOutput> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let widened = self
            .set
            .widened
            .iter()
            .map(|w| WidenedOutput {
                tier: w.tier.clone(),
                direction: w.direction.to_string(),
                peer: w.peer.clone(),
                ip_protocol: w.protocol.clone(),
                from_port: w.from_port,
                to_port: w.to_port,
                extra_ports: w.extra_ports.clone(),
            })
            .collect();
        let ingress = keyed(&self.set.ingress, |rule| {
            let (tier, source_tier, rule) = rule_output(rule);
            IngressOutput {
                tier,
                source_tier,
                rule,
            }
        });
        let egress = keyed(&self.set.egress, |rule| {
            let (tier, destination_tier, rule) = rule_output(rule);
            EgressOutput {
                tier,
                destination_tier,
                rule,
            }
        });
        Fields {
            ingress,
            egress,
            tiers: &self.tiers,
            widened,
        }
        .serialize(serializer)
    }
}

impl Tabular for Tiered<AwsRuleSet, TierOutput> {
    const HEADER: &'static [&'static str] = &[
        "DIRECTION",
        "KEY",
        "PROTOCOL",
        "FROM_PORT",
        "TO_PORT",
        "PEER",
        "DESCRIPTION",
    ];

    fn cells(&self) -> Vec<Vec<String>> {
        let port = |n: Option<i64>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
        self.set
            .ingress
            .iter()
            .chain(&self.set.egress)
            .map(|(key, rule)| {
                // The peer: the tier, or the address followed by the endpoint blocks it stands for.
                let peer = if rule.endpoints.is_empty() {
                    rule.peer.key().to_string()
                } else {
                    format!("{} ({})", rule.peer.key(), rule.endpoints.join(", "))
                };
                vec![
                    rule.direction.to_string(),
                    key.clone(),
                    rule.protocol.ip_protocol().into_owned(),
                    port(rule.from_port),
                    port(rule.to_port),
                    peer,
                    rule.description.clone(),
                ]
            })
            .collect()
    }
}

impl Firewall for AwsTarget {
    const NAME: &'static str = "aws";
    const ABOUT: &'static str = "AWS security group rules (as portmatrix_aws_security_group_rules)";
    const TAKES_PREFIX_LISTS: bool = true;
    type Config = AwsOptions;
    type Output = Tiered<AwsRuleSet, TierOutput>;

    fn options() -> Vec<TargetOption> {
        use crate::engine::setting::{Literal, Setting};
        vec![
            TargetOption::optional(
                RULES_PER_GROUP,
                Shape::Number,
                Some("60"),
                "Quota of rules per security group and direction, counted separately for IPv4 and IPv6 (a rule \
                 referencing a group counts in both). Defaults to AWS's 60; set it to your raised quota. AWS counts a \
                 referenced prefix list as its maximum number of entries, which is not known at plan time: portmatrix \
                 counts it as one rule in each family, so leave room for your prefix lists.",
            ),
            TargetOption::optional(
                WIDEN_TO_FIT,
                Shape::Bool,
                Some("false"),
                format!(
                    "When a group is over quota: by default fails naming the biggest contributors; `{}` merges \
                     neighbouring port ranges of the same peer and protocol, smallest gaps first, and lists every \
                     extra port opened in `widened`.",
                    Setting::option_value(WIDEN_TO_FIT, Literal::Bool(true)),
                ),
            ),
            TargetOption::optional(
                ALL_TRAFFIC_WITHIN_TIER,
                Shape::Bool,
                Some("false"),
                format!(
                    "`{}` replaces each tier's rules with itself by one all-traffic rule (IP protocol `-1`). \
                     Fewer rules, but every port between the tier's machines is open. Off by default.",
                    Setting::option_value(ALL_TRAFFIC_WITHIN_TIER, Literal::Bool(true)),
                ),
            ),
        ]
    }

    fn outputs() -> Vec<OutputField> {
        fields_with_outcome::<Fields>(
            "security group rule",
            "Flows or rules that could not be written because an input is missing (an endpoint's addresses, a port \
             parameter, a role on no tier), naming the fix.",
        )
    }

    /// The AWS options given, or the errors of the bad ones.
    fn config(options: &Options) -> Result<AwsOptions, Vec<TargetError>> {
        let rules_per_group = match options.number(RULES_PER_GROUP) {
            None => super::DEFAULT_RULES_PER_GROUP,
            Some(text) => match text
                .parse::<usize>()
                .ok()
                .filter(|n| (MIN_RULES_PER_GROUP..=MAX_RULES_PER_GROUP).contains(n))
            {
                Some(n) => n,
                None => {
                    return Err(vec![TargetError::invalid(
    RULES_PER_GROUP,
                        format!(
                            "{text} is not a rule quota: give a whole number from {MIN_RULES_PER_GROUP} to \
                             {MAX_RULES_PER_GROUP} (AWS's default is {}).",
                            super::DEFAULT_RULES_PER_GROUP
                        ),
                    )])
                }
            },
        };
        Ok(AwsOptions {
            rules_per_group,
            widen_to_fit: options.flag(WIDEN_TO_FIT),
            all_traffic_within_tier: options.flag(ALL_TRAFFIC_WITHIN_TIER),
        })
    }

    fn rules(
        expansion: &Expansion,
        options: AwsOptions,
    ) -> Result<Shaped<Self::Output>, Vec<TargetError>> {
        let set = security_group_rules(expansion, &options).map_err(quota_errors)?;
        let tiers = tier_summaries(expansion, &set.tiers, |counts, roles| TierOutput {
            ingress_ipv4: counts.ingress_ipv4,
            ingress_ipv6: counts.ingress_ipv6,
            egress_ipv4: counts.egress_ipv4,
            egress_ipv6: counts.egress_ipv6,
            limit: options.rules_per_group,
            roles,
        });
        let warnings = set.warnings.clone();
        Ok(Shaped::new(Tiered { set, tiers }, warnings))
    }
}
