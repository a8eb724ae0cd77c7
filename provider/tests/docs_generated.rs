//! The Registry pages under `docs/` that describe schemas are generated: the provider page (`docs/index.md`)
//! and one page per data source (`docs/data-sources/NAME.md`), each from a template in `provider/docs-templates/`
//! holding the prose and examples, with the `## Schema` section rendered from the schema the provider serves, as
//! `tfplugindocs generate` renders it. This test fails when a committed page differs from what the schema and
//! templates give now; run it with `PORTMATRIX_UPDATE_DOCS=1` (`make docs`) to rewrite the pages instead.
//!
//! Templates use a fixed subset of tfplugindocs' template language, written exactly as in [`expression`];
//! anything else between `{{` and `}}` is an error naming the template and line.
//!
//! Terraform's schema has no descriptions for the attributes inside object values (`flows[*].reasons`), so those
//! are kept beside each template in `NAME.objects.toml`, keyed by dotted path. Every object attribute needs one,
//! and one for an attribute the schema lacks is an error, so renaming a field cannot leave a stale entry.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use portmatrix::cty::CtyType;
use portmatrix::datasources;
use portmatrix::provider_config;
use portmatrix::schema::{AttributeMode, Block, NestedBlock, Nesting};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The environment variable that makes the test rewrite the pages instead of comparing them.
const UPDATE: &str = "PORTMATRIX_UPDATE_DOCS";

/// The command that regenerates the pages, as failures name it.
const REGENERATE: &str = "make docs";

/// The provider's short name: the prefix of its data source names.
const PROVIDER: &str = "portmatrix";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the provider crate sits in the repository")
        .to_path_buf()
}

fn templates_dir() -> PathBuf {
    repo_root().join("provider/docs-templates")
}

/// tfplugindocs' attribute groups, in its order: the root heading and the nested sections' label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Required,
    Optional,
    ReadOnly,
}

impl Group {
    const ALL: [Group; 3] = [Group::Required, Group::Optional, Group::ReadOnly];

    fn title(self) -> &'static str {
        match self {
            Group::Required => "Required",
            Group::Optional => "Optional",
            Group::ReadOnly => "Read-Only",
        }
    }
}

/// A section rendered after the lists that link to it: a nested block's or an object value's attributes.
enum Nested<'a> {
    Block(&'a Block),
    /// An object's attributes, listed under the group of the attribute that holds the object.
    Object(&'a BTreeMap<String, CtyType>, Group),
}

struct Section<'a> {
    anchor: String,
    path: Vec<String>,
    nested: Nested<'a>,
}

/// Renders a schema's `## Schema` section, given descriptions of object attributes by dotted path.
struct Renderer<'a> {
    objects: &'a BTreeMap<String, String>,
    out: String,
    /// Object attributes described, by dotted path; those the schema has no attribute for are stale.
    used: Vec<String>,
    /// Object attributes without a description.
    undescribed: Vec<String>,
    /// Descriptions with a run of spaces or a line break, by dotted path: a Rust string continued without `\`.
    untidy: Vec<String>,
}

/// The result of rendering one schema: the Markdown, and problems with the object descriptions.
struct Rendered {
    markdown: String,
    undescribed: Vec<String>,
    stale: Vec<String>,
    untidy: Vec<String>,
}

fn render_schema(block: &Block, objects: &BTreeMap<String, String>) -> Rendered {
    let mut renderer = Renderer {
        objects,
        out: String::from("## Schema\n\n"),
        used: Vec::new(),
        undescribed: Vec::new(),
        untidy: Vec::new(),
    };
    let sections = renderer.block_children(block, &[], true);
    renderer.sections(sections);
    let stale = objects
        .keys()
        .filter(|path| !renderer.used.contains(path))
        .cloned()
        .collect();
    Rendered {
        markdown: renderer.out,
        undescribed: renderer.undescribed,
        stale,
        untidy: renderer.untidy,
    }
}

/// Whether a description has a run of spaces or a line break: a Rust string continued without `\`, whose
/// indentation Terraform and the pages would show.
fn is_untidy(description: &str) -> bool {
    description.contains("  ") || description.contains('\n')
}

fn untidy(what: &str) -> String {
    format!(
        "the description of {what} has a run of spaces or a line break (a string continued without `\\`?); \
         make it one line of text"
    )
}

