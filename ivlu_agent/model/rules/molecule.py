"""Molecule and reaction rules: compound names, SMILES, highlights, labels, colours, schemes."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from ...chem import compounds, groups, lookup_compound
from ...errors import IvluError
from ...specs import Component, Depiction, MoleculeSpec, ReactionSpec
from ...tools.colors import NAMED as COLOR_NAMES
from .base import PlanContext

ARROWS = re.compile(r"\s*(?:->|→|=>|⟶)(?:\[(?P<cond>[^\]]{0,80})\])?\s*")
FILLER = set("""
a an the and or of in on with its their to as for by at from into then now also too please draw show depict
render make give me display create generate side next each all every both structure structures molecule
molecules compound compounds formula formulas scheme reaction reactions group groups highlight highlighted
highlighting highlights label labelled labeled labels labelling labeling mark marked colour color coloured
colored them it this that these those is are be 2d 2-d picture figure image diagram panel panels
chemical skeletal well only red blue green orange purple yellow pink cyan teal brown grey gray magenta lime
what which where plus using use emphasise emphasize outline circle atoms atom bonds bond same again instead
""".split())
SMILES_CHARS = re.compile(r"^(?:Cl|Br|[BCNOSPFIH]|[bcnops]|[\[\]()=#@+\-\\/%.0-9])+$")
CHEMICAL_ENDINGS = ("ine", "ol", "one", "ide", "ate", "ane", "ene", "yne", "acid", "ose", "in", "al", "yl")
NOT_SMILES = {"NO", "OR", "IN", "ON", "IS", "SO", "OF", "I", "A", "CO", "HI", "OH", "BC"}


def looks_like_smiles(token: str) -> bool:
    if len(token) < 2 or not SMILES_CHARS.match(token) or token in NOT_SMILES:
        return False
    if not any(ch.isalpha() for ch in token):
        return False  # '20', '(3)' and '1.5' are numbers, not structures
    if any(ch in token for ch in "()=#[]@/\\") or any(ch.isdigit() for ch in token):
        return True
    return token.isupper() and any(c in token for c in "CN")


@lru_cache(maxsize=1)
def _group_regex() -> re.Pattern:
    keys = sorted(groups(), key=len, reverse=True)
    return re.compile(r"\b(?P<key>" + "|".join(map(re.escape, keys)) + r")(?:e?s)?(?P<g>\s+groups?)?\b", re.I)


@lru_cache(maxsize=1)
def _compound_regex() -> re.Pattern:
    keys = sorted(compounds(), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, keys)) + r")(?![\w-])")


def find_groups(text: str) -> tuple[list[str], dict[str, str], str]:
    """Functional groups mentioned, their colours, and the text with those mentions blanked."""
    table = groups()
    compound_names = compounds()
    found: list[tuple[int, str]] = []
    colors: dict[str, str] = {}
    blanked = text
    for m in _group_regex().finditer(text):
        key = m.group("key").lower()
        if key in compound_names and not m.group("g"):
            continue  # 'alcohol' alone names ethanol; 'alcohol groups' names hydroxyl
        name = table[key].name
        found.append((m.start(), name))
        color = re.match(r"\s*(?:in|as|to|with)?\s*(\w+)", text[m.end():m.end() + 30].lower())
        if color and color.group(1) in COLOR_NAMES:
            colors[name] = color.group(1)
        blanked = blanked[:m.start()] + " " * (m.end() - m.start()) + blanked[m.end():]
    return list(dict.fromkeys(name for _, name in sorted(found))), colors, blanked


def find_molecules(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, SMILES) pairs in request order, and the words left over."""
    table = compounds()
    spans: list[tuple[int, int, str, str]] = []
    for m in _compound_regex().finditer(text.lower()):  # the alternation is longest-first
        c = table[m.group()]
        spans.append((m.start(), m.end(), c.name, c.smiles))
    for m in re.finditer(r"\S+", text):
        token = m.group().strip(",;:.!?'\"")
        if any(s < m.end() and m.start() < e for s, e, _, _ in spans):
            continue
        if looks_like_smiles(token):
            spans.append((m.start(), m.end(), "", token))
    spans.sort()
    rest = text
    for s, e, _, _ in spans:
        rest = rest[:s] + " " * (e - s) + rest[e:]
    leftovers = [w.strip(",;:.!?'\"()") for w in rest.split()]
    return [(name, smiles) for _, _, name, smiles in spans], [w for w in leftovers if w]


