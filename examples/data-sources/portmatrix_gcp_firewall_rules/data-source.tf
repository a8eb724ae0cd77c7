# VPC firewall rules for a Kubernetes cluster on GCP with Calico and Longhorn: one network tag per tier, one
# google_compute_firewall per direction and source/destination pair, with an allow block per protocol.
data "portmatrix_gcp_firewall_rules" "cluster" {
  platform {
    name = "kubernetes"
  }

  platform {
    name = "calico" # BGP 179, Typha 5473 and IP-in-IP, which GCP names "ipip" (a protocol, not port 4)
  }

  platform {
    name    = "longhorn"
    version = "1.6.0"
  }

  # Who may use the Kubernetes API ("All" in the Kubernetes table). NodePorts take an endpoint of their
  # own, "nodeport-clients".
  endpoint {
    name      = "api-clients"
    cidr_ipv4 = ["203.0.113.0/24"]
  }

  # Google's load balancer health checks reach kube-proxy's health port (10256).
  endpoint {
    name      = "load-balancers"
    cidr_ipv4 = ["35.191.0.0/16", "130.211.0.0/22"]
  }

  # Longhorn's backup target, and its "Kubernetes API server", which runs on the master tier.
  endpoint {
    name      = "backupstore"
    cidr_ipv4 = ["10.20.0.10/32"]
  }

  endpoint {
    name = "kubernetes-api-server"
    tier = "master"
  }

  # Longhorn's "User defined" ports. The image download server is left out: `warnings` names its flow.
  api_server_port = 6443
  parameters = {
    backupstore_port = 9000
  }

  # The tiers' subnets: GCP egress rules cannot name network tags as destinations.
  tier_ranges = {
    master = ["10.10.1.0/24"]
    worker = ["10.10.2.0/24"]
  }

  # Firewall rule names are unique per project: one prefix per cluster.
  name_prefix = "prod-"
  tag_prefix  = "prod-"
}

variable "network" {
  description = "The VPC network of the cluster's instances."
  type        = string
  default     = "prod-vpc"
}

resource "google_compute_firewall" "cluster" {
  for_each = data.portmatrix_gcp_firewall_rules.cluster.rules

  name        = each.key # e.g. "prod-in-worker-to-master"
  network     = var.network
  direction   = each.value.direction
  priority    = each.value.priority
  description = each.value.description

  # Unused lists are null, so the provider sees them unset.
  target_tags             = each.value.target_tags
  source_tags             = each.value.source_tags
  target_service_accounts = each.value.target_service_accounts
  source_service_accounts = each.value.source_service_accounts
  source_ranges           = each.value.source_ranges
  destination_ranges      = each.value.destination_ranges

  dynamic "allow" {
    for_each = each.value.allow
    content {
      protocol = allow.value.protocol # "tcp", "udp", "icmp", "ipip", "esp", ...
      ports    = allow.value.ports    # ["179", "5473", "6443"]; null for a whole protocol
    }
  }
}

# The network tag each tier's instances need: { lb = "prod-lb", master = "prod-master", worker = "prod-worker" }.
output "network_tags" {
  value = { for tier, t in data.portmatrix_gcp_firewall_rules.cluster.tiers : tier => t.network_tag }
}

output "warnings" {
  value = data.portmatrix_gcp_firewall_rules.cluster.warnings
}
