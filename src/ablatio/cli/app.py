"""The typer application: ``explain``, ``compare``, ``audit``, ``report``, ``methods``.

Commands for pluggable parts (targets, audits) are assembled from two plain functions: a
*builder* whose signature supplies the part's own options, and an *action* (``run_explain``,
``run_compare``, ``render_audit``) whose keyword parameters supply the shared ones.
:func:`combine` merges both signatures into one command.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ablatio.cli.audit import AUDITS, render_audit
from ablatio.cli.compare import run_compare
from ablatio.cli.console import EXIT_USAGE, emit_json, guard, say_error, stderr
from ablatio.cli.explain import run_explain
from ablatio.cli.targets import TargetUnavailableError, as_spec, resolve_target
from ablatio.exceptions import ParameterError
from ablatio.report.run import check_out_dir, check_out_file

__all__ = ["build_app", "combine"]


def combine(
    builder: Callable[..., Any],
    action: Callable[..., Any],
    *,
    name: str,
    check: Callable[[dict[str, Any]], None] | None = None,
) -> Callable[..., None]:
    """One command whose options are ``builder``'s parameters plus ``action``'s keywords.

    The command calls ``check(shared)`` (e.g. output paths, before any work), then
    ``action(builder(**own), **shared)``. Parameters become keyword-only so that options
    with and without defaults can mix; a name used by both raises.
    """
    own = inspect.signature(builder, eval_str=True).parameters
    shared = list(inspect.signature(action, eval_str=True).parameters.values())[1:]
    clash = set(own) & {p.name for p in shared}
    if clash:
        msg = f"{name}: builder options {sorted(clash)} clash with the shared options"
        raise ParameterError(msg)
    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in [*own.values(), *shared]]

    def command(**kwargs: Any) -> None:
        built_with = {k: kwargs.pop(k) for k in own}
        with guard(json_output=bool(kwargs.get("json_output", False))):
            if check is not None:
                check(kwargs)
            built = builder(**built_with)
        action(built, **kwargs)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = inspect.getdoc(builder)
    command.__name__ = name
    return command


def _unavailable(message: str) -> Callable[..., None]:
    def command() -> None:
        stderr.print(message, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE)

    command.__doc__ = f"(not available) {message}"
    return command


_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


def _out_dir(shared: dict[str, Any]) -> None:
    """``--out`` of explain/compare: a directory that can be written (checked before work)."""
    if shared.get("out") is not None:
        check_out_dir(shared["out"])


def _out_file(shared: dict[str, Any]) -> None:
    """``--out`` of an audit: a file that can be written (checked before work)."""
    if shared.get("out") is not None:
        check_out_file(shared["out"])


def _add_checked(
    group: typer.Typer,
    name: str,
    builder: Callable[..., Any],
    action: Callable[..., Any],
    check: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Add ``combine(builder, action)`` as command ``name``, or a placeholder saying why not.

    A plug-in whose options typer cannot turn into a command line (or that clashes with the
    shared options) must not take the whole ``ablatio`` command down with it.
    """
    try:
        command = combine(builder, action, name=name, check=check)
        trial = typer.Typer()
        trial.command(name)(command)
        typer.main.get_command(trial)
    except Exception as exc:  # noqa: BLE001 - any failure of a plug-in is reported the same way
        group.command(name, context_settings=_PASS_THROUGH, add_help_option=False)(
            _unavailable(f"`{name}` cannot be offered on the command line: {exc}")
        )
        return
    group.command(name)(command)


def _add_targets(group: typer.Typer, action: Callable[..., Any], verb: str) -> None:
    from ablatio.cli.targets import TARGETS

    for kind in TARGETS:
        try:
            builder = resolve_target(kind)
        except TargetUnavailableError as exc:
            group.command(kind, context_settings=_PASS_THROUGH, add_help_option=False)(
                _unavailable(str(exc).replace("ablatio explain", f"ablatio {verb}"))
            )
            continue

        def build(*args: Any, _builder: Any = builder, _kind: str = kind, **kwargs: Any) -> Any:
            return as_spec(_kind, _builder(*args, **kwargs), dict(kwargs))

        build.__signature__ = inspect.signature(builder, eval_str=True)  # type: ignore[attr-defined]
        build.__doc__ = inspect.getdoc(builder)
        _add_checked(group, kind, build, action, _out_dir)


