"""The CAD planner rule: the issue's example requests, missing sizes named (never guessed), bad input."""

import pytest

from ivlu_agent.errors import IvluError
from ivlu_agent.planning.symbolic import SymbolicPlanner
from ivlu_agent.tools.cad.rule import CadRule, plan_part, view_from_text


def no_describe(smiles):
    raise AssertionError(f"a CAD request must not reach the chemistry tools ({smiles!r})")


@pytest.fixture
def planner():
    return SymbolicPlanner(describe=no_describe)


def test_plate_with_two_holes(planner):
    plan = planner.plan("a 60×40×8 mm plate with two 6 mm holes 40 mm apart, front top and right views", [], [])
    (step,) = plan.steps
    assert step.kind == "cad" and step.part.model_dump() == {"shape": "box", "length": 60, "width": 40, "height": 8}
    assert [(f.type, f.face, f.at, f.diameter, f.depth) for f in step.features] == [
        ("hole", "top", (-20, 0), 6, None), ("hole", "top", (20, 0), 6, None)]
    assert [v.label for v in step.views] == ["front", "top", "right"]
    assert step.name == "60 × 40 × 8 mm plate with 2 × Ø6 mm through hole"
    assert step.caption() == "60 × 40 × 8 mm plate, 2 holes"


def test_l_bracket_with_a_hole_in_each_leg(planner):
    plan = planner.plan("an L bracket 50 by 30 by 5 with a 5 mm hole in each leg", [], [])
    (step,) = plan.steps
    assert step.part.model_dump() == {"shape": "l_bracket", "length": 50, "width": 30, "height": 50, "thickness": 5}
    assert sorted(f.face for f in step.features) == ["base", "upright"]
    assert any("equal legs" in note for note in plan.notes)  # the reading is said, not hidden


def test_cylinder_with_an_axial_hole(planner):
    (step,) = planner.plan("cylinder diameter 20 height 30 with an axial 6 mm hole, front and top views", [], []).steps
    assert step.part.model_dump() == {"shape": "cylinder", "diameter": 20, "height": 30}
    assert [(f.face, f.at, f.diameter) for f in step.features] == [("top", (0, 0), 6)]
    assert [v.label for v in step.views] == ["front", "top"]


def test_rotation_follow_up_on_a_thread_adds_a_view_and_keeps_the_others(planner):
    """Issue 12: 'rotate it 45° about x' left only the rotated view; the views drawn before stay."""
    first = planner.plan("cylinder diameter 20 height 30 with an axial 6 mm hole", [], [])
    drawn = [v.label for v in first.steps[0].views]
    history = [{"plan": first.model_dump(mode="json")}]
    (step,) = planner.plan("rotate it 45° about x", [], history).steps
    assert [v.label for v in step.views] == [*drawn, "rotated-x45"]
    assert step.part == first.steps[0].part
    (step,) = planner.plan("show the bracket rotated 30° about z", [], history).steps
    assert [v.label for v in step.views] == [*drawn, "rotated-z30"]
    (step,) = planner.plan("now the left and back views in third angle", [], history).steps
    assert [v.label for v in step.views] == [*drawn, "left", "back"] and step.projection == "third"
    (step,) = planner.plan("only the left view", [], history).steps
    assert [v.label for v in step.views] == ["left"]


def test_rotation_later_in_the_same_request_adds_a_view(planner):
    plan = planner.plan("a 60x40x8 mm plate with two 6 mm holes 40 mm apart, front and top views; "
                        "then show it rotated 30° about z", [], [])
    (step,) = plan.steps
    assert [v.label for v in step.views] == ["front", "top", "rotated-z30"] and step.id == "s1"
    plan = planner.plan("a cylinder diameter 20 height 30, then a 60x40x8 plate; show the left views", [], [])
    assert [[v.label for v in s.views] for s in plan.steps] == [["front", "top", "right", "iso", "left"]] * 2


def test_more_parts_and_features():
    spec = plan_part("a 100 x 60 x 10 plate with a 20 x 10 x 3 pocket at (20, 10) and a 12 mm boss 6 high at "
                     "(-25, 0), all six views")
    assert [(f.type, f.at) for f in spec.features] == [("pocket", (20, 10)), ("boss", (-25, 0))]
    assert len(spec.views) == 6
    spec = plan_part("a 80 x 50 x 20 block with four 6 mm holes counterbored 10 x 4 deep on a 30 mm bolt circle, "
                     "a 20 x 6 slot at (25, -15), 3 mm fillets, third angle")
    assert [f.type for f in spec.features] == ["counterbore"] * 4 + ["slot", "fillet"]
    assert spec.features[0].at == (15, 0) and spec.features[4].at == (25, -15) and spec.projection == "third"
    assert plan_part("tube outer diameter 30 inner diameter 20 length 40").part.inner_diameter == 20
    hexagon = plan_part("hex prism 20 across flats, 10 high, isometric view")
    ys = [p[1] for p in hexagon.part.points]
    assert max(ys) - min(ys) == pytest.approx(20) and hexagon.part.height == 10
    assert [v.label for v in plan_part("a 60x40x8 plate, show it rotated 30° about z").views] == ["rotated-z30"]


