"""What is ablated: ready-made games for prompts, training data and attention heads."""

from ablatio.targets.base import Target
from ablatio.targets.lm import CausalLMTarget, GenerationTarget, LanguageModel
from ablatio.targets.segment import Masker, Segments, segment
from ablatio.targets.text import ClassifierTarget, EmbeddingTarget, ScoreTarget, TextTarget

__all__ = [
    "CausalLMTarget",
    "ClassifierTarget",
    "EmbeddingTarget",
    "GenerationTarget",
    "LanguageModel",
    "Masker",
    "ScoreTarget",
    "Segments",
    "Target",
    "TextTarget",
    "segment",
]
