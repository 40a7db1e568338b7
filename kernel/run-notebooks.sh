#!/usr/bin/env bash
# Execute every notebook headless with the codefail kernel and check each
# executed copy: no cell error, no error text on stderr, and at least the
# tables (text/html) and figures (image/png or image/svg+xml) the notebook
# promises in its metadata.
#
#   kernel/run-notebooks.sh [notebooks/01_mbpp_egcfg_table.ipynb ...]
#
# CODEFAIL_NOTEBOOK_JOBS=N (default 2, or 1 on a 1-core machine) runs N
# notebooks at a time. Two kernels
# must never share one evcxr build cache, so lane 1 uses the cache itself
# ($CODEFAIL_NOTEBOOK_BUILD, default target/notebook-build) and lane k > 1 a
# fresh copy of it made here (<cache>-lane<k>, about 2 GB each, made in
# seconds; a copy of a warm cache starts warm). Lanes take the notebooks
# longest first (metadata `codefail.seconds`, measured) from one queue, so the
# long ones do not end up together at the end. Much of a notebook's time is
# the kernel compiling cells one at a time on one core, which is why two
# lanes help on two cores.
#
# Executed notebooks go to outputs/notebooks/ (not committed), their logs to
# outputs/notebooks/<name>.log; figures to outputs/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="$root/.venv"
[ -x "$venv/bin/jupyter" ] || { echo "run kernel/install.sh first" >&2; exit 2; }
mkdir -p outputs/notebooks
if [ "$#" -gt 0 ]; then nbs=("$@"); else nbs=(notebooks/[0-9][0-9]_*.ipynb); fi
jobs="${CODEFAIL_NOTEBOOK_JOBS:-$(( $(nproc) >= 2 ? 2 : 1 ))}"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "CODEFAIL_NOTEBOOK_JOBS must be a positive integer, not '$jobs'" >&2; exit 2; }
[ "$jobs" -le "${#nbs[@]}" ] || jobs=${#nbs[@]}
base="${CODEFAIL_NOTEBOOK_BUILD:-$root/target/notebook-build}"
t_all=$(date +%s)

# The queue, longest first; a lane claims a notebook by making its claim
# folder (mkdir is atomic).
mapfile -t queue < <("$venv/bin/python" - "${nbs[@]}" <<'PY'
import json, sys
def seconds(path):
    try:
        return json.load(open(path))["metadata"]["codefail"].get("seconds", 0)
    except (OSError, ValueError, KeyError):
        return 0
for p in sorted(sys.argv[1:], key=seconds, reverse=True):
    print(p)
PY
)
claims="$(mktemp -d)"
trap 'rm -rf "$claims"' EXIT

# Execute one notebook in the given build cache; returns non-zero on failure.
run_one() {
  local nb="$1" build="$2" lane="$3" name t0 log
  name="$(basename "$nb")"
  log="outputs/notebooks/${name%.ipynb}.log"
  t0=$(date +%s)
  echo "== [lane $lane] executing $nb (log: $log)"
  # --allow-errors: evcxr reports some failures only as output, so the checker
  # below, not nbconvert's exit code, decides. Cells may compile for many
  # minutes on a cold cache: generous timeouts.
  if ! CODEFAIL_NOTEBOOK_BUILD="$build" "$venv/bin/jupyter" nbconvert --to notebook \
      --execute --allow-errors \
      --ExecutePreprocessor.kernel_name=codefail \
      --ExecutePreprocessor.timeout="${CODEFAIL_CELL_TIMEOUT:-3600}" \
      --ExecutePreprocessor.startup_timeout=300 \
      --output-dir outputs/notebooks "$nb" > "$log" 2>&1; then
    tail -n 50 "$log" >&2
    echo "FAILED to execute $nb" >&2
    return 1
  fi
  if ! "$venv/bin/python" kernel/check_notebook.py "outputs/notebooks/$name"; then
    return 1
  fi
  echo "== [lane $lane] $nb took $(( $(date +%s) - t0 ))s"
}

# Dependencies compile once, whatever the parallelism: the shared cache is
# brought up to date first (kernel/warm.sh, which stamps it) when it is
# missing or older than what it builds from; the lanes then copy it warm.
stamp="$base/.codefail-warm"
if [ ! -f "$stamp" ] || [ -n "$(find src kernel Cargo.toml Cargo.lock -newer "$stamp" -print -quit)" ]; then
  echo "== the notebook build cache is missing or older than the sources: kernel/warm.sh first"
  CODEFAIL_NOTEBOOK_BUILD="$base" kernel/warm.sh
fi

# The copies are made before any kernel starts: never copy a cache in use.
build_of() { if [ "$1" -gt 1 ]; then echo "$base-lane$1"; else echo "$base"; fi; }
for k in $(seq 2 "$jobs"); do
  rm -rf "$(build_of "$k")"
  t0=$(date +%s)
  cp -a "$base" "$(build_of "$k")"
  echo "== copied the build cache to $(build_of "$k") in $(( $(date +%s) - t0 ))s"
done

lane() {
  local k="$1" build failed=0
  build="$(build_of "$k")"
  for nb in "${queue[@]}"; do
    mkdir "$claims/$(basename "$nb")" 2> /dev/null || continue
    run_one "$nb" "$build" "$k" || failed=1
  done
  return $failed
}

pids=()
for k in $(seq 1 "$jobs"); do
  lane "$k" &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
echo "== ${#nbs[@]} notebooks, $jobs at a time, in $(( $(date +%s) - t_all ))s"
exit $status
