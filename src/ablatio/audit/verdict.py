r"""Does the system clear its controls? Paired tests across folds and seeds, and a verdict.

Given per-(seed, fold) scores of the real system and of each control on the *same* splits,
every control gets a one-sided paired test of "system > control" on the differences
:math:`d_j = s_j - c_j`, :math:`j = 1..J` (J = folds × seeds).

Test: the corrected repeated k-fold t-test (Nadeau & Bengio 2003; Bouckaert & Frank 2004).
Folds share training concepts, so the plain paired t-test is over-confident; the corrected
statistic inflates the variance by the test/train size ratio:

.. math::

    t = \frac{\bar d}{\sqrt{\left(\frac{1}{J} + \frac{n_{test}}{n_{train}}\right)\hat\sigma_d^2}},
    \qquad \text{df} = J - 1 .

p-values are Holm-adjusted over the controls. Effect sizes: the mean difference
:math:`\bar d` and Cohen's :math:`d_z = \bar d / \hat\sigma_d`. The share of the score a control
explains is :math:`(c - r) / (s - r)` with r the chance level (the ``rand`` control).

Verdict:

- ``"not_supported"``: some control is not significantly below the system (adjusted p ≥ α):
  the score is explained by what that control keeps;
- ``"partly_explained"``: all controls are significantly below, but one still reaches at least
  ``max_share`` of the score above chance;
- ``"supported"``: all controls significantly below and each explains less than ``max_share``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ablatio.exceptions import ParameterError

__all__ = ["TEST_NAME", "Verdict", "compare_to_controls", "corrected_paired_t"]

TEST_NAME = "one-sided corrected repeated k-fold t-test (Nadeau & Bengio 2003), Holm-adjusted"


@dataclass(frozen=True)
class Verdict:
    """Outcome of comparing a system with its controls.

    Attributes
    ----------
    status : {"supported", "partly_explained", "not_supported"}
    metric : str
        The metric the decision is based on.
    tests : pandas.DataFrame
        One row per control: ``control, system, score, diff, cohen_dz, t, df, p, p_holm,
        significant, share``.
    explained_by : tuple of str
        What the score is explained by (empty when supported).
    text : str
        One paragraph stating the decision, the test and the effect sizes.
    """

    status: str
    metric: str
    tests: pd.DataFrame
    explained_by: tuple[str, ...]
    text: str

    @property
    def supported(self) -> bool:
        """True when the status is ``"supported"``."""
        return self.status == "supported"

    def __str__(self) -> str:
        return self.text


def corrected_paired_t(diffs: np.ndarray, test_train_ratio: float) -> tuple[float, float]:
    """Return (t, one-sided p) of the corrected resampled t-test for ``mean(diffs) > 0``."""
    n = diffs.size
    mean = float(diffs.mean())
    var = float(diffs.var(ddof=1)) if n > 1 else 0.0
    if var == 0.0:
        t = np.inf if mean > 0 else (-np.inf if mean < 0 else 0.0)
        return float(t), 0.0 if mean > 0 else 1.0
    t = mean / np.sqrt((1.0 / n + test_train_ratio) * var)
    return float(t), float(stats.t.sf(t, df=n - 1))


def _holm(pvalues: np.ndarray) -> np.ndarray:
    order = np.argsort(pvalues)
    adjusted = np.empty_like(pvalues)
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, min(1.0, (pvalues.size - rank) * pvalues[idx]))
        adjusted[idx] = running
    return adjusted


def compare_to_controls(
    scores: pd.DataFrame,
    *,
    metric: str,
    controls: Sequence[str],
    reasons: Mapping[str, str],
    test_train_ratio: float,
    system: str = "sys",
    chance: str | None = "rand",
    alpha: float = 0.05,
    max_share: float = 0.5,
) -> Verdict:
    """Test the system against each control and decide.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long table with columns ``seed, fold, control, metric, score``.
    metric : str
        Metric to decide on.
    controls : sequence of str
        Controls the system must clear.
    reasons : mapping
        Control name -> what the score is explained by if the control is not cleared.
    test_train_ratio : float
        n_test / n_train of one fold (1 / (k - 1) for k-fold CV).
    system : str, default="sys"
    chance : str or None, default="rand"
        Control giving the chance level for shares (None: chance = 0).
    alpha : float, default=0.05
        Family-wise significance level (Holm).
    max_share : float, default=0.5
        A control reaching this share of the system's score above chance explains "a large
        part" of it (then the verdict is at best ``"partly_explained"``).
    """
    if not 0 < alpha < 1:
        msg = f"alpha == {alpha}, must be in (0, 1)"
        raise ParameterError(msg)
    table = scores[scores["metric"] == metric].pivot_table(
        index=["seed", "fold"], columns="control", values="score"
    )
    missing = [c for c in (system, *controls) if c not in table.columns]
    if missing:
        msg = f"scores lack controls {missing} for metric {metric!r}: run them or drop them"
        raise ParameterError(msg)
    base = float(table[chance].mean()) if chance in table.columns else 0.0
    sys_mean = float(table[system].mean())
    rows = []
    for control in controls:
        pair = table[[system, control]].dropna()
        diffs = (pair[system] - pair[control]).to_numpy()
        t, p = corrected_paired_t(diffs, test_train_ratio)
        sd = diffs.std(ddof=1) if diffs.size > 1 else 0.0
        score = float(pair[control].mean())
        headroom = sys_mean - base
        share = 0.0 if control == chance else (score - base) / headroom if headroom > 0 else 1.0
        dz = diffs.mean() / sd if sd > 0 else (np.inf if diffs.mean() > 0 else 0.0)
        rows.append((control, sys_mean, score, diffs.mean(), dz, t, diffs.size - 1, p, share))
    tests = pd.DataFrame(
        rows,
        columns=["control", "system", "score", "diff", "cohen_dz", "t", "df", "p", "share"],
    )
    tests.insert(8, "p_holm", _holm(tests["p"].to_numpy()))
    tests.insert(9, "significant", tests["p_holm"] < alpha)
    failed = tests[~tests["significant"]]
    large = tests[tests["significant"] & (tests["share"] >= max_share)]
    if len(failed):
        status, culprits = "not_supported", failed
    elif len(large):
        status, culprits = "partly_explained", large
    else:
        status, culprits = "supported", tests.iloc[0:0]
    explained_by = tuple(reasons.get(c, c) for c in culprits["control"])
    parts = [
        f"{row.control}: {row.score:.3f} (diff {row.diff:+.3f}, d_z {row.cohen_dz:.2f}, "
        f"t({row.df}) = {row.t:.2f}, p_holm = {row.p_holm:.3g}, share {row.share:.0%})"
        for row in tests.itertuples()
    ]
    head = {
        "supported": "SUPPORTED: the system clears every control",
        "partly_explained": "PARTLY EXPLAINED by " + "; ".join(explained_by),
        "not_supported": "NOT SUPPORTED: the score is explained by " + "; ".join(explained_by),
    }[status]
    text = (
        f"{head}. {metric} of {system} = {sys_mean:.3f}; {TEST_NAME}, alpha = {alpha}, "
        f"'large share' >= {max_share:.0%} of the score above chance ({base:.3f}). "
        + "; ".join(parts)
        + "."
    )
    return Verdict(status, metric, tests, explained_by, text)
