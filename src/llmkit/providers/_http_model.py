"""What every model reached over HTTP shares: its endpoint, its address and its price."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
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
from llmkit.types import Request, Response, Usage

if TYPE_CHECKING:
    import httpx2

__all__ = ["HTTPModel", "StreamPlan", "check_capabilities"]


@dataclass(slots=True, frozen=True)
class StreamPlan:
    """An opened streamed answer and how to decode it, for :meth:`HTTPModel._relay`."""

    reply: StreamReply
    """The open reply; closed when the relay ends, however it ends."""
    items: AsyncIterator[list[Any]]
    """What the reply's body decodes to (SSE events, NDJSON values), a list per network read."""
    feed: Callable[[Any], list[StreamEvent]]
    """The events one item gives."""
    build: Callable[[], Response]
    """The response assembled from what arrived so far."""
    ended: Callable[[], bool]
    """True once the answer's end marker arrived (the rest of the body is ignored)."""
    complete: Callable[[], bool]
    """True when what arrived is a complete answer."""
    missing_end: str | Callable[[], str]
    """What an interrupted stream was missing (or a function that says it)."""


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

    key_env: tuple[str, ...] = ()
    """The environment variables this model's key is read from when no ``api_key=`` is given,
    the first one set winning (``("OPENAI_API_KEY",)``); empty when it reads none. A remote
    executor names them to the workers, which rebuild the model and read its key there."""
    _endpoint: Endpoint
    _pricing: ModelPricing | None = None
    _price_key: tuple[str, str] | None = None
    """(provider, model id) whose price prices the responses."""
    _keyed: bool = False

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
        self._keyed = bool(key)
        # Looked up at the first response, not here: the price dataset loads on first use.
        self._price_key = (price_family or self.provider, self.model_id)

    @property
    def base_url(self) -> str:
        """The API address this model talks to."""
        return self._endpoint.base_url

    def holds_key(self, candidate: str | None = None) -> bool:
        """Whether this model sends an API key; with ``candidate``, whether it is that very key.

        The key itself is never returned: a remote executor asks this to tell a key the workers
        can read from their environment from one given as ``api_key=``.
        """
        if not self._keyed:
            return False
        if candidate is None:
            return True
        return bool(candidate) and self._endpoint.redact(candidate) == "[redacted]"

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
        self, start: Callable[[Request], Awaitable[StreamPlan]], request: Request
    ) -> AsyncGenerator[StreamEvent, None]:
        """Open the stream with ``start(request)``, yield its events, then the priced ``model.response``.

        ``start`` runs at the first iteration, as the body of an ``async def
        stream`` would: a provider's ``stream`` returns this generator itself,
        so each event passes through one generator, not two. After
        ``plan.ended()`` the rest of the body is read and ignored, so the
        connection goes back to the pool. A body that stops before
        ``plan.complete()`` (an end marker without the final chunk counts as
        stopping) raises :class:`StreamInterruptedError` whose ``partial`` is
        what ``plan.build()`` assembled from what arrived; ``plan.missing_end``
        (or what it returns) says what was missing.
        """
        plan = await start(request)
        reply = plan.reply
        feed = plan.feed
        ended = plan.ended
        try:
            async for items in plan.items:
                for item in items:
                    if ended():
                        break
                    for event in feed(item):
                        yield event
            if not plan.complete():
                missing_end = plan.missing_end
                raise reply.interrupted(
                    missing_end if isinstance(missing_end, str) else missing_end()
                )
        except StreamInterruptedError as exc:
            exc.partial = plan.build()
            raise
        finally:
            await reply.aclose()
        response = plan.build()
        if response.request_id is None:
            response.request_id = reply.request_id
        self._price_usage(response.usage)
        yield ModelResponse(response)
