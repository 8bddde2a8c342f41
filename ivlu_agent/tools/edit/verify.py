"""Verify an edit step: OCR of its words and the judge's rubric (ivlu_agent/tools/common/head.py)."""

from __future__ import annotations

from typing import Callable

from ...store import ArtifactStore
from ..common.head import verify_neural
from .spec import EditSpec


def verify_edit(spec: dict, files: dict[str, str], meta: dict, *, judge: Callable, call: Callable,
                store: ArtifactStore) -> list[dict]:
    return verify_neural(EditSpec.model_validate(spec), files, None, judge=judge, call=call, store=store)
