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
# evcxr links a copy of every dependency into each cell. foldhash (polars'
# hasher) seeds itself from a per-copy static, so a frame whose schema was
# hashed in one cell could not find its columns in the next ("column
# missing"). kernel/patches/foldhash-fixed-seed.diff makes every copy use
# foldhash's fixed seed: it is applied here to a copy of each foldhash
# version the project's Cargo.lock holds (the versions polars resolves to),
# and fails loudly when a version's source no longer takes it. Cargo reads
# the [patch] below for builds under $build only (evcxr writes its own
# .cargo/config.toml inside evcxr/, so it goes one level up); the crate
# itself and its tests use crates.io's foldhash. kernel/warm.sh checks that
# the patch is in effect.
patched="$build/patched"
patches=""
versions="$(awk '/^name = "foldhash"$/ { getline; gsub(/[^0-9.]/, ""); print }' "$project/Cargo.lock")"
[ -n "$versions" ] || { echo "run-kernel.sh: no foldhash in $project/Cargo.lock" >&2; exit 1; }
for v in $versions; do
  dest="$patched/foldhash-$v"
  if [ ! -f "$dest/.codefail-patched" ]; then
    src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"foldhash-$v" 2> /dev/null | head -1 || true)"
    if [ -z "$src" ]; then
      (cd "$project" && cargo fetch --quiet) >&2
      src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"foldhash-$v" | head -1)"
    fi
    rm -rf "$dest"
    mkdir -p "$patched"
    cp -r "$src" "$dest"
    # Applied with python3 (always here; `patch` may not be): each hunk's
    # old lines must occur exactly once in the file, else the kernel stops.
    if ! python3 - "$dest" "$project/kernel/patches/foldhash-fixed-seed.diff" >&2 <<'PY'
import re, sys
dest, diff = sys.argv[1], open(sys.argv[2]).read()
for part in re.split(r"^--- ", diff, flags=re.M)[1:]:
    path = re.search(r"^\+\+\+ b/(\S+)", part, re.M).group(1)
    text = open(f"{dest}/{path}").read()
    for hunk in re.split(r"^@@[^\n]*@@\n", part, flags=re.M)[1:]:
        lines = hunk.splitlines(keepends=True)
        old = "".join(l[1:] for l in lines if l[:1] in (" ", "-"))
        new = "".join(l[1:] for l in lines if l[:1] in (" ", "+"))
        if text.count(old) != 1:
            sys.exit(f"{path}: the hunk's old lines occur {text.count(old)} times, not once")
        text = text.replace(old, new)
    open(f"{dest}/{path}", "w").write(text)
PY
    then
      echo "run-kernel.sh: kernel/patches/foldhash-fixed-seed.diff does not apply to foldhash $v" >&2
      exit 1
    fi
    touch "$dest/.codefail-patched"
  fi
  # One [patch] entry per version: the first as `foldhash`, others renamed.
  key="foldhash"
  [ -z "$patches" ] || key="foldhash_${v//./_}"
  patches="$patches$key = { package = \"foldhash\", path = \"$dest\" }
"
done
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
[patch.crates-io]
$patches
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
