#!/usr/bin/env bash
# Starts evcxr_jupyter for a codefail notebook.
#   $1 evcxr_jupyter binary, $2 the codefail checkout, $3 the connection file.
# Every notebook shares one evcxr build cache ($CODEFAIL_EVCXR_TMPDIR, default
# <checkout>/target/evcxr), so polars and codefail compile once. Two kernels
# must not use one cache at the same time: run notebooks one after another
# (kernel/run-notebooks.sh does).
set -euo pipefail
evcxr="$1"; project="$2"; conn="$3"
export EVCXR_TMPDIR="${CODEFAIL_EVCXR_TMPDIR:-$project/target/evcxr}"
mkdir -p "$EVCXR_TMPDIR"
# evcxr loads each cell as a shared library linked against Rust's std; with a
# persistent tmpdir the loader must be told where that lives.
sysroot="$(rustc --print sysroot)"
host="$(rustc -vV | sed -n 's/^host: //p')"
export LD_LIBRARY_PATH="$sysroot/lib/rustlib/$host/lib:$sysroot/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Notebooks find the benchmark files and write figures relative to the checkout.
export CODEFAIL_OUTPUTS="${CODEFAIL_OUTPUTS:-$project/outputs}"
exec "$evcxr" --control_file "$conn"
