//! Where each role runs and what each endpoint is: the user's tiers and endpoint blocks applied to the
//! selected catalog releases.

use super::cidr::{parse_cidr, CidrFamily};
use super::request::{field, EndpointSpec, ExpansionRequest, InputError, PathStep};
use crate::catalog::{Release, Role, Tier};
use std::collections::{BTreeMap, BTreeSet};

/// Tiers a role lands on when the user names no tiers, in this order.
pub(crate) const DEFAULT_TIERS: [&str; 3] = ["master", "worker", "lb"];

/// A role or endpoint of one platform: `(platform, name)`.
pub(crate) type Qualified = (String, String);

/// The platform name extra flows and their endpoint ends are cited under.
pub(super) const USER_DEFINED: &str = "user-defined";

/// Addresses of one endpoint block, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointAddresses {
    /// IPv4 CIDR blocks, normalized (`10.0.0.0/8`).
    pub ipv4: Vec<String>,
    /// IPv6 CIDR blocks, normalized.
    pub ipv6: Vec<String>,
    /// Target-specific references (prefix lists), as given.
    pub references: Vec<String>,
}

impl EndpointAddresses {
    /// Whether the block gives no address at all: rules to or from it cannot be written.
    pub fn is_empty(&self) -> bool {
        self.ipv4.is_empty() && self.ipv6.is_empty() && self.references.is_empty()
    }
}

/// The resolved layout: which tiers hold which roles, and which endpoint block answers for which name.
#[derive(Debug, Default)]
pub(crate) struct Placement {
    /// Tier names in the user's order.
    pub tiers: Vec<String>,
    /// Tiers each placed role runs on.
    pub role_tiers: BTreeMap<Qualified, BTreeSet<String>>,
    /// The endpoint block (by its name as written) answering for a platform's endpoint or external role.
    pub endpoint_blocks: BTreeMap<Qualified, String>,
    /// Addresses per endpoint block name.
    pub addresses: BTreeMap<String, EndpointAddresses>,
    /// Endpoint blocks that stand for one of the user's tiers (and, when they also give addresses, for those
    /// addresses too), by block name.
    pub endpoint_tiers: BTreeMap<String, String>,
}

/// Applies the request's tiers and endpoints to the selected releases (`(platform, release)` pairs).
pub(crate) fn place(
    request: &ExpansionRequest,
    releases: &[(String, &Release)],
) -> Result<Placement, Vec<InputError>> {
    let mut errors = Vec::new();
    let roles = roles_of(releases);

    let tiers: Vec<(usize, String, Option<&Vec<String>>)> = if request.tiers.is_empty() {
        DEFAULT_TIERS
            .iter()
            .map(|t| (usize::MAX, t.to_string(), None))
            .collect()
    } else {
        request
            .tiers
            .iter()
            .enumerate()
            .map(|(i, t)| (i, t.name.clone(), t.roles.as_ref()))
            .collect()
    };

    let mut placement = Placement::default();
    let mut seen = BTreeSet::new();
    let mut listed: BTreeSet<Qualified> = BTreeSet::new();
    for (index, name, tier_roles) in &tiers {
        let path = |rest: &[PathStep]| {
            [vec![field("tier"), PathStep::Index(*index)], rest.to_vec()].concat()
        };
        if !valid_name(name) {
            errors.push(InputError::new(
                path(&[field("name")]),
                format!("Invalid tier name {name:?}"),
                "Tier names appear in rule keys and descriptions: use lower-case letters, digits, '-' and '_', \
                 and do not start with \"pl-\" (rule keys name prefix lists by their IDs).",
            ));
        } else if !seen.insert(name.clone()) {
            errors.push(InputError::new(
                path(&[field("name")]),
                format!("Duplicate tier {name:?}"),
                "Each tier block needs its own name.",
            ));
        }
        match tier_roles {
            Some(list) => {
                for (j, reference) in list.iter().enumerate() {
                    match resolve_roles(reference, &roles) {
                        Ok(found) => {
                            for role in found {
                                placement.role_tiers.entry(role.clone()).or_default().insert(name.clone());
                                listed.insert(role);
                            }
                        }
                        Err((summary, detail)) => errors.push(InputError::new(
                            path(&[field("roles"), PathStep::Index(j)]),
                            summary,
                            detail,
                        )),
                    }
                }
            }
            None if !DEFAULT_TIERS.contains(&name.as_str()) => errors.push(InputError::new(
                path(&[field("roles")]),
                format!("Tier {name:?} has no roles"),
                format!(
                    "List the roles it runs in `roles` (valid: {}), or name it master, worker or lb to take the \
                     catalogs' default placement.",
                    qualified_names(roles.keys())
                ),
            )),
            None => {}
        }
        placement.tiers.push(name.clone());
    }

    // Roles no tier lists go where the catalog places them by default, if such a tier takes defaults.
    let default_tiers: BTreeSet<&str> = tiers
        .iter()
        .filter(|(_, _, roles)| roles.is_none())
        .map(|(_, name, _)| name.as_str())
        .collect();
    for (qualified, role) in &roles {
        if listed.contains(qualified) {
            continue;
        }
        for tier in &role.tiers {
            let name = match tier {
                Tier::Master => "master",
                Tier::Worker => "worker",
                Tier::Lb => "lb",
                Tier::External => continue,
            };
            if default_tiers.contains(name) {
                placement
                    .role_tiers
                    .entry(qualified.clone())
                    .or_default()
                    .insert(name.to_string());
            }
        }
    }

    place_endpoints(request, releases, &roles, &mut placement, &mut errors);
    if errors.is_empty() {
        Ok(placement)
    } else {
        Err(errors)
    }
}

