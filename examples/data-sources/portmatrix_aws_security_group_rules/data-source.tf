# Security groups for an air-gapped Kublr cluster on AWS with Calico, a load balancer in front of the masters and
# one in front of the workers' ingress: one security group per tier, one AWS rule resource per rule.
data "portmatrix_aws_security_group_rules" "kublr" {
  platform {
    name = "kublr"
    options = {
      cni        = "calico" # Kublr's Calico rows: BGP 179, IP-in-IP (IP protocol 4), VXLAN 8472, Typha 5473
      air_gap    = "true"   # nodes use the organization's DNS and binary repositories, never the Internet
      master_lb  = "true"   # the lb tier reaches the masters on 443
      ingress_lb = "true"   # the lb tier reaches the workers' NodePort range
    }
  }

  # Air gap: the intra-organizational DNS servers and binary repositories (Kublr Table 4).
  endpoint {
    name      = "intranet"
    cidr_ipv4 = ["10.10.0.0/24"]
  }

  # The Kublr Control Plane runs in another cluster, in 10.20.0.0/16, and reaches this cluster's Kubernetes
  # API on the masters (Kublr Table 5).
  endpoint {
    name      = "kcp-node"
    cidr_ipv4 = ["10.20.0.0/16"]
  }

  endpoint {
    name = "managed-cluster-api"
    tier = "master"
  }

  # Table 5's other KCP flow, to the cloud provider's API (`cloud-api`), concerns the KCP cluster's groups, not
  # this cluster's: it has no endpoint block here, so `warnings` names it.

  # AWS's default quota; set your raised quota here.
  rules_per_group = 60
}

variable "vpc_id" {
  description = "VPC the cluster's nodes run in."
  type        = string
}

# One security group per tier: master, worker and lb. Tier names are known at plan time, so are the keys.
resource "aws_security_group" "tier" {
  for_each = data.portmatrix_aws_security_group_rules.kublr.tiers

  name        = "kublr-${each.key}"
  description = "Kublr ${each.key} tier, rules from portmatrix"
  vpc_id      = var.vpc_id
}

locals {
  security_group_ids = { for tier, group in aws_security_group.tier : tier => group.id }
}

# Each rule sits on the group of `tier`. Its peer is another tier's group or one CIDR or prefix list.
resource "aws_vpc_security_group_ingress_rule" "kublr" {
  for_each = data.portmatrix_aws_security_group_rules.kublr.ingress

  security_group_id = local.security_group_ids[each.value.tier]
  description       = each.value.description
  ip_protocol       = each.value.ip_protocol # "tcp", "udp", or "4" (IP-in-IP) with null ports
  from_port         = each.value.from_port
  to_port           = each.value.to_port

  referenced_security_group_id = each.value.source_tier == null ? null : local.security_group_ids[each.value.source_tier]
  cidr_ipv4                    = each.value.cidr_ipv4
  cidr_ipv6                    = each.value.cidr_ipv6
  prefix_list_id               = each.value.prefix_list_id

  tags = {
    Name = each.key # e.g. "master:tcp:443:worker"
  }
}

# Terraform removes the allow-all egress rule AWS puts on new groups, so in an air-gapped network egress is what
# the tables ask for: the mirror of the tier-to-tier rules plus DNS and repositories in the intranet.
resource "aws_vpc_security_group_egress_rule" "kublr" {
  for_each = data.portmatrix_aws_security_group_rules.kublr.egress

  security_group_id = local.security_group_ids[each.value.tier]
  description       = each.value.description
  ip_protocol       = each.value.ip_protocol
  from_port         = each.value.from_port
  to_port           = each.value.to_port

  referenced_security_group_id = each.value.destination_tier == null ? null : local.security_group_ids[each.value.destination_tier]
  cidr_ipv4                    = each.value.cidr_ipv4
  cidr_ipv6                    = each.value.cidr_ipv6
  prefix_list_id               = each.value.prefix_list_id

  tags = {
    Name = each.key # e.g. "worker:udp:53:10.10.0.0/24"
  }
}

# Rule counts per group against the quota, and inputs still missing.
output "rule_counts" {
  value = data.portmatrix_aws_security_group_rules.kublr.tiers
}

output "warnings" {
  value = data.portmatrix_aws_security_group_rules.kublr.warnings
}
