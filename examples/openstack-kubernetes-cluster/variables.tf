variable "name" {
  description = "Prefix of the security group names, e.g. \"prod-k8s\" gives prod-k8s-master, prod-k8s-worker, prod-k8s-lb."
  type        = string
  default     = "k8s"
}

variable "ethertypes" {
  description = "Address families of the cluster: [\"IPv4\"] for an IPv4-only cluster (half the rules between tiers), [\"IPv4\", \"IPv6\"] for dual stack."
  type        = list(string)
  default     = ["IPv4"]
}

variable "calico_encapsulation" {
  description = "Calico's encapsulation: \"ipip\" (IP protocol 4, Calico's default), \"vxlan\" (UDP 4789) or \"none\"."
  type        = string
  default     = "ipip"
}

variable "longhorn_version" {
  description = "The Longhorn release you run; its networking page changed between 1.2 and 1.5."
  type        = string
  default     = "1.6.0"
}

variable "api_client_cidrs_ipv4" {
  description = "IPv4 blocks of the clients of the Kubernetes API (endpoint api-clients; NodePorts stay closed to them)."
  type        = list(string)
  default     = []
}

variable "api_client_cidrs_ipv6" {
  description = "IPv6 blocks of the clients of the Kubernetes API (endpoint api-clients; NodePorts stay closed to them)."
  type        = list(string)
  default     = []
}

variable "load_balancer_cidrs" {
  description = "IPv4 blocks of the load balancers that check kube-proxy's health port 10256."
  type        = list(string)
  default     = []
}

variable "backupstore_cidrs" {
  description = "IPv4 blocks of Longhorn's backupstore."
  type        = list(string)
  default     = []
}

variable "backupstore_port" {
  description = "The backupstore's port; Longhorn's table says only \"User defined\"."
  type        = number
  default     = 443
}

variable "allow_all_egress" {
  description = "Keep Neutron's default allow-all egress rules (true), or delete them and allow only the egress the tables list (false)."
  type        = bool
  default     = true
}
