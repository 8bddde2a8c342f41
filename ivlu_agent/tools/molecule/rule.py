"""Molecule and reaction rules: compound names, SMILES, highlights, labels, colours, schemes."""

from __future__ import annotations

import re

from ...errors import IvluError
from ..base import PlanContext
from ..common.colors import NAMED as COLOR_NAMES
from ..common.depict import Depiction, canvas_for
from ..common.formulas import check_condensed, condensed_smiles
from ..common.names import (
    ARROWS,
    CHEMICAL_ENDINGS,
    FILLER,
    STRONG_SYSTEMATIC,
    displayed_formula,
    expand_suspended,
    find_groups,
    find_molecules,
    prefixed_names,
    reject_unknown_compounds,
    systematic_candidates,
)
from ..common.prose import FILLER as PROSE_FILLER
from ..common.prose import QUOTED
from .spec import MoleculeSpec

OPSIN = "ivlu_agent.tools.common.opsin:parse_names"
STEREO = "ivlu_agent.tools.common.stereo:"
STEREO_PREFIX = re.compile(r"^(?:[LD]|[RS]|\([RS]\)|\([EZ]\)|cis|trans)-", re.I)  # 'L-alanine' -> 'alanine'
# 'the cis and trans isomers of', 'both enantiomers of', 'the E and Z isomers of', 'the stereoisomers of'
ISOMER_SET = re.compile(r"(?:\(?\b(?:cis|trans|e|z|r|s)\b\)?\s*(?:and|&|/|or)\s*\(?\b(?:cis|trans|e|z|r|s)\b\)?\s+"
                        r"(?:isomers?|forms?|enantiomers?)|\b"
                        r"(?:(?:both|two|all|the)\s+)*(?:geometric(?:al)?\s+isomers?|stereoisomers?|enantiomers?|"
                        r"optical\s+isomers?|cis[- /]trans\s+isomers?))\s+of\b", re.I)


# 'the E isomer and the Z isomer' → 'the E and Z isomers'
PAIRED_ISOMERS = re.compile(r"\bthe\s+(\(?(?:[RSEZ]|cis|trans)\)?)[- ]?(isomer|enantiomer|form)\s+and\s+the\s+"
                            r"(\(?(?:[RSEZ]|cis|trans)\)?)[- ]?\2\b", re.I)
# A set of stereoisomers of a compound named before ('Butan-2-ol has a chiral centre. Draw both of its
# enantiomers'): 'its' (or a bare 'the … enantiomers' with no 'of') stands for that compound.
ISOMERS_OF_IT = re.compile(r"\b(?:(?:both|all|two)\s+(?:of\s+)?)?(?:its|the)\s+(?:two\s+)?(?P<set>(?:\(?[RSEZ]\)?|cis|"
                           r"trans)\s*(?:and|&|/|or)\s*(?:\(?[RSEZ]\)?|cis|trans)\s+(?:isomers|forms|enantiomers)|"
                           r"(?:geometric(?:al)?\s+|optical\s+|cis[- /]trans\s+)?(?:isomers|stereoisomers|enantiomers))"
                           r"\b(?!\s+of\b)", re.I)


def isomers_of_it(text: str) -> str:
    """'… Draw both of its enantiomers' → '… Draw both enantiomers of': the set then reads as ISOMER_SET."""
    text = PAIRED_ISOMERS.sub(lambda m: f"the {m.group(1)} and {m.group(3)} {m.group(2)}s", text)
    if ISOMER_SET.search(text):
        return text
    return ISOMERS_OF_IT.sub(lambda m: f"the {m.group('set')} of ", text, count=1)


# One stereoisomer asked for by its descriptor: 'the R enantiomer of alanine', 'the trans isomer of but-2-ene',
# 'the (Z)-form of …'. It is drawn alone (common/stereo.py picks it), never with its partners.
SINGLE_ISOMER = re.compile(r"\b(?:the\s+)?\(?(?P<p>[RSEZDL]|cis|trans|meso)\)?[- ]?(?:isomer|enantiomer|form|"
                           r"configuration|stereoisomer|version)\s+of\b", re.I)


