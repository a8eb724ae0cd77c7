//! The selection of `expand`, `review`, `diagram` and `audit`: a TOML or JSON file mirroring the data sources'
//! inputs, flags for the simple case, or both (the flags then override the file). Either way it becomes one engine
//! request, over the built-in catalog plus the user's catalog documents (`--user-catalog`).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Deserialize;

use crate::catalog::{parse_user_documents, Catalog, Selection};
use crate::engine::{
    self, EndpointSpec, Expansion, ExpansionRequest, ExtraFlowSpec, InputError, PathStep,
    PlatformBlock, PodNetwork, TierSpec,
};
use crate::targets::aws::check_prefix_list_id;

/// Flags that select platforms, or the file that does. The default selects nothing.
#[derive(Debug, Clone, Default, Args)]
pub(super) struct SelectionArgs {
    /// Selection file (TOML, or JSON when it ends in .json or starts with `{`): `platform`, `tier`, `endpoint` and
    /// `extra_flow` blocks, `parameters`, `api_server_port`, `pod_network` and (for `expand --target`) the target's
    /// options, as the data sources take them. The flags below add to it and override its values.
    #[arg(short = 'f', long = "selection", value_name = "FILE")]
    file: Option<PathBuf>,
    /// A catalog document of your own (TOML, in portmatrix's catalog format), repeatable: validated like the
    /// built-in ones, and selected with --platform or the selection file like them.
    #[arg(long = "user-catalog", value_name = "FILE")]
    user_catalogs: Vec<PathBuf>,
    /// Platform to select, repeatable (see `portmatrix catalog list`). The tiers are master, worker and lb.
    #[arg(long = "platform", value_name = "NAME")]
    platforms: Vec<String>,
    /// Version of a selected platform, repeatable: PLATFORM=VERSION, or VERSION with one platform. Default: the
    /// newest release.
    #[arg(long = "version", value_name = "PLATFORM=VERSION")]
    versions: Vec<String>,
    /// Option of a selected platform, repeatable: PLATFORM:KEY=VALUE, or KEY=VALUE with one platform.
    #[arg(long = "option", value_name = "PLATFORM:KEY=VALUE")]
    options: Vec<String>,
    /// Addresses of an endpoint, repeatable: NAME=CIDR[,CIDR...]; a value may also be a prefix list ID (pl-...)
    /// or tier:TIER for an endpoint that runs on one of the tiers.
    #[arg(long = "endpoint", value_name = "NAME=ADDRESSES")]
    endpoints: Vec<String>,
    /// Value of a port parameter, repeatable: NAME=PORT (e.g. backupstore_port=9000).
    #[arg(long = "param", value_name = "NAME=PORT")]
    params: Vec<String>,
    /// Port of the Kubernetes API server for every platform's API server rows. Default: what the selected
    /// Kubernetes platform's source states (6443; 443 for Kublr).
    #[arg(long = "api-server-port", value_name = "PORT")]
    api_server_port: Option<i64>,
    /// overlay (default): pod traffic rides the CNI tunnel; routed: pods use cloud network addresses.
    #[arg(long = "pod-network", value_name = "MODE")]
    pod_network: Option<String>,
}

/// An expanded selection.
pub(super) struct Selected {
    /// The engine's result.
    pub(super) expansion: Expansion,
    /// Platform names in the order they were selected.
    pub(super) platforms: Vec<String>,
    /// The target options the selection file gives, by name.
    pub(super) options: BTreeMap<String, serde_json::Value>,
    /// The engine request the selection made.
    pub(super) request: ExpansionRequest,
}

/// The inputs of a selection file that are not target options.
const SELECTION_KEYS: &str =
    "platform, tier, endpoint, extra_flow, parameters, api_server_port and pod_network";

/// The selection file: the inputs the data sources share, with the same names, and target options.
#[derive(Debug, Default, Deserialize)]
struct SelectionFile {
    #[serde(default, alias = "platforms")]
    platform: Vec<PlatformBlock>,
    #[serde(default, alias = "tiers")]
    tier: Vec<TierSpec>,
    #[serde(default, alias = "endpoints")]
    endpoint: Vec<EndpointSpec>,
    #[serde(default)]
    parameters: BTreeMap<String, i64>,
    #[serde(default)]
    api_server_port: Option<i64>,
    #[serde(default)]
    pod_network: Option<String>,
    #[serde(default, alias = "extra_flows")]
    extra_flow: Vec<ExtraFlowSpec>,
    /// Every other key: a target option, or a mistake.
    #[serde(flatten)]
    rest: BTreeMap<String, serde_json::Value>,
}

