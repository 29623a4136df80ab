"""A llama.cpp-flavoured OpenAI protocol: what llama.cpp's server takes and refuses.

Served under ``/llamacpp/v1`` (``FakeProviderServer.llamacpp_base_url``). It
answers like the OpenAI routes, with the differences a client meets on
llama-cpp-python's server (``llama_cpp/server``; ``llama_types.py`` for the
message shapes, ``errors.py`` for the answers):

- an assistant message's ``content`` must be a string when present: ``null``
  is refused (500 "Input should be a valid string");
- ``response_format.type`` is ``text`` or ``json_object`` (a JSON schema goes
  in its ``schema`` field); ``json_schema`` is refused (500);
- parameters it does not know are ignored, ``max_completion_tokens`` among
  them; ``max_tokens`` is honoured: a longer answer is cut to that many tokens
  (4 characters each, as the fake counts) with ``finish_reason: "length"``;
- a stream never carries usage, whatever ``stream_options`` says;
- no key is needed unless the fake server was given one.

Validation errors are 500 ``internal_server_error`` with the validator's
message, as llama-cpp-python answers them. Everything else (message order,
tool call ids) is checked as the OpenAI routes check it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request as HTTPRequest
from starlette.routing import BaseRoute, Route

from llmkit.testing._fake.openai.errors import OpenAIWireError, check_auth, not_json
from llmkit.testing._fake.openai.routes import ChatExchange, chat_endpoint
from llmkit.testing._fake.openai.rules import CHAT_PARAMETERS, check_chat
from llmkit.testing._fake.state import NOT_JSON, ServerState
from llmkit.testing._script import Turn, estimate_usage
from llmkit.types import Message, Request, Response

__all__ = ["PREFIX", "check_llamacpp_chat", "routes"]

PREFIX = "/llamacpp/v1"
"""Where the llama.cpp routes live on the fake server."""

_CHARS_PER_TOKEN = 4


def _invalid(message: str) -> OpenAIWireError:
    # llama-cpp-python answers a body its validator refuses with a 500.
    return OpenAIWireError(500, message, "internal_server_error")


def check_llamacpp_chat(body: object) -> OpenAIWireError | None:
    """The first reason llama.cpp's server would refuse ``body``, or None."""
    if not isinstance(body, dict):
        return not_json()
    for i, message in enumerate(body.get("messages") or ()):
        if not isinstance(message, dict) or message.get("role") != "assistant":
            continue
        if "content" in message and not isinstance(message["content"], str):
            return _invalid(
                f"1 validation error for CreateChatCompletionRequest\nmessages.{i}.content\n"
                "  Input should be a valid string"
            )
    fmt = body.get("response_format")
    if fmt is not None:
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        if kind not in ("text", "json_object"):
            return _invalid(
                "1 validation error for CreateChatCompletionRequest\nresponse_format.type\n"
                "  Input should be 'text' or 'json_object'"
            )
    # What llama.cpp ignores is left out; the rest is checked as OpenAI checks it.
    known = {
        k: v
        for k, v in body.items()
        if k in CHAT_PARAMETERS and k not in ("response_format", "max_completion_tokens")
    }
    return check_chat(known)


class _LlamaCppChat(ChatExchange):
    """Answers like the OpenAI routes, cut to ``max_tokens`` and without usage in streams."""

    def _reply(self, turn: Turn, request: Request) -> Response:
        response = super()._reply(turn, request)
        limit = self.body.get("max_tokens")
        text = response.text
        if not isinstance(limit, int) or response.tool_calls:
            return response
        cut = limit * _CHARS_PER_TOKEN
        if len(text) <= cut:
            return response
        message = Message.assistant(text[:cut])
        return dataclasses.replace(
            response,
            message=message,
            usage=estimate_usage(request, message),
            finish_reason="length",
            raw_finish_reason=None,
        )

    def _include_usage(self) -> bool:
        return False


def _understood(body: dict[str, Any]) -> dict[str, Any]:
    """The parameters llama.cpp reads (it ignores the others, ``max_completion_tokens`` too)."""
    return {k: v for k, v in body.items() if k in CHAT_PARAMETERS and k != "max_completion_tokens"}


def routes(state: ServerState) -> list[BaseRoute]:
    """The llama.cpp routes of a fake server whose state is ``state``."""

    def check(request: HTTPRequest, body: Any) -> OpenAIWireError | None:
        if state.api_key is not None:
            error = check_auth(request.headers.get("authorization"), state.api_key)
            if error is not None:
                return error
        return not_json() if body is NOT_JSON else check_llamacpp_chat(body)

    chat = chat_endpoint(state, check, _LlamaCppChat, _understood)
    return [Route(f"{PREFIX}/chat/completions", chat, methods=["POST"])]
