#!/usr/bin/env bash
# Fill the notebooks' shared evcxr build cache (target/notebook-build) ahead of
# time: starts the codefail kernel in notebooks/ and runs the notebooks' first
# cell (`:dep codefail-nb = { path = "../kernel/codefail-nb" }` and the prelude), which compiles
# codefail, polars and the rest into one dylib once. Later notebooks start warm.
#
#   kernel/warm.sh
#
# CI runs it in the background while the tests build, so the cold build
# (15-25 min on 2 cores) overlaps other work instead of following it. Never
# run it beside kernel/run-notebooks.sh: two kernels must not share the cache.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
[ -x "$venv/bin/python" ] || { echo "run kernel/install.sh first" >&2; exit 2; }
t0=$(date +%s)
"$venv/bin/python" - "$root/notebooks" <<'PY'
import sys

import nbformat
from nbclient import NotebookClient

# The same first cell as every notebook, so the build it leaves is theirs;
# then the shared-statics check: a frame whose schema was hashed in one cell
# must find its column in the next. It does only when every cell links one
# copy of polars and its hasher's seed (the codefail-nb dylib; with codefail
# as a plain dependency each cell links its own copy). The frame is wide (64
# columns): polars finds a column of a narrow frame by a linear search,
# which never hashes, so a one-column check passes either way (measured: with
# a copy per cell a 64-column frame's "c63" is "not found" in the next cell,
# a one-column frame's "a" is found).
cell = ':dep codefail-nb = { path = "../kernel/codefail-nb" }\nuse codefail_nb::codefail::{self, prelude::*};\nprintln!("codefail kernel warm");'
made = 'let warm_frame = DataFrame::new_infer_height((0..64).map(|i| Column::new(format!("c{i}").into(), [1i64, 2])).collect())?;\nwarm_frame.column("c63")?;'
found = 'println!("one polars shared across cells: {}", warm_frame.column("c63")?.len());'
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in (cell, made, found)])
NotebookClient(
    nb,
    kernel_name="codefail",
    timeout=7200,
    startup_timeout=300,
    resources={"metadata": {"path": sys.argv[1]}},
).execute()
for cell, want in zip(nb.cells, ("codefail kernel warm", None, "one polars shared across cells: 2")):
    outs = cell.get("outputs", [])
    text = "".join(o.get("text", "") for o in outs if o.get("output_type") == "stream")
    errors = [o for o in outs if o.get("output_type") == "error"]
    if errors or (want and want not in text):
        sys.exit(f"the warm-up cell `{cell.source[:60]}` failed: {errors or text[-2000:]}")
PY
# The stamp kernel/run-notebooks.sh compares with the sources.
touch "${CODEFAIL_NOTEBOOK_BUILD:-$root/target/notebook-build}/.codefail-warm"
echo "== kernel/warm.sh: notebook build cache warm in $(( $(date +%s) - t0 ))s"
