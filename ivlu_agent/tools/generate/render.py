"""Render a generate step with the model's head, through the engine (the one door to the model)."""

from __future__ import annotations

from typing import Any

from ...store import ArtifactStore
from ..common.head import output, retouch
from .spec import GenerateSpec


def render_generate(spec: dict, engine: Any, store: ArtifactStore) -> dict:
    """main.png drawn by the head from the prompt (and refinement's corrections), or a retouch of an earlier one."""
    s = GenerateSpec.model_validate(spec)
    image = retouch(s, engine, store) or engine.generate(s.full_prompt(), width=s.width, height=s.height,
                                                         steps=s.steps, seed=s.seed, think=s.think)
    return output(image)
