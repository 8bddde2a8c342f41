"""Posters, labels and panels of exact text; certified by fit checks and an OCR read-back."""

from __future__ import annotations

from .rule import TextRule
from .spec import TextSpec

__all__ = ['TextRule', 'TextSpec']
