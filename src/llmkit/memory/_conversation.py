"""Conversation memory: what reaches the model fits a token budget; the run's history stays whole.

:class:`ConversationMemory` is a hook: before each model call it rewrites the
request's messages to fit ``max_tokens`` (counted with
:func:`~llmkit.memory.count_tokens` for the model being called), by dropping
the oldest turns or, with ``summarize_with``, replacing them by a summary.

What always holds:

- only the request sent to the model changes: a new request is returned, the
  run's messages (``result.messages``, ``message_history``) are never touched;
- system messages (the instructions, passages a knowledge hook added) are
  always kept, in place, and counted; so are the tool definitions;
- turns are dropped whole, oldest first. A turn is a user message and every
  message after it up to the next user message: a tool call is never sent
  without its result, a reasoning part never without the answer it belongs
  to, and the kept conversation starts with a user message, as providers
  require (Gemini checks the thought signatures of the current turn's calls);
- kept always: the last turn, every turn holding one of the last ``keep_last``
  messages, every turn holding a message ``pin`` says to keep;
- a summary replaces a prefix of the droppable turns, is itself counted, and
  is cached by a digest of the messages it summarises, so later model calls of
  the run reuse it instead of calling the summariser again; a summariser that
  fails leaves whole turns dropped (``on_summary_error="trim"``) or stops the
  call (``"raise"``), never a half-summarised history; a summary that does not
  fit the budget is neither sent nor cached: whole turns are dropped instead;
- the token counter of a model is built (its encoding loaded) in a worker
  thread, never on the event loop;
- when what must be kept is still over the budget it is sent as it is and the
  ``llmkit.memory`` logger says so once per memory (``on_overflow="keep"``),
  or the model call fails with a :class:`~llmkit.errors.UsageError`
  (``"raise"``), reported by the hook chain as a ``HookError``;
- one memory may serve many runs, threads and tasks at once: its only shared
  state (the summary cache, the resolved summariser, the overflow warning) is
  guarded by a lock.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from llmkit._hooks.base import Hook, HookContext
from llmkit._json import dumps
from llmkit.errors import UsageError
from llmkit.memory._tokens import REPLY_PRIMING, TokenCounter, built_counter, counter_for
from llmkit.memory._windows import context_window
from llmkit.types import Message, Request, TextPart, ToolCall, ToolResult

if TYPE_CHECKING:
    from llmkit.providers.base import Model

__all__ = ["ConversationMemory"]

logger = logging.getLogger("llmkit.memory")

WINDOW_SHARE = 0.75
"""Share of the model's context window used as the budget when ``max_tokens`` is not given."""
SUMMARY_PREFIX = "Summary of the earlier conversation:\n"
SUMMARY_INSTRUCTIONS = (
    "You condense conversations. Summarise the conversation below for the assistant who will "
    "continue it: keep names, facts, decisions, numbers, open questions and what the user "
    "wants; drop pleasantries. Write plain prose, at most {words} words."
)
_CACHE_SIZE = 256


@dataclass(frozen=True, slots=True)
class _Layout:
    """A conversation split for trimming: fixed cost, turns, their costs, which are protected."""

    fixed: int
    """Tokens always sent: system messages, tool definitions, the reply's priming."""
    turns: list[list[int]]
    """Indexes of the non-system messages, grouped by turn, oldest first."""
    costs: list[int]
    protected: list[bool]

    @property
    def total(self) -> int:
        return self.fixed + sum(self.costs)


