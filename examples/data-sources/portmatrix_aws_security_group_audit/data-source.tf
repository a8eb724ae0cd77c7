# Audit a running cluster's security groups against the port tables their rules came from, and refuse to scale
# the workers onto groups that drifted. The audit reads the groups with read-only EC2 calls, as the provider's
# `aws` block says; credentials come from the standard AWS chain.
provider "portmatrix" {
  aws {
    region          = "eu-central-1"
    assume_role_arn = "arn:aws:iam::123456789012:role/security-audit"
  }
}

variable "security_group_ids" {
  description = "The cluster's security group per tier: { master = \"sg-...\", worker = \"sg-...\", lb = \"sg-...\" }."
  type        = map(string)
}

variable "worker_subnet_ids" {
  description = "Subnets of the worker nodes."
  type        = list(string)
}

variable "worker_launch_template_id" {
  description = "Launch template of the worker nodes."
  type        = string
}

# The same selection the groups' rules were built with (portmatrix_aws_security_group_rules).
data "portmatrix_aws_security_group_audit" "cluster" {
  platform {
    name = "kubernetes"
  }
  platform {
    name = "calico"
  }
  endpoint {
    name      = "api-clients"
    cidr_ipv4 = ["10.20.0.0/16"]
  }
  endpoint {
    name = "load-balancers"
    tier = "lb"
  }

  security_groups = var.security_group_ids
}

# Terraform 1.2 and later: the precondition stops plan and apply while a required rule is missing or an
# internal port is open to the world or to all protocols. (From Terraform 1.5, a `check` block with the same
# condition reports drift as a warning instead.)
resource "aws_autoscaling_group" "workers" {
  name                = "workers"
  min_size            = 3
  max_size            = 10
  vpc_zone_identifier = var.worker_subnet_ids

  launch_template {
    id      = var.worker_launch_template_id
    version = "$Latest"
  }

  lifecycle {
    precondition {
      condition     = data.portmatrix_aws_security_group_audit.cluster.compliant
      error_message = "The security groups drifted from the port tables: ${data.portmatrix_aws_security_group_audit.cluster.summary.missing} rules missing, ${data.portmatrix_aws_security_group_audit.cluster.summary.over_broad} over-broad. See output audit_findings."
    }
  }
}

# Every finding with its rule key or sgr- ID and what to do about it.
output "audit_findings" {
  value = {
    for tier, found in data.portmatrix_aws_security_group_audit.cluster.tiers : tier => {
      missing    = [for f in found.missing : f.key]
      over_broad = [for f in found.over_broad : "${f.rule_id}: ${f.detail}"]
      excess     = [for f in found.excess : f.rule_id]
    }
  }
}
