"""Perturbation evaluation of the plot and diagram verifiers.

Every correct spec is rendered and verified (a failure is a false alarm); then, for each defect, a
render with exactly one defect is verified against the correct spec (a failure is a detection).
Defects: a changed sign or exponent in a plotted function, a wrong data point, a missing or misspelt
label, a missing node or edge, a wrong BST side, an extra loop, and raster-only defects (a label
whited out in the PNG while the SVG stays right), which only the OCR check can see.

    .venv/bin/python evals/perturb_plot_diagram.py            # full set, 2 processes
    .venv/bin/python evals/perturb_plot_diagram.py --quick    # a quarter of the cases

Writes evals/out/perturb_plot_diagram.json and prints the tables for the README.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# -- the correct sets --------------------------------------------------------------------------------

FUNCTIONS = [
    ("sin(x)/x", -10, 10), ("tan(x)", -3, 3), ("1/x", -5, 5), ("x^2 - 3x + 2", -1, 4),
    ("e^(-x) sin(5x)", 0, 5), ("log(x)", 0.1, 10), ("sqrt(x)", 0, 9), ("floor(x)", -3, 3), ("|x| - 1", -2, 2),
    ("x^3 - x", -2, 2), ("cos(x)^2", -math.pi, math.pi), ("1/(x^2 - 1)", -3, 3), ("sec x", -5, 5),
    ("atan(x)", -10, 10), ("tanh(x)", -4, 4), ("x sin(x)", -10, 10), ("sign(x)", -2, 2), ("2^x", -3, 3),
    ("cbrt(x)", -8, 8), ("x/(1 + x^2)", -6, 6), ("sin(x) + cos(2x)", -6, 6), ("(x+1)(x-1)(x-2)", -2, 3),
    ("ln(x^2 + 1)", -5, 5), ("1/x^2", -3, 3), ("cot x", 0.1, 3), ("sqrt(4 - x^2)", -2, 2), ("ceil(x/2)", -4, 4),
    ("x^4 - 4x^2", -2.5, 2.5), ("exp(-x^2)", -3, 3), ("sinh(x)", -3, 3),
]
X_LABELS = ["time (s)", "distance (m)", "angle (rad)", "input", "position", "x"]
Y_LABELS = ["amplitude", "value", "height (m)", "output", "signal", "y"]
TITLES = ["Damped oscillation", "Response curve", "Model output", "Test function", "Measured signal"]
CATEGORY_SETS = [
    ["2019", "2020", "2021", "2022", "2023"], ["Jan", "Feb", "Mar", "Apr", "May", "Jun"],
    ["apples", "bananas", "cherries", "grapes"], ["North", "South", "East", "West"],
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], ["Q1", "Q2", "Q3", "Q4"],
]
CHART_TITLES = ["Annual sales", "Monthly rainfall", "Fruit harvest", "Regional revenue", "Weekly visitors",
                "Quarterly profit", "Energy usage", "Survey results"]
CJK_PLOTS = [
    {"chart": "bar", "categories": ["苹果", "香蕉", "樱桃"], "title": "水果销量", "x_label": "水果", "y_label": "销量"},
    {"chart": "pie", "categories": ["北京", "上海", "广州", "深圳"], "title": "城市人口"},
    {"chart": "line", "categories": ["一月", "二月", "三月", "四月"], "title": "月降雨量", "x_label": "月份",
     "y_label": "毫米"},
    {"chart": "bar", "categories": ["东", "南", "西", "北"], "title": "区域收入", "x_label": "区域", "y_label": "万元"},
]
CJK_FLOWS = [["开始", "读取数据", "计算平均值", "输出结果", "结束"], ["开始", "输入密码", "验证身份", "进入系统", "结束"],
             ["开始", "打开文件", "读取一行", "处理数据", "关闭文件", "结束"]]


def plot_cases(rng: random.Random) -> list[tuple[str, dict]]:
    cases = []
    for i, (expr, a, b) in enumerate(FUNCTIONS):
        title = f"y = {expr}" if i % 2 == 0 else TITLES[i % len(TITLES)]
        cases.append(("latin", {"kind": "plot", "functions": [{"expr": expr}], "x_min": a, "x_max": b,
                                "title": title, "x_label": X_LABELS[i % len(X_LABELS)],
                                "y_label": Y_LABELS[i % len(Y_LABELS)]}))
    for i in range(24):
        chart = ["bar", "line", "scatter", "pie"][i % 4]
        cats = CATEGORY_SETS[i % len(CATEGORY_SETS)]
        values = [round(rng.uniform(1, 50), 1) for _ in cats]
        spec = {"kind": "plot", "chart": chart, "title": CHART_TITLES[i % len(CHART_TITLES)],
                "series": [{"label": "", "values": values}]}
        if chart == "scatter":
            spec["series"][0]["x"] = [round(rng.uniform(0, 20), 2) for _ in cats]
            spec.update(x_label="dose (mg)", y_label="response")
        else:
            spec["categories"] = cats
        if chart in ("bar", "line"):
            spec.update(x_label="category" if i % 3 else "period", y_label="amount")
        if chart == "line" and i % 8 == 1:
            spec["series"] = [{"label": "plan", "values": values},
                              {"label": "actual", "values": [round(v * rng.uniform(0.7, 1.3), 1) for v in values]}]
        cases.append(("latin", spec))
    for c in CJK_PLOTS:
        spec = {"kind": "plot", **c, "series": [{"values": [round(rng.uniform(5, 40), 1) for _ in c["categories"]]}]}
        cases.append(("cjk", spec))
    return cases


def diagram_cases(rng: random.Random) -> list[tuple[str, dict]]:
    from ivlu_agent.tools.diagram.rule import DiagramRule, algorithms

    rule = DiagramRule()
    texts = [f"flowchart of {name}" for name in sorted({e["name"] for e in algorithms().values()})]
    for _ in range(10):
        keys = rng.sample(range(1, 100), rng.randint(5, 12))
        texts.append("binary search tree with keys " + ", ".join(map(str, keys)))
    texts += ["tree A(B(D, E), C(F))", "tree root(left(a, b), right(c, d, e))",
              "tree: Animal -> Mammal, Animal -> Bird, Mammal -> Dog, Mammal -> Cat, Bird -> Eagle",
              "tree Science(Physics(Mechanics, Optics), Chemistry(Organic))",
              "complete graph K4", "complete graph K5", "cycle graph C6", "path graph P5", "star graph with 5 leaves",
              "weighted graph A-B (4), B-C (2), A-C (7), C-D (3), B-D (5)",
              "directed graph Home -> Work, Work -> Gym, Gym -> Home, Work -> Shop",
              "state machine: idle -coin-> unlocked, unlocked -push-> idle, idle -push-> idle, start at idle",
              "DFA: q0 -0-> q0, q0 -1-> q1, q1 -0-> q2, q2 -1-> q1, q1 -1-> q1, q2 -0-> q0, start q0, accept q1",
              "state machine: red -timer-> green, green -timer-> yellow, yellow -timer-> red, start at red",
              "flowchart: start -> read x -> print x -> end",
              "flowchart: start -> read a and b -> sum = a + b -> print sum -> end",
              "flowchart: start -> read age -> age >= 18? -yes-> print adult -> end, age >= 18? -no-> print minor -> end",
              "flowchart: begin -> boil water -> add tea -> wait three minutes -> pour tea -> end"]
    cases = [("latin", rule.build(t)[0].model_dump(mode="json")) for t in texts]
    for steps in CJK_FLOWS:
        nodes = [{"id": f"s{i}", "label": s, "shape": "ellipse" if i in (0, len(steps) - 1) else "box"}
                 for i, s in enumerate(steps)]
        edges = [{"source": f"s{i}", "target": f"s{i + 1}"} for i in range(len(steps) - 1)]
        cases.append(("cjk", {"kind": "diagram", "diagram": "flowchart", "nodes": nodes, "edges": edges,
                              "expect": {"acyclic": True}}))
    return cases


# -- defects ----------------------------------------------------------------------------------------


def misspell(text: str, rng: random.Random) -> str | None:
    """Swap two neighbouring letters inside a word of 4+ letters (Latin) or replace one CJK character."""
    latin = [m for m in re.finditer(r"[A-Za-z]{4,}", text)]
    if latin:
        m = rng.choice(latin)
        w = m.group()
        for _ in range(10):
            i = rng.randint(1, len(w) - 3)
            swapped = w[:i] + w[i + 1] + w[i] + w[i + 2:]
            if swapped != w:
                return text[:m.start()] + swapped + text[m.end():]
    cjk = [i for i, ch in enumerate(text) if "\u4e00" <= ch <= "\u9fff"]
    if cjk:
        i = rng.choice(cjk)
        return text[:i] + ("水" if text[i] != "水" else "火") + text[i + 1:]
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if digits:
        i = rng.choice(digits)
        return text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1:]
    return None


def mutate_expr(expr: str, how: str) -> str:
    if how == "sign":
        for a, b in ((" + ", " - "), (" - ", " + ")):
            if a in expr:
                return expr.replace(a, b, 1)
        return f"-({expr})"
    m = re.search(r"\^(\d+)", expr)
    if m:
        return expr[:m.start(1)] + str(int(m.group(1)) + 1) + expr[m.end(1):]
    return re.sub(r"\bx\b", "x^2", expr, count=1)


def plot_defects(spec: dict, rng: random.Random) -> list[tuple[str, dict | None, str | None]]:
    """(defect, drawn spec or None (same as correct), raster tamper or None)."""
    out: list[tuple[str, dict | None, str | None]] = []
    if spec.get("functions"):
        for how in ("sign", "exponent"):
            expr = spec["functions"][0]["expr"]
            out.append((f"function {how}", {**spec, "functions": [{"expr": mutate_expr(expr, how)}]}, None))
    else:
        series = [dict(s) for s in spec["series"]]
        values = list(series[0]["values"])
        j = rng.randrange(len(values))
        values[j] = round(values[j] * rng.choice([0.6, 0.75, 1.25, 1.5]), 1)
        series[0]["values"] = values
        out.append(("wrong data point", {**spec, "series": series}, None))
    fields = [f for f in ("title", "x_label", "y_label") if spec.get(f)]
    gone = rng.choice(fields)
    out.append(("missing label", {**spec, gone: ""}, None))
    for field in rng.sample(fields, len(fields)):
        bad = misspell(spec[field], rng)
        if bad:
            out.append(("misspelt word", {**spec, field: bad}, None))
            break
    out.append(("raster: title erased", None, "title"))
    return out


def diagram_defects(spec: dict, rng: random.Random) -> list[tuple[str, dict | None, str | None]]:
    out: list[tuple[str, dict | None, str | None]] = []
    nodes, edges = spec["nodes"], spec["edges"]
    # A tree that lost a node or an edge is no longer a tree, and the spec refuses it: draw it as a graph.
    broken = {"diagram": "graph", "expect": {}} if spec["diagram"] in ("tree", "bst") else {}
    if len(nodes) > 1:
        victim = rng.choice(nodes[1:])["id"]
        out.append(("missing node", {**spec, "nodes": [n for n in nodes if n["id"] != victim],
                                     "edges": [e for e in edges if victim not in (e["source"], e["target"])],
                                     "start": spec.get("start", "") if spec.get("start") != victim else "",
                                     **broken}, None))
    if edges:
        k = rng.randrange(len(edges))
        out.append(("missing edge", {**spec, "edges": edges[:k] + edges[k + 1:], **broken}, None))
    j = rng.randrange(len(nodes))
    out.append(("missing label", {**spec, "nodes": [{**n, "label": ""} if i == j else n
                                                    for i, n in enumerate(nodes)]}, None))
    order = rng.sample(range(len(nodes)), len(nodes))
    for i in order:
        bad = misspell(nodes[i]["label"], rng)
        if bad:
            out.append(("misspelt label", {**spec, "nodes": [{**n, "label": bad} if k == i else n
                                                             for k, n in enumerate(nodes)]}, None))
            break
    if spec["diagram"] == "bst":  # mirror one parent's children (a lone child moves to the other side)
        parent = rng.choice(sorted({e["source"] for e in edges}))
        flip = {"left": "right", "right": "left"}
        mirrored = [{**e, "side": flip[e["side"]]} if e["source"] == parent else e for e in edges]
        out.append(("wrong BST side", {**spec, "edges": mirrored}, None))
    if spec["expect"].get("acyclic") and len(nodes) > 2:
        back = {"source": nodes[-2]["id"], "target": nodes[1]["id"], "label": "", "side": ""}
        out.append(("extra loop", {**spec, "edges": [*edges, back]}, None))
    out.append(("raster: node label erased", None, rng.choice([n["id"] for n in nodes if n["label"]])))
    return out


# -- running ----------------------------------------------------------------------------------------


def erase(png: bytes, box: tuple[float, float, float, float]) -> bytes:
    from PIL import Image, ImageDraw

    im = Image.open(io.BytesIO(png)).convert("RGB")
    x0, y0, _, y1 = box
    fill = im.getpixel((max(0, int(x0) - 2), min(im.height - 1, int((y0 + y1) / 2))))
    ImageDraw.Draw(im).rectangle(box, fill=fill)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def run_one(job: tuple) -> dict:
    """Render `drawn` (or the correct spec), tamper with the raster if asked, verify against `spec`."""
    kind, script, spec, defect, drawn, tamper = job
    if kind == "plot":
        from ivlu_agent.tools.plot.render import render_plot as render
        from ivlu_agent.tools.plot.verify import verify_plot as verify
    else:
        from ivlu_agent.tools.diagram.render import render_diagram as render
        from ivlu_agent.tools.diagram.verify import verify_diagram as verify
    try:
        out = render(drawn or spec)
    except Exception as e:  # noqa: BLE001 - a defect that cannot be drawn is skipped, and counted
        return {"kind": kind, "script": script, "defect": defect, "skipped": f"{type(e).__name__}: {e}"}
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for f in out["files"]:
            path = Path(tmp) / f["name"]
            path.write_bytes(f["data"])
            files[f["name"]] = str(path)
        if tamper:
            png = Path(files["main.png"])
            if kind == "plot":
                box = out["meta"]["text_boxes"]["title"]
            else:
                from PIL import Image

                from ivlu_agent.tools.diagram.verify import _px_box, read_svg

                drawn_graph = read_svg(files["main.svg"])
                dot_id = {v: k for k, v in out["meta"]["dot_ids"].items()}[tamper]
                box = _px_box(drawn_graph, drawn_graph.nodes[dot_id].text_box, Image.open(png).size, pad=3)
            png.write_bytes(erase(png.read_bytes(), box))
        started = time.perf_counter()
        verdicts = verify(spec, files, out["meta"])
        elapsed = time.perf_counter() - started
    failed = [v["verifier"] for v in verdicts if not v["passed"]]
    return {"kind": kind, "script": script, "defect": defect, "failed": failed,
            "checks": [v["verifier"] for v in verdicts], "verify_s": round(elapsed, 3),
            "messages": [v["message"][:160] for v in verdicts if not v["passed"]],
            "title": spec.get("title", "")}


def jobs(quick: bool, seed: int) -> list[tuple]:
    rng = random.Random(seed)
    out = []
    for kind, cases, defects in (("plot", plot_cases(rng), plot_defects), ("diagram", diagram_cases(rng),
                                                                          diagram_defects)):
        if quick:
            cases = cases[::4]
        for script, spec in cases:
            out.append((kind, script, spec, "none", None, None))
            for defect, drawn, tamper in defects(spec, rng):
                out.append((kind, script, spec, defect, drawn, tamper))
    return out


def table(results: list[dict]) -> str:
    lines = []
    for kind in ("plot", "diagram"):
        for script in ("latin", "cjk"):
            rows = [r for r in results if r["kind"] == kind and r["script"] == script and "skipped" not in r]
            if not rows:
                continue
            checks = sorted({c for r in rows for c in r["checks"]})
            lines.append(f"\n### {kind}, {script}\n")
            lines.append("| defect | n | detected | " + " | ".join(checks) + " |")
            lines.append("|---|---|---|" + "---|" * len(checks))
            by_defect: dict[str, list[dict]] = defaultdict(list)
            for r in rows:
                by_defect[r["defect"]].append(r)
            for defect in sorted(by_defect, key=lambda d: (d == "none", d)):
                group = by_defect[defect]
                n = len(group)
                hit = sum(bool(r["failed"]) for r in group)
                per = Counter(c for r in group for c in set(r["failed"]))
                present = Counter(c for r in group for c in set(r["checks"]))
                name = "**correct (false alarms)**" if defect == "none" else defect
                cells = [f"{per[c]}/{present[c]}" if present[c] else "–" for c in checks]
                lines.append(f"| {name} | {n} | {hit}/{n} ({100 * hit / n:.1f}%) | " + " | ".join(cells) + " |")
            defects = [r for r in rows if r["defect"] != "none"]
            correct = [r for r in rows if r["defect"] == "none"]
            if defects:
                d = sum(bool(r["failed"]) for r in defects)
                f = sum(bool(r["failed"]) for r in correct)
                lines.append(f"\n**{kind} ({script})**: detection {d}/{len(defects)} = {100 * d / len(defects):.1f}%, "
                             f"false alarms {f}/{len(correct)} = {100 * f / max(1, len(correct)):.1f}%")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="every 4th correct spec only")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=str(Path(__file__).parent / "out" / "perturb_plot_diagram.json"))
    args = ap.parse_args()
    work = jobs(args.quick, args.seed)
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run_one, work, chunksize=4))
    wall = time.perf_counter() - started
    skipped = [r for r in results if "skipped" in r]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"seed": args.seed, "quick": args.quick, "wall_s": round(wall, 1),
                                          "results": results}, indent=1, ensure_ascii=False))
    print(f"{len(results)} renders verified in {wall:.0f} s with {args.jobs} process(es); "
          f"{len(skipped)} defect render(s) skipped")
    print(table(results))
    alarms = [r for r in results if r.get("defect") == "none" and r.get("failed")]
    missed = [r for r in results if r.get("defect") not in (None, "none") and "skipped" not in r and not r["failed"]]
    for label, rows in (("false alarms", alarms), ("missed defects", missed)):
        if rows:
            print(f"\n{label}:")
            for r in rows[:20]:
                print(f"  {r['kind']} {r['script']} {r['defect']} {r['title']!r}: {r.get('messages')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
