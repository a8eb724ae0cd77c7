//! The live audit: the rules a selection requires against the rules the tiers' security groups hold.
//!
//! [`compare`] is pure and always built. Reading the groups needs aws-sdk-ec2, which is heavy to build, so the
//! EC2 client lives behind the `aws-audit` Cargo feature; without it [`read_groups`] reports that the audit was
//! left out of the build. The audit only ever calls `DescribeSecurityGroups` and `DescribeSecurityGroupRules`.

pub mod compare;
#[cfg(feature = "aws-audit")]
mod ec2;
pub mod inputs;

pub use compare::{check_groups, AuditOptions, AuditReport, Finding, GroupsError, ObservedRule};

use crate::engine::Expansion;
use crate::targets::aws::{security_group_rules, AwsOptions, QuotaError};
use std::collections::BTreeMap;
use std::fmt;
use tokio_util::sync::CancellationToken;

/// The longest a whole audit may spend reading EC2, all groups, pages and retries included. Each call has its
/// own, shorter timeouts; this bounds the sum, so that an audit of many groups against an endpoint that answers
/// slowly still ends in a diagnostic within a minute.
// Read only by the EC2 client, which the `aws-audit` feature builds.
#[cfg_attr(not(feature = "aws-audit"), allow(dead_code))]
pub const AUDIT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// Where and as whom to call EC2: the provider's `aws` block (or the CLI's flags). Credentials are not part of
/// it: they come from the standard AWS chain (environment, shared files, SSO, container and instance roles).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// Region; else from `AWS_REGION` or the profile.
    pub region: Option<String>,
    /// Named profile of the shared config files; else `AWS_PROFILE` or `default`.
    pub profile: Option<String>,
    /// EC2 endpoint to call instead of AWS's (an EC2-compatible API).
    pub endpoint_url: Option<String>,
    /// Role to assume (through STS) with the chain's credentials before reading.
    pub assume_role_arn: Option<String>,
}

impl AwsSettings {
    /// What is wrong with the settings, one message per field: `(field, message)`.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        if let Some(region) = &self.region {
            let valid = !region.is_empty()
                && region
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                problems.push((
                    "region",
                    format!("{region:?} is not an AWS region name such as \"eu-central-1\"."),
                ));
            }
        }
        if let Some(profile) = &self.profile {
            // An empty or blank name would quietly fall back to the default chain's profile.
            if profile.trim().is_empty() || profile.trim() != profile {
                problems.push((
                    "profile",
                    format!(
                        "{profile:?} is not a profile name: give the name of a profile of your AWS config files \
                         (`aws configure list-profiles`), without surrounding spaces, or leave profile out to use \
                         AWS_PROFILE or \"default\"."
                    ),
                ));
            }
        }
        if let Some(url) = &self.endpoint_url {
            let host = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if host.is_none_or(|rest| rest.is_empty() || rest.starts_with('/')) {
                problems.push((
                    "endpoint_url",
                    format!(
                        "{url:?} is not an endpoint URL: give http:// or https:// and a host, such as \
                         \"https://ec2.eu-central-1.amazonaws.com\"."
                    ),
                ));
            }
        }
        if let Some(arn) = &self.assume_role_arn {
            if !(arn.starts_with("arn:") && arn.contains(":role/")) {
                problems.push((
                    "assume_role_arn",
                    format!(
                        "{arn:?} is not an IAM role ARN such as \"arn:aws:iam::123456789012:role/audit\"."
                    ),
                ));
            }
        }
        problems
    }
}

/// A call that failed, naming the tier, the group and the EC2 call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The tier whose group was being read; `None` for configuration errors.
    pub tier: Option<String>,
    /// The group, when one was being read.
    pub group_id: Option<String>,
    /// The EC2 API call, or `configuration` before any call.
    pub call: String,
    /// What went wrong, with the service's error code when it sent one.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl ReadError {
    /// One line for people: the summary of a diagnostic or the CLI's error.
    pub fn summary(&self) -> String {
        match (&self.tier, &self.group_id) {
            (Some(tier), Some(group)) => {
                format!("{} failed for {group} (tier {tier})", self.call)
            }
            _ => format!("{} failed", self.call),
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.summary(), self.message)?;
        if !self.hint.is_empty() {
            write!(f, " {}", self.hint)?;
        }
        Ok(())
    }
}

/// Why an audit produced no report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditError {
    /// The tier to group map does not fit the selection; nothing was read.
    Groups(Vec<GroupsError>),
    /// Groups could not be read.
    Read(Vec<ReadError>),
}

