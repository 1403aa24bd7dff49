""""Show as PyTorch code": one readable, standalone Python file (only torch and numpy) per run or shipped model.

- ``source``: a package module's real source made standalone (its imports gathered, the app's registry facts dropped)
- ``standalone``: the data loading, training loop and sampling the exported script runs — real, tested functions whose
  source is copied into the script, so the export cannot drift from them
- ``script``: assembles the file for a run or a checkpoint (model classes, data, loop, this run's settings and seed)
"""
