"""JSON read as it arrives: an incremental tokenizer that keeps its state between pieces.

:class:`JSONStream` takes the text of a JSON value in pieces (a model's text
deltas, or the argument deltas of a tool call) and keeps the value read so
far as plain dicts and lists. What always holds:

- every character is looked at once: a piece is read from where the last one
  stopped, never from the start (``scanned`` counts them), and no earlier
  text is kept, only the value and the unfinished token (a number, a
  literal, an escape, the string in progress);
- the value holds what is complete: finished numbers, ``true``/``false``/
  ``null``, keys with a value begun, and the string in progress as far as it
  has come (a number or literal still arriving is left out);
- :meth:`feed` says whether the value changed, so a caller can skip a piece
  that only brought whitespace, half a number or the rest of a key;
- text before the first ``{`` or ``[`` (prose, a code fence) and after the
  value is ignored; on text that cannot be JSON the stream stops
  (``failed``) and keeps the value it had.

The value's containers are the stream's own: they change with later pieces.
``closed`` holds the ids of the containers that are finished and will not change again.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["JSONStream"]

_START, _VALUE, _VALUE_OR_END, _KEY_OR_END, _KEY, _COLON, _AFTER = range(7)
_STRING, _KEY_STRING, _NUMBER, _LITERAL, _DONE, _FAILED = range(7, 13)

_WHITESPACE = frozenset(" \t\r\n")
_NUMBER_CHARS = frozenset("-+0123456789.eE")
_LITERALS = {"t": ("true", True), "f": ("false", False), "n": ("null", None)}
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class JSONStream:
    """The JSON value read so far from the pieces fed in (see the module docstring)."""

    __slots__ = (
        "_chunks",
        "_key",
        "_pair",
        "_slot",
        "_stack",
        "_state",
        "_token",
        "closed",
        "scanned",
        "value",
    )

    def __init__(self) -> None:
        self.value: Any = None
        """The root container (None until its ``{`` or ``[`` arrives)."""
        self.scanned = 0
        """Characters looked at so far: the length of the text fed in, each counted once."""
        self.closed: set[int] = set()
        """The ids of the containers that are complete."""
        self._stack: list[dict[str, Any] | list[Any]] = []
        self._state = _START
        self._key = ""
        self._chunks: list[str] = []
        """The string in progress (a key or a value), in pieces."""
        self._slot: tuple[dict[str, Any] | list[Any], Any] | None = None
        """Where the value string in progress is written: its container and key or index."""
        self._token = ""
        """An unfinished number, literal or escape."""
        self._pair = False
        """The string in progress holds half of a surrogate pair."""

    @property
    def done(self) -> bool:
        """The root value is complete."""
        return self._state == _DONE

    @property
    def failed(self) -> bool:
        """The text could not be JSON; the stream read no further."""
        return self._state == _FAILED

    def feed(self, text: str) -> bool:
        """Read the next piece of text; whether the value changed."""
        state = self._state
        if state >= _DONE:
            return False
        n = len(text)
        self.scanned += n
        changed = False
        grew = False
        i = 0
        while i < n:
            if state in (_STRING, _KEY_STRING):
                if self._token:  # an escape begun in an earlier piece
                    i, state = self._escape(text, i, state)
                    grew = True
                    continue
                end = text.find('"', i)
                if end < 0:
                    end = n
                slash = text.find("\\", i, end)
                if slash >= 0:
                    end = slash
                if end > i:
                    self._chunks.append(text[i:end])
                    grew = True
                if end == n:
                    break
                if text[end] == "\\":
                    self._token = "\\"
                    i, state = self._escape(text, end + 1, state)
                    continue
                i = end + 1  # the closing quote
                string = "".join(self._chunks)
                self._chunks = []
                if state == _KEY_STRING:
                    self._key = string
                    state = _COLON
                else:
                    if self._pair:
                        self._pair = False
                        # A character beyond the BMP as two \\u escapes, read one half at a time.
                        string = string.encode("utf-16", "surrogatepass").decode(
                            "utf-16", "replace"
                        )
                    changed = self._write(string) or changed
                    self._slot = None
                    grew = False
                    state = _AFTER
                continue
            c = text[i]
            if state == _NUMBER:
                end = i
                while end < n and text[end] in _NUMBER_CHARS:
                    end += 1
                self._token += text[i:end]
                if end == n:
                    break
                i = end
                state = self._scalar(_number(self._token))
                changed = changed or state != _FAILED
                continue
            if state == _LITERAL:
                word, value = _LITERALS[self._token[0]]
                take = min(len(word) - len(self._token), n - i)
                self._token += text[i : i + take]
                i += take
                if not word.startswith(self._token):
                    state = _FAILED
                    break
                if len(self._token) < len(word):
                    break
                state = self._scalar(value) if self._token == word else _FAILED
                changed = changed or state != _FAILED
                continue
            i += 1
            if c in _WHITESPACE:
                continue
            if state == _START:
                if c == "{" or c == "[":
                    state = self._open(c)
                    changed = True
                continue
            if state in (_VALUE, _VALUE_OR_END):
                if c == "]" and state == _VALUE_OR_END:
                    state = self._close()
                elif c == "{" or c == "[":
                    state = self._open(c)
                    changed = True
                elif c == '"':
                    self._slot = self._put("")
                    state = _STRING
                    changed = True
                elif c in _LITERALS:
                    self._token = c
                    state = _LITERAL
                elif c == "-" or c.isdigit():
                    self._token = c
                    state = _NUMBER
                else:
                    state = _FAILED
            elif state in (_KEY_OR_END, _KEY):
                if c == '"':
                    state = _KEY_STRING
                elif c == "}" and state == _KEY_OR_END:
                    state = self._close()
                else:
                    state = _FAILED
            elif state == _COLON:
                state = _VALUE if c == ":" else _FAILED
            elif state == _AFTER:
                top = self._stack[-1]
                if c == ",":
                    state = _KEY if type(top) is dict else _VALUE
                elif c == ("}" if type(top) is dict else "]"):
                    state = self._close()
                else:
                    state = _FAILED
            if state >= _DONE:
                break
        if grew and self._slot is not None:
            changed = self._write("".join(self._chunks)) or changed
        self._state = state
        return changed

    # ------------------------------------------------------------------ helpers

    def _escape(self, text: str, i: int, state: int) -> tuple[int, int]:
        """Go on with the escape in ``self._token`` from ``text[i]``; the next index and state."""
        token = self._token
        if len(token) == 1 and i < len(text):
            token += text[i]
            i += 1
        if len(token) >= 2 and token[1] == "u":
            take = min(6 - len(token), len(text) - i)
            token += text[i : i + take]
            i += take
            if len(token) < 6:
                self._token = token
                return len(text), state
            try:
                code = int(token[2:], 16)
            except ValueError:
                return len(text), _FAILED
            self._pair = self._pair or 0xD800 <= code <= 0xDFFF
            self._chunks.append(chr(code))
        elif len(token) == 2:
            char = _ESCAPES.get(token[1])
            if char is None:
                return len(text), _FAILED
            self._chunks.append(char)
        else:
            self._token = token
            return len(text), state
        self._token = ""
        return i, state

    def _put(self, value: Any) -> tuple[dict[str, Any] | list[Any], Any]:
        """Put ``value`` in the open container; where it went."""
        top = self._stack[-1]
        if type(top) is dict:
            top[self._key] = value
            return top, self._key
        assert type(top) is list
        top.append(value)
        return top, len(top) - 1

    def _write(self, string: str) -> bool:
        """Write the string in progress to its place; whether that changed it."""
        slot = self._slot
        assert slot is not None
        container, where = slot
        if container[where] == string:
            return False
        container[where] = string
        return True

    def _scalar(self, value: Any) -> int:
        if value is _BAD:
            return _FAILED
        self._token = ""
        self._put(value)
        return _AFTER

    def _open(self, bracket: str) -> int:
        container: dict[str, Any] | list[Any] = {} if bracket == "{" else []
        if self._stack:
            self._put(container)
        else:
            self.value = container
        self._stack.append(container)
        return _KEY_OR_END if bracket == "{" else _VALUE_OR_END

    def _close(self) -> int:
        self.closed.add(id(self._stack.pop()))
        return _AFTER if self._stack else _DONE


_BAD = object()


def _number(token: str) -> Any:
    try:
        return json.loads(token)
    except ValueError:
        return _BAD
