//! The inputs every rule data source shares: `platform`, `tier` and `endpoint` blocks, `parameters`,
//! `pod_network` and `user_catalogs`, and their translation into an engine request.
//!
//! Blocks and plain maps (rather than nested attribute types) keep one module working from Terraform 1.0.3 on.

use super::config;
use crate::catalog::{parse_user_documents, Catalog, CatalogError, Release, Selection};
use crate::cty::AttributePath;
use crate::cty::{CtyType, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::engine::{ExpansionRequest, PlatformBlock, PodNetwork};
use crate::schema::{Attribute, Block, NestedBlock};
use crate::targets::aws::check_prefix_list_id;
use crate::terraform_terms::input_diagnostics;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

const USER_CATALOGS: &str = "user_catalogs";
const PREFIX_LIST_IDS: &str = "prefix_list_ids";
const EXTRA_FLOW: &str = "extra_flow";

/// The description of `api_server_port`.
const API_SERVER_PORT_DESCRIPTION: &str = "The port the Kubernetes API server listens on, used by the API server \
     rows of every selected platform (kubernetes, Calico, Longhorn, Kublr, RKE2, k3s, Deckhouse). Unset: the default \
     the selected Kubernetes platform's source states (6443 for kubernetes (kubeadm), RKE2, k3s and Deckhouse; 443 \
     for Kublr); set it when those disagree or your API server listens elsewhere (EKS and kOps serve 443). Replaces \
     `parameters = { apiserver_port = ... }` (still accepted, with a warning) and Calico's former option \
     `apiserver_port`.";

fn at(name: &str) -> AttributePath {
    AttributePath::root().attr(name)
}

/// Whether the endpoint block takes AWS prefix lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndpointKind {
    /// CIDR blocks only.
    Cidrs,
    /// CIDR blocks and AWS managed prefix lists.
    CidrsAndPrefixLists,
}

/// `user_catalogs`, shared with `portmatrix_catalog`.
pub(crate) fn user_catalogs_attribute() -> Attribute {
    Attribute::optional(
        USER_CATALOGS,
        CtyType::list(CtyType::String),
        "Catalog documents of your own applications, in portmatrix's catalog format (TOML, see the catalog \
         format guide), typically `[file(\"catalogs/my-app.toml\")]`. They are validated like the built-in ones \
         and can be selected with `platform` blocks like them.",
    )
}

