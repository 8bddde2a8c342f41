"""Render an edit step with the model's head, through the engine (the one door to the model)."""

from __future__ import annotations

from typing import Any

from ...store import ArtifactStore
from ..common.head import output, retouch
from .spec import EditSpec


def render_edit(spec: dict, engine: Any, store: ArtifactStore) -> dict:
    """main.png: the source image changed as the instruction (and refinement's corrections) say."""
    s = EditSpec.model_validate(spec)
    image = retouch(s, engine, store) or engine.edit(store.path(s.source), s.full_prompt(), width=s.width,
                                                     height=s.height, steps=s.steps, seed=s.seed)
    return output(image)
