//! nftables as a [`Firewall`]: its options, its output shape, and its rulesets as `portmatrix_nftables_ruleset`
//! and `portmatrix expand --target nftables` give them.

use super::{
    parse_address, parse_output_policy, rulesets, AddressInput, NftError, NftOptions, NftRulesets,
    Policy,
};
use crate::engine::Expansion;
use crate::targets::target::{
    fields_with_outcome, output_struct, Firewall, Location, OptionValue, Options, OutputField,
    Shape, Shaped, Tabular, TargetError, TargetOption,
};

const TIER_ADDRESSES: &str = "tier_addresses";
const POD_CIDRS: &str = "pod_cidrs";
const INPUT_POLICY: &str = "input_policy";
const OUTPUT_POLICY: &str = "output_policy";

/// An nftables ruleset per tier, for static and bare-metal nodes.
pub(crate) struct NftablesTarget;

/// An error on one element of an address list: `key` names the tier of `tier_addresses`, none for `pod_cidrs`.
fn address_error(
    name: &'static str,
    key: Option<String>,
    index: usize,
    problem: String,
) -> TargetError {
    TargetError {
        location: Location::Option {
            name,
            key,
            index: Some(index),
        },
        summary: "Invalid address".into(),
        detail: problem,
    }
}

/// The problems of the known addresses given (unknown elements are judged once known).
fn address_errors(options: &Options) -> Vec<TargetError> {
    let mut errors = Vec::new();
    let judge =
        |list: &[OptionValue], key: Option<&String>, name, errors: &mut Vec<TargetError>| {
            for (index, value) in list.iter().enumerate() {
                if let OptionValue::Text(text) = value {
                    if let Err(problem) = parse_address(text) {
                        errors.push(address_error(name, key.cloned(), index, problem));
                    }
                }
            }
        };
    if let Some(OptionValue::Map(tiers)) = options.get(TIER_ADDRESSES) {
        for (tier, list) in tiers {
            if let OptionValue::List(list) = list {
                judge(list, Some(tier), TIER_ADDRESSES, &mut errors);
            }
        }
    }
    if let Some(OptionValue::List(list)) = options.get(POD_CIDRS) {
        judge(list, None, POD_CIDRS, &mut errors);
    }
    errors
}

/// A target error on the input that can fix it.
fn target_error(error: NftError) -> TargetError {
    let detail = error.to_string();
    match error {
        NftError::BadAddress {
            input: AddressInput::Tier { tier, index },
            problem,
        } => address_error(TIER_ADDRESSES, Some(tier), index, problem),
        NftError::BadAddress {
            input: AddressInput::Pods { index },
            ..
        } => address_error(POD_CIDRS, None, index, detail),
        NftError::UnknownTier { tier, .. } => TargetError {
            location: Location::Option {
                name: TIER_ADDRESSES,
                key: Some(tier),
                index: None,
            },
            summary: "Unknown tier".into(),
            detail,
        },
        NftError::MissingAddresses { .. } => {
            TargetError::option(TIER_ADDRESSES, "Tier without addresses", detail)
        }
    }
}

output_struct! {
    /// The output fields.
    pub(crate) struct NftOutput {
        /// The ruleset of each tier that holds a role, by tier name: a file for `nft -f`. It replaces
        /// `table inet portmatrix` in one transaction and touches no other table (kube-proxy's and the CNI's
        /// stay). It declares the address sets its rules use (`tier_<name>_v4`, `endpoint_<name>_v6`,
        /// `pod_cidrs_v4`, each `flags interval`), an input chain (`hook input priority 0`) and, with
        /// `output_policy`, an output chain; one rule per flow and address family, commented with the
        /// platforms and purposes behind it. Forwarded traffic (to pods) is not filtered.
        rulesets: std::collections::BTreeMap<String, String>,
        /// A `#cloud-config` document per tier for `user_data`: it installs the `nftables` package, writes
        /// the ruleset to `/etc/portmatrix/portmatrix.nft` and a systemd unit,
        /// `portmatrix-nftables.service`, that loads it now and at every boot.
        cloud_init: std::collections::BTreeMap<String, String>,
    }
}

impl Tabular for NftOutput {
    const HEADER: &'static [&'static str] = &["TIER", "RULESET"];

    fn cells(&self) -> Vec<Vec<String>> {
        self.rulesets
            .iter()
            .flat_map(|(tier, ruleset)| {
                ruleset
                    .lines()
                    .map(move |line| vec![tier.clone(), line.to_string()])
            })
            .collect()
    }
}

impl Firewall for NftablesTarget {
    const NAME: &'static str = "nftables";
    const ABOUT: &'static str =
        "An nftables ruleset per tier for static and bare-metal nodes (as portmatrix_nftables_ruleset)";
    type Config = NftOptions;
    type Output = NftOutput;

