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


class NeedsInput(IvluError):
    """A request leaves open a value with no convention, or names something ambiguous: the run asks instead
    of failing. The answer amends the clause the question came from (`phrase`): it replaces the phrase
    ('butanol' → 'butan-2-ol') or is written after it ('two 6 mm holes' → 'two 6 mm holes 40 mm apart')."""

    def __init__(self, question: str, options: list[str], phrase: str, mode: str = "after", key: str = ""):
        if mode not in ("after", "replace"):
            raise ValueError(f"NeedsInput mode must be 'after' or 'replace', not {mode!r}")
        self.question = question
        self.options = list(options)
        self.phrase = phrase
        self.mode = mode
        self.key = key or f"{mode}:{phrase.lower()}"
        choices = "; ".join(f"'{o}'" for o in self.options)
        super().__init__(question, f"an answer such as {choices}" if choices else "an answer",
                         "answer it (`--answer TEXT`, or `--yes` for the first proposal)")

    def resolve(self, answer: str) -> str:
        """The proposal an answer means: its number ('2'), the proposal itself in any case, or the one proposal
        it starts or names ('para' → 'p-xylene', 'the second one'); else the answer as written."""
        import re

        text = " ".join(answer.strip().strip("'\"").split())
        low = text.lower()
        ordinals = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
        number = re.fullmatch(r"(?:the\s+)?(\d|first|second|third|fourth|1st|2nd|3rd|4th)(?:\s+one)?", low)
        if number:
            n = int(number.group(1)) if number.group(1).isdigit() else ordinals[number.group(1)]
            if 1 <= n <= len(self.options):
                return self.options[n - 1]
        for option in self.options:
            if option.lower() == low:
                return option
        short = re.sub(r"^(ortho|meta|para)\b-?", lambda m: m.group(1)[0] + "-", low)
        hits = [o for o in self.options if o.lower().startswith(short) or re.search(
            r"(?<![\w-])" + re.escape(low) + r"(?![\w-])", o.lower())]
        return hits[0] if len(hits) == 1 else text

    def amend(self, clause: str, answer: str) -> str:
        """The clause with the answer written into it; the clause unchanged if the phrase is not in it."""
        at = clause.lower().find(self.phrase.lower())
        if at < 0:
            return clause
        end = at + len(self.phrase)
        if self.mode == "replace":
            return clause[:at] + answer + clause[end:]
        return clause[:end] + " " + answer + clause[end:]

    def payload(self) -> dict:
        """What the paused run shows: the question, its proposed answers, and how an answer is applied."""
        return {"question": self.question, "options": self.options, "phrase": self.phrase, "mode": self.mode,
                "key": self.key}
