"""The InternVL-U context model: InternViT -> pixel-shuffle MLP projector -> Qwen3 LLM.

It does two jobs for the pipeline:
  * `generate`: ordinary autoregressive text (answers, chains of thought), through transformers' generate;
  * `context_hidden_states`: one forward pass that returns every layer's hidden states, which condition
    the image head.

Both start from the same input embeddings: the token embeddings, with the ten special tokens
(`<img>`, `<IMG_CONTEXT>`, ...) swapped for rows of `special_token_embedding`, and then every
`<IMG_CONTEXT>` position overwritten with a projected ViT token. The LLM is transformers'
`Qwen3ForCausalLM`; the official key names `language_model.model.*` / `language_model.lm_head.*` map onto
it unchanged.

The module also holds the checkpoint I/O that the whole package uses (`load_weights`): it builds nothing
twice, reads each tensor from disk straight into its final storage, and names every missing, unexpected or
mis-shaped key.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field, fields
from pathlib import Path

import torch
from torch import nn

from .vit import InternVisionConfig, InternVisionModel, pixel_shuffle

# Order matters: row i of `special_token_embedding` belongs to SPECIAL_TOKENS[i].
SPECIAL_TOKENS = ("</box>", "<box>", "<IMG_CONTEXT>", "</img>", "<img>", "</quad>", "<quad>", "</ref>", "<ref>",
                  "<img_uncond>")
IMG_CONTEXT, IMG_START, IMG_END, IMG_UNCOND = "<IMG_CONTEXT>", "<img>", "</img>", "<img_uncond>"
IM_START, IM_END = "<|im_start|>", "<|im_end|>"


@dataclass
class InternVLUChatConfig:
    vision_config: InternVisionConfig = field(default_factory=InternVisionConfig)
    llm_config: dict = field(default_factory=dict)  # a Qwen3 config.json dict (architectures: Qwen3ForCausalLM)
    downsample_ratio: float = 0.5  # pixel shuffle: each LLM image token folds a 2x2 window of ViT tokens
    select_layer: int = -1  # which ViT layer feeds the projector (-1: the last block)
    force_image_size: int | None = None  # ViT input side; defaults to vision_config.image_size
    template: str = "qwen2_5-chat-v3"  # chat template name (see processor.py)
    ps_version: str = "v2"  # pixel-shuffle ordering; only v2 exists in the official code
    anyres_image_size: bool = False  # native-resolution ViT path; not used by InternVL-U
    extra: dict = field(default_factory=dict)  # config.json keys we do not use, kept for a faithful save

    @property
    def image_size(self) -> int:
        return self.force_image_size or self.vision_config.image_size

    @property
    def num_image_token(self) -> int:
        """LLM tokens per ViT tile."""
        return int((self.image_size // self.vision_config.patch_size) ** 2 * self.downsample_ratio**2)

    @classmethod
    def from_dict(cls, d: dict) -> InternVLUChatConfig:
        known = {f.name for f in fields(cls)} - {"extra", "vision_config"}
        cfg = cls(
            vision_config=InternVisionConfig.from_dict(d.get("vision_config", {})),
            **{k: v for k, v in d.items() if k in known},
            extra={k: v for k, v in d.items() if k not in known and k != "vision_config"},
        )
        if cfg.anyres_image_size:
            raise ValueError("vlm config: anyres_image_size=true is not supported (InternVL-U uses fixed tiles)")
        arch = (cfg.llm_config.get("architectures") or ["Qwen3ForCausalLM"])[0]
        if arch != "Qwen3ForCausalLM":
            raise ValueError(f"vlm config: llm_config.architectures[0] must be Qwen3ForCausalLM, got {arch!r}")
        return cfg

    def to_dict(self) -> dict:
        out = {"architectures": ["InternVLUChatModel"], "model_type": "internvlu_chat", **self.extra}
        for f in fields(self):
            if f.name not in ("extra", "vision_config"):
                out[f.name] = getattr(self, f.name)
        out["vision_config"] = self.vision_config.to_dict()
        out["tie_word_embeddings"] = bool(self.llm_config.get("tie_word_embeddings", False))
        return out

    def qwen3_config(self):
        from transformers import Qwen3Config

        d = {k: v for k, v in self.llm_config.items() if k not in ("architectures", "torch_dtype", "dtype",
                                                                    "transformers_version", "_name_or_path")}
        cfg = Qwen3Config(**d)
        cfg._attn_implementation = "sdpa"
        return cfg


class InternVLUChatModel(nn.Module):
    def __init__(self, config: InternVLUChatConfig):
        super().__init__()
        self.config = config
        from transformers import Qwen3ForCausalLM

        self.vision_model = InternVisionModel(config.vision_config)
        self.language_model = Qwen3ForCausalLM(config.qwen3_config())
        vit_out = config.vision_config.hidden_size * int(1 / config.downsample_ratio) ** 2
        llm = self.language_model.config.hidden_size
        self.mlp1 = nn.Sequential(nn.LayerNorm(vit_out), nn.Linear(vit_out, llm), nn.GELU(), nn.Linear(llm, llm))
        self.special_token_embedding = nn.Embedding(len(SPECIAL_TOKENS), llm)
        self.special_token_ids: list[int] | None = None  # tokenizer ids of SPECIAL_TOKENS, set by the pipeline
        self.img_context_token_id: int | None = None

    # -- checkpoint I/O -------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, folder, dtype: torch.dtype = torch.float32, device="cpu") -> InternVLUChatModel:
        folder = Path(folder)
        config = InternVLUChatConfig.from_dict(read_json(folder / "config.json"))
        with empty_weights():
            model = cls(config)
        optional = {"language_model.lm_head.weight"} if model._tied() else set()
        load_weights(model, folder, dtype=dtype, device=device, optional=optional)
        model._finish_loading(device)
        return model.eval()

    def save_pretrained(self, folder) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(self.config.to_dict(), indent=2, sort_keys=True) + "\n")
        state = self.state_dict()
        if self._tied():
            state.pop("language_model.lm_head.weight", None)
        save_weights(state, folder / "model.safetensors")

    def _tied(self) -> bool:
        return bool(self.language_model.config.tie_word_embeddings)

    def _finish_loading(self, device) -> None:
        if self._tied():
            self.language_model.lm_head.weight = self.language_model.model.embed_tokens.weight
        # Buffers (RoPE inverse frequencies) were built for real on the CPU; bring them along.
        self.to(device)

    @property
    def device(self) -> torch.device:
        return self.special_token_embedding.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.special_token_embedding.weight.dtype

    # -- embeddings -----------------------------------------------------------------------------------

    def image_features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """[N, 3, S, S] ViT tiles -> [N, num_image_token, llm_hidden] LLM-space image tokens."""
        x = self.vision_model(pixel_values.to(self.dtype), select_layer=self.config.select_layer)[:, 1:]
        n, tokens, c = x.shape
        side = int(tokens**0.5)
        x = pixel_shuffle(x.reshape(n, side, side, c), self.config.downsample_ratio)
        return self.mlp1(x)

    def input_embeddings(self, input_ids: torch.Tensor, image_features: torch.Tensor | None = None) -> torch.Tensor:
        """Token embeddings with special tokens and `<IMG_CONTEXT>` slots filled in.

        `image_features` holds, in reading order (row by row), one [num_image_token, C] block per image
        block in `input_ids`.
        """
        if self.special_token_ids is None or self.img_context_token_id is None:
            raise RuntimeError("special token ids are not set; call set_special_token_ids(tokenizer) first")
        x = self.language_model.get_input_embeddings()(input_ids)
        for row, token_id in enumerate(self.special_token_ids):
            x = torch.where((input_ids == token_id)[..., None], self.special_token_embedding.weight[row], x)
        slots = input_ids == self.img_context_token_id
        n_slots = int(slots.sum())
        if image_features is None:
            if n_slots:
                raise ValueError(f"input_ids hold {n_slots} <IMG_CONTEXT> tokens but no image was given")
            return x
        feats = image_features.reshape(-1, x.shape[-1]).to(x.dtype)
        if feats.shape[0] != n_slots:
            raise ValueError(f"{n_slots} <IMG_CONTEXT> tokens in input_ids but {feats.shape[0]} image tokens")
        x = x.clone()
        x[slots] = feats
        return x

    def set_special_token_ids(self, token_to_id) -> None:
        """`token_to_id`: a callable mapping a token string to its id (e.g. tokenizer.convert_tokens_to_ids)."""
        self.special_token_ids = [token_to_id(t) for t in SPECIAL_TOKENS]
        self.img_context_token_id = token_to_id(IMG_CONTEXT)

    # -- the two uses ---------------------------------------------------------------------------------

    @torch.no_grad()
    def generate(self, input_ids, attention_mask, image_features=None, **generate_kwargs):
        """Greedy/sampled/beam text continuation; returns only the new token ids (or a GenerateOutput)."""
        embeds = self.input_embeddings(input_ids, image_features)
        return self.language_model.generate(
            inputs_embeds=embeds, attention_mask=attention_mask, use_cache=True, **generate_kwargs
        )

    @torch.no_grad()
    def context_hidden_states(self, input_ids, attention_mask, image_features=None):
        """One forward pass; returns (inputs_embeds, tuple of n_layers + 1 hidden states [B, L, C]).

        Positions are 0..L-1 for every row, padding included, and a padding query attends uniformly to
        every key (the result of an additive mask of dtype-min everywhere): both as in the official
        eager-attention path, so even padded positions reproduce.
        """
        embeds = self.input_embeddings(input_ids, image_features)
        b, n = input_ids.shape
        keep = torch.ones(n, n, dtype=torch.bool, device=embeds.device).tril()[None] & attention_mask.bool()[:, None, :]
        mask = torch.zeros(b, 1, n, n, dtype=embeds.dtype, device=embeds.device)
        mask.masked_fill_(~keep[:, None], torch.finfo(embeds.dtype).min)
        out = self.language_model.model(
            inputs_embeds=embeds, attention_mask={"full_attention": mask}, output_hidden_states=True, use_cache=False
        )
        return embeds, out.hidden_states


# -- checkpoint I/O (shared by every component of the pipeline) -------------------------------------------

_ST_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool, "F8_E4M3": torch.float8_e4m3fn, "F8_E5M2": torch.float8_e5m2,
}
WEIGHT_FILES = ("model.safetensors", "diffusion_pytorch_model.safetensors")


def read_json(path: Path) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"missing file: {path}")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"corrupt JSON in {path}: {e}") from None


def weight_files(folder: Path) -> list[Path]:
    """The safetensors files of a component folder: a single file, or the shards named by an index."""
    for name in WEIGHT_FILES:
        if (folder / name).is_file():
            return [folder / name]
        index = folder / f"{name}.index.json"
        if index.is_file():
            shards = sorted(set(read_json(index).get("weight_map", {}).values()))
            missing = [s for s in shards if not (folder / s).is_file()]
            if missing:
                raise FileNotFoundError(f"missing shard(s) listed in {index}: {', '.join(missing)}")
            return [folder / s for s in shards]
    raise FileNotFoundError(f"missing weights in {folder}: expected one of {', '.join(WEIGHT_FILES)} (or a sharded index)")


def read_header(path: Path) -> dict[str, tuple[torch.dtype, list[int], int, int]]:
    """name -> (dtype, shape, absolute byte offset, byte length), validated against the file size."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) < 8:
            raise ValueError(f"corrupt safetensors file {path}: shorter than its 8-byte header length")
        (n,) = struct.unpack("<Q", raw)
        if n > size - 8:
            raise ValueError(f"corrupt safetensors file {path}: header length {n} exceeds the file size {size}")
        try:
            header = json.loads(f.read(n))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"corrupt safetensors file {path}: unreadable header ({e})") from None
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = _ST_DTYPES[info["dtype"]]
            shape, (start, end) = list(info["shape"]), info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"corrupt safetensors file {path}: bad header entry for {name!r}") from None
        numel = 1
        for s in shape:
            numel *= s
        if end - start != numel * dtype.itemsize or 8 + n + end > size:
            raise ValueError(f"corrupt safetensors file {path}: tensor {name!r} lies outside the file or has the wrong size")
        out[name] = (dtype, shape, 8 + n + start, end - start)
    return out


