"""`python -m genai_demo` is the training CLI (same as `python -m genai_demo.train`)."""
import sys

from .train import main

sys.exit(main())
