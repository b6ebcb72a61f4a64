"""``progress=True`` in Python: a tqdm bar fed by the Game's progress callbacks.

``tqdm.auto`` draws a widget in Jupyter and a text bar in a terminal. The bar counts distinct
ablations finished (evaluated or read from the cache) since it was created, with the rate
and, when a total (the budget) is known, the ETA. tqdm is imported when a bar is created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ablatio._optional import require

if TYPE_CHECKING:
    from ablatio.games.game import Progress

__all__ = ["ProgressBar", "resolve_progress"]


class ProgressBar:
    """A progress callback drawing ``done / total ablations`` with tqdm.

    Parameters
    ----------
    total : int, optional
        Ablations expected (the budget); unknown totals show a count and a rate.
    description : str, default="ablations"
        Label in front of the bar.
    offset : int, default=0
        The game's ``n_queries`` when the bar starts (ablations before it are not counted).
    """

    def __init__(
        self, total: int | None = None, description: str = "ablations", offset: int = 0
    ) -> None:
        tqdm = require("tqdm.auto", extra="progress")
        self.total = total
        self._bar: Any = tqdm.tqdm(total=total, desc=description, unit=" ablations", leave=True)
        self._offset = offset

    @property
    def n(self) -> int:
        """Ablations counted so far."""
        return int(self._bar.n)

    def __call__(self, progress: Progress) -> None:
        pending = progress.total - progress.done
        done = max(progress.n_queries - self._offset - pending, 0)
        if self._bar.total is not None and done > self._bar.total:
            self._bar.total = done
        if done > self._bar.n:
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        """Finish the bar (idempotent)."""
        self._bar.close()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resolve_progress(
    progress: Any, total: int | None = None, description: str = "ablations", offset: int = 0
) -> Any:
    """``True`` → a new :class:`ProgressBar`; ``False``/``None`` → None; a callable as is."""
    if progress is True:
        return ProgressBar(total, description, offset)
    if progress is False or progress is None:
        return None
    return progress
