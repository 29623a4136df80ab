"""Checks of the options every HTTP model takes: the API key and extra headers.

A bad value is a :class:`~llmkit.errors.UsageError` that says what to pass;
a header's value is never echoed (it may be a credential).
"""

from __future__ import annotations

from collections.abc import Mapping

from llmkit.errors import UsageError

__all__ = ["check_api_key", "check_headers"]


def check_api_key(value: object, provider: str, key_env: str | None = None) -> None:
    """Refuse an API key that is not a string (None is fine: the key is then looked up)."""
    if value is None or type(value) is str:
        return
    where = f", or set {key_env}" if key_env else ""
    raise UsageError(
        f"api_key for {provider} must be a string such as 'sk-...'{where}; "
        f"got {type(value).__name__}."
    )


def check_headers(headers: object, provider: str) -> None:
    """Refuse extra headers that are not a mapping of strings to strings (values never echoed)."""
    if headers is None:
        return
    if not isinstance(headers, Mapping):
        raise UsageError(
            f"headers= for {provider} takes a dict of header names to string values, e.g. "
            f"{{'x-team': 'search'}}; got {type(headers).__name__}."
        )
    for name, value in headers.items():
        if not isinstance(name, str):
            raise UsageError(
                f"headers= for {provider}: header names must be strings; got {type(name).__name__}."
            )
        if not isinstance(value, str):
            raise UsageError(
                f"headers= for {provider}: the value of {name!r} must be a string; got "
                f"{type(value).__name__} (convert it with str(...))."
            )
