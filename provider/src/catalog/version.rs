//! Version ranges (semver requirements kept with their source text) and lenient version parsing.

use std::fmt;

use semver::{BuildMetadata, Comparator, Op, Prerelease, Version, VersionReq};
use serde::{Serialize, Serializer};

/// A semver requirement together with the text it was written as and the interval of versions it covers.
///
/// The interval `[lower, upper)` is what overlap checks, ordering and selection use: a requirement such as
/// `>=1.5.0` matches no pre-release under semver's matching rules, yet a release file covering `>=1.5.0`
/// should answer for `1.6.0-rc.1` too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRange {
    text: String,
    req: VersionReq,
    lower: Version,
    upper: Option<Version>,
}

impl VersionRange {
    /// Parses a requirement in `semver::VersionReq` syntax (`">=1.5.0"`, `">=1.2.0, <1.3.0"`, `"*"`).
    /// Requirements that cover no version at all are rejected.
    pub fn parse(text: &str) -> Result<Self, String> {
        let req = VersionReq::parse(text).map_err(|e| {
            format!("invalid version range {text:?}: {e} (write e.g. \">=1.5.0, <1.6.0\")")
        })?;
        let mut lower = Version::new(0, 0, 0);
        let mut upper: Option<Version> = None;
        for comparator in &req.comparators {
            let (lo, hi) = interval(comparator).ok_or_else(|| {
                format!("version range {text:?} uses an unsupported or overflowing comparator")
            })?;
            if lo > lower {
                lower = lo;
            }
            upper = match (upper, hi) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        if upper.as_ref().is_some_and(|u| *u <= lower) {
            return Err(format!("version range {text:?} covers no version"));
        }
        Ok(Self {
            text: text.to_owned(),
            req,
            lower,
            upper,
        })
    }

    /// The text the range was written as.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The smallest version in the range.
    pub fn lower(&self) -> &Version {
        &self.lower
    }

    /// The first version above the range (exclusive bound); `None` when the range is open upwards.
    pub fn upper(&self) -> Option<&Version> {
        self.upper.as_ref()
    }

    /// Whether `version` (build metadata ignored) lies in the range.
    pub fn contains(&self, version: &Version) -> bool {
        let v = without_build(version);
        v >= self.lower && self.upper.as_ref().is_none_or(|u| v < *u)
    }

    /// Whether some version lies in both ranges.
    pub fn overlaps(&self, other: &VersionRange) -> bool {
        let lower = (&self.lower).max(&other.lower);
        match (&self.upper, &other.upper) {
            (Some(a), Some(b)) => lower < a.min(b),
            (Some(u), None) | (None, Some(u)) => lower < u,
            (None, None) => true,
        }
    }

    /// Whether the range reaches the top of `outer`: it is open upwards, or its upper bound is at or above the
    /// upper bound of `outer`. Used to decide which narrower flow ranges apply to "the newest version" of a release.
    pub(crate) fn reaches_top_of(&self, outer: &VersionRange) -> bool {
        match (&self.upper, &outer.upper) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(mine), Some(theirs)) => mine >= theirs,
        }
    }
}

/// The newest version whose documentation was read for a release. A partial version covers its whole series
/// (`"1.13"` = every 1.13.x, `"3.6"` = every 3.6.x); a requested version above it still selects the release, with
/// a warning that its table was not read for that version. `"none"` ([`NewestRead::NONE`]) says that only
/// unreleased documentation (a main branch) was read: every requested version lies beyond it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewestRead {
    text: String,
    first_unread: Version,
}

impl NewestRead {
    /// The text of a release read only from unreleased documentation.
    pub const NONE: &'static str = "none";

