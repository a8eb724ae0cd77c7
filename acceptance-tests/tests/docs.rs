//! The Terraform Registry documentation under `docs/`, held to the schema that real Terraform reads from the
//! provider (`terraform providers schema -json`). The checks are those of `tfplugindocs validate` (a page per
//! data source and no page without one, registry frontmatter, directories, extensions, file size) plus what its
//! generator would have written: every attribute, nested object attributes included, in the Required, Optional
//! or Read-Only section its schema flags call for, with tfplugindocs' type name and the schema's description.
//! Data sources are taken from the schema, so new ones are checked without changes here. The examples the pages
//! embed are planned under real Terraform.

use portmatrix_acceptance_tests::{repo_root, terraforms, Terraform, Workspace, PROVIDER_ADDRESS};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The provider's short name: the prefix of its data source names and the `- portmatrix` of page titles.
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

/// Schema kinds that get one page each: key in the schema JSON, folder under `docs/`, title word.
const KINDS: [(&str, &str, &str); 2] = [
    ("data_source_schemas", "data-sources", "Data Source"),
    ("resource_schemas", "resources", "Resource"),
];

/// tfplugindocs' attribute groups, in its order.
const GROUPS: [&str; 3] = ["Required", "Optional", "Read-Only"];

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

/// A Markdown page: its top-level frontmatter keys (values unquoted, `|-` blocks joined) and its body.
struct Page {
    front: BTreeMap<String, String>,
    body: String,
}

fn read_page(path: &Path) -> Result<Page, String> {
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
    Ok(Page {
        front,
        body: rest[end + "\n---\n".len()..].to_string(),
    })
}

/// Whitespace runs as single spaces, so wrapped text compares equal to one-line text.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `terraform providers schema -json` for this provider, under this Terraform.
fn provider_schema(terraform: &Terraform) -> Value {
    let workspace = Workspace::new(terraform, "");
    let run = workspace.run(&["providers", "schema", "-json"], &[]);
    assert!(
        run.success,
        "terraform {} providers schema failed: {}",
        terraform.version, run.stderr
    );
    let schema: Value = serde_json::from_str(&run.stdout).expect("providers schema -json is JSON");
    schema["provider_schemas"][PROVIDER_ADDRESS].clone()
}

/// The type name tfplugindocs writes for a schema JSON type (`["list", "string"]` -> `List of String`).
fn type_name(ty: &Value) -> String {
    match ty {
        Value::String(primitive) => match primitive.as_str() {
            "string" => "String".into(),
            "number" => "Number".into(),
            "bool" => "Boolean".into(),
            "dynamic" => "Dynamic".into(),
            other => format!("<unknown type {other}>"),
        },
        Value::Array(parts) => match (parts.first().and_then(Value::as_str), parts.get(1)) {
            (Some("list"), Some(element)) => format!("List of {}", type_name(element)),
            (Some("set"), Some(element)) => format!("Set of {}", type_name(element)),
            (Some("map"), Some(element)) => format!("Map of {}", type_name(element)),
            (Some("object"), _) => "Object".into(),
            (Some("tuple"), _) => "Tuple".into(),
            _ => format!("<unknown type {ty}>"),
        },
        _ => format!("<unknown type {ty}>"),
    }
}

/// The attributes of an object type, or of the objects in a list, set or map: what gets a nested section.
fn object_attributes(ty: &Value) -> Option<&Map<String, Value>> {
    let parts = ty.as_array()?;
    match parts.first()?.as_str()? {
        "object" => parts.get(1)?.as_object(),
        "list" | "set" | "map" => object_attributes(parts.get(1)?),
        _ => None,
    }
}

fn flag(value: &Value, name: &str) -> bool {
    value[name].as_bool().unwrap_or(false)
}

/// tfplugindocs' group of an attribute: required, else optional, else computed-only.
fn attribute_group(attribute: &Value) -> &'static str {
    if flag(attribute, "required") {
        "Required"
    } else if flag(attribute, "optional") {
        "Optional"
    } else {
        "Read-Only"
    }
}

fn block_is_required(block_type: &Value) -> bool {
    block_type["min_items"].as_u64().unwrap_or(0) > 0
}

