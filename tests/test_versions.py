"""Versions of a thread: history, show, undo, branch and diff, read from real SQLite checkpoints."""

import json
import sqlite3

import pytest

from ivlu_agent import Agent, IvluError
from ivlu_agent.cli import main
from ivlu_agent.report import MANIFEST

CAFFEINE = "Cn1c(=O)c2c(ncn2C)n(C)c1=O"
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A home whose thread "t" has three versions: caffeine and aspirin, caffeine and ibuprofen, E = mc^2."""
    path = tmp_path_factory.mktemp("versions") / "home"
    with Agent(home=path) as agent:
        for request in ("draw caffeine and aspirin", "draw caffeine and ibuprofen", "write E = mc^2"):
            assert agent.run(request, thread_id="t").status == "verified"
    return path


@pytest.fixture
def shared(home):
    with Agent(home=home) as agent:
        yield agent


def checkpoint_ids(home, thread_id):
    with sqlite3.connect(home / "checkpoints.sqlite") as db:
        return {row[0] for row in db.execute("SELECT checkpoint_id FROM checkpoints WHERE thread_id = ?",
                                             (thread_id,))}


def test_history_lists_every_turn_from_its_checkpoint(home, shared):
    versions = shared.history("t")
    assert [v.number for v in versions] == [1, 2, 3]
    assert [v.request for v in versions] == ["draw caffeine and aspirin", "draw caffeine and ibuprofen",
                                             "write E = mc^2"]
    assert [v.status for v in versions] == ["verified"] * 3
    assert versions[0].describe == ["caffeine (C8H10N4O2)", "aspirin (C9H8O4)"]
    assert versions[1].describe == ["caffeine (C8H10N4O2)", "ibuprofen (C13H18O2)"]
    assert [a.name for a in versions[0].artifacts] == ["figure.png", "figure.svg"] + ["main.png", "main.svg"] * 2
    assert {v.checkpoint_id for v in versions} <= checkpoint_ids(home, "t")  # each is a checkpoint row
    assert versions[-1].checkpoint_id == shared.graph.get_state(
        {"configurable": {"thread_id": "t"}}).config["configurable"]["checkpoint_id"]
    assert versions[0].created_at < versions[1].created_at < versions[2].created_at


def test_diff_names_the_replaced_compound_field_by_field(shared):
    (line,) = shared.diff("t", 1, 2)
    assert line.startswith("changed s2 (molecule): name 'aspirin' → 'ibuprofen'; smiles "
                           f"'{ASPIRIN}' → 'CC(C)Cc1ccc(C(C)C(=O)O)cc1'")
    assert shared.diff("t", 2, 3) == [
        "removed s1 (molecule): caffeine (C8H10N4O2)", "removed s2 (molecule): ibuprofen (C13H18O2)",
        f"added s1 (equation): {shared.show('t', 3).steps[0].describe}"]
    assert shared.diff("t", 2, 2) == ["no change"]


def test_show_a_version_writes_its_files_and_removes_the_previous_ones(shared, tmp_path):
    out = tmp_path / "out"
    first = shared.show("t", 1, out=out)
    assert first.request == "draw caffeine and aspirin" and first.out_dir == str(out)
    assert json.loads((out / "result.json").read_text())["steps"][1]["spec"]["smiles"] == ASPIRIN
    assert sorted(p.name for p in (out / "panels").iterdir()) == ["s1-main.png", "s1-main.svg", "s2-main.png",
                                                                   "s2-main.svg"]
    latest = shared.show("t", out=out)  # the latest: one equation panel, the molecules' files go
    assert latest.request == "write E = mc^2"
    assert sorted(p.name for p in (out / "panels").iterdir()) == ["s1-main.png", "s1-main.svg"]
    assert (out / "figure.png").read_bytes() == shared.store.path(latest.figure).read_bytes()


def test_run_out_removes_its_stale_files_and_never_touches_others(agent, tmp_path):
    out = tmp_path / "out"
    agent.run("draw caffeine and aspirin", thread_id="o", out=out)
    (out / "notes.txt").write_text("mine")
    (out / "panels" / "sketch.png").write_bytes(b"mine")
    agent.run("draw aspirin", thread_id="o", out=out)
    assert sorted(p.name for p in (out / "panels").iterdir()) == ["s1-main.png", "s1-main.svg", "sketch.png"]
    assert (out / "notes.txt").read_text() == "mine" and (out / "panels" / "sketch.png").read_bytes() == b"mine"
    assert json.loads((out / MANIFEST).read_text()) == [
        "figure.png", "figure.svg", "panels/s1-main.png", "panels/s1-main.svg", "report.md", "result.json"]
    # a manifest that names something outside the folder removes nothing there
    (tmp_path / "outside.txt").write_text("keep")
    (out / MANIFEST).write_text(json.dumps(["../outside.txt"]))
    agent.run("draw caffeine", thread_id="o", out=out)
    assert (tmp_path / "outside.txt").read_text() == "keep"


def test_undo_then_a_new_turn_builds_on_the_previous_version(agent):
    for request in ("draw caffeine", "draw aspirin", "draw ibuprofen"):
        agent.run(request, thread_id="u")
    back = agent.undo("u")
    assert (back.number, back.request) == (2, "draw aspirin")
    assert agent.result("u").request == "draw aspirin"
    assert [v.request for v in agent.history("u")] == ["draw caffeine", "draw aspirin"]
    follow_up = agent.run("now highlight the methyl groups", thread_id="u")  # on aspirin, not ibuprofen
    assert [(s.spec["smiles"], s.spec["highlight"]) for s in follow_up.steps] == [(ASPIRIN, ["methyl"])]
    assert [(v.number, v.request) for v in agent.history("u")] == [
        (1, "draw caffeine"), (2, "draw aspirin"), (3, "now highlight the methyl groups")]
    assert agent.undo("u").number == 2 and agent.undo("u").number == 1
    with pytest.raises(IvluError, match="has only one version; there is no earlier version"):
        agent.undo("u")


def test_a_branch_is_independent_of_its_source(agent):
    for request in ("draw caffeine", "draw aspirin"):
        agent.run(request, thread_id="a")
    source = agent.history("a")
    start = agent.branch("a", 1, "b")
    assert (start.thread_id, start.number, start.request) == ("b", 1, "draw caffeine")
    follow_up = agent.run("now highlight the methyl groups", thread_id="b")  # builds on caffeine
    assert [(s.spec["smiles"], s.spec["highlight"]) for s in follow_up.steps] == [(CAFFEINE, ["methyl"])]
    assert [(v.number, v.request) for v in agent.history("b")] == [
        (1, "draw caffeine"), (2, "now highlight the methyl groups")]
    assert agent.history("a") == source and agent.result("a").request == "draw aspirin"
    assert agent.branch("a", 2, "c").number == 2 and agent.undo("c").request == "draw caffeine"
    assert agent.history("a") == source
    with pytest.raises(IvluError, match="Thread 'b' already exists") as err:
        agent.branch("a", 2, "b")
    assert err.value.fix.startswith("pick another name for the branch")


def test_versions_survive_a_restart(tmp_path):
    with Agent(home=tmp_path / "home") as first:
        first.run("draw caffeine", thread_id="r")
        first.run("draw aspirin", thread_id="r")
    with Agent(home=tmp_path / "home") as second:
        assert [v.request for v in second.history("r")] == ["draw caffeine", "draw aspirin"]
        assert second.diff("r", 1, 2)[0].startswith("changed s1 (molecule): name 'caffeine' → 'aspirin'")
        assert second.branch("r", 2, "r2").request == "draw aspirin"
        assert second.undo("r").request == "draw caffeine"
    with Agent(home=tmp_path / "home") as third:
        assert [v.number for v in third.history("r")] == [1]
        assert [v.number for v in third.history("r2")] == [1, 2]


@pytest.mark.parametrize("call, message", [
    (lambda a: a.history("nope"), "Unknown thread 'nope'."),
    (lambda a: a.show("t", 9), "Thread 't' has no version 9.\nExpected: a version from 1 to 3"),
    (lambda a: a.diff("t", 0, 2), "Thread 't' has no version 0."),
    (lambda a: a.branch("t", 4, "new"), "Thread 't' has no version 4."),
    (lambda a: a.branch("t", 1, " "), "The new thread id ' ' is empty."),
    (lambda a: a.branch("t", 1, "t"), "Thread 't' already exists in this home."),
    (lambda a: a.undo("nope"), "Unknown thread 'nope'."),
])
def test_bad_input_says_what_was_wrong_and_what_to_do(shared, call, message):
    with pytest.raises(IvluError) as err:
        call(shared)
    assert str(err.value).startswith(message) and err.value.expected and err.value.fix


def test_cli_history_show_diff_undo_branch(tmp_path, capsys):
    home = ["--home", str(tmp_path / "home")]
    assert main([*home, "run", "draw caffeine", "--thread", "c", "--out", str(tmp_path / "o")]) == 0
    assert main([*home, "run", "draw aspirin", "--thread", "c", "--out", str(tmp_path / "o")]) == 0
    capsys.readouterr()

    assert main([*home, "history", "--thread", "c"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "1  verified   draw caffeine", "      caffeine (C8H10N4O2)",
        "2  verified   draw aspirin", "      aspirin (C9H8O4)"]
    assert main([*home, "history", "--thread", "c", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(v["number"], v["describe"]) for v in listed] == [(1, ["caffeine (C8H10N4O2)"]), (2, ["aspirin (C9H8O4)"])]

    assert main([*home, "show", "--thread", "c", "--version", "1", "--out", str(tmp_path / "o"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["steps"][0]["spec"]["smiles"] == CAFFEINE
    assert json.loads((tmp_path / "o" / "result.json").read_text())["request"] == "draw caffeine"

    assert main([*home, "diff", "--thread", "c", "1", "2"]) == 0
    assert capsys.readouterr().out.startswith("changed s1 (molecule): name 'caffeine' → 'aspirin'")

    assert main([*home, "branch", "--thread", "c", "--version", "2", "--to", "d"]) == 0
    assert capsys.readouterr().out == "thread d starts at version 2 of c: draw aspirin\n"
    assert main([*home, "undo", "--thread", "c"]) == 0
    assert capsys.readouterr().out == "thread c is back at version 1: draw caffeine\n"
    assert main([*home, "history", "--thread", "d"]) == 0
    assert capsys.readouterr().out.splitlines()[2] == "2  verified   draw aspirin"


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory):
    """A home whose thread "c" has one version, made by the CLI."""
    path = tmp_path_factory.mktemp("cli")
    assert main(["--home", str(path / "home"), "run", "draw caffeine", "--thread", "c", "--out", str(path / "o")]) == 0
    return path / "home"


@pytest.mark.parametrize("args, message", [
    (["history", "--thread", "nope"], "error: Unknown thread 'nope'."),
    (["show", "--thread", "c", "--version", "5"], "error: Thread 'c' has no version 5."),
    (["undo", "--thread", "c"], "error: Thread 'c' has only one version"),
    (["branch", "--thread", "c", "--version", "1", "--to", "c"], "error: Thread 'c' already exists"),
    (["diff", "--thread", "c", "1", "3"], "error: Thread 'c' has no version 3."),
])
def test_cli_bad_input_exits_2_without_traceback(cli_home, capsys, args, message):
    capsys.readouterr()
    assert main(["--home", str(cli_home), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and "What to do:" in err and "Traceback" not in err
