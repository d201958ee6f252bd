#!/usr/bin/env bash
# `make run`: starts catenad and loads the examples into the default tenant (docs/quickstart.md):
#   - banking: collection `banking` from examples/banking/kb (GloVe `glove-100d` vectors + BM25), pipelines
#     `banking-assistant` and `banking-qa`;
#   - marketing: collection `marketing` from examples/marketing/kb, pipelines `copy-studio` and `segment-customers`;
#   - fraud: the SQL tools of examples/fraud/tools.yaml (sample database created under the data dir at the first
#     start), pipeline `fraud-triage`.
# Then it prints the next commands and keeps catenad in the foreground until Ctrl-C. Loading is idempotent:
# unchanged documents are skipped on restart. CATENA_RUN_GRPC_PORT picks the gRPC port (default 50051); extra
# arguments go to catenad (e.g. --http-port 0, --set inference.models=default=model.gguf).
# Usage: scripts/run-examples.sh BUILD_DIR DATA_DIR [catenad args...]
set -euo pipefail

build_dir=${1:?usage: run-examples.sh BUILD_DIR DATA_DIR [catenad args...]}
data_dir=${2:?usage: run-examples.sh BUILD_DIR DATA_DIR [catenad args...]}
shift 2
port=${CATENA_RUN_GRPC_PORT:-50051}
catena=("$build_dir/bin/catena" --address "localhost:$port")

# fraud-triage example (examples/fraud/README.md): catenad loads its SQL tools (added to any CATENA_TOOLS_FILES);
# the sample database is created under the data dir from examples/fraud/transactions.sql at the first start.
export CATENA_TOOLS_FILES="${CATENA_TOOLS_FILES:+$CATENA_TOOLS_FILES,}examples/fraud/tools.yaml"

mkdir -p "$data_dir"
"$build_dir/bin/catenad" --data-dir "$data_dir" --grpc-port "$port" "$@" &
catenad_pid=$!
trap 'kill -TERM "$catenad_pid" 2>/dev/null || true; wait "$catenad_pid" 2>/dev/null || true' INT TERM EXIT

for _ in $(seq 1 100); do
  if "${catena[@]}" health >/dev/null 2>&1; then break; fi
  if ! kill -0 "$catenad_pid" 2>/dev/null; then echo "catenad exited during start" >&2; exit 1; fi
  sleep 0.2
done

if ! "${catena[@]}" collections describe banking >/dev/null 2>&1; then
  # The first embedding with glove-100d converts the npm word vectors into a binary cache (about a minute, once).
  "${catena[@]}" collections create banking --embedder glove-100d --field lang:string:indexed \
    --field product:string:indexed --field doc_id:string >/dev/null
fi
"${catena[@]}" ingest banking examples/banking/kb 2>/dev/null
"${catena[@]}" pipeline deploy examples/pipelines/banking-assistant.yaml examples/pipelines/banking-qa.yaml

# Marketing example (examples/marketing/README.md): collection `marketing` with the brand guide (whole documents)
# and the product sheets (one sentence per chunk), pipelines copy-studio and segment-customers.
if ! "${catena[@]}" collections describe marketing >/dev/null 2>&1; then
  "${catena[@]}" collections create marketing --field doc_type:string:indexed --field product:string:indexed \
    --field lang:string:indexed --field doc_id:string >/dev/null
fi
"${catena[@]}" ingest marketing examples/marketing/kb/brand 2>/dev/null
"${catena[@]}" ingest marketing examples/marketing/kb/products --splitter sentence --chunk-size 160 \
  --chunk-overlap 0 2>/dev/null
"${catena[@]}" pipeline deploy examples/pipelines/copy-studio.yaml
"${catena[@]}" pipeline deploy examples/pipelines/segment-customers.yaml

# Fraud example (examples/fraud/README.md): the offline workflow (fraud-triage-agent.yaml needs a tool-calling
# model); its tools come from examples/fraud/tools.yaml, loaded at start through CATENA_TOOLS_FILES.
"${catena[@]}" pipeline deploy examples/pipelines/fraud-triage.yaml

cat <<TEXT

catenad is serving on localhost:$port with the examples loaded (examples/README.md).
Try, in another terminal (docs/quickstart.md walks through them):
  $build_dir/bin/catena chat banking-assistant        # then: How do I block my card?  /  And what does a replacement cost?
  $build_dir/bin/catena pipeline run banking-assistant --input question="Comment faire opposition sur ma carte ?"
  $build_dir/bin/catena eval banking-qa examples/banking/eval.jsonl
  $build_dir/bin/catena pipeline run fraud-triage --input card=C1003    # card testing: waits for approval to block
  $build_dir/bin/catena pipeline resume RUN_ID --approve                # or --reject; RUN_ID is printed by the run
  $build_dir/bin/catena pipeline run copy-studio --input product=travel-card --input channel=ad \
      --input segment="frequent travellers who pay abroad in foreign currency"
  $build_dir/bin/catena pipeline run segment-customers \
      --inputs-json "\$(jq -s '{customers: [.[] | {id, text}], embedder: "glove-100d"}' examples/marketing/customers.jsonl)"
Answers and copy come from the built-in extractive model and composition (knowledge-base sentences, cited, not
generated text); one config line switches to a GGUF model or an OpenAI-compatible server (docs/quickstart.md).
The fraud example's database: $data_dir/fraud/transactions.db. Ctrl-C stops catenad.
TEXT
trap - EXIT
wait "$catenad_pid"