/// tfplugindocs `childBlockIsOptional`: no minimum, and empty or with anything the user may set.
fn block_is_optional(block_type: &Value) -> bool {
    if block_is_required(block_type) {
        return false;
    }
    let block = &block_type["block"];
    let attributes = block["attributes"].as_object();
    let blocks = block["block_types"].as_object();
    let empty = attributes.is_none_or(Map::is_empty) && blocks.is_none_or(Map::is_empty);
    empty
        || blocks
            .into_iter()
            .flat_map(Map::values)
            .any(|b| block_is_required(b) || block_is_optional(b))
        || attributes
            .into_iter()
            .flat_map(Map::values)
            .any(|a| flag(a, "required") || flag(a, "optional"))
}

fn block_group(block_type: &Value) -> &'static str {
    if block_is_required(block_type) {
        "Required"
    } else if block_is_optional(block_type) {
        "Optional"
    } else {
        "Read-Only"
    }
}

/// tfplugindocs' `(Block List, Min: 1, Max: 2)` label of a nested block.
fn block_label(block_type: &Value) -> String {
    let mut label = String::from("Block");
    match block_type["nesting_mode"].as_str() {
        Some("list") => label.push_str(" List"),
        Some("set") => label.push_str(" Set"),
        Some("map") => label.push_str(" Map"),
        _ => {
            label.push_str(match block_group(block_type) {
                "Required" => ", Required",
                "Optional" => ", Optional",
                _ => ", Read-only",
            });
        }
    }
    let min = block_type["min_items"].as_u64().unwrap_or(0);
    if min > 0 && block_type["nesting_mode"] != "single" {
        label.push_str(&format!(", Min: {min}"));
    }
    let max = block_type["max_items"].as_u64().unwrap_or(0);
    if max > 0 {
        label.push_str(&format!(", Max: {max}"));
    }
    if flag(&block_type["block"], "deprecated") {
        label.push_str(", Deprecated");
    }
    label
}

/// One bullet the page must have: `- \`name\` (label) description (see [below ...](#anchor))`.
struct Expected {
    /// Dotted path of the nested section ("" for the top-level lists).
    section: String,
    group: &'static str,
    name: String,
    label: String,
    /// The schema's description, which tfplugindocs copies; `None` for object attributes, which have none.
    description: Option<String>,
    /// The nested section the bullet links to.
    anchor: Option<String>,
}

/// Everything the schema of one data source (or resource) requires of its page.
#[derive(Default)]
struct Expectations {
    bullets: Vec<Expected>,
    /// Nested section path -> anchor id written before its heading.
    sections: BTreeMap<String, String>,
    /// Schema features this check does not know how to render.
    unsupported: Vec<String>,
}

impl Expectations {
    fn block(&mut self, block: &Value, parents: &[String]) {
        for (name, attribute) in block["attributes"].as_object().into_iter().flatten() {
            let path = [parents, std::slice::from_ref(name)].concat();
            if attribute.get("nested_type").is_some() {
                self.unsupported.push(format!(
                    "`{}` uses a nested attribute type; DESIGN.md rules them out (Terraform 1.0.3)",
                    path.join(".")
                ));
                continue;
            }
            let mut label = type_name(&attribute["type"]);
            for (key, word) in [("sensitive", ", Sensitive"), ("deprecated", ", Deprecated")] {
                if flag(attribute, key) {
                    label.push_str(word);
                }
            }
            let group = attribute_group(attribute);
            let nested = object_attributes(&attribute["type"]);
            let anchor = nested.map(|_| format!("nestedatt--{}", path.join("--")));
            self.bullets.push(Expected {
                section: parents.join("."),
                group,
                name: name.clone(),
                label,
                description: attribute["description"].as_str().map(str::to_string),
                anchor: anchor.clone(),
            });
            if let (Some(attributes), Some(anchor)) = (nested, anchor) {
                self.object(attributes, &path, group, anchor);
            }
        }
        for (name, block_type) in block["block_types"].as_object().into_iter().flatten() {
            let path = [parents, std::slice::from_ref(name)].concat();
            let anchor = format!("nestedblock--{}", path.join("--"));
            self.bullets.push(Expected {
                section: parents.join("."),
                group: block_group(block_type),
                name: name.clone(),
                label: block_label(block_type),
                description: block_type["block"]["description"]
                    .as_str()
                    .map(str::to_string),
                anchor: Some(anchor.clone()),
            });
            self.sections.insert(path.join("."), anchor);
            self.block(&block_type["block"], &path);
        }
    }

