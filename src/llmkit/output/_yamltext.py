"""Reading YAML from a model's text: safe, bounded, and tolerant of how models write it.

:func:`parse_yaml` reads through the one bounded safe loader of
:mod:`llmkit.output._yaml` (plain data only; alias bombs, deep nesting and
oversized texts refused), and guarantees:

- **A refusal is final.** A document past a bound, or with a tag that would
  build a Python object (``!!python/object:…``), raises
  :class:`~llmkit.errors.UnsafeDocumentError`; no other part of the text is
  then tried.
- **Untidy text is repaired:** the content of a ``yaml``/``yml`` (or
  unlabelled) code fence is read instead of the whole text; tabs in the
  indentation (which YAML forbids) become two spaces each, and a tab after
  ``key:`` one space; when the whole text is not a YAML mapping or list,
  the block of YAML lines in it (from the first ``key:``, ``- `` or ``---``
  line at the margin to the first line of prose at the margin) is read
  instead, so prose before and after is dropped.
- Booleans are YAML 1.1's (``yes``/``no``/``on``/``off`` too), as models
  write them; what does not parse even repaired raises
  :class:`~llmkit.errors.ExtractionError`.
"""

from __future__ import annotations

import re
from typing import Any

from llmkit.errors import ExtractionError, MissingExtraError, UnsafeDocumentError, UsageError
from llmkit.output._detect import YAML_LINE, fences
from llmkit.output._yaml import YAMLRefused
from llmkit.output._yaml import parse_yaml as _bounded

__all__ = ["parse_yaml"]

_LEADING_TABS = re.compile(r"^[ \t]*\t[ \t]*", re.M)
_TAB_AFTER_KEY = re.compile(r"^([ \t]*(?:- )*[\"']?[A-Za-z_][\w.-]*[\"']?:)\t+", re.M)
_NAME = "The YAML in the text"
_PYTHON_TAG = re.compile(r"constructor for the tag '([^']+)'")


def parse_yaml(text: str) -> Any:
    """The YAML document in a model's ``text``, repaired if needed (see the module docstring)."""
    source = text.strip()
    if not source:
        raise ExtractionError("The text is empty: it holds no YAML.", raw=text, format="yaml")
    for language, inner in fences(text):
        if language in ("yaml", None):
            source = inner
            break
    source = _untab(source)
    failure: ExtractionError | None = None
    value: Any = None
    try:
        value = _load(source, text)
    except UnsafeDocumentError:
        raise
    except ExtractionError as exc:
        failure = exc
    if failure is None and isinstance(value, (dict, list)):
        return value
    block = _block(source)
    if block and block != source:
        try:
            inner_value = _load(block, text)
        except UnsafeDocumentError:
            raise
        except ExtractionError:
            inner_value = None
        if isinstance(inner_value, (dict, list)):
            return inner_value
    if failure is not None:
        raise failure
    return value


def _load(source: str, raw: str) -> Any:
    try:
        return _bounded(source, name=_NAME, extra="output")
    except MissingExtraError:
        raise
    except YAMLRefused as exc:
        message = str(exc)
        tag = _PYTHON_TAG.search(message)
        if tag is not None:
            message = (
                f"{_NAME} is refused: it has the tag {tag.group(1)!r}, which would build a "
                "Python object; only plain data (mappings, lists, strings, numbers) is read."
            )
        raise UnsafeDocumentError(message, raw=raw, format="yaml") from None
    except UsageError as exc:
        raise ExtractionError(str(exc), raw=raw, format="yaml") from None


def _untab(text: str) -> str:
    if "\t" not in text:
        return text
    text = _LEADING_TABS.sub(lambda match: match.group(0).replace("\t", "  "), text)
    return _TAB_AFTER_KEY.sub(r"\1 ", text)


def _block(text: str) -> str:
    """The lines of ``text`` from the first YAML line at the margin to the first prose line after."""
    lines = text.splitlines()
    start = next((at for at, line in enumerate(lines) if YAML_LINE.match(line)), None)
    if start is None:
        return ""
    end = start + 1
    while end < len(lines):
        line = lines[end]
        at_margin = line.strip() and not line[:1].isspace()
        if at_margin and not YAML_LINE.match(line) and not line.startswith(("#", "...")):
            break
        end += 1
    return "\n".join(lines[start:end]).strip()
