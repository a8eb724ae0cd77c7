//! The data source of every tier-based firewall [`Target`]: its schema is the selection inputs, the target's
//! options and its outputs; validation and read translate between Terraform values and the target's neutral
//! options, errors and serialisable output.

use super::flows::{echo_config, push_outcome, SELECTION_INPUTS};
use super::selection::{self, EndpointKind};
use super::DataSource;
use crate::cty::{from_serde, CtyType, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::engine::Expansion;
use crate::schema::{Attribute, AttributePath, Block, Schema};
use crate::targets::target::{
    Location, OptionValue, Options, Shape, Shaped, Target, TargetError, TargetOption, NOT_NEEDED,
    WARNINGS,
};

/// The data source `type_name` of `target`.
pub struct TargetDataSource {
    target: &'static dyn Target,
    type_name: &'static str,
    description: &'static str,
}

impl TargetDataSource {
    /// The data source `type_name`, described by `description`, serving `target`.
    pub const fn new(
        type_name: &'static str,
        target: &'static dyn Target,
        description: &'static str,
    ) -> Self {
        TargetDataSource {
            target,
            type_name,
            description,
        }
    }
}

/// The cty type of a shape.
pub(super) fn cty_type(shape: &Shape) -> CtyType {
    match shape {
        Shape::Text => CtyType::String,
        Shape::Number => CtyType::Number,
        Shape::Bool => CtyType::Bool,
        Shape::List(element) => CtyType::list(cty_type(element)),
        Shape::Map(element) => CtyType::map(cty_type(element)),
        Shape::Object(fields) => {
            CtyType::object(fields.iter().map(|(name, shape)| (*name, cty_type(shape))))
        }
    }
}

fn endpoint_kind(target: &dyn Target) -> EndpointKind {
    if target.takes_prefix_lists() {
        EndpointKind::CidrsAndPrefixLists
    } else {
        EndpointKind::Cidrs
    }
}

/// The selection inputs plus `target`'s options.
pub(super) fn with_target_inputs(block: Block, target: &dyn Target) -> Block {
    let block = selection::with_tier_selection_inputs(block, endpoint_kind(target));
    target.options().into_iter().fold(block, |block, option| {
        let ty = cty_type(&option.shape);
        block.attribute(if option.required {
            Attribute::required(option.name, ty, option.description)
        } else {
            Attribute::optional(option.name, ty, option.description)
        })
    })
}

/// The names of `target`'s options, echoed into results.
pub(super) fn option_names(target: &dyn Target) -> Vec<&'static str> {
    target.options().iter().map(|option| option.name).collect()
}

/// An option's value in the target's terms; `None` when null or unknown. Elements not known yet are
/// [`OptionValue::Unknown`], so that validation judges the known ones at their place.
fn option_value(shape: &Shape, value: &Value) -> Option<OptionValue> {
    if value.is_null() || value.is_unknown() {
        return None;
    }
    let element = |shape: &Shape, item: &Value| {
        if item.is_unknown() {
            Some(OptionValue::Unknown)
        } else {
            option_value(shape, item)
        }
    };
    Some(match shape {
        Shape::Text => OptionValue::Text(value.as_str()?.to_string()),
        Shape::Number => OptionValue::Number(value.as_number()?.to_string()),
        Shape::Bool => OptionValue::Bool(value.as_bool()?),
        Shape::List(shape) => OptionValue::List(
            value
                .as_elements()?
                .iter()
                .filter_map(|item| element(shape, item))
                .collect(),
        ),
        Shape::Map(shape) => OptionValue::Map(
            value
                .as_map()?
                .iter()
                .filter_map(|(key, item)| Some((key.clone(), element(shape, item)?)))
                .collect(),
        ),
        Shape::Object(_) => return None,
    })
}

/// The options a configuration gives `target` (those known so far) and the selected platforms' order.
fn options(config: &Value, target: &dyn Target) -> Options {
    let values = target
        .options()
        .iter()
        .filter_map(|TargetOption { name, shape, .. }| {
            let value = option_value(shape, config.get_attr(name)?)?;
            Some((name.to_string(), value))
        })
        .collect();
    let platform_order = config
        .get_attr("platform")
        .and_then(Value::as_elements)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.get_attr("name").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    Options {
        values,
        platform_order,
    }
}

