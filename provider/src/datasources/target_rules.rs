//! The data source of every tier-based firewall [`Target`]: its schema is the selection inputs, the target's
//! options and its outputs; validation and read translate between Terraform values and the target's neutral
//! options, errors and serialisable output.

use super::config::{given_options, with_options};
use super::selection::{self, EndpointKind};
use super::{echo_config, read_result, DataSource, SELECTION_INPUTS};
use crate::cty::Value;
use crate::diagnostics::Diagnostics;
use crate::engine::Expansion;
use crate::schema::{Block, Schema};
use crate::targets::target::{Options, Shaped, Target, NOT_NEEDED, WARNINGS};
use crate::terraform_terms::target_diagnostic;

/// The data source `type_name` of `target`.
pub(crate) struct TargetDataSource {
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
    with_options(block, target.options())
}

/// The names of `target`'s options, echoed into results.
pub(super) fn option_names(target: &dyn Target) -> Vec<&'static str> {
    target.options().iter().map(|option| option.name).collect()
}

/// The options a configuration gives `target` (those known so far) and the selected platforms' order.
fn options(config: &Value, target: &dyn Target) -> Options {
    let Options { values, .. } = given_options(config, &target.options());
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
            .map(target_diagnostic),
    );
    selection::validate(config, diagnostics);
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
        diagnostics.extend(errors.into_iter().map(target_diagnostic));
        return None;
    }
    let expansion = selection::expand(config, diagnostics)?;
    Some((options, expansion))
}

/// The result value: the configuration echoed, the target's outputs, `not_needed` and `warnings` (the
/// expansion's, then the target's).
fn result(
    source: &TargetDataSource,
    config: &Value,
    expansion: &Expansion,
    shaped: &Shaped,
    diagnostics: &mut Diagnostics,
) -> Option<Value> {
    let mut output = shaped.output.to_json();
    let warnings: Vec<&String> = expansion.warnings.iter().chain(&shaped.warnings).collect();
    if let Ok(serde_json::Value::Object(fields)) = &mut output {
        fields.insert(NOT_NEEDED.into(), serde_json::json!(expansion.not_needed));
        fields.insert(WARNINGS.into(), serde_json::json!(warnings));
    }
    let mut attributes = echo_config(config, &SELECTION_INPUTS);
    attributes.extend(echo_config(config, &option_names(source.target)));
    let fields = source.target.outputs();
    read_result(source.type_name, attributes, fields, output, diagnostics)
}

impl DataSource for TargetDataSource {
    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn schema(&self) -> Schema {
        let block = with_target_inputs(Block::new(self.description), self.target);
        Schema {
            version: 0,
            block: block.outputs(self.target.outputs()),
        }
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
                diagnostics.extend(errors.into_iter().map(target_diagnostic));
                return None;
            }
        };
        result(self, config, &expansion, &shaped, diagnostics)
    }
}
