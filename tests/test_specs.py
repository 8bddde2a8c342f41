import pytest
from pydantic import ValidationError

from ivlu_agent.tools import KINDS, Plan, parse_step
from ivlu_agent.tools.common.depict import DEPICTION_LADDER
from ivlu_agent.tools.molecule.spec import MoleculeSpec
from ivlu_agent.types import Verdict


def test_step_union_discriminates_on_kind():
    step = parse_step({"kind": "molecule", "smiles": "CCO"})
    assert isinstance(step, MoleculeSpec)
    assert {"molecule", "reaction"} <= set(KINDS)


def test_unknown_fields_and_sizes_are_rejected():
    with pytest.raises(ValidationError):
        MoleculeSpec(smiles="CCO", evil="__import__('os')")
    with pytest.raises(ValidationError):
        MoleculeSpec(smiles="CCO", depiction={"size": 100000})
    with pytest.raises(ValidationError):
        MoleculeSpec(smiles="CCO", highlight=["methyl"] * 50)
    with pytest.raises(ValidationError):
        MoleculeSpec(smiles="CCO", colors={"methyl": "url(javascript:x)"})


def test_plan_bounds_steps():
    with pytest.raises(ValidationError):
        Plan(steps=[])
    with pytest.raises(ValidationError):
        Plan(steps=[{"kind": "molecule", "smiles": "C"}] * 13)


def test_refine_walks_the_depiction_ladder_then_stops():
    spec = MoleculeSpec(smiles="CCO", name="ethanol")
    failed = [Verdict(verifier="molecule.osra", passed=False)]
    seen = []
    for attempt in range(1, 10):
        out = spec.refine(failed, attempt)
        if out is None:
            break
        spec, change = out
        seen.append(change)
    assert len(seen) == len(DEPICTION_LADDER)
    assert spec.depiction.size == DEPICTION_LADDER[-1][0]["size"]


def test_refine_corrects_a_wrong_structure():
    spec = MoleculeSpec(smiles="CCC", name="ethanol")
    failed = [Verdict(verifier="molecule.identity", passed=False, details={"target_smiles": "CCO"})]
    fixed, change = spec.refine(failed, 1)
    assert fixed.smiles == "CCO" and "replaced the SMILES" in change
