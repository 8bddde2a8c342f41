"""Shared fixtures. Tests use real RDKit, OSRA, SQLite and worker processes; nothing is mocked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The tiny checkpoint saved by the official code, with its golden outputs (a copy of ../shared/fixtures).
FIXTURES = Path(os.environ.get("IVLU_FIXTURES") or REPO / "tests" / "fixtures" / "internvlu-tiny")


def ivlu(*args: str, home, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the `ivlu` CLI as a user would, in a fresh process with its own home."""
    env = {**os.environ, "IVLU_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "ivlu_agent", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


@pytest.fixture(scope="session")
def workers():
    from ivlu_agent.worker import WorkerPool

    pool = WorkerPool(size=2, timeout_s=60)
    yield pool
    pool.close()


@pytest.fixture
def agent(tmp_path):
    from ivlu_agent import Agent

    a = Agent(home=tmp_path / "home")
    yield a
    a.close()
