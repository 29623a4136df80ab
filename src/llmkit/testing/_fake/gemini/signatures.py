"""Thought signatures the fake Gemini server hands out, and how it tells them from forged ones.

A real signature is opaque encrypted model state; the fake's is a keyed hash
of the function name (or of ``"text"``), base64-encoded, so a client that
sends back what it got passes and one that invents a signature is caught.
The two placeholders Google documents for calls that did not come from
Gemini pass too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

__all__ = ["PLACEHOLDERS", "is_valid", "issue"]

PLACEHOLDERS = frozenset(
    ("skip_thought_signature_validator", "context_engineering_is_the_way_to_go")
)
"""Dummy signatures the API accepts for function calls from another source."""

_KEY = b"llmkit fake gemini thought signatures"
_PREFIX = b"llmkit-thought:"


def _mac(context: str) -> bytes:
    return hmac.new(_KEY, context.encode("utf-8"), hashlib.sha256).digest()[:18]


def issue(context: str) -> str:
    """A signature for a function call named ``context`` (or ``"text"`` for other parts)."""
    return base64.b64encode(_PREFIX + _mac(context)).decode("ascii")


def is_valid(signature: str, context: str) -> bool:
    """Whether ``signature`` is a placeholder or one this server issued for ``context``."""
    if signature in PLACEHOLDERS:
        return True
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return raw.startswith(_PREFIX) and hmac.compare_digest(raw[len(_PREFIX) :], _mac(context))
