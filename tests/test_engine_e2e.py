"""End to end through the agent with engine `internvlu` and the tiny official checkpoint: real model
classes with random weights, the real graph, OSRA, tesseract, RDKit and worker processes.

The random model's plans fail validation (they name no compound of the request), so the symbolic
planner takes over, visibly; `prefer="native"` then gives the molecule to the head, whose noise OSRA
rejects; the bounded refinement revises the prompt; then the exact renderer draws a verified figure.
"""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES
from pydantic import ValidationError

from ivlu_agent import Agent
from ivlu_agent.planning.model import model_schema
from ivlu_agent.tools import Plan

CHECKPOINT = FIXTURES / "checkpoint"
FAST = {"size": 64, "steps": 2, "think_tokens": 32, "plan_tokens": 200}
pytestmark = pytest.mark.skipif(not CHECKPOINT.is_dir(),
                                reason=f"the tiny InternVL-U fixture is absent ({CHECKPOINT}); set IVLU_FIXTURES")


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    home = tmp_path_factory.mktemp("native")
    with Agent(engine="internvlu", model_path=CHECKPOINT, prefer="native", home=home, max_refinements=1,
               engine_options=FAST) as agent:
        out = home / "out"
        result = agent.run("draw caffeine", thread_id="t1", out=out)
        yield agent, result, out


def test_the_model_writes_schema_valid_plans(native):
    agent, result, _ = native
    attempts = agent.planner.last["attempts"]
    assert len(attempts) == 3  # 1 + plan_retries, each rejected on meaning, not on form
    for a in attempts:
        value = json.loads(a["json"])  # every plan parses ...
        try:
            Plan.model_validate(value)  # ... and fits the schema; what fails is what validation adds
        except ValidationError as e:
            assert all(err["type"] == "value_error" for err in e.errors()), e
        assert not a["accepted"] and a["error"]  # rejected on meaning: validators, SMILES, coverage
    fields = {d["properties"]["kind"]["const"]: set(d["properties"])
              for d in model_schema({})["$defs"].values() if "kind" in d.get("properties", {})}
    for a in attempts:  # only what the model-facing schema offers: no ids, no fallbacks, no seeds
        assert all(set(s) <= fields[s["kind"]] for s in json.loads(a["json"])["steps"])
    assert result.planner == "symbolic"
    assert "Model thinking (internvlu, text mode):" in result.reasoning
    assert "planner fallback: the model's 3 plan(s) failed validation" in result.reasoning


def test_the_head_runs_the_verifiers_reject_its_noise_and_refinement_is_bounded(native):
    _, result, _ = native
    (step,) = result.steps
    head = [a for a in step.attempts if a.spec["kind"] == "generate"]
    assert len(head) == 2  # max_refinements=1: the head gets 2 attempts
    for a in head:
        (png,) = [r for r in a.artifacts if r.name == "main.png"]
        assert (png.width, png.height) == (64, 64)
        osra = next(v for v in a.verdicts if v.verifier == "molecule.osra")
        assert not osra.passed
        judge = next(v for v in a.verdicts if v.verifier == "judge.rubric")
        assert judge.passed and judge.details["gating"] is False  # advisory next to OSRA
        assert {x["answer"] for x in judge.details["answers"]} <= {"yes", "no"}
        assert len(judge.details["answers"]) == 2
    assert head[1].change.startswith("revised the prompt") and head[1].spec["seed"] == 1
    assert head[1].spec["corrections"]


def test_the_fallback_yields_a_verified_figure_flagged_in_outputs(native):
    _, result, out = native
    (step,) = result.steps
    last = step.attempts[-1]
    assert step.status == "verified" and result.status == "verified"
    assert step.kind == "molecule" and last.spec["kind"] == "molecule" and last.passed
    assert step.fallback == "fell back to the exact molecule renderer after 2 head attempt(s) failed verification"
    data = json.loads((out / "result.json").read_text())
    assert data["steps"][0]["fallback"] == step.fallback and data["planner"] == "symbolic"
    assert (out / "figure.png").is_file()


def test_the_report_shows_every_attempt(native):
    *_, out = native
    report = (out / "report.md").read_text()
    for n, kind in ((1, "generate"), (2, "generate"), (3, "molecule")):
        assert f"| {n} ({kind}) [image](panels/s1-attempt{n}.png) |" in report
        assert (out / "panels" / f"s1-attempt{n}.png").is_file()
    assert "> **Fallback:** fell back to the exact molecule renderer" in report
    assert "**Planner:** symbolic" in report and "judge.rubric" in report and "molecule.osra" in report


def test_the_model_loaded_once_and_stays_warm(native):
    agent, _, _ = native
    stats = agent.engine.stats()
    assert stats["loads"] == 1


def test_edit_of_the_previous_neural_image_on_the_thread(native):
    agent, first, _ = native
    result = agent.run("now make the background purple", thread_id="t1")
    (step,) = result.steps
    previous = first.figure.path
    assert step.kind == "edit" and step.spec["source"] in {previous} | {
        a.path for s in first.steps for at in s.attempts for a in at.artifacts}
    assert step.attempts[0].artifacts[0].width == 64
    assert any(v.verifier == "judge.rubric" and v.details["gating"] for v in step.attempts[0].verdicts)


def test_open_imagery_is_judged_by_the_rubric_alone(tmp_path):
    with Agent(engine="internvlu", model_path=CHECKPOINT, home=tmp_path, max_refinements=1,
               engine_options=FAST) as agent:
        result = agent.run("a corgi surfing a wave at sunset")
    (step,) = result.steps
    assert step.kind == "generate" and 1 <= len(step.attempts) <= 3 and not step.fallback
    for a in step.attempts:
        (judge,) = a.verdicts
        assert judge.verifier == "judge.rubric" and judge.details["gating"] is True
        assert judge.passed == (judge.score >= a.spec["pass_score"])
    assert result.status == ("verified" if step.attempts[-1].passed else "unverified")
