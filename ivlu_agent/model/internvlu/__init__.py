"""Our own implementation of InternVL-U (arXiv:2603.09877) on current transformers and diffusers.

vit.py (InternViT) -> vlm.py (projector + Qwen3 LLM, checkpoint I/O) -> processor.py (chat template, pixels)
-> decoder.py / transformer.py (the MMDiT generation head) -> pipeline.py (the call) ; full_size.py builds the
published architecture (or any preset) with random weights.
"""

from .pipeline import InternVLUPipeline, InternVLUPipelineOutput
from .processor import InternVLUProcessor
from .vlm import InternVLUChatConfig, InternVLUChatModel

__all__ = ["InternVLUChatConfig", "InternVLUChatModel", "InternVLUPipeline", "InternVLUPipelineOutput",
           "InternVLUProcessor"]
