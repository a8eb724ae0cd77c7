//! The one abstraction every tier-based firewall implements: its options (name, type, description, default),
//! a check of the options that holds while the rest of the input is still unknown, and the shaping of an
//! [`Expansion`] into a serialisable output. The Terraform data sources (`datasources::target_rules`) and
//! `portmatrix expand` are generic over it: adding a firewall is one target file, its docs and its tests.
//!
//! Pure like the rest of `targets`: options arrive as [`OptionValue`]s, errors name neutral [`Location`]s (an
//! option, one entry of it, a tier, an endpoint), which the Terraform layer renders as attribute paths and the
//! command line as flags.

pub use crate::engine::setting::{Literal, Setting};
use crate::engine::{Expansion, SkippedFlow};
pub(crate) use crate::output_shape::output_struct;
pub use crate::output_shape::{OutputField, OutputFields, OutputShape, Shape};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// One option of a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetOption {
    /// The option's name (`rules_per_group`).
    pub name: &'static str,
    /// Its type.
    pub shape: Shape,
    /// Whether it must be given.
    pub required: bool,
    /// The default when it is not given, as the user would write it (`None`: no value, or see the description).
    pub default: Option<&'static str>,
    /// Markdown description.
    pub description: String,
}

impl TargetOption {
    /// An optional option.
    pub fn optional(
        name: &'static str,
        shape: Shape,
        default: Option<&'static str>,
        description: impl Into<String>,
    ) -> Self {
        TargetOption {
            name,
            shape,
            required: false,
            default,
            description: description.into(),
        }
    }

    /// An option that must be given.
    pub fn required(name: &'static str, shape: Shape, description: impl Into<String>) -> Self {
        TargetOption {
            name,
            shape,
            required: true,
            default: None,
            description: description.into(),
        }
    }
}

/// The name of the output field every target has for catalog flows that need no rule, filled from the expansion.
pub const NOT_NEEDED: &str = "not_needed";
/// The name of the output field every target has for its warnings, the expansion's first.
pub const WARNINGS: &str = "warnings";

/// The `not_needed` and `warnings` fields, described by `not_needed` and `warnings`.
pub fn outcome_fields(not_needed: &str, warnings: &str) -> [OutputField; 2] {
    [
        OutputField::new(NOT_NEEDED, Vec::<SkippedFlow>::shape(), not_needed),
        OutputField::new(WARNINGS, Shape::texts(), warnings),
    ]
}

/// The output fields of a target whose own fields are those of `F`: them, then `not_needed`, the catalog flows that
/// need no `rule` (`security group rule`), and `warnings` described by `warnings`.
pub fn fields_with_outcome<F: OutputFields>(rule: &str, warnings: &str) -> Vec<OutputField> {
    let not_needed = format!(
        "Catalog flows that need no {rule}, with the `reason` (for example pod traffic inside the overlay network)."
    );
    F::fields()
        .into_iter()
        .chain(outcome_fields(&not_needed, warnings))
        .collect()
}

/// A value given for an option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum OptionValue {
    /// `true` or `false`.
    Bool(bool),
    /// A number, as the decimal text it was given as (`60`, `1.5`).
    Number(String),
    /// Text.
    Text(String),
    /// A list.
    List(Vec<OptionValue>),
    /// A map.
    Map(BTreeMap<String, OptionValue>),
    /// An element not known yet (Terraform validates configurations before every value is known).
    Unknown,
}

/// The options given to a target (absent ones take their defaults), and the order the platforms were selected in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Given options by name.
    pub values: BTreeMap<String, OptionValue>,
    /// The selected platforms, in the user's order (some targets rank rules by it).
    pub platform_order: Vec<String>,
}

impl Options {
    /// The value of option `name`, if given.
    pub fn get(&self, name: &str) -> Option<&OptionValue> {
        self.values.get(name)
    }

    /// Text option `name`, if given.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(OptionValue::Text(text)) => Some(text),
            _ => None,
        }
    }

    /// Number option `name` as its decimal text, if given.
    pub fn number(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(OptionValue::Number(text)) => Some(text),
            _ => None,
        }
    }

    /// Bool option `name`; `false` when not given.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some(OptionValue::Bool(true)))
    }

    /// The texts of list option `name` (empty when not given).
    pub fn texts(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(OptionValue::List(items)) => items.iter().filter_map(text_of).collect(),
            _ => Vec::new(),
        }
    }

    /// Map-of-text option `name` (empty when not given).
    pub fn text_map(&self, name: &str) -> BTreeMap<String, String> {
        self.map(name)
            .filter_map(|(k, v)| text_of(v).map(|v| (k.clone(), v)))
            .collect()
    }

    /// Map-of-lists option `name` (empty when not given).
    pub fn list_map(&self, name: &str) -> BTreeMap<String, Vec<String>> {
        self.map(name)
            .map(|(k, v)| {
                let items = match v {
                    OptionValue::List(items) => items.iter().filter_map(text_of).collect(),
                    _ => Vec::new(),
                };
                (k.clone(), items)
            })
            .collect()
    }

    fn map(&self, name: &str) -> impl Iterator<Item = (&String, &OptionValue)> {
        let map = match self.get(name) {
            Some(OptionValue::Map(map)) => Some(map),
            _ => None,
        };
        map.into_iter().flatten()
    }
}

