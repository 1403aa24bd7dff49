"""Exploration maths behind the tabs (torch / numpy, no gradio).

- ``latent``: decode, encode, walks and samples for the Latent explorer and the GAN studio
- ``plots``: the 2-D latent plane as a picture (numpy + PIL)
- ``webdecoder``: a 2-D VAE's decoder as a small file the page runs itself
- ``textgen``: next-token generation for the Next-token tab and the text CLI
"""
