"""``llmkit runs list|show|delete|resume``: the runs a durable store holds.

::

    llmkit runs list --store runs.db                 # id, kind, name, status, started, steps, tokens
    llmkit runs show article-42 --store runs.db      # status, error, usage, checkpoints (--json: all)
    llmkit runs delete article-42 --store runs.db    # --force: even while a process holds it
    llmkit runs resume article-42 --app app.py:flow --store runs.db

``show`` gives an agent run's checkpoints in words (step, messages, the last
model text, the calls still without a result), through
``_agent.checkpoints.describe``, which knows their form; any other key, and a
form it cannot read, is summarised as JSON.

``--store`` is a SQLite file, a ``postgresql://`` DSN, or a libpq keyword
string (``host=... dbname=...``: anything with ``=`` that is no file); no
message repeats its password. Without it the
``LLMKIT_STORE`` environment variable is used. ``list`` and ``show`` open a
SQLite file read-only (nothing is created or migrated); every command
refuses a SQLite path where no file is.

What it guarantees: stdout holds only the answer (a table, the run, or with
``--json`` one JSON document); errors go to stderr as one line. Exit status
(the command's one table): 0 done; 1 the run is unknown (``show``,
``delete``, ``resume``), finished, busy, or the store refused; 2 the command
line is wrong (no store given, an ``--app`` that names no object with a
``resume`` method); 3 the setup is wrong (the postgres extra is missing, the
app fails to import).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmkit._cli.codes import ExitCode
from llmkit._cli.workflow import import_object
from llmkit._plural import plural
from llmkit.errors import UsageError

if TYPE_CHECKING:  # the store modules load when a runs command runs, not with the parser
    from llmkit.durable import RunInfo, RunNotFoundError, Store

__all__ = ["add_command", "open_store", "summarize"]

STORE_ENV = "LLMKIT_STORE"
"""The environment variable ``--store`` defaults to."""

_DSN_PREFIXES = ("postgresql://", "postgres://")


def add_command(commands: Any) -> None:
    """Add ``llmkit runs`` (``list``, ``show``, ``delete``, ``resume``) to the command's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "runs",
        help="list, show, delete or resume the runs of a durable store",
        description="The runs a durable store holds (a SQLite file or a postgresql:// DSN).",
    )
    actions = parser.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the stored runs, newest first")
    _add_store(listing)
    listing.add_argument("--kind", choices=["agent", "workflow"], help="only runs of this kind")
    listing.add_argument(
        "--status",
        choices=["running", "paused", "finished", "failed"],
        help="only runs in this status",
    )
    listing.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    listing.add_argument("--json", action="store_true", help="a JSON list instead of a table")
    listing.set_defaults(run=_list)
    show = actions.add_parser("show", help="one run: status, error, usage and its checkpoints")
    show.add_argument("run_id", metavar="ID")
    _add_store(show)
    show.add_argument("--json", action="store_true", help="everything, checkpoints included")
    show.set_defaults(run=_show)
    delete = actions.add_parser("delete", help="remove a run and its checkpoints")
    delete.add_argument("run_id", metavar="ID")
    _add_store(delete)
    delete.add_argument(
        "--force", action="store_true", help="delete it even while a live process holds it"
    )
    delete.set_defaults(run=_delete)
    resume = actions.add_parser(
        "resume",
        help="resume an interrupted or paused run; print its output",
        description=(
            "Load the agent or workflow --app names and resume the run with it "
            "(await obj.resume(ID, store=store)); print its output."
        ),
    )
    resume.add_argument("run_id", metavar="ID")
    resume.add_argument(
        "--app",
        required=True,
        metavar="TARGET",
        help="the agent or workflow that started the run: path/to/app.py:obj or module:obj",
    )
    _add_store(resume)
    resume.add_argument("--json", action="store_true", help="the whole result as JSON")
    resume.set_defaults(run=_resume)


def _add_store(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="STORE",
        help=f"a SQLite file or a postgresql:// DSN (default: ${STORE_ENV})",
    )


def open_store(spec: str | None, *, read_only: bool = False) -> Store:
    """The store ``--store`` (or ``$LLMKIT_STORE``) names; UsageError when none or no such file."""
    spec = spec or os.environ.get(STORE_ENV) or None
    if spec is None:
        raise UsageError(
            f"No store given: pass --store runs.db (a SQLite file) or --store "
            f"postgresql://host/db, or set {STORE_ENV}."
        )
    from llmkit.durable import PostgresStore, SQLiteStore

    is_file = Path(spec).is_file()
    if spec.startswith(_DSN_PREFIXES) or ("=" in spec and not is_file):
        return PostgresStore(spec)  # a URL, or a libpq keyword string (host=... dbname=...)
    if not is_file:
        raise UsageError(
            f"--store: no file {_masked(spec)!r}; pass the SQLite file the runs were stored in."
        )
    return SQLiteStore(spec, read_only=read_only)


