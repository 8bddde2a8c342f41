"""End to end through the real graph: RDKit, OSRA, SQLite checkpoints, worker processes."""

import json
import sqlite3

import pytest

from ivlu_agent import Agent, IvluError


def test_two_molecules_verified_with_outputs(agent, tmp_path):
    out = tmp_path / "out"
    result = agent.run("draw caffeine and aspirin, highlight the methyl groups", out=out)
    assert result.status == "verified", [(s.id, [v.message for v in s.verdicts]) for s in result.steps]
    assert [s.spec["smiles"] for s in result.steps] == ["Cn1c(=O)c2c(ncn2C)n(C)c1=O", "CC(=O)Oc1ccccc1C(=O)O"]
    assert (out / "figure.png").is_file() and (out / "figure.svg").is_file()
    assert (out / "panels" / "s1-main.png").is_file()
    data = json.loads((out / "result.json").read_text())
    assert data["status"] == "verified" and data["thread_id"] == result.thread_id
    step = data["steps"][0]
    assert set(step) >= {"id", "kind", "spec", "status", "attempts", "artifacts", "verdicts"}
    assert {a["path"] for a in step["artifacts"]} == {"panels/s1-main.png", "panels/s1-main.svg"}
    assert "## Step s1" in (out / "report.md").read_text()


def test_state_holds_references_only(agent):
    result = agent.run("draw caffeine")
    db = sqlite3.connect(agent.home / "checkpoints.sqlite")
    biggest = db.execute("SELECT max(length(checkpoint)) FROM checkpoints").fetchone()[0]
    blobs = db.execute("SELECT max(length(value)) FROM writes").fetchone()[0]
    assert biggest < 50_000 and blobs < 50_000
    values = agent.graph.get_state({"configurable": {"thread_id": result.thread_id}}).values
    assert "base64" not in json.dumps(values, default=str) and "PNG" not in json.dumps(values, default=str)


def test_budget_spent_marks_unverified_and_run_goes_on(tmp_path):
    # SF6 has no force-field parameters: every conformer keeps angles far from octahedral, so each redraw
    # fails the angle check and the budget is spent; the next step still runs.
    with Agent(home=tmp_path / "home", max_refinements=2) as agent:
        result = agent.run("a ball-and-stick model of sulfur hexafluoride. Draw caffeine.")
    sf6, caffeine = result.steps
    assert sf6.status == "unverified" and len(sf6.attempts) == 3
    assert [a.change for a in sf6.attempts][1] == "re-optimised the conformer with UFF"
    assert caffeine.status == "verified"
    assert result.status == "unverified" and result.exit_code == 1
    assert result.figure is not None


def test_second_request_on_thread_sees_the_first(agent):
    first = agent.run("draw caffeine and aspirin", thread_id="t1")
    second = agent.run("now also highlight the methyl groups", thread_id="t1")
    assert [s.spec["name"] for s in second.steps] == ["caffeine", "aspirin"]
    assert all(s.spec["highlight"] == ["methyl"] for s in second.steps)
    assert first.figure.sha256 != second.figure.sha256
    assert "Reworking" in second.reasoning


def test_stream_yields_typed_events(agent):
    events = list(agent.stream("draw aspirin"))
    kinds = [e.type for e in events]
    assert kinds[0] == "plan" and kinds[-1] == "done"
    assert "attempt" in kinds and "step_done" in kinds and "compose" in kinds


def test_bad_inputs_are_clear_errors(agent, tmp_path):
    with pytest.raises(IvluError, match="empty"):
        agent.run("   ")
    with pytest.raises(IvluError, match="characters"):
        agent.run("draw " + "caffeine " * 1000)
    corrupt = tmp_path / "x.png"
    corrupt.write_bytes(b"not an image")
    with pytest.raises(IvluError, match="cannot be decoded"):
        agent.run("draw caffeine", images=[corrupt])
    with pytest.raises(IvluError, match="Unknown thread"):
        agent.resume("no-such-thread")
    before = agent.store.count()
    with pytest.raises(IvluError, match="at most 8"):
        agent.run("draw caffeine", images=[corrupt] * 9)
    assert agent.store.count() == before  # the bound is checked before anything is stored
    with pytest.raises(IvluError, match="Unknown engine"):
        Agent(engine="gpt-17", home=tmp_path / "h2")


