"""Lewis structures: RDKit's electron bookkeeping, the drawing, the pixel read-back, and prose requests end to end
(real RDKit, matplotlib, worker processes and graph; nothing mocked)."""

import io
import json

import pytest
from conftest import ivlu
from pydantic import ValidationError

from ivlu_agent import Agent, IvluError
from ivlu_agent.tools.lewis.electrons import bookkeeping
from ivlu_agent.tools.lewis.render import render_lewis
from ivlu_agent.tools.lewis.spec import LewisSpec
from ivlu_agent.tools.lewis.species import SPECIES
from ivlu_agent.tools.lewis.verify import check_pixels, verify_lewis


@pytest.fixture(scope="module")
def lewis_agent(tmp_path_factory):
    with Agent(home=tmp_path_factory.mktemp("home")) as agent:
        yield agent


PROSE = [  # (request, InChIKey of the species, words the read-back must hold)
    ("Draw the Lewis structure of water", "XLYOFNOQVPJJNP-UHFFFAOYSA-N",
     "Lewis structure of water (H2O): 2 bonds, 2 lone pairs on O, 8 valence electrons"),
    ("the Lewis dot structure for ammonia", "QGZKDVFQNNGYKY-UHFFFAOYSA-N", "1 lone pair on N, 8 valence electrons"),
    ("dot-and-cross diagram of CO2", "CURLTUGMZLYLDI-UHFFFAOYSA-N", "2 double bonds, 4 lone pairs on O, 16 valence"),
    ("Lewis structure of the nitrate ion", "NHNBFGGVMKEFGY-UHFFFAOYSA-N", "one of 3 resonance forms"),
    ("show the lone pairs on the nitrogen of pyridine", "JUJWROOIHBZHMG-UHFFFAOYSA-N", "lone pairs on N in blue"),
    ("Lewis structure of glycine", "DHMQDGOQFOQNFH-UHFFFAOYSA-N", "4 lone pairs on O, 1 on N, 30 valence electrons"),
    ("electron dot structure of HCN", "LELOWRISYMNNSU-UHFFFAOYSA-N", "2 bonds (1 triple), 1 lone pair on N"),
    ("Lewis structure of BF3", "WTEOIRVLGSZEPR-UHFFFAOYSA-N", "incomplete octet on B (6 electrons)"),
    ("Lewis structure of methane", "VNWKTOKETHGBQD-UHFFFAOYSA-N", "4 bonds, no lone pairs, 8 valence electrons"),
    ("Draw a Lewis structure for ammonia, NH3. Show the lone pair of electrons on the nitrogen atom.",
     "QGZKDVFQNNGYKY-UHFFFAOYSA-N", "lone pairs on N in blue"),
]


@pytest.mark.parametrize("request_text, inchikey, words", PROSE, ids=[p[0][:40] for p in PROSE])
def test_prose_requests_end_verified(lewis_agent, request_text, inchikey, words):
    result = lewis_agent.run(request_text)
    assert result.status == "verified", [(v.verifier, v.message) for s in result.steps for v in s.verdicts] + \
        [result.faithful.message]
    (step,) = result.steps
    assert step.kind == "lewis" and step.spec["inchikey"] == inchikey
    assert words in step.describe, step.describe
    checks = {v.verifier for v in step.verdicts if v.passed}
    assert {"lewis.identity", "lewis.electrons", "lewis.lone_pairs", "lewis.charges", "lewis.total"} <= checks


def test_the_cli_draws_water_and_exits_0(tmp_path):
    r = ivlu("run", "Draw the Lewis structure of water", "--out", str(tmp_path / "o"), "--json", home=tmp_path / "h")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["status"] == "verified" and data["steps"][0]["kind"] == "lewis"
    assert (tmp_path / "o" / "figure.png").is_file() and (tmp_path / "o" / "panels" / "s1-main.svg").is_file()


