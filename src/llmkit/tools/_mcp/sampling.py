"""MCP sampling: a server asks the client's model for a completion (``sampling/createMessage``).

A toolset answers only when it was given a model (``sampling_model=``), so the
capability is declared only then. Every request passes, in order:

1. the count limit (``sampling_max_requests`` for the toolset's life);
2. the approval callback (``approve_sampling``), which sees a
   :class:`SamplingRequest` and returns True to answer, False to refuse;
3. the model, asked with at most ``sampling_max_tokens`` tokens.

A refusal, a request over a limit, content llmkit cannot send and a model
failure each give the server an MCP error (never a crash of the session),
whose message says why; the server decides what its tool does with it.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from llmkit.errors import LLMKitError
from llmkit.types import AudioPart, ContentPart, ImagePart, Message, TextPart

if TYPE_CHECKING:
    from llmkit.providers.base import Model

__all__ = ["AGENT_MODEL", "ApproveSampling", "Sampler", "SamplingRequest"]

AGENT_MODEL = "agent"
"""``sampling_model=AGENT_MODEL``: answer with the model of the agent calling the tool."""

_log = logging.getLogger("llmkit.mcp")

_REFUSED = -1  # the code MCP clients use for "the user rejected the sampling request"


@dataclass(frozen=True, slots=True)
class SamplingRequest:
    """A server's request for a completion, as the approval callback sees it."""

    server: str
    """The server asking (its command or URL, without secrets)."""
    messages: list[Message]
    """The conversation the server wants answered (its system prompt first, if any)."""
    max_tokens: int
    """Tokens the answer may use: the server's number, capped by ``sampling_max_tokens``."""
    model: Model = field(repr=False)
    """The model that will answer."""
    temperature: float | None = None
    stop: list[str] | None = None


ApproveSampling: TypeAlias = Callable[[SamplingRequest], "bool | Awaitable[bool]"]
"""``approve_sampling=``: True answers the request, False refuses it (sync or async)."""


class SamplingRefused(Exception):
    """A sampling request that is not answered; its message goes to the server."""


class Sampler:
    """Answers the sampling requests of one toolset's sessions (the SDK's ``sampling_callback``)."""

    def __init__(
        self,
        model: Model | str,
        *,
        server: str,
        max_tokens: int,
        max_requests: int | None,
        approve: ApproveSampling | None,
        agent_models: Callable[[], set[Any]],
    ) -> None:
        self.model = model
        self.server = server
        self.max_tokens = max_tokens
        self.max_requests = max_requests
        self.approve = approve
        self.agent_models = agent_models
        self.answered = 0
        """Requests passed to the model so far."""
        self._lock = threading.Lock()

    async def __call__(self, context: Any, params: Any) -> Any:
        """The SDK's sampling callback: a ``CreateMessageResult``, or ``ErrorData`` on refusal."""
        import mcp_types

        try:
            return await self._answer(params)
        except SamplingRefused as exc:
            _log.info("Refused a sampling request of the MCP server %s: %s", self.server, exc)
            return mcp_types.ErrorData(code=_REFUSED, message=str(exc))
        except LLMKitError as exc:
            _log.warning("Sampling for the MCP server %s failed: %s", self.server, exc)
            return mcp_types.ErrorData(
                code=mcp_types.INTERNAL_ERROR, message=f"The client's model failed: {exc}"
            )

    async def _answer(self, params: Any) -> Any:
        import mcp_types

        model = self._model()
        with self._lock:
            if self.max_requests is not None and self.answered >= self.max_requests:
                raise SamplingRefused(
                    f"The client answers at most {self.max_requests} sampling requests "
                    "from this server (sampling_max_requests)."
                )
            self.answered += 1
        messages = [Message.system(params.system_prompt)] if params.system_prompt else []
        messages.extend(_message(m) for m in params.messages)
        request = SamplingRequest(
            self.server,
            messages,
            max(1, min(int(params.max_tokens), self.max_tokens)),
            model,
            params.temperature,
            list(params.stop_sequences) if params.stop_sequences else None,
        )
        if self.approve is not None:
            verdict = self.approve(request)
            if inspect.isawaitable(verdict):
                verdict = await verdict
            if verdict is not True:
                raise SamplingRefused("The client refused this sampling request.")
        from llmkit.types import Request

        response = await model.generate(
            Request(
                request.messages,
                max_tokens=request.max_tokens,
                temperature=request.temperature,
                stop=request.stop,
            )
        )
        stop = {"stop": "endTurn", "length": "maxTokens"}.get(response.finish_reason)
        return mcp_types.CreateMessageResult(
            role="assistant",
            content=mcp_types.TextContent(type="text", text=response.text),
            model=model.name,
            stop_reason=stop or response.finish_reason,
        )

    def _model(self) -> Model:
        from llmkit.providers import model as build

        if self.model != AGENT_MODEL:
            if isinstance(self.model, str):
                self.model = build(self.model)
            return self.model
        models = self.agent_models()
        if len(models) == 1:
            found: Model = models.pop()
            return found
        if not models:
            raise SamplingRefused(
                "No agent is calling a tool of this server, so there is no model to answer with."
            )
        raise SamplingRefused(
            "Agents with different models are calling tools of this server at once; "
            "the client cannot tell which one should answer."
        )


def _message(sampling_message: Any) -> Message:
    content = sampling_message.content
    blocks = content if isinstance(content, list) else [content]
    parts = [_part(block) for block in blocks]
    if sampling_message.role == "assistant":
        return Message("assistant", list(parts))
    return Message.user(*parts)


def _part(block: Any) -> ContentPart:
    kind = getattr(block, "type", None)
    if kind == "text":
        return TextPart(str(block.text))
    if kind in ("image", "audio"):
        try:
            data = base64.b64decode(block.data, validate=True)
        except (binascii.Error, ValueError):
            raise SamplingRefused(f"The {kind} of this sampling request is not base64.") from None
        media_type = str(block.mime_type or f"{kind}/octet-stream")
        if kind == "image":
            return ImagePart(data=data, media_type=media_type)
        return AudioPart(data=data, media_type=media_type)
    raise SamplingRefused(f"The client cannot send {kind!r} content to its model.")