/// Adds the selection inputs to `block`.
pub(crate) fn with_selection_inputs(block: Block, endpoints: EndpointKind) -> Block {
    let mut endpoint = Block::new("Addresses for an endpoint the catalogs name (`internet`, `backupstore`, ...) or for a role that runs outside your tiers (such as Kublr's `kcp-node`).")
        .attribute(Attribute::required(
            "name",
            CtyType::String,
            "The endpoint's name in the catalog; `platform/name` to address one platform's endpoint only.",
        ))
        .attribute(Attribute::optional("cidr_ipv4", CtyType::list(CtyType::String), "IPv4 CIDR blocks, e.g. `[\"10.0.0.0/8\"]`."))
        .attribute(Attribute::optional("cidr_ipv6", CtyType::list(CtyType::String), "IPv6 CIDR blocks."))
        .attribute(Attribute::optional(
            "tier",
            CtyType::String,
            "The tier the endpoint runs on, for endpoints inside your cluster such as the Kubernetes API server on \
             `master`: its rules reference that tier. With addresses as well, the endpoint is both (API clients \
             through a load balancer tier and from a bastion's addresses).",
        ));
    if endpoints == EndpointKind::CidrsAndPrefixLists {
        endpoint = endpoint.attribute(Attribute::optional(
            PREFIX_LIST_IDS,
            CtyType::list(CtyType::String),
            "AWS managed prefix list IDs (`pl-…`) standing for the endpoint.",
        ));
    }
    block
        .block(
            NestedBlock::list(
                "platform",
                Block::new("A platform to open the network for.")
                    .attribute(Attribute::required(
                        "name",
                        CtyType::String,
                        "Platform name, as listed by `portmatrix_catalog` (e.g. `kubernetes`, `longhorn`, `kublr`).",
                    ))
                    .attribute(Attribute::optional(
                        "version",
                        CtyType::String,
                        "The platform version you run (`1.6.2`, `v1.6`); the newest catalog release when unset. \
                         Port tables change between versions, so set it.",
                    ))
                    .attribute(Attribute::optional(
                        "options",
                        CtyType::map(CtyType::String),
                        "The platform's options (CNI, encryption, modules, ...) with their values; options not set \
                         take their catalog defaults. `portmatrix_catalog` lists each option's values.",
                    )),
            )
            .min_items(1),
        )
        .block(NestedBlock::list(
            "tier",
            Block::new(
                "A tier: machines that share firewall rules (a security group, network tag, firewall or address set). \
                 Without tier blocks the \
                 tiers are `master`, `worker` and `lb`, holding the roles the catalogs place there.",
            )
            .attribute(Attribute::required(
                "name",
                CtyType::String,
                "The tier's name (lower-case letters, digits, `-`, `_`); it appears in rule keys.",
            ))
            .attribute(Attribute::optional(
                "roles",
                CtyType::list(CtyType::String),
                "Roles this tier runs, as `platform/role` (or a role name unique among the selected platforms), \
                 or `platform/*` for every role a platform places on the cluster's tiers. A listed role runs only \
                 on the tiers listing it. Unset on a tier named `master`, `worker` or `lb`: \
                 the catalogs' default placement.",
            )),
        ))
        .block(NestedBlock::list("endpoint", endpoint))
        .attribute(Attribute::optional(
            "parameters",
            CtyType::map(CtyType::Number),
            "Values for the catalogs' port parameters, such as `backupstore_port`, which the sources leave to you \
             (\"User defined\"). Flows whose parameter has no value are skipped with a warning.",
        ))
        .attribute(Attribute::optional(
            "api_server_port",
            CtyType::Number,
            API_SERVER_PORT_DESCRIPTION,
        ))
        .attribute(Attribute::optional(
            "pod_network",
            CtyType::String,
            "`overlay` (default): pod traffic between nodes travels inside the CNI tunnel, so flows to pods need no \
             cloud rule (they are listed in `not_needed`). `routed`: pods use cloud network addresses (AWS VPC CNI, \
             native routing), so pod flows become rules between the tiers where the pods run.",
        ))
        .attribute(user_catalogs_attribute())
}

/// The selection inputs plus `extra_flow` blocks: the inputs of every data source whose rules run between tiers
/// (the NetworkPolicy target selects pods, which an extra flow between tiers cannot name).
pub(crate) fn with_tier_selection_inputs(block: Block, endpoints: EndpointKind) -> Block {
    with_selection_inputs(block, endpoints).block(NestedBlock::list(
        EXTRA_FLOW,
        Block::new(
            "A flow of your own beside the catalogs' (SSH from a bastion, an application port), without writing a \
             catalog document: validated like a catalog flow, and cited as `user-defined` wherever rules give their \
             reasons. For more than a few, or to share them, write a user catalog.",
        )
        .attribute(Attribute::required(
            "from",
            CtyType::String,
            "Where traffic comes from: one of your tiers, an endpoint block's name (the block gives its addresses), \
             or a role of the selected platforms (`platform/role`), tried in that order.",
        ))
        .attribute(Attribute::required(
            "to",
            CtyType::String,
            "Where traffic goes, named like `from`. One side must be a tier or a role.",
        ))
        .attribute(Attribute::required(
            "protocol",
            CtyType::String,
            "`tcp`, `udp`, `sctp`, `icmp`, `icmpv6`, or an IP protocol number such as `4` (IP-in-IP), as in \
             catalogs.",
        ))
        .attribute(Attribute::optional(
            "ports",
            CtyType::list(CtyType::String),
            "Ports and ranges (`[\"22\"]`, `[\"8000-8100\"]`): required for tcp, udp and sctp, absent for other \
             protocols.",
        ))
        .attribute(Attribute::required(
            "description",
            CtyType::String,
            "What the traffic is for; it becomes the rules' purpose.",
        )),
    ))
}

