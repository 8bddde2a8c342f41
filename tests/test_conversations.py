"""Issue 12: follow-ups are typed edits of the previous turn; what an edit does not name keeps its artifacts
(same sha256, no re-render); a run asks instead of failing (API, CLI with --yes, off a terminal, on a terminal);
plan approval."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest

from ivlu_agent import Agent
from ivlu_agent.cli import main
from ivlu_agent.errors import IvluError

PLATE = "front, top and right views of a 60x40x8 mm plate with two 6 mm holes 40 mm apart"


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    with Agent(home=tmp_path_factory.mktemp("home")) as a:
        yield a


def run(agent, request, thread):
    """Run one turn; return the result and the ids of the steps that were drawn in it (not carried over)."""
    drawn, result = [], None
    for event in agent.stream(request, thread_id=thread):
        if event.type == "step_done":
            drawn.append(event.step_id)
        if event.type == "done":
            from ivlu_agent.types import RunResult

            result = RunResult.model_validate(event.data["result"])
    return result, drawn


def sha(step):
    return step.artifacts[0].sha256


def test_replace_keeps_the_other_molecule_and_the_highlights(agent):
    first, _ = run(agent, "draw caffeine and aspirin, highlight the methyl groups", "r")
    second, drawn = run(agent, "replace aspirin with ibuprofen", "r")
    assert [s.describe for s in second.steps] == ["caffeine (C8H10N4O2), methyl groups highlighted",
                                                  "ibuprofen (C13H18O2), methyl groups highlighted"]
    assert sha(second.steps[0]) == sha(first.steps[0])  # caffeine is the same file …
    assert drawn == ["s2"]  # … and was not drawn again
    assert second.status == "verified" and second.faithful.passed
    third, drawn = run(agent, "actually use paracetamol instead of caffeine", "r")
    assert [s.describe.split(" ")[0] for s in third.steps] == ["paracetamol", "ibuprofen"]
    assert drawn == ["s1"] and sha(third.steps[1]) == sha(second.steps[1])


def test_views_are_added_rotated_and_resized_without_losing_the_others(agent):
    first, _ = run(agent, f"draw caffeine; {PLATE}", "v")
    views = lambda r: [v["name"] for v in r.steps[1].spec["views"]]  # noqa: E731
    assert views(first) == ["front", "top", "right"]
    added, drawn = run(agent, "also show the left view", "v")
    assert views(added) == ["front", "top", "right", "left"] and drawn == ["s2"]
    assert sha(added.steps[0]) == sha(first.steps[0])
    files = lambda r: {a.name: a.sha256 for a in r.steps[1].artifacts}  # noqa: E731
    assert all(files(added)[f"{v}.png"] == files(first)[f"{v}.png"] for v in ("front", "top", "right"))
    more, _ = run(agent, "show the left and back views", "v")
    assert views(more) == ["front", "top", "right", "left", "back"]
    rotated, _ = run(agent, "rotate it 45° about x", "v")
    assert views(rotated) == ["front", "top", "right", "left", "back", "rotated"]
    holes, drawn = run(agent, "make the holes 8 mm", "v")
    assert {f["diameter"] for f in holes.steps[1].spec["features"]} == {8.0} and drawn == ["s2"]
    assert sha(holes.steps[0]) == sha(first.steps[0])
    assert holes.status == "verified"


def test_remove_and_restyle(agent):
    run(agent, "draw benzene, toluene and phenol", "m")
    removed, drawn = run(agent, "get rid of the toluene", "m")
    assert [s.describe.split(" ")[0] for s in removed.steps] == ["benzene", "phenol"] and drawn == []
    big, drawn = run(agent, "make all panels 900 px", "m")
    assert [s.spec["depiction"]["size"] for s in big.steps] == [900, 900] and sorted(drawn) == ["s1", "s2"]
    added, drawn = run(agent, "also draw aspirin", "m")
    assert len(added.steps) == 3 and drawn == ["s3"]


def test_a_follow_up_that_matches_no_edit_is_refused_briefly(agent):
    run(agent, "draw caffeine", "n")
    with pytest.raises(IvluError) as err:
        agent.run("make it nicer", thread_id="n")
    message = str(err.value)
    assert len(message.splitlines()) <= 4 and "s1 caffeine" in message
    assert [s.describe for s in agent.result("n").steps] == ["caffeine (C8H10N4O2)"]  # nothing lost


def test_an_ambiguous_name_is_asked_and_answered(agent):
    asked = agent.run("draw butanol", thread_id="q")
    assert asked.status == "needs_input" and asked.exit_code == 2 and not asked.steps
    assert asked.question["options"][:2] == ["butan-1-ol", "butan-2-ol"]
    done = agent.answer("q", "butan-2-ol")
    assert done.status == "verified" and done.steps[0].spec["formula"] == "C4H10O"
    assert "CC(O)CC" in done.steps[0].spec["smiles"] or done.steps[0].spec["smiles"] == "CCC(C)O"
    with pytest.raises(IvluError, match="not waiting for an answer"):
        agent.answer("q", "butan-1-ol")


def test_plan_approval_approve_edit_cancel(tmp_path):
    with Agent(home=tmp_path, approve_plan=True) as a:
        asked = a.run("draw benzene", thread_id="p")
        assert asked.status == "needs_input" and asked.question["plan"] == ["s1  benzene (C6H6)"]
        edited = a.answer("p", "replace benzene with toluene")
        assert edited.status == "needs_input" and edited.question["plan"] == ["s1  toluene (C7H8)"]
        done = a.answer("p", "approve")
        assert done.status == "verified" and [s.describe for s in done.steps] == ["toluene (C7H8)"]
        a.run("draw caffeine", thread_id="p")
    with Agent(home=tmp_path) as other:  # the run's own setting holds when another process answers
        with pytest.raises(IvluError, match="cancelled"):
            other.answer("p", "cancel")
        assert [s.describe for s in other.result("p").steps] == ["toluene (C7H8)"]  # still the approved version


def test_cli_question_off_a_terminal_exits_2_and_says_how_to_answer(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", open(os.devnull))
    home, out = str(tmp_path / "h"), str(tmp_path / "out")
    code = main(["--home", home, "run", "draw xylene", "--thread", "x", "--out", out])
    err = capsys.readouterr().err
    assert code == 2 and "which one?" in err and "ivlu answer --thread x 'o-xylene'" in err and "--yes" in err
    assert main(["--home", home, "answer", "--thread", "x", "p-xylene", "--out", out]) == 0
    assert "p-xylene" in capsys.readouterr().out


def test_cli_yes_takes_the_first_proposal(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", open(os.devnull))
    code = main(["--home", str(tmp_path), "run", "a 60x40x8 mm plate with three 5 mm holes", "--yes",
                 "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 0 and "in a row (--yes)" in captured.err and "evenly spaced in a row" in captured.out


def test_cli_asks_on_a_terminal_and_waits(tmp_path):
    """A real pseudo-terminal: the CLI prints the question, reads '2' and draws the second proposal."""
    pid, fd = pty.fork()
    if pid == 0:  # the child is the CLI on the terminal
        os.execv(sys.executable, [sys.executable, "-m", "ivlu_agent", "--home", str(tmp_path), "run",
                                  "draw xylene", "--out", str(tmp_path / "out")])
    seen = b""
    while b"> " not in seen:
        seen += os.read(fd, 1024)
    os.write(fd, b"2\n")
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    text = seen.decode(errors="replace")
    assert "1) o-xylene" in text and "m-xylene (C8H10)" in text and os.waitstatus_to_exitcode(status) == 0


def test_ivlu_help_still_imports_nothing_heavy():
    code = "import sys, ivlu_agent.cli as c; c.parser(['--help']); print(sorted(m for m in ('langgraph', 'rdkit', " \
           "'torch') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_an_edit_never_certifies_what_the_earlier_request_left_misread(agent):
    """'draw caffeine and unobtainium' ends unverified; 'make it bigger' keeps that figure, so it stays so."""
    first, _ = run(agent, "draw caffeine and unobtainium", "u")
    assert first.status == "unverified" and "unobtainium" in first.faithful.message
    bigger, _ = run(agent, "make it bigger", "u")
    assert bigger.status == "unverified" and "unobtainium (in the earlier request)" in bigger.faithful.message
    fresh, _ = run(agent, "draw benzene", "u")  # a new figure lets the old one, and its misreading, go
    assert fresh.status == "verified"
