//! The Terraform Registry documentation under `docs/`: the checks of `tfplugindocs validate` (registry
//! directories, extensions, file size, frontmatter), and the examples the pages show (the catalog data source's
//! with its user catalog, the guides') planned under real Terraform. The pages' schema sections are generated from the provider's schemas and checked by the
//! provider crate's `docs_generated` test (`make docs` regenerates them).

use portmatrix_acceptance_tests::{repo_root, terraforms, Workspace};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The provider's short name, as the provider page's title gives it.
const PROVIDER: &str = "portmatrix";

/// The registry rejects documents of this size or more (tfplugindocs `RegistryMaximumSizeOfFile`).
const MAX_PAGE_BYTES: u64 = 500_000;

/// Folders the registry reads under `docs/` (tfplugindocs `ValidRegistryDirectories`).
const REGISTRY_FOLDERS: [&str; 7] = [
    "actions",
    "data-sources",
    "ephemeral-resources",
    "functions",
    "guides",
    "list-resources",
    "resources",
];

fn docs_dir() -> PathBuf {
    repo_root().join("docs")
}

/// A path as messages show it: relative to the repository root.
fn shown(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A Markdown page's top-level frontmatter keys, values unquoted and `|-` blocks joined.
fn read_frontmatter(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let rest = text
        .strip_prefix("---\n")
        .ok_or("does not start with a `---` frontmatter line")?;
    let end = rest
        .find("\n---\n")
        .ok_or("frontmatter has no closing `---` line")?;
    let mut front = BTreeMap::new();
    let mut block_key: Option<String> = None;
    for line in rest[..end].lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if line.starts_with(' ') {
            let key = block_key
                .as_ref()
                .ok_or_else(|| format!("frontmatter line {line:?} continues no key"))?;
            let value: &mut String = front.entry(key.clone()).or_default();
            if !value.is_empty() {
                value.push('\n');
            }
            value.push_str(line.trim());
            continue;
        }
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("frontmatter line {line:?} is not `key: value`"))?;
        let value = value.trim();
        if front.contains_key(key) {
            return Err(format!("frontmatter repeats {key:?}"));
        }
        block_key = matches!(value, "|-" | "|" | ">" | ">-").then(|| key.to_string());
        let value = if block_key.is_some() {
            ""
        } else {
            value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value)
        };
        front.insert(key.to_string(), value.to_string());
    }
    Ok(front)
}

