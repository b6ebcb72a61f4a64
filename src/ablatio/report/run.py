"""A run directory: ``interactions.json``, ``run.json``, ``report.html`` and PNG figures.

``run.json`` (schema ``ablatio.Run``, version :data:`RUN_SCHEMA_VERSION`) records what is
needed to understand and repeat the run: the target and its options, the method and its
parameters, budget, order and seed, the counts of distinct ablations (``n_queries`` used by
the fit, ``n_held_out`` added by the held-out check; their sum is ``n_evaluated`` freshly
evaluated plus ``n_cached`` re-used from the cache file), the one held-out R²
(``faithfulness``, computed on ``faithfulness_masks`` of the ``n_test`` held-out masks) with
its controls, the text segments of text targets and the figure files.
:func:`write_run` writes everything; :func:`read_run` and :func:`render_run` rebuild the
report from the two JSON files alone (``ablatio report DIR``).
"""

from __future__ import annotations

import json
import numbers
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ablatio.exceptions import AblatioError, DataFormatError, ParameterError
from ablatio.interactions import Interactions
from ablatio.report.html import render_html

__all__ = [
    "RUN_SCHEMA_VERSION",
    "RunRecord",
    "atomic_write",
    "check_out_dir",
    "check_out_file",
    "read_run",
    "render_run",
    "write_run",
]

#: Version of the ``run.json`` layout.
RUN_SCHEMA_VERSION = 1
INTERACTIONS_FILE = "interactions.json"
RUN_FILE = "run.json"
REPORT_FILE = "report.html"
#: Every file a run directory may hold (the PNG names are those of ``save_figures``).
RUN_FILES = (
    INTERACTIONS_FILE,
    RUN_FILE,
    REPORT_FILE,
    "top_interactions.png",
    "waterfall.png",
    "interaction_graph.png",
)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def describe_model(model: str, weights: dict[str, float]) -> str:
    """``model`` (the surrogate a method returned), with its candidates' weights when it
    combines several (``"stacked = 0.56 a + 0.49 b"``)."""
    if len(weights) < 2:
        return model
    heaviest = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
    return f"{model} = " + " + ".join(f"{w:.2f} {name}" for name, w in heaviest)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_number_map(value: Any) -> bool:
    return isinstance(value, dict) and all(_is_number(v) for v in value.values())


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _optional(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


#: What each ``run.json`` field must hold (a tampered file is refused, not half-rendered).
_FIELD_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "title": (lambda v: isinstance(v, str), "a string"),
    "target": (lambda v: isinstance(v, dict), "an object"),
    "method": (lambda v: isinstance(v, str), "a string"),
    "model": (lambda v: isinstance(v, str), "a string"),
    "model_weights": (_is_number_map, "an object of numbers"),
    "params": (lambda v: isinstance(v, dict), "an object"),
    "seed": (_optional(_is_int), "an integer or null"),
    "budget": (_optional(_is_int), "an integer or null"),
    "max_order": (_optional(_is_int), "an integer or null"),
    "n_queries": (_is_int, "an integer"),
    "n_evaluated": (_is_int, "an integer"),
    "n_cached": (_is_int, "an integer"),
    "fit_time": (_is_number, "a number"),
    "faithfulness": (_optional(_is_number), "a number or null"),
    "faithfulness_masks": (_optional(_is_int), "an integer or null"),
    "n_test": (_optional(_is_int), "an integer or null"),
    "n_held_out": (_is_int, "an integer"),
    "controls": (_is_number_map, "an object of numbers"),
    "verdict": (_optional(lambda v: isinstance(v, str)), "a string or null"),
    "verdict_reasons": (_is_str_list, "a list of strings"),
    "segments": (_optional(_is_str_list), "a list of strings or null"),
    "cache": (_optional(lambda v: isinstance(v, str)), "a string or null"),
    "figures": (_is_str_list, "a list of strings"),
    "ablatio_version": (lambda v: isinstance(v, str), "a string"),
}


