"""Schema-guided decoding: a model writes JSON that always parses and always fits its JSON schema.

A recursive-descent writer walks the schema. What the schema fixes (braces, keys, discriminator
prefixes, `const`) is fed to the model as forced text; where the schema leaves a choice, the model
picks under a mask over its vocabulary: one of the enum values, whether to add an optional key or
another array item, the characters of a string (tokens that need no JSON escaping, up to
`maxLength`), the digits of an integer (only prefixes that can still land in [minimum, maximum]).

The token budget is part of the grammar: every choice is offered only when the cheapest way to
finish the document still fits in `max_tokens`, so even a model with random weights ends with a
complete, schema-valid document inside its budget. Pydantic validators beyond the schema (cross-field
rules, SMILES that must parse…) are checked by the caller, which feeds errors back and retries.

The model is reached through one function, `step(new_token_ids) -> logits of the next token`, so this
module has no torch dependency and tests can drive it with any logits source.

Supported JSON-schema subset (what pydantic emits for our specs): object (properties, required;
free dicts are written empty), array (items, prefixItems, minItems, maxItems), string (minLength,
maxLength, pattern: '^[class]{m,n}$' as one cached vocabulary mask, any other pattern by partial
matching token by token; a string closes only once its pattern fully matches), integer and number
(minimum/maximum; numbers are written as integers), boolean, null, const, enum, anyOf/oneOf (object unions with a constant discriminator, or
unions told apart by their first character), $ref/$defs. Unknown keywords are ignored; the caller's
validation catches what they would have said.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

DEFAULT_MAX_CHARS = 200  # strings without maxLength
DEFAULT_MAX_ITEMS = 8  # arrays without maxItems
INT_BOUND = 10**6  # integers without minimum/maximum
UNREACHABLE = 10**9


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
        repeat = _class_repeat(pattern) if pattern else None
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


def _class_repeat(pattern: str | None) -> tuple[str, int, int] | None:
    """('A-Za-z0-9_', 1, 40) for '^[A-Za-z0-9_]{1,40}$'; None for any other shape of pattern."""
    m = _REPEAT.fullmatch(pattern or "")
    if not m or m.group(1).startswith("^"):  # a negated class is left to the general path
        return None
    char_class, lo, hi, op = m.groups()
    if lo is not None:
        return char_class, int(lo), int(hi) if hi is not None else int(lo)
    return char_class, *{None: (1, 1), "+": (1, DEFAULT_MAX_CHARS), "*": (0, DEFAULT_MAX_CHARS),
                         "?": (0, 1)}[op]


def _string_min_chars(s: dict) -> int:
    repeat = _class_repeat(s.get("pattern"))
    return max(s.get("minLength", 0), repeat[1] if repeat else 0)


class SchemaWriter:
    """Writes one JSON document for `schema` through a `GuidedDecoder`."""

    def __init__(self, schema: dict, decoder: GuidedDecoder):
        self.root = schema
        self.defs = schema.get("$defs", {})
        self.d = decoder
        self._costs: dict[int, tuple[dict, int]] = {}

    def write(self) -> Any:
        """Write the document and return it parsed."""
        start = len(self.d.parts)
        self._write(self.root, reserve=0)
        return json.loads("".join(self.d.parts[start:]))

    # -- schema helpers -------------------------------------------------------------------------------

    def resolve(self, s: dict) -> dict:
        seen = 0
        while isinstance(s, dict) and "$ref" in s:
            name = s["$ref"].rsplit("/", 1)[-1]
            if name not in self.defs:
                raise ValueError(f"unknown $ref {s['$ref']!r}")
            s = {**self.defs[name], **{k: v for k, v in s.items() if k != "$ref"}}
            seen += 1
            if seen > 50:
                raise ValueError("$ref cycle")
        return s

    def _branches(self, s: dict) -> list[dict] | None:
        if "anyOf" in s or "oneOf" in s:
            return [self.resolve(b) for b in s.get("anyOf") or s.get("oneOf")]
        if isinstance(s.get("type"), list):
            return [{**s, "type": t} for t in s["type"]]
        return None

    def _discriminator(self, branches: list[dict], s: dict) -> str | None:
        name = (s.get("discriminator") or {}).get("propertyName")
        candidates = [name] if name else list((branches[0].get("properties") or {}).keys())
        for key in candidates:
            consts = [_const_of(self.resolve((b.get("properties") or {}).get(key, {}))) for b in branches]
            if all(c is not _MISSING for c in consts) and len({json.dumps(c) for c in consts}) == len(consts):
                return key
        return None

    def openers(self, s: dict) -> list[str] | None:
        """The first piece of text of every value of `s`, when those tell its alternatives apart."""
        s = self.resolve(s)
        if "const" in s:
            return [json.dumps(s["const"])]
        if "enum" in s:
            return [json.dumps(v) for v in s["enum"]]
        branches = self._branches(s)
        if branches is not None:
            disc = self._discriminator(branches, s) if all(_is_object(b) for b in branches) else None
            if disc:
                return [_disc_literal(disc, _const_of(self.resolve(b["properties"][disc]))) for b in branches]
            return None
        t = s.get("type")
        return {"boolean": ["true", "false"], "null": ["null"], "string": ['"'], "array": ["["]}.get(
            t, ["{"] if _is_object(s) else None)

    def min_cost(self, s: dict) -> int:
        """Fewest tokens that write a valid value of `s` (forced pieces as this writer feeds them)."""
        key = id(s)  # the entry keeps `s` alive, so its id cannot be reused by another dict
        if key in self._costs:
            return self._costs[key][1]
        self._costs[key] = (s, UNREACHABLE)  # a cycle costs too much to take
        cost = min(self._min_cost(self.resolve(s)), UNREACHABLE)
        self._costs[key] = (s, cost)
        return cost

    def _min_cost(self, s: dict) -> int:
        c = self.d.vocab.cost
        if "const" in s:
            return c(json.dumps(s["const"]))
        if "enum" in s:
            return min(c(json.dumps(v)) for v in s["enum"])
        branches = self._branches(s)
        if branches is not None:
            disc = self._discriminator(branches, s) if all(_is_object(b) for b in branches) else None
            if disc:
                return min(self._object_cost(b, disc) for b in branches)
            usable = [b for b in branches if b.get("type") != "null"] or branches
            return min(self.min_cost(b) for b in usable)
        t = s.get("type")
        if t == "string":
            return 2 + _string_min_chars(s)
        if t in ("integer", "number"):
            lo, _ = _int_bounds(s)
            return max(1, len(str(lo))) if lo > 0 else 1
        if t == "boolean":
            return min(c("true"), c("false"))
        if t == "null":
            return c("null")
        if t == "array":
            if s.get("prefixItems"):
                items = s["prefixItems"]
                return c("[") + c("]") + sum(self.min_cost(i) for i in items) + (len(items) - 1) * c(",")
            n = s.get("minItems", 0)
            return c("[") + c("]") + n * self.min_cost(s.get("items", {})) + max(0, n - 1) * c(",")
        if _is_object(s):
            return self._object_cost(s)
        return c("null")

    def _object_cost(self, s: dict, disc: str | None = None) -> int:
        c = self.d.vocab.cost
        props, required = s.get("properties") or {}, s.get("required", [])
        if disc:
            total, first = c(_disc_literal(disc, _const_of(self.resolve(props[disc])))) + c("}"), False
        else:
            total, first = c("{") + c("}"), True
        for k in props:
            if k in required and k != disc:
                total += c(_key_literal(k, first)) + self.min_cost(props[k])
                first = False
        return total

    # -- writers --------------------------------------------------------------------------------------

    def _write(self, s: dict, reserve: int, opened: str | None = None) -> None:
        s = self.resolve(s)
        d = self.d
        if "const" in s:
            if opened is None:
                d.feed(json.dumps(s["const"]))
            return
        if "enum" in s:
            if opened is None:
                values = [json.dumps(v) for v in s["enum"]]
                fits = [v for v in values if d.vocab.cost(v) + reserve <= d.left] or values[:1]
                d.choose(fits)
            return
        branches = self._branches(s)
        if branches is not None:
            return self._write_union(s, branches, reserve, opened)
        t = s.get("type")
        if t == "string":
            d.string(s.get("maxLength", DEFAULT_MAX_CHARS), _string_min_chars(s), s.get("pattern"), reserve,
                     opened=opened is not None)
        elif t in ("integer", "number"):
            lo, hi = _int_bounds(s)
            if lo > hi:  # a float range with no integer inside: write its lower bound
                d.feed(json.dumps(s.get("minimum", s.get("exclusiveMinimum", 0))))
            elif hi < 0:
                d.feed("-")
                d.integer(-hi, -lo, reserve)
            else:
                d.integer(max(lo, 0), hi, reserve)
        elif t == "boolean":
            if opened is None:
                d.choose(["true", "false"])
        elif t == "null":
            if opened is None:
                d.feed("null")
        elif t == "array":
            self._write_array(s, reserve, opened)
        elif _is_object(s):
            self._write_object(s, reserve, opened is not None)
        else:
            d.feed("null")

    def _write_union(self, s: dict, branches: list[dict], reserve: int, opened: str | None) -> None:
        d = self.d
        disc = self._discriminator(branches, s) if all(_is_object(b) for b in branches) else None
        if disc:
            literals = [_disc_literal(disc, _const_of(self.resolve(b["properties"][disc]))) for b in branches]
            if opened is None:
                fits = [i for i, b in enumerate(branches) if self._object_cost(b, disc) + reserve <= d.left] or [0]
                chosen = fits[d.choose([literals[i] for i in fits])]
            else:
                chosen = literals.index(opened)
            self._write_object(branches[chosen], reserve, True, skip={disc}, emitted=1)
            return
        usable = [b for b in branches if b.get("type") != "null"] or branches
        if len(usable) == 1:
            return self._write(usable[0], reserve, opened)
        choices: list[tuple[dict, str]] = []
        for b in usable:
            for o in self.openers(b) or []:
                if o not in [c for _, c in choices] and self.min_cost(b) + reserve <= d.left:
                    choices.append((b, o))
        if not choices:
            return self._write(min(usable, key=self.min_cost), reserve, opened)
        if opened is None:
            branch, opener = choices[d.choose([o for _, o in choices])]
        else:
            branch, opener = next(((b, o) for b, o in choices if o == opened), choices[0])
        self._write(branch, reserve, opener)

    def _write_array(self, s: dict, reserve: int, opened: str | None) -> None:
        d, c = self.d, self.d.vocab.cost
        if opened is None:
            d.feed("[")
        if s.get("prefixItems"):
            items = s["prefixItems"]
            for i, item in enumerate(items):
                if i:
                    d.feed(",")
                rest = sum(self.min_cost(x) + c(",") for x in items[i + 1:])
                self._write(item, reserve + c("]") + rest)
            d.feed("]")
            return
        item = s.get("items", {})
        lo, hi = s.get("minItems", 0), s.get("maxItems", DEFAULT_MAX_ITEMS)
        unit = self.min_cost(item)
        n = 0
        while True:
            close = c("]") + reserve
            if n < lo:
                if n:
                    d.feed(",")
                self._write(item, close + (lo - n - 1) * (c(",") + unit))
                n += 1
                continue
            if n >= hi or d.left < (c(",") if n else 0) + unit + close:
                d.feed("]")
                return
            if n == 0:
                openers = self.openers(item)
                if openers is None:
                    d.feed("]")
                    return
                options = openers + ["]"]
                k = d.choose(options)
                if options[k] == "]":
                    return
                self._write(item, close, opened=options[k])
            else:
                if d.choose([",", "]"]) == 1:
                    return
                self._write(item, close)
            n += 1

    def _write_object(self, s: dict, reserve: int, opened: bool, skip: set[str] = frozenset(),
                      emitted: int = 0) -> None:
        d, c = self.d, self.d.vocab.cost
        if not opened:
            d.feed("{")
        props = s.get("properties") or {}
        required = set(s.get("required", []))
        order = [k for k in props if k not in skip]

        def tail(j: int) -> int:  # the cheapest finish after key j
            return reserve + c("}") + sum(c(_key_literal(k, False)) + self.min_cost(props[k])
                                          for k in order[j + 1:] if k in required)

        i = 0
        while i < len(order):
            first = emitted == 0
            options: list[str] = []
            targets: list[int | None] = []
            for j in range(i, len(order)):
                literal = _key_literal(order[j], first)
                if order[j] in required or d.left >= c(literal) + self.min_cost(props[order[j]]) + tail(j):
                    options.append(literal)
                    targets.append(j)
                if order[j] in required:
                    break
            if not any(k in required for k in order[i:]):
                options.append("}")
                targets.append(None)
            j = targets[d.choose(options)]
            if j is None:
                return
            self._write(props[order[j]], tail(j))
            emitted += 1
            i = j + 1
        d.feed("}")


_MISSING = object()


def _const_of(s: dict) -> Any:
    if "const" in s:
        return s["const"]
    if isinstance(s.get("enum"), list) and len(s["enum"]) == 1:
        return s["enum"][0]
    return _MISSING


def _is_object(s: dict) -> bool:
    return s.get("type") == "object" or ("properties" in s and "type" not in s)


def _key_literal(key: str, first: bool) -> str:
    return ("" if first else ",") + json.dumps(key) + ":"


def _disc_literal(key: str, value: Any) -> str:
    return "{" + json.dumps(key) + ":" + json.dumps(value)


def _int_bounds(s: dict) -> tuple[int, int]:
    lo = s.get("minimum", s.get("exclusiveMinimum"))
    hi = s.get("maximum", s.get("exclusiveMaximum"))
    lo = 0 if lo is None else (math.floor(lo) + 1 if "minimum" not in s else math.ceil(lo))
    hi = INT_BOUND if hi is None else (math.ceil(hi) - 1 if "maximum" not in s else math.floor(hi))
    return lo, hi


def write_json(schema: dict, step: Callable[[list[int]], Any], vocab: Vocab, max_tokens: int,
               temperature: float = 0.0, seed: int = 0) -> tuple[Any, str, GuidedDecoder]:
    """Decode one JSON document for `schema`. Returns (value, text, decoder) — the decoder holds the counts."""
    decoder = GuidedDecoder(step, vocab, max_tokens, temperature, seed)
    writer = SchemaWriter(schema, decoder)
    if writer.min_cost(schema) > max_tokens:
        raise ValueError(f"the smallest valid document needs {writer.min_cost(schema)} tokens; "
                         f"max_tokens is {max_tokens}")
    value = writer.write()
    return value, decoder.text, decoder
