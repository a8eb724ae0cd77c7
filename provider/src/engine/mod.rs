//! The expansion engine: a selection of platforms, the user's tiers and endpoints in, normalized rules out.
//!
//! Pure Rust: it knows the catalog, and nothing of Terraform, gRPC or any cloud. Targets (AWS security groups,
//! ...) shape its [`Expansion`] for their resources.

pub mod cidr;
mod extra;
mod listing;
mod placement;
mod request;
mod rules;
pub mod setting;

pub use listing::{flow_listing, FlowListing};
pub use placement::EndpointAddresses;
pub(crate) use placement::{roles_named, DEFAULT_TIERS};
pub use request::{
    EndpointSpec, ExpansionRequest, ExtraFlowSpec, InputError, PathStep, PlatformBlock, PodNetwork,
    TierSpec,
};
pub(crate) use rules::merge;
pub use rules::{Peer, Reason, Rule, RulePorts};

use crate::catalog::{Catalog, Flow, Network, PortSpec, Protocol, Release, Selected};
use crate::output_shape::output_struct;
use placement::{Placement, Qualified};
use request::field;
use setting::{Literal, Setting};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The catalog parameter that stands for the Kubernetes API server port in every platform's rows. Its value is
/// the selection's `api_server_port`, not a per-platform parameter.
pub(crate) const API_SERVER_PARAMETER: &str = "apiserver_port";

/// The most tier-to-tier rules an expansion may produce before merging. Real selections produce tens to a few
/// hundred (Kublr with Calico on three tiers: about 60); every firewall caps far lower (AWS: 60 rules per group by
/// default, 1000 at most; GCP: a few hundred rules per project; Azure: 1000 per NSG). Rules grow with the square
/// of the tier count, so without a bound a selection with hundreds of tiers takes gigabytes and ends in a
/// transport error instead of a diagnostic.
pub(crate) const MAX_RULES: usize = 20_000;

/// The result of an expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// Normalized rules, sorted by destination, source, protocol and ports.
    pub rules: Vec<Rule>,
    /// Flows that need no cloud rule, with the reason (pod traffic inside the overlay, ...).
    pub not_needed: Vec<SkippedFlow>,
    /// Flows that could not become rules because an input is missing.
    pub skipped: Vec<SkippedFlow>,
    /// One line per missing input, naming the flows it cost.
    pub warnings: Vec<String>,
    /// Each tier with the roles placed on it (`platform/role`), in the user's tier order.
    pub tiers: Vec<(String, Vec<String>)>,
    /// Validated addresses of every endpoint block, by block name.
    pub endpoints: BTreeMap<String, EndpointAddresses>,
}

impl Expansion {
    /// The endpoint blocks some rule reaches that give no addresses, each with the keys of those rules: the
    /// rules a firewall target cannot write.
    pub(crate) fn endpoints_without_addresses(&self) -> BTreeMap<String, Vec<String>> {
        let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for rule in &self.rules {
            for peer in [&rule.source, &rule.destination] {
                let Peer::Endpoint(name) = peer else { continue };
                if self
                    .endpoints
                    .get(name)
                    .is_none_or(EndpointAddresses::is_empty)
                {
                    found.entry(name.clone()).or_default().push(rule.key());
                }
            }
        }
        found
    }
}

output_struct! {
    /// A catalog flow that produced no rule, and why.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    pub struct SkippedFlow {
        /// Platform name.
        pub platform: String,
        /// Sending role or endpoint.
        pub from_role: String,
        /// Receiving role or endpoint.
        pub to_role: String,
        /// Protocol.
        pub protocol: String,
        /// Ports as the catalog states them.
        pub ports: String,
        /// What the traffic is for.
        pub purpose: String,
        /// Why there is no rule.
        pub reason: String,
    }
}

/// Where one end of a flow is.
enum End {
    /// Runs on these tiers, on the pod or host network.
    Tiers(Vec<String>, Network),
    /// Outside the cluster, at this endpoint block's addresses.
    Endpoint(String),
    /// An endpoint block that is one of the user's tiers and addresses outside them as well (clients that come
    /// through a load balancer tier and from a bastion's addresses).
    TierAndEndpoint(String, String),
    /// Not resolvable; the string says which input is missing.
    Missing(String),
}

