# Security groups for a Kubernetes cluster running Calico and Longhorn, with every rule taken from the port tables
# those projects publish. One security group per tier (master, worker, lb); each rule is one
# aws_vpc_security_group_ingress_rule / _egress_rule, keyed so that adding a platform or a CIDR only adds rules.

terraform {
  required_version = ">= 1.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_vpc_security_group_ingress_rule and _egress_rule: one rule per resource, one address per rule.
      version = ">= 5.0"
    }
    portmatrix = {
      source = "portmatrix/portmatrix"
    }
  }
}

locals {
  # Addresses of the places outside the cluster that the tables name. An endpoint with no addresses is left out:
  # the data source then skips the flows that need it and says so in its `warnings` output.
  endpoints = {
    # Kubernetes: "Used By: All" for the API server, minus the nodes themselves.
    "api-clients" = { cidr_ipv4 = var.api_client_cidrs, prefix_list_ids = [] }
    # Kubernetes: "Used By: All" for the NodePort range, minus the nodes themselves.
    "nodeport-clients" = { cidr_ipv4 = var.nodeport_client_cidrs, prefix_list_ids = [] }
    # Kubernetes: "Used By: Load balancers" of kube-proxy's health port.
    "load-balancers" = { cidr_ipv4 = var.load_balancer_cidrs, prefix_list_ids = [] }
    # Longhorn: "External Backupstore", reached by Longhorn Manager and Instance Manager.
    "backupstore" = { cidr_ipv4 = var.backupstore_cidrs, prefix_list_ids = var.backupstore_prefix_list_ids }
    # Longhorn: "User provided server IP to download the images from" (backing images).
    "image-download-server" = { cidr_ipv4 = var.image_download_cidrs, prefix_list_ids = [] }
  }
}

data "portmatrix_aws_security_group_rules" "cluster" {
  # Kubernetes' "Ports and Protocols" page: API server, etcd, kubelet, kube-proxy, NodePorts.
  platform {
    name = "kubernetes"
  }

  # Calico's network requirements: BGP, IP-in-IP (IP protocol 4, not a port) or VXLAN, Typha, the API server.
  platform {
    name    = "calico"
    options = { encapsulation = var.calico_encapsulation }
  }

  # Longhorn's networking page for the release you run.
  platform {
    name    = "longhorn"
    version = var.longhorn_version
  }

  # No `tier` blocks: the tiers are master, worker and lb, and every component sits where its catalog says
  # (control plane on master, kubelets and Calico on master and worker, Longhorn wherever pods run).

  # Longhorn's "Kubernetes API server" (reached by Longhorn Manager, the CSI sidecars, the driver deployer and the
  # uninstaller) is this cluster's own API server: name its tier instead of addresses, so the rules reference the
  # master group and merge with the API server rules Kubernetes and Calico already ask for.
  endpoint {
    name = "kubernetes-api-server"
    tier = "master"
  }

  dynamic "endpoint" {
    for_each = {
      for name, addresses in local.endpoints : name => addresses
      if length(addresses.cidr_ipv4) + length(addresses.prefix_list_ids) > 0
    }
    content {
      name            = endpoint.key
      cidr_ipv4       = endpoint.value.cidr_ipv4
      prefix_list_ids = endpoint.value.prefix_list_ids
    }
  }

  # Ports the tables leave to you. api_server_port is the Kubernetes API server port of every platform's rows
  # (Longhorn's "Kubernetes API server port" included); 6443 matches the Kubernetes table and kubeadm.
  api_server_port = 6443
  parameters = {
    backupstore_port    = var.backupstore_port
    image_download_port = var.image_download_port
  }

  pod_network     = var.pod_network
  rules_per_group = var.rules_per_group
}

# One security group per tier. Attach master to the control-plane instances, worker to the workers and lb to the
# load balancers in front of them.
resource "aws_security_group" "tier" {
  for_each = data.portmatrix_aws_security_group_rules.cluster.tiers

  name        = "${var.name}-${each.key}"
  description = "Kubernetes ${each.key} tier, rules from portmatrix"
  vpc_id      = var.vpc_id

  tags = {
    Name = "${var.name}-${each.key}"
  }
}

locals {
  security_group_ids = { for tier, group in aws_security_group.tier : tier => group.id }
}

# Ingress rules sit on the receiving tier's group. A peer tier is referenced by its security group, so rules follow
# instances as they come and go; an endpoint peer is one CIDR or prefix list per rule.
resource "aws_vpc_security_group_ingress_rule" "cluster" {
  for_each = data.portmatrix_aws_security_group_rules.cluster.ingress

  security_group_id = local.security_group_ids[each.value.tier]
  description       = each.value.description

  # "tcp"/"udp" with a port range, or an IP protocol number such as "4" (IP-in-IP) with no ports.
  ip_protocol = each.value.ip_protocol
  from_port   = each.value.from_port
  to_port     = each.value.to_port

  referenced_security_group_id = each.value.source_tier == null ? null : local.security_group_ids[each.value.source_tier]
  cidr_ipv4                    = each.value.cidr_ipv4
  cidr_ipv6                    = each.value.cidr_ipv6
  prefix_list_id               = each.value.prefix_list_id

  tags = {
    Name = each.key
  }

  # When a new platform merges a range (10250 into 10000-32767, say), the key changes: create the new rule
  # before deleting the old one, so traffic never drops during the apply.
  lifecycle {
    create_before_destroy = true
  }
}

# Egress rules sit on the sending tier's group: the mirror of the tier-to-tier ingress rules, plus the flows to
# endpoints (Longhorn's backupstore). Security groups are stateful, so replies need no rule.
resource "aws_vpc_security_group_egress_rule" "cluster" {
  for_each = var.allow_all_egress ? {} : data.portmatrix_aws_security_group_rules.cluster.egress

  security_group_id = local.security_group_ids[each.value.tier]
  description       = each.value.description

  ip_protocol = each.value.ip_protocol
  from_port   = each.value.from_port
  to_port     = each.value.to_port

  referenced_security_group_id = each.value.destination_tier == null ? null : local.security_group_ids[each.value.destination_tier]
  cidr_ipv4                    = each.value.cidr_ipv4
  cidr_ipv6                    = each.value.cidr_ipv6
  prefix_list_id               = each.value.prefix_list_id

  tags = {
    Name = each.key
  }

  # When a new platform merges a range (10250 into 10000-32767, say), the key changes: create the new rule
  # before deleting the old one, so traffic never drops during the apply.
  lifecycle {
    create_before_destroy = true
  }
}

# Terraform removes the allow-all egress rule AWS puts on a new group; this puts it back when egress is not
# restricted to the tables.
resource "aws_vpc_security_group_egress_rule" "all" {
  for_each = var.allow_all_egress ? local.security_group_ids : {}

  security_group_id = each.value
  description       = "All egress: nodes also need registries, packages and AWS APIs"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"

  tags = {
    Name = "${each.key}:all-egress"
  }
}
