"""Every step says what it will draw in one line of plain English (`StepSpec.describe`), built from its fields."""

import subprocess
import sys
from typing import Literal

import pytest

from ivlu_agent.planning.symbolic import SymbolicPlanner
from ivlu_agent.tools import KINDS, StepSpec
from ivlu_agent.tools.base import DESCRIBE_CHARS, register
from ivlu_agent.tools.diagram import DiagramSpec
from ivlu_agent.tools.edit import EditSpec
from ivlu_agent.tools.generate import GenerateSpec
from ivlu_agent.tools.text import TextSpec


@pytest.fixture(scope="module")
def planner(workers):
    return SymbolicPlanner(describe=lambda s: workers.call("ivlu_agent.tools.common.chem:describe", s), call=workers.call)


# A request, and what each of its steps must say (in order): the key facts, or the whole line.
REQUESTS = [
    ("draw caffeine, highlight the methyl groups in red", [["caffeine (C8H10N4O2)", "methyl groups highlighted in red"]]),
    ("draw caffeine with its methyl groups labelled and the carbonyls in red",
     [["caffeine (C8H10N4O2)", "methyl and carbonyl (red) groups highlighted and labelled"]]),
    ("draw CC(=O)O", ["the molecule CC(=O)O (C2H4O2)"]),
    ("displayed formula of ethanol", ["displayed formula of ethanol (C2H6O)"]),
    ("both enantiomers of alanine", [["(S)-alanine", "C3H7NO2"], ["(R)-alanine", "C3H7NO2"]]),
    ("acetic acid + ethanol ->[H2SO4, heat] ethyl acetate + water",
     ["reaction: acetic acid + ethanol → ethyl acetate + water, over the arrow: H2SO4, under the arrow: heat"]),
    ("the equation $E = mc^2$", ["equation: E = mc^2"]),
    ("the quadratic formula", [["equation: quadratic formula", r"x = \frac{-b \pm \sqrt{b^{2} - 4ac}}{2a}"]]),
    ("a poster titled 'Relativity' with subtitle 'Einstein 1905'",
     ["poster titled 'Relativity', subtitle 'Einstein 1905'"]),
    ("a label 'Mitochondrion'", ["label: 'Mitochondrion'"]),
    ("front and top views of an 80x50x10 mm plate with four 8 mm holes, third-angle projection",
     ["part: 80 × 50 × 10 mm plate with 4 × Ø8 mm through hole; front and top views, third-angle"]),
    ("plot sin(x)/x from -10 to 10", ["plot of y = sin(x)/x, x from -10 to 10"]),
    ("line chart of CO2 ppm: 2000 369, 2005 379, 2010 389, 2015 400, 2020 414",
     ["line chart of CO2 ppm: 5 points, x 2000–2020"]),
    ("pie chart of apples 30, bananas 50", ["pie chart: apples 30, bananas 50"]),
    ("state machine: red -> green, green -> yellow, yellow -> red", ["state machine: red → green → yellow → red"]),
    ("state machine: idle -coin-> ready, ready -push-> idle", ["state machine: idle –coin→ ready –push→ idle"]),
    ("BST with keys 50, 30, 70, 20", ["binary search tree with the keys 50, 30, 70 and 20 inserted in that order"]),
    ("flowchart of binary search", [["flowchart of binary search, 12 nodes and 14 edges: Start → ", "…"]]),
]


def one_line(text: str) -> bool:
    return bool(text.strip()) and "\n" not in text and len(text) <= DESCRIBE_CHARS


@pytest.mark.parametrize("request_, wanted", REQUESTS, ids=[r for r, _ in REQUESTS])
def test_a_plan_reads_back_as_one_line_per_step(planner, request_, wanted):
    lines = [step.describe() for step in planner.plan(request_, [], []).steps]
    assert len(lines) == len(wanted), lines
    for line, facts in zip(lines, wanted):
        assert one_line(line), line
        if isinstance(facts, str):
            assert line == facts
        else:
            assert all(fact in line for fact in facts), (line, facts)


def test_long_fields_are_cut_with_an_ellipsis():
    text = TextSpec(heading="Key facts " * 5, body="Water boils at 100 °C.\nIt freezes at 0 °C.\n" * 30,
                    layout="panel")
    line = text.describe()
    assert one_line(line) and line.startswith("panel titled 'Key facts Key facts") and "(60 paragraphs)" in line
    chain = DiagramSpec(diagram="graph", directed=False, nodes=[{"id": f"n{i}", "label": f"node {i}"} for i in range(40)],
                        edges=[{"source": f"n{i}", "target": f"n{i + 1}"} for i in range(39)])
    line = chain.describe()
    assert one_line(line) and line.startswith("undirected graph, 40 nodes and 39 edges: node 0 – node 1 – ")
    assert line.endswith("…")


def test_the_neural_kinds_say_their_prompt_and_fallback():
    caffeine = {"kind": "molecule", "name": "caffeine", "smiles": "Cn1c(=O)c2c(ncn2C)n(C)c1=O"}
    generate = GenerateSpec(prompt="a red fox\nin the snow", text=["Fox"], fallback=caffeine)
    assert generate.describe() == ("image from the prompt: 'a red fox in the snow', showing the words 'Fox'; "
                                   "if the model cannot draw it, the exact molecule: caffeine (C8H10N4O2)")
    edit = EditSpec(source=f"objects/ab/{'a' * 64}.png", instruction="make the sky orange", width=512, height=256)
    assert edit.describe() == "edit of an image: 'make the sky orange', 512 × 256 px"


def test_a_kind_without_describe_cannot_register():
    class Mute(StepSpec):
        kind: Literal["mute"] = "mute"
        renderer = "ivlu_agent.tools.mute.render:render"
        verifier = "ivlu_agent.tools.mute.verify:verify"

    with pytest.raises(TypeError, match=r"Kind Mute cannot be registered: it does not define describe\(\)"):
        register(Mute)
    assert "mute" not in KINDS
    assert all(spec.describe is not StepSpec.describe for spec in KINDS.values())


def test_describe_loads_no_native_library():
    """It runs in the agent process, where a bad SMILES must not reach RDKit."""
    code = ("import sys; from ivlu_agent.tools.molecule import MoleculeSpec\n"
            "print(MoleculeSpec(name='caffeine', smiles='Cn1c(=O)c2c(ncn2C)n(C)c1=O').describe())\n"
            "print([m for m in ('rdkit', 'cadquery', 'matplotlib', 'torch') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["caffeine (C8H10N4O2)", "[]"]
