"""``ablatio audit <name>``: the seam for post-mortem audits with controls.

:data:`AUDITS` maps a sub-command to a function or to its ``"module:function"``. The
function's keyword parameters (simple types with defaults) become the command's options; it
returns a result with ``.table`` (a DataFrame or records), ``.verdict`` and
``.to_markdown()``. ``norms`` wraps ``ablatio.audit.norm_audit`` (which takes DataFrames)
with options naming the norm set and the embeddings. The CLI prints the markdown (or, with
``--json``, the table and verdict) and can save the markdown with ``--out``. An audit whose
module is absent exits with status 2 and says so.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress

from ablatio.cli.console import emit_json, stderr
from ablatio.exceptions import ParameterError

__all__ = [
    "AUDITS",
    "AuditUnavailableError",
    "norm_audit_command",
    "render_audit",
    "sample_words",
    "token_audit_command",
]


class AuditUnavailableError(ParameterError):
    """The audits module is not part of this installation."""


def _audits() -> Any:
    try:
        return importlib.import_module("ablatio.audit")
    except ImportError as exc:
        msg = (
            "`ablatio audit` needs the module ablatio.audit, which this installation does not "
            f"provide ({exc})"
        )
        raise AuditUnavailableError(msg) from exc


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def norm_audit_command(
    kind: Annotated[
        str,
        typer.Option(
            help="mcrae | buchanan | binder | lancaster | long (your own norms: a CSV/TSV with "
            "columns concept, feature, value)"
        ),
    ] = "lancaster",
    norms: Annotated[
        Path | None, typer.Option(help="Norm file in its original format (lancaster: shipped).")
    ] = None,
    norm_type: Annotated[
        str,
        typer.Option(help="--kind long: production (counts >= 0, F1@10) | graded (ratings, ρ)."),
    ] = "production",
    duplicates: Annotated[
        str, typer.Option(help="Repeated (concept, feature) rows: max | sum | error.")
    ] = "max",
    controls: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated controls (default: sys, upper, shuffle, shuf_upper, rand, "
            "taxonomy, taxonomy_kept; also shuffle_rows)."
        ),
    ] = None,
    upper_components: Annotated[
        str, typer.Option(help="PLSR component counts at which Upper is also reported.")
    ] = "5,10,20",
    max_words: Annotated[
        int | None,
        typer.Option(help="Audit a random sample of this many single-word entries (by --seed)."),
    ] = None,
    embeddings: Annotated[
        str, typer.Option(help="glove-6b-50d | minilm-static | minilm-layer<k> | a file")
    ] = "glove-6b-50d",
    mappers: Annotated[str, typer.Option(help="Comma-separated: plsr, ffnn.")] = "plsr,ffnn",
    folds: Annotated[int, typer.Option(help="Cross-validation folds.")] = 10,
    n_seeds: Annotated[int, typer.Option(help="Repetitions with different seeds.")] = 3,
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    upper: Annotated[str, typer.Option(help="Upper-bound control: identity | insample.")] = (
        "identity"
    ),
    metric: Annotated[str | None, typer.Option(help="Verdict metric (default by norm type).")] = (
        None
    ),
    exclude_taxonomic: Annotated[
        bool, typer.Option(help="McRae: drop taxonomic features.")
    ] = False,
) -> Any:
    """Decode feature norms from word embeddings, next to the controls, and give a verdict.

    A progress bar on stderr counts the cross-validated fits (mappers × seeds × controls ×
    folds) with the elapsed time and an ETA; the full Lancaster list has 39,707 entries, so
    ``--max-words 500`` gives a first answer in well under a minute.
    """
    audits = _audits()
    frame = audits.load_norms(
        norms, kind, exclude_taxonomic=exclude_taxonomic, duplicates=duplicates,
        norm_type=norm_type,
    )  # fmt: skip
    if max_words is not None:
        frame = sample_words(frame, max_words, seed)
    vectors = audits.load_embeddings(embeddings, words=list(frame.index))
    chosen = audits.DEFAULT_CONTROLS if controls is None else tuple(_split(controls))
    with _fit_bar(f"norm audit, {len(frame)} {kind} words") as step:
        return audits.norm_audit(
            vectors,
            frame,
            mappers=tuple(_split(mappers)),
            controls=chosen,
            upper_components=tuple(int(k) for k in _split(upper_components)),
            folds=folds,
            n_seeds=n_seeds,
            random_state=seed,
            upper=upper,
            metric=metric,
            progress=step,
        )


def sample_words(frame: Any, max_words: int, seed: int) -> Any:
    """``max_words`` random single-word (alphabetic) entries of a norm table, by ``seed``."""
    import numpy as np

    words = [w for w in frame.index if str(w).isalpha()]
    if not isinstance(max_words, int) or not 1 <= max_words <= len(words):
        msg = f"--max-words == {max_words!r}: choose 1..{len(words)} (single-word entries)"
        raise ParameterError(msg)
    subset = frame.loc[np.random.default_rng(seed).choice(words, max_words, replace=False)]
    subset.attrs.update(frame.attrs)
    return subset


@contextmanager
def _fit_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich bar of ``done / total`` fits on stderr, fed by ``progress(done, total)``."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("fits"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with RichProgress(*columns, console=stderr) as bar:
        task = bar.add_task(description, total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield step


def token_audit_command(
    model: Annotated[str, typer.Option(help="minilm | smollm2 (shipped models)")] = "minilm",
    sentences: Annotated[
        Path | None, typer.Option(help="Text file, one sentence per line (default: shipped 212).")
    ] = None,
    max_sentences: Annotated[int | None, typer.Option(help="Use only the first sentences.")] = None,
    probe_folds: Annotated[int, typer.Option(help="Folds over sentences for the probe.")] = 2,
    random_baseline: Annotated[
        bool,
        typer.Option(
            help="Repeat every reading on the same architecture with random weights; its "
            "per-layer values are the flag thresholds."
        ),
    ] = True,
    min_identity_share: Annotated[
        float | None,
        typer.Option(help="Fixed threshold instead of the random baseline's identity share."),
    ] = None,
    min_attention_influence: Annotated[
        float | None,
        typer.Option(help="Fixed threshold instead of the random baseline's attention ρ."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    plot: Annotated[Path | None, typer.Option(help="Write the per-layer figure (PNG).")] = None,
) -> Any:
    """Per layer: does a position still carry its token, and does attention track influence?"""
    audits = _audits()
    texts = None
    if sentences is not None:
        texts = [line.strip() for line in sentences.read_text("utf-8").splitlines() if line.strip()]
    result = audits.token_identity_audit(
        model,
        texts,
        max_sentences=max_sentences,
        probe_folds=probe_folds,
        random_baseline=random_baseline,
        min_identity_share=min_identity_share,
        min_attention_influence=min_attention_influence,
        random_state=seed,
    )
    if plot is not None:
        result.plot(plot)
    return result


#: sub-command → function returning an audit result, or the ``"module:function"`` of one.
AUDITS: dict[str, Callable[..., Any] | str] = {
    "norms": norm_audit_command,
    "tokens": token_audit_command,
}


def _jsonable(value: Any) -> Any:
    """Tables as records, dataclasses (verdicts) field by field, the rest as JSON or text."""
    if hasattr(value, "to_dict") and hasattr(value, "columns"):
        return value.to_dict(orient="records")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def render_audit(
    result: Any,
    *,
    out: Annotated[Path | None, typer.Option(help="Also write the markdown to this file.")] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the table and verdict as JSON on stdout.")
    ] = False,
) -> None:
    """Show an audit result (markdown on stderr/terminal, or JSON on stdout)."""
    markdown = result.to_markdown()
    if out is not None:
        out.write_text(markdown, encoding="utf-8")
    if json_output:
        emit_json(
            {
                "status": "ok",
                "verdict": _jsonable(result.verdict),
                "table": _jsonable(result.table),
            }
        )
    else:
        from rich.markdown import Markdown  # lazy: the markdown renderer is slow to import

        stderr.print(Markdown(markdown))
