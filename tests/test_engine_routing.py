"""The model planner's validation, retries and fallback, and hybrid routing.

The model's TEXT is a scripted test double here (`ScriptedModel`: fixed thoughts and JSON plans);
everything else is real: pydantic specs, the symbolic planner, RDKit in worker processes, OCR.
The end-to-end test with the real model classes is tests/test_engine_e2e.py.
"""

from __future__ import annotations

import json

import pytest

from ivlu_agent.errors import IvluError
from ivlu_agent.planning.model import ModelPlanner, model_schema
from ivlu_agent.planning.routing import route
from ivlu_agent.planning.symbolic import SymbolicPlanner
from ivlu_agent.tools import Plan
from ivlu_agent.tools.generate.spec import GenerateSpec
from ivlu_agent.tools.molecule.spec import MoleculeSpec
from ivlu_agent.types import Verdict

CAFFEINE = "Cn1c(=O)c2c(ncn2C)n(C)c1=O"
IMAGE = "objects/ab/" + "a" * 64 + ".png"


class ScriptedModel:
    """Stands in for the model's text only: `think` returns fixed words, `write_json` the next plan."""

    def __init__(self, *plans: dict, thoughts: str = "Two panels: a molecule and a cartoon.",
                 readback: dict | None = None):
        self.plans, self.thoughts, self.prompts = list(plans), thoughts, []
        self.readback = readback or {"matches": True, "missing": []}  # the read-back judge's answer

    def think(self, prompt, images, max_new_tokens):
        self.prompts.append(prompt)
        return self.thoughts

    def write_json(self, prompt, images, prefix, schema, max_tokens):
        self.prompts.append(prompt)
        if prefix.startswith("Answer (JSON)"):
            return {"value": self.readback, "text": json.dumps(self.readback), "tokens": 0, "seconds": 0.0}
        assert prefix.startswith(self.thoughts) and prefix.rstrip().endswith("Plan (JSON):")
        value = self.plans.pop(0)
        return {"value": value, "text": json.dumps(value), "tokens": 0, "seconds": 0.0}


@pytest.fixture
def planner_for(workers):
    describe = lambda smiles: workers.call("ivlu_agent.tools.common.chem:describe", smiles, timeout_s=30)

    def make(*plans, prefer="exact", **kw):
        model = ScriptedModel(*plans, **kw)
        symbolic = SymbolicPlanner(describe=describe, call=workers.call)
        return ModelPlanner(model, symbolic, describe=describe, prefer=prefer, max_refinements=2,
                            size=64, steps=2, store_root="/store"), model

    return make


def molecule(name="caffeine", smiles=CAFFEINE):
    return {"kind": "molecule", "name": name, "smiles": smiles}


def test_a_valid_model_plan_is_kept_with_its_thinking(planner_for):
    planner, _ = planner_for({"steps": [molecule(), {"kind": "generate", "prompt": "a cat reading a paper",
                                                     "text": ["Quantum"], "rubric": [{"question": "Is there a cat?"}]}]})
    plan = planner.plan("draw caffeine and a cat holding a sign that says Quantum", [], [])
    assert plan.planner == "internvlu"
    caffeine, cat = plan.steps
    assert caffeine.kind == "molecule" and caffeine.formula == "C8H10N4O2" and caffeine.inchikey
    assert cat.kind == "generate" and cat.width == 64 and cat.steps == 2 and cat.head_attempts == 3
    assert "Two panels" in plan.reasoning and "→ accepted" in plan.reasoning


def test_a_wrong_smiles_is_fed_back_and_the_retry_is_accepted(planner_for):
    planner, model = planner_for({"steps": [molecule(smiles="CCO")]}, {"steps": [molecule()]})
    plan = planner.plan("draw caffeine", [], [])
    assert plan.planner == "internvlu" and plan.steps[0].smiles == CAFFEINE
    assert "CCO is not caffeine; the SMILES of caffeine is" in model.prompts[-2]  # the last is the read-back judge
    assert [a["accepted"] for a in planner.last["attempts"]] == [False, True]


