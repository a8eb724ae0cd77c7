output "firewall_ids" {
  description = "The firewall of each tier."
  value       = { for tier, firewall in hcloud_firewall.tier : tier => firewall.id }
}

output "rule_counts" {
  description = "Rules and effective rules per firewall; Hetzner allows 50 and 500."
  value = {
    for tier, firewall in data.portmatrix_hcloud_firewall_rules.cluster.firewalls :
    tier => { rules = firewall.rule_count, effective = firewall.effective_rule_count }
  }
}

output "warnings" {
  description = "Flows skipped because an input is missing; read it after every change."
  value       = data.portmatrix_hcloud_firewall_rules.cluster.warnings
}
