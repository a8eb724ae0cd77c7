variable "name" {
  description = "Prefix of the firewall names and of the server label that selects a tier."
  type        = string
  default     = "k8s"
}

variable "tier_ranges" {
  description = <<-EOT
    The addresses of each tier's servers as the firewalls see them: for traffic between servers over their public
    addresses, their public IPv4 /32 blocks and IPv6 /64 networks. Every tier that has rules needs an entry.
  EOT
  type        = map(list(string))
}

variable "longhorn_version" {
  description = "The Longhorn release you run."
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

variable "outbound_rules" {
  description = "Write out rules too. A Hetzner firewall with any out rule drops every outbound packet no rule allows (package mirrors, registries...)."
  type        = bool
  default     = false
}