@pytest.mark.parametrize("bad, why", [
    ({"steps": [molecule(smiles="C1CC")]}, "does not parse"),
    ({"steps": [molecule(name="caffeinne")]}, "unknown compound 'caffeinne' (did you mean caffeine?)"),
    ({"steps": [{"kind": "generate", "prompt": "a cup"}]}, "names caffeine, which no step draws"),
    ({"steps": [{"kind": "generate", "prompt": "caffeine", "text": ["Quantun"]}]}, "not in the request"),
    ({"steps": [{"kind": "molecule", "smiles": CAFFEINE, "colour": "red"}]}, "Extra inputs are not permitted"),
])
def test_invalid_plans_are_rejected_with_a_reason(planner_for, bad, why):
    planner, _ = planner_for()
    with pytest.raises(ValueError) as e:
        planner.validate(bad, "draw caffeine", {})
    assert why in str(e.value)


def test_when_every_model_plan_fails_the_symbolic_planner_takes_over_visibly(planner_for):
    bad = {"steps": [molecule(smiles="C1CC")]}
    planner, _ = planner_for(bad, bad, bad)
    plan = planner.plan("draw caffeine", [], [])
    assert plan.planner == "symbolic" and plan.steps[0].kind == "molecule"
    assert plan.notes[0].startswith("planner fallback: the model's 3 plan(s) failed validation")
    assert "Fallback: symbolic planner." in plan.reasoning and plan.reasoning.count("→ rejected") == 3


def test_open_imagery_the_rules_cannot_plan_becomes_one_generate_step(planner_for):
    bad = {"steps": [molecule(smiles="C1CC")]}
    planner, _ = planner_for(bad, bad, bad)
    plan = planner.plan("a corgi surfing a wave at sunset", [], [])
    (step,) = plan.steps
    assert plan.planner == "default" and step.kind == "generate" and step.prompt.startswith("a corgi")
    assert step.rubric[0].question.startswith("Does the image show a corgi")


def test_an_edit_of_the_previous_neural_image_resolves_to_its_store_path(planner_for):
    history = [{"turn": 1, "request": "a corgi", "figure": None,
                "plan": {"steps": [{"id": "s1", "kind": "generate", "prompt": "a corgi"}]},
                "results": {"s1": {"kind": "generate", "attempts": [{"artifacts": [
                    {"name": "main.png", "path": IMAGE, "sha256": "a" * 64, "mime": "image/png"}]}]}}}]
    edit = {"kind": "edit", "source": "previous s1", "instruction": "make the sky purple"}
    planner, model = planner_for({"steps": [edit]})
    assert model_schema(planner.sources([], history))["$defs"]["EditSpec"]["properties"]["source"] == \
        {"enum": ["previous s1"]}
    plan = planner.plan("now make the sky purple", [], history)
    assert plan.steps[0].kind == "edit" and plan.steps[0].source == IMAGE
    assert "previous s1" in model.prompts[0]


def test_model_schema_hides_what_code_fills_and_tightens_bounds():
    schema = model_schema({})
    defs = schema["$defs"]
    assert "reasoning" not in schema["properties"] and schema["properties"]["steps"]["maxItems"] == 4
    assert "EditSpec" not in json.dumps(schema["properties"])  # nothing to edit: no edit kind
    assert {"id", "depends_on", "inchikey", "formula", "depiction"}.isdisjoint(defs["MoleculeSpec"]["properties"])
    assert list(defs["MoleculeSpec"]["properties"])[:3] == ["kind", "name", "smiles"]
    assert defs["GenerateSpec"]["properties"]["prompt"]["maxLength"] == 400
    assert {"fallback", "seed", "retouch"}.isdisjoint(defs["GenerateSpec"]["properties"])


# -- routing ---------------------------------------------------------------------------------------


@pytest.fixture
def symbolic(workers):
    return SymbolicPlanner(describe=lambda s: workers.call("ivlu_agent.tools.common.chem:describe", s, timeout_s=30),
                           call=workers.call)


