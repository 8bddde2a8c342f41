"""The README's Python API example runs as written (a wrong example is a bug users hit first)."""

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_python_api_example_runs(tmp_path):
    block = re.search(r"## Python API\s+```python\n(.*?)```", README.read_text(), re.S).group(1)
    env = {**os.environ, "IVLU_HOME": str(tmp_path / "home")}
    run = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.splitlines()[0] == "verified"
    assert (tmp_path / "out" / "figure.png").is_file() and (tmp_path / "out" / "report.md").is_file()
