"""The CAD verifier: the part from its STEP file, any raster against a named view, the sheet, and the CLI."""

import io
import json

import numpy as np
import pytest
from conftest import ivlu
from PIL import Image

from ivlu_agent.tools.cad.match import compare_view
from ivlu_agent.tools.cad.render import build_part, draw_view, render_cad
from ivlu_agent.tools.cad.spec import View, make_cad_spec
from ivlu_agent.tools.cad.verify import check_part, check_sheet_labels, check_sheet_views, verify_cad
from ivlu_agent.tools.cad.views import project

PLATE = {"shape": "box", "length": 60, "width": 40, "height": 10}
HOLES = [{"type": "hole", "diameter": 8, "at": (-15, 8)}, {"type": "hole", "diameter": 5, "at": (18, -6)}]
REQUEST = "a 60 x 40 x 10 mm plate with a 8 mm hole at (-15, 8) and a 5 mm hole at (18, -6)"


def ink(png: bytes) -> np.ndarray:
    from ivlu_agent.tools.cad.match import read_ink

    path = io.BytesIO(png)
    path.name = "x.png"
    return read_ink(path)


def view_png(spec, name: str, **style) -> bytes:
    return draw_view(project(build_part(spec), View(name=name)), **style)[0]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cad")
    spec = make_cad_spec(part=PLATE, features=HOLES, views=[{"name": n} for n in ("front", "top", "right", "iso")])
    out = render_cad(spec.model_dump(mode="json"))
    files = {}
    for f in out["files"]:
        files[f["name"]] = str(folder / f["name"])
        (folder / f["name"]).write_bytes(f["data"])
    return spec, files, out["meta"]


def test_our_render_passes_every_check(rendered):
    spec, files, meta = rendered
    verdicts = verify_cad(spec.model_dump(mode="json"), files, meta)
    assert [v["verifier"] for v in verdicts] == ["cad.part", "cad.stl", "cad.view.front", "cad.view.top",
                                                 "cad.view.right", "cad.view.iso", "cad.sheet.views",
                                                 "cad.sheet.labels"]
    assert all(v["passed"] for v in verdicts), [v["message"] for v in verdicts if not v["passed"]]
    part = verdicts[0]["details"]
    assert part["hole_walls"] == 2 and part["volume"] == pytest.approx(60 * 40 * 10 - np.pi * (16 + 6.25) * 10)


def test_wrong_solid_is_caught_from_the_step_file(rendered):
    _, files, _ = rendered
    other = make_cad_spec(part=PLATE, features=[{**HOLES[0], "diameter": 9}, HOLES[1]])
    verdict = check_part(other, files["part.step"])
    assert not verdict["passed"] and "volume" in verdict["message"]
    fewer = make_cad_spec(part=PLATE, features=HOLES[:1])
    assert "it has 2 hole wall(s), expected 1" in check_part(fewer, files["part.step"])["message"]


@pytest.mark.parametrize("style", [
    {"view_px": 300, "line_px": 1}, {"view_px": 720, "line_px": 3}, {"view_px": 480, "line_px": 2, "hidden": False},
    {"view_px": 480, "line_px": 2, "margin": 90},
])
def test_correct_views_in_other_styles_pass(style):
    spec = make_cad_spec(part=PLATE, features=HOLES)
    solid = build_part(spec)
    for name in ("top", "front", "iso"):
        match = compare_view(ink(view_png(spec, name, **style)), project(solid, View(name=name)))
        assert match.passed, (name, style, match.problems)


def test_defects_are_caught():
    spec = make_cad_spec(part=PLATE, features=HOLES)
    top = project(build_part(spec), View(name="top"))
    good = view_png(spec, "top")
    img = Image.open(io.BytesIO(good)).convert("L")

    def check(image: Image.Image):
        buf = io.BytesIO()
        image.save(buf, "PNG")
        return compare_view(ink(buf.getvalue()), top)

    wrong_view = compare_view(ink(view_png(spec, "front")), top)
    assert not wrong_view.passed and any("aspect ratio" in p for p in wrong_view.problems)
    mirrored = check(img.transpose(Image.FLIP_LEFT_RIGHT))
    assert not mirrored.passed
    missing = compare_view(ink(view_png(make_cad_spec(part=PLATE, features=HOLES[:1]), "top")), top)
    assert not missing.passed and any("missing" in p for p in missing.problems)
    moved = make_cad_spec(part=PLATE, features=[HOLES[0], {**HOLES[1], "at": (8, -6)}])
    moved_match = compare_view(ink(view_png(moved, "top")), top)
    assert not moved_match.passed and any("does not have" in p for p in moved_match.problems)
    stretched = check(img.resize((int(img.width * 1.12), img.height)))
    assert not stretched.passed and any("stretched horizontally" in p for p in stretched.problems)
    assert compare_view(np.zeros((50, 50), bool), top).problems == ["the image has no drawing on it"]


