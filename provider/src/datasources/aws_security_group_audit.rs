//! `portmatrix_aws_security_group_audit`: the rules of `portmatrix_aws_security_group_rules` compared with the
//! rules the tiers' security groups hold in EC2, as findings per tier and a `compliant` flag.
//!
//! The only data source that reads the network: the comparison is [`crate::audit::compare`], the reading
//! [`crate::audit::read_groups`] (built with the `aws-audit` feature), configured by the provider's `aws` block.

use super::config::{given_options, with_options};
use super::target_rules::{
    config_and_expansion, option_names, validate_target_inputs, with_target_inputs,
};
use super::{echo_config, typed_result, DataSource, ReadResult, SELECTION_INPUTS};
use crate::audit::inputs::{self, AUDIT_EGRESS, FAIL_ON_EXCESS, SECURITY_GROUPS};
use crate::audit::{audit_expansion, AuditReport, AwsSettings};
use crate::cty::Value;
use crate::diagnostics::Diagnostics;
use crate::output_shape::OutputFields;
use crate::provider_config::ProviderSettings;
use crate::schema::{Block, Schema};
use crate::targets::aws::AwsTarget;
use crate::targets::target::Firewall;
use crate::targets::target::Options;
use crate::terraform_terms::{audit_diagnostics, target_diagnostic};
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// The `portmatrix_aws_security_group_audit` data source, with the provider's `aws` settings.
#[derive(Debug, Default)]
pub(crate) struct AwsSecurityGroupAuditDataSource {
    settings: Mutex<AwsSettings>,
}

