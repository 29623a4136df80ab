"""``llmkit workflow run|show TARGET``: run a workflow with live progress, or draw it.

::

    llmkit workflow run app.py:flow --input '{"topic": "tides"}'
    llmkit workflow run flows.yaml --registry app:names --progress plain --json
    llmkit workflow show mypkg.flows:article --mermaid

``TARGET`` is ``path/to/app.py:flow`` (the file's directory is put first on ``sys.path``
while it is imported), ``package.module:flow``, or a ``.yaml``/``.yml``/``.json``
definition whose names ``--registry MODULE:NAME`` maps. ``--input`` is the state: a JSON
object, ``@file.json``, or ``-`` for stdin.

What it guarantees: stdout holds only the result (the final state as JSON, or with
``--json`` the whole ``WorkflowResult.to_dict()``); progress and errors go to stderr. The
exit status comes from the command's one table: 0 the run completed and no step failed;
1 the run failed, or completed with failures it went on after (``result.errors``); 2 the
command line is wrong (a target that is not a workflow, ``--input`` that is not a JSON
object or does not fit the state's type); 3 the setup is wrong (a definition or registry
problem, a module that fails to import, a missing extra); 4 a time limit passed; 5 a safety
rule refused something; 130 Ctrl-C, after the run is cancelled (no task left), the error
line naming the steps it stopped in.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, get_args

from llmkit._cli.codes import ExitCode, as_configuration
from llmkit._cli.progress import (
    HINT,
    PlainProgress,
    Progress,
    ProgressMode,
    QuietProgress,
    attempt_limits,
)
from llmkit._cli.session import is_tty
from llmkit._plural import plural
from llmkit.errors import ConfigurationError, MissingExtraError, UsageError

if TYPE_CHECKING:
    from llmkit.workflow import Workflow, WorkflowResult

__all__ = [
    "DEFINITION_SUFFIXES",
    "add_command",
    "import_object",
    "load_target",
    "open_progress",
    "read_input",
]

DEFINITION_SUFFIXES = (".yaml", ".yml", ".json")
"""File suffixes read as workflow definitions (the rest of targets are ``module:name``)."""

_TARGET_HELP = (
    "the workflow: path/to/app.py:flow, package.module:flow, or a .yaml/.yml/.json definition"
)


def add_command(commands: Any) -> None:
    """Add ``llmkit workflow`` (``run`` and ``show``) to the ``llmkit`` command's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "workflow",
        help="run a workflow with live progress, or draw it",
        description="Run a workflow (its final state on stdout, progress on stderr) or draw it.",
    )
    actions = parser.add_subparsers(dest="workflow_command", metavar="ACTION", required=True)
    run = actions.add_parser(
        "run",
        help="run a workflow; print its final state as JSON",
        description=(
            "Run a workflow on the state --input gives and print its final state as JSON "
            "(the whole result with --json). Progress goes to stderr."
        ),
    )
    run.add_argument("target", metavar="TARGET", help=_TARGET_HELP)
    run.add_argument(
        "--input",
        metavar="JSON",
        help="the state: a JSON object, @file.json, or - to read it from stdin",
    )
    _add_registry(run)
    run.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="stop a run that takes longer"
    )
    run.add_argument(
        "--progress",
        choices=get_args(ProgressMode),
        default="auto",
        help="live tree (needs llmkit[workflow]), plain lines, off; auto: live on a terminal",
    )
    run.add_argument("--record", metavar="FILE", help="record the run to FILE (JSON Lines)")
    run.add_argument(
        "--json", action="store_true", help="print the whole result (trace, usage …), not the state"
    )
    run.set_defaults(run=_run)
    show = actions.add_parser(
        "show",
        help="print a workflow as a tree of steps, or a Mermaid flowchart",
        description="Print a workflow as an indented tree of steps (a Mermaid flowchart with --mermaid).",
    )
    show.add_argument("target", metavar="TARGET", help=_TARGET_HELP)
    _add_registry(show)
    show.add_argument("--mermaid", action="store_true", help="a Mermaid flowchart instead")
    show.set_defaults(run=_show)


