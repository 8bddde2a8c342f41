"""Issue 12: each follow-up is a typed edit of the figure so far (planning/edits.py, rework.py). Planner level,
with the real worker for compound facts; what an edit does not name is returned unchanged."""

from __future__ import annotations

import pytest

from ivlu_agent.errors import IvluError, NeedsInput
from ivlu_agent.planning.faithful import check_plan
from ivlu_agent.planning.symbolic import SymbolicPlanner


@pytest.fixture(scope="module")
def planner(workers):
    return SymbolicPlanner(describe=lambda s: workers.call("ivlu_agent.tools.common.chem:describe", s), call=workers.call)


def turns(planner, *requests, answers=None):
    """Plan each request on top of the one before (a thread); the last plan, checked for faithfulness."""
    history, plan = [], None
    for request in requests:
        plan = planner.plan(request, [], history, answers=answers or {})
        assert check_plan(request, plan.steps, plan.unhonoured, plan.accounted).passed, (request, plan.accounted)
        history = [{"request": request, "plan": plan.model_dump(mode="json")}]
    return plan


def lines(plan):
    return [s.read_back() for s in plan.steps]


def test_replace_inside_a_step_keeps_its_kind(planner):
    plan = turns(planner, "acetic acid + ethanol ->[H2SO4] ethyl acetate + water", "use HCl instead of H2SO4")
    assert lines(plan) == ["reaction: acetic acid + ethanol → ethyl acetate + water, over the arrow: HCl"]
    plan = turns(planner, "food chain: grass → rabbit → fox", "swap the rabbit for a mouse")
    assert "grass → mouse → fox" in lines(plan)[0]
    plan = turns(planner, "a ball-and-stick model of ethanol", "replace ethanol with methanol")
    assert plan.steps[0].kind == "model3d" and "methanol" in lines(plan)[0]


def test_add_more_of_the_same_kind_and_its(planner):
    plan = turns(planner, "a ball-and-stick model of methane", "also do ammonia")
    assert [s.kind for s in plan.steps] == ["model3d", "model3d"]
    plan = turns(planner, "draw water", "also draw its Lewis structure")
    assert [s.kind for s in plan.steps] == ["molecule", "lewis"] and "water" in lines(plan)[1]


def test_a_new_request_without_also_starts_a_new_figure(planner):
    plan = turns(planner, "draw caffeine", "draw benzene")
    assert lines(plan) == ["benzene (C6H6)"]


def test_node_inserted_into_a_chain_and_a_tree(planner):
    plan = turns(planner, "food chain: grass → rabbit → fox", "add an eagle after the fox")
    assert "grass → rabbit → fox → eagle" in lines(plan)[0]
    plan = turns(planner, "org chart: CEO at the top, CTO and CFO report to the CEO", "add a COO reporting to the CEO")
    assert "CEO → COO" in lines(plan)[0] and len(plan.steps) == 1


def test_settings_ranges_measures(planner):
    plan = turns(planner, "a poster titled 'Quantum Dots' with subtitle 'Size-tunable light'",
                 "change the subtitle to 'Bright and tunable'")
    assert "subtitle 'Bright and tunable'" in lines(plan)[0]
    plan = turns(planner, "plot e^(-x) from 0 to 5", "make it go from 0 to 10")
    assert "x from 0 to 10" in lines(plan)[0]
    plan = turns(planner, "front and top views of a 100x60x10 mm plate with two 6 mm holes 40 mm apart",
                 "make the plate 12 mm thick")
    assert plan.steps[0].part.height == 12 and "100 × 60 × 12 mm" in plan.steps[0].caption()


def test_sizes_and_bond_weight_show_in_the_read_back(planner):
    plan = turns(planner, "draw caffeine and write E = mc^2", "make all panels 1200 px", "thicker bonds")
    assert lines(plan)[0].endswith("1200 px, bond width 3 px (thicker)") and lines(plan)[1].endswith("1200 px")
    plan = turns(planner, "draw caffeine", "make it bigger")
    assert lines(plan) == ["caffeine (C8H10N4O2); 900 px"] and any("1.5×" in n for n in plan.notes)


def test_remove_by_a_word_of_the_name_and_refuse_what_is_not_there(planner):
    plan = turns(planner, "draw cis-but-2-ene and trans-but-2-ene", "remove the cis one")
    assert [s.name for s in plan.steps] == ["trans-but-2-ene"]
    with pytest.raises(IvluError, match="There is no benzene in the figure"):
        turns(planner, "draw caffeine", "remove the benzene")


def test_a_hole_size_with_no_value_is_asked_then_answered(planner):
    part = "front and top views of a 60x40x8 mm plate with two 6 mm holes 40 mm apart"
    with pytest.raises(NeedsInput) as asked:
        turns(planner, part, "make the holes bigger")
    assert asked.value.options == ["9 mm", "12 mm", "7.5 mm"]
    plan = turns(planner, part, "make the holes bigger", answers={asked.value.key: "2"})
    assert {f.diameter for f in plan.steps[0].features} == {12.0}


def test_answers_mean_the_proposal_they_name():
    question = NeedsInput("which one?", ["o-xylene", "m-xylene", "p-xylene"], phrase="xylene", mode="replace")
    assert [question.resolve(a) for a in ("2", "para", "the first one", "P-Xylene", "my own")] == \
        ["m-xylene", "p-xylene", "o-xylene", "p-xylene", "my own"]
    assert question.amend("draw xylene please", "p-xylene") == "draw p-xylene please"


