"""Engine `internvlu`: the one door to InternVL-U. It draws, edits, judges and writes text for the agent.

Two halves, one module:

- `InternVLUEngine` lives in the agent process and never imports torch. It owns a one-process
  `WorkerPool` (no memory limit, long timeout) in which the model is loaded once and kept warm, and it
  implements the `NeuralEngine` protocol (ivlu_agent/planning/protocol.py) by calling the `worker_*`
  functions below in that process. The model planner and the kinds the head draws use only these calls.
- The `worker_*` functions run in the model worker. `pipeline(context)` loads the checkpoint on first
  use and caches it per (path, device, dtype), so the model loads once per agent.

`context` is a small dict (model path, device, dtype) sent with every call. A remote engine (HTTP, e.g.
vLLM-Omni) later implements the same protocol against a server.
"""

from __future__ import annotations

import inspect
import io
import json
import time
from pathlib import Path
from typing import Any

from ..errors import IvluError
from ..types import HeadImage, JudgeAnswer

COMPONENTS = ("vlm", "generation_decoder", "vae", "scheduler", "processor")
DTYPES = ("float32", "bfloat16", "float16")
# What each component folder must hold: a JSON config, and weights (one file or a sharded index).
CONFIGS = {"vlm": "config.json", "generation_decoder": "config.json", "vae": "config.json",
           "scheduler": "scheduler_config.json", "processor": "tokenizer_config.json"}
WEIGHTED = ("vlm", "generation_decoder", "vae")


def check_model_folder(path: str | Path | None) -> Path:
    """The model folder, checked without loading anything. Raises IvluError naming what is missing."""
    fix = "pass --model PATH (or set IVLU_MODEL) to an InternVL-U checkpoint folder (diffusers layout)"
    if not path:
        raise IvluError("Engine 'internvlu' needs a model folder and none was given.",
                        "a folder with model_index.json and vlm/, generation_decoder/, vae/, scheduler/, processor/",
                        fix)
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise IvluError(f"Model folder {folder} does not exist.", "an InternVL-U checkpoint folder", fix)
    index_path = folder / "model_index.json"
    if not index_path.is_file():
        raise IvluError(f"{folder} has no model_index.json, so it is not an InternVL-U checkpoint.",
                        "model_index.json with _class_name InternVLUPipeline", fix)
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError) as e:
        raise IvluError(f"{index_path} cannot be read as JSON ({e}).", "a valid model_index.json", fix) from None
    if index.get("_class_name") != "InternVLUPipeline":
        raise IvluError(f"{index_path} names {index.get('_class_name')!r}.", "_class_name 'InternVLUPipeline'", fix)
    missing = [c for c in COMPONENTS if c not in index or not (folder / c).is_dir()]
    if missing:
        raise IvluError(f"Model folder {folder} lacks the component(s) {', '.join(missing)}.",
                        "model_index.json entries and folders for " + ", ".join(COMPONENTS),
                        "copy the complete checkpoint folder")
    for component, config in CONFIGS.items():
        config_path = folder / component / config
        try:
            json.loads(config_path.read_text())
        except FileNotFoundError:
            raise IvluError(f"Model folder {folder} has no {component}/{config}.",
                            f"{component}/ with its {config}", "copy the complete checkpoint folder") from None
        except (OSError, ValueError) as e:
            raise IvluError(f"{config_path} cannot be read as JSON ({e}).", f"a valid {config}",
                            "copy the complete checkpoint folder") from None
    for component in WEIGHTED:
        if not any((folder / component).glob("*.safetensors")):
            raise IvluError(f"Model folder {folder} has no weights in {component}/.",
                            f"{component}/*.safetensors (one file, or shards with their index)",
                            "copy the complete checkpoint folder")
    return folder.resolve()