    /// Parses a version such as `"1.13"` or `"1.13.0"` (no pre-release, no build metadata), or `"none"`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == Self::NONE {
            return Ok(Self {
                text: text.to_owned(),
                first_unread: Version::new(0, 0, 0),
            });
        }
        let well_formed = !text.is_empty()
            && text.split('.').count() <= 3
            && text
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if !well_formed {
            return Err(format!(
                "invalid version {text:?}: write the newest version read, e.g. \"1.13\" (the whole 1.13 series) or \"1.13.0\", or \"none\" when only unreleased documentation was read"
            ));
        }
        let range = VersionRange::parse(&format!("<={text}"))?;
        let first_unread = range
            .upper()
            .cloned()
            .ok_or_else(|| format!("invalid version {text:?}"))?;
        Ok(Self {
            text: text.to_owned(),
            first_unread,
        })
    }

    /// The text as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether no released version's documentation was read (`"none"`).
    pub fn is_none(&self) -> bool {
        self.text == Self::NONE
    }

    /// The smallest version the newest read version does not cover (`"1.13"` -> 1.14.0).
    // Only the tests read it.
    #[cfg(test)]
    pub(crate) fn first_unread(&self) -> &Version {
        &self.first_unread
    }

    /// Whether `version` lies above the newest version read. Pre-releases count as their release (a 1.14
    /// release candidate lies beyond "1.13"); build metadata is ignored.
    pub(crate) fn is_exceeded_by(&self, version: &Version) -> bool {
        Version::new(version.major, version.minor, version.patch) >= self.first_unread
    }
}

/// Displays and serialises each of the types as the text it was written as (its `text`).
macro_rules! shown_as_written {
    ($($type:ty),*) => {$(
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.text)
            }
        }

        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.text)
            }
        }
    )*};
}

shown_as_written!(VersionRange, NewestRead);

/// Parses a version leniently: a leading `v`, and missing minor or patch numbers are accepted
/// (`"1.5"` -> 1.5.0, `"v1.5.2"` -> 1.5.2, `"1.28.3+rke2r1"` keeps its build metadata).
pub fn parse_version(text: &str) -> Result<Version, String> {
    let trimmed = text.trim();
    let body = trimmed.strip_prefix(['v', 'V']).unwrap_or(trimmed);
    let split = body.find(['-', '+']).unwrap_or(body.len());
    let (core, rest) = body.split_at(split);
    let parts: Vec<&str> = core.split('.').collect();
    let well_formed = (1..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(format!(
            "invalid version {text:?}: write e.g. \"1.5.2\", \"v1.5.2\" or \"1.5\""
        ));
    }
    let mut full = parts.join(".");
    for _ in parts.len()..3 {
        full.push_str(".0");
    }
    full.push_str(rest);
    Version::parse(&full).map_err(|e| format!("invalid version {text:?}: {e}"))
}

/// Serializes an optional version as its text (semver's own serde support is not enabled in this workspace).
pub(crate) fn serialize_opt_version<S: Serializer>(
    version: &Option<Version>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match version {
        Some(v) => serializer.collect_str(v),
        None => serializer.serialize_none(),
    }
}

fn without_build(version: &Version) -> Version {
    Version {
        build: BuildMetadata::EMPTY,
        ..version.clone()
    }
}

fn version(major: u64, minor: u64, patch: u64, pre: Prerelease) -> Version {
    Version {
        major,
        minor,
        patch,
        pre,
        build: BuildMetadata::EMPTY,
    }
}

/// The version right after `v` in the order that matters here: the next patch for releases; for a
/// pre-release `p`, `p.0` (nothing sorts between the two).
fn successor(v: &Version) -> Option<Version> {
    if v.pre.is_empty() {
        Some(version(
            v.major,
            v.minor,
            v.patch.checked_add(1)?,
            Prerelease::EMPTY,
        ))
    } else {
        let pre = Prerelease::new(&format!("{}.0", v.pre)).ok()?;
        Some(version(v.major, v.minor, v.patch, pre))
    }
}

fn next_major(major: u64) -> Option<Option<Version>> {
    Some(Some(version(
        major.checked_add(1)?,
        0,
        0,
        Prerelease::EMPTY,
    )))
}

