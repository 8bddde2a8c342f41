"""Errors that speak to the user.

Every error raised for bad input is an `IvluError`: it carries what was wrong, what was
expected and what to do next. The CLI prints it and exits 2; it never shows a traceback.
"""

from __future__ import annotations


class IvluError(ValueError):
    """Bad input or an impossible request. `str(err)` is a message a person can act on."""

    def __init__(self, problem: str, expected: str = "", fix: str = ""):
        self.problem = problem
        self.expected = expected
        self.fix = fix
        parts = [problem]
        if expected:
            parts.append(f"Expected: {expected}")
        if fix:
            parts.append(f"What to do: {fix}")
        super().__init__("\n".join(parts))


def validation_problems(e, limit: int | None = None) -> str:
    """'loc: message; …' for a pydantic ValidationError (its first `limit` problems), for error messages."""
    return "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()[:limit])


class RenderError(RuntimeError):
    """A renderer or verifier failed inside the isolated worker (crash, hang, memory, exception).

    The graph turns this into a failed verdict; it never takes the agent down.
    """
