#!/usr/bin/env bash
# Install the CUDA compiler and headers candle needs to build `--features cuda`,
# from NVIDIA's PyPI wheels, into a venv outside the repository, and print the
# environment that `cargo build --release --features cuda` needs.
#
#   scripts/cuda-toolkit.sh            # installs (once) and prints the exports
#   eval "$(scripts/cuda-toolkit.sh)"  # installs and sets them in this shell
#
# No GPU is needed: candle-kernels' build.rs compiles its kernels to PTX with
# nvcc, and cudarc loads libcuda/cuBLAS/cuRAND at run time (dynamic loading).
#
# Version pin: CUDA 13.0. The lent H200 runs driver 580.159 (CUDA 13.0); PTX
# from a newer nvcc (13.1+) carries a newer ISA version that a 580 driver
# refuses to JIT ("CUDA_ERROR_UNSUPPORTED_PTX_VERSION"). cudarc 0.19 (in
# Cargo.lock) is built by candle 0.11 with `cuda-version-from-build-system`,
# which reads the toolkit version from `nvcc --version`; with this toolkit it
# selects cudarc's `cuda-13000` bindings.
#
# Environment: CODEFAIL_CUDA_VENV (default ~/.cache/codefail/cuda-13.0),
# CODEFAIL_CUDA_COMPUTE_CAP (default 90: Hopper, H100/H200).
set -euo pipefail
VENV=${CODEFAIL_CUDA_VENV:-$HOME/.cache/codefail/cuda-13.0}
CAP=${CODEFAIL_CUDA_COMPUTE_CAP:-90}
PY=${PYTHON:-python3}
PKGS=(
  nvidia-cuda-nvcc==13.0.88      # bin/nvcc, ptxas
  nvidia-nvvm==13.0.88           # nvvm/bin/cicc, libdevice (nvcc's front end)
  nvidia-cuda-crt==13.0.88       # crt/host_config.h and friends
  nvidia-cuda-runtime==13.0.96   # cuda_runtime.h, cuda_fp16.h, cuda_bf16.h
  nvidia-cuda-cccl==13.0.85      # cub/thrust/libcu++ headers
  nvidia-curand==10.4.0.35       # curand headers (candle's rand kernels)
)
if [[ ! -x $VENV/bin/python ]]; then
  "$PY" -m venv "$VENV" >&2
fi
if [[ ! -f $VENV/.codefail-ok ]]; then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PKGS[@]%%#*}" >&2
fi
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
ROOT=$SITE/nvidia/cu13
if [[ ! -x $ROOT/bin/nvcc ]]; then
  echo "cuda-toolkit.sh: no nvcc at $ROOT/bin/nvcc; the wheels' layout changed" >&2
  exit 1
fi
# Link-time stubs. candle-core builds cudarc with `dynamic-linking`, so the
# binary names libcuda, libcublas, libcublasLt, libcurand and libnvrtc as
# DT_NEEDED and the linker wants them now. The driver's libcuda never exists
# on a machine without a GPU (the toolkit ships lib/stubs/libcuda.so for
# this), and cuBLAS alone is ~700 MB of wheels; the linker needs only the
# names. So each stub is an empty-bodied library with the real SONAME and
# every symbol cudarc's bindings declare, each returning 999 (an error code
# in all five APIs). At run time on a GPU machine the real libraries (the
# driver's, and those in PyTorch's nvidia/cu13/lib) are loaded instead; on a
# machine without one, LD_LIBRARY_PATH=$CODEFAIL_CUDA_STUBS lets the binary
# start, and every CUDA call fails cleanly (cuInit: CUDA_ERROR_UNKNOWN).
LOCK_DIR=$(cd "$(dirname "$0")/.." && pwd)
CUDARC_VERSION=$(awk '/^name = "cudarc"$/{getline; gsub(/[^0-9.]/, ""); print; exit}' "$LOCK_DIR/Cargo.lock")
CUDARC=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-"$CUDARC_VERSION" 2>/dev/null | head -1 || true)
if [[ -z $CUDARC ]]; then
  (cd "$LOCK_DIR" && cargo fetch --quiet >&2)
  CUDARC=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/cudarc-"$CUDARC_VERSION" | head -1)
fi
STUBS=$ROOT/lib/stubs
mkdir -p "$STUBS"
stub() { # stub LIBNAME SONAME SYS_MODULE PREFIX
  local c=$STUBS/$1.c
  grep -ohE "\bfn $4[A-Za-z0-9_]*\(" "$CUDARC/src/$3/sys/mod.rs" | sed -E 's/^fn ([A-Za-z0-9_]+)\(/int \1(void) { return 999; }/' | sort -u >"$c"
  cc -shared -fPIC -o "$STUBS/$1.so" -Wl,-soname,"$2" "$c"
  ln -sf "$1.so" "$STUBS/$2"
  rm -f "$c"
}
if [[ ! -f $STUBS/.cudarc-$CUDARC_VERSION-v3 ]]; then
  stub libcuda libcuda.so.1 driver cu
  stub libcublas libcublas.so.13 cublas cublas
  stub libcublasLt libcublasLt.so.13 cublaslt cublasLt
  stub libcurand libcurand.so.10 curand curand
  stub libnvrtc libnvrtc.so.13 nvrtc nvrtc
  touch "$STUBS/.cudarc-$CUDARC_VERSION-v3"
fi
# The link-time names in lib/ (cudarc's build script adds $CUDA_ROOT/lib to
# the search path; lib/stubs only when it existed before cudarc was built).
for l in libcuda libcublas libcublasLt libcurand libnvrtc; do
  ln -sf "stubs/$l.so" "$ROOT/lib/$l.so"
done
# candle-kernels links its static kernels against the runtime by `-lcudart`.
ln -sf libcudart.so.13 "$ROOT/lib/libcudart.so"
# nvcc looks for its front end (cicc) and libdevice under $CUDA_ROOT/nvvm, and
# for headers under $CUDA_ROOT/include: the wheels put all of them under
# nvidia/cu13, so that folder is a complete CUDA_ROOT for compiling.
touch "$VENV/.codefail-ok"
"$ROOT/bin/nvcc" --version | tail -2 >&2
cat <<OUT
export CUDA_ROOT=$ROOT
export CUDA_PATH=$ROOT
export CUDA_COMPUTE_CAP=$CAP
export CODEFAIL_CUDA_STUBS=$STUBS
export PATH=$ROOT/bin:\$PATH
OUT
