"""docs/PLUGGING-IN.md is true: its example kind, written as the page says (one folder, one registry line)
into a copy of the package, plans, renders and verifies, and the layer rules still hold."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "PLUGGING-IN.md"


def example_files() -> dict[str, str]:
    """The page's code blocks, by the file path written just above each."""
    blocks = re.findall(r"`(ivlu_agent/tools/swatch/[\w.]+)`:\s*```python\n(.*?)```", DOC.read_text(), re.S)
    return dict(blocks)


def registry_line() -> str:
    return re.search(r"one line, in `REGISTRY`.*?```python\n(.*?)```", DOC.read_text(), re.S).group(1).rstrip()


def test_the_example_kind_is_one_folder_and_one_line(tmp_path):
    files = example_files()
    assert sorted(Path(p).name for p in files) == ["__init__.py", "render.py", "rule.py", "spec.py", "verify.py"]
    shutil.copytree(REPO / "ivlu_agent", tmp_path / "ivlu_agent", ignore=shutil.ignore_patterns("__pycache__"))
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(exist_ok=True)
        (tmp_path / path).write_text(text)
    registry = tmp_path / "ivlu_agent" / "tools" / "__init__.py"
    source = registry.read_text()
    source = source.replace("from .text import TextRule, TextSpec\n",
                            "from .swatch import SwatchRule, SwatchSpec\nfrom .text import TextRule, TextSpec\n")
    source = source.replace("    register(GenerateSpec),", registry_line() + "\n    register(GenerateSpec),")
    registry.write_text(source)

    env = {**os.environ, "PYTHONPATH": str(tmp_path), "IVLU_HOME": str(tmp_path / "home")}
    run = subprocess.run([sys.executable, "-m", "ivlu_agent", "run", "a swatch of teal", "--out", str(tmp_path / "out"),
                          "--json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert '"status": "verified"' in run.stdout and '"swatch.pixels"' in run.stdout
    assert '"describe": "a 128 × 128 px square of teal"' in run.stdout  # the read-back of what was understood
    examples = subprocess.run([sys.executable, "-m", "ivlu_agent", "examples", "swatch"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
    assert examples.returncode == 0 and "colour swatches ('a swatch of teal')" in examples.stdout
    bad = subprocess.run([sys.executable, "-m", "ivlu_agent", "run", "a swatch of blurple"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "Unknown colour 'blurple'" in bad.stderr
    lint = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--config", str(REPO / "pyproject.toml")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert lint.returncode == 0 and "broken" not in lint.stdout.replace("0 broken", ""), lint.stdout[-2000:]