fn text_of(value: &OptionValue) -> Option<String> {
    match value {
        OptionValue::Text(text) => Some(text.clone()),
        _ => None,
    }
}

/// Where a problem is, in terms of the input rather than of Terraform or the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A target option, or one entry of a map option (`key`), or one element of that entry (`index`).
    Option {
        /// The option's name.
        name: &'static str,
        /// The map key, when the problem is one entry.
        key: Option<String>,
        /// The element of that entry's list, when the problem is one element.
        index: Option<usize>,
    },
    /// The tiers the user defines (too many rules for one tier's firewall: split the tier).
    Tiers,
}

impl Location {
    /// The whole option `name`.
    pub fn option(name: &'static str) -> Self {
        Location::Option {
            name,
            key: None,
            index: None,
        }
    }
}

/// A problem with a target's input: where, one line saying what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetError {
    /// Where the fix goes.
    pub location: Location,
    /// One line.
    pub summary: String,
    /// The fix.
    pub detail: String,
}

impl TargetError {
    /// An error on option `name`.
    pub fn option(
        name: &'static str,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        TargetError {
            location: Location::option(name),
            summary: summary.into(),
            detail: detail.into(),
        }
    }
}

impl TargetError {
    /// An error on option `name` whose value is not valid: the summary names the option, `detail` the fix.
    pub fn invalid(name: &'static str, detail: impl Into<String>) -> Self {
        TargetError::option(name, format!("Invalid {}", Setting::option(name)), detail)
    }
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.summary, self.detail)
    }
}

/// Plain rows for people: a header and one line per rule, for tables, Markdown and CSV.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows {
    /// Column names.
    pub header: Vec<&'static str>,
    /// One entry per column in each row.
    pub rows: Vec<Vec<String>>,
}

/// A target's shaped output, typed by the target: serialisable (behind `dyn Output` too) into its output fields,
/// every field of [`Target::outputs`] but `not_needed` and `warnings`, for Terraform and JSON; and as rows for people.
pub trait Output: erased_serde::Serialize {
    /// The rules as rows.
    fn rows(&self) -> Rows;
}

erased_serde::serialize_trait_object!(Output);

/// What a target's output type implements; [`Output`] follows, its rows headed by [`Tabular::HEADER`].
pub trait Tabular: Serialize {
    /// Column names.
    const HEADER: &'static [&'static str];
    /// The rules, one entry per column in each row.
    fn cells(&self) -> Vec<Vec<String>>;
}

impl<T: Tabular> Output for T {
    fn rows(&self) -> Rows {
        Rows {
            header: T::HEADER.to_vec(),
            rows: self.cells(),
        }
    }
}

/// A shaped expansion: the output, typed by the firewall (`Shaped<F::Output>`) or behind `dyn Output` for the front
/// ends that hold any target, and the target's warnings (the expansion's come first in `warnings`).
pub struct Shaped<O = Box<dyn Output>> {
    /// The output.
    pub output: O,
    /// The target's warnings.
    pub warnings: Vec<String>,
}

impl<O> Shaped<O> {
    /// `output` with the target's `warnings`.
    pub fn new(output: O, warnings: Vec<String>) -> Self {
        Shaped { output, warnings }
    }
}

impl<O: Output + 'static> Shaped<O> {
    /// The same, with the output behind `dyn Output`.
    fn boxed(self) -> Shaped {
        Shaped::new(Box::new(self.output), self.warnings)
    }
}

/// A rule set and a summary of each of its tiers by name: what most targets' outputs hold.
pub struct Tiered<S, T> {
    /// The rule set.
    pub set: S,
    /// Each tier's summary.
    pub tiers: BTreeMap<String, T>,
}

