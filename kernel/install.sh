#!/usr/bin/env bash
# One-command set-up of the codefail Jupyter kernel (evcxr, the Rust kernel).
#
#   kernel/install.sh
#
# 1. installs evcxr_jupyter $EVCXR_VERSION from crates.io into ~/.cargo/bin
#    (skipped when that version is already there; 12-25 min on 2 cores, less
#    with the light release profile used below),
# 2. makes a project-local venv `.venv` with JupyterLab, nbconvert and nbclient,
# 3. registers the kernelspec `codefail` (display name "Rust (codefail)") in
#    that venv, pointing at this checkout: its wrapper gives every notebook the
#    same evcxr build cache (target/notebook-build), so only the first notebook pays the
#    cold build of polars (about 10 min on 2 cores), later ones take seconds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
EVCXR_VERSION="${EVCXR_VERSION:-0.22.0}"
t0=$(date +%s)
say() { echo "== kernel/install.sh [$(( $(date +%s) - t0 ))s] $*"; }

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ -x "$cargo_bin/evcxr_jupyter" ] && cargo install --list | grep -q "^evcxr_jupyter v$EVCXR_VERSION:"; then
  say "evcxr_jupyter $EVCXR_VERSION already installed"
else
  say "installing evcxr_jupyter $EVCXR_VERSION from crates.io (cargo install --locked)"
  # The kernel's own speed does not matter (it drives cargo): build it with a
  # light release profile, which roughly halves the install time. Four of the
  # biggest rust-analyzer crates serve features evcxr leaves unused (assists,
  # diagnostics, structural search) or uses only for tab completion: they
  # compile unoptimised. Type inference (hir_ty and below), which evcxr runs
  # on every cell, keeps opt-level 1.
  unopt=()
  for p in ra_ap_ide_assists ra_ap_ide_diagnostics ra_ap_ide_ssr ra_ap_ide_completion; do
    unopt+=(--config "profile.release.package.$p.opt-level=0")
  done
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false \
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=0 \
    cargo install --locked "${unopt[@]}" evcxr_jupyter --version "$EVCXR_VERSION"
fi

venv="$root/.venv"
if [ ! -x "$venv/bin/jupyter-nbconvert" ]; then
  say "creating $venv with JupyterLab, nbconvert and nbclient"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet -r "$root/kernel/requirements.txt"
else
  say "venv $venv already has nbconvert"
fi

say "registering the kernelspec 'codefail'"
spec="$(mktemp -d)/codefail"
mkdir -p "$spec"
cp "$root/kernel/codefail/run-kernel.sh" "$spec/"
chmod +x "$spec/run-kernel.sh"
sed -e "s#@PROJECT@#$root#g" -e "s#@EVCXR@#$cargo_bin/evcxr_jupyter#g" \
  "$root/kernel/codefail/kernel.json.in" > "$spec/kernel.json"
"$venv/bin/jupyter" kernelspec install --sys-prefix --name codefail "$spec" > /dev/null
"$venv/bin/jupyter" kernelspec list
say "done: open JupyterLab with  .venv/bin/jupyter lab notebooks/  and pick 'Rust (codefail)'"