@dataclass
class RunRecord:
    """Everything ``run.json`` holds about one run (see the module docstring)."""

    title: str
    target: dict[str, Any]
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    model: str = ""
    model_weights: dict[str, float] = field(default_factory=dict)
    seed: int | None = None
    budget: int | None = None
    max_order: int | None = None
    n_queries: int = 0
    n_evaluated: int = 0
    n_cached: int = 0
    fit_time: float = 0.0
    faithfulness: float | None = None
    faithfulness_masks: int | None = None
    n_test: int | None = None
    n_held_out: int = 0
    controls: dict[str, float] = field(default_factory=dict)
    verdict: str | None = None
    verdict_reasons: list[str] = field(default_factory=list)
    segments: list[str] | None = None
    groups: list[list[int]] | None = None
    cache: str | None = None
    figures: list[str] = field(default_factory=list)
    ablatio_version: str = ""

    def settings(self) -> dict[str, Any]:
        """The flat settings table shown in the report."""
        shown = {
            "method": self.method,
            "model": None
            if self.model in ("", self.method)
            else describe_model(self.model, self.model_weights),
            "budget": self.budget,
            "max_order": self.max_order,
            "seed": self.seed,
            "n_queries": self.n_queries,
            "n_evaluated": self.n_evaluated,
            "n_cached": self.n_cached,
            "fit_time_s": round(self.fit_time, 4),
            "n_test": self.n_test,
            "n_held_out": self.n_held_out,
            "faithfulness_masks": self.faithfulness_masks,
            "cache": self.cache,
            "ablatio": self.ablatio_version,
        }
        shown.update({f"target.{k}": v for k, v in self.target.items()})
        shown.update({f"param.{k}": v for k, v in self.params.items()})
        return shown

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-serialisable form with the schema header."""
        return {"schema": "ablatio.Run", "schema_version": RUN_SCHEMA_VERSION, **asdict(self)}

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> RunRecord:
        """Inverse of :meth:`to_json_dict`; rejects other documents and newer versions."""
        if not isinstance(data, dict) or data.get("schema") != "ablatio.Run":
            msg = "not an ablatio run.json (missing schema 'ablatio.Run')"
            raise ParameterError(msg)
        if not isinstance(data.get("schema_version"), int) or data["schema_version"] > (
            RUN_SCHEMA_VERSION
        ):
            msg = (
                f"run.json schema_version {data.get('schema_version')!r} is newer than this "
                f"ablatio reads ({RUN_SCHEMA_VERSION}): upgrade ablatio"
            )
            raise ParameterError(msg)
        known = {f.name for f in fields(cls)}
        if "title" not in data or "target" not in data or "method" not in data:
            msg = "run.json lacks one of the fields title, target, method"
            raise ParameterError(msg)
        for key, value in data.items():
            check, expected = _FIELD_CHECKS.get(key, (lambda v: True, ""))
            if key in known and not check(value):
                msg = f"run.json field {key!r} == {value!r:.60}, must be {expected}"
                raise ParameterError(msg)
        return cls(**{k: v for k, v in data.items() if k in known})


def render_run(out_dir: str | Path, *, png: bool = True, top_k: int = 20) -> RunRecord:
    """(Re)write ``report.html`` and, with ``png``, the PNG figures of a run directory."""
    out = Path(out_dir)
    inter, record = read_run(out)
    check_out_dir(out)
    record.figures = []
    if png:
        from ablatio.report.plots import save_figures

        record.figures = [p.name for p in save_figures(inter, out, top_k)]
    html = render_html(
        inter,
        title=record.title,
        settings=record.settings(),
        faithfulness=record.faithfulness,
        controls=record.controls,
        verdict=record.verdict,
        verdict_reasons=record.verdict_reasons,
        segments=record.segments,
        groups=record.groups,
        top_k=top_k,
    )
    atomic_write(out / REPORT_FILE, html.encode("utf-8"))
    _write_record(out, record)
    return record


def write_run(
    out_dir: str | Path,
    interactions: Interactions,
    record: RunRecord,
    *,
    png: bool = True,
    top_k: int = 20,
) -> Path:
    """Create ``out_dir`` and write the interactions and ``run.json``, then report and figures.

    The two JSON files come first, so that a figure that fails to draw never loses the run
    (``ablatio report DIR`` re-renders it). Every file is written atomically: to a temporary
    file in ``out_dir``, then renamed over the old one (a symlink there is replaced, never
    followed).
    """
    out = Path(out_dir)
    check_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(interactions.to_json_dict(), indent=1)
    atomic_write(out / INTERACTIONS_FILE, text.encode("utf-8"))
    _write_record(out, record)
    render_run(out, png=png, top_k=top_k)
    return out / REPORT_FILE


def check_out_dir(out_dir: str | Path) -> Path:
    """Refuse, before any work, an output directory that cannot be created or written.

    ``out_dir`` must be a directory or not exist yet; its nearest existing ancestor must be a
    writable directory, and none of the run files inside it may be a directory.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        msg = f"out == {str(out)!r} exists and is not a directory: choose a directory path"
        raise ParameterError(msg)
    _check_writable(out if out.exists() else _existing_ancestor(out), out)
    if out.is_dir():
        blocked = [name for name in RUN_FILES if (out / name).is_dir()]
        if blocked:
            msg = f"out == {str(out)!r} holds a directory named {blocked[0]!r}: remove it"
            raise ParameterError(msg)
    return out


