# NetworkPolicies for Longhorn from its networking page: one policy per Longhorn component, admitting exactly the
# connections the page lists.
data "portmatrix_kubernetes_network_policies" "longhorn" {
  platform {
    name    = "longhorn"
    version = "1.7.2" # port tables change between releases: give the one you run
  }

  # "Node in the cluster" (iSCSI to Instance Manager 3260, NFS to Share Manager 2049) is host-network traffic:
  # it reaches pods from the nodes' addresses.
  node_cidrs = ["10.0.0.0/20"]

  # "Kubernetes API server": the API server's own addresses and port (the endpoints of the `kubernetes`
  # Service), not the Service's cluster IP, because network plugins apply policies after the Service's DNAT.
  endpoint {
    name      = "kubernetes-api-server"
    cidr_ipv4 = ["10.0.0.10/32", "10.0.0.11/32", "10.0.0.12/32"]
  }

  # The backup target (an S3-compatible store in the data-centre network).
  endpoint {
    name      = "backupstore"
    cidr_ipv4 = ["10.50.8.0/24"]
  }

  # Ports Longhorn's table leaves to you ("Kubernetes API server port", "User defined").
  api_server_port = 6443
  parameters = {
    backupstore_port = 9000
  }

  # Longhorn's recurring backup jobs carry a `recurring-job.longhorn.io` label whose value varies; the catalog
  # cannot express "key exists", so the selector comes from you. Longhorn Manager's policy must admit them.
  pod_selector {
    role = "longhorn/recurring-job"
    match_expression {
      key      = "recurring-job.longhorn.io"
      operator = "Exists"
    }
  }
}

# One Kubernetes object per policy; keys are `namespace/name`, known at plan time.
resource "kubernetes_manifest" "longhorn" {
  for_each = data.portmatrix_kubernetes_network_policies.longhorn.policies

  manifest = each.value
}

# The same policies for kubectl: terraform output -raw longhorn_policies_yaml | kubectl apply -f -
output "longhorn_policies_yaml" {
  value = data.portmatrix_kubernetes_network_policies.longhorn.yaml
}

# Roles left open (no labels in the catalog), flows without a rule, host-network flows, and DNS to add.
output "warnings" {
  value = data.portmatrix_kubernetes_network_policies.longhorn.warnings
}
