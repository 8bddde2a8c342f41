"""Token-level half of schema-guided decoding (the schema walk is in guided.py): `Vocab`, what the
writer knows about a tokenizer (each token's text, how text encodes, cached masks of plain-string,
digit and character-class tokens), and `GuidedDecoder`, which feeds forced text to the model, picks
the most likely (or a sampled) token under a mask, lets the model choose among fixed options through a
trie of their encodings, and writes JSON strings and bounded integers token by token while keeping
count of the token budget. The model is reached only through `step(new_ids) -> logits`, so there is no
torch dependency here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

DEFAULT_MAX_CHARS = 200  # strings without maxLength


def _plain(piece: str) -> bool:
    """Text that can sit inside a JSON string as is (no escaping, no control characters)."""
    return bool(piece) and "\ufffd" not in piece and not any(c in '"\\' or ord(c) < 0x20 or c == "\x7f"
                                                           for c in piece)


class Vocab:
    """What the writer needs to know about a tokenizer: each token's text and how text encodes."""

    def __init__(self, pieces: list[str], encode: Callable[[str], list[int]], banned: set[int] = frozenset()):
        self.pieces = pieces
        self.encode = lru_cache(maxsize=4096)(lambda text: tuple(encode(text)))
        n = len(pieces)
        self.lengths = np.array([len(p) for p in pieces])
        self.plain = np.array([_plain(p) and i not in banned for i, p in enumerate(pieces)], dtype=bool)
        self.digits = [(i, p) for i, p in enumerate(pieces) if p.isascii() and p.isdigit() and i not in banned]
        self.quote = self._single('"')
        self.stops = [t for t in (self._single(c) for c in ",}]") if t is not None]
        self.size = n
        self._class_masks: dict[str, np.ndarray] = {}

    def class_mask(self, char_class: str) -> np.ndarray:
        """Tokens made only of characters in `char_class` (a regex class body such as 'A-Za-z0-9_')."""
        if char_class not in self._class_masks:
            import regex

            every = regex.compile(f"[{char_class}]*")
            self._class_masks[char_class] = np.array([every.fullmatch(p) is not None for p in self.pieces])
        return self._class_masks[char_class]

    def _single(self, text: str) -> int | None:
        ids = self.encode(text)
        return ids[0] if len(ids) == 1 else None

    def cost(self, text: str) -> int:
        return len(self.encode(text))

    @classmethod
    def from_tokenizer(cls, tokenizer) -> Vocab:
        """From a Hugging Face tokenizer; special and added tokens are never chosen."""
        n = len(tokenizer)
        pieces = [tokenizer.decode([i]) for i in range(n)]
        banned = set(tokenizer.all_special_ids) | set(getattr(tokenizer, "added_tokens_decoder", {}) or {})
        return cls(pieces, lambda s: tokenizer.encode(s, add_special_tokens=False), banned)


