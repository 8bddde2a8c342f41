import hashlib
import io
import os
import subprocess
import sys
import time

import pytest
from PIL import Image

from ivlu_agent.errors import IvluError
from ivlu_agent.store import ArtifactStore


def png_bytes(w=30, h=20):
    buf = io.BytesIO()
    Image.new("RGB", (w, h), "red").save(buf, "PNG")
    return buf.getvalue()


def test_put_is_content_addressed_and_idempotent(tmp_path):
    store = ArtifactStore(tmp_path)
    data = png_bytes()
    a = store.put(data, "image/png", "main.png")
    b = store.put(data, "image/png", "other.png")
    assert a.sha256 == b.sha256 == hashlib.sha256(data).hexdigest()
    assert a.path == f"objects/{a.sha256[:2]}/{a.sha256}.png"
    assert (a.width, a.height) == (30, 20)
    assert store.count() == 1
    assert store.read(a) == data


def test_no_temporary_files_left(tmp_path):
    store = ArtifactStore(tmp_path)
    for i in range(5):
        store.put(f"text {i}".encode(), "text/plain")
    leftovers = [p for p in tmp_path.rglob(".tmp-*")]
    assert leftovers == [] and store.count() == 5


@pytest.mark.parametrize("bad", ["../outside.png", "/etc/passwd", "objects/../../x"])
def test_refuses_paths_outside_root(tmp_path, bad):
    store = ArtifactStore(tmp_path / "home")
    with pytest.raises(IvluError, match="outside the store"):
        store.path(bad)


def test_read_detects_tampering(tmp_path):
    store = ArtifactStore(tmp_path)
    ref = store.put(b"hello", "text/plain")
    store.path(ref).write_bytes(b"jello")
    with pytest.raises(IvluError, match="does not match its hash"):
        store.read(ref)


def test_sweep_removes_a_dead_writers_leftover_and_keeps_a_live_ones(tmp_path):
    store = ArtifactStore(tmp_path)
    ref = store.put(b"kept", "text/plain")
    folder = store.path(ref).parent
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    orphan = folder / f".tmp-{dead.stdout.strip()}-abc"
    live = folder / f".tmp-{os.getpid()}-def"
    legacy_old, legacy_new = folder / ".tmp-oldname", folder / ".tmp-newname"
    for p in (orphan, live, legacy_old, legacy_new):
        p.write_bytes(b"partial")
    os.utime(legacy_old, (time.time() - 7200, time.time() - 7200))

    assert store.sweep() == 2
    assert not orphan.exists() and not legacy_old.exists()
    assert live.exists() and legacy_new.exists()
    assert store.read(ref) == b"kept" and store.count() == 1