def _masked(spec: str) -> str:
    """``spec`` with anything shaped like a password (``:pw@`` in a URL) hidden."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", spec)


async def _with_store(spec: str | None, read_only: bool, work: Any) -> Any:
    store = open_store(spec, read_only=read_only)
    try:
        return await work(store)
    finally:
        await store.close()


# ---------------------------------------------------------------------------- list


def _tokens(usage: Any) -> int:
    if not isinstance(usage, dict):
        return 0
    return sum(v for k, v in usage.items() if k in ("input_tokens", "output_tokens") and _num(v))


def _num(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def _row(info: RunInfo) -> list[str]:
    tokens = _tokens(dict(info.usage))
    return [
        info.id,
        info.kind,
        info.name,
        info.status,
        _when(info.started),
        str(info.steps),
        str(tokens),
    ]


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def _list(args: argparse.Namespace) -> int:
    if args.limit < 0:
        raise UsageError(f"--limit takes 0 or more, not {args.limit}.")

    async def work(store: Store) -> list[RunInfo]:
        return await store.list_runs(kind=args.kind, status=args.status, limit=args.limit)

    runs: list[RunInfo] = asyncio.run(_with_store(args.store, True, work))
    if args.json:
        _print_json([_info_dict(info) for info in runs])
    elif not runs:
        print("No runs stored.", flush=True)
    else:
        header = ["ID", "KIND", "NAME", "STATUS", "STARTED", "STEPS", "TOKENS"]
        print(_table([_row(info) for info in runs], header), flush=True)
    return ExitCode.OK


# ---------------------------------------------------------------------------- show


def summarize(value: Any, *, width: int = 60) -> str:
    """A one-line, readable description of a JSON value (a checkpoint's)."""
    if isinstance(value, dict):
        if isinstance(value.get("type"), str) and "data" in value:
            return f"{value['type']} (stored object)"
        keys = ", ".join(list(value)[:5]) + (", …" if len(value) > 5 else "")
        return f"object of {plural(len(value), 'key')}" + (f": {keys}" if value else "")
    if isinstance(value, list):
        return f"list of {plural(len(value), 'item')}"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def _info_dict(info: RunInfo) -> dict[str, Any]:
    data = asdict(info)
    data["started_at"] = _when(info.started)
    data["updated_at"] = _when(info.updated)
    return data


def _show(args: argparse.Namespace) -> int:
    async def work(store: Store) -> tuple[RunInfo, dict[str, Any]]:
        info = await store.get_run(args.run_id)
        if info is None:
            raise _unknown(args.run_id)
        return info, await store.load_checkpoints(args.run_id)

    info, checkpoints = asyncio.run(_with_store(args.store, True, work))
    if args.json:
        _print_json({**_info_dict(info), "checkpoints": checkpoints})
        return ExitCode.OK
    lines = [
        f"run       {info.id} ({info.kind} {info.name!r})",
        f"status    {info.status}",
        f"started   {_when(info.started)}",
        f"updated   {_when(info.updated)}",
        f"steps     {info.steps}",
        f"tokens    {_tokens(dict(info.usage))}",
    ]
    if info.holder is not None:
        lines.append(f"held by   pid {info.holder.pid} on {info.holder.host}")
    if info.error:
        lines.append(f"error     {' '.join(info.error.split())}")
    if info.result is not None:
        lines.append(f"result    {summarize(info.result)}")
    lines.append(f"checkpoints ({len(checkpoints)})")
    described = _agent_lines(checkpoints) if info.kind == "agent" else {}
    for key, value in sorted(checkpoints.items()):
        first, *more = described.get(key) or [summarize(value)]
        lines.append(f"  {key}: {first}")
        lines.extend(f"    {line}" for line in more)
    print("\n".join(lines), flush=True)
    return ExitCode.OK


def _agent_lines(checkpoints: dict[str, Any]) -> dict[str, list[str]]:
    """An agent run's checkpoints in words (step, messages, last model text, pending calls)."""
    from llmkit._agent.checkpoints import describe

    return describe(checkpoints)


def _unknown(run_id: str) -> RunNotFoundError:
    from llmkit.durable import RunNotFoundError

    return RunNotFoundError(f"No run {run_id!r} is stored; `llmkit runs list` shows them.")


# -------------------------------------------------------------------------- delete


def _delete(args: argparse.Namespace) -> int:
    async def work(store: Store) -> bool:
        return await store.delete_run(args.run_id, force=args.force)

    if not asyncio.run(_with_store(args.store, False, work)):
        raise _unknown(args.run_id)
    print(f"Deleted run {args.run_id!r}.", flush=True)
    return ExitCode.OK


# -------------------------------------------------------------------------- resume


def _resume(args: argparse.Namespace) -> int:
    target = import_object(args.app, what="--app", example="app.py:agent")
    resume = getattr(target, "resume", None)
    if not callable(resume):
        raise UsageError(
            f"--app {args.app!r} is a {type(target).__name__}, which has no resume(); name the "
            "agent or workflow that started the run."
        )

    async def work(store: Store) -> Any:
        info = await store.get_run(args.run_id)
        if info is None:
            raise _unknown(args.run_id)
        if info.status == "finished":
            from llmkit.durable import RunFinishedError

            raise RunFinishedError(
                f"Run {args.run_id!r} already finished; `llmkit runs show {args.run_id}` prints "
                "its result."
            )
        return await resume(args.run_id, store=store)

    result = asyncio.run(_with_store(args.store, False, work))
    if args.json:
        _print_json(result.to_dict() if hasattr(result, "to_dict") else _plain(result))
        return ExitCode.OK
    output = getattr(result, "output", None)
    if output is None and hasattr(result, "state"):
        output = result.state
    if isinstance(output, str):
        print(output, flush=True)
    else:
        _print_json(_plain(output))
    return ExitCode.OK


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str), file=sys.stdout, flush=True)
