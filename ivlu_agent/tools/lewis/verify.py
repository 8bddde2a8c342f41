"""Verify a Lewis structure: the identity of the structure, its electron bookkeeping, and a read-back of the
pixels (symbols, bond strokes, lone-pair dots, charge signs, and the total of valence electrons they show)."""

from __future__ import annotations

from ..base import verdict
from ..common.chem import check_identity
from .electrons import bookkeeping
from .spec import LewisFacts, LewisSpec
from .species import by_key

MIN_LABEL_INK = 10  # ink pixels a written symbol leaves in the square at its atom's centre


def verify_lewis(spec: dict, files: dict[str, str], meta: dict | None = None) -> list[dict]:
    """All checks for a rendered LewisSpec. `files` maps artifact names to paths; `meta` is the renderer's."""
    s = LewisSpec.model_validate(spec)
    book = bookkeeping(s.smiles)
    verdicts = [identity(s), electrons(s, book, (meta or {}).get("layout"))]
    plan = (meta or {}).get("layout")
    if "main.png" not in files or not plan or len(plan.get("atoms", [])) != len(book["atoms"]):
        return verdicts + [verdict("lewis.pixels", False, 0.0, "the drawing's pixels against the electron count",
                                   "There is no drawing (or no layout of it) to read back; redraw it.")]
    return verdicts + check_pixels(book, files["main.png"], plan)


def identity(s: LewisSpec) -> dict:
    """The structure is the species named: the Lewis table's ions and octet exceptions, else the compound table."""
    species = by_key().get(" ".join(s.name.lower().split()))
    if species is not None:
        from rdkit import Chem

        target = Chem.MolToInchiKey(Chem.MolFromSmiles(species.smiles))
        out = check_identity(s.smiles, "", target, species.formula)
        out["message"] = out["message"].replace(s.smiles, species.name, 1) if out["passed"] else out["message"]
        if not out["passed"]:
            out["details"]["target_smiles"] = species.smiles
    else:
        out = check_identity(s.smiles, s.name, s.inchikey, s.formula)
    return {**out, "verifier": "lewis.identity"}


def electrons(s: LewisSpec, book: dict, plan: dict | None) -> dict:
    """RDKit's bookkeeping recounted here agrees with the step's read-back and with the layout that was drawn;
    octet exceptions and resonance are stated, not hidden."""
    problems = []
    if s.facts is not None:
        from .electrons import facts

        recount = LewisFacts.model_validate(facts(s.smiles))
        if recount != s.facts:
            problems.append(f"the plan's counts ({s.facts.valence_electrons} valence electrons, lone pairs "
                            f"{s.facts.lone_pairs}) differ from RDKit's ({recount.valence_electrons}, "
                            f"{recount.lone_pairs})")
    if plan:
        drawn = [(a["lone_pairs"], a["unpaired"], a["charge"]) for a in plan["atoms"]]
        wanted = [(a["lone_pairs"], a["unpaired"], a["charge"]) for a in book["atoms"]]
        if drawn != wanted or [b["order"] for b in plan["bonds"]] != [b["order"] for b in book["bonds"]]:
            problems.append("the layout drawn does not hold the lone pairs, charges and bond orders counted")
    notes = "; ".join(book["notes"])
    checked = "valence electrons, lone pairs, formal charges and bond orders counted by RDKit against the plan" + \
              (" and the layout" if plan else "")
    if problems:
        return verdict("lewis.electrons", False, 0.0, checked, "; ".join(problems) + ".", notes=book["notes"])
    pairs = sum(a["lone_pairs"] for a in book["atoms"])
    message = (f"{book['total']} valence electrons: {sum(b['order'] for b in book['bonds'])} bonding pairs and "
               f"{pairs} lone pair{'s' * (pairs != 1)}" + (f"; {notes}" if notes else "; every atom has its "
                                                            "octet (duet for hydrogen)") + ".")
    return verdict("lewis.electrons", True, 1.0, checked, message, notes=book["notes"], total=book["total"])


