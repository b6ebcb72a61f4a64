"""``ablatio compare <kind>``: several methods on one target at the same budget.

Until ``ablatio.compare`` lands, :func:`compare_methods` is built on :func:`ablatio.explain`
and :func:`ablatio.faithfulness`; switching is a change to that one function. All methods
share one :class:`~ablatio.games.game.Game` (so one cache and no ablation evaluated twice),
while each method's budget is counted separately by ``game.track``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ablatio.cli.console import AblationBar, emit_json, guard, stderr
from ablatio.cli.explain import expected_budget
from ablatio.cli.targets import TargetSpec
from ablatio.evaluation.faithfulness import faithfulness
from ablatio.exceptions import BudgetTooSmallError, ParameterError
from ablatio.explain import explain
from ablatio.games.game import Game
from ablatio.methods import METHODS

__all__ = ["compare_methods", "run_compare"]


def compare_methods(
    game: Game,
    methods: Sequence[str],
    *,
    budget: int | None,
    max_order: int | None,
    seed: int,
    n_test: int,
    bar: AblationBar | None = None,
) -> list[dict[str, Any]]:
    """One row per method: queries used, fit time and held-out R² on the same test masks.

    A method that cannot run at this budget gets ``error`` (and the minimum it needs) instead
    of aborting the comparison.
    """
    rows = []
    for name in methods:
        if bar is not None:
            bar.phase(
                name, expected_budget(name, budget, max_order, game.n_players), game.n_queries
            )
        try:
            expl = explain(game, method=name, budget=budget, max_order=max_order, random_state=seed)
        except BudgetTooSmallError as exc:
            rows.append({"method": name, "error": str(exc), "min_budget": exc.minimum})
            continue
        if bar is not None:
            bar.finish(game.n_queries)
        r2 = faithfulness(expl, game, n_test=n_test, random_state=seed)
        rows.append(
            {
                "method": name,
                "n_queries": expl.n_queries,
                "fit_time": expl.fit_time,
                "faithfulness": r2,
                "n_terms": len(expl.interactions),
            }
        )
    return rows


def run_compare(
    spec: TargetSpec,
    *,
    methods: Annotated[
        str, typer.Option(help="Comma-separated method names (default: every registered one).")
    ] = "",
    budget: Annotated[int | None, typer.Option(help="The same budget for every method.")] = None,
    max_order: Annotated[int | None, typer.Option(help="Largest interaction order.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    cache: Annotated[Path | None, typer.Option(help="SQLite cache shared by the methods.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write compare.json into this directory.")] = (
        None
    ),
    backend: Annotated[str, typer.Option(help="serial | threads | processes | ray")] = "serial",
    batch_size: Annotated[int, typer.Option(help="Ablations per model call.")] = 256,
    n_test: Annotated[int, typer.Option(help="Held-out masks for the R².")] = 1000,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no table.")] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Run several methods on the same target at an equal budget and compare held-out R²."""
    with guard(cache, json_output=json_output):
        names = [m.strip() for m in methods.split(",") if m.strip()] or sorted(METHODS)
        unknown = [m for m in names if m not in METHODS]
        if unknown:
            msg = f"--methods names unknown method(s) {unknown}; choose from {sorted(METHODS)}"
            raise ParameterError(msg)
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
                    game,
                    names,
                    budget=budget,
                    max_order=max_order,
                    seed=seed,
                    n_test=n_test,
                    bar=bar,
                )
        finally:
            game.close()
    payload = {
        "status": "ok",
        "target": spec.settings,
        "budget": budget,
        "seed": seed,
        "n_evaluated": game.n_evaluated,
        "n_cached": game.n_cached,
        "methods": rows,
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.json").write_text(json.dumps(payload, indent=1, default=str), "utf-8")
    if json_output:
        emit_json(payload)
    elif not quiet:
        table = Table(title=f"methods at budget {budget if budget is not None else 'default'}")
        for column in ("method", "ablations", "fit s", "held-out R²", "note"):
            table.add_column(column)
        for row in rows:
            if "error" in row:
                table.add_row(row["method"], "—", "—", "—", f"needs {row['min_budget']}")
            else:
                table.add_row(
                    row["method"],
                    str(row["n_queries"]),
                    f"{row['fit_time']:.3f}",
                    f"{row['faithfulness']:.4f}",
                    "",
                )
        stderr.print(table)