def _names(keys, limit=20) -> str:
    keys = sorted(keys)
    more = f" ... and {len(keys) - limit} more" if len(keys) > limit else ""
    return ", ".join(keys[:limit]) + more


def load_weights(module: nn.Module, folder: Path, dtype: torch.dtype, device="cpu", optional=()) -> None:
    """Fill `module` (parameters on the meta device) from the safetensors in `folder`, strictly.

    Every tensor on disk must match a parameter or persistent buffer by name and shape, and every one of
    those must be on disk (except the names in `optional`). Each tensor is read straight from the file
    into a fresh tensor (no mmap, no second copy of the checkpoint) and cast to `dtype` if floating.
    """
    folder = Path(folder)
    files = weight_files(folder)
    on_disk = {}
    for path in files:
        for name, info in read_header(path).items():
            on_disk[name] = (path, *info)
    expected = {k: v for k, v in module.state_dict(keep_vars=True).items()}
    missing = set(expected) - set(on_disk) - set(optional)
    unexpected = set(on_disk) - set(expected)
    shapes = {k for k in set(expected) & set(on_disk) if list(expected[k].shape) != on_disk[k][2]}
    problems = []
    if missing:
        problems.append(f"missing keys: {_names(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_names(unexpected)}")
    if shapes:
        problems.append("mis-shaped keys: " + _names(
            f"{k} (checkpoint {on_disk[k][2]}, model {list(expected[k].shape)})" for k in shapes))
    if problems:
        raise ValueError(f"checkpoint {folder} does not match the model:\n  " + "\n  ".join(problems))

    device = torch.device(device)
    for path in files:
        with open(path, "rb") as f:
            for name, (p, file_dtype, shape, offset, nbytes) in sorted(on_disk.items(), key=lambda kv: kv[1][3]):
                if p != path:
                    continue
                raw = torch.empty(nbytes, dtype=torch.uint8)
                f.seek(offset)
                if f.readinto(raw.numpy()) != nbytes:
                    raise ValueError(f"corrupt safetensors file {path}: truncated while reading {name!r}")
                t = raw.view(file_dtype).reshape(shape)
                if t.is_floating_point():
                    t = t.to(dtype)
                t = t.to(device)
                owner_name, _, leaf = name.rpartition(".")
                owner = module.get_submodule(owner_name)
                if leaf in owner._parameters:
                    owner._parameters[leaf] = nn.Parameter(t, requires_grad=False)
                else:
                    owner._buffers[leaf] = t


def save_weights(state: dict[str, torch.Tensor], path: Path) -> None:
    from safetensors.torch import save_file

    save_file({k: v.detach().contiguous().cpu() for k, v in state.items()}, str(path), metadata={"format": "pt"})


class empty_weights:
    """Context manager: parameters are created on the meta device (no memory), buffers for real."""

    def __enter__(self):
        from accelerate import init_empty_weights

        self._ctx = init_empty_weights(include_buffers=False)
        return self._ctx.__enter__()

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)
