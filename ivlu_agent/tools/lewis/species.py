"""Small inorganic species that Lewis-structure lessons name and the compound table lacks (ions, octet
exceptions), and the element names a request may point at ('the lone pairs on the nitrogen')."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Species:
    name: str
    smiles: str
    formula: str  # as RDKit's CalcMolFormula writes it (charge included), checked by the identity verifier
    synonyms: tuple[str, ...]  # lower case; formulas as requests write them ('no3-', 'bf3')


SPECIES = (
    Species("nitrate", "[O-][N+](=O)[O-]", "NO3-", ("nitrate ion", "nitrate anion", "no3-", "no3−", "no3^-")),
    Species("nitrite", "O=N[O-]", "NO2-", ("nitrite ion", "no2-", "no2−")),
    Species("carbonate", "[O-]C(=O)[O-]", "CO3-2", ("carbonate ion", "co3 2-", "co32-", "co3^2-", "co3²⁻")),
    Species("sulfate", "[O-]S(=O)(=O)[O-]", "O4S-2", ("sulphate", "sulfate ion", "sulphate ion", "so42-",
                                                        "so4^2-", "so4²⁻")),
    Species("phosphate", "[O-]P(=O)([O-])[O-]", "O4P-3", ("phosphate ion", "po43-", "po4^3-", "po4³⁻")),
    Species("ammonium", "[NH4+]", "H4N+", ("ammonium ion", "nh4+")),
    Species("hydroxide", "[OH-]", "HO-", ("hydroxide ion", "oh-", "oh−")),
    Species("hydronium", "[OH3+]", "H3O+", ("hydronium ion", "oxonium", "h3o+")),
    Species("cyanide", "[C-]#N", "CN-", ("cyanide ion", "cn-", "cn−")),
    Species("boron trifluoride", "FB(F)F", "BF3", ("bf3", "trifluoroborane")),
    Species("boron trichloride", "ClB(Cl)Cl", "BCl3", ("bcl3", "trichloroborane")),
    Species("aluminium chloride", "Cl[Al](Cl)Cl", "AlCl3", ("aluminum chloride", "alcl3")),
    Species("beryllium chloride", "Cl[Be]Cl", "BeCl2", ("becl2",)),
    Species("nitrogen dioxide", "O=[N+][O-]", "NO2", ("no2",)),
    Species("nitric oxide", "[N]=O", "NO", ("nitrogen monoxide", "nitrogen oxide")),
    Species("phosphorus pentachloride", "ClP(Cl)(Cl)(Cl)Cl", "Cl5P", ("pcl5", "phosphorus(v) chloride")),
    Species("phosphorus trichloride", "ClP(Cl)Cl", "Cl3P", ("pcl3",)),
    Species("sulfur tetrafluoride", "FS(F)(F)F", "F4S", ("sulphur tetrafluoride", "sf4")),
    Species("sulfur hexafluoride", "FS(F)(F)(F)(F)F", "F6S", ("sulphur hexafluoride", "sf6")),
    Species("xenon tetrafluoride", "F[Xe](F)(F)F", "F4Xe", ("xef4",)),
    Species("iodine pentafluoride", "FI(F)(F)(F)F", "F5I", ("if5",)),
    Species("triiodide", "I[I-]I", "I3-", ("triiodide ion", "i3-")),
)

ELEMENTS = {"hydrogen": "H", "boron": "B", "carbon": "C", "nitrogen": "N", "oxygen": "O", "fluorine": "F",
            "silicon": "Si", "phosphorus": "P", "sulfur": "S", "sulphur": "S", "chlorine": "Cl", "bromine": "Br",
            "iodine": "I", "xenon": "Xe", "beryllium": "Be", "aluminium": "Al", "aluminum": "Al", "selenium": "Se"}
ELEMENT_NAMES = {symbol: name for name, symbol in reversed(ELEMENTS.items())}  # 'S': 'sulfur'


@lru_cache(maxsize=1)
def by_key() -> dict[str, Species]:
    """Every name and synonym (lower case) → its species."""
    return {key: s for s in SPECIES for key in (s.name, *s.synonyms)}


def by_smiles(smiles: str) -> Species | None:
    """The species whose SMILES is `smiles` as written in the table (the planner compares canonical forms)."""
    return next((s for s in SPECIES if s.smiles == smiles), None)


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    keys = sorted(by_key(), key=len, reverse=True)  # the longest first: 'nitrate ion' before 'nitrate'
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, keys)) + r")(?![\w+−-])", re.I)


def find_species(text: str) -> list[tuple[int, int, Species]]:
    """(start, end, species) of every species of the table named in `text`, in order."""
    return [(m.start(), m.end(), by_key()[m.group().lower()]) for m in _pattern().finditer(text)]