/// A selection file's request and the target options it gives.
struct FileSelection {
    request: ExpansionRequest,
    options: BTreeMap<String, serde_json::Value>,
}

/// Where the selection came from, to point error messages at the right input.
enum Origin<'a> {
    File(&'a Path),
    Flags,
}

impl SelectionArgs {
    /// Whether a selection was given at all (a file or a flag).
    pub(super) fn given(&self) -> bool {
        self.file.is_some()
            || !self.platforms.is_empty()
            || !self.versions.is_empty()
            || !self.options.is_empty()
            || !self.endpoints.is_empty()
            || !self.params.is_empty()
            || self.pod_network.is_some()
    }

    /// Runs the engine on the selection; a selection file may give no target options.
    pub(super) fn expand(&self, catalog: &Catalog) -> Result<Expansion, String> {
        self.select(catalog, None)
            .map(|selected| selected.expansion)
    }

    /// `catalog` plus the documents of `--user-catalog`, validated as the data sources validate `user_catalogs`.
    pub(super) fn catalog<'a>(&self, catalog: &'a Catalog) -> Result<Cow<'a, Catalog>, String> {
        if self.user_catalogs.is_empty() {
            return Ok(Cow::Borrowed(catalog));
        }
        let mut texts = Vec::new();
        for path in &self.user_catalogs {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--user-catalog {}: cannot read it: {e}", path.display()))?;
            texts.push((path.display().to_string(), text));
        }
        let releases = parse_user_documents(texts.iter().map(|(path, text)| (path.clone(), text.as_str())))
            .map_err(|errors| {
                let errors: Vec<String> = errors
                    .into_iter()
                    .map(|(_, error)| {
                        format!(
                            "--user-catalog: invalid user catalog: {error}\nFix the document; its format is \
                             described in the catalog format guide."
                        )
                    })
                    .collect();
                errors.join("\n")
            })?;
        catalog
            .with_user_releases(releases)
            .map_err(|error| format!("--user-catalog: conflicting user catalog: {error}"))
    }

    /// Runs the engine on the selection, keeping the platforms' order for targets that need it. `target` names the
    /// target whose options the selection file may give, with their names; other keys are refused.
    pub(super) fn select(
        &self,
        catalog: &Catalog,
        target: Option<(&str, &[&str])>,
    ) -> Result<Selected, String> {
        let catalog = self.catalog(catalog)?;
        self.select_in(&catalog, target)
    }

    /// [`SelectionArgs::select`] in `catalog`, the user's documents already added ([`SelectionArgs::catalog`]).
    pub(super) fn select_in(
        &self,
        catalog: &Catalog,
        target: Option<(&str, &[&str])>,
    ) -> Result<Selected, String> {
        let (request, options, origin) = match &self.file {
            Some(path) => {
                let file = read_file(path)?;
                check_options(path, &file.options, target)?;
                (
                    self.apply_flags(file.request)?,
                    file.options,
                    Origin::File(path),
                )
            }
            None => (self.flags_request()?, BTreeMap::new(), Origin::Flags),
        };
        let mut selected = select_request(request, &origin, catalog)?;
        selected.options = options;
        Ok(selected)
    }

    fn flags_request(&self) -> Result<ExpansionRequest, String> {
        if self.platforms.is_empty() {
            return Err(
                "no platform selected: give --platform NAME (repeatable) or --selection FILE"
                    .to_string(),
            );
        }
        self.apply_flags(ExpansionRequest {
            platforms: Vec::new(),
            tiers: Vec::new(),
            endpoints: Vec::new(),
            parameters: BTreeMap::new(),
            api_server_port: None,
            pod_network: PodNetwork::default(),
            extra_flows: Vec::new(),
        })
    }

    /// `base` (empty, or read from the selection file) with the flags applied: platforms added, versions, options,
    /// endpoint addresses, parameters, the API server port and the pod network set over what `base` gives.
    fn apply_flags(&self, base: ExpansionRequest) -> Result<ExpansionRequest, String> {
        let mut platforms = base.platforms;
        for name in &self.platforms {
            if !platforms.iter().any(|p| &p.platform == name) || !self.file_given() {
                platforms.push(Selection {
                    platform: name.clone(),
                    version: None,
                    options: BTreeMap::new(),
                });
            }
        }
        let single = match platforms.as_slice() {
            [only] => Some(only.platform.clone()),
            _ => None,
        };
        let mut versioned = BTreeSet::new();
        let mut optioned = BTreeSet::new();
        for text in &self.versions {
            let Some((platform, version)) = qualified(text, '=', &single) else {
                return Err(format!(
                    "--version {text}: several platforms are selected; write PLATFORM=VERSION"
                ));
            };
            let target = selected(&mut platforms, &platform, "--version", text)?;
            target.version = Some(version);
            if !versioned.insert(platform.clone()) {
                return Err(format!(
                    "--version: {platform} is given more than one version"
                ));
            }
        }
        for text in &self.options {
            let Some((left, value)) = text.split_once('=') else {
                return Err(format!(
                    "--option {text}: write PLATFORM:KEY=VALUE (e.g. kublr:cni=calico)"
                ));
            };
            let Some((platform, key)) = qualified(left, ':', &single) else {
                return Err(format!(
                    "--option {text}: several platforms are selected; write PLATFORM:KEY=VALUE"
                ));
            };
            if key.is_empty() {
                return Err(format!("--option {text}: the option name is empty"));
            }
            let target = selected(&mut platforms, &platform, "--option", text)?;
            target.options.insert(key.clone(), value.to_string());
            if !optioned.insert((platform.clone(), key.clone())) {
                return Err(format!(
                    "--option: {platform}:{key} is given more than once"
                ));
            }
        }
        let mut endpoints = base.endpoints;
        // An endpoint the flags name replaces the file's addresses for it.
        let mut flagged = BTreeSet::new();
        for text in &self.endpoints {
            let Some((name, values)) = text.split_once('=').filter(|(n, _)| !n.is_empty()) else {
                return Err(format!(
                    "--endpoint {text}: write NAME=CIDR[,CIDR...] (e.g. internet=0.0.0.0/0)"
                ));
            };
            // An empty list is most often a variable that was not set: refused rather than read as "no addresses".
            if values.split(',').all(|v| v.trim().is_empty()) {
                return Err(format!(
                    "--endpoint {text}: no address after \"=\" (an unset variable?): write NAME=CIDR[,CIDR...] \
                     (e.g. internet=0.0.0.0/0), tier:TIER or a prefix list ID, or leave the endpoint out"
                ));
            }
            if !endpoints.iter().any(|e| e.name == name) {
                endpoints.push(EndpointSpec {
                    name: name.to_string(),
                    ..EndpointSpec::default()
                });
            }
            let Some(spec) = endpoints.iter_mut().find(|e| e.name == name) else {
                continue;
            };
            if flagged.insert(name.to_string()) {
                *spec = EndpointSpec {
                    name: name.to_string(),
                    ..EndpointSpec::default()
                };
            }
            for value in values.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                if let Some(tier) = value.strip_prefix("tier:") {
                    spec.tier = Some(tier.to_string());
                } else if value.starts_with("pl-") {
                    spec.references.push(value.to_string());
                } else if value.contains(':') {
                    spec.ipv6.push(value.to_string());
                } else {
                    spec.ipv4.push(value.to_string());
                }
            }
        }
        let mut parameters = base.parameters;
        let mut given = BTreeSet::new();
        for text in &self.params {
            let Some((name, value)) = text.split_once('=').filter(|(name, _)| !name.is_empty())
            else {
                return Err(format!(
                    "--param {text}: write NAME=PORT (e.g. backupstore_port=9000)"
                ));
            };
            let value = value.trim();
            let port = match value.parse::<i64>() {
                Ok(port) => port,
                // A whole number too large to read is out of range, as 70000 is, not malformed.
                Err(_) if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                    return Err(format!(
                        "--param {name}: Parameter {name:?} is not a port: {value} is outside 1..65535"
                    ))
                }
                Err(_) => {
                    return Err(format!(
                        "--param {text}: write NAME=PORT (e.g. backupstore_port=9000)"
                    ))
                }
            };
            parameters.insert(name.to_string(), port);
            if !given.insert(name.to_string()) {
                return Err(format!("--param: {name} is given more than once"));
            }
        }
        let pod_network = match self.pod_network.as_deref() {
            None => base.pod_network,
            Some(text) => text
                .parse()
                .map_err(|e| format!("--pod-network {text}: {e}"))?,
        };
        Ok(ExpansionRequest {
            platforms,
            tiers: base.tiers,
            endpoints,
            parameters,
            api_server_port: self.api_server_port.or(base.api_server_port),
            pod_network,
            extra_flows: base.extra_flows,
        })
    }

    fn file_given(&self) -> bool {
        self.file.is_some()
    }
}

