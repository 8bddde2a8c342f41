"""Flowcharts, trees, graphs and state machines, laid out by graphviz; certified from the SVG and OCR."""

from __future__ import annotations

from .rule import DiagramRule
from .spec import DiagramSpec

__all__ = ['DiagramRule', 'DiagramSpec']
