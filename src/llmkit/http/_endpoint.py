"""An :class:`Endpoint`: where a provider lives and how to talk to it over HTTP.

Every model request goes through here: the shared pooled transport (or the
user's own client), timeouts, retries with backoff, error mapping onto the
error tree, and secret redaction. Providers only build bodies and read
answers. The transport (:mod:`llmkit.http._transport`) only sends; every
failure it reports is mapped here, the same way whichever transport sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from llmkit._json import body_bytes, loads_body
from llmkit._version import __version__
from llmkit.errors import (
    InvalidResponseError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    StreamInterruptedError,
    UsageError,
    error_for_status,
)
from llmkit.http._checks import check_headers
from llmkit.http._guard import check_request
from llmkit.http._options import ConnectionOptions, Timeouts
from llmkit.http._pool import SharedTransport
from llmkit.http._retry import RetryPolicy, parse_retry_after, retry_delay
from llmkit.http._transport import (
    InvalidRequestURL,
    Reply,
    Transport,
    TransportFailure,
    TransportTimeout,
    choose_transport,
)
from llmkit.http._url import check_base_url, join_url, origin, split_base_url

if TYPE_CHECKING:
    import httpx2

    from llmkit.http._decoders import NDJSONDecoder, SSEDecoder, SSEEvent

__all__ = [
    "Endpoint",
    "ErrorInfo",
    "ErrorParser",
    "JSONReply",
    "StreamReply",
    "parse_error_body",
]

T = TypeVar("T")

logger = logging.getLogger("llmkit.http")

_REQUEST_ID_HEADERS = ("x-request-id", "request-id")
_loads = loads_body


@dataclass(slots=True)
class ErrorInfo:
    """What a provider's error body says, as read by the provider's error parser."""

    message: str
    error_type: str | None = None
    code: str | None = None
    param: str | None = None
    error_class: type[ProviderError] | None = None
    """Force this error class (e.g. a context-length error hidden in a 400)."""
    hint: str | None = None
    """What the user should do, appended to the message."""
    retry_after: float | None = None
    """Seconds to wait that the body asks for (used when no ``Retry-After`` header says)."""


ErrorParser = Callable[[int, bytes], ErrorInfo]
"""Reads a provider's error body: ``(status, body) -> ErrorInfo``.

