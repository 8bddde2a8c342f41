"""CAD step: a machined part as data (a base solid, features on named faces, views), drawn as
engineering views.

Units are millimetres. The part stands on z = 0 and is centred on x and y. Nothing here is
executed: the renderer builds the solid from these numbers with CadQuery, and every size and
count is bounded. This module holds the pydantic models, their error messages and the part in
words; the geometry (faces, outlines, `check_part` and the `expected_*` measures) is in
`geometry.py`, which CadSpec's validator calls to reject parts that cannot be made.

Faces and their (u, v) axes, as seen when looking at the face from outside:

    top     +z  u=+x v=+y        bottom  -z  u=+x v=-y
    front   -y  u=+x v=+z        back    +y  u=-x v=+z
    right   +x  u=+y v=+z        left    -x  u=-y v=+z
    base    (L bracket) top of the horizontal leg     u=+x v=+y
    upright (L bracket) inner face of the upright leg u=+y v=+z

A feature's `at` is (u, v) from the centre of its face, so it reads the same as in that face's view.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ...errors import IvluError
from ...types import Verdict
from ..base import CliCheck, StepSpec, listed, one_line

MAX_SIZE_MM = 5000.0  # the largest part side: 5 m
MIN_SIZE_MM = 0.05
MAX_FEATURES = 32
MAX_VIEWS = 8
MIN_WALL_MM = 0.2  # material left between a feature and a face edge or another feature
MAX_ANGLE = 3600.0

Size = Annotated[float, Field(ge=MIN_SIZE_MM, le=MAX_SIZE_MM, allow_inf_nan=False)]
Coord = Annotated[float, Field(ge=-MAX_SIZE_MM, le=MAX_SIZE_MM, allow_inf_nan=False)]
Angle = Annotated[float, Field(ge=-MAX_ANGLE, le=MAX_ANGLE, allow_inf_nan=False)]
FaceName = Literal["top", "bottom", "front", "back", "left", "right", "base", "upright"]
EdgeSet = Literal["vertical", "top", "bottom"]
ORTHO_VIEWS = ("front", "top", "right", "left", "bottom", "back")
VIEW_NAMES = (*ORTHO_VIEWS, "iso", "rotated")


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- base solids --------------------------------------------------------------------------------


class Box(_Data):
    """A block or plate: length along x, width along y, height (thickness) along z."""

    shape: Literal["box"] = "box"
    length: Size
    width: Size
    height: Size


class Cylinder(_Data):
    """A solid cylinder standing on its end; its axis is z."""

    shape: Literal["cylinder"] = "cylinder"
    diameter: Size
    height: Size


class Tube(_Data):
    """A round tube standing on its end; its axis is z."""

    shape: Literal["tube"] = "tube"
    outer_diameter: Size
    inner_diameter: Size
    height: Size


class LBracket(_Data):
    """An L bracket: a horizontal leg `length` long (x) and an upright leg `height` tall (z), at x = -length/2,
    both `thickness` thick and `width` wide (y)."""

    shape: Literal["l_bracket"] = "l_bracket"
    length: Size
    width: Size
    height: Size
    thickness: Size


class Extrusion(_Data):
    """A simple polygon in the xy plane extruded `height` along z (the polygon is centred by its bounding box)."""

    shape: Literal["extrusion"] = "extrusion"
    points: list[tuple[Coord, Coord]] = Field(min_length=3, max_length=32, description="Corners in order, mm.")
    height: Size


Part = Annotated[Box | Cylinder | Tube | LBracket | Extrusion, Field(discriminator="shape")]


# -- features -----------------------------------------------------------------------------------


class Hole(_Data):
    """A drilled hole: through when `depth` is None, else blind with a flat bottom."""

    type: Literal["hole"] = "hole"
    face: FaceName = "top"
    at: tuple[Coord, Coord] = (0.0, 0.0)
    diameter: Size
    depth: Size | None = None


class Counterbore(_Data):
    """A through hole with a wider, flat-bottomed counterbore at the face."""

    type: Literal["counterbore"] = "counterbore"
    face: FaceName = "top"
    at: tuple[Coord, Coord] = (0.0, 0.0)
    diameter: Size
    cbore_diameter: Size
    cbore_depth: Size


class Slot(_Data):
    """A round-ended slot, `length` end to end, turned `angle` degrees from the face's u axis."""

    type: Literal["slot"] = "slot"
    face: FaceName = "top"
    at: tuple[Coord, Coord] = (0.0, 0.0)
    length: Size
    width: Size
    angle: Angle = 0.0
    depth: Size | None = None


