//! `portmatrix_gcp_firewall_rules`: rules for `google_compute_firewall`, keyed by rule name for `for_each`, one
//! network tag (or service account) per tier.

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
use crate::targets::common::check_name_prefix;
use crate::targets::gcp::{self, GcpError, GcpOptions, GcpRule};
use std::collections::BTreeMap;

/// The `portmatrix_gcp_firewall_rules` data source.
pub struct GcpFirewallRulesDataSource;

const NAME_PREFIX: &str = "name_prefix";
const TAG_PREFIX: &str = "tag_prefix";
const SERVICE_ACCOUNTS: &str = "service_accounts";
const TIER_RANGES: &str = "tier_ranges";
const PRIORITY: &str = "priority";

const OPTIONS: [&str; 6] = [
    NAME_PREFIX,
    TAG_PREFIX,
    SERVICE_ACCOUNTS,
    TIER_RANGES,
    PRIORITY,
    UNSUPPORTED_FLOWS,
];

fn allow_type() -> CtyType {
    CtyType::object([
        ("protocol", CtyType::String),
        ("ports", CtyType::list(CtyType::String)),
    ])
}

fn rule_type() -> CtyType {
    let strings = || CtyType::list(CtyType::String);
    CtyType::object([
        ("name", CtyType::String),
        ("direction", CtyType::String),
        ("priority", CtyType::Number),
        ("source", CtyType::String),
        ("source_kind", CtyType::String),
        ("destination", CtyType::String),
        ("destination_kind", CtyType::String),
        ("target_tags", strings()),
        ("target_service_accounts", strings()),
        ("source_tags", strings()),
        ("source_service_accounts", strings()),
        ("source_ranges", strings()),
        ("destination_ranges", strings()),
        ("allow", CtyType::list(allow_type())),
        ("description", CtyType::String),
        ("platforms", strings()),
        ("purposes", strings()),
    ])
}

fn rule_value(rule: &GcpRule) -> Value {
    let allow = rule
        .allow
        .iter()
        .map(|a| {
            Value::object([
                ("protocol", Value::string(&a.protocol)),
                ("ports", strings_or_null(&a.ports)),
            ])
        })
        .collect();
    Value::object([
        ("name", Value::string(&rule.name)),
        ("direction", Value::string(rule.direction.to_string())),
        ("priority", Value::number(Number::from(rule.priority))),
        ("source", Value::string(rule.source.name())),
        ("source_kind", Value::string(rule.source.kind())),
        ("destination", Value::string(rule.destination.name())),
        ("destination_kind", Value::string(rule.destination.kind())),
        ("target_tags", strings_or_null(&rule.target_tags)),
        (
            "target_service_accounts",
            strings_or_null(&rule.target_service_accounts),
        ),
        ("source_tags", strings_or_null(&rule.source_tags)),
        (
            "source_service_accounts",
            strings_or_null(&rule.source_service_accounts),
        ),
        ("source_ranges", strings_or_null(&rule.source_ranges)),
        (
            "destination_ranges",
            strings_or_null(&rule.destination_ranges),
        ),
        ("allow", Value::List(allow)),
        ("description", Value::string(&rule.description)),
        ("platforms", strings(&rule.platforms)),
        ("purposes", strings(&rule.purposes)),
    ])
}

fn tier_type() -> CtyType {
    CtyType::object([
        ("network_tag", CtyType::String),
        ("service_account", CtyType::String),
        ("ranges", CtyType::list(CtyType::String)),
        ("roles", CtyType::list(CtyType::String)),
    ])
}