/// Refuses keys of the selection file at `path` that are neither selection inputs nor options of `target`.
fn check_options(
    path: &Path,
    options: &BTreeMap<String, serde_json::Value>,
    target: Option<(&str, &[&str])>,
) -> Result<(), String> {
    let valid = |name: &str| target.is_some_and(|(_, names)| names.contains(&name));
    let Some(unknown) = options.keys().find(|key| !valid(key)) else {
        return Ok(());
    };
    let options = match target {
        Some((target, [])) => format!("; --target {target} takes no options"),
        Some((target, names)) => format!(
            ", and the options of --target {target}: {}",
            names.join(", ")
        ),
        None => String::new(),
    };
    Err(format!(
        "{}: unknown field `{unknown}`: a selection file holds {SELECTION_KEYS}{options}",
        path.display()
    ))
}

/// Runs the engine on a request read from `origin`, after the checks the engine leaves to the callers.
fn select_request(
    request: ExpansionRequest,
    origin: &Origin<'_>,
    catalog: &Catalog,
) -> Result<Selected, String> {
    // The engine passes prefix list IDs through; they are checked here as the Terraform data sources do.
    let bad_references: Vec<InputError> = request
        .endpoints
        .iter()
        .enumerate()
        .flat_map(|(i, endpoint)| {
            endpoint
                .references
                .iter()
                .enumerate()
                .filter_map(move |(j, id)| {
                    check_prefix_list_id(id).err().map(|detail| {
                        InputError::new(
                            vec![
                                PathStep::Field("endpoint".into()),
                                PathStep::Index(i),
                                PathStep::Field("prefix_list_ids".into()),
                                PathStep::Index(j),
                            ],
                            format!("Invalid prefix list ID {id:?}"),
                            detail,
                        )
                    })
                })
        })
        .collect();
    let checked = if bad_references.is_empty() {
        engine::expand(catalog, &request)
    } else {
        Err(bad_references)
    };
    let expansion = checked.map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("{}: {e}", locate(origin, &request, e)))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    Ok(Selected {
        expansion,
        platforms: request
            .platforms
            .iter()
            .map(|p| p.platform.clone())
            .collect(),
        options: BTreeMap::new(),
        request,
    })
}

