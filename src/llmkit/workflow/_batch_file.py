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
  runs; a line that is not a results line is refused with
  :class:`~llmkit.errors.SerializationError` naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from llmkit._json import dumps, dumps_sorted
from llmkit.errors import SerializationError, UsageError
from llmkit.types import Usage
from llmkit.workflow._batch_item import ItemOutcome

__all__ = ["ResultsFile", "input_key"]

_FSYNC_EVERY = 1.0  # seconds between fsyncs while lines keep coming


def input_key(value: Any) -> str:
    """A short digest of an input's JSON form: equal inputs give equal keys."""
    from pydantic_core import to_jsonable_python

    text = dumps_sorted(to_jsonable_python(value, fallback=repr))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class ResultsFile:
    """An open results file: what it already holds (:attr:`done`), and :meth:`write` for more."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        inputs: Sequence[Any],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self._keys = [input_key(value) for value in inputs]
        self._inputs = inputs
        self._clock = clock
        self.done: dict[int, ItemOutcome] = {}
        """The outcomes already in the file that succeeded, by index (skipped when resuming)."""
        keep = self._read() if self.path.exists() else 0
        self._file: IO[bytes] = open(self.path, "r+b" if self.path.exists() else "wb")  # noqa: SIM115
        self._file.truncate(keep)
        self._file.seek(keep)
        self._synced = self._clock()

    def _read(self) -> int:
        """Load the file's lines; the size of its whole lines (a cut last line is left out)."""
        data = self.path.read_bytes()
        whole = data.rfind(b"\n") + 1
        last: dict[int, tuple[int, dict[str, Any]]] = {}
        for number, raw in enumerate(data[:whole].splitlines(), start=1):
            if raw.strip():
                line = self._parse(raw, number)
                last[line["index"]] = (number, line)
        for index, (number, line) in last.items():
            if line["key"] == self._keys[index]:
                if "error" not in line:
                    self.done[index] = self._outcome(line)
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

    def _outcome(self, line: dict[str, Any]) -> ItemOutcome:
        index = line["index"]
        usage = Usage.from_dict(line.get("usage") or {})
        return ItemOutcome(
            index, self._inputs[index], line.get("output"), usage=usage, resumed=True
        )

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
        self._file.close()
