"""Verify a generate step: the fallback kind's pixel check, OCR of its words, and the judge's rubric
(ivlu_agent/tools/common/head.py says how they combine)."""

from __future__ import annotations

from typing import Callable

from ...store import ArtifactStore
from ..common.head import verify_neural
from .spec import GenerateSpec


def verify_generate(spec: dict, files: dict[str, str], meta: dict, *, judge: Callable, call: Callable,
                    store: ArtifactStore) -> list[dict]:
    s = GenerateSpec.model_validate(spec)
    fallback = s.fallback_spec()
    return verify_neural(s, files, fallback.model_dump(mode="json") if fallback else None, judge=judge, call=call,
                         store=store)
