"""The one error the run registry raises for a visitor: a refusal they can read, in their language."""
from __future__ import annotations


class RunError(ValueError):
    """A user-facing reason an operation on runs was refused: the English sentence, plus a catalogue key and its
    values so the UI can say it in the visitor's language (genai_demo/i18n: run_* keys)."""

    def __init__(self, sentence: str, key: str | None = None, **values):
        super().__init__(sentence)
        self.key, self.values = key, values
