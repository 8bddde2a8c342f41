"""Score exam-style chemistry requests: understood, and verified from the figure's own certificates.

    .venv/bin/python evals/chem_exam_eval.py                     # the "tune" split (default)
    .venv/bin/python evals/chem_exam_eval.py --split held-out    # only once, at the end of a piece of work
    .venv/bin/python evals/chem_exam_eval.py --ids c001,c023 --out /tmp/run.json

Each request of evals/chem_exam.jsonl (Lewis structures, displayed formulae, labelled isomer sets,
3-D models, reaction schemes with conditions, plain small molecules, and a few that must be refused)
is run through the real agent by evals/prose_eval.py's machinery and lands in one of its four classes
(understood, refused, partial, false_verified). On top of that a request is *verified* when it is not
a refusal line, every fact holds and the run ended with status "verified". The facts are the prose
set's plus `displayed`, `labels`, `conditions` and `skeletons` (see evals/chem_exam_README.md); here
`inchikeys` also looks inside kinds the prose scorer does not know (a "lewis" or "model3d" step).

It prints both rates overall, per topic and per style, and writes a JSON report (--out, default
evals/chem_exam_last_run.json) with every request that was not understood, or understood but not
verified, and why.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

import prose_eval  # noqa: E402 - evals/ must be on the path first

REQUESTS = ROOT / "chem_exam.jsonl"
CLASSES = prose_eval.CLASSES
# Facts this scorer checks itself; every other key goes to prose_eval.failed_facts.
OWN_FACTS = ("inchikeys", "skeletons", "displayed", "labels", "conditions")
SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻−", "01234567890123456789+--")


def key_of(obj: dict) -> str:
    """The standard InChIKey an object of a spec stands for: its `inchikey`, else computed from its `smiles`."""
    key = obj.get("inchikey") or ""
    if not key and isinstance(obj.get("smiles"), str) and obj["smiles"]:
        from rdkit import Chem

        mol = Chem.MolFromSmiles(obj["smiles"])
        key = Chem.MolToInchiKey(mol) if mol is not None else ""
    return key


def structure_keys(value, key: str = "") -> set[str]:
    """Every InChIKey drawn anywhere in a spec: each object (not under a rendering key) that has `inchikey`
    or `smiles` counts, so a molecule, lewis or model3d step and each reaction component are all found."""
    if key in prose_eval.SKIP_KEYS:
        return set()
    found = set()
    if isinstance(value, dict):
        if own := key_of(value):
            found.add(own)
        for k, v in value.items():
            found |= structure_keys(v, str(k))
    elif isinstance(value, (list, tuple)):
        for v in value:
            found |= structure_keys(v, key)
    return found


def titles_of(step) -> list[str]:
    """The captions of a step: its result's title and its spec's title."""
    return [t for t in (getattr(step, "title", ""), step.spec.get("title", "")) if isinstance(t, str) and t]


def names_descriptor(title: str, descriptor: str) -> bool:
    """`descriptor` occurs in `title` not run into other letters ("(R)-alanine", "cis-but-2-ene", "E isomer").
    One-letter descriptors (R S E Z D L) are matched case-sensitively, longer ones (cis, trans) not."""
    flags = 0 if len(descriptor) == 1 else re.IGNORECASE
    return re.search(rf"(?<![A-Za-z]){re.escape(descriptor)}(?![A-Za-z])", title, flags) is not None


def arrow_texts(steps) -> list[str]:
    """The text written on the arrows: string values of reaction specs under a key naming conditions or reagents
    (or above/below/over/under), lower-cased, with Unicode sub/superscript digits made plain."""
    out = []

    def walk(value, key=""):
        if key in prose_eval.SKIP_KEYS:
            return
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and (re.search(r"condition|reagent", key, re.I)
                                         or key.lower() in {"above", "below", "over", "under"}):
            out.append(value.translate(SUBSCRIPTS).lower())

    for step in steps:
        if step.kind == "reaction":
            walk(step.spec)
    return out


def failed_facts(expect: dict, steps) -> list[str]:
    """prose_eval's facts, plus this set's own (see the README)."""
    fails = prose_eval.failed_facts({k: v for k, v in expect.items() if k not in OWN_FACTS}, steps)
    drawn = set().union(*(structure_keys(s.spec) for s in steps)) if steps else set()
    if "inchikeys" in expect:
        missing = [k for k in expect["inchikeys"] if k not in drawn]
        if missing:
            fails.append(f"inchikeys: missing {missing}, drawn {sorted(drawn)}")
    if "skeletons" in expect:
        missing = [b for b in expect["skeletons"] if not any(k.startswith(b + "-") for k in drawn)]
        if missing:
            fails.append(f"skeletons: no structure with first block {missing}, drawn {sorted(drawn)}")
    if expect.get("displayed") and not any(s.kind == "molecule" and s.spec.get("displayed") is True for s in steps):
        fails.append("displayed: no molecule step has displayed: true")
    for key, descriptor in expect.get("labels", {}).items():
        panels = [s for s in steps if key_of(s.spec) == key]
        if not any(names_descriptor(t, descriptor) for s in panels for t in titles_of(s)):
            got = [t for s in panels for t in titles_of(s)] if panels else "no step draws it"
            fails.append(f"labels: {key} not captioned {descriptor!r} (titles: {got})")
    if "conditions" in expect:
        have = arrow_texts(steps)
        missing = []
        for want in expect["conditions"]:
            options = [want] if isinstance(want, str) else want
            if not any(o.translate(SUBSCRIPTS).lower() in h for o in options for h in have):
                missing.append(want)
        if missing:
            fails.append(f"conditions: missing {missing} on the arrows, got {have}")
    return fails


class Recording:
    """The agent, remembering the last result so that its status and verdicts can be reported."""

    def __init__(self, agent):
        self.agent, self.last = agent, None

    def run(self, request: str):
        self.last = None
        self.last = self.agent.run(request)
        return self.last


def why_unverified(result) -> dict:
    """What kept an understood run from "verified": plan.faithful's message and each unverified step's misses."""
    out = {"status": result.status}
    if result.faithful is not None and not result.faithful.passed:
        out["faithful"] = result.faithful.message
    out["steps"] = [{"kind": s.kind, "status": s.status,
                     "failed": [f"{v.verifier}: {v.message}" for v in s.verdicts if not v.passed]}
                    for s in result.steps]
    return out


def rate(a: int, b: int) -> float:
    return a / b if b else 0.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="tune", choices=["tune", "held-out", "all"])
    ap.add_argument("--file", default=str(REQUESTS), help="the request set")
    ap.add_argument("--ids", default="", help="comma-separated ids to run (debugging)")
    ap.add_argument("--out", default=str(ROOT / "chem_exam_last_run.json"))
    args = ap.parse_args(argv)

    rows = prose_eval.load_rows(args.file, args.split, args.ids)

    from ivlu_agent import Agent

    outcomes, per_topic, per_style = Counter(), defaultdict(Counter), defaultdict(Counter)
    results, misses, unverified = [], [], []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="chem-exam-eval-") as home:
        agent = Recording(Agent(home=home, workers=1))
        try:
            for i, row in enumerate(rows, 1):
                t0 = time.perf_counter()
                res = prose_eval.score(row, agent, facts=failed_facts)
                if res.pop("crashed", False):  # start clean after a crash
                    agent.agent.close()
                    agent = Recording(Agent(home=home, workers=1))
                status = agent.last.status if agent.last is not None else "refused"
                drawable = not row["expect"].get("refuse")
                verified = drawable and res["outcome"] == "understood" and status == "verified"
                outcomes[res["outcome"]] += 1
                for tally in (per_topic[row["topic"]], per_style[row["style"]]):
                    tally[res["outcome"]] += 1
                    tally["n"] += 1
                    tally["drawable"] += drawable
                    tally["verified"] += verified
                results.append({"id": row["id"], "topic": row["topic"], "outcome": res["outcome"],
                                "status": status, "verified": verified})
                print(f"[{i}/{len(rows)}] {row['id']} {row['topic']:<9} {res['outcome']:<14} {status:<10} "
                      f"{time.perf_counter() - t0:5.1f}s", file=sys.stderr, flush=True)
                entry = {"id": row["id"], "topic": row["topic"], "style": row["style"], "request": row["request"],
                         "expect": row["expect"]}
                if res["outcome"] != "understood":
                    misses.append({**entry, **res})
                elif drawable and not verified:
                    unverified.append({**entry, **why_unverified(agent.last)})
        finally:
            agent.agent.close()

    n = len(rows)
    drawable = sum(1 for r in rows if not r["expect"].get("refuse"))
    n_verified = sum(r["verified"] for r in results)
    print(f"split {args.split}: {n} requests ({drawable} drawable), {time.perf_counter() - started:.0f} s")
    for c in CLASSES:
        print(f"  {c:<15} {rate(outcomes[c], n):6.1%}  ({outcomes[c]}/{n})")
    print(f"  {'verified':<15} {rate(n_verified, drawable):6.1%}  ({n_verified}/{drawable} drawable requests)")
    for label, table in (("topic", per_topic), ("style", per_style)):
        print(f"by {label}:{'':<6}understood        verified")
        for name in sorted(table):
            t = table[name]
            ver = f"{rate(t['verified'], t['drawable']):6.1%}  ({t['verified']}/{t['drawable']})" if t["drawable"] \
                else "     -"
            print(f"  {name:<12} {rate(t['understood'], t['n']):6.1%}  ({t['understood']}/{t['n']})   {ver}")

    def summary(table):
        return {k: {"n": v["n"], "understood": v["understood"], "drawable": v["drawable"], "verified": v["verified"],
                    "understood_rate": rate(v["understood"], v["n"]),
                    "verified_rate": rate(v["verified"], v["drawable"]) if v["drawable"] else None}
                for k, v in sorted(table.items())}

    report = {"split": args.split, "n": n, "seconds": round(time.perf_counter() - started, 1),
              "counts": {c: outcomes[c] for c in CLASSES},
              "rates": {c: rate(outcomes[c], n) for c in CLASSES},
              "verified": {"count": n_verified, "drawable": drawable, "rate": rate(n_verified, drawable)},
              "by_topic": summary(per_topic), "by_style": summary(per_style),
              "results": results, "not_understood": misses, "understood_not_verified": unverified}
    Path(args.out).write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n",
                              encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