def in_order_named(steps: list[MoleculeSpec], clause: str) -> list[MoleculeSpec]:
    """Stereoisomer panels in the order the words name their descriptors ('(R) … and (S) …', 'trans and cis');
    those not named keep their place after them."""
    def position(step: MoleculeSpec) -> int:
        label = re.match(r"^\(([^)]+)\)-", step.name)
        words = [label.group(1)] if label else []
        words += [w for w in ("cis", "trans") if step.title.startswith(w)]
        found = [m.start() for w in words for m in re.finditer(rf"(?<![\w-])\(?{re.escape(w)}\)?(?![\w-])", clause)]
        return min(found) if found else len(clause)
    return sorted(steps, key=position)


def unquoted(clause: str) -> str:
    """The clause with quoted text blanked (same length): quoted words are text to write."""
    return QUOTED.sub(lambda m: " " * len(m.group()), clause)


def read_systematic(text: str, unknown: list[str], ctx: PlanContext) -> dict[str, str]:
    """Structures for the words the table does not know, {phrase as written: SMILES}: systematic names
    read by OPSIN ('2-methylpropan-2-ol'), peptides ('Gly-Ala') and stereo prefixes ('meso-tartaric
    acid'), each built in the worker. Empty when no word looks like one."""
    found: dict[str, str] = {}
    for phrase, what, value, named in prefixed_names(text):
        if what == "peptide":
            found[phrase] = ctx.call(STEREO + "peptide", value)
            ctx.reasoning.append(f"{phrase}: the peptide built from its three-letter codes, N- to C-terminus")
            continue
        smiles = ctx.call(STEREO + "with_prefix", what, value, named)
        if smiles:
            found[phrase] = smiles
            ctx.reasoning.append(f"{phrase}: the {what} stereoisomer of {value}")
    candidates = [c for c in systematic_candidates(text, unknown) if c not in found]
    if candidates:
        read = ctx.call(OPSIN, candidates)
        if read:
            ctx.reasoning.append("OPSIN read the systematic name(s) " + ", ".join(read))
        found |= read
    return found


# Directive words this rule understands; the plan.faithful check counts them as accounted for.
VOCABULARY = frozenset(FILLER) | {"highlighting", "structural", "displayed", "skeletal", "condensed", "lewis", "kekule", "kekulé", "line",
                                         "angle", "bond-line", "side-by-side", "px", "pixels", "pixel", "size", "big", "large", "small",
                                         # words that describe compounds rather than ask for anything
                                         "common", "lab", "laboratory", "solvent", "solvents", "reagent", "reagents",
                                         "drug", "drugs", "medicine", "hormone", "vitamin", "natural", "simple",
                                         "simplest", "famous", "important", "typical", "example", "examples",
                                         "monomer", "monomers", "isomer", "isomers", "ring", "rings",
                                         "peptide", "dipeptide", "tripeptide", "smiles", "left", "right", "tetrapeptide", "residue", "residues",
                                         # stereoisomer sets (ISOMER_SET)
                                         "enantiomer", "enantiomers", "stereoisomer", "stereoisomers", "geometric",
                                         "chiral", "centre", "center", "centres", "centers", "optically", "active",
                                         "exists", "exist", "configuration", "descriptor", "cip", "its",
                                         "geometrical", "optical", "mirror", "cis", "trans", "e", "z", "r", "s", "forms"}


# 'thicker bonds', 'make the lines thinner': the depiction's line width, the only weight a structure has.
LINE_WEIGHT = re.compile(r"\b(thicker|bolder|heavier|wider|thinner|lighter|finer)\s+(?:bonds?|lines?|strokes?)\b|"
                         r"\b(?:bonds?|lines?|strokes?)\s+(?:a\s+bit\s+|much\s+)?(thicker|bolder|heavier|thinner|finer)\b",
                         re.I)


# 'make them blue', 'colour them green', 'now in red': a colour with no group named
RECOLOUR = re.compile(r"^(?:\W*\w+\W+){0,3}?(?:make|colou?r|turn|paint|show|highlight)\s+(?:them|those|it|these|all"
                      r"(?:\s+of\s+them)?|the\s+highlights?)\s+(?:in\s+)?(?P<colour>[a-z]+)\b", re.I)


