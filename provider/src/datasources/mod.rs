//! Data sources: thin glue between Terraform values and the catalog.
//!
//! Each data source declares its schema and turns a decoded configuration into a [`ReadResult`]: the
//! configuration echoed as [`Value`]s, and its output serialised straight to msgpack. Decoding configurations and
//! writing results to Terraform is the server's job.

mod aws_security_group_audit;
mod aws_security_group_rules;
mod azure_nsg_rules;
mod catalog;
mod config;
mod flows;
mod gcp_firewall_rules;
mod hcloud_firewall_rules;
mod kubernetes_network_policies;
mod nftables_ruleset;
mod openstack_secgroup_rules;
mod selection;
mod target_rules;

use crate::cty::{self, CodecError, CtyType, EncodedAttributes, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::engine::SkippedFlow;
use crate::output_shape::{OutputField, OutputShape};
use crate::provider_config::ProviderSettings;
use crate::schema::{Block, Schema};
use crate::terraform_terms::terraform_text;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

pub(crate) use aws_security_group_audit::AwsSecurityGroupAuditDataSource;
pub(crate) use aws_security_group_rules::aws_security_group_rules;
pub(crate) use azure_nsg_rules::azure_nsg_rules;
pub(crate) use catalog::CatalogDataSource;
pub(crate) use flows::FlowsDataSource;
pub(crate) use gcp_firewall_rules::gcp_firewall_rules;
pub(crate) use hcloud_firewall_rules::hcloud_firewall_rules;
pub(crate) use kubernetes_network_policies::KubernetesNetworkPoliciesDataSource;
pub(crate) use nftables_ruleset::nftables_ruleset;
pub(crate) use openstack_secgroup_rules::openstack_secgroup_rules;

/// One `data "portmatrix_…"` type.
pub trait DataSource: Send + Sync {
    /// The full type name, e.g. `portmatrix_catalog`.
    fn type_name(&self) -> &'static str;

    /// The schema Terraform validates configurations against. The server builds it once per process and keeps it:
    /// every request needs it (to decode, check, complete and encode values).
    fn schema(&self) -> Schema;

    /// Checks a configuration that may still hold unknown values; report only what is certain to be wrong. Called
    /// through [`validate`], once the checks every data source shares have passed.
    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics);

    /// Takes the provider block's settings, which Terraform sends before any read. Only data sources that read
    /// something outside the configuration need them.
    fn configure(&self, _settings: &ProviderSettings) {}

    /// Reads the data source for a wholly known configuration. `None` means it failed, with errors in
    /// `diagnostics`.
    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<ReadResult>;

    /// Whether validation reads nothing but the configuration (no built-in documents, files or network), so that
    /// its time is bounded by the configuration's size and the server may validate a small one in place, on the
    /// gRPC runtime's thread. Off unless a data source says so.
    fn validates_from_config_alone(&self) -> bool {
        false
    }

    /// Whether a read waits on something outside the process (the live audit on EC2). The server runs such reads
    /// on threads of their own, so they never hold one of the blocking threads that CPU-bound reads queue for.
    fn waits_outside(&self) -> bool {
        false
    }

    /// [`DataSource::read`], given up when `stop` fires (Terraform's `StopProvider` after Ctrl-C, or the
    /// provider's shutdown). The server calls this one. Only reads that wait on something outside the process
    /// (the live audit) override it; the others finish in milliseconds and ignore `stop`.
    fn read_until_stopped(
        &self,
        config: &Value,
        stop: &CancellationToken,
        diagnostics: &mut Diagnostics,
    ) -> Option<ReadResult> {
        let _ = stop;
        self.read(config, diagnostics)
    }
}

/// A read's result: the configuration echoed, as Terraform requires, and the output attributes, written as msgpack
/// while the output serialised (a result holds thousands of values; no value tree is built for them).
#[derive(Debug)]
pub struct ReadResult {
    /// The configuration's attributes and blocks.
    echoed: Vec<(String, Value)>,
    /// The output attributes, every one of them.
    outputs: EncodedAttributes,
}

