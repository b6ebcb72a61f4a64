"""The full norm audit: both mappers, every control, several seeds, and a verdict.

On word vectors whose geometry really carries the norms (here planted), decoding beats the
random control:

>>> import numpy as np, pandas as pd
>>> from ablatio.audit import norm_audit
>>> rng = np.random.default_rng(0)
>>> words = [f"w{i}" for i in range(120)]
>>> vectors = pd.DataFrame(rng.normal(size=(120, 8)), index=words)
>>> planted = (vectors.to_numpy() @ rng.normal(size=(8, 20)) > 1.5).astype(float)
>>> norms = pd.DataFrame(planted, index=words, columns=[f"f{j}" for j in range(20)])
>>> result = norm_audit(vectors, norms, mappers=["plsr"], folds=3, n_seeds=1)
>>> result.metric
'f1@10'
>>> scores = result.wide()[("plsr", "f1@10")]
>>> bool(scores["sys"] > scores["rand"])
True

On real data: ``norm_audit(load_embeddings("glove-6b-50d"), load_norms(None, "lancaster"))``
(see ``examples/audit_norms.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ablatio._optional import require
from ablatio._validation import check_random_state
from ablatio.audit._format import markdown_table
from ablatio.audit.controls import DEFAULT_CONTROLS
from ablatio.audit.mappers import MAPPERS, MapperSettings
from ablatio.audit.norm_align import MIN_CONCEPTS, MIN_COVERAGE
from ablatio.audit.norms import UPPER_COMPONENTS, norm_decoding_scores, summarise
from ablatio.audit.verdict import (
    CEILING_RATIO,
    MAX_SHARE,
    SATURATED,
    Verdict,
    compare_to_controls,
)
from ablatio.verdicts import VERDICTS

__all__ = ["REASONS", "NormAudit", "norm_audit"]

#: What a score is explained by when the system does not clear a control.
REASONS = {
    "shuffle": "feature frequencies and sparsity (Shuffle keeps each feature's frequency, "
    "destroys co-occurrence and the concept link)",
    "shuffle_rows": "the average feature profile (the concept-label shuffle keeps whole "
    "vectors, breaks only the concept link)",
    "rand": "chance (random targets)",
    "taxonomy": "frequencies and co-occurrence outside the category structure (the "
    "across-category permutation destroys taxonomy)",
    "taxonomy_kept": "taxonomy (category membership; the within-category permutation keeps it)",
}

#: Controls the system must beat (upper bounds are ceilings, not controls to beat).
TESTED = ("shuffle", "shuffle_rows", "rand", "taxonomy", "taxonomy_kept")

#: NA@10 of a control above this multiple of chance (k / n) is attributed to geometry.
GEOMETRY_FACTOR = 2.0


@dataclass(frozen=True)
class NormAudit:
    """Result of :func:`norm_audit`.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``mapper, control, metric, mean, std``.
    scores : pandas.DataFrame
        Per-(mapper, seed, fold, control, metric) scores.
    verdicts : dict
        Mapper -> :class:`~ablatio.audit.verdict.Verdict`.
    metric : str
        The metric the verdict uses.
    info : dict
        Coverage, dropped concepts, folds, seeds, settings, chance level of NA@10, geometry note.
    """

    table: pd.DataFrame
    scores: pd.DataFrame
    verdicts: dict[str, Verdict]
    metric: str
    info: dict = field(default_factory=dict)

    @property
    def verdict(self) -> Verdict:
        """The least favourable of the mappers' verdicts (an explanation must survive both)."""
        worst = max(self.verdicts.values(), key=lambda v: VERDICTS.index(v.status))
        tests = pd.concat(
            [v.tests.assign(mapper=m) for m, v in self.verdicts.items()], ignore_index=True
        )
        ratios = pd.concat(
            [v.ratios.assign(mapper=m) for m, v in self.verdicts.items()], ignore_index=True
        )
        explained = tuple(dict.fromkeys(e for v in self.verdicts.values() for e in v.explained_by))
        text = " ".join(f"[{m}] {v.text}" for m, v in self.verdicts.items())
        if self.info.get("geometry"):
            text += " " + self.info["geometry"]
        return Verdict(worst.status, self.metric, tests, explained, text, ratios)

    def wide(self) -> pd.DataFrame:
        """Controls × (mapper, metric) table of means."""
        wide = self.table.pivot_table(
            index="control", columns=["mapper", "metric"], values="mean", sort=False
        )
        return wide.reindex(list(dict.fromkeys(self.table["control"])))

    def to_markdown(self) -> str:
        """Tables (mean ± std over folds × seeds), the tests and the verdict, as markdown."""
        cells = self.table.assign(
            value=[
                f"{m:.3f} ± {s:.3f}"
                for m, s in zip(self.table["mean"], self.table["std"], strict=True)
            ]
        )
        lines = [
            f"Norm audit: {self.info.get('n_concepts')} concepts "
            f"(coverage {self.info.get('coverage', float('nan')):.1%}), "
            f"{self.info.get('folds')}-fold CV × {self.info.get('n_seeds')} seeds, "
            f"upper = {self.info.get('upper')!r}; NA@10 chance = {self.info.get('chance_na'):.3f}.",
            "",
        ]
        for mapper in dict.fromkeys(self.table["mapper"]):
            wide = cells[cells["mapper"] == mapper].pivot(
                index="control", columns="metric", values="value"
            )
            wide = wide.reindex(list(dict.fromkeys(self.table["control"])))
            lines += [f"**{mapper}**", "", markdown_table(wide), ""]
            tests = self.verdicts[mapper].tests.round(4)
            lines += [markdown_table(tests.set_index("control")), ""]
            ratios = self.verdicts[mapper].ratios
            if len(ratios):
                cells_r = ratios.set_index("ratio").round(3)
                lines += [
                    f"Ratios of {self.metric} above chance, 95 % interval:",
                    "",
                    markdown_table(cells_r),
                    "",
                ]
        lines += [f"**Verdict ({self.verdict.status})**: {self.verdict.text}"]
        return "\n".join(lines)

    def plot(self, path: str | Path | None = None) -> object:
        """Bar chart of the verdict metric per control and mapper; saved to ``path`` if given."""
        plt = require("matplotlib.pyplot", extra="plots")
        wide = self.wide().xs(self.metric, axis=1, level="metric")
        fig, ax = plt.subplots(figsize=(7, 3.5))
        wide.plot.bar(ax=ax, rot=0)
        ax.set_ylabel(self.metric)
        ax.set_title(f"Norm decoding vs controls ({self.verdict.status})")
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
            plt.close(fig)
        return fig


