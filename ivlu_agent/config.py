"""Agent configuration: where things live and the bounds that apply."""

from __future__ import annotations

import os
from pathlib import Path

MAX_REQUEST_CHARS = 4000
MAX_IMAGES = 8
MAX_IMAGE_BYTES = 32 * 1024 * 1024
ENGINES = ("symbolic", "internvlu")  # later: "remote"
PREFER = ("exact", "native")  # hybrid routing, or everything the head can attempt goes to the head


def default_home() -> Path:
    """The agent's home: IVLU_HOME, else ./.ivlu."""
    return Path(os.environ.get("IVLU_HOME") or ".ivlu").resolve()