/// tfplugindocs' type name (`list(string)` -> `List of String`).
fn type_name(ty: &CtyType) -> String {
    match ty {
        CtyType::String => "String".into(),
        CtyType::Number => "Number".into(),
        CtyType::Bool => "Boolean".into(),
        CtyType::Dynamic => "Dynamic".into(),
        CtyType::List(element) => format!("List of {}", type_name(element)),
        CtyType::Set(element) => format!("Set of {}", type_name(element)),
        CtyType::Map(element) => format!("Map of {}", type_name(element)),
        CtyType::Object(_) => "Object".into(),
        CtyType::Tuple(_) => "Tuple".into(),
    }
}

/// The attributes of an object type, or of the objects in a list, set or map: what gets a nested section.
fn object_attributes(ty: &CtyType) -> Option<&BTreeMap<String, CtyType>> {
    match ty {
        CtyType::Object(attributes) => Some(attributes),
        CtyType::List(element) | CtyType::Set(element) | CtyType::Map(element) => {
            object_attributes(element)
        }
        _ => None,
    }
}

fn attribute_group(mode: AttributeMode) -> Group {
    match mode {
        AttributeMode::Required => Group::Required,
        AttributeMode::Optional | AttributeMode::OptionalComputed => Group::Optional,
        AttributeMode::Computed => Group::ReadOnly,
    }
}

/// tfplugindocs `childBlockIsOptional`: no minimum, and empty or with anything the user may set.
fn block_is_optional(nested: &NestedBlock) -> bool {
    if nested.min_items > 0 {
        return false;
    }
    let block = &nested.block;
    (block.attributes.is_empty() && block.blocks.is_empty())
        || block
            .blocks
            .iter()
            .any(|b| b.min_items > 0 || block_is_optional(b))
        || block
            .attributes
            .iter()
            .any(|a| attribute_group(a.mode) != Group::ReadOnly)
}

fn block_group(nested: &NestedBlock) -> Group {
    if nested.min_items > 0 {
        Group::Required
    } else if block_is_optional(nested) {
        Group::Optional
    } else {
        Group::ReadOnly
    }
}

/// tfplugindocs' `Block List, Min: 1, Max: 2` label of a nested block.
fn block_label(nested: &NestedBlock) -> String {
    let mut label = String::from("Block");
    match nested.nesting {
        Nesting::List => label.push_str(" List"),
        Nesting::Set => label.push_str(" Set"),
        Nesting::Map => label.push_str(" Map"),
        Nesting::Single | Nesting::Group => label.push_str(match block_group(nested) {
            Group::Required => ", Required",
            Group::Optional => ", Optional",
            Group::ReadOnly => ", Read-only",
        }),
    }
    let single = matches!(nested.nesting, Nesting::Single | Nesting::Group);
    if nested.min_items > 0 && !single {
        label.push_str(&format!(", Min: {}", nested.min_items));
    }
    if nested.max_items > 0 {
        label.push_str(&format!(", Max: {}", nested.max_items));
    }
    if nested.block.deprecated {
        label.push_str(", Deprecated");
    }
    label
}

impl<'a> Renderer<'a> {
    /// One bullet: ``- `name` (label) description (see [below for nested schema](#anchor))``.
    fn bullet(&mut self, path: &[String], label: &str, description: &str, anchor: Option<&str>) {
        let name = path.last().map_or("", String::as_str);
        self.out.push_str(&format!("- `{name}` ({label})"));
        let description = description.trim();
        if is_untidy(description) {
            self.untidy.push(path.join("."));
        }
        if !description.is_empty() {
            self.out.push(' ');
            self.out.push_str(description);
        }
        if let Some(anchor) = anchor {
            self.out
                .push_str(&format!(" (see [below for nested schema](#{anchor}))"));
        }
        self.out.push('\n');
    }

