//! Properties of the public API that the fuzz targets (DESIGN.md, "Fuzzing") only sample: what holds for every
//! value of the provider's real schemas, every CIDR block, and every selection of the built-in catalog.
//!
//! - Every value of a schema's type (nulls, refined unknowns, dynamic values) encodes as msgpack, decodes to
//!   itself and encodes again to the same bytes: Terraform gets back exactly what it sent.
//! - Every such value goes through the data source's validation and, when wholly known and valid, its read,
//!   whose completed result encodes with the schema's type (the audit, which calls EC2, is only validated).
//! - The one CIDR parser (`engine::cidr`) accepts exactly the canonical spelling of a network, and each refusal's
//!   suggested spelling clears the refusal.
//! - Expansion is deterministic and does not depend on the order of the `platform` blocks.
//! - Each target's map keys (the `for_each` keys Terraform tracks resources by) are its rules' identities: no
//!   rule is lost to a key another rule has, AWS keys name the rule's group and peer, GCP names are valid, and
//!   Azure priorities are unique per NSG and direction, within the configured range.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::prelude::*;

use portmatrix::catalog::{Catalog, Selection};
use portmatrix::cty::{decode_msgpack, encode_msgpack, CtyType, Number, Refinements, Value};
use portmatrix::diagnostics::Diagnostics;
use portmatrix::engine::cidr::{leading_zeros, parse_cidr, CidrError, CidrFamily};
use portmatrix::engine::{self, EndpointSpec, Expansion, ExpansionRequest, PodNetwork};
use portmatrix::targets::aws::{self, AwsOptions};
use portmatrix::targets::azure::{self, AzureOptions};
use portmatrix::targets::common::UnsupportedPolicy;
use portmatrix::targets::gcp::{self, GcpOptions};
use portmatrix::targets::openstack::{self, OpenStackOptions};
use portmatrix::{datasources, provider_config};

/// The implied type of the provider block's schema and of every data source's, by name.
static SCHEMA_TYPES: LazyLock<Vec<(String, CtyType)>> = LazyLock::new(|| {
    let mut types = vec![(
        "provider".to_string(),
        provider_config::schema().block.implied_type(),
    )];
    for source in datasources::all() {
        types.push((
            source.type_name().to_string(),
            source.schema().block.implied_type(),
        ));
    }
    types
});

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::Int),
        any::<u64>().prop_map(Number::UInt),
        any::<f64>()
            .prop_filter("NaN is not a number", |f| !f.is_nan())
            .prop_map(Number::Float),
        ("-?[1-9][0-9]{0,30}", "[0-9]{1,20}")
            .prop_map(|(i, f)| Number::Decimal(format!("{i}.{f}"))),
    ]
}

/// Refinements Terraform may send for an unknown of type `ty` (only those that apply to it).
fn arb_refinements(ty: &CtyType) -> BoxedStrategy<Refinements> {
    let not_null = any::<bool>();
    match ty {
        CtyType::Dynamic => Just(Refinements::default()).boxed(),
        CtyType::String => (not_null, prop::option::of("[a-z./-]{1,6}"))
            .prop_map(|(not_null, string_prefix)| Refinements {
                not_null,
                string_prefix,
                ..Refinements::default()
            })
            .boxed(),
        CtyType::Number => (
            not_null,
            prop::option::of((arb_number(), any::<bool>())),
            prop::option::of((arb_number(), any::<bool>())),
        )
            .prop_map(|(not_null, number_lower, number_upper)| Refinements {
                not_null,
                number_lower,
                number_upper,
                ..Refinements::default()
            })
            .boxed(),
        ty if ty.is_collection() => (
            not_null,
            prop::option::of(0u64..10),
            prop::option::of(0u64..10),
        )
            .prop_map(|(not_null, length_lower, length_upper)| Refinements {
                not_null,
                length_lower,
                length_upper,
                ..Refinements::default()
            })
            .boxed(),
        _ => not_null
            .prop_map(|not_null| Refinements {
                not_null,
                ..Refinements::default()
            })
            .boxed(),
    }
}