def test_an_unknown_compound_is_a_clear_error(lewis_agent):
    with pytest.raises(IvluError) as e:
        lewis_agent.run("Draw the Lewis structure of unobtainium")
    assert "unobtainium" in e.value.problem and "NO3-" in e.value.expected and e.value.fix
    with pytest.raises(IvluError, match="did you mean: ammonia"):
        lewis_agent.run("Lewis structure of amonia")
    with pytest.raises(IvluError, match="62 heavy atoms") as e:
        lewis_agent.run("Lewis structure of paclitaxel")
    assert "at most 40" in e.value.expected


@pytest.mark.parametrize("smiles, atom, lone_pairs, unpaired, charge, shell", [
    ("O", "O", 2, 0, 0, 8), ("[O-][N+](=O)[O-]", "N", 0, 0, 1, 8), ("FB(F)F", "B", 0, 0, 0, 6),
    ("FS(F)(F)(F)(F)F", "S", 0, 0, 0, 12), ("O=[N+][O-]", "N", 0, 1, 1, 7), ("C#N", "N", 1, 0, 0, 8),
])
def test_bookkeeping_counts_every_valence_electron(smiles, atom, lone_pairs, unpaired, charge, shell):
    book = bookkeeping(smiles)
    (a,) = [a for a in book["atoms"] if a["symbol"] == atom]
    assert (a["lone_pairs"], a["unpaired"], a["charge"], a["shell"]) == (lone_pairs, unpaired, charge, shell)
    drawn = 2 * sum(b["order"] for b in book["bonds"]) + sum(2 * x["lone_pairs"] + x["unpaired"] for x in book["atoms"])
    assert drawn == book["total"]


def test_octet_exceptions_and_resonance_are_stated():
    assert bookkeeping("FB(F)F")["notes"] == ["incomplete octet on B (6 electrons)"]
    assert bookkeeping("ClP(Cl)(Cl)(Cl)Cl")["notes"] == ["expanded octet on P (10 electrons)"]
    assert bookkeeping("O=[N+][O-]")["notes"] == ["unpaired electron on N (a radical, 7 electrons)"]
    assert bookkeeping("[O-][N+](=O)[O-]")["notes"] == ["one of 3 resonance forms"]
    with pytest.raises(IvluError, match="main-group"):
        bookkeeping("[O-][Mn](=O)(=O)=O")


def test_the_species_table_agrees_with_rdkit():
    from rdkit import Chem
    from rdkit.Chem.rdMolDescriptors import CalcMolFormula

    for s in SPECIES:
        assert CalcMolFormula(Chem.MolFromSmiles(s.smiles)) == s.formula, s.name


def test_the_layout_puts_each_lone_pair_beside_its_atom_in_blue_when_pointed_at(tmp_path):
    from PIL import Image

    out = render_lewis({"kind": "lewis", "name": "pyridine", "smiles": "c1ccncc1", "lone_pairs_on": ["N"]})
    plan = out["meta"]["layout"]
    (pair,) = plan["dots"]
    nitrogen = next(i for i, a in enumerate(plan["atoms"]) if a["symbol"] == "N")
    assert pair["atom"] == nitrogen and len(pair["xy"]) == 2
    centre = plan["atoms"][nitrogen]["xy"]
    away = [(x - centre[0], y - centre[1]) for x, y in pair["xy"]]
    assert all(15 < (dx * dx + dy * dy) ** 0.5 < 30 for dx, dy in away)  # beside the symbol, not on it
    neighbours = [plan["atoms"][b["end"] if b["begin"] == nitrogen else b["begin"]]["xy"] for b in plan["bonds"]
                  if nitrogen in (b["begin"], b["end"])]
    outward = sum(dx for dx, _ in away) * (2 * centre[0] - neighbours[0][0] - neighbours[1][0]) + \
        sum(dy for _, dy in away) * (2 * centre[1] - neighbours[0][1] - neighbours[1][1])
    assert outward > 0  # the free side, away from both ring bonds
    im = Image.open(io.BytesIO(out["files"][0]["data"])).convert("RGB")
    r, g, b = im.getpixel(tuple(round(v) for v in pair["xy"][0]))
    assert b > 150 and r < 80  # the pointed-at pair is blue
    assert b"<svg" in out["files"][1]["data"][:400]


