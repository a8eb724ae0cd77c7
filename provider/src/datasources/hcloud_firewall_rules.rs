//! `portmatrix_hcloud_firewall_rules`: the `rule` blocks of one `hcloud_firewall` per tier.

use super::target_rules::TargetDataSource;
use crate::targets::hcloud::HcloudTarget;

/// The `portmatrix_hcloud_firewall_rules` data source.
pub(crate) const fn hcloud_firewall_rules() -> TargetDataSource<HcloudTarget> {
    TargetDataSource::new(
        "portmatrix_hcloud_firewall_rules",
        &HcloudTarget,
        "Expands platform port tables into Hetzner Cloud firewall rules, one `hcloud_firewall` per tier, as \
         lists for its `rule` blocks. Hetzner rules name their peers by IP address only, so rules between \
         tiers take the tiers' addresses from `tier_ranges`; one rule holds every address allowed the same \
         protocol and port. Rule counts are checked against Hetzner's limits per firewall.",
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

    const TIER_RANGES: &str = "tier_ranges";
    const UNSUPPORTED_FLOWS: &str = "unsupported_flows";

    fn ranges() -> Value {
        Value::Map(
            [
                ("master", "10.0.1.0/24"),
                ("worker", "10.0.2.0/24"),
                ("lb", "10.0.3.0/24"),
            ]
            .into_iter()
            .map(|(tier, block)| (tier.to_string(), Value::List(vec![Value::string(block)])))
            .collect(),
        )
    }

    fn config(options: &[(&str, &str)], extra: &[(&str, Value)]) -> Value {
        let block = hcloud_firewall_rules().schema().block;
        super::super::test_support::test_config(&block, &[("kublr", options)], extra)
    }

    #[test]
    fn a_range_with_host_bits_is_refused_by_the_read_at_its_tier() {
        let mut ranges = ranges();
        if let Value::Map(map) = &mut ranges {
            map.insert(
                "master".into(),
                Value::List(vec![Value::string("10.0.1.7/24")]),
            );
        }
        // Checked with the expansion, so by the read (during plan), not by validation.
        let config = config(&[], &[(TIER_RANGES, ranges)]);
        let diagnostics = refused_by_the_read_only(&hcloud_firewall_rules(), &config);
        let errors: Vec<_> = diagnostics.errors().collect();
        assert_eq!(errors.len(), 1, "{diagnostics:?}");
        assert_eq!(errors[0].summary, "Invalid range for tier \"master\"");
        assert_eq!(
            errors[0].attribute,
            Some(AttributePath::root().attr(TIER_RANGES).key("master"))
        );
    }

    #[test]
    fn result_conforms_to_the_schema_and_rules_are_per_port() {
        let value = read_conforming(
            &hcloud_firewall_rules(),
            &config(&[], &[(TIER_RANGES, ranges())]),
        );
        let master = &value.get_attr("firewalls").and_then(Value::as_map).unwrap()["master"];
        let rules = elements(master, "rules");
        let kubelet = rules
            .iter()
            .find(|r| str_attr(r, "key") == Some("master:in:tcp:10250"))
            .expect("kubelet rule");
        assert_eq!(
            kubelet.get_attr("source_ips"),
            Some(&Value::List(vec![
                Value::string("10.0.1.0/24"),
                Value::string("10.0.2.0/24")
            ]))
        );
        assert_eq!(
            kubelet.get_attr("destination_ips"),
            Some(&Value::List(Vec::new()))
        );
    }

    #[test]
    fn private_tier_ranges_give_one_warning_and_public_ones_none() {
        let warnings = |ranges: Value| -> Vec<String> {
            let mut diagnostics = Diagnostics::default();
            let config = config(&[], &[(TIER_RANGES, ranges)]);
            let value =
                read_value(&hcloud_firewall_rules(), &config, &mut diagnostics).expect("rules");
            assert!(!diagnostics.has_errors(), "{diagnostics:?}");
            value
                .get_attr("warnings")
                .and_then(Value::as_elements)
                .unwrap_or_default()
                .iter()
                .filter_map(|w| w.as_str().map(str::to_string))
                .collect()
        };
        let private = warnings(ranges());
        let about_private = |w: &&String| w.contains("private");
        assert_eq!(
            private.iter().filter(about_private).count(),
            1,
            "{private:?}"
        );
        // After the expansion's warnings (Kublr's endpoints without addresses).
        let last = private.last().cloned().unwrap_or_default();
        assert!(
            last.starts_with(
                "Hetzner Cloud Firewalls filter the servers' public interfaces only, not Hetzner private Networks"
            ) && last.contains("tier \"master\" (10.0.1.0/24), tier \"worker\" (10.0.2.0/24)"),
            "{private:?}"
        );
        let public = Value::Map(
            [
                ("master", "203.0.113.0/28"),
                ("worker", "198.51.100.0/24"),
                ("lb", "192.0.2.0/24"),
            ]
            .into_iter()
            .map(|(tier, block)| (tier.to_string(), Value::List(vec![Value::string(block)])))
            .collect(),
        );
        assert_eq!(warnings(public), private[..private.len() - 1]);
    }

    #[test]
    fn errors_point_at_the_argument_that_fixes_them() {
        let text = read_errors(&hcloud_firewall_rules(), &config(&[], &[]));
        assert!(text.contains("has no address ranges"), "{text}");
        assert!(text.contains("tier_ranges"), "{text}");

        let mut diagnostics = Diagnostics::default();
        let ipip = hcloud_firewall_rules().read(
            &config(&[("cni", "calico")], &[(TIER_RANGES, ranges())]),
            &mut diagnostics,
        );
        assert!(ipip.is_none());
        let text = format!("{diagnostics:?}");
        assert!(text.contains("not IP protocol 4"), "{text}");
        assert!(text.contains("unsupported_flows"), "{text}");

        let invalid = config(&[], &[(UNSUPPORTED_FLOWS, Value::string("allow"))]);
        assert!(
            validation(&hcloud_firewall_rules(), &invalid).contains("Invalid unsupported_flows")
        );
    }
}
