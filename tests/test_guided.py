"""Schema-guided decoding (model/guided.py) with the fixture's real tokenizer and two logits sources:
random logits (a model with random weights, many seeds) and a scripted text double that steers
towards a target document."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import FIXTURES
from pydantic import ValidationError

from ivlu_agent.model.guided import Vocab, write_json
from ivlu_agent.planning.model import model_schema
from ivlu_agent.tools import Plan

# pydantic error types that mean "the JSON does not fit the schema" (value_error is a custom validator).
SCHEMA_ERRORS = {"missing", "extra_forbidden", "string_too_long", "string_too_short", "too_long", "too_short",
                 "literal_error", "union_tag_invalid", "union_tag_not_found", "int_parsing", "int_type",
                 "greater_than_equal", "less_than_equal", "string_type", "bool_type", "list_type", "dict_type",
                 "float_type", "string_pattern_mismatch", "enum", "model_type", "int_from_float"}


@pytest.fixture(scope="module")
def vocab():
    tokenizer_dir = FIXTURES / "checkpoint" / "processor"
    if not tokenizer_dir.is_dir():
        pytest.skip(f"the tiny InternVL-U fixture is absent ({tokenizer_dir}); set IVLU_FIXTURES")
    from transformers import AutoTokenizer

    return Vocab.from_tokenizer(AutoTokenizer.from_pretrained(tokenizer_dir))


def random_lm(seed: int, size: int = 1024):
    rng = np.random.default_rng(seed)
    return lambda ids: rng.normal(size=size)


def schema_errors(value: dict) -> list[dict]:
    try:
        Plan.model_validate(value)
    except ValidationError as e:
        return [err for err in e.errors() if err["type"] in SCHEMA_ERRORS]
    return []


@pytest.mark.parametrize("budget", [60, 150, 400])
def test_random_model_always_writes_a_schema_valid_plan_within_budget(vocab, budget):
    image = "objects/ab/" + "a" * 64 + ".png"
    schema = model_schema({"input 1": image})
    for seed in range(12):
        value, text, decoder = write_json(schema, random_lm(seed), vocab, budget, temperature=1.0, seed=seed)
        assert json.loads(text) == value
        assert decoder.used <= budget, (seed, decoder.used)
        assert 1 <= len(value["steps"]) <= 4
        for step in value["steps"]:  # the planner maps image names to store paths
            step.update({"source": image} if step["kind"] == "edit" else {})
        assert schema_errors(value) == [], (seed, text)
        hidden = {"id", "depends_on", "fallback", "seed", "inchikey", "depiction"}
        assert not hidden & {k for s in value["steps"] for k in s}


def test_too_small_a_budget_is_refused_before_decoding(vocab):
    with pytest.raises(ValueError, match="smallest valid document needs"):
        write_json(model_schema({}), random_lm(0), vocab, 5)


def test_integers_stay_in_range_and_strings_in_length(vocab):
    schema = {"type": "object", "required": ["n", "s", "flag", "pick"], "properties": {
        "n": {"type": "integer", "minimum": 200, "maximum": 2000},
        "s": {"type": "string", "minLength": 2, "maxLength": 7},
        "flag": {"type": "boolean"},
        "pick": {"enum": ["red", "green", "blue"]},
        "opt": {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "null"}]}}}
    for seed in range(25):
        value, _, _ = write_json(schema, random_lm(seed), vocab, 60, temperature=1.0, seed=seed)
        assert 200 <= value["n"] <= 2000
        assert 2 <= len(value["s"]) <= 7 and '"' not in value["s"]
        assert isinstance(value["flag"], bool) and value["pick"] in ("red", "green", "blue")
        assert value.get("opt") is None or len(value["opt"]) <= 3


class Scripted:
    """A text double for a model: at every step it favours the token that continues `target`."""

    def __init__(self, vocab: Vocab, target: str):
        self.vocab, self.target, self.seen = vocab, target, ""

    def __call__(self, ids: list[int]):
        self.seen += "".join(self.vocab.pieces[i] for i in ids)
        rest = self.target[len(self.seen):]
        logits = np.zeros(1024)
        for i, piece in enumerate(self.vocab.pieces):
            if piece and rest.startswith(piece):
                logits[i] = 1 + len(piece)
        return logits


def test_a_model_that_means_a_plan_gets_exactly_that_plan(vocab):
    target = {"steps": [{"kind": "molecule", "name": "caffeine", "smiles": "Cn1c(=O)c2c(ncn2C)n(C)c1=O",
                         "title": "Caffeine"},
                        {"kind": "generate", "prompt": "a cat reading a paper", "text": ["Quantum"],
                         "rubric": [{"question": "Is there a cat?", "weight": 1}]}]}
    text = json.dumps(target, separators=(",", ":"))
    value, written, decoder = write_json(model_schema({}), Scripted(vocab, text), vocab, 400)
    assert written == text and value == target
    assert decoder.calls < decoder.used  # forced keys and braces cost no extra model calls


def wants_to_close(vocab: Vocab, seed: int):
    """Random logits, except that the closing quote always wins when it is allowed."""
    rng = np.random.default_rng(seed)

    def step(ids):
        logits = rng.normal(size=1024)
        logits[vocab.quote] = 100.0
        return logits
    return step


def test_patterned_strings_are_never_closed_before_they_match(vocab):
    store_path = r"^(objects/[0-9a-f]{2}/[0-9a-f]{64}\.(png|jpg))$"
    schema = {"type": "object", "required": ["node", "letter", "path"], "properties": {
        "node": {"type": "string", "pattern": r"^[A-Za-z0-9_]{1,40}$", "maxLength": 160},
        "letter": {"type": "string", "pattern": r"^[a-zA-Z]$"},
        "path": {"type": "string", "pattern": store_path}}}
    import re
    for seed in range(6):
        value, _, _ = write_json(schema, wants_to_close(vocab, seed), vocab, 200, temperature=1.0, seed=seed)
        assert re.fullmatch(r"[A-Za-z0-9_]{1,40}", value["node"]), value
        assert re.fullmatch(r"[a-zA-Z]", value["letter"]), value
        assert re.fullmatch(store_path[1:-1], value["path"]), value
