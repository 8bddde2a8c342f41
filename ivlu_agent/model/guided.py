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

The token-level half (the vocabulary and its masks, the decoder that feeds forced text and picks
constrained tokens) is in guided_decoder.py; this module walks the schema and decides what is forced and
what the model chooses.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from .guided_decoder import DEFAULT_MAX_CHARS, GuidedDecoder, Vocab, class_repeat

# Vocab and GuidedDecoder live in guided_decoder.py; callers may keep importing them from here.
__all__ = ["GuidedDecoder", "SchemaWriter", "Vocab", "write_json"]

DEFAULT_MAX_ITEMS = 8  # arrays without maxItems
INT_BOUND = 10**6  # integers without minimum/maximum
UNREACHABLE = 10**9


def _string_min_chars(s: dict) -> int:
    repeat = class_repeat(s.get("pattern"))
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
