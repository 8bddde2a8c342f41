import hashlib
import io

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
