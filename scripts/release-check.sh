#!/usr/bin/env bash
# `make release-check`: rebuilds the release of HEAD from a fresh clone in another directory, with its own target
# directory, and compares its zips, manifest and checksum files byte for byte with those in dist/ (made by
# `make release` from the same commit). Different paths and a cold build are what reproducibility has to survive.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if ! git -C "$root" diff --quiet HEAD --; then
  echo "release-check: the work tree has changes; commit them, then run make release and make release-check" >&2
  exit 2
fi
ls "$root"/dist/*_SHA256SUMS >/dev/null 2>&1 || { echo "release-check: no dist/: run make release first" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet --no-hardlinks "$root" "$work/portmatrix"
git -C "$work/portmatrix" checkout --quiet --detach "$(git -C "$root" rev-parse HEAD)"
(cd "$work/portmatrix" && env -u PORTMATRIX_GPG_KEY bash scripts/release.sh)

status=0
for sums in "$root"/dist/*_SHA256SUMS; do
  file=$(basename "$sums")
  if cmp -s "$sums" "$work/portmatrix/dist/$file"; then
    echo "release-check: $file identical"
  else
    echo "release-check: $file differs:" >&2
    diff "$sums" "$work/portmatrix/dist/$file" >&2 || true
    status=1
  fi
done
exit "$status"
