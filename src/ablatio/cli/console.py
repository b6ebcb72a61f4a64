"""Rendering for the CLI: the rich progress bar, error → exit-code mapping, JSON output.

Exit codes: 0 ok, 1 a needed extra is missing, 2 usage error (bad option, budget too
small, wrong cache file, unwritable output), 3 evaluation failure (the model failed or
returned bad values), 130 interrupted. Every finished ablation is already committed to the
cache when the run stops, whatever the reason.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress
from rich.text import Text

from ablatio.exceptions import AblatioError, AblationError, EvaluationError
from ablatio.games.game import Progress

__all__ = [
    "EXIT_EVALUATION",
    "EXIT_USAGE",
    "AblationBar",
    "emit_json",
    "guard",
    "say_error",
    "stderr",
]

EXIT_MISSING_EXTRA = 1
EXIT_USAGE = 2
EXIT_EVALUATION = 3
EXIT_INTERRUPTED = 130

#: Console for progress and messages: stderr, so ``--json`` output on stdout stays clean.
stderr = Console(stderr=True)


class _RateColumn(ProgressColumn):
    """Ablations evaluated per second in this phase (cache and memory hits excluded)."""

    def render(self, task: Task) -> Text:
        rate = _rate(task)
        return Text("  -- /s" if rate is None else f"{rate:7.1f}/s", style="cyan")


class _EtaColumn(ProgressColumn):
    """Time left at the phase's evaluation rate (``-:--:--`` before the first batch)."""

    def render(self, task: Task) -> Text:
        rate = _rate(task)
        if task.finished or task.total is None:
            return Text("")
        if rate is None:
            return Text("ETA -:--:--", style="cyan")
        left = max(task.total - task.completed, 0) / rate
        return Text(f"ETA {_clock(left)}", style="cyan")


def _rate(task: Task) -> float | None:
    evaluated = task.fields.get("evaluated", 0)
    elapsed = task.finished_time if task.finished else task.elapsed
    if not evaluated or not elapsed:
        return None
    return float(evaluated) / elapsed


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class AblationBar:
    """A rich progress bar fed by :class:`~ablatio.games.game.Progress` callbacks.

    Each phase (fit, held-out test) is one bar; its count is the distinct ablations done
    (evaluated or read from the cache) out of the phase's budget. The rate and the ETA use
    only the ablations the model evaluated in this phase, over the phase's elapsed time
    (reading the cache is not mistaken for a fast model).
    """

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("ablations"),
            _RateColumn(),
            TimeElapsedColumn(),
            _EtaColumn(),
            console=stderr,
            disable=not enabled,
            transient=False,
        )
        self._task: TaskID | None = None
        self._offset = 0
        self._cached = 0
        self._total: int | None = None

    def phase(self, description: str, total: int | None, n_queries: int, n_cached: int = 0) -> None:
        """Start a bar for ``total`` ablations; ``n_queries``/``n_cached``: the game's now."""
        self.finish()
        self._offset = n_queries
        self._cached = n_cached
        self._total = total
        self._task = self._bar.add_task(description, total=total, evaluated=0)

    def __call__(self, progress: Progress) -> None:
        if self._task is None:
            return
        pending = progress.total - progress.done
        done = max(progress.n_queries - self._offset - pending, 0)
        evaluated = max(done - (progress.n_cached - self._cached), 0)
        if self._total is not None:
            done = min(done, self._total)
        self._bar.update(self._task, completed=done, evaluated=evaluated)

    def finish(self, n_queries: int | None = None, *, done: int | None = None) -> None:
        """Close the current bar, complete at the distinct ablations the phase used.

        ``n_queries`` is the game's count (the phase's new ablations are the difference);
        ``done`` is the phase's own count of distinct ablations asked for; with neither, the
        phase ends at its planned total. A method that stops early (or needs more than
        planned) ends complete at what it used: the total becomes that count.
        """
        if self._task is not None:
            if done is None:
                if n_queries is not None:
                    done = n_queries - self._offset
                else:
                    done = self._total if self._total is not None else 0
            total = done
            self._bar.update(self._task, completed=done, total=total)
        self._task = None

    def __enter__(self) -> AblationBar:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()


@contextmanager
def guard(cache: Any = None, *, json_output: bool = False) -> Iterator[None]:
    """Turn ablatio errors into a message and the documented exit code.

    The message goes to stderr; with ``json_output`` a ``{"status": "error", ...}`` document
    is also printed on stdout, so scripts always get one JSON line.
    """
    kept = f" Every finished ablation is kept in {cache}." if cache else ""
    try:
        yield
    except (AblationError, EvaluationError) as exc:
        _fail(exc, EXIT_EVALUATION, "evaluation failed: ", f"{exc}{kept}", json_output)
    except AblatioError as exc:
        _fail(exc, EXIT_USAGE, "error: ", str(exc), json_output)
    except ImportError as exc:
        _fail(exc, EXIT_MISSING_EXTRA, "missing dependency: ", str(exc), json_output)
    except OSError as exc:  # e.g. --out not writable; the model's own errors arrive wrapped
        _fail(exc, EXIT_USAGE, "error: ", str(exc), json_output)
    except KeyboardInterrupt as exc:
        message = f"{kept} Re-run the same command to resume." if cache else ""
        _fail(exc, EXIT_INTERRUPTED, "interrupted.", message, json_output)


def _fail(exc: BaseException, code: int, label: str, message: str, json_output: bool) -> None:
    _say(label, "bold red" if code != EXIT_INTERRUPTED else "yellow", message)
    if json_output:
        emit_json(
            {
                "status": "error",
                "exit_code": code,
                "error": type(exc).__name__,
                "message": (label + message).strip(),
            }
        )
    raise typer.Exit(code) from exc


def say_error(message: str) -> None:
    """One line ``error: <message>`` on stderr (the message is never parsed as markup)."""
    _say("error: ", "bold red", message)


def _say(label: str, style: str, message: str) -> None:
    """Print ``label`` styled and ``message`` verbatim (never parsed as rich markup)."""
    stderr.print(Text.assemble((label, style), message), soft_wrap=True)


def _strict(value: Any) -> Any:
    """Non-finite floats as the strings ``"inf"``, ``"-inf"``, ``"nan"`` (strict JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_strict(v) for v in value]
    return value


def emit_json(payload: dict[str, Any]) -> None:
    """Write one strict JSON document to stdout (``--json``)."""
    sys.stdout.write(json.dumps(_strict(payload), default=str, allow_nan=False) + "\n")
    sys.stdout.flush()
