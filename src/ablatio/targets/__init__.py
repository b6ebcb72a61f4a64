"""What is ablated: ready-made games for prompts, training data and attention heads."""

from ablatio.targets.base import Target
from ablatio.targets.data import DataTarget
from ablatio.targets.heads import HeadTarget
from ablatio.targets.lm import CausalLMTarget, GenerationTarget, LanguageModel
from ablatio.targets.segment import Masker, Segments, segment
from ablatio.targets.tabular import TabularTarget
from ablatio.targets.text import ClassifierTarget, EmbeddingTarget, ScoreTarget, TextTarget

__all__ = [
    "CausalLMTarget",
    "DataTarget",
    "HeadTarget",
    "ClassifierTarget",
    "EmbeddingTarget",
    "GenerationTarget",
    "LanguageModel",
    "Masker",
    "ScoreTarget",
    "Segments",
    "TabularTarget",
    "Target",
    "TextTarget",
    "segment",
]
