"""Image helpers shared by the verifiers: opening any image with a clear error, and OCR strips."""

from __future__ import annotations

from pathlib import Path

from ...errors import IvluError


def open_image(path: str | Path, mode: str = "RGB"):
    """The image at `path`, fully loaded and converted to `mode`; transparency is laid on white.

    Raises IvluError (not a traceback) for a missing, truncated or non-image file.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            if im.mode in ("RGBA", "LA", "P"):
                im = Image.alpha_composite(Image.new("RGBA", im.size, "white"), im.convert("RGBA"))
            return im.convert(mode)
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise IvluError(f"Cannot read {path} as an image ({e}).", "a PNG or JPEG file",
                        "check the file is a complete, uncorrupted image") from None


def stack_crops(crops: list[tuple[str, object]], gap: int):
    """Stack (name, PIL image) crops top to bottom on white with `gap` pixels around each, so one OCR
    call reads them all. Returns the strip and each name's y range in it."""
    from PIL import Image

    width = max(c.width for _, c in crops) + 2 * gap
    height = sum(c.height for _, c in crops) + gap * (len(crops) + 1)
    strip = Image.new("L", (width, height), 255)
    spans, y = {}, gap
    for name, crop in crops:
        strip.paste(crop, (gap, y))
        spans[name] = (y - gap / 2, y + crop.height + gap / 2)
        y += crop.height + gap
    return strip, spans
