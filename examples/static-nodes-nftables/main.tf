# Host firewalls for a Deckhouse cluster on static nodes (your own machines, here libvirt virtual machines): one
# nftables ruleset per tier from Deckhouse's port table, delivered through cloud-init `user_data`, and the same
# rulesets as files for machines that already run.

terraform {
  required_version = ">= 1.0"

  required_providers {
    portmatrix = {
      source = "portmatrix/portmatrix"
    }
    cloudinit = {
      source  = "hashicorp/cloudinit"
      version = ">= 2.3"
    }
    libvirt = {
      source  = "dmacvicar/libvirt"
      version = "~> 0.7.6"
    }
    local = {
      source  = "hashicorp/local"
      version = ">= 2.4"
    }
  }
}

provider "libvirt" {
  uri = var.libvirt_uri
}

locals {
  # tier => the addresses of its machines, for the rulesets' tier sets.
  tier_addresses = {
    for tier in distinct([for node in var.nodes : node.tier]) :
    tier => [for node in var.nodes : node.address if node.tier == tier]
  }
}

data "portmatrix_nftables_ruleset" "cluster" {
  platform {
    name    = "deckhouse"
    version = var.deckhouse_version
    options = var.deckhouse_modules
  }

  # Deckhouse's "frontend" role (ingress controllers, OpenVPN, NodePorts) runs on the workers by default. Static
  # nodes of other roles get tiers of their own with `tier` blocks and `roles`.
  tier_addresses = local.tier_addresses
  pod_cidrs      = var.pod_cidrs

  # "External traffic to masters": SSH and kube-apiserver for the administrators.
  endpoint {
    name      = "administrators"
    cidr_ipv4 = var.administrator_cidrs
  }

  # "External traffic to frontends": HTTP(S), OpenVPN and NodePorts from the clients, 10256 from the balancers.
  endpoint {
    name      = "frontend-clients"
    cidr_ipv4 = var.client_cidrs_ipv4
    cidr_ipv6 = var.client_cidrs_ipv6
  }
  endpoint {
    name      = "external-balancers"
    cidr_ipv4 = var.balancer_cidrs
  }

  # "External traffic for all nodes": only an output chain uses these.
  endpoint {
    name      = "dns-servers"
    cidr_ipv4 = var.dns_server_cidrs
  }
  endpoint {
    name      = "ntp-servers"
    cidr_ipv4 = var.ntp_server_cidrs
  }
  endpoint {
    name      = "container-registry"
    cidr_ipv4 = var.registry_cidrs
  }

  input_policy  = var.input_policy
  output_policy = "none"
}

# One user_data per node: the tier's portmatrix document merged with your own cloud-config (users, SSH keys).
data "cloudinit_config" "node" {
  for_each = var.nodes

  gzip          = false
  base64_encode = false

  part {
    content_type = "text/cloud-config"
    content      = data.portmatrix_nftables_ruleset.cluster.cloud_init[each.value.tier]
    merge_type   = "list(append)+dict(no_replace,recurse_list)+str()"
  }

  part {
    content_type = "text/cloud-config"
    content = yamlencode({
      hostname = each.key
      users = [{
        name                = var.admin_user
        sudo                = "ALL=(ALL) NOPASSWD:ALL"
        ssh_authorized_keys = var.ssh_authorized_keys
      }]
    })
    merge_type = "list(append)+dict(no_replace,recurse_list)+str()"
  }
}

resource "libvirt_cloudinit_disk" "node" {
  for_each = var.nodes

  name      = "${each.key}-cloudinit.iso"
  pool      = var.libvirt_pool
  user_data = data.cloudinit_config.node[each.key].rendered
}

resource "libvirt_volume" "node" {
  for_each = var.nodes

  name           = "${each.key}.qcow2"
  pool           = var.libvirt_pool
  base_volume_id = var.base_image_volume_id
  size           = each.value.disk_bytes
}

resource "libvirt_domain" "node" {
  for_each = var.nodes

  name      = each.key
  vcpu      = each.value.vcpu
  memory    = each.value.memory_mib
  cloudinit = libvirt_cloudinit_disk.node[each.key].id

  disk {
    volume_id = libvirt_volume.node[each.key].id
  }

  network_interface {
    network_name = var.libvirt_network
    hostname     = each.key
    addresses    = [each.value.address]
  }
}

# The same rulesets as files, for static nodes that already run: check with `nft -c -f`, load with `nft -f`.
resource "local_file" "ruleset" {
  for_each = data.portmatrix_nftables_ruleset.cluster.rulesets

  filename        = "${path.module}/rulesets/${each.key}.nft"
  content         = each.value
  file_permission = "0644"
}
