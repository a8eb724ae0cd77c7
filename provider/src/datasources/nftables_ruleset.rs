//! `portmatrix_nftables_ruleset`: an nftables ruleset per tier for static and bare-metal nodes, and a
//! `#cloud-config` document that installs it.

use super::config;
use super::flows::{echo_config, skipped_type, skipped_value, SELECTION_INPUTS};
use super::selection::{self, EndpointKind};
use super::DataSource;
use crate::cty::{CtyType, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::schema::{Attribute, AttributePath, Block, Schema};
use crate::targets::nftables::{self, AddressInput, NftError, NftOptions, Policy};
use std::collections::BTreeMap;

/// The `portmatrix_nftables_ruleset` data source.
pub struct NftablesRulesetDataSource;

const TIER_ADDRESSES: &str = "tier_addresses";
const POD_CIDRS: &str = "pod_cidrs";
const INPUT_POLICY: &str = "input_policy";
const OUTPUT_POLICY: &str = "output_policy";

/// The policies of a configuration, or the diagnostics for the ones that are not valid words.
fn policies(config: &Value) -> Result<(Policy, Option<Policy>), Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let input = match config::string(config, INPUT_POLICY).map(str::parse::<Policy>) {
        None => Policy::Drop,
        Some(Ok(policy)) => policy,
        Some(Err(detail)) => {
            diagnostics.push(
                Diagnostic::error("Invalid input_policy", detail)
                    .at(AttributePath::root().attr(INPUT_POLICY)),
            );
            Policy::Drop
        }
    };
    let output = match config::string(config, OUTPUT_POLICY).map(nftables::parse_output_policy) {
        None => None,
        Some(Ok(policy)) => policy,
        Some(Err(detail)) => {
            diagnostics.push(
                Diagnostic::error("Invalid output_policy", detail)
                    .at(AttributePath::root().attr(OUTPUT_POLICY)),
            );
            None
        }
    };
    if diagnostics.has_errors() {
        Err(diagnostics)
    } else {
        Ok((input, output))
    }
}

