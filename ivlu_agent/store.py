"""The content-addressed artifact store.

Files live at `<root>/objects/<aa>/<sha256><ext>`. Writing is atomic (temporary file, then
rename) and idempotent: the same bytes always land at the same path, so a resumed run can never
duplicate an artifact. Graph state holds `ArtifactRef`s, never the bytes.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import time
from pathlib import Path

from .errors import IvluError
from .types import ArtifactRef

EXTENSIONS = {
    "image/png": ".png",
    "image/svg+xml": ".svg",
    "image/jpeg": ".jpg",
    "model/step": ".step",
    "model/stl": ".stl",
    "application/json": ".json",
    "text/plain": ".txt",
    "text/markdown": ".md",
}


def image_size(data: bytes, mime: str) -> tuple[int | None, int | None]:
    """Pixel size of a raster image, (None, None) for anything else."""
    if not mime.startswith("image/") or mime == "image/svg+xml":
        return None, None
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return im.width, im.height


TMP_PREFIX = ".tmp-"
STALE_AFTER_S = 3600  # a temporary file without a readable pid is an orphan after this long


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class ArtifactStore:
    """Content-addressed files under `root`. Refuses any path outside it."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()
        self.objects = self.root / "objects"

    def put(self, data: bytes, mime: str, name: str = "") -> ArtifactRef:
        """Store `data` (idempotent) and return its reference."""
        digest = hashlib.sha256(data).hexdigest()
        rel = Path("objects") / digest[:2] / (digest + EXTENSIONS.get(mime, ".bin"))
        target = self.root / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # The writer's pid is in the name, so `sweep` can tell a killed writer's leftover
            # from a write still under way in another process sharing this home.
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f"{TMP_PREFIX}{os.getpid()}-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        width, height = image_size(data, mime)
        return ArtifactRef(sha256=digest, path=rel.as_posix(), mime=mime, width=width, height=height, name=name)

    def put_file(self, path: str | os.PathLike, mime: str, name: str = "") -> ArtifactRef:
        return self.put(Path(path).read_bytes(), mime, name)

    def path(self, ref: ArtifactRef | str) -> Path:
        """Absolute path of a stored file. Raises if the reference points outside the store."""
        rel = ref.path if isinstance(ref, ArtifactRef) else ref
        full = (self.root / rel).resolve()
        if not full.is_relative_to(self.root):
            raise IvluError(
                f"Artifact path {rel!r} points outside the store at {self.root}.",
                "a path relative to the store root, such as 'objects/ab/ab12….png'",
                "use the ArtifactRef returned by the store; never build paths by hand",
            )
        return full

    def read(self, ref: ArtifactRef | str) -> bytes:
        full = self.path(ref)
        data = full.read_bytes()
        if isinstance(ref, ArtifactRef) and hashlib.sha256(data).hexdigest() != ref.sha256:
            raise IvluError(f"Artifact {ref.path} does not match its hash {ref.sha256[:12]}….",
                            "an untouched store", "delete the file and run the step again")
        return data

    def sweep(self) -> int:
        """Delete temporary files left by writers that died mid-write (SIGKILL, power loss).

        A finished write is renamed into place, so a leftover temporary file is never an artifact.
        Files whose writer is still running are kept. Returns how many were deleted.
        """
        removed = 0
        now = time.time()
        for tmp in self.objects.glob(f"*/{TMP_PREFIX}*"):
            pid_text = tmp.name[len(TMP_PREFIX):].split("-", 1)[0]
            try:
                orphan = not _alive(int(pid_text)) if pid_text.isdigit() else \
                    now - tmp.stat().st_mtime > STALE_AFTER_S
                if orphan:
                    tmp.unlink()
                    removed += 1
            except FileNotFoundError:  # another process swept it first
                continue
        return removed

    def count(self) -> int:
        """Number of stored objects (used by tests and benchmarks)."""
        return sum(1 for p in self.objects.rglob("*") if p.is_file() and not p.name.startswith(TMP_PREFIX))
