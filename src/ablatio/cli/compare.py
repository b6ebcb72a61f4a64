"""``ablatio compare <kind>``: several methods on one target at the same budgets.

A thin layer over :func:`ablatio.compare` (``ablatio.evaluation.compare``): each (method,
budget) pair is run through it separately so that the progress bar shows one phase per run.
All runs share one :class:`~ablatio.games.game.Game` (one cache; no ablation is evaluated
twice), while each method's budget is counted separately by ``game.track``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ablatio.cli.console import AblationBar, emit_json, guard, stderr
from ablatio.cli.explain import default_n_test, expected_budget
from ablatio.cli.targets import TargetSpec
from ablatio.evaluation.compare import compare
from ablatio.exceptions import ParameterError
from ablatio.games.game import Game
from ablatio.methods import METHODS, method_name
from ablatio.report.run import atomic_write, check_out_dir

__all__ = ["COMPARE_FILE", "compare_methods", "run_compare"]

#: The file ``--out`` receives.
COMPARE_FILE = "compare.json"


def _plain(value: Any) -> Any:
    """Table cells as JSON values: NaN → None, numpy scalars → Python numbers."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _method_names(methods: str) -> list[str]:
    """``--methods``: registered names, in order, without repeats; empty option = every one."""
    if not methods.strip():
        return sorted(METHODS)
    given = [m.strip() for m in methods.split(",") if m.strip()]
    if not given:
        msg = f"--methods == {methods!r} names no method; write e.g. --methods exact,spex"
        raise ParameterError(msg)
    return list(dict.fromkeys(method_name(m) for m in given))


def compare_methods(
    game: Game,
    methods: Sequence[str],
    budgets: Sequence[int],
    *,
    max_order: int | None,
    seed: int,
    n_test: int,
    bar: AblationBar | None = None,
) -> list[dict[str, Any]]:
    """Rows of :func:`ablatio.compare` (one per method and budget) as plain dicts.

    Columns: ``method, budget, max_order, n_queries, n_evaluated, time, r2, removal,
    n_terms, error``; a method that cannot run at a budget has ``error`` set and ``None``
    numbers instead of aborting the comparison.
    """
    rows = []
    for name in methods:
        for budget in budgets:
            if bar is not None:
                total = expected_budget(name, budget, max_order, game.n_players)
                total = None if total is None else total + n_test
                label = f"{name} @ {budget} + {n_test} held-out"
                bar.phase(label, total, game.n_queries, game.n_cached)
            with game.track() as used:
                table = compare(
                    game, [name], [budget], max_order=max_order, random_state=seed, n_test=n_test
                )
            if bar is not None:
                bar.finish(done=used.n_queries)  # fit + held-out masks this run asked for
            rows += [{k: _plain(v) for k, v in row.items()} for row in table.to_dict("records")]
    return rows


def run_compare(
    spec: TargetSpec,
    *,
    methods: Annotated[
        str, typer.Option(help="Comma-separated method names (default: every registered one).")
    ] = "",
    budget: Annotated[
        list[int] | None, typer.Option(help="Budget given to every method (repeat for several).")
    ] = None,
    max_order: Annotated[int | None, typer.Option(help="Largest interaction order.")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Seed of every random choice.")] = 0,
    cache: Annotated[Path | None, typer.Option(help="SQLite cache shared by the methods.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write compare.json into this directory.")] = (
        None
    ),
    backend: Annotated[str, typer.Option(help="serial | threads | processes | ray")] = "serial",
    batch_size: Annotated[int, typer.Option(help="Ablations per model call.")] = 256,
    n_test: Annotated[
        int | None,
        typer.Option(help="Held-out masks for the R² (default: min(1000, smallest budget/2))."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no table.")] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Run several methods on the same target at equal budgets and compare held-out R²."""
    with guard(cache, json_output=json_output):
        if out is not None:
            check_out_dir(out)
        names = _method_names(methods)
        if not budget:
            msg = "--budget is required: the number of ablations every method may use, e.g. 256"
            raise ParameterError(msg)
        n_test = default_n_test(min(budget)) if n_test is None else n_test
        bar = AblationBar(enabled=not (quiet or json_output))
        game = Game(
            spec.target,
            name=spec.name,
            batch_size=batch_size,
            cache=cache,
            backend=backend,
            progress=bar,
        )
        try:
            with bar:
                rows = compare_methods(
                    game, names, budget, max_order=max_order, seed=seed, n_test=n_test, bar=bar
                )
        finally:
            game.close()
    payload = {
        "status": "ok",
        "target": spec.settings,
        "budgets": list(budget),
        "seed": seed,
        "n_test": n_test,
        "n_evaluated": game.n_evaluated,
        "n_cached": game.n_cached,
        "methods": rows,
    }
    if out is not None:
        with guard(cache, json_output=json_output):
            out.mkdir(parents=True, exist_ok=True)
            text = json.dumps(payload, indent=1, default=str)
            atomic_write(out / COMPARE_FILE, text.encode("utf-8"))
    if json_output:
        emit_json(payload)
    elif not quiet:
        _table(rows)


def _table(rows: list[dict[str, Any]]) -> None:
    table = Table(title="methods at equal budgets")
    for column in ("method", "budget", "ablations", "fit s", "held-out R²", "note"):
        table.add_column(column)
    for row in rows:
        if row.get("error"):
            table.add_row(row["method"], str(row["budget"]), "—", "—", "—", Text(row["error"]))
            continue
        table.add_row(
            row["method"],
            str(row["budget"]),
            str(row["n_queries"]),
            f"{row['time']:.3f}",
            f"{row['r2']:.4f}",
            "",
        )
    stderr.print(table)
