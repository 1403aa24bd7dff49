"""genai-demo: watch generative models learn, then play with them.

Layers, one package each (a package imports only from the ones before it; README "How the code is laid out"):
models/ (one family per file) → data/ → training/ (Trainer, runs, checkpoints) → quality/ → explore/ → ui/ (gradio).
The modules at this level are the command-line entry points: train.py, evaluate.py, evaluate_text.py.
Importing the package does no work: data and checkpoints load on first use.
"""

__version__ = "0.1.0"
