//! `portmatrix_openstack_secgroup_rules`: rules for `openstack_networking_secgroup_rule_v2`, keyed for
//! `for_each`, one Neutron security group per tier.

use super::flows::{echo_config, push_outcome, skipped_type, tier_roles, SELECTION_INPUTS};
use super::selection::{self, EndpointKind};
use super::DataSource;
use crate::cty::{CtyType, Number, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::schema::{Attribute, AttributePath, Block, Schema};
use crate::targets::common::{UnsupportedPolicy, Widening};
use crate::targets::openstack::{self, Ethertype, OpenStackOptions, OpenStackPeer, OpenStackRule};
use std::collections::BTreeSet;

/// The `portmatrix_openstack_secgroup_rules` data source.
pub struct OpenStackSecgroupRulesDataSource;

const ETHERTYPES: &str = "ethertypes";
const UNSUPPORTED_FLOWS: &str = "unsupported_flows";

fn rule_type() -> CtyType {
    CtyType::object([
        ("tier", CtyType::String),
        ("direction", CtyType::String),
        ("ethertype", CtyType::String),
        ("protocol", CtyType::String),
        ("port_range_min", CtyType::Number),
        ("port_range_max", CtyType::Number),
        ("remote_tier", CtyType::String),
        ("remote_ip_prefix", CtyType::String),
        ("endpoint", CtyType::String),
        ("description", CtyType::String),
        ("platforms", CtyType::list(CtyType::String)),
        ("purposes", CtyType::list(CtyType::String)),
    ])
}

fn strings(items: &[String]) -> Value {
    Value::List(items.iter().map(Value::string).collect())
}

fn rule_value(rule: &OpenStackRule) -> Value {
    let number = |n: Option<i64>| {
        n.map(|n| Value::number(Number::from(n)))
            .unwrap_or(Value::Null)
    };
    let (remote_tier, remote_ip_prefix, endpoint) = match &rule.peer {
        OpenStackPeer::Tier(tier) => (Value::string(tier), Value::Null, Value::Null),
        OpenStackPeer::Cidr { endpoint, cidr } => {
            (Value::Null, Value::string(cidr), Value::string(endpoint))
        }
    };
    Value::object([
        ("tier", Value::string(&rule.tier)),
        ("direction", Value::string(rule.direction.to_string())),
        ("ethertype", Value::string(rule.ethertype.to_string())),
        ("protocol", Value::string(&rule.protocol)),
        ("port_range_min", number(rule.port_range_min)),
        ("port_range_max", number(rule.port_range_max)),
        ("remote_tier", remote_tier),
        ("remote_ip_prefix", remote_ip_prefix),
        ("endpoint", endpoint),
        ("description", Value::string(&rule.description)),
        ("platforms", strings(&rule.platforms)),
        ("purposes", strings(&rule.purposes)),
    ])
}

fn tier_type() -> CtyType {
    CtyType::object([
        ("ingress", CtyType::Number),
        ("egress", CtyType::Number),
        ("roles", CtyType::list(CtyType::String)),
    ])
}

/// The object type of `widened` entries.
pub fn widened_type() -> CtyType {
    CtyType::object([
        ("rule", CtyType::String),
        ("flow", CtyType::String),
        ("opened", CtyType::String),
    ])
}

/// A `widened` entry.
pub fn widened_value(widening: &Widening) -> Value {
    Value::object([
        ("rule", Value::string(&widening.rule)),
        ("flow", Value::string(&widening.flow)),
        ("opened", Value::string(&widening.opened)),
    ])
}

/// `unsupported_flows` of a configuration: the default when unset or unknown, or the diagnostic for a bad value.
pub fn unsupported_policy(config: &Value) -> Result<UnsupportedPolicy, Diagnostic> {
    match config.get_attr(UNSUPPORTED_FLOWS).and_then(Value::as_str) {
        None => Ok(UnsupportedPolicy::default()),
        Some(text) => text.parse().map_err(|detail: String| {
            Diagnostic::error("Invalid unsupported_flows", capitalized(&detail))
                .at(AttributePath::root().attr(UNSUPPORTED_FLOWS))
        }),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

/// The options of a configuration, or the diagnostics for the known values that are wrong.
fn options(config: &Value) -> Result<OpenStackOptions, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let mut options = OpenStackOptions::default();
    match unsupported_policy(config) {
        Ok(policy) => options.unsupported_flows = policy,
        Err(error) => diagnostics.push(error),
    }
    if let Some(list) = config.get_attr(ETHERTYPES).and_then(Value::as_elements) {
        let mut chosen = BTreeSet::new();
        for (index, element) in list.iter().enumerate() {
            let Some(text) = element.as_str() else {
                continue;
            };
            let path = AttributePath::root().attr(ETHERTYPES).index(index as i64);
            match text.parse::<Ethertype>() {
                Ok(ethertype) if chosen.insert(ethertype) => {}
                Ok(_) => diagnostics.push(
                    Diagnostic::error(
                        "Duplicate ethertype",
                        format!("{text:?} is listed twice; list each ethertype once."),
                    )
                    .at(path),
                ),
                Err(detail) => diagnostics
                    .push(Diagnostic::error("Invalid ethertype", capitalized(&detail)).at(path)),
            }
        }
        if list.is_empty() {
            diagnostics.push(
                Diagnostic::error(
                    "No ethertype",
                    "Rules between tiers need an address family: write [\"IPv4\"], [\"IPv6\"] or both, or leave \
                     ethertypes unset for both.",
                )
                .at(AttributePath::root().attr(ETHERTYPES)),
            );
        }
        if list.iter().all(Value::is_wholly_known) {
            options.ethertypes = chosen;
        }
    }
    if diagnostics.has_errors() {
        Err(diagnostics)
    } else {
        Ok(options)
    }
}

impl DataSource for OpenStackSecgroupRulesDataSource {
    fn type_name(&self) -> &'static str {
        "portmatrix_openstack_secgroup_rules"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "Expands platform port tables into OpenStack Neutron security group rules, one security group per \
             tier, shaped for `openstack_networking_secgroup_rule_v2` with `for_each`. Rules between tiers \
             reference the peer tier's group (`remote_group_id`), once per address family; rules with endpoints \
             use `remote_ip_prefix`, once per CIDR block. Keys are built from tier names, protocols, ports and \
             addresses (never from group IDs), so they are known at plan time.",
        );
        let block = selection::with_tier_selection_inputs(block, EndpointKind::Cidrs)
            .attribute(Attribute::optional(
                ETHERTYPES,
                CtyType::list(CtyType::String),
                "Address families of the rules between tiers: `[\"IPv4\", \"IPv6\"]` (default) or one of them. A \
                 Neutron rule that references a group matches one family only, so each family needs its own rule; \
                 list only the families your servers use to save rules (Neutron's default quota is 100 rules per \
                 project). Rules with endpoints follow the family of each CIDR block.",
            ))
            .attribute(Attribute::optional(
                UNSUPPORTED_FLOWS,
                CtyType::String,
                "What to do with flows the resource cannot write exactly: ICMP type 0 (echo reply), because the \
                 OpenStack provider leaves a `port_range_min` of 0 out of its request (gophercloud issue #1775), \
                 which would admit every type. `\"error\"` (default) fails listing them; `\"widen\"` opens every \
                 ICMP type between the same peers, listed in `widened`; `\"skip\"` leaves them out, listed in \
                 `warnings` (stateful security groups, Neutron's default, pass echo replies to allowed echo \
                 requests anyway).",
            ))
            .attribute(Attribute::computed(
                "ingress",
                CtyType::map(rule_type()),
                "Ingress rules, keyed `tier:ethertype:protocol:ports:peer` (e.g. `master:IPv4:tcp:6443:worker`, \
                 `master:IPv6:tcp:22:admin:2001:db8::/32`). Each goes in the security group of `tier`; its remote \
                 side is the group of `remote_tier` or `remote_ip_prefix` of `endpoint`. `protocol` is `tcp`, \
                 `udp`, `sctp`, `icmp`, `ipv6-icmp` or an IP protocol number (`4` IP-in-IP, `50` ESP; no ports).",
            ))
            .attribute(Attribute::computed(
                "egress",
                CtyType::map(rule_type()),
                "Egress rules, keyed like `ingress`: each goes in the security group of `tier`, towards the group \
                 of `remote_tier` or the endpoint's block. New Neutron groups allow all egress; apply these when \
                 your groups are created with `delete_default_rules = true`.",
            ))
            .attribute(Attribute::computed(
                "tiers",
                CtyType::map(tier_type()),
                "Every tier with its numbers of `ingress` and `egress` rules and the `roles` placed on it.",
            ))
            .attribute(Attribute::computed(
                "widened",
                CtyType::list(widened_type()),
                "Rules wider than the catalogs ask (only with `unsupported_flows = \"widen\"`): the `rule` \
                 (`direction key`), the catalog `flow` it stands for, and what it `opened`.",
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
                "Flows or rules that were not written: an input is missing (an endpoint's addresses, a port \
                 parameter, a role on no tier), a protocol does not exist in the family `ethertypes` allows, or \
                 `unsupported_flows = \"skip\"` left a flow out.",
            ));
        Schema { version: 0, block }
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        if !selection::checked_by_read(self, config, EndpointKind::Cidrs, diagnostics) {
            return;
        }
        if let Err(errors) = options(config) {
            diagnostics.extend(errors);
        }
        selection::validate(config, EndpointKind::Cidrs, diagnostics);
    }

    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<Value> {
        let options = match options(config) {
            Ok(options) => options,
            Err(errors) => {
                diagnostics.extend(errors);
                return None;
            }
        };
        let expansion = selection::expand(config, EndpointKind::Cidrs, diagnostics)?;
        let rules = match openstack::security_group_rules(&expansion, &options) {
            Ok(rules) => rules,
            Err(error) => {
                diagnostics.push(
                    Diagnostic::error(
                        "Flows the OpenStack security group rules cannot express",
                        error.to_string(),
                    )
                    .at(AttributePath::root().attr(UNSUPPORTED_FLOWS)),
                );
                return None;
            }
        };
        let number = |n: usize| Value::number(Number::from(n as u64));
        let tiers = rules
            .tiers
            .iter()
            .map(|(tier, counts)| {
                let roles = tier_roles(&expansion, tier);
                let value = Value::object([
                    ("ingress", number(counts.ingress)),
                    ("egress", number(counts.egress)),
                    ("roles", strings(&roles)),
                ]);
                (tier.clone(), value)
            })
            .collect();
        let map = |rules: &std::collections::BTreeMap<String, OpenStackRule>| {
            Value::Map(
                rules
                    .iter()
                    .map(|(k, r)| (k.clone(), rule_value(r)))
                    .collect(),
            )
        };
        let mut attributes = echo_config(config, &SELECTION_INPUTS);
        attributes.extend(echo_config(config, &[ETHERTYPES, UNSUPPORTED_FLOWS]));
        attributes.push(("ingress".into(), map(&rules.ingress)));
        attributes.push(("egress".into(), map(&rules.egress)));
        attributes.push(("tiers".into(), Value::Map(tiers)));
        attributes.push((
            "widened".into(),
            Value::List(rules.widened.iter().map(widened_value).collect()),
        ));
        push_outcome(&mut attributes, &expansion, &rules.warnings);
        Some(Value::Object(attributes.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(platform: &str, options: &[(&str, &str)], extra: &[(&str, Value)]) -> Value {
        let block = OpenStackSecgroupRulesDataSource.schema().block;
        let options = if options.is_empty() {
            Value::Null
        } else {
            Value::Map(
                options
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::string(*v)))
                    .collect(),
            )
        };
        let platform = Value::object([
            ("name", Value::string(platform)),
            ("version", Value::Null),
            ("options", options),
        ]);
        let mut attributes = vec![("platform".to_string(), Value::List(vec![platform]))];
        attributes.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        block.complete(Value::Object(attributes.into_iter().collect()))
    }

    #[test]
    fn result_conforms_to_the_schema_and_keys_are_readable() {
        let mut diagnostics = Diagnostics::default();
        let value = OpenStackSecgroupRulesDataSource
            .read(
                &config("kublr", &[("cni", "calico")], &[]),
                &mut diagnostics,
            )
            .expect("rules");
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let block = OpenStackSecgroupRulesDataSource.schema().block;
        let value = block.complete(value);
        crate::cty::encode_msgpack(&block.implied_type(), &value).expect("conforms");
        let ingress = value.get_attr("ingress").and_then(Value::as_map).unwrap();
        let kubelet = &ingress["worker:IPv6:tcp:10250:master"];
        assert_eq!(
            kubelet.get_attr("remote_tier").and_then(Value::as_str),
            Some("master")
        );
        assert_eq!(
            kubelet.get_attr("direction").and_then(Value::as_str),
            Some("ingress")
        );
        let ipip = &ingress["worker:IPv4:4:all:master"];
        assert_eq!(ipip.get_attr("port_range_min"), Some(&Value::Null));
    }

    #[test]
    fn icmp_type_zero_is_an_error_on_unsupported_flows() {
        let mut diagnostics = Diagnostics::default();
        let outcome =
            OpenStackSecgroupRulesDataSource.read(&config("cilium", &[], &[]), &mut diagnostics);
        assert!(outcome.is_none());
        let text = format!("{diagnostics:?}");
        assert!(text.contains("icmp type 0"), "{text}");
        assert!(text.contains("unsupported_flows"), "{text}");

        let mut diagnostics = Diagnostics::default();
        let value = OpenStackSecgroupRulesDataSource
            .read(
                &config(
                    "cilium",
                    &[],
                    &[(UNSUPPORTED_FLOWS, Value::string("widen"))],
                ),
                &mut diagnostics,
            )
            .expect("widened");
        let widened = value
            .get_attr("widened")
            .and_then(Value::as_elements)
            .unwrap();
        assert!(!widened.is_empty());
    }

    #[test]
    fn bad_options_are_refused_during_validation() {
        let mut diagnostics = Diagnostics::default();
        OpenStackSecgroupRulesDataSource.validate(
            &config(
                "kublr",
                &[],
                &[
                    (
                        ETHERTYPES,
                        Value::List(vec![Value::string("IPv4"), Value::string("ipv6")]),
                    ),
                    (UNSUPPORTED_FLOWS, Value::string("ignore")),
                ],
            ),
            &mut diagnostics,
        );
        let text = format!("{diagnostics:?}");
        assert!(text.contains("Invalid ethertype"), "{text}");
        assert!(text.contains("Invalid unsupported_flows"), "{text}");
    }
}