/// Expands `request` against `catalog`.
pub fn expand(catalog: &Catalog, request: &ExpansionRequest) -> Result<Expansion, Vec<InputError>> {
    let mut errors = Vec::new();
    let mut selected = Vec::new();
    let mut seen = BTreeSet::new();
    for (index, selection) in request.platforms.iter().enumerate() {
        let path = vec![field("platform"), PathStep::Index(index)];
        if !seen.insert(selection.platform.clone()) {
            errors.push(InputError::new(
                [path.clone(), vec![field("name")]].concat(),
                format!("Platform {:?} is selected twice", selection.platform),
                format!(
                    "Select each platform once: keep one {} with all of its options.",
                    Setting::Platform {
                        name: selection.platform.clone()
                    }
                ),
            ));
            continue;
        }
        match catalog.select(selection) {
            Ok(chosen) => selected.push(chosen),
            Err(error) => errors.push(selection_error(path, &error)),
        }
    }
    if request.platforms.is_empty() {
        errors.push(InputError::new(
            vec![field("platform")],
            "No platform selected",
            format!(
                "Select at least one platform, e.g. {}.",
                Setting::Platform {
                    name: "kubernetes".into()
                }
            ),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let releases: Vec<(String, &Release)> = selected
        .iter()
        .map(|s| (s.release.platform.name.clone(), s.release))
        .collect();
    let placement = placement::place(request, &releases)?;
    let (parameters, notices) = parameters(request, &releases)?;

    let extras = extra::check(request, &releases, &placement)?;
    let mut out = Collector {
        pod_network: request.pod_network,
        ..Collector::default()
    };
    for chosen in &selected {
        let release = chosen.release;
        for flow in &chosen.flows {
            let origin = FlowOrigin {
                platform: &release.platform.name,
                from: &flow.from,
                to: &flow.to,
                protocol: flow.protocol,
                ports: FlowPorts::Catalog(&flow.ports),
                purpose: &flow.purpose,
            };
            out.flow(
                &origin,
                &end(release, &flow.from, &placement),
                &end(release, &flow.to, &placement),
                rule_ports(flow, release, &parameters),
                || reason(release, flow),
            );
        }
    }
    for extra in &extras {
        let origin = FlowOrigin {
            platform: placement::USER_DEFINED,
            from: &extra.spec.from,
            to: &extra.spec.to,
            protocol: extra.protocol,
            ports: FlowPorts::Text(extra.ports_text()),
            purpose: &extra.spec.description,
        };
        out.flow(
            &origin,
            &extra.from,
            &extra.to,
            Ok(extra.ports.clone()),
            || extra.reason(),
        );
    }
    let Collector {
        candidates,
        size,
        mut not_needed,
        mut skipped,
        missing,
        ..
    } = out;

    size.check(placement.tiers.len())?;
    let warnings = notices
        .into_iter()
        .chain(
            selected
                .iter()
                .filter_map(|chosen| chosen.unread_version.clone()),
        )
        .chain(overlapping_choices(request, &selected))
        .chain(missing.into_iter().map(|(what, flows)| {
            format!(
                "{what}; skipped {} flow(s): {}",
                flows.len(),
                flows.join(", ")
            )
        }))
        .collect();
    let tiers = placement
        .tiers
        .iter()
        .map(|tier| {
            let roles = placement
                .role_tiers
                .iter()
                .filter(|(_, tiers)| tiers.contains(tier))
                .map(|((p, r), _)| format!("{p}/{r}"))
                .collect();
            (tier.clone(), roles)
        })
        .collect();
    not_needed.sort();
    skipped.sort();
    Ok(Expansion {
        rules: merge(candidates),
        not_needed,
        skipped,
        warnings,
        tiers,
        endpoints: placement.addresses,
    })
}

/// Platforms selected beside a platform whose option chose something else in their place: RKE2's `cni` is
/// `canal` (its default) while the calico platform is selected too. Both add their rows, so the rules open two
/// CNIs' ports; each such pair gets a warning naming both ways out. A choice of the platform selected, or one that
/// brings no rows (`none`), is no overlap.
fn overlapping_choices(request: &ExpansionRequest, selected: &[Selected]) -> Vec<String> {
    let mut warnings = Vec::new();
    for chooser in selected {
        let platform = &chooser.release.platform.name;
        let given_options = request
            .platforms
            .iter()
            .find(|selection| selection.platform == *platform)
            .map(|selection| &selection.options);
        for option in &chooser.release.options {
            let Some(chosen) = chooser.options.get(&option.name) else {
                continue;
            };
            // Only a choice that brings rows of its own overlaps (`none`, no bundled CNI, brings none).
            if !chooser
                .flows
                .iter()
                .any(|f| f.when.contains_key(&option.name))
            {
                continue;
            }
            let default = if given_options.is_some_and(|options| options.contains_key(&option.name))
            {
                ""
            } else {
                " (its default)"
            };
            for other in selected {
                let name = &other.release.platform.name;
                if name == chosen || name == platform || !option.values.contains(name) {
                    continue;
                }
                warnings.push(format!(
                    "{platform}'s option {} is {chosen:?}{default}, yet the platform {name} is selected too: the rules \
                     open the ports of both. If {name} is what runs, set {}; if {chosen} is, remove {}",
                    option.name,
                    Setting::PlatformOption {
                        platform: platform.clone(),
                        key: option.name.clone(),
                        value: Some(name.clone()),
                    },
                    Setting::Platform { name: name.clone() },
                ));
            }
        }
    }
    warnings
}

/// The port parameter values of a request as [`expand`] resolves them, the API server port included, for targets
/// that read catalog flows themselves. Platforms that fail to select are left out ([`expand`] reports them).
pub(crate) fn parameter_values(
    catalog: &Catalog,
    request: &ExpansionRequest,
) -> Result<BTreeMap<String, u16>, Vec<InputError>> {
    let selected: Vec<_> = request
        .platforms
        .iter()
        .filter_map(|selection| catalog.select(selection).ok())
        .collect();
    let releases: Vec<(String, &Release)> = selected
        .iter()
        .map(|s| (s.release.platform.name.clone(), s.release))
        .collect();
    parameters(request, &releases).map(|(values, _)| values)
}

fn selection_error(mut path: Vec<PathStep>, error: &crate::catalog::SelectionError) -> InputError {
    use crate::catalog::SelectionError as E;
    let (summary, step) = match error {
        // The summary names the platform; the detail says only what is valid, not the summary again.
        E::UnknownPlatform { platform, valid } => {
            path.push(field("name"));
            let lower = platform.to_lowercase();
            let hint = if valid.contains(&lower) {
                format!(" Platform names are lower-case: {lower:?}.")
            } else {
                String::new()
            };
            return InputError::new(
                path,
                format!("Unknown platform {platform:?}"),
                format!("Valid platforms: {}.{hint}", valid.join(", ")),
            );
        }
        E::VersionOutOfRange { .. } | E::BadVersion { .. } => {
            ("Unsupported version".to_string(), field("version"))
        }
        E::UnknownOption {
            option, platform, ..
        } if option == API_SERVER_PARAMETER => {
            path.push(field("options"));
            path.push(PathStep::Key(option.clone()));
            return InputError::new(
                path,
                format!(
                    "The option \"apiserver_port\" became the setting {}",
                    Setting::ApiServerPort { value: None }
                ),
                format!(
                    "The API server port is one setting for the whole selection now, used by every platform's API \
                     server rows: remove {} and set {} (or 6443) for the whole selection.",
                    Setting::PlatformOption {
                        platform: platform.clone(),
                        key: API_SERVER_PARAMETER.into(),
                        value: None
                    },
                    Setting::ApiServerPort {
                        value: Some(Literal::Number("443".into()))
                    }
                ),
            );
        }
        E::UnknownOption { option, .. } => {
            path.push(field("options"));
            (
                format!("Unknown option {option:?}"),
                PathStep::Key(option.clone()),
            )
        }
        E::InvalidOptionValue { option, .. } => {
            path.push(field("options"));
            (
                format!("Invalid value for option {option:?}"),
                PathStep::Key(option.clone()),
            )
        }
    };
    path.push(step);
    InputError::new(path, summary, capitalize(&error.to_string()))
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

/// Port parameter values by name, and warnings about inputs spelt the old way.
type Resolved = (BTreeMap<String, u16>, Vec<String>);

/// The user's parameter values, checked against what the selected releases declare, with the API server port
/// under [`API_SERVER_PARAMETER`]; and warnings about inputs spelt the old way.
fn parameters(
    request: &ExpansionRequest,
    releases: &[(String, &Release)],
) -> Result<Resolved, Vec<InputError>> {
    let declared: BTreeSet<&str> = releases
        .iter()
        .flat_map(|(_, r)| r.parameters.iter().map(|p| p.name.as_str()))
        .collect();
    let mut errors = Vec::new();
    let mut values = BTreeMap::new();
    for (name, value) in &request.parameters {
        let path = vec![field("parameters"), PathStep::Key(name.clone())];
        if !declared.contains(name.as_str()) {
            let valid = if declared.is_empty() {
                "The selected platforms have no port parameters; remove it.".to_string()
            } else {
                format!(
                    "Parameters of the selected platforms: {}.",
                    declared.iter().copied().collect::<Vec<_>>().join(", ")
                )
            };
            errors.push(InputError::new(
                path,
                format!("Unknown parameter {name:?}"),
                valid,
            ));
            continue;
        }
        if name == API_SERVER_PARAMETER {
            continue;
        }
        if let Some(port) = port(*value, path, &format!("Parameter {name:?}"), &mut errors) {
            values.insert(name.clone(), port);
        }
    }
    let mut notices = Vec::new();
    if let Some(port) = api_server_port(request, releases, &mut errors, &mut notices) {
        values.insert(API_SERVER_PARAMETER.to_string(), port);
    }
    if errors.is_empty() {
        Ok((values, notices))
    } else {
        Err(errors)
    }
}

/// `value` as a port, or an error at `path` saying `what` is not one.
fn port(value: i64, path: Vec<PathStep>, what: &str, errors: &mut Vec<InputError>) -> Option<u16> {
    match u16::try_from(value) {
        Ok(port) if port > 0 => Some(port),
        _ => {
            errors.push(InputError::new(
                path,
                format!("{what} is not a port"),
                format!("{value} is outside 1..65535."),
            ));
            None
        }
    }
}

/// The selection's API server port: `api_server_port`, else the old `parameters.apiserver_port` (with a warning),
/// else the one default the selected platforms' sources state. `None` when no source states one: the flows that
/// need it are then skipped with a warning.
fn api_server_port(
    request: &ExpansionRequest,
    releases: &[(String, &Release)],
    errors: &mut Vec<InputError>,
    notices: &mut Vec<String>,
) -> Option<u16> {
    let explicit = request.api_server_port.and_then(|value| {
        port(
            value,
            vec![field("api_server_port")],
            &Setting::ApiServerPort { value: None }.to_string(),
            errors,
        )
    });
    let legacy_path = vec![
        field("parameters"),
        PathStep::Key(API_SERVER_PARAMETER.to_string()),
    ];
    let legacy = request
        .parameters
        .get(API_SERVER_PARAMETER)
        .and_then(|value| {
            port(
                *value,
                legacy_path.clone(),
                "Parameter \"apiserver_port\"",
                errors,
            )
        });
    if let Some(old) = legacy {
        notices.push(format!(
            "{} is the old spelling of {}, which every platform's API server rows now share: replace it with {}",
            Setting::Parameter {
                name: API_SERVER_PARAMETER.into(),
                value: None
            },
            Setting::ApiServerPort { value: None },
            Setting::ApiServerPort {
                value: Some(Literal::Number(old.to_string()))
            }
        ));
    }
    match (explicit, legacy) {
        (Some(new), Some(old)) if new != old => {
            errors.push(InputError::new(
                legacy_path,
                "Two API server ports",
                format!(
                    "{} is {new} but {legacy} is {old}: remove {legacy}.",
                    Setting::ApiServerPort { value: None },
                    legacy = Setting::Parameter {
                        name: API_SERVER_PARAMETER.into(),
                        value: None
                    },
                ),
            ));
            return None;
        }
        (Some(port), _) | (None, Some(port)) => return Some(port),
        (None, None) => {}
    }
    let mut defaults: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for (platform, release) in releases {
        let default = release
            .parameters
            .iter()
            .find(|p| p.name == API_SERVER_PARAMETER)
            .and_then(|p| p.default);
        if let Some(default) = default {
            defaults.entry(default).or_default().push(platform);
        }
    }
    match defaults.len() {
        0 => None,
        1 => defaults.into_keys().next(),
        _ => {
            let claims: Vec<String> = defaults
                .iter()
                .map(|(port, platforms)| format!("{} {port}", platforms.join(", ")))
                .collect();
            errors.push(InputError::new(
                vec![field("api_server_port")],
                "The selected platforms disagree on the API server port",
                format!(
                    "Their sources give different defaults ({}): set {} to the port your API server listens on.",
                    claims.join("; "),
                    Setting::ApiServerPort { value: None }
                ),
            ));
            None
        }
    }
}

/// Counts the rules an expansion would produce, keeping them only while they fit in [`MAX_RULES`], and names
/// the largest contributors when they do not.
#[derive(Default)]
struct SizeCheck<'a> {
    total: usize,
    /// Rule count, origin and source and destination tier counts of each flow, described only for the error.
    flows: Vec<(usize, FlowOrigin<'a>, usize, usize)>,
}

impl<'a> SizeCheck<'a> {
    /// Counts the `count` rules of the flow from `origin` between `sources` and `destinations` tiers; `true` when
    /// they still fit and should be produced.
    fn admit(
        &mut self,
        count: usize,
        origin: &FlowOrigin<'a>,
        sources: usize,
        destinations: usize,
    ) -> bool {
        self.total = self.total.saturating_add(count);
        self.flows
            .push((count, origin.clone(), sources, destinations));
        self.total <= MAX_RULES
    }

    /// The error naming the limit and the largest flows, when the total exceeds it.
    fn check(self, tiers: usize) -> Result<(), Vec<InputError>> {
        if self.total <= MAX_RULES {
            return Ok(());
        }
        let mut flows: Vec<(usize, String)> = self
            .flows
            .iter()
            .map(|(count, origin, sources, destinations)| {
                let what = format!(
                    "{} ({sources} source tier(s) x {destinations} destination tier(s))",
                    origin.describe()
                );
                (*count, what)
            })
            .collect();
        flows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let largest: Vec<String> = flows
            .iter()
            .take(5)
            .map(|(count, what)| format!("{count} from {what}"))
            .collect();
        Err(vec![InputError::new(
            vec![field("tier")],
            format!(
                "The selection would produce {} rules, more than the limit of {MAX_RULES}",
                self.total
            ),
            format!(
                "Rules grow with the square of the tier count ({tiers} tiers here), and no firewall holds this \
                 many. The largest contributors: {}. Put machines that share a role on one tier, or split the \
                 selection into several data sources.",
                largest.join("; ")
            ),
        )])
    }
}

/// A flow's ports as its origin names them: a catalog's port spec, described when a text needs it, or the
/// text of an `extra_flow`.
#[derive(Clone)]
enum FlowPorts<'a> {
    Catalog(&'a PortSpec),
    Text(String),
}

impl fmt::Display for FlowPorts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowPorts::Catalog(spec) => f.write_str(&spec.describe()),
            FlowPorts::Text(text) => f.write_str(text),
        }
    }
}

/// Where a flow comes from, in the words of its catalog (or of the user's `extra_flow`).
#[derive(Clone)]
struct FlowOrigin<'a> {
    platform: &'a str,
    from: &'a str,
    to: &'a str,
    protocol: Protocol,
    ports: FlowPorts<'a>,
    purpose: &'a str,
}

