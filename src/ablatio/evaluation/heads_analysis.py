"""Two analyses of recovered attention-head interactions: pruning, and structure by depth.

* :func:`prune_by_interactions` — greedily remove the heads whose joint contribution to the
  recovered value function is negative; :func:`prune_by_single_ablation` and
  :func:`prune_at_random` are the baselines, and :func:`compare_pruning` scores all three on a
  held-out value function (e.g. held-out questions).
* :func:`variance_by_depth` — per layer, the share of the explained variance carried by
  first-order terms, by interactions within the layer and by interactions across layers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from ablatio._validation import RandomState, check_random_state
from ablatio.exceptions import ParameterError
from ablatio.interactions import Interactions

__all__ = [
    "compare_pruning",
    "prune_at_random",
    "prune_by_interactions",
    "prune_by_single_ablation",
    "variance_by_depth",
]

ValueFunction = Callable[[np.ndarray], np.ndarray]


def _mask_without(n: int, removed: np.ndarray) -> np.ndarray:
    mask = np.ones((1, n), dtype=bool)
    mask[0, removed] = False
    return mask


def prune_by_interactions(
    interactions: Interactions, max_remove: int | None = None, *, n_remove: int | None = None
) -> np.ndarray:
    """Heads whose joint removal raises the recovered value, chosen greedily.

    Starting from all heads kept, repeatedly remove the head whose removal raises the
    predicted value :math:`\\hat f(N \\setminus R)` most, while some removal raises it (and at
    most ``max_remove`` heads). The removed set :math:`R` has negative joint contribution
    :math:`\\hat f(N) - \\hat f(N \\setminus R) < 0`, interactions between heads included.
    With ``n_remove``, exactly that many heads are removed: the greedy step continues with the
    removal that lowers the predicted value least once none raises it.

    Returns
    -------
    ndarray of int
        Removed heads, in the order chosen.
    """
    n = interactions.n_players
    if n_remove is not None and not 0 <= n_remove <= n:
        msg = f"n_remove == {n_remove}, must be between 0 and the {n} players"
        raise ParameterError(msg)
    limit = n if max_remove is None else max_remove
    if n_remove is not None:
        limit = n_remove
    kept = np.ones(n, dtype=bool)
    removed: list[int] = []
    current = float(interactions.predict(kept[None])[0])
    while len(removed) < limit and kept.any():
        candidates = np.flatnonzero(kept)
        trial = np.repeat(kept[None], len(candidates), axis=0)
        trial[np.arange(len(candidates)), candidates] = False
        values = interactions.predict(trial)
        best = int(np.argmax(values))
        if values[best] <= current and n_remove is None:
            break
        current = float(values[best])
        kept[candidates[best]] = False
        removed.append(int(candidates[best]))
    return np.array(removed, dtype=np.int64)


def prune_by_single_ablation(value: ValueFunction, n: int, n_remove: int) -> np.ndarray:
    """The ``n_remove`` heads whose single ablation raises (or least lowers) ``value``.

    Costs ``n + 1`` evaluations: the full mask and each one-head-ablated mask.
    """
    masks = np.vstack([np.ones((1, n), dtype=bool), ~np.eye(n, dtype=bool)])
    values = value(masks)
    gains = values[1:] - values[0]
    return np.argsort(-gains, kind="stable")[:n_remove].astype(np.int64)


def prune_at_random(
    n: int, n_remove: int, n_draws: int, random_state: RandomState = None
) -> np.ndarray:
    """``(n_draws, n_remove)`` heads drawn uniformly without replacement, one row per draw."""
    rng = check_random_state(random_state)
    return np.array([rng.choice(n, size=n_remove, replace=False) for _ in range(n_draws)])


def compare_pruning(
    interactions: Interactions,
    fit_value: ValueFunction,
    held_out_value: ValueFunction,
    *,
    max_remove: int | None = None,
    n_random: int = 5,
    random_state: RandomState = None,
) -> dict[str, Any]:
    """Held-out score before and after pruning by interactions, single ablations and chance.

    Parameters
    ----------
    interactions : Interactions
        Recovered from ``fit_value`` (any basis with ``predict``).
    fit_value, held_out_value : callable
        Masks ``(k, n)`` -> values ``(k,)``: the value the interactions were fitted on (used by
        the single-ablation baseline) and an independent one (held-out questions).
    max_remove : int, optional
        Cap on the number of heads the interaction pruning removes.
    n_random : int, default=5
        Random prunings of the same size (their mean and standard deviation are reported).
    random_state : int, Generator or None
        Seeds the random prunings.

    Returns
    -------
    dict
        ``n_removed``, ``before``, and for ``"interactions"``, ``"single"``, ``"random"`` the
        removed heads and the held-out score after (``random``: mean and sd over draws).
    """
    n = interactions.n_players
    if n_random < 1:
        msg = f"n_random == {n_random}, must be >= 1"
        raise ParameterError(msg)
    by_interactions = prune_by_interactions(interactions, max_remove)
    k = len(by_interactions)
    single = prune_by_single_ablation(fit_value, n, k)
    random = prune_at_random(n, k, n_random, random_state)
    masks = np.vstack(
        [np.ones((1, n), dtype=bool), _mask_without(n, by_interactions), _mask_without(n, single)]
        + [_mask_without(n, draw) for draw in random]
    )
    values = held_out_value(masks)
    return {
        "n_removed": k,
        "before": float(values[0]),
        "interactions": {"removed": by_interactions.tolist(), "after": float(values[1])},
        "single": {"removed": single.tolist(), "after": float(values[2])},
        "random": {"after_mean": float(values[3:].mean()), "after_sd": float(values[3:].std())},
    }


def _biased_fourier(interactions: Interactions, p: float) -> dict[tuple[int, ...], float]:
    """Coefficients of ``f`` in the orthonormal basis of Bernoulli(p) masks (∅ excluded).

    With :math:`\\sigma = \\sqrt{p(1-p)}` and :math:`\\phi_i = (m_i - p)/\\sigma`, a Möbius
    term :math:`a_S \\prod_{i \\in S} m_i = a_S \\prod_{i \\in S} (p + \\sigma \\phi_i)` gives
    :math:`c_T = \\sigma^{|T|} \\sum_{S \\supseteq T} a_S\\, p^{|S| - |T|}`.
    """
    sigma = np.sqrt(p * (1 - p))
    coefficients: dict[tuple[int, ...], float] = {}
    moebius = interactions.to_moebius()
    for term, coef in zip(moebius.terms, moebius.coefficients, strict=True):
        for size in range(1, len(term) + 1):
            scale = float(coef) * sigma**size * p ** (len(term) - size)
            for sub in itertools.combinations(term, size):
                coefficients[sub] = coefficients.get(sub, 0.0) + scale
    return coefficients


def variance_by_depth(
    interactions: Interactions, player_layers: np.ndarray, *, keep_probability: float = 0.5
) -> dict[str, Any]:
    """Per layer: share of the explained variance from first-order, within- and across-layer terms.

    Parameters
    ----------
    interactions : Interactions
        Möbius or Fourier interactions over the heads.
    player_layers : ndarray of int of shape (n_players,)
        Layer of every head.
    keep_probability : float, default=0.5
        The masks' distribution: each head kept independently with this probability (the
        distribution the interactions were fitted on; 1/2 = uniform masks).

    Returns
    -------
    dict
        ``layers`` (sorted layer ids) and arrays ``first_order``, ``within``, ``across`` of shape
        ``(n_layers,)``, fractions of the total explained variance (they sum to 1 overall), and
        ``total_variance``, the variance of the surrogate over the masks.

    Notes
    -----
    In the orthonormal basis :math:`\\phi_T = \\prod_{i \\in T} (m_i - p)/\\sqrt{p(1-p)}` of
    Bernoulli(p) masks (at :math:`p = 1/2` the parities :math:`\\pm(-1)^{|m \\cap T|}`),
    :math:`f = \\sum_T c_T \\phi_T` has variance :math:`\\sum_{T \\neq \\emptyset} c_T^2`. A
    term of order 1 counts as first-order for its head's layer; a higher-order term whose
    heads share one layer counts as within that layer; any other term is across layers and is
    split among the layers of its heads in proportion to how many of its heads each holds.
    """
    layers_of = np.asarray(player_layers)
    if layers_of.shape != (interactions.n_players,):
        msg = (
            f"player_layers has shape {layers_of.shape}; need one layer per player "
            f"({interactions.n_players},)"
        )
        raise ParameterError(msg)
    if not 0 < keep_probability < 1:
        msg = f"keep_probability == {keep_probability}; must be strictly between 0 and 1"
        raise ParameterError(msg)
    layers = np.unique(layers_of)
    parts = {name: np.zeros(len(layers)) for name in ("first_order", "within", "across")}
    for term, coef in _biased_fourier(interactions, keep_probability).items():
        where = np.searchsorted(layers, layers_of[list(term)])
        energy = coef**2
        if len(term) == 1:
            parts["first_order"][where[0]] += energy
        elif np.all(where == where[0]):
            parts["within"][where[0]] += energy
        else:
            np.add.at(parts["across"], where, energy / len(term))
    total = sum(p.sum() for p in parts.values())
    scale = 1.0 / total if total > 0 else 0.0
    return {
        "layers": layers.tolist(),
        **{k: v * scale for k, v in parts.items()},
        "total_variance": float(total),
    }