/// Why an audit of an expansion produced no report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpansionAuditError {
    /// The rules the expansion requires do not fit the groups' quota.
    Rules(Vec<QuotaError>),
    /// The audit of those rules failed.
    Audit(AuditError),
}

/// Audits the groups of `groups` (tier name to security group ID) against the rules `shape` writes for
/// `expansion`, as the data source and the command line do: checks the map, reads the groups with `settings`
/// (giving up when `stop` fires), and compares. The expansion's and the rule set's warnings come first among the
/// report's.
pub fn audit_expansion(
    expansion: Expansion,
    shape: &AwsOptions,
    groups: &BTreeMap<String, String>,
    settings: &AwsSettings,
    options: &AuditOptions,
    stop: &CancellationToken,
) -> Result<AuditReport, ExpansionAuditError> {
    let rules = security_group_rules(&expansion, shape).map_err(ExpansionAuditError::Rules)?;
    let failed = ExpansionAuditError::Audit;
    check_groups(&rules, groups, options).map_err(|e| failed(AuditError::Groups(e)))?;
    let observed = read_groups(settings, groups, stop).map_err(|e| failed(AuditError::Read(e)))?;
    let mut report = compare::compare(&rules, groups, &observed, options);
    let mut warnings = expansion.warnings;
    warnings.extend(rules.warnings);
    warnings.append(&mut report.warnings);
    report.warnings = warnings;
    Ok(report)
}

/// The rules of `groups` (tier name to group ID) read from EC2, or one error per group that could not be read.
/// Blocks the calling thread; the calls run on a runtime of their own, so this works inside and outside async
/// code. Gives up with an error when `stop` fires or the whole read takes longer than [`AUDIT_DEADLINE`].
pub fn read_groups(
    settings: &AwsSettings,
    groups: &BTreeMap<String, String>,
    stop: &CancellationToken,
) -> Result<Vec<ObservedRule>, Vec<ReadError>> {
    #[cfg(feature = "aws-audit")]
    {
        ec2::read_groups_blocking(settings, groups, stop)
    }
    #[cfg(not(feature = "aws-audit"))]
    {
        let _ = (settings, groups, stop);
        Err(vec![ReadError {
            tier: None,
            group_id: None,
            call: "configuration".into(),
            message: "this portmatrix was built without the aws-audit feature, so it cannot read security \
                      groups."
                .into(),
            hint: "Use a release build, or build with `cargo build --features aws-audit`.".into(),
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_field_by_field() {
        assert!(AwsSettings::default().problems().is_empty());
        let good = AwsSettings {
            region: Some("us-east-1".into()),
            profile: Some("audit".into()),
            endpoint_url: Some("http://127.0.0.1:5000".into()),
            assume_role_arn: Some("arn:aws:iam::123456789012:role/audit".into()),
        };
        assert!(good.problems().is_empty(), "{:?}", good.problems());
        let bad = AwsSettings {
            region: Some("Frankfurt".into()),
            profile: None,
            endpoint_url: Some("127.0.0.1:5000".into()),
            assume_role_arn: Some("audit".into()),
        };
        let fields: Vec<&str> = bad.problems().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["region", "endpoint_url", "assume_role_arn"]);
        for profile in ["", "  ", " audit"] {
            let blank = AwsSettings {
                profile: Some(profile.into()),
                ..AwsSettings::default()
            };
            let fields: Vec<&str> = blank.problems().into_iter().map(|(f, _)| f).collect();
            assert_eq!(fields, ["profile"], "{profile:?}");
        }
    }

    #[test]
    fn errors_name_the_group_and_the_call() {
        let error = ReadError {
            tier: Some("worker".into()),
            group_id: Some("sg-0123".into()),
            call: "DescribeSecurityGroups".into(),
            message: "InvalidGroup.NotFound: The security group 'sg-0123' does not exist".into(),
            hint: "Check security_groups.".into(),
        };
        assert_eq!(
            error.to_string(),
            "DescribeSecurityGroups failed for sg-0123 (tier worker): InvalidGroup.NotFound: The security \
             group 'sg-0123' does not exist Check security_groups."
        );
    }

    #[cfg(not(feature = "aws-audit"))]
    #[test]
    fn without_the_feature_the_audit_says_so() {
        let errors = read_groups(
            &AwsSettings::default(),
            &BTreeMap::new(),
            &CancellationToken::new(),
        )
        .unwrap_err();
        assert!(errors[0].message.contains("aws-audit"), "{errors:?}");
    }
}
