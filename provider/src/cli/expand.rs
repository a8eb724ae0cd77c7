//! `portmatrix expand`: the rule set of a selection without Terraform, as the engine's flows or a target's rules.

use clap::{Args, ValueEnum};
use serde_json::{json, Map, Value};

use super::selection::{Selected, SelectionArgs};
use super::table::Table;
use super::{to_json, Outcome};
use crate::catalog::Catalog;
use crate::engine::{Expansion, Reason, Rule, RulePorts, SkippedFlow};
use crate::targets::aws::{self, AwsOptions, AwsPeer, AwsRule, Direction};
use crate::targets::azure::{self, AzureOptions, AzureRule, Side};
use crate::targets::common::{UnsupportedPolicy, Widening};
use crate::targets::gcp::{self, GcpOptions, GcpRule};
use crate::targets::openstack::{self, OpenStackOptions, OpenStackPeer, OpenStackRule};

/// `portmatrix expand` arguments.
#[derive(Debug, Args)]
pub(super) struct ExpandArgs {
    #[command(flatten)]
    selection: SelectionArgs,
    /// What to produce: the engine's normalized flows, or a target's rules.
    #[arg(long, value_enum, default_value_t = Target::Flows)]
    target: Target,
    #[command(flatten)]
    format: FormatArgs,
    /// aws: rules per security group, direction and address family (AWS's default quota is 60).
    #[arg(long, value_name = "N", default_value_t = aws::DEFAULT_RULES_PER_GROUP,
          value_parser = rules_per_group)]
    rules_per_group: usize,
    /// aws: when a group is over quota, merge neighbouring port ranges instead of failing.
    #[arg(long)]
    widen_to_fit: bool,
    /// aws: one all-traffic (-1) rule per tier for traffic within the tier.
    #[arg(long)]
    all_traffic_within_tier: bool,
    /// gcp, azure, openstack: flows the firewall cannot express exactly: error (fail and list them), widen
    /// (open the narrowest rule that contains them) or skip (leave them out, with a warning).
    #[arg(long, value_name = "POLICY", default_value = "error", value_parser = str::parse::<UnsupportedPolicy>)]
    unsupported_flows: UnsupportedPolicy,
}

fn rules_per_group(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a rule quota: give a whole number from 1 to 1000 (AWS's default is 60)"
        )),
    }
}

/// Output format flags of `expand`: an aligned table unless one is given.
#[derive(Debug, Args)]
#[group(multiple = false)]
struct FormatArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Print a Markdown table.
    #[arg(long)]
    markdown: bool,
    /// Print CSV.
    #[arg(long)]
    csv: bool,
}

/// The shapes `expand` can produce, each with its target's default options. A new target is a variant and an
/// arm in [`render`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Target {
    /// The engine's normalized flows between tiers and endpoints (as `portmatrix_flows`).
    Flows,
    /// AWS security group rules (as `portmatrix_aws_security_group_rules`).
    Aws,
    /// Google Cloud firewall rules with network tags `pm-<tier>` (as `portmatrix_gcp_firewall_rules`).
    Gcp,
    /// Azure network security rules in one shared NSG (as `portmatrix_azure_nsg_rules`).
    Azure,
    /// OpenStack Neutron security group rules (as `portmatrix_openstack_secgroup_rules`).
    Openstack,
}

/// A target's output: the JSON document, the rows of the table/Markdown/CSV forms, and warnings.
struct Rendered {
    json: Value,
    table: Table,
    warnings: Vec<String>,
}

/// Runs `expand`.
pub(super) fn run(args: &ExpandArgs, catalog: &Catalog) -> Result<Outcome, String> {
    let selected = args.selection.select(catalog)?;
    let rendered = render(args, &selected)?;
    let output = if args.format.json {
        to_json(&rendered.json)?
    } else if args.format.markdown {
        rendered.table.markdown()
    } else if args.format.csv {
        rendered.table.csv()
    } else {
        rendered.table.render()
    };
    Ok(Outcome {
        output,
        warnings: rendered.warnings,
        findings: false,
    })
}