impl FlowOrigin<'_> {
    fn skipped(&self, reason: String) -> SkippedFlow {
        SkippedFlow {
            platform: self.platform.to_string(),
            from_role: self.from.to_string(),
            to_role: self.to.to_string(),
            protocol: self.protocol.to_string(),
            ports: self.ports.to_string(),
            purpose: self.purpose.to_string(),
            reason,
        }
    }

    fn describe(&self) -> String {
        format!(
            "{}: {} -> {} {} {}",
            self.platform, self.from, self.to, self.protocol, self.ports
        )
    }
}

/// What the flows of one expansion have produced so far.
#[derive(Default)]
struct Collector<'a> {
    pod_network: PodNetwork,
    candidates: Vec<Rule>,
    size: SizeCheck<'a>,
    not_needed: Vec<SkippedFlow>,
    skipped: Vec<SkippedFlow>,
    missing: BTreeMap<String, Vec<String>>,
}

impl<'a> Collector<'a> {
    /// Turns one flow, its resolved ends and ports into rules, or records why it has none.
    fn flow(
        &mut self,
        origin: &FlowOrigin<'a>,
        from: &End,
        to: &End,
        ports: Result<Vec<RulePorts>, String>,
        reason: impl FnOnce() -> Reason,
    ) {
        let missing_input = [from, to]
            .into_iter()
            .filter_map(|e| match e {
                End::Missing(what) => Some(what.clone()),
                _ => None,
            })
            .chain(ports.as_ref().err().cloned())
            .collect::<Vec<_>>();
        if !missing_input.is_empty() {
            for what in &missing_input {
                self.missing
                    .entry(what.clone())
                    .or_default()
                    .push(origin.describe());
            }
            self.skipped.push(origin.skipped(missing_input.join("; ")));
            return;
        }
        let ports = ports.unwrap_or_default();
        match (from, to) {
            (_, End::Tiers(_, Network::Pod)) if self.pod_network == PodNetwork::Overlay => {
                self.not_needed.push(origin.skipped(match from {
                    End::Endpoint(_) | End::TierAndEndpoint(..) => "pod addresses are not reachable from outside an \
                                                                    overlay network; the pods are exposed through a \
                                                                    Service, whose ports the catalog lists separately"
                        .to_string(),
                    _ => "pod_network is overlay: traffic to pods travels inside the CNI tunnel, whose own ports \
                          are the CNI's host flows"
                        .to_string(),
                }));
            }
            (End::Endpoint(_), End::Endpoint(_)) => {
                self.not_needed
                    .push(origin.skipped("both ends are outside the cluster's tiers".to_string()));
            }
            _ => {
                let (sources, destinations) = (peers(from), peers(to));
                let count = sources.len() * destinations.len() * ports.len();
                if !self
                    .size
                    .admit(count, origin, sources.len(), destinations.len())
                {
                    return;
                }
                let first = self.candidates.len();
                for source in sources {
                    // Outside to outside (a side that is a tier and addresses at once) needs no rule.
                    for destination in destinations
                        .iter()
                        .filter(|d| !matches!((&source, d), (Peer::Endpoint(_), Peer::Endpoint(_))))
                    {
                        for p in &ports {
                            self.candidates.push(Rule {
                                source: source.clone(),
                                destination: destination.clone(),
                                protocol: origin.protocol,
                                ports: *p,
                                reasons: Vec::with_capacity(1),
                            });
                        }
                    }
                }
                // Each of the flow's rules gets the reason: copies for all but the last, which takes it (most
                // flows give one rule, and a reason is ten texts).
                let added = self.candidates.get_mut(first..).unwrap_or_default();
                if let Some((last, others)) = added.split_last_mut() {
                    let reason = reason();
                    for rule in others {
                        rule.reasons.push(reason.clone());
                    }
                    last.reasons.push(reason);
                }
            }
        }
    }
}

