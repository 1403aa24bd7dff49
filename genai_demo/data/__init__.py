"""Data layer: what the models learn from, as in-memory tensors.

- ``datasets``: embedded MNIST-5k, Fashion-MNIST and full MNIST (IDX files, download with a cache)
- ``text``: the text corpora for the tiny GPT (one example per line, characters as tokens)
- ``user_image``: a visitor's drawing or upload → a (1, 28, 28) digit, hostile input refused
- ``own_archive``, ``own_images``, ``own_text``: a visitor's uploads (images, zips, text) checked and converted
- ``own_store``: visitors' own data sets in memory, by handle, per visitor; freed when they leave
- ``images``: numpy/PIL helpers — grids, strips, upscales, GIFs, MNIST-style centring
"""