/// A value of type `ty`: null, unknown, or known with nested values of the element types.
fn arb_value(ty: &CtyType) -> BoxedStrategy<Value> {
    let known = match ty {
        CtyType::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        CtyType::Number => arb_number().prop_map(Value::Number).boxed(),
        CtyType::String => ".{0,10}".prop_map(Value::String).boxed(),
        CtyType::List(element) => prop::collection::vec(arb_value(element), 0..3)
            .prop_map(Value::List)
            .boxed(),
        CtyType::Set(element) => prop::collection::vec(arb_value(element), 0..3)
            .prop_map(Value::Set)
            .boxed(),
        CtyType::Map(element) => {
            prop::collection::btree_map("[a-z_]{0,6}", arb_value(element), 0..3)
                .prop_map(Value::Map)
                .boxed()
        }
        CtyType::Object(attributes) => {
            let fields: Vec<_> = attributes
                .iter()
                .map(|(name, ty)| (Just(name.clone()), arb_value(ty)))
                .collect();
            fields
                .prop_map(|fields| Value::Object(fields.into_iter().collect()))
                .boxed()
        }
        CtyType::Tuple(elements) => {
            let elements: Vec<_> = elements.iter().map(arb_value).collect();
            elements.prop_map(Value::Tuple).boxed()
        }
        // A dynamic slot carries its own type on the wire; a document of strings stands in for any.
        CtyType::Dynamic => {
            let ty = CtyType::map(CtyType::list(CtyType::String));
            arb_value(&ty)
                .prop_map(move |value| Value::dynamic(ty.clone(), value))
                .boxed()
        }
    };
    prop_oneof![
        1 => Just(Value::Null),
        1 => arb_refinements(ty).prop_map(Value::Unknown),
        4 => known,
    ]
    .boxed()
}

/// A schema (by index into [`SCHEMA_TYPES`]) and a value of its type.
fn arb_schema_value() -> impl Strategy<Value = (usize, Value)> {
    (0..SCHEMA_TYPES.len()).prop_flat_map(|index| (Just(index), arb_value(&SCHEMA_TYPES[index].1)))
}

/// An IPv4 address as users write it: decimal octets, some padded with zeros, some out of range.
fn arb_ipv4_text() -> impl Strategy<Value = String> {
    prop::collection::vec((0u16..300, 0usize..3), 4).prop_map(|octets| {
        octets
            .iter()
            .map(|(value, pad)| format!("{}{value}", "0".repeat(*pad)))
            .collect::<Vec<_>>()
            .join(".")
    })
}

/// An IPv6 address as users write it: canonical, upper case, fully expanded, or with an embedded IPv4 part.
fn arb_ipv6_text() -> impl Strategy<Value = String> {
    (any::<u128>(), 0..4, arb_ipv4_text()).prop_map(|(bits, form, quad)| {
        let address = Ipv6Addr::from(bits);
        match form {
            0 => address.to_string(),
            1 => address.to_string().to_uppercase(),
            2 => address
                .segments()
                .iter()
                .map(|s| format!("{s:04x}"))
                .collect::<Vec<_>>()
                .join(":"),
            _ => format!("::ffff:{quad}"),
        }
    })
}

