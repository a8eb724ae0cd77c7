//! The data source of every tier-based firewall [`Target`]: its schema is the selection inputs, the target's
//! options and its outputs; validation and read translate between Terraform values and the target's neutral
//! options, errors and serialisable output.

use super::config::{given_options, with_options};
use super::selection::{self, EndpointKind};
use super::{echo_config, outputs_type, read_result, DataSource, ReadResult, SELECTION_INPUTS};
use crate::cty::{CtyType, Value};
use crate::diagnostics::Diagnostics;
use crate::engine::{Expansion, SkippedFlow};
use crate::output_shape::OutputField;
use crate::schema::{Block, Schema};
use crate::targets::target::{Firewall, Options, Shaped, Target, TargetError, TargetOption};
use crate::terraform_terms::target_diagnostic;
use serde::Serialize;
use std::sync::OnceLock;

/// The data source `type_name` of `target`. Generic over the firewall, so a read serialises its output statically.
pub(crate) struct TargetDataSource<F: 'static> {
    target: &'static F,
    type_name: &'static str,
    description: &'static str,
    /// Built at the first request and kept: every validation and read needs the options and the output fields,
    /// and building them formats every description.
    prepared: OnceLock<Prepared>,
}

/// What a [`TargetDataSource`] builds once.
struct Prepared {
    options: Vec<TargetOption>,
    outputs: Vec<OutputField>,
    /// The object type of `outputs`, which every read's output is serialised into.
    outputs_type: CtyType,
}

impl<F: Firewall> TargetDataSource<F> {
    /// The data source `type_name`, described by `description`, serving `target`.
    pub const fn new(
        type_name: &'static str,
        target: &'static F,
        description: &'static str,
    ) -> Self {
        TargetDataSource {
            target,
            type_name,
            description,
            prepared: OnceLock::new(),
        }
    }

    fn prepared(&self) -> &Prepared {
        self.prepared.get_or_init(|| {
            let outputs = F::outputs();
            Prepared {
                options: F::options(),
                outputs_type: outputs_type(&outputs),
                outputs,
            }
        })
    }
}

fn endpoint_kind(target: &dyn Target) -> EndpointKind {
    if target.takes_prefix_lists() {
        EndpointKind::CidrsAndPrefixLists
    } else {
        EndpointKind::Cidrs
    }
}

/// The selection inputs plus `options`, those of `target`.
pub(super) fn with_target_inputs(
    block: Block,
    target: &dyn Target,
    options: &[TargetOption],
) -> Block {
    let block = selection::with_tier_selection_inputs(block, endpoint_kind(target));
    with_options(block, options)
}

/// The names of `options`, echoed into results.
pub(super) fn option_names(options: &[TargetOption]) -> Vec<&'static str> {
    options.iter().map(|option| option.name).collect()
}

/// The `options` a configuration gives (those known so far) and the selected platforms' order.
fn options(config: &Value, options: &[TargetOption]) -> Options {
    let Options { values, .. } = given_options(config, options);
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
    target_options: &[TargetOption],
    diagnostics: &mut Diagnostics,
) {
    diagnostics.extend(
        target
            .check(&options(config, target_options))
            .into_iter()
            .map(target_diagnostic),
    );
    selection::validate(config, diagnostics);
}

/// The firewall's configuration read from the options of a wholly known configuration, and the expansion; `None`
/// with errors in `diagnostics` when an option or the selection is wrong.
pub(super) fn config_and_expansion<F: Firewall>(
    config: &Value,
    target_options: &[TargetOption],
    diagnostics: &mut Diagnostics,
) -> Option<(F::Config, Expansion)> {
    let firewall_config = reported(F::config(&options(config, target_options)), diagnostics)?;
    let expansion = selection::expand(config, diagnostics)?;
    Some((firewall_config, expansion))
}

/// The value of `result`, or `None` with its target errors in `diagnostics`.
fn reported<T>(result: Result<T, Vec<TargetError>>, diagnostics: &mut Diagnostics) -> Option<T> {
    result
        .map_err(|errors| diagnostics.extend(errors.into_iter().map(target_diagnostic)))
        .ok()
}

/// What a read gives besides the configuration: the target's output fields, then `not_needed` and `warnings` (the
/// expansion's, then the target's).
#[derive(Serialize)]
struct ReadOutput<'a, O> {
    #[serde(flatten)]
    output: &'a O,
    not_needed: &'a [SkippedFlow],
    warnings: Vec<&'a String>,
}

/// The result: the configuration echoed and the [`ReadOutput`].
fn result<F: Firewall>(
    source: &TargetDataSource<F>,
    config: &Value,
    expansion: &Expansion,
    shaped: &Shaped<F::Output>,
    diagnostics: &mut Diagnostics,
) -> Option<ReadResult> {
    let output = ReadOutput {
        output: &shaped.output,
        not_needed: &expansion.not_needed,
        warnings: expansion.warnings.iter().chain(&shaped.warnings).collect(),
    };
    let prepared = source.prepared();
    let mut attributes = echo_config(config, &SELECTION_INPUTS);
    attributes.extend(echo_config(config, &option_names(&prepared.options)));
    read_result(
        source.type_name,
        attributes,
        &prepared.outputs_type,
        &output,
        diagnostics,
    )
}

impl<F: Firewall> DataSource for TargetDataSource<F> {
    fn type_name(&self) -> &'static str {
        self.type_name
    }

    fn schema(&self) -> Schema {
        let prepared = self.prepared();
        let block =
            with_target_inputs(Block::new(self.description), self.target, &prepared.options);
        Schema::new(0, block.outputs(prepared.outputs.clone()))
    }

    fn validates_from_config_alone(&self) -> bool {
        true
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        let options = &self.prepared().options;
        validate_target_inputs(config, self.target, options, diagnostics);
    }

    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<ReadResult> {
        let target_options = &self.prepared().options;
        let (firewall_config, expansion) =
            config_and_expansion::<F>(config, target_options, diagnostics)?;
        let shaped = reported(F::rules(&expansion, firewall_config), diagnostics)?;
        result(self, config, &expansion, &shaped, diagnostics)
    }
}
