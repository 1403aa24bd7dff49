"""Quality layer: how good are generated samples and reconstructions?

- ``metrics``: MSE, SSIM and the negative ELBO of a VAE
- ``scores``: a small classifier's confidence and class coverage, a Fréchet distance, nearest training images
- ``report``: a judgement laid out as rows and a class histogram (text for the CLI, Markdown for the API)
- ``live``: cheap readouts of a training run's snapshot and the GAN studio's full judgement
- ``own``: what applies to a visitor's own images (no classifier): nearest-training-image distance, held-out ELBO
"""
