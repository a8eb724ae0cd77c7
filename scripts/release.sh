#!/usr/bin/env bash
# `make release`: reproducible release builds of terraform-provider-portmatrix and the portmatrix CLI (with the
# aws-audit feature), packaged into dist/ by scripts/package-release.sh.
#
# Targets: PORTMATRIX_TARGETS (Rust target triples, space separated), default the host's. A target needs its Rust
# standard library (`rustup target add TRIPLE`) and a linker for it. Each is named as Terraform names platforms.
# Reproducible: paths are remapped (--remap-path-prefix for Rust, -ffile-prefix-map for the C code of aws-lc),
# symbols stripped, and SOURCE_DATE_EPOCH defaults to the commit's time. The build uses its own target directory
# (target/dist), so its flags never invalidate the debug and release builds of the other commands.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
version=$(cargo pkgid -p terraform-provider-portmatrix)
version=${version##*[@#]}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
host=$(rustc -vV | sed -n 's/^host: //p')
targets=${PORTMATRIX_TARGETS:-$host}
cargo_home=${CARGO_HOME:-$HOME/.cargo}
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}

remap="--remap-path-prefix=$root=/portmatrix --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$rustup_home=/rustup"
c_remap="-ffile-prefix-map=$root=/portmatrix -ffile-prefix-map=$cargo_home=/cargo"
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }$remap"
export CFLAGS="${CFLAGS:+$CFLAGS }$c_remap" CXXFLAGS="${CXXFLAGS:+$CXXFLAGS }$c_remap"
export CARGO_PROFILE_RELEASE_STRIP=symbols
export CARGO_TARGET_DIR=${PORTMATRIX_DIST_TARGET_DIR:-$root/target/dist}

# terraform_platform TRIPLE: Terraform's OS_ARCH for a Rust target triple.
terraform_platform() {
  local os arch
  case "$1" in
    x86_64-*) arch=amd64 ;;
    aarch64-*) arch=arm64 ;;
    i686-*) arch=386 ;;
    armv7-*|arm-*) arch=arm ;;
    *) echo "release: no Terraform architecture known for $1" >&2; return 1 ;;
  esac
  case "$1" in
    *-linux-*) os=linux ;;
    *-apple-darwin) os=darwin ;;
    *-windows-*) os=windows ;;
    *-freebsd) os=freebsd ;;
    *) echo "release: no Terraform OS known for $1" >&2; return 1 ;;
  esac
  echo "${os}_${arch}"
}

pairs=()
for triple in $targets; do
  platform=$(terraform_platform "$triple")
  start=$(date +%s)
  echo "release: building $version for $triple ($platform)" >&2
  cargo build --release --locked -p terraform-provider-portmatrix --features aws-audit --target "$triple" \
    --bin terraform-provider-portmatrix --bin portmatrix
  echo "release: $triple built in $(( $(date +%s) - start )) s" >&2
  exe=
  [ "${platform%%_*}" = windows ] && exe=.exe
  pairs+=("$platform=$CARGO_TARGET_DIR/$triple/release/terraform-provider-portmatrix$exe")
done
bash "$root/scripts/package-release.sh" "$root/dist" "$version" \
  "$CARGO_TARGET_DIR/$host/release/portmatrix" "${pairs[@]}"
