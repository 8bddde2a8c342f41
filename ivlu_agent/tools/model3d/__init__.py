"""A 3-D ball-and-stick model of one compound (RDKit conformer, matplotlib), certified from its pixels (each
visible ball's CPK colour, no extra balls, the element key) and its geometry (VSEPR bond angles)."""

from __future__ import annotations

from .rule import Model3dRule
from .spec import Model3dSpec

__all__ = ["Model3dRule", "Model3dSpec"]