/// The user's documents, parsed and validated each on its own (no expansion, no built-in catalog); `None` (with
/// errors on `user_catalogs[i]`) when one is invalid, or while the list is not yet known.
fn user_releases(config: &Value, diagnostics: &mut Diagnostics) -> Option<Vec<Release>> {
    if !config::is_known(config, USER_CATALOGS) {
        return None;
    }
    let documents = config::strings(config, USER_CATALOGS).unwrap_or_default();
    let named = documents
        .iter()
        .map(|(index, text)| (format!("{USER_CATALOGS}[{index}]"), *text));
    parse_user_documents(named)
        .map_err(|errors| {
            for (position, error) in errors {
                let index = documents.get(position).map_or(position, |(index, _)| *index);
                let detail =
                    format!("{error}\nFix the document; its format is described in the catalog format guide.");
                diagnostics.push(
                    Diagnostic::error("Invalid user catalog", detail)
                        .at(at(USER_CATALOGS).index(index as i64)),
                );
            }
        })
        .ok()
}

/// A conflict between the user's documents and the catalog, as an error on `user_catalogs`.
fn conflict(error: CatalogError) -> Diagnostic {
    Diagnostic::error("Conflicting user catalog", error.to_string()).at(at(USER_CATALOGS))
}

/// The built-in catalog plus the user's documents; `None` (with errors) when a document is invalid, or while
/// the list is not yet known. Without user documents this borrows the built-in catalog: nothing is copied.
pub fn catalog_with_user_documents(
    config: &Value,
    diagnostics: &mut Diagnostics,
) -> Option<Cow<'static, Catalog>> {
    let releases = user_releases(config, diagnostics).filter(|_| !diagnostics.has_errors())?;
    let catalog = Catalog::builtin().with_user_releases(releases);
    catalog
        .map_err(|error| diagnostics.push(conflict(error)))
        .ok()
}

/// The catalog a wholly known selection expands against ([`Catalog::for_selection`]); `None` (with errors) as
/// for [`catalog_with_user_documents`].
fn selected_catalog(config: &Value, diagnostics: &mut Diagnostics) -> Option<Arc<Catalog>> {
    let platforms: Vec<PlatformBlock> = blocks(config, "platform", diagnostics);
    let selected: Vec<&str> = platforms.iter().map(|p| p.name.as_str()).collect();
    catalog_for(config, &selected, diagnostics)
}

/// The catalog the platforms `selected` are looked up in, with the configuration's user catalogs
/// ([`Catalog::for_selection`]: only the built-in documents of those platforms are parsed); `None` (with errors)
/// as for [`catalog_with_user_documents`].
pub fn catalog_for(
    config: &Value,
    selected: &[&str],
    diagnostics: &mut Diagnostics,
) -> Option<Arc<Catalog>> {
    let releases = user_releases(config, diagnostics).filter(|_| !diagnostics.has_errors())?;
    let catalog = Catalog::for_selection(selected, releases);
    catalog
        .map_err(|error| diagnostics.push(conflict(error)))
        .ok()
}

/// The blocks `name` of a wholly known configuration, read as the engine's specs; an error when they do not
/// read (a bug: the schema declares what the specs read).
fn blocks<T: DeserializeOwned>(
    config: &Value,
    name: &str,
    diagnostics: &mut Diagnostics,
) -> Vec<T> {
    let Some(blocks) = config
        .get_attr(name)
        .filter(|v| !v.is_null() && !v.is_unknown())
    else {
        return Vec::new();
    };
    crate::cty::from_value(blocks).unwrap_or_else(|error| {
        let detail = format!("{name}: {error}. This is a bug in portmatrix.");
        diagnostics.push(Diagnostic::error("Unreadable blocks", detail).at(at(name)));
        Vec::new()
    })
}

