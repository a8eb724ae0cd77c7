# Host firewalls for a Kublr bring-your-own-infrastructure cluster on your own machines: an nftables ruleset per
# tier from Kublr's "Network Access" tables, and a cloud-init document that installs it.
data "portmatrix_nftables_ruleset" "cluster" {
  platform {
    name = "kublr"
    options = {
      byo_infrastructure = "true" # Tables 2 and 5: the masters' secret store on 11250
    }
  }

  # Our own flows: SSH from the bastion hosts, which Kublr's tables do not list.
  platform {
    name = "site-access"
  }
  user_catalogs = [file("${path.module}/site-access.toml")]

  # The machines of each tier: subnets or single addresses, IPv4 and IPv6.
  tier_addresses = {
    master = ["10.10.1.0/24"]
    worker = ["10.10.2.0/24", "fd00:10:2::/64"]
    lb     = ["10.10.9.10"]
  }

  # The cluster's pod ranges: pods reach the API server and the kubelet of their own node from these.
  pod_cidrs = ["10.244.0.0/16"]

  # Table 4: without an air gap the nodes reach public DNS and binary repositories (only an output chain uses it).
  endpoint {
    name      = "internet"
    cidr_ipv4 = ["0.0.0.0/0"]
  }

  # Table 5: the Kublr Control Plane reaches the masters' secret store and the cluster's API on the masters.
  endpoint {
    name      = "kcp-node"
    cidr_ipv4 = ["192.0.2.0/28"]
  }
  endpoint {
    name = "managed-cluster-api"
    tier = "master"
  }

  endpoint {
    name      = "bastion"
    cidr_ipv4 = ["10.10.0.5/32"]
  }

  input_policy  = "drop" # the default: what no catalog lists is dropped
  output_policy = "none" # the default: no output chain
}

# The worker's ruleset, for `nft -f` (or `nft -c -f` to check it first).
output "worker_ruleset" {
  value = data.portmatrix_nftables_ruleset.cluster.rulesets["worker"]
}

# One #cloud-config document per tier, for the machines' user_data.
output "cloud_init" {
  value = data.portmatrix_nftables_ruleset.cluster.cloud_init
}

# Flows left out for a missing input (here Table 5's cloud API, which has no endpoint block).
output "warnings" {
  value = data.portmatrix_nftables_ruleset.cluster.warnings
}