    /// An object's attributes: listed in a nested section under the group of the attribute that holds them.
    fn object(
        &mut self,
        attributes: &Map<String, Value>,
        path: &[String],
        group: &'static str,
        anchor: String,
    ) {
        self.sections.insert(path.join("."), anchor);
        for (name, ty) in attributes {
            let child = [path, std::slice::from_ref(name)].concat();
            let nested = object_attributes(ty);
            let anchor = nested.map(|_| format!("nestedobjatt--{}", child.join("--")));
            self.bullets.push(Expected {
                section: path.join("."),
                group,
                name: name.clone(),
                label: type_name(ty),
                description: None,
                anchor: anchor.clone(),
            });
            if let (Some(attributes), Some(anchor)) = (nested, anchor) {
                self.object(attributes, &child, group, anchor);
            }
        }
    }
}

/// What a page's `## Schema` lists.
#[derive(Default)]
struct SchemaSection {
    /// (section path, group) -> attribute name -> bullet text after the name, continuation lines joined.
    bullets: BTreeMap<(String, String), BTreeMap<String, String>>,
    /// Nested section path -> the anchor id written before its heading, if any.
    anchors: BTreeMap<String, Option<String>>,
    problems: Vec<String>,
}

fn parse_schema_section(body: &str) -> SchemaSection {
    let mut parsed = SchemaSection::default();
    let Some(start) = body.find("\n## Schema\n") else {
        parsed.problems.push("has no `## Schema` section".into());
        return parsed;
    };
    let mut section: Option<String> = None;
    let mut group: Option<String> = None;
    let mut anchor: Option<String> = None;
    let mut current: Option<((String, String), String)> = None;
    for line in body[start + "\n## Schema\n".len()..].lines() {
        if line.starts_with("## ") {
            break;
        }
        if line.trim().is_empty() {
            current = None;
            continue;
        }
        if let Some(id) = line
            .strip_prefix("<a id=\"")
            .and_then(|rest| rest.strip_suffix("\"></a>"))
        {
            anchor = Some(id.to_string());
            continue;
        }
        if let Some(path) = line
            .strip_prefix("### Nested Schema for `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            if parsed
                .anchors
                .insert(path.to_string(), anchor.take())
                .is_some()
            {
                parsed
                    .problems
                    .push(format!("nested section `{path}` appears twice"));
            }
            section = Some(path.to_string());
            group = None;
            continue;
        }
        if let Some(title) = line.strip_prefix("### ") {
            if GROUPS.contains(&title) {
                section = Some(String::new());
                group = Some(title.to_string());
            } else {
                parsed
                    .problems
                    .push(format!("unexpected heading {line:?} in `## Schema`"));
                section = None;
            }
            anchor = None;
            continue;
        }
        if let Some(title) = line.strip_suffix(':').filter(|t| GROUPS.contains(t)) {
            if section.as_deref().is_some_and(|s| !s.is_empty()) {
                group = Some(title.to_string());
                continue;
            }
        }
        if let Some(rest) = line.strip_prefix("- `") {
            let Some((name, text)) = rest.split_once('`') else {
                parsed.problems.push(format!("malformed bullet {line:?}"));
                continue;
            };
            let (Some(section), Some(group)) = (&section, &group) else {
                parsed.problems.push(format!(
                    "bullet `{name}` is outside a Required/Optional/Read-Only list"
                ));
                continue;
            };
            let key = (section.clone(), group.clone());
            let names = parsed.bullets.entry(key.clone()).or_default();
            if names
                .insert(name.to_string(), text.trim().to_string())
                .is_some()
            {
                parsed.problems.push(format!(
                    "`{name}` is listed twice under {group} of {}",
                    section_title(section)
                ));
            }
            current = Some((key, name.to_string()));
            continue;
        }
        // A wrapped description continues the bullet above it.
        if let Some((key, name)) = &current {
            if let Some(text) = parsed.bullets.get_mut(key).and_then(|n| n.get_mut(name)) {
                text.push(' ');
                text.push_str(line.trim());
            }
        }
    }
    parsed
}

fn section_title(section: &str) -> String {
    if section.is_empty() {
        "the top level".into()
    } else {
        format!("`{section}`")
    }
}

