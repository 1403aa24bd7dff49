"""Shared test helpers — import them from here; a test file never imports another test file.

- ``Tiny``, ``TinyData``: a linear autoencoder and 64 fixed 4×4 images, so a Trainer runs in milliseconds;
  ``TinyDigits``: 64 fixed 28×28 images for the real MLP GAN.
- ``write_tiny_checkpoints``: four small untrained image checkpoints for the tab-handler tests.
- ``serve_app``, ``free_port``: the real app launched on a free local port with its own run registry.
- ``wait_until``: poll a condition, return its truthy value, fail after a timeout (the one wait helper);
  ``settled``: a value once it stopped changing (a paused run finishes its step in flight).
- ``tests.helpers.attack`` / ``tests.helpers.bounds`` (by name): Gradio's queue protocol spoken by hand; an attack
  run while a visitor polls /status, and the bounds it must keep.
- ``tests.helpers.cogroup`` (import it by name): GAN runs started together in a one-seat registry, and alone.
- ``tests.helpers.bad_inputs`` (import it by name: it builds a few hundred cases): the seeded bad-upload lists.
"""
from .serving import free_port, serve_app, settled, wait_until
from .tiny import Tiny, TinyConfig, TinyData, TinyDigits, write_tiny_checkpoints

__all__ = ["Tiny", "TinyConfig", "TinyData", "TinyDigits", "free_port", "serve_app", "settled", "wait_until",
           "write_tiny_checkpoints"]