/// `text` split at `separator` into a platform and the rest, or, without `separator`, the only platform selected
/// (`single`) and all of `text`; `None` when several platforms are selected and `text` names none.
fn qualified(text: &str, separator: char, single: &Option<String>) -> Option<(String, String)> {
    match (text.split_once(separator), single) {
        (Some((platform, rest)), _) => Some((platform.to_string(), rest.to_string())),
        (None, Some(only)) => Some((only.clone(), text.to_string())),
        (None, None) => None,
    }
}

fn selected<'a>(
    platforms: &'a mut [Selection],
    name: &str,
    flag: &str,
    text: &str,
) -> Result<&'a mut Selection, String> {
    let names: Vec<String> = platforms.iter().map(|p| p.platform.clone()).collect();
    platforms
        .iter_mut()
        .find(|p| p.platform == name)
        .ok_or_else(|| {
            format!(
                "{flag} {text}: {name:?} is not a selected platform (selected: {}); add --platform {name}",
                names.join(", ")
            )
        })
}

fn pod_network(text: Option<&str>) -> Result<PodNetwork, String> {
    text.map_or(Ok(PodNetwork::default()), str::parse)
}

/// Runs the engine on the selection of a portmatrix data source in a plan (`address`, its planned values): its
/// platform, tier and endpoint blocks, parameters and pod network, as the data source read them.
pub(super) fn expand_plan_selection(
    address: &str,
    values: &serde_json::Value,
    catalog: &Catalog,
) -> Result<Expansion, String> {
    use serde_json::Value;
    let without_nulls = |value: &Value| match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    };
    let mut selection = serde_json::Map::new();
    for block in ["platform", "tier", "endpoint"] {
        if let Some(Value::Array(items)) = values.get(block) {
            selection.insert(
                block.into(),
                Value::Array(items.iter().map(without_nulls).collect()),
            );
        }
    }
    for field in ["parameters", "pod_network"] {
        if let Some(value) = values.get(field).filter(|v| !v.is_null()) {
            selection.insert(field.into(), value.clone());
        }
    }
    let selection = Value::Object(selection);
    let file: SelectionFile = serde_path_to_error::deserialize(&selection).map_err(|e| {
        format!(
            "{address}: its selection cannot be read: {}: {}",
            e.path(),
            e.inner()
        )
    })?;
    check_options(Path::new(address), &file.rest, None)?;
    let request = request(file).map_err(|e| format!("{address}: {e}"))?;
    engine::expand(catalog, &request).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("{address}: {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Reads and parses a selection file.
fn read_file(path: &Path) -> Result<FileSelection, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read the selection file {}: {e}", path.display()))?;
    parse_file(path, bytes)
}