@pytest.mark.parametrize("request_, message", [
    ("a plate with two 6 mm holes", "length and width and thickness are missing"),
    ("a 60x40 mm plate", "thickness is missing (I read length 60, width 40 mm)"),
    ("cylinder diameter 20", "height is missing"),
    ("a 60x40x8 plate with two holes 40 mm apart", "hole diameter is missing"),
    ("a 60x40x8 plate with two 6 mm holes", "Where do the 2 holes go?"),  # no convention: asked (NeedsInput)
    ("a 60x40x8 plate with 6 mm holes on a 30 mm bolt circle", "number of holes is missing"),
    ("a 60x40x8 plate with a 20 x 10 pocket", "pocket's depth is missing"),
    ("cylinder 20 x 30", "does not say which size is the diameter"),
    ("a 60x40x8 plate with a 6 mm hole 12", "could not tell what 12 means"),
])
def test_missing_sizes_are_named_not_invented(request_, message):
    with pytest.raises(IvluError) as err:
        plan_part(request_)
    assert message in err.value.problem


@pytest.mark.parametrize("request_, message", [
    ("a 60x40x8 plate, diagonal view", "Unknown view 'diagonal'"),
    ("a 60x40x8 plate rotated abc° about z", "The angle 'abc' is not a number"),
    ("a 60x40x8 plate rotated forty-five degrees about x", "is not a number"),
    ("a 1e9 mm x 40 x 8 plate", "out of range"),
    ("a 60x40x8 plate with 10,000 6 mm holes 1 mm apart", "10000 holes"),
    ("a 60x40x8 plate with a 50 mm hole", "wider than the top face"),
    ("a 60x40x8 plate with a 6 mm hole at (40, 0)", "falls outside the top face"),
    ("a -5 x 40 x 8 plate", "out of range"),
    ("a 60x40x8 plate with a 6 mm hole 9 deep", "9 mm deep but the part is 8 mm thick"),
])
def test_bad_requests_say_what_is_wrong(planner, request_, message):
    with pytest.raises(IvluError) as err:
        planner.plan(request_, [], [])
    assert message in str(err.value)


def test_claims_new_parts_not_references():
    rule = CadRule()
    assert rule.claims("a 60x40x8 mm plate with two 6 mm holes 40 mm apart")
    assert rule.claims("a plate with two holes")  # to say what is missing
    assert not rule.claims("show the bracket rotated 30° about z")
    assert not rule.claims("draw caffeine")
    for other_kind in ("bar chart of 2019–2023 sales 3, 5, 4, 6, 8", "a box plot of 1, 2, 3",
                       "a poster titled 'Block party 2024'", "the pin diagram of a 555 timer with 8 pins"):
        assert not rule.claims(other_kind), other_kind
    assert rule.owns("cylinder diameter 20 height 30 with an axial 6 mm hole, front and top views")
    assert not rule.owns("a 60x40x8 plate and caffeine")


def test_unknown_words_are_reported():
    notes = []
    plan_part("a 60x40x8 mm plate with two 6 mm holes 40 mm apart and a keyway", notes)
    assert "ignored words: keyway" in notes


def test_view_names_for_the_command_line():
    assert view_from_text("front").label == "front"
    assert view_from_text("isometric").label == "iso"
    assert view_from_text("rotated-x45-z-30").label == "rotated-x45-z-30"
    assert view_from_text("rotated 30° about z").label == "rotated-z30"
    with pytest.raises(IvluError, match="Unknown view"):
        view_from_text("diagonal")
    with pytest.raises(IvluError, match="not a number"):
        view_from_text("rotated x about z")


def test_a_lone_feature_is_centred_and_the_plan_says_so():
    notes: list[str] = []
    spec = plan_part("a 60x40x8 mm plate with a 6 mm hole and a 10 x 4 slot at (20, 10)", notes)
    assert [(f.type, f.at) for f in spec.features] == [("hole", (0, 0)), ("slot", (20, 10))]
    assert notes == ["the hole is centred on the top face (no position was given; say 'at (x, y)' to place it)"]
    notes = []
    plan_part("cylinder diameter 20 height 30 with an axial 6 mm hole", notes)  # 'axial' places it
    assert notes == []
    with pytest.raises(IvluError, match=r"thickness is missing \(I read length 50, width 30 mm\)"):
        plan_part("an L bracket 50 by 30")


def test_drafting_conventions_fill_what_the_words_leave_open_and_say_so():
    notes: list[str] = []
    spec = plan_part("Front and top views of an 80x50x10 mm plate with four 8 mm holes", notes)
    assert sorted(f.at for f in spec.features) == [(-28, -13), (-28, 13), (28, -13), (28, 13)]  # 1.5 d in
    assert notes == ["the four holes go at the corners, 12 mm in from each edge (1.5 × their 8 mm diameter; "
                     "say 'N mm from the edges' to choose)"]
    inset = plan_part("an 80x50x10 mm plate with four 8 mm holes 10 mm from the edges", [])
    assert sorted(f.at for f in inset.features)[0] == (-30, -15)
    row: list[str] = []
    spaced = plan_part("a 100 x 40 x 5 mm plate with four 6 mm holes in a row", row)
    assert [f.at for f in spaced.features] == [(-37.5, 0), (-12.5, 0), (12.5, 0), (37.5, 0)]
    assert row == ["the 4 holes are evenly spaced in a row along the 100 mm side, 25 mm apart"]
    middle: list[str] = []
    assert plan_part("a 60x40x8 plate with a 6 mm hole through the centre", middle).features[0].at == (0, 0)
    assert middle == []  # 'through the centre' says where it goes: no convention


def test_strict_refuses_instead_of_assuming():
    with pytest.raises(IvluError, match="Where the four holes go is not given") as e:
        plan_part("an 80x50x10 mm plate with four 8 mm holes", [], strict=True)
    assert len(str(e.value).splitlines()) <= 4
    with pytest.raises(IvluError, match="upright leg height is not given"):
        plan_part("an L bracket 50 by 30 by 5 with a 5 mm hole in each leg", [], strict=True)
    assert plan_part("an 80x50x10 mm plate with two 8 mm holes 40 mm apart", [], strict=True).features
