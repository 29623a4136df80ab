"""The ``llm`` module: call models (generate, stream, embed) and build agents (``llm.agent``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError
from llmkit.scripting._bridge import Bridge, HostObject, Promise, ScriptCallable, method
from llmkit.scripting._host import Host
from llmkit.scripting.bridges._common import MODEL_OPTIONS, TextStream, feed, options, usage_data
from llmkit.scripting.bridges.agent import AgentHandle, create

if TYPE_CHECKING:
    from llmkit.providers import Model
    from llmkit.types import Request

__all__ = ["ModelHandle", "bridge"]

bridge = Bridge(
    "llm",
    "Models. A request is a prompt string or a table: `prompt` (or `messages`, an array of "
    "`{role=..., text=...}`), `system`, `temperature`, `max_tokens`, `top_p`, `stop`, `seed`. "
    'Where a model is named, `model` is a `"provider/model"` string and the model options '
    "are those of Python's `llmkit.model`: `base_url`, `api_key`, `timeout`, `max_retries`, `headers`.",
)

_REQUEST = ("prompt", "messages", "system", "temperature", "max_tokens", "top_p", "stop", "seed")
_CALL = ("model", *MODEL_OPTIONS, *_REQUEST)


def _request(spec: Any, where: str) -> Request:
    from llmkit.types import Message, Request

    opts: dict[str, Any] = (
        {"prompt": spec} if isinstance(spec, str) else options(spec, where, _CALL)
    )
    messages = []
    if opts.get("system") is not None:
        messages.append(Message.system(str(opts["system"])))
    for item in opts.get("messages") or []:
        if not isinstance(item, dict) or item.get("role") not in ("user", "assistant", "system"):
            raise UsageError(
                f"{where}: each message is {{role='user'|'assistant'|'system', text='...'}}."
            )
        text = str(item.get("text", ""))
        role = item["role"]
        messages.append(
            Message.user(text)
            if role == "user"
            else Message.assistant(text)
            if role == "assistant"
            else Message.system(text)
        )
    if opts.get("prompt") is not None:
        messages.append(Message.user(str(opts["prompt"])))
    if not messages:
        raise UsageError(f"{where} takes a prompt: a string, or a table with prompt= or messages=.")
    settings: dict[str, Any] = {
        k: opts[k] for k in ("temperature", "max_tokens", "top_p", "stop", "seed") if k in opts
    }
    return Request(messages=messages, **settings)


def _model(host: Host, spec: Any, where: str) -> Model:
    opts = {} if isinstance(spec, str) else dict(spec or {})
    return host.model(opts.get("model"), {k: opts[k] for k in MODEL_OPTIONS if k in opts})


def _answer(response: Any) -> dict[str, Any]:
    return {
        "text": response.text,
        "usage": usage_data(response.usage),
        "finish_reason": response.finish_reason,
        "model": response.model,
    }


async def _text(model: Model, request: Request) -> AsyncIterator[str]:
    from llmkit.events import TextDelta

    async for event in model.stream(request):
        if isinstance(event, TextDelta):
            yield event.text


class ModelHandle(HostObject):
    """A model a script holds (`llm.model{...}`); each method takes a request like `llm.generate`."""

    script_type = "Model"

    def __init__(self, model: Model) -> None:
        self.model = model

    def fields(self) -> dict[str, Any]:
        """`name`: the model's `"provider/model"` name."""
        return {"name": self.model.name}

    @method
    async def generate(self, host: Host, request: Any) -> dict[str, Any]:
        """The answer: `{text, usage, finish_reason, model}`."""
        return _answer(await self.model.generate(_request(request, "model:generate")))

    @method
    async def stream(self, host: Host, request: Any, callback: ScriptCallable | None = None) -> Any:
        """With `callback(piece)`: call it per piece of text, return the whole text. Without: a TextStream."""
        pieces = _text(self.model, _request(request, "model:stream"))
        return TextStream(pieces) if callback is None else await feed(pieces, callback)

    @method
    async def embed(self, host: Host, inputs: Any) -> list[list[float]]:
        """One vector per input text (a string or an array of strings)."""
        texts = [inputs] if isinstance(inputs, str) else inputs
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise UsageError("embed takes a string or an array of strings.")
        return [list(v) for v in await self.model.embed(texts)]


@bridge.function
def model(host: Host, spec: Any) -> ModelHandle:
    """A model: `llm.model("openai/gpt-4.1-mini")` or `llm.model{model=..., base_url=..., api_key=...}`."""
    if isinstance(spec, str):
        return ModelHandle(host.model(spec))
    opts = options(spec, "llm.model", ("model", *MODEL_OPTIONS))
    return ModelHandle(host.model(opts.pop("model", None), opts))


@bridge.function
async def generate(host: Host, request: Any) -> dict[str, Any]:
    """One answer from `request.model`: `{text, usage, finish_reason, model}`."""
    return _answer(
        await _model(host, request, "llm.generate").generate(_request(request, "llm.generate"))
    )


@bridge.function
def generate_async(host: Host, request: Any) -> Promise:
    """Like `llm.generate`, at once: a promise of the answer."""
    return host.spawn(generate(host, request))


@bridge.function
async def stream(host: Host, request: Any, callback: ScriptCallable | None = None) -> Any:
    """Stream the answer: `callback(piece)` per piece of text (returns the whole text), or a TextStream."""
    pieces = _text(_model(host, request, "llm.stream"), _request(request, "llm.stream"))
    return TextStream(pieces) if callback is None else await feed(pieces, callback)


@bridge.function
async def embed(host: Host, request: Any) -> list[list[float]]:
    """Embed `request.input` (a string or an array of strings) with `request.model`; one vector each."""
    opts = options(request, "llm.embed", ("model", "input", *MODEL_OPTIONS))
    handle = ModelHandle(_model(host, opts, "llm.embed"))
    return await handle.embed(host, opts.get("input"))


@bridge.named("agent")
def agent_(host: Host, spec: Any) -> AgentHandle:
    """An agent: the same as `agent.create{...}` (see the agent module)."""
    return create(host, spec)


bridge.type(ModelHandle)
bridge.type(TextStream)
