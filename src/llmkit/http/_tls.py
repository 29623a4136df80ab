"""One verified SSL context per process for each way of verifying, shared by every client.

Loading a CA bundle takes tens of milliseconds. A client built for each new
event loop (a script that calls ``asyncio.run`` per call) would pay that on
every call, even for ``http://127.0.0.1``. What always holds here:

- a context is built on first use, never at ``import llmkit``;
- one context exists per ``(verify, http2)`` pair and per value of the
  ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` variables, shared by every client of
  every event loop and by both transports;
- ``verify=True`` trusts what the HTTP clients trust by default:
  ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` when set, else the system's CA store
  (through ``truststore`` on macOS and Windows, when it is installed);
  ``verify="path"`` trusts only the CA bundle file (or hashed directory) at
  that path; ``verify=False`` checks no certificate at all;
- the protocols offered by ALPN are ``http/1.1``, plus ``h2`` for a context
  built for HTTP/2, so a context is never changed after it is handed out
  for one of them.
"""

from __future__ import annotations

import os
import platform
import ssl
import threading

from llmkit.errors import UsageError

__all__ = ["check_verify", "ssl_context"]

_lock = threading.Lock()
_contexts: dict[tuple[bool | str, bool, str | None, str | None], ssl.SSLContext] = {}


def check_verify(verify: object) -> None:
    """Refuse a ``verify=`` that is neither a bool nor a path string."""
    if isinstance(verify, bool) or (isinstance(verify, str) and verify):
        return
    raise UsageError(
        "verify= takes True (check certificates against the system's CA store), a path to a "
        "CA bundle such as '/etc/ssl/my-ca.pem', or False (check nothing); not "
        f"{type(verify).__name__}."
    )


def ssl_context(verify: bool | str = True, *, http2: bool = False) -> ssl.SSLContext:
    """The process's shared SSL context for ``verify``, built on first use."""
    key = (verify, http2, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _contexts.get(key)
    if context is None:
        with _lock:
            context = _contexts.get(key)
            if context is None:
                context = _contexts[key] = _build(verify, http2, key[2], key[3])
    return context


def _build(
    verify: bool | str, http2: bool, cert_file: str | None, cert_dir: str | None
) -> ssl.SSLContext:
    if verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif isinstance(verify, str):
        try:
            if os.path.isdir(verify):
                context = ssl.create_default_context(capath=verify)
            else:
                context = ssl.create_default_context(cafile=verify)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(
                f"verify={verify!r} is not a readable CA bundle ({exc}); pass the path of a PEM "
                "file of CA certificates, or True for the system's CA store."
            ) from None
    elif cert_file:
        context = ssl.create_default_context(cafile=cert_file)
    elif cert_dir:
        context = ssl.create_default_context(capath=cert_dir)
    else:
        context = _system_context()
    context.set_alpn_protocols(["h2", "http/1.1"] if http2 else ["http/1.1"])
    return context


def _system_context() -> ssl.SSLContext:
    if platform.system() in ("Darwin", "Windows"):
        try:
            import truststore
        except ImportError:
            pass
        else:
            return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return ssl.create_default_context()