/// A target error as a diagnostic on the attribute (and map key) that can fix it. Terraform locates a path only
/// down to one key below an attribute, so an element of a map entry's list is named in the detail.
pub(super) fn diagnostic(error: TargetError) -> Diagnostic {
    let (path, detail) = match error.location {
        Location::Option {
            name,
            key: None,
            index,
        } => {
            let path = AttributePath::root().attr(name);
            (
                match index {
                    Some(index) => path.index(index as i64),
                    None => path,
                },
                error.detail,
            )
        }
        Location::Option {
            name,
            key: Some(key),
            index,
        } => {
            let path = AttributePath::root().attr(name).key(key);
            let detail = match index {
                Some(index) => format!("{path}[{index}]: {}", error.detail),
                None => error.detail,
            };
            (path, detail)
        }
        Location::Tiers => (AttributePath::root().attr("tier"), error.detail),
    };
    Diagnostic::error(error.summary, detail).at(path)
}

/// Checks what is known of the inputs of [`with_target_inputs`]: the options given, then the selection.
pub(super) fn validate_target_inputs(
    config: &Value,
    target: &dyn Target,
    diagnostics: &mut Diagnostics,
) {
    diagnostics.extend(
        target
            .check(&options(config, target))
            .into_iter()
            .map(diagnostic),
    );
    selection::validate(config, endpoint_kind(target), diagnostics);
}

/// The options and expansion of a wholly known configuration; `None` with errors in `diagnostics` when an
/// option or the selection is wrong.
pub(super) fn options_and_expansion(
    config: &Value,
    target: &dyn Target,
    diagnostics: &mut Diagnostics,
) -> Option<(Options, Expansion)> {
    let options = options(config, target);
    let errors = target.check(&options);
    if !errors.is_empty() {
        diagnostics.extend(errors.into_iter().map(diagnostic));
        return None;
    }
    let expansion = selection::expand(config, endpoint_kind(target), diagnostics)?;
    Some((options, expansion))
}

/// The result value: the configuration echoed, the target's outputs, `not_needed` and `warnings`.
fn result(
    config: &Value,
    target: &dyn Target,
    expansion: &Expansion,
    shaped: &Shaped,
) -> Result<Value, String> {
    let json = shaped.output.to_json().map_err(|e| e.to_string())?;
    let mut attributes = echo_config(config, &SELECTION_INPUTS);
    attributes.extend(echo_config(config, &option_names(target)));
    for field in target.outputs() {
        if field.name == NOT_NEEDED || field.name == WARNINGS {
            continue;
        }
        let value = json.get(field.name).unwrap_or(&serde_json::Value::Null);
        let value = from_serde(&cty_type(&field.shape), value)
            .map_err(|e| format!("{}: {e}", field.name))?;
        attributes.push((field.name.to_string(), value));
    }
    push_outcome(&mut attributes, expansion, &shaped.warnings);
    Ok(Value::Object(attributes.into_iter().collect()))
}

impl DataSource for TargetDataSource {
    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn schema(&self) -> Schema {
        let block = with_target_inputs(Block::new(self.description), self.target);
        let block = self
            .target
            .outputs()
            .into_iter()
            .fold(block, |block, field| {
                block.attribute(Attribute::computed(
                    field.name,
                    cty_type(&field.shape),
                    field.description,
                ))
            });
        Schema { version: 0, block }
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        let kind = endpoint_kind(self.target);
        if selection::check_elements(&self.schema().block, config, kind, diagnostics) {
            validate_target_inputs(config, self.target, diagnostics);
        }
    }

    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<Value> {
        let (options, expansion) = options_and_expansion(config, self.target, diagnostics)?;
        let shaped = match self.target.shape(&expansion, &options) {
            Ok(shaped) => shaped,
            Err(errors) => {
                diagnostics.extend(errors.into_iter().map(diagnostic));
                return None;
            }
        };
        match result(config, self.target, &expansion, &shaped) {
            Ok(value) => Some(value),
            Err(error) => {
                diagnostics.push(Diagnostic::error(
                    "Target output does not fit its schema",
                    format!("{}: {error}. This is a bug in portmatrix.", self.type_name),
                ));
                None
            }
        }
    }
}
