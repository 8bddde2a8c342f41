"""Score how well the agent understands requests written the way people write them.

    .venv/bin/python evals/prose_eval.py                     # the "tune" split (default)
    .venv/bin/python evals/prose_eval.py --split held-out    # only once, at the end of a piece of work
    .venv/bin/python evals/prose_eval.py --ids p001,p017 --out /tmp/run.json
    .venv/bin/python evals/prose_eval.py --file evals/prose/requests_v2.jsonl --split held-out  # the second set

Each request of evals/prose/requests.jsonl is run through the real agent (symbolic engine, one
worker, a fresh temporary home) and its final plan (the step specs) is compared with the line's
"expect" facts (see evals/prose/README.md). Every request lands in exactly one class:

- understood:     not refused and every fact holds (for "refuse": true lines: it was refused);
- refused:        the agent raised IvluError (or crashed) although a plan was expected;
- partial:        some fact fails, but the run did not claim "verified" (an honest miss);
- false_verified: the run says "verified" while some fact fails (the worst outcome).

It prints the four rates with counts and the understood rate per domain, and writes a JSON report
(--out, default evals/prose/last_run.json) listing every request that was not understood, with why.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

REQUESTS = ROOT / "prose" / "requests.jsonl"
CLASSES = ("understood", "refused", "partial", "false_verified")
# Rendering parameters (canvas sizes, line widths, fonts…) are not facts of the request: a number
# such as 2 must not be "found" in a line width. These keys are skipped when searching a spec.
SKIP_KEYS = {"id", "depends_on", "depiction", "drawing", "style", "layout", "font_size", "min_font_size",
             "samples"}


def leaves(value, key=""):
    """Every (key, leaf) under a spec value, skipping rendering parameters."""
    if key in SKIP_KEYS:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, str(k))
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from leaves(v, key)
    else:
        yield key, value


def numbers_in(specs):
    found = []
    for spec in specs:
        for _, v in leaves(spec):
            if isinstance(v, bool):
                continue
            if isinstance(v, (int, float)):
                found.append(float(v))
            elif isinstance(v, str):
                try:
                    found.append(float(v.strip()))
                except ValueError:
                    pass
    return found


def strings_in(specs):
    return [v.lower() for spec in specs for _, v in leaves(spec) if isinstance(v, str)]


def inchikeys_in(steps):
    keys = set()
    for step in steps:
        if step.kind == "molecule":
            comps = [step.spec]
        elif step.kind == "reaction":
            comps = step.spec.get("reactants", []) + step.spec.get("products", [])
        else:
            continue
        for c in comps:
            key = c.get("inchikey") or ""
            if not key and c.get("smiles"):
                from rdkit import Chem

                mol = Chem.MolFromSmiles(c["smiles"])
                key = Chem.MolToInchiKey(mol) if mol is not None else ""
            if key:
                keys.add(key)
    return keys


def _zero(expr) -> bool:
    import sympy

    try:
        return sympy.simplify(expr) == 0
    except Exception:  # noqa: BLE001 - SymPy may fail on odd input; then it is not shown equal
        return False


def same_statement(got, want) -> bool:
    """Both relations say the same (sides equal, or one is a nonzero multiple), or both expressions are equal."""
    from sympy.core.relational import Relational

    if isinstance(got, Relational) != isinstance(want, Relational):
        return False
    if not isinstance(got, Relational):
        return _zero(got - want)
    if (_zero(got.lhs - want.lhs) and _zero(got.rhs - want.rhs)) or \
            (_zero(got.lhs - want.rhs) and _zero(got.rhs - want.lhs)):
        return True
    d_got, d_want = got.lhs - got.rhs, want.lhs - want.rhs
    if _zero(d_want):
        return False
    import sympy

    ratio = sympy.simplify(d_got / d_want)
    return bool(ratio.is_number and ratio != 0)


def latex_equivalent(steps, expected: str) -> bool:
    import sympy

    from ivlu_agent.tools.equation.maths import parse_latex

    # Capital letters that SymPy would otherwise read as constants or functions are plain symbols here.
    want = sympy.sympify(expected, locals={c: sympy.Symbol(c) for c in "EISNOQ"})
    for step in steps:
        if step.kind != "equation":
            continue
        spec = step.spec
        try:
            got = parse_latex(spec["latex"], spec.get("e_is_euler", True), spec.get("i_is_imaginary", False))
        except Exception:  # noqa: BLE001 - a parse failure is a missing fact
            continue
        branches = list(got.args) if isinstance(got, sympy.Tuple) else [got]
        if any(same_statement(b, want) for b in branches):
            return True
    return False


def failed_facts(expect: dict, steps) -> list[str]:
    """The facts of `expect` that the plan does not satisfy, in words."""
    specs = [s.spec for s in steps]
    fails = []
    if expect.get("refuse"):
        fails.append("refuse: expected a refusal, got a plan of " + ", ".join(s.kind for s in steps))
    if "kinds" in expect:
        missing = Counter(expect["kinds"]) - Counter(s.kind for s in steps)
        if missing:
            fails.append(f"kinds: missing {sorted(missing.elements())}, got {[s.kind for s in steps]}")
    if "inchikeys" in expect:
        missing = [k for k in expect["inchikeys"] if k not in inchikeys_in(steps)]
        if missing:
            fails.append(f"inchikeys: missing {missing}")
    groups = [g.lower() for s in steps if s.kind == "molecule" for g in s.spec.get("highlight", [])]
    if "highlight" in expect:
        missing = [h for h in expect["highlight"] if not any(h.lower() in g for g in groups)]
        if missing:
            fails.append(f"highlight: missing {missing}, got {groups}")
    if expect.get("no_highlight") and groups:
        fails.append(f"no_highlight: highlighted {groups}")
    if "numbers" in expect:
        have = numbers_in(specs)
        missing = [n for n in expect["numbers"]
                   if not any(math.isclose(n, h, rel_tol=1e-6, abs_tol=1e-9) for h in have)]
        if missing:
            fails.append(f"numbers: missing {missing}")
    if "texts" in expect:
        have = strings_in(specs)
        missing = [t for t in expect["texts"] if not any(t.lower() in h for h in have)]
        if missing:
            fails.append(f"texts: missing {missing}")
    if "latex_equiv" in expect and not latex_equivalent(steps, expect["latex_equiv"]):
        got = [s.spec.get("latex") for s in steps if s.kind == "equation"]
        fails.append(f"latex_equiv: no equation equivalent to {expect['latex_equiv']} (got {got})")
    return fails


def score(row: dict, agent, facts=None) -> dict:
    """Run one request and classify it. `facts(expect, steps)` lists the failed facts (default: failed_facts)."""
    from ivlu_agent import IvluError

    facts = facts or failed_facts

    expect = row["expect"]
    try:
        result = agent.run(row["request"])
    except IvluError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        if expect.get("refuse"):
            return {"outcome": "understood"}
        return {"outcome": "refused", "reasons": [f"IvluError: {first}"]}
    except Exception as e:  # noqa: BLE001 - one crash must not end the evaluation
        return {"outcome": "refused", "reasons": [f"crash: {type(e).__name__}: {str(e).splitlines()[:1]}"],
                "crashed": True}
    fails = facts(expect, result.steps)
    plan = [{"kind": s.kind, "status": s.status, "spec": s.spec} for s in result.steps]
    if not fails:
        return {"outcome": "understood"}
    outcome = "false_verified" if result.status == "verified" else "partial"
    return {"outcome": outcome, "status": result.status, "reasons": fails, "plan": plan}


def load_rows(path: str, split: str, ids: str) -> list[dict]:
    """The lines of a request set in `split` ('all' for every one), or only those of `ids` (comma-separated)."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if split == "all" or r["split"] == split]
    return [r for r in rows if r["id"] in set(ids.split(","))] if ids else rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="tune", choices=["tune", "held-out", "all"])
    ap.add_argument("--file", default=str(REQUESTS), help="the request set (requests_v2.jsonl: a second, all held-out)")
    ap.add_argument("--ids", default="", help="comma-separated ids to run (debugging)")
    ap.add_argument("--out", default=str(ROOT / "prose" / "last_run.json"))
    args = ap.parse_args(argv)

    rows = load_rows(args.file, args.split, args.ids)

    from ivlu_agent import Agent

    outcomes, misses = Counter(), []
    per_domain = defaultdict(Counter)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="prose-eval-") as home:
        agent = Agent(home=home, workers=1)
        try:
            for i, row in enumerate(rows, 1):
                t0 = time.perf_counter()
                res = score(row, agent)
                if res.pop("crashed", False):  # start clean after a crash
                    agent.close()
                    agent = Agent(home=home, workers=1)
                outcomes[res["outcome"]] += 1
                per_domain[row["domain"]][res["outcome"]] += 1
                print(f"[{i}/{len(rows)}] {row['id']} {res['outcome']:<14} {time.perf_counter() - t0:5.1f}s",
                      file=sys.stderr, flush=True)
                if res["outcome"] != "understood":
                    misses.append({"id": row["id"], "domain": row["domain"], "style": row["style"],
                                   "request": row["request"], "expect": row["expect"], **res})
        finally:
            agent.close()

    n = len(rows)
    print(f"split {args.split}: {n} requests, {time.perf_counter() - started:.0f} s")
    for c in CLASSES:
        print(f"  {c:<15} {outcomes[c] / n if n else 0:6.1%}  ({outcomes[c]}/{n})")
    print("understood by domain:")
    for d in sorted(per_domain):
        tot = sum(per_domain[d].values())
        print(f"  {d:<10} {per_domain[d]['understood'] / tot:6.1%}  ({per_domain[d]['understood']}/{tot})")
    report = {"split": args.split, "n": n, "counts": {c: outcomes[c] for c in CLASSES},
              "rates": {c: outcomes[c] / n if n else 0 for c in CLASSES},
              "understood_by_domain": {d: {"understood": v["understood"], "n": sum(v.values())}
                                       for d, v in sorted(per_domain.items())},
              "not_understood": misses}
    Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n",
                              encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
