"""The deterministic planner (engine `symbolic`): rules over a compound table, no model.

It understands molecule requests: compound names from `data/compounds.tsv`, SMILES written in
the request, several molecules side by side, reaction schemes "A + B -> C", and requests to
highlight, label or colour functional groups. A follow-up on the same thread ("now also
highlight the hydroxyl groups") reworks the molecules of the previous turn.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Callable

from ..chem import compounds, groups, lookup_compound
from ..errors import IvluError
from ..specs import Component, MoleculeSpec, Plan, ReactionSpec
from ..tools.colors import NAMED as COLOR_NAMES
from ..types import ArtifactRef

SUPPORTED = (
    "molecules by name ('draw caffeine and aspirin') or SMILES ('draw CC(=O)Oc1ccccc1C(=O)O'); "
    "reaction schemes ('acetic acid + ethanol -> ethyl acetate + water'); "
    "functional groups to highlight, label or colour ('highlight the carbonyl groups in red'); "
    "follow-ups on a thread ('now also highlight the hydroxyl groups')"
)
ARROWS = re.compile(r"\s*(?:->|→|=>|⟶)(?:\[(?P<cond>[^\]]{0,80})\])?\s*")
FILLER = set("""
a an the and or of in on with its their to as for by at from into then now also too please draw show depict
render make give me display create generate side next each all every both structure structures molecule
molecules compound compounds formula formulas scheme reaction reactions group groups highlight highlighted
highlighting highlights label labelled labeled labels labelling labeling mark marked colour color coloured
colored in them it this that these those is are be 2d 2-d picture figure image diagram panel panels of
chemical skeletal well only red blue green orange purple yellow pink cyan teal brown grey gray magenta lime
what which where plus using use emphasise emphasize outline circle atoms atom bonds bond same again instead
""".split())
SMILES_ATOMS = re.compile(r"^(?:Cl|Br|[BCNOSPFI]|[cnosp]|[\[\]()=#@+\-\\/%.0-9]|[a-z])+$")
CHEMICAL_ENDINGS = ("ine", "ol", "one", "ide", "ate", "ane", "ene", "yne", "acid", "ose", "in", "ene", "al", "yl")


def _looks_like_smiles(token: str) -> bool:
    if len(token) < 2 or not SMILES_ATOMS.match(token) or token.lower() in FILLER:
        return False
    if any(ch in token for ch in "()=#[]@/\\") or any(ch.isdigit() for ch in token):
        return True
    return token.isupper() and len(token) >= 2 and token not in {"NO", "OR", "IN", "ON", "IS", "SO", "OF"}


class SymbolicPlanner:
    """Plans molecule and reaction steps by rules.

    Args:
        describe: a function SMILES -> {smiles, formula, inchikey, heavy_atoms, groups}; the agent
            passes one that runs RDKit in the isolated worker.
    """

    name = "symbolic"

    def __init__(self, describe: Callable[[str], dict]):
        self.describe = describe

    # -- entry point ------------------------------------------------------------------------------

    def plan(self, request: str, images: list[ArtifactRef], history: list[dict[str, Any]]) -> Plan:
        text = " ".join(request.split())
        if ARROWS.search(text):
            return self._plan_reaction(text)
        wanted_groups, colors, text_left = self._find_groups(text)
        label = bool(re.search(r"\blabel", text, re.I))
        molecules, leftovers = self._find_molecules(text_left)
        notes: list[str] = []
        if not molecules and history:
            return self._follow_up(text, wanted_groups, colors, label, history)
        unknown = [w for w in leftovers if w.lower() not in FILLER and not w.isdigit()]
        self._reject_unknown_compounds(unknown, understood=[m[0] for m in molecules], groups=wanted_groups)
        if not molecules:
            raise self._not_understood(text, [], wanted_groups, unknown)
        if unknown:
            notes.append("ignored words: " + ", ".join(unknown))
        steps, reasoning = self._molecule_steps(molecules, wanted_groups, colors, label, notes)
        return Plan(reasoning=reasoning, steps=steps, notes=notes)

    # -- pieces -----------------------------------------------------------------------------------

    def _find_groups(self, text: str) -> tuple[list[str], dict[str, str], str]:
        """Functional groups mentioned, their colours, and the text with those mentions removed."""
        table = groups()
        compound_names = compounds()
        found: list[tuple[int, str]] = []
        colors: dict[str, str] = {}
        for key in sorted(table, key=len, reverse=True):
            pattern = re.compile(rf"\b{re.escape(key)}(?:e?s)?(?P<g>\s+groups?)?\b", re.I)
            for m in pattern.finditer(text):
                if key in compound_names and not m.group("g"):
                    continue  # 'alcohol' alone names ethanol; 'alcohol groups' names hydroxyl
                name = table[key].name
                found.append((m.start(), name))
                after = text[m.end():m.end() + 30].lower()
                before = text[max(0, m.start() - 30):m.start()].lower()
                color = re.match(r"\s*(?:in|as|to|with)?\s*(\w+)", after)
                color_before = re.search(r"(?:make|colou?r)\s+(?:the\s+)?$", before)
                if color and color.group(1) in COLOR_NAMES:
                    colors[name] = color.group(1)
                elif color_before and color and color.group(1) in COLOR_NAMES:
                    colors[name] = color.group(1)
                text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
        ordered = [name for _, name in sorted(found)]
        return list(dict.fromkeys(ordered)), colors, text

    def _find_molecules(self, text: str) -> tuple[list[tuple[str, str]], list[str]]:
        """(label, SMILES) pairs in request order, and the words left over."""
        table = compounds()
        spans: list[tuple[int, int, str, str]] = []
        lowered = text.lower()
        for key in sorted(table, key=len, reverse=True):
            for m in re.finditer(rf"(?<![\w-]){re.escape(key)}(?![\w-])", lowered):
                if any(s < m.end() and m.start() < e for s, e, _, _ in spans):
                    continue
                spans.append((m.start(), m.end(), table[key].name, table[key].smiles))
        for m in re.finditer(r"\S+", text):
            token = m.group().strip(",;:.!?'\"")
            if any(s < m.end() and m.start() < e for s, e, _, _ in spans):
                continue
            if _looks_like_smiles(token):
                spans.append((m.start(), m.end(), "", token))
        spans.sort()
        rest = text
        for s, e, _, _ in spans:
            rest = rest[:s] + " " * (e - s) + rest[e:]
        leftovers = [w.strip(",;:.!?'\"()") for w in rest.split()]
        return [(name, smiles) for _, _, name, smiles in spans], [w for w in leftovers if w]

    def _reject_unknown_compounds(self, unknown: list[str], understood: list[str], groups: list[str]) -> None:
        names = sorted({c.name for c in compounds().values()})
        for word in unknown:
            close = difflib.get_close_matches(word.lower(), names, n=5, cutoff=0.75)
            if close or word.lower().endswith(CHEMICAL_ENDINGS) and len(word) > 4:
                got = f" I understood: {', '.join(understood)}." if understood else ""
                raise IvluError(
                    f"Unknown compound name {word!r}.{got}",
                    "a compound from the bundled table or a SMILES string",
                    ("did you mean: " + ", ".join(close) + "?") if close
                    else "write the structure as a SMILES string",
                )

    def _not_understood(self, text: str, understood: list[str], found_groups: list[str],
                        unknown: list[str]) -> IvluError:
        parts = []
        if found_groups:
            parts.append("functional groups: " + ", ".join(found_groups))
        if understood:
            parts.append("molecules: " + ", ".join(understood))
        return IvluError(
            f"I could not find anything to draw in {text!r}. "
            f"Understood: {'; '.join(parts) or 'nothing'}. Not understood: {', '.join(unknown) or text!r}.",
            "a request the symbolic planner supports: " + SUPPORTED,
            "name a compound or write a SMILES; other kinds of figure need their engine or a later release",
        )

    def _molecule_steps(self, molecules, wanted_groups, colors, label, notes):
        steps, lines = [], []
        for i, (name, smiles) in enumerate(molecules, start=1):
            facts = self.describe(smiles)
            present = [g for g in wanted_groups if facts["groups"].get(g, 0) > 0]
            absent = [g for g in wanted_groups if g not in present]
            label_text = name or facts["smiles"]
            if absent:
                notes.append(f"{label_text} has no {', '.join(absent)} group")
            steps.append(MoleculeSpec(
                id=f"s{i}", name=name, smiles=facts["smiles"], formula=facts["formula"],
                inchikey=facts["inchikey"], highlight=present, label_groups=label and bool(present),
                colors={g: c for g, c in colors.items() if g in present},
            ))
            counts = ", ".join(f"{facts['groups'][g]} {g}" for g in present)
            lines.append(f"- {label_text}: {facts['formula']}" + (f"; highlight {counts}" if counts else ""))
        missing = [g for g in wanted_groups if not any(g in s.highlight for s in steps)]
        if missing:
            raise IvluError(
                f"None of the molecules has a {', '.join(missing)} group, so there is nothing to highlight.",
                "functional groups that occur in the requested molecules",
                "check the group name or the molecules",
            )
        reasoning = (f"Drawing {len(steps)} molecule(s) side by side"
                     + (f", highlighting {', '.join(wanted_groups)}" if wanted_groups else "")
                     + (" with labels" if label else "") + ":\n" + "\n".join(lines))
        return steps, reasoning

    def _component(self, part: str) -> Component:
        words = [w for w in part.split() if w.lower() not in FILLER]
        phrase = " ".join(words).strip(" ,.;:")
        if not phrase:
            raise IvluError(f"An empty side in the reaction near {part!r}.", "'A + B -> C'",
                            "name each reactant and product")
        if _looks_like_smiles(phrase) and " " not in phrase:
            facts = self.describe(phrase)
            return Component(name="", smiles=facts["smiles"], inchikey=facts["inchikey"])
        compound = lookup_compound(phrase)
        facts = self.describe(compound.smiles)
        return Component(name=compound.name, smiles=facts["smiles"], inchikey=facts["inchikey"])

    def _plan_reaction(self, text: str) -> Plan:
        body = re.sub(r"^.*?:\s*", "", text) if ":" in text.split("->")[0] else text
        match = ARROWS.search(body)
        left, right = body[:match.start()], body[match.end():]
        conditions = (match.group("cond") or "").strip()
        cond = re.search(r"\((?:conditions?:?\s*)?([^)]{1,80})\)\s*$", right)
        if cond:
            conditions, right = cond.group(1).strip(), right[:cond.start()]
        if ARROWS.search(right):
            raise IvluError("Multi-step schemes are not supported yet.", "one arrow: 'A + B -> C'",
                            "split the scheme into one request per step")
        reactants = [self._component(p) for p in left.split(" + ")]
        products = [self._component(p) for p in right.split(" + ")]
        step = ReactionSpec(id="s1", reactants=reactants, products=products, conditions=conditions)
        return Plan(reasoning=f"Reaction scheme: {step.caption()}"
                    + (f" ({conditions})" if conditions else ""), steps=[step])

    def _follow_up(self, text, wanted_groups, colors, label, history) -> Plan:
        previous = history[-1]["plan"]
        mols = [s for s in previous["steps"] if s["kind"] == "molecule"]
        if not mols or not (wanted_groups or colors or label):
            raise self._not_understood(text, [], wanted_groups, [w for w in text.split() if w.lower() not in FILLER])
        replace = bool(re.search(r"\b(only|instead)\b", text, re.I))
        steps, notes = [], []
        for old in mols:
            spec = MoleculeSpec.model_validate(old)
            facts = self.describe(spec.smiles)
            new = [g for g in wanted_groups if facts["groups"].get(g, 0) > 0]
            keep = [] if replace else spec.highlight
            highlight = list(dict.fromkeys([*keep, *new, *[g for g in colors if g not in wanted_groups]]))
            highlight = [g for g in highlight if facts["groups"].get(g, 0) > 0]
            steps.append(spec.model_copy(update={
                "highlight": highlight,
                "colors": {**spec.colors, **{g: c for g, c in colors.items() if g in highlight}},
                "label_groups": spec.label_groups or (label and bool(highlight)),
            }))
            for g in wanted_groups:
                if g not in new:
                    notes.append(f"{spec.name or spec.smiles} has no {g} group")
        if wanted_groups and not any(g in s.highlight for s in steps for g in wanted_groups):
            raise IvluError(f"None of the molecules drawn so far has a {', '.join(wanted_groups)} group.",
                            "a group that occurs in the molecules of this thread", "check the group name")
        reasoning = (f"Follow-up on turn {history[-1].get('turn', len(history))}: reworking "
                     + ", ".join(s.name or s.smiles for s in steps)
                     + (f"; highlight {', '.join(wanted_groups)}" if wanted_groups else "")
                     + (f"; colours {colors}" if colors else ""))
        return Plan(reasoning=reasoning, steps=steps, notes=notes)
