//! Attribute paths: where in a value (or schema) something happened.

use std::fmt;

/// One step of an [`AttributePath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// Look up an attribute of an object (or a nested block by type name).
    Attribute(String),
    /// Look up an element of a map by its key.
    ElementKeyString(String),
    /// Look up an element of a list, set or tuple by its position.
    ElementKeyInt(i64),
}

/// A path from the root of a value to one of its parts, e.g.
/// `platform[0].version`. Converts into the protocol's `AttributePath`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributePath {
    steps: Vec<PathStep>,
}

impl AttributePath {
    /// The empty path, designating the whole value.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by an attribute lookup.
    #[must_use]
    pub(crate) fn attr(mut self, name: impl Into<String>) -> Self {
        self.steps.push(PathStep::Attribute(name.into()));
        self
    }

    /// This path extended by a list/set/tuple index.
    #[must_use]
    pub fn index(mut self, index: i64) -> Self {
        self.steps.push(PathStep::ElementKeyInt(index));
        self
    }

    /// This path extended by a map key.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.steps.push(PathStep::ElementKeyString(key.into()));
        self
    }

    /// Appends a step in place.
    pub fn push(&mut self, step: PathStep) {
        self.steps.push(step);
    }

    /// Puts `step` first, moving the others outwards.
    pub(crate) fn prepend(&mut self, step: PathStep) {
        self.steps.insert(0, step);
    }

    /// The steps, from the root outwards.
    pub(crate) fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    /// Whether this is the root path.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::ElementKeyString(key) => write!(f, "[{key:?}]")?,
                PathStep::ElementKeyInt(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_joins_attributes_indexes_and_keys() {
        let path = AttributePath::root()
            .attr("platform")
            .index(0)
            .attr("version");
        assert_eq!(path.to_string(), "platform[0].version");
        let path = AttributePath::root()
            .attr("labels")
            .key("app.kubernetes.io/name");
        assert_eq!(path.to_string(), r#"labels["app.kubernetes.io/name"]"#);
        assert_eq!(AttributePath::root().to_string(), "");
    }

    #[test]
    fn push_and_prepend_mirror_builder() {
        let mut path = AttributePath::root();
        path.push(PathStep::ElementKeyInt(3));
        path.prepend(PathStep::Attribute("a".into()));
        assert_eq!(path, AttributePath::root().attr("a").index(3));
        assert_eq!(
            path.steps(),
            &[PathStep::Attribute("a".into()), PathStep::ElementKeyInt(3)]
        );
    }
}
