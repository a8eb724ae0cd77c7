//! `portmatrix_aws_security_group_audit`: the rules of `portmatrix_aws_security_group_rules` compared with the
//! rules the tiers' security groups hold in EC2, as findings per tier and a `compliant` flag.
//!
//! The only data source that reads the network: the comparison is [`crate::audit::compare`], the reading
//! [`crate::audit::read_groups`] (built with the `aws-audit` feature), configured by the provider's `aws` block.

use super::flows::{echo_config, SELECTION_INPUTS};
use super::selection::{self, EndpointKind};
use super::target_rules::{
    diagnostic, option_names, options_and_expansion, validate_target_inputs, with_target_inputs,
};
use super::DataSource;
use crate::audit::{self, AuditError, AuditOptions, AuditReport, AwsSettings, Finding};
use crate::cty::AttributePath;
use crate::cty::{CtyType, Number, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::provider_config::ProviderSettings;
use crate::schema::{Attribute, Block, Schema};
use crate::targets::aws::{self, aws_options, quota_errors, AwsTarget};
use std::collections::BTreeMap;
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;

const SECURITY_GROUPS: &str = "security_groups";
const AUDIT_EGRESS: &str = "audit_egress";
const FAIL_ON_EXCESS: &str = "fail_on_excess";

/// The finding lists of a tier, in the order the schema lists them.
const FINDING_KINDS: [&str; 4] = ["covered", "excess", "missing", "over_broad"];

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
        let (options, expansion) = options_and_expansion(config, &AwsTarget, diagnostics)?;
        let rules = aws_options(&options)
            .and_then(|options| {
                aws::security_group_rules(&expansion, &options).map_err(quota_errors)
            })
            .map_err(|errors| diagnostics.extend(errors.into_iter().map(diagnostic)))
            .ok()?;
        let settings = match self.settings.lock() {
            Ok(settings) => settings.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let groups = security_groups(config);
        let mut report =
            match audit::audit(&rules, &groups, &settings, &audit_options(config), stop) {
                Ok(report) => report,
                Err(AuditError::Groups(errors)) => {
                    for error in errors {
                        diagnostics.push(
                            Diagnostic::error("Unusable security_groups", error.to_string())
                                .at(AttributePath::root().attr(SECURITY_GROUPS)),
                        );
                    }
                    return None;
                }
                Err(AuditError::Read(errors)) => {
                    for error in errors {
                        let path = match &error.tier {
                            Some(tier) => AttributePath::root()
                                .attr(SECURITY_GROUPS)
                                .key(tier.clone()),
                            None => AttributePath::root(),
                        };
                        let detail = format!("{} {}", error.message, error.hint);
                        diagnostics
                            .push(Diagnostic::error(error.summary(), detail.trim_end()).at(path));
                    }
                    return None;
                }
            };
        let mut warnings: Vec<String> = expansion.warnings;
        warnings.extend(rules.warnings);
        warnings.append(&mut report.warnings);
        report.warnings = warnings;
        Some(report)
    }
}

