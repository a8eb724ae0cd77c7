# Neutron security groups for a Kubernetes cluster running Calico and Longhorn on OpenStack, with every rule taken
# from the port tables those projects publish. One security group per tier (master, worker, lb); each rule is one
# openstack_networking_secgroup_rule_v2, keyed so that adding a platform or a CIDR block only adds rules.

terraform {
  required_version = ">= 1.0"

  required_providers {
    openstack = {
      source  = "terraform-provider-openstack/openstack"
      version = ">= 1.54"
    }
    portmatrix = {
      source = "portmatrix/portmatrix"
    }
  }
}

locals {
  # Addresses of the places outside the cluster that the tables name. An endpoint without addresses is left out;
  # the flows that need it are skipped and named in the `warnings` output.
  endpoints = {
    # Kubernetes: "Used By: All" for the API server and NodePorts, besides the nodes themselves.
    "api-clients" = { cidr_ipv4 = var.api_client_cidrs_ipv4, cidr_ipv6 = var.api_client_cidrs_ipv6 }
    # Kubernetes: "Used By: Load balancers" of kube-proxy's health port (Octavia amphorae, for example).
    "load-balancers" = { cidr_ipv4 = var.load_balancer_cidrs, cidr_ipv6 = [] }
    # Longhorn: "External Backupstore" (an S3 or NFS server).
    "backupstore" = { cidr_ipv4 = var.backupstore_cidrs, cidr_ipv6 = [] }
  }
}

data "portmatrix_openstack_secgroup_rules" "cluster" {
  platform {
    name = "kubernetes"
  }

  # Calico's network requirements: BGP, IP-in-IP (IP protocol 4, which Neutron groups accept), Typha, the API
  # server. With encapsulation "none", pod traffic leaves the nodes with pod addresses, which Neutron's port
  # security drops unless the ports list the pod network in allowed_address_pairs.
  platform {
    name    = "calico"
    options = { encapsulation = var.calico_encapsulation }
  }

  platform {
    name    = "longhorn"
    version = var.longhorn_version
  }

  # Longhorn's "Kubernetes API server" is this cluster's own API server: its rules reference the master group.
  endpoint {
    name = "kubernetes-api-server"
    tier = "master"
  }

  dynamic "endpoint" {
    for_each = {
      for name, addresses in local.endpoints : name => addresses
      if length(addresses.cidr_ipv4) + length(addresses.cidr_ipv6) > 0
    }
    content {
      name      = endpoint.key
      cidr_ipv4 = endpoint.value.cidr_ipv4
      cidr_ipv6 = endpoint.value.cidr_ipv6
    }
  }

  api_server_port = 6443
  parameters = {
    backupstore_port = var.backupstore_port
  }

  ethertypes        = var.ethertypes
  unsupported_flows = "error"
}

resource "openstack_networking_secgroup_v2" "tier" {
  for_each = data.portmatrix_openstack_secgroup_rules.cluster.tiers

  name        = "${var.name}-${each.key}"
  description = "${var.name} ${each.key} tier; rules from portmatrix"
  # Without the default allow-all egress rules, the egress rules below are all the groups allow out.
  delete_default_rules = !var.allow_all_egress
}

locals {
  secgroup_ids = { for tier, group in openstack_networking_secgroup_v2.tier : tier => group.id }
}

resource "openstack_networking_secgroup_rule_v2" "ingress" {
  for_each = data.portmatrix_openstack_secgroup_rules.cluster.ingress

  security_group_id = local.secgroup_ids[each.value.tier]
  direction         = each.value.direction
  ethertype         = each.value.ethertype
  protocol          = each.value.protocol
  port_range_min    = each.value.port_range_min
  port_range_max    = each.value.port_range_max
  remote_group_id   = each.value.remote_tier == null ? null : local.secgroup_ids[each.value.remote_tier]
  remote_ip_prefix  = each.value.remote_ip_prefix
  description       = each.value.description
}

resource "openstack_networking_secgroup_rule_v2" "egress" {
  for_each = var.allow_all_egress ? {} : data.portmatrix_openstack_secgroup_rules.cluster.egress

  security_group_id = local.secgroup_ids[each.value.tier]
  direction         = each.value.direction
  ethertype         = each.value.ethertype
  protocol          = each.value.protocol
  port_range_min    = each.value.port_range_min
  port_range_max    = each.value.port_range_max
  remote_group_id   = each.value.remote_tier == null ? null : local.secgroup_ids[each.value.remote_tier]
  remote_ip_prefix  = each.value.remote_ip_prefix
  description       = each.value.description
}
