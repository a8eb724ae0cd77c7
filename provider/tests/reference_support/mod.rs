//! What the row-by-row reference tests share: selecting a built-in platform and comparing its flows' lines with the
//! rows written from the documents, as multisets. Each test file uses a part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;

use portmatrix::catalog::{flow_lines, Catalog, Release, Selection};

/// A selection of `platform` at `version` (None: the newest release) with option values.
pub fn selection_at(platform: &str, version: Option<&str>, options: &[(&str, &str)]) -> Selection {
    Selection {
        platform: platform.to_owned(),
        version: version.map(str::to_owned),
        options: options
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// A selection of the newest release of `platform`.
pub fn selection(platform: &str, options: &[(&str, &str)]) -> Selection {
    selection_at(platform, None, options)
}

/// The selected flows' lines, sorted (duplicates kept: two documented rows with the same line count twice).
pub fn lines_at(platform: &str, version: Option<&str>, options: &[(&str, &str)]) -> Vec<String> {
    let selected = Catalog::builtin()
        .select(&selection_at(platform, version, options))
        .unwrap_or_else(|e| panic!("{platform} {version:?} {options:?}: {e}"));
    let mut lines: Vec<String> = selected.flows.iter().flat_map(|f| flow_lines(f)).collect();
    lines.sort();
    lines
}

/// The lines of the newest release.
pub fn lines_of(platform: &str, options: &[(&str, &str)]) -> Vec<String> {
    lines_at(platform, None, options)
}

/// Asserts that the selected flows are exactly the expected documented rows (as a multiset).
pub fn assert_rows_at(
    platform: &str,
    version: Option<&str>,
    options: &[(&str, &str)],
    groups: &[&[&str]],
) {
    let mut want: Vec<String> = groups
        .iter()
        .flat_map(|g| g.iter().map(|s| (*s).to_owned()))
        .collect();
    want.sort();
    let got = lines_at(platform, version, options);
    let missing = multiset_minus(&want, &got);
    let extra = multiset_minus(&got, &want);
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{platform} {version:?} {options:?}\n  documented rows missing: {missing:?}\n  flows beyond the documented rows: {extra:?}"
    );
}

/// [`assert_rows_at`] for the newest release.
pub fn assert_rows(platform: &str, options: &[(&str, &str)], groups: &[&[&str]]) {
    assert_rows_at(platform, None, options, groups);
}

/// The lines of `a` left after taking away one of each line of `b`.
pub fn multiset_minus(a: &[String], b: &[String]) -> Vec<String> {
    let mut rest: BTreeMap<&str, usize> = BTreeMap::new();
    for line in b {
        *rest.entry(line.as_str()).or_default() += 1;
    }
    let mut out = Vec::new();
    for line in a {
        match rest.get_mut(line.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => out.push(line.clone()),
        }
    }
    out
}

/// Every release of a built-in platform; panics with the catalog's load errors when it is missing.
pub fn releases(platform: &str) -> &'static [Release] {
    let p = Catalog::builtin().platform(platform).unwrap_or_else(|| {
        let errors: Vec<String> = Catalog::builtin_errors()
            .iter()
            .map(ToString::to_string)
            .collect();
        panic!("platform {platform} is not built in; built-in catalog errors: {errors:#?}")
    });
    &p.releases
}

/// The one release of a platform that has a single release.
pub fn release(platform: &str) -> &'static Release {
    let all = releases(platform);
    assert_eq!(all.len(), 1, "{platform}: one release expected");
    &all[0]
}

/// Every combination of the release's option values.
pub fn option_combinations(release: &Release) -> Vec<Vec<(String, String)>> {
    let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for option in &release.options {
        combos = combos
            .into_iter()
            .flat_map(|combo| {
                option.values.iter().map(move |value| {
                    let mut next = combo.clone();
                    next.push((option.name.clone(), value.clone()));
                    next
                })
            })
            .collect();
    }
    combos
}
