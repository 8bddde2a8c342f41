"""One compound by name or SMILES, drawn by RDKit with optional group highlights; certified by identity,
group highlights and an OSRA read-back of the pixels."""

from __future__ import annotations

from .rule import MoleculeRule
from .spec import MoleculeSpec

__all__ = ['MoleculeRule', 'MoleculeSpec']
