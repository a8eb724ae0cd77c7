//! `portmatrix_hcloud_firewall_rules`: the `rule` blocks of one `hcloud_firewall` per tier.

use super::flows::{echo_config, push_outcome, skipped_type, tier_roles, SELECTION_INPUTS};
use super::selection::{self, EndpointKind};
use super::DataSource;
use crate::cty::{CtyType, Number, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::schema::{Attribute, AttributePath, Block, Schema};
use crate::targets::common::{UnsupportedPolicy, Widening};
use crate::targets::hcloud::{self, Direction, HcloudError, HcloudOptions, HcloudRule, Limit};
use std::collections::BTreeMap;

/// The object type of `widened` entries.
fn widened_type() -> CtyType {
    CtyType::object([
        ("rule", CtyType::String),
        ("flow", CtyType::String),
        ("opened", CtyType::String),
    ])
}

/// A `widened` entry.
fn widened_value(widening: &Widening) -> Value {
    Value::object([
        ("rule", Value::string(&widening.rule)),
        ("flow", Value::string(&widening.flow)),
        ("opened", Value::string(&widening.opened)),
    ])
}

/// `unsupported_flows` of a configuration: the default when unset or unknown, or the diagnostic for a bad value.
fn unsupported_policy(config: &Value) -> Result<UnsupportedPolicy, Diagnostic> {
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

/// The `portmatrix_hcloud_firewall_rules` data source.
pub struct HcloudFirewallRulesDataSource;

const TIER_RANGES: &str = "tier_ranges";
const UNSUPPORTED_FLOWS: &str = "unsupported_flows";
const OUTBOUND_RULES: &str = "outbound_rules";

fn rule_type() -> CtyType {
    CtyType::object([
        ("key", CtyType::String),
        ("direction", CtyType::String),
        ("protocol", CtyType::String),
        ("port", CtyType::String),
        ("source_ips", CtyType::list(CtyType::String)),
        ("destination_ips", CtyType::list(CtyType::String)),
        ("peers", CtyType::list(CtyType::String)),
        ("description", CtyType::String),
        ("platforms", CtyType::list(CtyType::String)),
        ("purposes", CtyType::list(CtyType::String)),
    ])
}

fn firewall_type() -> CtyType {
    CtyType::object([
        ("rules", CtyType::list(rule_type())),
        ("rule_count", CtyType::Number),
        ("effective_rule_count", CtyType::Number),
        ("roles", CtyType::list(CtyType::String)),
    ])
}

fn strings(items: &[String]) -> Value {
    Value::List(items.iter().map(Value::string).collect())
}

fn rule_value(rule: &HcloudRule) -> Value {
    let (source_ips, destination_ips) = match rule.direction {
        Direction::In => (strings(&rule.ips), Value::List(Vec::new())),
        Direction::Out => (Value::List(Vec::new()), strings(&rule.ips)),
    };
    Value::object([
        ("key", Value::string(&rule.key)),
        ("direction", Value::string(rule.direction.to_string())),
        ("protocol", Value::string(rule.protocol.to_string())),
        (
            "port",
            rule.port.as_ref().map(Value::string).unwrap_or(Value::Null),
        ),
        ("source_ips", source_ips),
        ("destination_ips", destination_ips),
        ("peers", strings(&rule.peers)),
        ("description", Value::string(&rule.description)),
        ("platforms", strings(&rule.platforms)),
        ("purposes", strings(&rule.purposes)),
    ])
}

/// The options of a wholly known configuration, or the diagnostic for a bad policy.
fn options(config: &Value) -> Result<HcloudOptions, Diagnostic> {
    let tier_ranges = config
        .get_attr(TIER_RANGES)
        .and_then(Value::as_map)
        .map(|map| {
            map.iter()
                .map(|(tier, list)| {
                    let blocks = list
                        .as_elements()
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|b| b.as_str().map(str::to_string))
                        .collect();
                    (tier.clone(), blocks)
                })
                .collect::<BTreeMap<String, Vec<String>>>()
        })
        .unwrap_or_default();
    Ok(HcloudOptions {
        tier_ranges,
        unsupported_flows: unsupported_policy(config)?,
        outbound_rules: config
            .get_attr(OUTBOUND_RULES)
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// A target error as a diagnostic on the argument that can fix it.
fn diagnostic(error: &HcloudError) -> Diagnostic {
    let root = AttributePath::root();
    match error {
        HcloudError::Option(error) => {
            let mut path = root.attr(error.option);
            if let Some(key) = &error.key {
                path = path.key(key.clone());
            }
            Diagnostic::error(error.summary.clone(), error.detail.clone()).at(path)
        }
        HcloudError::Unsupported(_) | HcloudError::NoWiderRule(_) => {
            Diagnostic::error("Flows Hetzner firewalls cannot express", error.to_string())
                .at(root.attr(UNSUPPORTED_FLOWS))
        }
        HcloudError::Limit(limit) => {
            let (summary, attribute) = match limit.limit {
                Limit::Rules => ("Too many rules for one Hetzner firewall", "tier"),
                Limit::EffectiveRules => (
                    "Too many effective rules for one Hetzner firewall",
                    TIER_RANGES,
                ),
            };
            Diagnostic::error(summary, error.to_string()).at(root.attr(attribute))
        }
    }
}

impl DataSource for HcloudFirewallRulesDataSource {
    fn type_name(&self) -> &'static str {
        "portmatrix_hcloud_firewall_rules"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "Expands platform port tables into Hetzner Cloud firewall rules, one `hcloud_firewall` per tier, as \
             lists for its `rule` blocks. Hetzner rules name their peers by IP address only, so rules between \
             tiers take the tiers' addresses from `tier_ranges`; one rule holds every address allowed the same \
             protocol and port. Rule counts are checked against Hetzner's limits per firewall.",
        );
        let block = selection::with_tier_selection_inputs(block, EndpointKind::Cidrs)
            .attribute(Attribute::optional(
                TIER_RANGES,
                CtyType::map(CtyType::list(CtyType::String)),
                "The CIDR blocks of each tier's servers, as the firewalls see them (for example their public IPv4 \
                 addresses as `/32` blocks, or their IPv6 `/64` networks): `{ master = [\"203.0.113.10/32\"], \
                 worker = [...] }`. Hetzner rules cannot reference other firewalls or label selectors, so every \
                 tier that is a peer of a rule needs its blocks here. Blocks are written as network addresses.",
            ))
            .attribute(Attribute::optional(
                UNSUPPORTED_FLOWS,
                CtyType::String,
                "What to do with flows Hetzner cannot express: ICMP limited to some types (Hetzner `icmp` rules \
                 admit every type) and IP protocols other than tcp, udp, icmp, gre and esp (IP-in-IP `4`, SCTP). \
                 `\"error\"` (default) fails listing them; `\"widen\"` opens every ICMP type, listed in `widened` \
                 (other protocols have no wider rule and still fail); `\"skip\"` leaves them out, listed in \
                 `warnings`, and the firewalls then drop that traffic.",
            ))
            .attribute(Attribute::optional(
                OUTBOUND_RULES,
                CtyType::Bool,
                "`true` also writes `out` rules towards each tier's peers and endpoints. Hetzner allows all \
                 outbound traffic until a firewall has an `out` rule, and then drops every outbound packet no rule \
                 allows: set it only when the catalogs list all the traffic your servers send. Default `false`.",
            ))
            .attribute(Attribute::computed(
                "firewalls",
                CtyType::map(firewall_type()),
                "One entry per tier, for one `hcloud_firewall` each: its `rules` (`in` before `out`, then by \
                 protocol and port), `rule_count`, `effective_rule_count` (one per address of each rule, the \
                 count Hetzner limits to 500), and the `roles` placed on the tier. Each rule has a `key` \
                 `tier:direction:protocol:port` (`#2`, `#3`... when its addresses fill several rules of 100), \
                 `direction` `in` or `out`, `protocol` `tcp`, `udp`, `icmp`, `gre` or `esp`, `port` (`6443`, \
                 `30000-32767`; null for icmp, gre and esp), `source_ips` (for `in`) or `destination_ips` (for \
                 `out`), the `peers` whose addresses these are, `description`, `platforms` and `purposes`.",
            ))
            .attribute(Attribute::computed(
                "widened",
                CtyType::list(widened_type()),
                "Rules wider than the catalogs ask (only with `unsupported_flows = \"widen\"`): the `rule` key, \
                 the catalog `flow` it stands for, and what it `opened`.",
            ))
            .attribute(Attribute::computed(
                "not_needed",
                CtyType::list(skipped_type()),
                "Catalog flows that need no firewall rule, with the `reason` (for example pod traffic inside the \
                 overlay network).",
            ))
            .attribute(Attribute::computed(
                "warnings",
                CtyType::list(CtyType::String),
                "Flows or rules that were not written: an input is missing (an endpoint's addresses, a port \
                 parameter, a role on no tier), a peer has no address of the flow's family, or \
                 `unsupported_flows = \"skip\"` left a flow out. Last, one warning when rules allow private \
                 addresses (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7), naming the tiers \
                 and endpoints they belong to: Hetzner firewalls do not filter traffic over Hetzner private \
                 Networks, so such rules have no effect on it.",
            ));
        Schema { version: 0, block }
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        if !selection::checked_by_read(self, config, EndpointKind::Cidrs, diagnostics) {
            return;
        }
        if let Err(error) = unsupported_policy(config) {
            diagnostics.push(error);
        }
        selection::validate(config, EndpointKind::Cidrs, diagnostics);
    }

    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<Value> {
        let options = match options(config) {
            Ok(options) => options,
            Err(error) => {
                diagnostics.push(error);
                return None;
            }
        };
        let expansion = selection::expand(config, EndpointKind::Cidrs, diagnostics)?;
        let rules = match hcloud::firewall_rules(&expansion, &options) {
            Ok(rules) => rules,
            Err(errors) => {
                for error in &errors {
                    diagnostics.push(diagnostic(error));
                }
                return None;
            }
        };
        let number = |n: usize| Value::number(Number::from(n as u64));
        let firewalls = rules
            .firewalls
            .iter()
            .map(|(tier, firewall)| {
                let roles = tier_roles(&expansion, tier);
                let value = Value::object([
                    (
                        "rules",
                        Value::List(firewall.rules.iter().map(rule_value).collect()),
                    ),
                    ("rule_count", number(firewall.rules.len())),
                    ("effective_rule_count", number(firewall.effective_rules)),
                    ("roles", strings(&roles)),
                ]);
                (tier.clone(), value)
            })
            .collect();
        let mut attributes = echo_config(config, &SELECTION_INPUTS);
        attributes.extend(echo_config(
            config,
            &[TIER_RANGES, UNSUPPORTED_FLOWS, OUTBOUND_RULES],
        ));
        attributes.push(("firewalls".into(), Value::Map(firewalls)));
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

    fn ranges() -> Value {
        Value::Map(
            [
                ("master", "10.0.1.0/24"),
                ("worker", "10.0.2.0/24"),
                ("lb", "10.0.3.0/24"),
            ]
            .into_iter()
            .map(|(tier, block)| (tier.to_string(), Value::List(vec![Value::string(block)])))
            .collect(),
        )
    }

    fn config(options: &[(&str, &str)], extra: &[(&str, Value)]) -> Value {
        let block = HcloudFirewallRulesDataSource.schema().block;
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
            ("name", Value::string("kublr")),
            ("version", Value::Null),
            ("options", options),
        ]);
        let mut attributes = vec![("platform".to_string(), Value::List(vec![platform]))];
        attributes.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        block.complete(Value::Object(attributes.into_iter().collect()))
    }

    #[test]
    fn validation_of_a_known_configuration_finds_what_the_read_refuses_without_its_warnings() {
        let mut ranges = ranges();
        if let Value::Map(map) = &mut ranges {
            map.insert(
                "master".into(),
                Value::List(vec![Value::string("10.0.1.7/24")]),
            );
        }
        let mut diagnostics = Diagnostics::default();
        HcloudFirewallRulesDataSource
            .validate(&config(&[], &[(TIER_RANGES, ranges)]), &mut diagnostics);
        let errors: Vec<_> = diagnostics.errors().collect();
        assert_eq!(errors.len(), 1, "{diagnostics:?}");
        assert_eq!(errors[0].summary, "Invalid range for tier \"master\"");
        assert_eq!(
            errors[0].attribute,
            Some(AttributePath::root().attr(TIER_RANGES).key("master"))
        );
        assert_eq!(
            diagnostics.len(),
            1,
            "no warnings at validation: {diagnostics:?}"
        );
    }

    #[test]
    fn result_conforms_to_the_schema_and_rules_are_per_port() {
        let mut diagnostics = Diagnostics::default();
        let value = HcloudFirewallRulesDataSource
            .read(&config(&[], &[(TIER_RANGES, ranges())]), &mut diagnostics)
            .expect("rules");
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let block = HcloudFirewallRulesDataSource.schema().block;
        let value = block.complete(value);
        crate::cty::encode_msgpack(&block.implied_type(), &value).expect("conforms");
        let master = &value.get_attr("firewalls").and_then(Value::as_map).unwrap()["master"];
        let rules = master
            .get_attr("rules")
            .and_then(Value::as_elements)
            .unwrap();
        let kubelet = rules
            .iter()
            .find(|r| r.get_attr("key").and_then(Value::as_str) == Some("master:in:tcp:10250"))
            .expect("kubelet rule");
        assert_eq!(
            kubelet.get_attr("source_ips"),
            Some(&Value::List(vec![
                Value::string("10.0.1.0/24"),
                Value::string("10.0.2.0/24")
            ]))
        );
        assert_eq!(
            kubelet.get_attr("destination_ips"),
            Some(&Value::List(Vec::new()))
        );
    }

    #[test]
    fn private_tier_ranges_give_one_warning_and_public_ones_none() {
        let warnings = |ranges: Value| -> Vec<String> {
            let mut diagnostics = Diagnostics::default();
            let value = HcloudFirewallRulesDataSource
                .read(&config(&[], &[(TIER_RANGES, ranges)]), &mut diagnostics)
                .expect("rules");
            assert!(!diagnostics.has_errors(), "{diagnostics:?}");
            value
                .get_attr("warnings")
                .and_then(Value::as_elements)
                .unwrap_or_default()
                .iter()
                .filter_map(|w| w.as_str().map(str::to_string))
                .collect()
        };
        let private = warnings(ranges());
        let about_private = |w: &&String| w.contains("private");
        assert_eq!(
            private.iter().filter(about_private).count(),
            1,
            "{private:?}"
        );
        // After the expansion's warnings (Kublr's endpoints without addresses).
        let last = private.last().cloned().unwrap_or_default();
        assert!(
            last.starts_with(
                "Hetzner Cloud Firewalls filter the servers' public interfaces only, not Hetzner private Networks"
            ) && last.contains("tier \"master\" (10.0.1.0/24), tier \"worker\" (10.0.2.0/24)"),
            "{private:?}"
        );
        let public = Value::Map(
            [
                ("master", "203.0.113.0/28"),
                ("worker", "198.51.100.0/24"),
                ("lb", "192.0.2.0/24"),
            ]
            .into_iter()
            .map(|(tier, block)| (tier.to_string(), Value::List(vec![Value::string(block)])))
            .collect(),
        );
        assert_eq!(warnings(public), private[..private.len() - 1]);
    }

    #[test]
    fn errors_point_at_the_argument_that_fixes_them() {
        let mut diagnostics = Diagnostics::default();
        let missing = HcloudFirewallRulesDataSource.read(&config(&[], &[]), &mut diagnostics);
        assert!(missing.is_none());
        let text = format!("{diagnostics:?}");
        assert!(text.contains("has no address ranges"), "{text}");
        assert!(text.contains("tier_ranges"), "{text}");

        let mut diagnostics = Diagnostics::default();
        let ipip = HcloudFirewallRulesDataSource.read(
            &config(&[("cni", "calico")], &[(TIER_RANGES, ranges())]),
            &mut diagnostics,
        );
        assert!(ipip.is_none());
        let text = format!("{diagnostics:?}");
        assert!(text.contains("not IP protocol 4"), "{text}");
        assert!(text.contains("unsupported_flows"), "{text}");

        let mut diagnostics = Diagnostics::default();
        HcloudFirewallRulesDataSource.validate(
            &config(&[], &[(UNSUPPORTED_FLOWS, Value::string("allow"))]),
            &mut diagnostics,
        );
        assert!(format!("{diagnostics:?}").contains("Invalid unsupported_flows"));
    }
}
