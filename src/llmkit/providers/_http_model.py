"""What every model reached over HTTP shares: its endpoint, its address and its price."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from llmkit.errors import StreamInterruptedError, UsageError
from llmkit.events import ModelResponse, StreamEvent
from llmkit.http import (
    ConnectionOptions,
    Endpoint,
    ErrorParser,
    PoolLimits,
    RetryPolicy,
    StreamReply,
    Timeouts,
)
from llmkit.providers._prices import ModelPricing
from llmkit.providers.base import Capabilities, Model
from llmkit.types import Response, Usage

if TYPE_CHECKING:
    import httpx2

__all__ = ["HTTPModel", "check_capabilities"]


def check_capabilities(value: object, provider: str) -> None:
    """Refuse a ``capabilities=`` override that is not a :class:`Capabilities` (None is fine)."""
    if value is not None and not isinstance(value, Capabilities):
        raise UsageError(
            f"capabilities= for {provider} takes a Capabilities, e.g. "
            f"dataclasses.replace(model.capabilities, tools=False), not {type(value).__name__}."
        )


class HTTPModel(Model):
    """A :class:`Model` behind an HTTP API: one :class:`~llmkit.http.Endpoint` and a price.

    Subclasses call :meth:`_connect` from ``__init__`` with the options every
    HTTP model takes (headers, timeout, retries, client, proxy, pool limits,
    transport, certificate checks, HTTP/2).
    """

    _endpoint: Endpoint
    _pricing: ModelPricing | None = None
    _price_key: tuple[str, str] | None = None
    """(provider, model id) whose price prices the responses."""

    def _connect(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        key: str | None,
        error_parser: ErrorParser,
        timeout: Timeouts | float | None,
        max_retries: int | None,
        retry: RetryPolicy | None,
        http_client: httpx2.AsyncClient | None,
        proxy: str | None,
        limits: PoolLimits | None,
        transport: str | None = None,
        verify: bool | str = True,
        http2: bool = False,
        price_family: str | None = None,
    ) -> None:
        """Build this model's endpoint (``key`` is sent in ``headers`` and redacted everywhere)."""
        self._endpoint = Endpoint(
            provider=self.provider,
            base_url=base_url,
            headers=headers,
            secrets=(key,) if key else (),
            timeout=timeout,
            retry=RetryPolicy.of(max_retries, retry),
            connection=ConnectionOptions(
                limits=limits or PoolLimits(),
                proxy=proxy,
                verify=verify,
                http2=http2,
                transport=transport,
            ),
            http_client=http_client,
            error_parser=error_parser,
        )
        # Looked up at the first response, not here: the price dataset loads on first use.
        self._price_key = (price_family or self.provider, self.model_id)

    @property
    def base_url(self) -> str:
        """The API address this model talks to."""
        return self._endpoint.base_url

    @property
    def transport(self) -> str:
        """The HTTP library this model's calls go through: ``"aiohttp"`` or ``"httpx2"``.

        ``"httpx2"`` serves what ``"aiohttp"`` cannot (``http2=True``, a SOCKS proxy,
        an ``http_client=``), whatever ``transport=`` asked for.
        """
        return self._endpoint.transport

    def _price_usage(self, usage: Usage) -> None:
        """Price ``usage`` at the model's price, looked up when its cost is first read."""
        if self._pricing is None and self._price_key is not None:
            self._pricing = ModelPricing(*self._price_key)
        if self._pricing is not None:
            self._pricing.price(usage)

    async def _relay(
        self,
        reply: StreamReply,
        items: AsyncIterator[Any],
        feed: Callable[[Any], list[StreamEvent]],
        build: Callable[[], Response],
        *,
        ended: Callable[[], bool],
        complete: Callable[[], bool],
        missing_end: str | Callable[[], str],
    ) -> AsyncGenerator[StreamEvent, None]:
        """Yield the events ``feed`` decodes from ``items``, then the priced ``model.response``.

        After ``ended()`` the rest of the body is read and ignored, so the
        connection goes back to the pool. A body that stops before
        ``complete()`` (an end marker without the final chunk counts as
        stopping) raises :class:`StreamInterruptedError` whose ``partial`` is
        what ``build()`` assembled from what arrived; ``missing_end`` (or what
        it returns) says what was missing.
        """
        try:
            async for item in items:
                if ended():
                    continue
                for event in feed(item):
                    yield event
            if not complete():
                raise reply.interrupted(
                    missing_end if isinstance(missing_end, str) else missing_end()
                )
        except StreamInterruptedError as exc:
            exc.partial = build()
            raise
        finally:
            await reply.aclose()
        response = build()
        if response.request_id is None:
            response.request_id = reply.request_id
        self._price_usage(response.usage)
        yield ModelResponse(response)
