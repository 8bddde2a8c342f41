"""Perturbation evaluation of the ball-and-stick checks (tools/model3d).

Every molecule below is rendered from three viewpoints (the least occluded one the planner picks, and two
fixed ones) and verified as drawn: any failed check is a false alarm. Then each drawing gets one defect at
a time and is verified again: any failed check is a detection.

    colour changed   the visible part of one ball repainted in another element's CPK colour
    atom erased      the visible part of one ball (and its rim) painted over with the page colour
    extra ball       a ball of a CPK colour, with its rim, added in a free part of the drawing
    angle distorted  one bond angle of the conformer opened or closed by 25° before drawing (RDKit
                     SetAngleDeg; the picture then faithfully shows the distorted conformer)

Defects go only on balls the clean drawing shows well enough to check: a ball hidden behind nearer ones is
"not checked" by the verifier, so a defect there could not be seen by anyone. Up to four targets per defect
and drawing, chosen with a fixed seed.

    .venv/bin/python evals/model3d_perturb.py            # the full set
    .venv/bin/python evals/model3d_perturb.py --quick    # the least occluded viewpoint only

Writes evals/out/model3d_perturb.json and prints the table.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from ivlu_agent.tools.model3d import geometry  # noqa: E402
from ivlu_agent.tools.model3d.chemistry import conformer, plan_facts  # noqa: E402
from ivlu_agent.tools.model3d.pixels import visible_mask  # noqa: E402
from ivlu_agent.tools.model3d.render import draw  # noqa: E402
from ivlu_agent.tools.model3d.spec import Model3dSpec  # noqa: E402
from ivlu_agent.tools.model3d.verify import verify_model3d  # noqa: E402

MOLECULES = [
    ("methane", "C"), ("water", "O"), ("ammonia", "N"), ("carbon dioxide", "O=C=O"), ("ethanol", "CCO"),
    ("acetic acid", "CC(=O)O"), ("formaldehyde", "C=O"), ("benzene", "c1ccccc1"), ("pyridine", "c1ccncc1"),
    ("glycine", "NCC(=O)O"), ("urea", "NC(N)=O"), ("chloroform", "ClC(Cl)Cl"), ("dimethyl sulfide", "CSC"),
    ("phosphoric acid", "OP(=O)(O)O"), ("bromoethane", "CCBr"), ("acetone", "CC(C)=O"),
    ("caffeine", "Cn1c(=O)c2c(ncn2C)n(C)c1=O"), ("aspirin", "CC(=O)Oc1ccccc1C(=O)O"),
]
FIXED_VIEWS = [(20.0, 30.0), (-35.0, 120.0)]
DEFECTS = ("colour changed", "atom erased", "extra ball", "angle distorted")
PER_DEFECT = 4
DISTORTION = 25.0


def run(mol, spec: Model3dSpec, used: str, work: Path, paint=None) -> tuple[list[str], dict, dict]:
    """Render, apply `paint(image, meta)` to the PNG if given, verify: (failed checks, meta, verdicts by name)."""
    out = draw(mol, spec, used)
    files = {}
    for f in out["files"]:
        (work / f["name"]).write_bytes(f["data"])
        files[f["name"]] = str(work / f["name"])
    if paint is not None:
        image = Image.open(files["main.png"]).convert("RGB")
        paint(image, out["meta"])
        image.save(files["main.png"])
    verdicts = verify_model3d(spec.model_dump(mode="json"), files, json.loads(json.dumps(out["meta"])))
    return [v["verifier"] for v in verdicts if not v["passed"]], out["meta"], {v["verifier"]: v for v in verdicts}


def fill_visible(index: int, colour: tuple[int, int, int], rim: bool):
    """A painter that fills ball `index`'s visible pixels (with its rim when `rim`) in `colour`."""
    def paint(image: Image.Image, meta: dict) -> None:
        ball = meta["balls"][index]
        r = ball["r"] + 1
        box = (max(0, int(ball["x"] - r)), max(0, int(ball["y"] - r)),
               min(image.width, int(ball["x"] + r) + 2), min(image.height, int(ball["y"] + r) + 2))
        mask = visible_mask(meta, index, box, -1.0 if rim else geometry.outline_px(meta["size"]) + 0.5)
        pixels = np.asarray(image).copy()
        pixels[box[1]:box[3], box[0]:box[2]][mask] = colour
        image.paste(Image.fromarray(pixels))
    return paint


def extra_ball(rng: random.Random):
    def paint(image: Image.Image, meta: dict) -> None:
        r = float(np.median([b["r"] for b in meta["balls"]]))
        colour = geometry.CPK[rng.choice(["C", "H", "N", "O", "S", "Cl", "P", "Br"])]
        best = None
        for _ in range(400):  # a free spot if there is one: the defect must not hide a real ball
            x, y = rng.uniform(r, meta["size"] - r), rng.uniform(r, meta["legend_top"] - r)
            gap = min(np.hypot(b["x"] - x, b["y"] - y) - b["r"] for b in meta["balls"]) - r
            if best is None or gap > best[0]:
                best = (gap, x, y)
            if gap > 4:
                break
        _, x, y = best
        ImageDraw.Draw(image).ellipse([x - r, y - r, x + r, y + r], fill=colour, outline=geometry.OUTLINE,
                                      width=max(1, round(geometry.outline_px(meta["size"]))))
    return paint


