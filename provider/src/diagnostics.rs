//! Diagnostics: errors and warnings reported to Terraform, optionally
//! pointing at an attribute.

use portmatrix_proto::tfplugin6 as pb;

use crate::cty::AttributePath;
use crate::cty::CodecError;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The operation fails.
    Error,
    /// The operation goes on; Terraform shows the warning.
    Warning,
}

/// One error or warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One-line summary.
    pub summary: String,
    /// Longer explanation.
    pub detail: String,
    /// The attribute the diagnostic is about, if any.
    pub attribute: Option<AttributePath>,
}

impl Diagnostic {
    /// An error.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// A warning.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary, detail)
        }
    }

    /// Points the diagnostic at an attribute.
    #[must_use]
    pub fn at(mut self, path: AttributePath) -> Self {
        self.attribute = Some(path);
        self
    }

    /// Whether this is an error.
    pub(crate) fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl From<CodecError> for Diagnostic {
    /// An error naming the path, attached to it unless it is the root.
    fn from(e: CodecError) -> Self {
        let detail = if e.path.is_empty() {
            e.message.clone()
        } else {
            format!("At {}: {}", e.path, e.message)
        };
        let diag = Diagnostic::error("Value does not conform to the schema", detail);
        if e.path.is_empty() {
            diag
        } else {
            diag.at(e.path)
        }
    }
}

impl From<&Diagnostic> for pb::Diagnostic {
    fn from(d: &Diagnostic) -> Self {
        let severity = match d.severity {
            Severity::Error => pb::diagnostic::Severity::Error,
            Severity::Warning => pb::diagnostic::Severity::Warning,
        };
        pb::Diagnostic {
            severity: severity.into(),
            summary: d.summary.clone(),
            detail: d.detail.clone(),
            attribute: d.attribute.as_ref().map(pb::AttributePath::from),
        }
    }
}

/// An ordered collection of diagnostics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Whether there are no diagnostics at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of diagnostics.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The diagnostics in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// The errors, without the warnings.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl From<CodecError> for Diagnostics {
    fn from(e: CodecError) -> Self {
        Diagnostics::from(Diagnostic::from(e))
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<I: IntoIterator<Item = Diagnostic>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Diagnostics(iter.into_iter().collect())
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cty::{encode_msgpack, CtyType, Value};
    use crate::test_support::selectors;
    use pb::attribute_path::step::Selector;

    #[test]
    fn collection_tracks_errors() {
        let mut diags = Diagnostics::new();
        assert!(diags.is_empty() && !diags.has_errors());
        diags.push(Diagnostic::warning("Deprecated", "Use x."));
        assert!(!diags.has_errors());
        diags.extend(Diagnostics::from(Diagnostic::error("Bad", "Very.")));
        assert!(diags.has_errors());
        assert_eq!(diags.len(), 2);
        assert_eq!(diags.iter().filter(|d| d.is_error()).count(), 1);
    }

    #[test]
    fn converts_to_proto() {
        let d = Diagnostic::error("Unknown platform", "No catalog for \"foo\".")
            .at(AttributePath::root().attr("platform").index(1).attr("name"));
        let p = pb::Diagnostic::from(&d);
        assert_eq!(p.severity, pb::diagnostic::Severity::Error as i32);
        assert_eq!(p.summary, "Unknown platform");
        assert_eq!(p.detail, "No catalog for \"foo\".");
        assert_eq!(
            selectors(p.attribute.expect("path")),
            [
                Selector::AttributeName("platform".into()),
                Selector::ElementKeyInt(1),
                Selector::AttributeName("name".into()),
            ]
        );
        let w = pb::Diagnostic::from(&Diagnostic::warning("W", ""));
        assert_eq!(w.severity, pb::diagnostic::Severity::Warning as i32);
        assert!(w.attribute.is_none());
    }

    #[test]
    fn codec_error_becomes_error_naming_the_path() {
        let ty = CtyType::object([(
            "rules",
            CtyType::list(CtyType::object([("port", CtyType::Number)])),
        )]);
        let v = Value::object([(
            "rules",
            Value::List(vec![Value::object([("port", Value::from("x"))])]),
        )]);
        let err = encode_msgpack(&ty, &v).unwrap_err();
        let d = Diagnostic::from(err);
        assert!(d.is_error());
        assert_eq!(
            d.attribute,
            Some(AttributePath::root().attr("rules").index(0).attr("port"))
        );
        assert!(d.detail.starts_with("At rules[0].port: "), "{}", d.detail);
        let root =
            Diagnostics::from(encode_msgpack(&CtyType::Bool, &Value::number(1)).unwrap_err());
        assert_eq!(root.iter().next().and_then(|d| d.attribute.clone()), None);
    }
}
