//! Entry points of the fuzz targets (`provider/fuzz`, see DESIGN.md "Fuzzing") and of the replay of their corpus
//! in the test suite (`provider/tests/fuzz_corpus_replay.rs`): one function per reader of untrusted input, taking
//! the bytes a fuzzer makes up and driving the product code the way the provider or the CLI does.
//!
//! Not an API: hidden from the documentation, it may change with any commit. Unlike the product code these
//! functions panic on purpose: a failed assertion is a finding (a decoded value that does not encode again, two
//! renderings of one input that differ). Any other panic, a hang or an unbounded allocation they reach is a bug
//! of the product code.

// A panic is how these entry points report a finding to libFuzzer and to the corpus replay.
#![allow(clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{Debug, Display, Write as _};
use std::path::Path;
use std::sync::OnceLock;

use arbitrary::Unstructured;

use crate::catalog::{Catalog, Release, Selected, Selection};
use crate::cli;
use crate::cty::{self, CtyType};
use crate::datasources::{self, DataSource};
use crate::diagnostics::Diagnostics;
use crate::engine::{self, EndpointSpec, Expansion, ExpansionRequest, PodNetwork, TierSpec};
use crate::provider_config;
use crate::schema::Schema;
use crate::targets::aws::{self, AwsOptions};
use crate::targets::azure::{self, AzureOptions};
use crate::targets::common::UnsupportedPolicy;
use crate::targets::gcp::{self, GcpOptions};
use crate::targets::hcloud::{self, HcloudOptions};
use crate::targets::kubernetes_network_policies::{
    self as policies, Directions, LabelSelector, PolicyOptions, RoleSelector, SelectorOperator,
    SelectorRequirement,
};
use crate::targets::nftables::{self, NftOptions, Policy};
use crate::targets::openstack::{self, Ethertype, OpenStackOptions};

/// A fuzz target's entry point: it returns for every input unless it found a bug.
pub type Target = fn(&[u8]);

/// Every entry point by the name of its fuzz target, which is also its corpus directory
/// (`provider/fuzz/corpus/<name>`).
pub const TARGETS: [(&str, Target); 5] = [
    ("msgpack_value", msgpack_value),
    ("review_plan", review_plan),
    ("selection_file", selection_file),
    ("user_catalog", user_catalog),
    ("writers", writers),
];

/// The data source the server must never read here: its read calls EC2.
const AUDIT: &str = "portmatrix_aws_security_group_audit";

/// Types beyond the schemas' implied types, for the parts of the decoders no schema reaches (tuples, sets,
/// dynamic values at the top).
fn generic_types() -> Vec<CtyType> {
    vec![
        CtyType::Dynamic,
        CtyType::list(CtyType::Dynamic),
        CtyType::set(CtyType::Number),
        CtyType::map(CtyType::list(CtyType::String)),
        CtyType::tuple(vec![CtyType::Bool, CtyType::Number, CtyType::Dynamic]),
        CtyType::object([
            ("n", CtyType::Number),
            ("s", CtyType::set(CtyType::String)),
            ("d", CtyType::Dynamic),
        ]),
    ]
}

/// What a configuration is decoded for: the provider block, a data source, or a type no schema has.
enum Decoded {
    Provider,
    Source(Box<dyn DataSource>),
    Generic,
}

/// The schemas' blocks and types, built once: the data sources' schemas take longer to build than most inputs
/// take to decode.
fn schemas() -> &'static [(Decoded, Option<Schema>, CtyType)] {
    static SCHEMAS: OnceLock<Vec<(Decoded, Option<Schema>, CtyType)>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let provider = provider_config::schema().block;
        let mut all = vec![(Decoded::Provider, None, provider.implied_type())];
        for source in datasources::all() {
            let schema = source.schema();
            let ty = schema.implied_type().clone();
            all.push((Decoded::Source(source), Some(schema), ty));
        }
        all.extend(
            generic_types()
                .into_iter()
                .map(|ty| (Decoded::Generic, None, ty)),
        );
        all
    })
}

