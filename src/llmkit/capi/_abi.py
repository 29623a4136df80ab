"""The C ABI's fixed facts: its version, its status codes, and the functions of the header.

They mirror ``llmkit.h``; the build checks that the header declares exactly the
functions of :data:`EXPORTS` and :data:`C_ONLY`, so the two cannot drift apart.
"""

from __future__ import annotations

import enum
from typing import Literal, TypeAlias

__all__ = ["ABI_VERSION", "C_ONLY", "EXPORTS", "Returns", "Status", "twin"]

ABI_VERSION = 1
"""``LLMKIT_ABI_VERSION`` of the header this package builds."""


class Status(enum.IntEnum):
    """``llmkit_status``: what a call of the C ABI gives back (values fixed for ABI version 1)."""

    OK = 0
    ERR_ARGUMENT = 1
    ERR_JSON = 2
    ERR_UTF8 = 3
    ERR_NOT_FOUND = 4
    ERR_RUN = 5
    ERR_TOOL = 6
    ERR_CANCELLED = 7
    ERR_TIMEOUT = 8
    ERR_STATE = 9
    ERR_INIT = 10
    ERR_INTERNAL = 11
    ERR_HANDLE = 12


Returns: TypeAlias = Literal["status", "client", "text", "void"]
"""What a Python twin returns: a status, a client handle, a string llmkit owns, nothing."""

C_ONLY = ("llmkit_version", "llmkit_abi_version")
"""The functions of ``llmkit.h`` written in C alone (``llmkit.c``): they never start Python."""

EXPORTS: dict[str, Returns] = {
    "llmkit_init": "status",
    "llmkit_shutdown": "status",
    "llmkit_client_new": "client",
    "llmkit_client_free": "void",
    "llmkit_tool_register": "status",
    "llmkit_run": "status",
    "llmkit_stream": "status",
    "llmkit_cancel": "status",
    "llmkit_last_error": "text",
    "llmkit_free": "void",
    "llmkit_json_get": "status",
    "llmkit_json_text": "status",
}
"""The functions of ``llmkit.h`` that run in Python, with the kind of value each returns.

Each has a Python twin (:func:`twin`), which ``llmkit.c`` calls once Python is up.
"""


def twin(name: str) -> str:
    """The name of the Python twin of the function ``name``: ``llmkit_run`` -> ``llmkit_py_run``."""
    return "llmkit_py_" + name.removeprefix("llmkit_")
