variable "vpc_id" {
  description = "VPC the cluster's nodes run in; one security group per tier is created in it."
  type        = string
}

variable "name" {
  description = "Prefix of the security group names, e.g. \"prod-k8s\" gives prod-k8s-master, prod-k8s-worker, prod-k8s-lb."
  type        = string
  default     = "k8s"
}

variable "pod_network" {
  description = <<-EOT
    How pods are addressed. "overlay" (Calico IP-in-IP or VXLAN, the default here): pod-to-pod traffic travels
    inside the tunnel, so only the nodes' own ports need rules. "routed" (pods have VPC addresses, e.g. the AWS VPC
    CNI or Calico without encapsulation): every flow of every table becomes a rule.
  EOT
  type        = string
  default     = "overlay"

  validation {
    condition     = contains(["overlay", "routed"], var.pod_network)
    error_message = "The pod_network must be \"overlay\" or \"routed\"."
  }
}

variable "calico_encapsulation" {
  description = "Calico's encapsulation: \"ipip\" (IP protocol 4, Calico's default), \"vxlan\" (UDP 4789) or \"none\" (set pod_network = \"routed\" then)."
  type        = string
  default     = "ipip"

  validation {
    condition     = contains(["ipip", "vxlan", "none"], var.calico_encapsulation)
    error_message = "The calico_encapsulation must be \"ipip\", \"vxlan\" or \"none\"."
  }
}

variable "longhorn_version" {
  description = "Longhorn release you run; its networking page changed in 1.3, 1.5 and 1.13."
  type        = string
  default     = "1.9.0"
}

variable "api_client_cidrs" {
  description = "Who outside the nodes may reach the Kubernetes API (6443): the table's \"All\" (admins, CI runners, VPN ranges)."
  type        = list(string)
  default     = []
}

variable "nodeport_client_cidrs" {
  description = "Who outside the nodes may reach NodePort Services (TCP and UDP 30000-32767): the table's \"All\" for the NodePort range (load balancers forwarding to NodePorts, clients of Services you expose that way)."
  type        = list(string)
  default     = []
}

variable "load_balancer_cidrs" {
  description = "Subnets of the load balancers that health-check kube-proxy on the workers (10256)."
  type        = list(string)
  default     = []
}

variable "backupstore_cidrs" {
  description = "Addresses of Longhorn's backup target (an NFS server or an S3-compatible store). Leave empty for no backups."
  type        = list(string)
  default     = []
}

variable "backupstore_prefix_list_ids" {
  description = "Managed prefix lists of the backup target, e.g. the S3 gateway endpoint's com.amazonaws.<region>.s3 list."
  type        = list(string)
  default     = []
}

variable "backupstore_port" {
  description = "Port of the backup target (Longhorn says \"User defined\"): 443 for S3, 2049 for NFS."
  type        = number
  default     = 443
}

variable "image_download_cidrs" {
  description = "Servers Longhorn downloads backing images from, if you use backing images."
  type        = list(string)
  default     = []
}

variable "image_download_port" {
  description = "Port of the backing image download server (Longhorn says \"user defined\")."
  type        = number
  default     = 443
}

variable "rules_per_group" {
  description = "Rules AWS allows per security group and direction (60 unless you raised the quota); planning fails with the biggest contributors when a tier needs more."
  type        = number
  default     = 60
}

variable "allow_all_egress" {
  description = <<-EOT
    Keep one allow-all egress rule per group instead of the generated egress rules. The port tables list what the
    cluster's parts need from each other, not what the nodes need from the rest of the world (container registries,
    OS packages, AWS APIs), so restricted egress (false) works only once you add those rules yourself.
  EOT
  type        = bool
  default     = true
}
