//! `portmatrix catalog list|show|diff`.

use std::collections::{BTreeMap, BTreeSet};

use semver::Version;
use serde::Serialize;

use super::table::Table;
use super::to_json;
use crate::catalog::{
    port_items, Catalog, Disagreement, Endpoint, Flow, Loopback, NotFlow, OptionSpec, Parameter,
    PlatformInfo, Release, Role, Selection, SelectionError, Source,
};

#[derive(Serialize)]
struct ListJson<'a> {
    platforms: Vec<ListPlatform<'a>>,
}

#[derive(Serialize)]
struct ListPlatform<'a> {
    name: &'a str,
    title: &'a str,
    summary: &'a str,
    releases: Vec<ListRelease<'a>>,
}

#[derive(Serialize)]
struct ListRelease<'a> {
    versions: &'a str,
    /// The newest version whose documentation was read; null when the release does not say.
    newest_read: Option<&'a str>,
    origin: &'a str,
    roles: usize,
    endpoints: usize,
    options: usize,
    flows: usize,
    loopback: usize,
    disagreements: usize,
}

/// `catalog list`: one row per release.
pub(super) fn list(catalog: &Catalog, json: bool) -> Result<String, String> {
    let platforms: Vec<ListPlatform<'_>> = catalog
        .platforms()
        .filter_map(|p| {
            // The newest release names and describes the platform.
            let newest = p.releases.last()?;
            Some(ListPlatform {
                name: &p.name,
                title: &newest.platform.title,
                summary: &newest.platform.summary,
                releases: p
                    .releases
                    .iter()
                    .map(|r| ListRelease {
                        versions: r.platform.versions.text(),
                        newest_read: r.platform.newest_read.as_ref().map(|n| n.text()),
                        origin: &r.origin,
                        roles: r.roles.len(),
                        endpoints: r.endpoints.len(),
                        options: r.options.len(),
                        flows: r.flows.len(),
                        loopback: r.loopback.len(),
                        disagreements: r.disagreements.len(),
                    })
                    .collect(),
            })
        })
        .collect();
    if json {
        return to_json(&ListJson { platforms });
    }
    let mut table = Table::new(&[
        "PLATFORM",
        "TITLE",
        "VERSIONS",
        "READ UP TO",
        "ROLES",
        "ENDPOINTS",
        "OPTIONS",
        "FLOWS",
        "LOOPBACK",
        "FILE",
    ]);
    for p in &platforms {
        for r in &p.releases {
            table.row(vec![
                p.name.to_owned(),
                p.title.to_owned(),
                r.versions.to_owned(),
                r.newest_read.unwrap_or("-").to_owned(),
                r.roles.to_string(),
                r.endpoints.to_string(),
                r.options.to_string(),
                r.flows.to_string(),
                r.loopback.to_string(),
                r.origin.to_owned(),
            ]);
        }
    }
    Ok(table.render())
}

#[derive(Serialize)]
struct ShowJson<'a> {
    platform: &'a PlatformInfo,
    origin: &'a str,
    /// The requested version as parsed; null = the newest release.
    version: Option<String>,
    /// Every option with the value used (defaults filled in).
    selected_options: &'a BTreeMap<String, String>,
    options: &'a [OptionSpec],
    parameters: &'a [Parameter],
    roles: &'a [Role],
    endpoints: &'a [Endpoint],
    /// The flows that apply to the version and options.
    flows: &'a [&'a Flow],
    loopback: &'a [Loopback],
    /// Rows read and deliberately not turned into flows; left out when there are none.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    not_flows: &'a [NotFlow],
    disagreements: &'a [Disagreement],
    sources: &'a [Source],
}