/// A network spelled in one of the ways users write it: canonical, upper case, IPv6 without `::` (padded or not),
/// IPv4 with zero-padded octets.
fn arb_network_spelling() -> impl Strategy<Value = String> {
    (arb_network(), 0..5).prop_map(|(net, form)| {
        let prefix = net.prefix_len();
        match (net, form) {
            (_, 0) => net.to_string(),
            (_, 1) => net.to_string().to_uppercase(),
            (IpNet::V6(v6), 2) => {
                let segments: Vec<String> = v6
                    .addr()
                    .segments()
                    .iter()
                    .map(|s| format!("{s:04x}"))
                    .collect();
                format!("{}/{prefix}", segments.join(":"))
            }
            (IpNet::V6(v6), _) => {
                let segments: Vec<String> = v6
                    .addr()
                    .segments()
                    .iter()
                    .map(|s| format!("{s:x}"))
                    .collect();
                format!("{}/{prefix}", segments.join(":"))
            }
            (IpNet::V4(v4), _) => {
                let octets: Vec<String> = v4
                    .addr()
                    .octets()
                    .iter()
                    .map(|o| format!("{o:03}"))
                    .collect();
                format!("{}/{prefix}", octets.join("."))
            }
        }
    })
}

/// CIDR-like text: a network in some spelling, or an address with a prefix length or without, in and out of
/// range.
fn arb_cidr_text() -> impl Strategy<Value = String> {
    let v4 = (arb_ipv4_text(), prop::option::of(0u8..40));
    let v6 = (arb_ipv6_text(), prop::option::of(0u8..140));
    let address = prop_oneof![v4, v6].prop_map(|(address, prefix)| match prefix {
        Some(prefix) => format!("{address}/{prefix}"),
        None => address,
    });
    prop_oneof![arb_network_spelling(), address]
}

fn arb_network() -> impl Strategy<Value = IpNet> {
    prop_oneof![
        (any::<u32>(), 0u8..=32).prop_filter_map("prefix", |(bits, prefix)| {
            Ipv4Net::new(Ipv4Addr::from(bits), prefix)
                .ok()
                .map(|n| IpNet::V4(n.trunc()))
        }),
        (any::<u128>(), 0u8..=128).prop_filter_map("prefix", |(bits, prefix)| {
            Ipv6Net::new(Ipv6Addr::from(bits), prefix)
                .ok()
                .map(|n| IpNet::V6(n.trunc()))
        }),
    ]
}

/// A selection of one to three built-in platforms, each at its newest release or a release's first version,
/// with some option values, addresses for every endpoint, and either pod network.
fn arb_request() -> impl Strategy<Value = ExpansionRequest> {
    let catalog = Catalog::builtin();
    let platforms: Vec<String> = catalog.platforms().map(|p| p.name.clone()).collect();
    (
        prop::sample::subsequence(platforms, 1..=3),
        prop::collection::vec(any::<prop::sample::Index>(), 12),
        any::<bool>(),
    )
        .prop_map(move |(names, picks, routed)| {
            let mut picks = picks.into_iter().cycle();
            let mut request = ExpansionRequest {
                pod_network: if routed {
                    PodNetwork::Routed
                } else {
                    PodNetwork::Overlay
                },
                ..ExpansionRequest::default()
            };
            for name in names {
                let Some(platform) = catalog.platform(&name) else {
                    continue;
                };
                let mut pick = |n: usize| picks.next().map_or(0, |i| i.index(n.max(1)));
                let newest = platform.releases.len() - 1;
                let chosen = pick(platform.releases.len());
                let release = &platform.releases[chosen];
                // Without a version the newest release is selected, so an older one needs its version.
                let version = (chosen != newest || pick(2) == 1)
                    .then(|| release.platform.versions.lower().to_string());
                let mut options = BTreeMap::new();
                for option in &release.options {
                    if pick(2) == 1 {
                        options.insert(
                            option.name.clone(),
                            option.values[pick(option.values.len())].clone(),
                        );
                    }
                }
                for endpoint in &release.endpoints {
                    request.endpoints.push(EndpointSpec {
                        name: format!("{name}/{}", endpoint.name),
                        ipv4: vec!["10.20.0.0/16".into()],
                        ipv6: vec!["2001:db8::/32".into()],
                        ..EndpointSpec::default()
                    });
                }
                request.platforms.push(Selection {
                    platform: name,
                    version,
                    options,
                });
            }
            request
        })
}