def check_out_file(path: str | Path) -> Path:
    """Refuse, before any work, an output file path that is a directory or not writable."""
    path = Path(path)
    if path.is_dir():
        msg = f"out == {str(path)!r} is a directory: give a file path, e.g. {path / 'audit.md'}"
        raise ParameterError(msg)
    parent = path.parent
    if not parent.is_dir():
        msg = f"out == {str(path)!r}: the directory {str(parent)!r} does not exist"
        raise ParameterError(msg)
    _check_writable(parent, path)
    return path


def _existing_ancestor(path: Path) -> Path:
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                msg = f"out == {str(path)!r}: {str(parent)!r} is a file, not a directory"
                raise ParameterError(msg)
            return parent
    return Path(path.absolute().anchor)


def _check_writable(directory: Path, out: Path) -> None:
    if not os.access(directory, os.W_OK | os.X_OK):
        msg = f"out == {str(out)!r}: {str(directory)!r} is not writable; choose another path"
        raise ParameterError(msg)


def atomic_write(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it over ``path``.

    Readers never see a half-written file, and a symlink at ``path`` is replaced by the new
    file instead of being written through.
    """
    path = Path(path)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        msg = f"{path} is not a valid JSON file ({type(exc).__name__}: {exc})"
        raise DataFormatError(msg.splitlines()[0]) from None


def read_run(out_dir: str | Path) -> tuple[Interactions, RunRecord]:
    """The interactions and record of a run directory written by :func:`write_run`.

    A file that is not what :func:`write_run` wrote (other JSON, wrong types, segments that
    do not match the parts) raises a :class:`~ablatio.exceptions.DataFormatError` naming it.
    """
    out = Path(out_dir)
    missing = [name for name in (INTERACTIONS_FILE, RUN_FILE) if not (out / name).is_file()]
    if missing:
        msg = (
            f"{out} is not an ablatio run directory (missing {', '.join(missing)}): pass the "
            "--out directory of an `ablatio explain` run"
        )
        raise ParameterError(msg)
    inter = _read_interactions(out / INTERACTIONS_FILE)
    try:
        record = RunRecord.from_json_dict(_load_json(out / RUN_FILE))
    except ParameterError as exc:
        msg = f"{out / RUN_FILE}: {exc}"
        raise DataFormatError(msg) from None
    if record.segments is not None and len(record.segments) != inter.n_players:
        msg = (
            f"{out / RUN_FILE}: {len(record.segments)} segments but interactions.json has "
            f"{inter.n_players} parts"
        )
        raise DataFormatError(msg)
    return inter, record


def _read_interactions(path: Path) -> Interactions:
    data = _load_json(path)
    names = data.get("feature_names") if isinstance(data, dict) else None
    n = data.get("n_players") if isinstance(data, dict) else None
    if not isinstance(names, list) or not _is_int(n) or len(names) != n:
        # the default names x0 .. x{n-1} would let a tampered n allocate without bound
        msg = f"{path}: n_players and feature_names (one name per part) must agree"
        raise DataFormatError(msg)
    try:
        inter = Interactions.from_json_dict(data)
    except (AblatioError, KeyError, TypeError, ValueError, OverflowError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{path}: {text}"
        raise DataFormatError(msg) from None
    return inter


def _write_record(out: Path, record: RunRecord) -> None:
    text = json.dumps(record.to_json_dict(), indent=1, default=str)
    atomic_write(out / RUN_FILE, text.encode("utf-8"))