    /// A block's attributes and nested blocks, by group and name; returns the sections they link to.
    fn block_children(
        &mut self,
        block: &'a Block,
        parents: &[String],
        root: bool,
    ) -> Vec<Section<'a>> {
        enum Child<'b> {
            Attribute(&'b portmatrix::schema::Attribute),
            Block(&'b NestedBlock),
        }
        let mut children: Vec<(Group, &str, Child)> = block
            .attributes
            .iter()
            .map(|a| {
                (
                    attribute_group(a.mode),
                    a.name.as_str(),
                    Child::Attribute(a),
                )
            })
            .chain(
                block
                    .blocks
                    .iter()
                    .map(|b| (block_group(b), b.type_name.as_str(), Child::Block(b))),
            )
            .collect();
        children.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let mut sections = Vec::new();
        for group in Group::ALL {
            let members: Vec<_> = children.iter().filter(|c| c.0 == group).collect();
            if members.is_empty() {
                continue;
            }
            if root {
                self.out.push_str(&format!("### {}\n\n", group.title()));
            } else {
                self.out.push_str(&format!("{}:\n\n", group.title()));
            }
            for (_, name, child) in members {
                let path = [parents, &[name.to_string()]].concat();
                match child {
                    Child::Block(nested) => {
                        let anchor = format!("nestedblock--{}", path.join("--"));
                        self.bullet(
                            &path,
                            &block_label(nested),
                            &nested.block.description,
                            Some(&anchor),
                        );
                        sections.push(Section {
                            anchor,
                            path,
                            nested: Nested::Block(&nested.block),
                        });
                    }
                    Child::Attribute(attribute) => {
                        let mut label = type_name(&attribute.ty);
                        if attribute.sensitive {
                            label.push_str(", Sensitive");
                        }
                        if attribute.deprecated {
                            label.push_str(", Deprecated");
                        }
                        let object = object_attributes(&attribute.ty);
                        let anchor = object.map(|_| format!("nestedatt--{}", path.join("--")));
                        self.bullet(&path, &label, &attribute.description, anchor.as_deref());
                        if let (Some(object), Some(anchor)) = (object, anchor) {
                            sections.push(Section {
                                anchor,
                                path,
                                nested: Nested::Object(object, group),
                            });
                        }
                    }
                }
            }
            self.out.push('\n');
        }
        sections
    }

    /// An object's attributes, by name, with their descriptions from the objects file.
    fn object_children(
        &mut self,
        attributes: &'a BTreeMap<String, CtyType>,
        parents: &[String],
        group: Group,
    ) -> Vec<Section<'a>> {
        let mut sections = Vec::new();
        for (name, ty) in attributes {
            let path = [parents, std::slice::from_ref(name)].concat();
            let dotted = path.join(".");
            let description = match self.objects.get(&dotted) {
                Some(description) => {
                    self.used.push(dotted);
                    description.as_str()
                }
                None => {
                    self.undescribed.push(dotted);
                    ""
                }
            };
            let object = object_attributes(ty);
            let anchor = object.map(|_| format!("nestedobjatt--{}", path.join("--")));
            self.bullet(&path, &type_name(ty), description, anchor.as_deref());
            if let (Some(object), Some(anchor)) = (object, anchor) {
                sections.push(Section {
                    anchor,
                    path,
                    nested: Nested::Object(object, group),
                });
            }
        }
        self.out.push('\n');
        sections
    }

    /// The nested sections, each followed at once by its own, depth first.
    fn sections(&mut self, sections: Vec<Section<'a>>) {
        for section in sections {
            self.out.push_str(&format!(
                "<a id=\"{}\"></a>\n### Nested Schema for `{}`\n\n",
                section.anchor,
                section.path.join(".")
            ));
            let inner = match section.nested {
                Nested::Block(block) => self.block_children(block, &section.path, false),
                Nested::Object(attributes, group) => {
                    self.out.push_str(&format!("{}:\n\n", group.title()));
                    self.object_children(attributes, &section.path, group)
                }
            };
            self.sections(inner);
            self.out.push('\n');
        }
    }
}

/// What a template's expressions stand for on one page.
struct PageData<'a> {
    /// The template's path, relative to the repository root, for messages.
    template: &'a str,
    /// The data source's type name (empty for the provider page).
    name: &'a str,
    description: &'a str,
    schema_markdown: &'a str,
}