/// The expansion of a request, or a rejected case: option values of two platforms may contradict each other.
fn expansion_or_reject(request: &ExpansionRequest) -> Result<Expansion, TestCaseError> {
    engine::expand(Catalog::builtin(), request)
        .map_err(|errors| TestCaseError::reject(format!("does not expand: {errors:?}")))
}

/// The expansion of a request that expanded before (in another order).
fn expansion(request: &ExpansionRequest) -> Result<Expansion, TestCaseError> {
    engine::expand(Catalog::builtin(), request)
        .map_err(|errors| TestCaseError::fail(format!("{request:?} does not expand: {errors:?}")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn schema_values_round_trip_through_msgpack((index, value) in arb_schema_value()) {
        let (name, ty) = &SCHEMA_TYPES[index];
        let bytes = encode_msgpack(ty, &value)
            .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
        let back = decode_msgpack(ty, &bytes)
            .map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
        prop_assert_eq!(&back, &value, "{}", name);
        prop_assert_eq!(encode_msgpack(ty, &back).ok(), Some(bytes), "{}", name);
    }

    #[test]
    fn every_schema_value_is_validated_and_read_into_a_result_that_encodes(
        (index, value) in arb_schema_value()
    ) {
        let (name, ty) = &SCHEMA_TYPES[index];
        let Some(source) = datasources::all().into_iter().find(|s| s.type_name() == name) else {
            let _ = provider_config::validate(&value);
            return Ok(());
        };
        let mut diagnostics = Diagnostics::default();
        source.validate(&value, &mut diagnostics);
        // The audit's read calls EC2: its validation is all that runs here.
        let readable = value.is_wholly_known()
            && !diagnostics.has_errors()
            && name != "portmatrix_aws_security_group_audit";
        if readable {
            if let Some(result) = source.read(&value, &mut diagnostics) {
                let bytes = result.encode(&source.schema())
                    .map_err(|e| TestCaseError::fail(format!("{name}: the read's result: {e}")))?;
                let decoded = decode_msgpack(ty, &bytes)
                    .map_err(|e| TestCaseError::fail(format!("{name}: the result decodes: {e}")))?;
                let again = encode_msgpack(ty, &decoded).ok().and_then(|b| decode_msgpack(ty, &b).ok());
                prop_assert_eq!(again, Some(decoded), "{}", name);
            }
        }
    }

    #[test]
    fn every_network_parses_from_its_own_spelling(net in arb_network()) {
        let text = net.to_string();
        let (own, other) = match net {
            IpNet::V4(_) => (CidrFamily::V4, CidrFamily::V6),
            IpNet::V6(_) => (CidrFamily::V6, CidrFamily::V4),
        };
        prop_assert_eq!(parse_cidr(&text, CidrFamily::Any), Ok(net));
        prop_assert_eq!(parse_cidr(&text, own), Ok(net));
        let is_malformed = matches!(parse_cidr(&text, other), Err(CidrError::Malformed { .. }));
        prop_assert!(is_malformed);
    }

    #[test]
    fn only_the_canonical_spelling_is_accepted(text in arb_cidr_text()) {
        if let Ok(net) = parse_cidr(&text, CidrFamily::Any) {
            prop_assert_eq!(net.to_string(), text);
        }
    }

    #[test]
    fn every_refusal_suggests_a_spelling_that_clears_it(text in arb_cidr_text()) {
        match parse_cidr(&text, CidrFamily::Any) {
            Err(CidrError::HostBits { network, .. }) => {
                prop_assert!(parse_cidr(&network, CidrFamily::Any).is_ok(), "{} -> {}", text, network);
            }
            Err(CidrError::NotCanonical { canonical, .. }) => {
                prop_assert!(parse_cidr(&canonical, CidrFamily::Any).is_ok(), "{} -> {}", text, canonical);
            }
            Err(CidrError::LeadingZeros { decimal: Some(decimal), .. }) => {
                prop_assert_eq!(leading_zeros(&decimal), None, "{} -> {}", text, decimal);
            }
            Err(CidrError::LeadingZeros { decimal: None, .. } | CidrError::Malformed { .. }) | Ok(_) => {}
        }
    }

    #[test]
    fn expansion_is_deterministic_and_ignores_the_order_of_platforms(request in arb_request()) {
        let first = expansion_or_reject(&request)?;
        prop_assert_eq!(&expansion(&request)?, &first);
        let mut reversed = request.clone();
        reversed.platforms.reverse();
        let other = expansion(&reversed)?;
        prop_assert_eq!(&other.rules, &first.rules);
        prop_assert_eq!(&other.not_needed, &first.not_needed);
        prop_assert_eq!(&other.skipped, &first.skipped);
        let keys: BTreeSet<String> = first.rules.iter().map(|r| r.key()).collect();
        prop_assert_eq!(keys.len(), first.rules.len(), "two rules share a key");
    }

    #[test]
    fn target_keys_are_the_rules_identities(request in arb_request(), nsg_per_tier in any::<bool>()) {
        let expansion = expansion_or_reject(&request)?;
        let widen = UnsupportedPolicy::Widen;

        let set = aws::security_group_rules(&expansion, &AwsOptions { rules_per_group: 1000, ..AwsOptions::default() })
            .map_err(|e| TestCaseError::fail(format!("aws: {e:?}")))?;
        for (key, rule) in set.ingress.iter().chain(&set.egress) {
            prop_assert_eq!(key, &rule.key());
            let names_its_group_and_peer =
                key.starts_with(&format!("{}:", rule.tier)) && key.ends_with(&format!(":{}", rule.peer.key()));
            prop_assert!(names_its_group_and_peer, "{}", key);
        }

        let set = openstack::security_group_rules(
            &expansion,
            &OpenStackOptions { unsupported_flows: widen, ..OpenStackOptions::default() },
        )
        .map_err(|e| TestCaseError::fail(format!("openstack: {e}")))?;
        for (key, rule) in set.ingress.iter().chain(&set.egress) {
            prop_assert_eq!(key, &rule.key());
        }
        // The counts grow as rules are written, so a rule lost to a key it shares with another shows here.
        let written: usize = set.tiers.values().map(|c| c.ingress + c.egress).sum();
        prop_assert_eq!(written, set.ingress.len() + set.egress.len(), "two openstack rules share a key");

        let set = gcp::firewall_rules(&expansion, &GcpOptions { unsupported_flows: widen, ..GcpOptions::default() })
            .map_err(|e| TestCaseError::fail(format!("gcp: {e:?}")))?;
        for (key, rule) in &set.rules {
            prop_assert_eq!(key, &rule.name);
            prop_assert!(gcp::valid_gcp_name(key), "{}", key);
        }

        let options = AzureOptions {
            unsupported_flows: widen,
            nsg_per_tier,
            platform_order: request.platforms.iter().map(|p| p.platform.clone()).collect(),
            ..AzureOptions::default()
        };
        let set = azure::security_rules(&expansion, &options)
            .map_err(|e| TestCaseError::fail(format!("azure: {e:?}")))?;
        let mut priorities = BTreeSet::new();
        for (key, rule) in &set.rules {
            prop_assert_eq!(key, &rule.name);
            prop_assert!((options.first_priority..=options.last_priority).contains(&rule.priority));
            let nsg = if nsg_per_tier { rule.tier.as_str() } else { "" };
            prop_assert!(
                priorities.insert((nsg, rule.direction.to_string(), rule.priority)),
                "priority {} is used twice in {:?} {}", rule.priority, nsg, rule.direction
            );
        }
        let written: usize = set.tiers.values().map(|t| t.inbound + t.outbound).sum();
        prop_assert_eq!(written, set.rules.len(), "two azure rules share a name");
    }
}
