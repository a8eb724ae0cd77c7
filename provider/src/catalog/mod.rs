//! The port catalog: platform releases (one TOML document each, format in `provider/catalogs/README.md`),
//! their validation, and selection of the flows that apply to a platform version and options.
//!
//! This layer knows nothing of Terraform or gRPC.

mod builtin;
#[cfg(test)]
mod documents;
mod error;
mod listing;
mod model;
mod parse;
mod raw;
mod select;
mod user;
mod validate;
mod verify;
mod version;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;

pub use error::{CatalogError, SelectionError};
pub use listing::{listing, Listing};
pub(crate) use model::port_items;
pub use model::{
    flow_lines, Disagreement, Endpoint, Flow, Loopback, Network, NotFlow, OptionSpec, Parameter,
    ParseProtocolError, PlatformInfo, PortRange, PortSpec, Protocol, Release, Role, Source, Tier,
};
pub use select::{Selected, Selection};
pub use user::parse_user_documents;
pub use verify::{verify, Drift};
pub use version::{parse_version, NewestRead, VersionRange};

/// Releases grouped by platform name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Catalog {
    platforms: BTreeMap<String, Platform>,
}

/// One platform and its releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Platform {
    /// Platform name.
    pub name: String,
    /// Releases sorted by the lower bound of their version ranges (never empty; the last is the newest).
    pub releases: Vec<Release>,
}

impl Catalog {
    /// The catalogs compiled into the binary (provider/catalogs/*.toml, checked and embedded by
    /// provider/build.rs). Parsed once, on first use; a document that fails is left out and reported by
    /// [`Catalog::builtin_errors`] (the build refuses such a document, so there are none).
    pub fn builtin() -> &'static Catalog {
        &builtin::get().catalog
    }

    /// The built-in releases of these platforms alone (names that are no built-in platform are passed over),
    /// parsed once per set of names: cheaper than [`Catalog::builtin`] for a read that selects a few platforms.
    pub fn builtin_platforms(names: &BTreeSet<&str>) -> Arc<Catalog> {
        builtin::platforms(names)
    }

    /// Why built-in documents were left out of [`Catalog::builtin`]; empty for a correct build.
    pub fn builtin_errors() -> &'static [CatalogError] {
        &builtin::get().errors
    }

    /// Parses one document (a platform release) in the catalog format. `origin` names it in errors
    /// (file name or "user_catalogs[0]").
    pub(crate) fn parse_release(text: &str, origin: &str) -> Result<Release, CatalogError> {
        parse::parse_release(text, origin)
    }

    /// A catalog of just these releases (e.g. user documents alone); same validation as [`Catalog::with_releases`].
    pub(crate) fn from_releases(releases: Vec<Release>) -> Result<Catalog, CatalogError> {
        Catalog::default().with_releases(releases)
    }

    /// A new catalog: these releases plus this catalog's; same validation (e.g. overlapping versions of one
    /// platform are an error).
    pub(crate) fn with_releases(&self, extra: Vec<Release>) -> Result<Catalog, CatalogError> {
        let mut catalog = self.clone();
        for release in extra {
            catalog.insert(release)?;
        }
        Ok(catalog)
    }

    /// Platforms sorted by name.
    pub fn platforms(&self) -> impl Iterator<Item = &Platform> {
        self.platforms.values()
    }

    /// The platform of that name.
    pub fn platform(&self, name: &str) -> Option<&Platform> {
        self.platforms.get(name)
    }

    fn insert(&mut self, release: Release) -> Result<(), CatalogError> {
        let name = release.platform.name.clone();
        let platform = self
            .platforms
            .entry(name.clone())
            .or_insert_with(|| Platform {
                name,
                releases: Vec::new(),
            });
        let range = &release.platform.versions;
        if let Some(other) = platform
            .releases
            .iter()
            .find(|r| r.platform.versions.overlaps(range))
        {
            let message = format!(
                "versions {:?} overlap versions {:?} of {} ({}); releases of one platform must not overlap",
                range.text(),
                other.platform.versions.text(),
                other.platform.name,
                other.origin,
            );
            if platform.releases.is_empty() {
                self.platforms.remove(&release.platform.name);
            }
            return Err(CatalogError::at(
                &release.origin,
                "platform.versions",
                message,
            ));
        }
        let at = platform
            .releases
            .partition_point(|r| r.platform.versions.lower() <= range.lower());
        platform.releases.insert(at, release);
        Ok(())
    }
}