fn render(args: &ExpandArgs, selected: &Selected) -> Result<Rendered, String> {
    let expansion = &selected.expansion;
    let policy = args.unsupported_flows;
    match args.target {
        Target::Flows => Ok(flows(expansion)),
        Target::Aws => aws_rules(
            expansion,
            &AwsOptions {
                rules_per_group: args.rules_per_group,
                widen_to_fit: args.widen_to_fit,
                all_traffic_within_tier: args.all_traffic_within_tier,
            },
        ),
        Target::Gcp => gcp_rules(
            expansion,
            &GcpOptions {
                unsupported_flows: policy,
                ..GcpOptions::default()
            },
        ),
        Target::Azure => azure_rules(
            expansion,
            &AzureOptions {
                unsupported_flows: policy,
                platform_order: selected.platforms.clone(),
                ..AzureOptions::default()
            },
        ),
        Target::Openstack => openstack_rules(
            expansion,
            &OpenStackOptions {
                unsupported_flows: policy,
                ..OpenStackOptions::default()
            },
        ),
    }
}

/// Errors of a target, one per line.
fn target_errors<E: std::fmt::Display>(errors: &[E]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Roles placed on `tier`.
fn roles(expansion: &Expansion, tier: &str) -> Vec<String> {
    expansion
        .tiers
        .iter()
        .find(|(name, _)| name == tier)
        .map(|(_, roles)| roles.clone())
        .unwrap_or_default()
}

fn widened_json(widened: &[Widening]) -> Vec<Value> {
    widened
        .iter()
        .map(|w| json!({"rule": w.rule, "flow": w.flow, "opened": w.opened}))
        .collect()
}

/// The expansion's warnings followed by the target's.
fn all_warnings(expansion: &Expansion, target: &[String]) -> Vec<String> {
    expansion.warnings.iter().chain(target).cloned().collect()
}

fn reason_json(reason: &Reason) -> Value {
    json!({
        "platform": reason.platform,
        "versions": reason.versions,
        "from_role": reason.from_role,
        "to_role": reason.to_role,
        "purpose": reason.purpose,
        "document": reason.document,
        "url": reason.url,
        "rows": reason.rows,
    })
}

fn skipped_json(flow: &SkippedFlow) -> Value {
    json!({
        "platform": flow.platform,
        "from_role": flow.from_role,
        "to_role": flow.to_role,
        "protocol": flow.protocol,
        "ports": flow.ports,
        "purpose": flow.purpose,
        "reason": flow.reason,
    })
}

fn flow_json(rule: &Rule) -> Value {
    let (from_port, to_port, icmp_type) = match rule.ports {
        RulePorts::Range(range) => (Some(range.from), Some(range.to), None),
        RulePorts::IcmpType(t) => (None, None, t),
        RulePorts::All => (None, None, None),
    };
    json!({
        "key": rule.key(),
        "source": rule.source.name(),
        "source_kind": rule.source.kind(),
        "destination": rule.destination.name(),
        "destination_kind": rule.destination.kind(),
        "protocol": rule.protocol.to_string(),
        "from_port": from_port,
        "to_port": to_port,
        "icmp_type": icmp_type,
        "ports": rule.ports.to_string(),
        "platforms": rule.platforms(),
        "purposes": rule.purposes(),
        "reasons": rule.reasons.iter().map(reason_json).collect::<Vec<_>>(),
    })
}

/// The engine's flows, shaped like the outputs of `portmatrix_flows`.
fn flows(expansion: &Expansion) -> Rendered {
    let mut table = Table::new(&[
        "SOURCE",
        "DESTINATION",
        "PROTOCOL",
        "PORTS",
        "PLATFORMS",
        "PURPOSES",
    ]);
    for rule in &expansion.rules {
        table.row(vec![
            rule.source.name().to_string(),
            rule.destination.name().to_string(),
            rule.protocol.to_string(),
            rule.ports.to_string(),
            rule.platforms().join(", "),
            rule.purposes().join("; "),
        ]);
    }
    Rendered {
        json: json!({
            "target": "flows",
            "flows": expansion.rules.iter().map(flow_json).collect::<Vec<_>>(),
            "not_needed": expansion.not_needed.iter().map(skipped_json).collect::<Vec<_>>(),
            "warnings": expansion.warnings,
            "tiers": expansion.tiers.iter().map(|(name, roles)| json!({"name": name, "roles": roles})).collect::<Vec<_>>(),
        }),
        table,
        warnings: expansion.warnings.clone(),
    }
}

fn aws_rule_json(rule: &AwsRule) -> Value {
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
    let mut object = Map::new();
    object.insert("tier".into(), json!(rule.tier));
    object.insert(peer_tier.into(), json!(tier));
    object.insert("cidr_ipv4".into(), json!(v4));
    object.insert("cidr_ipv6".into(), json!(v6));
    object.insert("prefix_list_id".into(), json!(list));
    object.insert("endpoints".into(), json!(rule.endpoints));
    object.insert("ip_protocol".into(), json!(rule.protocol.ip_protocol()));
    object.insert("from_port".into(), json!(rule.from_port));
    object.insert("to_port".into(), json!(rule.to_port));
    object.insert("description".into(), json!(rule.description));
    object.insert("platforms".into(), json!(rule.platforms));
    object.insert("purposes".into(), json!(rule.purposes));
    Value::Object(object)
}

/// The peer as the table shows it: the tier, or the address followed by the endpoint blocks it stands for.
fn aws_peer_text(rule: &AwsRule) -> String {
    if rule.endpoints.is_empty() {
        rule.peer.key().to_string()
    } else {
        format!("{} ({})", rule.peer.key(), rule.endpoints.join(", "))
    }
}

/// AWS security group rules, shaped like the outputs of `portmatrix_aws_security_group_rules`.
fn aws_rules(expansion: &Expansion, options: &AwsOptions) -> Result<Rendered, String> {
    let set = aws::security_group_rules(expansion, options).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("rules_per_group: {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let mut table = Table::new(&[
        "DIRECTION",
        "KEY",
        "PROTOCOL",
        "FROM_PORT",
        "TO_PORT",
        "PEER",
        "DESCRIPTION",
    ]);
    let port = |n: Option<i64>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
    for (key, rule) in set.ingress.iter().chain(&set.egress) {
        table.row(vec![
            rule.direction.to_string(),
            key.clone(),
            rule.protocol.ip_protocol(),
            port(rule.from_port),
            port(rule.to_port),
            aws_peer_text(rule),
            rule.description.clone(),
        ]);
    }
    let rules = |map: &std::collections::BTreeMap<String, AwsRule>| -> Map<String, Value> {
        map.iter()
            .map(|(k, r)| (k.clone(), aws_rule_json(r)))
            .collect()
    };
    let tiers: Map<String, Value> = set
        .tiers
        .iter()
        .map(|(tier, counts)| {
            (
                tier.clone(),
                json!({
                    "ingress_ipv4": counts.ingress_ipv4,
                    "ingress_ipv6": counts.ingress_ipv6,
                    "egress_ipv4": counts.egress_ipv4,
                    "egress_ipv6": counts.egress_ipv6,
                    "limit": options.rules_per_group,
                    "roles": roles(expansion, tier),
                }),
            )
        })
        .collect();
    let widened: Vec<Value> = set
        .widened
        .iter()
        .map(|w| {
            json!({
                "tier": w.tier,
                "direction": w.direction.to_string(),
                "peer": w.peer,
                "ip_protocol": w.protocol,
                "from_port": w.from_port,
                "to_port": w.to_port,
                "extra_ports": w.extra_ports,
            })
        })
        .collect();
    let warnings = all_warnings(expansion, &set.warnings);
    Ok(Rendered {
        json: json!({
            "target": "aws",
            "ingress": rules(&set.ingress),
            "egress": rules(&set.egress),
            "tiers": tiers,
            "widened": widened,
            "not_needed": expansion.not_needed.iter().map(skipped_json).collect::<Vec<_>>(),
            "warnings": warnings,
        }),
        table,
        warnings,
    })
}