/// The value of one `{{ … }}` expression: the subset of tfplugindocs' template language the templates use.
fn expression(expr: &str, page: &PageData) -> Result<String, String> {
    // Spacing around the pipes is free; arguments are taken as written.
    let expr = expr
        .split('|')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" | ");
    match expr.as_str() {
        ".Name" => Ok(page.name.to_string()),
        ".Description | trimspace" => Ok(page.description.trim().to_string()),
        // Frontmatter takes plain text: Markdown's code marks are dropped.
        ".Description | plainmarkdown | trimspace | prefixlines \"  \"" => Ok(page
            .description
            .replace('`', "")
            .trim()
            .lines()
            .map(|line| format!("  {line}"))
            .collect::<Vec<_>>()
            .join("\n")),
        ".SchemaMarkdown | trimspace" => Ok(page.schema_markdown.trim().to_string()),
        _ => {
            let file = expr
                .strip_prefix("tffile \"")
                .and_then(|rest| rest.strip_suffix('"'))
                .ok_or_else(|| format!("unknown template expression `{{{{ {expr} }}}}`"))?;
            let text = std::fs::read_to_string(repo_root().join(file))
                .map_err(|e| format!("tffile {file:?}: {e}"))?;
            Ok(format!("```terraform\n{}\n```", text.trim_end()))
        }
    }
}

/// A template with its expressions replaced.
fn fill(template: &str, page: &PageData) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    let mut line = 1;
    while let Some((before, after)) = rest.split_once("{{") {
        line += before.matches('\n').count();
        out.push_str(before);
        let (expr, tail) = after
            .split_once("}}")
            .ok_or_else(|| format!("{}:{line}: `{{{{` is never closed", page.template))?;
        let value = expression(expr, page).map_err(|e| format!("{}:{line}: {e}", page.template))?;
        out.push_str(&value);
        line += expr.matches('\n').count();
        rest = tail;
    }
    out.push_str(rest);
    Ok(out)
}

/// One generated page: where it goes and its text.
struct Generated {
    /// Relative to the repository root.
    path: String,
    text: String,
}

/// One page from its template (`TEMPLATE.md.tmpl`, with `TEMPLATE.objects.toml` when there is one) and the
/// schema it documents, or the problems that stop it or make it wrong.
fn page(
    template: &str,
    name: &str,
    block: &Block,
    path: String,
    problems: &mut Vec<String>,
) -> Option<Generated> {
    let template_path = format!("provider/docs-templates/{template}.md.tmpl");
    let objects_path = format!("provider/docs-templates/{template}.objects.toml");
    let what = if name.is_empty() {
        "the provider block"
    } else {
        name
    };
    let Ok(text) = std::fs::read_to_string(repo_root().join(&template_path)) else {
        problems.push(format!(
            "{what} has no template: write {template_path} (copy another one) and run `{REGENERATE}`"
        ));
        return None;
    };
    let objects: BTreeMap<String, String> =
        match std::fs::read_to_string(repo_root().join(&objects_path)) {
            Err(_) => BTreeMap::new(),
            Ok(objects) => toml::from_str(&objects).unwrap_or_else(|e| {
                problems.push(format!("{objects_path}: {e}"));
                BTreeMap::new()
            }),
        };
    let rendered = render_schema(block, &objects);
    for path in &rendered.undescribed {
        problems.push(format!(
            "{objects_path}: describe `{path}`, an attribute of {what}'s objects: {path:?} = \"…\""
        ));
    }
    for path in &rendered.stale {
        problems.push(format!(
            "{objects_path}: `{path}` is not an attribute of {what}'s objects; remove or rename it"
        ));
    }
    for path in &rendered.untidy {
        problems.push(untidy(&format!("{what}'s `{path}`")));
    }
    if is_untidy(block.description.trim()) {
        problems.push(untidy(what));
    }
    let data = PageData {
        template: &template_path,
        name,
        description: &block.description,
        schema_markdown: &rendered.markdown,
    };
    fill(&text, &data)
        .map(|text| Generated { path, text })
        .map_err(|e| problems.push(e))
        .ok()
}

