"""What is ablated: ready-made games for prompts, training data and attention heads."""

from ablatio.targets.base import Target
from ablatio.targets.data import DataTarget
from ablatio.targets.heads import HeadTarget

__all__ = ["DataTarget", "HeadTarget", "Target"]
