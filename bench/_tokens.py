"""Counting tokens and trimming a long history: llmkit against raw tiktoken (the floor).

    python -m bench._tokens            # 7 repetitions per variant
    python -m bench._tokens --quick    # 3 repetitions, fewer trims

Everything runs in this process; each repetition is timed with
``time.process_time`` (CPU of this process only) and the figure is the median
over repetitions.

- **count 1 MB**: about 1 MB of mixed text (the multilingual corpus of
  ``tests/memory/corpus.txt`` repeated). The floor is tiktoken's
  ``encode_ordinary`` on the same ``o200k_base`` encoding;
  ``count_tokens("openai/gpt-4.1-mini", text)`` must stay close to it. The
  calibrated estimate (any model without a known encoding) is shown beside.
- **trim 1,000 messages**: a 1,000-message history (user questions, assistant
  answers with tool calls and results) trimmed to an 8,000-token budget. The
  floor counts every message's text with raw tiktoken and drops messages from
  the front; llmkit is ``ConversationMemory.before_model`` on the same
  request, *cold* (every text new to the counter, as for a history it never
  saw) and *warm* (the same history again, as at every later model call of a run).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench._machine import load_average
from bench._stats import median

__all__ = ["VARIANTS", "main", "measure"]

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "memory" / "corpus.txt"
MODEL = "openai/gpt-4.1-mini"
BUDGET = 8_000
MESSAGES = 1_000

VARIANTS: tuple[str, ...] = (
    "count 1 MB: floor (tiktoken encode_ordinary)",
    "count 1 MB: llmkit count_tokens",
    "count 1 MB: llmkit estimate (no known encoding)",
    "trim 1,000 messages: floor (tiktoken, drop from the front)",
    "trim 1,000 messages: llmkit ConversationMemory, cold",
    "trim 1,000 messages: llmkit ConversationMemory, warm",
)
"""The variants, in report order."""


def _text() -> str:
    corpus = CORPUS.read_text(encoding="utf-8")
    return (corpus * (1_000_000 // len(corpus.encode()) + 1))[:1_000_000]


def _history(tag: int) -> list[Any]:
    """A 1,000-message history whose texts carry ``tag`` (so a new tag means new texts)."""
    from llmkit.types import Message, ToolCall, ToolResult

    out: list[Any] = []
    i = 0
    while len(out) < MESSAGES - 1:
        out.append(
            Message.user(f"[{tag}] Question {i}: what about the harbour and its boats today?")
        )
        call = ToolCall(f"c{tag}_{i}", "weather", {"town": i})
        out.append(Message.assistant(tool_calls=[call]))
        out.append(Message.tool(ToolResult(call.id, f"[{tag}] sunny and mild, wind {i} knots")))
        out.append(Message.assistant(f"[{tag}] It is sunny in town {i}; the boats are out early."))
        i += 1
    out.append(Message.user(f"[{tag}] And tomorrow?"))
    return out[:MESSAGES]


def _trim_floor(encode: Callable[[str], list[int]]) -> Callable[[list[Any]], object]:
    def trim(messages: list[Any]) -> object:
        counts = [
            4 + sum(len(encode(getattr(p, "text", "") or "")) for p in m.parts) for m in messages
        ]
        total, start = sum(counts), 0
        while total > BUDGET and start < len(messages) - 1:
            total -= counts[start]
            start += 1
        return messages[start:]

    return trim


def measure(*, repetitions: int, trims: int) -> dict[str, float]:
    """Milliseconds of CPU per operation, the median over ``repetitions``."""
    from llmkit._hooks.base import HookContext
    from llmkit.context import RunContext
    from llmkit.memory import ConversationMemory, count_tokens
    from llmkit.memory._tokens_estimate import estimate_text_tokens
    from llmkit.memory._tokens_load import load_encoding
    from llmkit.testing import ScriptedModel
    from llmkit.types import Request

    encode = load_encoding("o200k_base").encode_ordinary
    text = _text()
    memory = ConversationMemory(max_tokens=BUDGET)
    model = ScriptedModel([], model_id="gpt-4.1-mini")
    model.provider = "openai"  # counted as the OpenAI model it stands for
    ctx = HookContext("model", RunContext(deps=None), model=model)
    floor_trim = _trim_floor(encode)
    loop = asyncio.new_event_loop()

    def trim(request: Any) -> object:
        out = loop.run_until_complete(memory.before_model(ctx, request))
        if out is None or len(out.messages) >= MESSAGES:
            raise RuntimeError("the history was not trimmed")
        return out

    def timed(fn: Callable[[], object], loops: int) -> float:
        fn()  # warm-up: imports, first-call paths
        samples = []
        for _ in range(repetitions):
            start = time.process_time()
            for _ in range(loops):
                fn()
            samples.append((time.process_time() - start) / loops * 1e3)
        return median(samples)

    def cold() -> float:
        samples = []
        for rep in range(repetitions):
            requests = [Request(_history(rep * trims + i)) for i in range(trims)]
            start = time.process_time()
            for request in requests:
                trim(request)
            samples.append((time.process_time() - start) / trims * 1e3)
        return median(samples)

    warm = Request(_history(-1))
    try:
        return {
            VARIANTS[0]: timed(lambda: len(encode(text)), 1),
            VARIANTS[1]: timed(lambda: count_tokens(MODEL, text), 1),
            VARIANTS[2]: timed(lambda: estimate_text_tokens(text), 1),
            VARIANTS[3]: timed(lambda: floor_trim(warm.messages), trims),
            VARIANTS[4]: cold(),
            VARIANTS[5]: timed(lambda: trim(warm), trims),
        }
    finally:
        loop.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every variant and print a table with the load average."""
    parser = argparse.ArgumentParser(prog="python -m bench._tokens", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="3 repetitions, 5 trims each")
    args = parser.parse_args(argv)
    repetitions, trims = (3, 5) if args.quick else (7, 20)
    before = load_average()
    results = measure(repetitions=repetitions, trims=trims)
    after = load_average()
    print(f"Counting tokens and trimming, CPU per operation ({repetitions} repetitions)")
    print(f"load average: {before} at the start, {after} at the end\n")
    print("| variant | ms | vs its floor |\n|---|---|---|")
    for name in VARIANTS:
        case = name.split(":")[0]
        floor = next((v for k, v in results.items() if k.startswith(f"{case}: floor")), None)
        ratio = f"{results[name] / floor:.2f}x" if floor and "floor" not in name else "-"
        print(f"| {name} | {results[name]:.3f} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
