variable "nodes" {
  description = "The cluster's machines by name: tier (master or worker), fixed IPv4 address and size."
  type = map(object({
    tier       = string
    address    = string
    vcpu       = number
    memory_mib = number
    disk_bytes = number
  }))
}

variable "deckhouse_version" {
  description = "The Deckhouse release you run; its port table depends on it."
  type        = string
  default     = "1.64"
}

variable "deckhouse_modules" {
  description = "Deckhouse modules and settings as portmatrix options (portmatrix_catalog lists them). Module options default to on, as the page lists every module's ports; turn off the modules the cluster does not run, e.g. { virtualization = \"false\" }."
  type        = map(string)
  default     = {}
}

variable "pod_cidrs" {
  description = "The cluster's pod ranges (Deckhouse's podSubnetCIDR): pods reach host services of their own node from them."
  type        = list(string)
}

variable "administrator_cidrs" {
  description = "Where administrators and the installer connect from (SSH 22 and 22322, kube-apiserver 6443 on the masters)."
  type        = list(string)
}

variable "client_cidrs_ipv4" {
  description = "IPv4 clients of the ingress controllers, OpenVPN and NodePorts."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "client_cidrs_ipv6" {
  description = "IPv6 clients of the ingress controllers, OpenVPN and NodePorts."
  type        = list(string)
  default     = []
}

variable "balancer_cidrs" {
  description = "External load balancers that health-check the frontends on 10256."
  type        = list(string)
  default     = []
}

variable "dns_server_cidrs" {
  description = "DNS servers of the nodes (only used by an output chain)."
  type        = list(string)
  default     = []
}

variable "ntp_server_cidrs" {
  description = "NTP servers of the nodes (only used by an output chain)."
  type        = list(string)
  default     = []
}

variable "registry_cidrs" {
  description = "The container registry the nodes pull from (only used by an output chain)."
  type        = list(string)
  default     = []
}

variable "input_policy" {
  description = "\"accept\" to install the rulesets counting what they would block, then \"drop\" once the counters stay still."
  type        = string
  default     = "accept"
}

variable "admin_user" {
  description = "The user cloud-init creates for administrators."
  type        = string
  default     = "ops"
}

variable "ssh_authorized_keys" {
  description = "Public keys of the administrators."
  type        = list(string)
}

variable "libvirt_uri" {
  description = "The libvirt daemon to create the machines on."
  type        = string
  default     = "qemu:///system"
}

variable "libvirt_pool" {
  description = "Storage pool for the machines' disks and cloud-init images."
  type        = string
  default     = "default"
}

variable "libvirt_network" {
  description = "libvirt network the machines' fixed addresses belong to."
  type        = string
  default     = "default"
}

variable "base_image_volume_id" {
  description = "Volume of a cloud image with cloud-init (Debian, Ubuntu, RHEL family) that the machines' disks start from."
  type        = string
}
