"""The results file of a batch: one JSON line per finished item, read back to resume.

Each line is an item's outcome (``ItemOutcome.to_dict()``) plus ``"key"``, a digest of the
item's input, so a file is only ever resumed against the inputs it was written for::

    {"index": 3, "key": "9f2c51d0a8e4b7c1", "output": "Paris", "usage": {...}}
    {"index": 7, "key": "04be7a1933c2d8f0", "error": {"type": "RateLimitError", "message": "..."}, ...}

What always holds:

- a line is written (and flushed to the operating system) as soon as its item finishes; the
  file is fsync'd at most once a second while the batch runs, and when it ends, so a crash
  loses at most the last second of lines to a power cut and nothing to a killed process;
- the lines already in the file are never rewritten: a line cut short by a crash (the last
  one, with no newline) is dropped and the file continues after the last whole line;
- reading back, the last line of an index wins; items whose last line is a success are done
  (skipped when the batch runs again), failed ones run again;
- a file written for other inputs (an index past their end, or a success whose key differs
  from the input now at that index) is refused with :class:`~llmkit.errors.UsageError` before anything
  runs; a line that is not a results line (a bad ``usage`` included) is refused with
  :class:`~llmkit.errors.SerializationError` naming it;
- keys are digests of the inputs' JSON form, or of what ``key(input)`` returns: an input with no
  JSON form and no ``key=`` is refused up front (its key would differ in the next process);
- one batch at a time writes a file: it holds an exclusive lock (``flock``) on it while open, and
  a second writer is refused with :class:`~llmkit.errors.UsageError` naming the file; lines are
  appended (``O_APPEND``) after the cut line is dropped.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from llmkit._json import dumps, dumps_sorted
from llmkit._redact import redact
from llmkit.errors import SerializationError, UsageError
from llmkit.types import Usage
from llmkit.workflow._batch_item import ItemOutcome

__all__ = ["KeyFunction", "ResultsFile", "input_key"]

_FSYNC_EVERY = 1.0  # seconds between fsyncs while lines keep coming


_USAGE_COUNTS = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "requests",
)

KeyFunction = Callable[[Any], str]
"""What ``batch(key=...)`` takes: a stable string that names an input (equal inputs, equal keys)."""


def input_key(value: Any, key: KeyFunction | None = None, *, index: int = 0) -> str:
    """A short digest of an input's JSON form (or of ``key(value)``): equal inputs give equal keys.

    An input with no JSON form is refused with :class:`~llmkit.errors.UsageError` when no
    ``key`` is given: a digest of its ``repr`` would change from one process to the next.
    """
    from pydantic_core import PydanticSerializationError, to_jsonable_python

    if key is not None:
        named = key(value)
        if not isinstance(named, str):
            raise UsageError(
                f"key= returned a {type(named).__name__} for input {index}; it must return a "
                "string that names the input (the same string for the same input)."
            )
        text = named
    else:
        try:
            text = dumps_sorted(to_jsonable_python(value))
        except (PydanticSerializationError, TypeError, ValueError):
            raise UsageError(
                f"Input {index} (a {type(value).__name__}) has no JSON form, so a results file "
                "cannot recognise it when the batch runs again: pass JSON-able inputs (text, "
                "numbers, dicts, lists, pydantic models, dataclasses) or key=, a function giving "
                "each input a stable string."
            ) from None
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _lock(fd: int, path: Path) -> None:
    """Take the exclusive lock of the results file, or refuse a second writer."""
    if sys.platform == "win32":  # pragma: no cover - no flock on Windows
        return
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UsageError(
            f"{path} is the results file of another batch that is running: pass another "
            "results path, or wait for that batch to end."
        ) from None


class ResultsFile:
    """An open results file: what it already holds (:attr:`done`), and :meth:`write` for more."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        inputs: Sequence[Any],
        *,
        clock: Callable[[], float] = time.monotonic,
        key: KeyFunction | None = None,
        revive: Callable[[Any], Any] | None = None,
    ) -> None:
        self.path = Path(path)
        self._keys = [input_key(value, key, index=i) for i, value in enumerate(inputs)]
        self._inputs = inputs
        self._clock = clock
        self._revive = revive
        self.done: dict[int, ItemOutcome] = {}
        """The outcomes already in the file that succeeded, by index (skipped when resuming)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        self._file: IO[bytes] = os.fdopen(fd, "a+b")
        try:
            _lock(fd, self.path)
            self._file.seek(0)
            keep = self._read(self._file.read())
            self._file.truncate(keep)
        except BaseException:
            self._file.close()
            raise
        self._synced = self._clock()

    def _read(self, data: bytes) -> int:
        """Load the file's lines; the size of its whole lines (a cut last line is left out)."""
        whole = data.rfind(b"\n") + 1
        last: dict[int, tuple[int, dict[str, Any]]] = {}
        for number, raw in enumerate(data[:whole].splitlines(), start=1):
            if raw.strip():
                line = self._parse(raw, number)
                last[line["index"]] = (number, line)
        for index, (number, line) in last.items():
            if line["key"] == self._keys[index]:
                if "error" not in line:
                    self.done[index] = self._outcome(line, number)
            elif "error" not in line:
                # A failed item's input may have been fixed since; a finished one may not change.
                raise UsageError(
                    f"{self.path} holds results for other inputs: item {index} (line {number}) "
                    "was another input. Pass a new results path (or delete the file) to start over."
                )
        return whole

    def _parse(self, raw: bytes, number: int) -> dict[str, Any]:
        where = f"line {number} of {self.path}"
        try:
            line = json.loads(raw)
            index, key = line["index"], line["key"]
            if not isinstance(key, str):
                raise TypeError("the key is not a string")
            _check_usage(line.get("usage"))
        except (ValueError, KeyError, TypeError) as exc:
            raise SerializationError(
                f"{where} is not a batch results line ({exc}); "
                "pass another results path, or remove the line to go on."
            ) from None
        if not isinstance(index, int) or not 0 <= index < len(self._keys):
            raise UsageError(
                f"{self.path} holds results for other inputs: {where} is item {index!r}, and "
                f"there are {len(self._keys)} inputs. Pass a new results path (or delete the "
                "file) to start over."
            )
        return dict(line)

    def _outcome(self, line: dict[str, Any], number: int) -> ItemOutcome:
        index = line["index"]
        usage = Usage.from_dict(line.get("usage") or {})
        output = line.get("output")
        if self._revive is not None:
            try:
                output = self._revive(output)
            except Exception as exc:
                raise SerializationError(
                    f"line {number} of {self.path} holds an output that is not the target's "
                    f"output type ({redact(str(exc))[:300]}); pass a new results path (or "
                    "delete the file) to start over."
                ) from None
        return ItemOutcome(index, self._inputs[index], output, usage=usage, resumed=True)

    def write(self, outcome: ItemOutcome) -> None:
        """Append ``outcome``'s line (flushed; fsync'd when the last fsync is a second old)."""
        data = outcome.to_dict()
        data["key"] = self._keys[outcome.index]
        self._file.write(dumps(data).encode() + b"\n")
        self._file.flush()
        now = self._clock()
        if now - self._synced >= _FSYNC_EVERY:
            os.fsync(self._file.fileno())
            self._synced = now

    def close(self) -> None:
        """Flush, fsync and close the file (calling it again does nothing)."""
        if self._file.closed:
            return
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()  # closing the file releases its lock


def _check_usage(usage: Any) -> None:
    """Raise TypeError when ``usage`` is not the JSON form of a :class:`Usage` (or absent)."""
    if usage is None:
        return
    if not isinstance(usage, dict):
        raise TypeError(f"the usage is a {type(usage).__name__}, not an object")
    for name in _USAGE_COUNTS:
        count = usage.get(name, 0)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise TypeError(f"the usage's {name} is {count!r}, not a whole number")
    cost = usage.get("cost")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int | float)):
        raise TypeError(f"the usage's cost is {cost!r}, not a number")
    if not isinstance(usage.get("estimated", False), bool):
        raise TypeError("the usage's estimated is not true or false")
