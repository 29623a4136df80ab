"""Removing secrets (API keys, bearer tokens) from text that leaves the process: logs, recordings.

Two nets: the values of environment variables whose names say they hold a
secret (``*_API_KEY``, ``*_TOKEN``, ``*_SECRET`` …), and the shapes keys
usually have (``sk-…``, ``Bearer …``, Google's ``AIza…``).
"""

from __future__ import annotations

import os
import re

__all__ = ["REDACTED", "environment_secrets", "redact"]

REDACTED = "[redacted]"

_SHAPES = re.compile(
    r"(?:\bsk-[A-Za-z0-9_\-]{16,})"
    r"|(?:\bAIza[0-9A-Za-z_\-]{30,})"
    r"|(?<=Bearer )[A-Za-z0-9._~+/=\-]{8,}"
    r"|(?:\b(?:xai|gsk|csk|fw|pplx)-[A-Za-z0-9_\-]{16,})"
)
_SECRET_NAMES = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD)$", re.I)


def environment_secrets() -> tuple[str, ...]:
    """The values of the environment's secret variables now, longest first.

    :func:`redact` reads them at each call, so keys set after start-up (tests,
    notebooks) count too; a caller redacting many texts in a row (a served run's
    events) reads them once and passes them with ``environment=False``.
    """
    values = {
        value
        for name, value in os.environ.items()
        if len(value) >= 8 and _SECRET_NAMES.search(name)
    }
    return tuple(sorted(values, key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...] = (), *, environment: bool = True) -> str:
    """``text`` with secrets replaced by ``[redacted]``: ``secrets``, environment keys (unless
    ``environment=False``: the caller passed them), key shapes."""
    for secret in (*secrets, *environment_secrets()) if environment else secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return _SHAPES.sub(REDACTED, text)
