//! The `provider "portmatrix"` block: its schema, its checks, and the settings Terraform configures it with.
//!
//! The catalogs are built in, so the only settings are the optional `aws` block's, which say where and as whom
//! `portmatrix_aws_security_group_audit` reads security groups. Credentials are not settings: they come from the
//! standard AWS chain, so they never reach Terraform's configuration, state or logs.

use crate::audit::AwsSettings;
use crate::cty::AttributePath;
use crate::cty::{CtyType, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::schema::{Attribute, Block, NestedBlock, Schema};

const AWS: &str = "aws";

/// The `aws` block's settings, all optional text: each name and description.
const AWS_SETTINGS: [(&str, &str); 4] = [
    (
        "region",
        "AWS region of the security groups, such as `eu-central-1`. Unset: `AWS_REGION`, else the profile's \
         region.",
    ),
    (
        "profile",
        "Named profile of the shared config files (`~/.aws/config`). Unset: `AWS_PROFILE`, else `default`.",
    ),
    (
        "endpoint_url",
        "EC2 endpoint to call instead of AWS's: an EC2-compatible API, a VPC endpoint or a test server, such as \
         `http://127.0.0.1:5000`. Only EC2 calls go there; STS (for `assume_role_arn`) stays AWS's.",
    ),
    (
        "assume_role_arn",
        "IAM role to assume, through STS, with the chain's credentials before reading, such as \
         `arn:aws:iam::123456789012:role/audit`. The role needs `ec2:DescribeSecurityGroups` and \
         `ec2:DescribeSecurityGroupRules`.",
    ),
];

/// What the provider block configures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderSettings {
    /// The `aws` block; all unset when the block is absent.
    pub aws: AwsSettings,
}

/// The provider block's schema.
pub fn schema() -> Schema {
    let aws = Block::new(
        "Where and as whom `portmatrix_aws_security_group_audit` reads security groups. Credentials come from the \
         standard AWS chain (environment variables, shared config and credentials files, SSO, \
         `credential_process`, web identity, container and instance roles); they are never part of the \
         configuration, the state or the logs. The audit only calls `DescribeSecurityGroups` and \
         `DescribeSecurityGroupRules`.",
    );
    let aws = AWS_SETTINGS
        .into_iter()
        .fold(aws, |block, (name, description)| {
            block.attribute(Attribute::optional(name, CtyType::String, description))
        });
    let block = Block::new(
        "The portmatrix provider: its catalogs are built in. The optional `aws` block configures the live \
         audit of security groups; the other data sources need no configuration and no network.",
    )
    .block(NestedBlock::single(AWS, aws));
    Schema::new(0, block)
}

/// The `aws` block's settings as far as they are known, and diagnostics for those that are wrong.
fn aws_settings(config: &Value) -> (AwsSettings, Diagnostics) {
    let mut diagnostics = Diagnostics::default();
    let Some(aws) = config.get_attr(AWS).filter(|block| !block.is_null()) else {
        return (AwsSettings::default(), diagnostics);
    };
    // Unknown values (during validation) read as unset.
    let text = |name: &str| {
        aws.get_attr(name)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let settings = AwsSettings {
        region: text("region"),
        profile: text("profile"),
        endpoint_url: text("endpoint_url"),
        assume_role_arn: text("assume_role_arn"),
    };
    for (field, message) in settings.problems() {
        diagnostics.push(
            Diagnostic::error(format!("Invalid {field}"), message)
                .at(AttributePath::root().attr(AWS).attr(field)),
        );
    }
    (settings, diagnostics)
}

/// Checks what is already known of a provider configuration.
pub fn validate(config: &Value) -> Diagnostics {
    aws_settings(config).1
}

/// The settings of a provider configuration, or the diagnostics that refuse it.
pub fn settings(config: &Value) -> Result<ProviderSettings, Diagnostics> {
    let (aws, diagnostics) = aws_settings(config);
    if diagnostics.has_errors() {
        Err(diagnostics)
    } else {
        Ok(ProviderSettings { aws })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(aws: Option<Value>) -> Value {
        schema()
            .block
            .complete(Value::object([(AWS, aws.unwrap_or(Value::Null))]))
    }

    #[test]
    fn no_aws_block_means_the_default_chain() {
        assert_eq!(settings(&config(None)), Ok(ProviderSettings::default()));
        assert_eq!(schema().block.validate(), Ok(()));
    }

    #[test]
    fn the_aws_block_is_read_and_checked() {
        let aws = Value::object([
            ("region", Value::string("us-east-1")),
            ("profile", Value::Null),
            ("endpoint_url", Value::string("http://127.0.0.1:5000")),
            ("assume_role_arn", Value::Null),
        ]);
        let read = settings(&config(Some(aws))).expect("valid");
        assert_eq!(read.aws.region.as_deref(), Some("us-east-1"));
        assert_eq!(
            read.aws.endpoint_url.as_deref(),
            Some("http://127.0.0.1:5000")
        );

        let bad = Value::object([
            ("region", Value::unknown()),
            ("profile", Value::Null),
            ("endpoint_url", Value::string("ec2.local")),
            ("assume_role_arn", Value::Null),
        ]);
        let diagnostics = validate(&config(Some(bad)));
        let text = format!("{diagnostics:?}");
        assert_eq!(diagnostics.len(), 1, "{text}");
        assert!(text.contains("Invalid endpoint_url"), "{text}");
        assert!(text.contains("endpoint_url"), "{text}");
    }
}
