"""``ablatio explain <kind>``: build the target, explain it, test it, write the run directory."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

import ablatio
from ablatio.cli.console import AblationBar, emit_json, guard, stderr
from ablatio.cli.targets import TargetSpec
from ablatio.evaluation.faithfulness import faithfulness
from ablatio.evaluation.reality_check import RealityCheck, reality_check
from ablatio.exceptions import AblatioError, ParameterError
from ablatio.explain import Explanation, explain
from ablatio.games.game import Game
from ablatio.methods import Method, make_method
from ablatio.report._bidi import show_bidi
from ablatio.report.run import REPORT_FILE, RunRecord, check_out_dir, describe_model, write_run

__all__ = [
    "default_n_test",
    "expected_budget",
    "held_out_r2",
    "parse_options",
    "run_controls",
    "run_explain",
]


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
    """Total of the progress bar: the budget, else the method's default budget for ``n``."""
    if budget is not None:
        return budget
    try:
        return make_method(method, max_order=max_order).default_budget(n)
    except AblatioError:
        return None


#: Fewest held-out masks with which the controls and the verdict are computed.
MIN_CONTROL_MASKS = 20
#: Most held-out masks drawn by default.
MAX_DEFAULT_TEST = 1000


def default_n_test(budget: int | None) -> int:
    """Held-out masks by default: ``min(1000, budget // 2)``, at least 20 (for the controls).

    The check then never costs more than half the explanation's own budget (beyond the
    minimum of 20 that the controls need); an unknown budget gets 1000.
    """
    if budget is None:
        return MAX_DEFAULT_TEST
    return min(MAX_DEFAULT_TEST, max(MIN_CONTROL_MASKS, budget // 2))


def held_out_r2(
    expl: Explanation, game: Game, *, n_test: int, seed: int
) -> tuple[float, int, RealityCheck | None]:
    """The run's one held-out R², the number of masks it is computed on, and the check.

    With controls (``n_test >= 20``) the R² is the reality check's score of the explanation
    on its evaluation half, the same masks every control is scored on; the other half
    calibrates the controls. Without, it is :func:`faithfulness` on all ``n_test`` masks.
    """
    check = run_controls(expl, game, n_test=n_test, seed=seed)
    if check is None:
        return faithfulness(expl, game, n_test=n_test, random_state=seed), n_test, None
    return check.scores["explanation"], n_test - n_test // 2, check


def run_controls(expl: Explanation, game: Game, *, n_test: int, seed: int) -> RealityCheck | None:
    """The reality check of ``expl`` (controls and verdict); None when ``n_test`` is too small."""
    if n_test < MIN_CONTROL_MASKS:
        return None
    return reality_check(expl, game, n_test=n_test, random_state=seed)


#: ``--view`` choices: named Shapley values + pairs + variance by order, or raw terms.
VIEWS = ("readable", "moebius")


def _readable_tables(expl: Explanation, top: int) -> None:
    """Shapley values by name, the strongest Shapley–Taylor pairs, variance by order."""
    summary = expl.summary(k=top)
    phi = summary.shapley.reindex(summary.shapley.abs().sort_values(ascending=False).index)
    table = Table(title="Shapley values")
    table.add_column("part")
    table.add_column("Shapley value", justify="right")
    for name, value in phi.head(top).items():
        table.add_row(Text(show_bidi(str(name))), f"{value:+.4g}")
    if len(phi) > top:
        table.add_row(f"({len(phi) - top} more parts)", "", style="dim")
    table.add_row("sum = f(all) − f(∅)", f"{float(phi.sum()):+.4g}", style="dim")
    stderr.print(table)
    if len(summary.pairs):
        pairs = Table(title="pairs (Shapley–Taylor)")
        pairs.add_column("pair")
        pairs.add_column("value", justify="right")
        for label, value in summary.pairs.items():
            pairs.add_row(Text(show_bidi(str(label))), f"{value:+.4g}")
        stderr.print(pairs)
    if summary.variance is not None and len(summary.variance):
        shares = ", ".join(
            f"{o}: {100 * v:.1f} %" for o, v in summary.variance.items() if v >= 5e-4
        )
        stderr.print(
            f"variance by order (Fourier): {shares}; raw terms: --view moebius", markup=False
        )


def _summary(
    record: RunRecord, expl: Explanation, top: int, out: Path | None, view: str = "readable"
) -> None:
    if view == "readable" and expl.interactions.basis in ("moebius", "fourier"):
        _readable_tables(expl, top)
    else:
        table = Table(title=f"top {top} interactions ({expl.interactions.basis})")
        table.add_column("term")
        table.add_column("order", justify="right")
        table.add_column("coefficient", justify="right")
        frame = expl.top(top).to_dataframe()
        for row in frame.itertuples():
            label = Text(show_bidi(str(row.features)))  # user text: never rich markup
            table.add_row(label, str(row.order), f"{row.coefficient:+.6g}")
        stderr.print(table)
    r2 = "—" if record.faithfulness is None else f"{record.faithfulness:.4f}"
    scored = record.faithfulness_masks
    calibrating = (record.n_test or 0) - (scored or 0)
    where = f"on {scored} held-out masks"
    if record.verdict is not None:
        where += f" (another {calibrating} calibrate the controls)"
    stderr.print(f"held-out R² {r2} {where}", markup=False)
    if record.model and record.model != record.method:
        stderr.print(f"model: {describe_model(record.model, record.model_weights)}", markup=False)
    total = record.n_queries + record.n_held_out
    stderr.print(
        f"ablations: {record.n_queries} fit + {record.n_held_out} held-out = {total} distinct "
        f"({record.n_evaluated} evaluated, {record.n_cached} from cache) | "
        f"fit {record.fit_time:.2f}s",
        markup=False,
    )
    if record.verdict is not None:
        controls = ", ".join(f"{k} {v:.3f}" for k, v in record.controls.items())
        stderr.print(f"controls (R² on the same {scored} masks): {controls}", markup=False)
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
    seed: Annotated[int, typer.Option(min=0, help="Seed of every random choice.")] = 0,
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
    n_test: Annotated[
        int | None,
        typer.Option(
            help="Held-out masks for the R² and the controls (default: min(1000, budget/2), "
            "at least 20)."
        ),
    ] = None,
    top: Annotated[int, typer.Option(min=0, help="Terms shown and reported.")] = 10,
    view: Annotated[
        str, typer.Option(help="readable (Shapley values, pairs) | moebius (raw terms).")
    ] = "readable",
    png: Annotated[bool, typer.Option("--png/--no-png", help="Also write PNG figures.")] = True,
    part_keys: Annotated[
        bool,
        typer.Option(
            "--part-keys/--no-part-keys",
            help="Let parts that repeat (the same word) share a slope in the best-of stage.",
        ),
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no summary.")] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
) -> None:
    """Explain the target with one method; test the explanation on held-out ablations."""
    with guard(cache, json_output=json_output):
        if view not in VIEWS:
            msg = f"--view == {view!r}; choose one of {VIEWS}"
            raise ParameterError(msg)
        if out is not None:
            check_out_dir(out)  # before the first ablation, so no work is lost to a bad path
        options = parse_options(option)
        bar = AblationBar(enabled=not (quiet or json_output))
        game = Game(
            spec.target,
            name=spec.name,
            part_keys=None if part_keys else False,
            batch_size=batch_size,
            cache=cache,
            backend=backend,
            progress=bar,
        )
        try:
            with bar:
                total = expected_budget(method, budget, max_order, game.n_players)
                n_test = default_n_test(total) if n_test is None else n_test
                bar.phase(method, total, game.n_queries, game.n_cached)
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
                fitted = game.n_queries
                bar.phase("held-out check", n_test, game.n_queries, game.n_cached)
                r2, r2_masks, check = held_out_r2(expl, game, n_test=n_test, seed=seed)
                bar.finish()
                n_held_out = game.n_queries - fitted
        finally:
            game.close()
        record = RunRecord(
            title=f"ablatio explain {spec.name}",
            target=spec.settings if part_keys else {**spec.settings, "part_keys": False},
            method=expl.method,
            params={k: v for k, v in expl.params.items() if _jsonable(v)},
            model=expl.model,
            model_weights=expl.model_weights,
            seed=seed,
            budget=budget,
            max_order=max_order,
            n_queries=expl.n_queries,
            n_evaluated=game.n_evaluated,
            n_cached=game.n_cached,
            fit_time=expl.fit_time,
            faithfulness=r2,
            faithfulness_masks=r2_masks,
            n_test=n_test,
            n_held_out=n_held_out,
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
        _summary(record, expl, top, out, view)


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
        "model": record.model,
        "model_weights": record.model_weights,
        "n_players": expl.interactions.n_players,
        "n_queries": record.n_queries,
        "n_evaluated": record.n_evaluated,
        "n_cached": record.n_cached,
        "n_held_out": record.n_held_out,
        "fit_time": record.fit_time,
        "faithfulness": record.faithfulness,
        "faithfulness_masks": record.faithfulness_masks,
        "n_test": record.n_test,
        "controls": record.controls,
        "verdict": record.verdict,
        "verdict_reasons": record.verdict_reasons,
        "shapley": {str(k): float(v) for k, v in expl.shapley_values().items()},
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
