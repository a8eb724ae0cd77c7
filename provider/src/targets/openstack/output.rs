//! OpenStack as a [`Firewall`]: its options, its output shape, and its rules as
//! `portmatrix_openstack_secgroup_rules` and `portmatrix expand --target openstack` give them.

use super::{
    security_group_rules, Ethertype, OpenStackOptions, OpenStackPeer, OpenStackRule,
    OpenStackRuleSet,
};
use crate::engine::Expansion;
use crate::targets::common::{capitalized, unsupported_error, Widening, UNSUPPORTED_FLOWS};
use crate::targets::target::{
    fields_with_outcome, keyed, output_struct, tier_summaries, Firewall, Literal, Location,
    OptionValue, Options, OutputField, Setting, Shape, Shaped, Tabular, TargetError, TargetOption,
    Tiered,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

const ETHERTYPES: &str = "ethertypes";

/// OpenStack Neutron security group rules, one security group per tier.
pub(crate) struct OpenStackTarget;

output_struct! {
    /// One rule as the outputs give it.
    struct RuleOutput<'a> {
        tier: &'a str,
        direction: String,
        ethertype: String,
        protocol: &'a str,
        port_range_min: Option<i64>,
        port_range_max: Option<i64>,
        remote_tier: Option<&'a str>,
        remote_ip_prefix: Option<&'a str>,
        endpoint: Option<&'a str>,
        description: &'a str,
        platforms: &'a [String],
        purposes: &'a [String],
    }
}

fn rule_output(rule: &OpenStackRule) -> RuleOutput<'_> {
    let (remote_tier, remote_ip_prefix, endpoint) = match &rule.peer {
        OpenStackPeer::Tier(tier) => (Some(tier.as_str()), None, None),
        OpenStackPeer::Cidr { endpoint, cidr } => {
            (None, Some(cidr.as_str()), Some(endpoint.as_str()))
        }
    };
    RuleOutput {
        tier: &rule.tier,
        direction: rule.direction.to_string(),
        ethertype: rule.ethertype.to_string(),
        protocol: &rule.protocol,
        port_range_min: rule.port_range_min,
        port_range_max: rule.port_range_max,
        remote_tier,
        remote_ip_prefix,
        endpoint,
        description: &rule.description,
        platforms: &rule.platforms,
        purposes: &rule.purposes,
    }
}

output_struct! {
    /// A tier's rule counts.
    pub(crate) struct TierOutput {
        ingress: usize,
        egress: usize,
        roles: Vec<String>,
    }
}

output_struct! {
    /// The output fields.
    struct Fields<'a> {
        /// Ingress rules, keyed `tier:ethertype:protocol:ports:peer` (e.g. `master:IPv4:tcp:6443:worker`,
        /// `master:IPv6:tcp:22:admin:2001:db8::/32`). Each goes in the security group of `tier`; its remote
        /// side is the group of `remote_tier` or `remote_ip_prefix` of `endpoint`. `protocol` is `tcp`,
        /// `udp`, `sctp`, `icmp`, `ipv6-icmp` or an IP protocol number (`4` IP-in-IP, `50` ESP; no ports).
        ingress: BTreeMap<&'a str, RuleOutput<'a>>,
        /// Egress rules, keyed like `ingress`: each goes in the security group of `tier`, towards the group
        /// of `remote_tier` or the endpoint's block. New Neutron groups allow all egress; apply these when
        /// your groups are created with `delete_default_rules = true`.
        egress: BTreeMap<&'a str, RuleOutput<'a>>,
        /// Every tier with its numbers of `ingress` and `egress` rules and the `roles` placed on it.
        tiers: &'a BTreeMap<String, TierOutput>,
        /// Rules wider than the catalogs ask (only with `unsupported_flows = "widen"`): the `rule`
        /// (`direction key`), the catalog `flow` it stands for, and what it `opened`.
        widened: &'a [Widening],
    }
}

impl Serialize for Tiered<OpenStackRuleSet, TierOutput> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Fields {
            ingress: keyed(&self.set.ingress, rule_output),
            egress: keyed(&self.set.egress, rule_output),
            tiers: &self.tiers,
            widened: &self.set.widened,
        }
        .serialize(serializer)
    }
}

impl Tabular for Tiered<OpenStackRuleSet, TierOutput> {
    const HEADER: &'static [&'static str] = &[
        "DIRECTION",
        "KEY",
        "ETHERTYPE",
        "PROTOCOL",
        "PORTS",
        "REMOTE",
        "DESCRIPTION",
    ];

    fn cells(&self) -> Vec<Vec<String>> {
        self.set
            .ingress
            .iter()
            .chain(&self.set.egress)
            .map(|(key, rule)| {
                vec![
                    rule.direction.to_string(),
                    key.clone(),
                    rule.ethertype.to_string(),
                    rule.protocol.clone(),
                    rule.ports.clone(),
                    rule.peer.key(),
                    rule.description.clone(),
                ]
            })
            .collect()
    }
}

