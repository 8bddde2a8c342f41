"""Read text out of an image: tesseract (Latin) or RapidOCR (small and CJK text).

Results are cached by the image's SHA-256 in the worker process, so verifying the same artifact
twice (a refine round that changed nothing visible, a re-verify) costs nothing.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from ...errors import IvluError

_CACHE: OrderedDict[tuple, list[dict]] = OrderedDict()
_CACHE_SIZE = 256
CACHE_STATS = {"hits": 0, "misses": 0}


def _digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_text(image_path: str | Path, engine: str = "tesseract", lang: str = "eng",
              use_cache: bool = True, psm: int = 11, whitelist: str = "", upright: bool = False) -> list[dict]:
    """Words (tesseract) or lines (rapid) found in the image: [{"text", "conf", "box": [x0, y0, x1, y1]}].

    Args:
        engine: "tesseract" for clean Latin text, "rapid" for small, CJK or mixed text.
        lang: tesseract language code(s), e.g. "eng" or "eng+chi_sim".
        psm: tesseract page segmentation mode (11 sparse text, 7 one line, 6 one block).
        whitelist: tesseract only: the characters it may answer with ("" for all).
        upright: rapid only: the text is known to be upright, so skip RapidOCR's angle classifier
            (it turns some upright lines upside down).
    """
    if engine not in ("tesseract", "rapid"):
        raise IvluError(f"Unknown OCR engine {engine!r}.", "'tesseract' or 'rapid'", "pick one of them")
    key = (_digest(image_path), engine, lang if engine == "tesseract" else "", psm, whitelist, upright)
    if use_cache and key in _CACHE:
        CACHE_STATS["hits"] += 1
        _CACHE.move_to_end(key)
        return _CACHE[key]
    CACHE_STATS["misses"] += 1
    words = _tesseract(image_path, lang, psm, whitelist) if engine == "tesseract" else _rapid(image_path, upright)
    _CACHE[key] = words
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return words


def text_of(words: list[dict]) -> str:
    return " ".join(w["text"] for w in words)


def _tesseract(image_path: str | Path, lang: str, psm: int = 11, whitelist: str = "") -> list[dict]:
    if shutil.which("tesseract") is None:
        raise RuntimeError("tesseract is not installed; run `make install`")
    extra = ["-c", f"tessedit_char_whitelist={whitelist}"] if whitelist else []
    run = subprocess.run(["tesseract", str(image_path), "stdout", "-l", lang, "--psm", str(psm), *extra, "tsv"],
                         capture_output=True, text=True, timeout=60)
    words = []
    for line in run.stdout.splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) == 12 and cols[11].strip():
            x, y, w, h = map(int, cols[6:10])
            words.append({"text": cols[11].strip(), "conf": float(cols[10]) / 100, "box": [x, y, x + w, y + h],
                          "line": [int(c) for c in cols[2:5]],  # block, paragraph, line
                          "page": int(cols[1])})  # which image, when `image_path` lists several (one per line)
    return words


@lru_cache(maxsize=1)
def _rapid_engine():
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def _rapid(image_path: str | Path, upright: bool = False) -> list[dict]:
    result, _ = _rapid_engine()(str(image_path), use_cls=not upright)
    words = []
    for box, text, conf in result or []:
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        words.append({"text": text, "conf": float(conf), "box": [min(xs), min(ys), max(xs), max(ys)]})
    return words
