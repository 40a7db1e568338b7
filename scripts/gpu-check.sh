#!/usr/bin/env bash
# The GPU checks of `--features cuda` in one call on a lent GPU machine.
#
#   scripts/gpu-check.sh --prepare   # here: build the cuda test and bench
#                                    # binaries, the cuda CLI, the tokenizer,
#                                    # MBPP's test split and the GGUF chunks
#                                    # into .gpu/
#   scripts/gpu-check.sh --dry-run   # here: --prepare, then the same steps
#                                    # on the CPU with a tiny model, and print
#                                    # what the GPU run would run
#   scripts/gpu-check.sh             # there (device tool, carry
#                                    # [".gpu/bin", ".gpu/tok", ".gpu/data"]):
#                                    # the checks, results under $OUT
#   scripts/gpu-check.sh --receive   # there, once per GGUF chunk before the
#                                    # run (carry [".gpu/gguf/NN"]): step 3's
#                                    # model, gathered in /tmp/codefail-gguf
#   scripts/gpu-check.sh --compare DIR
#                                    # here: step 3's GPU answers (DIR: the
#                                    # files the run brought back) against the
#                                    # CPU's on the same tasks, in
#                                    # outputs/gpu-compare/
#
# What travels: the repository (scripts, tests' sources) and, carried, the
# ignored .gpu/bin (the test and bench binaries and the CLI, stripped and
# xz-compressed, 29 MB), .gpu/tok (the Qwen2.5 tokenizer exported from the
# fetched GGUF and the bench prompt's token ids, 5 MB) and .gpu/data (MBPP's
# test split, 88 KB); .gpu/run and .gpu/tiny stay here. The GPU machine has
# no Rust toolchain and no network; it has
# the driver, nvcc, PyTorch and transformers, and PyTorch's CUDA 13 libraries
# (cuBLAS, cuRAND, NVRTC, cudart), which the binaries load.
#
# On the GPU (steps 1-2 measured on an H200: 110 s with transformers, 67-91 s
# with CODEFAIL_GPU_HF=0; step 3 adds CODEFAIL_GPU_MBPP_S plus two model
# loads; the call's limit is 8 minutes), in the order 1, 3, 2:
#  1. the GPU tests (tests/gpu.rs, CODEFAIL_REQUIRE_GPU=1): greedy tokens of
#     tiny random-weight Qwen2 and Llama on GPU and CPU, logits (f32, bf16,
#     GGUF Q5_0/Q8_0), batching;
#  2. a random-initialised bf16 Qwen2 with Qwen2.5-Coder-1.5B's shapes
#     (transformers' save_pretrained when torch and transformers are there,
#     else codefail's writer), the same prompt, greedy, 256 new tokens, batch
#     1 and 32: codefail's tokens/s, transformers', and the bandwidth bound
#     from a measured device-to-device copy.
#  3. Qwen2.5-Coder-0.5B (GGUF Q4_K_M), greedy, on MBPP's test split for
#     CODEFAIL_GPU_MBPP_S seconds (default 120) with the cuda `codefail`
#     CLI; the answers come back as $OUT/mbpp-gpu.parquet, and
#     `--compare` runs the same tasks on the CPU here, executes both with
#     `codefail run` and lists the tasks whose answers or verdicts differ.
#     The GGUF (491 MB) does not fit in one call's 64 MiB: --prepare cuts it
#     into .gpu/gguf/00..NN (58 MiB each, a manifest with the whole file's
#     sha256 in each), one `--receive` call per chunk gathers them on the
#     warm machine (files outside the repository live as long as it stays
#     warm: 30 s idle; make the calls back to back), and the run joins and
#     checks them. Without every chunk the run skips step 3 and says so.
# A loan, in device-tool calls (15 minutes of device time in all):
#   here:  scripts/gpu-check.sh --prepare
#   run x8, back to back: carry [".gpu/gguf/NN"] (00 ... 07), command
#          scripts/gpu-check.sh --receive, timeout_s 90
#   run:   carry [".gpu/bin", ".gpu/tok", ".gpu/data", ".gpu/gguf/08"], command
#          scripts/gpu-check.sh --receive; PYTHONUNBUFFERED=1 timeout 470 scripts/gpu-check.sh
#   give_back; here: scripts/gpu-check.sh --compare <the files it brought back>
# CODEFAIL_GPU_STEPS picks the steps (default "1 2 3"; step 3 runs only
# where the model was received).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
G=$ROOT/.gpu
MODE=${1:-run}
MAX_NEW=${CODEFAIL_GPU_MAX_NEW:-256}
# CODEFAIL_GPU_HF=0 skips transformers' decoding (a rerun that needs only
# codefail's figures).
BATCHES=${CODEFAIL_GPU_BATCHES:-1,32}
STEPS=${CODEFAIL_GPU_STEPS:-1 2 3}
# Step 3: seconds of MBPP decoding, the prompts decoded together, the device
# (--dry-run: cpu), where the GGUF chunks gather, and the chunks' size.
MBPP_S=${CODEFAIL_GPU_MBPP_S:-120}
MBPP_BATCH=${CODEFAIL_GPU_MBPP_BATCH:-8}
MBPP_DEVICE=${CODEFAIL_GPU_MBPP_DEVICE:-cuda:0}
MBPP_MAX_NEW=${CODEFAIL_GPU_MBPP_MAX_NEW:-512}
GGUF_FROM=${CODEFAIL_GGUF_FROM:-$G/gguf}
GGUF_DIR=${CODEFAIL_GGUF_DIR:-/tmp/codefail-gguf}
CHUNK_MIB=${CODEFAIL_GGUF_CHUNK_MIB:-58}
QWEN_GGUF=${CODEFAIL_QWEN_GGUF:-$HOME/.cache/codefail/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf}

