#!/usr/bin/env bash
# Plans a bundled example against the freshly built provider, with no `terraform init` and no registry:
#   examples/plan.sh [EXAMPLE_DIR]     (default: examples/aws-kubernetes-cluster/rules-only)
# Uses TERRAFORM if set, else the pinned Terraform 1.0.3 from .tools, else a `terraform` on PATH, else installs
# Terraform 1.0.3 into .tools (acceptance-tests/setup.sh terraform).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
example=$(cd "${1:-$root/examples/aws-kubernetes-cluster/rules-only}" && pwd)

# The bundled examples plan rule sets only, so the build leaves out the live EC2 audit (aws-sdk-ec2 adds about
# ten minutes to a clean release build). Set PORTMATRIX_FEATURES=aws-audit to plan the audit example.
cargo build --release --quiet -p terraform-provider-portmatrix ${PORTMATRIX_FEATURES:+--features "$PORTMATRIX_FEATURES"} \
  --bin terraform-provider-portmatrix --manifest-path "$root/Cargo.toml"
target_dir=${CARGO_TARGET_DIR:-$root/target}

# Terraform only: no test tooling (moto, nftables) is installed for a plan.
if [ -z "${TERRAFORM:-}" ]; then
  if [ ! -x "$root/.tools/bin/terraform-1.0.3" ] && command -v terraform >/dev/null 2>&1; then
    TERRAFORM=terraform
  else
    bash "$root/acceptance-tests/setup.sh" terraform
    TERRAFORM="$root/.tools/bin/terraform-1.0.3"
  fi
fi
# Colours for a terminal only: piped into a file or a CI log, escape codes are noise.
color=()
[ -t 1 ] || color=(-no-color)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/dev.tfrc" <<TFRC
provider_installation {
  dev_overrides {
    "registry.terraform.io/portmatrix/portmatrix" = "$target_dir/release"
  }
  direct {}
}
TFRC
# Plan a copy, so the example folder stays free of state and lock files.
cp -R "$example/." "$work/config"
cd "$work/config"
TF_CLI_CONFIG_FILE="$work/dev.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 \
  "$TERRAFORM" plan -input=false "${color[@]}"