/// The gRPC server's configuration decoders. The first byte picks the schema (the provider block's, a data
/// source's, or a type no schema has) and, by its top bit, the encoding (msgpack, or the JSON Terraform may send
/// instead); the rest is the `DynamicValue`. A decoded value must encode as msgpack and decode to itself, and then
/// goes where the server sends it: validation, and for a wholly known configuration without errors the read,
/// whose result must encode and decode as the schema's type.
pub fn msgpack_value(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let schemas = schemas();
    let Some((decoded, schema, ty)) = schemas.iter().cycle().nth(usize::from(selector & 0x7f))
    else {
        return;
    };
    let value = if selector & 0x80 == 0 {
        cty::decode_msgpack(ty, bytes)
    } else {
        cty::decode_json(ty, bytes)
    };
    let value = match value {
        Ok(value) => value,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let encoded = cty::encode_msgpack(ty, &value)
        .unwrap_or_else(|error| panic!("a decoded value does not encode: {error}: {value:?}"));
    let again = cty::decode_msgpack(ty, &encoded)
        .unwrap_or_else(|error| panic!("an encoded value does not decode: {error}: {value:?}"));
    assert_eq!(again, value, "decoding the encoding changes the value");

    match decoded {
        Decoded::Provider => {
            show(&provider_config::validate(&value));
            if value.is_wholly_known() {
                if let Err(errors) = provider_config::settings(&value) {
                    show(&errors);
                }
            }
        }
        Decoded::Source(source) => {
            let mut diagnostics = Diagnostics::default();
            if let Some(schema) = schema {
                datasources::validate(source.as_ref(), &schema.block, &value, &mut diagnostics);
            }
            let readable =
                value.is_wholly_known() && !diagnostics.has_errors() && source.type_name() != AUDIT;
            if let (true, Some(schema)) = (readable, schema) {
                if let Some(result) = source.read(&value, &mut diagnostics) {
                    let name = source.type_name();
                    let encoded = result.encode(schema).unwrap_or_else(|error| {
                        panic!("{name}: the read's result does not encode: {error}")
                    });
                    if let Err(error) = cty::decode_msgpack(ty, &encoded) {
                        panic!("{name}: the read's result does not decode: {error}");
                    }
                }
            }
            show(&diagnostics);
        }
        Decoded::Generic => {}
    }
}

/// `portmatrix review PLAN.json` on the bytes as the plan, with the selection of its portmatrix data source, in
/// every output format. Reviewing the same plan twice gives the same outcome.
pub fn review_plan(data: &[u8]) {
    let catalog = Catalog::builtin();
    match cli::review_in_every_format(data, catalog) {
        Ok(outcomes) => {
            let again = cli::review_in_every_format(data, catalog);
            assert_eq!(Ok(outcomes), again, "two reviews of one plan differ");
        }
        Err(message) => drop(message),
    }
}

/// `--selection FILE` on the bytes as a TOML file and as a JSON file; a selection that expands is rendered by every
/// target with their default options.
pub fn selection_file(data: &[u8]) {
    let catalog = Catalog::builtin();
    for name in ["selection.toml", "selection.json"] {
        if let Ok((request, expansion)) = cli::select_file_bytes(Path::new(name), data, catalog) {
            render_twice(catalog, &request, &expansion, &Knobs::default());
        }
    }
}

/// A user catalog document (`user_catalogs`) on the bytes: parsed and validated, added to the built-in catalog
/// (alone, when it clashes with a built-in release), and, once valid, selected on the default tiers with an address
/// for each of its endpoints and a value for each parameter, so that its flows become rules, which every target
/// renders. The selections: the default options over an overlay and a routed pod network, then each value of each
/// option, up to [`MAX_VARIANTS`].
pub fn user_catalog(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let release = match Catalog::parse_release(text, "user_catalogs[0]") {
        Ok(release) => release,
        Err(error) => {
            let _ = error.to_string();
            return;
        }
    };
    let catalog = match Catalog::builtin().with_releases(vec![release.clone()]) {
        Ok(catalog) => catalog,
        Err(clash) => {
            let _ = clash.to_string();
            match Catalog::from_releases(vec![release.clone()]) {
                Ok(catalog) => catalog,
                Err(error) => panic!("a valid release does not make a catalog on its own: {error}"),
            }
        }
    };
    for request in catalog_requests(&release) {
        match engine::expand(&catalog, &request) {
            Ok(expansion) => render_twice(&catalog, &request, &expansion, &Knobs::default()),
            Err(errors) => show(&errors),
        }
    }
}

/// How many selections [`user_catalog`] expands per document.
const MAX_VARIANTS: usize = 8;

/// The selections [`user_catalog`] expands for `release`.
fn catalog_requests(release: &Release) -> Vec<ExpansionRequest> {
    let base = ExpansionRequest {
        platforms: vec![Selection {
            platform: release.platform.name.clone(),
            version: None,
            options: BTreeMap::new(),
        }],
        tiers: Vec::new(),
        endpoints: release
            .endpoints
            .iter()
            .map(|endpoint| EndpointSpec {
                name: endpoint.name.clone(),
                ipv4: vec!["10.0.0.0/8".into()],
                ipv6: vec!["2001:db8::/32".into()],
                ..EndpointSpec::default()
            })
            .collect(),
        parameters: release
            .parameters
            .iter()
            .map(|p| (p.name.clone(), 8080))
            .collect(),
        api_server_port: None,
        pod_network: PodNetwork::Overlay,
        extra_flows: Vec::new(),
    };
    let routed = ExpansionRequest {
        pod_network: PodNetwork::Routed,
        ..base.clone()
    };
    let mut requests = vec![base, routed.clone()];
    for option in &release.options {
        for value in &option.values {
            let mut request = routed.clone();
            if let Some(selection) = request.platforms.first_mut() {
                selection.options.insert(option.name.clone(), value.clone());
            }
            requests.push(request);
        }
    }
    requests.truncate(MAX_VARIANTS);
    requests
}

/// A selection from the built-in catalog made of the bytes (platforms, versions, options, tiers, endpoints,
/// parameters, the pod network and every target's options, valid and not), expanded and rendered by every target.
/// Expanding twice gives the same expansion, and rendering twice the same bytes.
pub fn writers(data: &[u8]) {
    let catalog = Catalog::builtin();
    let mut u = Unstructured::new(data);
    let Ok((request, knobs)) = arbitrary_selection(&mut u, catalog) else {
        return;
    };
    let expansion = engine::expand(catalog, &request);
    assert_eq!(
        expansion,
        engine::expand(catalog, &request),
        "two expansions of one request differ"
    );
    match expansion {
        Ok(expansion) => render_twice(catalog, &request, &expansion, &knobs),
        Err(errors) => show(&errors),
    }
}

/// Options of every target.
#[derive(Debug, Default)]
struct Knobs {
    aws: AwsOptions,
    azure: AzureOptions,
    gcp: GcpOptions,
    hcloud: HcloudOptions,
    openstack: OpenStackOptions,
    nftables: NftOptions,
    /// Everything but what [`render_all`] takes from the request and the expansion (endpoints, parameters).
    policies: PolicyOptions,
}

/// Renders `expansion` with every target twice and checks that both renderings are the same bytes.
fn render_twice(
    catalog: &Catalog,
    request: &ExpansionRequest,
    expansion: &Expansion,
    knobs: &Knobs,
) {
    let first = render_all(catalog, request, expansion, knobs);
    let second = render_all(catalog, request, expansion, knobs);
    assert!(first == second, "two renderings of one expansion differ");
}

/// Every target's output for `expansion` (or its errors, displayed), as text.
fn render_all(
    catalog: &Catalog,
    request: &ExpansionRequest,
    expansion: &Expansion,
    knobs: &Knobs,
) -> String {
    let mut out = format!("{expansion:?}\n");
    let mut azure = knobs.azure.clone();
    azure.platform_order = request
        .platforms
        .iter()
        .map(|p| p.platform.clone())
        .collect();
    outcome(&mut out, aws::security_group_rules(expansion, &knobs.aws));
    outcome(&mut out, azure::security_rules(expansion, &azure));
    outcome(&mut out, gcp::firewall_rules(expansion, &knobs.gcp));
    outcome(&mut out, hcloud::firewall_rules(expansion, &knobs.hcloud));
    outcome(
        &mut out,
        openstack::security_group_rules(expansion, &knobs.openstack).map_err(|e| vec![e]),
    );
    outcome(&mut out, nftables::rulesets(expansion, &knobs.nftables));

    // As the NetworkPolicy data source does: the catalog's selections, the engine's endpoint addresses and the
    // request's parameter values.
    let selected: Vec<Selected<'_>> = request
        .platforms
        .iter()
        .filter_map(|selection| catalog.select(selection).ok())
        .collect();
    let options = PolicyOptions {
        endpoints: expansion.endpoints.clone(),
        parameters: engine::parameter_values(catalog, request).unwrap_or_default(),
        ..knobs.policies.clone()
    };
    match policies::network_policies(&selected, &options) {
        Ok(set) => {
            let _ = writeln!(out, "{set:?}\n{}", set.yaml());
            for (key, manifest) in set.manifests() {
                let _ = writeln!(out, "{key}: {manifest}");
            }
        }
        Err(errors) => show_into(&mut out, &errors),
    }
    out
}

/// Appends a target's result, or its errors displayed.
fn outcome<T: Debug, E: Debug + Display>(out: &mut String, result: Result<T, Vec<E>>) {
    match result {
        Ok(set) => {
            let _ = writeln!(out, "{set:?}");
        }
        Err(errors) => show_into(out, &errors),
    }
}

/// Formats errors (their formatting is code the fuzzer should reach too), and forgets them.
fn show<E: Debug>(errors: &E) {
    let _ = format!("{errors:?}");
}

/// Appends errors as displayed and debugged.
fn show_into<E: Debug + Display>(out: &mut String, errors: &[E]) {
    for error in errors {
        let _ = writeln!(out, "{error}\n{error:?}");
    }
}

/// Tier names, valid and not.
const TIER_NAMES: [&str; 8] = [
    "master", "worker", "lb", "edge", "db-1", "a_b", "Bad Name", "",
];

/// IPv4 blocks, valid and not (host bits, leading zeros, out of range).
const IPV4: [&str; 9] = [
    "0.0.0.0/0",
    "10.0.0.0/8",
    "10.0.0.0/16",
    "192.168.1.0/24",
    "10.1.2.3/32",
    "10.0.0.1/8",
    "010.0.0.0/8",
    "256.0.0.0/8",
    "2001:db8::/32",
];

/// IPv6 blocks, valid and not.
const IPV6: [&str; 7] = [
    "::/0",
    "2001:db8::/32",
    "2001:db8:1::/48",
    "fd00::/8",
    "2001:DB8::/32",
    "2001:db8::1/32",
    "10.0.0.0/8",
];

/// Valid blocks only: the NetworkPolicy data source checks `node_cidrs` before the target sees them.
const VALID_CIDRS: [&str; 4] = ["10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32", "::/0"];

/// Prefix list IDs, valid and not.
const PREFIX_LISTS: [&str; 4] = ["pl-0123456789abcdef0", "pl-12345678", "pl-x", "sg-12345678"];

/// Name prefixes, valid and not.
const PREFIXES: [&str; 6] = [
    "pm-",
    "",
    "x",
    "UPPER-",
    "a-very-long-prefix-that-is-too-long-",
    "-",
];

/// Ports, valid and not.
const PORTS: [i64; 8] = [0, 1, 22, 443, 6443, 65535, 65536, -1];

/// Versions as users write them, valid and not.
const VERSIONS: [&str; 6] = ["1.5", "v1.6.2", "0.0.1", "99.0", "latest", ""];

/// Picks one of `items`.
fn pick<'a, T>(u: &mut Unstructured<'_>, items: &'a [T]) -> arbitrary::Result<&'a T> {
    u.choose(items)
}

/// Some of `items` (possibly none, possibly repeated).
fn some_of<T: Clone>(
    u: &mut Unstructured<'_>,
    items: &[T],
    most: usize,
) -> arbitrary::Result<Vec<T>> {
    let count = u.int_in_range(0..=most)?;
    (0..count).map(|_| pick(u, items).cloned()).collect()
}

/// Some of `items` as strings.
fn strings(
    u: &mut Unstructured<'_>,
    items: &[&str],
    most: usize,
) -> arbitrary::Result<Vec<String>> {
    Ok(some_of(u, items, most)?
        .into_iter()
        .map(str::to_string)
        .collect())
}

/// The unsupported-flow policy.
fn policy(u: &mut Unstructured<'_>) -> arbitrary::Result<UnsupportedPolicy> {
    pick(
        u,
        &[
            UnsupportedPolicy::Error,
            UnsupportedPolicy::Widen,
            UnsupportedPolicy::Skip,
        ],
    )
    .copied()
}

/// A request over the built-in catalog, and target options, made of `u`.
fn arbitrary_selection(
    u: &mut Unstructured<'_>,
    catalog: &Catalog,
) -> arbitrary::Result<(ExpansionRequest, Knobs)> {
    let platforms: Vec<_> = catalog.platforms().collect();
    let mut request = ExpansionRequest::default();
    let mut releases: Vec<&Release> = Vec::new();
    for _ in 0..u.int_in_range(1..=3)? {
        let platform = *pick(u, &platforms)?;
        let release = pick(u, &platform.releases)?;
        let version = match u.int_in_range(0..=3)? {
            0 => None,
            1 => Some(release.platform.versions.lower().to_string()),
            2 => Some(format!("v{}", release.platform.versions.lower())),
            _ => Some(pick(u, &VERSIONS)?.to_string()),
        };
        let mut options = BTreeMap::new();
        for option in &release.options {
            match u.int_in_range(0..=3)? {
                0 | 1 => {}
                2 => {
                    options.insert(option.name.clone(), pick(u, &option.values)?.clone());
                }
                _ => {
                    options.insert(option.name.clone(), "bogus".into());
                }
            }
        }
        if u.ratio(1, 16)? {
            options.insert("no_such_option".into(), "true".into());
        }
        releases.push(release);
        request.platforms.push(Selection {
            platform: platform.name.clone(),
            version,
            options,
        });
    }

    let roles: Vec<String> = releases
        .iter()
        .flat_map(|r| {
            r.roles.iter().flat_map(move |role| {
                [
                    format!("{}/{}", r.platform.name, role.name),
                    role.name.clone(),
                ]
            })
        })
        .chain(["nobody".to_string(), "x/y".to_string()])
        .collect();
    if u.arbitrary()? {
        for _ in 0..u.int_in_range(1..=4)? {
            let name = pick(u, &TIER_NAMES)?.to_string();
            let roles = if u.arbitrary()? {
                Some(some_of(u, &roles, 6)?)
            } else {
                None
            };
            request.tiers.push(TierSpec { name, roles });
        }
    }
    let tiers: Vec<String> = if request.tiers.is_empty() {
        engine::DEFAULT_TIERS
            .iter()
            .map(|t| t.to_string())
            .collect()
    } else {
        request.tiers.iter().map(|t| t.name.clone()).collect()
    };

    let endpoints: Vec<String> = releases
        .iter()
        .flat_map(|r| {
            r.endpoints
                .iter()
                .flat_map(move |e| [format!("{}/{}", r.platform.name, e.name), e.name.clone()])
        })
        .chain(
            releases
                .iter()
                .flat_map(|r| r.roles.iter().map(|role| role.name.clone())),
        )
        .chain(["nowhere".to_string()])
        .collect();
    for _ in 0..u.int_in_range(0..=6)? {
        let mut spec = EndpointSpec {
            name: pick(u, &endpoints)?.clone(),
            ipv4: strings(u, &IPV4, 3)?,
            ipv6: strings(u, &IPV6, 2)?,
            references: strings(u, &PREFIX_LISTS, 2)?,
            tier: None,
        };
        if u.ratio(1, 4)? {
            spec.tier = Some(pick(u, &tiers)?.clone());
        }
        request.endpoints.push(spec);
    }

    let parameters: Vec<String> = releases
        .iter()
        .flat_map(|r| r.parameters.iter().map(|p| p.name.clone()))
        .chain([
            engine::API_SERVER_PARAMETER.to_string(),
            "unknown_port".to_string(),
        ])
        .collect();
    for _ in 0..u.int_in_range(0..=4)? {
        let port = if u.ratio(1, 8)? {
            u.arbitrary()?
        } else {
            *pick(u, &PORTS)?
        };
        request
            .parameters
            .insert(pick(u, &parameters)?.clone(), port);
    }
    if u.arbitrary()? {
        request.api_server_port = Some(*pick(u, &PORTS)?);
    }
    if u.arbitrary()? {
        request.pod_network = PodNetwork::Routed;
    }

    let knobs = arbitrary_knobs(u, &tiers, &roles)?;
    Ok((request, knobs))
}

/// Target options made of `u`, for these tiers and roles.
fn arbitrary_knobs(
    u: &mut Unstructured<'_>,
    tiers: &[String],
    roles: &[String],
) -> arbitrary::Result<Knobs> {
    let addresses: Vec<&str> = IPV4.iter().chain(&IPV6).copied().collect();
    let ranges = |u: &mut Unstructured<'_>| -> arbitrary::Result<BTreeMap<String, Vec<String>>> {
        let mut map = BTreeMap::new();
        for tier in tiers {
            if u.arbitrary()? {
                map.insert(tier.clone(), strings(u, &addresses, 3)?);
            }
        }
        if u.ratio(1, 16)? {
            map.insert("no-such-tier".into(), vec!["10.0.0.0/8".into()]);
        }
        Ok(map)
    };
    let aws = AwsOptions {
        rules_per_group: *pick(u, &[1, 2, 5, aws::DEFAULT_RULES_PER_GROUP, 1000])?,
        widen_to_fit: u.arbitrary()?,
        all_traffic_within_tier: u.arbitrary()?,
    };
    let gcp = GcpOptions {
        name_prefix: pick(u, &PREFIXES)?.to_string(),
        tag_prefix: pick(u, &PREFIXES)?.to_string(),
        service_accounts: if u.ratio(1, 4)? {
            tiers
                .iter()
                .map(|t| (t.clone(), format!("{t}@project.iam.gserviceaccount.com")))
                .collect()
        } else {
            BTreeMap::new()
        },
        tier_ranges: ranges(u)?,
        priority: *pick(u, &[0, 1, gcp::DEFAULT_PRIORITY, 65535])?,
        unsupported_flows: policy(u)?,
    };
    let azure = AzureOptions {
        name_prefix: pick(u, &PREFIXES)?.to_string(),
        nsg_per_tier: u.arbitrary()?,
        first_priority: *pick(u, &[azure::MIN_PRIORITY, 99, 200, 4000])?,
        last_priority: *pick(u, &[azure::MAX_PRIORITY, 101, 4097, 150])?,
        unsupported_flows: policy(u)?,
        platform_order: Vec::new(),
    };
    let hcloud = HcloudOptions {
        tier_ranges: ranges(u)?,
        unsupported_flows: policy(u)?,
        outbound_rules: u.arbitrary()?,
    };
    let mut ethertypes = BTreeSet::new();
    if u.arbitrary()? {
        ethertypes.insert(Ethertype::Ipv4);
    }
    if u.arbitrary()? {
        ethertypes.insert(Ethertype::Ipv6);
    }
    let openstack = OpenStackOptions {
        ethertypes,
        unsupported_flows: policy(u)?,
    };
    let nftables = NftOptions {
        tier_addresses: ranges(u)?,
        pod_cidrs: strings(u, &addresses, 2)?,
        input_policy: *pick(u, &[Policy::Drop, Policy::Accept])?,
        output_policy: *pick(u, &[None, Some(Policy::Drop), Some(Policy::Accept)])?,
    };
    let mut selectors = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let mut selector = LabelSelector::default();
        for _ in 0..u.int_in_range(0..=2)? {
            selector.match_labels.insert(
                pick(u, &["app", "app.kubernetes.io/name", "", "Bad Key!"])?.to_string(),
                pick(u, &["web", "", "-bad-"])?.to_string(),
            );
        }
        if u.arbitrary()? {
            let operator = *pick(
                u,
                &[
                    SelectorOperator::In,
                    SelectorOperator::NotIn,
                    SelectorOperator::Exists,
                    SelectorOperator::DoesNotExist,
                ],
            )?;
            selector.match_expressions.push(SelectorRequirement {
                key: "tier".into(),
                operator,
                values: strings(u, &["a", "b", ""], 2)?,
            });
        }
        selectors.push(RoleSelector {
            role: pick(u, roles)?.clone(),
            namespace: pick(u, &[None, Some("kube-system"), Some(""), Some("Bad_NS")])?
                .map(str::to_string),
            selector,
        });
    }
    let policies = PolicyOptions {
        node_cidrs: strings(u, &VALID_CIDRS, 2)?,
        selectors,
        directions: Directions {
            ingress: u.arbitrary()?,
            egress: u.arbitrary()?,
        },
        name_prefix: pick(u, &["portmatrix-", "", "Bad_", "x"])?.to_string(),
        ..PolicyOptions::default()
    };
    Ok(Knobs {
        aws,
        azure,
        gcp,
        hcloud,
        openstack,
        nftables,
        policies,
    })
}