/// The pod network mode given, the default when none is; an error on `pod_network` for an unknown mode.
fn pod_network(config: &Value) -> Result<PodNetwork, Diagnostic> {
    let Some(text) = config::string(config, "pod_network") else {
        return Ok(PodNetwork::default());
    };
    text.parse().map_err(|detail: String| {
        Diagnostic::error("Invalid pod_network", detail).at(at("pod_network"))
    })
}

/// The engine request a wholly known configuration asks for, or diagnostics for what is malformed.
pub fn request(config: &Value) -> Result<ExpansionRequest, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let platforms: Vec<PlatformBlock> = blocks(config, "platform", &mut diagnostics);
    let platforms = platforms.into_iter().map(Selection::from).collect();
    let tiers = blocks(config, "tier", &mut diagnostics);
    let endpoints = blocks(config, "endpoint", &mut diagnostics);
    let extra_flows = blocks(config, EXTRA_FLOW, &mut diagnostics);
    let mut parameters = BTreeMap::new();
    if let Some(values) = config.get_attr("parameters").and_then(Value::as_map) {
        for (name, value) in values.iter().filter(|(_, v)| !v.is_null()) {
            match value.as_number().and_then(|n| n.as_i64()) {
                Some(port) => {
                    parameters.insert(name.clone(), port);
                }
                None => diagnostics.push(
                    Diagnostic::error(
                        format!("Parameter {name:?} is not a port"),
                        "Give a whole number from 1 to 65535.",
                    )
                    .at(AttributePath::root().attr("parameters").key(name.clone())),
                ),
            }
        }
    }
    let api_server_port = match config.get_attr("api_server_port").filter(|v| !v.is_null()) {
        None => None,
        Some(value) => match value.as_number().and_then(|n| n.as_i64()) {
            Some(port) => Some(port),
            None => {
                diagnostics.push(
                    Diagnostic::error(
                        "api_server_port is not a port",
                        "Give a whole number from 1 to 65535, such as 6443 or 443.",
                    )
                    .at(AttributePath::root().attr("api_server_port")),
                );
                None
            }
        },
    };
    let pod_network = pod_network(config).unwrap_or_else(|error| {
        diagnostics.push(error);
        PodNetwork::default()
    });
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    Ok(ExpansionRequest {
        platforms,
        tiers,
        endpoints,
        parameters,
        api_server_port,
        pod_network,
        extra_flows,
    })
}

/// Checks what is already known without running the engine: the pod network mode always; once nothing is
/// unknown, the inputs [`request`] reads (parameters, `api_server_port`) and each user catalog document on its
/// own. What only the expansion finds (unknown platforms, roles or endpoints, a user document overlapping a
/// built-in release) the read reports: Terraform reads data sources during plan, so the user still sees it then,
/// and validation and the read run in different provider processes, so expanding in both would double the work.
/// [`check_elements`] has passed.
pub fn validate(config: &Value, diagnostics: &mut Diagnostics) {
    if !config.is_wholly_known() {
        diagnostics.extend(pod_network(config).err());
        return;
    }
    if let Err(errors) = request(config) {
        diagnostics.extend(errors);
    }
    user_releases(config, diagnostics);
}

/// The checks every data source runs first at validation, which hold however much of the configuration is still
/// unknown: no value for a computed attribute, no null element anywhere, and well-formed prefix list IDs in
/// endpoint blocks that take them (a schema without `prefix_list_ids` gives none to check). Returns whether all
/// passed: the other checks would read a configuration with such a value otherwise than the user meant, and
/// report that instead. [`super::validate`] runs them before every data source's own validation.
pub(super) fn check_elements(block: &Block, config: &Value, diagnostics: &mut Diagnostics) -> bool {
    let mut found = Diagnostics::new();
    config::reject_unconfigurable(block, config, &mut found);
    config::reject_null_elements(config, &mut found);
    check_prefix_lists(config, &mut found);
    let clean = !found.has_errors();
    diagnostics.extend(found);
    clean
}

