"""An equation or derivation, laid out by matplotlib's mathtext; certified by SymPy and an OCR read-back."""

from __future__ import annotations

from .rule import EquationRule
from .spec import EquationSpec

__all__ = ['EquationRule', 'EquationSpec']
