"""``llmkit rpc TARGET``: an agent (or several, and workflows) served as JSON-RPC 2.0 over stdio.

::

    llmkit rpc app.py:agent                          # one JSON message per line, in and out
    llmkit rpc app.py:targets --store runs.db --max-runs 4 --queue

``TARGET`` is ``path/to/app.py:NAME`` or ``package.module:NAME``, naming an
agent, a workflow, or a list of them (served by their names). The methods,
framing and error codes are in ``docs/serve.md`` (section JSON-RPC).

What it guarantees: stdout carries only protocol messages (what the app
prints while it is imported, and everything printed while it serves, goes to
stderr, with the logs). It returns when stdin ends, once the requests in
progress are answered; the runs still going then are cancelled. Exit status:
0 stdin ended; 2 the command line or the target is wrong; 3 the setup is
wrong (the app fails to import, a store's extra is missing); 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING, Any

from llmkit._cli.codes import ExitCode
from llmkit._cli.mcp_serve import load_quietly
from llmkit.errors import UsageError
from llmkit.serve._rpc_framing import MAX_LINE

if TYPE_CHECKING:
    from llmkit.durable import Store

__all__ = ["add_command"]

_POSTGRES = ("postgresql://", "postgres://")


def add_command(commands: Any) -> None:
    """Add ``llmkit rpc`` to the ``llmkit`` command's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "rpc",
        help="serve agents and workflows as JSON-RPC 2.0 over stdio",
        description=(
            "Serve agents and workflows as JSON-RPC 2.0 over stdin and stdout, one JSON "
            "message per line: run, stream (events as notifications), approve, cancel, sessions."
        ),
    )
    parser.add_argument(
        "target",
        metavar="TARGET",
        help="path/to/app.py:NAME or package.module:NAME: an agent, a workflow, or a list of them",
    )
    parser.add_argument(
        "--store",
        metavar="STORE",
        help="keep sessions and run checkpoints in a SQLite file (made if missing) or a "
        "postgresql:// DSN (default: sessions in memory)",
    )
    parser.add_argument("--max-runs", type=int, metavar="N", help="at most N runs at once")
    parser.add_argument(
        "--queue", action="store_true", help="over --max-runs, queue new runs (default: refuse)"
    )
    parser.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="stop an agent run that takes longer"
    )
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=MAX_LINE,
        metavar="N",
        help=f"the most bytes one message may take ({MAX_LINE}); a longer one is refused",
    )
    parser.set_defaults(run=_serve)


def _store(spec: str | None) -> Store | None:
    if spec is None:
        return None
    from llmkit.durable import PostgresStore, SQLiteStore

    return PostgresStore(spec) if spec.startswith(_POSTGRES) else SQLiteStore(spec)


def _serve(args: argparse.Namespace) -> int:
    from llmkit.serve import RunService
    from llmkit.serve._rpc import RpcServer

    if args.max_bytes < 2:
        raise UsageError(f"--max-bytes {args.max_bytes}: give a number of bytes, 2 or more.")
    found = load_quietly(args.target, what="TARGET", example="app.py:agent")
    targets = list(found) if isinstance(found, list | tuple) else [found]
    store = _store(args.store)
    service = RunService(
        *targets,
        store=store,
        max_runs=args.max_runs,
        when_full="queue" if args.queue else "reject",
        run_timeout=args.timeout,
    )

    async def serve() -> None:
        try:
            await RpcServer(service, max_line=args.max_bytes).serve_stdio()
        finally:
            if store is not None:
                await store.close()

    asyncio.run(serve())
    return ExitCode.OK
