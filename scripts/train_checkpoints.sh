#!/usr/bin/env bash
# Re-creates every shipped checkpoint in checkpoints/ (the README's table lists these same commands).
# The four MNIST-5k image models and the Fashion GAN use the offline recipe (training/recipe.py: EMA of G, lr decay,
# DiffAugment, R1 for the GANs but the CGAN, best state by the project's meter); each was trained on one CPU thread
# (17-65 min a stage; the DCGAN and the Fashion GAN in two stages, the second going on from the first with --init;
# DEVICE=cuda runs the same commands on a GPU and gives comparable, not bit-identical, models).
# The others use the plain Train-tab loop: about 10 minutes on 2 cores. Seeds are fixed, so the losses repeat on one
# machine; the recipe runs on one thread, as the shipped files were made (re-made on 2026-12-02 to add their curves,
# the 2-D VAE and the tiny GPT on Tang poems came out bit for bit the same). Every file keeps its run's curves.
set -euo pipefail
cd "$(dirname "$0")/.."
T="python -m genai_demo.train"
R="python -m genai_demo.training.recipe --device ${DEVICE:-cpu} --threads 1"
$R --model vae   --steps 20000 --lr 1e-3 --decay-from 0.2 --lr-end 0.05 --binarize --augment 1 --eval-every 1000 --out checkpoints/vae_mnist5k.safetensors
$R --model gan   --steps 30000 --batch-size 256 --ema 0.999 --diffaug 2 --r1 1 --eval-every 2000 --eval-n 2000 --out checkpoints/gan_mnist5k.safetensors
$R --model cgan  --steps 30000 --ema 0.999 --diffaug 2 --eval-every 2000 --out checkpoints/cgan_mnist5k.safetensors
$R --model dcgan --steps 20000 --ema 0.999 --diffaug 2 --r1 1 --eval-every 2000 --out checkpoints/dcgan_mnist5k.safetensors  # paper size
$R --model dcgan --init checkpoints/dcgan_mnist5k.safetensors --steps 6000 --batch-size 256 --lr 1e-4 --decay-from 0.3 --ema 0.999 --diffaug 2 --r1 1 --eval-every 1000 --eval-n 2000 --out checkpoints/dcgan_mnist5k.safetensors  # stage 2
$R --model dcgan --init checkpoints/dcgan_mnist5k.safetensors --steps 6000 --batch-size 256 --lr 1e-4 --decay-from 0.3 --ema 0.999 --diffaug 2 --r1 1 --eval-every 1000 --eval-n 2000 --out checkpoints/dcgan_mnist5k.safetensors  # stage 3: the same once more
$T --model cvae  --data mnist5k --steps 4000 --lr 1e-3 --out checkpoints/cvae_mnist5k.safetensors
$T --model vae   --data fashion --steps 5000 --lr 1e-3 --out checkpoints/vae_fashion.safetensors
$R --model gan   --data fashion --config '{"g_widths": [512, 1024, 2048], "d_widths": [1024, 512, 256]}' --steps 24000 --batch-size 128 --ema 0.999 --diffaug 2 --r1 1 --select confidence --eval-every 2000 --eval-n 2000 --out checkpoints/gan_fashion.safetensors  # twice the articles' widths
$R --model gan   --data fashion --init checkpoints/gan_fashion.safetensors --steps 12000 --batch-size 128 --lr 1e-4 --decay-from 0.3 --ema 0.9995 --diffaug 2 --r1 1 --select confidence --eval-every 1000 --eval-n 2000 --out checkpoints/gan_fashion.safetensors  # stage 2
$T --model charlm --data names --steps 1200 --out checkpoints/charlm_names.safetensors
$T --model charlm --data tang  --steps 125 --batch-size 128 --config '{"weight_decay": 0.5}' --out checkpoints/charlm_tang.safetensors
