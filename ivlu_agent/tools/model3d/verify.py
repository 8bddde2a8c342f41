"""Verify a ball-and-stick model: the conformer is the compound with every hydrogen, the picture is the
conformer seen from the stated viewpoint, each visible ball shows its element's CPK colour and no extra
ball stands anywhere, the key is right, and every bond angle sits where VSEPR puts it."""

from __future__ import annotations

from collections import Counter

from ..base import verdict
from . import geometry
from .spec import TOLERANCE_DEG, Model3dSpec

LAYOUT_PX = 1.5  # how far a ball of the meta may sit from where the conformer projects it


def verify_model3d(spec: dict, files: dict[str, str], meta: dict | None = None) -> list[dict]:
    """All checks of a rendered Model3dSpec. `files` maps artifact names to absolute paths."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    s = Model3dSpec.model_validate(spec)
    meta = meta or {}
    mol = None
    if "model.sdf" in files:
        with open(files["model.sdf"], encoding="utf-8") as f:
            mol = Chem.MolFromMolBlock(f.read(), removeHs=False)
    if mol is None or mol.GetNumConformers() == 0:
        return [verdict("model3d.identity", False, 0.0, "the conformer file model.sdf parses",
                        "The renderer left no readable conformer (model.sdf); nothing could be checked.")]
    verdicts = [check_identity(s, mol), check_layout(s, mol, meta)]
    if "main.png" in files and meta.get("balls"):
        verdicts += check_pixels(files["main.png"], meta)
    else:
        verdicts.append(verdict("model3d.atoms", False, 0.0, "the balls of main.png",
                                "There is no picture or no layout to read the balls from."))
    verdicts += check_angles(mol)
    shape = check_shape(s, mol)
    return verdicts + ([shape] if shape else [])


def check_identity(s: Model3dSpec, mol) -> dict:
    """The conformer is the compound asked for (InChIKey and formula), with every hydrogen a ball of its own."""
    from rdkit import Chem
    from rdkit.Chem.rdMolDescriptors import CalcMolFormula

    target = Chem.MolFromSmiles(s.smiles)
    want_key = s.inchikey or Chem.MolToInchiKey(target)
    want_formula = s.formula or CalcMolFormula(target)
    key, formula = Chem.MolToInchiKey(mol), CalcMolFormula(mol)
    implicit = sum(a.GetNumImplicitHs() + a.GetNumExplicitHs() for a in mol.GetAtoms())
    # The conformer fixes every stereocentre; it must agree where the SMILES set one, and is free elsewhere.
    stereo_given = want_key.split("-")[1][:8] != "UHFFFAOY"
    same = key == want_key if stereo_given else key[:14] == want_key[:14]
    ok = same and formula == want_formula and implicit == 0
    what = s.name or s.smiles
    problems = ([] if same else [f"its InChIKey {key} is not {want_key}"]) + \
               ([] if formula == want_formula else [f"its formula {formula} is not {want_formula}"]) + \
               ([] if implicit == 0 else [f"{implicit} hydrogens are implicit, not balls"])
    return verdict("model3d.identity", ok, 1.0 if ok else 0.0,
                   f"InChIKey{' (with stereo)' if stereo_given else ' skeleton'}, formula and explicit hydrogens of "
                   f"the conformer against {what}",
                   f"The conformer is {what} ({formula}) with all {mol.GetNumAtoms()} atoms as balls." if ok else
                   "The conformer is not what was asked for: " + "; ".join(problems) + ".",
                   inchikey=key, formula=formula, target_inchikey=want_key, implicit_hydrogens=implicit)


def check_layout(s: Model3dSpec, mol, meta: dict) -> dict:
    """The balls of the meta are the conformer's atoms projected from the stated viewpoint."""
    from .chemistry import model_parts

    coords, elements, bonds = model_parts(mol)
    elevation = s.elevation if s.elevation is not None else meta.get("elevation")
    azimuth = s.azimuth if s.azimuth is not None else meta.get("azimuth")
    balls = meta.get("balls", [])
    if elevation is None or azimuth is None or not balls:
        return verdict("model3d.layout", False, 0.0, "the pixel layout against the conformer",
                       "The renderer gave no viewpoint or no layout, so the picture cannot be tied to the conformer.")
    want = geometry.layout(coords, elements, bonds, elevation, azimuth, meta.get("size", s.size))["balls"]
    same_view = (meta.get("elevation"), meta.get("azimuth")) == (elevation, azimuth)
    off = [i for i, (a, b) in enumerate(zip(want, balls)) if a["element"] != b["element"]
           or abs(a["x"] - b["x"]) > LAYOUT_PX or abs(a["y"] - b["y"]) > LAYOUT_PX or abs(a["r"] - b["r"]) > LAYOUT_PX]
    ok = same_view and len(want) == len(balls) and not off
    return verdict("model3d.layout", ok, 1.0 if ok else 1 - len(off) / max(len(want), 1),
                   f"the {len(balls)} balls of the layout are the conformer's atoms projected from elevation "
                   f"{elevation:g}°, azimuth {azimuth:g}° (within {LAYOUT_PX} px)",
                   f"The picture shows the conformer from elevation {elevation:g}°, azimuth {azimuth:g}°." if ok else
                   f"The layout does not match the conformer seen from the stated viewpoint ({len(off)} balls off, "
                   f"{len(balls)} drawn for {len(want)} atoms); redraw.", misplaced=off[:20])


