"""Words to a ball-and-stick model: 'a ball-and-stick model of methane', 'the 3-D structure of caffeine',
'show the tetrahedral shape of methane', 'VSEPR shape of ammonia'."""

from __future__ import annotations

import re

from ...errors import IvluError
from ..base import PlanContext
from ..common.names import (
    AMBIGUOUS_NAMES,
    CHEMICAL_ENDINGS,
    FILLER,
    close_names,
    find_molecules,
    reject_unknown_compounds,
)
from ..common.prose import FILLER as PROSE_FILLER
from ..common.prose import QUOTED
from .spec import MAX_HEAVY_ATOMS, Model3dSpec

FACTS = "ivlu_agent.tools.model3d.chemistry:plan_facts"
SHAPE_WORDS = ("trigonal bipyramidal", "trigonal pyramidal", "trigonal planar", "square pyramidal", "square planar",
               "tetrahedral", "octahedral", "seesaw", "t-shaped", "linear", "bent")
_SHAPE = "|".join(w.replace(" ", r"[\s-]+") for w in SHAPE_WORDS)
# Words that ask for a 3-D model (any of them), or for a molecule's shape.
DIRECTIVE = re.compile(r"\bball[\s-]*(?:and|&|n)[\s-]*stick|\bballs?\s+and\s+sticks?\b|\bvsepr\b|"
                       r"\b(?:3|three)[\s-]*d(?:imensional)?\b|\bspace[\s-]*filling\b|"
                       rf"\b(?:{_SHAPE})\s+(?:shape|geometry|structure|molecule)\b|"
                       r"\b(?:molecular|3d)\s+(?:shape|geometry)\b|\b(?:shape|geometry)\s+of\b", re.I)
# Without a compound in the words, only these are surely chemistry (so an unknown name is an error here).
CHEMICAL_DIRECTIVE = re.compile(r"\bball[\s-]*(?:and|&|n)[\s-]*stick|\bballs?\s+and\s+sticks?\b|\bvsepr\b|"
                                r"\bspace[\s-]*filling\b|\bmolecular\s+(?:shape|geometry)\b", re.I)
ASKED_SHAPE = re.compile(rf"\b(?P<shape>{_SHAPE})\b", re.I)
VIEW = re.compile(r"\b(?P<what>elevation|azimuth)\s*(?:of\s+|=\s*|:\s*)?(?P<deg>-?\d{1,3}(?:\.\d+)?)\s*(?:°|deg\w*)?",
                  re.I)
SIZE = re.compile(r"\b(?:at\s+)?(\d{3,4})\s*(?:px|pixels?)\b", re.I)

# Directive words this rule understands; plan.faithful counts them as accounted for. Shape names are not
# here: the plan's own shapes account for them, so 'the linear shape of water' is not waved through.
VOCABULARY = frozenset(FILLER) | {
    "ball", "balls", "stick", "sticks", "ball-and-stick", "model", "models", "3d", "d", "three", "dimensional",
    "three-dimensional", "shape", "shapes", "geometry", "geometries", "vsepr", "molecular", "structure",
    "viewed", "view", "viewpoint", "elevation", "azimuth", "degrees", "degree", "deg", "px", "pixels", "pixel",
    "size", "angle", "angles", "bond", "bonds", "conformer", "conformation", "cpk", "colours", "colors",
}


def unquoted(clause: str) -> str:
    """The clause with quoted text blanked: quoted words are text to write."""
    return QUOTED.sub(lambda m: " " * len(m.group()), clause)


