#!/usr/bin/env bash
# The GPU checks of `--features cuda` in one call on a lent GPU machine.
#
#   scripts/gpu-check.sh --prepare   # here: build the cuda test and bench
#                                    # binaries and the tokenizer into .gpu/
#   scripts/gpu-check.sh --dry-run   # here: --prepare, then the same steps
#                                    # on the CPU with a tiny model, and print
#                                    # what the GPU run would run
#   scripts/gpu-check.sh             # there (device tool, carry
#                                    # [".gpu/bin", ".gpu/tok"]):
#                                    # the checks, results under $OUT
#
# What travels: the repository (scripts, tests' sources) and, carried, the
# ignored .gpu/bin (the two binaries, stripped and xz-compressed, 16 MB) and
# .gpu/tok (the Qwen2.5 tokenizer exported from the fetched GGUF and the
# bench prompt's token ids, 5 MB); .gpu/run and .gpu/tiny stay here. The GPU machine has no Rust toolchain and no network; it has
# the driver, nvcc, PyTorch and transformers, and PyTorch's CUDA 13 libraries
# (cuBLAS, cuRAND, NVRTC, cudart), which the binaries load.
#
# On the GPU, in order (measured on an H200: 110 s with transformers, 67-91 s
# with CODEFAIL_GPU_HF=0; the call's limit is 8 minutes):
#  1. the GPU tests (tests/gpu.rs, CODEFAIL_REQUIRE_GPU=1): greedy tokens of
#     tiny random-weight Qwen2 and Llama on GPU and CPU, logits (f32, bf16,
#     GGUF Q5_0/Q8_0), batching;
#  2. a random-initialised bf16 Qwen2 with Qwen2.5-Coder-1.5B's shapes
#     (transformers' save_pretrained when torch and transformers are there,
#     else codefail's writer), the same prompt, greedy, 256 new tokens, batch
#     1 and 32: codefail's tokens/s, transformers', and the bandwidth bound
#     from a measured device-to-device copy.
# Step 3 of issue 25 (Qwen2.5-Coder-0.5B GGUF on MBPP) is not in this script:
# the GGUF (491 MB) does not fit in one call's 64 MiB.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
G=$ROOT/.gpu
MODE=${1:-run}
MAX_NEW=${CODEFAIL_GPU_MAX_NEW:-256}
# CODEFAIL_GPU_HF=0 skips transformers' decoding (a rerun that needs only
# codefail's figures).
BATCHES=${CODEFAIL_GPU_BATCHES:-1,32}

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
  mkdir -p "$G/bin" "$G/tok"
  export CARGO_PROFILE_RELEASE_DEBUG=false
  say "build: tests/gpu.rs and benches/gpu_decode.rs with --features cuda"
  local t b
  t=$(cargo test --release --features cuda --test gpu --no-run --message-format=json-render-diagnostics | executable gpu) || exit 1
  b=$(cargo bench --features cuda --bench gpu_decode --no-run --message-format=json-render-diagnostics | executable gpu_decode) || exit 1
  [[ -x $t && -x $b ]] || { echo "gpu-check: no binaries built ($t, $b)" >&2; exit 1; }
  for x in "$t:gpu-tests" "$b:gpu-decode"; do
    strip -o "$G/bin/${x#*:}" "${x%%:*}"
    xz -T0 -6 -f -k "$G/bin/${x#*:}"
  done
  rm -f "$G/bin/gpu-tests" "$G/bin/gpu-decode"
  ls -l "$G/bin"
  say "tokenizer: Qwen2.5's, exported from the fetched GGUF"
  local gguf=${CODEFAIL_QWEN_GGUF:-$HOME/.cache/codefail/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf}
  if [[ ! -f $gguf ]]; then
    cargo run --release --quiet -- models fetch qwen2.5-coder-0.5b || exit 1
  fi
  unpack_here
  # The link-time stubs let the cuda binaries start here (every CUDA call
  # fails cleanly); --dry-run runs them the same way.
  export LD_LIBRARY_PATH=$CODEFAIL_CUDA_STUBS:$CUDA_ROOT/lib
  CODEFAIL_BENCH_DEVICE=cpu CODEFAIL_BENCH_SIZE=tiny \
    CODEFAIL_BENCH_TOKENIZER_FROM=$gguf CODEFAIL_BENCH_MAKE_MODEL=$G/tiny "$G/run/gpu-decode" || exit 1
  cp "$G/tiny/tokenizer.json" "$G/tiny/tokenizer_config.json" "$G/tok/"
  # The bench prompt's ids (the same tokenizer), so that transformers' run
  # has them even if codefail's does not get as far as writing them.
  CODEFAIL_BENCH_DEVICE=cpu CODEFAIL_BENCH_MODEL=$G/tiny \
    CODEFAIL_BENCH_MAX_NEW=1 CODEFAIL_BENCH_BATCHES=1 CODEFAIL_BENCH_OUT=$G/tiny/ids-bench.json \
    CODEFAIL_BENCH_IDS=$G/tok/prompt-ids.json "$G/run/gpu-decode" >/dev/null || exit 1
  du -sh "$G/bin" "$G/tok"
}

# Unpack the binaries into .gpu/run.
unpack_here() {
  mkdir -p "$G/run"
  for f in gpu-tests gpu-decode; do
    if command -v xz >/dev/null; then
      xz -d -c "$G/bin/$f.xz" >"$G/run/$f"
    else # python's lzma where the image has no xz
      python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$G/bin/$f.xz" "$G/run/$f"
    fi && chmod +x "$G/run/$f" || exit 1
  done
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

  say "1. GPU tests (tests/gpu.rs)"
  CODEFAIL_REQUIRE_GPU=1 "$G/run/gpu-tests" --test-threads 1 --nocapture 2>&1 | grep --line-buffered -v '^$'
  local tests_rc=${PIPESTATUS[0]}

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
  say "done: tests exit $tests_rc"
  # Let tee write the last lines before the call collects $OUT.
  exec >&- 2>&-
  wait "$tee_pid"
  return "$tests_rc"
}

case $MODE in
  --prepare) prepare ;;
  --dry-run) dry_run ;;
  run) [[ -f $G/bin/gpu-tests.xz ]] || { echo "gpu-check: run --prepare first (.gpu/bin is empty)" >&2; exit 1; }; gpu_run ;;
  *) echo "usage: $0 [--prepare|--dry-run]" >&2; exit 2 ;;
esac
