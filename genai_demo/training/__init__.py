"""Training layer (no gradio): runs train here, whoever asks — the app, the CLI or the API.

- ``trainer``: one run = one model, its optimisers, its data and a background thread; immutable snapshots
- ``settings``: the one table of limits and the RunSettings every entry point (Train tab, API, CLI) checks once
- ``factory``: settings → a ready Trainer (data loaded, model built); the registry and the CLI both use it
- ``runs``: per-visitor runs, the global training cap and its queue, clean-up of idle visitors
- ``checkpoints``: safetensors only, metadata in the header, atomic writes, strict loading
- ``zoo``: which models a visitor can use — shipped checkpoints plus their own runs
- ``native_memory``: hand freed C-heap memory back to the OS when a run ends
"""
