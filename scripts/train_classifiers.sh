#!/usr/bin/env bash
# Re-creates the two quality classifiers in checkpoints/ (genai_demo/quality/scores.py, python -m genai_demo.evaluate).
# Trained on each data set's TRAIN split only; held-out accuracy is printed at the end (README lists it).
# CPU: about 1.5 + 4 minutes on 2 busy cores. Seeds are fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
T="python -m genai_demo.train --model classifier --lr 2e-3 --batch-size 128"
$T --data mnist5k --steps 1500 --out checkpoints/classifier_mnist5k.safetensors
$T --data fashion --steps 3000 --out checkpoints/classifier_fashion.safetensors
python - <<'PY'
from genai_demo.training.checkpoints import load_checkpoint
from genai_demo.data.datasets import load_dataset
for data in ("mnist5k", "fashion"):
    clf, _ = load_checkpoint(f"checkpoints/classifier_{data}.safetensors")
    test = load_dataset(data, "test")
    acc = (clf.probs(test.float_images()).argmax(1) == test.y).float().mean().item()
    print(f"classifier_{data}: held-out accuracy {acc:.4f} on {len(test):,} test images")
PY
