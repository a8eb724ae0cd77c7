terraform {
  required_providers {
    portmatrix = {
      source = "portmatrix/portmatrix"
    }
  }
}

# The provider takes no configuration: its catalogs are compiled in.
provider "portmatrix" {}
