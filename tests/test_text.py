"""The text kind end to end: planner rule, the real graph and workers, and `ivlu verify --text`."""

import json

import pytest

from ivlu_agent.cli import main
from ivlu_agent.errors import IvluError
from ivlu_agent.planning.symbolic import SymbolicPlanner


@pytest.fixture(scope="module")
def planner(workers):
    return SymbolicPlanner(describe=lambda s: workers.call("ivlu_agent.tools.common.chem:describe", s), call=workers.call)


def test_poster_end_to_end(agent, tmp_path):
    result = agent.run("a poster titled 'Photosynthesis' with subtitle 'How plants make sugar'",
                       out=tmp_path / "out")
    assert result.status == "verified", [v.message for s in result.steps for v in s.verdicts]
    (step,) = result.steps
    assert step.spec["heading"] == "Photosynthesis" and step.spec["subheading"] == "How plants make sugar"
    ocr = next(v for v in step.verdicts if v.verifier == "text.ocr")
    read = [s["text"] for s in ocr.details["strings"] if s["read"]]
    assert read == ["Photosynthesis", "How plants make sugar"]
    assert ocr.details["word_accuracy"] == 1.0 and ocr.details["ned"] == 0.0
    assert (tmp_path / "out" / "panels" / "s1-main.png").is_file()


def test_layouts_and_roles(planner):
    label, panel = planner.plan("a label 'Mitochondrion'; a panel titled 'Key facts' with text 'Don't panic. "
                                "It's 42.'", [], []).steps
    assert (label.layout, label.heading) == ("label", "Mitochondrion")
    assert (panel.layout, panel.heading, panel.body) == ("panel", "Key facts", "Don't panic. It's 42.")


def test_chinese_poster_and_mixed_request(planner):
    plan = planner.plan("海报，标题「光合作用」，副标题「植物如何制造糖」 and the quadratic formula", [], [])
    poster, formula = plan.steps
    assert (poster.heading, poster.subheading) == ("光合作用", "植物如何制造糖")
    assert formula.kind == "equation"


def test_too_long_for_any_canvas(planner):
    with pytest.raises(IvluError, match="too long for any canvas"):
        planner.plan("a poster titled '" + "word " * 60 + "'", [], [])
    with pytest.raises(IvluError, match="does not fit"):
        planner.plan("a 400x200 poster titled 'T' with text '" + "lorem ipsum " * 100 + "'", [], [])


def test_cli(tmp_path, capsys):
    from ivlu_agent.tools.text.render import render_text

    png = tmp_path / "label.png"
    out = render_text({"kind": "text", "layout": "label", "heading": "Mitochondrion"})
    png.write_bytes(out["files"][0]["data"])
    assert main(["verify", str(png), "--text", "Mitochondrion", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdicts"][0]["details"]["word_accuracy"] == 1.0
    assert main(["verify", str(png), "--text", "Mitochondria"]) == 1
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    assert main(["verify", str(broken), "--text", "x"]) == 2
    assert main(["--home", str(tmp_path / "h"), "run", "a poster titled '" + "word " * 60 + "'"]) == 2
    assert "too long for any canvas" in capsys.readouterr().err


def test_text_after_a_layout_word_and_a_colon_is_the_exact_text(planner):
    (banner,) = planner.plan("a banner for our conference: ICMS 2026, Lisbon, 3-5 June", [], []).steps
    assert (banner.layout, banner.heading) == ("poster", "ICMS 2026, Lisbon, 3-5 June")
    (slide,) = planner.plan("A slide title that says 'Results' with the subtitle 'Yield and purity'", [], []).steps
    assert (slide.heading, slide.subheading) == ("Results", "Yield and purity")