def flat_picture(spec, name: str, flip: bool = False) -> tuple[np.ndarray, bool]:
    """A filled silhouette in grey (no lines at all), as an image generator might draw the part."""
    from ivlu_agent.tools.cad.match import read_picture
    from ivlu_agent.tools.cad.views import fill_triangles

    proj = project(build_part(spec), View(name=name), mesh=True)
    u0, v0, u1, v1 = proj.bounds()
    s = 400 / max(u1 - u0, v1 - v0)
    tri = (proj.triangles - [u0, v1]) * [s, -s] + 30
    mask = fill_triangles(tri, (int((u1 - u0) * s) + 60, int((v1 - v0) * s) + 60))
    image = Image.fromarray(np.where(mask, 120, 255).astype(np.uint8))
    if flip:
        image = image.transpose(Image.FLIP_LEFT_RIGHT)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    buf.seek(0)
    return read_picture(buf)


def test_shaded_pictures_are_judged_by_their_silhouette():
    spec = make_cad_spec(part=PLATE, features=HOLES)
    top = project(build_part(spec), View(name="top"), mesh=True)
    ink, shaded = flat_picture(spec, "top")
    assert shaded and compare_view(ink, top, shaded).passed
    assert not compare_view(*flat_picture(spec, "top", flip=True)[:1], top, True).passed
    missing = compare_view(flat_picture(make_cad_spec(part=PLATE, features=HOLES[1:]), "top")[0], top, True)
    assert not missing.passed and any("outlines are missing near (u -15, v 8)" in p for p in missing.problems)


def test_a_view_thinner_than_a_line_is_still_judged():
    sheet = make_cad_spec(part={"shape": "box", "length": 500, "width": 300, "height": 0.5},
                          features=[{"type": "hole", "diameter": 20, "at": (100, 50)}])
    front = project(build_part(sheet), View(name="front"))
    assert compare_view(ink(view_png(sheet, "front")), front).passed
    wrong = compare_view(ink(view_png(sheet, "top")), front)
    assert not wrong.passed and any("wrong aspect ratio" in p for p in wrong.problems)


def test_sheet_views_must_agree(rendered, tmp_path):
    spec, files, meta = rendered
    assert check_sheet_views(spec, files["main.png"], meta["sheet"])["passed"]
    sheet = Image.open(files["main.png"]).convert("RGB")
    x0, y0, x1, y1 = (int(c) for c in meta["sheet"]["boxes"]["top"])
    region = sheet.crop((x0 - 3, y0 - 3, x1 + 4, y1 + 4))
    sheet.paste((255, 255, 255), (x0 - 3, y0 - 3, x1 + 4, y1 + 4))
    sheet.paste(region.resize((int(region.width * 0.9), region.height)), (x0 - 3, y0 - 3))  # top view 10 % narrow
    tampered = tmp_path / "tampered.png"
    sheet.save(tampered)
    verdict = check_sheet_views(spec, str(tampered), meta["sheet"])
    assert not verdict["passed"] and "top width" in verdict["message"]


def test_sheet_labels_must_read_back(rendered, tmp_path):
    _, files, meta = rendered
    assert check_sheet_labels(files["main.png"], meta["sheet"])["passed"]
    sheet = Image.open(files["main.png"]).convert("RGB")
    label = next(lb for lb in meta["sheet"]["labels"] if lb["text"] == "60")
    sheet.paste((255, 255, 255), tuple(int(c) for c in label["box"]))
    smudged = tmp_path / "smudged.png"
    sheet.save(smudged)
    verdict = check_sheet_labels(str(smudged), meta["sheet"])
    assert not verdict["passed"] and "'60' read as" in verdict["message"]




def test_cli_verifies_any_image_against_a_part(rendered, tmp_path):
    _, files, _ = rendered
    ok = ivlu("verify", files["top.png"], "--cad", REQUEST, "--view", "top", "--json", home=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["verdicts"][0]["verifier"] == "cad.view.top"
    wrong = ivlu("verify", files["front.png"], "--cad", REQUEST, "--view", "top", home=tmp_path)
    assert wrong.returncode == 1 and "matches the front view instead" in wrong.stdout


@pytest.mark.parametrize("args, message", [
    (["--view", "diagonal"], "Unknown view 'diagonal'"),
    (["--view", "rotated x about z"], "The angle 'x' is not a number"),
    ([], "--cad needs --view"),
])
def test_cli_bad_input_exits_2(rendered, tmp_path, args, message):
    _, files, _ = rendered
    r = ivlu("verify", files["top.png"], "--cad", REQUEST, *args, home=tmp_path)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_image_check_runs_in_the_worker(workers, rendered):
    spec, files, _ = rendered
    verdicts = workers.call("ivlu_agent.tools.cad.verify:verify_cad_image", files["iso.png"],
                            spec.model_dump(mode="json"), {"name": "iso"})
    assert verdicts[0]["passed"] and verdicts[0]["verifier"] == "cad.view.iso"
