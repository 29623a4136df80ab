"""Checks every protocol needs before anything is sent: on a conversation, and on texts to embed."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Concatenate, ParamSpec, TypeVar

from llmkit._request import check_message_items
from llmkit.errors import UsageError
from llmkit.types import Message, Request, ToolCall, ToolResult

__all__ = ["check_tool_results", "embed_texts", "names_stray_items", "sampling"]

P = ParamSpec("P")
R = TypeVar("R")


def names_stray_items(
    encode: Callable[Concatenate[list[Message], P], R],
) -> Callable[Concatenate[list[Message], P], R]:
    """Wrap a codec's encoder of a message list so an item that is not a Message is named.

    A :class:`Request` looks only at the ends of a long list (its checks cost
    the same for any length); an item in between that is not a Message fails
    the encoder with an ``AttributeError``, which becomes the request's
    :class:`UsageError` here. When all is well it costs one function call.
    """

    @functools.wraps(encode)
    def encoder(messages: list[Message], /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return encode(messages, *args, **kwargs)
        except AttributeError:
            check_message_items(messages)  # raises, naming the item, if there is one
            raise

    return encoder


def sampling(request: Request, accepted: bool, model_id: str) -> tuple[float | None, float | None]:
    """``(temperature, top_p)`` to send: the request's, or nothing (with a warning) when refused.

    Reasoning models refuse sampling parameters; leaving them out with a
    warning keeps code portable across models instead of failing the call.
    """
    temperature, top_p = request.temperature, request.top_p
    if accepted or (temperature is None and top_p is None):
        return temperature, top_p
    warnings.warn(
        f"{model_id} does not accept temperature/top_p; they were left out.",
        UserWarning,
        stacklevel=4,
    )
    return None, None


def check_tool_results(messages: Sequence[Message]) -> None:
    """Raise :class:`UsageError` if a tool result answers no call of the assistant message before it.

    Providers reject such histories with an opaque 400 (or, worse, accept them
    and confuse the model); this says which id is wrong instead.
    """
    open_calls: list[str] | None = None
    for message in messages:
        role = message.role
        if role == "assistant":
            open_calls = [p.id for p in message.parts if isinstance(p, ToolCall)]
        elif role == "tool":
            for result in message.parts:
                if isinstance(result, ToolResult) and (
                    open_calls is None or result.call_id not in open_calls
                ):
                    known = ", ".join(repr(c) for c in open_calls or ()) or "none"
                    raise UsageError(
                        f"The tool result for call id {result.call_id!r} answers no tool call of the "
                        f"assistant message before it (its call ids: {known}). Each ToolResult must "
                        "carry the id of a ToolCall in the assistant message it follows."
                    )
        else:
            open_calls = None


def embed_texts(inputs: Sequence[str]) -> list[str]:
    """The texts of an ``embed()`` call as a list; a single string is refused, not split.

    A ``str`` is a sequence of characters, so without this check it would be
    embedded one vector per character.
    """
    if isinstance(inputs, str):
        raise UsageError("embed() takes a list of texts; wrap a single text in a list.")
    return list(inputs)
