//! Selection: platform + version + options -> the release and the flows that apply.

use std::collections::BTreeMap;

use semver::Version;
use serde::Serialize;

use super::error::SelectionError;
use super::model::{Flow, Release};
use super::version::{parse_version, serialize_opt_version};
use super::Catalog;

/// What the user asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Selection {
    /// Platform name.
    pub platform: String,
    /// Platform version, parsed leniently (`"1.5"`, `"v1.5.2"`); `None` = the newest release.
    pub version: Option<String>,
    /// Option values; options not named take their defaults.
    pub options: BTreeMap<String, String>,
}

/// The outcome of a selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Selected<'c> {
    /// The release that covers the requested version.
    pub release: &'c Release,
    /// The parsed requested version (`None` when none was requested).
    #[serde(serialize_with = "serialize_opt_version")]
    pub version: Option<Version>,
    /// Every option of the release, defaults filled in.
    pub options: BTreeMap<String, String>,
    /// Applicable flows, in file order.
    pub flows: Vec<&'c Flow>,
    /// Set when the requested version lies above the newest version whose documentation was read for the
    /// release: the release's table is used all the same, and this says so.
    pub unread_version: Option<String>,
}

impl Flow {
    /// Whether the flow's own `versions` admit `version` of `release`. Without a version (the newest release was
    /// chosen) a narrower range applies when it reaches the top of the release's range, i.e. it holds for the
    /// newest versions the release covers.
    pub(crate) fn applies_to_version(&self, release: &Release, version: Option<&Version>) -> bool {
        match (&self.versions, version) {
            (None, _) => true,
            (Some(range), Some(v)) => range.contains(v),
            (Some(range), None) => range.reaches_top_of(&release.platform.versions),
        }
    }

    /// Whether every option named in `when` has one of the listed values in `options`.
    pub(crate) fn applies_to_options(&self, options: &BTreeMap<String, String>) -> bool {
        self.when
            .iter()
            .all(|(name, values)| options.get(name).is_some_and(|v| values.contains(v)))
    }
}

impl Release {
    /// A warning when `version` lies above the newest version whose documentation was read for this release
    /// (`platform.newest_read`; with `"none"`, every version): the release still answers for it, but nobody compared
    /// its table.
    pub(crate) fn unread_version_warning(&self, version: &Version) -> Option<String> {
        let read = self.platform.newest_read.as_ref()?;
        if read.is_none() {
            return Some(format!(
                "{name} {version}: no released documentation of {name} was read; the table of {name} {range} \
                 ({origin}) comes from unreleased (main-branch) pages: compare the upstream page of {version} before \
                 relying on it",
                name = self.platform.name,
                range = self.platform.versions,
                origin = self.origin,
            ));
        }
        read.is_exceeded_by(version).then(|| {
            format!(
                "{name} {version} is newer than the newest version whose documentation was read ({read}); the table \
                 of {name} {range} ({origin}) is used as read up to {read}: compare the upstream page of {version} \
                 before relying on it",
                name = self.platform.name,
                range = self.platform.versions,
                origin = self.origin,
            )
        })
    }
}

impl Catalog {
    /// The release of `platform` that covers `version` (parsed leniently; `None` = the newest release),
    /// together with the parsed version.
    pub(crate) fn release_for(
        &self,
        platform: &str,
        version: Option<&str>,
    ) -> Result<(&Release, Option<Version>), SelectionError> {
        let Some(found) = self.platform(platform) else {
            return Err(SelectionError::UnknownPlatform {
                platform: platform.to_owned(),
                valid: self.platforms().map(|p| p.name.clone()).collect(),
            });
        };
        let unknown_version = |version: String| SelectionError::VersionOutOfRange {
            platform: platform.to_owned(),
            version,
            releases: found
                .releases
                .iter()
                .map(|r| r.platform.versions.to_string())
                .collect(),
        };
        let Some(text) = version else {
            let newest = found
                .releases
                .last()
                .ok_or_else(|| unknown_version("(newest)".to_owned()))?;
            return Ok((newest, None));
        };
        let parsed = parse_version(text).map_err(|message| SelectionError::BadVersion {
            version: text.to_owned(),
            message,
        })?;
        let release = found
            .releases
            .iter()
            .find(|r| r.platform.versions.contains(&parsed))
            .ok_or_else(|| unknown_version(parsed.to_string()))?;
        Ok((release, Some(parsed)))
    }

    /// Chooses the release for `selection.version` (None = the newest release), resolves options (defaults
    /// filled in), and returns the flows that apply (conditions `when` and flow `versions` evaluated).
    /// Errors list what is valid.
    pub fn select(&self, selection: &Selection) -> Result<Selected<'_>, SelectionError> {
        let (release, version) =
            self.release_for(&selection.platform, selection.version.as_deref())?;
        for (name, value) in &selection.options {
            let Some(option) = release.options.iter().find(|o| &o.name == name) else {
                return Err(SelectionError::UnknownOption {
                    platform: release.platform.name.clone(),
                    release: release.platform.versions.to_string(),
                    option: name.clone(),
                    valid: release.options.iter().map(|o| o.name.clone()).collect(),
                });
            };
            if !option.values.contains(value) {
                return Err(SelectionError::InvalidOptionValue {
                    platform: release.platform.name.clone(),
                    release: release.platform.versions.to_string(),
                    option: name.clone(),
                    value: value.clone(),
                    valid: option.values.clone(),
                });
            }
        }
        let options: BTreeMap<String, String> = release
            .options
            .iter()
            .map(|o| {
                let value = selection.options.get(&o.name).unwrap_or(&o.default);
                (o.name.clone(), value.clone())
            })
            .collect();
        let flows = release
            .flows
            .iter()
            .filter(|f| {
                f.applies_to_version(release, version.as_ref()) && f.applies_to_options(&options)
            })
            .collect();
        let unread_version = version
            .as_ref()
            .and_then(|v| release.unread_version_warning(v));
        Ok(Selected {
            release,
            version,
            options,
            flows,
            unread_version,
        })
    }
}