def test_exact_routing_sends_structured_content_to_exact_renderers(symbolic):
    plan = Plan(steps=[GenerateSpec(prompt="the structure of aspirin"), GenerateSpec(prompt="a corgi surfing")])
    routed, notes = route(plan, "exact", symbolic, head_attempts=2, size=64, steps=2)
    aspirin, corgi = routed.steps
    assert aspirin.kind == "molecule" and aspirin.name == "aspirin"
    assert corgi.kind == "generate" and corgi.head_attempts == 2 and corgi.width == 64
    assert "exact molecule renderer" in notes[0]


def test_native_routing_gives_the_head_every_step_with_the_exact_spec_as_fallback(symbolic):
    plan = symbolic.plan("draw caffeine", [], [])
    routed, notes = route(plan, "native", symbolic)
    (step,) = routed.steps
    assert step.kind == "generate" and step.fallback["kind"] == "molecule"
    assert "skeletal formula of caffeine (C8H10N4O2)" in step.prompt
    assert [p.question for p in step.rubric] == ["Does the image show a chemical structure diagram?",
                                                 "Is the structure caffeine?"]
    assert step.fallback_spec().smiles == CAFFEINE and "prefer native" in notes[0]
    with pytest.raises(IvluError, match="Unknown preference"):
        route(plan, "fastest", symbolic)


# -- refinement of neural steps --------------------------------------------------------------------


def test_a_misspelt_word_becomes_an_edit_of_the_last_image():
    step = GenerateSpec(id="s1", prompt="a poster saying Quantum", text=["Quantum"], head_attempts=3)
    ocr = Verdict(verifier="text.ocr", passed=False, details={"misread": {"Quantun": "Quantum"}, "image": IMAGE})
    new, change = step.refine([ocr], attempt=1)
    assert new.retouch == IMAGE
    assert new.retouch_instruction == "the word 'Quantun' is misspelt; change it to 'Quantum'"
    assert change.startswith("edit the last image")


def test_a_failed_judge_becomes_a_revised_prompt_then_the_exact_fallback():
    fallback = MoleculeSpec(name="caffeine", smiles=CAFFEINE).model_dump(mode="json")
    step = GenerateSpec(id="s1", title="Caffeine", prompt="caffeine", fallback=fallback, head_attempts=2)
    judge = Verdict(verifier="judge.rubric", passed=True, details={"answers": [
        {"question": "Is the structure caffeine?", "answer": "no", "rationale": ""}]})
    osra = Verdict(verifier="molecule.osra", passed=False)
    revised, change = step.refine([osra, judge], attempt=1)
    assert revised.seed == 1 and "Make sure of this: Is the structure caffeine." in revised.corrections
    assert "clean skeletal formula" in revised.full_prompt() and change.startswith("revised the prompt")
    exact, change = revised.refine([osra, judge], attempt=2)
    assert exact.kind == "molecule" and exact.id == "s1" and exact.title == "Caffeine"
    assert change == "fell back to the exact molecule renderer after 2 head attempt(s) failed verification"
    assert GenerateSpec(prompt="a corgi", head_attempts=1).refine([osra], attempt=1) is None


def test_ocr_reports_misspellings_it_can_correct(tmp_path):
    from PIL import Image, ImageDraw, ImageFont

    from ivlu_agent.tools.common.head import check_words

    image = Image.new("RGB", (420, 120), "white")
    font = ImageFont.truetype("DejaVuSans.ttf", 64)
    ImageDraw.Draw(image).text((20, 20), "Quantun", fill="black", font=font)
    image.save(tmp_path / "poster.png")
    verdict = check_words(str(tmp_path / "poster.png"), ["Quantum"])
    assert not verdict["passed"] and verdict["details"]["misread"] == {"Quantun": "Quantum"}
    assert check_words(str(tmp_path / "poster.png"), ["Quantun"])["passed"]