/// `catalog show`: the selected release and the flows that apply.
pub(super) fn show(
    catalog: &Catalog,
    platform: &str,
    version: Option<&str>,
    options: BTreeMap<String, String>,
    json: bool,
) -> Result<String, String> {
    let selection = Selection {
        platform: platform.to_owned(),
        version: version.map(str::to_owned),
        options,
    };
    let selected = catalog.select(&selection).map_err(|e| {
        let flag = version.map_or_else(|| "--version".to_string(), |v| format!("--version {v}"));
        flagged(&e, &flag)
    })?;
    let r = selected.release;
    if json {
        return to_json(&ShowJson {
            platform: &r.platform,
            origin: &r.origin,
            version: selected.version.as_ref().map(ToString::to_string),
            selected_options: &selected.options,
            options: &r.options,
            parameters: &r.parameters,
            roles: &r.roles,
            endpoints: &r.endpoints,
            flows: &selected.flows,
            loopback: &r.loopback,
            not_flows: &r.not_flows,
            disagreements: &r.disagreements,
            sources: &r.sources,
        });
    }

    let mut out = format!(
        "{} ({}), release {} from {}\n",
        r.platform.title, r.platform.name, r.platform.versions, r.origin
    );
    out.push_str(&format!("{}\n", r.platform.summary));
    if let Some(note) = &r.platform.version_note {
        out.push_str(&format!("Version note: {note}\n"));
    }
    match &selected.version {
        Some(v) => out.push_str(&format!("Version: {v}\n")),
        None => out.push_str("Version: not given, the newest release is shown\n"),
    }

    section(
        &mut out,
        "Options",
        &["NAME", "VALUE", "DEFAULT", "VALUES", "DESCRIPTION"],
        &r.options,
        |o| {
            vec![
                o.name.clone(),
                selected.options.get(&o.name).cloned().unwrap_or_default(),
                o.default.clone(),
                o.values.join(", "),
                o.description.clone(),
            ]
        },
    );
    section(
        &mut out,
        "Parameters",
        &["NAME", "DEFAULT", "DESCRIPTION"],
        &r.parameters,
        |p| {
            let default = p.default.map_or_else(|| "-".to_owned(), |d| d.to_string());
            vec![p.name.clone(), default, p.description.clone()]
        },
    );
    section(
        &mut out,
        "Roles",
        &["NAME", "TITLE", "NETWORK", "TIERS", "NAMESPACE", "SELECTOR"],
        &r.roles,
        |role| {
            let tiers = role
                .tiers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>();
            let selector = role
                .selector
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>();
            vec![
                role.name.clone(),
                role.title.clone(),
                role.network.to_string(),
                tiers.join(","),
                role.namespace.clone().unwrap_or_default(),
                selector.join(","),
            ]
        },
    );
    section(
        &mut out,
        "Endpoints",
        &["NAME", "TITLE", "DESCRIPTION"],
        &r.endpoints,
        |e| vec![e.name.clone(), e.title.clone(), e.description.clone()],
    );
    let title = format!(
        "Flows ({} of {} apply)",
        selected.flows.len(),
        r.flows.len()
    );
    section(
        &mut out,
        &title,
        &["FROM", "TO", "PROTOCOL", "PORTS", "PURPOSE", "SOURCE"],
        &selected.flows,
        |f| {
            vec![
                f.from.clone(),
                f.to.clone(),
                f.protocol.to_string(),
                port_items(f).join(","),
                f.purpose.clone(),
                f.source.clone(),
            ]
        },
    );
    section(
        &mut out,
        "Loopback only (never opened between hosts)",
        &["ROLE", "PROTOCOL", "PORTS", "PURPOSE", "SOURCE"],
        &r.loopback,
        |l| {
            vec![
                l.role.clone(),
                l.protocol.to_string(),
                l.ports.describe(),
                l.purpose.clone(),
                l.source.clone(),
            ]
        },
    );

    if !r.not_flows.is_empty() {
        out.push_str("\nNot flows (rows read, deliberately no rule)\n");
        for n in &r.not_flows {
            out.push_str(&format!(
                "- {} (source {}): {}\n",
                n.rows.join("; "),
                n.source,
                one_line(&n.reason)
            ));
        }
    }

    out.push_str("\nDisagreements\n");
    if r.disagreements.is_empty() {
        out.push_str("(none)\n");
    }
    for d in &r.disagreements {
        out.push_str(&format!("- {}: {}\n", d.topic, one_line(&d.text)));
    }

    section(
        &mut out,
        "Sources",
        &["ID", "DOCUMENT", "VERSION", "DATE", "URL"],
        &r.sources,
        |s| {
            vec![
                s.id.clone(),
                s.document.clone(),
                s.version.clone(),
                s.date.clone(),
                s.url.clone(),
            ]
        },
    );
    Ok(out)
}