say() { printf '\n== %s (%ss)\n' "$*" "$SECONDS"; }

# The executable cargo built for a target, from its JSON messages.
executable() {
  python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == sys.argv[1]:
        print(m["executable"])' "$1" | tail -1
}

prepare() {
  eval "$(scripts/cuda-toolkit.sh)" || exit 1
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >>.git/info/exclude
  mkdir -p "$G/bin" "$G/tok" "$G/data"
  export CARGO_PROFILE_RELEASE_DEBUG=false
  say "build: tests/gpu.rs, benches/gpu_decode.rs and the codefail CLI with --features cuda"
  local t b c
  t=$(cargo test --release --features cuda --test gpu --no-run --message-format=json-render-diagnostics | executable gpu) || exit 1
  b=$(cargo bench --features cuda --bench gpu_decode --no-run --message-format=json-render-diagnostics | executable gpu_decode) || exit 1
  c=$(cargo build --release --features cuda --bin codefail --message-format=json-render-diagnostics | executable codefail) || exit 1
  [[ -x $t && -x $b && -x $c ]] || { echo "gpu-check: no binaries built ($t, $b, $c)" >&2; exit 1; }
  for x in "$t:gpu-tests" "$b:gpu-decode" "$c:codefail"; do
    strip -o "$G/bin/${x#*:}" "${x%%:*}"
    xz -T0 -6 -f -k "$G/bin/${x#*:}"
    rm -f "$G/bin/${x#*:}"
  done
  ls -l "$G/bin"
  local gguf=$QWEN_GGUF
  if [[ ! -f $gguf ]]; then
    cargo run --release --quiet -- models fetch qwen2.5-coder-0.5b || exit 1
  fi
  unpack_here
  # The link-time stubs let the cuda binaries start here (every CUDA call
  # fails cleanly); --dry-run runs them the same way.
  export LD_LIBRARY_PATH=$CODEFAIL_CUDA_STUBS:$CUDA_ROOT/lib
  say "step 3's inputs: MBPP's test split as a problems frame, the GGUF in $CHUNK_MIB MiB chunks"
  "$G/run/codefail" --quiet --no-track load mbpp --split test --out "$G/data/mbpp-test.parquet" || exit 1
  rm -rf "$G/gguf"
  mkdir -p "$G/gguf"
  split -b "${CHUNK_MIB}M" -d -a 2 "$gguf" "$G/gguf/part." || exit 1
  local parts=("$G"/gguf/part.*) sha p n
  sha=$(sha256sum "$gguf" | cut -d' ' -f1)
  for p in "${parts[@]}"; do
    n=${p##*.}
    mkdir "$G/gguf/$n"
    mv "$p" "$G/gguf/$n/"
    printf 'chunks=%s\nsha256=%s\nbytes=%s\n' "${#parts[@]}" "$sha" "$(stat -c %s "$gguf")" >"$G/gguf/$n/manifest"
  done
  ls "$G/gguf"
  say "tokenizer: Qwen2.5's, exported from the fetched GGUF"
  CODEFAIL_BENCH_DEVICE=cpu CODEFAIL_BENCH_SIZE=tiny \
    CODEFAIL_BENCH_TOKENIZER_FROM=$gguf CODEFAIL_BENCH_MAKE_MODEL=$G/tiny "$G/run/gpu-decode" || exit 1
  cp "$G/tiny/tokenizer.json" "$G/tiny/tokenizer_config.json" "$G/tok/"
  # The bench prompt's ids (the same tokenizer), so that transformers' run
  # has them even if codefail's does not get as far as writing them.
  CODEFAIL_BENCH_DEVICE=cpu CODEFAIL_BENCH_MODEL=$G/tiny \
    CODEFAIL_BENCH_MAX_NEW=1 CODEFAIL_BENCH_BATCHES=1 CODEFAIL_BENCH_OUT=$G/tiny/ids-bench.json \
    CODEFAIL_BENCH_IDS=$G/tok/prompt-ids.json "$G/run/gpu-decode" >/dev/null || exit 1
  du -sh "$G/bin" "$G/tok" "$G/data" "$G/gguf"/*
}

# Unpack the binaries into .gpu/run.
unpack_here() {
  mkdir -p "$G/run"
  local x f
  for x in "$G"/bin/*.xz; do
    f=$(basename "$x" .xz)
    if command -v xz >/dev/null; then
      xz -d -c "$x" >"$G/run/$f"
    else # python's lzma where the image has no xz
      python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$x" "$G/run/$f"
    fi && chmod +x "$G/run/$f" || exit 1
  done
}

# Copy the carried GGUF chunks (.gpu/gguf/NN) to $GGUF_DIR and say which
# are still missing.
receive() {
  mkdir -p "$GGUF_DIR"
  local d got=0
  for d in "$GGUF_FROM"/*/; do
    [[ -f $d/manifest ]] || continue
    cp "$d"/part.* "$d/manifest" "$GGUF_DIR/" || exit 1
    got=1
  done
  [[ $got == 1 ]] || { echo "gpu-check --receive: no chunk carried (carry [\".gpu/gguf/NN\"])" >&2; exit 1; }
  echo "in $GGUF_DIR: $(cd "$GGUF_DIR" && ls part.* model.gguf 2>/dev/null | tr '\n' ' ')"
  gguf_ready || true
}

# The assembled GGUF's path once every chunk is in $GGUF_DIR (joined and
# sha256-checked the first time); otherwise what is missing, on stderr, and
# status 1.
gguf_ready() {
  local model=$GGUF_DIR/model.gguf
  [[ -f $GGUF_DIR/manifest ]] || { echo "no GGUF chunk received" >&2; return 1; }
  local chunks sha bytes
  chunks=$(sed -n 's/^chunks=//p' "$GGUF_DIR/manifest")
  sha=$(sed -n 's/^sha256=//p' "$GGUF_DIR/manifest")
  bytes=$(sed -n 's/^bytes=//p' "$GGUF_DIR/manifest")
  if [[ ! -f $model ]]; then
    local i missing=()
    for ((i = 0; i < chunks; i++)); do
      [[ -f $GGUF_DIR/part.$(printf %02d "$i") ]] || missing+=("$(printf %02d "$i")")
    done
    if ((${#missing[@]})); then
      echo "GGUF chunks missing: ${missing[*]} (of $chunks)" >&2
      return 1
    fi
    cat "$GGUF_DIR"/part.* >"$model.part" || return 1
    local got
    got=$(sha256sum "$model.part" | cut -d' ' -f1)
    if [[ $got != "$sha" || $(stat -c %s "$model.part") != "$bytes" ]]; then
      echo "GGUF joined from $chunks chunks: sha256 $got, expected $sha" >&2
      rm -f "$model.part"
      return 1
    fi
    mv "$model.part" "$model"
    rm -f "$GGUF_DIR"/part.*
  fi
  echo "$model"
}

# Step 3 (see the header): greedy MBPP answers for MBPP_S seconds (no batch
# starts after that; the one under way finishes), written with the finished
# tasks as one generations frame, $1/mbpp-gpu.parquet.
mbpp_step() {
  local out=$1 model
  model=$(gguf_ready) || { echo "step 3 skipped: the GGUF was not received (scripts/gpu-check.sh --receive)"; return 0; }
  local cf=$G/run/codefail gens=$out/mbpp-gpu.parquet
  local args=(--quiet --no-track sample --problems "$G/data/mbpp-test.parquet" --model "$model"
    --device "$MBPP_DEVICE" --temperature 0 --max-new-tokens "$MBPP_MAX_NEW" --batch-size "$MBPP_BATCH" --out "$gens")
  echo "codefail ${args[*]} --time-budget $MBPP_S"
  local t0=$SECONDS
  # A hard stop too, in case a batch hangs; then the finished tasks are in
  # the checkpoint, and a zero budget writes them out without decoding.
  timeout -s INT $((MBPP_S + 180)) "$cf" "${args[@]}" --time-budget "$MBPP_S"
  echo "sample exited $? after $((SECONDS - t0)) s"
  if [[ ! -f $gens ]] || ls "$out"/mbpp-gpu*.checkpoint.jsonl >/dev/null 2>&1; then
    "$cf" "${args[@]}" --time-budget 0 || return 1
  fi
  [[ -f $gens ]] || { echo "step 3: no answers written" >&2; return 1; }
  ls -l "$gens"
}

# Here: the GPU's step-3 answers (DIR/mbpp-gpu.parquet) against the CPU's on
# the same tasks: both run on MBPP's tests, pass@1 of each, and the tasks
# whose answers or verdicts differ.
compare() {
  local from=$1 dir=${CODEFAIL_GPU_COMPARE_DIR:-$ROOT/outputs/gpu-compare}
  [[ -f $from/mbpp-gpu.parquet ]] || { echo "gpu-check --compare: no $from/mbpp-gpu.parquet" >&2; exit 1; }
  # The device tool's files are read-only: work on a copy.
  rm -rf "$dir" && mkdir -p "$dir" && cp "$from/mbpp-gpu.parquet" "$dir/" || exit 1
  echo "gpu-check --compare: working in $dir"
  local cf=(cargo run --release --quiet --bin codefail --)
  export CARGO_PROFILE_RELEASE_DEBUG=false
  say "run: the GPU's answers"
  "${cf[@]}" --quiet --no-track run --dataset mbpp --split test --generations "$dir/mbpp-gpu.parquet" \
    --out "$dir/run-gpu.jsonl" || exit 1
  local ids
  ids=$(python3 -c 'import json, sys; print(",".join(sorted({json.loads(l)["task_id"] for l in open(sys.argv[1]) if l.strip()})))' "$dir/run-gpu.jsonl")
  say "sample: the same tasks on the CPU, the same settings"
  "${cf[@]}" --quiet --no-track sample --dataset mbpp --split test --task-ids "$ids" --model "$QWEN_GGUF" \
    --device cpu --temperature 0 --max-new-tokens "$MBPP_MAX_NEW" --batch-size "$MBPP_BATCH" --out "$dir/mbpp-cpu.parquet" || exit 1
  "${cf[@]}" --quiet --no-track run --dataset mbpp --split test --generations "$dir/mbpp-cpu.parquet" \
    --out "$dir/run-cpu.jsonl" || exit 1
  python3 scripts/gpu_compare.py "$dir/run-gpu.jsonl" "$dir/run-cpu.jsonl"
}

dry_run() {
  prepare
  say "dry run 1: the GPU tests without a GPU (each says SKIP; the device error is checked)"
  "$G/run/gpu-tests" --test-threads 1 2>&1 | tail -15
  say "dry run 2: the bench on the CPU, tiny Qwen2 (bf16), the GPU run's code path"
  CODEFAIL_BENCH_DEVICE=cpu CODEFAIL_BENCH_MODEL=$G/tiny CODEFAIL_BENCH_MAX_NEW=16 \
    CODEFAIL_BENCH_BATCHES=1,4 CODEFAIL_BENCH_BANDWIDTH_GBS=50 CODEFAIL_BENCH_OUT=$G/dry-bench.json \
    CODEFAIL_BENCH_IDS=$G/dry-ids.json "$G/run/gpu-decode" || exit 1
  if python3 -c 'import torch, transformers' 2>/dev/null; then
    say "dry run 3: transformers on the same tiny model (CPU)"
    python3 scripts/hf_decode.py decode "$G/tiny" --ids "$G/dry-ids.json" --batches 1 --max-new 16 || true
  else
    say "dry run 3: skipped (no torch/transformers here; the GPU machine has them)"
  fi
  say "dry run 4: step 3 on the CPU: each chunk received on its own, joined, checked; then MBPP"
  local from=$G/dry-from gg=$G/dry-gguf dout=$G/dry-out c
  rm -rf "$from" "$gg" "$dout"
  for c in "$G"/gguf/*/; do
    rm -rf "$from" && mkdir -p "$from" && ln -s "$c" "$from/$(basename "$c")"
    CODEFAIL_GGUF_FROM=$from CODEFAIL_GGUF_DIR=$gg "$0" --receive || exit 1
  done
  mkdir -p "$dout"
  MBPP_DEVICE=cpu GGUF_DIR=$gg MBPP_S=${CODEFAIL_GPU_MBPP_S:-150} MBPP_MAX_NEW=${CODEFAIL_GPU_MBPP_MAX_NEW:-128} \
    MBPP_BATCH=${CODEFAIL_GPU_MBPP_BATCH:-2} mbpp_step "$dout" || exit 1
  say "dry run 5: --compare on those answers (CPU against CPU here: nothing may differ)"
  CODEFAIL_GPU_COMPARE_DIR=$G/dry-compare MBPP_MAX_NEW=${CODEFAIL_GPU_MBPP_MAX_NEW:-128} \
    MBPP_BATCH=${CODEFAIL_GPU_MBPP_BATCH:-2} compare "$dout" || exit 1
  rm -rf "$from" "$gg"
  say "on the GPU this script would run"
  sed -n '/^gpu_run()/,/^}/p' "$0"
}

gpu_run() {
  local out=${OUT:-$G/out}
  mkdir -p "$out"
  exec > >(tee "$out/gpu-check.log") 2>&1
  local tee_pid=$!
  say "machine"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv
  nvcc --version 2>/dev/null | tail -1
  python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)' 2>&1
  # PyTorch's CUDA 13 libraries (cuBLAS, cuBLASLt, cuRAND, NVRTC, cudart)
  # and the driver's libcuda, for the binaries' dynamic links.
  local libs
  libs=$(python3 - <<'PY'
import glob, os, site
dirs = set()
for sp in site.getsitepackages():
    for pat in ("libcublas.so.*", "libcublasLt.so.*", "libcurand.so.*", "libnvrtc.so.*", "libcudart.so.*"):
        for f in glob.glob(os.path.join(sp, "nvidia", "**", pat), recursive=True):
            dirs.add(os.path.dirname(f))
print(":".join(sorted(dirs)))
PY
)
  export LD_LIBRARY_PATH=$libs:/usr/local/nvidia/lib64:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
  unpack_here
  ldd "$G/run/gpu-tests" | grep -E 'cuda|cublas|curand|nvrtc|not found'

  local tests_rc=0
  if [[ " $STEPS " == *" 1 "* ]]; then
    say "1. GPU tests (tests/gpu.rs)"
    CODEFAIL_REQUIRE_GPU=1 "$G/run/gpu-tests" --test-threads 1 --nocapture 2>&1 | grep --line-buffered -v '^$'
    tests_rc=${PIPESTATUS[0]}
  fi

  if [[ " $STEPS " == *" 3 "* ]]; then
    say "3. Qwen2.5-Coder-0.5B (GGUF) greedy on MBPP test for $MBPP_S s on $MBPP_DEVICE"
    mbpp_step "$out" || tests_rc=1
  fi

  if [[ " $STEPS " == *" 2 "* ]]; then
    speed_step "$out"
  fi
  say "done: exit $tests_rc"
  # Let tee write the last lines before the call collects $OUT.
  exec >&- 2>&-
  wait "$tee_pid"
  return "$tests_rc"
}

# Step 2 (see the header), results under $1.
speed_step() {
  local out=$1

  say "2. decoding speed: random bf16 Qwen2, Qwen2.5-Coder-1.5B's shapes"
  local bw
  bw=$(python3 scripts/hf_decode.py bandwidth 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["copy_gbs"])' || echo "")
  echo "device-to-device copy: ${bw:-not measured} GB/s"
  local m=/tmp/qwen2-1.5b-random
  if python3 -c 'import torch, transformers' 2>/dev/null; then
    local hf=1
    python3 scripts/hf_decode.py make-model "$m" --size 1.5b --tokenizer-dir "$G/tok" || {
      echo "transformers could not make the model: codefail's writer instead (transformers still loads it)"
      CODEFAIL_BENCH_DEVICE=cuda:0 CODEFAIL_BENCH_SIZE=1.5b CODEFAIL_BENCH_TOKENIZER_DIR=$G/tok \
        CODEFAIL_BENCH_MAKE_MODEL=$m "$G/run/gpu-decode" || return 1
    }
  else
    CODEFAIL_BENCH_DEVICE=cuda:0 CODEFAIL_BENCH_SIZE=1.5b CODEFAIL_BENCH_TOKENIZER_DIR=$G/tok \
      CODEFAIL_BENCH_MAKE_MODEL=$m "$G/run/gpu-decode" || return 1
    local hf=0
  fi
  CODEFAIL_BENCH_DEVICE=cuda:0 CODEFAIL_BENCH_MODEL=$m CODEFAIL_BENCH_MAX_NEW=$MAX_NEW \
    CODEFAIL_BENCH_BATCHES=$BATCHES CODEFAIL_BENCH_BANDWIDTH_GBS=$bw \
    CODEFAIL_BENCH_OUT=$out/bench-codefail.json CODEFAIL_BENCH_IDS=$out/prompt-ids.json \
    "$G/run/gpu-decode"
  if [[ $hf == 1 && ${CODEFAIL_GPU_HF:-1} == 1 ]]; then
    [[ -f $out/prompt-ids.json ]] || cp "$G/tok/prompt-ids.json" "$out/"
    python3 scripts/hf_decode.py decode "$m" --ids "$out/prompt-ids.json" --batches "$BATCHES" \
      --max-new "$MAX_NEW" --out "$out/bench-transformers.json"
  fi
}

case $MODE in
  --prepare) prepare ;;
  --dry-run) dry_run ;;
  --receive) receive ;;
  --compare) [[ $# == 2 ]] || { echo "usage: $0 --compare DIR" >&2; exit 2; }; compare "$2" ;;
  run) [[ -f $G/bin/gpu-tests.xz ]] || { echo "gpu-check: run --prepare first (.gpu/bin is empty)" >&2; exit 1; }; gpu_run ;;
  *) echo "usage: $0 [--prepare|--dry-run|--receive|--compare DIR]" >&2; exit 2 ;;
esac
