"""Network rules for tools that fetch: a host allow-list, no private addresses, limits.

Every request a tool makes goes through :meth:`NetPolicy.fetch`, which

- accepts only ``http`` and ``https`` URLs whose host is on the allow-list
  (``"example.com"``, ``"*.example.com"`` for subdomains, ``"*"`` for any);
- resolves the host and refuses it when *any* of its addresses is not public
  (private, loopback, link-local, multicast, reserved, documentation …: an
  explicit table from IANA's registries, the same on every Python, in
  ``_addresses``), unless ``allow_networks`` lets that address in. An IPv6
  address that carries an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``,
  IPv4-compatible ``::a.b.c.d``, IPv4-translated, NAT64 ``64:ff9b::/96``, 6to4
  ``2002::/16``) is refused when the IPv4 address it carries would be; Teredo
  and NAT64's local-use prefix ``64:ff9b:1::/48`` are never public. Decimal,
  octal and hexadecimal spellings of an IP resolve to the address they mean,
  and that address is what is checked;
- connects to the address it checked (the host name still goes in the
  ``Host`` header and in TLS's SNI and certificate check), so a second DNS
  answer cannot point the connection elsewhere;
- follows redirects itself, checking each new URL by the same rules; when a
  redirect leaves the origin (scheme, host and port) of the request, the
  configured ``headers`` (all of them) and the caller's ``Authorization``,
  ``Cookie`` and ``Proxy-Authorization`` are not sent again;
- stops at ``max_bytes`` of body and ``timeout`` seconds for the whole exchange.

Requests use llmkit's transport (the pooled ``httpx2`` client of :mod:`llmkit.http`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from llmkit.errors import ToolError, UsageError
from llmkit.tools.builtin._addresses import Address, carried_ipv4, public, same_host_ipv4
from llmkit.tools.builtin._policy import Refused

__all__ = ["Fetched", "NetPolicy", "Resolver"]

Resolver: TypeAlias = Callable[[str, int], Awaitable[list[str]]]
"""``(host, port) -> IP addresses``; the default asks the system resolver."""

_Network: TypeAlias = "ipaddress.IPv4Network | ipaddress.IPv6Network"
_REDIRECTS = (301, 302, 303, 307, 308)
_SENSITIVE = ("authorization", "cookie", "proxy-authorization")
_DROPPED = frozenset(("host", "content-length", "transfer-encoding", "connection"))


def _origin(url: Any) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of an ``httpx2.URL``, the port filled in when it is the default."""
    return url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80)


