"""Verify an edit step: OCR of its words and the judge's rubric (see verify_generate)."""

from __future__ import annotations

from ..specs.edit import EditSpec
from .verify_generate import verify_neural


def verify_edit(spec: dict, files: dict[str, str], meta: dict, context: dict) -> list[dict]:
    return verify_neural(EditSpec.model_validate(spec), files, context)
