# The network a Kubernetes cluster with Calico and Longhorn needs, from the port tables the three projects
# publish: flows between the master and worker tiers and the places outside the cluster, each with its sources.
data "portmatrix_flows" "cluster" {
  platform {
    name = "kubernetes"
  }

  platform {
    name    = "calico"
    options = { encapsulation = "vxlan" } # VXLAN instead of the default IP-in-IP
  }

  platform {
    name    = "longhorn"
    version = "1.7.2" # port tables change between releases: give the one you run
  }

  # Who may use the Kubernetes API ("All" in the Kubernetes table). NodePorts take an endpoint of their
  # own, "nodeport-clients".
  endpoint {
    name      = "api-clients"
    cidr_ipv4 = ["10.40.0.0/16"]
  }

  # Kubernetes: the load balancers that check kube-proxy's health port.
  endpoint {
    name      = "load-balancers"
    cidr_ipv4 = ["10.0.64.0/20"]
  }

  # Longhorn: "Kubernetes API server" is this cluster's own API server, on the master tier.
  endpoint {
    name = "kubernetes-api-server"
    tier = "master"
  }

  # Longhorn: the backup target (an S3-compatible store in the data-centre network).
  endpoint {
    name      = "backupstore"
    cidr_ipv4 = ["10.50.8.0/24"]
  }

  # Ports Longhorn's table leaves to you ("Kubernetes API server port", "User defined").
  api_server_port = 6443
  parameters = {
    backupstore_port = 9000
  }

  # Calico VXLAN is an overlay: pod-to-pod traffic needs no rule of its own (see `not_needed`).
  pod_network = "overlay"
}

# One line per flow, e.g. "load-balancers->worker:tcp:10256: kube-proxy (kubernetes)".
output "flows" {
  value = [
    for flow in data.portmatrix_flows.cluster.flows :
    "${flow.key}: ${join(", ", flow.purposes)} (${join(", ", flow.platforms)})"
  ]
}

# Where each flow comes from: the document and its rows, verbatim.
output "sources" {
  value = {
    for flow in data.portmatrix_flows.cluster.flows :
    flow.key => distinct([for reason in flow.reasons : "${reason.document}: ${join(" / ", reason.rows)}"])
  }
}

# Catalog flows that need no firewall rule: Longhorn's pod-to-pod ports travel inside the overlay.
output "not_needed" {
  value = [
    for flow in data.portmatrix_flows.cluster.not_needed :
    "${flow.platform} ${flow.from_role} -> ${flow.to_role} ${flow.protocol}/${flow.ports}: ${flow.reason}"
  ]
}

# Flows skipped for a missing input: here Longhorn's image download server, which has no endpoint block and
# no `image_download_port`.
output "warnings" {
  value = data.portmatrix_flows.cluster.warnings
}
