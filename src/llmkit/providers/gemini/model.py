"""The Gemini model class: address, key and API version, then ``generate``, ``stream``, ``embed``
and ``count_tokens``.

The only module of :mod:`llmkit.providers.gemini` that does I/O: bodies come
from :mod:`~llmkit.providers.gemini.encode`, answers are read by
:mod:`~llmkit.providers.gemini.decode` and error bodies by
:class:`~llmkit.providers.gemini.errors.GeminiErrors`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING

from llmkit.errors import InvalidResponseError, MissingAPIKeyError, UsageError
from llmkit.events import StreamEvent
from llmkit.http import (
    PoolLimits,
    RetryPolicy,
    Timeouts,
    check_api_key,
    check_headers,
    join_url,
    split_base_url,
)
from llmkit.providers._checks import embed_texts
from llmkit.providers._http_model import HTTPModel, StreamPlan, check_capabilities
from llmkit.providers._profiles.gemini import GeminiProfile, gemini_profile
from llmkit.providers.base import Capabilities, check_request
from llmkit.providers.gemini.decode import StreamDecoder, decode_embeddings, decode_response
from llmkit.providers.gemini.encode import encode_embeddings, encode_request
from llmkit.providers.gemini.errors import GeminiErrors
from llmkit.types import Embeddings, Request, Response

if TYPE_CHECKING:
    import httpx2

__all__ = ["DEFAULT_BASE_URL", "GeminiModel"]

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
"""Where the Gemini API lives; the API version is appended to it."""

_KEY_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
_VERSIONS = ("v1", "v1beta", "v1alpha")
_EMBED_BATCH = 100  # the most requests one :batchEmbedContents call takes


class GeminiModel(HTTPModel):
    """A model behind the Gemini API: chat, streaming, tools, structured output, embeddings.

    Args:
        model_id: The model id (``"gemini-2.5-flash"``; a ``"models/"`` prefix is allowed).
        api_key: The API key; never logged, printed, put in a URL or in errors.
        base_url: The API root without the version, e.g. ``"http://127.0.0.1:8080"``
            (an address that already ends in ``/v1`` or ``/v1beta`` is used as is).
        api_version: ``"v1beta"`` (default), ``"v1"`` or ``"v1alpha"``.
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
        profile: Override the model's wire profile (JSON Schema support, thought
            signatures, thinking controls); by default it comes from the model id.
    """

    provider = "gemini"
    key_env = _KEY_VARS

    def __init__(
        self,
        model_id: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        api_version: str = "v1beta",
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
        profile: GeminiProfile | None = None,
    ) -> None:
        if not isinstance(model_id, str):
            raise UsageError("A model id is required, e.g. GeminiModel('gemini-2.5-flash').")
        check_api_key(api_key, self.provider, "GEMINI_API_KEY")
        check_headers(headers, self.provider)
        check_capabilities(capabilities, self.provider)
        model_id = model_id.removeprefix("models/")
        if not model_id:
            raise UsageError("A model id is required, e.g. GeminiModel('gemini-2.5-flash').")
        if api_version not in _VERSIONS:
            raise UsageError(
                f"Unknown Gemini API version {api_version!r}; use one of: {', '.join(_VERSIONS)}."
            )
        self.model_id = model_id
        self.api_version = api_version
        # Tuned models and other resources are named in full ("tunedModels/x").
        self._resource = model_id if "/" in model_id else f"models/{model_id}"
        self.profile = profile if profile is not None else gemini_profile(model_id)
        self.capabilities = capabilities if capabilities is not None else self.profile.capabilities
        address = base_url if base_url is not None else _env("GEMINI_BASE_URL") or DEFAULT_BASE_URL
        root, query = split_base_url(address, "gemini")
        key = api_key if api_key is not None else next(filter(None, map(_env, _KEY_VARS)), None)
        if not key and root == DEFAULT_BASE_URL:
            raise MissingAPIKeyError("gemini", "GEMINI_API_KEY")
        if root.rsplit("/", 1)[-1] not in _VERSIONS:
            root = f"{root}/{api_version}"
        auth = {"x-goog-api-key": key} if key else {}
        self._connect(
            base_url=join_url(root, "", query),
            headers={**auth, **(headers or {})},
            key=key,
            error_parser=GeminiErrors(model_id, api_version).read,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            http_client=http_client,
            proxy=proxy,
            limits=limits,
            transport=transport,
            verify=verify,
            http2=http2,
        )

    async def generate(self, request: Request) -> Response:
        """Send ``request`` and return the complete response."""
        check_request(request, "generate")
        body = encode_request(request, self.model_id, self.profile)
        reply = await self._endpoint.post_json(f"/{self._resource}:generateContent", body)
        response = decode_response(reply.data, request_id=reply.request_id, request=request)
        return self._priced(response)

    async def count_tokens(self, request: Request) -> int:
        """The input tokens ``request`` would cost, counted by Gemini (``countTokens``).

        The whole generate request is sent (``generateContentRequest``), so the system
        instruction and the tool declarations are counted with the contents.
        """
        check_request(request, "count_tokens")
        body = encode_request(request, self.model_id, self.profile)
        reply = await self._endpoint.post_json(
            f"/{self._resource}:countTokens",
            {"generateContentRequest": {"model": self._resource, **body}},
        )
        data = reply.data
        tokens = data.get("totalTokens", 0) if isinstance(data, dict) else None
        if not isinstance(tokens, int) or isinstance(tokens, bool):
            raise InvalidResponseError(
                "gemini answered a token count without an integer totalTokens.",
                provider=self.provider,
                request_id=reply.request_id,
            )
        return tokens

    def _priced(self, response: Response) -> Response:
        self._price_usage(response.usage)
        return response

    def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        """Send ``request`` and yield events as they arrive; the last is ``model.response``."""
        return self._relay(self._open_stream, request)

    async def _open_stream(self, request: Request) -> StreamPlan:
        """Check and send ``request``; the open reply and how :meth:`stream` decodes it."""
        check_request(request, "stream")
        body = encode_request(request, self.model_id, self.profile)
        path = f"/{self._resource}:streamGenerateContent?alt=sse"
        reply = await self._endpoint.open_stream(path, body)
        decoder = StreamDecoder(request_id=reply.request_id, request=request)
        return StreamPlan(
            reply,
            reply.sse_batches(),
            lambda event: decoder.feed_data(event.data),
            decoder.response,
            ended=lambda: False,  # Gemini has no end marker: every chunk counts
            complete=lambda: decoder.finished,
            missing_end="the stream ended before its final chunk",
        )

    async def embed(self, inputs: Sequence[str], *, dimensions: int | None = None) -> Embeddings:
        """Embed each text; one vector per input, in order (100 texts per call)."""
        texts = embed_texts(inputs)
        result = Embeddings(model=self.model_id)
        path = f"/{self._resource}:batchEmbedContents"
        for start in range(0, len(texts), _EMBED_BATCH):
            body = encode_embeddings(
                texts[start : start + _EMBED_BATCH], self._resource, dimensions
            )
            reply = await self._endpoint.post_json(path, body)
            batch = decode_embeddings(reply.data, model=self.model_id)
            result.extend(batch)
            result.usage = result.usage + batch.usage
        # Gemini reports no token count for embeddings: a cost from zero tokens would be a guess.
        if result.usage.input_tokens:  # Gemini may report no tokens for embeddings
            self._price_usage(result.usage)
        return result


def _env(name: str) -> str | None:
    return os.environ.get(name) or None
