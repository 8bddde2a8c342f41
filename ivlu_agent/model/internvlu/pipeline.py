"""InternVLUPipeline: understanding, generation and editing with one call, on current transformers/diffusers.

    pipe = InternVLUPipeline.from_pretrained("path/to/InternVL-U", torch_dtype=torch.bfloat16, device="cuda")
    pipe("What is shown?", image=img, generation_mode="text", max_new_tokens=256).text
    pipe("a red circle", generation_mode="image", height=512, width=512, generator=g).images
    pipe("a red circle", generation_mode="text_image").images  # plan first, then draw
    pipe("Make it blue.", image=img, generation_mode="image").images  # editing

The call mirrors the official `InternVLUPipeline.__call__` (same argument names and defaults). How an image
is made, step by step:
  1. The processor writes three rows per prompt: full condition, text dropped, everything dropped.
  2. The ViT runs once per distinct input image; one LLM forward over all rows gives the hidden states.
  3. Each row's condition is its states from the second `<|im_start|>` through the final `<img>`.
  4. Each denoising step runs the head ONCE on all three rows and mixes them (3-way CFG, with the guidance
     terms norm-rescaled while t > 930), then takes a DPM++ 2M step.
  5. The VAE decodes; the image is resized (Lanczos) from the stride-floored size back to the requested one.
"""

from __future__ import annotations

import copy
import io
import logging
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from .decoder import InternVLUGenerationDecoder, InternVLUGenerationDecoderConfig, stack_vlm_layers
from .processor import InternVLUProcessor, normalise_images
from .vlm import (
    IM_END,
    IM_START,
    IMG_CONTEXT,
    IMG_START,
    InternVLUChatModel,
    empty_weights,
    load_weights,
    read_json,
)

logger = logging.getLogger(__name__)

COMPONENTS = {  # folder -> class name in model_index.json
    "vlm": "InternVLUChatModel",
    "generation_decoder": "InternVLUGenerationDecoder",
    "vae": "AutoencoderKLQwenImage",
    "scheduler": "DPMSolverMultistepScheduler",
    "processor": "InternVLUProcessor",
}
MODES = ("text", "image", "text_image")
TEXT_KWARGS = {"max_new_tokens", "min_new_tokens", "do_sample", "temperature", "top_p", "num_beams",
               "return_dict_in_generate", "output_hidden_states"}
IMAGE_KWARGS = {"num_inference_steps", "num_images_per_prompt", "all_cfg_scale", "part_cfg_scale", "height",
                "width", "generator"}
CFG_DEFAULTS = {"image": (4.5, 2.0), "text_image": (3.5, 1.5)}  # (all_cfg_scale, part_cfg_scale)
MAX_NEW_TOKENS = {"text": 1024, "text_image": 200}  # official: HF default (unusable) / 200
MAX_SIDE = 2048
NORM_RESCALE_T = 930  # guidance terms are norm-rescaled while the timestep is above this
NORM_RESCALE_K = 0.4
TIMESTEP_SHIFT = 3.0  # the official call always sets the scheduler's flow_shift to this


@dataclass
class InternVLUPipelineOutput:
    generate_output: Any = None  # generated token ids [B, T] (or a transformers GenerateOutput); text modes
    images: list[Image.Image] | None = None  # B * num_images_per_prompt PIL images; image modes
    text: list[str] | None = None  # decoded generate_output, special tokens skipped


def rescaled_cfg(cond, part, uncond, all_scale: float, part_scale: float, rescale: bool) -> torch.Tensor:
    """Three-way guidance: uncond + part * (img-only - uncond) + all * (full - img-only).

    With `rescale`, each guidance term is divided by its per-pixel channel norm ** 0.4 where that norm
    exceeds 1, which tames the first, very noisy steps.
    """
    d_part, d_all = part - uncond, cond - part
    if rescale:
        d_part = d_part / _norm_divisor(d_part)
        d_all = d_all / _norm_divisor(d_all)
    return uncond + part_scale * d_part + all_scale * d_all


