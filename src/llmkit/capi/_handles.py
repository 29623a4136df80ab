"""Handles: the 64-bit ids C holds for Python objects, checked on every use and never dereferenced.

A handle packs a tag, a slot and the slot's generation. Guarantees:

- A handle that was freed (the slot's generation moved on), freed twice, or
  never was a handle (no tag, a slot out of range) looks up to ``None``; the
  pointer C passes is only ever read as a number.
- The table is safe to use from any thread.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

__all__ = ["Handles"]

T = TypeVar("T")

_TAG = 0x11C7 << 48
_TAG_MASK = 0xFFFF << 48
_FIELD = 0xFFFFFF


class Handles(Generic[T]):
    """A table of objects by handle; see the module's guarantees."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[T | None] = []
        self._generations: list[int] = []
        self._free: list[int] = []

    def add(self, item: T) -> int:
        """A new handle for ``item``."""
        with self._lock:
            if self._free:
                slot = self._free.pop()
            else:
                if len(self._items) > _FIELD:
                    raise MemoryError("no handle left: free some clients first")
                slot = len(self._items)
                self._items.append(None)
                self._generations.append(1)
            self._items[slot] = item
            return _TAG | slot << 24 | self._generations[slot]

    def _slot(self, handle: int) -> int | None:
        if handle & _TAG_MASK != _TAG:
            return None
        slot, generation = handle >> 24 & _FIELD, handle & _FIELD
        if slot >= len(self._items) or self._generations[slot] != generation:
            return None
        return slot if self._items[slot] is not None else None

    def get(self, handle: int) -> T | None:
        """The object of ``handle``, or None for a freed or foreign handle."""
        with self._lock:
            slot = self._slot(handle)
            return None if slot is None else self._items[slot]

    def pop(self, handle: int) -> T | None:
        """Remove ``handle`` (it is invalid from now on) and give its object (None: see :meth:`get`)."""
        with self._lock:
            slot = self._slot(handle)
            if slot is None:
                return None
            item = self._items[slot]
            self._items[slot] = None
            self._generations[slot] = self._generations[slot] % _FIELD + 1
            self._free.append(slot)
            return item

    def handles(self) -> list[int]:
        """Every live handle."""
        with self._lock:
            return [
                _TAG | slot << 24 | self._generations[slot]
                for slot, item in enumerate(self._items)
                if item is not None
            ]