def reject_unknown_compounds(unknown: list[str], understood: list[str]) -> None:
    names = sorted({c.name for c in compounds().values()})
    for word in unknown:
        close = difflib.get_close_matches(word.lower(), names, n=5, cutoff=0.75)
        if close or (word.lower().endswith(CHEMICAL_ENDINGS) and len(word) > 4):
            got = f" I understood: {', '.join(understood)}." if understood else ""
            raise IvluError(
                f"Unknown compound name {word!r}.{got}",
                "a compound from the bundled table or a SMILES string",
                ("did you mean: " + ", ".join(close) + "?") if close else "write the structure as a SMILES string",
            )


LIST_BREAK = re.compile(r",\s+|\s+(?:and|&|plus)\s+", re.I)  # not '+' (charges) nor ',' without a space ('2,4-D')


def reject_unknown_list_items(text: str, understood: list[str]) -> None:
    """An item of the molecule list that names no compound ('caffeine and unobtainium') is an error, not a
    word to ignore: drawing only caffeine and calling the run verified would hide it."""
    for item in LIST_BREAK.split(text):
        molecules, leftovers = find_molecules(item)
        unknown = [w for w in leftovers if w.lower() not in FILLER and not w.isdigit()]
        if unknown and not molecules:
            got = f" I understood: {', '.join(understood)}." if understood else ""
            raise IvluError(f"{item.strip(' ,.;:')!r} is not a compound I know.{got}",
                            "compound names from the bundled table (data/compounds.tsv) or SMILES strings",
                            "check the name, write its SMILES, or use a model engine for anything else")


class MoleculeRule:
    """'draw caffeine and aspirin, highlight the methyl groups in red', SMILES, follow-ups."""

    name = "molecule"

    def claims(self, clause: str) -> bool:
        if ARROWS.search(clause):
            return False
        molecules, leftovers = find_molecules(find_groups(clause)[2])
        return bool(molecules) or any(
            w.lower().endswith(CHEMICAL_ENDINGS) and len(w) > 4 and w.lower() not in FILLER for w in leftovers
        ) and bool(re.search(r"\b(draw|molecule|structure|compound)\b", clause, re.I))

    def plan(self, clause: str, ctx: PlanContext) -> list[MoleculeSpec]:
        wanted, colors, rest = find_groups(clause)
        label = bool(re.search(r"\blabel", clause, re.I))
        size = re.search(r"\b(?:at\s+)?(\d{3,5})\s*(?:px|pixels?)\b", rest, re.I)
        if size:
            rest = rest[:size.start()] + " " * (size.end() - size.start()) + rest[size.end():]
        molecules, leftovers = find_molecules(rest)
        unknown = [w for w in leftovers if w.lower() not in FILLER and not w.isdigit()]
        reject_unknown_compounds(unknown, [m[0] or m[1] for m in molecules])
        reject_unknown_list_items(rest, [m[0] or m[1] for m in molecules])
        if not molecules:
            raise IvluError(f"No molecule named in {clause!r}.", "a compound name or a SMILES",
                            "name the compound, e.g. 'draw caffeine'")
        if unknown:
            ctx.notes.append("ignored words: " + ", ".join(unknown))
        steps, lines = [], []
        for name, smiles in molecules:
            facts = ctx.describe(smiles)
            present = [g for g in wanted if facts["groups"].get(g, 0) > 0]
            absent = [g for g in wanted if g not in present]
            shown = name or facts["smiles"]
            if absent:
                ctx.notes.append(f"{shown} has no {', '.join(absent)} group")
            steps.append(MoleculeSpec(
                name=name, smiles=facts["smiles"], formula=facts["formula"], inchikey=facts["inchikey"],
                highlight=present, label_groups=label and bool(present),
                colors={g: c for g, c in colors.items() if g in present},
                depiction=Depiction(size=int(size.group(1))) if size else Depiction(),
            ))
            counts = ", ".join(f"{facts['groups'][g]} {g}" for g in present)
            lines.append(f"- {shown}: {facts['formula']}" + (f"; highlight {counts}" if counts else ""))
        missing = [g for g in wanted if not any(g in s.highlight for s in steps)]
        if missing:
            raise IvluError(
                f"None of the molecules has a {', '.join(missing)} group, so there is nothing to highlight.",
                "functional groups that occur in the requested molecules", "check the group name or the molecules")
        ctx.reasoning.append(f"Drawing {len(steps)} molecule(s) side by side"
                             + (f", highlighting {', '.join(wanted)}" if wanted else "")
                             + (" with labels" if label else "") + ":\n" + "\n".join(lines))
        return steps

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext,
                  same_request: bool = False) -> list[MoleculeSpec] | None:
        mols = [s for s in previous if s["kind"] == "molecule"]
        wanted, colors, rest = find_groups(clause)
        label = bool(re.search(r"\blabel", clause, re.I))
        if not mols or find_molecules(rest)[0] or not (wanted or colors or label):
            return None
        replace = bool(re.search(r"\b(only|instead)\b", clause, re.I))
        steps = []
        for old in mols:
            spec = MoleculeSpec.model_validate(old)
            facts = ctx.describe(spec.smiles)
            keep = [] if replace else spec.highlight
            highlight = list(dict.fromkeys([*keep, *wanted, *colors]))
            highlight = [g for g in highlight if facts["groups"].get(g, 0) > 0]
            for g in wanted:
                if g not in highlight:
                    ctx.notes.append(f"{spec.name or spec.smiles} has no {g} group")
            steps.append(spec.model_copy(update={
                "highlight": highlight,
                "colors": {**spec.colors, **{g: c for g, c in colors.items() if g in highlight}},
                "label_groups": spec.label_groups or (label and bool(highlight)),
            }))
        if wanted and not any(g in s.highlight for s in steps for g in wanted):
            raise IvluError(f"None of the molecules drawn so far has a {', '.join(wanted)} group.",
                            "a group that occurs in the molecules of this thread", "check the group name")
        ctx.reasoning.append("Reworking " + ", ".join(s.name or s.smiles for s in steps)
                             + (f": highlight {', '.join(wanted)}" if wanted else "")
                             + (f"; colours {colors}" if colors else ""))
        return steps