/// Where a flow end runs: a placed role, an endpoint block, or what is missing.
fn end(release: &Release, name: &str, placement: &Placement) -> End {
    let platform = &release.platform.name;
    let qualified: Qualified = (platform.clone(), name.to_string());
    if let Some(role) = release.roles.iter().find(|r| r.name == name) {
        return role_end(&qualified, role.network, placement);
    }
    match placement.endpoint_blocks.get(&qualified) {
        Some(block) => endpoint_end(block, placement),
        None => {
            // The endpoint's former names that the user still gives a block of (one another platform's endpoint
            // of that name took, or the block would be refused): that block no longer reaches this platform.
            let given: Vec<&str> = release
                .endpoints
                .iter()
                .find(|e| e.name == name)
                .map(|e| e.formerly.as_slice())
                .unwrap_or_default()
                .iter()
                .map(String::as_str)
                .filter(|old| {
                    placement.endpoint_blocks.values().any(|block| {
                        block
                            .rsplit_once('/')
                            .map_or(block.as_str(), |(_, bare)| bare)
                            == *old
                    })
                })
                .collect();
            let note = match given[..] {
                [] => String::new(),
                _ => format!(
                    " (it was part of the endpoint {:?} before; an endpoint of that name no longer reaches \
                     {platform})",
                    given.join("\", \"")
                ),
            };
            End::Missing(format!(
                "endpoint {name:?} of {platform} has no addresses: add {} with its addresses or the tier it runs \
                 on{note}",
                Setting::Endpoint { name: name.to_string() }
            ))
        }
    }
}

