//! Data sources: thin glue between Terraform values and the catalog.
//!
//! Each data source declares its schema and turns a decoded configuration into a result value. Decoding,
//! encoding and completing values is the server's job, so a data source only deals with [`Value`]s.

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

use crate::cty::Value;
use crate::diagnostics::Diagnostics;
use crate::provider_config::ProviderSettings;
use crate::schema::Schema;
use tokio_util::sync::CancellationToken;

pub use aws_security_group_audit::AwsSecurityGroupAuditDataSource;
pub use aws_security_group_rules::AWS_SECURITY_GROUP_RULES;
pub use azure_nsg_rules::AZURE_NSG_RULES;
pub use catalog::CatalogDataSource;
pub use flows::FlowsDataSource;
pub use gcp_firewall_rules::GCP_FIREWALL_RULES;
pub use hcloud_firewall_rules::HCLOUD_FIREWALL_RULES;
pub use kubernetes_network_policies::KubernetesNetworkPoliciesDataSource;
pub use nftables_ruleset::NFTABLES_RULESET;
pub use openstack_secgroup_rules::OPENSTACK_SECGROUP_RULES;
pub use target_rules::TargetDataSource;
pub use target_rules::{in_terraform_terms, terraform_diagnostic, terraform_value};

/// One `data "portmatrix_…"` type.
pub trait DataSource: Send + Sync {
    /// The full type name, e.g. `portmatrix_catalog`.
    fn type_name(&self) -> &'static str;

    /// The schema Terraform validates configurations against.
    fn schema(&self) -> Schema;

    /// Checks a configuration that may still hold unknown values; report only what is certain to be wrong.
    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics);

    /// Takes the provider block's settings, which Terraform sends before any read. Only data sources that read
    /// something outside the configuration need them.
    fn configure(&self, _settings: &ProviderSettings) {}

    /// Reads the data source for a wholly known configuration. `None` means it failed, with errors in
    /// `diagnostics`.
    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<Value>;

    /// [`DataSource::read`], given up when `stop` fires (Terraform's `StopProvider` after Ctrl-C, or the
    /// provider's shutdown). The server calls this one. Only reads that wait on something outside the process
    /// (the live audit) override it; the others finish in milliseconds and ignore `stop`.
    fn read_until_stopped(
        &self,
        config: &Value,
        stop: &CancellationToken,
        diagnostics: &mut Diagnostics,
    ) -> Option<Value> {
        let _ = stop;
        self.read(config, diagnostics)
    }
}

/// Every data source the provider offers, sorted by type name.
pub fn all() -> Vec<Box<dyn DataSource>> {
    let mut sources: Vec<Box<dyn DataSource>> = vec![
        Box::new(AwsSecurityGroupAuditDataSource::default()),
        Box::new(AWS_SECURITY_GROUP_RULES),
        Box::new(AZURE_NSG_RULES),
        Box::new(CatalogDataSource),
        Box::new(FlowsDataSource),
        Box::new(GCP_FIREWALL_RULES),
        Box::new(HCLOUD_FIREWALL_RULES),
        Box::new(KubernetesNetworkPoliciesDataSource),
        Box::new(NFTABLES_RULESET),
        Box::new(OPENSTACK_SECGROUP_RULES),
    ];
    sources.sort_by_key(|source| source.type_name());
    sources
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

    #[test]
    fn every_data_source_refuses_a_value_for_a_computed_attribute_at_validation() {
        use crate::schema::{AttributeMode, AttributePath};
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
                source.validate(&config, &mut diagnostics);
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