/// Every page that could be generated, and the problems found on the way (templates, object descriptions).
fn generate() -> (Vec<Generated>, Vec<String>) {
    let mut problems = Vec::new();
    let provider = provider_config::schema();
    let mut pages: Vec<Generated> = page(
        "index",
        "",
        &provider.block,
        "docs/index.md".into(),
        &mut problems,
    )
    .into_iter()
    .collect();
    let sources = datasources::all();
    let names: Vec<&str> = sources.iter().map(|s| s.type_name()).collect();
    for source in &sources {
        let name = source.type_name();
        let Some(short) = name.strip_prefix(&format!("{PROVIDER}_")) else {
            problems.push(format!("{name}: lacks the `{PROVIDER}_` prefix"));
            continue;
        };
        pages.extend(page(
            &format!("data-sources/{short}"),
            name,
            &source.schema().block,
            format!("docs/data-sources/{short}.md"),
            &mut problems,
        ));
    }
    for entry in std::fs::read_dir(templates_dir().join("data-sources"))
        .expect("provider/docs-templates/data-sources")
        .flatten()
    {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(short) = file
            .strip_suffix(".md.tmpl")
            .or_else(|| file.strip_suffix(".objects.toml"))
        else {
            problems.push(format!(
                "provider/docs-templates/data-sources/{file}: neither a NAME.md.tmpl nor a NAME.objects.toml"
            ));
            continue;
        };
        if !names
            .iter()
            .any(|name| *name == format!("{PROVIDER}_{short}"))
        {
            problems.push(format!(
                "provider/docs-templates/data-sources/{file}: there is no data source `{PROVIDER}_{short}`"
            ));
        }
    }
    (pages, problems)
}

