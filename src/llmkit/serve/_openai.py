"""The OpenAI Chat Completions wire format, read and written (pure: no I/O).

:func:`read_chat_request` checks a request body and turns it into the served
name, the conversation and the stream options; :class:`Completion` writes the
answers: a ``chat.completion`` object, or ``chat.completion.chunk`` objects in
the order OpenAI sends them (the role first, the content deltas, a chunk with
the finish reason, then, with ``stream_options.include_usage``, one chunk with
empty ``choices`` and the usage; every chunk before it has ``"usage": null``).

The agent runs its own tools on the server, so a request that brings tools,
tool messages or assistant tool calls is refused with a message that says so.
A client's system (or developer) messages are kept in the conversation, after
the agent's own instructions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmkit._json import body_bytes
from llmkit.errors import UsageError
from llmkit.types import Message

__all__ = ["ChatRequest", "Completion", "content_of", "openai_usage", "read_chat_request"]

_TOOL_KEYS = ("tools", "functions", "tool_choice", "function_call", "parallel_tool_calls")
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What a Chat Completions request asks for."""

    model: str
    messages: list[Message]
    stream: bool
    include_usage: bool


def read_chat_request(body: object) -> ChatRequest:
    """``body`` (parsed JSON) checked as a Chat Completions request; a :class:`UsageError` saying
    what to send otherwise."""
    if not isinstance(body, dict):
        raise UsageError("The request body is a JSON object with 'model' and 'messages'.")
    for key in _TOOL_KEYS:
        if body.get(key):
            raise UsageError(
                f"This server runs the agent's own tools; a request carrying {key!r} is refused. "
                "Send only the conversation: the agent calls its tools itself."
            )
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise UsageError("'model' is the name of a served agent (see GET /v1/models), a string.")
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise UsageError("'messages' is a non-empty list of {'role', 'content'} objects.")
    messages = [_message(item, index) for index, item in enumerate(raw)]
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise UsageError(f"'stream' is true or false, not {stream!r}.")
    options = body.get("stream_options")
    include_usage = False
    if options is not None:
        if not isinstance(options, dict):
            raise UsageError("'stream_options' is an object such as {'include_usage': true}.")
        include_usage = options.get("include_usage", False)
        if not isinstance(include_usage, bool):
            raise UsageError("'stream_options.include_usage' is true or false.")
        if not stream:
            raise UsageError("'stream_options' is only allowed with 'stream': true.")
    return ChatRequest(model, messages, stream, include_usage)


def _message(item: object, index: int) -> Message:
    where = f"messages[{index}]"
    if not isinstance(item, dict):
        raise UsageError(f"{where} is an object with 'role' and 'content'.")
    role = item.get("role")
    if role == "tool" or item.get("tool_calls") or item.get("function_call"):
        raise UsageError(
            f"{where}: tool calls and tool results belong to the server's agent; send text only."
        )
    if role not in _ROLES:
        raise UsageError(
            f"{where}.role is one of system, developer, user, assistant; not {role!r}."
        )
    text = _text(item.get("content"), where)
    if _ROLES[role] == "system":
        return Message.system(text)
    if role == "user":
        return Message.user(text)
    return Message.assistant(text)


def _text(content: object, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise UsageError(f"{where}.content: this server takes text parts only.")
            text = part.get("text")
            if not isinstance(text, str):
                raise UsageError(f"{where}.content: a text part's 'text' is a string.")
            pieces.append(text)
        return "".join(pieces)
    raise UsageError(f"{where}.content is a string or a list of text parts.")


def content_of(output: Any) -> str:
    """A run's output as message content: text as is, anything else as its JSON text."""
    if isinstance(output, str):
        return output
    return body_bytes(output).decode("utf-8")


def openai_usage(usage: dict[str, Any] | None) -> dict[str, int]:
    """llmkit's usage (JSON form) as OpenAI's ``usage`` object."""
    usage = usage or {}
    prompt = int(usage.get("input_tokens") or 0)
    completion = int(usage.get("output_tokens") or 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


class Completion:
    """The answer to one Chat Completions request, whole or as chunks."""

    __slots__ = ("created", "id", "include_usage", "model")

    def __init__(self, *, run_id: str, model: str, created: int, include_usage: bool) -> None:
        self.id = f"chatcmpl-{run_id.removeprefix('run_')}"
        self.model = model
        self.created = created
        self.include_usage = include_usage

    def whole(self, content: str, usage: dict[str, Any] | None) -> dict[str, Any]:
        """The ``chat.completion`` object."""
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": openai_usage(usage),
        }

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        """One ``chat.completion.chunk`` with ``delta`` (and the finish reason on the last)."""
        data: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }
        if self.include_usage:
            data["usage"] = None
        return data

    def usage_chunk(self, usage: dict[str, Any] | None) -> dict[str, Any]:
        """The last chunk of a stream with ``include_usage``: no choices, the usage."""
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [],
            "usage": openai_usage(usage),
        }
