//! `portmatrix_aws_security_group_rules`: rules for `aws_vpc_security_group_ingress_rule` and
//! `aws_vpc_security_group_egress_rule`, keyed for `for_each`, one security group per tier.

use super::target_rules::TargetDataSource;
use crate::targets::aws::AwsTarget;

/// The `portmatrix_aws_security_group_rules` data source.
pub(crate) const fn aws_security_group_rules() -> TargetDataSource<AwsTarget> {
    TargetDataSource::new(
        "portmatrix_aws_security_group_rules",
        &AwsTarget,
        "Expands platform port tables into AWS security group rules, one security group per tier, shaped for \
         `aws_vpc_security_group_ingress_rule` and `aws_vpc_security_group_egress_rule` with `for_each`. Keys \
         are built from tier names, protocols, ports and endpoint addresses (never from group IDs), so they are \
         known at plan time. Rule counts are checked against AWS's per-group quota.",
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::cty::{Number, Value};
    use crate::datasources::DataSource;
    use crate::diagnostics::Diagnostics;
    use crate::targets::aws::{RULES_PER_GROUP, WIDEN_TO_FIT};

    fn config(extra: &[(&str, Value)]) -> Value {
        let block = aws_security_group_rules().schema().block;
        super::super::test_support::test_config(&block, &[("kublr", &[])], extra)
    }

    #[test]
    fn malformed_prefix_list_ids_are_refused_at_validation_at_their_index() {
        let endpoint = |ids: Vec<Value>| {
            Value::List(vec![Value::object([
                ("name", Value::string("internet")),
                ("prefix_list_ids", Value::List(ids)),
            ])])
        };
        let ids = || {
            vec![
                Value::string("xyz"),
                Value::string("pl-"),
                Value::string("pl-63a5400a"),
                Value::string("pl-ZZZ"),
            ]
        };
        let expected = [
            "endpoint[0].prefix_list_ids[0]",
            "endpoint[0].prefix_list_ids[1]",
            "endpoint[0].prefix_list_ids[3]",
        ];
        // Known IDs are judged while the rest of the configuration is still unknown...
        let mut with_unknowns = ids();
        with_unknowns.push(Value::unknown());
        let mut diagnostics = Diagnostics::default();
        validate_config(
            &aws_security_group_rules(),
            &config(&[
                ("endpoint", endpoint(with_unknowns)),
                (RULES_PER_GROUP, Value::unknown()),
            ]),
            &mut diagnostics,
        );
        assert_eq!(error_paths(&diagnostics), expected, "{diagnostics:?}");
        let first = diagnostics.errors().next().unwrap();
        assert_eq!(first.summary, "Invalid prefix list ID \"xyz\"");
        assert!(first.detail.contains("\"pl-63a5400a\""), "{}", first.detail);
        // ...and once, not again by the read, when all is known.
        let mut diagnostics = Diagnostics::default();
        let known = config(&[("endpoint", endpoint(ids()))]);
        validate_config(&aws_security_group_rules(), &known, &mut diagnostics);
        assert_eq!(error_paths(&diagnostics), expected, "{diagnostics:?}");
    }

    #[test]
    fn result_conforms_to_the_schema_and_keys_are_readable() {
        let value = read_conforming(&aws_security_group_rules(), &config(&[]));
        let ingress = value.get_attr("ingress").and_then(Value::as_map).unwrap();
        let kubelet = &ingress["worker:tcp:10250:master"];
        assert_eq!(str_attr(kubelet, "source_tier"), Some("master"));
        assert_eq!(str_attr(kubelet, "ip_protocol"), Some("tcp"));
    }

    #[test]
    fn a_tight_quota_is_an_error_on_rules_per_group() {
        let small = config(&[(RULES_PER_GROUP, Value::number(Number::from(2u64)))]);
        let text = read_errors(&aws_security_group_rules(), &small);
        assert!(
            text.contains("Security group rule quota exceeded"),
            "{text}"
        );
        assert!(text.contains("kublr ("), "{text}");
        assert!(text.contains("rules_per_group"), "{text}");

        let mut diagnostics = Diagnostics::default();
        let widen = config(&[
            (RULES_PER_GROUP, Value::number(Number::from(4u64))),
            (WIDEN_TO_FIT, Value::Bool(true)),
        ]);
        let outcome = aws_security_group_rules().read(&widen, &mut diagnostics);
        let text = format!("{diagnostics:?}");
        assert!(
            outcome.is_some() || text.contains("cannot bring it under the limit"),
            "{text}"
        );
    }

    #[test]
    fn an_impossible_quota_is_refused_during_validation() {
        let zero = config(&[(RULES_PER_GROUP, Value::number(Number::from(0u64)))]);
        assert!(validation(&aws_security_group_rules(), &zero).contains("Invalid rules_per_group"));
    }
}
