"""Function plots and charts, drawn by matplotlib; certified from the SVG's geometry and OCR of the labels."""

from __future__ import annotations

from .rule import PlotRule
from .spec import PlotSpec

__all__ = ['PlotRule', 'PlotSpec']
