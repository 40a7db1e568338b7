#!/usr/bin/env bash
# Starts evcxr_jupyter for a codefail notebook.
#   $1 evcxr_jupyter binary, $2 the codefail checkout, $3 the connection file.
# Every notebook shares one evcxr build cache, so polars and codefail compile
# once. Two kernels must not use one cache at the same time: run notebooks one
# after another, or give each its own copy of the cache
# (kernel/run-notebooks.sh does one or the other).
set -euo pipefail
evcxr="$1"; project="$2"; conn="$3"
# One build cache for every notebook: $CODEFAIL_NOTEBOOK_BUILD (default
# <checkout>/target/notebook-build); evcxr works in its evcxr/ folder.
build="${CODEFAIL_NOTEBOOK_BUILD:-$project/target/notebook-build}"
export EVCXR_TMPDIR="$build/evcxr"
mkdir -p "$EVCXR_TMPDIR" "$build/.cargo"
# Notebooks depend on kernel/codefail-nb, one dylib holding codefail and
# polars, so every cell links one copy of their statics (polars' foldhash
# seed among them); kernel/warm.sh checks that a frame made in one cell
# finds its columns in the next.
#
# The profile below (config overrides evcxr's generated [profile.dev]) keeps
# the cold build short: the cells are glue and so are most dependencies for
# a notebook's small frames, so they compile at opt-level 0, except the
# crates that do the numeric work of decoding (candle, gemm) and codefail
# itself, which keep evcxr's level 2 (cold build on 2 idle cores: 462 s
# with the other dependencies at 0, 966 s at 1 when last measured; the
# eight notebooks two at a time then ran in 833 s, 855 s at 1 before the
# Q5_0 kernel). Debug assertions and overflow checks are off, as in a
# release build.
cat > "$build/.cargo/config.toml" <<TOML
[profile.dev]
opt-level = 0
debug-assertions = false
overflow-checks = false

[profile.dev.package."*"]
opt-level = 0

$(for p in codefail candle-core candle-nn candle-transformers gemm gemm-common gemm-f16 gemm-f32 gemm-f64 half; do
  printf '[profile.dev.package.%s]\nopt-level = 2\n' "$p"
done)
TOML
# evcxr loads each cell as a shared library linked against Rust's std; with a
# persistent tmpdir the loader must be told where that lives.
sysroot="$(rustc --print sysroot)"
host="$(rustc -vV | sed -n 's/^host: //p')"
export LD_LIBRARY_PATH="$sysroot/lib/rustlib/$host/lib:$sysroot/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Notebooks find the benchmark files and write figures relative to the checkout.
export CODEFAIL_OUTPUTS="${CODEFAIL_OUTPUTS:-$project/outputs}"
# candle-core 0.11 counts the physical cores (reading /proc/cpuinfo) on every
# CPU matmul unless RAYON_NUM_THREADS is set: about 7% of decoding time. Set
# it to candle's own default, the physical cores, as the CLI does
# (codefail::sample::pin_cpu_threads).
if [ -z "${RAYON_NUM_THREADS:-}" ]; then
  cores="$( (lscpu -p=Core,Socket 2> /dev/null || true) | { grep -v '^#' || true; } | sort -u | wc -l)"
  if [ "$cores" -gt 0 ]; then
    export RAYON_NUM_THREADS="$cores"
  fi
fi
exec "$evcxr" --control_file "$conn"
