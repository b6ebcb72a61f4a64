"""What is ablated: ready-made games for prompts, training data and attention heads."""

from ablatio.targets.base import Target

__all__ = ["Target"]
