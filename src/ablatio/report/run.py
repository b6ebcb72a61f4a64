"""A run directory: ``interactions.json``, ``run.json``, ``report.html`` and PNG figures.

``run.json`` (schema ``ablatio.Run``, version :data:`RUN_SCHEMA_VERSION`) records what is
needed to understand and repeat the run: the target and its options, the method and its
parameters, budget, order and seed, the counts of ablations (``n_queries`` requested,
``n_evaluated`` freshly evaluated, ``n_cached`` re-used from the cache file), the held-out
faithfulness with its controls, the text segments of text targets and the figure files.
:func:`write_run` writes everything; :func:`read_run` and :func:`render_run` rebuild the
report from the two JSON files alone (``ablatio report DIR``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ablatio.exceptions import ParameterError
from ablatio.interactions import Interactions
from ablatio.report.html import write_html

__all__ = ["RUN_SCHEMA_VERSION", "RunRecord", "read_run", "render_run", "write_run"]

#: Version of the ``run.json`` layout.
RUN_SCHEMA_VERSION = 1
INTERACTIONS_FILE = "interactions.json"
RUN_FILE = "run.json"
REPORT_FILE = "report.html"


@dataclass
class RunRecord:
    """Everything ``run.json`` holds about one run (see the module docstring)."""

    title: str
    target: dict[str, Any]
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    budget: int | None = None
    max_order: int | None = None
    n_queries: int = 0
    n_evaluated: int = 0
    n_cached: int = 0
    fit_time: float = 0.0
    faithfulness: float | None = None
    n_test: int | None = None
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
            "budget": self.budget,
            "max_order": self.max_order,
            "seed": self.seed,
            "n_queries": self.n_queries,
            "n_evaluated": self.n_evaluated,
            "n_cached": self.n_cached,
            "fit_time_s": round(self.fit_time, 4),
            "n_test": self.n_test,
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
        if data.get("schema") != "ablatio.Run":
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
        return cls(**{k: v for k, v in data.items() if k in known})


def render_run(out_dir: str | Path, *, png: bool = True, top_k: int = 20) -> RunRecord:
    """(Re)write ``report.html`` and, with ``png``, the PNG figures of a run directory."""
    out = Path(out_dir)
    inter, record = read_run(out)
    record.figures = []
    if png:
        from ablatio.report.plots import save_figures

        record.figures = [p.name for p in save_figures(inter, out, top_k)]
    write_html(
        out / REPORT_FILE,
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
    """Create ``out_dir`` and write the interactions, ``run.json``, the report and figures."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        msg = f"out == {str(out)!r} exists and is not a directory: choose a directory path"
        raise ParameterError(msg)
    out.mkdir(parents=True, exist_ok=True)
    interactions.save(out / INTERACTIONS_FILE)
    _write_record(out, record)
    render_run(out, png=png, top_k=top_k)
    return out / REPORT_FILE


def read_run(out_dir: str | Path) -> tuple[Interactions, RunRecord]:
    """The interactions and record of a run directory written by :func:`write_run`."""
    out = Path(out_dir)
    missing = [name for name in (INTERACTIONS_FILE, RUN_FILE) if not (out / name).is_file()]
    if missing:
        msg = (
            f"{out} is not an ablatio run directory (missing {', '.join(missing)}): pass the "
            "--out directory of an `ablatio explain` run"
        )
        raise ParameterError(msg)
    inter = Interactions.load(out / INTERACTIONS_FILE)
    record = RunRecord.from_json_dict(json.loads((out / RUN_FILE).read_text(encoding="utf-8")))
    return inter, record


def _write_record(out: Path, record: RunRecord) -> None:
    text = json.dumps(record.to_json_dict(), indent=1, default=str)
    (out / RUN_FILE).write_text(text, encoding="utf-8")
