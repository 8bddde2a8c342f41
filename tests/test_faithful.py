"""plan.faithful: a run is certified only when its plan accounts for every word and number of the request."""

import json

from conftest import ivlu

from ivlu_agent.planning.faithful import account


def test_words_and_numbers_left_over_are_named():
    verdict = account("a plate 60 x 40 with a keyway", ["cad", "plate", "60", "40"], {"with", "x"})
    assert not verdict.passed and verdict.details["not_understood"] == ["keyway"]
    assert "not understood: keyway" in verdict.message
    numbers = account("bars of 3, 5 and 7", ["bar", "3", "5"], set())
    assert not numbers.passed and numbers.details["numbers_unused"] == ["7"]
    assert account("two holes", ["hole", "2"], set()).passed and not account("three holes", ["hole", "2"], set()).passed
    assert account("E = mc^2", ["E = m c^{2}"], set()).passed  # mc is m times c


def test_a_request_understood_in_part_cannot_end_verified(agent):
    result = agent.run("E = mc^2 under a poster heading 'Relativity 101'")
    assert [s.status for s in result.steps] == ["verified", "verified"]  # both panels are fine …
    assert result.status == "unverified" and result.exit_code == 1  # … but they are side by side, not stacked
    assert not result.faithful.passed and result.faithful.details["not_understood"] == ["under"]


def test_every_word_accounted_for_keeps_the_certificate(agent):
    result = agent.run("please draw caffeine and aspirin for my lecture, highlight the methyl groups in red")
    assert result.status == "verified" and result.faithful.passed


def test_the_cli_names_what_it_did_not_understand(tmp_path):
    run = ivlu("run", "a 60x40x8 mm plate with two 6 mm holes 40 mm apart and a keyway", "--out",
               str(tmp_path / "out"), home=tmp_path / "home")
    assert run.returncode == 1, run.stderr
    assert "plan.faithful: not understood: keyway" in run.stdout
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert result["status"] == "unverified" and result["faithful"]["not_understood"] == ["keyway"]
    assert "**Faithfulness:** ❌ not understood: keyway" in (tmp_path / "out" / "report.md").read_text()


def test_an_unknown_word_does_not_stop_the_request_but_keeps_it_unverified(agent):
    result = agent.run("draw caffeine and unobtainium")  # it used to be refused; now the rest is drawn
    assert [s.title for s in result.steps] == ["caffeine"] and result.steps[0].status == "verified"
    assert result.status == "unverified" and result.faithful.details["not_understood"] == ["unobtainium"]
    elephant = agent.run("draw caffeine and a purple elephant")
    assert elephant.status == "unverified" and elephant.faithful.details["not_understood"] == ["purple", "elephant"]


def test_a_rule_cannot_swallow_other_requests_into_a_title(agent):
    """A chart's subject is what it is 'of', so the poster and the structure asked for in the same sentence
    are their own steps, not the chart's title; the poster 'with' them is drawn beside them, which the
    certificate names."""
    result = agent.run("Make a poster titled 'Caffeine' with the structure of caffeine and a bar chart of caffeine "
                       "per drink: coffee 95 mg, tea 47 mg, cola 34 mg.")
    assert result.status != "verified" and not result.faithful.passed
    assert [s.kind for s in result.steps] == ["text", "molecule", "plot"]  # every part planned …
    assert any(w.startswith("with (") for w in result.faithful.details["not_understood"])  # … not the nesting


def test_an_arrangement_the_figure_does_not_honour_is_not_filler(agent):
    """Panels are composed side by side; 'below it' asks for something else, so the run is not certified."""
    result = agent.run("A poster heading 'Enzyme kinetics' and below it the Michaelis-Menten equation")
    assert [s.status for s in result.steps] == ["verified", "verified"]
    assert result.status == "unverified" and result.faithful.details["not_understood"] == ["below"]
    assert agent.run("draw caffeine and aspirin side by side").status == "verified"


def test_sub_and_superscript_digits_are_numbers_not_a_crash():
    """The third held-out set found 'ln[A]₀' crashing the check with a ValueError: '₀' is a digit to str.isdigit
    but not to float()."""
    verdict = account("ln[A] = ln[A]₀ − kt and E = mc²", ["ln A", "0", "kt", "E = m c^{2}"], set())
    assert verdict.passed, verdict.message


def test_a_locant_in_a_synonym_is_no_count_but_a_written_name_is_whole():
    # caffeine's synonym '1,3,7-trimethylxanthine' must not account for the 'three' of 'three molecules'
    evidence = ["molecule", "caffeine", "1,3,7-trimethylxanthine", "aspirin"]
    verdict = account("draw three molecules: caffeine and aspirin", evidence, {"draw", "molecules"})
    assert not verdict.passed and verdict.details["numbers_unused"] == ["three"]
    verdict = account("draw 1,3,7-trimethylxanthine", evidence, {"draw"})
    assert verdict.passed, verdict.message


def test_a_formula_glossing_a_drawn_compound_is_accounted_for():
    assert account("draw methanol, CH3OH", ["molecule", "methanol", "CH4O"], {"draw"}).passed
    assert not account("draw methanol, C2H6O", ["molecule", "methanol", "CH4O"], {"draw"}).passed
