//! `portmatrix audit`: live security groups against a selection, as `portmatrix_aws_security_group_audit` does
//! it, from the command line. The audit itself is [`crate::audit`]; non-compliance makes the exit code 1.

use clap::Args;

use super::sarif::{self, SarifResult, SarifRule};
use super::selection::SelectionArgs;
use super::table::Table;
use super::{key_and_value, to_json, Outcome};
use crate::audit::{
    self, AuditError, AuditOptions, AuditReport, AwsSettings, ExpansionAuditError, Finding,
};
use crate::catalog::Catalog;
use crate::targets::aws::{self, AwsOptions};
use tokio_util::sync::CancellationToken;

/// `portmatrix audit` arguments.
#[derive(Debug, Args)]
pub(super) struct AuditArgs {
    #[command(flatten)]
    selection: SelectionArgs,
    /// The security group of a tier to audit, repeatable: TIER=GROUP_ID (e.g. worker=sg-0123456789abcdef0).
    /// Tiers left out are not audited; tiers that audited rules reference must be given.
    #[arg(long = "security-group", value_name = "TIER=GROUP_ID", value_parser = parse_group, required = true)]
    groups: Vec<(String, String)>,
    /// Leave outbound rules out (for groups that keep AWS's default allow-all egress rule).
    #[arg(long)]
    no_egress: bool,
    /// Count excess rules against compliance as well.
    #[arg(long)]
    fail_on_excess: bool,
    /// Rules per security group, direction and address family the rules were shaped for (AWS's default is 60).
    #[arg(long, value_name = "N", default_value_t = aws::DEFAULT_RULES_PER_GROUP as u64,
          value_parser = clap::value_parser!(u64)
              .range(aws::MIN_RULES_PER_GROUP as u64..=aws::MAX_RULES_PER_GROUP as u64))]
    rules_per_group: u64,
    /// The rules were shaped with widen_to_fit.
    #[arg(long)]
    widen_to_fit: bool,
    /// The rules were shaped with all_traffic_within_tier.
    #[arg(long)]
    all_traffic_within_tier: bool,
    /// AWS region; default: AWS_REGION or the profile's region.
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Named profile of the shared AWS config files; default: AWS_PROFILE or `default`.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// EC2 endpoint to call instead of AWS's (an EC2-compatible API).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// IAM role to assume before reading.
    #[arg(long, value_name = "ARN")]
    assume_role_arn: Option<String>,
    /// Print JSON: tiers with their findings, summary, compliant, warnings.
    #[arg(long, conflicts_with = "sarif")]
    json: bool,
    /// Print a SARIF 2.1.0 log for code scanning: one result per missing, over-broad or excess rule, at the
    /// security group (`tier (sg-…)`) it concerns.
    #[arg(long)]
    sarif: bool,
}

fn parse_group(text: &str) -> Result<(String, String), String> {
    let group_id = |id: &str| id.starts_with("sg-") && id.len() > 3;
    key_and_value(
        text,
        group_id,
        "TIER=GROUP_ID",
        "worker=sg-0123456789abcdef0",
    )
}

/// Runs `audit`: a report that is not compliant makes the outcome fail.
pub(super) fn run(args: &AuditArgs, catalog: &Catalog) -> Result<Outcome, String> {
    let settings = AwsSettings {
        region: args.region.clone(),
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
        assume_role_arn: args.assume_role_arn.clone(),
    };
    if let Some((field, message)) = settings.problems().into_iter().next() {
        return Err(format!("--{}: {message}", field.replace('_', "-")));
    }
    let mut groups = std::collections::BTreeMap::new();
    for (tier, id) in &args.groups {
        if groups.insert(tier.clone(), id.clone()).is_some() {
            return Err(format!(
                "--security-group: tier {tier:?} is given more than once"
            ));
        }
    }
    let expansion = args.selection.expand(catalog)?;
    let shape = AwsOptions {
        rules_per_group: usize::try_from(args.rules_per_group).unwrap_or(usize::MAX),
        widen_to_fit: args.widen_to_fit,
        all_traffic_within_tier: args.all_traffic_within_tier,
    };
    let options = AuditOptions {
        audit_egress: !args.no_egress,
        fail_on_excess: args.fail_on_excess,
    };
    let stop = CancellationToken::new();
    let report = audit::audit_expansion(expansion, &shape, &groups, &settings, &options, &stop)
        .map_err(|error| match error {
            ExpansionAuditError::Rules(errors) => {
                lines(errors.iter().map(|e| format!("--rules-per-group: {e}")))
            }
            ExpansionAuditError::Audit(AuditError::Groups(errors)) => {
                lines(errors.iter().map(|e| format!("--security-group: {e}")))
            }
            ExpansionAuditError::Audit(AuditError::Read(errors)) => {
                lines(errors.iter().map(ToString::to_string))
            }
        })?;
    let output = if args.json {
        to_json(&report)?
    } else if args.sarif {
        to_json(&audit_sarif(&report))?
    } else {
        text(&report)
    };
    Ok(Outcome {
        output,
        warnings: report.warnings.clone(),
        findings: !report.compliant,
    })
}