fn check_prefix_lists(config: &Value, diagnostics: &mut Diagnostics) {
    let blocks = config
        .get_attr("endpoint")
        .and_then(Value::as_elements)
        .unwrap_or_default();
    for (index, endpoint) in blocks.iter().enumerate() {
        for (j, id) in config::strings(endpoint, PREFIX_LIST_IDS).unwrap_or_default() {
            if let Err(detail) = check_prefix_list_id(id) {
                diagnostics.push(
                    Diagnostic::error(format!("Invalid prefix list ID {id:?}"), detail).at(
                        AttributePath::root()
                            .attr("endpoint")
                            .index(index as i64)
                            .attr(PREFIX_LIST_IDS)
                            .index(j as i64),
                    ),
                );
            }
        }
    }
}

/// Runs the engine on a wholly known configuration.
pub fn expand(config: &Value, diagnostics: &mut Diagnostics) -> Option<crate::engine::Expansion> {
    expanded(config, diagnostics).map(|(_, _, expansion)| expansion)
}

/// [`expand`], with the catalog and the request it expanded.
pub(crate) fn expanded(
    config: &Value,
    diagnostics: &mut Diagnostics,
) -> Option<(Arc<Catalog>, ExpansionRequest, crate::engine::Expansion)> {
    let catalog = selected_catalog(config, diagnostics)?;
    let request = match request(config) {
        Ok(request) => request,
        Err(errors) => {
            diagnostics.extend(errors);
            return None;
        }
    };
    match crate::engine::expand(&catalog, &request) {
        Ok(expansion) => {
            push_unread_version_warnings(&catalog, &request, diagnostics);
            Some((catalog, request, expansion))
        }
        Err(errors) => {
            diagnostics.extend(input_diagnostics(errors));
            None
        }
    }
}

