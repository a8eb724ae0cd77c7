# Network security rules for a Kubernetes cluster on Azure with Calico and Longhorn: one application security
# group per tier, one NSG for the cluster's subnet, one azurerm_network_security_rule per rule.
data "portmatrix_azure_nsg_rules" "cluster" {
  platform {
    name = "kubernetes"
  }

  # Azure rules cannot name IP-in-IP (IP protocol 4), Calico's default encapsulation: VXLAN (UDP 4789) can be
  # written exactly. Keeping IP-in-IP needs unsupported_flows = "widen" (protocol "*" between the tiers).
  platform {
    name    = "calico"
    options = { encapsulation = "vxlan" }
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

  # Keep 4096 free for a deny-all rule of your own.
  last_priority = 4095
}

variable "resource_group_name" {
  description = "Resource group of the cluster's network."
  type        = string
  default     = "k8s-prod"
}

variable "location" {
  description = "Azure region of the cluster."
  type        = string
  default     = "westeurope"
}

# One application security group per tier (master, worker, lb). Add each VM's network interface to its tier's
# group with azurerm_network_interface_application_security_group_association.
resource "azurerm_application_security_group" "tier" {
  for_each = data.portmatrix_azure_nsg_rules.cluster.tiers

  name                = "k8s-${each.key}"
  location            = var.location
  resource_group_name = var.resource_group_name
}

resource "azurerm_network_security_group" "cluster" {
  name                = "k8s-cluster"
  location            = var.location
  resource_group_name = var.resource_group_name
}

resource "azurerm_network_security_rule" "cluster" {
  for_each = data.portmatrix_azure_nsg_rules.cluster.rules

  name                        = each.key # e.g. "pm-in-worker-to-master-tcp"
  resource_group_name         = var.resource_group_name
  network_security_group_name = azurerm_network_security_group.cluster.name
  direction                   = each.value.direction
  priority                    = each.value.priority # stable when a platform block is appended
  access                      = "Allow"
  protocol                    = each.value.protocol # "Tcp", "Udp", "Icmp", "Esp", "Ah"
  description                 = each.value.description

  source_port_range       = "*"
  destination_port_range  = each.value.destination_port_range  # "*" for every port, else null
  destination_port_ranges = each.value.destination_port_ranges # ["6443", "30000-32767"], else null

  source_application_security_group_ids      = each.value.source_tier == null ? null : [azurerm_application_security_group.tier[each.value.source_tier].id]
  source_address_prefixes                    = each.value.source_address_prefixes
  destination_application_security_group_ids = each.value.destination_tier == null ? null : [azurerm_application_security_group.tier[each.value.destination_tier].id]
  destination_address_prefixes               = each.value.destination_address_prefixes
}

# Rule counts per tier, and inputs still missing.
output "tiers" {
  value = data.portmatrix_azure_nsg_rules.cluster.tiers
}

output "warnings" {
  value = data.portmatrix_azure_nsg_rules.cluster.warnings
}
