# Network security rules for a self-managed Kubernetes cluster on Azure running Calico and Longhorn, with every rule
# taken from the port tables those projects publish. Each tier (master, worker, lb) is an application security
# group; the cluster's subnet has one NSG; each rule is one azurerm_network_security_rule, keyed by its name, with
# a priority that stays put when a platform block is appended.

terraform {
  required_version = ">= 1.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 3.0"
    }
    portmatrix = {
      source = "portmatrix/portmatrix"
    }
  }
}

variable "resource_group_name" {
  description = "Resource group of the cluster's network."
  type        = string
}

variable "location" {
  description = "Azure region of the cluster."
  type        = string
}

variable "subnet_id" {
  description = "The subnet of the cluster's VMs; the NSG is associated with it."
  type        = string
}

variable "api_client_cidrs" {
  description = "Who may use the Kubernetes API (6443) and the NodePorts (Kubernetes: \"Used By: All\")."
  type        = list(string)
  default     = []
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

provider "azurerm" {
  features {}
}

data "portmatrix_azure_nsg_rules" "cluster" {
  platform {
    name = "kubernetes"
  }

  # VXLAN (UDP 4789) instead of Calico's default IP-in-IP, which no Azure rule can name: with IP-in-IP, planning
  # fails until unsupported_flows chooses "widen" (protocol "*" between the tiers) or "skip".
  platform {
    name    = "calico"
    options = { encapsulation = "vxlan" }
  }

  platform {
    name    = "longhorn"
    version = "1.6.0"
  }

  endpoint {
    name      = "api-clients"
    cidr_ipv4 = var.api_client_cidrs
  }

  # Azure's load balancer probes come from the AzureLoadBalancer service tag, 168.63.129.16.
  endpoint {
    name      = "load-balancers"
    cidr_ipv4 = ["168.63.129.16/32"]
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

  # 4096 stays free for the deny-all rules below.
  last_priority = 4095
}

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

resource "azurerm_subnet_network_security_group_association" "cluster" {
  subnet_id                 = var.subnet_id
  network_security_group_id = azurerm_network_security_group.cluster.id
}

resource "azurerm_network_security_rule" "cluster" {
  for_each = data.portmatrix_azure_nsg_rules.cluster.rules

  name                        = each.key
  resource_group_name         = var.resource_group_name
  network_security_group_name = azurerm_network_security_group.cluster.name
  direction                   = each.value.direction
  priority                    = each.value.priority
  access                      = "Allow"
  protocol                    = each.value.protocol
  description                 = each.value.description

  source_port_range       = "*"
  destination_port_range  = each.value.destination_port_range
  destination_port_ranges = each.value.destination_port_ranges

  source_application_security_group_ids      = each.value.source_tier == null ? null : [azurerm_application_security_group.tier[each.value.source_tier].id]
  source_address_prefixes                    = each.value.source_address_prefixes
  destination_application_security_group_ids = each.value.destination_tier == null ? null : [azurerm_application_security_group.tier[each.value.destination_tier].id]
  destination_address_prefixes               = each.value.destination_address_prefixes
}

# Azure's default rules allow all traffic within the virtual network; these make the generated rules the only way
# in between the cluster's VMs.
resource "azurerm_network_security_rule" "deny_vnet_inbound" {
  name                        = "deny-vnet-inbound"
  resource_group_name         = var.resource_group_name
  network_security_group_name = azurerm_network_security_group.cluster.name
  direction                   = "Inbound"
  priority                    = 4096
  access                      = "Deny"
  protocol                    = "*"
  source_port_range           = "*"
  destination_port_range      = "*"
  source_address_prefix       = "VirtualNetwork"
  destination_address_prefix  = "VirtualNetwork"
}

# Add each VM's network interface to its tier's group, e.g. with
# azurerm_network_interface_application_security_group_association and the IDs in this output.
output "application_security_group_ids" {
  value = { for tier, asg in azurerm_application_security_group.tier : tier => asg.id }
}

# Inputs still missing: an endpoint without addresses, a port parameter.
output "warnings" {
  value = data.portmatrix_azure_nsg_rules.cluster.warnings
}