def _add_registry(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--registry",
        metavar="MODULE:NAME",
        help="the mapping of names a definition file refers to (agents, functions, tools …)",
    )


# ------------------------------------------------------------------------------- targets


@contextmanager
def _first_on_path(directory: str) -> Iterator[None]:
    sys.path.insert(0, directory)
    try:
        yield
    finally:
        with suppress(ValueError):  # the imported code removed it already
            sys.path.remove(directory)


def _import_module(source: str, *, what: str) -> Any:
    """The module ``source`` names: a dotted name, or a ``.py`` file (its directory first on the path)."""
    if source.endswith(".py") or "/" in source or "\\" in source:
        path = Path(source)
        if not path.is_file():
            raise UsageError(f"{what}: no file {source!r}.")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has one
            raise UsageError(f"{what}: {source!r} cannot be imported.")
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module  # pydantic and dataclasses look their module up
        try:
            with _first_on_path(str(path.resolve().parent)):
                spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(path.stem, None)
            raise
        return module
    try:
        return importlib.import_module(source)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (source == exc.name or source.startswith(exc.name + ".")):
            raise UsageError(f"{what}: no module named {source!r}.") from None
        raise


def import_object(spec: str, *, what: str, example: str) -> Any:
    """The object ``module:attribute`` (or ``file.py:attribute``) names."""
    source, colon, attribute = spec.rpartition(":")
    if not colon or not source or not attribute:
        raise UsageError(f"{what} takes MODULE:NAME or path/to/file.py:NAME (e.g. {example}).")
    try:
        module = _import_module(source, what=what)
    except (UsageError, ConfigurationError):
        raise
    except Exception as exc:
        raise ConfigurationError(
            f"{what}: importing {source!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
    value: Any = module
    for name in attribute.split("."):
        try:
            value = getattr(value, name)
        except AttributeError:
            raise UsageError(f"{what}: {source!r} has no {attribute!r}.") from None
    return value


def _registry(spec: str | None) -> Mapping[str, object] | None:
    if spec is None:
        return None
    value = import_object(spec, what="--registry", example="app.py:names")
    if not isinstance(value, Mapping):
        raise UsageError(
            f"--registry names a mapping of names to agents, functions and tools; {spec!r} is "
            f"a {type(value).__name__}."
        )
    return value


def load_target(target: str, *, registry: str | None = None) -> Workflow:
    """The workflow ``target`` names (see the module docstring); UsageError when it is none."""
    from llmkit.workflow import Workflow

    if target.lower().endswith(DEFINITION_SUFFIXES):
        if not Path(target).is_file():
            raise UsageError(f"TARGET: no file {target!r}.")
        names = _registry(registry)
        from llmkit.workflow import load

        with as_configuration():
            flow = load(target, registry=names)
    else:
        if registry is not None:
            raise UsageError(
                "--registry is for definition files (.yaml, .yml, .json); a module target "
                "refers to its objects directly."
            )
        flow = import_object(target, what="TARGET", example="app.py:flow")
    if not isinstance(flow, Workflow):
        raise UsageError(
            f"TARGET {target!r} is a {type(flow).__name__}, not a workflow: name one built with "
            "sequence(), parallel(), step() …"
        )
    return flow


# --------------------------------------------------------------------------------- input


def read_input(text: str | None, flow: Workflow, stdin: IO[str] | None = None) -> Any:
    """The state ``--input`` gives (None: an empty state), validated into the flow's ``state=`` type."""
    if text is None:
        return None
    if text == "-":
        source, raw = "stdin", (stdin if stdin is not None else sys.stdin).read()
    elif text.startswith("@"):
        source = text[1:]
        try:
            raw = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--input: cannot read {source!r}: {exc.strerror or exc}.") from None
    else:
        source, raw = "--input", text
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--input ({source}) is not valid JSON: {exc.msg} at line {exc.lineno} column "
            f'{exc.colno}; pass a JSON object such as \'{{"topic": "tides"}}\'.'
        ) from None
    if not isinstance(value, dict):
        raise UsageError(
            f"--input ({source}) takes a JSON object (the state's fields), not a "
            f"{type(value).__name__}."
        )
    model = flow.node.state
    if model is None:
        return value
    from pydantic import ValidationError

    try:
        return model.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the state"
        raise UsageError(
            f"--input does not fit {model.__name__}: {where}: {first['msg']} "
            f"({plural(exc.error_count(), 'error')})."
        ) from None