class ReactionRule:
    """'acetic acid + ethanol ->[H2SO4] ethyl acetate + water'."""

    name = "reaction"

    def claims(self, clause: str) -> bool:
        return bool(ARROWS.search(clause))

    def _component(self, part: str, ctx: PlanContext) -> Component:
        phrase = " ".join(w for w in part.split() if w.lower() not in FILLER).strip(" ,.;:")
        if not phrase:
            raise IvluError(f"An empty side in the reaction near {part!r}.", "'A + B -> C'",
                            "name each reactant and product")
        if looks_like_smiles(phrase):
            facts = ctx.describe(phrase)
            return Component(name="", smiles=facts["smiles"], inchikey=facts["inchikey"])
        compound = lookup_compound(phrase)
        facts = ctx.describe(compound.smiles)
        return Component(name=compound.name, smiles=facts["smiles"], inchikey=facts["inchikey"])

    def plan(self, clause: str, ctx: PlanContext) -> list[ReactionSpec]:
        body = clause.split(":", 1)[1] if ":" in clause.split("->")[0] else clause
        match = ARROWS.search(body)
        left, right = body[:match.start()], body[match.end():]
        conditions = (match.group("cond") or "").strip()
        cond = re.search(r"\((?:conditions?:?\s*)?([^)]{1,80})\)\s*$", right)
        if cond:
            conditions, right = cond.group(1).strip(), right[:cond.start()]
        if ARROWS.search(right):
            raise IvluError("Multi-step schemes are not supported yet.", "one arrow: 'A + B -> C'",
                            "split the scheme into one request per step")
        step = ReactionSpec(reactants=[self._component(p, ctx) for p in left.split(" + ")],
                            products=[self._component(p, ctx) for p in right.split(" + ")],
                            conditions=conditions)
        ctx.reasoning.append(f"Reaction scheme: {step.caption()}" + (f" ({conditions})" if conditions else ""))
        return [step]

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext, same_request: bool = False) -> None:
        return None
