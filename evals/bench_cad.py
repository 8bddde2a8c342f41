"""Benchmark of the CAD kind on a part with 6 features, as ratios to bare CadQuery calls in the same run.

    build         our spec → validated → solid          vs  the same part as one hand-written CadQuery chain
    4 views       project + PNG + SVG, four views       vs  cadquery's own SVG export (getSVG) of four views
    render step   build, 4 views, sheet, STEP, STL      vs  build, 4 × getSVG, STEP and STL export
    verify view   read a PNG, project, compare          vs  getSVG of that one view

Each figure is the median of --repeat runs in one warm process (imports and first calls excluded).

    .venv/bin/python evals/bench_cad.py [--repeat 15] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PART = {"shape": "box", "length": 80, "width": 50, "height": 20}
FEATURES = [  # six features
    {"type": "counterbore", "diameter": 6, "cbore_diameter": 10, "cbore_depth": 4, "at": (-25, 10)},
    {"type": "slot", "length": 20, "width": 6, "at": (10, -12), "angle": 30},
    {"type": "pocket", "length": 15, "width": 10, "depth": 5, "at": (20, 12)},
    {"type": "boss", "diameter": 10, "height": 6, "face": "front"},
    {"type": "hole", "face": "right", "diameter": 5, "depth": 10, "at": (5, 2)},
    {"type": "chamfer", "edges": "vertical", "size": 3},
]
VIEWS = ["front", "top", "right", "iso"]
DIRECTIONS = {"front": (0, -1, 0), "top": (0, 0, 1), "right": (1, 0, 0), "iso": (1, -1, 1)}


def bare_part():
    """The same part, written directly against CadQuery."""
    import cadquery as cq

    body = cq.Workplane("XY").box(80, 50, 20, centered=(True, True, False)).edges("|Z").chamfer(3)
    body = body.faces(">Z").workplane(centerOption="CenterOfBoundBox").pushPoints([(-25, 10)]).cboreHole(6, 10, 4)
    body = body.faces(">Z").workplane(centerOption="CenterOfBoundBox").center(10, -12).slot2D(20, 6, 30).cutBlind(-20)
    body = body.faces(">Z").workplane(centerOption="CenterOfBoundBox").center(20, 12).rect(15, 10).cutBlind(-5)
    body = body.faces("<Y").workplane(centerOption="CenterOfBoundBox").circle(5).extrude(6)
    body = body.faces(">X").workplane(centerOption="CenterOfBoundBox").center(5, 2).hole(5, 10)
    return body.val()


def bare_svg(shape, view: str) -> str:
    from cadquery.occ_impl.exporters.svg import getSVG

    return getSVG(shape, {"projectionDir": DIRECTIONS[view], "showHidden": True, "width": 400, "height": 300,
                          "marginLeft": 20, "marginTop": 20})


def median_s(fn, repeat: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()

    import cadquery as cq

    from ivlu_agent.tools.cad.geometry import expected_volume
    from ivlu_agent.tools.cad.render import build_part, draw_view, render_cad
    from ivlu_agent.tools.cad.spec import View, make_cad_spec
    from ivlu_agent.tools.cad.verify import check_view
    from ivlu_agent.tools.cad.views import project

    spec = make_cad_spec(part=PART, features=FEATURES, views=[{"name": v} for v in VIEWS])
    data = spec.model_dump(mode="json")
    ours_solid, theirs = build_part(spec), bare_part()
    assert abs(ours_solid.Volume() - expected_volume(spec)) < 1e-3 * expected_volume(spec)
    assert abs(theirs.Volume() - ours_solid.Volume()) < 1e-3 * ours_solid.Volume(), "the two parts differ"

    def bare_render(shape):
        """Build (done by the caller), four SVG views, STEP and STL: what render_cad does, bare."""
        svgs = [bare_svg(shape, v) for v in VIEWS]
        with tempfile.TemporaryDirectory() as tmp:
            cq.exporters.export(shape, os.path.join(tmp, "p.step"))
            cq.exporters.export(shape, os.path.join(tmp, "p.stl"))
        return svgs

    folder = Path(tempfile.mkdtemp(prefix="ivlu-bench-cad-"))
    top_png = folder / "top.png"
    top_png.write_bytes(draw_view(project(ours_solid, View(name="top")))[0])

    rows = {
        "build": (lambda: build_part(make_cad_spec(part=PART, features=FEATURES)), bare_part),
        "4 views": (lambda: [draw_view(project(ours_solid, View(name=v))) for v in VIEWS],
                    lambda: [bare_svg(theirs, v) for v in VIEWS]),
        "render step (4 views + sheet + STEP + STL)": (
            lambda: render_cad(data),
            lambda: bare_render(bare_part())),
        "verify a view": (lambda: check_view(spec, ours_solid, View(name="top"), str(top_png)),
                          lambda: bare_svg(theirs, "top")),
    }
    result = {"machine": f"{platform.machine()} {os.cpu_count()} CPU(s), Python {platform.python_version()}, "
                         f"CadQuery {cq.__version__}", "repeat": args.repeat, "rows": {}}
    print(result["machine"], f"median of {args.repeat}")
    print(f"{'':44s} {'ours ms':>9s} {'bare ms':>9s} {'ratio':>7s}")
    for name, (ours, bare) in rows.items():
        a, b = median_s(ours, args.repeat), median_s(bare, args.repeat)
        result["rows"][name] = {"ours_ms": round(a * 1000, 1), "bare_ms": round(b * 1000, 1), "ratio": round(a / b, 2)}
        print(f"{name:44s} {a * 1000:9.1f} {b * 1000:9.1f} {a / b:7.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
