//! `portmatrix_flows`: the normalized tier-to-tier flows of a selection, for people and for custom targets.

use super::selection::{self, EndpointKind};
use super::DataSource;
use crate::cty::{CtyType, Number, Value};
use crate::diagnostics::Diagnostics;
use crate::engine::{Expansion, Reason, Rule, RulePorts, SkippedFlow};
use crate::schema::{Attribute, Block, Schema};

/// The `portmatrix_flows` data source.
pub struct FlowsDataSource;

fn strings(items: &[String]) -> Value {
    Value::List(items.iter().map(Value::string).collect())
}

fn reason_type() -> CtyType {
    CtyType::object([
        ("platform", CtyType::String),
        ("versions", CtyType::String),
        ("from_role", CtyType::String),
        ("to_role", CtyType::String),
        ("purpose", CtyType::String),
        ("document", CtyType::String),
        ("url", CtyType::String),
        ("rows", CtyType::list(CtyType::String)),
    ])
}

/// The object type of `reasons` entries, shared with the target data sources.
pub fn reason_value(reason: &Reason) -> Value {
    Value::object([
        ("platform", Value::string(&reason.platform)),
        ("versions", Value::string(&reason.versions)),
        ("from_role", Value::string(&reason.from_role)),
        ("to_role", Value::string(&reason.to_role)),
        ("purpose", Value::string(&reason.purpose)),
        ("document", Value::string(&reason.document)),
        ("url", Value::string(&reason.url)),
        ("rows", strings(&reason.rows)),
    ])
}

fn flow_type() -> CtyType {
    CtyType::object([
        ("key", CtyType::String),
        ("source", CtyType::String),
        ("source_kind", CtyType::String),
        ("destination", CtyType::String),
        ("destination_kind", CtyType::String),
        ("protocol", CtyType::String),
        ("from_port", CtyType::Number),
        ("to_port", CtyType::Number),
        ("icmp_type", CtyType::Number),
        ("ports", CtyType::String),
        ("platforms", CtyType::list(CtyType::String)),
        ("purposes", CtyType::list(CtyType::String)),
        ("reasons", CtyType::list(reason_type())),
    ])
}

/// The object type of `not_needed` entries, shared with the target data sources.
pub fn skipped_type() -> CtyType {
    super::target_rules::cty_type(&crate::targets::target::skipped_shape())
}

/// A `not_needed` entry.
pub fn skipped_value(flow: &SkippedFlow) -> Value {
    Value::object([
        ("platform", Value::string(&flow.platform)),
        ("from_role", Value::string(&flow.from_role)),
        ("to_role", Value::string(&flow.to_role)),
        ("protocol", Value::string(&flow.protocol)),
        ("ports", Value::string(&flow.ports)),
        ("purpose", Value::string(&flow.purpose)),
        ("reason", Value::string(&flow.reason)),
    ])
}

/// The object type of `tiers` entries of `portmatrix_flows`.
fn tier_type() -> CtyType {
    CtyType::object([
        ("name", CtyType::String),
        ("roles", CtyType::list(CtyType::String)),
    ])
}

fn flow_value(rule: &Rule) -> Value {
    let number = |n: Option<i64>| {
        n.map(|n| Value::number(Number::from(n)))
            .unwrap_or(Value::Null)
    };
    let (from_port, to_port, icmp_type) = match rule.ports {
        RulePorts::Range(range) => (Some(i64::from(range.from)), Some(i64::from(range.to)), None),
        RulePorts::IcmpType(t) => (None, None, t.map(i64::from)),
        RulePorts::All => (None, None, None),
    };
    Value::object([
        ("key", Value::string(rule.key())),
        ("source", Value::string(rule.source.name())),
        ("source_kind", Value::string(rule.source.kind())),
        ("destination", Value::string(rule.destination.name())),
        ("destination_kind", Value::string(rule.destination.kind())),
        ("protocol", Value::string(rule.protocol.to_string())),
        ("from_port", number(from_port)),
        ("to_port", number(to_port)),
        ("icmp_type", number(icmp_type)),
        ("ports", Value::string(rule.ports.to_string())),
        ("platforms", strings(&rule.platforms())),
        ("purposes", strings(&rule.purposes())),
        (
            "reasons",
            Value::List(rule.reasons.iter().map(reason_value).collect()),
        ),
    ])
}