def _norm_divisor(d: torch.Tensor) -> torch.Tensor:
    n = torch.norm(d, dim=1, keepdim=True)
    return torch.where(n > 1.0, n.pow(NORM_RESCALE_K), torch.ones_like(n))


class InternVLUPipeline:
    model_cpu_offload_seq = "vlm->generation_decoder->vae"

    def __init__(self, vlm: InternVLUChatModel, generation_decoder: InternVLUGenerationDecoder, vae, scheduler,
                 processor: InternVLUProcessor):
        self.vlm = vlm
        self.generation_decoder = generation_decoder
        self.vae = vae
        self.scheduler = scheduler
        self.processor = processor
        self.tokenizer = processor.tokenizer
        vlm.set_special_token_ids(self.tokenizer.convert_tokens_to_ids)
        self._ids = {t: self.tokenizer.convert_tokens_to_ids(t) for t in (IM_START, IM_END, IMG_START, IMG_CONTEXT)}
        self._offload_device: torch.device | None = None
        # The official call always sets the scheduler's flow_shift to 3.0; each call samples with a fresh copy.
        self._sampler = type(scheduler).from_config(scheduler.config, flow_shift=TIMESTEP_SHIFT)

    # -- loading and saving ---------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, path, torch_dtype: torch.dtype | None = None, device=None, device_map=None,
                        dtype: torch.dtype | None = None) -> InternVLUPipeline:
        """Load the official folder layout. `torch_dtype` (or `dtype`) defaults to float32; `device` (or a
        single-device `device_map` string) to cpu. Weights go straight to their final device and dtype."""
        from diffusers import AutoencoderKLQwenImage, DPMSolverMultistepScheduler

        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"missing checkpoint folder: {path}")
        dtype = torch_dtype or dtype or torch.float32
        if device_map is not None and not isinstance(device_map, (str, torch.device)):
            raise ValueError("device_map must be a single device such as 'cuda' or 'cpu'; sharding is not supported")
        if device_map in ("auto", "balanced"):  # one device holds everything
            device_map = "cuda" if torch.cuda.is_available() else "cpu"
        device = torch.device(device or device_map or "cpu")
        index = read_json(path / "model_index.json")
        for name, class_name in COMPONENTS.items():
            entry = index.get(name)
            if not (isinstance(entry, list) and len(entry) == 2 and entry[1] == class_name):
                raise ValueError(f"{path / 'model_index.json'}: component {name!r} must be [module, {class_name!r}], "
                                 f"got {entry!r}")
            if not (path / name).is_dir():
                raise FileNotFoundError(f"missing folder: {path / name}")

        vlm = InternVLUChatModel.from_pretrained(path / "vlm", dtype=dtype, device=device)
        dec_cfg = InternVLUGenerationDecoderConfig.from_json_file(path / "generation_decoder" / "config.json")
        with empty_weights():
            decoder = InternVLUGenerationDecoder(dec_cfg)
        load_weights(decoder, path / "generation_decoder", dtype=dtype, device=device)
        decoder.to(device).eval()
        vae_cfg = read_json(path / "vae" / "config.json")
        with empty_weights():
            vae = AutoencoderKLQwenImage.from_config(vae_cfg)
        load_weights(vae, path / "vae", dtype=dtype, device=device)
        vae.eval()
        scheduler = DPMSolverMultistepScheduler.from_config(read_json(path / "scheduler" / "scheduler_config.json"))
        processor = InternVLUProcessor.from_pretrained(path / "processor", template=vlm.config.template)
        return cls(vlm, decoder, vae, scheduler, processor)

    def save_pretrained(self, path) -> None:
        """Write the official layout (model_index.json + five component folders)."""
        import json

        import diffusers

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.vlm.save_pretrained(path / "vlm")
        self.generation_decoder.save_pretrained(path / "generation_decoder")
        self.vae.save_pretrained(path / "vae", safe_serialization=True)
        self.scheduler.save_pretrained(path / "scheduler")
        self.processor.save_pretrained(path / "processor")
        modules = {"vlm": "internvlu.vlm", "generation_decoder": "internvlu.diffusion", "vae": "diffusers",
                   "scheduler": "diffusers", "processor": "internvlu.processing_internvlu"}
        index = {"_class_name": "InternVLUPipeline", "_diffusers_version": diffusers.__version__,
                 **{k: [modules[k], v] for k, v in COMPONENTS.items()}}
        (path / "model_index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")

    # -- devices --------------------------------------------------------------------------------------

    def to(self, device=None, dtype: torch.dtype | None = None) -> InternVLUPipeline:
        if isinstance(device, torch.dtype):
            device, dtype = None, device
        for m in (self.vlm, self.generation_decoder, self.vae):
            torch.nn.Module.to(m, device=device, dtype=dtype)  # plain Module.to: diffusers' warns on every cast
        return self

    @property
    def device(self) -> torch.device:
        return self._offload_device or self.vlm.device

    @property
    def dtype(self) -> torch.dtype:
        return self.vlm.dtype

    def enable_model_cpu_offload(self, device="cuda") -> None:
        """Keep the three models on the CPU and move each to `device` only while it runs, in the order
        vlm -> generation_decoder -> vae. Peak accelerator memory becomes that of the largest one."""
        self._offload_device = torch.device(device)
        self.to("cpu")

    @contextmanager
    def _stage(self, module):
        if self._offload_device is None:
            yield module
            return
        module.to(self._offload_device)
        try:
            yield module
        finally:
            module.to("cpu")

    # -- validation -----------------------------------------------------------------------------------

    def check_inputs(self, prompt, image, generation_mode: str, kwargs: dict) -> list[list[Image.Image]]:
        """Raise a precise ValueError for anything wrong, before any work. Returns the decoded images per prompt."""
        if generation_mode not in MODES:
            raise ValueError(f"generation_mode must be one of {MODES}, got {generation_mode!r}")
        unknown = sorted(set(kwargs) - TEXT_KWARGS - IMAGE_KWARGS)
        if unknown:
            raise ValueError(f"unknown keyword argument(s) {unknown}; text: {sorted(TEXT_KWARGS)}, "
                             f"image: {sorted(IMAGE_KWARGS)}, plus system_prompt")
        if isinstance(prompt, str):
            prompts = [prompt]
        elif isinstance(prompt, (list, tuple)) and prompt and all(isinstance(p, str) for p in prompt):
            prompts = list(prompt)
        else:
            raise ValueError(f"prompt must be a string or a non-empty list of strings, got {type(prompt).__name__}")
        per_prompt = [[decode_image(img, f"image {b}.{i}") for i, img in enumerate(imgs)]
                      for b, imgs in enumerate(normalise_images(image, len(prompts)))]

        for key in ("max_new_tokens", "min_new_tokens", "num_beams", "num_inference_steps", "num_images_per_prompt"):
            v = kwargs.get(key)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < (0 if key == "min_new_tokens" else 1)):
                raise ValueError(f"{key} must be a positive integer, got {v!r}")
        for key in ("all_cfg_scale", "part_cfg_scale", "temperature", "top_p"):
            v = kwargs.get(key)
            if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool)):
                raise ValueError(f"{key} must be a number, got {v!r}")
        if generation_mode == "text":
            return per_prompt

        stride = self.processor.gen.stride
        h, w = self._size(kwargs)
        for name, v in (("height", h), ("width", w)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
            if v > MAX_SIDE:
                raise ValueError(f"{name}={v} is above the maximum of {MAX_SIDE} px")
            if v < stride:
                raise ValueError(f"{name}={v} is below the stride of {stride} px (the smallest size is {stride})")
        n_cond = max(len(x) for x in per_prompt)
        if n_cond:
            # The head places condition latents at t = 1..n and needs n < (latent patches per side) // 2.
            side = min(h // stride, w // stride)
            if n_cond >= side // 2:
                need = (2 * n_cond + 2) * stride
                raise ValueError(f"editing with {n_cond} image(s) needs height and width of at least {need} px, "
                                 f"got {w}x{h}")
            for b, imgs in enumerate(per_prompt):
                for i, img in enumerate(imgs):
                    if min(img.size) < stride:
                        raise ValueError(f"image {b}.{i} is {img.width}x{img.height} px; editing needs both sides "
                                         f">= {stride} px")
        gen = kwargs.get("generator")
        n = len(prompts) * (kwargs.get("num_images_per_prompt") or 1)
        if isinstance(gen, list) and len(gen) not in (1, n):
            raise ValueError(f"got {len(gen)} generators for {n} images; pass one generator or {n}")
        return per_prompt

    def _size(self, kwargs) -> tuple[int, int]:
        cfg = self.generation_decoder.config
        return kwargs.get("height", cfg.gen_image_height), kwargs.get("width", cfg.gen_image_width)

    def _check_context(self, input_ids: torch.Tensor, extra: int) -> None:
        limit = self.vlm.language_model.config.max_position_embeddings
        if input_ids.shape[1] + extra > limit:
            raise ValueError(f"the prompt is {input_ids.shape[1]} tokens (chat template and image tokens included)"
                             f"{f' plus {extra} new tokens' if extra else ''}, above the LLM context of {limit}; "
                             "shorten the prompt or lower max_new_tokens")

    # -- the call -------------------------------------------------------------------------------------

    @torch.no_grad()
    def __call__(self, prompt, image=None, generation_mode: str = "text", **kwargs) -> InternVLUPipelineOutput:
        """Run `text` (answer), `image` (generate or edit) or `text_image` (plan, then generate or edit).

        Keyword arguments (official names): text - max_new_tokens, min_new_tokens, do_sample, temperature,
        top_p, num_beams, return_dict_in_generate, output_hidden_states; image - num_inference_steps (20),
        all_cfg_scale / part_cfg_scale (4.5 / 2.0 for image, 3.5 / 1.5 for text_image), height, width
        (default from the decoder config), generator, num_images_per_prompt; and system_prompt.
        """
        system_prompt = kwargs.pop("system_prompt", None)
        images = self.check_inputs(prompt, image, generation_mode, kwargs)
        text_kw = {k: v for k, v in kwargs.items() if k in TEXT_KWARGS}
        image_kw = {k: v for k, v in kwargs.items() if k in IMAGE_KWARGS}
        if generation_mode == "text" and image_kw:
            warnings.warn(f"image arguments {sorted(image_kw)} are ignored in generation_mode='text'", stacklevel=3)
        if generation_mode == "image" and text_kw:
            warnings.warn(f"text arguments {sorted(text_kw)} are ignored in generation_mode='image'", stacklevel=3)
        text_kw.setdefault("max_new_tokens", MAX_NEW_TOKENS.get(generation_mode, 0))

        # image=None (not a list of Nones) is what selects the text-to-image template, as officially.
        inputs = self.processor(prompt, None if image is None else images, generation_mode,
                                system_prompt=system_prompt)
        extra = text_kw["max_new_tokens"] + (1 if generation_mode == "text_image" else 0)
        self._check_context(inputs.input_ids, 0 if generation_mode == "image" else extra)

        device = self.device
        with self._stage(self.vlm):
            feats = self._image_features(inputs, device)
            if generation_mode == "text":
                ids = self._generate_text(inputs.input_ids, inputs.attention_mask, feats, inputs.image_index,
                                          device, text_kw)
                return InternVLUPipelineOutput(generate_output=ids, text=self._decode(ids))
            ids = None
            input_ids, attention_mask = inputs.input_ids, inputs.attention_mask
            if generation_mode == "text_image":
                b = inputs.num_prompts
                n_blocks = int((input_ids[:b] == self._ids[IMG_START]).sum())
                plan_index = inputs.image_index[:n_blocks] if inputs.image_index is not None else None
                ids = self._generate_text(input_ids[:b], attention_mask[:b], feats, plan_index, device, text_kw)
                input_ids, attention_mask = self._append_plan(input_ids, attention_mask, ids, b)
            states = self._context(input_ids, attention_mask, feats, inputs.image_index, device)

        all_scale, part_scale = CFG_DEFAULTS[generation_mode]
        h, w = self._size(image_kw)
        pictures = self._generate_images(
            inputs, input_ids.to(device), states, device,
            all_cfg_scale=image_kw.get("all_cfg_scale", all_scale),
            part_cfg_scale=image_kw.get("part_cfg_scale", part_scale),
            num_inference_steps=image_kw.get("num_inference_steps", 20),
            num_images_per_prompt=image_kw.get("num_images_per_prompt", 1),
            height=h, width=w, generator=image_kw.get("generator"))
        return InternVLUPipelineOutput(generate_output=ids, images=pictures,
                                       text=self._decode(ids) if ids is not None else None)

    # -- VLM stage ------------------------------------------------------------------------------------

    def _image_features(self, inputs, device) -> torch.Tensor | None:
        """ViT + projector, once per distinct input image: [N, num_image_token, llm_hidden]."""
        if inputs.pixel_values is None:
            return None
        return self.vlm.image_features(inputs.pixel_values.to(device))

    @staticmethod
    def _blocks(feats, image_index, device) -> torch.Tensor | None:
        """Image tokens for each `<img>` block of the rows, in reading order (an image may appear in several rows)."""
        if feats is None or image_index is None or len(image_index) == 0:
            return None
        return feats[image_index.to(device)]

    def _generate_text(self, input_ids, attention_mask, feats, image_index, device, text_kw):
        blocks = self._blocks(feats, image_index, device)
        eos = self._ids[IM_END]
        kw = dict(text_kw)
        if kw.get("do_sample"):
            kw.setdefault("top_k", 50)  # transformers 4.x default that the official sampling used
        return self.vlm.generate(input_ids.to(device), attention_mask.to(device), blocks,
                                 eos_token_id=[eos, self._ids[IMG_START]], pad_token_id=eos, **kw)

    def _decode(self, ids) -> list[str]:
        seqs = ids.sequences if hasattr(ids, "sequences") else ids
        return self.tokenizer.batch_decode(seqs, skip_special_tokens=True)

    def _append_plan(self, input_ids, attention_mask, plan, b: int):
        """Put each prompt's plan after its full-condition row, then `<img>` at the end of every row.

        As in the official code (and needed to reproduce it): a plan is cut at its first `<|im_end|>` or `<img>`
        (or, with none, at its last token) and the token before the cut is dropped too; in the full-condition
        row every kept token is attended, the prompt's left padding included (the three rows of a prompt are
        padded together, so this happens even for a single prompt). The other rows are unchanged.
        """
        plan = (plan.sequences if hasattr(plan, "sequences") else plan).cpu()
        n_in, n_out = input_ids.shape[1], plan.shape[1]
        full = torch.cat([input_ids[:b], plan], dim=1)
        stop = (plan == self._ids[IM_END]) | (plan == self._ids[IMG_START])
        keep = [n_in + (int(s.nonzero()[0, 0]) if s.any() else n_out - 1) - 1 for s in stop]
        width = max(max(keep), n_in)
        rows = len(input_ids)
        new_ids = torch.full((rows, width + 1), self._ids[IM_END], dtype=input_ids.dtype)
        new_mask = torch.zeros((rows, width + 1), dtype=attention_mask.dtype)
        for r in range(b):
            new_ids[r, width - keep[r]: width] = full[r, :keep[r]]
            new_mask[r, width - keep[r]: width] = 1
        new_ids[b:, width - n_in: width] = input_ids[b:]
        new_mask[b:, width - n_in: width] = attention_mask[b:]
        new_ids[:, width] = self._ids[IMG_START]
        new_mask[:, width] = 1
        return new_ids, new_mask

    def _context(self, input_ids, attention_mask, feats, image_index, device) -> torch.Tensor:
        """The selected VLM layers, concatenated: [R, L, k * llm_hidden]."""
        blocks = self._blocks(feats, image_index, device)
        _, hidden = self.vlm.context_hidden_states(input_ids.to(device), attention_mask.to(device), blocks)
        return stack_vlm_layers(hidden, self.generation_decoder.config.vlm_select_layer)

    # -- image stage ----------------------------------------------------------------------------------

    @torch.no_grad()
    def condition_inputs(self, inputs, input_ids, states, cond_latents, num_images_per_prompt: int = 1) -> dict:
        """Everything the head needs besides the latents and the timestep, for all rows at once.

        Rows are [full x B, text-dropped x B, uncond x B], each repeated `num_images_per_prompt` times.
        `cond_latents`: [N, Cz, h, w] normalised VAE latents of the distinct input images, or None.
        """
        start, ctx, img = self._ids[IM_START], self._ids[IMG_CONTEXT], self._ids[IMG_START]
        vit = self.vlm.config
        side = int(vit.image_size // vit.vision_config.patch_size * vit.downsample_ratio)
        rows, masks, fhw, cond, cond_grids = [], [], [], [], []
        b = inputs.num_prompts
        first_image = np.cumsum((0,) + inputs.images_per_prompt)
        for r in range(len(input_ids)):
            ids = input_ids[r]
            s = int((ids == start).nonzero()[1, 0])  # the second <|im_start|>: the user turn
            e = int((ids == img).nonzero()[-1, 0])  # the <img> that opens the generated image
            rows.append(states[r, s: e + 1])
            masks.append(ids[s: e + 1] == ctx)
            n_img = int((ids[:e] == img).sum())  # input images in this row, all inside the user turn
            fhw.append(torch.tensor([[1, side, side]] * n_img, dtype=torch.long).reshape(-1, 3))
            if cond_latents is not None:
                idx = list(range(first_image[r % b], first_image[r % b] + n_img))
                cond.append(cond_latents[idx])
                cond_grids.append(inputs.image_grid_gen[idx].reshape(-1, 3))
        enc, enc_mask, enc_img = self.generation_decoder.prepare_condition(rows, masks)
        n = num_images_per_prompt
        repeat = (lambda xs: [x for x in xs for _ in range(n)])
        out = {"encoder_hidden_states": enc.repeat_interleave(n, 0),
               "encoder_attention_mask": enc_mask.repeat_interleave(n, 0),
               "encoder_image_token_mask": enc_img.repeat_interleave(n, 0),
               "image_fhw_cond": repeat(fhw), "conditional_input": None, "image_grid_thw_gen_cond": None}
        if cond_latents is not None:
            out["conditional_input"] = repeat(cond)
            out["image_grid_thw_gen_cond"] = repeat(cond_grids)
        return out

    @torch.no_grad()
    def encode_images(self, pixel_values_gen: torch.Tensor, device) -> torch.Tensor:
        """[N, 3, H, W] pixels -> [N, Cz, H/8, W/8] latents, (posterior mode - mean) / std."""
        cfg = self.vae.config
        x = pixel_values_gen.to(device=device, dtype=self.vae.dtype).unsqueeze(2)
        z = torch.cat([self.vae.encode(x[i: i + 4]).latent_dist.mode() for i in range(0, len(x), 4)])
        mean = torch.tensor(cfg.latents_mean).view(1, -1, 1, 1, 1).to(z)
        std = torch.tensor(cfg.latents_std).view(1, -1, 1, 1, 1).to(z)
        return ((z - mean) / std).squeeze(2)

    @torch.no_grad()
    def decode_latents(self, latents: torch.Tensor) -> np.ndarray:
        """[N, Cz, h, w] normalised latents -> [N, 8h, 8w, 3] uint8, exactly as the official pipeline rounds."""
        cfg = self.vae.config
        z = latents.to(self.vae.dtype).unsqueeze(2)
        mean = torch.tensor(cfg.latents_mean).view(1, -1, 1, 1, 1).to(z)
        inv_std = 1.0 / torch.tensor(cfg.latents_std).view(1, -1, 1, 1, 1).to(z)
        z = z / inv_std + mean
        x = torch.cat([self.vae.decode(z[i: i + 4], return_dict=False)[0][:, :, 0] for i in range(0, len(z), 4)])
        x = ((127.5 * x + 128.0) / 255).clamp(0, 1)
        return (x.cpu().float().numpy().transpose(0, 2, 3, 1) * 255).astype(np.uint8)

    def _generate_images(self, inputs, input_ids, states, device, *, all_cfg_scale, part_cfg_scale,
                         num_inference_steps, num_images_per_prompt, height, width, generator) -> list[Image.Image]:
        from diffusers.utils.torch_utils import randn_tensor

        stride, f = self.processor.gen.stride, self.processor.gen.vae_downsample_factor
        gen_h, gen_w = height // stride * stride, width // stride * stride
        cond_latents = None
        if inputs.pixel_values_gen is not None:
            with self._stage(self.vae):
                cond_latents = self.encode_images(inputs.pixel_values_gen, device)

        with self._stage(self.generation_decoder) as head:
            cond = self.condition_inputs(inputs, input_ids, states, cond_latents, num_images_per_prompt)
            n = inputs.num_prompts * num_images_per_prompt
            cond["image_grid_thw_gen"] = torch.tensor([[1, gen_h // f, gen_w // f]] * 3 * n)
            channels = head.config.decoder_config.latent_channels
            latents = randn_tensor((n, channels, gen_h // f, gen_w // f), generator=generator, device=device,
                                   dtype=torch.float32)
            scheduler = copy.deepcopy(self._sampler)
            with warnings.catch_warnings():  # diffusers' own numpy-2 deprecation notice, not actionable here
                warnings.filterwarnings("ignore", "__array__ implementation", DeprecationWarning)
                scheduler.set_timesteps(num_inference_steps, device=device)
            for t in scheduler.timesteps:
                x = torch.cat([latents] * 3).to(head.dtype)
                v = head(x, timestep=t.expand(3 * n), **cond).float()
                v = rescaled_cfg(*v.chunk(3), all_cfg_scale, part_cfg_scale, rescale=bool(t > NORM_RESCALE_T))
                latents = scheduler.step(v, t, latents, return_dict=False)[0]

        with self._stage(self.vae):
            pixels = self.decode_latents(latents.to(head.dtype))
        return [Image.fromarray(p).resize((width, height), Image.Resampling.LANCZOS) for p in pixels]


def decode_image(img, name: str) -> Image.Image:
    """A PIL image, a path, raw bytes or an HxWx3 uint8 array -> a fully decoded RGB PIL image."""
    try:
        if isinstance(img, (str, Path)):
            with Image.open(img) as f:
                return f.convert("RGB")
        if isinstance(img, (bytes, bytearray)):
            with Image.open(io.BytesIO(img)) as f:
                return f.convert("RGB")
        if isinstance(img, np.ndarray):
            if img.dtype != np.uint8 or img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 3, 4)):
                raise ValueError(f"arrays must be HxW or HxWxC uint8, got {img.dtype} {img.shape}")
            return Image.fromarray(img.squeeze(-1) if img.ndim == 3 and img.shape[2] == 1 else img).convert("RGB")
        if isinstance(img, Image.Image):
            img.load()
            return img if img.mode == "RGB" else img.convert("RGB")
    except FileNotFoundError:
        raise ValueError(f"{name}: no such file {img}") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise ValueError(f"{name} cannot be decoded: {e}") from None
    raise ValueError(f"{name} must be a PIL image, a path, bytes or a uint8 array, got {type(img).__name__}")
