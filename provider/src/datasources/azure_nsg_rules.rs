//! `portmatrix_azure_nsg_rules`: rules for `azurerm_network_security_rule`, keyed by rule name for `for_each`,
//! one application security group per tier and deterministic priorities.

use super::target_rules::TargetDataSource;
use crate::targets::azure::AzureTarget;

/// The `portmatrix_azure_nsg_rules` data source.
pub(crate) const fn azure_nsg_rules() -> TargetDataSource<AzureTarget> {
    TargetDataSource::new(
        "portmatrix_azure_nsg_rules",
        &AzureTarget,
        "Expands platform port tables into Azure network security rules for `azurerm_network_security_rule` \
         with `for_each`: one rule per direction, source, destination and protocol, holding every destination \
         port range. Each tier is an application security group; endpoints are address prefixes, one address \
         family per rule. Priorities are derived from a stable hash of each rule, so adding a platform keeps \
         the priorities of the rules already there. Keys are the rule names, known at plan time.",
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::cty::{Number, Value};

    #[test]
    fn result_conforms_to_the_schema_and_every_port_reads_star() {
        let value = read_conforming(
            &azure_nsg_rules(),
            &config_for(&azure_nsg_rules(), &[("deckhouse", &[])], &[]),
        );
        let rules = value.get_attr("rules").and_then(Value::as_map).unwrap();
        let icmp = &rules["pm-in-worker-to-master-icmp"];
        assert_eq!(str_attr(icmp, "protocol"), Some("Icmp"));
        assert_eq!(str_attr(icmp, "destination_port_range"), Some("*"));
        assert_eq!(icmp.get_attr("destination_port_ranges"), Some(&Value::Null));
        assert_eq!(str_attr(icmp, "source_tier"), Some("worker"));
        assert_eq!(icmp.get_attr("source_address_prefixes"), Some(&Value::Null));
    }

    #[test]
    fn ip_in_ip_is_an_error_on_unsupported_flows_and_bad_priorities_are_refused_early() {
        let calico = config_for(&azure_nsg_rules(), &[("kublr", &[("cni", "calico")])], &[]);
        let text = read_errors(&azure_nsg_rules(), &calico);
        assert!(
            text.contains("Flows Azure network security rules cannot express")
                && text.contains("Calico IP-in-IP"),
            "{text}"
        );

        assert!(validation(
            &azure_nsg_rules(),
            &config_for(
                &azure_nsg_rules(),
                &[("kublr", &[])],
                &[("first_priority", Value::number(Number::from(50u64)))],
            )
        )
        .contains("Invalid first_priority"));
    }
}