class Pocket(_Data):
    """A rectangular pocket, `length` along the face's u axis and `width` along v."""

    type: Literal["pocket"] = "pocket"
    face: FaceName = "top"
    at: tuple[Coord, Coord] = (0.0, 0.0)
    length: Size
    width: Size
    depth: Size


class Boss(_Data):
    """A round boss standing `height` out of the face."""

    type: Literal["boss"] = "boss"
    face: FaceName = "top"
    at: tuple[Coord, Coord] = (0.0, 0.0)
    diameter: Size
    height: Size


class Fillet(_Data):
    """Round a set of the base solid's edges: 'vertical' (parallel to z), 'top' or 'bottom' outline."""

    type: Literal["fillet"] = "fillet"
    edges: EdgeSet = "vertical"
    radius: Size


class Chamfer(_Data):
    """Bevel a set of the base solid's edges by `size` on both faces."""

    type: Literal["chamfer"] = "chamfer"
    edges: EdgeSet = "vertical"
    size: Size


Feature = Annotated[Hole | Counterbore | Slot | Pocket | Boss | Fillet | Chamfer, Field(discriminator="type")]
CUTS = (Hole, Counterbore, Slot, Pocket)


# -- views and drawing --------------------------------------------------------------------------


class View(_Data):
    """One view. `rotated` shows the part turned by rx, then ry, then rz degrees (about fixed x, y, z),
    seen from the front; the orthographic views and `iso` take no angles."""

    name: Literal["front", "top", "right", "left", "bottom", "back", "iso", "rotated"]
    rx: Angle = 0.0
    ry: Angle = 0.0
    rz: Angle = 0.0

    @model_validator(mode="after")
    def _angles_only_when_rotated(self) -> View:
        if self.name != "rotated" and (self.rx or self.ry or self.rz):
            raise ValueError(f"the {self.name} view takes no rotation angles; use name='rotated'")
        return self

    @property
    def label(self) -> str:
        """The view's file stem: 'front', 'iso', 'rotated-z30', 'rotated-x45-z-30'."""
        if self.name != "rotated":
            return self.name
        parts = [f"{axis}{value:g}" for axis, value in (("x", self.rx), ("y", self.ry), ("z", self.rz)) if value]
        return "rotated-" + ("-".join(parts) or "0")

    @property
    def words(self) -> str:
        if self.name == "iso":
            return "isometric view"
        if self.name != "rotated":
            return f"{self.name} view"
        turns = [f"{value:g}° about {axis}" for axis, value in (("x", self.rx), ("y", self.ry), ("z", self.rz))
                 if value]
        return "front view of the part rotated " + (", then ".join(turns) or "0°")


def default_views() -> list[View]:
    return [View(name="front"), View(name="top"), View(name="right"), View(name="iso")]


class Drawing(_Data):
    """How views are drawn. `refine` walks these settings when a raster check fails."""

    view_px: int = Field(default=480, ge=200, le=1600, description="Longest side of each single-view image.")
    sheet_px: int = Field(default=1400, ge=600, le=3000, description="Largest side of the multi-view sheet.")
    line_px: int = Field(default=2, ge=1, le=6, description="Visible edge width in pixels.")
    font_px: int = Field(default=22, ge=12, le=48, description="Dimension text height in pixels.")
    hidden: bool = Field(default=True, description="Draw hidden edges as dashed lines.")


DRAWING_LADDER: list[tuple[dict, str]] = [
    ({"view_px": 640, "line_px": 3, "font_px": 28}, "larger views, thicker lines and larger dimension text"),
    ({"view_px": 800, "sheet_px": 1800, "line_px": 3, "font_px": 34}, "an even larger sheet and text"),
]


