# Every platform portmatrix knows, and the releases of one of them.
data "portmatrix_catalog" "all" {}

data "portmatrix_catalog" "longhorn" {
  platform = "longhorn"
}

output "platforms" {
  value = data.portmatrix_catalog.all.platform_names
}

output "longhorn_releases" {
  value = [for release in data.portmatrix_catalog.longhorn.platforms[0].releases : release.versions]
}

# Your own applications, in the catalog format, listed beside the built-in platforms.
data "portmatrix_catalog" "with_mine" {
  user_catalogs = [file("${path.module}/acme-app.toml")]
}
