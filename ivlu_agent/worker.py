"""Isolated worker processes for native renderers and verifiers.

RDKit, CadQuery, OSRA and friends can segfault, hang or eat all memory on bad input. Every call
to them goes through a `WorkerPool`: warm child processes (spawned, never forked from the threaded
agent) with an address-space limit, and a wall-clock timeout enforced by the parent. A crash,
hang or memory blow-up becomes a `RenderError`, which the graph turns into a failed verdict.

A call names its target as "package.module:function" so the child imports only what it needs,
and arguments and results are plain picklable data (dicts, bytes, strings).

Children are started as `python -m ivlu_agent.worker` over a socket pair, not with
multiprocessing's spawn: spawn re-runs the user's `__main__` script in the child, which breaks any
script that lacks an `if __name__ == "__main__":` guard.
"""

from __future__ import annotations

import argparse
import importlib
import os
import socket
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

from .errors import IvluError, RenderError


def _exit_with_parent(poll_s: float = 1.0) -> None:
    """The child must not outlive an agent killed with SIGKILL: a daemon thread exits when the parent
    is gone. (PR_SET_PDEATHSIG fires when the parent *thread* exits, and graph nodes spawn workers from
    short-lived executor threads: warm workers, the model's among them, were killed between steps.)"""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(0)

    threading.Thread(target=watch, name="ivlu-parent-watch", daemon=True).start()


def resolve(target: str):
    """The function a "module:function" name points to (imported on first use)."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _serve(conn, memory_mb: int, threads: int = 1) -> None:
    """The child's loop: receive (target, args, kwargs), send back ('ok', value) or ('err', ...)."""
    _exit_with_parent()
    if memory_mb > 0:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if threads > 0:  # renderers are single-threaded work; many threads only fight over the cores
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    while True:
        try:
            target, args, kwargs = conn.recv()
        except (EOFError, OSError):
            return
        try:
            func = resolve(target)
            started = time.perf_counter()
            value = func(*args, **kwargs)
            conn.send(("ok", (value, time.perf_counter() - started)))
        except IvluError as e:
            conn.send(("bad_input", (e.problem, e.expected, e.fix)))
        except MemoryError:
            conn.send(("err", f"ran out of memory (limit {memory_mb} MB)"))
        except BaseException as e:  # noqa: BLE001 - everything becomes a verdict upstream
            tb = traceback.format_exc(limit=4)
            conn.send(("err", f"{type(e).__name__}: {e}\n{tb}"))


@dataclass
class _Child:
    process: subprocess.Popen
    conn: Any

    def alive(self) -> bool:
        return self.process.poll() is None


class WorkerPool:
    """A few warm, killable worker processes.

    Args:
        size: how many children may run at once (steps fan out in threads).
        timeout_s: default wall-clock limit for one call.
        memory_mb: address-space limit for each child (0 disables it).
        threads: OMP_NUM_THREADS for each child, unless the environment sets it; 0 leaves the
            libraries' own default (all cores), which the model worker wants.
    """

    def __init__(self, size: int = 2, timeout_s: float = 120.0, memory_mb: int = 6144, threads: int = 1):
        self.size = size
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.threads = threads
        self._idle: list[_Child] = []
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(size)

    def _spawn(self) -> _Child:
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        proc = subprocess.Popen(
            [sys.executable, "-m", "ivlu_agent.worker", "--fd", str(theirs.fileno()),
             "--memory-mb", str(self.memory_mb), "--threads", str(self.threads)],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
        )
        theirs.close()
        return _Child(proc, Connection(ours.detach()))

    def _take(self) -> _Child:
        with self._lock:
            while self._idle:
                c = self._idle.pop()
                if c.alive():
                    return c
        return self._spawn()

    def _give_back(self, c: _Child) -> None:
        with self._lock:
            self._idle.append(c)

    @staticmethod
    def _kill(c: _Child) -> None:
        if c.alive():
            c.process.kill()
        c.process.wait(timeout=5)
        c.conn.close()

    def call(self, target: str, *args: Any, timeout_s: float | None = None, **kwargs: Any) -> Any:
        """Run `target(*args, **kwargs)` in a child. Raises RenderError on crash, hang or error,
        and re-raises IvluError for bad input detected inside the child."""
        return self.call_timed(target, *args, timeout_s=timeout_s, **kwargs)[0]

    def call_timed(self, target: str, *args: Any, timeout_s: float | None = None,
                   **kwargs: Any) -> tuple[Any, float]:
        """Like `call`, also returning the seconds spent inside `target` in the child."""
        limit = timeout_s or self.timeout_s
        with self._slots:
            c = self._take()
            try:
                c.conn.send((target, args, kwargs))
                if not c.conn.poll(limit):
                    self._kill(c)
                    raise RenderError(f"{target} did not finish within {limit:.0f} s and was stopped.")
                status, value = c.conn.recv()
            except (EOFError, OSError, BrokenPipeError):
                try:
                    code = c.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    code = None
                self._kill(c)
                how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                raise RenderError(f"{target} crashed the worker ({how}).") from None
            self._give_back(c)
        if status == "ok":
            return value
        if status == "bad_input":
            raise IvluError(*value)
        raise RenderError(f"{target} failed: {value}")

    def close(self) -> None:
        with self._lock:
            children, self._idle = self._idle, []
        for c in children:
            self._kill(c)

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


if __name__ == "__main__":
    from multiprocessing.connection import Connection

    cli = argparse.ArgumentParser(description="an ivlu-agent worker process (started by WorkerPool)")
    cli.add_argument("--fd", type=int, required=True)
    cli.add_argument("--memory-mb", type=int, default=0)
    cli.add_argument("--threads", type=int, default=1)
    ns = cli.parse_args()
    _serve(Connection(ns.fd), ns.memory_mb, ns.threads)