def test_reaction_scheme_end_to_end(agent):
    result = agent.run("acetic acid + ethanol -> ethyl acetate + water")
    (step,) = result.steps
    assert step.kind == "reaction" and step.artifacts
    assert sum(v.verifier == "reaction.identity" and v.passed for v in step.verdicts) == 4


def test_bad_follow_up_loses_nothing(agent):
    first = agent.run("draw caffeine", thread_id="t2")
    with pytest.raises(IvluError, match="did you mean"):
        agent.run("now draw cafeine", thread_id="t2")
    kept = agent.result("t2")
    assert kept.figure == first.figure and kept.steps[0].spec == first.steps[0].spec
    assert agent.store.read(kept.figure)
    again = agent.run("now also highlight the methyl groups", thread_id="t2")
    assert again.steps[0].spec["highlight"] == ["methyl"]


def test_images_are_stored_by_reference(agent, tmp_path):
    """The symbolic engine reads a given image as a molecule drawing (issue 12); state holds its reference."""
    from rdkit import Chem
    from rdkit.Chem import Draw

    path = tmp_path / "in.png"
    Draw.MolToImage(Chem.MolFromSmiles("COC(=O)c1ccccc1"), size=(500, 500)).save(path)
    result = agent.run("highlight the ester group", images=[path])
    assert any("in.png" in n and "OSRA" in n for n in result.notes), result.notes
    assert result.steps[0].spec["highlight"] == ["ester"]
    values = agent.graph.get_state({"configurable": {"thread_id": result.thread_id}}).values
    (ref,) = values["images"]
    assert ref["width"] == 500 and agent.store.path(ref["path"]).is_file()


def test_an_image_that_is_no_molecule_is_a_clear_error(agent, tmp_path):
    from PIL import Image

    path = tmp_path / "blue.png"
    Image.new("RGB", (40, 30), "blue").save(path)
    with pytest.raises(IvluError) as err:
        agent.run("draw caffeine", images=[path])
    assert "blue.png" in str(err.value) or "image" in str(err.value).lower()


def test_headline_request_molecule_then_part(agent, tmp_path):
    out = tmp_path / "out"
    result = agent.run("draw caffeine with its methyl groups labelled, then the front/top/side views of a "
                       "60×40×8 mm plate with two 6 mm holes 40 mm apart", out=out)
    assert [s.kind for s in result.steps] == ["molecule", "cad"]
    assert result.status == "verified", [(s.id, [v.message for v in s.verdicts if not v.passed]) for s in result.steps]
    assert result.steps[0].spec["label_groups"] and result.steps[0].spec["highlight"] == ["methyl"]
    for view in ("front", "top", "right"):
        assert (out / "panels" / f"s2-{view}.png").is_file()
    assert (out / "panels" / "s2-part.step").is_file() and (out / "panels" / "s2-part.stl").is_file()


def test_opening_a_home_sweeps_a_killed_writers_leftover(tmp_path):
    leftover = tmp_path / "objects" / "ab" / ".tmp-999999999-x"  # no such pid
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half an image")
    with Agent(home=tmp_path):
        pass
    assert not leftover.exists()


def test_any_langgraph_checkpointer_can_hold_the_threads(tmp_path):
    from langgraph.checkpoint.memory import InMemorySaver

    saver = InMemorySaver()  # the seam a Postgres saver uses
    with Agent(home=tmp_path, checkpointer=saver) as agent:
        first = agent.run("draw caffeine", thread_id="t")
        assert agent.result("t").steps[0].spec["smiles"] == first.steps[0].spec["smiles"]
    assert not (tmp_path / "checkpoints.sqlite").exists()
    with Agent(home=tmp_path, checkpointer=saver) as agent:  # a new agent on the same saver sees the thread
        follow = agent.run("now highlight the methyl groups", thread_id="t")
    assert follow.status == "verified" and follow.steps[0].spec["highlight"] == ["methyl"]


def test_the_public_names_import_from_the_package_root():
    import ivlu_agent

    for name in ivlu_agent.__all__:
        assert getattr(ivlu_agent, name).__name__ == name
    from ivlu_agent.model import InternVLUPipeline  # documented in the README; lazy (torch loads on use)

    assert InternVLUPipeline.__name__ == "InternVLUPipeline"