impl Firewall for OpenStackTarget {
    const NAME: &'static str = "openstack";
    const ABOUT: &'static str =
        "OpenStack Neutron security group rules (as portmatrix_openstack_secgroup_rules)";
    type Config = OpenStackOptions;
    type Output = Tiered<OpenStackRuleSet, TierOutput>;

    fn options() -> Vec<TargetOption> {
        vec![
            TargetOption::optional(
                ETHERTYPES,
                Shape::texts(),
                Some("IPv4,IPv6"),
                "Address families of the rules between tiers: `IPv4` and `IPv6` (default) or one of them. A \
                 Neutron rule that references a group matches one family only, so each family needs its own rule; \
                 list only the families your servers use to save rules (Neutron's default quota is 100 rules per \
                 project). Rules with endpoints follow the family of each CIDR block.",
            ),
            TargetOption::optional(
                UNSUPPORTED_FLOWS,
                Shape::Text,
                Some("error"),
                "What to do with flows the resource cannot write exactly: ICMP type 0 (echo reply), because the \
                 OpenStack provider leaves a `port_range_min` of 0 out of its request (gophercloud issue #1775), \
                 which would admit every type. `error` (default) fails listing them; `widen` opens every \
                 ICMP type between the same peers, listed in `widened`; `skip` leaves them out, listed in \
                 `warnings` (stateful security groups, Neutron's default, pass echo replies to allowed echo \
                 requests anyway).",
            ),
        ]
    }

    fn outputs() -> Vec<OutputField> {
        fields_with_outcome::<Fields>(
            "security group rule",
            "Flows or rules that were not written: an input is missing (an endpoint's addresses, a port \
             parameter, a role on no tier), a protocol does not exist in the family `ethertypes` allows, or \
             `unsupported_flows = \"skip\"` left a flow out.",
        )
    }

    /// The OpenStack options given, or the errors of the bad ones.
    fn config(options: &Options) -> Result<OpenStackOptions, Vec<TargetError>> {
        let mut errors = Vec::new();
        let mut chosen = OpenStackOptions::default();
        if let Some(text) = options.text(UNSUPPORTED_FLOWS) {
            match text.parse() {
                Ok(policy) => chosen.unsupported_flows = policy,
                Err(detail) => errors.push(TargetError::invalid(
                    UNSUPPORTED_FLOWS,
                    capitalized(&detail),
                )),
            }
        }
        if let Some(OptionValue::List(list)) = options.get(ETHERTYPES) {
            let mut ethertypes = BTreeSet::new();
            for (index, element) in list.iter().enumerate() {
                let OptionValue::Text(text) = element else {
                    continue;
                };
                let at = |summary: &str, detail: String| TargetError {
                    location: Location::Option {
                        name: ETHERTYPES,
                        key: None,
                        index: Some(index),
                    },
                    summary: summary.to_string(),
                    detail,
                };
                match text.parse::<Ethertype>() {
                    Ok(ethertype) if ethertypes.insert(ethertype) => {}
                    Ok(_) => errors.push(at(
                        "Duplicate ethertype",
                        format!("{text:?} is listed twice; list each ethertype once."),
                    )),
                    Err(detail) => errors.push(at("Invalid ethertype", capitalized(&detail))),
                }
            }
            if list.is_empty() {
                errors.push(TargetError::option(
                    ETHERTYPES,
                    "No ethertype",
                    format!(
                        "Rules between tiers need an address family: set {}, {} or both, or leave {} unset for both.",
                        Setting::option_value(ETHERTYPES, Literal::Texts(vec!["IPv4".into()])),
                        Setting::option_value(ETHERTYPES, Literal::Texts(vec!["IPv6".into()])),
                        Setting::option(ETHERTYPES)
                    ),
                ));
            }
            chosen.ethertypes = ethertypes;
        }
        if errors.is_empty() {
            Ok(chosen)
        } else {
            Err(errors)
        }
    }

    fn rules(
        expansion: &Expansion,
        options: OpenStackOptions,
    ) -> Result<Shaped<Self::Output>, Vec<TargetError>> {
        let set = security_group_rules(expansion, &options).map_err(|error| {
            vec![unsupported_error(
                "Flows the OpenStack security group rules cannot express",
                &error,
            )]
        })?;
        let tiers = tier_summaries(expansion, &set.tiers, |counts, roles| TierOutput {
            ingress: counts.ingress,
            egress: counts.egress,
            roles,
        });
        let warnings = set.warnings.clone();
        Ok(Shaped::new(Tiered { set, tiers }, warnings))
    }
}