def test_pixel_checks_of_each_exact_kind_reject_noise_and_read_a_clean_image(tmp_path, workers):
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from ivlu_agent.tools.common.head import pixel_checks

    noise = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(noise)
    fallbacks = {"molecule": {"kind": "molecule", "smiles": CAFFEINE},
                 "equation": {"kind": "equation", "latex": "E = m c^2"},
                 "text": {"kind": "text", "heading": "Quantum"}}
    for kind, spec in fallbacks.items():
        verdicts = pixel_checks(spec, str(noise), workers.call)
        assert verdicts and not all(v["passed"] for v in verdicts), kind
    from ivlu_agent.tools.plot.rule import PlotRule

    plot = PlotRule().build("bar chart of 2019–2023 sales 3, 5, 4, 6, 8").model_dump(mode="json")
    (labels,) = pixel_checks(plot, str(noise), workers.call)  # OCR of the plot's labels
    assert labels["verifier"] == "plot.ocr" and not labels["passed"]
    assert pixel_checks({"kind": "generate"}, str(noise), workers.call) == []  # open imagery: judged by the rubric alone
    poster = tmp_path / "poster.png"
    image = Image.new("RGB", (420, 120), "white")
    ImageDraw.Draw(image).text((20, 20), "Quantum", fill="black", font=ImageFont.truetype("DejaVuSans.ttf", 64))
    image.save(poster)
    assert all(v["passed"] for v in pixel_checks(fallbacks["text"], str(poster), workers.call))


def test_a_mixed_prompt_keeps_its_exact_parts_exact(planner_for):
    """The model wrote one image prompt for 'a funny meme of a cat wearing sunglasses, and draw caffeine':
    routing gives caffeine to RDKit and only the cat to the head, so caffeine is not lost in a picture."""
    planner, _ = planner_for({"steps": [{"kind": "generate", "prompt": "a funny meme of a cat wearing sunglasses, "
                                                                       "and draw caffeine"}]})
    plan = planner.plan("a funny meme of a cat wearing sunglasses, and draw caffeine", [], [])
    kinds = {s.kind: s for s in plan.steps}
    assert set(kinds) == {"molecule", "generate"}
    assert kinds["molecule"].name == "caffeine" and kinds["molecule"].inchikey
    assert "caffeine" not in kinds["generate"].prompt and "cat wearing sunglasses" in kinds["generate"].prompt
    # a part that is only partly understood stays with the head, whole
    planner, _ = planner_for({"steps": [{"kind": "generate", "prompt": "a dragon made of caffeine, and a sunset"}]})
    (step,) = planner.plan("a dragon made of caffeine, and a sunset", [], []).steps
    assert step.kind == "generate" and "dragon made of caffeine" in step.prompt


def test_when_the_model_fails_a_mixed_request_is_split_not_half_drawn(planner_for):
    """Every model plan fails validation: the rules draw caffeine and the head gets the cat, instead of a
    caffeine panel that silently drops the meme."""
    bad = {"steps": [{"kind": "molecule", "name": "caffeine", "smiles": "CCO"}]}
    planner, _ = planner_for(bad, bad, bad)
    plan = planner.plan("a funny meme of a cat wearing sunglasses, and draw caffeine", [], [])
    assert plan.planner == "symbolic + head"
    molecule_step, head = plan.steps
    assert molecule_step.name == "caffeine" and head.kind == "generate"
    assert "cat wearing sunglasses" in head.prompt and "caffeine" not in head.prompt


def test_the_read_back_judge_can_only_doubt_what_the_request_says(planner_for):
    """With the model loaded, the judge reads describe() beside the request. Its 'missing' items fail
    plan.faithful only when they name words of the request; an answer that points at nothing is ignored."""
    planner, model = planner_for({"steps": [molecule()]},
                                 readback={"matches": False, "missing": ["the gold frame"]})
    plan = planner.plan("draw caffeine in a gold frame", [], [])
    assert "caffeine (C8H10N4O2)" in model.prompts[-1]  # the judge saw the read-back
    assert plan.unhonoured == ["judge: the gold frame not drawn"]
    planner, _ = planner_for({"steps": [molecule()]}, readback={"matches": False, "missing": ["zebra stripes"]})
    plan = planner.plan("draw caffeine", [], [])
    assert plan.unhonoured == [] and "Read-back judge: the plan draws what was asked." in plan.reasoning
