//! GCP as a [`Firewall`]: its options, its output shape, and its rules as `portmatrix_gcp_firewall_rules` and
//! `portmatrix expand --target gcp` give them.

use super::{firewall_rules, GcpOptions, GcpRule, GcpRuleSet, MAX_PREFIX};
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

const TAG_PREFIX: &str = "tag_prefix";
const SERVICE_ACCOUNTS: &str = "service_accounts";
const TIER_RANGES: &str = "tier_ranges";
const PRIORITY: &str = "priority";

/// Google Cloud VPC firewall rules, one network tag (or service account) per tier.
pub(crate) struct GcpTarget;

output_struct! {
    /// One protocol a rule allows.
    struct AllowOutput<'a> {
        protocol: &'a str,
        ports: Option<&'a [String]>,
    }
}

output_struct! {
    /// One rule as the outputs give it.
    struct RuleOutput<'a> {
    name: &'a str,
    direction: String,
    priority: u16,
    source: &'a str,
    source_kind: &'a str,
    destination: &'a str,
    destination_kind: &'a str,
    target_tags: Option<&'a [String]>,
    target_service_accounts: Option<&'a [String]>,
    source_tags: Option<&'a [String]>,
    source_service_accounts: Option<&'a [String]>,
    source_ranges: Option<&'a [String]>,
    destination_ranges: Option<&'a [String]>,
    allow: Vec<AllowOutput<'a>>,
    description: &'a str,
    platforms: &'a [String],
    purposes: &'a [String],
    }
}

fn rule_output(rule: &GcpRule) -> RuleOutput<'_> {
    RuleOutput {
        name: &rule.name,
        direction: rule.direction.to_string(),
        priority: rule.priority,
        source: rule.source.name(),
        source_kind: rule.source.kind(),
        destination: rule.destination.name(),
        destination_kind: rule.destination.kind(),
        target_tags: null_if_empty(&rule.target_tags),
        target_service_accounts: null_if_empty(&rule.target_service_accounts),
        source_tags: null_if_empty(&rule.source_tags),
        source_service_accounts: null_if_empty(&rule.source_service_accounts),
        source_ranges: null_if_empty(&rule.source_ranges),
        destination_ranges: null_if_empty(&rule.destination_ranges),
        allow: rule
            .allow
            .iter()
            .map(|a| AllowOutput {
                protocol: &a.protocol,
                ports: null_if_empty(&a.ports),
            })
            .collect(),
        description: &rule.description,
        platforms: &rule.platforms,
        purposes: &rule.purposes,
    }
}

output_struct! {
    /// A tier's name in rules.
    pub(crate) struct TierOutput {
        network_tag: Option<String>,
        service_account: Option<String>,
        ranges: Vec<String>,
        roles: Vec<String>,
    }
}

output_struct! {
    /// The output fields.
    struct Fields<'a> {
        /// Firewall rules keyed by `name`, e.g. `pm-in-worker-to-master`, `pm-in-clients-to-worker-v6`,
        /// `pm-eg-master-to-internet`. `direction` is `INGRESS` or `EGRESS`. Ingress rules target the
        /// destination tier (`target_tags` or `target_service_accounts`) and name the source by
        /// `source_tags`, `source_service_accounts` or `source_ranges`; egress rules target the source tier
        /// and name the destination by `destination_ranges`. Unused lists are null. `allow` lists one
        /// protocol each (`tcp`, `udp`, `icmp`, `sctp`, `ipip` for IP-in-IP, `esp`, `ah`, `58` for ICMPv6, or
        /// another IP protocol number) with `ports` for tcp and udp (`"6443"`, `"30000-32767"`), null
        /// for the whole protocol. `source`/`destination` name the tier or endpoint, `*_kind` says which.
        rules: BTreeMap<&'a str, RuleOutput<'a>>,
        /// Every tier with its `network_tag` (null when service accounts are used), `service_account`,
        /// `ranges` from `tier_ranges` and the `roles` placed on it.
        tiers: &'a BTreeMap<String, TierOutput>,
        #[serde(flatten)]
        widened: WidenedField<'a>,
    }
}

impl Serialize for Tiered<GcpRuleSet, TierOutput> {
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

/// `tcp:6443,10250 udp:8472`: a rule's protocols and ports on one line.
fn allow_text(protocol: &str, ports: &[String]) -> String {
    if ports.is_empty() {
        protocol.to_string()
    } else {
        format!("{protocol}:{}", ports.join(","))
    }
}

impl Tabular for Tiered<GcpRuleSet, TierOutput> {
    const HEADER: &'static [&'static str] = &[
        "NAME",
        "DIRECTION",
        "SOURCE",
        "DESTINATION",
        "ALLOW",
        "DESCRIPTION",
    ];

