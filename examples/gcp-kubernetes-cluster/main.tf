# VPC firewall rules for a self-managed Kubernetes cluster on GCP running Calico and Longhorn, with every rule taken
# from the port tables those projects publish. Each tier (master, worker, lb) is a network tag; each rule is one
# google_compute_firewall, keyed by its name, so adding a platform or an address only adds or updates rules.

terraform {
  required_version = ">= 1.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 4.0"
    }
    portmatrix = {
      source = "portmatrix/portmatrix"
    }
  }
}

variable "project" {
  description = "The GCP project."
  type        = string
}

variable "network" {
  description = "The VPC network of the cluster's instances."
  type        = string
}

variable "cluster_name" {
  description = "Prefix of rule names and network tags; firewall rule names are unique per project."
  type        = string
  default     = "k8s-"
}

variable "api_client_cidrs" {
  description = "Who may use the Kubernetes API (6443) and the NodePorts (Kubernetes: \"Used By: All\")."
  type        = list(string)
  default     = []
}

variable "tier_ranges" {
  description = "Subnets of the master and worker instances, for egress rules between tiers (empty: no such rules)."
  type        = map(list(string))
  default     = {}
}

variable "backupstore_cidrs" {
  description = "Longhorn's external backupstore (S3 or NFS)."
  type        = list(string)
  default     = []
}

variable "backupstore_port" {
  description = "Longhorn's backupstore port: its table says \"User defined\"."
  type        = number
  default     = 443
}

provider "google" {
  project = var.project
}

data "portmatrix_gcp_firewall_rules" "cluster" {
  platform {
    name = "kubernetes"
  }

  platform {
    name = "calico" # IP-in-IP by default: allow { protocol = "ipip" }, IP protocol 4
  }

  platform {
    name    = "longhorn"
    version = "1.6.0"
  }

  endpoint {
    name      = "api-clients"
    cidr_ipv4 = var.api_client_cidrs
  }

  # Google's health checkers, for kube-proxy's health port 10256 ("Used By: Load balancers").
  endpoint {
    name      = "load-balancers"
    cidr_ipv4 = ["35.191.0.0/16", "130.211.0.0/22"]
  }

  endpoint {
    name      = "backupstore"
    cidr_ipv4 = var.backupstore_cidrs
  }

  # Longhorn's "Kubernetes API server" is the master tier.
  endpoint {
    name = "kubernetes-api-server"
    tier = "master"
  }

  api_server_port = 6443
  parameters = {
    backupstore_port = var.backupstore_port
  }

  tier_ranges = var.tier_ranges
  name_prefix = var.cluster_name
  tag_prefix  = var.cluster_name
}

resource "google_compute_firewall" "cluster" {
  for_each = data.portmatrix_gcp_firewall_rules.cluster.rules

  name        = each.key
  network     = var.network
  direction   = each.value.direction
  priority    = each.value.priority
  description = each.value.description

  target_tags             = each.value.target_tags
  source_tags             = each.value.source_tags
  target_service_accounts = each.value.target_service_accounts
  source_service_accounts = each.value.source_service_accounts
  source_ranges           = each.value.source_ranges
  destination_ranges      = each.value.destination_ranges

  dynamic "allow" {
    for_each = each.value.allow
    content {
      protocol = allow.value.protocol
      ports    = allow.value.ports
    }
  }
}

# Put these tags on the instances (google_compute_instance_template.tags) of each tier.
output "network_tags" {
  value = { for tier, t in data.portmatrix_gcp_firewall_rules.cluster.tiers : tier => t.network_tag }
}

# Inputs still missing: an endpoint without addresses, a port parameter, ranges for egress between tiers.
output "warnings" {
  value = data.portmatrix_gcp_firewall_rules.cluster.warnings
}
