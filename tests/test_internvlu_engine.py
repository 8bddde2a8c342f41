"""Engine `internvlu` outside the loop: selection and clear errors, lazy imports, and the protocol's four
operations on the tiny official checkpoint (real model classes, random weights)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import FIXTURES
from PIL import Image

from ivlu_agent import Agent, IvluError
from ivlu_agent.config import ENGINES
from ivlu_agent.graph import nodes
from ivlu_agent.planning.protocol import NeuralEngine, Planner
from ivlu_agent.store import ArtifactStore

CHECKPOINT = FIXTURES / "checkpoint"
needs_fixture = pytest.mark.skipif(not CHECKPOINT.is_dir(),
                                   reason=f"the tiny InternVL-U fixture is absent ({CHECKPOINT}); set IVLU_FIXTURES")


def test_engines_are_listed():
    assert ENGINES == ("symbolic", "internvlu")


@pytest.mark.parametrize("make, message", [
    (lambda tmp: None, "needs a model folder and none was given"),
    (lambda tmp: tmp / "nowhere", "does not exist"),
    (lambda tmp: tmp, "has no model_index.json"),
])
def test_a_missing_model_is_a_clear_error(tmp_path, monkeypatch, make, message):
    monkeypatch.delenv("IVLU_MODEL", raising=False)
    with pytest.raises(IvluError, match=message) as e:
        Agent(engine="internvlu", model_path=make(tmp_path), home=tmp_path / "home")
    assert "--model PATH" in str(e.value) or "checkpoint" in str(e.value)


@needs_fixture
def test_an_incomplete_model_folder_names_what_is_missing(tmp_path):
    broken = tmp_path / "ckpt"
    shutil.copytree(CHECKPOINT, broken, ignore=shutil.ignore_patterns("*.safetensors"))
    shutil.rmtree(broken / "vae")
    with pytest.raises(IvluError, match="lacks the component\\(s\\) vae"):
        Agent(engine="internvlu", model_path=broken, home=tmp_path / "home")


@needs_fixture
def test_a_folder_with_broken_contents_is_a_clear_error(tmp_path):
    no_config = tmp_path / "no-config"
    shutil.copytree(CHECKPOINT, no_config, ignore=shutil.ignore_patterns("*.safetensors"))
    (no_config / "vlm" / "config.json").unlink()
    with pytest.raises(IvluError, match="has no vlm/config.json"):
        Agent(engine="internvlu", model_path=no_config, home=tmp_path / "home")
    no_weights = tmp_path / "no-weights"
    shutil.copytree(CHECKPOINT, no_weights, ignore=shutil.ignore_patterns("*.safetensors"))
    with pytest.raises(IvluError, match="has no weights in vlm/"):
        Agent(engine="internvlu", model_path=no_weights, home=tmp_path / "home")
    corrupt = tmp_path / "corrupt"  # passes the folder check; loading finds the truncated weights
    shutil.copytree(CHECKPOINT, corrupt)
    weights = corrupt / "vlm" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with Agent(engine="internvlu", model_path=corrupt, home=tmp_path / "home") as agent:
        with pytest.raises(IvluError, match="cannot be loaded: ValueError: corrupt safetensors file"):
            agent.run("draw caffeine")


def test_cli_bad_model_exits_2_without_a_traceback(tmp_path):
    env = {**os.environ, "IVLU_HOME": str(tmp_path / "h")}
    env.pop("IVLU_MODEL", None)
    r = subprocess.run([sys.executable, "-m", "ivlu_agent", "run", "a corgi", "--engine", "internvlu", "--model",
                        str(tmp_path / "missing")], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert r.returncode == 2 and "does not exist" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "ivlu_agent", "run", "draw caffeine", "--prefer", "native"],
                       capture_output=True, text=True, env=env, timeout=120, check=False)
    assert r.returncode == 2 and "--prefer native needs a model engine" in r.stderr


def test_symbolic_runs_import_no_model_library(tmp_path):
    code = ("import sys\nfrom ivlu_agent import Agent\n"
            f"with Agent(home={str(tmp_path)!r}) as a:\n    r = a.run('draw caffeine')\n"
            "print(r.status, [m for m in ('torch', 'transformers', 'diffusers') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip().splitlines()[-1] == "verified []"


def test_a_neural_step_without_a_model_engine_fails_as_a_verdict(tmp_path, workers):
    from ivlu_agent.planning.symbolic import SymbolicPlanner

    svc = nodes.Services(store=ArtifactStore(tmp_path), workers=workers, planner=SymbolicPlanner(describe=lambda s: {}))
    step = {"kind": "generate", "id": "s1", "prompt": "a corgi"}
    pending = nodes.execute({"step": step}, svc)["pending"]
    assert "needs a model engine" in pending["error"]
    (attempt,) = nodes.verify({"step": step, "pending": pending}, svc)["attempts"]
    assert attempt["verdicts"][0]["verifier"] == "generate.render" and not attempt["verdicts"][0]["passed"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory, workers):
    if not CHECKPOINT.is_dir():
        pytest.skip(f"the tiny InternVL-U fixture is absent ({CHECKPOINT}); set IVLU_FIXTURES")
    from ivlu_agent.model.engine import InternVLUEngine

    eng = InternVLUEngine(CHECKPOINT)
    yield eng
    eng.close()


def test_the_engine_implements_the_protocol(engine):
    assert isinstance(engine, NeuralEngine) and not isinstance(engine, Planner) and engine.name == "internvlu"


def test_generate_edit_and_judge_on_the_tiny_checkpoint(engine):
    drawn = engine.generate("a red circle", width=64, height=64, steps=2, seed=3)
    png = drawn.png
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (64, 64)
    assert drawn.meta["seed"] == 3 and drawn.meta["prompt"] == "a red circle"
    assert engine.generate("a red circle", width=64, height=64, steps=2, seed=3).png == png  # same seed, same pixels
    edited = engine.edit(png, "make it blue", width=64, height=64, steps=2).png
    assert Image.open(io.BytesIO(edited)).size == (64, 64) and edited != png
    answers = engine.judge(png, ["Is there a circle?", "Is it blue?"])
    assert [a.question for a in answers] == ["Is there a circle?", "Is it blue?"]
    assert all(a.answer in ("yes", "no") and len(a.rationale) <= 120 for a in answers)


def test_schema_guided_json_from_the_model(engine):
    schema = {"type": "object", "required": ["answer", "count"],
              "properties": {"answer": {"enum": ["yes", "no"]}, "count": {"type": "integer", "minimum": 1,
                                                                           "maximum": 9}}}
    out = engine.write_json("How many circles?", [], "JSON: ", schema, 40)
    assert json.loads(out["text"]) == out["value"] and out["tokens"] <= 40
    assert out["value"]["answer"] in ("yes", "no") and 1 <= out["value"]["count"] <= 9
