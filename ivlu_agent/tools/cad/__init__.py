"""A CAD part and its orthographic and isometric views, built by CadQuery; certified by projecting the
solid and matching each view's pixels, volume and bounding box."""

from __future__ import annotations

from .rule import CadRule
from .spec import CadSpec

__all__ = ['CadRule', 'CadSpec']
