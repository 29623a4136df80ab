"""The :class:`Model` interface every provider (and every test double) implements."""

from __future__ import annotations

import abc
from collections.abc import AsyncGenerator, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from llmkit._sync import iterate_sync, run_sync
from llmkit.errors import UnsupportedError, UsageError
from llmkit.events import StreamEvent
from llmkit.providers._assemble import events_from_response
from llmkit.types import Embeddings, Message, Request, Response

__all__ = ["Capabilities", "Model", "check_request"]


def check_request(request: object, method: str) -> None:
    """Refuse what is not a :class:`Request` (a str, a Message, a list) with a :class:`UsageError`.

    Called first by every ``generate`` and ``stream`` of llmkit's models and by
    the sync twins of every model: one type check, so the mistake is named
    there instead of surfacing as an ``AttributeError`` deep in a codec.
    """
    if type(request) is Request or isinstance(request, Request):
        return
    if isinstance(request, str):
        hint = "pass Request([Message.user(text)])"
    elif isinstance(request, Message):
        hint = "wrap it: Request([message])"
    elif isinstance(request, list | tuple) and all(isinstance(m, Message) for m in request):
        hint = "wrap the messages: Request(messages)"
    else:
        hint = "build one with Request([Message.user('...')])"
    raise UsageError(
        f"{method}() takes a Request, not {type(request).__name__}; {hint} (Request and "
        "Message come from llmkit). To send plain text, run an Agent: "
        "Agent(model).run_sync('...')."
    )


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a model accepts, as data. Codecs and agents consult it instead of guessing.

    Looked up by model id from the provider's profile table; unknown models get
    permissive defaults (the provider rejects what it cannot do).
    """

    tools: bool = True
    """Takes tool definitions and returns tool calls."""
    parallel_tool_calls: bool = True
    """May return several tool calls in one answer."""
    images: bool = True
    """Takes image input."""
    documents: bool = False
    """Takes document (PDF) input."""
    audio: bool = False
    """Takes audio input."""
    structured_output: bool = True
    """Enforces a JSON schema on its answer natively (how it takes the schema is the
    provider's wire profile, e.g. :class:`~llmkit.providers.openai.OpenAIProfile`)."""
    reasoning: bool = False
    """Is a reasoning model (takes a reasoning effort or budget)."""
    sampling: bool = True
    """Accepts sampling parameters (temperature, top_p); reasoning models often do not."""
    token_limit_param: str = "max_tokens"
    """The wire name of the output-token limit (``max_tokens`` or ``max_completion_tokens``)."""
    embeddings: bool = False
    """Is an embedding model."""
    max_context: int | None = None
    """Context window in tokens, when known."""
    output_mode: Literal["native", "tool", "prompted"] | None = None
    """How an agent's ``output_mode="auto"`` gets structured output from this model; None
    decides from the flags above (native when ``structured_output``, else a tool call when
    ``tools``, else the prompt). Unknown OpenAI-compatible servers say ``"prompted"``."""

    def __post_init__(self) -> None:
        if self.output_mode not in (None, "native", "tool", "prompted"):
            raise UsageError(
                f"Capabilities(output_mode={self.output_mode!r}): use 'native', 'tool', "
                "'prompted' or None."
            )


class Model(abc.ABC):
    """A model you can call: ``generate``, ``stream`` and ``embed``, plus sync twins.

    Get one with :func:`llmkit.model`, or subclass it: implement
    :meth:`generate`, and :meth:`stream` when the model streams natively (the
    default streams the finished response as a single burst of events).
    """

    provider: str = "custom"
    """Provider name, the first segment of a model string (``"openai"``)."""
    model_id: str = ""
    """The model id sent to the provider (``"gpt-4.1-mini"``)."""
    capabilities: Capabilities = Capabilities()
    """What the model accepts."""

    @property
    def name(self) -> str:
        """The model string: ``"provider/model_id"``."""
        return f"{self.provider}/{self.model_id}" if self.model_id else self.provider

    @abc.abstractmethod
    async def generate(self, request: Request) -> Response:
        """Send ``request`` and return the complete response."""

    async def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        """Send ``request`` and yield events as they arrive; the last is ``model.response``."""
        check_request(request, "stream")
        response = await self.generate(request)
        for event in events_from_response(response):
            yield event

    async def embed(self, inputs: Sequence[str], *, dimensions: int | None = None) -> Embeddings:
        """Embed each input text; returns one vector per input, in order."""
        raise UnsupportedError(f"{self.name} does not support embeddings.")

    def generate_sync(self, request: Request) -> Response:
        """Blocking twin of :meth:`generate`; also works inside a running event loop."""
        check_request(request, "generate_sync")
        return run_sync(self.generate(request))

    def stream_sync(self, request: Request) -> Iterator[StreamEvent]:
        """Blocking twin of :meth:`stream`; also works inside a running event loop."""
        check_request(request, "stream_sync")
        return iterate_sync(self.stream(request))

    def embed_sync(self, inputs: Sequence[str], *, dimensions: int | None = None) -> Embeddings:
        """Blocking twin of :meth:`embed`."""
        return run_sync(self.embed(inputs, dimensions=dimensions))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
