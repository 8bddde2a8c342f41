"""How many of the bundled compounds the OSRA raster check can confirm, and after how many redraws.

    .venv/bin/python evals/osra_coverage.py                 # every compound in data/compounds.tsv
    .venv/bin/python evals/osra_coverage.py --every 5       # a fifth of them (faster)

Each compound is drawn as the molecule step draws it (the default depiction, then the refinement
ladder, DEPICTION_LADDER, one rung per redraw) until OSRA reads it back with the requested InChIKey.
Reported: the share confirmed at the first drawing and after the ladder, split by whether the
structure has a ring, and by table category; and the compounds never confirmed. A compound that is
never confirmed ends `unverified` in a run, with OSRA's reading in its verdict.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def first_confirmed(row: dict) -> int | None:
    """0 when the first drawing is read back, k after k redraws, None when no rung works."""
    from ivlu_agent.tools.common.depict import DEPICTION_LADDER, Depiction
    from ivlu_agent.tools.common.osra import match_structure
    from ivlu_agent.tools.molecule.render import render_molecule
    from ivlu_agent.tools.molecule.spec import MoleculeSpec

    depiction = Depiction()
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "main.png"
        for rung in range(len(DEPICTION_LADDER) + 1):
            if rung:
                depiction = depiction.model_copy(update=DEPICTION_LADDER[rung - 1][0])
            spec = MoleculeSpec(name=row["name"], smiles=row["smiles"], depiction=depiction)
            out = render_molecule(spec.model_dump())
            png.write_bytes(next(f["data"] for f in out["files"] if f["name"] == "main.png"))
            if match_structure(png, row["smiles"], "molecule.osra")["passed"]:
                return rung
    return None


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--every", type=int, default=1, help="take every Nth compound of the table")
    cli.add_argument("--jobs", type=int, default=2)
    cli.add_argument("--json", type=Path, help="also write the results here")
    args = cli.parse_args()

    with open(REPO / "ivlu_agent" / "data" / "compounds.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))[:: args.every]
    with ProcessPoolExecutor(args.jobs) as pool:
        rungs = list(pool.map(first_confirmed, rows, chunksize=4))

    from ivlu_agent.tools.common.osra import has_ring

    groups: dict[str, list[int | None]] = defaultdict(list)
    for row, rung in zip(rows, rungs):
        groups["all"].append(rung)
        groups["with a ring" if has_ring(row["smiles"]) else "acyclic"].append(rung)
        groups["category: " + row["category"]].append(rung)

    def share(values: list[int | None], at_most: int | None) -> str:
        ok = sum(1 for v in values if v is not None and (at_most is None or v <= at_most))
        return f"{100 * ok / len(values):.0f} %"

    print(f"{'group':28s} {'n':>4s} {'first drawing':>14s} {'after ladder':>13s}")
    for name in ["all", "with a ring", "acyclic", *sorted(k for k in groups if k.startswith("category"))]:
        if name in groups:
            values = groups[name]
            print(f"{name:28s} {len(values):4d} {share(values, 0):>14s} {share(values, None):>13s}")
    never = [row["name"] for row, rung in zip(rows, rungs) if rung is None]
    print(f"\nnever confirmed ({len(never)}): {', '.join(never)}")
    if args.json:
        args.json.write_text(json.dumps({"compounds": [{"name": r["name"], "smiles": r["smiles"], "rung": g}
                                                       for r, g in zip(rows, rungs)]}, indent=1))


if __name__ == "__main__":
    main()