class InternVLUEngine:
    """InternVL-U as a neural engine: `generate`, `edit`, `judge`, `think`, `write_json` (planning/protocol.py).

    Args:
        model_path: the checkpoint folder (checked at once).
        device / dtype: where and how the model runs (default: cuda + bfloat16 when present, else cpu + float32).
        timeout_s: the longest one call may take (the first one loads the model).
    """

    name = "internvlu"

    def __init__(self, model_path: str | Path | None, *, device: str | None = None, dtype: str | None = None,
                 timeout_s: float = 900.0):
        from ..worker import WorkerPool

        folder = check_model_folder(model_path)
        if dtype is not None and dtype not in DTYPES:
            raise IvluError(f"Unknown dtype {dtype!r}.", "one of: " + ", ".join(DTYPES), "pick one of them")
        self.context = {"engine": "internvlu", "model_path": str(folder), "device": device, "dtype": dtype}
        self.timeout_s = timeout_s
        self.model_workers = WorkerPool(size=1, timeout_s=timeout_s, memory_mb=0, threads=0)  # all cores

    # -- the head ------------------------------------------------------------------------------------

    def generate(self, prompt: str, *, width: int = 512, height: int = 512, steps: int = 20, seed: int = 0,
                 think: bool = False) -> HeadImage:
        """The head's image for `prompt` (with `think`, the model writes a short plan first)."""
        return HeadImage.model_validate(self._call("worker_generate", prompt, width, height, steps, seed, think))

    def edit(self, image: str | Path | bytes, instruction: str, *, width: int = 0, height: int = 0,
             steps: int = 20, seed: int = 0) -> HeadImage:
        """`image` changed as `instruction` says (0 keeps the source's size)."""
        data = image if isinstance(image, bytes) else Path(image).read_bytes()
        return HeadImage.model_validate(self._call("worker_edit", data, instruction, width, height, steps, seed))

    def judge(self, image: str | Path | bytes, questions: list[str]) -> list[JudgeAnswer]:
        """Yes/no answers, each with a short rationale, to questions about the image."""
        data = image if isinstance(image, bytes) else Path(image).read_bytes()
        return [JudgeAnswer.model_validate(a) for a in self._call("worker_judge", data, questions)]

    # -- text, for the planner ------------------------------------------------------------------------

    def think(self, prompt: str, images: list[str], max_new_tokens: int) -> str:
        return self._call("worker_think", prompt, images, max_new_tokens)

    def write_json(self, prompt: str, images: list[str], prefix: str, schema: dict, max_tokens: int) -> dict:
        """{"value", "text", "tokens", "seconds"}: a JSON document decoded under `schema` (model/guided.py)."""
        return self._call("worker_write_json", prompt, images, prefix, schema, max_tokens)

    def stats(self) -> dict:
        """How often the model worker loaded a model, and how long that took (benchmarks and tests)."""
        return self._call("worker_stats")

    def _call(self, name: str, *args: Any) -> Any:
        return self.model_workers.call(f"{__name__}:{name}", self.context, *args, timeout_s=self.timeout_s)

    def close(self) -> None:
        self.model_workers.close()


# -- the model worker's side -----------------------------------------------------------------------

_PIPES: dict[tuple, Any] = {}
STATS = {"loads": 0, "load_s": 0.0}


def pipeline(context: dict):
    """The loaded pipeline for `context`, cached in this (worker) process."""
    import torch

    device = context.get("device") or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = context.get("dtype") or ("bfloat16" if device.startswith("cuda") else "float32")
    key = (context["model_path"], device, dtype)
    if key not in _PIPES:
        from .internvlu.pipeline import InternVLUPipeline

        started = time.perf_counter()
        _PIPES.clear()  # one model per worker: a new path replaces the old one
        try:
            _PIPES[key] = InternVLUPipeline.from_pretrained(context["model_path"], device=device,
                                                            torch_dtype=getattr(torch, dtype))
        except torch.cuda.OutOfMemoryError:
            raise  # not the checkpoint's fault: the worker reports it as a failed call
        except (OSError, ValueError, KeyError, RuntimeError, TypeError) as e:
            # The folder passed check_model_folder, so its contents are broken (corrupt or truncated
            # weights, mismatched shapes, a bad tokenizer): bad input, said plainly, not a traceback.
            raise IvluError(f"The model in {context['model_path']} cannot be loaded: {type(e).__name__}: "
                            f"{str(e)[:300]}", "a complete, uncorrupted InternVL-U checkpoint",
                            "copy the checkpoint folder again") from None
        STATS["loads"] += 1
        STATS["load_s"] += time.perf_counter() - started
    return _PIPES[key]


def _vocab(pipe):
    from .guided_decoder import Vocab

    if getattr(pipe, "_ivlu_vocab", None) is None:
        pipe._ivlu_vocab = Vocab.from_tokenizer(pipe.tokenizer)
    return pipe._ivlu_vocab


def _images(items: list) -> list:
    from PIL import Image

    out = []
    for item in items or []:
        with Image.open(io.BytesIO(item) if isinstance(item, bytes) else item) as im:
            out.append(im.convert("RGB"))
    return out


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def lm_stepper(pipe, prompt: str, images: list, prefix: str = ""):
    """`step(new_ids) -> next-token logits` over the chat prompt (text mode) and an assistant prefix, with a
    KV cache: what `guided_decoder.GuidedDecoder` drives."""
    import torch
    from transformers import DynamicCache

    inputs = pipe.processor(prompt, images or None, "text")
    device = pipe.device
    feats = None
    if inputs.pixel_values is not None:
        feats = pipe.vlm.image_features(inputs.pixel_values.to(device))[inputs.image_index.to(device)]
    ids = inputs.input_ids.to(device)
    if prefix:
        extra = pipe.tokenizer(prefix, add_special_tokens=False, return_tensors="pt").input_ids.to(device)
        ids = torch.cat([ids, extra], dim=1)
    lm = pipe.vlm.language_model
    cache = DynamicCache(config=lm.config)
    # transformers 5 renamed past_key_values to cache (the old name warns until it is removed)
    cache_kw = "cache" if "cache" in inspect.signature(lm.forward).parameters else "past_key_values"
    first = [pipe.vlm.input_embeddings(ids, feats)]

    @torch.no_grad()
    def step(new_ids: list[int]):
        parts = [first.pop()] if first else []
        if new_ids:
            parts.append(pipe.vlm.input_embeddings(torch.tensor([new_ids], device=device)))
        out = lm(inputs_embeds=torch.cat(parts, dim=1), use_cache=True, logits_to_keep=1, **{cache_kw: cache})
        return out.logits[0, -1].float().cpu().numpy()

    return step


