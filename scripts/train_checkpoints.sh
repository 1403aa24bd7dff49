#!/usr/bin/env bash
# Re-creates every shipped checkpoint in checkpoints/ (the README's table lists these same commands).
# CPU is fine: about 20 minutes on 2 cores. Seeds are fixed, so the losses repeat.
set -euo pipefail
cd "$(dirname "$0")/.."
T="python -m genai_demo.train"
$T --model vae   --data mnist5k --steps 4000 --lr 1e-3 --out checkpoints/vae_mnist5k.safetensors
$T --model cvae  --data mnist5k --steps 4000 --lr 1e-3 --out checkpoints/cvae_mnist5k.safetensors
$T --model gan   --data mnist5k --steps 6000 --out checkpoints/gan_mnist5k.safetensors
$T --model cgan  --data mnist5k --steps 6000 --out checkpoints/cgan_mnist5k.safetensors
$T --model dcgan --data mnist5k --steps 4000 --config '{"ngf": 16, "ndf": 16}' --out checkpoints/dcgan_mnist5k.safetensors
$T --model vae   --data fashion --steps 5000 --lr 1e-3 --out checkpoints/vae_fashion.safetensors
$T --model gan   --data fashion --steps 8000 --out checkpoints/gan_fashion.safetensors
$T --model charlm --data names --steps 1200 --out checkpoints/charlm_names.safetensors
$T --model charlm --data tang  --steps 125 --batch-size 128 --config '{"weight_decay": 0.5}' --out checkpoints/charlm_tang.safetensors
