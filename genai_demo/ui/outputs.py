"""Named outputs: a tab's handler returns ``{name: value}`` for just the outputs it changes, and the tab's build()
maps the names onto its components, since Gradio wants ``{component: value}``.

Handlers stay plain functions that a test calls and reads by name (``out["status"]``) without building a page,
and an output that is left out is simply not updated (no ``gr.skip()`` placeholders counted by position).
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import gradio as gr
from gradio.blocks import Block


class Outputs:
    """The components a handler may update, by name: ``Outputs(status=status, grid=grid)``."""

    def __init__(self, **components: Block):
        self.components = components

    @property
    def blocks(self) -> list[Block]:
        """For an event's ``outputs=``."""
        return list(self.components.values())

    def __call__(self, values: dict[str, Any]) -> dict:
        """``{name: value}`` → ``{component: value}``. Gradio refuses an empty dict: nothing to send is gr.skip()."""
        unknown = set(values) - set(self.components)
        if unknown:
            raise KeyError(f"no output named {', '.join(sorted(unknown))}")
        return {self.components[name]: v for name, v in values.items()} or gr.skip()

    def wrap(self, fn: Callable) -> Callable:
        """fn returning (or yielding) ``{name: value}``, as Gradio needs it. functools.wraps keeps fn's signature,
        name and docstring: Gradio reads them for gr.Request / gr.SelectData parameters and the API's parameters."""
        if inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def stream(*args, **kwargs):
                for values in fn(*args, **kwargs):
                    yield self(values)
            return stream

        @functools.wraps(fn)
        def call(*args, **kwargs):
            return self(fn(*args, **kwargs))
        return call
