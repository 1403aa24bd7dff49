"""Exploration maths behind the tabs (torch / numpy, no gradio).

- ``latent``: decode, encode, walks and samples for the Latent explorer and the GAN studio
- ``plots``: the 2-D latent plane as a picture (numpy + PIL)
- ``webdecoder``: a 2-D VAE's decoder as a small file the page runs itself
- ``textgen``: next-token generation for the Next-token tab and the text CLI
- ``toy_*``: the 2-D GAN game (GAN Lab-style): ``toy_data`` distributions and modes, ``toy_gan`` the tiny G / D
  and their steps, ``toy_metrics`` coverage / JS / collapse, ``toy_views`` frames, ``toy_run`` the live runner,
  ``toy_budget`` the CPU all toy runs share, ``toy_presets`` the lessons, ``toy_render`` a frame as a PNG
- ``labs*``: the Labs tab's guided experiments: ``labs`` the labs (presets, questions, who was right) and each
  visitor's lab, ``labs_detect`` the detectors over a run's metrics, ``labs_measure`` what is measured on its
  snapshots (classifier confidence / classes of the preview grid, copied names), ``labs_run`` a lab outside the app
"""