/// Compares a page's `## Schema` with what the schema requires; returns the differences.
fn compare_schema(expected: &Expectations, page: &SchemaSection) -> Vec<String> {
    let mut problems = expected.unsupported.clone();
    problems.extend(page.problems.iter().cloned());
    for bullet in &expected.bullets {
        let key = (bullet.section.clone(), bullet.group.to_string());
        let place = section_title(&bullet.section);
        let Some(text) = page.bullets.get(&key).and_then(|n| n.get(&bullet.name)) else {
            let elsewhere: Vec<&str> = GROUPS
                .iter()
                .copied()
                .filter(|g| {
                    page.bullets
                        .get(&(bullet.section.clone(), g.to_string()))
                        .is_some_and(|n| n.contains_key(&bullet.name))
                })
                .collect();
            problems.push(if elsewhere.is_empty() {
                format!(
                    "`{}` is missing: expected ``- `{}` ({})`` under {} of {place}",
                    bullet.name, bullet.name, bullet.label, bullet.group
                )
            } else {
                format!(
                    "`{}` is listed under {} of {place}, but the schema makes it {}",
                    bullet.name,
                    elsewhere.join(", "),
                    bullet.group
                )
            });
            continue;
        };
        let label = format!("({})", bullet.label);
        if !text.starts_with(&label) {
            problems.push(format!(
                "`{}` in {place} should read ``- `{}` {label}``, not ``- `{}` {text}``",
                bullet.name, bullet.name, bullet.name
            ));
        }
        if let Some(description) = bullet.description.as_deref().map(squash) {
            if !description.is_empty() && !squash(text).contains(&format!("{label} {description}"))
            {
                problems.push(format!(
                    "`{}` in {place} should have the schema's description: {description:?}",
                    bullet.name
                ));
            }
        }
        if let Some(anchor) = &bullet.anchor {
            let link = format!("(see [below for nested schema](#{anchor}))");
            if !text.contains(&link) {
                problems.push(format!(
                    "`{}` in {place} should end with {link}",
                    bullet.name
                ));
            }
        }
    }
    for (key, names) in &page.bullets {
        for name in names.keys() {
            let place = section_title(&key.0);
            match expected
                .bullets
                .iter()
                .find(|b| b.name == *name && b.section == key.0)
            {
                None => problems.push(format!(
                    "`{name}` under {} of {place} is not in the schema",
                    key.1
                )),
                // Listed only in the wrong group was reported above; listed in both is reported here.
                Some(b)
                    if b.group != key.1
                        && page
                            .bullets
                            .get(&(key.0.clone(), b.group.to_string()))
                            .is_some_and(|n| n.contains_key(name)) =>
                {
                    problems.push(format!(
                        "`{name}` is listed under both {} and {} of {place}",
                        b.group, key.1
                    ))
                }
                Some(_) => {}
            }
        }
    }
    for (path, anchor) in &expected.sections {
        match page.anchors.get(path) {
            None => problems.push(format!(
                "missing the nested section for `{path}` (<a id=\"{anchor}\"></a> then ### Nested Schema for `{path}`)"
            )),
            Some(found) if found.as_deref() != Some(anchor.as_str()) => problems.push(format!(
                "nested section `{path}` should be preceded by <a id=\"{anchor}\"></a>, found {found:?}"
            )),
            Some(_) => {}
        }
    }
    for path in page.anchors.keys() {
        if !expected.sections.contains_key(path) {
            problems.push(format!("nested section `{path}` is not in the schema"));
        }
    }
    problems
}

/// The `.md` page names (file stems) in a docs folder; other files are reported.
fn pages_in(folder: &Path, problems: &mut Vec<String>) -> BTreeSet<String> {
    let mut pages = BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(folder) else {
        return pages;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match path.file_name().and_then(|n| n.to_str()) {
            Some(name) if name.ends_with(".md") && path.is_file() => {
                pages.insert(name.trim_end_matches(".md").to_string());
            }
            _ => problems.push(format!("{} is not a .md page", shown(&path))),
        }
    }
    pages
}

/// The example a page embeds as a `terraform` code block, when the example exists.
fn check_embedded(page: &str, example: &Path, language: &str, problems: &mut Vec<String>) {
    let Ok(text) = std::fs::read_to_string(example) else {
        return;
    };
    let block = format!("```{language}\n{}\n```", text.trim_end());
    if !page.contains(&block) {
        problems.push(format!(
            "does not embed {} verbatim in a ```{language} block",
            shown(example)
        ));
    }
}

