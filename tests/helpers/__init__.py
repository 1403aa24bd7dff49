"""Shared test helpers — import them from here; a test file never imports another test file.

- ``Tiny``, ``TinyData``: a linear autoencoder and 64 fixed 4×4 images, so a Trainer runs in milliseconds.
- ``write_tiny_checkpoints``: four small untrained image checkpoints for the tab-handler tests.
- ``serve_app``, ``free_port``: the real app launched on a free local port with its own run registry.
- ``wait_until``: poll a condition, return its truthy value, fail after a timeout (the one wait helper);
  ``settled``: a value once it stopped changing (a paused run finishes its step in flight).
- ``tests.helpers.attack`` / ``tests.helpers.bounds`` (by name): Gradio's queue protocol spoken by hand; an attack
  run while a visitor polls /status, and the bounds it must keep.
- ``tests.helpers.bad_inputs`` (import it by name: it builds a few hundred cases): the seeded bad-upload lists.
"""
from .serving import free_port, serve_app, settled, wait_until
from .tiny import Tiny, TinyConfig, TinyData, write_tiny_checkpoints

__all__ = ["Tiny", "TinyConfig", "TinyData", "free_port", "serve_app", "settled", "wait_until", "write_tiny_checkpoints"]
