"""XML from model text: recovery, the mapping to plain data, and refusals by defusedxml."""

from __future__ import annotations

import pytest

from llmkit.errors import ExtractionError, UnsafeDocumentError
from llmkit.output import parse_xml


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("<a><b>1</b><c>x</c></a>", {"a": {"b": "1", "c": "x"}}),
        # repeated tags are a list, in order; an empty element is None
        ("<a><i>1</i><i>2</i><e/></a>", {"a": {"i": ["1", "2"], "e": None}}),
        # attributes are "@name", text beside children or attributes is "#text"
        ('<t cur="EUR">42</t>', {"t": {"@cur": "EUR", "#text": "42"}}),
        # several top-level elements: the mapping of their tags, without a root key
        ("<a>1</a>\n<b>2</b>", {"a": "1", "b": "2"}),
    ],
)
def test_maps_elements_to_plain_data(text: str, value: object) -> None:
    assert parse_xml(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # prose and a fence around the document
        ("Sure! Here it is:\n```xml\n<a><b>1</b></a>\n```\nAnything else?", {"a": {"b": "1"}}),
        ("Here: <a><b>1</b></a> as asked.", {"a": {"b": "1"}}),
        # unclosed tags (a truncated answer), and a tag cut in two at the end
        ("<a><b>1</b><c>2", {"a": {"b": "1", "c": "2"}}),
        ("<a><b>1</b><c>2</c", {"a": {"b": "1", "c": "2"}}),
        # a closing tag that closes nothing is dropped; one that closes an outer tag closes the inner
        ("<a><b>1</c></b></a>", {"a": {"b": "1"}}),
        ("<a><b>x</a>", {"a": {"b": "x"}}),
        # stray < and & in text, and undefined entities, stay text
        ("<a>1 < 2 & 3 &nbsp; &amp; &#65;</a>", {"a": "1 < 2 & 3 &nbsp; & A"}),
        # unquoted attribute values, namespaces
        ("<a n=7><b>1</b></a>", {"a": {"@n": "7", "b": "1"}}),
        ('<x:a xmlns:x="urn:x"><x:b>1</x:b></x:a>', {"a": {"b": "1"}}),
        # an XML declaration and comments carry no data
        ('<?xml version="1.0"?>\n<!-- note --><a>1</a>', {"a": "1"}),
        ("<a><![CDATA[<b>not a tag</b>]]></a>", {"a": "<b>not a tag</b>"}),
        # a comment or CDATA section left open by a truncated answer
        ("<a><b>1</b><!-- cut", {"a": {"b": "1"}}),
        ("<a><b>1</b><c><![CDATA[x < y", {"a": {"b": "1", "c": "x < y"}}),
    ],
)
def test_recovers(text: str, value: object) -> None:
    assert parse_xml(text) == value


BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>"""
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
EXTERNAL_DTD = '<!DOCTYPE a SYSTEM "http://127.0.0.1:9/a.dtd"><a>1</a>'


@pytest.mark.parametrize(
    "text",
    [BOMB, EXTERNAL, EXTERNAL_DTD, f"Here is the data:\n```xml\n{BOMB}\n```", f"Prose. {EXTERNAL}"],
)
def test_entity_bombs_and_external_entities_are_refused_by_defusedxml(text: str) -> None:
    from defusedxml import DefusedXmlException

    with pytest.raises(UnsafeDocumentError, match="document type declaration") as caught:
        parse_xml(text)
    assert isinstance(caught.value.__cause__, DefusedXmlException)
    assert caught.value.raw == text and caught.value.format == "xml"


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(UnsafeDocumentError, match="levels deep"):
        parse_xml("<a>" * 200)


@pytest.mark.parametrize("text", ["", "no markup at all", "a < b and c > d", "</a></b>"])
def test_no_element(text: str) -> None:
    with pytest.raises(ExtractionError, match="no XML element") as caught:
        parse_xml(text)
    assert not isinstance(caught.value, UnsafeDocumentError)
