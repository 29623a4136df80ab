"""``llmkit serve``: agents and workflows over HTTP (the OpenAI-compatible API, runs and sessions).

Binds 127.0.0.1 unless ``--host`` says otherwise, prints the URL once it
listens, and never prints a token: they come from an environment variable
(``--token-env``, comma-separated) or a file (``--token-file``, one a line).
"""

from __future__ import annotations

import argparse
from typing import Any

from llmkit._cli.codes import ExitCode
from llmkit._cli.workflow import import_object
from llmkit.errors import UsageError

__all__ = ["add_command", "add_server_arguments", "open_store"]

TOKEN_ENV = "LLMKIT_SERVE_TOKENS"


def add_server_arguments(parser: argparse.ArgumentParser, *, token_help: str) -> None:
    """Add the options every command that serves HTTP shares: --host, --port, the tokens, --store."""
    parser.add_argument("--host", default="127.0.0.1", help="the address to bind (127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8000, help="the port (8000; 0 picks a free one)"
    )
    tokens = parser.add_mutually_exclusive_group()
    tokens.add_argument("--token-env", default=TOKEN_ENV, metavar="NAME", help=token_help)
    tokens.add_argument("--token-file", metavar="PATH", help="a file of bearer tokens, one a line")
    parser.add_argument(
        "--store", metavar="STORE", help="a SQLite file or postgresql:// DSN for sessions and runs"
    )


def add_command(commands: Any) -> None:
    """Add ``llmkit serve`` to the command's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "serve",
        help="serve agents and workflows over HTTP (OpenAI-compatible, runs and sessions)",
        description=(
            "Serve the agents and workflows TARGET names (app.py:agent, app.py:agents for a list, "
            "or app.py:app for an ASGI app from llmkit.serve.app_for) on http://HOST:PORT/v1."
        ),
    )
    parser.add_argument(
        "targets", nargs="+", metavar="TARGET", help="path/to/app.py:obj or module:obj"
    )
    add_server_arguments(
        parser,
        token_help=f"the environment variable holding the bearer tokens, comma-separated ({TOKEN_ENV})",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=600,
        metavar="N",
        help="requests per minute per token (600; 0: no limit)",
    )
    parser.add_argument("--max-runs", type=int, metavar="N", help="most runs at once (no limit)")
    parser.add_argument(
        "--queue", action="store_true", help="queue runs over --max-runs instead of answering 429"
    )
    parser.add_argument(
        "--max-body",
        type=int,
        default=1_000_000,
        metavar="BYTES",
        help="largest request body (1000000)",
    )
    parser.add_argument(
        "--run-timeout", type=float, metavar="SECONDS", help="seconds an agent run may take"
    )
    parser.add_argument(
        "--cancel-on-disconnect",
        action="store_true",
        help="cancel a streamed run whose client leaves",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="allow browsers from ORIGIN (repeatable; CORS is off by default)",
    )
    parser.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    from llmkit.agent import Agent
    from llmkit.serve import RateLimit, Server, app_for, tokens_from_env, tokens_from_file
    from llmkit.workflow import Workflow

    found: list[Any] = []
    for spec in args.targets:
        value = import_object(spec, what="TARGET", example="app.py:agent")
        found.extend(value if isinstance(value, list | tuple) else [value])
    servable = all(isinstance(value, Agent | Workflow) for value in found)
    if not servable:
        if len(found) == 1 and callable(found[0]):
            app = found[0]  # an ASGI app: its own tokens and limits apply
        else:
            raise UsageError(
                "TARGET names agents and workflows (or a list of them), or one ASGI app from "
                "llmkit.serve.app_for."
            )
    else:
        tokens = (
            tokens_from_file(args.token_file)
            if args.token_file
            else tokens_from_env(args.token_env)
        )
        app = app_for(
            *found,
            tokens=tokens,
            store=open_store(args.store),
            rate_limit=RateLimit(args.rate_limit, per=60) if args.rate_limit > 0 else None,
            max_body=args.max_body,
            cors_origins=args.cors_origin,
            max_runs=args.max_runs,
            when_full="queue" if args.queue else "reject",
            on_disconnect="cancel" if args.cancel_on_disconnect else "continue",
            run_timeout=args.run_timeout,
        )
    server = Server(app, host=args.host, port=args.port)
    server.run(ready=lambda url: print(f"Serving on {url}/v1 (Ctrl-C to stop)", flush=True))
    return ExitCode.OK


def open_store(spec: str | None) -> Any:
    """The durable store ``--store`` names (a SQLite file or a postgresql:// DSN), or None."""
    if spec is None:
        return None
    from llmkit.durable import PostgresStore, SQLiteStore

    if spec.startswith(("postgresql://", "postgres://")):
        return PostgresStore(spec)
    return SQLiteStore(spec)
