"""Training layer (no gradio): runs train here, whoever asks — the app, the CLI or the API.

- ``trainer``: one run = one model, its optimisers, its data and a background thread looping over chunks of steps
- ``stepping``: ``advance(k)``, the next k steps as one call (and ``advance_with``: k steps computed elsewhere)
- ``publishing``: what readers see — metric history, preview timeline, frozen weights — as immutable snapshots
- ``settings``: the one table of limits and the RunSettings every entry point (Train tab, API, CLI) checks once
- ``factory``: settings → a ready Trainer (data loaded, model built); the registry and the CLI both use it
- ``config``: what a run is told (RunConfig) and what a reader sees (Snapshot); device and thread choices
- ``budget``: a run's time and work budgets (the app sets them; the CLI trains without)
- ``runs``: per-visitor runs, the cap on active runs, places per visitor and per client address, clean-up
- ``places``: which sessions may hold runs (globally, per client address), reclaiming idle places, release and reap
- ``errors``: RunError, a refusal a visitor can read (sentence + catalogue key)
- ``classroom``: the teacher's class-wide view of the registry (every run, pause all, resume all, stop one), nicknames
- ``capacity``: how many runs are active and how many compute at once on this device (env settings)
- ``slicer``: round-robin turns of ~1 s between the active runs on the device's seats (fair time-slicing)
- ``estimate``: the queue's estimated wait and a shared run's pace, from measured steps/s
- ``scheduler``: the queue waiting for a place (interleaved by client address) and idle-place reclaim
- ``zerogpu``: on a ZeroGPU Space, chunks of steps in ``@spaces.GPU`` calls; the CPU when the GPU says no
- ``ensemble``: N same-shaped MLP GANs (or CGANs) stepping as one batched (vmap) ensemble, each with its own Adam state
- ``cotrain``: on a GPU, the active MLP GAN / CGAN runs of one shape step together as one ensemble in each other's turns
- ``checkpoints``: safetensors only, metadata in the header, atomic writes, strict loading
- ``zoo``: which models a visitor can use — shipped checkpoints plus their own runs
- ``native_memory``: hand freed C-heap memory back to the OS when a run ends or waits
"""