async def _system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(slots=True)
class Fetched:
    """A response read whole (within the limits)."""

    url: str
    status: int
    headers: dict[str, str]
    content: bytes
    redirects: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        """The media type, lower-case, without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        """The body decoded with the declared charset (UTF-8 when none or unknown)."""
        charset = "utf-8"
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                charset = value.strip().strip('"')
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class NetPolicy:
    """Where tools may connect, and how much they may fetch. Build with :meth:`build`."""

    allow_hosts: tuple[str, ...]
    allow_networks: tuple[_Network, ...] = ()
    max_bytes: int = 2_000_000
    timeout: float = 20.0
    max_redirects: int = 5
    headers: Mapping[str, str] = field(default_factory=dict)
    resolver: Resolver = _system_resolver

    @classmethod
    def build(
        cls,
        *,
        allow_hosts: Iterable[str],
        allow_networks: Iterable[str] = (),
        max_bytes: int = 2_000_000,
        timeout: float = 20.0,
        max_redirects: int = 5,
        headers: Mapping[str, str] | None = None,
        resolver: Resolver | None = None,
    ) -> NetPolicy:
        """A policy from user-facing options; bad options raise UsageError.

        ``allow_networks`` lists networks (``"127.0.0.1/32"``, ``"10.0.0.0/8"``)
        that may be reached although they are private; ``resolver`` replaces the
        system's DNS lookup (for tests and custom resolution).
        """
        if isinstance(allow_hosts, str):
            raise UsageError("allow_hosts= takes a list of host names, not one string.")
        hosts = tuple(h.strip().lower().rstrip(".") for h in allow_hosts)
        if not hosts or not all(hosts):
            raise UsageError(
                "allow_hosts= must name the hosts tools may reach, e.g. ['api.example.com', "
                "'*.example.org'] (['*'] allows every public host)."
            )
        try:
            networks = tuple(ipaddress.ip_network(n, strict=False) for n in allow_networks)
        except ValueError as exc:
            raise UsageError(f"allow_networks=: {exc}.") from None
        if max_bytes <= 0 or timeout <= 0 or max_redirects < 0:
            raise UsageError("max_bytes and timeout must be positive, max_redirects not negative.")
        return cls(
            allow_hosts=hosts,
            allow_networks=networks,
            max_bytes=max_bytes,
            timeout=float(timeout),
            max_redirects=max_redirects,
            headers=dict(headers or {}),
            resolver=resolver or _system_resolver,
        )

    def host_allowed(self, host: str) -> bool:
        """Whether ``host`` (a name or an IP literal) is on the allow-list."""
        host = host.lower().rstrip(".")
        for pattern in self.allow_hosts:
            if pattern == "*" or pattern == host:
                return True
            if pattern.startswith("*.") and host.endswith(pattern[1:]):
                return True
        return False

    def check_url(self, url: str) -> Any:
        """The parsed ``httpx2.URL``, refused when its scheme or host is not allowed."""
        import httpx2

        try:
            parsed = httpx2.URL(url)
        except Exception as exc:
            raise ToolError(f"Cannot read the URL {url!r}: {exc}.") from None
        if parsed.scheme not in ("http", "https"):
            raise Refused("scheme", f"only http and https URLs are allowed, not {url!r}.")
        if not parsed.host:
            raise ToolError(f"The URL {url!r} has no host.")
        if not self.host_allowed(parsed.host):
            raise Refused(
                "allow_hosts",
                f"the host {parsed.host!r} is not on the allow-list "
                f"({', '.join(self.allow_hosts)}).",
            )
        return parsed

    async def address(self, host: str, port: int) -> str:
        """The address to connect to for ``host``; refused if any of its addresses is not allowed."""
        try:
            found = await self.resolver(host, port)
        except OSError as exc:
            raise ToolError(f"Cannot resolve the host {host!r}: {exc}.") from None
        if not found:
            raise ToolError(f"The host {host!r} has no address.")
        for text in found:
            address: Address = ipaddress.ip_address(text.split("%")[0])
            if self._allowed(address):
                continue
            carried = [str(a) for a in carried_ipv4(address) if not public(a)]
            shown = f"{address} (which carries {', '.join(carried)})" if carried else str(address)
            raise Refused(
                "private_address",
                f"{host!r} resolves to {shown}, which is not a public address (private, "
                "loopback, link-local, multicast, documentation or otherwise reserved); such "
                "addresses are not reachable from tools.",
            )
        return found[0]

    def _allowed(self, address: Address) -> bool:
        """Whether tools may connect to ``address``: public, or in ``allow_networks``."""
        if any(address in net for net in self.allow_networks):
            return True
        v4 = same_host_ipv4(address)
        if v4 is not None:
            # The local stack connects to the IPv4 address itself: judge it as that address.
            return self._allowed(v4)
        return public(address)

    async def fetch(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> Fetched:
        """Send the request, following allowed redirects; the body is read within the limits."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(method.upper(), url, dict(headers or {}), content)
        except TimeoutError:
            raise Refused("timeout", f"{url} did not answer within {self.timeout:g} s.") from None

    async def _fetch(
        self, method: str, url: str, headers: dict[str, str], content: bytes | None
    ) -> Fetched:
        import httpx2

        from llmkit.http import ConnectionOptions, shared_client

        client = shared_client(ConnectionOptions())
        # Configured headers (credentials) win over the model's: a call cannot replace them.
        configured = {k.lower() for k in self.headers}
        given = {k: v for k, v in headers.items() if k.lower() not in configured}
        sent = {k: v for k, v in {**given, **self.headers}.items() if k.lower() not in _DROPPED}
        redirects: list[str] = []
        current = self.check_url(url)
        while True:
            port = current.port or (443 if current.scheme == "https" else 80)
            ip = await self.address(current.host, port)
            target = current.copy_with(host=ip)
            name = f"[{current.host}]" if ":" in current.host else current.host
            host_header = name if current.port is None else f"{name}:{current.port}"
            limit = self.timeout
            extensions: dict[str, Any] = {
                "timeout": {"connect": limit, "read": limit, "write": limit, "pool": limit}
            }
            if current.scheme == "https":
                extensions["sni_hostname"] = current.host
            request = client.build_request(
                method,
                target,
                headers={**sent, "Host": host_header},
                content=content,
                extensions=extensions,
            )
            try:
                response = await client.send(request, stream=True)
            except httpx2.HTTPError as exc:
                raise ToolError(
                    f"Could not reach {current}: {exc or type(exc).__name__}."
                ) from None
            try:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    if len(redirects) >= self.max_redirects:
                        raise Refused(
                            "max_redirects",
                            f"{url} redirected more than {self.max_redirects} times.",
                        )
                    following = current.join(location)
                    redirects.append(str(following))
                    try:
                        following = self.check_url(str(following))
                    except Refused as exc:
                        reason = str(exc).partition(": ")[2]
                        raise Refused(
                            exc.rule, f"{current} redirected to {following}: {reason}"
                        ) from None
                    if _origin(following) != _origin(current):
                        # Configured headers are meant for the origin the call named; none of
                        # them (an API key under any name) follows a redirect elsewhere, and
                        # neither do the model's credentials.
                        sent = {
                            k: v
                            for k, v in sent.items()
                            if k.lower() not in configured and k.lower() not in _SENSITIVE
                        }
                    if response.status_code == 303 or (
                        response.status_code in (301, 302) and method == "POST"
                    ):
                        method, content = ("HEAD" if method == "HEAD" else "GET"), None
                    current = following
                    continue
                body = await self._read(response, str(current))
                return Fetched(
                    str(current), response.status_code, dict(response.headers), body, redirects
                )
            finally:
                await response.aclose()

    async def _read(self, response: Any, url: str) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_big(url)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_big(url)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self, url: str) -> Refused:
        return Refused(
            "max_bytes", f"{url} sent more than {self.max_bytes:,} bytes; it was not read further."
        )