/// A warning on `platform[i].version` for each platform whose requested version lies above the newest version
/// whose documentation was read (the expansion used that release's table all the same).
fn push_unread_version_warnings(
    catalog: &Catalog,
    request: &ExpansionRequest,
    diagnostics: &mut Diagnostics,
) {
    for (index, warning) in catalog.unread_version_warnings(&request.platforms) {
        let path = at("platform").index(index as i64).attr("version");
        diagnostics.push(
            Diagnostic::warning("Version newer than the catalog's sources", warning).at(path),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{refused_by_the_read_only, validate_config};
    use super::*;
    use crate::datasources::{aws_security_group_rules, DataSource};

    fn aws(platforms: &[(&str, &[(&str, &str)])], extra: &[(&str, Value)]) -> Value {
        super::super::test_support::test_config(
            &aws_security_group_rules().schema().block,
            platforms,
            extra,
        )
    }

    fn errors(diagnostics: &Diagnostics) -> Vec<(String, String)> {
        diagnostics
            .errors()
            .map(|d| {
                let path = d.attribute.as_ref().map(ToString::to_string);
                (d.summary.clone(), path.unwrap_or_default())
            })
            .collect()
    }

    #[test]
    fn validation_leaves_what_only_the_expansion_finds_to_the_read() {
        // An unknown platform and a role no tier can hold: the engine finds both, so validation (a separate
        // provider process) says nothing and the read, which runs during plan, reports them.
        let tier = Value::object([
            ("name", Value::string("master")),
            ("roles", Value::List(vec![Value::string("no-such-role")])),
        ]);
        let cases = [
            (aws(&[("no-such-platform", &[])], &[]), "platform[0].name"),
            (
                aws(&[("kubernetes", &[])], &[("tier", Value::List(vec![tier]))]),
                "tier[0].roles[0]",
            ),
        ];
        for (config, path) in cases {
            let diagnostics = refused_by_the_read_only(&aws_security_group_rules(), &config);
            let found = errors(&diagnostics);
            assert!(found.iter().any(|(_, at)| at == path), "{found:?}");
        }
    }

    #[test]
    fn validation_keeps_the_checks_that_need_no_expansion() {
        let parameters = Value::Map(
            [("backupstore_port".to_string(), Value::unknown())]
                .into_iter()
                .collect(),
        );
        let config = aws(
            &[("kubernetes", &[])],
            &[
                ("pod_network", Value::string("tunnel")),
                ("parameters", parameters),
                (
                    USER_CATALOGS,
                    Value::List(vec![Value::string("not a catalog")]),
                ),
            ],
        );
        // Partly unknown: only the pod network mode is certain to be wrong.
        let mut diagnostics = Diagnostics::default();
        validate_config(&aws_security_group_rules(), &config, &mut diagnostics);
        let found = errors(&diagnostics);
        assert_eq!(
            found,
            [("Invalid pod_network".to_string(), "pod_network".to_string())]
        );
        // Wholly known: the user document too, at its element.
        let config = aws(
            &[("kubernetes", &[])],
            &[
                ("pod_network", Value::string("tunnel")),
                (
                    USER_CATALOGS,
                    Value::List(vec![Value::string("not a catalog")]),
                ),
            ],
        );
        let mut diagnostics = Diagnostics::default();
        validate_config(&aws_security_group_rules(), &config, &mut diagnostics);
        let found: Vec<String> = errors(&diagnostics).into_iter().map(|(_, at)| at).collect();
        assert_eq!(
            found,
            ["pod_network", "user_catalogs[0]"],
            "{diagnostics:?}"
        );
    }

    #[test]
    fn a_read_expands_against_the_selected_platforms_shared_between_reads() {
        let config = aws(&[("kublr", &[("cni", "calico")]), ("calico", &[])], &[]);
        let mut diagnostics = Diagnostics::default();
        let first = selected_catalog(&config, &mut diagnostics).expect("catalog");
        let second = selected_catalog(&config, &mut diagnostics).expect("catalog");
        assert!(Arc::ptr_eq(&first, &second), "parsed once, not copied");
        let names: Vec<&str> = first.platforms().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["calico", "kublr"]);
        for name in names {
            assert_eq!(first.platform(name), Catalog::builtin().platform(name));
        }
    }

    #[test]
    fn an_unknown_platform_is_reported_against_the_whole_catalog() {
        let config = aws(&[("kubernetes", &[]), ("longhron", &[])], &[]);
        let mut diagnostics = Diagnostics::default();
        assert!(aws_security_group_rules()
            .read(&config, &mut diagnostics)
            .is_none());
        let error = diagnostics.errors().next().expect("an error");
        assert!(error.detail.contains("longhorn"), "{}", error.detail);
        assert!(error.detail.contains("rook-ceph"), "{}", error.detail);
    }

    #[test]
    fn a_user_document_is_checked_against_the_built_in_releases_of_its_platform() {
        let kublr = Catalog::builtin()
            .platform("kublr")
            .and_then(|p| p.releases.first())
            .map(|r| r.origin.clone())
            .expect("kublr");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("catalogs")
            .join(kublr);
        let text = std::fs::read_to_string(path).expect("the kublr catalog");
        let config = aws(
            &[("kubernetes", &[])],
            &[(USER_CATALOGS, Value::List(vec![Value::string(text)]))],
        );
        let mut diagnostics = Diagnostics::default();
        assert!(selected_catalog(&config, &mut diagnostics).is_none());
        assert_eq!(
            errors(&diagnostics),
            [(
                "Conflicting user catalog".to_string(),
                USER_CATALOGS.to_string()
            )]
        );
    }
}
