"""Target builders for ``ablatio explain|compare <kind>``: the seam where targets plug in.

A builder is a plain function whose keyword parameters (str, int, float, bool, Path, with
defaults) become the command's options — typer reads them from the signature, so
``fn(prompt: str, model: str = "smollm2")`` gives ``--prompt`` and ``--model`` — and that
returns a :class:`TargetSpec` (or a bare target). :data:`TARGETS` maps each kind to a builder
or to the ``"module:function"`` that provides one; a kind whose module is absent gets a
command that explains what is missing and exits with status 2.

To plug in a new target, add ``TARGETS["text"] = "ablatio.targets.text:cli_target"`` (or
call :func:`register_target`) before the app is built.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
import typer

from ablatio.exceptions import ParameterError
from ablatio.games.synthetic import (
    SyntheticGame,
    hierarchical_game,
    sparse_and_game,
    sparse_parity_game,
)

__all__ = [
    "TARGETS",
    "SlowTarget",
    "TargetSpec",
    "TargetUnavailableError",
    "register_target",
    "resolve_target",
    "segment_texts",
    "synthetic_game",
]


@dataclass(frozen=True)
class TargetSpec:
    """What a builder returns.

    Attributes
    ----------
    target : callable
        The value function with ``n_players`` (a :class:`~ablatio.targets.base.Target`).
    name : str
        Name used in the cache fingerprint (keep it stable across runs of the same target).
    settings : dict
        The builder's options, recorded in ``run.json`` and the report.
    segments : sequence of str, optional
        One text per part, highlighted in the report (text targets).
    groups : sequence of sequence of int, optional
        Coarse segments (the parts of each): the run is explained coarse to fine
        (:class:`~ablatio.methods.hierarchical.Hierarchical`) and the report nests them.
    """

    target: Any
    name: str
    settings: dict[str, Any] = field(default_factory=dict)
    segments: Sequence[str] | None = None
    groups: Sequence[Sequence[int]] | None = None


class TargetUnavailableError(ParameterError):
    """The target kind's module or builder is not part of this installation."""


#: Longest ``--delay`` per batch (a day); ``time.sleep`` overflows on huge values.
MAX_DELAY_S = 86_400.0


class SlowTarget:
    """Wraps a target and sleeps ``delay`` seconds per batch (demos and kill/resume tests).

    The fingerprint is the wrapped target's: values are identical, so caches are shared.
    """

    def __init__(self, target: Any, delay: float) -> None:
        self.target = target
        self.delay = delay
        self.n_players = target.n_players
        self.player_names = getattr(target, "player_names", None)

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        time.sleep(self.delay)
        return self.target(masks)

    def fingerprint(self) -> str:
        return self.target.fingerprint()


_GAMES: dict[str, Callable[..., SyntheticGame]] = {
    "and": sparse_and_game,
    "parity": sparse_parity_game,
    "hierarchical": hierarchical_game,
}


def synthetic_game(
    kind: Annotated[str, typer.Option(help="and | parity | hierarchical")] = "and",
    n: Annotated[int, typer.Option(help="Number of players (parts).")] = 10,
    terms: Annotated[int, typer.Option(help="Number of planted terms.")] = 8,
    order: Annotated[int, typer.Option(help="Largest order of a planted term.")] = 3,
    noise: Annotated[float, typer.Option(help="Sd of frozen Gaussian noise.")] = 0.0,
    game_seed: Annotated[int, typer.Option(min=0, help="Seed drawing the planted terms.")] = 0,
    delay: Annotated[
        float, typer.Option(help="Seconds of sleep per batch, to mimic a slow model.")
    ] = 0.0,
) -> TargetSpec:
    """A synthetic game with known planted interactions (an oracle for checking methods)."""
    if kind not in _GAMES:
        msg = f"--kind == {kind!r}; choose one of {sorted(_GAMES)}"
        raise ParameterError(msg)
    if not math.isfinite(delay) or not 0 <= delay <= MAX_DELAY_S:
        msg = f"--delay == {delay}, must be a number of seconds in [0, {MAX_DELAY_S}]"
        raise ParameterError(msg)
    game = _GAMES[kind](n, terms, order, noise_sd=noise, random_state=game_seed)
    settings = {
        "kind": kind,
        "n": n,
        "terms": terms,
        "order": order,
        "noise": noise,
        "game_seed": game_seed,
    }
    return TargetSpec(
        SlowTarget(game, delay) if delay > 0 else game, name=f"synthetic-{kind}", settings=settings
    )


#: kind → builder, or ``"module:function"`` imported when the app is built.
TARGETS: dict[str, Callable[..., Any] | str] = {
    "game": synthetic_game,
    "text": "ablatio.cli.text:text_target",
    "data": "ablatio.cli.models:data_target",
    "heads": "ablatio.cli.models:heads_target",
}


def register_target(kind: str, builder: Callable[..., Any] | str) -> None:
    """Register (or replace) the builder of ``ablatio explain|compare <kind>``."""
    TARGETS[kind] = builder


def resolve_target(kind: str) -> Callable[..., Any]:
    """The builder of ``kind``, importing it if registered as ``"module:function"``."""
    if kind not in TARGETS:
        msg = f"target kind {kind!r} is unknown; choose one of {sorted(TARGETS)}"
        raise TargetUnavailableError(msg)
    builder = TARGETS[kind]
    if callable(builder):
        return builder
    module_name, _, attr = builder.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        msg = (
            f"`ablatio explain {kind}` needs the module {module_name}, which this installation "
            f"does not provide ({exc}). Install the ablatio version or extra that ships it."
        )
        raise TargetUnavailableError(msg) from exc
    found = getattr(module, attr, None)
    if not callable(found):
        msg = (
            f"`ablatio explain {kind}`: {module_name} has no CLI builder {attr!r}; register "
            "one with ablatio.cli.targets.register_target"
        )
        raise TargetUnavailableError(msg)
    return found


def as_spec(kind: str, built: Any, settings: dict[str, Any]) -> TargetSpec:
    """Accept a builder's TargetSpec, or wrap a bare target with the options it was given."""
    if isinstance(built, TargetSpec):
        return built
    if not callable(built) or getattr(built, "n_players", None) is None:
        msg = f"the {kind} builder returned {type(built).__name__}, not a target or TargetSpec"
        raise ParameterError(msg)
    return TargetSpec(built, name=kind, settings=settings, segments=segment_texts(built))


def segment_texts(target: Any) -> list[str] | None:
    """One display text per part from ``target.segments``, or None if it has none.

    ``segments`` may be a sequence of strings, or an object with the full ``text`` and the
    ``(start, end)`` character ``spans`` of the parts; then each part also carries the text up
    to the next part (spaces, punctuation), so that the report shows the whole text.
    """
    segments = getattr(target, "segments", None)
    if segments is None:
        return None
    text, spans = getattr(segments, "text", None), getattr(segments, "spans", None)
    if isinstance(text, str) and spans is not None:
        starts = [0, *(int(a) for a, _ in list(spans)[1:]), len(text)]
        return [text[a:b] for a, b in zip(starts[:-1], starts[1:], strict=True)]
    return [str(part) for part in segments]