/// The known address strings of `tier_addresses`, by tier, with each element's index.
fn tier_address_texts(config: &Value) -> BTreeMap<String, Vec<(usize, Option<&str>)>> {
    config
        .get_attr(TIER_ADDRESSES)
        .and_then(Value::as_map)
        .map(|map| {
            map.iter()
                .map(|(tier, list)| {
                    let elements = list
                        .as_elements()
                        .unwrap_or_default()
                        .iter()
                        .enumerate()
                        .filter(|(_, v)| !v.is_unknown())
                        .map(|(i, v)| (i, v.as_str()))
                        .collect();
                    (tier.clone(), elements)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Reports malformed known addresses of `tier_addresses` and `pod_cidrs` (null elements are the selection
/// checks' to report).
fn check_addresses(config: &Value, diagnostics: &mut Diagnostics) {
    for (tier, elements) in tier_address_texts(config) {
        for (index, text) in elements {
            if let Some(problem) = text.and_then(|text| nftables::parse_address(text).err()) {
                diagnostics.push(tier_address_error(&tier, index, &problem));
            }
        }
    }
    if let Some(elements) = config.get_attr(POD_CIDRS).and_then(Value::as_elements) {
        for (index, value) in elements.iter().enumerate() {
            if let Some(problem) = value
                .as_str()
                .and_then(|t| nftables::parse_address(t).err())
            {
                diagnostics.push(
                    Diagnostic::error("Invalid address", problem)
                        .at(AttributePath::root().attr(POD_CIDRS).index(index as i64)),
                );
            }
        }
    }
}

/// An error about element `index` of `tier_addresses[tier]`. Terraform finds the source of a path only down to
/// one index or key below an attribute (its `ElaborateFromConfigBody`), so the diagnostic points at the tier's
/// list and its text names the element.
fn tier_address_error(tier: &str, index: usize, problem: &str) -> Diagnostic {
    let path = AttributePath::root().attr(TIER_ADDRESSES).key(tier);
    Diagnostic::error("Invalid address", format!("{path}[{index}]: {problem}")).at(path)
}

/// The target options of a wholly known configuration whose policies and addresses were checked.
fn options(config: &Value, input_policy: Policy, output_policy: Option<Policy>) -> NftOptions {
    let strings = |list: Vec<(usize, Option<&str>)>| -> Vec<String> {
        list.into_iter()
            .filter_map(|(_, text)| text.map(str::to_string))
            .collect()
    };
    NftOptions {
        tier_addresses: tier_address_texts(config)
            .into_iter()
            .map(|(tier, list)| (tier, strings(list)))
            .collect(),
        pod_cidrs: config::strings(config, POD_CIDRS)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, text)| text.to_string())
            .collect(),
        input_policy,
        output_policy,
    }
}

/// A target error as a diagnostic on the input that can fix it.
fn error_diagnostic(error: &NftError) -> Diagnostic {
    let root = AttributePath::root();
    let (summary, path) = match error {
        NftError::BadAddress {
            input: AddressInput::Tier { tier, index },
            problem,
        } => return tier_address_error(tier, *index, problem),
        NftError::BadAddress {
            input: AddressInput::Pods { index },
            ..
        } => ("Invalid address", root.attr(POD_CIDRS).index(*index as i64)),
        NftError::UnknownTier { tier, .. } => {
            ("Unknown tier", root.attr(TIER_ADDRESSES).key(tier.clone()))
        }
        NftError::MissingAddresses { .. } => ("Tier without addresses", root.attr(TIER_ADDRESSES)),
    };
    Diagnostic::error(summary, error.to_string()).at(path)
}

impl DataSource for NftablesRulesetDataSource {
    fn type_name(&self) -> &'static str {
        "portmatrix_nftables_ruleset"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "Expands platform port tables into an nftables ruleset per tier, for static and bare-metal nodes \
             (Deckhouse static nodes, Kublr bring-your-own-infrastructure clusters, kubeadm on your own machines). \
             Each ruleset is one `table inet portmatrix` whose input chain admits the flows the catalogs list \
             towards the tier, from named address sets of your tiers and endpoints, and drops the rest; \
             `cloud_init` wraps it in a `#cloud-config` document that installs it and loads it at every boot.",
        );
        let block = selection::with_tier_selection_inputs(block, EndpointKind::Cidrs)
            .attribute(Attribute::required(
                TIER_ADDRESSES,
                CtyType::map(CtyType::list(CtyType::String)),
                "The addresses of each tier's machines, by tier name: IPv4 and IPv6 CIDR blocks or single \
                 addresses, e.g. `{ master = [\"10.0.1.0/24\"], worker = [\"10.0.2.0/24\", \"fd00:2::/64\"] }`. \
                 They fill the sets `tier_<name>_v4` and `tier_<name>_v6` that rules from the tier (and, with an \
                 output chain, to it) match. Every tier whose traffic a ruleset admits needs addresses. With \
                 `pod_network = \"routed\"`, add the tier's pod ranges too: its pods keep their own addresses.",
            ))
            .attribute(Attribute::optional(
                POD_CIDRS,
                CtyType::list(CtyType::String),
                "The cluster's pod ranges (IPv4 and IPv6 CIDR blocks). Pods reach host-network services of their \
                 own node (the API server on a master, node-local DNS, the kubelet) with their pod addresses, \
                 which the input hook sees; Deckhouse requires that \"local network communication is fully \
                 allowed within each individual cluster node\". Traffic from (and, with an output chain, to) these \
                 ranges is accepted on every port. Empty by default, with a warning while `input_policy` is `drop`.",
            ))
            .attribute(Attribute::optional(
                INPUT_POLICY,
                CtyType::String,
                "What the input chain does with packets no rule admits: `drop` (default) or `accept`, which \
                 blocks nothing and lets the chain's last rule count what `drop` would block. Rulesets always \
                 admit loopback, replies and related packets (`ct state established,related`), ICMPv6 neighbour \
                 and multicast listener discovery, and `pod_cidrs`. Nothing else is admitted that no catalog \
                 lists, not even SSH: select the platform `ssh-admin` (or add your own flows) before you load a \
                 `drop` ruleset.",
            ))
            .attribute(Attribute::optional(
                OUTPUT_POLICY,
                CtyType::String,
                "`none` (default): no output chain, the node sends freely. `accept` or `drop`: an output chain \
                 with the flows whose source is the tier, to its peers' sets, and that policy for the rest. The \
                 catalogs list what the cluster's parts need from each other, not DNS, NTP, package mirrors or \
                 registries a node may also need: use `drop` only with endpoints and user catalogs for those.",
            ))
            .attribute(Attribute::computed(
                "rulesets",
                CtyType::map(CtyType::String),
                "The ruleset of each tier that holds a role, by tier name: a file for `nft -f`. It replaces \
                 `table inet portmatrix` in one transaction and touches no other table (kube-proxy's and the CNI's \
                 stay). It declares the address sets its rules use (`tier_<name>_v4`, `endpoint_<name>_v6`, \
                 `pod_cidrs_v4`, each `flags interval`), an input chain (`hook input priority 0`) and, with \
                 `output_policy`, an output chain; one rule per flow and address family, commented with the \
                 platforms and purposes behind it. Forwarded traffic (to pods) is not filtered.",
            ))
            .attribute(Attribute::computed(
                "cloud_init",
                CtyType::map(CtyType::String),
                "A `#cloud-config` document per tier for `user_data`: it installs the `nftables` package, writes \
                 the ruleset to `/etc/portmatrix/portmatrix.nft` and a systemd unit, \
                 `portmatrix-nftables.service`, that loads it now and at every boot.",
            ))
            .attribute(Attribute::computed(
                "not_needed",
                CtyType::list(skipped_type()),
                "Catalog flows that need no host firewall rule, with the `reason` (for example pod traffic inside \
                 the overlay network).",
            ))
            .attribute(Attribute::computed(
                "warnings",
                CtyType::list(CtyType::String),
                "Flows or rules that could not be written because an input is missing (an endpoint's addresses, a \
                 port parameter, a role on no tier, addresses of the flow's family), and an empty `pod_cidrs` \
                 under a `drop` input policy.",
            ));
        Schema { version: 0, block }
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        if !selection::checked_by_read(self, config, EndpointKind::Cidrs, diagnostics) {
            return;
        }
        if let Err(errors) = policies(config) {
            diagnostics.extend(errors);
        }
        check_addresses(config, diagnostics);
        selection::validate(config, EndpointKind::Cidrs, diagnostics);
    }

    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<Value> {
        let (input_policy, output_policy) = match policies(config) {
            Ok(policies) => policies,
            Err(errors) => {
                diagnostics.extend(errors);
                return None;
            }
        };
        check_addresses(config, diagnostics);
        if diagnostics.has_errors() {
            return None;
        }
        let expansion = selection::expand(config, EndpointKind::Cidrs, diagnostics)?;
        let options = options(config, input_policy, output_policy);
        let result = match nftables::rulesets(&expansion, &options) {
            Ok(result) => result,
            Err(errors) => {
                for error in &errors {
                    diagnostics.push(error_diagnostic(error));
                }
                return None;
            }
        };
        let texts = |map: &BTreeMap<String, String>| {
            Value::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::string(v)))
                    .collect(),
            )
        };
        let warnings: Vec<Value> = expansion
            .warnings
            .iter()
            .chain(&result.warnings)
            .map(Value::string)
            .collect();
        let mut attributes = echo_config(config, &SELECTION_INPUTS);
        attributes.extend(echo_config(
            config,
            &[TIER_ADDRESSES, POD_CIDRS, INPUT_POLICY, OUTPUT_POLICY],
        ));
        attributes.push(("rulesets".into(), texts(&result.rulesets)));
        attributes.push(("cloud_init".into(), texts(&result.cloud_init)));
        attributes.push((
            "not_needed".into(),
            Value::List(expansion.not_needed.iter().map(skipped_value).collect()),
        ));
        attributes.push(("warnings".into(), Value::List(warnings)));
        Some(Value::Object(attributes.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &[(&str, Value)]) -> Value {
        let block = NftablesRulesetDataSource.schema().block;
        let platform = Value::object([
            ("name", Value::string("kublr")),
            ("version", Value::Null),
            ("options", Value::Null),
        ]);
        let addresses = Value::Map(
            [
                ("master", vec!["10.0.1.0/24"]),
                ("worker", vec!["10.0.2.0/24", "fd00:2::/64"]),
            ]
            .into_iter()
            .map(|(tier, list)| {
                (
                    tier.to_string(),
                    Value::List(list.into_iter().map(Value::string).collect()),
                )
            })
            .collect(),
        );
        let mut attributes = vec![
            ("platform".to_string(), Value::List(vec![platform])),
            (TIER_ADDRESSES.to_string(), addresses),
        ];
        for (name, value) in extra {
            attributes.retain(|(k, _)| k != name);
            attributes.push((name.to_string(), value.clone()));
        }
        block.complete(Value::Object(attributes.into_iter().collect()))
    }

    #[test]
    fn result_conforms_to_the_schema_with_a_ruleset_per_tier() {
        let mut diagnostics = Diagnostics::default();
        let value = NftablesRulesetDataSource
            .read(&config(&[]), &mut diagnostics)
            .expect("rulesets");
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let block = NftablesRulesetDataSource.schema().block;
        let value = block.complete(value);
        crate::cty::encode_msgpack(&block.implied_type(), &value).expect("conforms");
        let rulesets = value.get_attr("rulesets").and_then(Value::as_map).unwrap();
        assert_eq!(
            rulesets.keys().collect::<Vec<_>>(),
            ["lb", "master", "worker"],
            "Kublr places its master and ingress LB roles on lb"
        );
        assert!(
            !rulesets["lb"].as_str().unwrap().contains(" dport "),
            "no flow reaches the LBs while the LB options are off"
        );
        let worker = rulesets["worker"].as_str().unwrap();
        assert!(
            worker.contains("ip saddr @tier_master_v4 tcp dport 10250 accept"),
            "{worker}"
        );
        let cloud_init = value
            .get_attr("cloud_init")
            .and_then(Value::as_map)
            .unwrap();
        assert!(cloud_init["master"]
            .as_str()
            .unwrap()
            .starts_with("#cloud-config\n"));
        let warnings = format!("{:?}", value.get_attr("warnings"));
        assert!(warnings.contains("pod_cidrs is empty"), "{warnings}");
    }

    #[test]
    fn bad_inputs_point_at_the_attribute_to_fix() {
        let mut diagnostics = Diagnostics::default();
        let bad = config(&[
            (INPUT_POLICY, Value::string("reject")),
            (OUTPUT_POLICY, Value::string("deny")),
        ]);
        NftablesRulesetDataSource.validate(&bad, &mut diagnostics);
        let text = format!("{diagnostics:?}");
        assert!(text.contains("Invalid input_policy"), "{text}");
        assert!(text.contains("Invalid output_policy"), "{text}");

        let mut diagnostics = Diagnostics::default();
        let addresses = Value::Map(
            [(
                "worker".to_string(),
                Value::List(vec![Value::unknown(), Value::string("10.0.2.1/24")]),
            )]
            .into_iter()
            .collect(),
        );
        NftablesRulesetDataSource
            .validate(&config(&[(TIER_ADDRESSES, addresses)]), &mut diagnostics);
        let text = format!("{diagnostics:?}");
        assert_eq!(
            diagnostics.len(),
            1,
            "the unknown element is not judged: {text}"
        );
        let error = diagnostics.iter().next().unwrap();
        // Terraform resolves `tier_addresses["worker"]` to its source line, not a path one index deeper.
        assert_eq!(
            error.attribute,
            Some(AttributePath::root().attr(TIER_ADDRESSES).key("worker"))
        );
        assert!(
            error
                .detail
                .starts_with("tier_addresses[\"worker\"][1]: \"10.0.2.1/24\" has host bits set"),
            "{}",
            error.detail
        );

        let mut diagnostics = Diagnostics::default();
        let only_master = Value::Map(
            [(
                "master".to_string(),
                Value::List(vec![Value::string("10.0.1.0/24")]),
            )]
            .into_iter()
            .collect(),
        );
        assert!(NftablesRulesetDataSource
            .read(&config(&[(TIER_ADDRESSES, only_master)]), &mut diagnostics)
            .is_none());
        let text = format!("{diagnostics:?}");
        assert!(text.contains("Tier without addresses"), "{text}");
        assert!(text.contains("worker->master:tcp:443"), "{text}");
    }
}
