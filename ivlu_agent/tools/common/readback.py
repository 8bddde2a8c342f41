
import re
import tempfile
import unicodedata
from pathlib import Path

from ...errors import IvluError
from .images import open_image
from .ocr import read_text

TESSERACT_SAFE = re.compile(r"^[A-Za-z0-9 .,;:!?'\"()\[\]{}&%$#@*/+=<>_-]*$")



_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "−": "-", "‐": "-",
                       "√": "v", "×": "x", "·": ".", "•": "."})



MIN_OCR_PX = 32  # tesseract reads best when letters are at least this tall; smaller text is upscaled



def normalise(text: str) -> str:
    """The form strings are compared in: NFKC, folded look-alikes, no whitespace."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    return "".join(text.split())



def words_of(text: str) -> list[str]:
    """CVTG-2k words: whitespace tokens, with every CJK character a word of its own."""
    from .prose import is_cjk

    out: list[str] = []
    for token in text.split():
        word = ""
        for ch in token:
            if is_cjk(ch):
                if word:
                    out.append(word)
                    word = ""
                out.append(ch)
            else:
                word += ch
        if word:
            out.append(word)
    return [w for w in (normalise(w) for w in out) if w]



def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, one numpy row at a time."""
    import numpy as np

    if not a or not b:
        return len(a) + len(b)
    codes_b = np.array([ord(c) for c in b])
    ar = np.arange(len(b) + 1)
    prev = ar.copy()
    for i, ch in enumerate(a, start=1):
        cand = np.empty_like(prev)
        cand[0] = i
        cand[1:] = np.minimum(prev[1:] + 1, prev[:-1] + (codes_b != ord(ch)))
        prev = np.minimum.accumulate(cand - ar) + ar
    return int(prev[-1])



def needs_rapid(text: str) -> bool:
    """Tesseract (English model) only knows plain Latin; CJK and math symbols go to RapidOCR."""
    return not TESSERACT_SAFE.match(text)



def reading_order(items: list[dict]) -> str:
    """OCR words or lines joined in reading order: rows by vertical overlap, then left to right."""
    rows: list[list[dict]] = []
    for item in sorted(items, key=lambda w: (w["box"][1] + w["box"][3]) / 2):
        y0, y1 = item["box"][1], item["box"][3]
        for row in rows:
            r0, r1 = min(w["box"][1] for w in row), max(w["box"][3] for w in row)
            if min(y1, r1) - max(y0, r0) > 0.5 * min(y1 - y0, r1 - r0):
                row.append(item)
                break
        else:
            rows.append([item])
    return "\n".join(_join_row(sorted(row, key=lambda w: w["box"][0])) for row in rows)



def _join_row(items: list[dict]) -> str:
    """Join one row's pieces. RapidOCR can cut a line into two boxes that overlap by a character or
    two, and then reads those characters twice ('变成糖。有 有利于'); the repeat is dropped."""
    text, right_edge = "", None
    for item in items:
        piece = item["text"]
        if right_edge is not None and item["box"][0] < right_edge:
            tail = normalise(text)
            repeat = max((k for k in range(1, 4) if tail.endswith(normalise(piece)[:k])), default=0)
            piece = piece.lstrip()[repeat:]
        text = f"{text} {piece}" if text else piece
        right_edge = item["box"][2]
    return text



def ocr(image_path: str, engine: str, smallest_px: int | None) -> str:
    """The image's text in reading order. Tesseract gets small text enlarged first."""
    if engine == "rapid":
        return reading_order(read_text(image_path, "rapid"))
    scale = min(3.0, MIN_OCR_PX / smallest_px) if smallest_px and smallest_px < MIN_OCR_PX else 1.0
    if scale <= 1.0:
        return reading_order(read_text(image_path, "tesseract", psm=11))
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp, Image.open(image_path) as im:
        big = Path(tmp) / "big.png"
        im.convert("RGB").resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS).save(big)
        return reading_order(read_text(big, "tesseract", psm=11))



def closest_line(wanted: str, text: str) -> str:
    import difflib

    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    target = normalise(wanted)
    return max(lines, key=lambda line: difflib.SequenceMatcher(None, target, normalise(line)).ratio())