/// Appends a titled table of `items`, one row each made by `row`, or `(none)` when there are none.
fn section<T>(
    out: &mut String,
    title: &str,
    header: &[&str],
    items: &[T],
    row: impl Fn(&T) -> Vec<String>,
) {
    out.push('\n');
    out.push_str(title);
    out.push('\n');
    if items.is_empty() {
        out.push_str("(none)\n");
        return;
    }
    let mut table = Table::new(header);
    for item in items {
        table.row(row(item));
    }
    out.push_str(&table.render());
}

/// `text` with its runs of white space (line breaks of the TOML) made single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One flow line (one port item) as compared by `catalog diff`.
#[derive(Serialize)]
struct DiffItem<'a> {
    from: &'a str,
    to: &'a str,
    protocol: String,
    port: String,
    /// Conditions, values sorted.
    when: BTreeMap<&'a str, Vec<&'a str>>,
    purpose: &'a str,
    source: &'a str,
}

impl DiffItem<'_> {
    fn key(&self) -> (&str, &str, &str, &str, &BTreeMap<&str, Vec<&str>>) {
        (self.from, self.to, &self.protocol, &self.port, &self.when)
    }

    fn when_text(&self) -> String {
        self.when
            .iter()
            .map(|(k, v)| format!("{k}={}", v.join("|")))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[derive(Serialize)]
struct DiffSide<'a> {
    version: String,
    versions: &'a str,
    origin: &'a str,
}

#[derive(Serialize)]
struct DiffJson<'a, 'b> {
    platform: &'a str,
    from: DiffSide<'a>,
    to: DiffSide<'a>,
    removed: &'b [&'b DiffItem<'a>],
    added: &'b [&'b DiffItem<'a>],
}

/// The flow lines of `release` at `version`, options not applied, first occurrence of each key, in file order.
fn diff_items<'a>(release: &'a Release, version: &Version) -> Vec<DiffItem<'a>> {
    let mut items: Vec<DiffItem<'a>> = Vec::new();
    for flow in release
        .flows
        .iter()
        .filter(|f| f.applies_to_version(release, Some(version)))
    {
        for port in port_items(flow) {
            let item = DiffItem {
                from: &flow.from,
                to: &flow.to,
                protocol: flow.protocol.to_string(),
                port,
                when: flow
                    .when
                    .iter()
                    .map(|(k, v)| {
                        let mut values: Vec<&str> = v.iter().map(String::as_str).collect();
                        values.sort_unstable();
                        (k.as_str(), values)
                    })
                    .collect(),
                purpose: &flow.purpose,
                source: &flow.source,
            };
            if !items.iter().any(|i| i.key() == item.key()) {
                items.push(item);
            }
        }
    }
    items
}

/// Warnings for the requested versions of `platform` that lie above the newest version whose documentation was
/// read for the release answering them (selection errors are reported by the command itself).
pub(super) fn unread_version_warnings(
    catalog: &Catalog,
    platform: &str,
    versions: &[&str],
) -> Vec<String> {
    let mut warnings: Vec<String> = Vec::new();
    for text in versions {
        if let Ok((release, Some(version))) = catalog.release_for(platform, Some(text)) {
            if let Some(warning) = release.unread_version_warning(&version) {
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
            }
        }
    }
    warnings
}

