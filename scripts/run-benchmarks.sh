#!/usr/bin/env bash
# Runs every benchmark binary (build/bin/*_bench) in turn; each prints JSON result lines on stdout.
# Usage: scripts/run-benchmarks.sh [BUILD_DIR]
set -euo pipefail
build_dir="${1:-build}"
shopt -s nullglob
benches=("$build_dir"/bin/*_bench)
if ((${#benches[@]} == 0)); then
  echo "run-benchmarks: no benchmarks in $build_dir/bin; run 'make build' first" >&2
  exit 1
fi
for bench in "${benches[@]}"; do
  echo "run-benchmarks: $(basename "$bench")" >&2
  "$bench"
done