class ConversationMemory(Hook):
    """A hook that fits what reaches the model into a token budget, trimming or summarising.

    ::

        memory = ConversationMemory(max_tokens=8_000, keep_last=6)
        agent = Agent("openai/gpt-4.1-mini", memory=memory)   # or hooks=[memory]

    - ``max_tokens``: the budget for the request (messages and tool definitions);
      default: 3/4 of the model's context window (:func:`~llmkit.memory.context_window`),
      a :class:`~llmkit.errors.UsageError` at the first call when that is unknown; for an
      Ollama model, 3/4 of the request's ``num_ctx`` option (what Ollama serves), an
      error when it is not set;
    - ``keep_last``: the last messages always kept (with the rest of their turns);
    - ``pin``: ``pin(message) -> bool``; a turn holding a pinned message is always kept;
    - ``summarize_with``: a model (or model string) that summarises the oldest turns
      once the conversation exceeds ``summarize_at`` tokens (default: the budget; no
      more than ``max_tokens``);
      the newest turns that fit half of that are kept as they are, the summary is
      reused while it and the turns after it stay under it;
    - ``on_summary_error``: ``"trim"`` (drop whole turns instead) or ``"raise"``;
    - ``on_overflow``: ``"keep"`` (send what must be kept, WARNING once) or ``"raise"``.

    ``priority`` is 10: it runs inside observers, guardrails and a knowledge hook
    (priority 20), so the passages such a hook adds are counted and kept.
    """

    priority: int = 10
    """Runs inside (after) hooks of higher priority, such as knowledge retrieval (20)."""

    def __init__(
        self,
        *,
        max_tokens: int | None = None,
        keep_last: int = 0,
        pin: Callable[[Message], bool] | None = None,
        summarize_with: str | Model | None = None,
        summarize_at: int | None = None,
        on_summary_error: Literal["trim", "raise"] = "trim",
        on_overflow: Literal["keep", "raise"] = "keep",
    ) -> None:
        _positive("max_tokens", max_tokens)
        _positive("summarize_at", summarize_at)
        if type(keep_last) is not int or keep_last < 0:
            raise UsageError(
                f"ConversationMemory(keep_last=...) takes 0 or more messages, not {keep_last!r}."
            )
        if pin is not None and not callable(pin):
            raise UsageError(
                "ConversationMemory(pin=...) takes a function of a Message that returns True "
                f"to keep it, e.g. pin=lambda m: m.name == 'facts', not {type(pin).__name__}."
            )
        if not isinstance(summarize_with, str | None) and not callable(
            getattr(summarize_with, "generate", None)
        ):
            raise UsageError(
                "ConversationMemory(summarize_with=...) takes a model string such as "
                f"'openai/gpt-4.1-mini' or a Model, not {type(summarize_with).__name__}."
            )
        if summarize_at is not None and summarize_with is None:
            raise UsageError(
                "ConversationMemory(summarize_at=...) needs summarize_with=<a model> too."
            )
        if summarize_at is not None and max_tokens is not None and summarize_at > max_tokens:
            raise UsageError(
                f"ConversationMemory(summarize_at={summarize_at}) is over max_tokens="
                f"{max_tokens}: summarising starts at most at the budget; pass a summarize_at "
                "of max_tokens or less."
            )
        if on_summary_error not in ("trim", "raise"):
            raise UsageError(
                f"ConversationMemory(on_summary_error={on_summary_error!r}): use 'trim' or 'raise'."
            )
        if on_overflow not in ("keep", "raise"):
            raise UsageError(
                f"ConversationMemory(on_overflow={on_overflow!r}): use 'keep' or 'raise'."
            )
        self.max_tokens = max_tokens
        self.keep_last = keep_last
        self.pin = pin
        self.summarize_at = summarize_at
        self.on_summary_error = on_summary_error
        self.on_overflow = on_overflow
        self._summarizer_spec = summarize_with
        self._summarizer: Model | None = None
        self._lock = threading.Lock()
        self._summaries: dict[str, str] = {}
        self._warned_overflow = False

    def __repr__(self) -> str:
        return (
            f"ConversationMemory(max_tokens={self.max_tokens!r}, keep_last={self.keep_last!r}, "
            f"summarize={self._summarizer_spec is not None})"
        )

    # ------------------------------------------------------------------ the hook

    async def before_model(self, ctx: HookContext, request: Request) -> Request | None:
        """Fit ``request`` into the budget: a new request with fewer messages, or None (it fits)."""
        model = ctx.model
        name: str | Model = model if model is not None else "unknown/model"
        counter = built_counter(name)
        if counter is None:
            # Loading an encoding (o200k_base) takes a noticeable fraction of a second.
            counter = await asyncio.to_thread(counter_for, name)
        budget = self._budget(model, request)
        layout = self._layout(request, counter)
        threshold = self.summarize_at or budget
        if self._summarizer_spec is None or layout.total <= threshold:
            if layout.total <= budget:
                return None
            return self._trimmed(request, layout, budget)
        return await self._summarized(request, layout, budget, min(budget, threshold), counter)

    # ------------------------------------------------------------------ planning

    def _budget(self, model: Model | None, request: Request) -> int:
        if self.max_tokens is not None:
            return self.max_tokens
        if model is not None and model.name.startswith("ollama/"):
            # Ollama serves num_ctx tokens (2048 or 4096 unless set), not the model card's
            # window, and silently cuts a longer prompt: only num_ctx is a true budget.
            options = request.extra.get("options")
            num_ctx = options.get("num_ctx") if isinstance(options, dict) else None
            if type(num_ctx) is not int or num_ctx < 1:
                raise UsageError(
                    f"ConversationMemory cannot size its budget for {model.name}: Ollama serves "
                    "a context of num_ctx tokens (2048 or 4096 unless set, whatever the model "
                    "card says) and cuts longer prompts silently. Pass "
                    "ConversationMemory(max_tokens=...), or set num_ctx with "
                    "model_settings={'extra': {'options': {'num_ctx': 8192}}}."
                )
            return int(num_ctx * WINDOW_SHARE)
        window = context_window(model) if model is not None else None
        if window is None:
            name = model.name if model is not None else "this model"
            raise UsageError(
                f"ConversationMemory does not know the context window of {name}: "
                "pass ConversationMemory(max_tokens=...)."
            )
        return int(window * WINDOW_SHARE)

    def _layout(self, request: Request, counter: TokenCounter) -> _Layout:
        messages = request.messages
        fixed = REPLY_PRIMING + (counter.tools(request.tools) if request.tools else 0)
        turns: list[list[int]] = []
        costs: list[int] = []
        pinned: list[bool] = []
        pin = self.pin
        for index, message in enumerate(messages):
            cost = counter.message(message)
            if message.role == "system":
                fixed += cost
                continue
            if message.role == "user" or not turns:
                turns.append([])
                costs.append(0)
                pinned.append(False)
            turns[-1].append(index)
            costs[-1] += cost
            if pin is not None and not pinned[-1] and pin(message):
                pinned[-1] = True
        protected = pinned
        if turns:
            protected[-1] = True
            left = self.keep_last
            for t in range(len(turns) - 1, -1, -1):
                if left <= 0:
                    break
                protected[t] = True
                left -= len(turns[t])
        return _Layout(fixed, turns, costs, protected)

    def _drop(self, layout: _Layout, target: int, skip: int = 0) -> tuple[list[int], int]:
        """Drop unprotected turns oldest first (past the first ``skip`` of them) to ``target``.

        Returns the turns dropped and the tokens left.
        """
        total = layout.total
        dropped: list[int] = []
        seen = 0
        for t, cost in enumerate(layout.costs):
            if total <= target:
                break
            if layout.protected[t]:
                continue
            seen += 1
            if seen <= skip:
                continue
            dropped.append(t)
            total -= cost
        return dropped, total

    def _overflow(self, total: int, budget: int) -> None:
        if self.on_overflow == "raise":
            raise UsageError(
                f"The messages ConversationMemory must keep need {total} tokens, over its budget "
                f"of {budget}: raise max_tokens, lower keep_last or pin fewer messages, or "
                "shorten the last message."
            )
        with self._lock:
            warned, self._warned_overflow = self._warned_overflow, True
        if not warned:
            logger.warning(
                "ConversationMemory kept %d tokens, over its budget of %d: the last turn, "
                "pinned turns and the last keep_last messages are always sent (said once).",
                total,
                budget,
            )

    def _trimmed(self, request: Request, layout: _Layout, budget: int) -> Request:
        dropped, total = self._drop(layout, budget)
        if total > budget:
            self._overflow(total, budget)
        return _rebuilt(request, layout, dropped, None)

    # ------------------------------------------------------------------ summarising

    async def _summarized(
        self, request: Request, layout: _Layout, budget: int, threshold: int, counter: TokenCounter
    ) -> Request | None:
        candidates = [t for t, kept in enumerate(layout.protected) if not kept]
        if not candidates:
            if layout.total > budget:
                self._overflow(layout.total, budget)
            return None
        digests = _prefix_digests(request.messages, layout, candidates)
        cached = self._cached(digests)
        if cached is not None:
            count, summary = cached
            cost = counter.message(_summary_message(summary))
            rest = layout.total - sum(layout.costs[t] for t in candidates[:count])
            if rest + cost <= threshold:
                return _rebuilt(request, layout, candidates[:count], summary)
        dropped, _ = self._drop(layout, threshold // 2)
        if not dropped:
            return None if layout.total <= budget else self._trimmed(request, layout, budget)
        count = len(dropped)
        previous = None
        start = 0
        if cached is not None and cached[0] <= count:
            start, previous = cached
        old = [request.messages[i] for t in candidates[start:count] for i in layout.turns[t]]
        try:
            summary = await self._summarize(previous, old, budget)
        except Exception as exc:
            if self.on_summary_error == "raise":
                raise
            logger.warning(
                "ConversationMemory could not summarise (%s: %s); dropping whole turns instead.",
                type(exc).__name__,
                exc,
            )
            return self._trimmed(request, layout, budget)
        cost = counter.message(_summary_message(summary))
        rest = layout.total - sum(layout.costs[t] for t in dropped)
        if rest + cost > budget:
            # A summary longer than its word limit: not cached, and whole turns are dropped.
            logger.warning(
                "ConversationMemory got a summary of %d tokens that does not fit the budget "
                "of %d with what must be kept; dropping whole turns instead.",
                cost,
                budget,
            )
            return self._trimmed(request, layout, budget)
        self._remember(digests[count - 1], summary)
        return _rebuilt(request, layout, dropped, summary)

    def _cached(self, digests: list[str]) -> tuple[int, str] | None:
        """The longest summarised prefix: (its number of turns, its summary), or None."""
        with self._lock:
            for count in range(len(digests), 0, -1):
                found = self._summaries.get(digests[count - 1])
                if found is not None:
                    return count, found
        return None

    def _remember(self, digest: str, summary: str) -> None:
        with self._lock:
            if len(self._summaries) >= _CACHE_SIZE:
                self._summaries.pop(next(iter(self._summaries)))
            self._summaries[digest] = summary

    def _model(self) -> Model:
        with self._lock:
            if self._summarizer is None:
                spec = self._summarizer_spec
                if isinstance(spec, str):
                    from llmkit.providers import model as resolve

                    self._summarizer = resolve(spec)
                else:
                    assert spec is not None  # only called when summarising
                    self._summarizer = spec
            return self._summarizer

    async def _summarize(self, previous: str | None, messages: list[Message], budget: int) -> str:
        words = max(50, min(600, budget // 8))
        transcript = _transcript(previous, messages)
        request = Request(
            [
                Message.system(SUMMARY_INSTRUCTIONS.format(words=words)),
                Message.user(transcript),
            ],
            max_tokens=max(64, min(2000, budget // 4)),
        )
        response = await self._model().generate(request)
        text = response.text.strip()
        if not text:
            raise UsageError("The summariser answered with no text.")
        return text


def _positive(name: str, value: Any) -> None:
    if value is not None and (type(value) is not int or value < 1):
        raise UsageError(
            f"ConversationMemory({name}=...) takes a number of tokens (1 or more), not {value!r}."
        )


def _prefix_digests(
    messages: Sequence[Message], layout: _Layout, candidates: list[int]
) -> list[str]:
    """For each k, a digest of the messages of the first k droppable turns (k = 1..n)."""
    digest = hashlib.sha256()
    out: list[str] = []
    for t in candidates:
        for index in layout.turns[t]:
            digest.update(dumps(messages[index].to_dict()).encode())
            digest.update(b"\n")
        out.append(digest.copy().hexdigest())
    return out


def _summary_message(summary: str) -> Message:
    return Message.system(SUMMARY_PREFIX + summary)


def _rebuilt(request: Request, layout: _Layout, dropped: list[int], summary: str | None) -> Request:
    """``request`` with the ``dropped`` turns left out and the summary, if any, in their place."""
    gone = {i for t in dropped for i in layout.turns[t]}
    messages = request.messages
    kept: list[Message] = []
    placed = summary is None
    for index, message in enumerate(messages):
        if index in gone:
            continue
        if not placed and message.role != "system":
            assert summary is not None
            kept.append(_summary_message(summary))
            placed = True
        kept.append(message)
    return replace(request, messages=kept)


def _transcript(previous: str | None, messages: list[Message]) -> str:
    lines: list[str] = []
    if previous:
        lines.append(f"(Summary of what came before: {previous})")
    for message in messages:
        for part in message.parts:
            if isinstance(part, TextPart):
                lines.append(f"{message.role}: {part.text}")
            elif isinstance(part, ToolCall):
                lines.append(f"{message.role} called {part.name}({dumps(part.arguments)})")
            elif isinstance(part, ToolResult):
                lines.append(f"tool result: {part.text}")
    return "\n".join(lines)