impl ReadResult {
    /// The result as msgpack of `schema`'s type, as Terraform takes it: every nested block of the echoed
    /// configuration is completed (Terraform needs each of them, set or not), every other attribute is null.
    pub fn encode(self, schema: &Schema) -> Result<Vec<u8>, CodecError> {
        let echoed = schema
            .block
            .complete_blocks(self.echoed.into_iter().collect());
        let echoed = echoed.iter().map(|(name, value)| (name.as_str(), value));
        cty::encode_object(schema.implied_type(), echoed, &self.outputs)
    }
}

/// Validates `config` for `source`, whose schema's top-level block is `block`, as the server does for every
/// validation: first the checks every data source shares, which hold however much is still unknown (no
/// value for a computed attribute, no null element, well-formed prefix list IDs); then, if they passed, the
/// source's own [`DataSource::validate`].
pub fn validate(
    source: &dyn DataSource,
    block: &Block,
    config: &Value,
    diagnostics: &mut Diagnostics,
) {
    if selection::check_elements(block, config, diagnostics) {
        source.validate(config, diagnostics);
    }
}

/// The object type of `not_needed` entries, shared with the other data sources.
pub fn skipped_type() -> CtyType {
    CtyType::of_shape(&SkippedFlow::shape())
}

/// The attributes and blocks of the configuration, echoed into the result as Terraform requires.
pub fn echo_config(config: &Value, names: &[&str]) -> Vec<(String, Value)> {
    names
        .iter()
        .map(|name| {
            (
                name.to_string(),
                config.get_attr(name).cloned().unwrap_or(Value::Null),
            )
        })
        .collect()
}

/// The configurable names of the selection inputs.
pub const SELECTION_INPUTS: [&str; 6] = [
    "platform",
    "tier",
    "endpoint",
    "parameters",
    "pod_network",
    "user_catalogs",
];

/// The object type of the output fields `fields`: what a read's result holds besides the echoed configuration.
fn outputs_type(fields: &[OutputField]) -> CtyType {
    CtyType::object(
        fields
            .iter()
            .map(|field| (field.name, CtyType::of_shape(&field.shape))),
    )
}

/// A read's result: the `echoed` configuration and `output` serialised straight into the output attributes, typed
/// by `outputs` (fields `output` lacks are null), its texts spelled as Terraform users write settings. `None`, with
/// an error, when the output does not fit: a bug, as schema and output come from one declaration.
fn read_result<T: Serialize + ?Sized>(
    type_name: &str,
    echoed: Vec<(String, Value)>,
    outputs: &CtyType,
    output: &T,
    diagnostics: &mut Diagnostics,
) -> Option<ReadResult> {
    match cty::encode_attributes(outputs, output, terraform_text) {
        Ok(outputs) => Some(ReadResult { echoed, outputs }),
        Err(error) => {
            diagnostics.push(Diagnostic::error(
                "Output does not fit its schema",
                format!("{type_name}: {error}. This is a bug in portmatrix."),
            ));
            None
        }
    }
}

/// [`read_result`] of an output whose fields are those of its type.
fn typed_result<T: OutputShape + Serialize>(
    type_name: &str,
    echoed: Vec<(String, Value)>,
    output: &T,
    diagnostics: &mut Diagnostics,
) -> Option<ReadResult> {
    let outputs = CtyType::of_shape(&T::shape());
    read_result(type_name, echoed, &outputs, output, diagnostics)
}

/// Every data source the provider offers, sorted by type name.
pub fn all() -> Vec<Box<dyn DataSource>> {
    let mut sources: Vec<Box<dyn DataSource>> = vec![
        Box::new(AwsSecurityGroupAuditDataSource::default()),
        Box::new(aws_security_group_rules()),
        Box::new(azure_nsg_rules()),
        Box::new(CatalogDataSource),
        Box::new(FlowsDataSource),
        Box::new(gcp_firewall_rules()),
        Box::new(hcloud_firewall_rules()),
        Box::new(KubernetesNetworkPoliciesDataSource),
        Box::new(nftables_ruleset()),
        Box::new(openstack_secgroup_rules()),
    ];
    sources.sort_by_key(|source| source.type_name());
    sources
}