class CadSpec(StepSpec):
    """Draw one part: its views, a dimensioned multi-view sheet, and STEP and STL files."""

    kind: Literal["cad"] = "cad"
    name: str = Field(default="", max_length=160, description="The part in words, e.g. '60 × 40 × 8 mm plate'.")
    part: Part
    features: list[Feature] = Field(default_factory=list, max_length=MAX_FEATURES,
                                    description="Holes, slots, pockets, bosses, fillets and chamfers.")
    views: list[View] = Field(default_factory=default_views, min_length=1, max_length=MAX_VIEWS,
                              description="Views to draw; each is its own image, named after the view.")
    projection: Literal["first", "third"] = Field(
        default="first", description="Sheet layout: ISO first-angle or ANSI third-angle projection.")
    drawing: Drawing = Field(default_factory=Drawing)

    renderer = "ivlu_agent.tools.cad.render:render_cad"
    size_field: ClassVar[str] = "drawing.sheet_px"
    verifier = "ivlu_agent.tools.cad.verify:verify_cad"
    pixel_check = "ivlu_agent.tools.cad.verify:check_pixels"
    cli = CliCheck("--cad", "the part in words, e.g. 'a 60x40x8 mm plate with two 6 mm holes 40 mm apart'",
                   "ivlu_agent.tools.cad.rule:verify_target",
                   options=(("--view", "with --cad: the view shown (front, top, right, left, bottom, back, iso, "
                                       "'rotated 30 about z')"),))

    @model_validator(mode="after")
    def _buildable(self) -> CadSpec:
        from .geometry import check_part  # geometry imports these models, so import it here, not at the top

        check_part(self)
        return self

    def caption(self) -> str:
        """Short enough to sit under a panel: '60 × 40 × 8 mm plate, 2 holes' (`name` has the details)."""
        if self.title:
            return self.title
        counts: dict[str, int] = {}
        for f in self.features:
            word = {"counterbore": "counterbored hole"}.get(f.type, f.type)
            counts[word] = counts.get(word, 0) + 1
        extras = ", ".join(f"{n} {w}{'s' if n > 1 else ''}" for w, n in counts.items())
        return describe_part(self, features=False) + (f", {extras}" if extras else "")

    def describe(self) -> str:
        """'part: 80 × 50 × 10 mm plate with 4 × Ø8 mm through hole; front and top views, third-angle'."""
        plain = [v.name for v in self.views if v.name in ORTHO_VIEWS or v.name == "iso"]
        views = [("isometric" if name == "iso" else name) for name in plain]
        views = [f"{listed(views)} view{'s' if len(views) > 1 else ''}"] if views else []
        views += [v.words for v in self.views if v.name == "rotated"]
        line = f"part: {describe_part(self)}; {listed(views)}"
        if sum(v.name in ORTHO_VIEWS for v in self.views) > 1:  # the projection places views on the sheet
            line += f", {self.projection}-angle"
        return one_line(line)

    def refine(self, verdicts: list[Verdict], attempt: int) -> tuple[CadSpec, str] | None:
        raster = [v for v in verdicts if not v.passed and v.verifier.startswith(("cad.view", "cad.sheet"))]
        if raster and attempt - 1 < len(DRAWING_LADDER):
            change, words = DRAWING_LADDER[attempt - 1]
            return self.model_copy(update={"drawing": self.drawing.model_copy(update=change)}), f"redrew with {words}"
        return None  # a wrong solid is not fixed by drawing it again

    def evidence(self) -> list[str]:
        """The spec's words, and the sizes its feature positions imply: the spacing between features on a
        face and the diameter of the circle they lie on (a request says '40 mm apart', '80 mm pitch circle')."""
        import math

        out = super().evidence()
        by_face: dict[str, list[tuple[float, float]]] = {}
        for f in self.features:
            at = getattr(f, "at", None)
            if at is not None:
                by_face.setdefault(getattr(f, "face", ""), []).append((float(at[0]), float(at[1])))
        for points in by_face.values():
            for i, (u, v) in enumerate(points):
                out.append(f"{2 * math.hypot(u, v):g}")
                for u2, v2 in points[i + 1:]:
                    out += [f"{abs(u - u2):g}", f"{abs(v - v2):g}", f"{math.hypot(u - u2, v - v2):g}"]
        part = self.part.model_dump()
        length, width = part.get("length"), part.get("width")
        if length and width:  # '10 mm in from each edge': a feature's distance from the edges of a box's top
            for u, v in by_face.get("top", []):
                out += [f"{round(length / 2 - abs(u), 6):g}", f"{round(width / 2 - abs(v), 6):g}"]
        for key in ("diameter", "outer_diameter", "inner_diameter"):  # 'radius 50' is a 100 mm diameter
            if part.get(key):
                out.append(f"{part[key] / 2:g}")
        for f in self.features:
            if getattr(f, "diameter", None):
                out.append(f"{f.diameter / 2:g}")
        if part.get("points"):  # a regular prism's size across flats: twice the distance of its edges' midpoints
            pts = part["points"]
            mids = [math.hypot((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in zip(pts, pts[1:] + pts[:1])]
            out.append(f"{round(2 * min(mids), 3):g}")
        return out

    def render_timeout_s(self) -> float:
        return 60.0 + 2.0 * len(self.features)


def make_cad_spec(**fields) -> CadSpec:
    """Build a CadSpec, turning validation errors into one IvluError a person can act on."""
    try:
        return CadSpec(**fields)
    except ValidationError as e:
        raise explain(e) from None


def load_cad_spec(data: dict) -> CadSpec:
    """Validate a spec dict (from a plan or a model), with the same clear errors as `make_cad_spec`."""
    try:
        return CadSpec.model_validate(data)
    except ValidationError as e:
        raise explain(e) from None


def explain(e: ValidationError) -> IvluError:
    """The first problem in a CadSpec ValidationError, in words."""
    err = e.errors()[0]
    original = err.get("ctx", {}).get("error")
    if isinstance(original, IvluError):
        return original
    where = ".".join(str(p) for p in err["loc"] if not str(p).startswith(("function-", "tagged-union")))
    value = err.get("input")
    if err["type"] == "too_long" and "features" in where:
        return IvluError(f"The part has {len(value)} features.", f"at most {MAX_FEATURES} features per part",
                         "split the part or use fewer holes")
    if err["type"] in ("less_than_equal", "greater_than_equal") and isinstance(value, (int, float)):
        limit = err["ctx"].get("le", err["ctx"].get("ge"))
        return IvluError(f"{where} = {value:g} mm is out of range.",
                         f"{'at most' if 'le' in err['ctx'] else 'at least'} {limit:g} mm",
                         "give a size between 0.05 mm and 5000 mm")
    return IvluError(f"{where}: {err['msg']} (got {value!r}).", "a part inside the documented limits",
                     "fix that value")


# -- the part in words ---------------------------------------------------------------------------


def feature_words(f) -> str:
    if isinstance(f, Hole):
        return f"Ø{f.diameter:g} mm {'through' if f.depth is None else f'{f.depth:g} mm deep'} hole"
    if isinstance(f, Counterbore):
        return f"Ø{f.diameter:g} mm hole counterbored Ø{f.cbore_diameter:g} × {f.cbore_depth:g} mm"
    if isinstance(f, Slot):
        return f"{f.length:g} × {f.width:g} mm slot"
    if isinstance(f, Pocket):
        return f"{f.length:g} × {f.width:g} × {f.depth:g} mm pocket"
    if isinstance(f, Boss):
        return f"Ø{f.diameter:g} × {f.height:g} mm boss"
    if isinstance(f, Fillet):
        return f"R{f.radius:g} fillet on the {f.edges} edges"
    return f"{f.size:g} mm chamfer on the {f.edges} edges"


def describe_part(s: CadSpec, noun: str | None = None, features: bool = True) -> str:
    """The part in words, e.g. '60 × 40 × 8 mm plate with 2 × Ø6 mm through hole'."""
    p = s.part
    if isinstance(p, Box):
        noun = noun or ("plate" if p.height < min(p.length, p.width) / 2 else "block")
        base = f"{p.length:g} × {p.width:g} × {p.height:g} mm {noun}"
    elif isinstance(p, Cylinder):
        base = f"Ø{p.diameter:g} × {p.height:g} mm cylinder"
    elif isinstance(p, Tube):
        base = f"Ø{p.outer_diameter:g}/Ø{p.inner_diameter:g} × {p.height:g} mm tube"
    elif isinstance(p, LBracket):
        base = f"{p.length:g} × {p.width:g} × {p.thickness:g} mm L bracket, {p.height:g} mm high"
    else:
        base = f"{len(p.points)}-sided prism, {p.height:g} mm high"
    if not features:
        return base
    counts: dict[str, int] = {}
    for f in s.features:
        counts[feature_words(f)] = counts.get(feature_words(f), 0) + 1
    extras = [f"{n} × {w}" if n > 1 else w for w, n in counts.items()]
    return base + (" with " + ", ".join(extras) if extras else "")
