"""Open imagery drawn by InternVL-U's generation head, through the engine; checked by the fallback kind's
pixel check, OCR of its words and the judge."""

from __future__ import annotations

from .spec import GenerateSpec

__all__ = ['GenerateSpec']
