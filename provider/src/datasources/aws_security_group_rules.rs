//! `portmatrix_aws_security_group_rules`: rules for `aws_vpc_security_group_ingress_rule` and
//! `aws_vpc_security_group_egress_rule`, keyed for `for_each`, one security group per tier.

use super::flows::{echo_config, push_outcome, skipped_type, tier_roles, SELECTION_INPUTS};
use super::selection::{self, EndpointKind};
use super::DataSource;
use crate::cty::{CtyType, Number, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::engine::Expansion;
use crate::schema::{Attribute, AttributePath, Block, Schema};
use crate::targets::aws::{self, AwsOptions, AwsPeer, AwsRule, AwsRuleSet, Direction};

/// The `portmatrix_aws_security_group_rules` data source.
pub struct AwsSecurityGroupRulesDataSource;

const RULES_PER_GROUP: &str = "rules_per_group";
const WIDEN_TO_FIT: &str = "widen_to_fit";
const ALL_TRAFFIC_WITHIN_TIER: &str = "all_traffic_within_tier";

/// The AWS shaping options, shared with `portmatrix_aws_security_group_audit`.
pub(super) const AWS_OPTIONS: [&str; 3] = [RULES_PER_GROUP, WIDEN_TO_FIT, ALL_TRAFFIC_WITHIN_TIER];

fn rule_type(peer_tier: &str) -> CtyType {
    CtyType::object([
        ("tier", CtyType::String),
        (peer_tier, CtyType::String),
        ("cidr_ipv4", CtyType::String),
        ("cidr_ipv6", CtyType::String),
        ("prefix_list_id", CtyType::String),
        ("endpoints", CtyType::list(CtyType::String)),
        ("ip_protocol", CtyType::String),
        ("from_port", CtyType::Number),
        ("to_port", CtyType::Number),
        ("description", CtyType::String),
        ("platforms", CtyType::list(CtyType::String)),
        ("purposes", CtyType::list(CtyType::String)),
    ])
}

fn rule_value(rule: &AwsRule) -> Value {
    let text = |s: Option<&String>| s.map(Value::string).unwrap_or(Value::Null);
    let number = |n: Option<i64>| {
        n.map(|n| Value::number(Number::from(n)))
            .unwrap_or(Value::Null)
    };
    let (tier, v4, v6, list) = match &rule.peer {
        AwsPeer::Tier(tier) => (Some(tier), None, None, None),
        AwsPeer::Ipv4(cidr) => (None, Some(cidr), None, None),
        AwsPeer::Ipv6(cidr) => (None, None, Some(cidr), None),
        AwsPeer::PrefixList(id) => (None, None, None, Some(id)),
    };
    let peer_tier = match rule.direction {
        Direction::Ingress => "source_tier",
        Direction::Egress => "destination_tier",
    };
    let strings = |items: &[String]| Value::List(items.iter().map(Value::string).collect());
    Value::object([
        ("tier", Value::string(&rule.tier)),
        (peer_tier, text(tier)),
        ("cidr_ipv4", text(v4)),
        ("cidr_ipv6", text(v6)),
        ("prefix_list_id", text(list)),
        ("endpoints", strings(&rule.endpoints)),
        ("ip_protocol", Value::string(rule.protocol.ip_protocol())),
        ("from_port", number(rule.from_port)),
        ("to_port", number(rule.to_port)),
        ("description", Value::string(&rule.description)),
        ("platforms", strings(&rule.platforms)),
        ("purposes", strings(&rule.purposes)),
    ])
}

fn tier_type() -> CtyType {
    CtyType::object([
        ("ingress_ipv4", CtyType::Number),
        ("ingress_ipv6", CtyType::Number),
        ("egress_ipv4", CtyType::Number),
        ("egress_ipv6", CtyType::Number),
        ("limit", CtyType::Number),
        ("roles", CtyType::list(CtyType::String)),
    ])
}

fn widened_type() -> CtyType {
    CtyType::object([
        ("tier", CtyType::String),
        ("direction", CtyType::String),
        ("peer", CtyType::String),
        ("ip_protocol", CtyType::String),
        ("from_port", CtyType::Number),
        ("to_port", CtyType::Number),
        ("extra_ports", CtyType::list(CtyType::String)),
    ])
}

/// The selection inputs plus the AWS shaping options: every input of `portmatrix_aws_security_group_rules`,
/// shared with `portmatrix_aws_security_group_audit`.
pub(super) fn with_aws_inputs(block: Block) -> Block {
    selection::with_tier_selection_inputs(block, EndpointKind::CidrsAndPrefixLists).attribute(
        Attribute::optional(
            RULES_PER_GROUP,
            CtyType::Number,
            "Quota of rules per security group and direction, counted separately for IPv4 and IPv6 (a rule \
             referencing a group counts in both). Defaults to AWS's 60; set it to your raised quota. AWS counts a \
             referenced prefix list as its maximum number of entries, which is not known at plan time: portmatrix \
             counts it as one rule in each family, so leave room for your prefix lists.",
        ))
        .attribute(Attribute::optional(
            WIDEN_TO_FIT,
            CtyType::Bool,
            "When a group is over quota: `false` (default) fails naming the biggest contributors; `true` merges \
             neighbouring port ranges of the same peer and protocol, smallest gaps first, and lists every extra \
             port opened in `widened`.",
        ))
        .attribute(Attribute::optional(
            ALL_TRAFFIC_WITHIN_TIER,
            CtyType::Bool,
            "`true` replaces each tier's rules with itself by one all-traffic rule (`ip_protocol = \"-1\"`). \
             Fewer rules, but every port between the tier's machines is open. Default `false`.",
        ))
}

/// The AWS options of a wholly known configuration, or the diagnostic for a bad quota.
fn options(config: &Value) -> Result<AwsOptions, Diagnostic> {
    let flag = |name: &str| {
        config
            .get_attr(name)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let rules_per_group = match config.get_attr(RULES_PER_GROUP).and_then(Value::as_number) {
        None => aws::DEFAULT_RULES_PER_GROUP,
        Some(n) => match n.as_u64().filter(|n| (1..=1000).contains(n)) {
            Some(n) => n as usize,
            None => {
                return Err(Diagnostic::error(
                    "Invalid rules_per_group",
                    format!("{n} is not a rule quota: give a whole number from 1 to 1000 (AWS's default is 60)."),
                )
                .at(AttributePath::root().attr(RULES_PER_GROUP)))
            }
        },
    };
    Ok(AwsOptions {
        rules_per_group,
        widen_to_fit: flag(WIDEN_TO_FIT),
        all_traffic_within_tier: flag(ALL_TRAFFIC_WITHIN_TIER),
    })
}

/// Checks what is known of the inputs of [`with_aws_inputs`].
pub(super) fn validate_aws_inputs(config: &Value, diagnostics: &mut Diagnostics) {
    if config
        .get_attr(RULES_PER_GROUP)
        .is_some_and(Value::is_wholly_known)
    {
        if let Err(error) = options(config) {
            diagnostics.push(error);
        }
    }
    selection::validate(config, EndpointKind::CidrsAndPrefixLists, diagnostics);
}

/// The rule set a wholly known configuration of [`with_aws_inputs`] asks for, with its options and expansion;
/// `None` with errors in `diagnostics` when an input is wrong or a group is over quota.
pub(super) fn required_rules(
    config: &Value,
    diagnostics: &mut Diagnostics,
) -> Option<(AwsOptions, Expansion, AwsRuleSet)> {
    let options = match options(config) {
        Ok(options) => options,
        Err(error) => {
            diagnostics.push(error);
            return None;
        }
    };
    let expansion = selection::expand(config, EndpointKind::CidrsAndPrefixLists, diagnostics)?;
    match aws::security_group_rules(&expansion, &options) {
        Ok(rules) => Some((options, expansion, rules)),
        Err(errors) => {
            for error in errors {
                diagnostics.push(
                    Diagnostic::error("Security group rule quota exceeded", error.to_string())
                        .at(AttributePath::root().attr(RULES_PER_GROUP)),
                );
            }
            None
        }
    }
}

impl DataSource for AwsSecurityGroupRulesDataSource {
    fn type_name(&self) -> &'static str {
        "portmatrix_aws_security_group_rules"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "Expands platform port tables into AWS security group rules, one security group per tier, shaped for \
             `aws_vpc_security_group_ingress_rule` and `aws_vpc_security_group_egress_rule` with `for_each`. Keys \
             are built from tier names, protocols, ports and endpoint addresses (never from group IDs), so they are \
             known at plan time. Rule counts are checked against AWS's per-group quota.",
        );
        let block = with_aws_inputs(block)
            .attribute(Attribute::computed(
                "ingress",
                CtyType::map(rule_type("source_tier")),
                "Inbound rules, keyed `tier:protocol:ports:peer` (e.g. `master:tcp:6443:worker`, \
                 `master:tcp:22:10.0.0.0/8`). Each goes in the security group of `tier`; its source is the group \
                 of `source_tier`, or `cidr_ipv4` / `cidr_ipv6` / `prefix_list_id`, an address of the endpoint blocks \
                 listed in `endpoints` (blocks sharing an address share one rule, as AWS refuses duplicates). \
                 `ip_protocol` is `tcp`, `udp`, `icmp`, `icmpv6`, or an IP protocol number (`4` IP-in-IP, `50` ESP; such rules have no \
                 ports). For ICMP `from_port` is the type and `to_port` the code (-1 = all). `description` fits AWS.",
            ))
            .attribute(Attribute::computed(
                "egress",
                CtyType::map(rule_type("destination_tier")),
                "Outbound rules, keyed like `ingress`: each goes in the security group of `tier`, towards the group of \
                 `destination_tier` or the endpoint's addresses. Apply them when your groups restrict egress.",
            ))
            .attribute(Attribute::computed(
                "tiers",
                CtyType::map(tier_type()),
                "Every tier with its rule counts per direction and address family, the quota `limit`, and the `roles` \
                 placed on it.",
            ))
            .attribute(Attribute::computed(
                "widened",
                CtyType::list(widened_type()),
                "Port ranges opened wider than the catalogs ask to fit the quota (only with `widen_to_fit`), with the \
                 `extra_ports` each one opens.",
            ))
            .attribute(Attribute::computed(
                "not_needed",
                CtyType::list(skipped_type()),
                "Catalog flows that need no security group rule, with the `reason` (for example pod traffic inside \
                 the overlay network).",
            ))
            .attribute(Attribute::computed(
                "warnings",
                CtyType::list(CtyType::String),
                "Flows or rules that could not be written because an input is missing (an endpoint's addresses, a port \
                 parameter, a role on no tier), naming the fix.",
            ));
        Schema { version: 0, block }
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        let kind = EndpointKind::CidrsAndPrefixLists;
        if selection::checked_by_read(self, config, kind, diagnostics) {
            validate_aws_inputs(config, diagnostics);
        }
    }

    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<Value> {
        let (options, expansion, rules) = required_rules(config, diagnostics)?;
        let number = |n: usize| Value::number(Number::from(n as u64));
        let strings = |items: &[String]| Value::List(items.iter().map(Value::string).collect());
        let tiers = rules
            .tiers
            .iter()
            .map(|(tier, counts)| {
                let roles = tier_roles(&expansion, tier);
                let value = Value::object([
                    ("ingress_ipv4", number(counts.ingress_ipv4)),
                    ("ingress_ipv6", number(counts.ingress_ipv6)),
                    ("egress_ipv4", number(counts.egress_ipv4)),
                    ("egress_ipv6", number(counts.egress_ipv6)),
                    ("limit", number(options.rules_per_group)),
                    ("roles", strings(&roles)),
                ]);
                (tier.clone(), value)
            })
            .collect();
        let widened = rules
            .widened
            .iter()
            .map(|w| {
                Value::object([
                    ("tier", Value::string(&w.tier)),
                    ("direction", Value::string(w.direction.to_string())),
                    ("peer", Value::string(&w.peer)),
                    ("ip_protocol", Value::string(&w.protocol)),
                    ("from_port", Value::number(Number::from(w.from_port))),
                    ("to_port", Value::number(Number::from(w.to_port))),
                    ("extra_ports", strings(&w.extra_ports)),
                ])
            })
            .collect();
        let mut attributes = echo_config(config, &SELECTION_INPUTS);
        attributes.extend(echo_config(config, &AWS_OPTIONS));
        attributes.push((
            "ingress".into(),
            Value::Map(
                rules
                    .ingress
                    .iter()
                    .map(|(k, r)| (k.clone(), rule_value(r)))
                    .collect(),
            ),
        ));
        attributes.push((
            "egress".into(),
            Value::Map(
                rules
                    .egress
                    .iter()
                    .map(|(k, r)| (k.clone(), rule_value(r)))
                    .collect(),
            ),
        ));
        attributes.push(("tiers".into(), Value::Map(tiers)));
        attributes.push(("widened".into(), Value::List(widened)));
        push_outcome(&mut attributes, &expansion, &rules.warnings);
        Some(Value::Object(attributes.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &[(&str, Value)]) -> Value {
        let block = AwsSecurityGroupRulesDataSource.schema().block;
        let platform = Value::object([
            ("name", Value::string("kublr")),
            ("version", Value::Null),
            ("options", Value::Null),
        ]);
        let mut attributes = vec![("platform".to_string(), Value::List(vec![platform]))];
        attributes.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        block.complete(Value::Object(attributes.into_iter().collect()))
    }

    #[test]
    fn malformed_prefix_list_ids_are_refused_at_validation_at_their_index() {
        let endpoint = |ids: Vec<Value>| {
            Value::List(vec![Value::object([
                ("name", Value::string("internet")),
                ("prefix_list_ids", Value::List(ids)),
            ])])
        };
        let ids = || {
            vec![
                Value::string("xyz"),
                Value::string("pl-"),
                Value::string("pl-63a5400a"),
                Value::string("pl-ZZZ"),
            ]
        };
        let paths = |diagnostics: &Diagnostics| -> Vec<String> {
            diagnostics
                .errors()
                .map(|d| {
                    d.attribute
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                })
                .collect()
        };
        let expected = [
            "endpoint[0].prefix_list_ids[0]",
            "endpoint[0].prefix_list_ids[1]",
            "endpoint[0].prefix_list_ids[3]",
        ];
        // Known IDs are judged while the rest of the configuration is still unknown...
        let mut with_unknowns = ids();
        with_unknowns.push(Value::unknown());
        let mut diagnostics = Diagnostics::default();
        AwsSecurityGroupRulesDataSource.validate(
            &config(&[
                ("endpoint", endpoint(with_unknowns)),
                (RULES_PER_GROUP, Value::unknown()),
            ]),
            &mut diagnostics,
        );
        assert_eq!(paths(&diagnostics), expected, "{diagnostics:?}");
        let first = diagnostics.errors().next().unwrap();
        assert_eq!(first.summary, "Invalid prefix list ID \"xyz\"");
        assert!(first.detail.contains("\"pl-63a5400a\""), "{}", first.detail);
        // ...and once, not again by the read, when all is known.
        let mut diagnostics = Diagnostics::default();
        let known = config(&[("endpoint", endpoint(ids()))]);
        AwsSecurityGroupRulesDataSource.validate(&known, &mut diagnostics);
        assert_eq!(paths(&diagnostics), expected, "{diagnostics:?}");
    }

    #[test]
    fn result_conforms_to_the_schema_and_keys_are_readable() {
        let mut diagnostics = Diagnostics::default();
        let value = AwsSecurityGroupRulesDataSource
            .read(&config(&[]), &mut diagnostics)
            .expect("rules");
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let block = AwsSecurityGroupRulesDataSource.schema().block;
        let value = block.complete(value);
        crate::cty::encode_msgpack(&block.implied_type(), &value).expect("conforms");
        let ingress = value.get_attr("ingress").and_then(Value::as_map).unwrap();
        let kubelet = &ingress["worker:tcp:10250:master"];
        assert_eq!(
            kubelet.get_attr("source_tier").and_then(Value::as_str),
            Some("master")
        );
        assert_eq!(
            kubelet.get_attr("ip_protocol").and_then(Value::as_str),
            Some("tcp")
        );
    }

    #[test]
    fn a_tight_quota_is_an_error_on_rules_per_group() {
        let mut diagnostics = Diagnostics::default();
        let small = config(&[(RULES_PER_GROUP, Value::number(Number::from(2u64)))]);
        assert!(AwsSecurityGroupRulesDataSource
            .read(&small, &mut diagnostics)
            .is_none());
        let text = format!("{diagnostics:?}");
        assert!(
            text.contains("Security group rule quota exceeded"),
            "{text}"
        );
        assert!(text.contains("kublr ("), "{text}");
        assert!(text.contains("rules_per_group"), "{text}");

        let mut diagnostics = Diagnostics::default();
        let widen = config(&[
            (RULES_PER_GROUP, Value::number(Number::from(4u64))),
            (WIDEN_TO_FIT, Value::Bool(true)),
        ]);
        let outcome = AwsSecurityGroupRulesDataSource.read(&widen, &mut diagnostics);
        let text = format!("{diagnostics:?}");
        assert!(
            outcome.is_some() || text.contains("cannot bring it under the limit"),
            "{text}"
        );
    }

    #[test]
    fn an_impossible_quota_is_refused_during_validation() {
        let mut diagnostics = Diagnostics::default();
        AwsSecurityGroupRulesDataSource.validate(
            &config(&[(RULES_PER_GROUP, Value::number(Number::from(0u64)))]),
            &mut diagnostics,
        );
        assert!(format!("{diagnostics:?}").contains("Invalid rules_per_group"));
    }
}