The default is :func:`parse_error_body`. Each provider passes the ``read`` method
of its own reader, from its package's ``errors.py``:
:class:`~llmkit.providers.openai.errors.OpenAIErrors`,
:class:`~llmkit.providers.anthropic.errors.AnthropicErrors`,
:class:`~llmkit.providers.gemini.errors.GeminiErrors` and
:class:`~llmkit.providers.ollama.errors.OllamaErrors`.
"""


def parse_error_body(status: int, body: bytes) -> ErrorInfo:
    """Read the common error shapes: ``{"error": {"message": …}}``, ``{"error": "…"}``, ``{"message": …}``."""
    try:
        data = _loads(body) if body else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, str):
            return ErrorInfo(err)
        if isinstance(err, dict):
            message = err.get("message") or err.get("detail") or ""
            return ErrorInfo(
                str(message) if message else _snippet(body),
                _opt_str(err.get("type") or err.get("status")),
                _opt_str(err.get("code")),
                _opt_str(err.get("param")),
            )
    return ErrorInfo(_snippet(body) or f"HTTP {status} with an empty body")


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _snippet(body: bytes, limit: int = 300) -> str:
    text = body[:limit].decode("utf-8", "replace").strip()
    return text + ("…" if len(body) > limit else "")


@dataclass(slots=True)
class JSONReply:
    """A successful JSON answer: the decoded body and what the headers said."""

    data: Any
    status: int
    request_id: str | None
    headers: Mapping[str, str]


class Endpoint:
    """One provider's HTTP endpoint: base URL, auth headers, timeouts, retries, pool.

    ``secrets`` are strings (API keys) that must never reach an error message,
    a log line or a repr; they are redacted from everything this class builds.
    """

    __slots__ = (
        "_connection",
        "_error_parser",
        "_headers",
        "_injected",
        "_query",
        "_root",
        "_secrets",
        "_shared",
        "_stream_headers",
        "base_url",
        "params",
        "provider",
        "retry",
        "timeouts",
        "transport",
    )

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        headers: Mapping[str, str] | None = None,
        secrets: Sequence[str] = (),
        timeout: Timeouts | float | None = None,
        retry: RetryPolicy | None = None,
        connection: ConnectionOptions | None = None,
        http_client: httpx2.AsyncClient | None = None,
        error_parser: ErrorParser = parse_error_body,
        params: Mapping[str, str] | None = None,
    ) -> None:
        """An endpoint of ``provider`` at ``base_url``; nothing is sent until the first call.

        ``error_parser`` reads the body of a failed call (:data:`ErrorParser`);
        the providers pass ``OpenAIErrors(...).read``, ``AnthropicErrors(...).read``,
        ``GeminiErrors(...).read`` or ``OllamaErrors(...).read`` from
        ``llmkit/providers/<name>/errors.py``. ``params`` ride on the query of every
        request, after the base URL's own.
        """
        self.provider = provider
        check_headers(headers, provider)
        self.base_url = check_base_url(base_url, provider)
        self._root, query = split_base_url(self.base_url, provider)
        self.timeouts = Timeouts.of(timeout)
        self.retry = retry if retry is not None else RetryPolicy()
        self.params = dict(params) if params else None
        # The base URL's own query and ``params`` ride on every request, after the path.
        extra = urlencode(self.params) if self.params else ""
        self._query = "&".join(q for q in (query, extra) if q)
        self._secrets = tuple(s for s in secrets if s and len(s) >= 4)
        self._headers = {
            "accept": "application/json",
            "content-type": "application/json",
            "user-agent": f"llmkit/{__version__}",
            **(headers or {}),
        }
        self._stream_headers = {**self._headers, "accept": "text/event-stream"}
        self._connection = connection if connection is not None else ConnectionOptions()
        self.transport = choose_transport(self._connection, injected=http_client is not None)
        """The HTTP library this endpoint sends through: ``"aiohttp"`` or ``"httpx2"``."""
        self._injected: Transport | None = None
        self._shared = SharedTransport(self._connection, self.transport)
        if http_client is not None:
            from llmkit.http._httpx import HttpxTransport

            self._injected = HttpxTransport(http_client, owned=False)
        self._error_parser = error_parser

    def __repr__(self) -> str:
        return f"<Endpoint {self.provider} {self.base_url}>"

    # ----------------------------------------------------------------- public

    async def post_json(self, path: str, body: Mapping[str, Any]) -> JSONReply:
        """POST ``body`` as JSON and return the decoded JSON answer, retrying as the policy says."""
        content = self._encode(body)
        total = self.timeouts.total
        if total is None:
            response = await self._send("POST", path, content, stream=False)
        else:
            try:
                async with asyncio.timeout(total):
                    response = await self._send("POST", path, content, stream=False)
            except TimeoutError:
                raise self._total_timeout_error() from None
        return self._json_reply(response)

    async def get_json(self, path: str) -> JSONReply:
        """GET ``path`` and return the decoded JSON answer."""
        response = await self._send("GET", path, None, stream=False)
        return self._json_reply(response)

    async def open_stream(self, path: str, body: Mapping[str, Any]) -> StreamReply:
        """POST ``body`` and return the open streamed answer (retries happen before the first byte)."""
        content = self._encode(body)
        total = self.timeouts.total
        if total is None:
            response = await self._send("POST", path, content, stream=True)
        else:
            try:
                async with asyncio.timeout(total):
                    response = await self._send("POST", path, content, stream=True)
            except TimeoutError:
                raise self._total_timeout_error() from None
        return StreamReply(self, response)

    def redact(self, text: str) -> str:
        """``text`` with every secret of this endpoint replaced by ``[redacted]``."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "[redacted]")
        return text

    # --------------------------------------------------------------- internals

    def _encode(self, body: Mapping[str, Any]) -> bytes:
        """The JSON bytes of a request body; what JSON cannot carry is a :class:`UsageError`."""
        try:
            # NaN and infinity are not JSON: a server would read them as a syntax error.
            return body_bytes(body)
        except ValueError as exc:
            if "JSON compliant" not in str(exc):
                raise UsageError(
                    f"The request body for {self.provider} cannot be sent as JSON: {exc}."
                ) from None
            raise UsageError(
                f"The request body for {self.provider} holds a number JSON cannot carry (NaN or "
                "infinity). Pass finite numbers for temperature, top_p, penalties and any "
                "extra= or model_settings value."
            ) from None
        except TypeError as exc:
            raise UsageError(
                f"The request body for {self.provider} holds a value JSON cannot carry ({exc}); "
                "extra= and model_settings values must be JSON: dicts, lists, strings, "
                "numbers, booleans or None."
            ) from None

    async def _send(self, method: str, path: str, content: bytes | None, *, stream: bool) -> Reply:
        url = join_url(self._root, path, self._query)
        check_request(url, self.provider)
        transport = self._injected or self._shared.get()
        headers = self._stream_headers if stream else self._headers
        attempt = 0
        while True:
            error: ProviderError
            try:
                response = await transport.send(
                    method, url, headers, content, self.timeouts, stream=stream
                )
                if stream and response.status >= 400:
                    try:
                        await response.read()
                    finally:
                        await response.aclose()
            except TransportTimeout as exc:
                error = self._timeout_error(exc.kind)
            except InvalidRequestURL as exc:
                raise UsageError(
                    f"Cannot reach {self.provider} at {self.base_url!r}: {self.redact(str(exc))}. "
                    "Check base_url (it must look like https://api.example.com/v1)."
                ) from None
            except TransportFailure as exc:
                error = ProviderConnectionError(
                    f"{self.provider}: could not connect to {origin(self.base_url)}: "
                    f"{self.redact(str(exc))}. Check that the server is running and base_url "
                    "is right.",
                    provider=self.provider,
                )
            else:
                if response.status < 400:
                    return response
                error = self._status_error(response)
            delay = retry_delay(self.retry, attempt, error)
            if delay is None:
                raise error
            attempt += 1
            logger.info(
                "%s: %s; retry %d of %d in %.2fs",
                self.provider,
                type(error).__name__,
                attempt,
                self.retry.max_retries,
                delay,
            )
            await asyncio.sleep(delay)

    def _json_reply(self, response: Reply) -> JSONReply:
        body = response.content
        headers = response.headers
        content_type = headers.get("content-type", "")
        if "html" in content_type:
            raise self._html_error(response.status, body)
        try:
            data = _loads(body)
        except ValueError as exc:
            raise InvalidResponseError(
                f"{self.provider} answered HTTP {response.status} with a body that is not JSON "
                f"({exc}): {self.redact(_snippet(body, 200))!r}",
                status=response.status,
                provider=self.provider,
                request_id=_request_id(headers),
                body=self.redact(_snippet(body, 2000)),
            ) from None
        return JSONReply(data, response.status, _request_id(headers), headers)

    def _status_error(self, response: Reply) -> ProviderError:
        status = response.status
        body = response.content
        headers = response.headers
        if "html" in headers.get("content-type", "") and status not in (429, 503, 529):
            return self._html_error(status, body)
        info = self._error_parser(status, body)
        cls = info.error_class or error_for_status(status)
        label = info.code or info.error_type
        message = f"{self.provider} returned HTTP {status}" + (f" ({label})" if label else "")
        message += f": {info.message}"
        if info.hint:
            message += f" {info.hint}"
        should_retry = headers.get("x-should-retry")
        retryable = None if should_retry is None else should_retry.lower() == "true"
        return cls(
            self.redact(message),
            status=status,
            provider=self.provider,
            error_type=info.error_type,
            code=info.code,
            param=info.param,
            provider_message=self.redact(info.message),
            request_id=_request_id(headers),
            body=self.redact(_snippet(body, 4000)),
            retryable=retryable,
            retry_after=_first_known(parse_retry_after(headers), info.retry_after),
        )

    def _html_error(self, status: int, body: bytes) -> ProviderError:
        return InvalidResponseError(
            f"{self.provider} answered HTTP {status} with an HTML page instead of JSON: "
            f"is base_url ({self.base_url}) the API's address, and not a web page or a "
            "proxy's login page?",
            status=status,
            provider=self.provider,
            body=self.redact(_snippet(body, 2000)),
            retryable=status >= 500,
        )

    def _timeout_error(self, kind: str) -> ProviderTimeoutError:
        seconds = {
            "connect": self.timeouts.connect,
            "read": self.timeouts.read,
            "write": self.timeouts.write,
            "pool": self.timeouts.pool,
        }.get(kind)
        limit = f" ({seconds:g}s)" if seconds is not None else ""
        return ProviderTimeoutError(
            f"{self.provider}: the {kind} timeout{limit} ran out talking to "
            f"{origin(self.base_url)}. Pass a larger timeout= if the model is slow.",
            provider=self.provider,
        )

    def _total_timeout_error(self) -> ProviderTimeoutError:
        return ProviderTimeoutError(
            f"{self.provider}: no answer within the total timeout of {self.timeouts.total:g}s "
            f"(retries included). Pass a larger timeout= if the model is slow.",
            provider=self.provider,
            retryable=False,
        )


