"""Reading XML from a model's text: repaired first, parsed by defusedxml, mapped to plain data.

:func:`parse_xml` guarantees:

- **Nothing unsafe is loaded.** A document type declaration (``<!DOCTYPE``,
  where entity bombs and external entities are declared) is refused with
  :class:`~llmkit.errors.UnsafeDocumentError` by defusedxml itself, before any
  repair; so is a text longer than :data:`~llmkit._jsondata.MAX_BYTES` or
  nested deeper than :data:`~llmkit._jsondata.MAX_DEPTH`. The repaired text
  is parsed by defusedxml too.
- **Untidy text is repaired, never guessed at:** a code fence and prose
  around the document are dropped; tags left open (a truncated answer) are
  closed at the end; a closing tag that closes nothing is dropped, and one
  that closes an outer tag first closes the tags left open inside it; a stray
  ``<`` or ``&`` in text is kept as text; an attribute value without quotes
  gets them; namespace prefixes and ``xmlns`` declarations are dropped (a
  tag is read by its local name).
- **The mapping to plain data is fixed** (the convention of ``xmltodict``):
  the document is ``{root tag: content}``; an element with neither children
  nor attributes is its text (stripped), or None when it has none; otherwise
  it is a dict with one key per child tag (a tag met several times gives a
  list, in order), ``"@name"`` per attribute and ``"#text"`` for its text.
  Several top-level elements are read as the children of one unnamed root:
  their mapping, without a root key.

Everything is a string: :func:`~llmkit.output.extract` turns ``"42"`` into
``42`` where the schema asks for a number.
"""

from __future__ import annotations

import re
from typing import Any

from llmkit._jsondata import MAX_BYTES, MAX_DEPTH
from llmkit._optional import require
from llmkit.errors import ExtractionError, UnsafeDocumentError
from llmkit.output._detect import fences

__all__ = ["parse_xml"]

