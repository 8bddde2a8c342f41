"""Benchmarks of the equation and text kinds (issue 4). Run: `.venv/bin/python evals/bench_equation_text.py`.

In one process, after one warm-up of each tool (imports, the RapidOCR model):
1. time per render and per verification, for each kind (median over the items);
2. OCR's share of verification time: time inside tesseract and RapidOCR calls (the read_text tool's
   engines, timed by wrapping them) over the whole verification;
3. the OCR cache: the same artifacts verified again with the hash cache warm, against the cold
   figure of the same run (the ratio is the speed-up);
4. end to end: `Agent.run` wall time for "the quadratic formula" and a poster request, with warm
   workers: the first run (OCR cache cold) and repeats (the worker's OCR cache answers).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from ivlu_agent.tools.common import ocr as read_text
from ivlu_agent.tools.equation.render import render_equation
from ivlu_agent.tools.equation.verify import verify_equation
from ivlu_agent.tools.text.render import render_text
from ivlu_agent.tools.text.verify import verify_text

EQUATIONS = [
    r"x = \frac{-b \pm \sqrt{b^{2} - 4ac}}{2a}",
    r"\frac{d}{dx}\left(x^{3} \sin {x}\right) = x^{3} \cos {x} + 3 x^{2} \sin {x}",
    r"a^{2} + b^{2} = c^{2}",
    r"e^{i\pi} + 1 = 0",
    r"\int x^{2}\, dx = C + \frac{x^{3}}{3}",
    r"\frac{x^{2} - 1}{x - 1} = x + 1",
    r"\sum_{k=1}^{n} k = \frac{n \left(n + 1\right)}{2}",
    r"\left(a + b\right)^{3} = a^{3} + 3 a^{2} b + 3 a b^{2} + b^{3}",
]
TEXTS = [
    {"layout": "poster", "heading": "Photosynthesis", "subheading": "How plants turn light into sugar",
     "body": "Light energy is stored as chemical energy in glucose."},
    {"layout": "label", "heading": "Mitochondrion"},
    {"layout": "panel", "heading": "Key facts",
     "body": "The speed of light is 299 792 458 m/s.\nEnergy and mass are related by E = mc²."},
    {"layout": "poster", "heading": "Plate Tectonics",
     "subheading": "Continents drift a few centimetres each year"},
    {"layout": "poster", "heading": "光合作用", "subheading": "植物如何把光变成糖"},
    {"layout": "panel", "heading": "总结 Summary", "body": "二氧化碳和水在光照下生成葡萄糖和氧气。"},
]
OCR_TIME = {"s": 0.0}


def _timed(fn):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            OCR_TIME["s"] += time.perf_counter() - started
    return wrapper


read_text._tesseract = _timed(read_text._tesseract)
read_text._rapid = _timed(read_text._rapid)


def bench_kind(name: str, specs: list[dict], render, verify, tmp: Path, repeats: int) -> dict:
    renders, colds, warms, ocr_shares = [], [], [], []
    arts = []
    for n, spec in enumerate(specs):
        for _ in range(repeats):
            started = time.perf_counter()
            out = render(spec)
            renders.append(time.perf_counter() - started)
        path = tmp / f"{name}{n}.png"
        path.write_bytes(out["files"][0]["data"])
        arts.append((spec, str(path), out["meta"]))
    for spec, path, meta in arts:
        read_text._CACHE.clear()
        OCR_TIME["s"] = 0.0
        started = time.perf_counter()
        verdicts = verify(spec, {"main.png": path}, meta)
        cold = time.perf_counter() - started
        colds.append(cold)
        ocr_shares.append(OCR_TIME["s"] / cold)
        started = time.perf_counter()
        again = verify(spec, {"main.png": path}, meta)
        warms.append(time.perf_counter() - started)
        assert [v["passed"] for v in verdicts] == [v["passed"] for v in again]
    return {
        "kind": name, "items": len(specs),
        "render_ms_median": round(1000 * statistics.median(renders), 1),
        "verify_ms_median_cold_cache": round(1000 * statistics.median(colds), 1),
        "ocr_share_of_verify": round(sum(o * c for o, c in zip(ocr_shares, colds)) / sum(colds), 3),
        "verify_ms_median_warm_cache": round(1000 * statistics.median(warms), 1),
        "cache_speedup": round(sum(colds) / sum(warms), 2),
    }


def end_to_end(runs: int) -> dict:
    """Wall time of Agent.run with warm workers: the first run of a request (OCR cache cold) and
    repeats of it (same artifacts, so the worker's OCR cache answers)."""
    from ivlu_agent import Agent

    requests = {"the quadratic formula": "the Pythagorean theorem",
                "a poster titled 'Photosynthesis' with subtitle 'How plants make sugar'":
                    "a poster titled 'Respiration' with subtitle 'How cells release energy'"}
    out = {}
    with tempfile.TemporaryDirectory() as tmp, Agent(home=tmp) as agent:
        for request, warm_up in requests.items():
            agent.run(warm_up)  # warm both workers' imports with another request of the kind
            agent.run(warm_up)
            started = time.perf_counter()
            first = agent.run(request)
            cold = time.perf_counter() - started
            walls = []
            for _ in range(runs):
                started = time.perf_counter()
                agent.run(request)
                walls.append(time.perf_counter() - started)
            out[request] = {"status": first.status, "first_run_s": round(cold, 3),
                            "repeat_s_median": round(statistics.median(walls), 3),
                            "render_s": round(first.timings.get("render", 0.0), 3),
                            "verify_s": round(first.timings.get("verify", 0.0), 3)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3, help="renders per item (default 3)")
    ap.add_argument("--runs", type=int, default=3, help="end-to-end runs per request (default 3)")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    equations = [{"kind": "equation", "latex": latex, "i_is_imaginary": "i\\pi" in latex}
                 for latex in EQUATIONS]
    texts = [{"kind": "text", **t} for t in TEXTS]
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        # Warm-up: imports, fonts, the RapidOCR model.
        bench_kind("warm-eq", equations[:1], render_equation, verify_equation, tmp_path, 1)
        bench_kind("warm-text", texts[-1:], render_text, verify_text, tmp_path, 1)
        results = {
            "equation": bench_kind("equation", equations, render_equation, verify_equation, tmp_path,
                                   args.repeats),
            "text (Latin)": bench_kind("text-latin", texts[:4], render_text, verify_text, tmp_path,
                                       args.repeats),
            "text (CJK)": bench_kind("text-cjk", texts[4:], render_text, verify_text, tmp_path, args.repeats),
        }
    results["end_to_end"] = end_to_end(args.runs)
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
