"""One compound or ion as a Lewis structure: every valence electron drawn as a bond line or a dot, formal
charges beside their atoms; certified by counting the dots, strokes and signs back from the pixels."""

from __future__ import annotations

from .rule import LewisRule
from .spec import LewisSpec

__all__ = ["LewisRule", "LewisSpec"]
