"""What every model reached over HTTP shares: its endpoint, its address and its price."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from llmkit.http import ConnectionOptions, Endpoint, ErrorParser, PoolLimits, RetryPolicy, Timeouts
from llmkit.providers._prices import Price, price_of
from llmkit.providers.base import Model
from llmkit.types import Usage

if TYPE_CHECKING:
    import httpx2

__all__ = ["HTTPModel"]


class HTTPModel(Model):
    """A :class:`Model` behind an HTTP API: one :class:`~llmkit.http.Endpoint` and a price.

    Subclasses call :meth:`_connect` from ``__init__`` with the options every
    HTTP model takes (headers, timeout, retries, client, proxy, pool limits).
    """

    _endpoint: Endpoint
    _price: Price | None = None

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
            connection=ConnectionOptions(limits=limits or PoolLimits(), proxy=proxy),
            http_client=http_client,
            error_parser=error_parser,
        )
        self._price = price_of(price_family or self.provider, self.model_id)

    @property
    def base_url(self) -> str:
        """The API address this model talks to."""
        return self._endpoint.base_url

    def _price_usage(self, usage: Usage) -> None:
        """Set ``usage.cost`` from the price table (left None for unlisted models)."""
        if self._price is not None:
            usage.cost = self._price.cost(usage)
