#!/usr/bin/env bash
# Fill the notebooks' shared evcxr build cache (target/notebook-build) ahead of
# time: starts the codefail kernel in notebooks/ and runs the notebooks' first
# cell (`:dep codefail = { path = ".." }` and the prelude), which compiles
# codefail and its dependencies once. Later notebooks start warm.
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

# The same first cell as every notebook, so the build it leaves is theirs.
cell = ':dep codefail = { path = ".." }\nuse codefail::prelude::*;\nprintln!("codefail kernel warm");'
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
NotebookClient(
    nb,
    kernel_name="codefail",
    timeout=7200,
    startup_timeout=300,
    resources={"metadata": {"path": sys.argv[1]}},
).execute()
outs = nb.cells[0].get("outputs", [])
text = "".join(o.get("text", "") for o in outs if o.get("output_type") == "stream")
errors = [o for o in outs if o.get("output_type") == "error"]
if errors or "codefail kernel warm" not in text:
    sys.exit(f"the warm-up cell failed: {errors or text[-2000:]}")
PY
echo "== kernel/warm.sh: notebook build cache warm in $(( $(date +%s) - t0 ))s"
