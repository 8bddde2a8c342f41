"""The InternVL-U processor: chat template, special tokens, and the two image preprocessings.

* ViT tiles: each input image becomes one `image_size` square tile (bicubic, antialiased, on uint8 pixels),
  normalised with the ImageNet statistics. The official processor forces `crop_to_patches=False`, so there
  is never more than one tile per image; each tile is `image_seq_length` `<IMG_CONTEXT>` tokens between
  `<img>` and `</img>`.
* VAE inputs (editing): each image is resized (PIL bicubic) so both sides are multiples of the stride
  (VAE factor x merge size) and the area lies within [min_pixels, max_pixels], then normalised with the CLIP
  statistics. Images of one call are zero-padded to a common size, as in the official code.

Both outputs are rounded to bfloat16, as the official processor does even in a float32 pipeline.

For image generation every prompt becomes three rows, in this order: the full condition, the text dropped
("Generate an image based on reference images.", keeping the images) and everything dropped
("Here is a random image <img_uncond>:"). Rows are grouped by kind: [full x B, text-dropped x B, uncond x B].
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .vlm import IM_END, IMG_CONTEXT, IMG_END, IMG_START, read_json

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
CLIP_MEAN, CLIP_STD = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)

_SYSTEM = ("你是书生·万象，英文名是InternVL，是由上海人工智能实验室、清华大学及多家合作单位联合开发的多模态大语言模型。")
# System messages of the three official templates: understanding, text-to-image, editing.
TEMPLATES = {
    "qwen2_5-chat-v3": _SYSTEM,
    "qwen2_5-chat-v3-imgen": _SYSTEM + "请通过详细描述图像中物体和背景的颜色、形状、大小、纹理、数量、文字内容以及空间位置关系等来对图像进行全面描述：",
    "qwen2_5-chat-v3-editing": _SYSTEM + "请描述输入图像的关键特征（颜色、形状、大小、纹理、物体、背景等），"
    "然后解释用户的文本指令应该如何改变或修改图像，从而生成一个满足用户要求的新图像，并适当保持与原始输入的一致性。：",
}
BLANK_MESSAGES = {
    "text_blank_message": "Generate an image based on reference images.",
    "pure_blank_message": "Here is a random image <img_uncond>:",
}
IMAGE_PLACEHOLDER = "<image>"
DROP_KINDS = ("none", "text", "all")  # full condition, text dropped, everything dropped

_PIL_RESAMPLE = {2: Image.BILINEAR, 3: Image.BICUBIC}
_TORCH_RESAMPLE = {2: "bilinear", 3: "bicubic"}


def render_chat(system: str, user: str) -> str:
    """One user turn and an open assistant turn, in the Qwen ChatML form the official templates produce."""
    return f"<|im_start|>system\n{system}{IM_END}\n<|im_start|>user\n{user}{IM_END}\n<|im_start|>assistant\n"


def tidy_prompt(text: str) -> str:
    """Official normalisation: strip, capitalise the first character, end with punctuation."""
    text = text.strip()
    if text:
        text = text[0].upper() + text[1:]
        if text[-1] not in ".!?,:;":
            text += "."
    return text


def snap_size(height: int, width: int, factor: int, min_pixels: int, max_pixels: int,
              max_length: int | None = None) -> tuple[int, int]:
    """Closest size with both sides multiples of `factor` and area within [min_pixels, max_pixels]."""
    if height < factor or width < factor:
        raise ValueError(f"image is {width}x{height} px; both sides must be at least {factor} px")
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"image is {width}x{height} px; the aspect ratio must be below 200")
    if max_length is not None and max(height, width) > max_length:
        s = max_length / max(height, width)
        height, width = int(height * s), int(width * s)
    h, w = round(height / factor) * factor, round(width / factor) * factor
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h, w = math.floor(height / beta / factor) * factor, math.floor(width / beta / factor) * factor
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h, w = math.ceil(height * beta / factor) * factor, math.ceil(width * beta / factor) * factor
    if max_length is not None and max(h, w) > max_length:
        s = max_length / max(h, w)
        h, w = math.floor(h * s / factor) * factor, math.floor(w * s / factor) * factor
    return h, w


@dataclass
class VitImageConfig:
    """`image_processor_kwargs` of processor_config.json (a GotOcr2 processor, always one tile per image)."""

    size: int = 448  # tile side
    resample: int = 3  # PIL code: 3 bicubic, 2 bilinear
    image_mean: tuple = IMAGENET_MEAN
    image_std: tuple = IMAGENET_STD
    rescale_factor: float = 1 / 255

    @classmethod
    def from_kwargs(cls, kw: dict) -> VitImageConfig:
        size = kw.get("size", {"height": 448, "width": 448})
        if isinstance(size, dict):
            if size.get("height") != size.get("width"):
                raise ValueError(f"processor config: ViT tiles must be square, got size {size}")
            size = size["height"]
        if kw.get("resample", 3) not in _TORCH_RESAMPLE:
            raise ValueError(f"processor config: image_processor_kwargs.resample {kw['resample']} is not supported")
        for key in ("do_resize", "do_rescale", "do_normalize"):
            if kw.get(key, True) is not True:
                raise ValueError(f"processor config: image_processor_kwargs.{key}=false is not supported")
        return cls(size=int(size), resample=kw.get("resample", 3), image_mean=tuple(kw.get("image_mean", IMAGENET_MEAN)),
                   image_std=tuple(kw.get("image_std", IMAGENET_STD)), rescale_factor=kw.get("rescale_factor", 1 / 255))

    def to_kwargs(self) -> dict:
        return {"crop_to_patches": False, "do_convert_rgb": True, "do_normalize": True, "do_rescale": True,
                "do_resize": True, "image_mean": list(self.image_mean), "image_std": list(self.image_std),
                "max_patches": 1, "min_patches": 1, "resample": self.resample, "rescale_factor": self.rescale_factor,
                "size": {"height": self.size, "width": self.size}}


@dataclass
class GenImageConfig:
    """`image_gen_processor_kwargs` (InternVLUDynamicResGenerationImageProcessor); defaults are the official ones."""

    vae_downsample_factor: int = 8  # pixels per latent pixel ("patch_size" of the official processor)
    gen_down_sample_ratio: float = 0.5  # 1 / merge size: latents are patchified 2x2 by the head
    min_dynamic_patch: int = 4096  # min area in latent pixels (x factor^2 = min_pixels)
    max_dynamic_patch: int = 16384  # max area in latent pixels
    max_length: int | None = None  # optional cap on the longer side, in pixels
    image_mean: tuple = CLIP_MEAN
    image_std: tuple = CLIP_STD
    rescale_factor: float = 1 / 255
    resample: int = 3

    @property
    def merge_size(self) -> int:
        return int(1.0 / self.gen_down_sample_ratio)

    @property
    def stride(self) -> int:
        return self.vae_downsample_factor * self.merge_size

    @classmethod
    def from_kwargs(cls, kw: dict) -> GenImageConfig:
        if kw.get("do_pad", False) or not kw.get("do_resize", True):
            raise ValueError("processor config: only image_gen_processor_kwargs do_resize=true, do_pad=false is supported")
        if kw.get("temporal_patch_size", 1) != 1:
            raise ValueError("processor config: image_gen_processor_kwargs.temporal_patch_size must be 1 "
                             "(other values break the official VAE path too)")
        fields_ = ("vae_downsample_factor", "gen_down_sample_ratio", "min_dynamic_patch", "max_dynamic_patch",
                   "max_length", "rescale_factor", "resample")
        out = cls(**{k: kw[k] for k in fields_ if k in kw})
        out.image_mean = tuple(kw.get("image_mean") or CLIP_MEAN)
        out.image_std = tuple(kw.get("image_std") or CLIP_STD)
        return out

    def to_kwargs(self) -> dict:
        return {"do_pad": False, "do_resize": True, "gen_down_sample_ratio": self.gen_down_sample_ratio,
                "max_dynamic_patch": self.max_dynamic_patch, "min_dynamic_patch": self.min_dynamic_patch,
                "temporal_patch_size": 1, "vae_downsample_factor": self.vae_downsample_factor,
                "image_mean": list(self.image_mean), "image_std": list(self.image_std), "max_length": self.max_length}


@dataclass
class ProcessedInputs:
    """What the pipeline needs for one call. R rows = B prompts x (1 for text, 3 for image modes)."""

    input_ids: torch.Tensor  # [R, L] long, left-padded
    attention_mask: torch.Tensor  # [R, L] long
    num_prompts: int  # B
    pixel_values: torch.Tensor | None  # [N, 3, S, S] bf16: one ViT tile per distinct input image
    image_index: torch.Tensor | None  # [n_blocks] long: the image shown by each <img> block, in reading order
    pixel_values_gen: torch.Tensor | None = None  # [N, 3, H, W] bf16 VAE inputs (image modes), zero-padded
    image_grid_gen: torch.Tensor | None = None  # [N, 3] long: (1, h, w) latent size of each input image
    images_per_prompt: tuple[int, ...] = ()  # how many input images each prompt has


class InternVLUProcessor:
    def __init__(self, tokenizer, vit: VitImageConfig, gen: GenImageConfig, image_seq_length: int = 256,
                 template: str = "qwen2_5-chat-v3", blank_messages: dict | None = None):
        tokenizer.padding_side = "left"
        self.tokenizer = tokenizer
        self.vit = vit
        self.gen = gen
        self.image_seq_length = image_seq_length  # <IMG_CONTEXT> tokens per ViT tile
        if template not in TEMPLATES:
            raise ValueError(f"unknown chat template {template!r}; known: {', '.join(TEMPLATES)}")
        self.template = template
        self.blank_messages = dict(blank_messages or BLANK_MESSAGES)

    # -- loading --------------------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, folder, template: str = "qwen2_5-chat-v3") -> InternVLUProcessor:
        folder = Path(folder)
        cfg = read_json(folder / "processor_config.json")
        if not any((folder / n).is_file() for n in ("tokenizer.json", "vocab.json")):
            raise FileNotFoundError(f"missing file: {folder / 'tokenizer.json'}")
        for key in ("image_processor_kwargs", "image_gen_processor_kwargs", "image_seq_length"):
            if key not in cfg:
                raise ValueError(f"{folder / 'processor_config.json'} lacks the key {key!r}")
        gen_class = cfg.get("image_gen_processor_class", "InternVLUDynamicResGenerationImageProcessor")
        if gen_class != "InternVLUDynamicResGenerationImageProcessor":
            raise ValueError(f"image_gen_processor_class {gen_class!r} is not supported")
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(str(folder))
        except (OSError, ValueError, TypeError, KeyError) as e:  # a broken tokenizer folder
            raise ValueError(f"cannot load the tokenizer in {folder}: {e}") from None
        return cls(tokenizer, VitImageConfig.from_kwargs(cfg["image_processor_kwargs"]),
                   GenImageConfig.from_kwargs(cfg["image_gen_processor_kwargs"]), int(cfg["image_seq_length"]),
                   template, cfg.get("blank_messages"))

    def save_pretrained(self, folder) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save_pretrained(str(folder))
        cfg = {"processor_class": "InternVLUProcessor", "image_seq_length": self.image_seq_length,
               "image_processor_kwargs": self.vit.to_kwargs(),
               "image_gen_processor_class": "InternVLUDynamicResGenerationImageProcessor",
               "image_gen_processor_kwargs": self.gen.to_kwargs(), "blank_messages": self.blank_messages}
        (folder / "processor_config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")

    # -- pixels ---------------------------------------------------------------------------------------

    def vit_pixels(self, image: Image.Image) -> torch.Tensor:
        """[3, S, S] float32; uint8 antialiased resize then (x - 255 mean) / (255 std), like GotOcr2 fast."""
        x = torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1)[None]  # uint8, channels-last
        s = self.vit.size
        if x.shape[-2:] != (s, s):
            x = F.interpolate(x, size=(s, s), mode=_TORCH_RESAMPLE[self.vit.resample], align_corners=False,
                              antialias=True)
        mean = torch.tensor(self.vit.image_mean) * (1.0 / self.vit.rescale_factor)
        std = torch.tensor(self.vit.image_std) * (1.0 / self.vit.rescale_factor)
        return ((x[0].float() - mean[:, None, None]) / std[:, None, None]).contiguous()

    def gen_pixels(self, image: Image.Image) -> torch.Tensor:
        """[3, h, w] float32 VAE input: PIL resize to a stride-aligned size, rescale in float64, normalise."""
        g = self.gen
        image = image.convert("RGB")
        h, w = snap_size(image.height, image.width, g.stride, g.min_dynamic_patch * g.vae_downsample_factor**2,
                         g.max_dynamic_patch * g.vae_downsample_factor**2, g.max_length)
        image = image.resize((w, h), resample=_PIL_RESAMPLE[g.resample])
        x = (np.asarray(image).astype(np.float64) * g.rescale_factor).astype(np.float32)
        x = (x - np.array(g.image_mean, dtype=np.float32)) / np.array(g.image_std, dtype=np.float32)
        return torch.from_numpy(x).permute(2, 0, 1).contiguous()

    # -- text -----------------------------------------------------------------------------------------

    def image_block(self) -> str:
        return IMG_START + IMG_CONTEXT * self.image_seq_length + IMG_END

    def user_turn(self, prompt: str, n_images: int, drop: str = "none") -> str:
        """The user message for one prompt, with `<image>` placeholders for its images."""
        slots = prompt.count(IMAGE_PLACEHOLDER)
        if n_images > slots:
            prompt = f"{IMAGE_PLACEHOLDER}\n" * (n_images - slots) + prompt
        text = tidy_prompt(prompt)
        if drop == "text":
            n = text.count(IMAGE_PLACEHOLDER)
            return (f"{IMAGE_PLACEHOLDER}\n" * n + self.blank_messages["text_blank_message"] if n
                    else self.blank_messages["pure_blank_message"])
        if drop == "all":
            return self.blank_messages["pure_blank_message"]
        return text

    def __call__(self, prompt: str | list[str], image=None, generation_mode: str = "text",
                 height: int | None = None, width: int | None = None, system_prompt: str | None = None
                 ) -> ProcessedInputs:
        """Tokenise the rows of one call. `image`: None, one image, or one entry per prompt (an image, a list
        of images, or None). `height`/`width` are accepted for signature compatibility; sizes are the
        pipeline's business."""
        prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        per_prompt = normalise_images(image, len(prompts))
        any_image = image is not None
        kinds = ("none",) if generation_mode == "text" else DROP_KINDS
        if generation_mode == "text":
            template = self.template
        else:
            # The official processor picks the editing template for every row once any image is given.
            template = self.template + ("-editing" if any_image else "-imgen")
        system = TEMPLATES[template] if system_prompt is None else system_prompt

        first_image = np.cumsum([0] + [len(x) for x in per_prompt])
        texts, image_index = [], []
        for kind in kinds:
            for b, (p, imgs) in enumerate(zip(prompts, per_prompt)):
                user = self.user_turn(p, len(imgs), kind)
                n_blocks = user.count(IMAGE_PLACEHOLDER)
                if n_blocks > len(imgs):
                    raise ValueError(f"prompt {b} has {n_blocks} {IMAGE_PLACEHOLDER} placeholders "
                                     f"but {len(imgs)} image(s)")
                image_index += [first_image[b] + i for i in range(n_blocks)]
                text = render_chat(system, user.replace(IMAGE_PLACEHOLDER, self.image_block()))
                texts.append(text + IMG_START if generation_mode == "image" else text)

        enc = self.tokenizer(texts, padding=True, return_tensors="pt")
        flat = [img for imgs in per_prompt for img in imgs]
        out = ProcessedInputs(enc["input_ids"], enc["attention_mask"], len(prompts), None, None,
                              images_per_prompt=tuple(len(x) for x in per_prompt))
        if flat:
            out.pixel_values = torch.stack([self.vit_pixels(img) for img in flat]).to(torch.bfloat16)
            out.image_index = torch.tensor(image_index, dtype=torch.long)
            if generation_mode != "text":
                gen = [self.gen_pixels(img) for img in flat]
                h, w = max(x.shape[1] for x in gen), max(x.shape[2] for x in gen)
                padded = torch.zeros(len(gen), 3, h, w)
                for i, x in enumerate(gen):
                    padded[i, :, : x.shape[1], : x.shape[2]] = x
                out.pixel_values_gen = padded.to(torch.bfloat16)
                f = self.gen.vae_downsample_factor
                out.image_grid_gen = torch.tensor([[1, x.shape[1] // f, x.shape[2] // f] for x in gen])
        return out


def normalise_images(image, n_prompts: int) -> list[list[Image.Image]]:
    """Images per prompt. Accepts None, one image, or a list with one entry (image, list of images or None)
    per prompt; a flat list of images for a single prompt is read as that prompt's images."""
    if image is None:
        return [[] for _ in range(n_prompts)]
    if not isinstance(image, (list, tuple)):
        image = [image]
    if n_prompts == 1 and len(image) > 1 and all(not isinstance(x, (list, tuple)) and x is not None for x in image):
        image = [list(image)]
    if len(image) != n_prompts:
        raise ValueError(f"got {n_prompts} prompt(s) but {len(image)} image entries; pass one entry per prompt "
                         "(an image, a list of images, or None)")
    return [[] if x is None else list(x) if isinstance(x, (list, tuple)) else [x] for x in image]
