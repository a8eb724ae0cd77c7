# Hetzner Cloud firewalls for a Kubernetes cluster running Calico and Longhorn, with every rule taken from the port
# tables those projects publish. One hcloud_firewall per tier, applied to the tier's servers by label.

terraform {
  required_version = ">= 1.0"

  required_providers {
    hcloud = {
      source  = "hetznercloud/hcloud"
      version = ">= 1.45"
    }
    portmatrix = {
      source = "portmatrix/portmatrix"
    }
  }
}

data "portmatrix_hcloud_firewall_rules" "cluster" {
  platform {
    name = "kubernetes"
  }

  # Hetzner firewalls take tcp, udp, icmp, gre and esp only: Calico's default IP-in-IP (IP protocol 4) cannot be
  # allowed, so this cluster uses VXLAN (UDP 4789).
  platform {
    name    = "calico"
    options = { encapsulation = "vxlan" }
  }

  platform {
    name    = "longhorn"
    version = var.longhorn_version
  }

  endpoint {
    name = "kubernetes-api-server"
    tier = "master"
  }

  # Kubernetes: "Used By: All" for the API server and NodePorts, besides the nodes themselves.
  endpoint {
    name      = "api-clients"
    cidr_ipv4 = var.api_client_cidrs_ipv4
    cidr_ipv6 = var.api_client_cidrs_ipv6
  }

  # Longhorn: "External Backupstore", e.g. a Storage Box or an S3 endpoint.
  endpoint {
    name      = "backupstore"
    cidr_ipv4 = var.backupstore_cidrs
  }

  api_server_port = 6443
  parameters = {
    backupstore_port = var.backupstore_port
  }

  # Hetzner rules name their peers by address: the addresses of each tier's servers.
  tier_ranges = var.tier_ranges

  # Out rules make a Hetzner firewall drop every other outbound packet.
  outbound_rules = var.outbound_rules
}

# One firewall per tier with addresses; the keys come from the variable, so they are known at plan time even when
# the addresses are not yet (for example primary IPs created in the same run).
resource "hcloud_firewall" "tier" {
  for_each = var.tier_ranges

  name = "${var.name}-${each.key}"

  dynamic "rule" {
    for_each = data.portmatrix_hcloud_firewall_rules.cluster.firewalls[each.key].rules
    content {
      direction       = rule.value.direction
      protocol        = rule.value.protocol
      port            = rule.value.port
      source_ips      = rule.value.source_ips
      destination_ips = rule.value.destination_ips
      description     = rule.value.description
    }
  }

  # Label the servers of a tier <name>-tier=<tier> (hcloud_server.labels).
  apply_to {
    label_selector = "${var.name}-tier=${each.key}"
  }
}
