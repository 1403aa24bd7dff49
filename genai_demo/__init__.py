"""genai-demo: watch generative models learn, then play with them.

Layout: data.py (data sets as in-memory uint8 tensors), models/ (one family per file), trainer.py
(background-thread training), checkpoints.py (safetensors), ui/ (one Gradio tab per file).
Importing the package does no work: data and checkpoints load on first use.
"""

__version__ = "0.1.0"
