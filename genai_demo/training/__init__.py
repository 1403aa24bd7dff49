"""Training layer (no gradio): runs train here, whoever asks — the app, the CLI or the API.

- ``trainer``: one run = one model, its optimisers, its data and a background thread; immutable snapshots
- ``settings``: the one table of limits and the RunSettings every entry point (Train tab, API, CLI) checks once
- ``factory``: settings → a ready Trainer (data loaded, model built); the registry and the CLI both use it
- ``config``: what a run is told (RunConfig) and what a reader sees (Snapshot); device and thread choices
- ``budget``: a run's time and work budgets (the app sets them; the CLI trains without)
- ``runs``: per-visitor runs, the global training cap, places per visitor and per client address, clean-up
- ``classroom``: the teacher's class-wide view of the registry (every run, pause all, resume all, stop one), nicknames
- ``scheduler``: the queue waiting for a training slot (interleaved by client address) and idle-place reclaim
- ``checkpoints``: safetensors only, metadata in the header, atomic writes, strict loading
- ``zoo``: which models a visitor can use — shipped checkpoints plus their own runs
- ``native_memory``: hand freed C-heap memory back to the OS when a run ends or waits
"""