    fn options() -> Vec<TargetOption> {
        use crate::engine::setting::{Literal, Setting};
        let addresses = Literal::Texts(vec!["10.0.2.0/24".into(), "fd00:2::/64".into()]);
        vec![
            TargetOption::required(
                TIER_ADDRESSES,
                Shape::map(Shape::texts()),
                format!(
                    "The addresses of each tier's machines, by tier name: IPv4 and IPv6 CIDR blocks or single \
                     addresses, e.g. `{}`. They fill the sets `tier_<name>_v4` and `tier_<name>_v6` that rules \
                     from the tier (and, with an output chain, to it) match. Every tier whose traffic a ruleset \
                     admits needs addresses. With `{}`, add the tier's pod ranges too: its pods keep their own \
                     addresses.",
                    Setting::option_entry(TIER_ADDRESSES, "worker", addresses),
                    Setting::PodNetwork {
                        value: "routed".into()
                    },
                ),
            ),
            TargetOption::optional(
                POD_CIDRS,
                Shape::texts(),
                None,
                format!(
                    "The cluster's pod ranges (IPv4 and IPv6 CIDR blocks). Pods reach host-network services of \
                     their own node (the API server on a master, node-local DNS, the kubelet) with their pod \
                     addresses, which the input hook sees; Deckhouse requires that \"local network communication \
                     is fully allowed within each individual cluster node\". Traffic from (and, with an output \
                     chain, to) these ranges is accepted on every port. Empty by default, with a warning under \
                     `{}`.",
                    Setting::text(INPUT_POLICY, "drop"),
                ),
            ),
            TargetOption::optional(
                INPUT_POLICY,
                Shape::Text,
                Some("drop"),
                format!(
                    "What the input chain does with packets no rule admits: `drop` (default) or `accept`, which \
                     blocks nothing and lets the chain's last rule count what `drop` would block. Rulesets always \
                     admit loopback, replies and related packets (`ct state established,related`), ICMPv6 \
                     neighbour and multicast listener discovery, and `{}`. Nothing else is admitted that no \
                     catalog lists, not even SSH: select the platform `ssh-admin` (`{}`, or add your own flows) \
                     before you load a `drop` ruleset.",
                    Setting::option(POD_CIDRS),
                    Setting::Platform {
                        name: "ssh-admin".into()
                    },
                ),
            ),
            TargetOption::optional(
                OUTPUT_POLICY,
                Shape::Text,
                Some("none"),
                "`none` (default): no output chain, the node sends freely. `accept` or `drop`: an output chain \
                 with the flows whose source is the tier, to its peers' sets, and that policy for the rest. The \
                 catalogs list what the cluster's parts need from each other, not DNS, NTP, package mirrors or \
                 registries a node may also need: use `drop` only with endpoints and user catalogs for those.",
            ),
        ]
    }

    fn outputs() -> Vec<OutputField> {
        fields_with_outcome::<NftOutput>(
            "host firewall rule",
            "Flows or rules that could not be written because an input is missing (an endpoint's addresses, a \
             port parameter, a role on no tier, addresses of the flow's family), and an empty `pod_cidrs` \
             under a `drop` input policy.",
        )
    }

    /// The nftables options given, or the errors of the bad ones.
    fn config(options: &Options) -> Result<NftOptions, Vec<TargetError>> {
        let mut errors = Vec::new();
        let input_policy = match options.text(INPUT_POLICY).map(str::parse::<Policy>) {
            None => Policy::Drop,
            Some(Ok(policy)) => policy,
            Some(Err(detail)) => {
                errors.push(TargetError::invalid(INPUT_POLICY, detail));
                Policy::Drop
            }
        };
        let output_policy = match options.text(OUTPUT_POLICY).map(parse_output_policy) {
            None => None,
            Some(Ok(policy)) => policy,
            Some(Err(detail)) => {
                errors.push(TargetError::invalid(OUTPUT_POLICY, detail));
                None
            }
        };
        errors.extend(address_errors(options));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NftOptions {
            tier_addresses: options.list_map(TIER_ADDRESSES),
            pod_cidrs: options.texts(POD_CIDRS),
            input_policy,
            output_policy,
        })
    }

    fn rules(
        expansion: &Expansion,
        options: NftOptions,
    ) -> Result<Shaped<Self::Output>, Vec<TargetError>> {
        let NftRulesets {
            rulesets,
            cloud_init,
            warnings,
        } = rulesets(expansion, &options)
            .map_err(|errors| errors.into_iter().map(target_error).collect::<Vec<_>>())?;
        let output = NftOutput {
            rulesets,
            cloud_init,
        };
        Ok(Shaped::new(output, warnings))
    }
}