/// A summary of each of `tiers`, made by `summary` from the tier's entry and the roles the expansion placed on it.
pub fn tier_summaries<C, T>(
    expansion: &Expansion,
    tiers: &BTreeMap<String, C>,
    summary: impl Fn(&C, Vec<String>) -> T,
) -> BTreeMap<String, T> {
    tiers
        .iter()
        .map(|(name, entry)| (name.clone(), summary(entry, tier_roles(expansion, name))))
        .collect()
}

/// A tier-based firewall, as the front ends hold it: one `&dyn Target` per firewall (`targets::all`). Every
/// firewall gets it from its [`Firewall`] implementation.
pub trait Target: Sync {
    /// The target's short name, as `portmatrix expand --target` takes it (`aws`).
    fn name(&self) -> &'static str;
    /// One line for `--help`: what the rules are for.
    fn about(&self) -> &'static str;
    /// Whether endpoint blocks may give AWS managed prefix lists.
    fn takes_prefix_lists(&self) -> bool;
    /// The options, in the order they are documented.
    fn options(&self) -> Vec<TargetOption>;
    /// The output fields, `not_needed` and `warnings` included.
    fn outputs(&self) -> Vec<OutputField>;
    /// The problems of the options given, judged alone: what is certain to be wrong whatever the selection is.
    /// Only options in `options` are judged (the rest may still be unknown).
    fn check(&self, options: &Options) -> Vec<TargetError>;
    /// Shapes `expansion` with `options`.
    fn shape(&self, expansion: &Expansion, options: &Options) -> Result<Shaped, Vec<TargetError>>;
}

/// What a firewall's target file implements: its name and options, the typed [`Firewall::Config`] its options
/// read into, and the shaping of an expansion with that config. Validation and reads take the same road: the
/// check at validate time is the reading of the options, so an option the check lets through is one the read
/// can use, and no firewall writes the check twice.
pub trait Firewall: Sync {
    /// The short name, as `portmatrix expand --target` takes it (`aws`).
    const NAME: &'static str;
    /// One line for `--help`: what the rules are for.
    const ABOUT: &'static str;
    /// Whether endpoint blocks may give AWS managed prefix lists.
    const TAKES_PREFIX_LISTS: bool = false;
    /// The options read and checked.
    type Config;
    /// The shaped output, serialised statically by the data sources (no `dyn Output` in a read).
    type Output: Tabular + 'static;
    /// The options, in the order they are documented.
    fn options() -> Vec<TargetOption>;
    /// The output fields, `not_needed` and `warnings` included.
    fn outputs() -> Vec<OutputField>;
    /// Reads the options given (absent ones take their defaults); the errors name each bad option.
    fn config(options: &Options) -> Result<Self::Config, Vec<TargetError>>;
    /// Shapes `expansion` with `config`.
    fn rules(
        expansion: &Expansion,
        config: Self::Config,
    ) -> Result<Shaped<Self::Output>, Vec<TargetError>>;
}

impl<F: Firewall> Target for F {
    fn name(&self) -> &'static str {
        F::NAME
    }

    fn about(&self) -> &'static str {
        F::ABOUT
    }

    fn takes_prefix_lists(&self) -> bool {
        F::TAKES_PREFIX_LISTS
    }

    fn options(&self) -> Vec<TargetOption> {
        F::options()
    }

    fn outputs(&self) -> Vec<OutputField> {
        F::outputs()
    }

    fn check(&self, options: &Options) -> Vec<TargetError> {
        F::config(options).err().unwrap_or_default()
    }

    fn shape(&self, expansion: &Expansion, options: &Options) -> Result<Shaped, Vec<TargetError>> {
        F::rules(expansion, F::config(options)?).map(Shaped::boxed)
    }
}

/// The roles the expansion placed on `tier` (`platform/role`), for the targets' per-tier summaries.
pub fn tier_roles(expansion: &Expansion, tier: &str) -> Vec<String> {
    expansion
        .tiers
        .iter()
        .find(|(name, _)| name == tier)
        .map(|(_, roles)| roles.clone())
        .unwrap_or_default()
}

/// A list of strings that serialises as null when empty: the cloud providers read an empty list as set, which
/// conflicts with attributes such as `source_tags`, and null as unset.
pub fn null_if_empty(items: &[String]) -> Option<&[String]> {
    if items.is_empty() {
        None
    } else {
        Some(items)
    }
}

/// Rules keyed as the outputs give them: each rule of `rules` shaped by `output`, under its key.
pub fn keyed<'a, R, O>(
    rules: &'a BTreeMap<String, R>,
    output: impl Fn(&'a R) -> O,
) -> BTreeMap<&'a str, O> {
    rules
        .iter()
        .map(|(key, rule)| (key.as_str(), output(rule)))
        .collect()
}
