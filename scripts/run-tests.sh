#!/usr/bin/env bash
# Runs the whole test suite (`cargo test` with the arguments given) and keeps its output in target/test-output.log.
# When a test fails, the failures are printed again at the very end: CI logs keep the head and the tail of a long
# run, and with --no-fail-fast a failure's message would otherwise sit in the middle, out of sight.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log="$root/target/test-output.log"
mkdir -p "$root/target"

cargo test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo
  echo "==== failures (from $log) ===="
  # Each failed test's captured output starts with '---- NAME stdout ----'; print its first 60 lines.
  awk '/^---- .* stdout ----$/ { n = 60 } /^failures:$/ { n = 0 } n > 0 { print; n-- }' "$log"
  grep -E '^test .* \.\.\. FAILED$|^error: .*target.* failed|^    `' "$log"
fi
exit "$status"
