//! AWS as a [`Target`]: its options, its output shape, and its rules as `portmatrix_aws_security_group_rules`
//! and `portmatrix expand --target aws` give them.

use super::{security_group_rules, AwsOptions, AwsPeer, AwsRule, AwsRuleSet, QuotaError};
use crate::engine::Expansion;
use crate::targets::target::{
    outcome_fields, tier_roles, Options, OutputField, Rows, Shape, Shaped, Tabular, Target,
    TargetError, TargetOption,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// `rules_per_group`.
pub const RULES_PER_GROUP: &str = "rules_per_group";
/// `widen_to_fit`.
pub const WIDEN_TO_FIT: &str = "widen_to_fit";
/// `all_traffic_within_tier`.
pub const ALL_TRAFFIC_WITHIN_TIER: &str = "all_traffic_within_tier";

/// AWS security group rules, one security group per tier.
pub struct AwsTarget;

/// The AWS options given, or the errors of the bad ones.
pub fn aws_options(options: &Options) -> Result<AwsOptions, Vec<TargetError>> {
    let rules_per_group = match options.number(RULES_PER_GROUP) {
        None => super::DEFAULT_RULES_PER_GROUP,
        Some(text) => match text.parse::<usize>().ok().filter(|n| (1..=1000).contains(n)) {
            Some(n) => n,
            None => {
                return Err(vec![TargetError::invalid(
RULES_PER_GROUP,
                    format!(
                        "{text} is not a rule quota: give a whole number from 1 to 1000 (AWS's default is 60)."
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

/// Groups over quota, as errors on `rules_per_group`, the option that fixes them.
pub fn quota_errors(errors: Vec<QuotaError>) -> Vec<TargetError> {
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

fn rule_shape(peer_tier: &'static str) -> Shape {
    Shape::object([
        ("tier", Shape::Text),
        (peer_tier, Shape::Text),
        ("cidr_ipv4", Shape::Text),
        ("cidr_ipv6", Shape::Text),
        ("prefix_list_id", Shape::Text),
        ("endpoints", Shape::texts()),
        ("ip_protocol", Shape::Text),
        ("from_port", Shape::Number),
        ("to_port", Shape::Number),
        ("description", Shape::Text),
        ("platforms", Shape::texts()),
        ("purposes", Shape::texts()),
    ])
}

/// One rule as the outputs give it.
#[derive(Serialize)]
struct RuleOutput<'a> {
    tier: &'a str,
    /// `source_tier` of an ingress rule, `destination_tier` of an egress rule.
    #[serde(flatten)]
    peer_tier: BTreeMap<&'static str, Option<&'a str>>,
    cidr_ipv4: Option<&'a str>,
    cidr_ipv6: Option<&'a str>,
    prefix_list_id: Option<&'a str>,
    endpoints: &'a [String],
    ip_protocol: String,
    from_port: Option<i64>,
    to_port: Option<i64>,
    description: &'a str,
    platforms: &'a [String],
    purposes: &'a [String],
}

fn rule_output(rule: &AwsRule) -> RuleOutput<'_> {
    let (tier, v4, v6, list) = match &rule.peer {
        AwsPeer::Tier(tier) => (Some(tier.as_str()), None, None, None),
        AwsPeer::Ipv4(cidr) => (None, Some(cidr.as_str()), None, None),
        AwsPeer::Ipv6(cidr) => (None, None, Some(cidr.as_str()), None),
        AwsPeer::PrefixList(id) => (None, None, None, Some(id.as_str())),
    };
    let peer_tier = match rule.direction {
        super::Direction::Ingress => "source_tier",
        super::Direction::Egress => "destination_tier",
    };
    RuleOutput {
        tier: &rule.tier,
        peer_tier: BTreeMap::from([(peer_tier, tier)]),
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
    }
}

fn rules_output(rules: &BTreeMap<String, AwsRule>) -> BTreeMap<&str, RuleOutput<'_>> {
    rules
        .iter()
        .map(|(key, rule)| (key.as_str(), rule_output(rule)))
        .collect()
}

#[derive(Serialize)]
struct TierOutput {
    ingress_ipv4: usize,
    ingress_ipv6: usize,
    egress_ipv4: usize,
    egress_ipv6: usize,
    limit: usize,
    roles: Vec<String>,
}

#[derive(Serialize)]
struct WidenedOutput {
    tier: String,
    direction: String,
    peer: String,
    ip_protocol: String,
    from_port: u16,
    to_port: u16,
    extra_ports: Vec<String>,
}

/// The rule set with what the outputs add to it.
struct AwsOutput {
    set: AwsRuleSet,
    tiers: BTreeMap<String, TierOutput>,
}

impl Serialize for AwsOutput {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Fields<'a> {
            ingress: BTreeMap<&'a str, RuleOutput<'a>>,
            egress: BTreeMap<&'a str, RuleOutput<'a>>,
            tiers: &'a BTreeMap<String, TierOutput>,
            widened: Vec<WidenedOutput>,
        }
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
        Fields {
            ingress: rules_output(&self.set.ingress),
            egress: rules_output(&self.set.egress),
            tiers: &self.tiers,
            widened,
        }
        .serialize(serializer)
    }
}

impl Tabular for AwsOutput {
    fn rows(&self) -> Rows {
        let port = |n: Option<i64>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
        let rows = self
            .set
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
                    rule.protocol.ip_protocol(),
                    port(rule.from_port),
                    port(rule.to_port),
                    peer,
                    rule.description.clone(),
                ]
            })
            .collect();
        Rows {
            header: vec![
                "DIRECTION",
                "KEY",
                "PROTOCOL",
                "FROM_PORT",
                "TO_PORT",
                "PEER",
                "DESCRIPTION",
            ],
            rows,
        }
    }
}

impl Target for AwsTarget {
    fn name(&self) -> &'static str {
        "aws"
    }

    fn about(&self) -> &'static str {
        "AWS security group rules (as portmatrix_aws_security_group_rules)"
    }

    fn takes_prefix_lists(&self) -> bool {
        true
    }

    fn options(&self) -> Vec<TargetOption> {
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
                "When a group is over quota: `false` (default) fails naming the biggest contributors; `true` merges \
                 neighbouring port ranges of the same peer and protocol, smallest gaps first, and lists every extra \
                 port opened in `widened`.",
            ),
            TargetOption::optional(
                ALL_TRAFFIC_WITHIN_TIER,
                Shape::Bool,
                Some("false"),
                "`true` replaces each tier's rules with itself by one all-traffic rule (`ip_protocol = \"-1\"`). \
                 Fewer rules, but every port between the tier's machines is open. Default `false`.",
            ),
        ]
    }

    fn outputs(&self) -> Vec<OutputField> {
        let tier = Shape::object([
            ("ingress_ipv4", Shape::Number),
            ("ingress_ipv6", Shape::Number),
            ("egress_ipv4", Shape::Number),
            ("egress_ipv6", Shape::Number),
            ("limit", Shape::Number),
            ("roles", Shape::texts()),
        ]);
        let widened = Shape::object([
            ("tier", Shape::Text),
            ("direction", Shape::Text),
            ("peer", Shape::Text),
            ("ip_protocol", Shape::Text),
            ("from_port", Shape::Number),
            ("to_port", Shape::Number),
            ("extra_ports", Shape::texts()),
        ]);
        [
            OutputField::new(
                "ingress",
                Shape::map(rule_shape("source_tier")),
                "Inbound rules, keyed `tier:protocol:ports:peer` (e.g. `master:tcp:6443:worker`, \
                 `master:tcp:22:10.0.0.0/8`). Each goes in the security group of `tier`; its source is the group \
                 of `source_tier`, or `cidr_ipv4` / `cidr_ipv6` / `prefix_list_id`, an address of the endpoint blocks \
                 listed in `endpoints` (blocks sharing an address share one rule, as AWS refuses duplicates). \
                 `ip_protocol` is `tcp`, `udp`, `icmp`, `icmpv6`, or an IP protocol number (`4` IP-in-IP, `50` ESP; such rules have no \
                 ports). For ICMP `from_port` is the type and `to_port` the code (-1 = all). `description` fits AWS.",
            ),
            OutputField::new(
                "egress",
                Shape::map(rule_shape("destination_tier")),
                "Outbound rules, keyed like `ingress`: each goes in the security group of `tier`, towards the group of \
                 `destination_tier` or the endpoint's addresses. Apply them when your groups restrict egress.",
            ),
            OutputField::new(
                "tiers",
                Shape::map(tier),
                "Every tier with its rule counts per direction and address family, the quota `limit`, and the `roles` \
                 placed on it.",
            ),
            OutputField::new(
                "widened",
                Shape::list(widened),
                "Port ranges opened wider than the catalogs ask to fit the quota (only with `widen_to_fit`), with the \
                 `extra_ports` each one opens.",
            ),
        ]
        .into_iter()
        .chain(outcome_fields(
                "Catalog flows that need no security group rule, with the `reason` (for example pod traffic inside \
                 the overlay network).",
                "Flows or rules that could not be written because an input is missing (an endpoint's addresses, a port \
                 parameter, a role on no tier), naming the fix.",
        ))
        .collect()
    }

    fn check(&self, options: &Options) -> Vec<TargetError> {
        aws_options(options).err().unwrap_or_default()
    }

    fn shape(&self, expansion: &Expansion, options: &Options) -> Result<Shaped, Vec<TargetError>> {
        let options = aws_options(options)?;
        let set = security_group_rules(expansion, &options).map_err(quota_errors)?;
        let tiers = set
            .tiers
            .iter()
            .map(|(tier, counts)| {
                let output = TierOutput {
                    ingress_ipv4: counts.ingress_ipv4,
                    ingress_ipv6: counts.ingress_ipv6,
                    egress_ipv4: counts.egress_ipv4,
                    egress_ipv6: counts.egress_ipv6,
                    limit: options.rules_per_group,
                    roles: tier_roles(expansion, tier),
                };
                (tier.clone(), output)
            })
            .collect();
        let warnings = set.warnings.clone();
        Ok(Shaped {
            output: Box::new(AwsOutput { set, tiers }),
            warnings,
        })
    }
}