/// `catalog diff`: flow lines removed and added between the releases covering `from` and `to`.
pub(super) fn diff(
    catalog: &Catalog,
    platform: &str,
    from: &str,
    to: &str,
    json: bool,
) -> Result<String, String> {
    let side = |text: &str| -> Result<(&Release, Version), String> {
        match catalog
            .release_for(platform, Some(text))
            .map_err(|e| flagged(&e, &format!("version {text}")))?
        {
            (release, Some(version)) => Ok((release, version)),
            (_, None) => Err(format!("no version parsed from {text:?}")),
        }
    };
    let (old, old_version) = side(from)?;
    let (new, new_version) = side(to)?;
    let before = diff_items(old, &old_version);
    let after = diff_items(new, &new_version);
    let before_keys: BTreeSet<_> = before.iter().map(DiffItem::key).collect();
    let after_keys: BTreeSet<_> = after.iter().map(DiffItem::key).collect();
    let removed: Vec<&DiffItem<'_>> = before
        .iter()
        .filter(|i| !after_keys.contains(&i.key()))
        .collect();
    let added: Vec<&DiffItem<'_>> = after
        .iter()
        .filter(|i| !before_keys.contains(&i.key()))
        .collect();

    if json {
        return to_json(&DiffJson {
            platform,
            from: DiffSide {
                version: old_version.to_string(),
                versions: old.platform.versions.text(),
                origin: &old.origin,
            },
            to: DiffSide {
                version: new_version.to_string(),
                versions: new.platform.versions.text(),
                origin: &new.origin,
            },
            removed: &removed,
            added: &added,
        });
    }

    let mut out = format!("{platform} {old_version} -> {new_version}\n");
    out.push_str(&format!(
        "  from: release {} ({})\n",
        old.platform.versions, old.origin
    ));
    out.push_str(&format!(
        "  to:   release {} ({})\n",
        new.platform.versions, new.origin
    ));
    out.push_str(
        "Flow lines compared on from, to, protocol, port and `when`; options are not applied.\n\n",
    );
    if removed.is_empty() && added.is_empty() {
        out.push_str("No flow changes.\n");
        return Ok(out);
    }
    let mut t = Table::new(&[
        "CHANGE", "FROM", "TO", "PROTOCOL", "PORT", "WHEN", "PURPOSE",
    ]);
    for (change, items) in [("removed", &removed), ("added", &added)] {
        for i in items.iter() {
            t.row(vec![
                change.to_owned(),
                i.from.to_owned(),
                i.to.to_owned(),
                i.protocol.clone(),
                i.port.clone(),
                i.when_text(),
                i.purpose.to_owned(),
            ]);
        }
    }
    out.push_str(&t.render());
    out.push_str(&format!(
        "\n{} removed, {} added. Revisit firewall rules and network policies before upgrading.\n",
        removed.len(),
        added.len()
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::catalog::tests::store_catalog;
    use crate::cli::{run, Cli};

    fn run_args(args: &[&str]) -> Result<String, String> {
        let cli = Cli::try_parse_from(std::iter::once("portmatrix").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        run(&cli, &store_catalog())
    }

    #[test]
    fn list_table() {
        assert_eq!(
            run_args(&["catalog", "list"]).unwrap(),
            "PLATFORM  TITLE  VERSIONS         READ UP TO  ROLES  ENDPOINTS  OPTIONS  FLOWS  LOOPBACK  FILE\n\
             store     Store  >=1.2.0, <1.5.0  -           3      1          2        9      1         store-1.2.toml\n\
             store     Store  >=1.5.0          1.9         2      0          0        2      0         store-1.5.toml\n"
        );
    }

    #[test]
    fn list_json() {
        let json: serde_json::Value =
            serde_json::from_str(&run_args(&["catalog", "list", "--json"]).unwrap()).unwrap();
        assert_eq!(json["platforms"][0]["name"], "store");
        assert_eq!(
            json["platforms"][0]["releases"][0]["versions"],
            ">=1.2.0, <1.5.0"
        );
        assert_eq!(json["platforms"][0]["releases"][0]["flows"], 9);
        assert_eq!(
            json["platforms"][0]["releases"][0]["newest_read"],
            serde_json::Value::Null
        );
        assert_eq!(json["platforms"][0]["releases"][1]["newest_read"], "1.9");
        assert_eq!(
            json["platforms"][0]["releases"][1]["origin"],
            "store-1.5.toml"
        );
    }

    #[test]
    fn show_flows_of_a_version_and_options() {
        let out = run_args(&[
            "catalog",
            "show",
            "store",
            "--version",
            "1.3.1",
            "--option",
            "cni=flannel",
        ])
        .unwrap();
        assert!(
            out.starts_with(
                "Store (store), release >=1.2.0, <1.5.0 from store-1.2.toml\nBlock storage.\n"
            ),
            "{out}"
        );
        assert!(out.contains("\nVersion: 1.3.1\n"), "{out}");
        assert!(out.contains(
            "\nOptions\n\
             NAME      VALUE    DEFAULT  VALUES                  DESCRIPTION\n\
             cni       flannel  canal    canal, calico, flannel  CNI plugin of the cluster.\n\
             policies  false    false    true, false             Whether network policies are installed.\n"
        ), "{out}");
        assert!(out.contains(
            "\nFlows (5 of 9 apply)\n\
             FROM     TO                PROTOCOL  PORTS                PURPOSE                  SOURCE\n\
             manager  instance-manager  tcp       8500,8501            process-manager service  networking\n\
             manager  backupstore       tcp       ${backupstore_port}  backups                  networking\n\
             node     node              icmp      all types=0,8        health checks            networking\n\
             manager  manager           tcp       9443                 webhook                  networking\n\
             node     node              udp       8472                 VXLAN                    networking\n"
        ), "{out}");
        assert!(
            out.contains(
                "\nParameters\nNAME              DEFAULT  DESCRIPTION\napiserver_port    6443"
            ),
            "{out}"
        );
        assert!(out.contains("manager           Store Manager     pod      master,worker              store-system  app=store-manager,app.kubernetes.io/part-of=store\n"), "{out}");
        assert!(out.contains("\nLoopback only (never opened between hosts)\nROLE     PROTOCOL  PORTS  PURPOSE  SOURCE\nmanager  tcp       6060   pprof    networking\n"), "{out}");
        assert!(out.contains("\nDisagreements\n- Webhook rows: The webhook row is self-referential; the caller is the API server.\n"), "{out}");
    }

    #[test]
    fn show_newest_release_and_json() {
        let out = run_args(&["catalog", "show", "store"]).unwrap();
        assert!(
            out.contains("Version: not given, the newest release is shown"),
            "{out}"
        );
        assert!(out.contains("\nOptions\n(none)\n"), "{out}");
        let json: serde_json::Value = serde_json::from_str(
            &run_args(&["catalog", "show", "store", "--version", "1.2", "--json"]).unwrap(),
        )
        .unwrap();
        assert_eq!(json["version"], "1.2.0");
        assert_eq!(json["origin"], "store-1.2.toml");
        assert_eq!(
            json["selected_options"],
            serde_json::json!({"cni": "canal", "policies": "false"})
        );
        assert_eq!(json["flows"].as_array().map(Vec::len), Some(6));
        assert_eq!(
            json["flows"][0]["ports"],
            serde_json::json!({"ranges": ["8500", "8501"]})
        );
        assert_eq!(json["flows"][3]["icmp_types"], serde_json::json!([0, 8]));
    }

    #[test]
    fn diff_between_releases() {
        let out = run_args(&["catalog", "diff", "store", "1.4", "v1.5.0"]).unwrap();
        assert_eq!(
            out,
            "store 1.4.0 -> 1.5.0\n  from: release >=1.2.0, <1.5.0 (store-1.2.toml)\n  to:   release >=1.5.0 (store-1.5.toml)\n\
             Flow lines compared on from, to, protocol, port and `when`; options are not applied.\n\n\
             CHANGE   FROM     TO                PROTOCOL  PORT                 WHEN               PURPOSE\n\
             removed  manager  backupstore       tcp       ${backupstore_port}                     backups\n\
             removed  node     node              4         all                  cni=calico|canal   IP-in-IP overlay\n\
             removed  node     node              icmp      all types=0,8                           health checks\n\
             removed  node     node              udp       8472                 cni=canal|flannel  VXLAN\n\
             removed  manager  node              tcp       ${apiserver_port}    policies=true      Kubernetes API\n\
             removed  manager  instance-manager  tcp       9600                                    NFS recovery backend\n\
             added    manager  instance-manager  tcp       8502                                    instance-manager services\n\
             added    manager  instance-manager  tcp       8503                                    instance-manager services\n\
             added    manager  instance-manager  tcp       8504                                    instance-manager services\n\
             added    manager  manager           tcp       9501                                    conversion webhook\n\
             \n6 removed, 4 added. Revisit firewall rules and network policies before upgrading.\n"
        );
    }

    #[test]
    fn diff_within_a_release_and_json() {
        let out = run_args(&["catalog", "diff", "store", "1.2.0", "1.3.0"]).unwrap();
        assert!(
            out.contains(
                "removed  manager  instance-manager  tcp       10000-30000        engine ports\n"
            ),
            "{out}"
        );
        assert!(
            out.contains(
                "added    manager  manager           tcp       9443               webhook\n"
            ),
            "{out}"
        );
        assert!(out.ends_with("\n1 removed, 1 added. Revisit firewall rules and network policies before upgrading.\n"), "{out}");
        assert!(run_args(&["catalog", "diff", "store", "1.5", "1.9"])
            .unwrap()
            .ends_with("No flow changes.\n"));
        let json: serde_json::Value = serde_json::from_str(
            &run_args(&["catalog", "diff", "store", "1.4", "1.5", "--json"]).unwrap(),
        )
        .unwrap();
        assert_eq!(
            json["from"],
            serde_json::json!({"version": "1.4.0", "versions": ">=1.2.0, <1.5.0", "origin": "store-1.2.toml"})
        );
        assert_eq!(json["removed"].as_array().map(Vec::len), Some(6));
        assert_eq!(
            json["added"][3],
            serde_json::json!({
                "from": "manager", "to": "manager", "protocol": "tcp", "port": "9501", "when": {},
                "purpose": "conversion webhook", "source": "networking"
            })
        );
    }

    #[test]
    fn errors_list_valid_values() {
        assert_eq!(
            run_args(&["catalog", "show", "nope"]).unwrap_err(),
            "unknown platform \"nope\"; valid platforms: store"
        );
        let e = run_args(&[
            "catalog",
            "show",
            "store",
            "--version",
            "1.4",
            "--option",
            "cni=weave",
        ])
        .unwrap_err();
        assert!(e.ends_with("valid values: canal, calico, flannel"), "{e}");
        let e = run_args(&[
            "catalog",
            "show",
            "store",
            "--version",
            "1.4",
            "--option",
            "cni=calico",
            "--option",
            "cni=canal",
        ])
        .unwrap_err();
        assert_eq!(e, "option \"cni\" is given more than once");
        let e = run_args(&["catalog", "show", "store", "--option", "cni"]).unwrap_err();
        assert!(e.contains("\"cni\" is not KEY=VALUE"), "{e}");
        let e = run_args(&["catalog", "diff", "store", "0.9", "1.5"]).unwrap_err();
        assert!(
            e.contains("releases cover: >=1.2.0, <1.5.0; >=1.5.0"),
            "{e}"
        );
        assert!(run_args(&["catalog", "diff", "store", "1.4"]).is_err());
    }
}

#[derive(Serialize)]
struct VerifyJson<'a> {
    platform: &'a str,
    version: String,
    origin: &'a str,
    source: &'a str,
    drift: bool,
    added: &'a [String],
    removed: &'a [String],
    changed: Vec<ChangedRow<'a>>,
    /// Cited rows of tables the document (a copy of some captioned tables) does not hold; only when there are any.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    not_checked: &'a [String],
}

#[derive(Serialize)]
struct ChangedRow<'a> {
    cited: &'a str,
    published: &'a str,
}

/// A selection error, led by the input at fault: `version` (the flag or argument that gave the version) for a
/// version no release covers or that is not one, `--option KEY` for an option.
fn flagged(error: &SelectionError, version: &str) -> String {
    match error {
        SelectionError::VersionOutOfRange { .. } | SelectionError::BadVersion { .. } => {
            format!("{version}: {error}")
        }
        SelectionError::UnknownOption { option, .. }
        | SelectionError::InvalidOptionValue { option, .. } => {
            format!("--option {option}: {error}")
        }
        _ => error.to_string(),
    }
}

/// `catalog verify`: the table rows of `document` against the rows the release covering `version` cites from
/// `source` (default: its first source). Findings (exit 1) when they differ; cited rows of tables the document
/// does not hold are listed as not checked, and are not findings.
pub(super) fn verify(
    catalog: &Catalog,
    platform: &str,
    version: &str,
    document: &std::path::Path,
    source: Option<&str>,
    json: bool,
) -> Result<super::Outcome, String> {
    let (release, parsed) = catalog
        .release_for(platform, Some(version))
        .map_err(|e| flagged(&e, &format!("--version {version}")))?;
    let source = match source {
        Some(id) if !release.sources.iter().any(|s| s.id == id) => {
            let ids: Vec<&str> = release.sources.iter().map(|s| s.id.as_str()).collect();
            return Err(format!(
                "--source {id}: {} ({}) has no source {id:?}; give one of: {}",
                release.platform.name,
                release.origin,
                ids.join(", ")
            ));
        }
        Some(id) => id,
        None => release
            .sources
            .first()
            .map(|s| s.id.as_str())
            .ok_or_else(|| format!("{} has no sources", release.origin))?,
    };
    let bytes =
        std::fs::read(document).map_err(|e| format!("--document {}: {e}", document.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        format!(
            "--document {}: not text (UTF-8): give the upstream page as published (Markdown, reStructuredText, the ports data file a page is rendered from, or a page's captioned tables)",
            document.display()
        )
    })?;
    let drift = crate::catalog::verify(release, source, parsed.as_ref(), &text)?;
    let warnings: Vec<String> = parsed
        .as_ref()
        .and_then(|v| release.unread_version_warning(v))
        .into_iter()
        .collect();
    let version = parsed.map_or_else(|| version.to_owned(), |v| v.to_string());
    let output = if json {
        to_json(&VerifyJson {
            platform,
            version,
            origin: &release.origin,
            source,
            drift: !drift.is_empty(),
            added: &drift.added,
            removed: &drift.removed,
            changed: drift
                .changed
                .iter()
                .map(|(cited, published)| ChangedRow { cited, published })
                .collect(),
            not_checked: &drift.not_checked,
        })?
    } else {
        let mut out = format!(
            "{platform} {version}: {} (source {source}) against {}\n",
            release.origin,
            document.display()
        );
        if drift.is_empty() && drift.not_checked.is_empty() {
            out.push_str("no drift: every table row of the document is cited, and every cited row is in it\n");
        } else if drift.is_empty() {
            out.push_str("no drift in the tables the document holds: each of their rows is cited, and each row cited from them is in it\n");
        }
        for row in &drift.added {
            out.push_str(&format!("added:   {row}\n"));
        }
        for row in &drift.removed {
            out.push_str(&format!("removed: {row}\n"));
        }
        for (cited, published) in &drift.changed {
            out.push_str(&format!("changed: {cited}\n     to: {published}\n"));
        }
        for row in &drift.not_checked {
            out.push_str(&format!("not checked (table not in the copy): {row}\n"));
        }
        out
    };
    Ok(super::Outcome {
        output,
        warnings,
        findings: !drift.is_empty(),
    })
}
