output "security_group_ids" {
  description = "The security group of each tier, to put on the tier's ports or servers."
  value       = local.secgroup_ids
}

output "rule_counts" {
  description = "Rules per tier and direction; Neutron's default quota is 100 rules per project."
  value       = data.portmatrix_openstack_secgroup_rules.cluster.tiers
}

output "warnings" {
  description = "Flows skipped because an input is missing; read it after every change."
  value       = data.portmatrix_openstack_secgroup_rules.cluster.warnings
}