# ------------------------------------------------------------------------------ progress


def open_progress(mode: str, flow: Workflow, err: IO[str]) -> Progress:
    """The renderer ``--progress`` asks for (see ``llmkit._cli.progress``), writing to ``err``."""
    limits = attempt_limits(flow.node)
    if mode == "off":
        return QuietProgress(limits=limits)
    if mode == "plain" or (mode == "auto" and not is_tty(err)):
        return PlainProgress(err, limits=limits)
    from llmkit._optional import require

    try:
        console = require("rich.console", extra="workflow", feature="Live progress", package="rich")
    except MissingExtraError:
        if mode == "live":
            raise
        print(HINT, file=err, flush=True)
        return PlainProgress(err, limits=limits)
    from llmkit._cli.progress import LiveProgress

    return LiveProgress(console.Console(file=err), limits=limits)


# ---------------------------------------------------------------------------- commands


def _show(args: argparse.Namespace) -> int:
    flow = load_target(args.target, registry=args.registry)
    print(flow.to_mermaid() if args.mermaid else flow.tree(), flush=True)
    return ExitCode.OK


def _run(args: argparse.Namespace) -> int:
    from llmkit.errors import WorkflowDefinitionError

    flow = load_target(args.target, registry=args.registry)
    state = read_input(args.input, flow)
    options: dict[str, Any] = {} if args.timeout is None else {"timeout": args.timeout}
    with ExitStack() as stack:
        if args.record:
            from llmkit.recording import record

            stack.enter_context(record(args.record))
        progress = open_progress(args.progress, flow, sys.stderr)
        try:
            result = _drive(flow, state, options, progress)
        except KeyboardInterrupt:
            progress.close()
            where = ", ".join(progress.running()) or flow.name
            print(f"error: interrupted; the run stopped at {where}", file=sys.stderr, flush=True)
            return ExitCode.INTERRUPTED
        except WorkflowDefinitionError as exc:
            progress.close()
            raise ConfigurationError(str(exc)) from exc
        except BaseException:
            progress.close()
            raise
        progress.close()
    body = result.to_dict() if args.json else result.to_dict()["state"]
    print(json.dumps(body, ensure_ascii=False, indent=2), flush=True)
    if result.errors:
        first = result.errors[0]
        print(
            f"error: {plural(len(result.errors), 'step')} failed and the run went on; first at "
            f"{first.path}: {first.error_type}: {' '.join(first.message.split())}",
            file=sys.stderr,
            flush=True,
        )
        return ExitCode.FAILURE
    return ExitCode.OK


def _drive(
    flow: Workflow, state: Any, options: dict[str, Any], progress: Progress
) -> WorkflowResult[Any]:
    """Run ``flow``, every event through ``progress``; the result (the run's error raises)."""
    from llmkit.events import WorkflowEnd, WorkflowStart

    result: WorkflowResult[Any] | None = None
    run_id = ""
    for event in flow.stream_sync(state, **options):
        progress.event(event)
        # A step may run another workflow: only this run's own start and end count.
        if isinstance(event, WorkflowStart) and not run_id:
            run_id = event.run_id
        elif isinstance(event, WorkflowEnd) and event.run_id == run_id:
            result = event.result
    if result is None:  # pragma: no cover - a complete stream ends with workflow.end
        raise RuntimeError("the workflow run ended without a result")
    return result
