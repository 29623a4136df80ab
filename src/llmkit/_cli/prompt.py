"""``llmkit prompt "text" -m provider/model``: one prompt, the answer streamed to stdout.

The prompt is the words given; with none, it is read from stdin. When stdin
is piped and words are given too, the prompt is the piped text, a blank
line, then the words (``git diff | llmkit prompt "review this"``).
``--json`` prints the run's result (``RunResult.to_dict()``) as one line of
JSON instead of streaming the text.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

from llmkit._cli.codes import ExitCode
from llmkit._cli.session import (
    add_session_options,
    is_tty,
    open_agent,
    print_usage,
    stream_answer,
)
from llmkit.errors import UsageError

__all__ = ["add_command", "read_prompt"]


def read_prompt(words: list[str], stdin: IO[str] | None) -> str:
    """The prompt from the words given and stdin (read when no words, or when it is piped)."""
    text = " ".join(words).strip()
    piped = ""
    if stdin is not None and (not text or not is_tty(stdin)):
        piped = stdin.read().strip()
    prompt = "\n\n".join(part for part in (piped, text) if part)
    if not prompt:
        raise UsageError(
            'The prompt is empty: give it as words (llmkit prompt "Hello") or on stdin.'
        )
    return prompt


def add_command(commands: Any) -> None:
    """Add ``llmkit prompt`` to the ``llmkit`` command's subparsers."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "prompt",
        help="send one prompt to a model and stream the answer",
        description=(
            "Send one prompt and stream the answer to stdout. Without words the prompt is "
            "read from stdin; piped text and words are sent together (piped text first)."
        ),
    )
    parser.add_argument("words", nargs="*", metavar="TEXT", help="the prompt")
    add_session_options(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the run's result (output, usage, messages …) as one line of JSON",
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    with open_agent(args) as agent:
        prompt = read_prompt(args.words, sys.stdin)
        if args.json:
            result = agent.run_sync(prompt)
            print(json.dumps(result.to_dict(), ensure_ascii=False), flush=True)
        else:
            result = stream_answer(agent, prompt)
    if args.usage:
        print_usage(result.usage)
    return ExitCode.OK
