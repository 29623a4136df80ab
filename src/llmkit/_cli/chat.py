"""``llmkit chat -m provider/model``: a conversation, one line of input per turn.

Each answer sees the whole conversation so far. Lines come from the
terminal (with line editing) or from a pipe, one message per line; a line
starting with ``/`` is a command (:data:`COMMANDS`). End of input ends the
chat.

A turn that fails at run time (a provider error, a timeout) is reported on
stderr and leaves the conversation as it was, so the message can be sent
again; the chat then ends with that failure's status unless a later turn
succeeds. Any other error (no API key, a missing extra) ends the chat at once.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import IO, TYPE_CHECKING, Any

from llmkit._cli.codes import ExitCode, error_line, exit_code_for
from llmkit._cli.session import (
    add_session_options,
    is_tty,
    open_agent,
    print_usage,
    stream_answer,
)
from llmkit.errors import LLMKitError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from llmkit.types import Message

__all__ = ["COMMANDS", "add_command"]

COMMANDS: dict[str, str] = {
    "/exit": "end the chat (so do /quit and the end of input, Ctrl-D)",
    "/reset": "forget the conversation so far and start again",
    "/help": "list these commands",
}
"""The chat's commands and what each does."""

_QUIT = ("/exit", "/quit")
_RUNTIME_FAILURES = (ExitCode.FAILURE, ExitCode.TIMEOUT)


def add_command(commands: Any) -> None:
    """Add ``llmkit chat`` to the ``llmkit`` command's subparsers."""
    listed = "\n".join(f"  {name:<8} {what}" for name, what in COMMANDS.items())
    parser: argparse.ArgumentParser = commands.add_parser(
        "chat",
        help="talk with a model, one line per message, keeping the conversation",
        description=(
            "Talk with a model: each line you type (or pipe in) is a message, and every "
            "answer sees the conversation so far. End of input ends the chat."
        ),
        epilog=f"commands in the chat:\n{listed}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_session_options(parser)
    parser.set_defaults(run=_run)


def _lines(stdin: IO[str], interactive: bool) -> Iterator[str]:
    if not interactive:
        while line := stdin.readline():
            yield line.rstrip("\r\n")
        return
    with contextlib.suppress(ImportError):  # not on Windows
        import readline  # noqa: F401  (line editing and history for input())
    while True:
        try:
            yield input("> ")
        except EOFError:
            print(file=sys.stderr)
            return


def _run(args: argparse.Namespace) -> int:
    stdin = sys.stdin
    interactive = is_tty(stdin) and is_tty(sys.stdout)
    history: list[Message] = []
    status = ExitCode.OK
    with open_agent(args) as agent:
        if interactive:
            name = getattr(agent.model, "name", agent.model)
            print(f"Chatting with {name}. /help lists the commands; /exit ends.", file=sys.stderr)
        for line in _lines(stdin, interactive):
            text = line.strip()
            if not text:
                continue
            if text.startswith("/"):
                command = text.split()[0].lower()
                if command in _QUIT:
                    break
                _command(command, history)
                continue
            try:
                result = stream_answer(agent, text, history=history)
            except LLMKitError as exc:
                code = exit_code_for(exc)
                if code not in _RUNTIME_FAILURES:
                    raise
                print(error_line(exc), file=sys.stderr, flush=True)
                status = code
                continue
            status = ExitCode.OK
            history = list(result.messages)
            if args.usage:
                print_usage(result.usage)
    return status


def _command(command: str, history: list[Message]) -> None:
    if command == "/reset":
        history.clear()
        print("(the conversation starts again)", file=sys.stderr, flush=True)
    elif command == "/help":
        for name, what in COMMANDS.items():
            print(f"{name:<8} {what}", file=sys.stderr)
    else:
        print(f"Unknown command {command}; /help lists the commands.", file=sys.stderr)
