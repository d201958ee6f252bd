#!/usr/bin/env bash
# `make run`: starts catenad, loads the banking example into the default tenant (collection `banking` from
# examples/banking/kb with the default embedder, pipeline `banking-qa`), prints the next commands, and keeps
# catenad in the foreground until Ctrl-C. Loading is idempotent: unchanged documents are skipped on restart.
# Usage: scripts/run-examples.sh BUILD_DIR DATA_DIR [catenad args...]
# It also serves the fraud-triage example (SQL tools of examples/fraud/tools.yaml, pipeline `fraud-triage`).
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
  "${catena[@]}" collections create banking --field lang:string:indexed --field product:string:indexed \
    --field doc_id:string >/dev/null
fi
"${catena[@]}" ingest banking examples/banking/kb 2>/dev/null
"${catena[@]}" pipeline deploy examples/pipelines/banking-qa.yaml
# fraud-triage example: the offline workflow (fraud-triage-agent.yaml needs a tool-calling model).
"${catena[@]}" pipeline deploy examples/pipelines/fraud-triage.yaml

cat <<TEXT

catenad is serving on localhost:$port with the Northwind Bank example loaded (examples/README.md).
Try, in another terminal:
  $build_dir/bin/catena pipeline run banking-qa --input question="How do I block my card?"
  $build_dir/bin/catena pipeline run banking-qa --input question="Comment faire opposition sur ma carte ?" --input language=fr
  $build_dir/bin/catena eval banking-qa examples/banking/eval.jsonl
Answers come from the built-in extractive model (cited knowledge-base sentences, not generated text); switch
to a GGUF model with one 'model:' line in examples/pipelines/banking-qa.yaml. Ctrl-C stops catenad.
TEXT
# fraud-triage example: what to try.
cat <<TEXT
Fraud triage over sample card transactions in SQLite ($data_dir/fraud/transactions.db, examples/fraud/README.md):
  $build_dir/bin/catena pipeline run fraud-triage --input card=C1003    # card testing: waits for approval to block
  $build_dir/bin/catena pipeline resume RUN_ID --approve                # or --reject; RUN_ID is printed by the run
  $build_dir/bin/catena pipeline run fraud-triage --input card=C1007    # one large foreign purchase: report only
TEXT
trap - EXIT
wait "$catenad_pid"
