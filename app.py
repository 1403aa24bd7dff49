"""genai-demo: `python app.py` serves the app; Hugging Face Spaces imports `demo` from here.

Building the demo is cheap: data sets and checkpoints load on first use, so the first page is quick.
"""
import os

from genai_demo.training import zerogpu

zerogpu.prepare()  # on a ZeroGPU Space: import spaces before anything touches CUDA, decorate the GPU chunk before launch

from genai_demo.ui.app import build_demo, launch_kwargs  # noqa: E402
from genai_demo.ui.context import UIContext  # noqa: E402

ctx = UIContext()  # the visitors' runs
demo = build_demo(ctx)

if __name__ == "__main__":
    try:
        # GRADIO_SERVER_NAME=0.0.0.0 (set by Spaces / Docker) makes it reachable from outside.
        demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME"), **launch_kwargs())
    finally:
        # Ctrl-C / SIGTERM: stop the training threads before Python tears down torch under them
        ctx.registry.shutdown()
