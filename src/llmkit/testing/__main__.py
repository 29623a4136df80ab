"""``python -m llmkit.testing serve``: run the fake provider server in the foreground.

Prints one line, ``llmkit fake server listening on http://127.0.0.1:PORT``,
once it accepts connections, so a benchmark or demo in another process can
read the URL from its output.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Sequence

from llmkit.errors import UsageError
from llmkit.testing._script import ScriptFunction

__all__ = ["load_responder", "main"]


def load_responder(spec: str) -> ScriptFunction:
    """The ``Request -> turn`` function named by ``module:function``."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"--responder takes module:function, got {spec!r}.")
    value = importlib.import_module(module_name)
    for part in attr.split("."):
        value = getattr(value, part)
    if not callable(value):
        raise UsageError(f"--responder {spec!r} is not a function.")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m llmkit.testing")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the fake provider server in the foreground")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port to bind (default 0: a free one)")
    serve.add_argument(
        "--responder",
        metavar="MODULE:FUNCTION",
        help="a Request -> turn function answering every chat request (default: built-in)",
    )
    serve.add_argument(
        "--api-key", metavar="KEY", help="accept only this Bearer key (default: any key)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m llmkit.testing``."""
    args = _parser().parse_args(argv)
    from llmkit.testing._responder import default_responder
    from llmkit.testing.server import FakeProviderServer

    responder = load_responder(args.responder) if args.responder else default_responder
    server = FakeProviderServer(
        responder, api_key=args.api_key, record=False, host=args.host, port=args.port
    )

    def announce(url: str) -> None:
        print(f"llmkit fake server listening on {url}", flush=True)

    # uvicorn handles SIGINT itself; a second Ctrl-C may still land here.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(ready=announce)
    return 0


if __name__ == "__main__":
    sys.exit(main())
