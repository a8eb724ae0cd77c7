# The rules the parent example creates, without AWS: plan this folder to see them (no AWS provider, no
# credentials). `examples/plan.sh examples/aws-kubernetes-cluster/rules-only` plans it with a freshly built
# provider.
#
# Same cluster as ../main.tf: Kubernetes + Calico (IP-in-IP) + Longhorn on an overlay pod network, tiers master,
# worker and lb. The addresses below are documentation ranges; put your own in the parent's variables.

terraform {
  required_version = ">= 1.0"

  required_providers {
    portmatrix = {
      source = "portmatrix/portmatrix"
    }
  }
}

data "portmatrix_aws_security_group_rules" "cluster" {
  platform {
    name = "kubernetes"
  }

  platform {
    name    = "calico"
    options = { encapsulation = "ipip" }
  }

  platform {
    name    = "longhorn"
    version = "1.9.0"
  }

  # Admins and CI reaching the API server.
  endpoint {
    name      = "api-clients"
    cidr_ipv4 = ["203.0.113.0/24"]
  }

  # The load balancers forwarding to NodePort Services.
  endpoint {
    name      = "nodeport-clients"
    cidr_ipv4 = ["10.0.200.0/24"]
  }

  # Load balancers health-checking kube-proxy.
  endpoint {
    name      = "load-balancers"
    cidr_ipv4 = ["10.0.200.0/24"]
  }

  # Longhorn's "Kubernetes API server" is the cluster's own, on the masters.
  endpoint {
    name = "kubernetes-api-server"
    tier = "master"
  }

  # Longhorn's backup target: an NFS server.
  endpoint {
    name      = "backupstore"
    cidr_ipv4 = ["10.0.50.10/32"]
  }

  api_server_port = 6443
  parameters = {
    backupstore_port = 2049
  }

  pod_network = "overlay"
}

output "ingress_rules" {
  description = "Each ingress rule as \"{tier}:{protocol}:{ports}:{peer}\" => the platforms and purposes asking for it."
  value = {
    for key, rule in data.portmatrix_aws_security_group_rules.cluster.ingress :
    key => "${join(", ", rule.platforms)}: ${join("; ", rule.purposes)}"
  }
}

output "egress_rules" {
  description = "Each egress rule, on the group of the sending tier (the key starts with it)."
  value = {
    for key, rule in data.portmatrix_aws_security_group_rules.cluster.egress :
    key => "${join(", ", rule.platforms)}: ${join("; ", rule.purposes)}"
  }
}

output "rule_counts" {
  description = "Rules per tier and direction against the per-group quota."
  value = {
    for tier, counts in data.portmatrix_aws_security_group_rules.cluster.tiers :
    tier => "ingress ${counts.ingress_ipv4} (IPv4) / ${counts.ingress_ipv6} (IPv6), egress ${counts.egress_ipv4} / ${counts.egress_ipv6}, limit ${counts.limit}"
  }
}

output "warnings" {
  description = "Flows left out: here Longhorn's backing image downloads, whose server and port are not given."
  value       = data.portmatrix_aws_security_group_rules.cluster.warnings
}
