//! A set of catalog documents checked together: each parsed and validated, and no two releases of one platform
//! covering the same version. `provider/build.rs` includes this module (with the parser, model and validation
//! beside it) and runs [`check`] on every `catalogs/*.toml`, so a broken built-in document fails the build with
//! its error instead of being found at a plugin launch.

use super::error::CatalogError;
use super::model::Release;
use super::parse;

/// Parses and validates `files` (file name, text): the releases in file order, or every error found.
pub(super) fn check(files: &[(&str, &str)]) -> Result<Vec<Release>, Vec<CatalogError>> {
    let mut releases: Vec<Release> = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in files {
        let release = match parse::parse_release(text, name) {
            Ok(release) => release,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let info = &release.platform;
        match releases
            .iter()
            .find(|r| r.platform.name == info.name && r.platform.versions.overlaps(&info.versions))
        {
            Some(other) => errors.push(CatalogError::at(
                name,
                "platform.versions",
                format!(
                    "versions {:?} overlap versions {:?} of {} ({}); releases of one platform must not overlap",
                    info.versions.text(),
                    other.platform.versions.text(),
                    other.platform.name,
                    other.origin,
                ),
            )),
            None => releases.push(release),
        }
    }
    if errors.is_empty() {
        Ok(releases)
    } else {
        Err(errors)
    }
}
