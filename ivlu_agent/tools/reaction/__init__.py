"""A reaction scheme 'A + B -> C', drawn by RDKit; certified by each component's identity and an OSRA
read-back of each structure."""

from __future__ import annotations

from .rule import ReactionRule
from .spec import ReactionSpec

__all__ = ['ReactionRule', 'ReactionSpec']