    fn cells(&self) -> Vec<Vec<String>> {
        self.set
            .rules
            .values()
            .map(|rule| {
                let allow: Vec<String> = rule
                    .allow
                    .iter()
                    .map(|a| allow_text(&a.protocol, &a.ports))
                    .collect();
                vec![
                    rule.name.clone(),
                    rule.direction.to_string(),
                    rule.source.name().to_string(),
                    rule.destination.name().to_string(),
                    allow.join(" "),
                    rule.description.clone(),
                ]
            })
            .collect()
    }
}

impl Firewall for GcpTarget {
    const NAME: &'static str = "gcp";
    const ABOUT: &'static str =
        "Google Cloud firewall rules with network tags pm-<tier> (as portmatrix_gcp_firewall_rules)";
    type Config = GcpOptions;
    type Output = Tiered<GcpRuleSet, TierOutput>;

    fn options() -> Vec<TargetOption> {
        vec![
            name_prefix_option(
                "<prefix><in|eg>-<source>-to-<destination>[-v6]",
                "GCP's 63 characters",
                MAX_PREFIX,
                " Firewall rule names are unique per project: give each cluster its own prefix.",
            ),
            TargetOption::optional(
                TAG_PREFIX,
                Shape::Text,
                Some("pm-"),
                "Prefix of each tier's network tag (default `pm-`): tier `master` is tagged `pm-master`, `_` in a \
                 tier name becomes `-`. Put each tier's tag (see `tiers`) on its instances.",
            ),
            TargetOption::optional(
                SERVICE_ACCOUNTS,
                Shape::map(Shape::Text),
                None,
                "Service account e-mail per tier. When set, rules name tiers by `target_service_accounts` and \
                 `source_service_accounts` instead of network tags; every tier then needs one, because a GCP rule \
                 cannot mix the two.",
            ),
            TargetOption::optional(
                TIER_RANGES,
                Shape::map(Shape::texts()),
                None,
                "CIDR blocks of each tier's instances (IPv4 and IPv6 may be mixed; rules are split by family), used \
                 as `destination_ranges` of egress rules between tiers: GCP egress rules cannot name tags or \
                 service accounts as destinations. Egress rules towards a tier without ranges are not written and \
                 one warning says so; GCP allows all egress unless a rule of yours denies it.",
            ),
            TargetOption::optional(
                PRIORITY,
                Shape::Number,
                Some("1000"),
                "Priority of every rule, 0 to 65535 (default 1000, GCP's default). Lower numbers win; deny rules of \
                 your own need a lower number to override these.",
            ),
            unsupported_flows_option(
                "GCP rules cannot match ICMP types (Cilium's ping asks for types 0 and 8) and take ports for tcp \
                 and udp only (SCTP flows with ports).",
                "every ICMP type; every SCTP port",
            ),
        ]
    }

    fn outputs() -> Vec<OutputField> {
        fields_with_outcome::<Fields>(
            "firewall rule",
            "Flows or rules that were not written: a missing input (an endpoint's addresses, a port parameter, a \
             role on no tier, a tier's ranges for egress) or a flow left out by `unsupported_flows = \"skip\"`, \
             naming the fix.",
        )
    }

    /// The GCP options given, or the errors of the bad ones.
    fn config(options: &Options) -> Result<GcpOptions, Vec<TargetError>> {
        let mut errors = Vec::new();
        let defaults = GcpOptions::default();
        let text = |name: &str, default: &str| options.text(name).unwrap_or(default).to_string();
        let name_prefix = name_prefix(options, &defaults.name_prefix, MAX_PREFIX, &mut errors);
        let priority = match options.number(PRIORITY) {
            None => defaults.priority,
            Some(n) => n.parse::<u16>().unwrap_or_else(|_| {
                errors.push(TargetError::invalid(
    PRIORITY,
                    format!(
                        "{n} is not a GCP rule priority: give a whole number from 0 to 65535 (GCP's default is 1000)."
                    ),
                ));
                defaults.priority
            }),
        };
        let unsupported_flows = unsupported_policy(options).unwrap_or_else(|error| {
            errors.push(error);
            defaults.unsupported_flows
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(GcpOptions {
            name_prefix,
            tag_prefix: text(TAG_PREFIX, &defaults.tag_prefix),
            service_accounts: options.text_map(SERVICE_ACCOUNTS),
            tier_ranges: options.list_map(TIER_RANGES),
            priority,
            unsupported_flows,
        })
    }

    fn rules(
        expansion: &Expansion,
        options: GcpOptions,
    ) -> Result<Shaped<Self::Output>, Vec<TargetError>> {
        let set = firewall_rules(expansion, &options)
            .map_err(|errors| rule_errors(errors, "Flows GCP firewall rules cannot express"))?;
        let tiers = tier_summaries(expansion, &set.tiers, |tier, roles| TierOutput {
            network_tag: tier.network_tag.clone(),
            service_account: tier.service_account.clone(),
            ranges: tier.ranges.clone(),
            roles,
        });
        let warnings = set.warnings.clone();
        Ok(Shaped::new(Tiered { set, tiers }, warnings))
    }
}