impl AwsSecurityGroupAuditDataSource {
    /// Audits a wholly known configuration: the report, with the expansion's and the rule set's warnings first
    /// among its warnings; `None` with errors in `diagnostics` when an input is wrong or a group cannot be read.
    fn report(
        &self,
        config: &Value,
        stop: &CancellationToken,
        diagnostics: &mut Diagnostics,
    ) -> Option<AuditReport> {
        let (shape, expansion) =
            config_and_expansion::<AwsTarget>(config, &AwsTarget::options(), diagnostics)?;
        let settings = match self.settings.lock() {
            Ok(settings) => settings.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let own = own_options(config);
        let groups = inputs::security_groups(&own);
        let audit_options = inputs::audit_options(&own);
        match audit_expansion(expansion, &shape, &groups, &settings, &audit_options, stop) {
            Ok(report) => Some(report),
            Err(error) => {
                diagnostics.extend(audit_diagnostics(error));
                None
            }
        }
    }
}

/// The audit's own inputs given (those known so far).
fn own_options(config: &Value) -> Options {
    given_options(config, &inputs::options())
}

impl DataSource for AwsSecurityGroupAuditDataSource {
    fn type_name(&self) -> &'static str {
        "portmatrix_aws_security_group_audit"
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "Audits live security groups against the rules `portmatrix_aws_security_group_rules` produces for the \
             same inputs: reads each tier's group with `DescribeSecurityGroups` and `DescribeSecurityGroupRules` \
             (read-only), and reports per tier the rules that are missing, covered by wider rules, excess, or \
             over-broad, with a `compliant` flag for `precondition` and `check` blocks. The provider's `aws` block \
             says where and as whom to read. Unlike the other data sources it needs the network and reads at plan \
             time when the group IDs are known (else at apply).",
        );
        let block = with_target_inputs(block, &AwsTarget, &AwsTarget::options());
        let block = with_options(block, &inputs::options());
        Schema::new(0, block.outputs(AuditReport::fields()))
    }

    fn configure(&self, settings: &ProviderSettings) {
        match self.settings.lock() {
            Ok(mut mine) => *mine = settings.aws.clone(),
            Err(poisoned) => *poisoned.into_inner() = settings.aws.clone(),
        }
    }

    fn validates_from_config_alone(&self) -> bool {
        true
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        // The read calls EC2, so validation stops at what the configuration shows.
        validate_target_inputs(config, &AwsTarget, &AwsTarget::options(), diagnostics);
        let errors = inputs::check(&own_options(config));
        diagnostics.extend(errors.into_iter().map(target_diagnostic));
    }

    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<ReadResult> {
        self.read_until_stopped(config, &CancellationToken::new(), diagnostics)
    }

    fn waits_outside(&self) -> bool {
        true
    }

    fn read_until_stopped(
        &self,
        config: &Value,
        stop: &CancellationToken,
        diagnostics: &mut Diagnostics,
    ) -> Option<ReadResult> {
        let report = self.report(config, stop, diagnostics)?;
        let mut attributes = echo_config(config, &SELECTION_INPUTS);
        attributes.extend(echo_config(config, &option_names(&AwsTarget::options())));
        attributes.extend(echo_config(
            config,
            &[SECURITY_GROUPS, AUDIT_EGRESS, FAIL_ON_EXCESS],
        ));
        typed_result(self.type_name(), attributes, &report, diagnostics)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::validate_config;
    use super::*;
    use crate::audit::compare::{Finding, Summary, TierReport};

    fn config(extra: &[(&str, Value)]) -> Value {
        let block = AwsSecurityGroupAuditDataSource::default().schema().block;
        let platform = Value::object([
            ("name", Value::string("kublr")),
            ("version", Value::Null),
            ("options", Value::Null),
        ]);
        let mut attributes = vec![("platform".to_string(), Value::List(vec![platform]))];
        attributes.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        block.complete(Value::Object(attributes.into_iter().collect()))
    }

    fn groups(pairs: &[(&str, &str)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(tier, id)| (tier.to_string(), Value::string(*id)))
                .collect(),
        )
    }

    #[test]
    fn a_report_conforms_to_the_schema() {
        let finding = Finding {
            key: None,
            direction: "ingress".into(),
            ip_protocol: "-1".into(),
            from_port: None,
            to_port: None,
            peer: "0.0.0.0/0".into(),
            rule_id: Some("sgr-1".into()),
            covered_by: vec![],
            detail: "all traffic".into(),
        };
        let report = AuditReport {
            tiers: [(
                "worker".to_string(),
                TierReport {
                    security_group_id: "sg-1".into(),
                    over_broad: vec![finding],
                    ..TierReport::default()
                },
            )]
            .into_iter()
            .collect(),
            summary: Summary {
                over_broad: 1,
                ..Summary::default()
            },
            compliant: false,
            warnings: vec!["w".into()],
        };
        let source = AwsSecurityGroupAuditDataSource::default();
        let schema = source.schema();
        let attributes = echo_config(&config(&[]), &SELECTION_INPUTS);
        let result = typed_result(
            source.type_name(),
            attributes,
            &report,
            &mut Diagnostics::default(),
        )
        .expect("encodes");
        let msgpack = result.encode(&schema).expect("conforms");
        let value = crate::cty::decode_msgpack(schema.implied_type(), &msgpack).expect("decodes");
        assert_eq!(value.get_attr("compliant"), Some(&Value::Bool(false)));
    }

    #[test]
    fn group_ids_and_tiers_are_checked_before_any_call() {
        let source = AwsSecurityGroupAuditDataSource::default();
        let mut diagnostics = Diagnostics::default();
        validate_config(
            &source,
            &config(&[(SECURITY_GROUPS, groups(&[("master", "my-masters")]))]),
            &mut diagnostics,
        );
        assert!(
            format!("{diagnostics:?}").contains("Invalid security group ID"),
            "{diagnostics:?}"
        );

        // A tier the selection lacks is refused before EC2 is called (no endpoint is configured here).
        let mut diagnostics = Diagnostics::default();
        let outcome = source.read(
            &config(&[(SECURITY_GROUPS, groups(&[("masters", "sg-1")]))]),
            &mut diagnostics,
        );
        assert!(outcome.is_none());
        let text = format!("{diagnostics:?}");
        assert!(text.contains("Unusable security_groups"), "{text}");
        assert!(text.contains("no tier \\\"masters\\\""), "{text}");

        let mut diagnostics = Diagnostics::default();
        assert!(source
            .read(&config(&[(SECURITY_GROUPS, groups(&[]))]), &mut diagnostics)
            .is_none());
        assert!(format!("{diagnostics:?}").contains("no security group to audit"));
    }

    #[cfg(not(feature = "aws-audit"))]
    #[test]
    fn without_the_feature_the_read_is_an_error_not_a_crash() {
        let source = AwsSecurityGroupAuditDataSource::default();
        let mut diagnostics = Diagnostics::default();
        let all = groups(&[("lb", "sg-1"), ("master", "sg-2"), ("worker", "sg-3")]);
        assert!(source
            .read(&config(&[(SECURITY_GROUPS, all)]), &mut diagnostics)
            .is_none());
        assert!(
            format!("{diagnostics:?}").contains("aws-audit"),
            "{diagnostics:?}"
        );
    }
}
