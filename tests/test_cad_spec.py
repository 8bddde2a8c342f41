"""CadSpec: bounds, validation messages, faces and the volumes and boxes a part must have (no CAD kernel)."""

import math
import subprocess
import sys

import pytest

from ivlu_agent.errors import IvluError
from ivlu_agent.tools import KINDS, parse_step
from ivlu_agent.tools.cad.geometry import (
    expected_bbox,
    expected_hole_faces,
    expected_volume,
    faces,
    hole_labels,
)
from ivlu_agent.tools.cad.spec import CadSpec, View, make_cad_spec
from ivlu_agent.types import Verdict

PLATE = {"shape": "box", "length": 60, "width": 40, "height": 8}


def plate(*features, **extra):
    return make_cad_spec(part=PLATE, features=list(features), **extra)


def test_registered_and_round_trips_through_parse_step():
    spec = plate({"type": "hole", "diameter": 6, "at": (-20, 0)})
    assert KINDS["cad"] is CadSpec
    again = parse_step(spec.model_dump(mode="json"))
    assert isinstance(again, CadSpec) and again == spec
    assert [v.label for v in again.views] == ["front", "top", "right", "iso"]


def test_plate_with_two_holes_measures():
    spec = plate({"type": "hole", "diameter": 6, "at": (-20, 0)}, {"type": "hole", "diameter": 6, "at": (20, 0)})
    assert expected_volume(spec) == pytest.approx(60 * 40 * 8 - 2 * math.pi * 9 * 8)
    assert expected_bbox(spec) == ((-30, -20, 0), (30, 20, 8))
    assert expected_hole_faces(spec) == 2
    assert hole_labels(spec) == [("2× Ø6", "top", [(-20, 0), (20, 0)])]


def test_every_feature_adds_up():
    spec = make_cad_spec(part={"shape": "box", "length": 80, "width": 50, "height": 20}, features=[
        {"type": "counterbore", "diameter": 6, "cbore_diameter": 10, "cbore_depth": 4, "at": (-25, 10)},
        {"type": "slot", "length": 20, "width": 6, "at": (10, -12), "angle": 30},
        {"type": "pocket", "length": 15, "width": 10, "depth": 5, "at": (20, 12)},
        {"type": "boss", "diameter": 10, "height": 6, "face": "front"},
        {"type": "hole", "face": "right", "diameter": 5, "depth": 10, "at": (5, 2)},
        {"type": "chamfer", "edges": "vertical", "size": 3}])
    want = (80 * 50 * 20 - (math.pi * 9 * 20 + math.pi * (25 - 9) * 4) - ((20 - 6) * 6 + math.pi * 9) * 20
            - 15 * 10 * 5 + math.pi * 25 * 6 - math.pi * 6.25 * 10 - 4 * 4.5 * 20)
    assert expected_volume(spec) == pytest.approx(want)
    assert expected_bbox(spec) == ((-40, -31, 0), (40, 25, 20))  # the boss stands 6 mm out of the front
    assert expected_hole_faces(spec) == 2 + 2 + 1


def test_faces_of_each_base_and_their_axes():
    assert set(faces(plate().part)) == {"top", "bottom", "front", "back", "left", "right"}
    bracket = make_cad_spec(part={"shape": "l_bracket", "length": 50, "width": 30, "height": 40, "thickness": 5})
    f = faces(bracket.part)
    assert set(f) == {"base", "upright"}
    assert f["upright"].point(0, 0) == (-20, 0, 22.5) and f["upright"].normal == (1, 0, 0)
    assert f["base"].half == (22.5, 15) and f["base"].thickness == 5


