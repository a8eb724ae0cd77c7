//! `portmatrix_openstack_secgroup_rules`: rules for `openstack_networking_secgroup_rule_v2`, keyed for
//! `for_each`, one Neutron security group per tier.

use super::target_rules::TargetDataSource;
use crate::targets::openstack::OpenStackTarget;

/// The `portmatrix_openstack_secgroup_rules` data source.
pub(crate) const fn openstack_secgroup_rules() -> TargetDataSource<OpenStackTarget> {
    TargetDataSource::new(
        "portmatrix_openstack_secgroup_rules",
        &OpenStackTarget,
        "Expands platform port tables into OpenStack Neutron security group rules, one security group per \
         tier, shaped for `openstack_networking_secgroup_rule_v2` with `for_each`. Rules between tiers \
         reference the peer tier's group (`remote_group_id`), once per address family; rules with endpoints \
         use `remote_ip_prefix`, once per CIDR block. Keys are built from tier names, protocols, ports and \
         addresses (never from group IDs), so they are known at plan time.",
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::cty::Value;
    use crate::datasources::DataSource;
    use crate::diagnostics::Diagnostics;

    fn config(platform: &str, options: &[(&str, &str)], extra: &[(&str, Value)]) -> Value {
        let block = openstack_secgroup_rules().schema().block;
        super::super::test_support::test_config(&block, &[(platform, options)], extra)
    }

    #[test]
    fn result_conforms_to_the_schema_and_keys_are_readable() {
        let value = read_conforming(
            &openstack_secgroup_rules(),
            &config("kublr", &[("cni", "calico")], &[]),
        );
        let ingress = value.get_attr("ingress").and_then(Value::as_map).unwrap();
        let kubelet = &ingress["worker:IPv6:tcp:10250:master"];
        assert_eq!(str_attr(kubelet, "remote_tier"), Some("master"));
        assert_eq!(str_attr(kubelet, "direction"), Some("ingress"));
        let ipip = &ingress["worker:IPv4:4:all:master"];
        assert_eq!(ipip.get_attr("port_range_min"), Some(&Value::Null));
    }

    #[test]
    fn icmp_type_zero_is_an_error_on_unsupported_flows() {
        let text = read_errors(&openstack_secgroup_rules(), &config("cilium", &[], &[]));
        assert!(text.contains("icmp type 0"), "{text}");
        assert!(text.contains("unsupported_flows"), "{text}");

        let mut diagnostics = Diagnostics::default();
        let value = read_value(
            &openstack_secgroup_rules(),
            &config(
                "cilium",
                &[],
                &[("unsupported_flows", Value::string("widen"))],
            ),
            &mut diagnostics,
        )
        .expect("widened");
        let widened = elements(&value, "widened");
        assert!(!widened.is_empty());
    }

    #[test]
    fn bad_options_are_refused_during_validation() {
        let text = validation(
            &openstack_secgroup_rules(),
            &config(
                "kublr",
                &[],
                &[
                    (
                        "ethertypes",
                        Value::List(vec![Value::string("IPv4"), Value::string("ipv6")]),
                    ),
                    ("unsupported_flows", Value::string("ignore")),
                ],
            ),
        );
        assert!(text.contains("Invalid ethertype"), "{text}");
        assert!(text.contains("Invalid unsupported_flows"), "{text}");
    }
}
