variable "kubeconfig" {
  description = "Kubeconfig of the cluster Longhorn runs in."
  type        = string
  default     = "~/.kube/config"
}

variable "longhorn_version" {
  description = "The Longhorn version you run; its port table is chosen by it."
  type        = string
  default     = "1.7.2"
}

variable "node_cidrs" {
  description = "Addresses node traffic reaches pods from: node addresses, plus the tunnel addresses nodes send from on overlay networks."
  type        = list(string)
}

variable "api_server_cidrs" {
  description = "The API server's own addresses (kubectl get endpointslices -l kubernetes.io/service-name=kubernetes): Longhorn reaches the API server there, and the API server calls Longhorn's webhooks from there."
  type        = list(string)
}

variable "api_server_port" {
  description = "The API server's own port behind the `kubernetes` Service (6443 with kubeadm)."
  type        = number
  default     = 6443
}

variable "backupstore_cidrs" {
  description = "Addresses of Longhorn's backup target."
  type        = list(string)
}

variable "backupstore_port" {
  description = "Port of Longhorn's backup target (for example 443 or 9000 for S3, 2049 for NFS)."
  type        = number
}
