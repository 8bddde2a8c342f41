"""Benchmarks of the native InternVL-U engine (issue 5). Run: `.venv/bin/python evals/bench_internvlu.py`.

1. load:  peak RSS while `InternVLUPipeline.from_pretrained` loads a ~300 MB random float32 checkpoint
          (the `bench` preset), divided by the checkpoint's bytes. Measured in a fresh process whose lazy
          imports were warmed first; reported as the growth during the load (the target, <= 1.3) and as the
          process's absolute peak. A bf16 load of the same float32 files is measured too.
2. cfg:   per-step time of the generation head with the three CFG branches in one batched forward versus
          three sequential forwards, measured in the same run on the same inputs, interleaved over N steps;
          min and median of wall time, and the ratio of this process's CPU time.
3. generate: `--device cuda --full-size`: the published architecture with random bf16 weights, 20 steps at
          512 and 1024 px: ms per head step, seconds per image, peak GB. (On cpu it runs the `bench` preset
          in float32, as a smoke test of the same code.)

    .venv/bin/python evals/bench_internvlu.py                     # load + cfg (CPU)
    .venv/bin/python evals/bench_internvlu.py --only cfg --preset bench --size 256
    .venv/bin/python evals/bench_internvlu.py --device cuda --full-size          # GPU figures
    .venv/bin/python evals/bench_internvlu.py --only generate --sizes 64 --steps 2  # CPU smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _status(key: str) -> int:
    """A /proc/self/status field in bytes (VmRSS, VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def _load_child(ckpt: str, warm: str, dtype: str) -> None:
    """Runs in a fresh process: warm lazy imports on a tiny checkpoint, then measure one load."""
    import torch

    from ivlu_agent.model import InternVLUPipeline

    torch.set_num_threads(2)
    InternVLUPipeline.from_pretrained(warm)  # imports and first-call caches, not weights
    before = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    started = time.perf_counter()
    pipe = InternVLUPipeline.from_pretrained(ckpt, torch_dtype=getattr(torch, dtype))
    seconds = time.perf_counter() - started
    peak = _status("VmHWM")
    params = sum(p.numel() * p.element_size() for m in (pipe.vlm, pipe.generation_decoder, pipe.vae)
                 for p in m.parameters())
    print(json.dumps({"rss_before": before, "peak": peak, "seconds": seconds, "param_bytes": params}))


def bench_load(workdir: Path) -> dict:
    import torch

    from ivlu_agent.model.internvlu.full_size import bench_preset, random_pipeline, tiny_preset

    ckpt, warm = workdir / "bench", workdir / "tiny"
    if not (ckpt / "model_index.json").is_file():
        random_pipeline(bench_preset(), seed=0).save_pretrained(ckpt)
    if not (warm / "model_index.json").is_file():
        random_pipeline(tiny_preset(), seed=0).save_pretrained(warm)
    weights = [p for p in ckpt.rglob("*.safetensors")]
    ckpt_bytes = sum(p.stat().st_size for p in weights)
    out = {"checkpoint_mb": round(ckpt_bytes / 2**20, 1), "checkpoint_tensors_bytes": ckpt_bytes}
    for dtype in ("float32", "bfloat16"):
        res = subprocess.run([sys.executable, __file__, "--_load-child", str(ckpt), str(warm), dtype],
                             capture_output=True, text=True, check=True, cwd=REPO)
        r = json.loads(res.stdout.strip().splitlines()[-1])
        out[dtype] = {
            "load_s": round(r["seconds"], 2),
            "rss_before_mb": round(r["rss_before"] / 2**20), "peak_rss_mb": round(r["peak"] / 2**20),
            "loaded_param_mb": round(r["param_bytes"] / 2**20, 1),
            "peak_growth_over_checkpoint": round((r["peak"] - r["rss_before"]) / ckpt_bytes, 3),
            "peak_over_checkpoint_absolute": round(r["peak"] / ckpt_bytes, 3),
        }
    del torch
    return out


def _cfg_inputs(pipe, size: int, device):
    import torch

    gen = pipe.processor("a red circle on a white background", None, "image")
    states = pipe._context(gen.input_ids, gen.attention_mask, None, None, device)
    cond = pipe.condition_inputs(gen, gen.input_ids.to(device), states, None)
    f = pipe.processor.gen.vae_downsample_factor
    cond["image_grid_thw_gen"] = torch.tensor([[1, size // f, size // f]] * 3)
    latents = torch.randn(1, 16, size // f, size // f, generator=torch.Generator().manual_seed(0)).to(device)
    return cond, latents


def _branch(cond: dict, k: int) -> dict:
    """Row k of every batched condition input (tensors sliced, per-row lists indexed)."""
    out = {}
    for key, v in cond.items():
        if v is None:
            out[key] = None
        elif isinstance(v, list):
            out[key] = v[k: k + 1]
        else:
            out[key] = v[k: k + 1]
    return out


def bench_cfg(preset: str, size: int, steps: int, device: str = "cpu") -> dict:
    import torch

    from ivlu_agent.model.internvlu.full_size import PRESETS, random_pipeline

    torch.set_num_threads(2)
    pipe = random_pipeline(PRESETS[preset](), seed=0, device=device)
    head = pipe.generation_decoder
    cond, latents = _cfg_inputs(pipe, size, device)
    branches = [_branch(cond, k) for k in range(3)]
    t = torch.tensor(999.0, device=device)

    def batched():
        head(torch.cat([latents] * 3), timestep=t.expand(3), **cond)

    def sequential():
        for k in range(3):
            head(latents, timestep=t.expand(1), **branches[k])

    with torch.no_grad():
        for fn in (batched, sequential):  # warm-up
            fn()
        wall = {"batched": [], "sequential": []}
        cpu = {"batched": [], "sequential": []}
        for _ in range(steps):  # interleaved, so drift hits both alike
            for name, fn in (("batched", batched), ("sequential", sequential)):
                w, c = time.perf_counter(), time.process_time()
                fn()
                wall[name].append(time.perf_counter() - w)
                cpu[name].append(time.process_time() - c)
    # The minimum estimates the undisturbed time when other jobs share the cores; the median is shown too.
    out = {"preset": preset, "size_px": size, "steps": steps, "threads": torch.get_num_threads()}
    for stat, fn in (("min", min), ("median", statistics.median)):
        b, s = fn(wall["batched"]), fn(wall["sequential"])
        out[stat] = {"batched_ms_per_step": round(1000 * b, 2), "sequential_ms_per_step": round(1000 * s, 2),
                     "sequential_over_batched": round(s / b, 2),
                     "cpu_time_sequential_over_batched": round(fn(cpu["sequential"]) / fn(cpu["batched"]), 2)}
    return out


class StepTimer:
    """Times each head forward (one denoising step, all three CFG rows), synchronising the device."""

    def __init__(self, module, device: str):
        import torch

        self.sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
        self.times, self._t = [], 0.0
        self.handles = [module.register_forward_pre_hook(self.pre), module.register_forward_hook(self.post)]

    def pre(self, module, args):
        self.sync()
        self._t = time.perf_counter()

    def post(self, module, args, out):
        self.sync()
        self.times.append(time.perf_counter() - self._t)

    def close(self):
        for h in self.handles:
            h.remove()


def bench_generate(device: str, full_size: bool, sizes=(512, 1024), steps: int = 20) -> dict:
    """End-to-end text-to-image at each size: ms per head step, seconds per image, peak accelerator GB."""
    import torch

    from ivlu_agent.model.internvlu.full_size import PRESETS, random_pipeline

    cuda = device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        raise SystemExit("--device cuda needs a CUDA GPU; none is visible")
    preset = "full" if full_size else "bench"
    dtype = torch.bfloat16 if cuda else torch.float32
    started = time.perf_counter()
    pipe = random_pipeline(PRESETS[preset](), seed=0, dtype=dtype, device=device, reinit=False)
    out = {"device": torch.cuda.get_device_name() if cuda else f"cpu ({torch.get_num_threads()} threads)",
           "preset": preset, "dtype": str(dtype).removeprefix("torch."),
           "build_s": round(time.perf_counter() - started, 1)}
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    for size in sizes:
        pipe("a red circle", generation_mode="image", height=size, width=size, num_inference_steps=2,
             generator=torch.Generator(device).manual_seed(0))  # warm-up
        sync()
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        timer = StepTimer(pipe.generation_decoder.decoder, device)
        started = time.perf_counter()
        pipe("a red circle", generation_mode="image", height=size, width=size, num_inference_steps=steps,
             generator=torch.Generator(device).manual_seed(0))
        sync()
        total = time.perf_counter() - started
        timer.close()
        out[f"{size}px"] = {"steps": steps, "head_ms_per_step": round(1000 * statistics.median(timer.times), 1),
                            "s_per_image": round(total, 2),
                            "peak_gb": round(torch.cuda.max_memory_allocated() / 1e9, 2) if cuda else None}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["load", "cfg", "generate"], action="append",
                    help="run only these (repeatable); default: load + cfg on cpu, generate on cuda")
    ap.add_argument("--preset", default="tiny", choices=["tiny", "bench"], help="head size for the cfg bench")
    ap.add_argument("--size", type=int, default=128, help="image side in px for the cfg bench")
    ap.add_argument("--steps", type=int, default=20, help="timed steps (cfg bench)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--full-size", action="store_true", help="generate bench at the published size (else `bench`)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[512, 1024], help="image sides for the generate bench")
    ap.add_argument("--workdir", type=Path, help="where to keep the generated checkpoints (default: a temp dir)")
    ap.add_argument("--_load-child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._load_child:
        _load_child(*args._load_child)
        return 0
    only = set(args.only or (["generate"] if args.device.startswith("cuda") else ["load", "cfg"]))
    results = {}
    if "load" in only:
        if args.workdir:
            args.workdir.mkdir(parents=True, exist_ok=True)
            results["load"] = bench_load(args.workdir)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                results["load"] = bench_load(Path(tmp))
    if "cfg" in only:
        results["cfg"] = [bench_cfg(args.preset, args.size, args.steps, args.device)]
        if args.preset == "tiny" and args.device == "cpu":
            results["cfg"].append(bench_cfg("bench", 256, max(5, args.steps // 4)))
    if "generate" in only:
        results["generate"] = bench_generate(args.device, args.full_size, args.sizes, args.steps)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
