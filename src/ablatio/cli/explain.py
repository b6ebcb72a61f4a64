"""``ablatio explain <kind>``: build the target, explain it, test it, write the run directory."""

from __future__ import annotations

import importlib.util
import inspect
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

import ablatio
from ablatio.cli.console import AblationBar, emit_json, guard, stderr
from ablatio.cli.targets import TargetSpec
from ablatio.evaluation.faithfulness import faithfulness
from ablatio.evaluation.reality_check import RealityCheck, reality_check
from ablatio.exceptions import AblatioError, ParameterError
from ablatio.explain import Explanation, explain
from ablatio.games.game import Game
from ablatio.methods import Method, get_method
from ablatio.report.run import REPORT_FILE, RunRecord, write_run

__all__ = ["expected_budget", "parse_options", "run_controls", "run_explain"]


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """``["KEY=VALUE", ...]`` → dict; VALUE is read as JSON when it parses (3, 0.5, true)."""
    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            msg = f"--option {pair!r}: write KEY=VALUE, e.g. --option decoder=soft"
            raise ParameterError(msg)
        try:
            options[key] = json.loads(raw)
        except json.JSONDecodeError:
            options[key] = raw
    return options


def expected_budget(method: str, budget: int | None, max_order: int | None, n: int) -> int | None:
    """Total of the progress bar: the budget, else the method's minimum for ``n`` parts."""
    if budget is not None:
        return budget
    cls = get_method(method)
    accepted = inspect.signature(cls.__init__).parameters
    params = {"max_order": max_order} if max_order is not None and "max_order" in accepted else {}
    try:
        return cls(**params).min_budget(n)
    except (AblatioError, TypeError):
        return None


#: Fewest held-out masks with which the controls and the verdict are computed.
MIN_CONTROL_MASKS = 20


def run_controls(expl: Explanation, game: Game, *, n_test: int, seed: int) -> RealityCheck | None:
    """The reality check of ``expl`` (controls and verdict); None when ``n_test`` is too small."""
    if n_test < MIN_CONTROL_MASKS:
        return None
    return reality_check(expl, game, n_test=n_test, random_state=seed)


def _summary(record: RunRecord, expl: Explanation, top: int, out: Path | None) -> None:
    table = Table(title=f"top {top} interactions ({expl.interactions.basis})")
    table.add_column("term")
    table.add_column("order", justify="right")
    table.add_column("coefficient", justify="right")
    frame = expl.top(top).to_dataframe()
    for row in frame.itertuples():
        table.add_row(str(row.features), str(row.order), f"{row.coefficient:+.6g}")
    stderr.print(table)
    r2 = "—" if record.faithfulness is None else f"{record.faithfulness:.4f}"
    stderr.print(
        f"held-out R² {r2} | {record.n_queries} ablations ({record.n_evaluated} evaluated, "
        f"{record.n_cached} from cache) | fit {record.fit_time:.2f}s",
        markup=False,
    )
    if record.verdict is not None:
        controls = ", ".join(f"{k} {v:.3f}" for k, v in record.controls.items())
        stderr.print(f"controls (held-out R²): {controls}", markup=False)
        stderr.print(f"verdict: {record.verdict}", markup=False)
        for reason in record.verdict_reasons:
            stderr.print(f"  - {reason}", markup=False)
    if out is not None:
        stderr.print(f"report: {out / REPORT_FILE}")