#[test]
fn docs_follow_the_registry_layout() {
    let docs = docs_dir();
    let mut problems = Vec::new();
    if repo_root().join("website/docs").exists() {
        problems.push("both website/docs and docs/ exist; the registry wants one".into());
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&docs).expect("docs/ exists").flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !REGISTRY_FOLDERS.contains(&name.as_str()) {
                problems.push(format!("{}: not a registry folder", shown(&path)));
                continue;
            }
            for inner in std::fs::read_dir(&path).expect("readable").flatten() {
                if inner.path().is_dir() {
                    problems.push(format!("{}: folders do not nest", shown(&inner.path())));
                } else {
                    files.push((name.clone(), inner.path()));
                }
            }
        } else {
            files.push((String::new(), path));
        }
    }
    assert!(
        files.iter().any(|(_, p)| p.ends_with("index.md")),
        "docs/index.md is missing"
    );
    for (folder, path) in files {
        let shown = shown(&path);
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            problems.push(format!("{shown}: only .md pages belong in docs/"));
            continue;
        }
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if size >= MAX_PAGE_BYTES {
            problems.push(format!(
                "{shown}: {size} bytes; the registry takes less than {MAX_PAGE_BYTES}"
            ));
        }
        let front = match read_frontmatter(&path) {
            Ok(front) => front,
            Err(e) => {
                problems.push(format!("{shown}: {e}"));
                continue;
            }
        };
        for forbidden in ["layout", "sidebar_current"] {
            if front.contains_key(forbidden) {
                problems.push(format!(
                    "{shown}: the registry forbids `{forbidden}` in the frontmatter"
                ));
            }
        }
        let is_index = folder.is_empty() && path.ends_with("index.md");
        if is_index {
            if front.contains_key("subcategory") {
                problems.push(format!("{shown}: the provider page takes no subcategory"));
            }
            let title = format!("{PROVIDER} Provider");
            if front.get("page_title") != Some(&title) {
                problems.push(format!("{shown}: page_title should be {title:?}"));
            }
            if front.get("description").is_none_or(String::is_empty) {
                problems.push(format!("{shown}: the frontmatter needs a description"));
            }
        }
        if folder == "guides" && front.get("page_title").is_none_or(String::is_empty) {
            problems.push(format!("{shown}: a guide needs a page_title"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/ breaks registry rules:\n{}",
        problems.join("\n")
    );
}

/// The user catalog of the data-source example, as written in acme-app.toml.
const ACME_ROLES: [&str; 4] = ["api", "worker", "order-cache", "node-agent"];

/// The example's configuration without a `terraform { … }` block: the workspace brings its own.
fn without_terraform_block(config: &str) -> String {
    let mut kept = Vec::new();
    let mut skipping = false;
    for line in config.lines() {
        if line.starts_with("terraform {") {
            skipping = true;
        } else if skipping {
            skipping = line != "}";
        } else {
            kept.push(line);
        }
    }
    kept.join("\n") + "\n"
}

#[test]
fn the_catalog_example_plans_with_its_user_catalog() {
    let example = repo_root().join("examples/data-sources/portmatrix_catalog");
    let catalog = std::fs::read_to_string(example.join("acme-app.toml")).expect("acme-app.toml");
    let guide = std::fs::read_to_string(docs_dir().join("guides/catalog-format.md"))
        .expect("the catalog format guide");
    assert!(
        guide.contains(&format!("```toml\n{}\n```", catalog.trim_end())),
        "docs/guides/catalog-format.md should show acme-app.toml verbatim, the document this test proves valid"
    );
    for terraform in terraforms() {
        let workspace = Workspace::new(terraform, "");
        for entry in std::fs::read_dir(&example)
            .expect("example folder")
            .flatten()
        {
            let text = std::fs::read_to_string(entry.path()).expect("example file");
            let text = if entry.path().extension().is_some_and(|e| e == "tf") {
                without_terraform_block(&text)
            } else {
                text
            };
            std::fs::write(workspace.path().join(entry.file_name()), text).expect("copy");
        }
        std::fs::write(
            workspace.path().join("checks.tf"),
            r#"
output "user_catalog" {
  value = [
    for p in data.portmatrix_catalog.with_mine.platforms : {
      name   = p.name
      title  = p.title
      origin = p.releases[0].origin
      roles  = [for r in p.releases[0].roles : r.name]
    } if p.name == "acme-app"
  ]
}
"#,
        )
        .expect("write checks.tf");

        let plan = workspace.plan();
        for wanted in ["\"acme-app\"", "\"user_catalogs[0]\"", "\"Acme Orders\""] {
            assert!(
                plan.stdout.contains(wanted),
                "Terraform {} plan lacks {wanted}:\n{}",
                terraform.version,
                plan.stdout
            );
        }

        let outputs = workspace.outputs();
        let mine = &outputs["user_catalog"]["value"];
        assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
        assert_eq!(mine[0]["title"], "Acme Orders");
        assert_eq!(mine[0]["origin"], "user_catalogs[0]");
        assert_eq!(mine[0]["roles"], serde_json::json!(ACME_ROLES));
        let platforms = outputs["platforms"]["value"].as_array().expect("platforms");
        assert!(platforms.iter().any(|p| p == "longhorn"), "{platforms:?}");
        assert!(
            !platforms.iter().any(|p| p == "acme-app"),
            "the user catalog was passed to one data source only: {platforms:?}"
        );
        let releases = outputs["longhorn_releases"]["value"]
            .as_array()
            .expect("longhorn_releases");
        assert!(!releases.is_empty(), "{releases:?}");
    }
}

/// The first fenced block of `language` in a page.
fn first_block<'a>(page: &'a str, language: &str) -> Option<&'a str> {
    let start = page.find(&format!("```{language}\n"))? + language.len() + 4;
    let length = page[start..].find("\n```")?;
    Some(&page[start..start + length + 1])
}