/// `tcp:6443,10250 udp:8472`: a rule's protocols and ports on one line.
fn allow_text(protocol: &str, ports: &[String]) -> String {
    if ports.is_empty() {
        protocol.to_string()
    } else {
        format!("{protocol}:{}", ports.join(","))
    }
}

/// Null for an empty list, as the data sources write optional lists.
fn list_or_null(items: &[String]) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        json!(items)
    }
}

fn gcp_rule_json(rule: &GcpRule) -> Value {
    json!({
        "name": rule.name,
        "direction": rule.direction.to_string(),
        "priority": rule.priority,
        "source": rule.source.name(),
        "source_kind": rule.source.kind(),
        "destination": rule.destination.name(),
        "destination_kind": rule.destination.kind(),
        "target_tags": list_or_null(&rule.target_tags),
        "target_service_accounts": list_or_null(&rule.target_service_accounts),
        "source_tags": list_or_null(&rule.source_tags),
        "source_service_accounts": list_or_null(&rule.source_service_accounts),
        "source_ranges": list_or_null(&rule.source_ranges),
        "destination_ranges": list_or_null(&rule.destination_ranges),
        "allow": rule.allow.iter().map(|a| json!({"protocol": a.protocol, "ports": list_or_null(&a.ports)})).collect::<Vec<_>>(),
        "description": rule.description,
        "platforms": rule.platforms,
        "purposes": rule.purposes,
    })
}

