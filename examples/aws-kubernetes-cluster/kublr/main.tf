# A Kublr-managed cluster on AWS: security groups from Kublr's "Network Access" tables, with Calico as the CNI and
# a load balancer in front of the masters. Same wiring as ../main.tf, fewer knobs.

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
  default     = "kublr"
}

variable "kcp_cidrs" {
  description = "Nodes of the cluster running the Kublr Control Plane, which reaches this cluster's Kubernetes API."
  type        = list(string)
}

data "portmatrix_aws_security_group_rules" "cluster" {
  platform {
    name = "kublr"
    options = {
      cni       = "calico" # Table 1's Calico rows: BGP 179, IP-in-IP (protocol 4), VXLAN, Typha
      master_lb = "true"   # Table 4 "If master LB is used": the lb tier reaches the masters on 443
    }
  }

  # Table 4: non-air-gapped nodes reach public DNS and binary repositories.
  endpoint {
    name      = "internet"
    cidr_ipv4 = ["0.0.0.0/0"]
  }

  # Table 5: the Kublr Control Plane (KCP) runs in another cluster and reaches this cluster's Kubernetes API,
  # which runs on the masters.
  endpoint {
    name      = "kcp-node"
    cidr_ipv4 = var.kcp_cidrs
  }
  endpoint {
    name = "managed-cluster-api"
    tier = "master"
  }

  # Table 5's KCP flow to the cloud provider's API (`cloud-api`) concerns the KCP cluster's groups, not this
  # cluster's: it has no endpoint block here, so `warnings` names it.
}

resource "aws_security_group" "tier" {
  for_each = data.portmatrix_aws_security_group_rules.cluster.tiers

  name        = "${var.name}-${each.key}"
  description = "Kublr ${each.key} tier, rules from portmatrix"
  vpc_id      = var.vpc_id
}

locals {
  security_group_ids = { for tier, group in aws_security_group.tier : tier => group.id }
}

resource "aws_vpc_security_group_ingress_rule" "cluster" {
  for_each = data.portmatrix_aws_security_group_rules.cluster.ingress

  security_group_id            = local.security_group_ids[each.value.tier]
  description                  = each.value.description
  ip_protocol                  = each.value.ip_protocol
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