class Model3dRule:
    """'a ball-and-stick model of methane', 'the 3-D structure of caffeine', 'VSEPR shape of ammonia'."""

    name = "model3d"
    priority = 65  # before molecules (70), which would read 'a 3-D model of ethanol' as a 2-D drawing
    examples = ("3-D ball-and-stick models with VSEPR shapes ('a ball-and-stick model of methane', "
                "'the 3-D structure of caffeine as balls and sticks', 'show the tetrahedral shape of methane', "
                "'VSEPR shape of ammonia')")
    vocabulary = VOCABULARY

    def claims(self, clause: str) -> bool:
        text = unquoted(clause)
        if not DIRECTIVE.search(text):
            return False
        if CHEMICAL_DIRECTIVE.search(text):
            return True
        molecules, leftovers = find_molecules(self._blank(text))
        # A misspelt name ('a 3D model of cafeine') is ours, to answer 'did you mean'; 'cylindrical' is not.
        return bool(molecules) or any(w.lower() in AMBIGUOUS_NAMES for w in leftovers) or \
            any(w.lower().endswith(CHEMICAL_ENDINGS) and len(w) > 4
                                      and w.lower() not in VOCABULARY and close_names(w) for w in leftovers)

    def owns(self, clause: str) -> bool:
        """A clause asking for a 3-D model is read whole (the molecule rule would claim its names too)."""
        return self.claims(clause)

    @staticmethod
    def _blank(text: str) -> str:
        for pattern in (DIRECTIVE, ASKED_SHAPE, VIEW, SIZE):
            text = pattern.sub(lambda m: " " * len(m.group()), text)
        return text

    def plan(self, clause: str, ctx: PlanContext) -> list[Model3dSpec]:
        text = unquoted(clause)
        if re.search(r"\bspace[\s-]*filling\b", text, re.I):
            raise IvluError("Space-filling models are not drawn, only ball-and-stick models.",
                            "a ball-and-stick model ('a ball-and-stick model of methane')",
                            "ask for a ball-and-stick model instead")
        asked = ASKED_SHAPE.search(text)
        asked_shape = " ".join(asked.group("shape").lower().replace("-", " ").split()) if asked else ""
        asked_shape = "T-shaped" if asked_shape == "t shaped" else asked_shape
        view = {m.group("what").lower(): float(m.group("deg")) for m in VIEW.finditer(text)}
        if len(view) == 1:
            raise IvluError(f"Only the {next(iter(view))} of the viewpoint is given in {clause!r}.",
                            "both an elevation and an azimuth ('viewed from elevation 20°, azimuth 30°')",
                            "give both angles, or neither and the least occluded view is chosen")
        size = SIZE.search(text)
        molecules, leftovers = find_molecules(self._blank(text))
        unknown = [w for w in leftovers if w.lower() not in VOCABULARY and w.lower() not in PROSE_FILLER
                   and not w.isdigit()]
        reject_unknown_compounds(unknown, [m[0] or m[1] for m in molecules])  # 'cafeine': did you mean
        if not molecules:
            named = f" ({', '.join(repr(w) for w in unknown[:3])} is no compound I know)" if unknown else ""
            raise IvluError(f"No compound named in {clause!r}{named}.",
                            "a compound from the bundled table or a SMILES ('a ball-and-stick model of methane')",
                            "name the compound, or give its SMILES")
        if unknown:
            ctx.notes.append("ignored words: " + ", ".join(unknown))
        # With several compounds a named shape belongs to those written after it ('a model of ammonia, and the
        # tetrahedral shape of methane': methane's; 'the linear shapes of CO2 and water': both), else to the
        # nearest one before it.
        shaped = {smiles for _, smiles in molecules}
        if asked and len(molecules) > 1:
            where = [(text.lower().find((name or smiles).lower()), smiles) for name, smiles in molecules]
            after = {smiles for at, smiles in where if at >= asked.end()}
            before = [w for w in where if 0 <= w[0] < asked.start()]
            shaped = after or ({max(before)[1]} if before else shaped)
        steps = []
        for name, smiles in molecules:
            facts = ctx.describe(smiles)
            if facts["heavy_atoms"] > MAX_HEAVY_ATOMS:
                raise IvluError(f"{name or smiles} has {facts['heavy_atoms']} heavy atoms.",
                                f"at most {MAX_HEAVY_ATOMS} heavy atoms in a ball-and-stick model",
                                "draw a smaller molecule, or its 2-D structure ('draw …')")
            model = ctx.call(FACTS, facts["smiles"], 42, "MMFF94", view.get("elevation"), view.get("azimuth"))
            shapes = [f"{c['atom']} {c['shape']}" for c in model["shapes"]]
            steps.append(Model3dSpec(
                name=name, smiles=facts["smiles"], formula=facts["formula"], inchikey=facts["inchikey"],
                elevation=model["elevation"], azimuth=model["azimuth"], view_chosen=not view,
                size=int(size.group(1)) if size else 800, shapes=shapes,
                asked_shape=asked_shape if smiles in shaped else "",
                force_field="UFF" if model["force_field"] == "UFF" else "MMFF94"))
            how = "chosen to hide the fewest balls" if not view else "as asked"
            ctx.reasoning.append(
                f"A ball-and-stick model of {name or smiles} ({facts['formula']}, {model['atoms']} atoms with "
                f"every hydrogen): ETKDG conformer (seed 42) optimised with {model['force_field']}, viewed from "
                f"elevation {model['elevation']:g}°, azimuth {model['azimuth']:g}° ({how})"
                + (f"; VSEPR: {', '.join(shapes)}" if shapes else ""))
        return steps

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext,
                  same_request: bool = False) -> list[Model3dSpec] | None:
        """'now view it from elevation 60°, azimuth 10°': the earlier models from the new viewpoint."""
        models = [s for s in previous if s["kind"] == "model3d"]
        view = {m.group("what").lower(): float(m.group("deg")) for m in VIEW.finditer(clause)}
        if not models or not view or find_molecules(self._blank(clause))[0]:
            return None
        steps = []
        for old in models:  # an angle not named keeps the model's own ('view it from elevation 45 instead')
            spec = Model3dSpec.model_validate(old)
            kept = {"elevation": 20.0 if spec.elevation is None else spec.elevation,
                    "azimuth": 30.0 if spec.azimuth is None else spec.azimuth}
            steps.append(spec.model_copy(update={**kept, **view,
                                                 "view_chosen": False}))
        ctx.reasoning.append(f"Redrawing the model(s) from elevation {steps[0].elevation:g}°, "
                             f"azimuth {steps[0].azimuth:g}°")
        return steps
