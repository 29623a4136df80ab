"""The transport: pooled async HTTP clients, timeouts, retries, and stream decoders.

Every model request goes through an :class:`Endpoint`. It uses one pooled
transport per event loop (``aiohttp``, or ``httpx2`` for HTTP/2, SOCKS
proxies and a user's own client), retries failures that may succeed on a
second try (exponential backoff with full jitter, honouring ``Retry-After``),
maps HTTP errors onto :mod:`llmkit.errors`, and never lets an API key into an
error message or log line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit._lazy import lazy_exports
from llmkit.http._checks import check_api_key, check_headers
from llmkit.http._endpoint import (
    Endpoint,
    ErrorInfo,
    ErrorParser,
    JSONReply,
    StreamReply,
    parse_error_body,
)
from llmkit.http._options import ConnectionOptions, PoolLimits, Timeouts
from llmkit.http._pool import aclose_clients, shared_client
from llmkit.http._retry import RetryPolicy, backoff_delay, parse_retry_after, retry_delay
from llmkit.http._url import check_base_url, join_url, split_base_url

if TYPE_CHECKING:
    from llmkit.http._decoders import NDJSONDecoder, SSEDecoder, SSEEvent

# The stream decoders load with the first stream: a program that never streams never loads them.
_LAZY = dict.fromkeys(("NDJSONDecoder", "SSEDecoder", "SSEEvent"), "llmkit.http._decoders")

__all__ = [
    "ConnectionOptions",
    "Endpoint",
    "ErrorInfo",
    "ErrorParser",
    "JSONReply",
    "NDJSONDecoder",
    "PoolLimits",
    "RetryPolicy",
    "SSEDecoder",
    "SSEEvent",
    "StreamReply",
    "Timeouts",
    "aclose_clients",
    "backoff_delay",
    "check_api_key",
    "check_base_url",
    "check_headers",
    "join_url",
    "parse_error_body",
    "parse_retry_after",
    "retry_delay",
    "shared_client",
    "split_base_url",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
