"""How many runs train at once, and how many compute at once, on this device: the registry's defaults, each one
environment variable (a Space's settings). No gradio here.
"""
from __future__ import annotations

import os

from .config import pick_device


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def default_max_running(device: str | None = None) -> int:
    """Chunks computing at once. CPU: one per two cores (the other core serves the page and the sliders), env
    GENAI_DEMO_MAX_RUNS. GPU: small runs train side by side, env GENAI_DEMO_GPU_RUNS (default 8; measure it with
    bench/ensemble.py --n 1 4 8 16 32 on the GPU, its "separate" column: raise it while the total still grows)."""
    device = device or pick_device().type
    if device == "cuda":
        return max(1, int(os.environ.get("GENAI_DEMO_GPU_RUNS", 8)))
    return max(1, int(os.environ.get("GENAI_DEMO_MAX_RUNS", (os.cpu_count() or 2) // 2)))


def default_max_active() -> int:
    """Runs training at once, time-sliced (a class of 30 all train); more wait in the queue. Env GENAI_DEMO_MAX_ACTIVE."""
    return max(1, int(os.environ.get("GENAI_DEMO_MAX_ACTIVE", 32)))
