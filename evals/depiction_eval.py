"""The depiction certificate on the whole compound table, and on a perturbation set of its own.

    .venv/bin/python evals/depiction_eval.py                    # every compound; OSRA timed on every 10th
    .venv/bin/python evals/depiction_eval.py --every 10 --jobs 2
    .venv/bin/python evals/depiction_eval.py --displayed --every 30 --perturb-every 1   # displayed formulae

1. **Coverage.** Each compound of `ivlu_agent/data/compounds.tsv` is drawn as the molecule step draws it
   (default depiction, its name as the legend) and certified from its pixels (`common/certificate.py`).
   Reported: the share verified at the first attempt, and the seconds per panel of the certificate and,
   in the same run and process, of OSRA reading the same PNG (OSRA on every `--osra-every`-th compound).
2. **Perturbations.** On every `--perturb-every`-th compound, six edits of the PNG are made (each where
   the drawing has what it needs): a bond erased, a bond order changed (a double drawn single, or a
   single drawn double), an atom label changed, an extra bond, a wedge flipped (or a hash drawn solid),
   an atom moved. The edited PNG keeps its embedded layout, as a later pixel edit would. Detection is
   the share of edited drawings the certificate fails; false alarms are the share of unedited drawings
   it fails (the same drawings before editing).

Writes evals/depiction_last_run.json (every failure, with the certificate's message).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

EDITS = ("bond erased", "bond order changed", "label changed", "extra bond", "wedge flipped", "atom moved")
SWAP = {"O": "S", "S": "O", "N": "P", "P": "N", "Cl": "Br", "Br": "Cl", "F": "Cl", "I": "Br", "H": "F",
        "Si": "Ge", "B": "N"}


def _white(draw, line, width):
    draw.line([tuple(line[:2]), tuple(line[2:])], fill="white", width=width)


def _bond_length(layout):
    import math

    lengths = [math.dist((layout["atoms"][b["a"]]["x"], layout["atoms"][b["a"]]["y"]),
                         (layout["atoms"][b["b"]]["x"], layout["atoms"][b["b"]]["y"])) for b in layout["bonds"]]
    return sorted(lengths)[len(lengths) // 2] if lengths else 40.0


def perturb(image, layout, edit: str, rng: random.Random):
    """`image` (PIL, RGB) edited in place by `edit`; False when this drawing has nothing to edit that way."""
    import math

    from PIL import ImageDraw

    from ivlu_agent.tools.common.canvas import font

    pen = ImageDraw.Draw(image)
    lw = layout["line_width"]
    atoms, bonds = layout["atoms"], layout["bonds"]
    plain = [b for b in bonds if b["lines"] and not b["stereo"]]
    if edit == "bond erased":
        if not plain:
            return False
        for line in rng.choice(plain)["lines"]:
            _white(pen, line, lw + 6)
        return True
    if edit == "bond order changed":
        doubles = [b for b in plain if len(b["lines"]) >= 2]
        if doubles:
            bond = rng.choice(doubles)
            _white(pen, rng.choice(bond["lines"]), lw + 4)
            return True
        singles = [b for b in plain if len(b["lines"]) == 1]
        if not singles:
            return False
        x0, y0, x1, y1 = rng.choice(singles)["lines"][0]
        length = math.hypot(x1 - x0, y1 - y0) or 1
        dx, dy = -(y1 - y0) / length * 0.15 * _bond_length(layout), (x1 - x0) / length * 0.15 * _bond_length(layout)
        pen.line([(x0 + dx + 0.15 * (x1 - x0), y0 + dy + 0.15 * (y1 - y0)),
                  (x1 + dx - 0.15 * (x1 - x0), y1 + dy - 0.15 * (y1 - y0))], fill="black", width=lw)
        return True
    if edit == "label changed":
        labelled = [a for a in atoms if a["box"] and a["symbol"] in SWAP]
        if not labelled:
            return False
        atom = rng.choice(labelled)
        x0, y0, x1, y1 = atom["box"]
        pen.rectangle([x0 - 1, y0 - 1, x1 + 1, y1 + 1], fill="white")
        text = atom["label"].replace(atom["symbol"], SWAP[atom["symbol"]], 1).rstrip("+-")
        size = max(8, int((y1 - y0) * 0.9))
        pen.text(((x0 + x1) / 2, (y0 + y1) / 2), text, fill="black", font=font(size), anchor="mm")
        return True
    if edit == "extra bond":
        bonded = {frozenset((b["a"], b["b"])) for b in bonds}
        bl = _bond_length(layout)
        pairs = [(i, j) for i in range(len(atoms)) for j in range(i + 1, len(atoms))
                 if frozenset((i, j)) not in bonded and not atoms[i]["box"] and not atoms[j]["box"]
                 and 0.8 * bl <= math.dist((atoms[i]["x"], atoms[i]["y"]), (atoms[j]["x"], atoms[j]["y"])) <= 2.2 * bl]
        if pairs:
            i, j = rng.choice(pairs)
            pen.line([(atoms[i]["x"], atoms[i]["y"]), (atoms[j]["x"], atoms[j]["y"])], fill="black", width=lw)
            return True
        bare = [a for a in atoms if not a["box"]] or atoms
        atom = rng.choice(bare)
        angle = rng.uniform(0, 2 * math.pi)
        pen.line([(atom["x"], atom["y"]), (atom["x"] + bl * math.cos(angle), atom["y"] + bl * math.sin(angle))],
                 fill="black", width=lw)
        return True
    if edit == "wedge flipped":
        stereo = [b for b in bonds if b["stereo"]]
        if not stereo:
            return False
        bond = rng.choice(stereo)
        a, b = atoms[bond["a"]], atoms[bond["b"]]
        for poly in bond["polygons"]:
            pen.polygon([tuple(p) for p in poly], fill="white", outline="white", width=3)
        for line in bond["lines"]:
            _white(pen, line, lw + 4)
        bl = math.dist((a["x"], a["y"]), (b["x"], b["y"])) or 1
        nx, ny = -(b["y"] - a["y"]) / bl * 0.1 * bl, (b["x"] - a["x"]) / bl * 0.1 * bl
        if bond["stereo"] == "wedge":  # the wide end moved to the other atom
            pen.polygon([(b["x"], b["y"]), (a["x"] + nx, a["y"] + ny), (a["x"] - nx, a["y"] - ny)], fill="black")
        else:  # a hash drawn as a solid wedge
            pen.polygon([(a["x"], a["y"]), (b["x"] + nx, b["y"] + ny), (b["x"] - nx, b["y"] - ny)], fill="black")
        return True
    if edit == "atom moved":
        index = rng.randrange(len(atoms))
        atom = atoms[index]
        shift = 0.4 * _bond_length(layout)
        dx, dy = shift * rng.choice((-1, 1)), shift * rng.choice((-1, 1))
        crop = None
        if atom["box"]:
            x0, y0, x1, y1 = (int(v) for v in atom["box"])
            crop = image.crop((x0 - 1, y0 - 1, x1 + 2, y1 + 2))
            pen.rectangle([x0 - 1, y0 - 1, x1 + 1, y1 + 1], fill="white")
        for bond in bonds:
            if index in (bond["a"], bond["b"]):
                for line in bond["lines"]:
                    _white(pen, line, lw + 6)
                for poly in bond["polygons"]:
                    pen.polygon([tuple(p) for p in poly], fill="white", outline="white", width=3)
                other = atoms[bond["b"] if bond["a"] == index else bond["a"]]
                pen.line([(other["x"], other["y"]), (atom["x"] + dx, atom["y"] + dy)], fill="black", width=lw)
        if crop is not None:
            image.paste(crop, (int(atom["box"][0] + dx) - 1, int(atom["box"][1] + dy) - 1))
        return bool(bonds) or crop is not None
    raise ValueError(edit)


def one(job: tuple) -> dict:
    """Draw, certify, optionally time OSRA, optionally perturb: one compound."""
    from PIL import Image

    from ivlu_agent.tools.common.certificate import certify
    from ivlu_agent.tools.common.layout import embed, extract
    from ivlu_agent.tools.common.osra import match_structure
    from ivlu_agent.tools.molecule.render import render_molecule

    index, name, smiles, with_osra, with_edits, displayed = job
    row: dict = {"name": name, "smiles": smiles}
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "main.png"
        try:
            from ivlu_agent.tools.common.chem import describe
            from ivlu_agent.tools.common.depict import canvas_for

            size = canvas_for(describe(smiles)["formula"], displayed)  # the canvas the planner gives it
            out = render_molecule({"kind": "molecule", "name": name, "smiles": smiles, "displayed": displayed,
                                   "depiction": {"explicit_hydrogens": displayed, "size": size}})
        except Exception as e:  # noqa: BLE001 - a compound RDKit cannot draw is reported, not fatal
            return {**row, "error": f"render: {e}"}
        png.write_bytes(out["files"][0]["data"])
        layout = extract(png)
        start = time.perf_counter()
        verdict = certify(str(png), layout, smiles)
        row["certificate_s"] = time.perf_counter() - start
        row["passed"] = verdict["passed"]
        if not verdict["passed"]:
            row["message"] = verdict["message"]
        if with_osra:
            start = time.perf_counter()
            row["osra_passed"] = match_structure(png, smiles, "molecule.osra")["passed"]
            row["osra_s"] = time.perf_counter() - start
        if with_edits:
            rng = random.Random(index)
            row["edits"] = {}
            for edit in EDITS:
                image = Image.open(png).convert("RGB")
                if not perturb(image, layout, edit, rng):
                    continue
                edited = Path(tmp) / "edited.png"
                image.save(edited)
                edited.write_bytes(embed(edited.read_bytes(), layout))
                caught = not certify(str(edited), layout, smiles)["passed"]
                row["edits"][edit] = caught
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--every", type=int, default=1, help="take every k-th compound (default: all)")
    parser.add_argument("--offset", type=int, default=0, help="start at this row (another sample with --every)")
    parser.add_argument("--osra-every", type=int, default=10, help="time OSRA on every k-th compound taken")
    parser.add_argument("--perturb-every", type=int, default=10, help="perturb every k-th compound taken")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--displayed", action="store_true",
                        help="draw displayed formulae (every hydrogen an atom), as 'the displayed formula of …'")
    parser.add_argument("--out", default=str(REPO / "evals" / "depiction_last_run.json"))
    args = parser.parse_args()

    from ivlu_agent.tools.common.chem import _compound_rows

    rows = list(_compound_rows())[args.offset::args.every]
    jobs = [(i, c.name, c.smiles, i % args.osra_every == 0, i % args.perturb_every == 0, args.displayed)
            for i, c in enumerate(rows)]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(one, jobs, chunksize=8))
    wall = time.perf_counter() - started
    drawn = [r for r in results if "passed" in r]
    passed = sum(r["passed"] for r in drawn)
    timed = [r for r in drawn if "osra_s" in r]
    cert_s = sum(r["certificate_s"] for r in timed) / max(1, len(timed))
    osra_s = sum(r["osra_s"] for r in timed) / max(1, len(timed))
    edited = [r for r in drawn if "edits" in r]
    by_edit = {e: [r["edits"][e] for r in edited if e in r["edits"]] for e in EDITS}
    caught = sum(sum(v) for v in by_edit.values())
    total = sum(len(v) for v in by_edit.values())
    clean_fail = sum(not r["passed"] for r in edited)
    summary = {
        "compounds": len(rows), "drawn": len(drawn), "render_errors": len(rows) - len(drawn),
        "verified_first_attempt": passed, "verified_rate": round(passed / max(1, len(drawn)), 4),
        "osra_sample": len(timed), "osra_confirmed": sum(r["osra_passed"] for r in timed),
        "certificate_s_per_panel": round(cert_s, 3), "osra_s_per_panel": round(osra_s, 3),
        "certificate_to_osra_time": round(cert_s / osra_s, 3) if osra_s else None,
        "perturbed_drawings": len(edited), "edits": total, "detected": caught,
        "detection_rate": round(caught / max(1, total), 4),
        "false_alarms": clean_fail, "false_alarm_rate": round(clean_fail / max(1, len(edited)), 4),
        "by_edit": {e: f"{sum(v)}/{len(v)}" for e, v in by_edit.items()},
        "wall_s": round(wall, 1), "jobs": args.jobs,
    }
    for key, value in summary.items():
        print(f"{key:28s} {value}")
    missed = [{"name": r["name"], "smiles": r["smiles"], "edits_missed": [e for e, c in r["edits"].items() if not c]}
              for r in edited if not all(r["edits"].values())]
    failures = [{k: r[k] for k in ("name", "smiles", "message", "error") if k in r}
                for r in results if not r.get("passed")]
    Path(args.out).write_text(json.dumps({"summary": summary, "not_verified": failures, "edits_missed": missed},
                                         indent=1, ensure_ascii=False))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