fn text_map(config: &Value, name: &str) -> BTreeMap<String, String> {
    config
        .get_attr(name)
        .and_then(Value::as_map)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn list_map(config: &Value, name: &str) -> BTreeMap<String, Vec<String>> {
    config
        .get_attr(name)
        .and_then(Value::as_map)
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    let items = v
                        .as_elements()
                        .unwrap_or_default()
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect();
                    (k.clone(), items)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The GCP options of a configuration; only known values are checked, so validation can call it early.
fn options(config: &Value) -> Result<GcpOptions, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let defaults = GcpOptions::default();
    let text = |name: &str, default: &str| {
        config
            .get_attr(name)
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_string()
    };
    let name_prefix = text(NAME_PREFIX, &defaults.name_prefix);
    if let Err(error) = check_name_prefix(NAME_PREFIX, &name_prefix, gcp::MAX_PREFIX) {
        errors.push(option_diagnostic(&error));
    }
    let priority = match config.get_attr(PRIORITY).and_then(Value::as_number) {
        None => defaults.priority,
        Some(n) => match n.as_u64().and_then(|n| u16::try_from(n).ok()) {
            Some(p) => p,
            None => {
                errors.push(
                    Diagnostic::error(
                        "Invalid priority",
                        format!("{n} is not a GCP rule priority: give a whole number from 0 to 65535 (GCP's default is 1000)."),
                    )
                    .at(AttributePath::root().attr(PRIORITY)),
                );
                defaults.priority
            }
        },
    };
    let unsupported_flows = policy(config).unwrap_or_else(|error| {
        errors.push(error);
        defaults.unsupported_flows
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(GcpOptions {
        name_prefix,
        tag_prefix: text(TAG_PREFIX, &defaults.tag_prefix),
        service_accounts: text_map(config, SERVICE_ACCOUNTS),
        tier_ranges: list_map(config, TIER_RANGES),
        priority,
        unsupported_flows,
    })
}

impl DataSource for GcpFirewallRulesDataSource {
    fn type_name(&self) -> &'static str {
        "portmatrix_gcp_firewall_rules"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "Expands platform port tables into GCP VPC firewall rules for `google_compute_firewall` with \
             `for_each`: one rule per direction, source and destination, holding an `allow` block per protocol with \
             its ports. Each tier is a network tag (or a service account); endpoints are CIDR ranges, one address \
             family per rule. Keys are the rule names, built from the tier and endpoint names, so they are known at \
             plan time.",
        );
        let block = selection::with_tier_selection_inputs(block, EndpointKind::Cidrs)
            .attribute(Attribute::optional(
                NAME_PREFIX,
                CtyType::String,
                "Prefix of every rule name (default `pm-`): 1 to 20 characters, a lower-case letter first, then \
                 lower-case letters, digits and `-`. Names read `<prefix><in|eg>-<source>-to-<destination>[-v6]`; \
                 a name over GCP's 63 characters (or clashing with another) is cut and ends with 8 hex digits of a \
                 stable hash. Firewall rule names are unique per project: give each cluster its own prefix.",
            ))
            .attribute(Attribute::optional(
                TAG_PREFIX,
                CtyType::String,
                "Prefix of each tier's network tag (default `pm-`): tier `master` is tagged `pm-master`, `_` in a \
                 tier name becomes `-`. Put each tier's tag (see `tiers`) on its instances.",
            ))
            .attribute(Attribute::optional(
                SERVICE_ACCOUNTS,
                CtyType::map(CtyType::String),
                "Service account e-mail per tier. When set, rules name tiers by `target_service_accounts` and \
                 `source_service_accounts` instead of network tags; every tier then needs one, because a GCP rule \
                 cannot mix the two.",
            ))
            .attribute(Attribute::optional(
                TIER_RANGES,
                CtyType::map(CtyType::list(CtyType::String)),
                "CIDR blocks of each tier's instances (IPv4 and IPv6 may be mixed; rules are split by family), used \
                 as `destination_ranges` of egress rules between tiers: GCP egress rules cannot name tags or \
                 service accounts as destinations. Egress rules towards a tier without ranges are not written and \
                 one warning says so; GCP allows all egress unless a rule of yours denies it.",
            ))
            .attribute(Attribute::optional(
                PRIORITY,
                CtyType::Number,
                "Priority of every rule, 0 to 65535 (default 1000, GCP's default). Lower numbers win; deny rules of \
                 your own need a lower number to override these.",
            ))
            .attribute(unsupported_flows_attribute(
                "GCP rules cannot match ICMP types (Cilium's ping asks for types 0 and 8) and take ports for tcp \
                 and udp only (SCTP flows with ports).",
                "every ICMP type; every SCTP port",
            ))
            .attribute(Attribute::computed(
                "rules",
                CtyType::map(rule_type()),
                "Firewall rules keyed by `name`, e.g. `pm-in-worker-to-master`, `pm-in-clients-to-worker-v6`, \
                 `pm-eg-master-to-internet`. `direction` is `INGRESS` or `EGRESS`. Ingress rules target the \
                 destination tier (`target_tags` or `target_service_accounts`) and name the source by \
                 `source_tags`, `source_service_accounts` or `source_ranges`; egress rules target the source tier \
                 and name the destination by `destination_ranges`. Unused lists are null. `allow` lists one \
                 protocol each (`tcp`, `udp`, `icmp`, `sctp`, `ipip` for IP-in-IP, `esp`, `ah`, `58` for ICMPv6, or \
                 another IP protocol number) with `ports` for tcp and udp (`\"6443\"`, `\"30000-32767\"`), null \
                 for the whole protocol. `source`/`destination` name the tier or endpoint, `*_kind` says which.",
            ))
            .attribute(Attribute::computed(
                "tiers",
                CtyType::map(tier_type()),
                "Every tier with its `network_tag` (null when service accounts are used), `service_account`, \
                 `ranges` from `tier_ranges` and the `roles` placed on it.",
            ))
            .attribute(widened_attribute())
            .attribute(Attribute::computed(
                "not_needed",
                CtyType::list(skipped_type()),
                "Catalog flows that need no firewall rule, with the `reason` (for example pod traffic inside the \
                 overlay network).",
            ))
            .attribute(Attribute::computed(
                "warnings",
                CtyType::list(CtyType::String),
                "Flows or rules that were not written: a missing input (an endpoint's addresses, a port parameter, \
                 a role on no tier, a tier's ranges for egress) or a flow left out by `unsupported_flows = \
                 \"skip\"`, naming the fix.",
            ));
        Schema { version: 0, block }
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        if !selection::checked_by_read(self, config, EndpointKind::Cidrs, diagnostics) {
            return;
        }
        let known = [NAME_PREFIX, PRIORITY, UNSUPPORTED_FLOWS]
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
        let set = match gcp::firewall_rules(&expansion, &options) {
            Ok(set) => set,
            Err(errors) => {
                for error in errors {
                    diagnostics.push(match &error {
                        GcpError::Option(option) => option_diagnostic(option),
                        GcpError::Unsupported(unsupported) => Diagnostic::error(
                            "Flows GCP firewall rules cannot express",
                            unsupported.to_string(),
                        )
                        .at(AttributePath::root().attr(UNSUPPORTED_FLOWS)),
                    });
                }
                return None;
            }
        };
        let text = |s: &Option<String>| s.as_ref().map(Value::string).unwrap_or(Value::Null);
        let tiers = set
            .tiers
            .iter()
            .map(|(name, tier)| {
                let roles = tier_roles(&expansion, name);
                let value = Value::object([
                    ("network_tag", text(&tier.network_tag)),
                    ("service_account", text(&tier.service_account)),
                    ("ranges", strings(&tier.ranges)),
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
        selection::test_config(&GcpFirewallRulesDataSource.schema().block, platforms, extra)
    }

    #[test]
    fn result_conforms_to_the_schema_and_names_are_keys() {
        let mut diagnostics = Diagnostics::default();
        let value = GcpFirewallRulesDataSource
            .read(
                &config(&[("kublr", &[("cni", "calico")])], &[]),
                &mut diagnostics,
            )
            .expect("rules");
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let block = GcpFirewallRulesDataSource.schema().block;
        let value = block.complete(value);
        crate::cty::encode_msgpack(&block.implied_type(), &value).expect("conforms");
        let rules = value.get_attr("rules").and_then(Value::as_map).unwrap();
        let inbound = &rules["pm-in-worker-to-master"];
        assert_eq!(
            inbound.get_attr("name").and_then(Value::as_str),
            Some("pm-in-worker-to-master")
        );
        assert_eq!(
            inbound.get_attr("direction").and_then(Value::as_str),
            Some("INGRESS")
        );
        assert_eq!(inbound.get_attr("source_ranges"), Some(&Value::Null));
        let protocols: Vec<&str> = inbound
            .get_attr("allow")
            .and_then(Value::as_elements)
            .unwrap()
            .iter()
            .filter_map(|a| a.get_attr("protocol").and_then(Value::as_str))
            .collect();
        assert_eq!(protocols, ["tcp", "udp", "ipip"]);
    }

    #[test]
    fn typed_icmp_is_an_error_on_unsupported_flows_and_bad_options_are_refused_early() {
        let mut diagnostics = Diagnostics::default();
        let cilium = config(&[("cilium", &[])], &[]);
        assert!(GcpFirewallRulesDataSource
            .read(&cilium, &mut diagnostics)
            .is_none());
        let text = format!("{diagnostics:?}");
        assert!(
            text.contains("Flows GCP firewall rules cannot express"),
            "{text}"
        );
        assert!(text.contains("unsupported_flows"), "{text}");

        let mut diagnostics = Diagnostics::default();
        GcpFirewallRulesDataSource.validate(
            &config(
                &[("kublr", &[])],
                &[
                    (UNSUPPORTED_FLOWS, Value::string("allow")),
                    (PRIORITY, Value::number(Number::from(70000u64))),
                ],
            ),
            &mut diagnostics,
        );
        let text = format!("{diagnostics:?}");
        assert!(
            text.contains("Invalid unsupported_flows") && text.contains("Invalid priority"),
            "{text}"
        );
    }
}
