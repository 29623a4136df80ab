"""What the model reads for a tool's return value."""

from __future__ import annotations

import dataclasses
import datetime
import json

import pytest
from pydantic import BaseModel

from llmkit.errors import UsageError
from llmkit.tools import to_content
from llmkit.types import DocumentPart, ImagePart, TextPart

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8


class City(BaseModel):
    name: str
    founded: datetime.date


@dataclasses.dataclass
class Temp:
    celsius: float


def test_text_is_sent_as_is_and_none_is_empty() -> None:
    assert to_content("18 °C") == "18 °C"
    assert to_content(None) == ""


def test_structured_values_become_json() -> None:
    assert to_content({"a": 1, "b": [1, 2]}) == '{"a":1,"b":[1,2]}'
    assert to_content([1, "x"]) == '[1,"x"]'
    assert to_content(42) == "42"
    assert to_content(True) == "true"
    assert json.loads(to_content(City(name="Paris", founded=datetime.date(508, 1, 1)))) == {  # type: ignore[arg-type]
        "name": "Paris",
        "founded": "0508-01-01",
    }
    assert to_content(Temp(18.5)) == '{"celsius":18.5}'
    assert to_content({"when": datetime.date(2024, 1, 2)}) == '{"when":"2024-01-02"}'


def test_media_becomes_content_parts() -> None:
    (image,) = to_content(PNG)
    assert isinstance(image, ImagePart) and image.media_type == "image/png"
    (pdf,) = to_content(b"%PDF-1.7 ...")
    assert isinstance(pdf, DocumentPart)
    part = ImagePart(url="https://example.com/cat.jpg")
    assert to_content(part) == [part]
    assert to_content([TextPart("a cat"), part]) == [TextPart("a cat"), part]
    (text,) = to_content(b"plain bytes")
    assert text == TextPart("plain bytes")


def test_a_value_that_cannot_be_json_is_a_usage_error_saying_why() -> None:
    loop: list[object] = []
    loop.append(loop)
    deep: list[object] = []
    inner = deep
    for _ in range(100_000):
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    for value, why in ((loop, "Circular reference"), ({b"\xff"}, "invalid utf-8"), (deep, "depth")):
        with pytest.raises(UsageError, match="cannot be written as JSON") as info:
            to_content(value)
        assert why in str(info.value)
