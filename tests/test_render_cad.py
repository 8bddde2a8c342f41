"""The CAD renderer: real CadQuery solids, view orientation in pixels, the sheet, STEP/STL, and the loop."""

import io
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from ivlu_agent.tools.cad.geometry import expected_bbox, expected_volume
from ivlu_agent.tools.cad.render import build_part, render_cad
from ivlu_agent.tools.cad.spec import View, make_cad_spec
from ivlu_agent.tools.cad.views import dashes, project

PARTS = {
    "plate": {"part": {"shape": "box", "length": 60, "width": 40, "height": 8},
              "features": [{"type": "hole", "diameter": 6, "at": (-20, 0)}, {"type": "hole", "diameter": 6, "at": (20, 0)}]},
    "bracket": {"part": {"shape": "l_bracket", "length": 50, "width": 30, "height": 50, "thickness": 5},
                "features": [{"type": "hole", "face": "base", "diameter": 5}, {"type": "hole", "face": "upright",
                                                                               "diameter": 5}]},
    "cylinder": {"part": {"shape": "cylinder", "diameter": 20, "height": 30},
                 "features": [{"type": "hole", "diameter": 6}, {"type": "fillet", "edges": "top", "radius": 2}]},
    "tube": {"part": {"shape": "tube", "outer_diameter": 30, "inner_diameter": 20, "height": 30},
             "features": [{"type": "chamfer", "edges": "bottom", "size": 1}]},
    "prism": {"part": {"shape": "extrusion", "points": [(0, 0), (40, 0), (50, 20), (20, 35), (-5, 15)], "height": 10},
              "features": [{"type": "fillet", "edges": "vertical", "radius": 3},
                           {"type": "hole", "diameter": 5, "at": (3, 2), "depth": 4}]},
    "six": {"part": {"shape": "box", "length": 80, "width": 50, "height": 20}, "features": [
        {"type": "counterbore", "diameter": 6, "cbore_diameter": 10, "cbore_depth": 4, "at": (-25, 10)},
        {"type": "slot", "length": 20, "width": 6, "at": (10, -12), "angle": 30},
        {"type": "pocket", "length": 15, "width": 10, "depth": 5, "at": (20, 12)},
        {"type": "boss", "diameter": 10, "height": 6, "face": "front"},
        {"type": "hole", "face": "right", "diameter": 5, "depth": 10, "at": (5, 2)},
        {"type": "chamfer", "edges": "vertical", "size": 3}]},
}


