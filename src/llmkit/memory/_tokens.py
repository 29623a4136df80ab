"""Counting tokens: exact for OpenAI's encodings, a calibrated estimate for every other model.

:func:`count_tokens` takes a model (``"openai/gpt-4.1-mini"`` or a
:class:`~llmkit.providers.base.Model`) and text, a message, a list of
messages or a whole :class:`~llmkit.types.Request`.

What always holds:

- a model whose encoding is known (:mod:`llmkit.memory._encodings`: gpt-4o,
  gpt-4.1, gpt-5, the o-series -> ``o200k_base``; gpt-4, gpt-3.5 ->
  ``cl100k_base``) is counted exactly with tiktoken, offline (the encodings
  come from bundled files, see :mod:`llmkit.memory._tokens_load`);
- any other model gets the calibrated estimate of
  :mod:`llmkit.memory._tokens_estimate`, and the ``llmkit.memory`` logger says so
  with one WARNING per model per process, never one per call;
- messages are counted the way OpenAI counts chat messages: 3 tokens per
  message plus its role and content, 1 more plus the name's tokens when it has
  a name, 3 for the priming of the reply once per conversation. Tool calls
  count as their name and argument JSON plus 3; tool results as their text;
  reasoning as its text; media at a flat rate (an image 765, 85 at
  ``detail="low"``; a document 1,500; audio 500). A request adds its tool
  definitions, each as the JSON of its name, description and parameters;
- counting never changes what it counts, and is safe from several threads and
  tasks at once (the per-model counters and their text caches are built and
  filled under a lock; a cache is a bounded dict of texts up to 8,192 characters).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from llmkit._json import dumps
from llmkit.errors import UsageError
from llmkit.memory._encodings import encoding_for_model
from llmkit.memory._tokens_estimate import estimate_text_tokens
from llmkit.types import (
    AudioPart,
    DocumentPart,
    ImagePart,
    Message,
    ReasoningPart,
    Request,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from llmkit.providers.base import Model

__all__ = ["TokenCounter", "built_counter", "count_tokens", "counter_for"]

logger = logging.getLogger("llmkit.memory")

PER_MESSAGE = 3
"""Tokens every chat message costs besides its content (OpenAI's rule)."""
PER_NAME = 1
"""Extra tokens of a message that carries a participant name."""
REPLY_PRIMING = 3
"""Tokens of the assistant turn the model is primed to write, once per conversation."""
PER_TOOL_CALL = 3
"""Tokens a tool call costs besides its name and arguments."""

_IMAGE, _IMAGE_LOW, _DOCUMENT, _AUDIO = 765, 85, 1500, 500
_CACHE_SIZE = 8192
# Texts of these lengths are cached: a conversation is recounted at every model call of a run,
# and a lookup beats encoding again; a longer text costs more to keep than to hash and encode.
_CACHED_LENGTHS = range(1, 8193)

_lock = threading.Lock()
_counters: dict[str, TokenCounter] = {}
_warned: set[str] = set()


class TokenCounter:
    """Counts tokens for one model: exact when its encoding is known, else an estimate.

    Get one with :func:`counter_for`; it is shared by every caller for that model.
    """

    __slots__ = ("_cache", "_count", "_lock", "encoding", "model")

    def __init__(self, model: str, encoding: str | None) -> None:
        self.model = model
        """The model string the counter counts for."""
        self.encoding = encoding
        """The encoding name when counts are exact, None when they are estimates."""
        self._cache: dict[str, int] = {}
        self._lock = threading.Lock()
        if encoding is None:
            self._count: Callable[[str], int] = estimate_text_tokens
        else:
            from llmkit.memory._tokens_load import load_encoding

            encode = load_encoding(encoding).encode_ordinary
            self._count = lambda text: len(encode(text))

    @property
    def exact(self) -> bool:
        """True when counts are exact (the model's encoding is known)."""
        return self.encoding is not None

    def text(self, text: str) -> int:
        """The tokens of ``text``, as the model's tokenizer splits it."""
        if len(text) not in _CACHED_LENGTHS:
            return self._count(text) if text else 0
        found = self._cache.get(text)
        if found is None:
            found = self._count(text)
            with self._lock:
                if len(self._cache) >= _CACHE_SIZE:
                    self._cache.clear()
                self._cache[text] = found
        return found

    def message(self, message: Message) -> int:
        """The tokens of one chat message, overhead included (see the module docstring)."""
        text = self.text
        tokens = PER_MESSAGE + text(message.role)
        if message.name:
            tokens += PER_NAME + text(message.name)
        for part in message.parts:
            if type(part) is TextPart:
                tokens += text(part.text)
            elif isinstance(part, ToolCall):
                raw = part.raw_arguments
                arguments = raw if raw is not None else dumps(part.arguments)
                tokens += PER_TOOL_CALL + text(part.name) + text(arguments)
            elif isinstance(part, ToolResult):
                tokens += text(part.text)
                if not isinstance(part.content, str):
                    tokens += sum(_media(p) for p in part.content)
            elif isinstance(part, (ReasoningPart, TextPart)):
                tokens += text(part.text)
            else:
                tokens += _media(part)
        return tokens

    def messages(self, messages: Sequence[Message]) -> int:
        """The tokens of a conversation: every message, plus the priming of the reply."""
        return REPLY_PRIMING + sum(self.message(m) for m in messages)

    def tools(self, tools: Sequence[ToolSpec]) -> int:
        """The tokens of tool definitions, each as the JSON of its name, description, parameters."""
        return sum(
            self.text(
                dumps({"name": t.name, "description": t.description, "parameters": t.parameters})
            )
            for t in tools
        )

    def request(self, request: Request) -> int:
        """The tokens of a whole request: its conversation and its tool definitions."""
        return self.messages(request.messages) + self.tools(request.tools)


def _media(part: object) -> int:
    if isinstance(part, ImagePart):
        return _IMAGE_LOW if part.detail == "low" else _IMAGE
    if isinstance(part, DocumentPart):
        return _DOCUMENT
    if isinstance(part, AudioPart):
        return _AUDIO
    return 0


def _model_name(model: str | Model) -> str:
    if isinstance(model, str):
        if not model:
            raise UsageError(
                'count_tokens() needs a model string such as "openai/gpt-4.1-mini", not "".'
            )
        return model
    name = getattr(model, "name", None)
    if not isinstance(name, str):
        raise UsageError(
            'count_tokens() takes a model string such as "openai/gpt-4.1-mini" or a Model, '
            f"not {type(model).__name__}."
        )
    return name


def built_counter(model: str | Model) -> TokenCounter | None:
    """The counter of ``model`` if it is built already, else None (building loads an encoding)."""
    return _counters.get(_model_name(model))


def counter_for(model: str | Model) -> TokenCounter:
    """The shared :class:`TokenCounter` of ``model`` (a model string or a Model)."""
    name = _model_name(model)
    found = _counters.get(name)
    if found is not None:
        return found
    encoding = encoding_for_model(name)
    with _lock:
        found = _counters.get(name)
        if found is None:
            found = TokenCounter(name, encoding)
            _counters[name] = found
            if encoding is None and name not in _warned:
                _warned.add(name)
                logger.warning(
                    "No tokenizer is known for %s: its token counts are estimates "
                    "(within about 15%% of OpenAI's o200k_base on mixed text).",
                    name,
                )
    return found


def count_tokens(
    model: str | Model, content: str | Message | Sequence[Message] | Request, /
) -> int:
    """The number of tokens ``content`` costs ``model``.

    ``content`` is text, one :class:`~llmkit.types.Message`, a conversation
    (a list of messages, counted with the reply's priming) or a
    :class:`~llmkit.types.Request` (its conversation and tool definitions).
    Exact and offline for OpenAI models (needs ``pip install 'llmkit[tokens]'``);
    a calibrated estimate for others, said once per model in a WARNING::

        count_tokens("openai/gpt-4.1-mini", "some text")        # 2
        count_tokens("openai/gpt-4.1-mini", [Message.user("Hi")])
    """
    counter = counter_for(model)
    if isinstance(content, str):
        return counter.text(content)
    if isinstance(content, Message):
        return counter.message(content)
    if isinstance(content, Request):
        return counter.request(content)
    if isinstance(content, Sequence):
        messages = [m for m in content if isinstance(m, Message)]
        if len(messages) == len(content):
            return counter.messages(messages)
    raise UsageError(
        "count_tokens() counts text, a Message, a list of Messages or a Request, "
        f"not {type(content).__name__}; turn other values into text with str(...) first."
    )
