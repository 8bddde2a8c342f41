"""The deterministic planner, with the real worker for SMILES facts."""

import pytest

from ivlu_agent.errors import IvluError
from ivlu_agent.planning.symbolic import SymbolicPlanner
from ivlu_agent.types import Verdict


@pytest.fixture(scope="module")
def planner(workers):
    return SymbolicPlanner(describe=lambda s: workers.call("ivlu_agent.tools.common.chem:describe", s), call=workers.call)


def test_two_molecules_with_groups(planner):
    plan = planner.plan("draw caffeine and aspirin side by side, highlight the methyl and carbonyl groups", [], [])
    assert [s.name for s in plan.steps] == ["caffeine", "aspirin"]
    assert [s.id for s in plan.steps] == ["s1", "s2"]
    assert plan.steps[0].highlight == ["methyl", "carbonyl"]
    assert plan.steps[0].formula == "C8H10N4O2"


def test_labels_and_colours(planner):
    plan = planner.plan("draw caffeine with its methyl groups labelled and the carbonyls in red", [], [])
    (step,) = plan.steps
    assert step.label_groups and step.colors == {"carbonyl": "red"}


def test_smiles_in_request(planner):
    plan = planner.plan("draw OC(=O)c1ccccc1OC(C)=O", [], [])
    assert plan.steps[0].smiles == "CC(=O)Oc1ccccc1C(=O)O"


def test_reaction_scheme(planner):
    plan = planner.plan("acetic acid + ethanol ->[H2SO4] ethyl acetate + water", [], [])
    (step,) = plan.steps
    assert step.kind == "reaction"
    assert [c.name for c in step.reactants] == ["acetic acid", "ethanol"]
    assert [c.name for c in step.products] == ["ethyl acetate", "water"]
    assert step.conditions == "H2SO4"


def test_group_only_on_molecules_that_have_it(planner):
    plan = planner.plan("draw caffeine and ethanol, highlight the hydroxyl groups", [], [])
    assert plan.steps[0].highlight == [] and plan.steps[1].highlight == ["hydroxyl"]
    assert any("caffeine has no hydroxyl" in n for n in plan.notes)


def test_follow_up_uses_history(planner):
    first = planner.plan("draw caffeine and aspirin", [], [])
    history = [{"turn": 1, "request": "draw caffeine and aspirin", "plan": first.model_dump(mode="json")}]
    plan = planner.plan("now also highlight the methyl groups", [], history)
    assert [s.name for s in plan.steps] == ["caffeine", "aspirin"]
    assert all(s.highlight == ["methyl"] for s in plan.steps)


def test_a_later_clause_reworks_the_steps_before_it(planner):
    plan = planner.plan("draw caffeine and ethanol, then highlight their methyl groups in red", [], [])
    assert [(s.id, s.name, s.highlight, s.colors) for s in plan.steps] == [
        ("s1", "caffeine", ["methyl"], {"methyl": "red"}), ("s2", "ethanol", ["methyl"], {"methyl": "red"})]
    assert any("Reworking caffeine, ethanol" in line for line in plan.reasoning.splitlines())


def test_a_rework_in_the_request_wins_over_the_thread(planner):
    history = [{"plan": planner.plan("draw aspirin", [], []).model_dump(mode="json")}]
    plan = planner.plan("draw caffeine; label its methyl groups", [], history)
    assert [(s.name, s.highlight, s.label_groups) for s in plan.steps] == [("caffeine", ["methyl"], True)]


@pytest.mark.parametrize("request_text, message", [
    ("draw cafeine", "did you mean: caffeine"),
    ("draw C1CC(", "Invalid SMILES"),
    ("sing me a song about the sea", "could not find anything to draw in 'sing me a song about the sea'"),
    ("draw caffeine, highlight the hydroxyl groups", "None of the molecules has a hydroxyl group"),
])
def test_clear_errors(planner, request_text, message):
    with pytest.raises(IvluError, match=message):
        planner.plan(request_text, [], [])


