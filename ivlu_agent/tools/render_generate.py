"""Render a generate step with InternVL-U's head (runs in the model worker; the model stays loaded there)."""

from __future__ import annotations

from ..specs.generate import GenerateSpec, NeuralSpec
from ..store import ArtifactStore


def source_path(context: dict, rel: str) -> str:
    """Absolute path of a store file named in a spec (refuses anything outside the store)."""
    return str(ArtifactStore(context["store_root"]).path(rel))


def retouch(s: NeuralSpec, context: dict) -> tuple[bytes, dict] | None:
    """A refinement's local correction: edit the earlier output `s.retouch` as `s.retouch_instruction` says."""
    if not s.retouch:
        return None
    from ..model.internvlu_engine import head_edit

    return head_edit(context, source_path(context, s.retouch), s.retouch_instruction, s.width, s.height,
                     s.steps, s.seed)


def render_generate(spec: dict, context: dict) -> dict:
    """main.png drawn by the head from the prompt (and refinement's corrections), or a retouch of an earlier one.

    `context`: model path, device, dtype and store root (graph/nodes.py passes it to neural kinds).
    """
    from ..model.internvlu_engine import head_generate

    s = GenerateSpec.model_validate(spec)
    png, meta = retouch(s, context) or head_generate(context, s.full_prompt(), s.width, s.height, s.steps, s.seed,
                                                     s.think)
    return {"files": [{"name": "main.png", "mime": "image/png", "data": png}], "meta": meta}
