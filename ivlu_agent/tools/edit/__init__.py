"""An image changed by InternVL-U's head, through the engine; checked by OCR of its words and the judge."""

from __future__ import annotations

from .spec import EditSpec

__all__ = ['EditSpec']
