#!/usr/bin/env bash
# Execute every notebook headless with the codefail kernel, one after another
# (they share one evcxr build cache), and check each executed copy: no cell
# error, no error text on stderr, and at least the tables (text/html) and
# figures (image/png or image/svg+xml) the notebook promises in its metadata.
#
#   kernel/run-notebooks.sh [notebooks/01_mbpp_egcfg_table.ipynb ...]
#
# Executed notebooks go to outputs/notebooks/ (not committed); figures to outputs/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="$root/.venv"
[ -x "$venv/bin/jupyter" ] || { echo "run kernel/install.sh first" >&2; exit 2; }
mkdir -p outputs/notebooks
if [ "$#" -gt 0 ]; then nbs=("$@"); else nbs=(notebooks/[0-9][0-9]_*.ipynb); fi
status=0
for nb in "${nbs[@]}"; do
  name="$(basename "$nb")"
  t0=$(date +%s)
  echo "== executing $nb"
  # --allow-errors: evcxr reports some failures only as output, so the checker
  # below, not nbconvert's exit code, decides. Cells may compile for many
  # minutes on a cold cache: generous timeouts.
  if ! "$venv/bin/jupyter" nbconvert --to notebook --execute --allow-errors \
      --ExecutePreprocessor.kernel_name=codefail \
      --ExecutePreprocessor.timeout="${CODEFAIL_CELL_TIMEOUT:-3600}" \
      --ExecutePreprocessor.startup_timeout=300 \
      --output-dir outputs/notebooks "$nb"; then
    echo "FAILED to execute $nb" >&2
    status=1
    continue
  fi
  if ! "$venv/bin/python" kernel/check_notebook.py "outputs/notebooks/$name"; then
    status=1
  fi
  echo "== $nb took $(( $(date +%s) - t0 ))s"
done
exit $status
