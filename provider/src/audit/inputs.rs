//! The audit's own inputs beside the AWS target's options, declared like a target's options (name, type,
//! default, description) so that every front end reads them alike, and checked before EC2 is called.

use super::AuditOptions;
use crate::targets::common::OptionError;
use crate::targets::target::{
    Literal, OptionValue, Options, Setting, Shape, TargetError, TargetOption,
};
use std::collections::BTreeMap;

/// `security_groups`.
pub const SECURITY_GROUPS: &str = "security_groups";
/// `audit_egress`.
pub const AUDIT_EGRESS: &str = "audit_egress";
/// `fail_on_excess`.
pub const FAIL_ON_EXCESS: &str = "fail_on_excess";

/// The audit's inputs, in the order they are documented.
pub fn options() -> Vec<TargetOption> {
    let group = Literal::Text("sg-0123456789abcdef0".into());
    vec![
        TargetOption::required(
            SECURITY_GROUPS,
            Shape::map(Shape::Text),
            format!(
                "The security group ID (`sg-…`) of each tier to audit, keyed by tier name, e.g. `{}`. Tiers \
                 left out are not audited, but every tier that audited rules reference must be given, so that \
                 rules referencing its group are recognised.",
                Setting::option_entry(SECURITY_GROUPS, "master", group),
            ),
        ),
        TargetOption::optional(
            AUDIT_EGRESS,
            Shape::Bool,
            Some("true"),
            format!(
                "Compare outbound rules too (default `true`). Set `{}` when your groups keep AWS's default \
                 allow-all egress rule and you apply only the `ingress` rules.",
                Setting::option_value(AUDIT_EGRESS, Literal::Bool(false)),
            ),
        ),
        TargetOption::optional(
            FAIL_ON_EXCESS,
            Shape::Bool,
            Some("false"),
            format!(
                "`{}` makes excess rules count against `compliant` as well. Off by default: groups often carry \
                 rules for other purposes (SSH from a bastion, application ports), which the audit lists without \
                 failing.",
                Setting::option_value(FAIL_ON_EXCESS, Literal::Bool(true)),
            ),
        ),
    ]
}

/// The audit options given; those not given take their defaults.
pub fn audit_options(options: &Options) -> AuditOptions {
    let defaults = AuditOptions::default();
    let flag = |name: &str, default: bool| match options.get(name) {
        Some(OptionValue::Bool(value)) => *value,
        _ => default,
    };
    AuditOptions {
        audit_egress: flag(AUDIT_EGRESS, defaults.audit_egress),
        fail_on_excess: flag(FAIL_ON_EXCESS, defaults.fail_on_excess),
    }
}

/// The tier to group map given.
pub fn security_groups(options: &Options) -> BTreeMap<String, String> {
    options.text_map(SECURITY_GROUPS)
}

/// Whether `id` reads as a security group ID (`sg-` and letters and digits), not a name.
pub fn check_group_id(id: &str) -> Result<(), String> {
    let valid = id
        .strip_prefix("sg-")
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not a security group ID: give the group's `sg-…` ID (its `id` attribute), not its name."
        ))
    }
}

/// The group IDs given that are no IDs, each an error on its tier's entry.
pub fn check(options: &Options) -> Vec<TargetError> {
    security_groups(options)
        .into_iter()
        .filter_map(|(tier, id)| {
            let detail = check_group_id(&id).err()?;
            let error = OptionError {
                option: SECURITY_GROUPS,
                key: Some(tier),
                summary: "Invalid security group ID".into(),
                detail,
            };
            Some(error.into())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_take_their_defaults_and_group_ids_are_checked() {
        let given = |values: &[(&str, OptionValue)]| Options {
            values: values
                .iter()
                .map(|(name, value)| (name.to_string(), value.clone()))
                .collect(),
            platform_order: Vec::new(),
        };
        assert_eq!(audit_options(&given(&[])), AuditOptions::default());
        let no_egress = given(&[(AUDIT_EGRESS, OptionValue::Bool(false))]);
        assert!(!audit_options(&no_egress).audit_egress);

        let groups = OptionValue::Map(BTreeMap::from([
            ("master".to_string(), OptionValue::Text("sg-0a1".into())),
            ("worker".to_string(), OptionValue::Text("workers".into())),
            ("lb".to_string(), OptionValue::Unknown),
        ]));
        let errors = check(&given(&[(SECURITY_GROUPS, groups)]));
        assert_eq!(errors.len(), 1);
        assert!(errors
            .iter()
            .all(|e| e.summary == "Invalid security group ID" && e.detail.contains("\"workers\"")));
        assert!(check_group_id("sg-").is_err());
    }
}
