import os
import sys

# Tests import each other's tiny fixtures (test_trainer.Tiny) as plain modules.
sys.path.insert(0, os.path.dirname(__file__))