/// The attributes and blocks of the configuration, echoed into the result as Terraform requires.
pub fn echo_config(config: &Value, names: &[&str]) -> Vec<(String, Value)> {
    names
        .iter()
        .map(|name| {
            (
                name.to_string(),
                config.get_attr(name).cloned().unwrap_or(Value::Null),
            )
        })
        .collect()
}

/// Appends `not_needed` and `warnings` (the engine's, then the target's) to a target's result.
pub fn push_outcome(
    attributes: &mut Vec<(String, Value)>,
    expansion: &Expansion,
    target_warnings: &[String],
) {
    attributes.push((
        "not_needed".into(),
        Value::List(expansion.not_needed.iter().map(skipped_value).collect()),
    ));
    let warnings: Vec<String> = expansion
        .warnings
        .iter()
        .chain(target_warnings)
        .cloned()
        .collect();
    attributes.push(("warnings".into(), strings(&warnings)));
}

/// The configurable names of the selection inputs.
pub const SELECTION_INPUTS: [&str; 6] = [
    "platform",
    "tier",
    "endpoint",
    "parameters",
    "pod_network",
    "user_catalogs",
];

/// The engine's warnings, then one per endpoint block whose flows have no addresses to use: the rule data
/// sources warn for the rules they cannot write, and the flows a user feeds to a firewall of their own have the
/// same gap.
fn flow_warnings(expansion: &Expansion) -> Vec<String> {
    let mut warnings = expansion.warnings.clone();
    for (name, keys) in expansion.endpoints_without_addresses() {
        warnings.push(format!(
            "endpoint {name:?} has no addresses: its flows {} have no addresses on that side; give the endpoint \
             block cidr_ipv4 or cidr_ipv6, or the tier it runs on",
            keys.join(", ")
        ));
    }
    warnings
}

fn result(config: &Value, expansion: &Expansion) -> Value {
    let mut attributes = echo_config(config, &SELECTION_INPUTS);
    attributes.push((
        "flows".into(),
        Value::List(expansion.rules.iter().map(flow_value).collect()),
    ));
    attributes.push((
        "not_needed".into(),
        Value::List(expansion.not_needed.iter().map(skipped_value).collect()),
    ));
    attributes.push(("warnings".into(), strings(&flow_warnings(expansion))));
    attributes.push((
        "tiers".into(),
        Value::List(
            expansion
                .tiers
                .iter()
                .map(|(name, roles)| {
                    Value::object([("name", Value::string(name)), ("roles", strings(roles))])
                })
                .collect(),
        ),
    ));
    Value::Object(attributes.into_iter().collect())
}

