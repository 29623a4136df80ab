"""The OpenAI model class: address, key and headers, then ``generate``, ``stream`` and ``embed``.

The only module of :mod:`llmkit.providers.openai` that does I/O: bodies come
from :mod:`~llmkit.providers.openai.encode`, answers are read by
:mod:`~llmkit.providers.openai.decode` and error bodies by
:class:`~llmkit.providers.openai.errors.OpenAIErrors`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from llmkit.errors import MissingAPIKeyError, UsageError
from llmkit.events import StreamEvent
from llmkit.http import (
    PoolLimits,
    RetryPolicy,
    Timeouts,
    check_api_key,
    check_base_url,
    check_headers,
    join_url,
    split_base_url,
)
from llmkit.providers._checks import embed_texts
from llmkit.providers._http_model import HTTPModel, StreamPlan, check_capabilities
from llmkit.providers._presets import PRESETS, Preset
from llmkit.providers._profiles.openai import OpenAIProfile, openai_profile
from llmkit.providers.base import Capabilities, check_request
from llmkit.providers.openai.decode import StreamDecoder, decode_embeddings, decode_response
from llmkit.providers.openai.encode import encode_embeddings, encode_request
from llmkit.providers.openai.errors import OpenAIErrors
from llmkit.types import Embeddings, Request, Response

if TYPE_CHECKING:
    import httpx2

__all__ = ["OpenAIModel"]

_EMBED_BATCH = 2048  # the most inputs the embeddings endpoint takes per call


class OpenAIModel(HTTPModel):
    """A model behind the OpenAI Chat Completions API (or an OpenAI-compatible server).

    Options left out come from the environment: the preset's key variable
    (``OPENAI_API_KEY`` for ``"openai"``) and address variable
    (``OPENAI_BASE_URL``), then the preset's default address.

    Args:
        model_id: The model id the server knows (``"gpt-4.1-mini"``, ``"qwen2.5"``).
        api_key: The API key; never logged, printed or put in errors.
        base_url: The API root, e.g. ``"http://127.0.0.1:8080/v1"``.
        organization: OpenAI organization id (``OPENAI_ORG_ID``).
        project: OpenAI project id (``OPENAI_PROJECT_ID``).
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
        capabilities: Override what the model is assumed to accept (tools, structured
            output, which ``output_mode`` an agent's ``"auto"`` picks …).
        preset: Which OpenAI-compatible service this is (a name from ``PRESETS``).
        profile: Override the wire profile (how an output schema is sent, the content of
            tool-call turns); by default it comes from the preset and the model id.

    Which profile a model gets: a known OpenAI model id (``gpt-4.1-mini``, ``o3``)
    gets OpenAI's table wherever it is served, with ``"content": ""`` in tool-call
    turns at any address but OpenAI's own; another id on OpenAI's own address is
    a new OpenAI model; another id through ``"openai"`` at another ``base_url`` is a
    model on an unknown compatible server, sent what every server accepts
    (``max_tokens``, ``"content": ""``) with structured output asked for in the
    prompt. Named presets (``"llamacpp"``, ``"vllm"`` …) say what their server takes.
    """

    def __init__(
        self,
        model_id: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
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
        preset: str | Preset = "openai",
        profile: OpenAIProfile | None = None,
    ) -> None:
        if isinstance(preset, str):
            if preset not in PRESETS:
                known = ", ".join(sorted(PRESETS))
                raise UsageError(
                    f"Unknown OpenAI-compatible preset {preset!r}; known presets: {known}."
                )
            preset = PRESETS[preset]
        if not model_id or not isinstance(model_id, str):
            raise UsageError("A model id is required, e.g. OpenAIModel('gpt-4.1-mini').")
        check_api_key(api_key, preset.name, preset.key_env)
        check_headers(headers, preset.name)
        check_capabilities(capabilities, preset.name)
        self.preset = preset
        self.provider = preset.name
        self.key_env = (preset.key_env,) if preset.key_env else ()
        self.model_id = model_id
        url = _resolve_base_url(preset, base_url)
        key = api_key if api_key is not None else _env(preset.key_env)
        if not key and preset.key_required and url == _default_base_url(preset):
            raise MissingAPIKeyError(preset.name, preset.key_env)
        if profile is None:
            profile = openai_profile(model_id, preset, own_address=_own_address(preset, url))
        elif not isinstance(profile, OpenAIProfile):
            raise UsageError(
                f"profile= takes an OpenAIProfile, not {type(profile).__name__}; or pass "
                "capabilities= to change only what the model is assumed to accept."
            )
        if capabilities is not None:
            profile = dataclasses.replace(profile, capabilities=capabilities)
        self.profile: OpenAIProfile = profile
        """How requests are put on the wire for this model (see :class:`OpenAIProfile`)."""
        self.capabilities = profile.capabilities
        self._connect(
            base_url=url,
            headers=_auth_headers(preset, key, organization, project, headers),
            key=key,
            error_parser=OpenAIErrors(preset.name, preset.key_env, model_id).read,
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
        body = encode_request(request, self.model_id, self.profile, stream=False)
        reply = await self._endpoint.post_json("/chat/completions", body)
        response = decode_response(
            reply.data, request_id=reply.request_id, provider=self.provider, request=request
        )
        self._price_usage(response.usage)
        return response

    def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        """Send ``request`` and yield events as they arrive; the last is ``model.response``."""
        return self._relay(self._open_stream, request)

    async def _open_stream(self, request: Request) -> StreamPlan:
        """Check and send ``request``; the open reply and how :meth:`stream` decodes it."""
        check_request(request, "stream")
        body = encode_request(
            request,
            self.model_id,
            self.profile,
            stream=True,
            stream_usage=self.preset.stream_usage,
        )
        reply = await self._endpoint.open_stream("/chat/completions", body)
        decoder = StreamDecoder(
            request_id=reply.request_id, provider=self.provider, request=request
        )
        return StreamPlan(
            reply,
            reply.sse_batches(),
            lambda event: decoder.feed_data(event.data),
            decoder.response,
            ended=lambda: decoder.done,
            # [DONE] alone is no answer: llama.cpp ends an earlier stream that way when
            # requests overlap. Only a finish reason says the answer is complete.
            complete=lambda: decoder.finished,
            missing_end=lambda: (
                "the stream ended with [DONE] but no chunk gave a finish reason"
                if decoder.done
                else "the stream ended before its final chunk"
            ),
        )

    async def embed(self, inputs: Sequence[str], *, dimensions: int | None = None) -> Embeddings:
        """Embed each text; one vector per input, in order."""
        texts = embed_texts(inputs)
        result = Embeddings(model=self.model_id)
        for start in range(0, len(texts), _EMBED_BATCH):
            body = encode_embeddings(texts[start : start + _EMBED_BATCH], self.model_id, dimensions)
            reply = await self._endpoint.post_json("/embeddings", body)
            batch = decode_embeddings(reply.data, provider=self.provider)
            result.extend(batch)
            result.usage = result.usage + batch.usage
            result.model = batch.model or result.model
        self._price_usage(result.usage)
        return result


def _env(name: str | None) -> str | None:
    return os.environ.get(name) or None if name else None


def _own_address(preset: Preset, url: str) -> bool:
    """Whether ``url`` is the preset's own service (always, for a preset without a default)."""
    if preset.base_url is None:
        return True
    return urlsplit(url).hostname == urlsplit(preset.base_url).hostname


def _default_base_url(preset: Preset) -> str | None:
    return preset.base_url.rstrip("/") if preset.base_url else None


def _resolve_base_url(preset: Preset, base_url: str | None) -> str:
    if base_url is not None:
        return check_base_url(base_url, preset.name)
    from_env = _env(preset.base_url_env)
    if from_env:
        root, query = split_base_url(from_env, preset.name)
        if preset.base_url_suffix and not root.endswith(preset.base_url_suffix):
            root += preset.base_url_suffix
        return join_url(root, "", query)
    if preset.base_url is None:
        raise UsageError(
            f"{preset.name} needs an address: set {preset.base_url_env} "
            f"(e.g. https://RESOURCE.openai.azure.com) or pass base_url=...."
        )
    return preset.base_url.rstrip("/")


def _auth_headers(
    preset: Preset,
    key: str | None,
    organization: str | None,
    project: str | None,
    extra: Mapping[str, str] | None,
) -> dict[str, str]:
    headers: dict[str, str] = {}
    if key:
        if preset.auth == "api-key":
            headers["api-key"] = key
        else:
            headers["authorization"] = f"Bearer {key}"
    if preset.name == "openai":
        organization = organization or _env("OPENAI_ORG_ID")
        project = project or _env("OPENAI_PROJECT_ID")
    if organization:
        headers["openai-organization"] = organization
    if project:
        headers["openai-project"] = project
    if extra:
        headers.update(extra)
    return headers