def find_in(wanted: str, text: str, start: int, whole_lines: bool) -> int | None:
    """Where `wanted` ends in the OCR text if it occurs at or after `start` (in normalised form).

    With `whole_lines` it must also begin and end where OCR lines do, so a title cannot be 'found'
    inside the subtitle below it ('侵蚀' in '风和水侵蚀岩石')."""
    target = normalise(wanted)
    lines = [normalise(line) for line in text.splitlines()]
    joined = "".join(lines)
    if not whole_lines:
        at = joined.find(target, start)
        return None if at < 0 else at + len(target)
    edges, total = [0], 0
    for line in lines:
        total += len(line)
        edges.append(total)
    ends = set(edges)
    for edge in edges:
        if edge >= start and joined.startswith(target, edge) and edge + len(target) in ends:
            return edge + len(target)
    return None



def read_back(image_path: str, strings: list[tuple[str, str]], smallest_px: int | None = None,
              strict: bool = True) -> dict:
    """Which requested strings OCR reads back and by which engine, with CVTG-2k metrics.

    `strict` (this renderer's layouts): the strings are read in order, each filling whole OCR lines.
    Otherwise each string may sit anywhere, inside longer lines."""
    texts: dict[str, str] = {}
    positions: dict[str, int] = {}  # per engine: where the last string read back ended

    def read(engine: str) -> str:
        if engine not in texts:
            texts[engine] = ocr(image_path, engine, smallest_px)
        return texts[engine]

    found = []
    for role, wanted in strings:
        order = ["rapid"] if needs_rapid(wanted) else ["tesseract", "rapid"]
        hit = None
        for engine in order:
            end = find_in(wanted, read(engine), positions.get(engine, 0) if strict else 0, strict)
            if end is not None:
                hit, positions[engine] = engine, end
                break
        found.append({"role": role, "text": wanted, "read": hit is not None, "engine": hit or order[0],
                      "closest": "" if hit else closest_line(wanted, read(order[0]))})
    # CVTG-2k metrics. Words are found in order within the text of the engine that read their string;
    # NED compares all requested text with the text of the engine most strings were read by.
    matched, total = 0, 0
    for f in found:
        seen, position = normalise(read(f["engine"])), 0
        for word in words_of(f["text"]):
            total += 1
            at = seen.find(word, position)
            if at >= 0:
                matched += 1
                position = at + len(word)
    engines = [f["engine"] for f in found]
    primary = max(set(engines), key=engines.count)
    target, seen = normalise(" ".join(t for _, t in strings)), normalise(read(primary))
    ned = edit_distance(target, seen) / max(1, len(target), len(seen))
    return {"strings": found, "word_accuracy": matched / max(1, total), "ned": ned, "engines": sorted(texts)}



def check_ocr(strings: list[tuple[str, str]], image_path: str, smallest_px: int | None,
              strict: bool = True) -> dict:
    try:
        result = read_back(image_path, strings, smallest_px, strict)
    except OSError as e:
        raise IvluError(f"Cannot read {image_path} as an image ({e}).", "a PNG or JPEG file",
                        "check the file is a complete, uncorrupted image") from None
    missing = [f for f in result["strings"] if not f["read"]]
    metrics = f"word accuracy {result['word_accuracy']:.2f}, NED {result['ned']:.2f}"
    if missing:
        shown = "; ".join(f"{f['text'][:60]!r} (closest read: {f['closest'][:60]!r})" for f in missing[:4])
        message = f"OCR did not read back {len(missing)} of {len(strings)} string(s): {shown}. ({metrics})"
    else:
        message = f"OCR read back all {len(strings)} string(s) ({metrics}; {', '.join(result['engines'])})."
    return {"verifier": "text.ocr", "passed": not missing, "score": round(result["word_accuracy"], 4),
            "checked": "every requested string is read back by OCR (tesseract for Latin, RapidOCR for CJK "
                       "and symbols)",
            "message": message,
            "details": {"word_accuracy": round(result["word_accuracy"], 4), "ned": round(result["ned"], 4),
                        "strings": result["strings"], "engines": result["engines"]}}



def verify_text_image(image_path: str, strings: list[str]) -> list[dict]:
    """Raster check of any image (this tool's or another generator's): every string is read back."""

    if not strings or not all(s.strip() for s in strings):
        raise IvluError("No text to look for.", "one or more non-empty --text strings", "give the text")
    open_image(image_path)  # a clear error for a corrupt file, before any OCR
    # Another generator's image may hold more text around a string, and the strings in any order.
    return [check_ocr([("text", s.strip()) for s in strings], image_path, None, strict=False)]
