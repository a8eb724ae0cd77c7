terraform {
  required_providers {
    portmatrix = {
      source = "portmatrix/portmatrix"
    }
  }
}

# The catalogs are compiled in, so the provider needs no configuration. The optional aws block only serves
# portmatrix_aws_security_group_audit, which reads live security groups; credentials come from the standard AWS
# chain and never appear in the configuration.
provider "portmatrix" {
  aws {
    region = "eu-central-1"
  }
}
