"""Counting tokens with the provider's own count endpoint, as an opt-in: one network call.

:func:`count_tokens_by_provider` asks the model's provider how many input tokens
``content`` costs: Anthropic's ``POST /v1/messages/count_tokens``, Gemini's
``models/{model}:countTokens``. What always holds:

- the call goes through the model's own endpoint, so its ``base_url``, API key, headers,
  timeouts and retries apply, and a failure is the same
  :class:`~llmkit.errors.ProviderError` a ``generate`` call would raise;
- the count is the provider's count of a request: text and a single message are sent as
  a one-message conversation, so the provider's per-message overhead is in the count (it
  differs from :func:`~llmkit.memory.count_tokens` of the bare text);
- a model whose tokens llmkit counts exactly offline (OpenAI's encodings, which OpenAI's
  API has no endpoint for) is counted offline, with no call;
- any other model (Ollama, an OpenAI-compatible server, a wrapped model) is an
  :class:`~llmkit.errors.UnsupportedError`: nothing is guessed silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmkit._sync import run_sync
from llmkit.errors import UnsupportedError, UsageError
from llmkit.memory._tokens import count_tokens, counter_for
from llmkit.types import Message, Request

if TYPE_CHECKING:
    from llmkit.providers.base import Model

__all__ = ["count_tokens_by_provider", "count_tokens_by_provider_sync"]

Content = str | Message | Sequence[Message] | Request


def _as_request(content: object) -> Request:
    if isinstance(content, Request):
        return content
    if isinstance(content, str):
        return Request([Message.user(content)])
    if isinstance(content, Message):
        return Request([content])
    if isinstance(content, Sequence) and all(isinstance(m, Message) for m in content):
        return Request(list(content))
    raise UsageError(
        "count_tokens_by_provider() counts text, a Message, a list of Messages or a Request, "
        f"not {type(content).__name__}; turn other values into text with str(...) first."
    )


async def count_tokens_by_provider(model: str | Model, content: Content, /) -> int:
    """The input tokens ``content`` costs ``model``, counted by its provider (one call).

    ``model`` is a model string (``"anthropic/claude-sonnet-4-5"``) or a model object
    (its ``base_url`` and key are used). Anthropic and Gemini models are counted by their
    API; OpenAI models offline, exactly; other models are an
    :class:`~llmkit.errors.UnsupportedError` (use :func:`~llmkit.memory.count_tokens`
    for an offline estimate)::

        tokens = await count_tokens_by_provider("anthropic/claude-sonnet-4-5", messages)
    """
    request = _as_request(content)
    if isinstance(model, str):
        from llmkit.providers import model as resolve

        resolved: Any = resolve(model)
    else:
        resolved = model
    count = getattr(resolved, "count_tokens", None)
    if callable(count):
        tokens = await count(request)
        assert isinstance(tokens, int)
        return tokens
    counter = counter_for(resolved)
    if counter.exact:
        return count_tokens(resolved, request)
    raise UnsupportedError(
        f"{counter.model} has no token-count endpoint llmkit can call (Anthropic and Gemini "
        "models have one; OpenAI models are counted exactly offline). Use "
        "llmkit.memory.count_tokens(model, content) for an offline estimate."
    )


def count_tokens_by_provider_sync(model: str | Model, content: Content, /) -> int:
    """Blocking twin of :func:`count_tokens_by_provider` (also inside a running event loop)."""
    return run_sync(count_tokens_by_provider(model, content))