/// The first line where two texts differ, with a few lines of each from there.
fn first_difference(committed: &str, generated: &str) -> String {
    let old: Vec<&str> = committed.lines().collect();
    let new: Vec<&str> = generated.lines().collect();
    let at = old
        .iter()
        .zip(&new)
        .position(|(a, b)| a != b)
        .unwrap_or(old.len().min(new.len()));
    let show = |lines: &[&str], sign: char| {
        lines
            .iter()
            .skip(at)
            .take(3)
            .map(|l| format!("    {sign} {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!("line {}:\n{}\n{}", at + 1, show(&old, '-'), show(&new, '+'))
}

#[test]
fn the_registry_pages_are_generated_from_the_schema() {
    let update = std::env::var_os(UPDATE).is_some();
    let (pages, mut problems) = generate();
    let mut stale = Vec::new();
    for page in &pages {
        let path = repo_root().join(&page.path);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed == page.text {
            continue;
        }
        if update {
            std::fs::write(&path, &page.text).expect("write the page");
        } else {
            stale.push(format!(
                "{}: differs from the generated page at {}",
                page.path,
                first_difference(&committed, &page.text)
            ));
        }
    }
    let wanted: Vec<String> = datasources::all()
        .iter()
        .filter_map(|s| s.type_name().strip_prefix(&format!("{PROVIDER}_")))
        .map(|short| format!("{short}.md"))
        .collect();
    for entry in std::fs::read_dir(repo_root().join("docs/data-sources"))
        .expect("docs/data-sources")
        .flatten()
    {
        let file = entry.file_name().to_string_lossy().into_owned();
        if !wanted.contains(&file) {
            let path = format!("docs/data-sources/{file}");
            if update {
                std::fs::remove_file(entry.path()).expect("remove the page");
            } else {
                stale.push(format!("{path}: no data source has this page"));
            }
        }
    }
    if !stale.is_empty() {
        problems.push(format!(
            "the committed docs are not the generated ones; regenerate them with `{REGENERATE}` \
             ({UPDATE}=1 cargo test -p terraform-provider-portmatrix --test docs_generated):\n{}",
            stale.join("\n")
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

mod renderer {
    use super::*;
    use portmatrix::schema::Attribute;

    fn block(description: &str) -> Block {
        Block::new("A data source.")
            .attribute(Attribute::optional("version", CtyType::String, description))
            .attribute(Attribute::computed(
                "rules",
                CtyType::list(CtyType::Object(BTreeMap::from([
                    ("from_port".to_string(), CtyType::Number),
                    (
                        "reasons".to_string(),
                        CtyType::list(CtyType::Object(BTreeMap::from([(
                            "url".to_string(),
                            CtyType::String,
                        )]))),
                    ),
                ]))),
                "The rules.",
            ))
            .block(
                NestedBlock::list(
                    "platform",
                    Block::new("A platform.").attribute(Attribute::required(
                        "name",
                        CtyType::String,
                        "Its name.",
                    )),
                )
                .min_items(1),
            )
    }

    fn objects() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("rules.from_port".to_string(), "First port.".to_string()),
            ("rules.reasons".to_string(), "Why.".to_string()),
            ("rules.reasons.url".to_string(), "Where.".to_string()),
        ])
    }

    #[test]
    fn renders_groups_nested_blocks_and_objects_as_tfplugindocs_does() {
        let rendered = render_schema(&block("The version."), &objects());
        assert!(rendered.undescribed.is_empty() && rendered.stale.is_empty());
        assert!(rendered.untidy.is_empty());
        assert_eq!(
            rendered.markdown,
            "## Schema\n\n\
             ### Required\n\n\
             - `platform` (Block List, Min: 1) A platform. (see [below for nested schema](#nestedblock--platform))\n\n\
             ### Optional\n\n\
             - `version` (String) The version.\n\n\
             ### Read-Only\n\n\
             - `rules` (List of Object) The rules. (see [below for nested schema](#nestedatt--rules))\n\n\
             <a id=\"nestedblock--platform\"></a>\n\
             ### Nested Schema for `platform`\n\n\
             Required:\n\n\
             - `name` (String) Its name.\n\n\n\
             <a id=\"nestedatt--rules\"></a>\n\
             ### Nested Schema for `rules`\n\n\
             Read-Only:\n\n\
             - `from_port` (Number) First port.\n\
             - `reasons` (List of Object) Why. (see [below for nested schema](#nestedobjatt--rules--reasons))\n\n\
             <a id=\"nestedobjatt--rules--reasons\"></a>\n\
             ### Nested Schema for `rules.reasons`\n\n\
             Read-Only:\n\n\
             - `url` (String) Where.\n\n\n\n"
        );
    }

    /// The docs check in action: a description changed in the schema gives a different page, so the committed
    /// page no longer matches until it is regenerated.
    #[test]
    fn a_changed_description_changes_the_page() {
        let template = "# {{ .Name }}\n\n{{ .SchemaMarkdown | trimspace }}\n";
        let page = |description: &str| {
            let rendered = render_schema(&block(description), &objects());
            fill(
                template,
                &PageData {
                    template: "test.md.tmpl",
                    name: "portmatrix_test",
                    description: "A data source.",
                    schema_markdown: &rendered.markdown,
                },
            )
            .expect("fills")
        };
        let committed = page("The version.");
        let regenerated = page("The version you run.");
        assert_ne!(committed, regenerated);
        let shown = first_difference(&committed, &regenerated);
        assert!(
            shown.starts_with("line 11:\n    - - `version` (String) The version.\n")
                && shown.contains("\n    + - `version` (String) The version you run.\n"),
            "{shown}"
        );
    }

    #[test]
    fn object_attributes_need_descriptions_and_stale_ones_are_reported() {
        let mut objects = objects();
        objects.remove("rules.reasons.url");
        objects.insert("rules.to_port".into(), "Last port.".into());
        let rendered = render_schema(&block("The version."), &objects);
        assert_eq!(rendered.undescribed, ["rules.reasons.url"]);
        assert_eq!(rendered.stale, ["rules.to_port"]);
    }

    #[test]
    fn descriptions_with_runs_of_spaces_are_reported() {
        let rendered = render_schema(&block("The version,              continued."), &objects());
        assert_eq!(rendered.untidy, ["version"]);
    }

    #[test]
    fn unknown_template_expressions_are_errors_naming_the_line() {
        let data = PageData {
            template: "x.md.tmpl",
            name: "portmatrix_x",
            description: "Uses `code`.\nTwo lines.",
            schema_markdown: "",
        };
        assert_eq!(
            fill("a\n{{ .Name }}\n{{ .Nme }}\n", &data),
            Err("x.md.tmpl:3: unknown template expression `{{ .Nme }}`".into())
        );
        assert_eq!(
            fill("a\n\n{{ .Name ", &data),
            Err("x.md.tmpl:3: `{{` is never closed".into())
        );
        assert_eq!(
            fill(
                "{{.Description | plainmarkdown | trimspace | prefixlines \"  \"}}",
                &data
            ),
            Ok("  Uses code.\n  Two lines.".into())
        );
    }
}