def worker_think(context: dict, prompt: str, images: list, max_new_tokens: int) -> str:
    pipe = pipeline(context)
    out = pipe(prompt, image=_images(images) or None, generation_mode="text", max_new_tokens=max_new_tokens,
               do_sample=False)
    return out.text[0].strip()


def worker_write_json(context: dict, prompt: str, images: list, prefix: str, schema: dict,
                      max_tokens: int) -> dict:
    from .guided import write_json

    pipe = pipeline(context)
    started = time.perf_counter()
    step = lm_stepper(pipe, prompt, _images(images), prefix)
    value, text, decoder = write_json(schema, step, _vocab(pipe), max_tokens)
    return {"value": value, "text": text, "tokens": decoder.used, "seconds": time.perf_counter() - started}


def _generator(seed: int):
    import torch

    return torch.Generator("cpu").manual_seed(seed)


def head_generate(context: dict, prompt: str, width: int, height: int, steps: int, seed: int,
                  think: bool = False) -> tuple[bytes, dict]:
    """PNG bytes and facts of one generation."""
    pipe = pipeline(context)
    started = time.perf_counter()
    out = pipe(prompt, generation_mode="text_image" if think else "image", height=height, width=width,
               num_inference_steps=steps, generator=_generator(seed))
    meta = {"mode": "text_image" if think else "image", "prompt": prompt, "seed": seed,
            "model_s": time.perf_counter() - started}
    if out.text:
        meta["thoughts"] = out.text[0][:2000]
    return _png(out.images[0]), meta


def head_edit(context: dict, image, instruction: str, width: int, height: int, steps: int,
              seed: int) -> tuple[bytes, dict]:
    """PNG bytes and facts of one edit of `image` (bytes or a path)."""
    pipe = pipeline(context)
    (source,) = _images([image])
    stride = pipe.processor.gen.stride
    w = max(width or source.width, 4 * stride)
    h = max(height or source.height, 4 * stride)
    started = time.perf_counter()
    out = pipe(instruction, image=source, generation_mode="image", height=min(h, 1024), width=min(w, 1024),
               num_inference_steps=steps, generator=_generator(seed))
    return _png(out.images[0]), {"mode": "edit", "prompt": instruction, "seed": seed,
                                 "model_s": time.perf_counter() - started}


JUDGE_SCHEMA = {
    "type": "object",
    "properties": {"answer": {"enum": ["yes", "no"]}, "rationale": {"type": "string", "maxLength": 120}},
    "required": ["answer", "rationale"],
}


def head_judge(context: dict, image, questions: list[str]) -> tuple[list[dict], float]:
    """One schema-guided answer per question (yes/no + rationale), and the seconds it took."""
    from ..prompts import fill, neural_prompts
    from .guided import write_json

    phrases = neural_prompts()["judge"]
    pipe = pipeline(context)
    images = _images([image])
    schema = {**JUDGE_SCHEMA, "properties": {**JUDGE_SCHEMA["properties"],
                                             "rationale": {"type": "string", "maxLength": phrases["rationale_chars"]}}}
    started = time.perf_counter()
    answers = []
    for q in questions:
        step = lm_stepper(pipe, fill(phrases["prompt"], {"question": q}), images, phrases["prefix"])
        value, _, _ = write_json(schema, step, _vocab(pipe), 16 + phrases["rationale_chars"])
        answers.append({"question": q, "answer": value["answer"], "rationale": value["rationale"].strip()})
    return answers, time.perf_counter() - started


def worker_generate(context: dict, prompt: str, width: int, height: int, steps: int, seed: int,
                    think: bool) -> dict:
    png, meta = head_generate(context, prompt, width, height, steps, seed, think)
    return {"png": png, "meta": meta}


def worker_edit(context: dict, image: bytes, instruction: str, width: int, height: int, steps: int,
                seed: int) -> dict:
    png, meta = head_edit(context, image, instruction, width, height, steps, seed)
    return {"png": png, "meta": meta}


def worker_judge(context: dict, image: bytes, questions: list[str]) -> list[dict]:
    return head_judge(context, image, questions)[0]


def worker_stats(context: dict) -> dict:
    """How often this worker loaded a model, and how long that took (for benchmarks and tests)."""
    return dict(STATS)