/// Parses the bytes of the selection file at `path`: JSON when the path ends in `.json` or the text starts with
/// `{`, TOML otherwise.
fn parse_file(path: &Path, bytes: Vec<u8>) -> Result<FileSelection, String> {
    let name = path.display();
    let text = String::from_utf8(bytes).map_err(|_| {
        format!("{name} is not text (UTF-8): give a selection file in TOML or JSON")
    })?;
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('{');
    // The path of the value at fault, and serde's message (TOML's shows the line too).
    let at = |path: &serde_path_to_error::Path| match path.to_string().as_str() {
        "." => String::new(),
        p => format!("{p}: "),
    };
    let mut file: SelectionFile = if json {
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            format!("{name} is not JSON ({e}): give a selection file in TOML or JSON")
        })?;
        if !value.is_object() {
            return Err(format!(
                "{name}: the selection is not a JSON object: write {{\"platform\": [{{\"name\": \"etcd\"}}], ...}} \
                 with platform, tier and endpoint blocks"
            ));
        }
        serde_path_to_error::deserialize(&value)
            .map_err(|e| format!("{name}: {}{}", at(e.path()), e.inner()))?
    } else {
        let document = toml::de::Deserializer::parse(&text).map_err(|e| format!("{name}: {e}"))?;
        serde_path_to_error::deserialize(document)
            .map_err(|e| format!("{name}: {}{}", at(e.path()), e.inner()))?
    };
    let options = std::mem::take(&mut file.rest);
    let request = request(file).map_err(|e| format!("{name}: {e}"))?;
    Ok(FileSelection { request, options })
}

/// `--selection FILE` given the file's name and bytes instead of reading them: parsed, checked and expanded as the
/// CLI does. The entry point of the fuzz target `selection_file` ([`crate::fuzzing`]), which also gets the parsed
/// request back (the platforms' order and what the NetworkPolicy target reads from it).
pub(crate) fn select_file_bytes(
    path: &Path,
    bytes: &[u8],
    catalog: &Catalog,
) -> Result<(ExpansionRequest, Expansion), String> {
    let file = parse_file(path, bytes.to_vec())?;
    check_options(path, &file.options, None)?;
    select_request(file.request, &Origin::File(path), catalog)
        .map(|selected| (selected.request, selected.expansion))
}

fn request(file: SelectionFile) -> Result<ExpansionRequest, String> {
    Ok(ExpansionRequest {
        platforms: file.platform.into_iter().map(Selection::from).collect(),
        tiers: file.tier,
        endpoints: file.endpoint,
        parameters: file.parameters,
        api_server_port: file.api_server_port,
        pod_network: pod_network(file.pod_network.as_deref())
            .map_err(|e| format!("pod_network: {e}"))?,
        extra_flows: file.extra_flow,
    })
}