def test_not_understood_is_short_and_points_at_the_closest_phrasing(planner):
    """At most four lines: what was not understood, the closest supported phrasing, and `ivlu examples`."""
    with pytest.raises(IvluError) as e:
        planner.plan("draw caffeine; sing me a song", [], [])
    text = str(e.value)
    assert len(text.splitlines()) <= 4
    assert "understood so far: molecule 'caffeine'" in text and "ivlu examples" in text
    with pytest.raises(IvluError) as e:
        planner.plan("a flow of the steps of binary search", [], [])
    assert "the closest is 'flowchart of binary search' (diagram)" in str(e.value)
    assert "`ivlu examples diagram`" in str(e.value)


def test_group_words_highlight_only_when_asked(planner):
    plan = planner.plan("Draw the amino acids glycine, alanine and serine", [], [])
    assert [s.name for s in plan.steps] == ["glycine", "alanine", "serine"]
    assert all(not s.highlight for s in plan.steps)  # 'amino' names the class, it asks for nothing
    asked = planner.plan("draw glycine and highlight its amino group", [], [])
    assert asked.steps[0].highlight == ["amine"]
    exam = planner.plan("Draw acetic acid, clearly indicating the carboxyl functional group", [], [])
    assert exam.steps[0].highlight == ["carboxylic acid"]


def test_systematic_names_are_read_by_opsin(planner):
    (alcohol,) = planner.plan("Please draw 2-methylpropan-2-ol", [], []).steps
    assert alcohol.name == "2-methylpropan-2-ol" and alcohol.inchikey == "DKGAVHZHDRPRBM-UHFFFAOYSA-N"
    ester, acid = planner.plan("draw methyl propanoate and (E)-but-2-enoic acid, highlight the ester group",
                               [], []).steps
    assert (ester.name, ester.smiles, ester.highlight) == ("methyl propanoate", "CCC(=O)OC", ["ester"])
    assert acid.smiles == "C/C=C/C(=O)O"  # the stereo descriptor is kept
    plan = planner.plan("draw caffeine and 2-methylpropan-2-olx", [], [])  # OPSIN cannot read it either
    assert [s.name for s in plan.steps] == ["caffeine"] and "ignored words: 2-methylpropan-2-olx" in plan.notes


def test_opsin_reads_names_in_the_worker(workers):
    read = workers.call("ivlu_agent.tools.common.opsin:parse_names",
                        ["buta-1,3-diene", "clearly", "1,4-dihydroxyanthracene-9,10-dione"])
    assert read == {"buta-1,3-diene": "C=CC=C", "1,4-dihydroxyanthracene-9,10-dione": read["1,4-dihydroxyanthracene-9,10-dione"]}
    assert "O" in read["1,4-dihydroxyanthracene-9,10-dione"]


def test_smiles_with_stereo_bonds_stay_whole(planner):
    (cis,) = planner.plan("draw C/C=C\\C", [], []).steps
    assert cis.smiles == "C/C=C\\C" and cis.inchikey == "IAQRGUVFOMOMEM-ARJAWSKDSA-N"  # (Z)-but-2-ene
    trans, caffeine = planner.plan("draw F/C=C/F and caffeine", [], []).steps
    assert trans.smiles == "F/C=C/F" and caffeine.name == "caffeine"


def test_reactions_written_in_words(planner):
    (step,) = planner.plan("Propene reacts with HCl to give mainly 2-chloropropane. Draw the reaction scheme.",
                           [], []).steps
    assert step.kind == "reaction" and [c.name for c in step.reactants] == ["propylene", "hydrogen chloride"]
    assert [c.name for c in step.products] == ["2-chloropropane"]
    (ester,) = planner.plan("Show the esterification of ethanoic acid with methanol to give methyl ethanoate and "
                            "water, catalysed by concentrated sulfuric acid", [], []).steps
    assert len(ester.reactants) == 2 and len(ester.products) == 2
    assert ester.conditions == "concentrated sulfuric acid"
    (diene,) = planner.plan("The Diels-Alder reaction: buta-1,3-diene and ethene give cyclohexene.", [], []).steps
    assert diene.kind == "reaction" and diene.products[0].name == "cyclohexene"


