"""How checkpoints are written: LangGraph's msgpack, zlib-compressed when large.

Every checkpoint holds the whole run state (plan, step results with their verdicts), a few per turn, and
that text compresses about fivefold. Old, uncompressed checkpoints still load: the type tag says which."""

from __future__ import annotations

import zlib
from typing import Any

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

COMPRESSED = "+zlib"  # appended to the serializer's type tag
SMALLEST = 512  # bytes; below this compression saves nothing worth the call


class CompressedSerializer(JsonPlusSerializer):
    """JsonPlusSerializer whose large payloads are zlib-compressed."""

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        kind, data = super().dumps_typed(obj)
        if kind in ("msgpack", "json") and len(data) >= SMALLEST:
            return kind + COMPRESSED, zlib.compress(data, 6)
        return kind, data

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        kind, payload = data
        if kind.endswith(COMPRESSED):
            return super().loads_typed((kind[: -len(COMPRESSED)], zlib.decompress(payload)))
        return super().loads_typed(data)