/// Where an engine error points: the file's path (`platform[0].options.cni`) or the flag that set the input.
fn locate(origin: &Origin<'_>, request: &ExpansionRequest, error: &InputError) -> String {
    let dotted = || {
        let mut out = String::new();
        for step in &error.path {
            match step {
                PathStep::Field(name) if out.is_empty() => out.push_str(name),
                PathStep::Field(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                PathStep::Index(i) => out.push_str(&format!("[{i}]")),
                PathStep::Key(key) => out.push_str(&format!(".{key}")),
            }
        }
        out
    };
    match origin {
        Origin::File(path) => format!("{}: {}", path.display(), dotted()),
        Origin::Flags => match error.path.as_slice() {
            [PathStep::Field(f), PathStep::Index(i), ..] if f == "platform" => request
                .platforms
                .get(*i)
                .map_or_else(dotted, |p| format!("--platform {}", p.platform)),
            [PathStep::Field(f), PathStep::Index(i), ..] if f == "endpoint" => request
                .endpoints
                .get(*i)
                .map_or_else(dotted, |e| format!("--endpoint {}", e.name)),
            [PathStep::Field(f), PathStep::Key(key)] if f == "parameters" => {
                format!("--param {key}")
            }
            [PathStep::Field(f)] if f == "api_server_port" => "--api-server-port".to_string(),
            _ => dotted(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(args: &[&str]) -> Result<ExpansionRequest, String> {
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            selection: SelectionArgs,
        }
        let parsed = <Wrapper as clap::Parser>::try_parse_from(
            std::iter::once("x").chain(args.iter().copied()),
        )
        .map_err(|e| e.to_string())?;
        parsed.selection.flags_request()
    }

    #[test]
    fn flags_build_the_request() {
        let request = flags(&[
            "--platform",
            "kublr",
            "--platform",
            "longhorn",
            "--option",
            "kublr:cni=calico",
            "--version",
            "longhorn=1.6.0",
            "--endpoint",
            "internet=0.0.0.0/0,::/0",
            "--endpoint",
            "internet=pl-63a5400a",
            "--endpoint",
            "apiserver=tier:master",
            "--param",
            "backupstore_port=9000",
            "--api-server-port",
            "443",
            "--pod-network",
            "routed",
        ])
        .unwrap();
        assert_eq!(
            request.platforms,
            vec![
                Selection {
                    platform: "kublr".into(),
                    version: None,
                    options: [("cni".to_string(), "calico".to_string())].into()
                },
                Selection {
                    platform: "longhorn".into(),
                    version: Some("1.6.0".into()),
                    options: BTreeMap::new()
                },
            ]
        );
        assert_eq!(
            request.endpoints,
            vec![
                EndpointSpec {
                    name: "internet".into(),
                    ipv4: vec!["0.0.0.0/0".into()],
                    ipv6: vec!["::/0".into()],
                    references: vec!["pl-63a5400a".into()],
                    tier: None
                },
                EndpointSpec {
                    name: "apiserver".into(),
                    tier: Some("master".into()),
                    ..EndpointSpec::default()
                },
            ]
        );
        assert_eq!(
            request.parameters,
            [("backupstore_port".to_string(), 9000)].into()
        );
        assert_eq!(request.api_server_port, Some(443));
        assert_eq!(request.pod_network, PodNetwork::Routed);
        assert!(request.tiers.is_empty());
    }

    #[test]
    fn one_platform_needs_no_prefix() {
        let request = flags(&[
            "--platform",
            "kublr",
            "--version",
            "1.0",
            "--option",
            "cni=weave",
        ])
        .unwrap();
        assert_eq!(request.platforms[0].version.as_deref(), Some("1.0"));
        assert_eq!(request.platforms[0].options["cni"], "weave");
    }

    #[test]
    fn flag_errors_say_what_to_write() {
        let e = flags(&["--platform", "a", "--platform", "b", "--option", "cni=x"]).unwrap_err();
        assert_eq!(
            e,
            "--option cni=x: several platforms are selected; write PLATFORM:KEY=VALUE"
        );
        let e = flags(&["--platform", "a", "--version", "c=1"]).unwrap_err();
        assert_eq!(
            e,
            "--version c=1: \"c\" is not a selected platform (selected: a); add --platform c"
        );
        let e = flags(&["--platform", "a", "--param", "x=y"]).unwrap_err();
        assert_eq!(
            e,
            "--param x=y: write NAME=PORT (e.g. backupstore_port=9000)"
        );
        let e = flags(&["--platform", "a", "--pod-network", "flat"]).unwrap_err();
        assert!(
            e.starts_with("--pod-network flat: unknown pod network \"flat\""),
            "{e}"
        );
        assert_eq!(
            flags(&[]).unwrap_err(),
            "no platform selected: give --platform NAME (repeatable) or --selection FILE"
        );
    }

    #[test]
    fn flags_add_to_and_override_the_file() {
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            selection: SelectionArgs,
        }
        let file = request(
            toml::from_str(
                r#"
api_server_port = 443
parameters = { backupstore_port = 9000, other = 1 }
[[platform]]
name = "longhorn"
version = "1.5.0"
options = { a = "1" }
[[tier]]
name = "storage"
[[endpoint]]
name = "backupstore"
cidr_ipv4 = ["10.0.0.0/8"]
[[endpoint]]
name = "internet"
cidr_ipv4 = ["0.0.0.0/0"]
"#,
            )
            .unwrap(),
        )
        .unwrap();
        let args = <Wrapper as clap::Parser>::try_parse_from([
            "x",
            "--selection",
            "f.toml",
            "--platform",
            "longhorn",
            "--platform",
            "kubernetes",
            "--version",
            "longhorn=1.6.0",
            "--option",
            "longhorn:a=2",
            "--endpoint",
            "backupstore=192.168.0.0/16",
            "--param",
            "backupstore_port=9100",
            "--pod-network",
            "routed",
        ])
        .unwrap();
        let merged = args.selection.apply_flags(file).unwrap();
        let platforms: Vec<(&str, Option<&str>)> = merged
            .platforms
            .iter()
            .map(|p| (p.platform.as_str(), p.version.as_deref()))
            .collect();
        assert_eq!(
            platforms,
            [("longhorn", Some("1.6.0")), ("kubernetes", None)]
        );
        assert_eq!(merged.platforms[0].options["a"], "2");
        assert_eq!(merged.tiers.len(), 1);
        assert_eq!(merged.endpoints[0].ipv4, ["192.168.0.0/16"]);
        assert_eq!(merged.endpoints[1].ipv4, ["0.0.0.0/0"]);
        assert_eq!(
            merged.parameters,
            [
                ("backupstore_port".to_string(), 9100),
                ("other".to_string(), 1)
            ]
            .into()
        );
        assert_eq!(merged.api_server_port, Some(443));
        assert_eq!(merged.pod_network, PodNetwork::Routed);
    }

    #[test]
    fn toml_and_json_files_mirror_the_data_source_blocks() {
        let toml_text = r#"
pod_network = "routed"
api_server_port = 443
parameters = { backupstore_port = 9000 }

[[platform]]
name = "kublr"
options = { cni = "calico" }

[[tier]]
name = "master"
roles = ["kublr/master"]

[[endpoint]]
name = "internet"
cidr_ipv4 = ["0.0.0.0/0"]
"#;
        let from_toml = request(toml::from_str(toml_text).unwrap()).unwrap();
        let from_json = request(
            serde_json::from_str(
                r#"{"pod_network": "routed", "api_server_port": 443, "parameters": {"backupstore_port": 9000},
                    "platforms": [{"name": "kublr", "options": {"cni": "calico"}}],
                    "tiers": [{"name": "master", "roles": ["kublr/master"]}],
                    "endpoints": [{"name": "internet", "cidr_ipv4": ["0.0.0.0/0"]}]}"#,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(from_toml, from_json);
        assert_eq!(
            from_toml.tiers,
            vec![TierSpec {
                name: "master".into(),
                roles: Some(vec!["kublr/master".into()])
            }]
        );
        assert!(
            toml::from_str::<SelectionFile>("[[platform]]\nname = \"x\"\nversoin = \"1\"\n")
                .unwrap_err()
                .to_string()
                .contains("unknown field `versoin`")
        );
    }

    #[test]
    fn malformed_prefix_list_ids_are_refused_naming_the_flag() {
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            selection: SelectionArgs,
        }
        for id in ["pl-", "pl-ZZZ", "pl-123"] {
            let endpoint = format!("api-clients={id}");
            let parsed = <Wrapper as clap::Parser>::try_parse_from([
                "x",
                "--platform",
                "kubernetes",
                "--endpoint",
                &endpoint,
            ])
            .unwrap();
            let error = parsed.selection.expand(Catalog::builtin()).expect_err(id);
            assert!(
                error.starts_with(&format!(
                    "--endpoint api-clients: Invalid prefix list ID \"{id}\""
                )),
                "{error}"
            );
        }
    }
}