/// The findings as SARIF results at their groups; covered rules are not findings.
fn audit_sarif(report: &AuditReport) -> serde_json::Value {
    let rules = [
        SarifRule {
            id: "missing",
            description: "A required rule that no rule of the security group allows",
            level: "error",
        },
        SarifRule {
            id: "over-broad",
            description: "A rule that opens traffic needed only between tiers to 0.0.0.0/0, ::/0 or every protocol",
            level: "error",
        },
        SarifRule {
            id: "excess",
            description: "A rule of the security group that the selection does not require",
            level: "warning",
        },
    ];
    let mut results = Vec::new();
    for (tier, findings) in &report.tiers {
        // Covered rules are allowed: no result.
        for (kind, list) in findings.failing() {
            for finding in list {
                results.push(SarifResult {
                    rule: kind,
                    message: format!(
                        "{kind} {} {} {} {} {}: {}",
                        finding.direction,
                        finding.ip_protocol,
                        ports(finding),
                        finding.peer,
                        rule(finding),
                        finding.detail
                    ),
                    locations: vec![format!("{tier} ({})", findings.security_group_id)],
                    location_kind: "securityGroup",
                });
            }
        }
    }
    sarif::log(&rules, &results)
}

fn lines(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join("\n")
}

/// One table of findings for all tiers, then the summary.
fn text(report: &AuditReport) -> String {
    let mut table = Table::new(&[
        "TIER",
        "FINDING",
        "DIRECTION",
        "PROTOCOL",
        "PORTS",
        "PEER",
        "RULE",
        "DETAIL",
    ]);
    let mut any = false;
    for (tier, findings) in &report.tiers {
        for (kind, list) in findings.by_kind() {
            for finding in list {
                any = true;
                table.row(vec![
                    format!("{tier} ({})", findings.security_group_id),
                    kind.to_string(),
                    finding.direction.clone(),
                    finding.ip_protocol.clone(),
                    ports(finding),
                    finding.peer.clone(),
                    rule(finding),
                    finding.detail.clone(),
                ]);
            }
        }
    }
    let summary = &report.summary;
    let verdict = if report.compliant {
        "compliant"
    } else {
        "NOT compliant"
    };
    let mut out = if any {
        table.render() + "\n"
    } else {
        String::new()
    };
    out.push_str(&format!(
        "{verdict}: {} missing, {} over-broad, {} excess, {} covered ({} required rules and {} group rules \
         compared in {} groups)\n",
        summary.missing,
        summary.over_broad,
        summary.excess,
        summary.covered,
        summary.required,
        summary.observed,
        report.tiers.len()
    ));
    out
}

fn ports(finding: &Finding) -> String {
    match (finding.from_port, finding.to_port) {
        (Some(from), Some(to)) if finding.ip_protocol.starts_with("icmp") => {
            format!("type {from} code {to}")
        }
        (Some(from), Some(to)) if from == to => from.to_string(),
        (Some(from), Some(to)) => format!("{from}-{to}"),
        _ => "all".to_string(),
    }
}

/// The rules data source's key of a required rule, or the group rule's ID (and what covers it).
fn rule(finding: &Finding) -> String {
    let own = finding
        .key
        .clone()
        .or_else(|| finding.rule_id.clone())
        .unwrap_or_default();
    if finding.covered_by.is_empty() {
        own
    } else {
        format!("{own} <- {}", finding.covered_by.join(","))
    }
}