def check_pixels(png_path: str, lay: dict) -> list[dict]:
    """Atoms counted per element from the colours of the balls, extra blobs, and the element key."""
    import numpy as np
    from PIL import Image

    from .pixels import classify, extra_blobs, read_balls, read_legend

    with Image.open(png_path) as im:
        classes = classify(np.asarray(im.convert("RGB")))
    rows = read_balls(classes, lay)
    expected = Counter(r["element"] for r in rows)
    seen = Counter(r["element"] for r in rows if r["status"] == "match")
    hidden = [r["atom"] for r in rows if r["status"] == "hidden"]
    wrong = [f"{r['atom']} shows {r['shows']}" for r in rows if r["status"] == "mismatch"]
    checked = len(rows) - len(hidden)
    counts = ", ".join(f"{e} {seen[e]} of {n}" for e, n in sorted(expected.items())) + \
        (f"; {len(hidden)} hidden behind nearer balls, not checked ({', '.join(hidden[:8])})" if hidden else "")
    ok = checked > 0 and not wrong
    atoms = verdict("model3d.atoms", ok, (checked - len(wrong)) / max(len(rows), 1),
                    f"the CPK colour of the visible part of each of {len(rows)} balls in main.png "
                    f"(≥{int(100 * 0.9)}% of its visible pixels), counted per element",
                    (f"Every visible ball shows its element's colour: {counts}." if ok else
                     "No ball is visible enough to check." if not checked else
                     f"{len(wrong)} ball(s) show the wrong colour: {', '.join(wrong[:6])}; {counts}."),
                    counts={e: {"expected": n, "seen": seen[e]} for e, n in expected.items()},
                    not_checked=hidden, wrong=wrong, checked_balls=checked)
    blobs = extra_blobs(classes, lay)
    extra = verdict("model3d.extra", not blobs, 1.0 if not blobs else 0.0,
                    "no blob of a CPK colour in the drawing where no atom's ball is",
                    "No extra balls." if not blobs else
                    f"{len(blobs)} blob(s) of an atom colour stand where no atom is: "
                    + ", ".join(f"{b['colour']} at ({b['x']}, {b['y']})" for b in blobs[:5]) + ".", blobs=blobs[:10])
    keys = read_legend(classes, lay)
    drawn = set(expected)
    listed_elements = {k["element"] for k in keys}
    bad = [f"{k['element']} shows {k['shows']}" for k in keys
           if k["shows"] != (k["element"] if k["element"] in geometry.CPK else "other")]
    ok = bool(keys) and listed_elements == drawn and not bad
    missing, stray = sorted(drawn - listed_elements), sorted(listed_elements - drawn)
    legend = verdict("model3d.legend", ok, 1.0 if ok else 0.0,
                     f"the element key lists exactly the {len(drawn)} elements drawn, each with its CPK colour",
                     f"The key lists {', '.join(sorted(drawn))} in their colours." if ok else
                     "The element key is wrong: " + "; ".join(
                         ([f"missing {', '.join(missing)}"] if missing else []) +
                         ([f"lists {', '.join(stray)}, not drawn"] if stray else []) + bad) + ".",
                     entries=keys)
    return [atoms, extra, legend]


