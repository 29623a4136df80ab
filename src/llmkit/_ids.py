"""Random ids for runs and items: the text of ``uuid.uuid4().hex``, made without a ``UUID`` object.

32 lowercase hex digits from 16 bytes of ``os.urandom``, with the version
(4) and variant (RFC 4122) bits set as ``uuid4`` sets them, so
``uuid.UUID(new_id())`` reads back as a version-4 UUID. Every run starts
with one, and building a ``UUID`` object only to read its ``.hex`` costs
about four times as much.
"""

from __future__ import annotations

import os

__all__ = ["new_id"]

_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_SET = (0x4000 << 64) | (0x8000 << 48)


def new_id() -> str:
    """A new random id: 32 hex digits, a version-4 UUID's ``.hex``."""
    return f"{int.from_bytes(os.urandom(16)) & _CLEAR | _SET:032x}"
