output "security_group_ids" {
  description = "Security group of each tier: attach master to control-plane instances, worker to workers, lb to load balancers."
  value       = local.security_group_ids
}

output "rule_counts" {
  description = "Rules per tier, direction and address family, as AWS counts them against rules_per_group."
  value = {
    for tier, counts in data.portmatrix_aws_security_group_rules.cluster.tiers : tier => {
      ingress_ipv4 = counts.ingress_ipv4
      ingress_ipv6 = counts.ingress_ipv6
      egress_ipv4  = counts.egress_ipv4
      egress_ipv6  = counts.egress_ipv6
      limit        = counts.limit
    }
  }
}

output "warnings" {
  description = "Flows left out and why (usually an endpoint block or a port parameter to add). Read these after every change."
  value       = data.portmatrix_aws_security_group_rules.cluster.warnings
}