_NAME = r"[A-Za-z_][\w.:-]*"
_ATTRIBUTE = re.compile(rf"({_NAME})\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'<>=/`]+)")
_TOKEN = re.compile(
    # Each construct left open runs to the end of the text, so an unclosed one is read once
    # (linear time), not searched for again from every later opener.
    r"(?P<comment><!--.*?(?:-->|\Z))"
    r"|(?P<cdata><!\[CDATA\[.*?(?:\]\]>|\Z))"
    r"|(?P<pi><\?.*?(?:\?>|\Z))"
    r"|(?P<declaration><![A-Za-z].*?(?:>|\Z))"
    rf"|(?P<end></(?P<end_name>{_NAME})\s*>)"
    rf"|(?P<start><(?P<name>{_NAME})(?P<attrs>(?:\s+{_NAME}\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'<>=/`]+))*)\s*(?P<empty>/?)>)",
    re.S,
)
_DTD = re.compile(r"<!(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.I)
_ENTITY = re.compile(r"&(?!(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)")
_PARTIAL_TAG = re.compile(r"<[^<>]*\Z")


def parse_xml(text: str) -> Any:
    """The XML document in a model's ``text`` as plain data (see the module docstring).

    Raises :class:`~llmkit.errors.UnsafeDocumentError` for a DTD (entity
    bombs, external entities) or a document past the size and depth bounds,
    and :class:`~llmkit.errors.ExtractionError` when the text holds no element.
    """
    if len(text) > MAX_BYTES:
        raise UnsafeDocumentError(
            f"The XML text is refused: it is longer than {MAX_BYTES:,} characters.",
            raw=text,
            format="xml",
        )
    source = text
    for language, inner in fences(text):
        if language in ("xml", None) and "<" in inner:
            source = inner
            break
    ET = require("defusedxml.ElementTree", extra="output", feature="Reading XML")
    if _DTD.search(source):
        _refuse_dtd(ET, source, text)
    repaired, wrapped = _repair(source, text)
    try:
        root = ET.fromstring(repaired, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except ET.ParseError as exc:
        raise ExtractionError(
            f"The text holds no XML that can be read, even repaired: {exc}.", raw=text, format="xml"
        ) from None
    value = _element_value(root)
    if wrapped:
        return value if isinstance(value, dict) else {}
    return {_local(root.tag): value}


def _refuse_dtd(ET: Any, source: str, raw: str) -> None:
    """Let defusedxml refuse the declaration in ``source``; refuse it here if it did not."""
    at = _DTD.search(source)
    begin = at.start() if at is not None else 0
    declaration = source.rfind("<?xml", 0, begin)
    try:
        ET.fromstring(
            source[declaration if declaration >= 0 else begin :],
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
    except Exception as exc:
        raise UnsafeDocumentError(
            "The XML text is refused: it has a document type declaration (<!DOCTYPE>, "
            "<!ENTITY>), where entity bombs and external entities are declared. Ask for plain "
            f"elements only ({type(exc).__name__}).",
            raw=raw,
            format="xml",
        ) from exc
    raise UnsafeDocumentError(
        "The XML text is refused: it has a document type declaration (<!DOCTYPE>, <!ENTITY>).",
        raw=raw,
        format="xml",
    )


def _repair(source: str, raw: str) -> tuple[str, bool]:
    """``source`` as well-formed XML, and whether it was wrapped in one root (see the module)."""
    out: list[str] = []
    stack: list[str] = []
    roots = 0
    position = 0
    for match in _TOKEN.finditer(source):
        if match.start() > position and stack:
            out.append(_text(source[position : match.start()]))
        position = match.end()
        kind = match.lastgroup
        if kind in ("comment", "pi", "declaration"):
            continue  # an XML declaration, comment or processing instruction carries no data
        if kind == "cdata":
            if stack:
                cdata = match.group(0)
                out.append(cdata if cdata.endswith("]]>") else cdata + "]]>")
            continue
        if kind == "end":
            name = _local(match.group("end_name"))
            if name in stack:
                while stack:
                    open_name = stack.pop()
                    out.append(f"</{open_name}>")
                    if open_name == name:
                        break
            continue  # a closing tag that closes nothing is dropped
        name = _local(match.group("name"))
        if not stack:
            roots += 1
        if len(stack) >= MAX_DEPTH:
            raise UnsafeDocumentError(
                f"The XML text is refused: it nests more than {MAX_DEPTH} levels deep.",
                raw=raw,
                format="xml",
            )
        attributes = _attributes(match.group("attrs"))
        if match.group("empty"):
            out.append(f"<{name}{attributes}/>")
        else:
            out.append(f"<{name}{attributes}>")
            stack.append(name)
    if stack:  # a truncated answer: keep its last text, but not a tag cut in two
        out.append(_text(_PARTIAL_TAG.sub("", source[position:])))
        out.extend(f"</{name}>" for name in reversed(stack))
    if roots == 0:
        raise ExtractionError("The text holds no XML element.", raw=raw, format="xml")
    body = "".join(out)
    if roots == 1:
        return body, False
    return f"<root>{body}</root>", True


def _attributes(text: str) -> str:
    parts: dict[str, str] = {}
    for name, value in _ATTRIBUTE.findall(text):
        local = _local(name)
        if name == "xmlns" or name.startswith("xmlns:") or local in parts:
            continue  # a name met again (after its prefix is dropped) keeps its first value
        if value[:1] in ('"', "'"):
            value = value[1:-1]
        parts[local] = _text(value).replace('"', "&quot;")
    return "".join(f' {name}="{value}"' for name, value in parts.items())


def _text(text: str) -> str:
    """Character data with every ``<`` and every ``&`` that starts no reference escaped."""
    return _ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def _local(name: str) -> str:
    """A tag or attribute name without its namespace (``{uri}`` or ``prefix:``)."""
    return name.rpartition("}")[2].rpartition(":")[2] or name.replace(":", "_")


def _element_value(element: Any) -> Any:
    children = list(element)
    attributes = {f"@{_local(key)}": value for key, value in element.attrib.items()}
    text = ((element.text or "") + "".join(child.tail or "" for child in children)).strip()
    if not children and not attributes:
        return text or None
    value: dict[str, Any] = dict(attributes)
    for child in children:
        key = _local(child.tag)
        item = _element_value(child)
        if key not in value:
            value[key] = item
        elif isinstance(value[key], list):
            value[key].append(item)
        else:
            value[key] = [value[key], item]
    if text:
        value["#text"] = text
    return value