def check_angles(mol) -> list[dict]:
    """Bond angles of the conformer against VSEPR ideals; none for a molecule without a bond angle."""
    from .chemistry import OUTLIER_DEG, angle_report

    report = angle_report(mol)
    if not report["angles"]:
        return []  # a diatomic has no angle: nothing to check, and nothing claimed
    fails = report["failures"]
    ok = not fails
    skipped = f"; {report['not_checked']} strained angles at three- and four-ring atoms not checked" \
        if report["not_checked"] else ""
    return [verdict("model3d.angles", ok, 1 - len(fails) / report["angles"],
                    f"{report['angles']} bond angles of the conformer: each centre's mean within ±{TOLERANCE_DEG:g}° "
                    f"of its VSEPR ideal, each single angle within ±{OUTLIER_DEG:g}° (ring angles against the "
                    f"ring's polygon){skipped}",
                    f"Every bond angle is within tolerance of its VSEPR ideal{skipped}." if ok else
                    f"{len(fails)} angle(s) are off their VSEPR ideal: " + "; ".join(fails[:4])
                    + ". The conformer is distorted: re-optimise it.",
                    centres=report["centres"][:12], failures=fails[:12], tolerance_deg=TOLERANCE_DEG,
                    outlier_deg=OUTLIER_DEG)]


def check_shape(s: Model3dSpec, mol) -> dict | None:
    """The VSEPR shape of a small molecule's centres, and the shape the words asked for."""
    from .chemistry import angle_report, centres, label, shape, shapes

    small = shapes(mol)
    if not small and not s.asked_shape:
        return None
    report = {c["atom"]: c for c in angle_report(mol)["centres"]}
    if small:
        about = [f"{c['atom']} {c['shape']} ({c['bonded']} bonded, {c['lone_pairs']} lone pair"
                 f"{'' if c['lone_pairs'] == 1 else 's'}"
                 + (f", mean angle {report[c['atom']]['mean']:g}°" if c["atom"] in report else "") + ")"
                 for c in small]
        found = {c["shape"] for c in small}
    else:
        found = {shape(mol.GetAtomWithIdx(i)) for i in centres(mol)}
        about = [f"{label(mol.GetAtomWithIdx(i))} {shape(mol.GetAtomWithIdx(i))}" for i in centres(mol)
                 if shape(mol.GetAtomWithIdx(i)) == s.asked_shape][:3]
    geometry_ok = all(abs(r["mean"] - min(max(r["mean"], r["ideal"][0]), r["ideal"][1])) <= TOLERANCE_DEG
                      for r in report.values())
    asked_ok = not s.asked_shape or s.asked_shape in found
    ok = geometry_ok and asked_ok
    central = "the central atom " if len(small) == 1 else ""
    message = f"VSEPR: {central}{'; '.join(about) or 'no centre'}."
    if not asked_ok:
        message += f" The request asks for a {s.asked_shape} shape, which no centre of {s.name or s.smiles} has."
    return verdict("model3d.shape", ok, 1.0 if ok else 0.0,
                   "the VSEPR shape (steric number = bonded atoms + lone pairs) of "
                   + (f"each of the {len(small)} centres" if small else "the centres")
                   + (f", against the {s.asked_shape} shape asked for" if s.asked_shape else ""),
                   message, shapes=small, asked=s.asked_shape)
