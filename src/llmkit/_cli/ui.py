"""``llmkit ui``: the web dev UI over served agents and workflows, or over a folder of recordings.

Binds 127.0.0.1 unless ``--host`` says otherwise. Tokens come as for ``llmkit
serve`` (``--token-env``, ``--token-file``); when neither gives one, a fresh
random token is made for this process and the URL printed to the terminal
carries it (``/ui/#token=...``), so a browser on this machine can open it; a
token of yours is never printed nor put in a URL (the page asks for it). The
browser is opened (unless ``--no-open``) at ``/ui/#token=...`` with a made
token (the fragment never leaves the browser, and the page keeps the token in
its tab only), at ``/ui/`` with yours.
"""

from __future__ import annotations

import argparse
import os
import secrets
from typing import Any

from llmkit._cli.codes import ExitCode
from llmkit._cli.serve import TOKEN_ENV, add_server_arguments
from llmkit._cli.workflow import import_object
from llmkit.errors import UsageError

__all__ = ["add_command"]


def add_command(commands: Any) -> None:
    """Add ``llmkit ui`` to the command's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "ui",
        help="a web page to chat with agents, watch runs, approve calls, read recordings",
        description=(
            "Serve TARGET (app.py:agent, app.py:agents for a list of agents and workflows) with "
            "the web dev UI at http://HOST:PORT/ui/, or browse --recordings DIR alone."
        ),
    )
    parser.add_argument(
        "targets", nargs="*", metavar="TARGET", help="path/to/app.py:obj or module:obj"
    )
    parser.add_argument(
        "--recordings",
        metavar="DIR",
        help="a folder of recordings (.jsonl) and evaluation reports (.json) to browse",
    )
    add_server_arguments(
        parser,
        token_help=f"the environment variable holding the bearer tokens ({TOKEN_ENV}); "
        "when unset, a random token is made",
    )
    parser.add_argument("--no-open", action="store_true", help="do not open a browser")
    parser.set_defaults(run=_ui)


def _ui(args: argparse.Namespace) -> int:
    from llmkit._cli.serve import open_store
    from llmkit.serve import Server, tokens_from_file
    from llmkit.ui import ui_app

    found: list[Any] = []
    for spec in args.targets:
        value = import_object(spec, what="TARGET", example="app.py:agent")
        found.extend(value if isinstance(value, list | tuple) else [value])
    if not found and args.recordings is None:
        raise UsageError(
            "Name what to serve (llmkit ui app.py:agent) or a folder to browse "
            "(llmkit ui --recordings runs/)."
        )
    if args.token_file:
        tokens = tokens_from_file(args.token_file)
    else:
        value = os.environ.get(args.token_env, "")
        tokens = [token.strip() for token in value.split(",") if token.strip()]
    made = not tokens
    if made:
        tokens = [secrets.token_urlsafe(24)]
    options: dict[str, Any] = {}
    if args.store and not found:
        raise UsageError(
            "--store keeps the sessions and runs of served agents and workflows; with "
            "--recordings alone there are none: drop --store, or name a TARGET to serve."
        )
    if args.store:
        options["store"] = open_store(args.store)
    app = ui_app(*found, tokens=tokens, recordings=args.recordings, **options)
    server = Server(app, host=args.host, port=args.port)

    def ready(url: str) -> None:
        # Only a token made here goes in a URL: browsers keep URLs in their history.
        page = f"{url}/ui/#token={tokens[0]}" if made else f"{url}/ui/"
        if made:
            print(f"The UI is at {page} (a token made for this run; Ctrl-C to stop)", flush=True)
        else:
            where = args.token_file or args.token_env
            print(
                f"The UI is at {url}/ui/ (sign in with a token of {where}; Ctrl-C to stop)",
                flush=True,
            )
        if not args.no_open:
            import webbrowser

            webbrowser.open(page)

    server.run(ready=ready)
    return ExitCode.OK
