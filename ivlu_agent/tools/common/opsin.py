"""Systematic names to structures with OPSIN, the open IUPAC-name parser (its jar comes with the `py2opsin`
package from PyPI; it needs Java). Runs in a worker: it starts a JVM, about 0.6 s per call, so callers
batch every candidate name of a request into one call and only when the compound table did not know it.
"""

from __future__ import annotations

import shutil
import subprocess
from importlib import resources

from ...errors import IvluError

MAX_NAMES = 64  # candidates per call; a request never needs more
MAX_CHARS = 200  # per name
TIMEOUT_S = 60.0
_CACHE: dict[str, str] = {}  # name -> SMILES ('' when OPSIN cannot read it), for this worker's lifetime


def _jar() -> str:
    try:
        jars = sorted(p for p in resources.files("py2opsin").iterdir() if p.name.endswith(".jar"))
    except ModuleNotFoundError:
        jars = []
    if not jars:
        raise IvluError("OPSIN is not installed, so systematic names cannot be read.",
                        "the py2opsin package (it bundles OPSIN's jar)", "run `make install`")
    return str(jars[-1])


def parse_names(names: list[str]) -> dict[str, str]:
    """{name: SMILES} for every name OPSIN reads; names it cannot read are left out."""
    names = [n.strip() for n in names if n.strip() and len(n) <= MAX_CHARS and "\n" not in n][:MAX_NAMES]
    todo = [n for n in dict.fromkeys(names) if n not in _CACHE]
    if todo:
        java = shutil.which("java")
        if java is None:
            raise IvluError("Java is not installed, so OPSIN cannot read systematic names.",
                            "a Java runtime (Debian: default-jre-headless)", "run `make install`")
        try:
            run = subprocess.run([java, "-jar", _jar(), "-osmi"], input="\n".join(todo) + "\n", text=True,
                                 capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise IvluError(f"OPSIN did not answer within {TIMEOUT_S:.0f} s.", "a quick answer",
                            "try again, or give the structure as SMILES") from None
        lines = run.stdout.splitlines()
        if run.returncode != 0 or len(lines) != len(todo):
            raise IvluError(f"OPSIN failed (exit {run.returncode}): {run.stderr.strip()[-200:]}",
                            "one SMILES line per name", "give the structure as SMILES")
        _CACHE.update(zip(todo, (line.strip() for line in lines)))
    return {n: _CACHE[n] for n in names if _CACHE.get(n)}
