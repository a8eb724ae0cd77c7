# What the built-in catalog covers: every platform with its release ranges, and the roles, options and
# parameters of one release. `make example` plans this configuration.
terraform {
  required_providers {
    portmatrix = {
      source = "portmatrix/portmatrix"
    }
  }
}

provider "portmatrix" {}

data "portmatrix_catalog" "all" {}

data "portmatrix_catalog" "longhorn" {
  platform = "longhorn"
}

locals {
  longhorn_releases = data.portmatrix_catalog.longhorn.platforms[0].releases
  longhorn_newest   = local.longhorn_releases[length(local.longhorn_releases) - 1]
}

output "platform_releases" {
  description = "Each platform and the version ranges its port tables cover."
  value = {
    for platform in data.portmatrix_catalog.all.platforms :
    platform.name => [for release in platform.releases : release.versions]
  }
}

output "longhorn_roles" {
  description = "Longhorn's components in the newest release, with the network they use."
  value = {
    for role in local.longhorn_newest.roles : role.name => role.network
  }
}

output "longhorn_parameters" {
  description = "Values Longhorn's table leaves to you (it says only 'User defined')."
  value       = [for parameter in local.longhorn_newest.parameters : parameter.name]
}

output "kublr_options" {
  description = "Conditions Kublr's tables depend on, with their defaults."
  value = {
    for option in [for p in data.portmatrix_catalog.all.platforms : p if p.name == "kublr"][0].releases[0].options :
    option.name => "${option.default} (one of ${join(", ", option.values)})"
  }
}
