# Hetzner Cloud firewalls for a Kubernetes cluster with Calico: one hcloud_firewall per tier, its rule blocks
# from the port tables, applied to the servers by label.
variable "tier_ranges" {
  description = "The addresses of each tier's servers as the firewalls see them, e.g. their public IPv4 /32s."
  type        = map(list(string))
  default = {
    master = ["203.0.113.10/32", "203.0.113.11/32", "203.0.113.12/32"]
    worker = ["198.51.100.0/27"]
  }
}

data "portmatrix_hcloud_firewall_rules" "cluster" {
  platform {
    name = "kubernetes"
  }

  # Calico with VXLAN (UDP 4789): Hetzner firewalls take tcp, udp, icmp, gre and esp only, so IP-in-IP
  # (IP protocol 4, Calico's default) could not be allowed between the nodes.
  platform {
    name    = "calico"
    options = { encapsulation = "vxlan" }
  }

  # Who may use the Kubernetes API ("All" in the Kubernetes table). NodePorts take an endpoint of their
  # own, "nodeport-clients".
  endpoint {
    name      = "api-clients"
    cidr_ipv4 = ["0.0.0.0/0"]
    cidr_ipv6 = ["::/0"]
  }

  # Hetzner rules name their peers by address only: every tier that is a peer needs its blocks here.
  tier_ranges = var.tier_ranges
}

# One firewall per tier with addresses. The keys come from the variable, known at plan time even when the
# addresses themselves are not yet.
resource "hcloud_firewall" "tier" {
  for_each = var.tier_ranges

  name = "k8s-${each.key}"

  dynamic "rule" {
    for_each = data.portmatrix_hcloud_firewall_rules.cluster.firewalls[each.key].rules
    content {
      direction       = rule.value.direction # "in"
      protocol        = rule.value.protocol  # "tcp", "udp", "icmp", "gre" or "esp"
      port            = rule.value.port      # "6443", "30000-32767", or null
      source_ips      = rule.value.source_ips
      destination_ips = rule.value.destination_ips
      description     = rule.value.description
    }
  }

  # The servers of a tier carry the label k8s-tier=<tier>.
  apply_to {
    label_selector = "k8s-tier=${each.key}"
  }
}

output "rule_counts" {
  value = {
    for tier, firewall in data.portmatrix_hcloud_firewall_rules.cluster.firewalls :
    tier => { rules = firewall.rule_count, effective = firewall.effective_rule_count }
  }
}

output "warnings" {
  value = data.portmatrix_hcloud_firewall_rules.cluster.warnings
}
