//! The policies' own inputs, declared like a target's options (name, type, default, description) and checked:
//! the node CIDRs, the policy types and the name prefix. Problems name the input (and the element of a list) so
//! that the Terraform layer can point at it.

use super::{Directions, DEFAULT_NAME_PREFIX};
use crate::engine::cidr::{parse_cidr, CidrFamily};
use crate::targets::target::{OptionValue, Options, Setting, Shape, TargetOption};

/// `node_cidrs`.
pub const NODE_CIDRS: &str = "node_cidrs";
/// `policy_types`.
pub const POLICY_TYPES: &str = "policy_types";
/// `name_prefix`.
pub const NAME_PREFIX: &str = "name_prefix";

/// The policies' own inputs, in the order they are documented.
pub fn options() -> Vec<TargetOption> {
    vec![
        TargetOption::optional(
            NODE_CIDRS,
            Shape::texts(),
            None,
            "CIDR blocks of the addresses node (host-network) traffic has when it reaches pods: the nodes' \
             addresses, plus, with overlay networks, the tunnel addresses nodes send from. Flows from or to \
             host-network roles such as Longhorn's \"Node in the cluster\" become `ipBlock` rules with them; \
             without them such flows are skipped with a warning.",
        ),
        TargetOption::optional(
            POLICY_TYPES,
            Shape::texts(),
            Some("Ingress,Egress"),
            "Directions to isolate, `Ingress` and `Egress` (both by default). A role is isolated only in the \
             directions its catalogs list flows for.",
        ),
        TargetOption::optional(
            NAME_PREFIX,
            Shape::Text,
            Some(DEFAULT_NAME_PREFIX),
            "Prefix of every policy name, followed by the role name; `portmatrix-` by default.",
        ),
    ]
}

/// The policies' own inputs, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnInputs {
    /// The node CIDRs, normalized.
    pub node_cidrs: Vec<String>,
    /// The directions to isolate.
    pub directions: Directions,
    /// The prefix of every policy name.
    pub name_prefix: String,
}

/// The node CIDRs, policy types and name prefix given (those not given at their defaults); the bad ones are
/// `problems`.
pub fn own_inputs(options: &Options, problems: &mut Vec<InputProblem>) -> OwnInputs {
    OwnInputs {
        node_cidrs: node_cidrs(options, problems),
        directions: directions(options, problems),
        name_prefix: name_prefix(options, problems),
    }
}

/// The known text elements of list option `name` with their indexes; `None` when it is not given.
fn indexed_texts<'a>(options: &'a Options, name: &str) -> Option<Vec<(usize, &'a str)>> {
    match options.get(name)? {
        OptionValue::List(items) => Some(
            items
                .iter()
                .enumerate()
                .filter_map(|(index, item)| match item {
                    OptionValue::Text(text) => Some((index, text.as_str())),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

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

/// The node CIDRs given, without duplicates; malformed or non-canonical ones are problems.
pub fn node_cidrs(options: &Options, problems: &mut Vec<InputProblem>) -> Vec<String> {
    let mut cidrs = Vec::new();
    for (index, text) in indexed_texts(options, NODE_CIDRS).unwrap_or_default() {
        match parse_cidr(text, CidrFamily::Any) {
            Ok(net) => {
                let normalized = net.to_string();
                if !cidrs.contains(&normalized) {
                    cidrs.push(normalized);
                }
            }
            Err(error) => problems.push(InputProblem {
                input: NODE_CIDRS,
                index: Some(index),
                summary: error.summary(),
                detail: error.fix(),
            }),
        }
    }
    cidrs
}

/// The directions the policy types given ask for; both when not given.
pub fn directions(options: &Options, problems: &mut Vec<InputProblem>) -> Directions {
    let Some(types) = indexed_texts(options, POLICY_TYPES) else {
        return Directions::default();
    };
    let mut directions = Directions {
        ingress: false,
        egress: false,
    };
    for (index, text) in &types {
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
            detail: format!(
                "List \"Ingress\", \"Egress\" or both; leave {} unset for both.",
                Setting::option(POLICY_TYPES)
            ),
        });
    }
    directions
}

/// The name prefix, [`DEFAULT_NAME_PREFIX`] when not given; one that cannot start a Kubernetes name is a problem.
pub fn name_prefix(options: &Options, problems: &mut Vec<InputProblem>) -> String {
    let Some(prefix) = options.text(NAME_PREFIX) else {
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
            summary: format!("Invalid {} {prefix:?}", Setting::option(NAME_PREFIX)),
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

    fn given(values: &[(&str, OptionValue)]) -> Options {
        Options {
            values: values
                .iter()
                .map(|(name, value)| (name.to_string(), value.clone()))
                .collect(),
            platform_order: Vec::new(),
        }
    }

    fn texts(items: &[&str]) -> OptionValue {
        OptionValue::List(
            items
                .iter()
                .map(|item| OptionValue::Text(item.to_string()))
                .collect(),
        )
    }

    #[test]
    fn inputs_are_checked_and_problems_name_their_element() {
        let mut problems = Vec::new();
        let cidrs = ["10.0.0.0/8", "10.0.0.0/8", "bad", "fd00::/64"];
        let cidrs = node_cidrs(&given(&[(NODE_CIDRS, texts(&cidrs))]), &mut problems);
        assert_eq!(cidrs, ["10.0.0.0/8", "fd00::/64"]);
        assert_eq!(
            problems
                .iter()
                .map(|p| (p.input, p.index))
                .collect::<Vec<_>>(),
            [(NODE_CIDRS, Some(2))]
        );

        let mut problems = Vec::new();
        let types = given(&[(POLICY_TYPES, texts(&["Egress", "ingress"]))]);
        let only_egress = directions(&types, &mut problems);
        assert!(only_egress.egress && !only_egress.ingress);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems.first().map(|p| p.index), Some(Some(1)));
        assert_eq!(
            directions(&given(&[]), &mut problems),
            Directions::default()
        );
        directions(&given(&[(POLICY_TYPES, texts(&[]))]), &mut problems);
        assert_eq!(
            problems.last().map(|p| p.summary.as_str()),
            Some("No policy type")
        );
        // An element not known yet is judged later; the known ones now.
        let partly = OptionValue::List(vec![OptionValue::Unknown, OptionValue::Text("x".into())]);
        let mut problems = Vec::new();
        directions(&given(&[(POLICY_TYPES, partly)]), &mut problems);
        assert_eq!(
            problems.iter().map(|p| p.index).collect::<Vec<_>>(),
            [Some(1)]
        );

        let mut problems = Vec::new();
        assert_eq!(name_prefix(&given(&[]), &mut problems), DEFAULT_NAME_PREFIX);
        let prefix = |text: &str| given(&[(NAME_PREFIX, OptionValue::Text(text.into()))]);
        assert_eq!(name_prefix(&prefix("team-a."), &mut problems), "team-a.");
        assert!(problems.is_empty());
        name_prefix(&prefix("-Bad"), &mut problems);
        assert_eq!(problems.first().map(|p| p.input), Some(NAME_PREFIX));
    }
}
