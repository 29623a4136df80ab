"""``llmkit batch``: an agent, a workflow or a function over every line of a JSONL inputs file.

::

    llmkit batch app.py:agent inputs.jsonl --out results.jsonl --concurrency 50

Each line of the inputs file is one item: for an agent a JSON string (the user's message) or
an object with ``"input"``; for a workflow an object (its state); for a function any JSON
value. A line that cannot be read is reported on stderr with its line number, and its item
fails without running (its error is in the results); the other items still run. The file
is UTF-8 (a leading byte order mark is accepted); a line that is not is such a line.

``--out`` is the results file (one JSON line per finished item, written as each finishes);
running the same command again skips the items already done. Without ``--out`` the results
go to stdout in input order when the batch ends. A summary line goes to stderr.

Exit status (the table of :mod:`llmkit._cli.codes`): 0 when every item succeeded, 1 when
some failed (or a line could not be read), and the usual statuses for a bad command line,
a target that cannot be loaded, or ``--fail-fast`` stopping on an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from llmkit._cli.codes import ExitCode
from llmkit._cli.workflow import import_object
from llmkit._json import dumps
from llmkit._plural import plural
from llmkit.errors import LLMKitError, UsageError

__all__ = ["add_command", "read_inputs"]


def add_command(commands: Any) -> None:
    """Add ``llmkit batch`` to the command's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "batch",
        help="run an agent, workflow or function over every line of a JSONL file",
        description=(
            "Run TARGET (app.py:agent, app.py:flow or module:function) once per line of INPUTS "
            "(JSON lines), CONCURRENCY at a time; results in input order."
        ),
    )
    parser.add_argument("target", metavar="TARGET", help="path/to/app.py:obj or module:obj")
    parser.add_argument("inputs", metavar="INPUTS", help="a JSONL file: one input per line")
    parser.add_argument(
        "--out",
        metavar="PATH",
        help="the results file (JSONL, written as items finish; run again to resume)",
    )
    parser.add_argument("--concurrency", type=int, default=8, metavar="N", help="items at once (8)")
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="seconds each agent or workflow run may take",
    )
    parser.add_argument(
        "--fail-fast", action="store_true", help="stop at the first failed item (exit non-zero)"
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "plain", "off"),
        default="auto",
        help="live on a terminal (auto), a line per item (plain), or none (off)",
    )
    add_executor_arguments(parser)
    parser.set_defaults(run=_run)


def add_executor_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that choose where items run (the in-process executor when none is given).

    An executor that runs items elsewhere adds its option here (``--ray ADDRESS``) and its
    case to :func:`executor_for`.
    """
    parser.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="run the items on Ray: 'local' starts a cluster on this machine (loopback only), "
        "'auto' finds the running one, or host:port / ray://host:port (needs llmkit[ray])",
    )


def executor_for(args: argparse.Namespace) -> Any:
    """The executor the command line asks for; None for the default (this process)."""
    address = getattr(args, "ray", None)
    if address is None:
        return None
    from llmkit.workflow._ray import RayExecutor
    from llmkit.workflow._ray_ship import send_module_by_value

    source = str(args.target).rpartition(":")[0]
    if source.endswith(".py"):  # a file the workers cannot import: its code goes with the items
        send_module_by_value(sys.modules[Path(source).stem])
    return RayExecutor(None if address == "local" else address)


def read_inputs(path: Path, kind: str) -> tuple[list[Any], list[str]]:
    """The items of the inputs file at ``path`` for a target of ``kind`` and the problems found.

    An unreadable line becomes a :class:`~llmkit.workflow.BadInput` in its place (its item
    fails without running); each problem names its line.
    """
    from llmkit.workflow import BadInput

    if not path.is_file():
        raise UsageError(f"INPUTS: no file {str(path)!r}; pass a JSONL file, one input per line.")
    items: list[Any] = []
    problems: list[str] = []
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            where = f"line {number} of {path}"
            try:  # UnicodeDecodeError is a ValueError: a line that is not UTF-8 is a bad input
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                value = _item(json.loads(text), kind)
            except ValueError as exc:
                problem = f"{where} is not an input: {exc}"
                problems.append(problem)
                items.append(BadInput(problem))
                continue
            items.append(value)
    return items, problems


def _item(value: Any, kind: str) -> Any:
    if kind == "agent":
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "input" in value:
            return value["input"]
        raise ValueError('an agent takes a JSON string or an object with "input"')
    if kind == "workflow" and not isinstance(value, dict):
        raise ValueError("a workflow takes a JSON object (its state)")
    return value


def _kind(target: Any) -> str:
    from llmkit.agent import Agent
    from llmkit.workflow import Workflow

    if isinstance(target, Agent):
        return "agent"
    if isinstance(target, Workflow):
        return "workflow"
    if callable(target):
        return "function"
    raise UsageError(
        f"TARGET names a {type(target).__name__}; pass an Agent, a Workflow or a function "
        "(e.g. app.py:agent)."
    )


def _progress(mode: str) -> Any:
    if mode == "off":
        return False
    if mode == "plain":
        from llmkit.workflow._batch_progress import LineProgress

        return LineProgress(sys.stderr)
    return None


def _run(args: argparse.Namespace) -> int:
    from llmkit.workflow import batch

    if args.concurrency < 1:
        raise UsageError(
            f"--concurrency takes a whole number of at least 1, not {args.concurrency}."
        )
    target = import_object(args.target, what="TARGET", example="app.py:agent")
    kind = _kind(target)
    items, problems = read_inputs(Path(args.inputs), kind)
    for problem in problems:
        print(f"error: {problem}; the other items still run", file=sys.stderr, flush=True)
    options = {"timeout": args.timeout} if args.timeout is not None and kind != "function" else {}
    executor = executor_for(args)

    async def run() -> Any:
        try:
            return await batch(
                target,
                items,
                concurrency=args.concurrency,
                executor=executor,
                progress=_progress(args.progress),
                fail_fast=args.fail_fast,
                results=args.out,
                options=options,
            )
        finally:
            if executor is not None:
                await executor.aclose()

    try:
        result = asyncio.run(run())
    except (LLMKitError, OSError):
        raise
    except Exception as exc:  # an item's own error under --fail-fast: reported like ours
        from llmkit.workflow import ItemError

        raise LLMKitError(f"an item failed: {ItemError.of(exc)}") from exc
    if args.out is None:
        for outcome in result:
            sys.stdout.write(dumps(outcome.to_dict()) + "\n")
    print(_summary(result), file=sys.stderr, flush=True)
    return ExitCode.OK if result.ok else ExitCode.FAILURE


def _summary(result: Any) -> str:
    parts = [f"{len(result) - result.failed} ok", f"{result.failed} failed"]
    if result.resumed:
        parts.append(f"{result.resumed} resumed")
    usage = result.usage
    parts.append(plural(usage.total_tokens, "token"))
    if usage.cost is not None and usage.total_tokens:
        parts.append(f"${usage.cost:.4f}")
    return "batch: " + ", ".join(parts)