/// The managed-clusters guide's EKS example, planned as written: the control plane is an endpoint bound to the
/// cluster security group's tier, and the rules are AWS's minimum rules ("Restricting cluster traffic", Amazon EKS
/// User Guide sec-group-reqs.adoc @f6004140): nodes to the API on 443, the control plane to the kubelet's 10250,
/// DNS 53 over TCP and UDP.
#[test]
fn the_managed_clusters_guide_example_plans() {
    let guide = std::fs::read_to_string(docs_dir().join("guides/managed-clusters.md"))
        .expect("the managed clusters guide");
    let example = first_block(&guide, "terraform").expect("a terraform example");
    for terraform in terraforms() {
        let outputs = Workspace::new(terraform, example).outputs();
        assert_eq!(
            outputs["cluster_group_ingress"]["value"],
            serde_json::json!(["master:tcp:443:worker"]),
            "terraform {}",
            terraform.version
        );
        assert_eq!(
            outputs["node_group_ingress"]["value"],
            serde_json::json!([
                "worker:tcp:10250:master",
                "worker:tcp:53:worker",
                "worker:udp:53:worker"
            ]),
            "terraform {}",
            terraform.version
        );
    }
}

/// The Rancher guide's example, planned as written. Rancher's Port Requirements page for 2.13 (rancher/rancher-docs
/// @cba36f00), RKE2 tab: "HTTPS | 443 | hosted/registered Kubernetes, any source that needs to be able to use the
/// Rancher UI or API"; the hosted and registered clusters' table (PortsImportedHosted @144dc06b): "80 TCP" from Rancher
/// nodes to Rancher nodes; the custom-nodes table (PortsCustomNodes @36f54e98): every node to Rancher nodes "443 TCP".
#[test]
fn the_rancher_guide_example_plans() {
    let guide =
        std::fs::read_to_string(docs_dir().join("guides/rancher.md")).expect("the Rancher guide");
    let example = first_block(&guide, "terraform").expect("a terraform example");
    for terraform in terraforms() {
        let outputs = Workspace::new(terraform, example).outputs();
        assert_eq!(
            outputs["rancher_ingress"]["value"],
            serde_json::json!([
                "master:tcp:443:10.20.0.0/16",
                "master:tcp:443:203.0.113.0/24",
                "master:tcp:80:master",
                "master:tcp:80:worker",
                "worker:tcp:443:10.20.0.0/16",
                "worker:tcp:443:203.0.113.0/24",
                "worker:tcp:80:master",
                "worker:tcp:80:worker"
            ]),
            "terraform {}",
            terraform.version
        );
        assert_eq!(
            outputs["downstream_egress_to_rancher"]["value"],
            serde_json::json!(["master:tcp:443:10.0.0.0/24", "worker:tcp:443:10.0.0.0/24"]),
            "terraform {}",
            terraform.version
        );
    }
}

/// The node egress guide's example, planned as written: with `dns`, `registries`, `packages = "https"` and
/// `cloud_apis` on, every worker gets DNS 53 over UDP and TCP (RFC 1035 4.2) to the resolver, and HTTPS 443 (RFC 9110
/// 4.2.2; EKS hybrid nodes networking @f6004140 for the cloud's APIs) to the registry's CIDR and prefix list, the
/// mirror and the interface endpoints' subnet. `ntp` is off, so nothing goes to 123.
#[test]
fn the_node_egress_guide_example_plans() {
    let guide = std::fs::read_to_string(docs_dir().join("guides/node-egress.md"))
        .expect("the node egress guide");
    let example = first_block(&guide, "terraform").expect("a terraform example");
    for terraform in terraforms() {
        let outputs = Workspace::new(terraform, example).outputs();
        assert_eq!(
            outputs["worker_node_egress"]["value"],
            serde_json::json!([
                "worker:tcp:443:10.0.64.0/24",
                "worker:tcp:443:10.0.65.10/32",
                "worker:tcp:443:10.0.66.0/24",
                "worker:tcp:443:pl-63a5400a",
                "worker:tcp:53:10.0.0.53/32",
                "worker:udp:53:10.0.0.53/32"
            ]),
            "terraform {}",
            terraform.version
        );
        assert_eq!(
            outputs["registry_prefix_list"]["value"], "pl-63a5400a",
            "terraform {}",
            terraform.version
        );
    }
}

/// The provider page names every built-in platform by the name it is selected with.
#[test]
fn the_index_names_every_built_in_platform() {
    let index = std::fs::read_to_string(docs_dir().join("index.md")).expect("docs/index.md");
    let mut missing = BTreeSet::new();
    for entry in std::fs::read_dir(repo_root().join("provider/catalogs"))
        .expect("provider/catalogs")
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("catalog file");
        let document: toml::Table = text
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = document["platform"]["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: platform.name", path.display()))
            .to_string();
        if !index.contains(&format!("`{name}`")) {
            missing.insert(name);
        }
    }
    assert!(
        missing.is_empty(),
        "docs/index.md does not name these built-in platforms: {missing:?}"
    );
}