def _overall(
    progress: Callable[[int, int], None], number: int, n_mappers: int, done: int, total: int
) -> None:
    """Progress of mapper ``number``'s fits as progress over all mappers' fits."""
    progress(number * total + done, n_mappers * total)


def norm_audit(
    embeddings: pd.DataFrame,
    norms: pd.DataFrame,
    *,
    mappers: Sequence[str] = MAPPERS,
    folds: int = 10,
    n_seeds: int = 3,
    random_state: int | np.random.Generator | None = 0,
    controls: Sequence[str] = DEFAULT_CONTROLS,
    upper: str = "identity",
    metric: str | None = None,
    categories: Mapping[str, str] | pd.Series | None = None,
    settings: MapperSettings | None = None,
    alpha: float = 0.05,
    max_share: float = MAX_SHARE,
    ceiling_ratio: float = CEILING_RATIO,
    saturated: float = SATURATED,
    upper_components: Sequence[int] = UPPER_COMPONENTS,
    min_coverage: float = MIN_COVERAGE,
    min_concepts: int = MIN_CONCEPTS,
    progress: Callable[[int, int], None] | None = None,
) -> NormAudit:
    """Run the decoding pipeline with every mapper and control, and decide.

    Parameters
    ----------
    embeddings, norms, folds, controls, upper, categories, settings, min_coverage, min_concepts
        As in :func:`~ablatio.audit.norms.norm_decoding`.
    mappers : sequence of {"plsr", "ffnn"}, default=both
    n_seeds : int, default=3
    metric : str, optional
        Metric of the verdict; default ``f1@10`` for production norms (McRae, Buchanan) and
        ``spearman`` for graded ones (Binder, Lancaster), read from ``norms.attrs["norm_type"]``
        (graded when the norms are denser than 50 %).
    alpha, max_share, ceiling_ratio, saturated : float
        See :func:`~ablatio.audit.verdict.compare_to_controls` (thresholds calibrated on the
        paper's table).
    upper_components : sequence of int, default=(5, 10, 20)
        PLSR upper bounds also reported at these component counts (rows ``upper@k``).
    progress : callable, optional
        ``progress(done, total)`` after each fit, counted over every mapper, seed, control and
        fold (``total = len(mappers) * n_seeds * len(controls) * folds``).
    """
    if metric is None:
        norm_type = norms.attrs.get("norm_type")
        if norm_type is None:
            norm_type = "graded" if float((norms.to_numpy() != 0).mean()) > 0.5 else "production"
        metric = "f1@10" if norm_type == "production" else "spearman"
    frames, verdicts = [], {}
    rng = check_random_state(random_state)
    for number, (mapper, child) in enumerate(zip(mappers, rng.spawn(len(mappers)), strict=True)):
        step = None if progress is None else partial(_overall, progress, number, len(mappers))
        scores = norm_decoding_scores(
            embeddings, norms, mapper=mapper, folds=folds, n_seeds=n_seeds, random_state=child,
            controls=controls, upper=upper, categories=categories, settings=settings,
            min_coverage=min_coverage, min_concepts=min_concepts,
            upper_components=upper_components, progress=step,
        )  # fmt: skip
        info = dict(scores.attrs)
        tested = [c for c in TESTED if c in controls]
        verdicts[mapper] = compare_to_controls(
            scores, metric=metric, controls=tested, reasons=REASONS,
            test_train_ratio=1.0 / (folds - 1), alpha=alpha, max_share=max_share,
            ceiling_ratio=ceiling_ratio, saturated=saturated,
            chance="rand" if "rand" in controls else None,
        )  # fmt: skip
        frames.append(scores.assign(mapper=mapper))
    scores = pd.concat(frames, ignore_index=True)
    table = pd.concat(
        [summarise(s).assign(mapper=m) for m, s in zip(mappers, frames, strict=True)],
        ignore_index=True,
    )[["mapper", "control", "metric", "mean", "std"]]
    info.update(n_seeds=n_seeds, upper=upper, settings=repr(settings or MapperSettings()))
    shuffled_na = table[(table["control"] == "shuffle") & (table["metric"] == "na@10")]["mean"]
    if len(shuffled_na) and shuffled_na.max() > GEOMETRY_FACTOR * info["chance_na"]:
        info["geometry"] = (
            f"Geometry: NA@10 under Shuffle reaches {shuffled_na.max():.3f} "
            f"(> {GEOMETRY_FACTOR:g} × chance {info['chance_na']:.3f}): neighbourhood hits come "
            "from central ('hub') concepts of the norm space, not from decoding."
        )
    return NormAudit(table, scores, verdicts, metric, info)