/// Google Cloud firewall rules, shaped like the outputs of `portmatrix_gcp_firewall_rules`.
fn gcp_rules(expansion: &Expansion, options: &GcpOptions) -> Result<Rendered, String> {
    let set = gcp::firewall_rules(expansion, options).map_err(|e| target_errors(&e))?;
    let mut table = Table::new(&[
        "NAME",
        "DIRECTION",
        "SOURCE",
        "DESTINATION",
        "ALLOW",
        "DESCRIPTION",
    ]);
    for rule in set.rules.values() {
        let allow: Vec<String> = rule
            .allow
            .iter()
            .map(|a| allow_text(&a.protocol, &a.ports))
            .collect();
        table.row(vec![
            rule.name.clone(),
            rule.direction.to_string(),
            rule.source.name().to_string(),
            rule.destination.name().to_string(),
            allow.join(" "),
            rule.description.clone(),
        ]);
    }
    let tiers: Map<String, Value> = set
        .tiers
        .iter()
        .map(|(name, tier)| {
            (
                name.clone(),
                json!({
                    "network_tag": tier.network_tag,
                    "service_account": tier.service_account,
                    "ranges": tier.ranges,
                    "roles": roles(expansion, name),
                }),
            )
        })
        .collect();
    let warnings = all_warnings(expansion, &set.warnings);
    Ok(Rendered {
        json: json!({
            "target": "gcp",
            "rules": set.rules.iter().map(|(k, r)| (k.clone(), gcp_rule_json(r))).collect::<Map<String, Value>>(),
            "tiers": tiers,
            "widened": widened_json(&set.widened),
            "not_needed": expansion.not_needed.iter().map(skipped_json).collect::<Vec<_>>(),
            "warnings": warnings,
        }),
        table,
        warnings,
    })
}

/// `(tier, endpoint, prefixes)` of one side of an Azure rule, and its text for tables.
fn azure_side(side: &Side) -> (Value, Value, Value, String) {
    match side {
        Side::Tier(tier) => (json!(tier), Value::Null, Value::Null, tier.clone()),
        Side::Prefixes { endpoint, prefixes } => (
            Value::Null,
            json!(endpoint),
            json!(prefixes),
            format!("{endpoint}:{}", prefixes.join(",")),
        ),
    }
}

fn azure_rule_json(rule: &AzureRule) -> Value {
    let (source_tier, source_endpoint, source_prefixes, _) = azure_side(&rule.source);
    let (destination_tier, destination_endpoint, destination_prefixes, _) =
        azure_side(&rule.destination);
    json!({
        "name": rule.name,
        "tier": rule.tier,
        "direction": rule.direction.to_string(),
        "priority": rule.priority,
        "protocol": rule.protocol.as_str(),
        "destination_port_range": if rule.destination_ports.is_empty() { json!("*") } else { Value::Null },
        "destination_port_ranges": list_or_null(&rule.destination_ports),
        "source_tier": source_tier,
        "source_endpoint": source_endpoint,
        "source_address_prefixes": source_prefixes,
        "destination_tier": destination_tier,
        "destination_endpoint": destination_endpoint,
        "destination_address_prefixes": destination_prefixes,
        "description": rule.description,
        "platforms": rule.platforms,
        "purposes": rule.purposes,
    })
}

