"""Render an edit step with InternVL-U's head (runs in the model worker)."""

from __future__ import annotations

from ..specs.edit import EditSpec
from .render_generate import retouch, source_path


def render_edit(spec: dict, context: dict) -> dict:
    """main.png: the source image changed as the instruction (and refinement's corrections) say."""
    from ..model.internvlu_engine import head_edit

    s = EditSpec.model_validate(spec)
    png, meta = retouch(s, context) or head_edit(context, source_path(context, s.source), s.full_prompt(),
                                                 s.width, s.height, s.steps, s.seed)
    return {"files": [{"name": "main.png", "mime": "image/png", "data": png}], "meta": meta}
