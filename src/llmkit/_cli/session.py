"""What ``llmkit prompt`` and ``llmkit chat`` share: their options, the agent, the streamed answer.

The model comes from ``-m provider/model``, else from ``$LLMKIT_MODEL``;
``--fake`` starts llmkit's fake provider server in this process and points
the model at it, so both commands work offline. Answers stream to stdout as
they arrive; usage (``--usage``) and errors go to stderr, so stdout holds
only what the model said.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import IO, TYPE_CHECKING, Any

from llmkit._plural import plural
from llmkit.errors import ConfigurationError

if TYPE_CHECKING:
    from llmkit.agent import Agent
    from llmkit.run import RunResult
    from llmkit.types import Message, Usage

__all__ = [
    "FAKE_MODEL",
    "MODEL_ENV",
    "add_session_options",
    "is_tty",
    "open_agent",
    "print_usage",
    "stream_answer",
]

MODEL_ENV = "LLMKIT_MODEL"
"""The environment variable naming the default model (``provider/model``)."""

FAKE_MODEL = "openai/gpt-4.1-mini"
"""The model ``--fake`` plays when none is named."""


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"takes a positive number of seconds, not {text!r}")
    return value


def is_tty(stream: IO[str] | None) -> bool:
    """Whether ``stream`` is a terminal (False for pipes, files, and no stream at all)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if isatty is not None else False


def add_session_options(parser: argparse.ArgumentParser) -> None:
    """Add the options every conversation command takes (model, instructions, fake, usage)."""
    parser.add_argument(
        "-m",
        "--model",
        metavar="PROVIDER/MODEL",
        help=f"the model, e.g. openai/gpt-4.1-mini (default: ${MODEL_ENV})",
    )
    parser.add_argument(
        "-s", "--system", metavar="TEXT", help="instructions sent ahead of the conversation"
    )
    parser.add_argument(
        "--fake",
        action="store_true",
        help="answer offline from llmkit's fake provider server (needs llmkit[testing])",
    )
    parser.add_argument(
        "--usage", action="store_true", help="print tokens, model calls and cost to stderr"
    )
    parser.add_argument(
        "--timeout", type=_seconds, metavar="SECONDS", help="stop a run that takes longer"
    )


@contextmanager
def open_agent(args: argparse.Namespace) -> Iterator[Agent[str]]:
    """The agent the options describe (a fake server runs while the block does, with ``--fake``)."""
    from llmkit.agent import Agent

    name = args.model or os.environ.get(MODEL_ENV) or (FAKE_MODEL if args.fake else None)
    if not name:
        raise ConfigurationError(
            f"No model: pass -m provider/model (e.g. -m openai/gpt-4.1-mini) or set {MODEL_ENV}; "
            "add --fake to try it offline."
        )
    with ExitStack() as stack:
        if args.fake:
            # The server module checks for the testing extra (ConfigurationError naming it).
            from llmkit.testing._connect import named_fake_model
            from llmkit.testing._responder import default_responder
            from llmkit.testing.server import FakeProviderServer

            server = stack.enter_context(FakeProviderServer(default_responder, record=False))
            model: Any = named_fake_model(server, name)
        else:
            model = name
        yield Agent(model, name="llmkit", instructions=args.system, timeout=args.timeout)


def stream_answer(
    agent: Agent[str],
    text: str,
    *,
    history: Sequence[Message] = (),
    out: IO[str] | None = None,
) -> RunResult[str]:
    """Run ``agent`` on ``text`` after ``history``, writing the answer to ``out`` as it streams.

    The answer always ends with a newline on ``out``; a run that fails leaves
    what arrived on ``out`` (ended by a newline) and raises its error.
    """
    from llmkit.events import RunEnd, TextDelta

    stream = out if out is not None else sys.stdout
    written = ""
    result: RunResult[str] | None = None
    try:
        for event in agent.stream_sync(text, message_history=list(history)):
            if isinstance(event, TextDelta) and event.text:
                stream.write(event.text)
                stream.flush()
                written += event.text
            elif isinstance(event, RunEnd):
                result = event.result
    finally:
        if written and not written.endswith("\n"):
            stream.write("\n")
            stream.flush()
    if result is None:  # pragma: no cover - a stream always ends with RunEnd
        raise RuntimeError("the run ended without a result")
    if not written and result.output:
        stream.write(result.output if result.output.endswith("\n") else result.output + "\n")
        stream.flush()
    return result


def print_usage(usage: Usage, *, err: IO[str] | None = None) -> None:
    """One line on stderr: tokens in and out, model calls, and the cost when it is known."""
    cost = "cost unknown" if usage.cost is None else f"${usage.cost:.6f}"
    line = (
        f"usage: {plural(usage.input_tokens, 'input token')}, "
        f"{plural(usage.output_tokens, 'output token')}, "
        f"{plural(usage.requests, 'model call')}, {cost}"
    )
    print(line, file=err if err is not None else sys.stderr, flush=True)
