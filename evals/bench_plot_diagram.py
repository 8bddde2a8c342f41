"""Benchmark the plot and diagram renderers and verifiers.

For each case: render time, verification time with a cold OCR cache and the part of it spent in
OCR, then the same verification again in the same process (the OCR cache by image hash hits), giving
the cache speed-up as a same-run ratio. Renderers and verifiers run in-process here (the agent runs
them in a warm worker process; the pipe adds a few milliseconds per call).

    .venv/bin/python evals/bench_plot_diagram.py [--repeat 3]

Writes evals/out/bench_plot_diagram.json and prints the table for the README.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ivlu_agent.tools.common import ocr
from ivlu_agent.tools.diagram import verify as verify_diagram
from ivlu_agent.tools.diagram.render import render_diagram
from ivlu_agent.tools.diagram.rule import DiagramRule
from ivlu_agent.tools.plot import verify as verify_plot
from ivlu_agent.tools.plot.render import render_plot
from ivlu_agent.tools.plot.rule import PlotRule

PLOTS = ["plot sin(x)/x from -10 to 10", "plot tan(x) from -3 to 3", "plot e^(-x) sin(5x) from 0 to 5",
         "plot floor(x) and 1/x from -4 to 4", "bar chart of 2019–2023 sales 3, 5, 4, 6, 8",
         "line chart of temperature 12, 15, 19, 23, 21 for Mon, Tue, Wed, Thu, Fri",
         "scatter plot of (1, 2), (2, 4.1), (3, 5.9), (4, 8.2), (5, 9.8)",
         "pie chart of apples 30, bananas 50, cherries 20"]
DIAGRAMS = ["flowchart of binary search", "flowchart of bubble sort", "flowchart of dijkstra's algorithm",
            "flowchart of euclid's gcd", "binary search tree with keys 50, 30, 70, 20, 40, 60, 80",
            "binary search tree with keys " + ", ".join(map(str, [50, 25, 75, 12, 37, 62, 87, 6, 18, 31, 43, 56,
                                                                   68, 81, 93])),
            "complete graph K5", "weighted graph A-B (4), B-C (2), A-C (7), C-D (3), B-D (5)",
            "state machine: idle -coin-> unlocked, unlocked -push-> idle, idle -push-> idle, start at idle"]


class OcrClock:
    """Wraps read_text where the verifiers call it, adding up the seconds spent in OCR."""

    def __init__(self):
        self.seconds = 0.0
        self.original = ocr.read_text

    def __enter__(self):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        verify_plot.read_text = verify_diagram.read_text = timed
        return self

    def __exit__(self, *exc):
        verify_plot.read_text = verify_diagram.read_text = self.original


def case(kind: str, request: str, spec: dict, repeat: int) -> dict:
    render, verify = ((render_plot, verify_plot.verify_plot) if kind == "plot"
                      else (render_diagram, verify_diagram.verify_diagram))
    render_s = []
    for _ in range(repeat):
        started = time.perf_counter()
        out = render(spec)
        render_s.append(time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for f in out["files"]:
            path = Path(tmp) / f["name"]
            path.write_bytes(f["data"])
            files[f["name"]] = str(path)
        ocr._CACHE.clear()
        with OcrClock() as clock:
            started = time.perf_counter()
            verdicts = verify(spec, files, out["meta"])
            cold = time.perf_counter() - started
        cold_ocr = clock.seconds
        with OcrClock() as clock:
            started = time.perf_counter()
            verify(spec, files, out["meta"])
            warm = time.perf_counter() - started
    return {"kind": kind, "request": request, "passed": all(v["passed"] for v in verdicts),
            "render_s": statistics.median(render_s), "verify_cold_s": cold, "ocr_cold_s": cold_ocr,
            "verify_cached_s": warm, "ocr_cached_s": clock.seconds}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="renders per case (median reported)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "out" / "bench_plot_diagram.json"))
    args = ap.parse_args()
    plots = [("plot", t, PlotRule().build(t).model_dump(mode="json")) for t in PLOTS]
    diagrams = [("diagram", t, DiagramRule().build(t)[0].model_dump(mode="json")) for t in DIAGRAMS]
    case(*plots[0], repeat=1)  # warm-up: imports, the RapidOCR model, font caches
    case(*diagrams[0], repeat=1)
    rows = [case(kind, text, spec, args.repeat) for kind, text, spec in plots + diagrams]
    summary = {}
    for kind in ("plot", "diagram"):
        mine = [r for r in rows if r["kind"] == kind]

        def med(key, rows=mine):
            return statistics.median(r[key] for r in rows)

        cold, ocr_s, warm = (sum(r[k] for r in mine) for k in ("verify_cold_s", "ocr_cold_s", "verify_cached_s"))
        summary[kind] = {"cases": len(mine), "all_verified": all(r["passed"] for r in mine),
                         "render_ms_median": round(1000 * med("render_s"), 1),
                         "render_ms_max": round(1000 * max(r["render_s"] for r in mine), 1),
                         "verify_ms_median": round(1000 * med("verify_cold_s"), 1),
                         "verify_ms_max": round(1000 * max(r["verify_cold_s"] for r in mine), 1),
                         "ocr_share": round(ocr_s / cold, 3),
                         "verify_cached_ms_median": round(1000 * med("verify_cached_s"), 1),
                         "cache_speedup": round(cold / warm, 1)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": platform.processor() or platform.machine(),
                                          "python": platform.python_version(), "summary": summary,
                                          "cases": rows}, indent=1))
    print("| kind | cases | render ms (median / max) | verify ms, cold cache (median / max) | OCR share of "
          "verify | verify ms, cached (median) | cache speed-up (cold / cached, same run) |")
    print("|---|---|---|---|---|---|---|")
    for kind, s in summary.items():
        print(f"| {kind} | {s['cases']} | {s['render_ms_median']} / {s['render_ms_max']} | {s['verify_ms_median']} / "
              f"{s['verify_ms_max']} | {100 * s['ocr_share']:.0f}% | {s['verify_cached_ms_median']} | "
              f"{s['cache_speedup']}× |")
    print()
    for r in rows:
        print(f"  {r['kind']:8s} {r['request'][:40]:40s} render {1000 * r['render_s']:7.1f} ms  verify "
              f"{1000 * r['verify_cold_s']:7.1f} ms (OCR {1000 * r['ocr_cold_s']:7.1f})  cached "
              f"{1000 * r['verify_cached_s']:6.1f} ms  {'ok' if r['passed'] else 'FAILED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
