"""The isolated worker turns crashes, hangs and memory blow-ups into errors, and stays usable."""

import pytest

from ivlu_agent.errors import IvluError, RenderError
from ivlu_agent.worker import WorkerPool


def test_call_returns_value(workers):
    facts = workers.call("ivlu_agent.tools.common.chem:describe", "Cn1cnc2c1c(=O)n(C)c(=O)n2C")
    assert facts["formula"] == "C8H10N4O2"
    assert facts["inchikey"] == "RYYVLZVUVIJVGH-UHFFFAOYSA-N"


def test_segfault_becomes_render_error_and_pool_recovers():
    with WorkerPool(size=1) as pool:
        with pytest.raises(RenderError, match="crashed the worker.*signal 11"):
            pool.call("ctypes:string_at", 0)  # reads address 0: SIGSEGV in the child
        assert pool.call("math:sqrt", 16.0) == 4.0


def test_hang_is_stopped():
    with WorkerPool(size=1) as pool:
        with pytest.raises(RenderError, match="did not finish within 1 s"):
            pool.call("time:sleep", 30, timeout_s=1)
        assert pool.call("math:floor", 2.5) == 2


def test_memory_limit():
    with WorkerPool(size=1, memory_mb=1024) as pool:
        with pytest.raises(RenderError, match="out of memory|MemoryError"):
            pool.call("os:urandom", 3 * 1024**3)


def test_bad_input_comes_back_as_ivlu_error(workers):
    with pytest.raises(IvluError, match="Invalid SMILES"):
        workers.call("ivlu_agent.tools.common.chem:describe", "C1CC(")


def test_renderer_workers_get_one_thread_and_the_model_worker_all_cores(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with WorkerPool(size=1) as pool:
        assert pool.call("os:getenv", "OMP_NUM_THREADS") == "1"
    with WorkerPool(size=1, threads=0) as pool:
        assert pool.call("os:getenv", "OMP_NUM_THREADS") is None
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the user's setting wins
    with WorkerPool(size=1) as pool:
        assert pool.call("os:getenv", "OMP_NUM_THREADS") == "3"