class MoleculeRule:
    """'draw caffeine and aspirin, highlight the methyl groups in red', SMILES, follow-ups."""

    name = "molecule"
    priority = 70  # last: any word may be a compound name
    examples = (  # what the planner lists when it understands nothing in a request
        "molecules by name ('draw caffeine and aspirin') or SMILES ('draw "
        "CC(=O)Oc1ccccc1C(=O)O'); functional groups to highlight, label or colour ('highlight the "
        "carbonyl groups in red')"
    )
    vocabulary = VOCABULARY

    def claims(self, clause: str) -> bool:
        clause = expand_suspended(unquoted(clause))  # a title 'Aspirin: 125 years' is text to write
        if ARROWS.search(clause):
            return False
        molecules, leftovers = find_molecules(find_groups(clause)[2])
        if molecules or prefixed_names(clause) or any(STRONG_SYSTEMATIC.search(w) and len(w) > 5 for w in leftovers):
            return True
        return any(
            w.lower().endswith(CHEMICAL_ENDINGS) and len(w) > 4 and w.lower() not in FILLER for w in leftovers
        ) and bool(re.search(r"\b(draw|molecule|structure|compound)\b", clause, re.I))

    def owns_together(self, clauses: list[str]) -> bool:
        """A compound named in one sentence and a set of its stereoisomers asked for in the next ('1,2-Dichloro-
        ethene exists as two stereoisomers. Draw the E isomer and the Z isomer.')."""
        if len(clauses) != 2:
            return False
        first, second = (expand_suspended(unquoted(c)) for c in clauses)
        second = PAIRED_ISOMERS.sub(lambda m: f"the {m.group(1)} and {m.group(3)} {m.group(2)}s", second)
        return bool(ISOMERS_OF_IT.search(second)) and not ISOMER_SET.search(second) and self.claims(first) \
            and not find_molecules(find_groups(second)[2])[0]

    def plan(self, clause: str, ctx: PlanContext) -> list[MoleculeSpec]:
        clause = isomers_of_it(expand_suspended(unquoted(clause)))  # 'ortho-, meta- and para-xylene': three names
        wanted, colors, rest = find_groups(clause)
        displayed, rest = displayed_formula(rest)
        single = SINGLE_ISOMER.search(rest)  # 'the R enantiomer of alanine': that one only
        if single:
            rest = rest[:single.start()] + " " * (single.end() - single.start()) + rest[single.end():]
        isomer_set = None if single else ISOMER_SET.search(rest)  # 'the cis and trans isomers of but-2-ene'
        if isomer_set:
            rest = rest[:isomer_set.start()] + " " * (isomer_set.end() - isomer_set.start()) + rest[isomer_set.end():]
        label = bool(re.search(r"\blabel", clause, re.I))
        size = re.search(r"\b(?:at\s+)?(\d{3,5})\s*(?:px|pixels?)\b", rest, re.I)
        if size:
            rest = rest[:size.start()] + " " * (size.end() - size.start()) + rest[size.end():]
        molecules, leftovers = find_molecules(rest)
        unknown = [w for w in leftovers if w.lower() not in VOCABULARY and not w.isdigit()]
        systematic = read_systematic(clause, unknown, ctx)
        if systematic:
            masked = clause
            for name in systematic:  # a name may hold a group word ('methyl propanoate'): it is the name's
                for m in re.finditer(re.escape(name), clause, re.I):
                    rest = rest[:m.start()] + clause[m.start():m.end()] + rest[m.end():]
                    masked = masked[:m.start()] + " " * (m.end() - m.start()) + masked[m.end():]
            wanted, colors, _ = find_groups(masked)
            molecules, leftovers = find_molecules(rest, systematic)
            unknown = [w for w in leftovers if w.lower() not in VOCABULARY and not w.isdigit()]
        reject_unknown_compounds(unknown, [m[0] or m[1] for m in molecules])
        if not molecules:
            raise IvluError(f"No molecule named in {clause!r}.", "a compound name or a SMILES",
                            "name the compound, e.g. 'draw caffeine'")
        unknown = [w for w in unknown if w.lower() not in colors.values() and w.lower() not in PROSE_FILLER]
        if unknown:
            ctx.notes.append("ignored words: " + ", ".join(unknown))
        steps, lines, seen = [], [], set()
        for name, smiles in molecules:
            facts = ctx.describe(smiles)
            if facts["inchikey"] in seen:  # 'PABA (para-aminobenzoic acid)': a name and its gloss are one structure
                if name and not steps[-1].name:  # 'c1ccc2ccccc2c1 (naphthalene)': the SMILES gets its name
                    steps[-1] = steps[-1].model_copy(update={"name": name})
                continue
            seen.add(facts["inchikey"])
            if name and condensed_smiles(name) == smiles:
                check_condensed(name, facts)
            present = [g for g in wanted if facts["groups"].get(g, 0) > 0]
            absent = [g for g in wanted if g not in present]
            shown = name or facts["smiles"]
            if absent:
                ctx.notes.append(f"{shown} has no {', '.join(absent)} group")
            steps.append(MoleculeSpec(
                name=name, smiles=facts["smiles"], formula=facts["formula"], inchikey=facts["inchikey"],
                highlight=present, label_groups=label and bool(present),
                colors={g: c for g, c in colors.items() if g in present},
                depiction=Depiction(size=int(size.group(1)) if size else canvas_for(facts["formula"], displayed),
                                    explicit_hydrogens=displayed),
                displayed=displayed,
            ))
            counts = ", ".join(f"{facts['groups'][g]} {g}" for g in present)
            lines.append(f"- {shown}: {facts['formula']}" + (f"; highlight {counts}" if counts else ""))
        if isomer_set:
            # the descriptors may be named apart from the set: 'the two geometric isomers …, labelled cis and trans'
            asked = isomer_set.group() + " " + " ".join(re.findall(r"\b(?:cis|trans)\b", clause, re.I))
            steps = [iso for step in steps for iso in self._stereoisomers(step, asked, ctx)]
            steps = in_order_named(steps, clause)  # '(R) on the left and (S) on the right': R first
        if single:
            steps = [self._one_stereoisomer(step, single.group("p"), ctx) for step in steps]
        missing = [g for g in wanted if not any(g in s.highlight for s in steps)]
        if missing:
            raise IvluError(
                f"None of the molecules has a {', '.join(missing)} group, so there is nothing to highlight.",
                "functional groups that occur in the requested molecules", "check the group name or the molecules")
        ctx.reasoning.append(f"Drawing {len(steps)} molecule(s) side by side"
                             + (f", highlighting {', '.join(wanted)}" if wanted else "")
                             + (" with labels" if label else "") + ":\n" + "\n".join(lines))
        return steps

    @staticmethod
    def _one_stereoisomer(step: MoleculeSpec, descriptor: str, ctx: PlanContext) -> MoleculeSpec:
        """The stereoisomer of `step` that `descriptor` ('R', 'trans', 'D', 'meso') names; a clear error when
        the structure has none such."""
        base = STEREO_PREFIX.sub("", step.name or step.smiles)
        named = next((n for n in (step.name,) if re.match(r"^[dl]-", n or "", re.I)), "")
        smiles = ctx.call(STEREO + "with_prefix", descriptor, step.smiles, named)
        if not smiles:
            raise IvluError(f"{base} has no single {descriptor} stereoisomer to draw.",
                            "a descriptor the structure has: R/S for one stereocentre, E/Z or cis/trans for one "
                            "stereo double bond, D/L, meso", "check the descriptor, or ask for all its stereoisomers")
        facts = ctx.describe(smiles)
        label = descriptor if len(descriptor) > 1 else f"({descriptor.upper()})" if descriptor.upper() in "RSEZ" \
            else descriptor.upper()
        name = f"{label}-{base}"
        ctx.reasoning.append(f"The {descriptor} stereoisomer of {base}: {facts['smiles']}")
        return step.model_copy(update={"name": name, "smiles": facts["smiles"], "formula": facts["formula"],
                                       "inchikey": facts["inchikey"], "title": name})

    @staticmethod
    def _stereoisomers(step: MoleculeSpec, asked: str, ctx: PlanContext) -> list[MoleculeSpec]:
        """One labelled panel per stereoisomer the structure leaves open (RDKit enumerates them in the worker).
        cis and trans are read as Z and E, which they are for 1,2-disubstituted alkenes; the plan says so."""
        mirror = bool(re.search(r"enantiomer|optical|mirror", asked, re.I))
        isomers = ctx.call("ivlu_agent.tools.common.chem:stereoisomers", step.smiles, mirror)
        base = step.name or step.smiles
        if len(isomers) < 2:
            ctx.notes.append(f"{base} has no stereoisomers to draw: its structure fixes every centre and bond")
            return [step]
        cis_trans = bool(re.search(r"\b(?:cis|trans)\b", asked, re.I))
        if cis_trans:
            ctx.notes.append("cis and trans read as Z and E (the same for 1,2-disubstituted alkenes)")
        out = []
        for iso in isomers:
            facts = ctx.describe(iso["smiles"])
            label = ",".join(iso["labels"])
            word = {"Z": "cis", "E": "trans"}.get(label, "") if cis_trans else ""
            name = f"({label})-{STEREO_PREFIX.sub('', base)}"
            out.append(step.model_copy(update={
                "name": name, "smiles": facts["smiles"], "formula": facts["formula"], "inchikey": facts["inchikey"],
                "title": f"{word}-{base} ({label})" if word else name}))
        ctx.reasoning.append(f"Stereoisomers of {base}: " + ", ".join(s.title for s in out))
        return out

    @staticmethod
    def _weighted(mols: list[dict], thicker: bool, ctx: PlanContext) -> list[MoleculeSpec]:
        steps = _line_weight([MoleculeSpec.model_validate(m) for m in mols], thicker)
        ctx.reasoning.append(f"Redrawing {', '.join(s.caption() for s in steps)} with "
                             f"{'thicker' if thicker else 'thinner'} bonds ({steps[0].depiction.line_width} px)")
        ctx.accounted.append("bonds lines thicker thinner bolder heavier wider lighter")
        return steps

    def follow_up(self, clause: str, previous: list[dict], ctx: PlanContext,
                  same_request: bool = False) -> list[MoleculeSpec] | None:
        mols = [s for s in previous if s["kind"] == "molecule"]
        wanted, colors, rest = find_groups(clause)
        label = bool(re.search(r"\blabel", clause, re.I))
        weight = LINE_WEIGHT.search(clause)
        if wanted and not colors:  # 'can the amine highlights be blue instead': a colour for the groups named
            shade = next((w for w in re.findall(r"[a-z]+", clause.lower()) if w in COLOR_NAMES), None)
            if shade:
                colors = {g: shade for g in wanted}
        recolour = RECOLOUR.search(clause)
        if mols and recolour and not (wanted or colors) and recolour.group("colour").lower() in COLOR_NAMES and \
                any(m.get("highlight") for m in mols):  # 'make them blue': the groups highlighted, in that colour
            colour = recolour.group("colour").lower()
            colors = {g: colour for m in mols for g in m.get("highlight", [])}
            ctx.accounted.append(f"them they those it all {colour}")
        if mols and weight and not (wanted or colors or label):  # 'thicker bonds', 'thinner lines'
            return self._weighted(mols, (weight.group(1) or weight.group(2)).lower() in ("thicker", "bolder", "heavier", "wider"), ctx)
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


def _line_weight(specs: list[MoleculeSpec], thicker: bool) -> list[MoleculeSpec]:
    out = []
    for spec in specs:
        width = spec.depiction.line_width
        width = min(8, max(width + 1, round(width * 1.5))) if thicker else max(1, min(width - 1, round(width / 1.5)))
        out.append(spec.model_copy(update={"depiction": spec.depiction.model_copy(update={"line_width": width})}))
    return out


def verify_target(value: str, options: dict, call) -> tuple[str, list]:
    """`ivlu verify IMAGE --molecule NAME_OR_SMILES`: a compound from the table, else the text as a SMILES."""
    from ..common.chem import compounds, lookup_compound

    key = " ".join(value.lower().split())
    if key in compounds():
        smiles = compounds()[key].smiles
    elif " " in key or (value.isalpha() and value.islower() and len(value) > 3):
        smiles = lookup_compound(value).smiles  # raises with the closest names
    else:
        smiles = value
    facts = call("ivlu_agent.tools.common.chem:describe", smiles)
    return "ivlu_agent.tools.molecule.verify:verify_molecule_image", [facts["smiles"]]