class GuidedDecoder:
    """Feeds forced text and picks constrained tokens, keeping count of the budget.

    Args:
        step: `step(new_ids) -> logits` (1-D array) of the next token after the ids fed so far; the first
            call (possibly with no new ids) must process the prompt.
        vocab: the tokenizer's `Vocab`.
        max_tokens: the most tokens this decoder may feed (forced and chosen together).
        temperature: 0 picks the most likely allowed token; above 0 samples.
    """

    def __init__(self, step: Callable[[list[int]], Any], vocab: Vocab, max_tokens: int,
                 temperature: float = 0.0, seed: int = 0):
        self.step = step
        self.vocab = vocab
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.rng = np.random.default_rng(seed)
        self.used = 0
        self.pending: list[int] = []
        self.parts: list[str] = []
        self.calls = 0
        self._logits: np.ndarray | None = None

    @property
    def left(self) -> int:
        return self.max_tokens - self.used

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def feed(self, text: str) -> None:
        ids = self.vocab.encode(text)
        self.pending += ids
        self.used += len(ids)
        self.parts.append(text)
        self._logits = None

    def feed_id(self, token: int) -> None:
        self._push(token)
        self.parts.append(self.vocab.pieces[token])

    def logits(self) -> np.ndarray:
        if self._logits is None:
            out = self.step(self.pending)
            self.calls += 1
            self.pending = []
            self._logits = np.asarray(out, dtype=np.float64).reshape(-1)
        return self._logits

    def pick(self, allowed: np.ndarray) -> int:
        """The most likely (or a sampled) token among `allowed` (a bool mask over the vocabulary)."""
        logits = self.logits()
        mask = np.zeros(len(logits), dtype=bool)
        n = min(len(mask), len(allowed))
        mask[:n] = allowed[:n]
        if not mask.any():
            raise ValueError("no allowed token is inside the model's vocabulary")
        scores = np.where(mask, logits, -np.inf)
        if self.temperature <= 0:
            return int(np.argmax(scores))
        z = (scores - scores[mask].max()) / self.temperature
        p = np.where(mask, np.exp(z), 0.0)
        return int(self.rng.choice(len(p), p=p / p.sum()))

    def choose(self, options: list[str]) -> int:
        """Let the model pick one of `options` token by token (a trie of their encodings); feeds it."""
        if not options:
            raise ValueError("choose() needs at least one option")
        seqs = [self.vocab.encode(o) for o in options]
        alive, k = list(range(len(options))), 0
        while len(alive) > 1:
            ended = [i for i in alive if len(seqs[i]) == k]
            if ended:  # an option that is a token prefix of another: the shorter one wins
                alive = ended[:1]
                break
            firsts = {seqs[i][k] for i in alive}
            if len(firsts) == 1:
                token = seqs[alive[0]][k]
            else:
                mask = np.zeros(self.vocab.size, dtype=bool)
                mask[list(firsts)] = True
                token = self.pick(mask)
            self._push(token)
            alive = [i for i in alive if seqs[i][k] == token]
            k += 1
        chosen = alive[0]
        for token in seqs[chosen][k:]:
            self._push(token)
        self.parts.append(options[chosen])
        return chosen

    def _push(self, token: int) -> None:
        self.pending.append(token)
        self.used += 1
        self._logits = None

    def string(self, max_chars: int, min_chars: int = 0, pattern: str | None = None, reserve: int = 0,
               opened: bool = False) -> str:
        """A JSON string of plain tokens; the model decides when to close it (after `min_chars`)."""
        if not opened:
            self.feed('"')
        text = ""
        repeat = class_repeat(pattern) if pattern else None
        if repeat is not None:  # '^[class]{lo,hi}$': one vocabulary mask instead of a regex per token
            char_class, lo, hi = repeat
            min_chars, max_chars = max(min_chars, lo), min(max_chars, hi)
        compiled = _compiled(pattern) if pattern and repeat is None else None
        while True:
            room = min(max_chars - len(text), self.left - reserve - 1)
            allowed = self.vocab.plain & (self.vocab.lengths <= room) if room > 0 else \
                np.zeros(self.vocab.size, dtype=bool)
            if repeat is not None:
                allowed = allowed & self.vocab.class_mask(repeat[0])
            elif compiled is not None and allowed.any():
                allowed = allowed.copy()
                for i in np.flatnonzero(allowed):
                    allowed[i] = compiled.fullmatch(text + self.vocab.pieces[i], partial=True) is not None
            may_close = len(text) >= min_chars and self.vocab.quote is not None and \
                (compiled is None or compiled.fullmatch(text) is not None)
            if not allowed.any():
                break
            if may_close:
                allowed = allowed.copy()
                allowed[self.vocab.quote] = True
            token = self.pick(allowed)
            if token == self.vocab.quote:
                break
            self.feed_id(token)
            text += self.vocab.pieces[token]
        self.feed('"')
        return text

    def integer(self, lo: int, hi: int, reserve: int = 0) -> int:
        """Digits whose value stays reachable inside [lo, hi] (lo >= 0); the model decides when to stop."""
        width = len(str(hi))
        digits = ""
        while True:
            allowed = np.zeros(self.vocab.size, dtype=bool)
            value_ok = digits != "" and lo <= int(digits) <= hi
            for token, piece in self.vocab.digits:
                cand = digits + piece
                need = 0 if _in_range(cand, lo, hi) else max(0, len(str(lo)) - len(cand))
                if _reachable(cand, lo, hi, width) and self.left - 1 - reserve - need >= 0:
                    allowed[token] = True
            if value_ok:
                allowed[self.vocab.stops] = True
            if not allowed.any():
                break
            token = self.pick(allowed)
            if token in self.vocab.stops:
                break
            self.feed_id(token)
            digits += self.vocab.pieces[token]
        if not digits:  # only when the budget ran out: write the lower bound
            self.feed(str(lo))
            return lo
        return int(digits)


def _in_range(digits: str, lo: int, hi: int) -> bool:
    return lo <= int(digits) <= hi


def _reachable(digits: str, lo: int, hi: int, width: int) -> bool:
    """Can `digits`, possibly extended with more digits, be a value in [lo, hi] without a leading zero?"""
    if len(digits) > width or (len(digits) > 1 and digits[0] == "0"):
        return False
    if digits == "0":
        return lo <= 0 <= hi
    base = int(digits)
    for extra in range(width - len(digits) + 1):
        low, high = base * 10**extra, base * 10**extra + 10**extra - 1
        if low <= hi and high >= lo:
            return True
    return False


@lru_cache(maxsize=64)
def _compiled(pattern: str):
    """The pattern without its anchors, for `fullmatch` (partial while the string is being written)."""
    import regex

    core = pattern.removeprefix("^")
    core = core[:-1] if core.endswith("$") and not core.endswith("\\$") else core
    return regex.compile(core)


_REPEAT = re.compile(r"\^\[((?:[^\]\\]|\\.)+)\](?:\{(\d+)(?:,(\d+))?\}|([+*?]))?\$")


def class_repeat(pattern: str | None) -> tuple[str, int, int] | None:
    """('A-Za-z0-9_', 1, 40) for '^[A-Za-z0-9_]{1,40}$'; None for any other shape of pattern."""
    m = _REPEAT.fullmatch(pattern or "")
    if not m or m.group(1).startswith("^"):  # a negated class is left to the general path
        return None
    char_class, lo, hi, op = m.groups()
    if lo is not None:
        return char_class, int(lo), int(hi) if hi is not None else int(lo)
    return char_class, *{None: (1, 1), "+": (1, DEFAULT_MAX_CHARS), "*": (0, DEFAULT_MAX_CHARS),
                         "?": (0, 1)}[op]