/// Azure network security rules, shaped like the outputs of `portmatrix_azure_nsg_rules`.
fn azure_rules(expansion: &Expansion, options: &AzureOptions) -> Result<Rendered, String> {
    let set = azure::security_rules(expansion, options).map_err(|e| target_errors(&e))?;
    let mut table = Table::new(&[
        "NAME",
        "DIRECTION",
        "PRIORITY",
        "PROTOCOL",
        "PORTS",
        "SOURCE",
        "DESTINATION",
        "DESCRIPTION",
    ]);
    for rule in set.rules.values() {
        let ports = if rule.destination_ports.is_empty() {
            "*".to_string()
        } else {
            rule.destination_ports.join(",")
        };
        table.row(vec![
            rule.name.clone(),
            rule.direction.to_string(),
            rule.priority.to_string(),
            rule.protocol.as_str().to_string(),
            ports,
            azure_side(&rule.source).3,
            azure_side(&rule.destination).3,
            rule.description.clone(),
        ]);
    }
    let tiers: Map<String, Value> = set
        .tiers
        .iter()
        .map(|(name, tier)| {
            (
                name.clone(),
                json!({
                    "inbound_rules": tier.inbound,
                    "outbound_rules": tier.outbound,
                    "roles": roles(expansion, name),
                }),
            )
        })
        .collect();
    let warnings = all_warnings(expansion, &set.warnings);
    Ok(Rendered {
        json: json!({
            "target": "azure",
            "rules": set.rules.iter().map(|(k, r)| (k.clone(), azure_rule_json(r))).collect::<Map<String, Value>>(),
            "tiers": tiers,
            "widened": widened_json(&set.widened),
            "not_needed": expansion.not_needed.iter().map(skipped_json).collect::<Vec<_>>(),
            "warnings": warnings,
        }),
        table,
        warnings,
    })
}

fn openstack_rule_json(rule: &OpenStackRule) -> Value {
    let (remote_tier, remote_ip_prefix, endpoint) = match &rule.peer {
        OpenStackPeer::Tier(tier) => (json!(tier), Value::Null, Value::Null),
        OpenStackPeer::Cidr { endpoint, cidr } => (Value::Null, json!(cidr), json!(endpoint)),
    };
    json!({
        "tier": rule.tier,
        "direction": rule.direction.to_string(),
        "ethertype": rule.ethertype.to_string(),
        "protocol": rule.protocol,
        "port_range_min": rule.port_range_min,
        "port_range_max": rule.port_range_max,
        "remote_tier": remote_tier,
        "remote_ip_prefix": remote_ip_prefix,
        "endpoint": endpoint,
        "description": rule.description,
        "platforms": rule.platforms,
        "purposes": rule.purposes,
    })
}

/// OpenStack Neutron security group rules, shaped like the outputs of `portmatrix_openstack_secgroup_rules`.
fn openstack_rules(expansion: &Expansion, options: &OpenStackOptions) -> Result<Rendered, String> {
    let set = openstack::security_group_rules(expansion, options).map_err(|e| e.to_string())?;
    let mut table = Table::new(&[
        "DIRECTION",
        "KEY",
        "ETHERTYPE",
        "PROTOCOL",
        "PORTS",
        "REMOTE",
        "DESCRIPTION",
    ]);
    for (key, rule) in set.ingress.iter().chain(&set.egress) {
        table.row(vec![
            rule.direction.to_string(),
            key.clone(),
            rule.ethertype.to_string(),
            rule.protocol.clone(),
            rule.ports.clone(),
            rule.peer.key(),
            rule.description.clone(),
        ]);
    }
    let rules = |map: &std::collections::BTreeMap<String, OpenStackRule>| -> Map<String, Value> {
        map.iter()
            .map(|(k, r)| (k.clone(), openstack_rule_json(r)))
            .collect()
    };
    let tiers: Map<String, Value> = set
        .tiers
        .iter()
        .map(|(name, counts)| {
            (
                name.clone(),
                json!({"ingress": counts.ingress, "egress": counts.egress, "roles": roles(expansion, name)}),
            )
        })
        .collect();
    let warnings = all_warnings(expansion, &set.warnings);
    Ok(Rendered {
        json: json!({
            "target": "openstack",
            "ingress": rules(&set.ingress),
            "egress": rules(&set.egress),
            "tiers": tiers,
            "widened": widened_json(&set.widened),
            "not_needed": expansion.not_needed.iter().map(skipped_json).collect::<Vec<_>>(),
            "warnings": warnings,
        }),
        table,
        warnings,
    })
}