/// Every role of the selected releases by `(platform, role)`.
pub(super) fn roles_of<'a>(releases: &[(String, &'a Release)]) -> BTreeMap<Qualified, &'a Role> {
    releases
        .iter()
        .flat_map(|(platform, release)| {
            release
                .roles
                .iter()
                .map(move |r| ((platform.clone(), r.name.clone()), r))
        })
        .collect()
}

fn place_endpoints(
    request: &ExpansionRequest,
    releases: &[(String, &Release)],
    roles: &BTreeMap<Qualified, &Role>,
    placement: &mut Placement,
    errors: &mut Vec<InputError>,
) {
    // Endpoint blocks may answer for catalog endpoints and for roles that run on no tier of ours.
    let mut targets: BTreeSet<Qualified> = releases
        .iter()
        .flat_map(|(platform, release)| {
            release
                .endpoints
                .iter()
                .map(move |e| (platform.clone(), e.name.clone()))
        })
        .collect();
    targets.extend(
        roles
            .keys()
            .filter(|q| !placement.role_tiers.contains_key(*q))
            .cloned(),
    );
    // And for the ends of the user's extra flows that are neither tiers nor roles.
    targets.extend(endpoint_ends(request, &placement.tiers, roles));

    for (index, spec) in request.endpoints.iter().enumerate() {
        let path = |rest: &[PathStep]| {
            [
                vec![field("endpoint"), PathStep::Index(index)],
                rest.to_vec(),
            ]
            .concat()
        };
        let matches: Vec<&Qualified> = targets
            .iter()
            .filter(|(platform, name)| match spec.name.split_once('/') {
                Some((p, n)) => p == platform && n == name,
                None => spec.name == *name,
            })
            .collect();
        if matches.is_empty() {
            let successors = successors(releases, &spec.name);
            let detail = if successors.is_empty() {
                format!(
                    "The selected platforms name these endpoints (and roles running outside your tiers): {}.",
                    bare_names(targets.iter())
                )
            } else {
                format!(
                    "{:?} was split: {}. Give each of them, as an endpoint of its own, the addresses that need it \
                     (the same addresses in all of them keep the old rules).",
                    spec.name,
                    successors.join("; ")
                )
            };
            errors.push(InputError::new(
                path(&[field("name")]),
                format!("Unknown endpoint {:?}", spec.name),
                detail,
            ));
            continue;
        }
        for target in matches {
            if let Some(previous) = placement
                .endpoint_blocks
                .insert(target.clone(), spec.name.clone())
            {
                errors.push(InputError::new(
                    path(&[field("name")]),
                    format!("Endpoint {}/{} is given twice", target.0, target.1),
                    format!(
                        "Both {previous:?} and {:?} answer for it; keep one endpoint block.",
                        spec.name
                    ),
                ));
            }
        }
        if let Some(tier) = &spec.tier {
            if !placement.tiers.contains(tier) {
                errors.push(InputError::new(
                    path(&[field("tier")]),
                    format!("Unknown tier {tier:?}"),
                    format!("Name one of your tiers: {}.", placement.tiers.join(", ")),
                ));
            } else {
                placement
                    .endpoint_tiers
                    .insert(spec.name.clone(), tier.clone());
            }
        }
        match addresses(spec, &path) {
            Ok(addresses) => {
                if placement
                    .addresses
                    .insert(spec.name.clone(), addresses)
                    .is_some()
                {
                    errors.push(InputError::new(
                        path(&[field("name")]),
                        format!("Duplicate endpoint block {:?}", spec.name),
                        "Give each endpoint one block, with all of its addresses.",
                    ));
                }
            }
            Err(mut bad) => errors.append(&mut bad),
        }
    }
}

