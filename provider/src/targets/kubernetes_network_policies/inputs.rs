//! The policies' own inputs as the user writes them, checked: the node CIDRs, the policy types
//! and the name prefix. Problems name the input (and the element of a list) so that the Terraform layer can
//! point at it.

use super::{Directions, DEFAULT_NAME_PREFIX};
use crate::engine::cidr::{parse_cidr, CidrFamily};

/// `node_cidrs`.
pub const NODE_CIDRS: &str = "node_cidrs";
/// `policy_types`.
pub const POLICY_TYPES: &str = "policy_types";
/// `name_prefix`.
pub const NAME_PREFIX: &str = "name_prefix";

/// A problem with an input: its name, the element of the list when it is one, one line, and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// The input's name.
    pub input: &'static str,
    /// The element's index in the input's list.
    pub index: Option<usize>,
    /// One line.
    pub summary: String,
    /// The fix.
    pub detail: String,
}

/// The node CIDRs (elements with their indexes) without duplicates; malformed or non-canonical ones are problems.
pub fn node_cidrs(texts: &[(usize, &str)], problems: &mut Vec<InputProblem>) -> Vec<String> {
    let mut cidrs = Vec::new();
    for (index, text) in texts {
        match parse_cidr(text, CidrFamily::Any) {
            Ok(net) => {
                let normalized = net.to_string();
                if !cidrs.contains(&normalized) {
                    cidrs.push(normalized);
                }
            }
            Err(error) => problems.push(InputProblem {
                input: NODE_CIDRS,
                index: Some(*index),
                summary: error.summary(),
                detail: error.fix(),
            }),
        }
    }
    cidrs
}

/// The directions the policy types (elements with their indexes) ask for; both when not given.
pub fn directions(types: Option<&[(usize, &str)]>, problems: &mut Vec<InputProblem>) -> Directions {
    let Some(types) = types else {
        return Directions::default();
    };
    let mut directions = Directions {
        ingress: false,
        egress: false,
    };
    for (index, text) in types {
        match *text {
            "Ingress" => directions.ingress = true,
            "Egress" => directions.egress = true,
            other => problems.push(InputProblem {
                input: POLICY_TYPES,
                index: Some(*index),
                summary: format!("Unknown policy type {other:?}"),
                detail: "Write \"Ingress\" or \"Egress\" (Kubernetes spelling).".into(),
            }),
        }
    }
    if types.is_empty() {
        problems.push(InputProblem {
            input: POLICY_TYPES,
            index: None,
            summary: "No policy type".into(),
            detail: "List \"Ingress\", \"Egress\" or both; leave policy_types unset for both."
                .into(),
        });
    }
    directions
}

/// The name prefix, [`DEFAULT_NAME_PREFIX`] when not given; one that cannot start a Kubernetes name is a problem.
pub fn name_prefix(prefix: Option<&str>, problems: &mut Vec<InputProblem>) -> String {
    let Some(prefix) = prefix else {
        return DEFAULT_NAME_PREFIX.to_string();
    };
    let valid = prefix
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && prefix
            .bytes()
            .next()
            .is_none_or(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !valid {
        problems.push(InputProblem {
            input: NAME_PREFIX,
            index: None,
            summary: format!("Invalid name_prefix {prefix:?}"),
            detail: "Policy names are Kubernetes object names: use lower-case letters, digits, '-' and '.', \
                     starting with a letter or digit (or an empty prefix)."
                .into(),
        });
    }
    prefix.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked_and_problems_name_their_element() {
        let mut problems = Vec::new();
        let cidrs = node_cidrs(
            &[
                (0, "10.0.0.0/8"),
                (1, "10.0.0.0/8"),
                (2, "bad"),
                (3, "fd00::/64"),
            ],
            &mut problems,
        );
        assert_eq!(cidrs, ["10.0.0.0/8", "fd00::/64"]);
        assert_eq!(
            problems
                .iter()
                .map(|p| (p.input, p.index))
                .collect::<Vec<_>>(),
            [(NODE_CIDRS, Some(2))]
        );

        let mut problems = Vec::new();
        let only_egress = directions(Some(&[(0, "Egress"), (1, "ingress")]), &mut problems);
        assert!(only_egress.egress && !only_egress.ingress);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems.first().map(|p| p.index), Some(Some(1)));
        assert_eq!(directions(None, &mut problems), Directions::default());
        directions(Some(&[]), &mut problems);
        assert_eq!(
            problems.last().map(|p| p.summary.as_str()),
            Some("No policy type")
        );

        let mut problems = Vec::new();
        assert_eq!(name_prefix(None, &mut problems), DEFAULT_NAME_PREFIX);
        assert_eq!(name_prefix(Some("team-a."), &mut problems), "team-a.");
        assert!(problems.is_empty());
        name_prefix(Some("-Bad"), &mut problems);
        assert_eq!(problems.first().map(|p| p.input), Some(NAME_PREFIX));
    }
}
