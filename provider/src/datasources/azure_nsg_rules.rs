//! `portmatrix_azure_nsg_rules`: rules for `azurerm_network_security_rule`, keyed by rule name for `for_each`,
//! one application security group per tier and deterministic priorities.

use super::flows::{echo_config, push_outcome, skipped_type, tier_roles, SELECTION_INPUTS};
use super::selection::{self, EndpointKind};
use super::unsupported::{
    option_diagnostic, policy, strings, strings_or_null, unsupported_flows_attribute,
    widened_attribute, widened_value, UNSUPPORTED_FLOWS,
};
use super::DataSource;
use crate::cty::{CtyType, Number, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::schema::{Attribute, AttributePath, Block, Schema};
use crate::targets::azure::{
    self, AzureError, AzureOptions, AzureRule, Side, MAX_PRIORITY, MIN_PRIORITY,
};
use crate::targets::common::check_name_prefix;

/// The `portmatrix_azure_nsg_rules` data source.
pub struct AzureNsgRulesDataSource;

const NAME_PREFIX: &str = "name_prefix";
const NSG_PER_TIER: &str = "nsg_per_tier";
const FIRST_PRIORITY: &str = "first_priority";
const LAST_PRIORITY: &str = "last_priority";

const OPTIONS: [&str; 5] = [
    NAME_PREFIX,
    NSG_PER_TIER,
    FIRST_PRIORITY,
    LAST_PRIORITY,
    UNSUPPORTED_FLOWS,
];

fn rule_type() -> CtyType {
    let strings = || CtyType::list(CtyType::String);
    CtyType::object([
        ("name", CtyType::String),
        ("tier", CtyType::String),
        ("direction", CtyType::String),
        ("priority", CtyType::Number),
        ("protocol", CtyType::String),
        ("destination_port_range", CtyType::String),
        ("destination_port_ranges", strings()),
        ("source_tier", CtyType::String),
        ("source_endpoint", CtyType::String),
        ("source_address_prefixes", strings()),
        ("destination_tier", CtyType::String),
        ("destination_endpoint", CtyType::String),
        ("destination_address_prefixes", strings()),
        ("description", CtyType::String),
        ("platforms", strings()),
        ("purposes", strings()),
    ])
}

/// (tier, endpoint, prefixes) of one side, nulls where they do not apply.
fn side_values(side: &Side) -> (Value, Value, Value) {
    match side {
        Side::Tier(tier) => (Value::string(tier), Value::Null, Value::Null),
        Side::Prefixes { endpoint, prefixes } => {
            (Value::Null, Value::string(endpoint), strings(prefixes))
        }
    }
}

fn rule_value(rule: &AzureRule) -> Value {
    let (source_tier, source_endpoint, source_prefixes) = side_values(&rule.source);
    let (destination_tier, destination_endpoint, destination_prefixes) =
        side_values(&rule.destination);
    let every_port = if rule.destination_ports.is_empty() {
        Value::string("*")
    } else {
        Value::Null
    };
    Value::object([
        ("name", Value::string(&rule.name)),
        ("tier", Value::string(&rule.tier)),
        ("direction", Value::string(rule.direction.to_string())),
        ("priority", Value::number(Number::from(rule.priority))),
        ("protocol", Value::string(rule.protocol.as_str())),
        ("destination_port_range", every_port),
        (
            "destination_port_ranges",
            strings_or_null(&rule.destination_ports),
        ),
        ("source_tier", source_tier),
        ("source_endpoint", source_endpoint),
        ("source_address_prefixes", source_prefixes),
        ("destination_tier", destination_tier),
        ("destination_endpoint", destination_endpoint),
        ("destination_address_prefixes", destination_prefixes),
        ("description", Value::string(&rule.description)),
        ("platforms", strings(&rule.platforms)),
        ("purposes", strings(&rule.purposes)),
    ])
}

fn tier_type() -> CtyType {
    CtyType::object([
        ("inbound_rules", CtyType::Number),
        ("outbound_rules", CtyType::Number),
        ("roles", CtyType::list(CtyType::String)),
    ])
}

/// The Azure options of a configuration; only known values are checked, so validation can call it early.
fn options(config: &Value) -> Result<AzureOptions, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let defaults = AzureOptions::default();
    let name_prefix = config
        .get_attr(NAME_PREFIX)
        .and_then(Value::as_str)
        .unwrap_or(&defaults.name_prefix)
        .to_string();
    if let Err(error) = check_name_prefix(NAME_PREFIX, &name_prefix, azure::MAX_PREFIX) {
        errors.push(option_diagnostic(&error));
    }
    let mut priority = |name: &str, default: u16| match config
        .get_attr(name)
        .and_then(Value::as_number)
    {
        None => default,
        Some(n) => match n.as_u64().and_then(|n| u16::try_from(n).ok()) {
            Some(p) if (MIN_PRIORITY..=MAX_PRIORITY).contains(&p) => p,
            _ => {
                errors.push(
                    Diagnostic::error(
                        format!("Invalid {name}"),
                        format!(
                            "{n} is not an NSG rule priority: give a whole number from {MIN_PRIORITY} to \
                             {MAX_PRIORITY}."
                        ),
                    )
                    .at(AttributePath::root().attr(name)),
                );
                default
            }
        },
    };
    let first_priority = priority(FIRST_PRIORITY, defaults.first_priority);
    let last_priority = priority(LAST_PRIORITY, defaults.last_priority);
    let unsupported_flows = policy(config).unwrap_or_else(|error| {
        errors.push(error);
        defaults.unsupported_flows
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    let platform_order = config
        .get_attr("platform")
        .and_then(Value::as_elements)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.get_attr("name").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    Ok(AzureOptions {
        name_prefix,
        nsg_per_tier: config
            .get_attr(NSG_PER_TIER)
            .and_then(Value::as_bool)
            .unwrap_or(false),
        first_priority,
        last_priority,
        unsupported_flows,
        platform_order,
    })
}

impl DataSource for AzureNsgRulesDataSource {
    fn type_name(&self) -> &'static str {
        "portmatrix_azure_nsg_rules"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "Expands platform port tables into Azure network security rules for `azurerm_network_security_rule` \
             with `for_each`: one rule per direction, source, destination and protocol, holding every destination \
             port range. Each tier is an application security group; endpoints are address prefixes, one address \
             family per rule. Priorities are derived from a stable hash of each rule, so adding a platform keeps \
             the priorities of the rules already there. Keys are the rule names, known at plan time.",
        );
        let block = selection::with_tier_selection_inputs(block, EndpointKind::Cidrs)
            .attribute(Attribute::optional(
                NAME_PREFIX,
                CtyType::String,
                "Prefix of every rule name (default `pm-`): 1 to 20 characters, a lower-case letter first, then \
                 lower-case letters, digits and `-`. Names read \
                 `<prefix><in|out>-<source>-to-<destination>-<protocol>[-v6]`; a name over Azure's 80 characters \
                 (or clashing with another) is cut and ends with 8 hex digits of a stable hash.",
            ))
            .attribute(Attribute::optional(
                NSG_PER_TIER,
                CtyType::Bool,
                "`false` (default): every rule goes in one network security group shared by the cluster (on its \
                 subnet or its network interfaces), tiers told apart by their application security groups. \
                 `true`: each tier has its own NSG, holding the `Inbound` rules whose `tier` is the destination and \
                 the `Outbound` rules whose `tier` is the source; priorities are then unique per tier's NSG.",
            ))
            .attribute(Attribute::optional(
                FIRST_PRIORITY,
                CtyType::Number,
                "Lowest priority to use (default 100, Azure's lowest). Rules of your own with lower numbers win over \
                 these.",
            ))
            .attribute(Attribute::optional(
                LAST_PRIORITY,
                CtyType::Number,
                "Highest priority to use (default 4096, Azure's highest). Set 4095 to keep 4096 for a deny-all rule \
                 of your own. Each rule takes the priority its identity (direction, source, destination, protocol, \
                 address family) hashes to within `first_priority`..`last_priority`, or the next free one; rules \
                 are placed in the order of their first platform in your `platform` blocks, so a platform block \
                 appended later never renumbers existing rules. The hash spreads rules over the range, leaving room \
                 for new ones; reordering platform blocks or changing the range may move rules whose hashes \
                 collide.",
            ))
            .attribute(unsupported_flows_attribute(
                "Azure rules take the protocols Tcp, Udp, Icmp, Esp, Ah and `*` only, so IP-in-IP (IP protocol 4, \
                 Calico's default encapsulation), GRE, SCTP, ICMPv6 and other IP protocols have no exact rule; and \
                 they cannot match ICMP types (Cilium's ping asks for types 0 and 8).",
                "every ICMP type for typed ICMP; for the rest a protocol `*` rule, every protocol and port between \
                 the same tiers, much wider than the flow",
            ))
            .attribute(Attribute::computed(
                "rules",
                CtyType::map(rule_type()),
                "Security rules keyed by `name`, e.g. `pm-in-worker-to-master-tcp`, `pm-out-master-to-internet-udp`, \
                 `pm-in-clients-to-worker-tcp-v6`. `tier` is the tier the rule protects (the destination of \
                 `Inbound` rules, the source of `Outbound` ones; with `nsg_per_tier`, whose NSG holds it). \
                 `protocol` is `Tcp`, `Udp`, `Icmp`, `Esp`, `Ah` or `*`. `destination_port_ranges` lists ports and \
                 ranges (`\"6443\"`, `\"30000-32767\"`); when the rule covers every port it is null and \
                 `destination_port_range` is `\"*\"`. Each side is a tier's application security group \
                 (`source_tier`, `destination_tier`) or an endpoint's `*_address_prefixes` of one address family; \
                 fields that do not apply are null. `priority` is unique per NSG and direction; `description` fits \
                 Azure's 140 characters.",
            ))
            .attribute(Attribute::computed(
                "tiers",
                CtyType::map(tier_type()),
                "Every tier, one application security group each, with its numbers of `inbound_rules` and \
                 `outbound_rules` and the `roles` placed on it.",
            ))
            .attribute(widened_attribute())
            .attribute(Attribute::computed(
                "not_needed",
                CtyType::list(skipped_type()),
                "Catalog flows that need no security rule, with the `reason` (for example pod traffic inside the \
                 overlay network).",
            ))
            .attribute(Attribute::computed(
                "warnings",
                CtyType::list(CtyType::String),
                "Flows or rules that were not written: a missing input (an endpoint's addresses, a port parameter, \
                 a role on no tier) or a flow left out by `unsupported_flows = \"skip\"`, naming the fix.",
            ));
        Schema { version: 0, block }
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        if !selection::checked_by_read(self, config, EndpointKind::Cidrs, diagnostics) {
            return;
        }
        let known = [
            NAME_PREFIX,
            FIRST_PRIORITY,
            LAST_PRIORITY,
            UNSUPPORTED_FLOWS,
        ]
        .iter()
        .all(|name| config.get_attr(name).is_none_or(Value::is_wholly_known));
        if known {
            if let Err(errors) = options(config) {
                diagnostics.extend(errors);
            }
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
        let set = match azure::security_rules(&expansion, &options) {
            Ok(set) => set,
            Err(errors) => {
                for error in errors {
                    diagnostics.push(match &error {
                        AzureError::Option(option) => option_diagnostic(option),
                        AzureError::Unsupported(unsupported) => Diagnostic::error(
                            "Flows Azure network security rules cannot express",
                            unsupported.to_string(),
                        )
                        .at(AttributePath::root().attr(UNSUPPORTED_FLOWS)),
                    });
                }
                return None;
            }
        };
        let number = |n: usize| Value::number(Number::from(n as u64));
        let tiers = set
            .tiers
            .iter()
            .map(|(name, counts)| {
                let roles = tier_roles(&expansion, name);
                let value = Value::object([
                    ("inbound_rules", number(counts.inbound)),
                    ("outbound_rules", number(counts.outbound)),
                    ("roles", strings(&roles)),
                ]);
                (name.clone(), value)
            })
            .collect();
        let mut attributes = echo_config(config, &SELECTION_INPUTS);
        attributes.extend(echo_config(config, &OPTIONS));
        attributes.push((
            "rules".into(),
            Value::Map(
                set.rules
                    .iter()
                    .map(|(k, r)| (k.clone(), rule_value(r)))
                    .collect(),
            ),
        ));
        attributes.push(("tiers".into(), Value::Map(tiers)));
        attributes.push(("widened".into(), widened_value(&set.widened)));
        push_outcome(&mut attributes, &expansion, &set.warnings);
        Some(Value::Object(attributes.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(platforms: &[(&str, &[(&str, &str)])], extra: &[(&str, Value)]) -> Value {
        selection::test_config(&AzureNsgRulesDataSource.schema().block, platforms, extra)
    }

    #[test]
    fn result_conforms_to_the_schema_and_every_port_reads_star() {
        let mut diagnostics = Diagnostics::default();
        let value = AzureNsgRulesDataSource
            .read(&config(&[("deckhouse", &[])], &[]), &mut diagnostics)
            .expect("rules");
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let block = AzureNsgRulesDataSource.schema().block;
        let value = block.complete(value);
        crate::cty::encode_msgpack(&block.implied_type(), &value).expect("conforms");
        let rules = value.get_attr("rules").and_then(Value::as_map).unwrap();
        let icmp = &rules["pm-in-worker-to-master-icmp"];
        assert_eq!(
            icmp.get_attr("protocol").and_then(Value::as_str),
            Some("Icmp")
        );
        assert_eq!(
            icmp.get_attr("destination_port_range")
                .and_then(Value::as_str),
            Some("*")
        );
        assert_eq!(icmp.get_attr("destination_port_ranges"), Some(&Value::Null));
        assert_eq!(
            icmp.get_attr("source_tier").and_then(Value::as_str),
            Some("worker")
        );
        assert_eq!(icmp.get_attr("source_address_prefixes"), Some(&Value::Null));
    }

    #[test]
    fn ip_in_ip_is_an_error_on_unsupported_flows_and_bad_priorities_are_refused_early() {
        let mut diagnostics = Diagnostics::default();
        let calico = config(&[("kublr", &[("cni", "calico")])], &[]);
        assert!(AzureNsgRulesDataSource
            .read(&calico, &mut diagnostics)
            .is_none());
        let text = format!("{diagnostics:?}");
        assert!(
            text.contains("Flows Azure network security rules cannot express")
                && text.contains("Calico IP-in-IP"),
            "{text}"
        );

        let mut diagnostics = Diagnostics::default();
        AzureNsgRulesDataSource.validate(
            &config(
                &[("kublr", &[])],
                &[(FIRST_PRIORITY, Value::number(Number::from(50u64)))],
            ),
            &mut diagnostics,
        );
        assert!(format!("{diagnostics:?}").contains("Invalid first_priority"));
    }
}