class StreamReply:
    """An open streamed answer. Iterate :meth:`sse` or :meth:`ndjson`, then :meth:`aclose`.

    A connection that breaks part-way raises
    :class:`~llmkit.errors.StreamInterruptedError`; whatever was yielded
    before stays with the caller.
    """

    __slots__ = ("_endpoint", "_response", "headers", "request_id", "status")

    def __init__(self, endpoint: Endpoint, response: Reply) -> None:
        self._endpoint = endpoint
        self._response = response
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers
        self.request_id = _request_id(response.headers)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The raw body, chunk by chunk as it arrives."""
        try:
            async for chunk in self._response.chunks():
                yield chunk
        except TransportFailure as exc:
            raise self._broken(exc) from None

    def sse(self) -> AsyncIterator[SSEEvent]:
        """The body decoded as Server-Sent Events."""
        return _each(self.sse_batches())

    def sse_batches(self) -> AsyncIterator[list[SSEEvent]]:
        """The body decoded as Server-Sent Events, in lists: those each network read completed.

        What a model's stream reads: one generator step per network read, not per event.
        """
        from llmkit.http._decoders import SSEDecoder  # loaded by the first stream, not with llmkit

        return self._batches(SSEDecoder())

    def ndjson(self) -> AsyncIterator[Any]:
        """The body decoded as newline-delimited JSON values."""
        return _each(self.ndjson_batches())

    def ndjson_batches(self) -> AsyncIterator[list[Any]]:
        """The body decoded as newline-delimited JSON values, in lists as :meth:`sse_batches`."""
        from llmkit.http._decoders import NDJSONDecoder

        return self._batches(NDJSONDecoder())

    async def _batches(self, decoder: SSEDecoder | NDJSONDecoder) -> AsyncIterator[list[Any]]:
        try:
            # The transport's chunks directly, not through chunks(): one generator less per chunk.
            async for chunk in self._response.chunks():
                if items := decoder.feed(chunk):
                    yield items
        except TransportFailure as exc:
            raise self._broken(exc) from None
        if items := decoder.close():
            yield items

    def _broken(self, exc: TransportFailure) -> StreamInterruptedError:
        if not isinstance(exc, TransportTimeout):
            return self.interrupted(self._endpoint.redact(str(exc)))
        if exc.kind != "read":
            return self.interrupted(f"the {exc.kind} timeout ran out")
        return self.interrupted(f"no data for {self._endpoint.timeouts.read:g}s (read timeout)")

    def interrupted(self, reason: str) -> StreamInterruptedError:
        """The error for a stream that broke off for ``reason``."""
        return StreamInterruptedError(
            f"{self._endpoint.provider}: the stream broke off before it was complete: {reason}. "
            "What arrived before the break was delivered; retry the call to get a full answer.",
            status=self.status,
            provider=self._endpoint.provider,
            request_id=self.request_id,
        )

    async def aclose(self) -> None:
        """Close the connection (returning it to the pool when the body was fully read)."""
        await self._response.aclose()


def _first_known(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)


def _request_id(headers: Mapping[str, str]) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


async def _each(batches: AsyncIterator[list[T]]) -> AsyncIterator[T]:
    async for items in batches:
        for item in items:
            yield item
