"""Isomer panels: is the stereochemistry read back from the drawing, and is a wrong one caught?

    .venv/bin/python evals/stereo_perturb.py            # every compound of the table with stereo
    .venv/bin/python evals/stereo_perturb.py --limit 100

For every compound of `ivlu_agent/data/compounds.tsv` whose SMILES fixes a stereocentre or a stereo double
bond, its drawing is read back (`common/drawn_stereo.py`: the structure rebuilt from the layout's 2-D
positions and wedges, after the depiction certificate matched the layout to the pixels) under a caption
naming its own CIP descriptors. Three defects are then tried:

- **mirror**: the enantiomer (every centre inverted) or the other E/Z isomer is drawn, under the first
  one's caption and request: the drawn stereoisomer is not the requested one;
- **caption**: the right drawing under a caption with one descriptor swapped (R↔S, E↔Z);
- **wedge**: the right drawing's layout with one wedge turned into a hash (or a hash into a wedge), as a
  pixel edit that the certificate let through would leave it.

Detection is the share of defects caught; false alarms the share of correct drawings that fail.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SWAP = {"R": "S", "S": "R", "E": "Z", "Z": "E"}


def flipped(smiles: str) -> str | None:
    """The mirror image (every centre inverted), or for double bonds only, the other E/Z isomer."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    changed = False
    for atom in mol.GetAtoms():
        if atom.GetChiralTag() in (Chem.ChiralType.CHI_TETRAHEDRAL_CW, Chem.ChiralType.CHI_TETRAHEDRAL_CCW):
            atom.InvertChirality()
            changed = True
    if not changed:
        for bond in mol.GetBonds():
            if bond.GetStereo() in (Chem.BondStereo.STEREOE, Chem.BondStereo.STEREOZ, Chem.BondStereo.STEREOCIS,
                                    Chem.BondStereo.STEREOTRANS):
                bond.SetStereo(Chem.BondStereo.STEREOCIS if bond.GetStereo() in (
                    Chem.BondStereo.STEREOTRANS, Chem.BondStereo.STEREOE) else Chem.BondStereo.STEREOTRANS)
                changed = True
                break
    out = Chem.MolToSmiles(mol) if changed else None
    return out if out and Chem.MolToInchiKey(Chem.MolFromSmiles(out)) != Chem.MolToInchiKey(
        Chem.MolFromSmiles(smiles)) else None


def one(job: tuple) -> dict:
    from ivlu_agent.tools.common.drawn_stereo import check_stereo, descriptors, rebuild
    from ivlu_agent.tools.common.layout import extract
    from ivlu_agent.tools.molecule.render import render_molecule

    name, smiles = job
    row: dict = {"name": name, "smiles": smiles}
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "main.png"
        try:
            png.write_bytes(render_molecule({"kind": "molecule", "smiles": smiles})["files"][0]["data"])
            layout = extract(png)
            labels = descriptors(rebuild(layout))
        except Exception as e:  # noqa: BLE001 - reported, not fatal
            return {**row, "error": str(e)[:200]}
        caption = f"({','.join(labels)})-{name}" if labels else name
        clean = check_stereo(layout, smiles, caption, "molecule.stereo")
        row["clean"] = bool(clean and clean["passed"])
        if not row["clean"]:
            row["message"] = clean["message"] if clean else "no verdict"
        row["caught"] = {}
        other = flipped(smiles)
        if other:
            png.write_bytes(render_molecule({"kind": "molecule", "smiles": other})["files"][0]["data"])
            row["caught"]["mirror"] = not check_stereo(extract(png), smiles, caption, "molecule.stereo")["passed"]
        if labels:
            wrong = caption.replace(labels[0], SWAP[labels[0]], 1) if labels[0] in caption else caption
            swapped = sorted([SWAP[labels[0]], *labels[1:]])
            if swapped != labels:
                row["caught"]["caption"] = not check_stereo(layout, smiles, wrong, "molecule.stereo")["passed"]
        stereo = [b for b in layout["bonds"] if b["stereo"]]
        if stereo:
            bond = stereo[0]
            bond["stereo"] = "hash" if bond["stereo"] == "wedge" else "wedge"
            verdict = check_stereo(layout, smiles, caption, "molecule.stereo")
            row["caught"]["wedge"] = not verdict["passed"]
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=str(REPO / "evals" / "stereo_last_run.json"))
    args = parser.parse_args()

    from rdkit import Chem

    from ivlu_agent.tools.common.chem import _compound_rows

    jobs = []
    for c in _compound_rows():
        mol = Chem.MolFromSmiles(c.smiles)
        if mol is not None and ("@" in c.smiles or "/" in c.smiles or "\\" in c.smiles) and mol.GetNumAtoms() <= 60:
            jobs.append((c.name, c.smiles))
    jobs = jobs[:args.limit] if args.limit else jobs
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(one, jobs, chunksize=4))
    done = [r for r in rows if "clean" in r]
    kinds = ("mirror", "caption", "wedge")
    by = {k: [r["caught"][k] for r in done if k in r["caught"]] for k in kinds}
    caught, total = sum(sum(v) for v in by.values()), sum(len(v) for v in by.values())
    alarms = sum(not r["clean"] for r in done)
    summary = {"compounds": len(jobs), "read": len(done), "errors": len(rows) - len(done),
               "clean_passed": len(done) - alarms, "false_alarm_rate": round(alarms / max(1, len(done)), 4),
               "defects": total, "detected": caught, "detection_rate": round(caught / max(1, total), 4),
               "by_defect": {k: f"{sum(v)}/{len(v)}" for k, v in by.items()},
               "wall_s": round(time.perf_counter() - start, 1)}
    for k, v in summary.items():
        print(f"{k:18s} {v}")
    Path(args.out).write_text(json.dumps({"summary": summary, "false_alarms": [r for r in done if not r["clean"]],
                                          "missed": [r for r in done if not all(r["caught"].values())],
                                          "errors": [r for r in rows if "error" in r]}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
