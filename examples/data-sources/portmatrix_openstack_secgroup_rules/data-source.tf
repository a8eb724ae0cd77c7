# Neutron security groups for a Kubernetes cluster with Calico on OpenStack: one security group per tier, one
# openstack_networking_secgroup_rule_v2 per rule.
data "portmatrix_openstack_secgroup_rules" "cluster" {
  platform {
    name = "kubernetes"
  }

  platform {
    name = "calico" # IP-in-IP by default: the rules use IP protocol 4, which Neutron security groups accept
  }

  # Who may use the Kubernetes API ("All" in the Kubernetes table). NodePorts take an endpoint of their
  # own, "nodeport-clients".
  endpoint {
    name      = "api-clients"
    cidr_ipv4 = ["198.51.100.0/24"]
  }

  # An IPv4-only cluster: rules between tiers in IPv4 only, half as many (Neutron's default quota is 100 rules per
  # project).
  ethertypes = ["IPv4"]
}

# One security group per tier: master, worker and lb. Tier names are known at plan time, so are the keys.
resource "openstack_networking_secgroup_v2" "tier" {
  for_each = data.portmatrix_openstack_secgroup_rules.cluster.tiers

  name        = "k8s-${each.key}"
  description = "Kubernetes ${each.key} tier, rules from portmatrix"
}

locals {
  secgroup_ids = { for tier, group in openstack_networking_secgroup_v2.tier : tier => group.id }
}

# Each rule sits in the group of `tier`; its remote side is another tier's group or one CIDR block.
resource "openstack_networking_secgroup_rule_v2" "ingress" {
  for_each = data.portmatrix_openstack_secgroup_rules.cluster.ingress

  security_group_id = local.secgroup_ids[each.value.tier]
  direction         = each.value.direction # "ingress"
  ethertype         = each.value.ethertype # "IPv4" or "IPv6"
  protocol          = each.value.protocol  # "tcp", "udp", "icmp", "ipv6-icmp", or "4" (IP-in-IP) with null ports
  port_range_min    = each.value.port_range_min
  port_range_max    = each.value.port_range_max
  remote_group_id   = each.value.remote_tier == null ? null : local.secgroup_ids[each.value.remote_tier]
  remote_ip_prefix  = each.value.remote_ip_prefix
  description       = each.value.description # e.g. "portmatrix calico,kubernetes: ..."
}

# New Neutron groups allow all egress, so the egress rules are left out here. Apply them in the same way
# (for_each = ...egress) when your groups are created with delete_default_rules = true.

output "rule_counts" {
  value = data.portmatrix_openstack_secgroup_rules.cluster.tiers
}

output "warnings" {
  value = data.portmatrix_openstack_secgroup_rules.cluster.warnings
}