def test_a_clause_that_only_restates_the_plan_adds_nothing(planner):
    plan = planner.plan("Ethanol and methoxymethane have the same molecular formula. Draw both structures.", [], [])
    assert [s.name for s in plan.steps] == ["ethanol", "methoxymethane"]
    with pytest.raises(IvluError, match="keyway"):  # a clause with something new still has to be understood
        planner.plan("draw caffeine. Then draw a keyway.", [], [])


def test_molecular_formulas_name_small_molecules_and_never_become_smiles(planner):
    (combustion,) = planner.plan("CH4 + 2O2 → CO2 + 2H2O", [], []).steps
    assert [c.name for c in combustion.reactants + combustion.products] == [
        "methane", "oxygen", "carbon dioxide", "water"]
    (haber,) = planner.plan("Haber process: N2 + 3H2 ⇌ 2NH3", [], []).steps
    assert [c.name for c in haber.products] == ["ammonia"]
    water, co2 = planner.plan("draw H2O and CO2", [], []).steps
    assert (water.name, co2.name) == ("water", "carbon dioxide")
    # two carbons or more: isomers, so the formula names nothing; the names around it still plan
    plan = planner.plan("Structural isomers of C2H6O: draw ethanol and dimethyl ether", [], [])
    assert [s.name for s in plan.steps] == ["ethanol", "dimethyl ether"]


def test_a_displayed_formula_draws_every_atom_and_element_words_are_not_compounds(planner):
    (cortisone,) = planner.plan("Draw the complete structural formula of cortisone, clearly indicating all carbon, "
                                "hydrogen, and oxygen atoms", [], []).steps  # not hydrogen or oxygen as molecules
    assert cortisone.name == "cortisone" and cortisone.displayed and cortisone.depiction.explicit_hydrogens
    (refined, _) = cortisone.refine([Verdict(verifier="molecule.osra", passed=False)], attempt=3)
    assert refined.depiction.explicit_hydrogens  # no rung of the depiction ladder drops the asked-for hydrogens
    (plain,) = planner.plan("draw caffeine", [], []).steps
    assert not plain.displayed and not plain.depiction.explicit_hydrogens


def test_stereoisomer_sets_give_one_labelled_panel_each(planner):
    cis, trans = planner.plan("Draw the cis and trans isomers of but-2-ene", [], []).steps  # in the order named
    assert (trans.title, trans.inchikey) == ("trans-but-2-ene (E)", "IAQRGUVFOMOMEM-ONEGZZNKSA-N")
    assert (cis.title, cis.inchikey) == ("cis-but-2-ene (Z)", "IAQRGUVFOMOMEM-ARJAWSKDSA-N")
    s, r = planner.plan("draw both enantiomers of alanine", [], []).steps
    assert (s.name, r.name) == ("(S)-alanine", "(R)-alanine") and s.inchikey != r.inchikey
    (ethanol,) = planner.plan("draw the stereoisomers of ethanol", [], []).steps
    assert ethanol.name == "ethanol"  # nothing to enumerate: one panel, and the plan says so


def test_a_token_that_is_also_a_smiles_stays_a_smiles(planner):
    """'OC' is methanol written as SMILES, not carbon monoxide read as a formula; 'CCl4' can only be a formula."""
    (step,) = planner.plan("OC + HCl -> C(Cl) + water", [], []).steps
    assert [c.name or c.smiles for c in step.reactants] == ["CO", "hydrogen chloride"]  # canonical methanol
    (tetra,) = planner.plan("draw CCl4", [], []).steps
    assert tetra.name == "carbon tetrachloride"