/// What the data sources' unit tests share.
#[cfg(test)]
mod test_support {
    use super::DataSource;
    use crate::cty::Value;
    use crate::diagnostics::Diagnostics;
    use crate::schema::Block;
    use crate::terraform_terms::terraform_diagnostic;

    /// A configuration for `block` selecting `platforms` (name and options) plus `extra` attributes, completed as
    /// Terraform would send it: the data sources' unit tests build their inputs with it.
    pub fn test_config(
        block: &Block,
        platforms: &[(&str, &[(&str, &str)])],
        extra: &[(&str, Value)],
    ) -> Value {
        let platforms = platforms
            .iter()
            .map(|(name, options)| {
                let options = if options.is_empty() {
                    Value::Null
                } else {
                    Value::Map(
                        options
                            .iter()
                            .map(|(k, v)| (k.to_string(), Value::string(*v)))
                            .collect(),
                    )
                };
                Value::object([
                    ("name", Value::string(*name)),
                    ("version", Value::Null),
                    ("options", options),
                ])
            })
            .collect();
        let mut attributes = vec![("platform".to_string(), Value::List(platforms))];
        attributes.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        block.complete(Value::Object(attributes.into_iter().collect()))
    }

    /// The result of reading `source` for `config` as Terraform receives it (written as msgpack of the schema's
    /// type and read back), after checking that the read reports no error.
    pub fn read_conforming(source: &dyn DataSource, config: &Value) -> Value {
        let mut diagnostics = Diagnostics::default();
        let value = read_value(source, config, &mut diagnostics).expect("a result");
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        value
    }

    /// The result of reading `source` for `config` as Terraform receives it, if the read succeeds.
    pub fn read_value(
        source: &dyn DataSource,
        config: &Value,
        diagnostics: &mut Diagnostics,
    ) -> Option<Value> {
        let result = source.read(config, diagnostics)?;
        let schema = source.schema();
        let msgpack = result
            .encode(&schema)
            .expect("a result of the schema's type");
        Some(
            crate::cty::decode_msgpack(schema.implied_type(), &msgpack)
                .expect("a result that decodes"),
        )
    }

    /// Validates `config` for `source` as the server does ([`super::validate`] with the source's schema).
    pub fn validate_config(source: &dyn DataSource, config: &Value, diagnostics: &mut Diagnostics) {
        super::validate(source, &source.schema().block, config, diagnostics);
    }

    /// `diagnostics` as text, spelled as the server sends them to Terraform.
    fn text(diagnostics: &Diagnostics) -> String {
        let spelled: Vec<_> = diagnostics
            .iter()
            .cloned()
            .map(terraform_diagnostic)
            .collect();
        format!("{spelled:?}")
    }

    /// The diagnostics of a read of `source` for `config` that fails, as text.
    pub fn read_errors(source: &dyn DataSource, config: &Value) -> String {
        let mut diagnostics = Diagnostics::default();
        assert!(source.read(config, &mut diagnostics).is_none());
        text(&diagnostics)
    }

    /// The configuration of the tier-based data source `source` for `platforms` (each with its options) and the
    /// other arguments `extra`, completed as Terraform sends it.
    pub fn config_for(
        source: &dyn DataSource,
        platforms: &[(&str, &[(&str, &str)])],
        extra: &[(&str, Value)],
    ) -> Value {
        test_config(&source.schema().block, platforms, extra)
    }