def test_recolour_and_ranges_and_values_in_the_same_unit(planner):
    plan = turns(planner, "draw aspirin and highlight the carbonyl groups in red", "now make them blue")
    assert lines(plan) == ["aspirin (C9H8O4), carbonyl groups highlighted in blue"]
    plan = turns(planner, "plot sin(x)/x", "change the range to 0 to 20")
    assert "x from 0 to 20" in lines(plan)[0]
    plan = turns(planner, "ethylene + water ->[H3PO4 / 300 °C, 60 atm] ethanol", "change the temperature to 250 °C")
    assert "250 °C" in lines(plan)[0] and "300" not in lines(plan)[0]


def test_panels_named_by_their_kind_and_additions_planned_without_also(planner):
    plan = turns(planner, "draw dopamine and a ball-and-stick model of water", "get rid of the 3D model")
    assert [s.kind for s in plan.steps] == ["molecule"]
    plan = turns(planner, "plot sin(x)/x", "also plot x^2 from -3 to 3")
    assert [s.read_back() for s in plan.steps][1] == "plot of y = x^2, x from -3 to 3"


def test_words_an_edit_cannot_place_are_refused_not_absorbed(planner):
    """'make it pop' once became a state 'pop' of a traffic light, and was certified: it must be refused."""
    with pytest.raises(IvluError, match="could not apply 'make it pop'"):
        turns(planner, "a state machine for a traffic light: red -> green -> amber -> red", "make it pop")
    with pytest.raises(IvluError, match="no left view to drop"):
        turns(planner, "front, top and right views of a 60x40x10 mm plate with two 8 mm holes 40 mm apart",
              "drop the left view")


def test_a_step_put_into_a_list_of_steps(planner):
    plan = turns(planner, "a flowchart for making tea: boil water, add tea bag, add milk", "add 'stir' after the milk")
    assert lines(plan)[0].endswith("add tea bag → add milk → stir")


def test_an_item_taken_out_of_a_step_and_a_chart_retyped(planner):
    plan = turns(planner, "a flowchart for making tea: boil water, add tea bag, add milk, serve", "remove the tea bag step")
    assert lines(plan)[0].endswith("boil water → add milk → serve")
    plan = turns(planner, "plot sin(x), cos(x) and tan(x) from 0 to 3", "drop the cos(x) curve")
    assert "cos" not in lines(plan)[0] and "tan(x)" in lines(plan)[0]
    plan = turns(planner, "a bar chart of sales: 2019 3, 2020 5, 2021 4", "make it a line chart")
    assert lines(plan)[0].startswith("line chart of Sales")


def test_a_data_point_added_or_asked_for(planner):
    plan = turns(planner, "a bar chart of sales: 2019 3, 2020 5, 2021 4", "add 2022 6")
    assert lines(plan)[0].endswith("2021 4, 2022 6")
    with pytest.raises(NeedsInput) as asked:
        turns(planner, "a bar chart of sales: 2019 3, 2020 5, 2021 4", "add 2024")
    assert asked.value.question == "What value does 2024 have?" and asked.value.options == []
    plan = turns(planner, "a bar chart of sales: 2019 3, 2020 5, 2021 4", "add 2024", answers={asked.value.key: "7"})
    assert lines(plan)[0].endswith("2021 4, 2024 7")


def test_more_ways_people_say_edits(planner):
    plan = turns(planner, "methanol + benzoic acid -> methyl benzoate + water", "write H2SO4 above the arrow",
                 "and 'reflux' under it")
    assert lines(plan) == ["reaction: methanol + benzoic acid → methyl benzoate + water, over the arrow: H2SO4, "
                           "under the arrow: reflux"]
    plan = turns(planner, "draw camphor and menthol", "put borneol where the camphor is", "ok, the menthol can go")
    assert [s.name for s in plan.steps] == ["borneol"]
    plan = turns(planner, "draw dopamine and serotonin, highlight the amine groups",
                 "can the amine highlights be blue instead", "bump every panel up to 900 px")
    assert all(line.endswith("amine groups highlighted in blue; 900 px") for line in lines(plan))
    plan = turns(planner, "front and top views of a 40 mm cube", "tilt it 30 degrees around the y axis")
    assert [v.label for v in plan.steps[0].views] == ["front", "top", "rotated-y30"]


def test_features_added_to_a_part_ask_where_they_go(planner):
    part = "front and top views of a 100x60x10 mm plate"
    with pytest.raises(NeedsInput) as asked:
        turns(planner, part, "put three 6 mm holes in it")
    plan = turns(planner, part, "put three 6 mm holes in it", answers={asked.value.key: "in a row"})
    (step,) = plan.steps
    assert [f.diameter for f in step.features] == [6.0, 6.0, 6.0] and [v.label for v in step.views] == ["front", "top"]


def test_one_end_of_a_range_and_a_node_described_in_a_sentence(planner):
    plan = turns(planner, "plot cos(x) from 0 to 2pi", "plot it out to 4π instead")
    assert lines(plan) == ["plot of y = cos(x), x from 0 to 12.5664"]
    plan = turns(planner, "org chart: Head at the top, Deputy Head and Bursar report to the Head",
                 "a Head of Science reports to the Deputy Head")
    assert lines(plan)[0].endswith("Deputy Head → Head of Science")
