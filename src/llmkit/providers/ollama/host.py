"""Where Ollama listens: ``OLLAMA_HOST`` read the way the ``ollama`` command reads it.

Pure, no I/O. :func:`parse_host` turns any address form the command accepts
(``myhost``, ``:8080``, ``0.0.0.0:11434``, ``https://ollama.example.com``) into
the base URL a client connects to; :data:`DEFAULT_HOST` is where a local
Ollama listens when the variable is unset.
"""

from __future__ import annotations

import ipaddress

from llmkit.errors import UsageError
from llmkit.providers.ollama.errors import KEY_ENV

__all__ = ["DEFAULT_HOST", "HOST_ENV", "parse_host"]

HOST_ENV = "OLLAMA_HOST"
"""The variable naming where Ollama listens, as the ``ollama`` command reads it."""
DEFAULT_HOST = "http://127.0.0.1:11434"
"""Where Ollama listens when ``OLLAMA_HOST`` is unset."""
_DEFAULT_PORT = 11434


def parse_host(value: str | None) -> str:
    """The base URL for an ``OLLAMA_HOST``-style address, read the way the ``ollama`` command does.

    A scheme, a port and a path are all optional: ``"myhost"`` is
    ``http://myhost:11434``, ``":8080"`` is ``http://127.0.0.1:8080``, a bare
    ``http://`` or ``https://`` address defaults to port 80 or 443, and
    ``"ollama.com"`` is ``https://ollama.com:443``. An address to listen on
    everywhere (``0.0.0.0``, ``::``) means this machine, so it becomes the
    loopback address a client can connect to. Empty means the default.

    >>> parse_host("0.0.0.0:11434")
    'http://127.0.0.1:11434'
    """
    if value is not None and not isinstance(value, str):
        raise UsageError(
            f"The Ollama address must be a string such as {DEFAULT_HOST!r}, "
            f"not {type(value).__name__}."
        )
    text = (value or "").strip().strip("\"'").strip()
    # Any "@": a password holding "/", "?" or "#" would end the host early and pass for a
    # port or a path, and be echoed by the errors below.
    if "@" in text:
        raise UsageError(
            "The Ollama address holds an '@': a user name or password before the host is not "
            "accepted. Do not put credentials in the address: pass a hosted Ollama's key as "
            f"api_key=... (or {KEY_ENV}), and other credentials as headers={{...}}."
        )
    scheme, sep, rest = text.partition("://")
    default_port = _DEFAULT_PORT
    if not sep:
        scheme, rest = "http", text
        if text == "ollama.com":
            scheme, rest = "https", "ollama.com:443"
    else:
        scheme = scheme.lower()
        if scheme not in ("http", "https"):
            raise UsageError(
                f"Cannot use {text!r} as the Ollama address: the scheme must be http or https "
                f"(e.g. {DEFAULT_HOST}). Set {HOST_ENV} or pass base_url=...."
            )
        default_port = 80 if scheme == "http" else 443
    hostport, _, path = rest.partition("/")
    host, port_text = _split_host_port(hostport)
    port = default_port
    if port_text:
        if not port_text.isdigit() or int(port_text) > 65535:
            raise UsageError(
                f"Cannot use {text!r} as the Ollama address: {port_text!r} is not a port number. "
                f"Set {HOST_ENV} to an address like 'myhost:11434' or {DEFAULT_HOST!r}."
            )
        port = int(port_text)
    host = _connectable(host or "127.0.0.1")
    url = f"{scheme}://{host}:{port}"
    path = path.strip("/")
    return f"{url}/{path}" if path else url


def _split_host_port(hostport: str) -> tuple[str, str]:
    """``(host, port)`` of ``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` (port may be "")."""
    if hostport.startswith("["):
        host, _, after = hostport[1:].partition("]")
        return host, after[1:] if after.startswith(":") else ""
    if hostport.count(":") == 1:
        host, _, port = hostport.partition(":")
        return host, port
    return hostport, ""  # a bare name, or an IPv6 address without brackets


def _connectable(host: str) -> str:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if ip.is_unspecified:
        return "127.0.0.1" if ip.version == 4 else "[::1]"
    return f"[{ip.compressed}]" if ip.version == 6 else ip.compressed
