#!/usr/bin/env bash
# Packages built binaries the way the Terraform Registry and provider mirrors expect them:
#   scripts/package-release.sh DIST VERSION PORTMATRIX_CLI OS_ARCH=PROVIDER_BINARY [OS_ARCH=PROVIDER_BINARY ...]
# writes into DIST (created; files of this VERSION in it are replaced):
#   terraform-provider-portmatrix_VERSION_OS_ARCH.zip     holding terraform-provider-portmatrix_vVERSION[.exe]
#   terraform-provider-portmatrix_VERSION_manifest.json   the repository's terraform-registry-manifest.json
#   terraform-provider-portmatrix_VERSION_SHA256SUMS      checksums of the two above
#   terraform-provider-portmatrix_VERSION_SHA256SUMS.sig  detached GPG signature, when PORTMATRIX_GPG_KEY is set
#   portmatrix_VERSION_OS_ARCH.zip                        the CLI with its man pages and shell completions
#   portmatrix_VERSION_SHA256SUMS[.sig]                   their checksums
#   man/portmatrix*.1, completions/                       generated from the CLI's clap definitions
# PORTMATRIX_CLI must run on this machine (it generates the man pages and completions); it is zipped for the first
# OS_ARCH. `make release` calls this on release builds, the acceptance tests on debug builds.
#
# Zips are byte-for-byte reproducible: every file gets the time SOURCE_DATE_EPOCH (default: the time of the
# commit checked out), fixed permissions, a fixed order, and no extra fields (`zip -X`: no uid/gid, no extended
# timestamps). Signatures are not reproducible (they carry the signing time) and are left out of that promise.
# PORTMATRIX_GPG_KEY names the signing key (an id or fingerprint in gpg's keyring, GNUPGHOME honoured).
set -euo pipefail

if [ "$#" -lt 4 ]; then
  echo "usage: $0 DIST VERSION PORTMATRIX_CLI OS_ARCH=PROVIDER_BINARY..." >&2
  exit 2
fi
dist=$1 version=$2 cli=$3
shift 3
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
name=terraform-provider-portmatrix
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct)}
for tool in zip sha256sum; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is missing (Debian package ${tool/sha256sum/coreutils})" >&2; exit 2; }
done
# Zip stores local time in its DOS timestamps: pin the zone, and the locale for sort.
export TZ=UTC LC_ALL=C
umask 022

mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
rm -rf "$dist/man" "$dist/completions"
rm -f "$dist/${name}_${version}_"* "$dist/portmatrix_${version}_"*
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# zip_files ZIP FILE...: a zip of FILEs (paths relative to $stage/files, in the order given) with fixed metadata.
zip_files() {
  local archive=$1
  shift
  (cd "$stage/files" && find . -exec touch -h -d "@$epoch" {} + && zip -X -D -q "$archive" "$@")
}

# sums_and_signature SUMS FILE...: SHA256SUMS of FILEs (names in DIST), sorted by name, and its detached signature.
sums_and_signature() {
  local sums=$1
  shift
  (cd "$dist" && printf '%s\n' "$@" | sort | xargs sha256sum) > "$dist/$sums"
  if [ -n "${PORTMATRIX_GPG_KEY:-}" ]; then
    gpg --batch --yes --local-user "$PORTMATRIX_GPG_KEY" --detach-sign --output "$dist/$sums.sig" "$dist/$sums"
  else
    echo "$0: PORTMATRIX_GPG_KEY is not set: $sums is not signed (the Registry requires $sums.sig)" >&2
  fi
}

provider_files=("${name}_${version}_manifest.json")
cp "$root/terraform-registry-manifest.json" "$dist/${name}_${version}_manifest.json"
cli_platform=
for pair in "$@"; do
  platform=${pair%%=*} binary=${pair#*=}
  case "$platform" in
    *_*) ;;
    *) echo "$0: $pair: expected OS_ARCH=BINARY, e.g. linux_amd64=target/release/$name" >&2; exit 2 ;;
  esac
  suffix=
  [ "${platform%%_*}" = windows ] && suffix=.exe
  rm -rf "$stage/files" && mkdir -p "$stage/files"
  install -m 755 "$binary" "$stage/files/${name}_v${version}${suffix}"
  zip_files "$dist/${name}_${version}_${platform}.zip" "${name}_v${version}${suffix}"
  provider_files+=("${name}_${version}_${platform}.zip")
  cli_platform=${cli_platform:-$platform}
done
sums_and_signature "${name}_${version}_SHA256SUMS" "${provider_files[@]}"

# The CLI: its binary, the man pages and completions generated from its own clap definitions.
rm -rf "$stage/files" && mkdir -p "$stage/files/man" "$stage/files/completions"
install -m 755 "$cli" "$stage/files/portmatrix"
"$cli" man --dir "$stage/files/man"
"$cli" completions bash > "$stage/files/completions/portmatrix.bash"
"$cli" completions zsh > "$stage/files/completions/_portmatrix"
"$cli" completions fish > "$stage/files/completions/portmatrix.fish"
chmod 644 "$stage"/files/man/* "$stage"/files/completions/*
mapfile -t pages < <(cd "$stage/files" && ls man/*.1)
zip_files "$dist/portmatrix_${version}_${cli_platform}.zip" portmatrix "${pages[@]}" \
  completions/portmatrix.bash completions/_portmatrix completions/portmatrix.fish
cp -R "$stage/files/man" "$stage/files/completions" "$dist/"
sums_and_signature "portmatrix_${version}_SHA256SUMS" "portmatrix_${version}_${cli_platform}.zip"

(cd "$dist" && ls -l "${name}_${version}_"* "portmatrix_${version}_"*) >&2
