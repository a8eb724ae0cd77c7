//! The module layering DESIGN.md draws ("the arrows only point inwards"), checked on the source text: the value
//! layer (`cty`) does not reach into `schema`, the catalog's parser and validation do not depend on each
//! other both ways (both read the raw document structures of `catalog/raw.rs`), and no module (top-level, or a
//! direct child such as `targets::aws`) depends on itself through others.

// Test code: here a failed unwrap, expect, index or panic is a failing test. clippy.toml exempts #[test]
// functions only, not the helpers around them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The Rust files under `dir`, recursively, with their text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
    out
}

/// The lines of `text` that name a module path starting with one of `needles`, comments excluded.
fn uses<'a>(text: &'a str, needles: &[&str]) -> Vec<&'a str> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .filter(|line| needles.iter().any(|needle| line.contains(needle)))
        .collect()
}

#[test]
fn cty_does_not_depend_on_schema() {
    let files = sources(&src().join("cty"));
    assert!(files.iter().any(|(path, _)| path.ends_with("path.rs")));
    for (path, text) in files {
        let found = uses(&text, &["crate::schema", "super::super::schema"]);
        assert!(
            found.is_empty(),
            "{} uses schema: {found:?}",
            path.display()
        );
    }
}

#[test]
fn catalog_parse_and_validate_have_no_cycle() {
    let catalog = src().join("catalog");
    let read = |name: &str| fs::read_to_string(catalog.join(name)).unwrap();
    let (validate_text, raw_text) = (read("validate.rs"), read("raw.rs"));
    let validate = uses(&validate_text, &["super::parse", "catalog::parse"]);
    assert!(
        validate.is_empty(),
        "validate.rs uses parse.rs: {validate:?}"
    );
    let raw = uses(
        &raw_text,
        &[
            "super::parse",
            "catalog::parse",
            "super::validate",
            "catalog::validate",
        ],
    );
    assert!(
        raw.is_empty(),
        "raw.rs uses parse.rs or validate.rs: {raw:?}"
    );
}

/// The module a file under `src` holds (`targets/aws/output.rs` is `targets::aws::output`, `engine/mod.rs` is
/// `engine`).
fn module_of(path: &Path) -> Vec<String> {
    let relative = path.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The paths `text` (what follows `crate::`, `super::` or `self::`) names, each as its leading segments; a
/// `{...}` group gives one path per item.
fn paths_after(text: &str) -> Vec<Vec<String>> {
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end > 0 {
            segments.push(rest[..end].to_string());
        }
        rest = &rest[end..];
        if let Some(after) = rest.strip_prefix("::") {
            rest = after;
            continue;
        }
        if !rest.starts_with('{') || end > 0 {
            return vec![segments];
        }
        // A group: split at the commas of its own level.
        let (mut depth, mut start, mut out) = (0, 1, Vec::new());
        for (i, c) in rest.char_indices() {
            match c {
                '{' => depth += 1,
                '}' | ',' if depth == 1 => {
                    for tail in paths_after(rest[start..i].trim()) {
                        out.push([segments.clone(), tail].concat());
                    }
                    start = i + 1;
                    if c == '}' {
                        return out;
                    }
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        return vec![segments];
    }
}

/// Which modules depend on which, at the granularity of the top-level modules and their direct children
/// (`targets::aws`), from the `crate::`, `super::` and `self::` paths of code outside tests. A module and its
/// parent are not an edge: a parent declares its children and they use what it defines.
fn module_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let files: Vec<(PathBuf, String)> = sources(&src())
        .into_iter()
        .filter(|(path, _)| !path.ends_with("tests.rs") && !path.ends_with("fixtures.rs"))
        .collect();
    let modules: std::collections::BTreeSet<Vec<String>> =
        files.iter().map(|(path, _)| module_of(path)).collect();
    let node = |parts: &[String]| parts.iter().take(2).cloned().collect::<Vec<_>>().join("::");
    let mut graph = std::collections::BTreeMap::<String, std::collections::BTreeSet<String>>::new();
    for (path, text) in &files {
        let module = module_of(path);
        let code = text.split("#[cfg(test)]\nmod ").next().unwrap();
        let code: Vec<&str> = code
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| l.split(" //").next().unwrap())
            .collect();
        let code = code.join("\n");
        let starts = code.match_indices("crate::");
        let starts = starts.chain(code.match_indices("super::"));
        for (at, _) in starts.chain(code.match_indices("self::")) {
            let before = &code[..at];
            if before.ends_with("::") || before.ends_with(|c: char| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            let mut rest = &code[at..];
            let mut base = module.clone();
            if let Some(after) = rest.strip_prefix("crate::") {
                base.clear();
                rest = after;
            } else if let Some(after) = rest.strip_prefix("self::") {
                rest = after;
            } else {
                while let Some(after) = rest.strip_prefix("super::") {
                    base.pop();
                    rest = after;
                }
            }
            for tail in paths_after(rest) {
                let full = [base.clone(), tail].concat();
                let known = (1..=full.len())
                    .rev()
                    .map(|n| &full[..n])
                    .find(|prefix| modules.contains(*prefix));
                let (Some(to), from) = (known.map(node), node(&module)) else {
                    continue;
                };
                let related = to == from
                    || to.starts_with(&format!("{from}::"))
                    || from.starts_with(&format!("{to}::"));
                if !related {
                    graph.entry(from).or_default().insert(to);
                }
            }
        }
    }
    graph
}

#[test]
fn modules_have_no_cycle() {
    let graph = module_graph();
    // The dependencies the graph must find, or it reads nothing.
    assert!(graph["datasources::target_rules"].contains("targets::target"));
    assert!(graph["targets::aws"].contains("targets::target"));
    assert!(graph["engine::extra"].contains("engine::placement"));
    // A module reachable from one of its own dependencies closes a cycle.
    for (from, dependencies) in &graph {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack: Vec<(String, Vec<String>)> = dependencies
            .iter()
            .map(|d| (d.clone(), vec![from.clone(), d.clone()]))
            .collect();
        while let Some((module, chain)) = stack.pop() {
            assert!(&module != from, "module cycle: {}", chain.join(" -> "));
            if seen.insert(module.clone()) {
                for next in graph.get(&module).into_iter().flatten() {
                    stack.push((next.clone(), [chain.clone(), vec![next.clone()]].concat()));
                }
            }
        }
    }
}

/// The pure layers know nothing of Terraform values, gRPC, diagnostics or the command line (DESIGN.md, Layers):
/// no path of theirs leads into a front end or the value and transport layers under it.
#[test]
fn pure_layers_depend_on_no_front_end() {
    const PURE: [&str; 5] = ["catalog", "engine", "targets", "audit", "review"];
    const FRONT_ENDS: [&str; 9] = [
        "cli",
        "cty",
        "datasources",
        "diagnostics",
        "plugin",
        "provider_config",
        "schema",
        "server",
        "terraform_terms",
    ];
    let graph = module_graph();
    let top = |module: &str| module.split("::").next().unwrap_or_default().to_owned();
    // The graph must see the pure layers' own dependencies, or it reads nothing.
    assert!(graph["targets::aws"].contains("engine"));
    for (from, dependencies) in &graph {
        if !PURE.contains(&top(from).as_str()) {
            continue;
        }
        for to in dependencies {
            assert!(
                !FRONT_ENDS.contains(&top(to).as_str()),
                "{from} depends on {to}: move what they share into the pure layer"
            );
        }
    }
}