fn next_minor(major: u64, minor: u64) -> Option<Option<Version>> {
    Some(Some(version(
        major,
        minor.checked_add(1)?,
        0,
        Prerelease::EMPTY,
    )))
}

/// The interval `[lower, upper)` one comparator covers (semver's documented equivalences);
/// `None` for operators this program does not know or bounds that overflow.
fn interval(c: &Comparator) -> Option<(Version, Option<Version>)> {
    let zero = Version::new(0, 0, 0);
    let base = version(
        c.major,
        c.minor.unwrap_or(0),
        c.patch.unwrap_or(0),
        c.pre.clone(),
    );
    // The range a partial version stands for: "1" = [1.0.0, 2.0.0), "1.2" = [1.2.0, 1.3.0), "1.2.3" = itself.
    let partial_upper = || match (c.minor, c.patch) {
        (None, _) => next_major(c.major),
        (Some(minor), None) => next_minor(c.major, minor),
        (Some(_), Some(_)) => Some(Some(successor(&base)?)),
    };
    let result = match c.op {
        Op::Exact | Op::Wildcard => (base.clone(), partial_upper()?),
        Op::Greater => (partial_upper()??, None),
        Op::GreaterEq => (base, None),
        Op::Less => (zero, Some(base)),
        Op::LessEq => (zero, partial_upper()?),
        Op::Tilde => match c.minor {
            None => (base, next_major(c.major)?),
            Some(minor) => (base, next_minor(c.major, minor)?),
        },
        Op::Caret => {
            let upper = match (c.major, c.minor, c.patch) {
                (0, None, _) => next_major(0)?,
                (0, Some(0), None) => next_minor(0, 0)?,
                (0, Some(0), Some(_)) => Some(successor(&base)?),
                (0, Some(minor), _) => next_minor(0, minor)?,
                (major, _, _) => next_major(major)?,
            };
            (base, upper)
        }
        _ => return None,
    };
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    fn bounds(text: &str) -> (String, Option<String>) {
        let r = VersionRange::parse(text).unwrap();
        (r.lower().to_string(), r.upper().map(ToString::to_string))
    }

    #[test]
    fn lenient_versions() {
        assert_eq!(parse_version("1.5").unwrap(), v("1.5.0"));
        assert_eq!(parse_version("v1.5.2").unwrap(), v("1.5.2"));
        assert_eq!(parse_version(" V2 ").unwrap(), v("2.0.0"));
        assert_eq!(parse_version("1.6-rc.1").unwrap(), v("1.6.0-rc.1"));
        assert_eq!(parse_version("v1.28.3+rke2r1").unwrap(), v("1.28.3+rke2r1"));
        for bad in [
            "", "v", "1.x", "1..2", "1.2.3.4", "latest", "-1", "1.2.3-", "01a",
        ] {
            assert!(parse_version(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn intervals_follow_semver_equivalences() {
        let cases = [
            ("*", ("0.0.0", None)),
            (">=1.5.0", ("1.5.0", None)),
            (">=1.2.0, <1.3.0", ("1.2.0", Some("1.3.0"))),
            (">1.2.3", ("1.2.4", None)),
            (">1.2", ("1.3.0", None)),
            (">1", ("2.0.0", None)),
            ("<=1.2.3", ("0.0.0", Some("1.2.4"))),
            ("<=1.2", ("0.0.0", Some("1.3.0"))),
            ("=1.2", ("1.2.0", Some("1.3.0"))),
            ("=1.2.3", ("1.2.3", Some("1.2.4"))),
            ("~1.2.3", ("1.2.3", Some("1.3.0"))),
            ("~1", ("1.0.0", Some("2.0.0"))),
            ("^1.2.3", ("1.2.3", Some("2.0.0"))),
            ("1.2.3", ("1.2.3", Some("2.0.0"))),
            ("^0.2.3", ("0.2.3", Some("0.3.0"))),
            ("^0.0.3", ("0.0.3", Some("0.0.4"))),
            ("^0.0", ("0.0.0", Some("0.1.0"))),
            ("^0", ("0.0.0", Some("1.0.0"))),
            ("1.2.*", ("1.2.0", Some("1.3.0"))),
            ("1.*", ("1.0.0", Some("2.0.0"))),
            ("<1.5.0-rc.1", ("0.0.0", Some("1.5.0-rc.1"))),
            ("<=1.5.0-rc.1", ("0.0.0", Some("1.5.0-rc.1.0"))),
        ];
        for (text, (lo, hi)) in cases {
            assert_eq!(
                bounds(text),
                (lo.to_owned(), hi.map(str::to_owned)),
                "{text}"
            );
        }
    }

    #[test]
    fn empty_and_invalid_ranges_are_rejected() {
        assert!(VersionRange::parse(">=2.0.0, <1.0.0")
            .unwrap_err()
            .contains("covers no version"));
        assert!(VersionRange::parse("<0.0.0").is_err());
        assert!(VersionRange::parse("1.5 and up")
            .unwrap_err()
            .contains("invalid version range"));
        assert!(VersionRange::parse(">18446744073709551615").is_err());
    }

    #[test]
    fn newest_read_covers_its_series() {
        let minor = NewestRead::parse("1.13").unwrap();
        assert_eq!(minor.first_unread(), &v("1.14.0"));
        assert!(!minor.is_exceeded_by(&v("1.13.9")));
        assert!(!minor.is_exceeded_by(&v("1.13.9+build")));
        assert!(minor.is_exceeded_by(&v("1.14.0-rc.1")));
        assert!(minor.is_exceeded_by(&v("2.0.0")));
        let patch = NewestRead::parse("1.13.0").unwrap();
        assert!(!patch.is_exceeded_by(&v("1.13.0")));
        assert!(patch.is_exceeded_by(&v("1.13.1")));
        let major = NewestRead::parse("3").unwrap();
        assert_eq!(major.first_unread(), &v("4.0.0"));
        for bad in ["", "v1.2", "1.2.3.4", "1.x", "1.2-rc.1", "1..2"] {
            assert!(
                NewestRead::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
        assert_eq!(serde_json::to_string(&minor).unwrap(), "\"1.13\"");
        let none = NewestRead::parse("none").unwrap();
        assert!(none.is_none() && !minor.is_none());
        assert!(none.is_exceeded_by(&v("0.0.0")));
        assert!(none.is_exceeded_by(&v("1.18.2")));
        assert_eq!(serde_json::to_string(&none).unwrap(), "\"none\"");
        assert!(NewestRead::parse("None").is_err());
    }

    #[test]
    fn contains_overlaps_and_top() {
        let r = VersionRange::parse(">=1.3.0, <1.5.0").unwrap();
        assert!(r.contains(&v("1.3.0")));
        assert!(r.contains(&v("1.4.9+build")));
        assert!(r.contains(&v("1.5.0-rc.1")));
        assert!(!r.contains(&v("1.5.0")));
        assert!(!r.contains(&v("1.2.9")));
        let newer = VersionRange::parse(">=1.5.0").unwrap();
        assert!(!r.overlaps(&newer) && !newer.overlaps(&r));
        assert!(newer.overlaps(&VersionRange::parse("*").unwrap()));
        assert!(r.overlaps(&VersionRange::parse("~1.4").unwrap()));
        assert!(!r.overlaps(&VersionRange::parse("<1.3.0").unwrap()));
        assert!(VersionRange::parse(">=1.4.0").unwrap().reaches_top_of(&r));
        assert!(VersionRange::parse("<1.6.0").unwrap().reaches_top_of(&r));
        assert!(!VersionRange::parse("<1.4.0").unwrap().reaches_top_of(&r));
        assert!(!VersionRange::parse("<9.0.0")
            .unwrap()
            .reaches_top_of(&newer));
        assert_eq!(r.to_string(), ">=1.3.0, <1.5.0");
        assert_eq!(serde_json::to_string(&r).unwrap(), "\">=1.3.0, <1.5.0\"");
    }
}