@pytest.mark.parametrize("fields, message", [
    ({"part": {**PLATE, "length": -5}}, "out of range"),
    ({"part": {**PLATE, "length": 0}}, "out of range"),
    ({"part": {**PLATE, "width": 1e9}}, "at most 5000 mm"),
    ({"part": {**PLATE, "height": float("nan")}}, "height"),
    ({"part": PLATE, "features": [{"type": "hole", "diameter": 50}]}, "wider than the top face (60 × 40 mm)"),
    ({"part": PLATE, "features": [{"type": "hole", "diameter": 6, "at": (40, 0)}]}, "falls outside the top face"),
    ({"part": PLATE, "features": [{"type": "hole", "diameter": 6, "at": (28, 0)}]}, "falls outside"),
    ({"part": PLATE, "features": [{"type": "hole", "diameter": 6, "at": (i - 16, 0)} for i in range(33)]},
     "at most 32 features"),
    ({"part": PLATE, "features": [{"type": "hole", "diameter": 6}, {"type": "hole", "diameter": 6, "at": (4, 0)}]},
     "overlap"),
    ({"part": PLATE, "features": [{"type": "hole", "diameter": 6, "depth": 8}]}, "8 mm thick there"),
    ({"part": PLATE, "features": [{"type": "hole", "diameter": 6, "face": "upright"}]}, "no 'upright' face"),
    ({"part": PLATE, "features": [{"type": "counterbore", "diameter": 6, "cbore_diameter": 5, "cbore_depth": 2}]},
     "not wider than its hole"),
    ({"part": PLATE, "features": [{"type": "slot", "length": 5, "width": 6}]}, "5 mm long but 6 mm wide"),
    ({"part": PLATE, "features": [{"type": "fillet", "radius": 25}]}, "too large"),
    ({"part": PLATE, "features": [{"type": "fillet", "radius": 2}, {"type": "chamfer", "size": 1}]},
     "rounded twice"),
    ({"part": PLATE, "features": [{"type": "hole", "diameter": 6, "face": "front"},
                                  {"type": "hole", "diameter": 6}]}, "overlap"),  # they cross inside
    ({"part": {"shape": "tube", "outer_diameter": 20, "inner_diameter": 20, "height": 5}}, "no wall"),
    ({"part": {"shape": "l_bracket", "length": 50, "width": 30, "height": 50, "thickness": 60}}, "thickness"),
    ({"part": {"shape": "extrusion", "points": [(0, 0), (10, 10), (10, 0), (0, 10)], "height": 5}}, "crosses itself"),
    ({"part": {"shape": "cylinder", "diameter": 20, "height": 30},
      "features": [{"type": "fillet", "edges": "vertical", "radius": 1}]}, "no vertical edges"),
    ({"part": PLATE, "views": [{"name": "diagonal"}]}, "views.0.name"),
    ({"part": PLATE, "views": [{"name": "front", "rz": 30}]}, "no rotation angles"),
    ({"part": PLATE, "views": [{"name": "rotated", "rz": "thirty"}]}, "rz"),
])
def test_impossible_parts_are_rejected_with_a_clear_message(fields, message):
    with pytest.raises(IvluError) as err:
        make_cad_spec(**fields)
    assert message in str(err.value)


def test_blend_volumes_and_boxes():
    block = {"shape": "box", "length": 60, "width": 40, "height": 20}
    r = 3
    top = make_cad_spec(part=block, features=[{"type": "fillet", "edges": "top", "radius": r}])
    straight = (1 - math.pi / 4) * r * r * (2 * (60 - 2 * r) + 2 * (40 - 2 * r))
    assert expected_volume(top) == pytest.approx(60 * 40 * 20 - straight - 4 * r ** 3 / 3)
    cyl = make_cad_spec(part={"shape": "cylinder", "diameter": 20, "height": 30},
                        features=[{"type": "chamfer", "edges": "top", "size": 2}])
    assert expected_volume(cyl) == pytest.approx(math.pi * 100 * 30 - 2 * math.pi * (10 - 2 / 3) * 2)
    square = make_cad_spec(part={"shape": "extrusion", "points": [(0, 0), (20, 0), (20, 20), (0, 20)],
                                 "height": 5}, features=[{"type": "fillet", "radius": 2}])
    assert expected_volume(square) == pytest.approx((400 - 4 * (1 - math.pi / 4) * 4) * 5)
    lo, hi = expected_bbox(square)
    assert lo == pytest.approx((-10, -10, 0)) and hi == pytest.approx((10, 10, 5))


def test_view_labels_and_words():
    assert View(name="rotated", rz=30).label == "rotated-z30"
    assert View(name="rotated", rx=45, rz=-30).label == "rotated-x45-z-30"
    assert View(name="iso").words == "isometric view"
    assert "30° about z" in View(name="rotated", rz=30).words


def test_refine_redraws_for_raster_failures_only():
    spec = plate()
    raster = [Verdict(verifier="cad.sheet.labels", passed=False)]
    changed, words = spec.refine(raster, 1)
    assert changed.drawing.font_px > spec.drawing.font_px and "larger" in words
    assert spec.refine([Verdict(verifier="cad.part", passed=False)], 1) is None
    assert spec.refine(raster, 9) is None


def test_spec_module_does_not_import_cadquery():
    code = "import sys, ivlu_agent.tools.cad.spec, ivlu_agent.tools.cad.rule; print('cadquery' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
