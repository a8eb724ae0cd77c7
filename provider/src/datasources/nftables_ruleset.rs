//! `portmatrix_nftables_ruleset`: an nftables ruleset per tier for static and bare-metal nodes, and a
//! `#cloud-config` document that installs it.

use super::target_rules::TargetDataSource;
use crate::targets::nftables::NftablesTarget;

/// The `portmatrix_nftables_ruleset` data source.
pub(crate) const fn nftables_ruleset() -> TargetDataSource<NftablesTarget> {
    TargetDataSource::new(
        "portmatrix_nftables_ruleset",
        &NftablesTarget,
        "Expands platform port tables into an nftables ruleset per tier, for static and bare-metal nodes \
         (Deckhouse static nodes, Kublr bring-your-own-infrastructure clusters, kubeadm on your own machines). \
         Each ruleset is one `table inet portmatrix` whose input chain admits the flows the catalogs list \
         towards the tier, from named address sets of your tiers and endpoints, and drops the rest; \
         `cloud_init` wraps it in a `#cloud-config` document that installs it and loads it at every boot.",
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::cty::AttributePath;
    use crate::cty::Value;
    use crate::datasources::DataSource;
    use crate::diagnostics::Diagnostics;

    const TIER_ADDRESSES: &str = "tier_addresses";
    const INPUT_POLICY: &str = "input_policy";
    const OUTPUT_POLICY: &str = "output_policy";

    fn config(extra: &[(&str, Value)]) -> Value {
        let block = nftables_ruleset().schema().block;
        let platform = Value::object([
            ("name", Value::string("kublr")),
            ("version", Value::Null),
            ("options", Value::Null),
        ]);
        let addresses = Value::Map(
            [
                ("master", vec!["10.0.1.0/24"]),
                ("worker", vec!["10.0.2.0/24", "fd00:2::/64"]),
            ]
            .into_iter()
            .map(|(tier, list)| {
                (
                    tier.to_string(),
                    Value::List(list.into_iter().map(Value::string).collect()),
                )
            })
            .collect(),
        );
        let mut attributes = vec![
            ("platform".to_string(), Value::List(vec![platform])),
            (TIER_ADDRESSES.to_string(), addresses),
        ];
        for (name, value) in extra {
            attributes.retain(|(k, _)| k != name);
            attributes.push((name.to_string(), value.clone()));
        }
        block.complete(Value::Object(attributes.into_iter().collect()))
    }

    #[test]
    fn result_conforms_to_the_schema_with_a_ruleset_per_tier() {
        let value = read_conforming(&nftables_ruleset(), &config(&[]));
        let rulesets = value.get_attr("rulesets").and_then(Value::as_map).unwrap();
        assert_eq!(
            rulesets.keys().collect::<Vec<_>>(),
            ["lb", "master", "worker"],
            "Kublr places its master and ingress LB roles on lb"
        );
        assert!(
            !rulesets["lb"].as_str().unwrap().contains(" dport "),
            "no flow reaches the LBs while the LB options are off"
        );
        let worker = rulesets["worker"].as_str().unwrap();
        assert!(
            worker.contains("ip saddr @tier_master_v4 tcp dport 10250 accept"),
            "{worker}"
        );
        let cloud_init = value
            .get_attr("cloud_init")
            .and_then(Value::as_map)
            .unwrap();
        assert!(cloud_init["master"]
            .as_str()
            .unwrap()
            .starts_with("#cloud-config\n"));
        // A result's texts spell settings as Terraform attributes (terraform_terms::terraform_text).
        let warnings = format!("{:?}", value.get_attr("warnings"));
        assert!(warnings.contains("pod_cidrs is empty"), "{warnings}");
    }

    #[test]
    fn bad_inputs_point_at_the_attribute_to_fix() {
        let bad = config(&[
            (INPUT_POLICY, Value::string("reject")),
            (OUTPUT_POLICY, Value::string("deny")),
        ]);
        let text = validation(&nftables_ruleset(), &bad);
        assert!(text.contains("Invalid input_policy"), "{text}");
        assert!(text.contains("Invalid output_policy"), "{text}");

        let addresses = Value::Map(
            [(
                "worker".to_string(),
                Value::List(vec![Value::unknown(), Value::string("10.0.2.1/24")]),
            )]
            .into_iter()
            .collect(),
        );
        let mut diagnostics = Diagnostics::default();
        validate_config(
            &nftables_ruleset(),
            &config(&[(TIER_ADDRESSES, addresses)]),
            &mut diagnostics,
        );
        let text = format!("{diagnostics:?}");
        assert_eq!(
            diagnostics.len(),
            1,
            "the unknown element is not judged: {text}"
        );
        let error = diagnostics.iter().next().unwrap();
        // Terraform resolves `tier_addresses["worker"]` to its source line, not a path one index deeper.
        assert_eq!(
            error.attribute,
            Some(AttributePath::root().attr(TIER_ADDRESSES).key("worker"))
        );
        assert!(
            error
                .detail
                .starts_with("tier_addresses[\"worker\"][1]: \"10.0.2.1/24\" has host bits set"),
            "{}",
            error.detail
        );

        let only_master = Value::Map(
            [(
                "master".to_string(),
                Value::List(vec![Value::string("10.0.1.0/24")]),
            )]
            .into_iter()
            .collect(),
        );
        let text = read_errors(
            &nftables_ruleset(),
            &config(&[(TIER_ADDRESSES, only_master)]),
        );
        assert!(text.contains("Tier without addresses"), "{text}");
        assert!(text.contains("worker->master:tcp:443"), "{text}");
    }
}
