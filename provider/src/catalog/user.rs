//! The catalog a selection expands against: the built-in releases plus the user's own documents, each parsed on
//! its own, and the warnings for requested versions newer than the sources read. The Terraform data sources and
//! the command line assemble it alike; each names the documents and platforms in its own terms.

use super::{Catalog, CatalogError, Release, Selection};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Parses each user document, given as its origin (the name errors use) and text, on its own: no expansion, no
/// built-in catalog. Every document that is no valid release is an error, by its position among `documents`.
pub fn parse_user_documents<'a>(
    documents: impl IntoIterator<Item = (String, &'a str)>,
) -> Result<Vec<Release>, Vec<(usize, CatalogError)>> {
    let mut releases = Vec::new();
    let mut errors = Vec::new();
    for (position, (origin, text)) in documents.into_iter().enumerate() {
        match Catalog::parse_release(text, &origin) {
            Ok(release) => releases.push(release),
            Err(error) => errors.push((position, error)),
        }
    }
    if errors.is_empty() {
        Ok(releases)
    } else {
        Err(errors)
    }
}

impl Catalog {
    /// This catalog plus the user's `releases`, borrowed when there are none; an error when they conflict with
    /// its releases or with each other.
    pub fn with_user_releases(
        &self,
        releases: Vec<Release>,
    ) -> Result<Cow<'_, Catalog>, CatalogError> {
        if releases.is_empty() {
            return Ok(Cow::Borrowed(self));
        }
        self.with_releases(releases).map(Cow::Owned)
    }

    /// The catalog a selection of the platforms `selected` expands against: the built-in releases of the
    /// selected platforms and of the user releases' platforms (so that a user release overlapping a built-in one
    /// is still refused), plus the user's `releases`. When a selected platform is in neither, the whole built-in
    /// catalog, whose error for an unknown platform lists every platform.
    pub fn for_selection(
        selected: &[&str],
        releases: Vec<Release>,
    ) -> Result<Arc<Catalog>, CatalogError> {
        let wanted: BTreeSet<&str> = selected
            .iter()
            .copied()
            .chain(releases.iter().map(|r| r.platform.name.as_str()))
            .collect();
        let builtin = Catalog::builtin_platforms(&wanted);
        let all_known = selected.iter().all(|name| {
            builtin.platform(name).is_some() || releases.iter().any(|r| r.platform.name == *name)
        });
        if all_known && releases.is_empty() {
            return Ok(builtin);
        }
        let base = if all_known {
            &*builtin
        } else {
            Catalog::builtin()
        };
        base.with_user_releases(releases)
            .map(|catalog| Arc::new(catalog.into_owned()))
    }

    /// For each of `selections` whose requested version lies above the newest version whose documentation was
    /// read (the expansion uses that release's table all the same): its position and the warning.
    pub fn unread_version_warnings(&self, selections: &[Selection]) -> Vec<(usize, String)> {
        selections
            .iter()
            .enumerate()
            .filter_map(|(index, selection)| {
                let chosen = self.select(selection).ok()?;
                Some((index, chosen.unread_version?))
            })
            .collect()
    }
}
