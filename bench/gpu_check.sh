#!/usr/bin/env bash
# Issue 16's GPU checks in one go, for a machine with CUDA (e.g. the `device` tool: run it from the repo root with
# `bash bench/gpu_check.sh`; results under $OUT, else ./gpu_check_out). About 3–5 minutes on one H200.
# - bench/gpu_check.py (no gradio needed): the ZeroGPU chunk really trains on the GPU and comes back; the ensemble
#   matches on CUDA; one run's Trainer throughput per family
# - the CUDA-only pytest files too, where gradio is installed
# - bench/ensemble.py: separate vs N threads (how many runs one GPU sustains → GENAI_DEMO_GPU_RUNS) vs ensemble,
#   then --through-app: N GAN runs in the real RunRegistry, separate turns vs stepping together (training/cotrain.py)
set -uo pipefail
out=${OUT:-gpu_check_out}; mkdir -p "$out"
export PYTHONUNBUFFERED=1 GRADIO_ANALYTICS_ENABLED=False
{ nvidia-smi -L; python -c "import torch, sys; print(sys.version.split()[0], torch.__version__, torch.cuda.is_available())"; } 2>&1 | tee "$out/env.txt"
timeout 200 python bench/gpu_check.py 2>&1 | tee "$out/gpu_check.txt"
if python -c "import gradio" 2>/dev/null; then
  timeout 240 python -m pytest -q -p no:cacheprovider -rs tests/test_zerogpu.py tests/test_ensemble.py 2>&1 | tee "$out/tests.txt"
fi
timeout 240 python bench/ensemble.py --device cuda --n 1 4 8 16 32 --steps 20 2>&1 | tee "$out/ensemble.txt"
timeout 300 python bench/ensemble.py --through-app --device cuda --n 8 32 --seconds 20 --batch 32 2>&1 | tee "$out/ensemble_app.txt"
if python -c "import pytest" 2>/dev/null; then  # gradio-free: runs grouped in the registry on CUDA match alone
  timeout 240 python -m pytest -q -p no:cacheprovider -rs tests/test_cotrain.py -k cuda 2>&1 | tee "$out/cotrain.txt"
fi