def _add_audits(group: typer.Typer) -> None:
    for name, entry in AUDITS.items():
        if callable(entry):
            _add_checked(group, name, entry, render_audit, _out_file)
            continue
        module_name, _, attr = entry.partition(":")
        try:
            function = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            group.command(name, context_settings=_PASS_THROUGH, add_help_option=False)(
                _unavailable(
                    f"`ablatio audit {name}` needs {entry}, which this installation does not "
                    f"provide ({exc})."
                )
            )
            continue
        _add_checked(group, name, function, render_audit, _out_file)


def report(
    run_dir: Annotated[Path, typer.Argument(help="The --out directory of an explain run.")],
    png: Annotated[bool, typer.Option("--png/--no-png", help="Also write PNG figures.")] = True,
    top: Annotated[int, typer.Option(min=0, help="Terms in the table, charts and graph.")] = 20,
) -> None:
    """Re-render report.html (and PNGs) of a run directory from its JSON files."""
    from ablatio.report.run import REPORT_FILE, render_run

    with guard():
        render_run(run_dir, png=png, top_k=top)
    stderr.print(f"report: {run_dir / REPORT_FILE}", markup=False, highlight=False, soft_wrap=True)


def methods() -> None:
    """List the registered methods."""
    from ablatio.methods import METHODS

    for name, cls in sorted(METHODS.items()):
        doc = (inspect.getdoc(cls) or "").splitlines()
        typer.echo(f"{name:12s} {doc[0] if doc else ''}")


def _wants_json(args: Sequence[str]) -> bool:
    """Whether ``--json`` is among the options (before a ``--`` that ends them)."""
    for arg in args:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


class _Group(TyperGroup):
    """The top command: typer's own parse errors are one line, plus the ``--json`` line.

    A bad option value (``--seed x``), an unknown option or a missing one exits with status
    2, as typer does, but with one ``error: ... (see `ablatio ... --help`)`` line on stderr
    and, under ``--json``, one JSON document on stdout, like every other error. A command
    given without arguments still prints its help.
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if not standalone_mode:
            return super().main(argv, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as exc:  # typer's own click errors derive from it
            if not hasattr(exc, "format_message"):
                raise
            status = getattr(exc, "exit_code", EXIT_USAGE)
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help is already printed
                sys.exit(status)
            context = getattr(exc, "ctx", None)
            hint = f" (see `{context.command_path} --help`)" if context is not None else ""
            message = " ".join(exc.format_message().split()) + hint
            say_error(message)
            if _wants_json(argv):
                emit_json(
                    {
                        "status": "error",
                        "exit_code": status,
                        "error": type(exc).__name__,
                        "message": f"error: {message}",
                    }
                )
            sys.exit(status)
        except typer.Abort:
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def build_app() -> typer.Typer:
    """Assemble the ``ablatio`` command from the current registries."""
    app = typer.Typer(
        cls=_Group,
        name="ablatio",
        help="Ablation-based interpretability: sparse interactions from few ablations.",
        no_args_is_help=True,
        add_completion=False,
    )
    explain_group = typer.Typer(help="Explain a target with one method.", no_args_is_help=True)
    compare_group = typer.Typer(help="Compare methods at equal budgets.", no_args_is_help=True)
    audit_group = typer.Typer(help="Post-mortem audits with controls.", no_args_is_help=True)
    _add_targets(explain_group, run_explain, "explain")
    _add_targets(compare_group, run_compare, "compare")
    _add_audits(audit_group)
    app.add_typer(explain_group, name="explain")
    app.add_typer(compare_group, name="compare")
    app.add_typer(audit_group, name="audit")
    app.command()(report)
    app.command()(methods)
    return app
