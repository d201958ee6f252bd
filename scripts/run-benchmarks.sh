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
# Side-by-side references (llama.cpp via node-llama-cpp) live outside the repository, fetched once with npm.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench_assets="${CATENA_BENCH_ASSET_DIR:-$HOME/.cache/catena/bench-assets}"
mkdir -p "$bench_assets"
if ! cmp -s "$here/assets/bench/package.json" "$bench_assets/package.json" || [[ ! -d "$bench_assets/node_modules" ]]; then
  cp "$here/assets/bench/package.json" "$bench_assets/package.json"
  echo "run-benchmarks: npm install into $bench_assets" >&2
  (cd "$bench_assets" && npm install --no-audit --no-fund --no-package-lock --loglevel=error >&2) ||
    { rm -f "$bench_assets/package.json"; echo "run-benchmarks: npm install failed; no llama.cpp comparison" >&2; }
fi
export CATENA_BENCH_ASSET_DIR="$bench_assets"

for bench in "${benches[@]}"; do
  echo "run-benchmarks: $(basename "$bench")" >&2
  "$bench"
done