def run_explain(
    spec: TargetSpec,
    *,
    method: Annotated[str, typer.Option(help="Method name from ablatio.methods.METHODS.")] = (
        "exact"
    ),
    budget: Annotated[int | None, typer.Option(help="Maximum distinct ablations.")] = None,
    max_order: Annotated[int | None, typer.Option(help="Largest interaction order.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    cache: Annotated[
        Path | None, typer.Option(help="SQLite cache of ablations; an existing one is resumed.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Directory for interactions.json, run.json, report.html.")
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="Method option KEY=VALUE.")
    ] = None,
    backend: Annotated[str, typer.Option(help="serial | threads | processes | ray")] = "serial",
    batch_size: Annotated[int, typer.Option(help="Ablations per model call.")] = 256,
    n_test: Annotated[int, typer.Option(help="Held-out masks for the R².")] = 1000,
    top: Annotated[int, typer.Option(help="Terms shown and reported.")] = 10,
    png: Annotated[bool, typer.Option("--png/--no-png", help="Also write PNG figures.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no summary.")] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Explain the target with one method; test the explanation on held-out ablations."""
    with guard(cache, json_output=json_output):
        options = parse_options(option)
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
                total = expected_budget(method, budget, max_order, game.n_players)
                bar.phase(method, total, game.n_queries)
                expl = explain(
                    game,
                    method=method
                    if spec.groups is None
                    else _coarse_to_fine(spec, method, budget, max_order, seed, options),
                    budget=budget if spec.groups is None else None,
                    max_order=max_order if spec.groups is None else None,
                    random_state=seed,
                    options=options if spec.groups is None else None,
                )
                bar.finish(game.n_queries)
                bar.phase("held-out test and controls", n_test, game.n_queries)
                r2 = faithfulness(expl, game, n_test=n_test, random_state=seed)
                check = run_controls(expl, game, n_test=n_test, seed=seed)
                bar.finish()
        finally:
            game.close()
        record = RunRecord(
            title=f"ablatio explain {spec.name}",
            target=spec.settings,
            method=expl.method,
            params={k: v for k, v in expl.params.items() if _jsonable(v)},
            seed=seed,
            budget=budget,
            max_order=max_order,
            n_queries=expl.n_queries,
            n_evaluated=game.n_evaluated,
            n_cached=game.n_cached,
            fit_time=expl.fit_time,
            faithfulness=r2,
            n_test=n_test,
            controls={}
            if check is None
            else {k: v for k, v in check.scores.items() if k != "explanation"},
            verdict=None if check is None else check.verdict,
            verdict_reasons=[] if check is None else check.reasons,
            segments=None if spec.segments is None else list(spec.segments),
            groups=None if spec.groups is None else [list(g) for g in spec.groups],
            cache=None if cache is None else str(cache),
            ablatio_version=ablatio.__version__,
        )
        if out is not None:
            if png and importlib.util.find_spec("matplotlib") is None:
                stderr.print("PNG figures skipped: pip install 'ablatio[plots]'", markup=False)
                png = False
            write_run(out, expl.interactions, record, png=png, top_k=max(top, 20))
    if json_output:
        emit_json(_payload(record, expl, top, out))
    elif not quiet:
        _summary(record, expl, top, out)


def _coarse_to_fine(
    spec: TargetSpec,
    method: str,
    budget: int | None,
    max_order: int | None,
    seed: int,
    options: dict[str, Any],
) -> Method:
    """The :class:`Hierarchical` wrapper of ``method`` for a target with coarse segments;
    ``--option`` keys go to the wrapper (coarse_fraction, coverage, max_players)."""
    from ablatio.methods.hierarchical import Hierarchical

    params: dict[str, Any] = {"method": method, "groups": spec.groups, "random_state": seed}
    if budget is not None:
        params["budget"] = budget
    if max_order is not None:
        params["max_order"] = max_order
    unknown = set(options) - set(Hierarchical._param_names())
    if unknown:
        msg = (
            f"--option {sorted(unknown)} unknown with --levels; valid: coarse_fraction, "
            "coverage, max_players"
        )
        raise ParameterError(msg)
    return Hierarchical(**params, **options)


def _jsonable(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)


def _payload(record: RunRecord, expl: Explanation, top: int, out: Path | None) -> dict[str, Any]:
    shown = expl.top(top)
    return {
        "status": "ok",
        "method": record.method,
        "n_players": expl.interactions.n_players,
        "n_queries": record.n_queries,
        "n_evaluated": record.n_evaluated,
        "n_cached": record.n_cached,
        "fit_time": record.fit_time,
        "faithfulness": record.faithfulness,
        "controls": record.controls,
        "verdict": record.verdict,
        "verdict_reasons": record.verdict_reasons,
        "top": [
            {
                "term": list(t),
                "features": [expl.interactions.feature_names[i] for i in t],
                "coefficient": float(c),
            }
            for t, c in sorted(
                zip(shown.terms, shown.coefficients, strict=True), key=lambda tc: -abs(tc[1])
            )
        ],
        "out": None if out is None else str(out),
        "report": None if out is None else str(out / REPORT_FILE),
    }