def check_pixels(book: dict, png: str, plan: dict) -> list[dict]:
    """Read the PNG back at the layout's atoms and compare with the bookkeeping: symbols, strokes, dots, signs,
    and the electrons all of them add up to."""
    from .pixels import read_back

    atoms, bonds = book["atoms"], book["bonds"]
    xy = [tuple(a["xy"]) for a in plan["atoms"]]
    seen = read_back(png, xy, [(b["begin"], b["end"]) for b in bonds], plan["style"]["dot_r"])
    name = [f"{a['symbol']}{i + 1}" for i, a in enumerate(atoms)]
    out = []

    blank = [name[i] for i, ink in enumerate(seen["label_ink"]) if ink < MIN_LABEL_INK]
    if len(blank) == len(atoms):  # no symbol anywhere: whatever the image is, it is not this drawing
        return [verdict(f"lewis.{check}", False, 0.0, f"the {check} of the drawing at its {len(atoms)} atoms",
                        "No atom symbol is where the layout puts it, so nothing could be read back; redraw it.")
                for check in ("atoms", "bonds", "lone_pairs", "charges", "total")]
    out.append(verdict("lewis.atoms", not blank, 1 - len(blank) / len(atoms),
                       f"ink of the symbol at each of the {len(atoms)} atoms (every hydrogen included)",
                       f"Every atom's symbol is written ({len(atoms)})." if not blank else
                       f"No symbol is written at {', '.join(blank)}; redraw it.", missing=blank))

    if bonds:
        wrong = [(f"{name[b['begin']]}–{name[b['end']]}", b["order"], n)
                 for b, n in zip(bonds, seen["strokes"]) if n != b["order"]]
        out.append(verdict("lewis.bonds", not wrong, 1 - len(wrong) / len(bonds),
                           f"parallel strokes across the middle of each of the {len(bonds)} bonds against its order",
                           f"Every bond shows its {len(bonds)} stroke count (single, double, triple)." if not wrong
                           else "Wrong stroke counts: " + ", ".join(f"{w} has {n} instead of {o}"
                                                                     for w, o, n in wrong[:6]) + ".",
                           strokes=seen["strokes"], wrong=wrong))

    wanted = [2 * a["lone_pairs"] + a["unpaired"] for a in atoms]
    off = [(name[i], w, n) for i, (w, n) in enumerate(zip(wanted, seen["dots"])) if w != n]
    pairs = sum(a["lone_pairs"] for a in atoms)
    out.append(verdict("lewis.lone_pairs", not off, 1 - len(off) / len(atoms),
                       f"electron dots found beside each atom against its {pairs} lone pair(s) in all "
                       f"({sum(wanted)} dots)",
                       f"Every atom shows its lone pairs ({sum(seen['dots'])} dots, {pairs} pairs)." if not off else
                       "Dots do not match: " + ", ".join(f"{a} has {n} dots, expected {w}" for a, w, n in off[:6])
                       + ".", dots=seen["dots"], expected=wanted))

    sign_text = {1: "+", -1: "−"}
    wrong_signs = []
    for i, a in enumerate(atoms):
        want = [sign_text[1 if a["charge"] > 0 else -1]] if a["charge"] else []
        if seen["signs"][i] != want:
            wrong_signs.append((name[i], "".join(want) or "none", "".join(seen["signs"][i]) or "none"))
    charged = sum(1 for a in atoms if a["charge"])
    out.append(verdict("lewis.charges", not wrong_signs, 1 - len(wrong_signs) / len(atoms),
                       f"'+'/'−' signs found beside each atom against the formal charges ({charged} charged atom(s))",
                       (f"The formal charge signs are at the right atoms ({charged})." if charged else
                        "No atom carries a formal charge, and no sign is drawn.") if not wrong_signs else
                       "Charge signs do not match: " + ", ".join(f"{a} shows {n}, expected {w}"
                                                                 for a, w, n in wrong_signs[:6]) + ".",
                       wrong=wrong_signs))

    drawn_charge = sum((abs(a["charge"]) or 1) * (1 if s == "+" else -1)
                       for a, signs in zip(atoms, seen["signs"]) for s in signs)
    valence = sum(a["valence"] for a in atoms)
    shown = 2 * sum(seen["strokes"]) + sum(seen["dots"])
    ok = shown == book["total"] and valence - drawn_charge == book["total"]
    out.append(verdict("lewis.total", ok, 1 - min(1.0, abs(shown - book["total"]) / max(1, book["total"])),
                       f"valence electrons the drawing shows (2 per stroke, 1 per dot, against the charges drawn) "
                       f"against {book['total']}",
                       f"The drawing shows all {book['total']} valence electrons." if ok else
                       f"The drawing shows {shown} electrons ({sum(seen['strokes'])} strokes, {sum(seen['dots'])} dots) "
                       f"and a net charge of {drawn_charge:+d}; {book['total']} valence electrons and a charge of "
                       f"{book['charge']:+d} were expected.", shown=shown, expected=book["total"],
                       charge_drawn=drawn_charge))
    return out
