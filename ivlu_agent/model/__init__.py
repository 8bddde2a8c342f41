"""The native InternVL-U engine. Importing this package is cheap: torch loads on first use of a model class.

    from ivlu_agent.model import InternVLUPipeline
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["InternVLUPipeline", "InternVLUPipelineOutput"]

if TYPE_CHECKING:  # pragma: no cover
    from .internvlu.pipeline import InternVLUPipeline, InternVLUPipelineOutput


def __getattr__(name: str):
    if name in __all__:
        from .internvlu import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
