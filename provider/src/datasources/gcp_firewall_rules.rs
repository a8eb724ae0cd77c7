//! `portmatrix_gcp_firewall_rules`: rules for `google_compute_firewall`, keyed by rule name for `for_each`, one
//! network tag (or service account) per tier.

use super::target_rules::TargetDataSource;
use crate::targets::gcp::GcpTarget;

/// The `portmatrix_gcp_firewall_rules` data source.
pub(crate) const fn gcp_firewall_rules() -> TargetDataSource<GcpTarget> {
    TargetDataSource::new(
        "portmatrix_gcp_firewall_rules",
        &GcpTarget,
        "Expands platform port tables into GCP VPC firewall rules for `google_compute_firewall` with \
         `for_each`: one rule per direction, source and destination, holding an `allow` block per protocol with \
         its ports. Each tier is a network tag (or a service account); endpoints are CIDR ranges, one address \
         family per rule. Keys are the rule names, built from the tier and endpoint names, so they are known at \
         plan time.",
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::cty::{Number, Value};

    #[test]
    fn result_conforms_to_the_schema_and_names_are_keys() {
        let value = read_conforming(
            &gcp_firewall_rules(),
            &config_for(
                &gcp_firewall_rules(),
                &[("kublr", &[("cni", "calico")])],
                &[],
            ),
        );
        let rules = value.get_attr("rules").and_then(Value::as_map).unwrap();
        let inbound = &rules["pm-in-worker-to-master"];
        assert_eq!(str_attr(inbound, "name"), Some("pm-in-worker-to-master"));
        assert_eq!(str_attr(inbound, "direction"), Some("INGRESS"));
        assert_eq!(inbound.get_attr("source_ranges"), Some(&Value::Null));
        let protocols: Vec<&str> = elements(inbound, "allow")
            .iter()
            .filter_map(|a| str_attr(a, "protocol"))
            .collect();
        assert_eq!(protocols, ["tcp", "udp", "ipip"]);
    }

    #[test]
    fn typed_icmp_is_an_error_on_unsupported_flows_and_bad_options_are_refused_early() {
        let cilium = config_for(&gcp_firewall_rules(), &[("cilium", &[])], &[]);
        let text = read_errors(&gcp_firewall_rules(), &cilium);
        assert!(
            text.contains("Flows GCP firewall rules cannot express"),
            "{text}"
        );
        assert!(text.contains("unsupported_flows"), "{text}");

        let text = validation(
            &gcp_firewall_rules(),
            &config_for(
                &gcp_firewall_rules(),
                &[("kublr", &[])],
                &[
                    ("unsupported_flows", Value::string("allow")),
                    ("priority", Value::number(Number::from(70000u64))),
                ],
            ),
        );
        assert!(
            text.contains("Invalid unsupported_flows") && text.contains("Invalid priority"),
            "{text}"
        );
    }
}