def distortable(mol) -> list[tuple[int, int, int]]:
    """Angles (i, j, k) at centre j that SetAngleDeg can change: the j-k bond is in no ring."""
    out = []
    for bond in mol.GetBonds():
        if bond.IsInRing():
            continue
        for j, k in ((bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()), (bond.GetEndAtomIdx(), bond.GetBeginAtomIdx())):
            out += [(n.GetIdx(), j, k) for n in mol.GetAtomWithIdx(j).GetNeighbors() if n.GetIdx() != k]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the least occluded viewpoint only")
    args = parser.parse_args()
    from rdkit import Chem
    from rdkit.Chem import rdMolTransforms

    rng = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="model3d-perturb-"))
    clean = Counter()
    alarms: list[dict] = []
    tried, caught = Counter(), Counter()
    missed: list[dict] = []
    hidden_skipped = 0
    started = time.perf_counter()
    for name, smiles in MOLECULES:
        facts = plan_facts(smiles, 42, "MMFF94", None, None)
        mol, used = conformer(smiles, 42, "MMFF94")
        views = [(facts["elevation"], facts["azimuth"])] + ([] if args.quick else FIXED_VIEWS)
        for elevation, azimuth in views:
            spec = Model3dSpec(name=name, smiles=Chem.MolToSmiles(Chem.MolFromSmiles(smiles)), elevation=elevation,
                               azimuth=azimuth)
            failed, meta, rows = run(mol, spec, used, work)
            clean["drawings"] += 1
            if failed:
                alarms.append({"molecule": name, "view": [elevation, azimuth], "failed": failed})
            # Which balls the clean picture shows well enough to check.
            shown = [i for i in range(len(meta["balls"]))
                     if f"{meta['balls'][i]['element']}{i + 1}" not in rows["model3d.atoms"]["details"]["not_checked"]]
            hidden_skipped += len(meta["balls"]) - len(shown)
            cases = []
            for i in rng.sample(shown, min(PER_DEFECT, len(shown))):
                other = rng.choice([e for e in ("C", "H", "N", "O", "S", "Cl") if e != meta["balls"][i]["element"]])
                cases.append(("colour changed", f"{meta['balls'][i]['element']}{i + 1} -> {other}",
                              fill_visible(i, geometry.CPK[other], rim=False), None))
            for i in rng.sample(shown, min(PER_DEFECT, len(shown))):
                cases.append(("atom erased", f"{meta['balls'][i]['element']}{i + 1}",
                              fill_visible(i, geometry.BACKGROUND, rim=True), None))
            for k in range(PER_DEFECT):
                cases.append(("extra ball", f"#{k + 1}", extra_ball(rng), None))
            angles = distortable(mol)
            for i, j, k in rng.sample(angles, min(PER_DEFECT, len(angles))):
                cases.append(("angle distorted", f"{i + 1}-{j + 1}-{k + 1}", None, (i, j, k)))
            for defect, where, paint, angle in cases:
                target = mol
                if angle is not None:
                    target = Chem.Mol(mol)
                    conf = target.GetConformer()
                    now = rdMolTransforms.GetAngleDeg(conf, *angle)
                    change = DISTORTION if now + DISTORTION < 180 and rng.random() < 0.5 else -DISTORTION
                    rdMolTransforms.SetAngleDeg(conf, *angle, now + change)
                    where += f" {now:.1f}° -> {now + change:.1f}°"
                failed, _, _ = run(target, spec, used, work, paint)
                tried[defect] += 1
                if failed:
                    caught[defect] += 1
                else:
                    missed.append({"molecule": name, "view": [elevation, azimuth], "defect": defect, "where": where})
    total_tried, total_caught = sum(tried.values()), sum(caught.values())
    report = {
        "molecules": len(MOLECULES), "clean_drawings": clean["drawings"], "false_alarms": len(alarms),
        "false_alarm_rate": round(len(alarms) / clean["drawings"], 4), "alarms": alarms,
        "defects": {d: {"tried": tried[d], "detected": caught[d], "rate": round(caught[d] / max(tried[d], 1), 4)}
                    for d in DEFECTS},
        "detected": total_caught, "tried": total_tried, "detection_rate": round(total_caught / total_tried, 4),
        "hidden_balls_not_perturbed": hidden_skipped, "missed": missed,
        "distortion_deg": DISTORTION, "seconds": round(time.perf_counter() - started, 1),
    }
    out = Path(__file__).resolve().parent / "out" / "model3d_perturb.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(f"{'defect':<18}{'tried':>7}{'detected':>10}{'rate':>8}")
    for d in DEFECTS:
        row = report["defects"][d]
        print(f"{d:<18}{row['tried']:>7}{row['detected']:>10}{row['rate']:>8.1%}")
    print(f"{'all':<18}{total_tried:>7}{total_caught:>10}{report['detection_rate']:>8.1%}")
    print(f"false alarms: {len(alarms)} of {clean['drawings']} clean drawings ({report['false_alarm_rate']:.1%}); "
          f"{hidden_skipped} hidden balls left unperturbed; {report['seconds']} s")
    for a in alarms:
        print("  false alarm:", a)
    for m in missed[:20]:
        print("  missed:", m)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
