//! The module layering DESIGN.md draws ("the arrows only point inwards"), checked on the source text: the value
//! layer (`cty`) does not reach into `schema`, and the catalog's parser and validation do not depend on each
//! other both ways (both read the raw document structures of `catalog/raw.rs`).

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