    /// The string attribute `name` of the object `value`, if it has one.
    pub fn str_attr<'a>(value: &'a Value, name: &str) -> Option<&'a str> {
        value.get_attr(name).and_then(Value::as_str)
    }

    /// The list or set attribute `name` of the object `value`: its elements.
    pub fn elements<'a>(value: &'a Value, name: &str) -> &'a [Value] {
        value
            .get_attr(name)
            .and_then(Value::as_elements)
            .expect("a list attribute")
    }

    /// The attribute path of each error of `diagnostics`, as text (empty for an error with no path).
    pub fn error_paths(diagnostics: &Diagnostics) -> Vec<String> {
        let paths = diagnostics.errors().map(|d| d.attribute.as_ref());
        paths
            .map(|p| p.map(ToString::to_string).unwrap_or_default())
            .collect()
    }

    /// The diagnostics of a read of `source` for `config` that validation passes without a word but the read
    /// refuses: what only the read (during plan) can check.
    pub fn refused_by_the_read_only(source: &dyn DataSource, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::default();
        validate_config(source, config, &mut diagnostics);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert!(source.read(config, &mut diagnostics).is_none());
        diagnostics
    }

    /// The diagnostics of validating `config` for `source`, as text.
    pub fn validation(source: &dyn DataSource, config: &Value) -> String {
        let mut diagnostics = Diagnostics::default();
        validate_config(source, config, &mut diagnostics);
        text(&diagnostics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_passes_terraform_core_validation() {
        for source in all() {
            let schema = source.schema();
            assert_eq!(schema.block.validate(), Ok(()), "{}", source.type_name());
            assert!(source.type_name().starts_with("portmatrix_"));
            assert!(
                !schema.block.description.is_empty(),
                "{} needs a description",
                source.type_name()
            );
        }
    }

    /// Every description of `block` and of the blocks nested in it, with the path to it.
    fn descriptions(path: &str, block: &crate::schema::Block, out: &mut Vec<(String, String)>) {
        out.push((path.to_string(), block.description.clone()));
        for attribute in &block.attributes {
            out.push((
                format!("{path}.{}", attribute.name),
                attribute.description.clone(),
            ));
        }
        for nested in &block.blocks {
            descriptions(&format!("{path}.{}", nested.type_name), &nested.block, out);
        }
    }

    #[test]
    fn schema_descriptions_are_written_in_terraform_terms() {
        let mut texts = Vec::new();
        descriptions(
            "provider",
            &crate::provider_config::schema().block,
            &mut texts,
        );
        for source in all() {
            descriptions(source.type_name(), &source.schema().block, &mut texts);
        }
        for (path, text) in texts {
            assert!(
                !crate::engine::setting::has_markers(&text),
                "{path}: {text}"
            );
            let flag = text
                .match_indices("--")
                .any(|(at, _)| text[at + 2..].starts_with(|c: char| c.is_ascii_lowercase()));
            assert!(!flag, "{path} names a flag: {text}");
        }
        let nftables = nftables_ruleset().schema().block;
        let pod_cidrs = nftables.attributes.iter().find(|a| a.name == "pod_cidrs");
        assert!(pod_cidrs.is_some_and(|a| a.description.contains("`input_policy = \"drop\"`")));
    }

    #[test]
    fn every_data_source_refuses_a_value_for_a_computed_attribute_at_validation() {
        use crate::cty::AttributePath;
        use crate::schema::AttributeMode;
        for source in all() {
            let block = source.schema().block;
            let computed: Vec<_> = block
                .attributes
                .iter()
                .filter(|a| a.mode == AttributeMode::Computed)
                .collect();
            assert!(!computed.is_empty(), "{}", source.type_name());
            for attribute in computed {
                // A value of the right type, as Terraform sends it: the empty value of a block-less type will do.
                let value = match attribute.ty.to_string().as_str() {
                    "string" => Value::string("x"),
                    "bool" => Value::Bool(true),
                    "number" => Value::number(crate::cty::Number::from(1u64)),
                    _ if attribute.ty.to_string().starts_with("map") => {
                        Value::Map(Default::default())
                    }
                    _ => Value::List(Vec::new()),
                };
                let config = block.complete(Value::object([
                    ("platform", Value::List(Vec::new())),
                    (attribute.name.as_str(), value),
                ]));
                let mut diagnostics = Diagnostics::default();
                test_support::validate_config(source.as_ref(), &config, &mut diagnostics);
                let at = AttributePath::root().attr(attribute.name.clone());
                assert!(
                    diagnostics.iter().any(|d| d.is_error()
                        && d.summary == "Value for unconfigurable attribute"
                        && d.attribute.as_ref() == Some(&at)),
                    "{} {}: {diagnostics:?}",
                    source.type_name(),
                    attribute.name
                );
            }
        }
    }
}
