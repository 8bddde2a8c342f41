"""The `ivlu` command: exit codes, clear errors, lazy imports."""

import json
import subprocess
import sys

import pytest
from conftest import ivlu

from ivlu_agent.cli import main


def test_help_imports_nothing_heavy():
    code = ("import sys, time; t = time.perf_counter(); from ivlu_agent.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'diffusers', 'rdkit', 'cadquery', 'transformers', 'langgraph') "
            "if m in sys.modules]\nprint(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_run_writes_outputs_and_exits_0(tmp_path):
    r = ivlu("run", "draw caffeine with its methyl groups labelled", "--out", str(tmp_path / "o"), "--json",
             home=tmp_path / "h")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["status"] == "verified" and data["steps"][0]["spec"]["smiles"] == "Cn1c(=O)c2c(ncn2C)n(C)c1=O"
    assert (tmp_path / "o" / "figure.png").is_file()


@pytest.mark.parametrize("args, message", [
    (["run", "draw C1CC("], "Invalid SMILES"),
    (["run", "draw cafeine"], "did you mean: caffeine"),
    (["run", ""], "empty"),
    (["run", "draw " + "C" * 400], "heavy atoms"),
    (["run", "draw caffeine", "--engine", "nope"], "Unknown engine"),
    (["run", "draw caffeine", "--image", "{corrupt}"], "cannot be decoded"),
    (["run", "draw caffeine", "--out", "/proc/forbidden"], "Cannot write"),
    (["resume", "--thread", "nope"], "Unknown thread"),
    (["verify", "{corrupt}", "--molecule", "caffeine"], "Cannot read"),
])
def test_bad_input_exits_2_without_traceback(tmp_path, args, message):
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    args = [a.replace("{corrupt}", str(corrupt)) for a in args]
    r = ivlu(*args, home=tmp_path / "h")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr and "Traceback" not in r.stderr


def test_verify_any_image(tmp_path):
    from ivlu_agent.tools.molecule.render import render_molecule

    png = tmp_path / "aspirin.png"
    png.write_bytes(render_molecule({"kind": "molecule", "smiles": "CC(=O)Oc1ccccc1C(=O)O"})["files"][0]["data"])
    assert main(["verify", str(png), "--molecule", "aspirin"]) == 0
    assert main(["verify", str(png), "--molecule", "caffeine"]) == 1


def test_conventions_are_printed_and_strict_refuses(tmp_path):
    run = ivlu("run", "front and top views of an 80x50x10 mm plate with four 8 mm holes", "--out",
               str(tmp_path / "out"), home=tmp_path / "home")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "note: the four holes go at the corners, 12 mm in from each edge" in run.stdout
    assert "the four holes go at the corners" in (tmp_path / "out" / "report.md").read_text()
    strict = ivlu("run", "an 80x50x10 mm plate with four 8 mm holes", "--strict", home=tmp_path / "home")
    assert strict.returncode == 2 and "Where the four holes go is not given" in strict.stderr
    assert len(strict.stderr.strip().splitlines()) <= 4


def test_examples_lists_every_kind_in_its_rules_words(tmp_path):
    from ivlu_agent.tools import REGISTRY

    every = ivlu("examples", home=tmp_path / "h")
    assert every.returncode == 0, every.stderr
    assert [line.split(":")[0] for line in every.stdout.splitlines() if not line.startswith(" ")] == \
        [k.name for k in REGISTRY]
    assert "'draw caffeine and aspirin'" in every.stdout and "'pie chart of apples 30, bananas 50'" in every.stdout
    assert "generate: Draw an image with the model's generation head." in every.stdout
    one = ivlu("examples", "molecule", home=tmp_path / "h")
    assert one.returncode == 0 and one.stdout.startswith("molecule: Draw one molecule.\n")
    assert "'draw CC(=O)Oc1ccccc1C(=O)O'" in one.stdout and "reaction" not in one.stdout


def test_examples_of_an_unknown_kind_names_the_kinds(tmp_path):
    r = ivlu("examples", "nonsense", home=tmp_path / "h")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.splitlines() == [
        "error: Unknown kind 'nonsense'.",
        "Expected: one of molecule, lewis, reaction, equation, text, cad, plot, diagram, model3d, generate, edit",
        "What to do: run `ivlu examples` to list every kind, or name one of those"]


def test_examples_imports_nothing_heavy():
    code = ("import sys; from ivlu_agent.cli import main\nassert main(['examples']) == 0\n"
            "print([m for m in ('torch', 'diffusers', 'rdkit', 'cadquery', 'matplotlib', 'langgraph') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_a_run_reads_back_what_it_understood(tmp_path):
    run = ivlu("run", "draw caffeine, highlight the methyl groups in red", "--out", str(tmp_path / "out"),
               home=tmp_path / "home")
    assert run.returncode == 0, run.stdout + run.stderr
    line = "caffeine (C8H10N4O2), methyl groups highlighted in red"
    assert run.stdout.splitlines()[1:3] == ["understood:", f"  s1  {line}"]
    assert f"## What was understood\n\n- **s1** (molecule): {line}\n" in (tmp_path / "out" / "report.md").read_text()
    assert json.loads((tmp_path / "out" / "result.json").read_text())["steps"][0]["describe"] == line
