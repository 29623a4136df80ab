"""The Anthropic model class: address, key, version and betas, then ``generate``, ``stream``
and ``count_tokens``.

The only module of :mod:`llmkit.providers.anthropic` that does I/O: bodies come
from :mod:`~llmkit.providers.anthropic.encode`, answers are read by
:mod:`~llmkit.providers.anthropic.decode` and error bodies by
:class:`~llmkit.providers.anthropic.errors.AnthropicErrors`.
"""

from __future__ import annotations

import dataclasses
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
from llmkit.providers._http_model import HTTPModel, StreamPlan, check_capabilities
from llmkit.providers._profiles.anthropic import AnthropicProfile, anthropic_profile
from llmkit.providers.anthropic.decode import StreamDecoder, decode_response
from llmkit.providers.anthropic.encode import API_VERSIONS, DEFAULT_API_VERSION, encode_request
from llmkit.providers.anthropic.errors import AnthropicErrors
from llmkit.providers.base import Capabilities, check_request
from llmkit.types import Request, Response

if TYPE_CHECKING:
    import httpx2

__all__ = ["AnthropicModel"]

DEFAULT_BASE_URL = "https://api.anthropic.com"
KEY_ENV = "ANTHROPIC_API_KEY"
BASE_URL_ENV = "ANTHROPIC_BASE_URL"
_PATH = "/v1/messages"
_COUNT_PATH = "/v1/messages/count_tokens"
# What /v1/messages/count_tokens takes of a Messages body: the prompt, not the generation settings.
_COUNTED = ("model", "messages", "system", "tools", "tool_choice", "thinking", "output_config")


class AnthropicModel(HTTPModel):
    """A Claude model behind the Anthropic Messages API (or a server that speaks it).

    Options left out come from the environment (``ANTHROPIC_API_KEY``,
    ``ANTHROPIC_BASE_URL``), then the defaults.

    Args:
        model_id: The model id (``"claude-sonnet-4-5"``, ``"claude-haiku-4-5-20251001"``).
        api_key: The API key, sent as ``x-api-key``; never logged, printed or put in errors.
        base_url: The API root without ``/v1`` (default ``https://api.anthropic.com``).
        api_version: The ``anthropic-version`` header (default ``"2023-06-01"``). Under
            ``"2026-10-21"`` temperature and top_p are left out, with a warning.
        betas: Beta features to turn on, sent as the ``anthropic-beta`` header.
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

    provider = "anthropic"
    key_env = (KEY_ENV,)

    def __init__(
        self,
        model_id: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        api_version: str = DEFAULT_API_VERSION,
        betas: Sequence[str] = (),
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
            raise UsageError("A model id is required, e.g. AnthropicModel('claude-sonnet-4-5').")
        check_api_key(api_key, self.provider, KEY_ENV)
        check_headers(headers, self.provider)
        check_capabilities(capabilities, self.provider)
        if api_version not in API_VERSIONS:
            raise UsageError(
                f"Unknown anthropic-version {api_version!r}; use one of: {', '.join(API_VERSIONS)}."
            )
        if isinstance(betas, str):
            raise UsageError("betas= takes a list of beta names, e.g. betas=['beta-name'].")
        self.model_id = model_id
        self.api_version = api_version
        url = _base_url(base_url)
        key = api_key if api_key is not None else (os.environ.get(KEY_ENV) or None)
        if not key and url == DEFAULT_BASE_URL:
            raise MissingAPIKeyError(self.provider, KEY_ENV)
        profile = anthropic_profile(model_id)
        if capabilities is not None:
            profile = dataclasses.replace(profile, capabilities=capabilities)
        elif api_version == "2026-10-21":
            profile = dataclasses.replace(
                profile, capabilities=dataclasses.replace(profile.capabilities, sampling=False)
            )
        self.profile: AnthropicProfile = profile
        """What this model takes on the wire (maximum output, thinking, structured output)."""
        self.capabilities = profile.capabilities
        wire_headers = {"anthropic-version": api_version}
        if key:
            wire_headers["x-api-key"] = key
        if betas:
            wire_headers["anthropic-beta"] = ",".join(betas)
        if headers:
            wire_headers.update(headers)
        self._connect(
            base_url=url,
            headers=wire_headers,
            key=key,
            error_parser=AnthropicErrors(KEY_ENV, model_id).read,
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

    def _priced(self, response: Response) -> Response:
        self._price_usage(response.usage)
        return response

    async def generate(self, request: Request) -> Response:
        """Send ``request`` and return the complete response."""
        check_request(request, "generate")
        body = encode_request(
            request, self.model_id, self.profile, stream=False, api_version=self.api_version
        )
        reply = await self._endpoint.post_json(_PATH, body)
        response = decode_response(
            reply.data, request_id=reply.request_id, provider=self.provider, request=request
        )
        return self._priced(response)

    async def count_tokens(self, request: Request) -> int:
        """The input tokens ``request`` would cost, counted by Anthropic (``count_tokens``).

        The count covers the system prompt, the messages, the tool definitions and the
        thinking settings, as ``generate`` would send them; no reply is generated.
        """
        check_request(request, "count_tokens")
        body = encode_request(
            request, self.model_id, self.profile, stream=False, api_version=self.api_version
        )
        reply = await self._endpoint.post_json(
            _COUNT_PATH, {k: v for k, v in body.items() if k in _COUNTED}
        )
        data = reply.data
        tokens = data.get("input_tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, int) or isinstance(tokens, bool):
            raise InvalidResponseError(
                "anthropic answered a token count without an integer input_tokens.",
                provider=self.provider,
                request_id=reply.request_id,
            )
        return tokens

    def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        """Send ``request`` and yield events as they arrive; the last is ``model.response``.

        An ``error`` event part-way raises its :class:`~llmkit.errors.ProviderError`
        after the events that came before it; a stream that ends without
        ``message_stop`` raises :class:`~llmkit.errors.StreamInterruptedError`
        whose ``partial`` holds what arrived.
        """
        return self._relay(self._open_stream, request)

    async def _open_stream(self, request: Request) -> StreamPlan:
        """Check and send ``request``; the open reply and how :meth:`stream` decodes it."""
        check_request(request, "stream")
        body = encode_request(
            request, self.model_id, self.profile, stream=True, api_version=self.api_version
        )
        reply = await self._endpoint.open_stream(_PATH, body)
        decoder = StreamDecoder(
            request_id=reply.request_id, provider=self.provider, request=request
        )
        return StreamPlan(
            reply,
            reply.sse_batches(),
            lambda event: decoder.feed(event.data),
            decoder.response,
            ended=lambda: decoder.done,
            complete=lambda: decoder.done,
            missing_end="the stream ended before its message_stop event",
        )


def _base_url(base_url: str | None) -> str:
    url = base_url if base_url is not None else os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    root, query = split_base_url(url, "anthropic")
    # The SDKs take the root; an address copied with its /v1 would double it.
    return join_url(root.removesuffix("/v1"), "", query)
