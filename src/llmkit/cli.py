"""The ``llmkit`` command (also ``python -m llmkit``).

::

    llmkit prompt "Say hi" -m openai/gpt-4.1-mini   # one answer, streamed (--fake: offline)
    llmkit chat -m anthropic/claude-sonnet-4-5      # a conversation, one line per message
    llmkit models                 # known models per provider, with prices where known
    llmkit models --provider ollama   # the models a running Ollama has
    llmkit replay run.jsonl --speed 0   # a recorded run (llmkit.record) as a readable trace
    llmkit eval set.yaml --model openai/gpt-4.1-mini   # an evaluation set, scored
    llmkit workflow run app.py:flow --input '{"topic": "tides"}'   # a workflow, live progress
    llmkit runs list --store runs.db   # the runs a durable store holds (show, delete, resume)
    llmkit serve app.py:agent --port 8000   # agents over HTTP (OpenAI-compatible, runs, sessions)
    llmkit ui app.py:agent        # a web page: chat, live runs, approvals, recordings (--recordings DIR)
    llmkit memory add kb.db docs/ --embedder local   # files into a vector store; search, stats
    llmkit script run research.lua -p topic=tides --timeout 30s   # a Lua script; repl, test
    llmkit mcp serve app.py:tools --http --port 8000   # tools and agents to MCP clients
    llmkit rpc app.py:agent       # JSON-RPC 2.0 over stdio: run, stream, approve, sessions
    llmkit batch app.py:agent inputs.jsonl --out results.jsonl   # many runs, resumable
    llmkit --version

Every subcommand exits with a status from one table, :class:`ExitCode`
(``llmkit --help`` lists it). Bare ``llmkit`` prints the help and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any, NoReturn

from llmkit._cli.codes import ExitCode, error_line, exit_code_for
from llmkit._version import __version__
from llmkit.errors import LLMKitError, UsageError

__all__ = ["ExitCode", "main"]

# Subcommands that live with their feature: "module:function", where the function
# takes the subparsers object and adds its command (with ``set_defaults(run=...)``).
# Their ``run`` returns an ExitCode, or raises a typed error that exit_code_for maps.
_PLUGGED_COMMANDS: tuple[str, ...] = (
    "llmkit._cli.prompt:add_command",
    "llmkit._cli.chat:add_command",
    "llmkit._cli.prompts:add_command",
    "llmkit._recording.trace:add_replay_command",
    "llmkit.eval._cli:add_command",
    "llmkit._cli.workflow:add_command",
    "llmkit._cli.runs:add_command",
    "llmkit._cli.serve:add_command",
    "llmkit._cli.ui:add_command",
    "llmkit._cli.memory:add_command",
    "llmkit._cli.script:add_command",
    "llmkit._cli.mcp_serve:add_command",
    "llmkit._cli.rpc:add_command",
    "llmkit._cli.batch:add_command",
    "llmkit._cli.capi:add_command",
)

# Providers whose running server can be asked for its models: name -> "module:function".
_LIVE_LISTERS: dict[str, str] = {"ollama": "llmkit.providers.ollama:OllamaModel.list_models_sync"}


def _models(args: argparse.Namespace) -> int:
    from llmkit.providers import known_providers
    from llmkit.providers._prices import PRICES, PRICES_DATE, price_of

    providers = [args.provider] if args.provider else known_providers()
    unknown = [p for p in providers if p not in known_providers()]
    if unknown:
        raise UsageError(f"Unknown provider {unknown[0]!r}; known: {', '.join(known_providers())}.")
    for provider in providers:
        lister = _LIVE_LISTERS.get(provider)
        if lister is not None and args.provider:
            names = _call(lister)()
            print(f"{provider} (running server):")
            for name in names:
                print(f"  {provider}/{name}")
            continue
        table = PRICES.get(provider, {})
        if not table:
            if args.provider:
                print(f"{provider}: any model id the service offers (llmkit has no list for it).")
            continue
        print(f"{provider} (USD per 1M tokens in/out, prices of {PRICES_DATE}):")
        for model_id in sorted(table):
            price = price_of(provider, model_id)
            cost = f"{price.input:g} / {price.output:g}" if price else "?"
            print(f"  {provider}/{model_id:<28} {cost}")
    if not args.provider:
        others = [p for p in known_providers() if p not in PRICES]
        print(f"Also: {', '.join(others)} (any model id the service offers).")
    return ExitCode.OK


def _call(spec: str) -> Callable[[], list[str]]:
    module, _, path = spec.partition(":")
    value: Any = import_module(module)
    for name in path.split("."):
        value = getattr(value, name)
    fn: Callable[[], list[str]] = value  # the lister the table names, not checked at run time
    return fn


def _version(args: argparse.Namespace) -> int:
    print(f"llmkit {__version__}")
    return ExitCode.OK


class _Parser(argparse.ArgumentParser):
    """argparse, exiting with the table's usage status (subcommand parsers are of this class too)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def _exit_statuses() -> str:
    rows = [f"  {code.value:<4} {(code.__doc__ or '').strip()}" for code in ExitCode]
    return "exit statuses (every command):\n" + "\n".join(rows)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="llmkit",
        description="llmkit command-line tools.",
        epilog=_exit_statuses(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"llmkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    models = commands.add_parser("models", help="list known models per provider")
    models.add_argument(
        "--provider", help="only this provider (a running Ollama is asked for its models)"
    )
    models.set_defaults(run=_models)
    version = commands.add_parser("version", help="print the llmkit version")
    version.set_defaults(run=_version)
    for spec in _PLUGGED_COMMANDS:
        module, _, name = spec.partition(":")
        getattr(import_module(module), name)(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``llmkit`` command with ``argv`` (default: the process arguments); its exit status.

    Errors are printed as one line on stderr (no traceback) and give the
    status :func:`~llmkit._cli.codes.exit_code_for` assigns; Ctrl-C gives 130.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version, or a command-line mistake argparse reported
        return done.code if isinstance(done.code, int) else ExitCode.USAGE
    if args.command is None:
        parser.print_help()
        return ExitCode.OK
    try:
        code = int(args.run(args))
        sys.stdout.flush()  # here, so a reader that went away is handled below
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # Whoever read our output has gone (| head): stop quietly.
        _silence_stdout()
        return ExitCode.FAILURE
    except (LLMKitError, OSError) as exc:
        print(error_line(exc), file=sys.stderr, flush=True)
        return exit_code_for(exc)
    return code


def _silence_stdout() -> None:
    """Point stdout at the null device, so Python's last flush into a closed pipe stays quiet."""
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