/// Where a placed role runs: its tiers, the endpoint block standing for it, or what is missing.
fn role_end(qualified: &Qualified, network: Network, placement: &Placement) -> End {
    let (platform, name) = qualified;
    if let Some(tiers) = placement.role_tiers.get(qualified) {
        // Tiers in the user's order, for stable output.
        let ordered = placement
            .tiers
            .iter()
            .filter(|t| tiers.contains(*t))
            .cloned()
            .collect();
        return End::Tiers(ordered, network);
    }
    match placement.endpoint_blocks.get(qualified) {
        Some(block) => endpoint_end(block, placement),
        None => End::Missing(format!(
            "role {platform}/{name} runs on no tier: add it to a tier's roles, or give its addresses in {}",
            Setting::Endpoint { name: name.to_string() }
        )),
    }
}

/// An endpoint block's end: one of the user's tiers (host traffic within the cluster) or outside addresses.
fn endpoint_end(block: &str, placement: &Placement) -> End {
    let has_addresses = placement
        .addresses
        .get(block)
        .is_some_and(|a| !a.is_empty());
    match placement.endpoint_tiers.get(block) {
        Some(tier) if has_addresses => End::TierAndEndpoint(tier.clone(), block.to_string()),
        Some(tier) => End::Tiers(vec![tier.clone()], Network::Host),
        None => End::Endpoint(block.to_string()),
    }
}

