"""Perturbation evaluation of the Lewis-structure pixel checks.

Every structure below is rendered at several bond lengths and verified as drawn (any failed pixel check is a
false alarm). Then each drawing gets one defect at a time, painted on its PNG, and is verified again (any
failed pixel check is a detection): a lone pair erased, an extra dot pair added beside an atom, a bond
erased, a double bond made single (one stroke erased), a formal-charge sign removed. Every place a defect
can go is tried (every pair, atom, bond, double bond, sign).

    .venv/bin/python evals/lewis_perturb.py             # the full set
    .venv/bin/python evals/lewis_perturb.py --quick     # one bond length

Writes evals/out/lewis_perturb.json and prints the table.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ivlu_agent.tools.lewis.electrons import bookkeeping  # noqa: E402
from ivlu_agent.tools.lewis.render import render_lewis  # noqa: E402
from ivlu_agent.tools.lewis.verify import check_pixels  # noqa: E402

# The examples first, then more shapes: rings, charges, radicals, expanded octets, crowded hydrogens.
STRUCTURES = [
    ("water", "O"), ("ammonia", "N"), ("carbon dioxide", "O=C=O"), ("nitrate", "[O-][N+](=O)[O-]"),
    ("pyridine", "c1ccncc1"), ("glycine", "NCC(=O)O"), ("methane", "C"), ("hydrogen cyanide", "C#N"),
    ("boron trifluoride", "FB(F)F"),
    ("ozone", "[O-][O+]=O"), ("carbonate", "[O-]C(=O)[O-]"), ("sulfate", "[O-]S(=O)(=O)[O-]"),
    ("ammonium", "[NH4+]"), ("hydroxide", "[OH-]"), ("nitrogen dioxide", "O=[N+][O-]"),
    ("sulfur hexafluoride", "FS(F)(F)(F)(F)F"), ("phosphorus pentachloride", "ClP(Cl)(Cl)(Cl)Cl"),
    ("ethanol", "CCO"), ("acetic acid", "CC(=O)O"), ("formaldehyde", "C=O"), ("acetylene", "C#C"),
    ("hydrogen peroxide", "OO"), ("carbon monoxide", "[C-]#[O+]"), ("sulfur dioxide", "O=S=O"),
    ("benzene", "c1ccccc1"), ("nitric acid", "O[N+](=O)[O-]"), ("urea", "NC(N)=O"), ("acetone", "CC(C)=O"),
    ("phenol", "Oc1ccccc1"), ("hydrogen chloride", "Cl"), ("nitrogen", "N#N"), ("acetonitrile", "CC#N"),
    ("chloroform", "ClC(Cl)Cl"), ("methylamine", "CN"), ("xenon tetrafluoride", "F[Xe](F)(F)F"),
    ("triiodide", "I[I-]I"), ("caffeine", "Cn1c(=O)c2c(ncn2C)n(C)c1=O"),
]
BOND_PX = (60, 80, 100, 120)
DEFECTS = ("lone pair erased", "extra dot pair", "bond erased", "double bond made single", "charge removed")


def png_of(out: dict) -> bytes:
    return next(f["data"] for f in out["files"] if f["name"] == "main.png")


def failed_checks(book: dict, png: bytes, plan: dict, work: Path) -> list[str]:
    path = work / "main.png"
    path.write_bytes(png)
    return [v["verifier"] for v in check_pixels(book, str(path), plan) if not v["passed"]]


def painted(png: bytes, paint) -> bytes:
    from PIL import Image, ImageDraw

    im = Image.open(io.BytesIO(png)).convert("RGB")
    paint(ImageDraw.Draw(im), im)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def jpeg(png: bytes, quality: int = 85) -> bytes:
    """The drawing after a lossy round trip (a screenshot, a pasted slide): still correct, so no check may fail."""
    from PIL import Image

    buf = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def white_disc(draw, x: float, y: float, r: float) -> None:
    draw.ellipse((x - r, y - r, x + r, y + r), fill="white")


def defects(plan: dict) -> list[tuple[str, str, object]]:
    """(defect, where, painter) for every place each defect can go in this drawing."""
    style = plan["style"]
    r = style["dot_r"]
    out: list[tuple[str, str, object]] = []
    atoms = plan["atoms"]
    for pair in plan["dots"]:
        if len(pair["xy"]) == 2:
            out.append(("lone pair erased", f"{atoms[pair['atom']]['symbol']}{pair['atom'] + 1}",
                        lambda d, im, xy=pair["xy"]: [white_disc(d, x, y, r + 2) for x, y in xy]))
    for i, atom in enumerate(atoms):
        out.append(("extra dot pair", f"{atom['symbol']}{i + 1}", lambda d, im, i=i: extra_pair(d, im, plan, i)))
    for bond in plan["bonds"]:
        where = f"{atoms[bond['begin']]['symbol']}{bond['begin'] + 1}–{atoms[bond['end']]['symbol']}{bond['end'] + 1}"
        out.append(("bond erased", where, lambda d, im, b=bond: [d.line(s, fill="white", width=7) for s in b["strokes"]]))
        if bond["order"] == 2:
            out.append(("double bond made single", where,
                        lambda d, im, b=bond: d.line(b["strokes"][1], fill="white", width=5)))
    for sign in plan["charges"]:
        x, y = sign["xy"]
        left = 18 if abs(sign["charge"]) > 1 else 8  # the magnitude's digit is written left of the sign
        out.append(("charge removed", f"{atoms[sign['atom']]['symbol']}{sign['atom'] + 1}",
                    lambda d, im, x=x, y=y, left=left: d.rectangle((x - left, y - 8, x + 8, y + 8), fill="white")))
    return out


def extra_pair(draw, im, plan: dict, i: int) -> None:
    """Two more dots beside atom i, in the first direction where they land on white paper nearest that atom."""
    import numpy as np

    r = plan["style"]["dot_r"]
    gap = plan["style"]["pair_gap"] / 2
    pixels = np.asarray(im.convert("L"))
    cx, cy = plan["atoms"][i]["xy"]
    distance = (12 if len(plan["atoms"][i]["symbol"]) == 1 else 16) + 8
    centres = [a["xy"] for a in plan["atoms"]]
    for step in range(36):
        angle = math.radians(step * 10)
        ux, uy = math.cos(angle), math.sin(angle)
        px, py = cx + distance * ux, cy + distance * uy
        dots = [(px - gap * uy, py + gap * ux), (px + gap * uy, py - gap * ux)]
        clear = all(0 <= int(y) - 7 and int(y) + 8 <= pixels.shape[0] and 0 <= int(x) - 7 and
                    int(x) + 8 <= pixels.shape[1] and pixels[int(y) - 7:int(y) + 8, int(x) - 7:int(x) + 8].min() > 200
                    for x, y in dots)
        ours = all(min(range(len(centres)), key=lambda k: math.dist(centres[k], (x, y))) == i for x, y in dots)
        if clear and ours:
            for x, y in dots:
                draw.ellipse((x - r, y - r, x + r, y + r), fill="black")
            return
    raise LookupError("no free place")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one bond length (80 px)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "out" / "lewis_perturb.json"))
    args = parser.parse_args()
    sizes = (80,) if args.quick else BOND_PX
    started = time.perf_counter()
    clean, alarms, jpeg_alarms, tried, caught = 0, [], [], Counter(), Counter()
    by_check: dict[str, Counter] = defaultdict(Counter)
    missed, skipped = [], Counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, smiles in STRUCTURES:
            book = bookkeeping(smiles)
            for px in sizes:
                out = render_lewis({"kind": "lewis", "name": name, "smiles": smiles, "bond_px": px})
                plan, png = out["meta"]["layout"], png_of(out)
                clean += 1
                failed = failed_checks(book, png, plan, work)
                if failed:
                    alarms.append({"structure": name, "bond_px": px, "failed": failed})
                failed = failed_checks(book, jpeg(png), plan, work)
                if failed:
                    jpeg_alarms.append({"structure": name, "bond_px": px, "failed": failed})
                for defect, where, paint in defects(plan):
                    try:
                        bad = painted(png, paint)
                    except LookupError:
                        skipped[defect] += 1
                        continue
                    tried[defect] += 1
                    failed = failed_checks(book, bad, plan, work)
                    if failed:
                        caught[defect] += 1
                        for check in failed:
                            by_check[defect][check] += 1
                    else:
                        missed.append({"structure": name, "bond_px": px, "defect": defect, "where": where})
    total_tried, total_caught = sum(tried.values()), sum(caught.values())
    report = {
        "structures": len(STRUCTURES), "bond_px": list(sizes), "seconds": round(time.perf_counter() - started, 1),
        "clean_drawings": clean, "false_alarms": len(alarms), "false_alarm_rate": len(alarms) / clean,
        "false_alarms_after_jpeg": len(jpeg_alarms),
        "perturbed": total_tried, "detected": total_caught, "detection_rate": total_caught / max(1, total_tried),
        "by_defect": {d: {"tried": tried[d], "detected": caught[d], "rate": caught[d] / max(1, tried[d]),
                          "caught_by": dict(by_check[d]), "skipped_no_room": skipped[d]} for d in DEFECTS},
        "alarms": alarms, "jpeg_alarms": jpeg_alarms, "missed": missed,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"{len(STRUCTURES)} structures × {len(sizes)} bond lengths = {clean} clean drawings, "
          f"{report['seconds']} s")
    print(f"false alarms on clean drawings: {len(alarms)}/{clean} = {100 * report['false_alarm_rate']:.1f} %")
    print(f"false alarms on the same drawings after a JPEG round trip (quality 85): {len(jpeg_alarms)}/{clean}")
    print(f"{'defect':26} {'detected':>16}   caught by")
    for d in DEFECTS:
        row = report["by_defect"][d]
        checks = ", ".join(f"{k.split('.')[1]} {v}" for k, v in sorted(row["caught_by"].items()))
        print(f"{d:26} {row['detected']:>5}/{row['tried']:<5} {100 * row['rate']:5.1f} %   {checks}")
    print(f"{'all defects':26} {total_caught:>5}/{total_tried:<5} {100 * report['detection_rate']:5.1f} %")
    if skipped:
        print("  not tried (no free place beside the atom): " + ", ".join(f"{d} {n}" for d, n in skipped.items()))
    for m in missed[:10]:
        print("  missed:", m)
    for a in (alarms + jpeg_alarms)[:10]:
        print("  false alarm:", a)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