fn addresses(
    spec: &EndpointSpec,
    path: &dyn Fn(&[PathStep]) -> Vec<PathStep>,
) -> Result<EndpointAddresses, Vec<InputError>> {
    let mut errors = Vec::new();
    let mut parse = |list: &[String], attribute: &str, family: CidrFamily| -> Vec<String> {
        let mut out = BTreeSet::new();
        for (j, text) in list.iter().enumerate() {
            match parse_cidr(text, family) {
                Ok(net) => {
                    out.insert(net.to_string());
                }
                Err(error) => errors.push(InputError::new(
                    path(&[field(attribute), PathStep::Index(j)]),
                    error.summary(),
                    error.fix(),
                )),
            }
        }
        out.into_iter().collect()
    };
    let ipv4 = parse(&spec.ipv4, "cidr_ipv4", CidrFamily::V4);
    let ipv6 = parse(&spec.ipv6, "cidr_ipv6", CidrFamily::V6);
    if errors.is_empty() {
        let references: BTreeSet<String> = spec.references.iter().cloned().collect();
        Ok(EndpointAddresses {
            ipv4,
            ipv6,
            references: references.into_iter().collect(),
        })
    } else {
        Err(errors)
    }
}

/// The endpoints of the selected releases that were once called `name` (`platform/name` or bare), each as
/// `platform/endpoint (title)`.
fn successors(releases: &[(String, &Release)], name: &str) -> Vec<String> {
    let (platform, bare) = match name.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, name),
    };
    releases
        .iter()
        .filter(|(p, _)| platform.is_none_or(|wanted| wanted == p))
        .flat_map(|(p, release)| {
            release
                .endpoints
                .iter()
                .filter(|e| e.formerly.iter().any(|old| old == bare))
                .map(move |e| format!("{p}/{} ({})", e.name, e.title))
        })
        .collect()
}

/// Resolves a tier's role reference: `platform/*` (every role of the platform that runs on a cluster tier by
/// default, so external roles such as Kublr's `kcp-node` stay outside), `platform/role`, or a bare role name unique
/// among the selected platforms; else the summary and detail of the error.
fn resolve_roles(
    reference: &str,
    roles: &BTreeMap<Qualified, &Role>,
) -> Result<Vec<Qualified>, (String, String)> {
    let Some(platform) = reference.strip_suffix("/*") else {
        return resolve_role(reference, roles).map(|role| vec![role]);
    };
    let of_platform: Vec<(&Qualified, &&Role)> =
        roles.iter().filter(|((p, _), _)| p == platform).collect();
    if of_platform.is_empty() {
        let platforms: BTreeSet<&str> = roles.keys().map(|(p, _)| p.as_str()).collect();
        return Err((
            format!("Unknown platform {platform:?} in {reference:?}"),
            format!(
                "`PLATFORM/*` places every role of a selected platform; selected: {}.",
                platforms.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    Ok(of_platform
        .into_iter()
        .filter(|(_, role)| role.tiers.iter().any(|t| *t != Tier::External))
        .map(|(q, _)| q.clone())
        .collect())
}

/// The roles of `roles` that `reference` names: `platform/role`, or a bare role name of any platform.
pub(crate) fn roles_named<'a, R>(
    reference: &str,
    roles: &'a BTreeMap<Qualified, R>,
) -> Vec<&'a Qualified> {
    roles
        .keys()
        .filter(|(platform, name)| match reference.split_once('/') {
            Some((p, n)) => p == platform && n == name,
            None => reference == name,
        })
        .collect()
}

/// Resolves `platform/role` or a bare role name unique among the selected platforms; else the summary and
/// detail of the error.
pub(super) fn resolve_role(
    reference: &str,
    roles: &BTreeMap<Qualified, &Role>,
) -> Result<Qualified, (String, String)> {
    match roles_named(reference, roles).as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err((
            format!("Unknown role {reference:?}"),
            format!(
                "Valid roles of the selected platforms: {} (or PLATFORM/* for all of a platform's roles).",
                qualified_names(roles.keys())
            ),
        )),
        several => Err((
            format!("Ambiguous role {reference:?}"),
            format!(
                "Several selected platforms have a role named {reference:?}: write one of {}.",
                qualified_names(several.iter().copied())
            ),
        )),
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with("pl-")
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn qualified_names<'a>(names: impl Iterator<Item = &'a Qualified>) -> String {
    names
        .map(|(p, n)| format!("{p}/{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn bare_names<'a>(names: impl Iterator<Item = &'a Qualified>) -> String {
    let set: BTreeSet<&str> = names.map(|(_, n)| n.as_str()).collect();
    set.into_iter().collect::<Vec<_>>().join(", ")
}

/// The ends of extra flows that name neither a tier nor a selected role: endpoint blocks may answer for them.
fn endpoint_ends(
    request: &ExpansionRequest,
    tiers: &[String],
    roles: &BTreeMap<Qualified, &Role>,
) -> Vec<Qualified> {
    request
        .extra_flows
        .iter()
        .flat_map(|flow| [&flow.from, &flow.to])
        .filter(|name| !tiers.contains(name) && resolve_role(name, roles).is_err())
        .map(|name| (USER_DEFINED.to_string(), name.clone()))
        .collect()
}