fn peers(end: &End) -> Vec<Peer> {
    match end {
        End::Tiers(tiers, _) => tiers.iter().cloned().map(Peer::Tier).collect(),
        End::Endpoint(block) => vec![Peer::Endpoint(block.clone())],
        End::TierAndEndpoint(tier, block) => {
            vec![Peer::Tier(tier.clone()), Peer::Endpoint(block.clone())]
        }
        End::Missing(_) => Vec::new(),
    }
}

/// The flow's ports as rule ports, or the missing parameter.
fn rule_ports(
    flow: &Flow,
    release: &Release,
    values: &BTreeMap<String, u16>,
) -> Result<Vec<RulePorts>, String> {
    let range = |from: u16, to: u16| RulePorts::Range(crate::catalog::PortRange { from, to });
    match (&flow.protocol, &flow.ports) {
        (Protocol::Icmp | Protocol::Icmpv6, _) if flow.icmp_types.is_empty() => {
            Ok(vec![RulePorts::IcmpType(None)])
        }
        (Protocol::Icmp | Protocol::Icmpv6, _) => Ok(flow
            .icmp_types
            .iter()
            .map(|t| RulePorts::IcmpType(Some(*t)))
            .collect()),
        (Protocol::Number(_), _) => Ok(vec![RulePorts::All]),
        (_, PortSpec::Ranges(ranges)) => Ok(ranges.iter().map(|r| RulePorts::Range(*r)).collect()),
        (_, PortSpec::Parameter(name)) => match parameter_port(release, values, name) {
            Some(port) => Ok(vec![range(port, port)]),
            None if name == API_SERVER_PARAMETER => Err(format!(
                "the API server port has no value (no selected platform's source states one): set {}",
                Setting::ApiServerPort {
                    value: Some(Literal::Number("<port>".into()))
                }
            )),
            None => Err(missing_parameter(release, name)),
        },
        (_, PortSpec::All) => Ok(vec![range(1, 65535)]),
    }
}

/// The port of parameter `name` of `release`: its value in `values`, else the release's default.
pub(crate) fn parameter_port(
    release: &Release,
    values: &BTreeMap<String, u16>,
    name: &str,
) -> Option<u16> {
    let default = release
        .parameters
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.default);
    values.get(name).copied().or(default)
}

/// The error for parameter `name` of `release`, which has no value: what to set.
pub(crate) fn missing_parameter(release: &Release, name: &str) -> String {
    format!(
        "parameter {name:?} of {} has no value: set {}",
        release.platform.name,
        Setting::Parameter {
            name: name.to_string(),
            value: Some(Literal::Number("<port>".into()))
        }
    )
}

fn reason(release: &Release, flow: &Flow) -> Reason {
    let source = release.sources.iter().find(|s| s.id == flow.source);
    Reason {
        platform: release.platform.name.clone(),
        versions: release.platform.versions.text().to_string(),
        from_role: flow.from.clone(),
        to_role: flow.to.clone(),
        purpose: flow.purpose.clone(),
        document: source.map(|s| s.document.clone()).unwrap_or_default(),
        url: source.map(|s| s.url.clone()).unwrap_or_default(),
        rows: flow.rows.clone(),
    }
}

#[cfg(test)]
mod tests;