def png(data: bytes) -> np.ndarray:
    """Ink mask of a PNG (dark pixels)."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("L")) < 128


@pytest.mark.parametrize("name", PARTS)
def test_built_solid_matches_the_spec(name):
    spec = make_cad_spec(**PARTS[name])
    solid = build_part(spec)
    bb = solid.BoundingBox()
    lo, hi = expected_bbox(spec)
    assert solid.isValid() and len(solid.Solids()) == 1
    assert solid.Volume() == pytest.approx(expected_volume(spec), rel=1e-6)
    assert (bb.xmin, bb.ymin, bb.zmin) == pytest.approx(lo, abs=0.01)
    assert (bb.xmax, bb.ymax, bb.zmax) == pytest.approx(hi, abs=0.01)


@pytest.fixture(scope="module")
def bracket():
    spec = make_cad_spec(**PARTS["bracket"], views=[
        {"name": "front"}, {"name": "top"}, {"name": "right"}, {"name": "iso"}, {"name": "rotated", "rz": 30}])
    out = render_cad(spec.model_dump(mode="json"))
    return spec, {f["name"]: f["data"] for f in out["files"]}, out["meta"]


def test_each_view_is_its_own_named_file_plus_sheet_step_and_stl(bracket):
    _, files, meta = bracket
    assert set(files) == {f"{v}.{ext}" for v in ("front", "top", "right", "iso", "rotated-z30") for ext in ("png", "svg")} \
        | {"main.png", "main.svg", "part.step", "part.stl"}
    assert files["part.step"].startswith(b"ISO-10303-21")
    for name in ("front.svg", "main.svg"):
        assert ET.fromstring(files[name]).tag.endswith("svg")
    assert set(meta["sheet"]["boxes"]) == {"front", "top", "right", "iso", "rotated-z30"}


def test_front_view_is_upright_not_turned(bracket):
    """The upright leg (x = -25, 50 mm tall) is at the left of the front view; the base leg runs right."""
    mask = png(bracket[1]["front.png"])
    ys, xs = np.nonzero(mask)
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    assert (x1 - x0) == pytest.approx(y1 - y0, rel=0.03)  # 50 × 50 mm
    top_band = mask[y0:y0 + 4, x0:x1 + 1]
    inked = np.nonzero(top_band.any(axis=0))[0]
    assert inked.max() < (x1 - x0) * 0.2  # only the 5 mm upright reaches the top, at the left


def test_top_and_right_views_point_the_right_way():
    spec = make_cad_spec(part={"shape": "box", "length": 60, "width": 40, "height": 20}, features=[
        {"type": "hole", "diameter": 6, "at": (18, 10)},  # top face, towards +x and +y (the back)
        {"type": "boss", "face": "front", "diameter": 8, "height": 6}],
        views=[{"name": "top"}, {"name": "right"}])
    out = {f["name"]: f["data"] for f in render_cad(spec.model_dump(mode="json"))["files"]}
    top = png(out["top.png"])
    ys, xs = np.nonzero(top)
    x0, x1, y0 = xs.min(), xs.max(), ys.min()
    y1 = max(y for y in range(top.shape[0]) if top[y, x0:x1 + 1].mean() > 0.9)  # the block's front edge
    inner = top[y0 + 4: y1 - 3, x0 + 4: x1 - 3]
    hy, hx = (c.mean() for c in np.nonzero(inner))
    # the hole: +x is right and the back (+y) is up in the top view, and the boss sticks out at the bottom
    assert hx / inner.shape[1] == pytest.approx((18 + 30) / 60, abs=0.03)
    assert hy / inner.shape[0] == pytest.approx((20 - 10) / 40, abs=0.03)
    assert ys.max() > y1 + 10
    right = png(out["right.png"])
    cols = np.nonzero(right.any(axis=0))[0]
    # the boss stands out of the front face, which is on the left of the right view
    boss_rows = np.nonzero(right[:, cols.min(): cols.min() + 5].any(axis=1))[0]
    assert boss_rows.size and np.ptp(boss_rows) < right.shape[0] / 2


def test_rotated_view_turns_the_part():
    spec = make_cad_spec(part={"shape": "box", "length": 60, "width": 40, "height": 8})
    solid = build_part(spec)
    front = project(solid, View(name="front"))
    turned = project(solid, View(name="rotated", rz=30))
    assert front.size() == pytest.approx((60, 8), abs=1e-6)
    assert turned.size()[0] == pytest.approx(60 * math.cos(math.radians(30)) + 40 * math.sin(math.radians(30)),
                                             abs=1e-3)
    assert project(solid, View(name="rotated", rx=90)).size() == pytest.approx((60, 40), abs=1e-6)  # top up


def test_hidden_edges_are_dashed():
    pieces = dashes(np.array([[0.0, 0.0], [100.0, 0.0]]), 6, 4)
    assert len(pieces) == 10 and pieces[0][0][0] == 0 and pieces[-1][-1][0] == pytest.approx(100)
    spec = make_cad_spec(**PARTS["plate"], views=[{"name": "front"}])
    out = {f["name"]: f["data"] for f in render_cad(spec.model_dump(mode="json"))["files"]}
    mask = png(out["front.png"])
    ys, xs = np.nonzero(mask)
    # the hole walls are hidden in the front view: a column through one is inked in runs with gaps
    column = mask[ys.min() + 3: ys.max() - 2]
    hidden_cols = [c for c in range(xs.min() + 5, xs.max() - 5) if 0.3 < column[:, c].mean() < 0.9]
    assert hidden_cols
    assert "stroke-dasharray" in out["front.svg"].decode()


def test_sheet_layout_follows_the_projection():
    views = [{"name": "front"}, {"name": "top"}, {"name": "right"}]
    boxes = {}
    for projection in ("first", "third"):
        spec = make_cad_spec(**PARTS["plate"], views=views, projection=projection)
        boxes[projection] = render_cad(spec.model_dump(mode="json"))["meta"]["sheet"]["boxes"]
    first, third = boxes["first"], boxes["third"]
    assert first["top"][1] > first["front"][3] and first["right"][2] < first["front"][0]
    assert third["top"][3] < third["front"][1] and third["right"][0] > third["front"][2]


def test_sheet_labels_overall_sizes_and_hole_diameters():
    spec = make_cad_spec(**PARTS["plate"], views=[{"name": "front"}, {"name": "top"}, {"name": "right"}])
    sheet = render_cad(spec.model_dump(mode="json"))["meta"]["sheet"]
    assert sorted(label["text"] for label in sheet["labels"]) == ["2× Ø6", "40", "60", "8"]


@pytest.mark.slow
def test_agent_draws_and_verifies_the_example_plate(tmp_path):
    from ivlu_agent import Agent

    with Agent(home=tmp_path / "home") as agent:
        result = agent.run("a 60x40x8 mm plate with two 6 mm holes 40 mm apart, front top and right views",
                           out=tmp_path / "out")
    assert result.status == "verified", [v.message for s in result.steps for v in s.verdicts if not v.passed]
    step = result.steps[0]
    assert step.kind == "cad" and [v["name"] for v in step.spec["views"]] == ["front", "top", "right"]
    panels = tmp_path / "out" / "panels"
    for name in ("front.png", "top.png", "right.png", "main.png", "part.step", "part.stl"):
        assert (panels / f"{step.id}-{name}").is_file()
    report = (tmp_path / "out" / "report.md").read_text()
    assert f"panels/{step.id}-part.step" in report and f"panels/{step.id}-part.stl" in report
    assert (tmp_path / "out" / "figure.png").is_file()
    assert {v.verifier for v in step.verdicts} >= {"cad.part", "cad.view.top", "cad.sheet.views", "cad.sheet.labels"}


def test_bad_spec_inside_the_worker_is_bad_input(workers):
    from ivlu_agent.errors import IvluError

    data = make_cad_spec(**PARTS["plate"]).model_dump(mode="json")
    data["features"][0]["diameter"] = 80  # as a model engine might write it, never validated
    with pytest.raises(IvluError, match="wider than"):
        workers.call("ivlu_agent.tools.cad.render:render_cad", data, timeout_s=60)


def test_a_runaway_render_is_stopped_and_reported(workers):
    from ivlu_agent.errors import RenderError

    data = make_cad_spec(**PARTS["six"]).model_dump(mode="json")
    with pytest.raises(RenderError, match="did not finish"):
        workers.call("ivlu_agent.tools.cad.render:render_cad", data, timeout_s=0.05)
    assert workers.call("ivlu_agent.tools.cad.render:render_cad", data, timeout_s=120)["files"]  # a fresh worker


def test_run_with_an_impossible_part_exits_2(tmp_path):
    import os
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "ivlu_agent", "run", "a 60x40x8 mm plate with a 50 mm hole",
                        "--out", str(tmp_path / "o")], capture_output=True, text=True, check=False,
                       env={**os.environ, "IVLU_HOME": str(tmp_path / "h")}, timeout=300)
    assert r.returncode == 2 and "wider than the top face" in r.stderr and "Traceback" not in r.stderr
