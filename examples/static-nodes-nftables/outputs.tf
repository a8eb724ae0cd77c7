output "rulesets" {
  description = "The nftables ruleset of each tier."
  value       = data.portmatrix_nftables_ruleset.cluster.rulesets
}

output "warnings" {
  description = "Flows left out for a missing input: read them after every change."
  value       = data.portmatrix_nftables_ruleset.cluster.warnings
}
