//! Errors of loading (`CatalogError`) and of selecting (`SelectionError`).

use std::fmt;

use serde::Serialize;

/// A catalog document that cannot be loaded: where (origin, line, field) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogError {
    /// File name or user origin such as `user_catalogs[0]`.
    pub origin: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Path of the offending field, e.g. `flows[3].protocol` (0-based indexes); empty for the whole document.
    pub field: String,
    /// What is wrong and, where possible, what to write instead.
    pub message: String,
}

impl CatalogError {
    /// An error without a line; parsing fills the line in from the field path.
    pub(crate) fn at(origin: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        CatalogError {
            origin: origin.to_owned(),
            line: None,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for CatalogError {}

/// A selection (platform, version, options) the catalog cannot satisfy; the message lists what is valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SelectionError {
    /// No platform of that name.
    #[error("unknown platform {platform:?}; valid platforms: {}", list(valid))]
    UnknownPlatform {
        /// The requested name.
        platform: String,
        /// Names of all platforms.
        valid: Vec<String>,
    },
    /// The version parses but no release of the platform covers it.
    #[error(
        "no release of {platform} covers version {version}; releases cover: {}",
        ranges(releases)
    )]
    VersionOutOfRange {
        /// The platform.
        platform: String,
        /// The requested version as parsed.
        version: String,
        /// Version ranges of the platform's releases.
        releases: Vec<String>,
    },
    /// The release has no option of that name.
    #[error(
        "{platform} {release} has no option {option:?}; valid options: {}",
        list(valid)
    )]
    UnknownOption {
        /// The platform.
        platform: String,
        /// Version range of the selected release.
        release: String,
        /// The requested option.
        option: String,
        /// Names of the release's options.
        valid: Vec<String>,
    },
    /// The option does not take that value.
    #[error(
        "option {option:?} of {platform} {release} does not take {value:?}; valid values: {}",
        list(valid)
    )]
    InvalidOptionValue {
        /// The platform.
        platform: String,
        /// Version range of the selected release.
        release: String,
        /// The option.
        option: String,
        /// The requested value.
        value: String,
        /// The option's values.
        valid: Vec<String>,
    },
    /// The version text is not a version.
    #[error("{message}")]
    BadVersion {
        /// The requested text.
        version: String,
        /// Why it is not a version and what to write.
        message: String,
    },
}

/// Version ranges contain commas themselves (">=1.2.0, <1.3.0"), so they are separated by semicolons.
fn ranges(items: &[String]) -> String {
    joined(items, "; ")
}

fn list(items: &[String]) -> String {
    joined(items, ", ")
}

fn joined(items: &[String], separator: &str) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(separator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_formats() {
        let mut e = CatalogError::at(
            "longhorn-1.5.toml",
            "flows[3].protocol",
            "unknown protocol \"ipip\"",
        );
        assert_eq!(
            e.to_string(),
            "longhorn-1.5.toml: flows[3].protocol: unknown protocol \"ipip\""
        );
        e.line = Some(42);
        assert_eq!(
            e.to_string(),
            "longhorn-1.5.toml:42: flows[3].protocol: unknown protocol \"ipip\""
        );
        e.field.clear();
        assert_eq!(
            e.to_string(),
            "longhorn-1.5.toml:42: unknown protocol \"ipip\""
        );
        let s = SelectionError::UnknownOption {
            platform: "p".into(),
            release: "*".into(),
            option: "x".into(),
            valid: vec![],
        };
        assert_eq!(
            s.to_string(),
            "p * has no option \"x\"; valid options: (none)"
        );
    }
}
