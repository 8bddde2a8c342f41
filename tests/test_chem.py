import pytest

from ivlu_agent.errors import IvluError
from ivlu_agent.tools.common.chem import MAX_HEAVY_ATOMS, describe, lookup_compound, lookup_group


def test_describe_canonicalises_and_counts_groups():
    facts = describe("OC(=O)c1ccccc1OC(C)=O")
    assert facts["smiles"] == "CC(=O)Oc1ccccc1C(=O)O"
    assert facts["formula"] == "C9H8O4"
    assert facts["groups"]["carboxylic acid"] == 1
    assert facts["groups"]["ester"] == 1


def test_invalid_smiles_is_a_clear_error():
    with pytest.raises(IvluError) as e:
        describe("C1CC(")
    assert "Invalid SMILES 'C1CC('" in str(e.value) and "What to do" in str(e.value)


def test_atom_bound():
    with pytest.raises(IvluError, match=f"at most {MAX_HEAVY_ATOMS} heavy atoms"):
        describe("C" * (MAX_HEAVY_ATOMS + 1))


def test_unknown_compound_offers_closest_names():
    with pytest.raises(IvluError, match="did you mean: caffeine"):
        lookup_compound("cafeine")


def test_group_plurals_and_synonyms():
    assert lookup_group("methyl groups".replace(" groups", "")).name == "methyl"
    assert lookup_group("carbonyls").name == "carbonyl"
    with pytest.raises(IvluError, match="Unknown functional group"):
        lookup_group("flux capacitor")