#[test]
fn every_data_source_page_matches_the_schema_terraform_reads() {
    for terraform in terraforms() {
        let schema = provider_schema(terraform);
        let mut problems = Vec::new();
        let mut checked = 0;
        for (kind, folder, title) in KINDS {
            let folder_path = docs_dir().join(folder);
            let mut pages = pages_in(&folder_path, &mut problems);
            for (name, entry) in schema[kind].as_object().into_iter().flatten() {
                let Some(short) = name.strip_prefix(&format!("{PROVIDER}_")) else {
                    problems.push(format!("{name}: lacks the `{PROVIDER}_` prefix"));
                    continue;
                };
                let file = folder_path.join(format!("{short}.md"));
                if !pages.remove(short) {
                    problems.push(format!("{name}: no page {}", shown(&file)));
                    continue;
                }
                checked += 1;
                let mut local = Vec::new();
                match read_page(&file) {
                    Err(e) => local.push(e),
                    Ok(page) => {
                        let block = &entry["block"];
                        check_frontmatter_of_schema_page(&page, name, title, block, &mut local);
                        if !page
                            .body
                            .lines()
                            .any(|l| l == format!("# {name} ({title})"))
                        {
                            local.push(format!("has no `# {name} ({title})` heading"));
                        }
                        let description = squash(block["description"].as_str().unwrap_or(""));
                        if !squash(&page.body).contains(&description) {
                            local.push(format!(
                                "does not repeat the schema's description: {description:?}"
                            ));
                        }
                        let example_file = if kind == "resource_schemas" {
                            "resource.tf"
                        } else {
                            "data-source.tf"
                        };
                        let example = repo_root()
                            .join("examples")
                            .join(folder)
                            .join(name)
                            .join(example_file);
                        check_embedded(&page.body, &example, "terraform", &mut local);
                        let mut expected = Expectations::default();
                        expected.block(block, &[]);
                        local.extend(compare_schema(&expected, &parse_schema_section(&page.body)));
                    }
                }
                problems.extend(local.into_iter().map(|p| format!("{}: {p}", shown(&file))));
            }
            for orphan in pages {
                problems.push(format!(
                    "{}: a page for `{PROVIDER}_{orphan}`, which the schema does not have",
                    shown(&folder_path.join(format!("{orphan}.md")))
                ));
            }
        }
        assert!(
            checked > 0,
            "Terraform {} reported no data sources",
            terraform.version
        );
        assert!(
            problems.is_empty(),
            "docs/ disagrees with the schema of Terraform {}:\n{}",
            terraform.version,
            problems.join("\n")
        );
    }
}

fn check_frontmatter_of_schema_page(
    page: &Page,
    name: &str,
    title: &str,
    block: &Value,
    problems: &mut Vec<String>,
) {
    for key in ["page_title", "subcategory", "description"] {
        if !page.front.contains_key(key) {
            problems.push(format!("frontmatter lacks `{key}`"));
        }
    }
    let page_title = format!("{name} {title} - {PROVIDER}");
    if page
        .front
        .get("page_title")
        .is_some_and(|t| *t != page_title)
    {
        problems.push(format!("page_title should be {page_title:?}"));
    }
    // The frontmatter holds the description as plain text: the Markdown code marks are dropped.
    let plain = squash(&block["description"].as_str().unwrap_or("").replace('`', ""));
    if page
        .front
        .get("description")
        .is_some_and(|d| squash(d) != plain)
    {
        problems.push(format!(
            "frontmatter description should be the schema's, as plain text: {plain:?}"
        ));
    }
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
        let page = match read_page(&path) {
            Ok(page) => page,
            Err(e) => {
                problems.push(format!("{shown}: {e}"));
                continue;
            }
        };
        for forbidden in ["layout", "sidebar_current"] {
            if page.front.contains_key(forbidden) {
                problems.push(format!(
                    "{shown}: the registry forbids `{forbidden}` in the frontmatter"
                ));
            }
        }
        let is_index = folder.is_empty() && path.ends_with("index.md");
        if is_index {
            if page.front.contains_key("subcategory") {
                problems.push(format!("{shown}: the provider page takes no subcategory"));
            }
            let title = format!("{PROVIDER} Provider");
            if page.front.get("page_title") != Some(&title) {
                problems.push(format!("{shown}: page_title should be {title:?}"));
            }
            if page.front.get("description").is_none_or(String::is_empty) {
                problems.push(format!("{shown}: the frontmatter needs a description"));
            }
            check_embedded(
                &page.body,
                &repo_root().join("examples/provider/provider.tf"),
                "terraform",
                &mut problems,
            );
        }
        if folder == "guides" && page.front.get("page_title").is_none_or(String::is_empty) {
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