/// The tier to group map of a configuration.
fn security_groups(config: &Value) -> BTreeMap<String, String> {
    config
        .get_attr(SECURITY_GROUPS)
        .and_then(Value::as_map)
        .map(|map| {
            map.iter()
                .filter_map(|(tier, id)| id.as_str().map(|id| (tier.clone(), id.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn audit_options(config: &Value) -> AuditOptions {
    let flag = |name: &str| config.get_attr(name).and_then(Value::as_bool);
    let defaults = AuditOptions::default();
    AuditOptions {
        audit_egress: flag(AUDIT_EGRESS).unwrap_or(defaults.audit_egress),
        fail_on_excess: flag(FAIL_ON_EXCESS).unwrap_or(defaults.fail_on_excess),
    }
}

fn finding_type() -> CtyType {
    CtyType::object([
        ("key", CtyType::String),
        ("direction", CtyType::String),
        ("ip_protocol", CtyType::String),
        ("from_port", CtyType::Number),
        ("to_port", CtyType::Number),
        ("peer", CtyType::String),
        ("rule_id", CtyType::String),
        ("covered_by", CtyType::list(CtyType::String)),
        ("detail", CtyType::String),
    ])
}

fn tier_type() -> CtyType {
    let mut attributes = vec![("security_group_id", CtyType::String)];
    attributes.extend(
        FINDING_KINDS
            .iter()
            .map(|kind| (*kind, CtyType::list(finding_type()))),
    );
    CtyType::object(attributes)
}

const SUMMARY_COUNTS: [&str; 6] = [
    "covered",
    "excess",
    "missing",
    "observed",
    "over_broad",
    "required",
];

fn summary_type() -> CtyType {
    CtyType::object(SUMMARY_COUNTS.iter().map(|name| (*name, CtyType::Number)))
}

fn finding_value(finding: &Finding) -> Value {
    let text = |s: &Option<String>| s.as_ref().map(Value::string).unwrap_or(Value::Null);
    let number = |n: Option<i64>| {
        n.map(|n| Value::number(Number::from(n)))
            .unwrap_or(Value::Null)
    };
    Value::object([
        ("key", text(&finding.key)),
        ("direction", Value::string(&finding.direction)),
        ("ip_protocol", Value::string(&finding.ip_protocol)),
        ("from_port", number(finding.from_port)),
        ("to_port", number(finding.to_port)),
        ("peer", Value::string(&finding.peer)),
        ("rule_id", text(&finding.rule_id)),
        (
            "covered_by",
            Value::List(finding.covered_by.iter().map(Value::string).collect()),
        ),
        ("detail", Value::string(&finding.detail)),
    ])
}

fn report_attributes(report: &AuditReport) -> Vec<(String, Value)> {
    let list = |findings: &[Finding]| Value::List(findings.iter().map(finding_value).collect());
    let tiers = report
        .tiers
        .iter()
        .map(|(tier, findings)| {
            let value = Value::object([
                (
                    "security_group_id",
                    Value::string(&findings.security_group_id),
                ),
                ("covered", list(&findings.covered)),
                ("excess", list(&findings.excess)),
                ("missing", list(&findings.missing)),
                ("over_broad", list(&findings.over_broad)),
            ]);
            (tier.clone(), value)
        })
        .collect();
    let count = |n: usize| Value::number(Number::from(n as u64));
    let summary = &report.summary;
    let summary = Value::object([
        ("covered", count(summary.covered)),
        ("excess", count(summary.excess)),
        ("missing", count(summary.missing)),
        ("observed", count(summary.observed)),
        ("over_broad", count(summary.over_broad)),
        ("required", count(summary.required)),
    ]);
    vec![
        ("tiers".into(), Value::Map(tiers)),
        ("summary".into(), summary),
        ("compliant".into(), Value::Bool(report.compliant)),
        (
            "warnings".into(),
            Value::List(report.warnings.iter().map(Value::string).collect()),
        ),
    ]
}

impl DataSource for AwsSecurityGroupAuditDataSource {
    fn type_name(&self) -> &'static str {
        "portmatrix_aws_security_group_audit"
    }

    fn schema(&self) -> Schema {
        let finding = "Each finding has `direction`, `ip_protocol`, `from_port`, `to_port` (as in the rules data \
                       source; null where the protocol has no ports), `peer`, and `detail` in words.";
        let block = Block::new(
            "Audits live security groups against the rules `portmatrix_aws_security_group_rules` produces for the \
             same inputs: reads each tier's group with `DescribeSecurityGroups` and `DescribeSecurityGroupRules` \
             (read-only), and reports per tier the rules that are missing, covered by wider rules, excess, or \
             over-broad, with a `compliant` flag for `precondition` and `check` blocks. The provider's `aws` block \
             says where and as whom to read. Unlike the other data sources it needs the network and reads at plan \
             time when the group IDs are known (else at apply).",
        );
        let block = with_target_inputs(block, &AwsTarget)
            .attribute(Attribute::required(
                SECURITY_GROUPS,
                CtyType::map(CtyType::String),
                "The security group ID (`sg-…`) of each tier to audit, keyed by tier name, e.g. `{ master = \
                 aws_security_group.master.id, worker = aws_security_group.worker.id }`. Tiers left out are not \
                 audited, but every tier that audited rules reference must be given, so that rules referencing its \
                 group are recognised.",
            ))
            .attribute(Attribute::optional(
                AUDIT_EGRESS,
                CtyType::Bool,
                "Compare outbound rules too (default `true`). Set `false` when your groups keep AWS's default \
                 allow-all egress rule and you apply only the `ingress` rules.",
            ))
            .attribute(Attribute::optional(
                FAIL_ON_EXCESS,
                CtyType::Bool,
                "`true` makes excess rules count against `compliant` as well. Default `false`: groups often carry \
                 rules for other purposes (SSH from a bastion, application ports), which the audit lists without \
                 failing.",
            ))
            .attribute(Attribute::computed(
                "tiers",
                CtyType::map(tier_type()),
                format!(
                    "Findings per audited tier, with its `security_group_id`. `missing`: required rules that no \
                     rule of the group allows (`key` is the rules data source's key). `covered`: required rules \
                     allowed only by wider rules, whose IDs are in `covered_by`. `excess`: rules of the group the \
                     selection does not require (`rule_id` is the `sgr-…` ID). `over_broad`: rules that open traffic \
                     the selection needs only between tiers to `0.0.0.0/0` or `::/0`, or to all protocols. \
                     {finding} Descriptions are not compared."
                ),
            ))
            .attribute(Attribute::computed(
                "summary",
                summary_type(),
                "Counts over all audited tiers: `required` and `observed` rules compared, and the number of \
                 `missing`, `covered`, `excess` and `over_broad` findings.",
            ))
            .attribute(Attribute::computed(
                "compliant",
                CtyType::Bool,
                "`true` when no rule is missing and none is over-broad (and, with `fail_on_excess`, none is \
                 excess). Use it in a `precondition` or `check` block.",
            ))
            .attribute(Attribute::computed(
                "warnings",
                CtyType::list(CtyType::String),
                "What was not audited and why: flows skipped for a missing input, tiers without a group, \
                 outbound rules when `audit_egress` is false.",
            ));
        Schema { version: 0, block }
    }

    fn configure(&self, settings: &ProviderSettings) {
        match self.settings.lock() {
            Ok(mut mine) => *mine = settings.aws.clone(),
            Err(poisoned) => *poisoned.into_inner() = settings.aws.clone(),
        }
    }

    fn validate(&self, config: &Value, diagnostics: &mut Diagnostics) {
        let block = self.schema().block;
        if !selection::check_elements(
            &block,
            config,
            EndpointKind::CidrsAndPrefixLists,
            diagnostics,
        ) {
            return;
        }
        // The read calls EC2, so validation stops at what the configuration shows.
        validate_target_inputs(config, &AwsTarget, diagnostics);
        let Some(groups) = config.get_attr(SECURITY_GROUPS).and_then(Value::as_map) else {
            return;
        };
        for (tier, id) in groups {
            let Some(id) = id.as_str() else { continue };
            let valid = id.strip_prefix("sg-").is_some_and(|rest| {
                !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric())
            });
            if !valid {
                diagnostics.push(
                    Diagnostic::error(
                        "Invalid security group ID",
                        format!("{id:?} is not a security group ID: give the group's `sg-…` ID (its `id` attribute), not its name."),
                    )
                    .at(AttributePath::root().attr(SECURITY_GROUPS).key(tier.clone())),
                );
            }
        }
    }

    fn read(&self, config: &Value, diagnostics: &mut Diagnostics) -> Option<Value> {
        self.read_until_stopped(config, &CancellationToken::new(), diagnostics)
    }

    fn read_until_stopped(
        &self,
        config: &Value,
        stop: &CancellationToken,
        diagnostics: &mut Diagnostics,
    ) -> Option<Value> {
        let report = self.report(config, stop, diagnostics)?;
        let mut attributes = echo_config(config, &SELECTION_INPUTS);
        attributes.extend(echo_config(config, &option_names(&AwsTarget)));
        attributes.extend(echo_config(
            config,
            &[SECURITY_GROUPS, AUDIT_EGRESS, FAIL_ON_EXCESS],
        ));
        attributes.extend(report_attributes(&report));
        Some(Value::Object(attributes.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::compare::{Summary, TierReport};

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
        let block = source.schema().block;
        let mut attributes = echo_config(&config(&[]), &SELECTION_INPUTS);
        attributes.extend(report_attributes(&report));
        let value = block.complete(Value::Object(attributes.into_iter().collect()));
        crate::cty::encode_msgpack(&block.implied_type(), &value).expect("conforms");
        assert_eq!(value.get_attr("compliant"), Some(&Value::Bool(false)));
    }

    #[test]
    fn group_ids_and_tiers_are_checked_before_any_call() {
        let source = AwsSecurityGroupAuditDataSource::default();
        let mut diagnostics = Diagnostics::default();
        source.validate(
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
