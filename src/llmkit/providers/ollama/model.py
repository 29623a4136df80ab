"""The Ollama model class: address, key and load options, then ``generate``, ``stream``, ``embed``.

The only module of :mod:`llmkit.providers.ollama` that does I/O (``/api/chat``,
``/api/embed`` and ``/api/tags``): bodies come from
:mod:`~llmkit.providers.ollama.encode`, answers are read by
:mod:`~llmkit.providers.ollama.decode`, error bodies by
:class:`~llmkit.providers.ollama.errors.OllamaErrors` and the address by
:func:`~llmkit.providers.ollama.host.parse_host`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llmkit._sync import run_sync
from llmkit.errors import (
    InvalidResponseError,
    ProviderConnectionError,
    StreamInterruptedError,
    UsageError,
)
from llmkit.events import StreamEvent
from llmkit.http import (
    ConnectionOptions,
    Endpoint,
    JSONReply,
    PoolLimits,
    RetryPolicy,
    StreamReply,
    Timeouts,
    check_api_key,
    check_headers,
)
from llmkit.providers._checks import embed_texts
from llmkit.providers._http_model import HTTPModel, StreamPlan, check_capabilities
from llmkit.providers.base import Capabilities, check_request
from llmkit.providers.ollama.decode import (
    StreamDecoder,
    decode_embeddings,
    decode_models,
    decode_response,
)
from llmkit.providers.ollama.encode import encode_embeddings, encode_request
from llmkit.providers.ollama.errors import KEY_ENV, OllamaErrors
from llmkit.providers.ollama.host import HOST_ENV, parse_host
from llmkit.types import Embeddings, Request, Response

if TYPE_CHECKING:
    import httpx2

__all__ = ["OllamaModel", "ollama_capabilities"]

# Embedding models take no chat, tools or images; everything else is assumed able
# (Ollama itself answers 400 for what a model cannot do, and llmkit says which).
_EMBEDDING_NAMES = (
    "nomic-embed",
    "mxbai-embed",
    "all-minilm",
    "bge-",
    "snowflake-arctic-embed",
    "embeddinggemma",
    "granite-embedding",
    "paraphrase-multilingual",
    "qwen3-embedding",
)
_EMBEDDING = Capabilities(
    tools=False,
    parallel_tool_calls=False,
    images=False,
    structured_output=False,
    embeddings=True,
    token_limit_param="num_predict",
)
_CHAT = Capabilities(reasoning=True, token_limit_param="num_predict")


def ollama_capabilities(model_id: str) -> Capabilities:
    """What an Ollama model is assumed to accept, from its name (permissive for chat models)."""
    base = model_id.rsplit("/", 1)[-1].split(":", 1)[0].lower()
    if base.startswith(_EMBEDDING_NAMES) or "embed" in base:
        return _EMBEDDING
    return _CHAT


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def _endpoint(
    *,
    base_url: str | None,
    api_key: str | None,
    model_id: str,
    headers: Mapping[str, str] | None = None,
    timeout: Timeouts | float | None = None,
    retry: RetryPolicy | None = None,
    connection: ConnectionOptions | None = None,
    http_client: httpx2.AsyncClient | None = None,
) -> Endpoint:
    check_api_key(api_key, "ollama", KEY_ENV)
    check_headers(headers, "ollama")
    url = parse_host(base_url if base_url else _env(HOST_ENV))
    key = api_key if api_key is not None else _env(KEY_ENV)
    auth = {"authorization": f"Bearer {key}"} if key else {}
    return Endpoint(
        provider="ollama",
        base_url=url,
        headers={**auth, **(headers or {})},
        secrets=(key,) if key else (),
        timeout=timeout,
        retry=retry,
        connection=connection,
        http_client=http_client,
        error_parser=OllamaErrors(model_id).read,
    )


def _not_running(exc: ProviderConnectionError, base_url: str) -> ProviderConnectionError:
    """``exc`` with the advice a connection failure to Ollama calls for."""
    return ProviderConnectionError(
        f"{exc.message} Is Ollama running? Start it with `ollama serve`, or set {HOST_ENV} "
        f"to the address it listens on (now {base_url}).",
        status=exc.status,
        provider=exc.provider,
        request_id=exc.request_id,
        retryable=exc.retryable,
    )


class OllamaModel(HTTPModel):
    """A model served by Ollama, through its native API.

    Options left out come from the environment: ``OLLAMA_HOST`` for the
    address (any form the ``ollama`` command accepts: ``myhost``,
    ``0.0.0.0:11434``, ``https://ollama.example.com``) and ``OLLAMA_API_KEY``
    for a hosted Ollama's key.

    Args:
        model_id: The model name Ollama knows (``"llama3.2"``, ``"qwen3:8b"``).
        base_url: Ollama's address, in any ``OLLAMA_HOST`` form.
        api_key: Key of a hosted Ollama, sent as a Bearer token; never logged or printed.
        keep_alive: How long Ollama keeps the model loaded after a call
            (``"10m"``, seconds as a number, ``0`` to unload at once, ``-1`` forever).
        truncate: Whether Ollama may cut embedding inputs longer than the context
            window (its default) or must answer with an error.
        headers: Extra HTTP headers sent with every call.
        timeout: Seconds, or :class:`~llmkit.http.Timeouts` for connect/read/total limits.
        max_retries: Retries of failures that may pass on a second try (default 2).
        retry: A full :class:`~llmkit.http.RetryPolicy` (instead of ``max_retries``).
        http_client: An ``httpx2.AsyncClient`` to use instead of the shared pool.
        proxy: Proxy URL for this model's connections.
        limits: Connection-pool sizes (:class:`~llmkit.http.PoolLimits`).
        transport: The HTTP library: ``"aiohttp"`` or ``"httpx2"`` (default: the
            ``LLMKIT_TRANSPORT`` environment variable, else ``"aiohttp"``).
        verify: Check the server's certificate against the system's CA store (True),
            the CA bundle at a path, or not at all (False).
        http2: Offer HTTP/2 (served by ``"httpx2"``; needs the ``h2`` package).
        capabilities: Override what the model is assumed to accept.
    """

    provider = "ollama"
    key_env = (KEY_ENV,)

    def __init__(
        self,
        model_id: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        keep_alive: str | float | None = None,
        truncate: bool | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeouts | float | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx2.AsyncClient | None = None,
        proxy: str | None = None,
        limits: PoolLimits | None = None,
        transport: str | None = None,
        verify: bool | str = True,
        http2: bool = False,
        capabilities: Capabilities | None = None,
    ) -> None:
        if not model_id or not isinstance(model_id, str):
            raise UsageError("A model id is required, e.g. OllamaModel('llama3.2').")
        check_capabilities(capabilities, self.provider)
        retry = RetryPolicy.of(max_retries, retry)
        if isinstance(keep_alive, bool):
            raise UsageError("keep_alive= takes a duration such as '10m', or seconds (0 unloads).")
        self.model_id = model_id
        self.capabilities = capabilities or ollama_capabilities(model_id)
        self.keep_alive = keep_alive
        self.truncate = truncate
        self._endpoint = _endpoint(
            base_url=base_url,
            api_key=api_key,
            model_id=model_id,
            headers=headers,
            timeout=timeout,
            retry=retry,
            connection=ConnectionOptions(
                limits=limits or PoolLimits(),
                proxy=proxy,
                verify=verify,
                http2=http2,
                transport=transport,
            ),
            http_client=http_client,
        )
        # What holds_key() answers (the endpoint above sends the same key).
        self._keyed = bool(api_key if api_key is not None else _env(KEY_ENV))

    async def _post(self, path: str, body: Mapping[str, Any]) -> JSONReply:
        try:
            return await self._endpoint.post_json(path, body)
        except StreamInterruptedError:
            raise
        except ProviderConnectionError as exc:
            raise _not_running(exc, self.base_url) from None

    async def _open(self, body: Mapping[str, Any]) -> StreamReply:
        try:
            return await self._endpoint.open_stream("/api/chat", body)
        except StreamInterruptedError:
            raise
        except ProviderConnectionError as exc:
            raise _not_running(exc, self.base_url) from None

    async def generate(self, request: Request) -> Response:
        """Send ``request`` and return the complete response."""
        check_request(request, "generate")
        body = encode_request(
            request, self.model_id, self.capabilities, stream=False, keep_alive=self.keep_alive
        )
        reply = await self._post("/api/chat", body)
        return decode_response(reply.data, request_id=reply.request_id, request=request)

    def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        """Send ``request`` and yield events as they arrive; the last is ``model.response``."""
        return self._relay(self._open_stream, request)

    async def _open_stream(self, request: Request) -> StreamPlan:
        """Check and send ``request``; the open reply and how :meth:`stream` decodes it."""
        check_request(request, "stream")
        body = encode_request(
            request, self.model_id, self.capabilities, stream=True, keep_alive=self.keep_alive
        )
        reply = await self._open(body)
        if "html" in reply.headers.get("content-type", ""):
            await reply.aclose()
            raise InvalidResponseError(
                f"ollama answered HTTP {reply.status} with an HTML page instead of JSON: is "
                f"{self.base_url} Ollama's address, and not a web page or a proxy's login page?",
                status=reply.status,
                provider=self.provider,
            )
        decoder = StreamDecoder(request=request)
        return StreamPlan(
            reply,
            reply.ndjson_batches(),
            decoder.feed,
            decoder.response,
            ended=lambda: decoder.done,
            complete=lambda: decoder.done,
            missing_end="the answer ended before its last line ('done': true)",
        )

    async def embed(self, inputs: Sequence[str], *, dimensions: int | None = None) -> Embeddings:
        """Embed each text; one vector per input, in order."""
        texts = embed_texts(inputs)
        body = encode_embeddings(
            texts,
            self.model_id,
            dimensions,
            truncate=self.truncate,
            keep_alive=self.keep_alive,
        )
        reply = await self._post("/api/embed", body)
        result = decode_embeddings(reply.data)
        if len(result) != len(texts):
            raise InvalidResponseError(
                f"ollama returned {len(result)} vectors for {len(texts)} inputs.",
                provider=self.provider,
            )
        return result

    @classmethod
    async def list_models(
        cls,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: Timeouts | float | None = None,
    ) -> list[str]:
        """The names of the models the running Ollama has (``"llama3.2:latest"`` …), from ``/api/tags``.

        ``base_url`` defaults to ``OLLAMA_HOST`` as for a model.
        """
        endpoint = _endpoint(base_url=base_url, api_key=api_key, model_id="", timeout=timeout)
        try:
            reply = await endpoint.get_json("/api/tags")
        except ProviderConnectionError as exc:
            raise _not_running(exc, endpoint.base_url) from None
        return decode_models(reply.data)

    @classmethod
    def list_models_sync(
        cls,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: Timeouts | float | None = None,
    ) -> list[str]:
        """Blocking twin of :meth:`list_models`."""
        return run_sync(cls.list_models(base_url, api_key=api_key, timeout=timeout))
