"""Shared fixtures. Tests use real RDKit, OSRA, SQLite and worker processes; nothing is mocked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("IVLU_FIXTURES") or REPO.parent / "shared" / "fixtures" / "internvlu-tiny")


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
