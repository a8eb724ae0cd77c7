# A Deckhouse Kubernetes Platform cluster on AWS: security groups from Deckhouse's network security tables, with a
# separate tier for the frontend nodes that take external traffic (Ingress, NodePorts). Same wiring as ../main.tf.

terraform {
  required_version = ">= 1.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    portmatrix = {
      source = "portmatrix/portmatrix"
    }
  }
}

variable "vpc_id" {
  description = "VPC the cluster's nodes run in."
  type        = string
}

variable "name" {
  description = "Prefix of the security group names."
  type        = string
  default     = "deckhouse"
}

variable "admin_cidrs" {
  description = "The installer's machine and administrators: SSH and the Kubernetes API on the masters."
  type        = list(string)
}

data "portmatrix_aws_security_group_rules" "cluster" {
  platform {
    name = "deckhouse"
    # The release these module options were written for: v1.74's table names more modules (csi-*, storage-status,
    # istio, monitoring-ping, ...) and a per-cluster VXLAN port (`portmatrix catalog show deckhouse --version 1.74`).
    version = "1.67"
    # Deckhouse's module options default to on, since its page lists every module's ports without a condition.
    # Turn off the modules this cluster does not run: their ports stay closed, and the groups stay within AWS's
    # default quota of 60 rules.
    options = {
      cni                   = "cilium"
      cloud_provider_vcd    = "false"
      runtime_audit_engine  = "false"
      sds_replicated_volume = "false"
      sds_node_configurator = "false"
      virtualization        = "false"
      metallb               = "false"
      l2_load_balancer      = "false"
      openvpn               = "false"
      node_local_dns        = "false"
      ebpf_exporter         = "false"
      kube_router           = "false"
    }
  }

  # Every node runs Deckhouse's node services, so `deckhouse/node` is listed on each tier: a role named by any tier
  # goes only where it is listed.
  tier {
    name  = "master"
    roles = ["deckhouse/master", "deckhouse/node"]
  }
  tier {
    name  = "worker"
    roles = ["deckhouse/node"]
  }
  tier {
    name  = "frontend"
    roles = ["deckhouse/frontend", "deckhouse/node"]
  }

  endpoint {
    name      = "administrators"
    cidr_ipv4 = var.admin_cidrs
  }
  endpoint {
    name      = "frontend-clients"
    cidr_ipv4 = ["0.0.0.0/0"]
  }
  # The Amazon DNS server and Time Sync Service sit at link-local addresses that security groups do not filter;
  # rules for them are harmless and keep the groups correct on other resolvers.
  endpoint {
    name      = "dns-servers"
    cidr_ipv4 = ["169.254.169.253/32"]
  }
  endpoint {
    name      = "ntp-servers"
    cidr_ipv4 = ["169.254.169.123/32"]
  }
  endpoint {
    name      = "container-registry"
    cidr_ipv4 = ["0.0.0.0/0"]
  }

  # With an external load balancer in front of the frontends, add an endpoint "external-balancers" with its
  # subnets: it health-checks the frontends on 10256. Until then `warnings` names that flow.
}

resource "aws_security_group" "tier" {
  for_each = data.portmatrix_aws_security_group_rules.cluster.tiers

  name        = "${var.name}-${each.key}"
  description = "Deckhouse ${each.key} tier, rules from portmatrix"
  vpc_id      = var.vpc_id
}

locals {
  security_group_ids = { for tier, group in aws_security_group.tier : tier => group.id }
}

resource "aws_vpc_security_group_ingress_rule" "cluster" {
  for_each = data.portmatrix_aws_security_group_rules.cluster.ingress

  security_group_id            = local.security_group_ids[each.value.tier]
  description                  = each.value.description
  ip_protocol                  = each.value.ip_protocol # includes "icmp" with from_port = type, to_port = -1
  from_port                    = each.value.from_port
  to_port                      = each.value.to_port
  referenced_security_group_id = each.value.source_tier == null ? null : local.security_group_ids[each.value.source_tier]
  cidr_ipv4                    = each.value.cidr_ipv4
  cidr_ipv6                    = each.value.cidr_ipv6
  prefix_list_id               = each.value.prefix_list_id

  # When a new platform merges a range (10250 into 10000-32767, say), the key changes: create the new rule
  # before deleting the old one, so traffic never drops during the apply.
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "cluster" {
  for_each = data.portmatrix_aws_security_group_rules.cluster.egress

  security_group_id            = local.security_group_ids[each.value.tier]
  description                  = each.value.description
  ip_protocol                  = each.value.ip_protocol
  from_port                    = each.value.from_port
  to_port                      = each.value.to_port
  referenced_security_group_id = each.value.destination_tier == null ? null : local.security_group_ids[each.value.destination_tier]
  cidr_ipv4                    = each.value.cidr_ipv4
  cidr_ipv6                    = each.value.cidr_ipv6
  prefix_list_id               = each.value.prefix_list_id

  # When a new platform merges a range (10250 into 10000-32767, say), the key changes: create the new rule
  # before deleting the old one, so traffic never drops during the apply.
  lifecycle {
    create_before_destroy = true
  }
}

output "security_group_ids" {
  value = local.security_group_ids
}

output "warnings" {
  value = data.portmatrix_aws_security_group_rules.cluster.warnings
}