impl DataSource for FlowsDataSource {
    fn type_name(&self) -> &'static str {
        "portmatrix_flows"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "Expands platform port tables into normalized flows between your tiers and endpoints: deduplicated, \
             with touching and overlapping port ranges merged, each with the catalog rows behind it. Use it to \
             review a cluster's network needs or to feed a firewall the provider has no target for.",
        );
        let block = selection::with_tier_selection_inputs(block, EndpointKind::Cidrs)
            .attribute(Attribute::computed(
                "flows",
                CtyType::list(flow_type()),
                "The flows, sorted by destination, source (tiers before endpoints), protocol and ports. `key` is \
                 `source->destination:protocol:ports`. `protocol` is `tcp`, `udp`, `sctp`, `icmp`, `icmpv6` or an IP \
                 protocol number (`4` IP-in-IP, `50` ESP). `from_port`/`to_port` are set for port protocols, \
                 `icmp_type` for ICMP (null: every type). `reasons` lists each catalog flow behind it: platform, \
                 release `versions`, roles, `purpose`, source `document`, `url` and verbatim `rows`.",
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
                "Flows skipped because an input is missing (an endpoint's addresses, a port parameter, a role on no \
                 tier), one line per missing input naming the flows and the fix.",
            ))
            .attribute(Attribute::computed(
                "tiers",
                CtyType::list(tier_type()),
                "Each tier, in your order, with the roles placed on it (`platform/role`).",
            ));
        Schema { version: 0, block }
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        let block = self.schema().block;
        if selection::check_elements(&block, config, EndpointKind::Cidrs, diagnostics) {
            selection::validate(config, EndpointKind::Cidrs, diagnostics);
        }
    }

    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<Value> {
        let expansion = selection::expand(config, EndpointKind::Cidrs, diagnostics)?;
        Some(result(config, &expansion))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::AttributePath;

    fn config(platforms: &[(&str, Option<&str>)], pod_network: Option<&str>) -> Value {
        let block = FlowsDataSource.schema().block;
        let platforms = platforms
            .iter()
            .map(|(name, version)| {
                Value::object([
                    ("name", Value::string(*name)),
                    ("version", version.map(Value::string).unwrap_or(Value::Null)),
                    ("options", Value::Null),
                ])
            })
            .collect();
        block.complete(Value::object([
            ("platform", Value::List(platforms)),
            (
                "pod_network",
                pod_network.map(Value::string).unwrap_or(Value::Null),
            ),
        ]))
    }

    #[test]
    fn reads_a_stack_into_a_value_that_conforms_to_the_schema() {
        let mut diagnostics = Diagnostics::default();
        let value = FlowsDataSource
            .read(
                &config(&[("kubernetes", None), ("calico", None)], None),
                &mut diagnostics,
            )
            .expect("expansion");
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let block = FlowsDataSource.schema().block;
        let complete = block.complete(value);
        crate::cty::encode_msgpack(&block.implied_type(), &complete)
            .expect("conforms to the schema");
        let flows = complete
            .get_attr("flows")
            .and_then(Value::as_elements)
            .unwrap();
        let ipip = flows
            .iter()
            .find(|f| f.get_attr("key").and_then(Value::as_str) == Some("worker->master:4:all"))
            .expect("IP-in-IP from workers to masters");
        assert_eq!(ipip.get_attr("from_port"), Some(&Value::Null));
    }

    #[test]
    fn bad_selection_points_at_the_block_attribute() {
        let mut diagnostics = Diagnostics::default();
        FlowsDataSource.validate(
            &config(&[("longhorn", Some("0.9"))], Some("tunnel")),
            &mut diagnostics,
        );
        let text = format!("{diagnostics:?}");
        assert!(text.contains("Invalid pod_network"), "{text}");
        // A version no release covers is the expansion's to find: the read (during plan) reports it.
        let config = config(&[("longhorn", Some("0.9"))], None);
        let mut diagnostics = Diagnostics::default();
        FlowsDataSource.validate(&config, &mut diagnostics);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert!(FlowsDataSource.read(&config, &mut diagnostics).is_none());
        let text = format!("{diagnostics:?}");
        assert!(text.contains("Unsupported version"), "{text}");
        assert!(text.contains("platform"), "{text}");
    }

    #[test]
    fn a_version_above_the_newest_read_is_a_warning_at_its_attribute() {
        let config = config(&[("kubernetes", None), ("longhorn", Some("2.0"))], None);
        let mut diagnostics = Diagnostics::default();
        FlowsDataSource.validate(&config, &mut diagnostics);
        assert!(
            diagnostics.is_empty(),
            "validation reports no warning: {diagnostics:?}"
        );
        let value = FlowsDataSource
            .read(&config, &mut diagnostics)
            .expect("the 1.5+ table answers for 2.0");
        let warnings: Vec<_> = diagnostics.iter().collect();
        assert_eq!(warnings.len(), 1, "{diagnostics:?}");
        assert!(!warnings[0].is_error());
        assert_eq!(
            warnings[0].attribute,
            Some(
                AttributePath::root()
                    .attr("platform")
                    .index(1)
                    .attr("version")
            )
        );
        assert_eq!(
            warnings[0].detail,
            "longhorn 2.0.0 is newer than the newest version whose documentation was read (1.13); the table of \
             longhorn >=1.5.0 (longhorn-1.5.toml) is used as read up to 1.13: compare the upstream page of 2.0.0 \
             before relying on it"
        );
        let listed = format!("{:?}", value.get_attr("warnings"));
        assert!(listed.contains("longhorn 2.0.0 is newer"), "{listed}");

        let mut diagnostics = Diagnostics::default();
        FlowsDataSource.read(
            &self::config(&[("longhorn", Some("1.13.2"))], None),
            &mut diagnostics,
        );
        assert!(diagnostics.is_empty(), "1.13 was read: {diagnostics:?}");
    }

    #[test]
    fn an_endpoint_without_addresses_is_a_warning_as_in_the_rule_data_sources() {
        let block = FlowsDataSource.schema().block;
        let endpoint = Value::List(vec![Value::object([(
            "name",
            Value::string("backupstore"),
        )])]);
        let config = selection::test_config(
            &block,
            &[("longhorn", &[])],
            &[
                ("endpoint", endpoint),
                (
                    "parameters",
                    Value::Map(
                        [(
                            "backupstore_port".to_string(),
                            Value::number(Number::from(9000u64)),
                        )]
                        .into_iter()
                        .collect(),
                    ),
                ),
            ],
        );
        let mut diagnostics = Diagnostics::default();
        let value = FlowsDataSource
            .read(&config, &mut diagnostics)
            .expect("flows");
        let warnings: Vec<&str> = value
            .get_attr("warnings")
            .and_then(Value::as_elements)
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .filter(|w| w.starts_with("endpoint \"backupstore\" has no addresses"))
            .collect();
        assert_eq!(warnings.len(), 1, "{value:?}");
        assert!(
            warnings[0].contains("->backupstore:tcp:9000"),
            "names the flows: {}",
            warnings[0]
        );
        assert!(
            warnings[0].contains("cidr_ipv4 or cidr_ipv6"),
            "{}",
            warnings[0]
        );
    }

    #[test]
    fn null_elements_are_errors_naming_their_path() {
        let block = FlowsDataSource.schema().block;
        let endpoint = Value::List(vec![Value::object([
            ("name", Value::string("backupstore")),
            (
                "cidr_ipv4",
                Value::List(vec![Value::string("10.9.0.0/16"), Value::Null]),
            ),
        ])]);
        let config = selection::test_config(
            &block,
            &[("longhorn", &[]), ("calico", &[("encapsulation", "vxlan")])],
            &[
                ("endpoint", endpoint),
                ("user_catalogs", Value::List(vec![Value::Null])),
            ],
        );
        let mut config = config;
        if let Value::Object(attributes) = &mut config {
            if let Some(Value::List(platforms)) = attributes.get_mut("platform") {
                if let Value::Object(calico) = &mut platforms[1] {
                    calico.insert(
                        "options".into(),
                        Value::Map(
                            [("encapsulation".to_string(), Value::Null)]
                                .into_iter()
                                .collect(),
                        ),
                    );
                }
            }
        }
        let mut diagnostics = Diagnostics::default();
        FlowsDataSource.validate(&config, &mut diagnostics);
        let paths: Vec<String> = diagnostics
            .errors()
            .map(|d| {
                d.attribute
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            })
            .collect();
        for expected in [
            "endpoint[0].cidr_ipv4[1]",
            "platform[1].options[\"encapsulation\"]",
            "user_catalogs[0]",
        ] {
            assert!(
                paths.iter().any(|p| p == expected),
                "{expected} in {paths:?}"
            );
        }
    }
}