def _drawn(tmp_path, name, smiles):
    out = render_lewis({"kind": "lewis", "name": name, "smiles": smiles})
    path = tmp_path / f"{name}.png"
    path.write_bytes(out["files"][0]["data"])
    return out, path


def _failed(book, path, plan):
    return {v["verifier"] for v in check_pixels(book, str(path), plan) if not v["passed"]}


def test_perturbed_drawings_fail_the_pixel_checks(tmp_path):
    from PIL import Image, ImageDraw

    def paint(path, draw_on):
        im = Image.open(path).convert("RGB")
        draw_on(ImageDraw.Draw(im))
        bad = path.with_name("bad-" + path.name)
        im.save(bad)
        return bad

    out, path = _drawn(tmp_path, "water", "O")
    plan, book = out["meta"]["layout"], bookkeeping("O")
    assert _failed(book, path, plan) == set()
    r = plan["style"]["dot_r"] + 2
    erased = paint(path, lambda d: [d.ellipse((x - r, y - r, x + r, y + r), fill="white")
                                    for x, y in plan["dots"][0]["xy"]])
    assert _failed(book, erased, plan) == {"lewis.lone_pairs", "lewis.total"}
    no_bond = paint(path, lambda d: d.line(plan["bonds"][0]["strokes"][0], fill="white", width=7))
    assert _failed(book, no_bond, plan) == {"lewis.bonds", "lewis.total"}

    out, path = _drawn(tmp_path, "carbon dioxide", "O=C=O")
    plan, book = out["meta"]["layout"], bookkeeping("O=C=O")
    single = paint(path, lambda d: d.line(plan["bonds"][0]["strokes"][1], fill="white", width=5))
    assert "lewis.bonds" in _failed(book, single, plan)

    out, path = _drawn(tmp_path, "nitrate", "[O-][N+](=O)[O-]")
    plan, book = out["meta"]["layout"], bookkeeping("[O-][N+](=O)[O-]")
    x, y = plan["charges"][0]["xy"]
    uncharged = paint(path, lambda d: d.rectangle((x - 8, y - 8, x + 8, y + 8), fill="white"))
    assert "lewis.charges" in _failed(book, uncharged, plan)


def test_a_blank_image_passes_no_pixel_check(tmp_path):
    from PIL import Image

    out, _ = _drawn(tmp_path, "water", "O")
    blank = tmp_path / "blank.png"
    Image.new("RGB", tuple(out["meta"]["layout"]["size"]), "white").save(blank)
    verdicts = verify_lewis({"kind": "lewis", "name": "water", "smiles": "O"}, {"main.png": str(blank)}, out["meta"])
    failed = {v["verifier"] for v in verdicts if not v["passed"]}
    assert failed == {"lewis.atoms", "lewis.bonds", "lewis.lone_pairs", "lewis.charges", "lewis.total"}
    no_drawing = verify_lewis({"kind": "lewis", "smiles": "O"}, {}, {})
    assert [v["verifier"] for v in no_drawing if not v["passed"]] == ["lewis.pixels"]


def test_the_spec_is_bounded():
    with pytest.raises(ValidationError):
        LewisSpec(smiles="C" * 301)
    with pytest.raises(ValidationError):
        LewisSpec(smiles="O", lone_pairs_on=["O"] * 5)
    with pytest.raises(ValidationError):
        LewisSpec(smiles="O", bond_px=1000)
    with pytest.raises(ValidationError):
        LewisSpec(smiles="O", facts={"valence_electrons": 8, "single": 2, "double": 0, "triple": 0,
                                     "heavy_atoms": 41})
    with pytest.raises(ValidationError):
        LewisSpec(smiles="O", script="__import__('os')")
