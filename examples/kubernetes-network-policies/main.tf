# NetworkPolicies for Longhorn, generated from Longhorn's networking page, applied with the Kubernetes provider.
terraform {
  required_version = ">= 1.0.3"
  required_providers {
    kubernetes = { source = "hashicorp/kubernetes", version = ">= 2.7" }
    portmatrix = { source = "portmatrix/portmatrix" }
  }
}

provider "kubernetes" {
  config_path = var.kubeconfig
}

data "portmatrix_kubernetes_network_policies" "longhorn" {
  platform {
    name    = "longhorn"
    version = var.longhorn_version
  }

  node_cidrs = var.node_cidrs

  endpoint {
    name      = "kubernetes-api-server"
    cidr_ipv4 = var.api_server_cidrs
  }

  endpoint {
    name      = "backupstore"
    cidr_ipv4 = var.backupstore_cidrs
  }

  api_server_port = var.api_server_port
  parameters = {
    backupstore_port = var.backupstore_port
  }

  # The catalog cannot select recurring jobs (the chart selects them by label-key existence); Longhorn Manager's
  # policy admits them on 9500 with this selector.
  pod_selector {
    role = "longhorn/recurring-job"
    match_expression {
      key      = "recurring-job.longhorn.io"
      operator = "Exists"
    }
  }
}

# The generated policies: one per Longhorn component, keyed `longhorn-system/portmatrix-<role>`.
resource "kubernetes_manifest" "longhorn" {
  for_each = data.portmatrix_kubernetes_network_policies.longhorn.policies

  manifest = each.value
}

# What the networking page does not list but a running Longhorn needs. Policies add up, so these widen the
# generated ones without touching them.

# DNS for every component the generated policies isolate for egress (the warnings name them): components reach
# each other by Service name (the CSI plugin calls Longhorn Manager as `longhorn-backend:9500`). kubeadm's
# CoreDNS pods carry `k8s-app: kube-dns` in kube-system and listen on 53; check yours.
resource "kubernetes_manifest" "longhorn_dns" {
  for_each = {
    for key, policy in data.portmatrix_kubernetes_network_policies.longhorn.policies :
    key => policy if contains(policy.spec.policyTypes, "Egress")
  }

  manifest = {
    apiVersion = "networking.k8s.io/v1"
    kind       = "NetworkPolicy"
    metadata = {
      name      = "${each.value.metadata.name}-dns"
      namespace = each.value.metadata.namespace
    }
    spec = {
      podSelector = each.value.spec.podSelector
      policyTypes = ["Egress"]
      egress = [{
        to = [{
          namespaceSelector = { matchLabels = { "kubernetes.io/metadata.name" = "kube-system" } }
          podSelector       = { matchLabels = { "k8s-app" = "kube-dns" } }
        }]
        ports = [{ protocol = "UDP", port = 53 }, { protocol = "TCP", port = 53 }]
      }]
    }
  }
}

output "warnings" {
  description = "Roles left open, flows without a rule, host-network flows."
  value       = data.portmatrix_kubernetes_network_policies.longhorn.warnings
}

output "policies_yaml" {
  description = "The generated policies as YAML, for review or kubectl."
  value       = data.portmatrix_kubernetes_network_policies.longhorn.yaml
}
