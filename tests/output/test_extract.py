"""Extraction: find the data in any format, repair, coerce, validate; errors show text and paths."""

from __future__ import annotations

import datetime
import pickle
from typing import Literal

import pytest
from pydantic import BaseModel

from llmkit.errors import ExtractionError, UnsafeDocumentError, UsageError
from llmkit.output import NoJSONError, extract, parse_json


class Line(BaseModel):
    description: str
    amount: float


class Invoice(BaseModel):
    number: str
    lines: list[Line]
    total: float
    paid: bool
    due: datetime.date


EXPECTED = Invoice(
    number="INV-7",
    lines=[Line(description="Consulting", amount=360.0)],
    total=360.0,
    paid=False,
    due=datetime.date(2025, 7, 31),
)

JSON_TEXT = """Sure! Here is the invoice:
```json
{"number": "INV-7", "lines": [{"description": "Consulting", "amount": "360"},],
 "total": "360.00", "paid": "no", "due": "2025-07-31",}
```
Let me know if you need anything else."""

YAML_TEXT = """Here is what I found.
number: INV-7
lines:
\t- description: Consulting
\t  amount: "360"
total: 360
paid: no
due: 2025-07-31
Hope this helps!"""

XML_TEXT = """The invoice, as XML:
<invoice number="INV-7">
  <lines><line><description>Consulting</description><amount>360</amount></line></lines>
  <total>360.00</total>
  <paid>no</paid>
  <due>2025-07-31</due>
</invoice>
Regards."""

TRUNCATED_XML = (
    "<invoice><number>INV-7</number><lines><line><description>Consulting</description>"
    "<amount>360</amount></line></lines><total>360</total><paid>false</paid><due>2025-07-31"
)


@pytest.mark.parametrize("text", [JSON_TEXT, YAML_TEXT, XML_TEXT, TRUNCATED_XML])
def test_extracts_from_any_format(text: str) -> None:
    assert extract(Invoice, text) == EXPECTED


def test_coercion_is_what_makes_xml_fit_and_can_be_turned_off() -> None:
    with pytest.raises(ExtractionError) as caught:
        extract(Invoice, XML_TEXT, coerce=False)
    assert caught.value.format == "xml"
    assert ("number", "Field required") in caught.value.errors


def test_a_format_can_be_forced() -> None:
    text = "```yaml\n{a: 1}\n```"
    assert extract(dict[str, int], text, format="yaml") == {"a": 1}
    with pytest.raises(ExtractionError, match="no XML value"):
        extract(dict[str, int], "a: 1", format="xml")
    with pytest.raises(UsageError, match="format='toml'"):
        extract(dict[str, int], "a = 1", format="toml")  # type: ignore[arg-type]


def test_the_next_reading_is_tried_when_the_first_is_invalid() -> None:
    text = (
        "See [1] for details.\n<invoice><number>9</number><lines><line><description>x"
        "</description><amount>1</amount></line></lines><total>1</total>"
        "<paid>yes</paid><due>2025-01-01</due></invoice>"
    )
    invoice = extract(Invoice, text)  # read as JSON first ([1]), which is no Invoice
    assert invoice.number == "9" and invoice.lines == [Line(description="x", amount=1)]
    assert invoice.paid is True


def test_other_output_types() -> None:
    assert extract(list[int], "<nums><n>1</n><n>2</n></nums>") == [1, 2]
    assert extract(list[int], '{"result": ["1", "2"]}') == [1, 2]
    assert extract(int, '```json\n{"result": "7"}\n```') == 7
    assert extract(Literal["yes", "no"], '"no"') == "no"
    assert extract(str, "anything {at all}") == "anything {at all}"


def test_errors_show_the_text_and_each_error_with_its_path() -> None:
    text = '{"number": "INV-7", "lines": [{"description": "x", "amount": "lots"}], "total": "abc"}'
    with pytest.raises(ExtractionError) as caught:
        extract(Invoice, text)
    error = caught.value
    assert error.raw == text and error.format == "json"
    paths = [path for path, _ in error.errors]
    assert paths == ["lines.0.amount", "total", "paid", "due"]
    message = str(error)
    assert message.startswith("The text holds no valid Invoice (read as JSON): 4 errors\n")
    assert "- lines.0.amount: Input should be a valid number" in message
    assert "(got 'lots')" in message and "- due: Field required\n" in message
    assert 'The text was: \'{"number"' in message
    back = pickle.loads(pickle.dumps(error))
    assert back.errors == error.errors and back.raw == text


def test_a_long_text_is_shown_bounded_but_kept_whole() -> None:
    text = '{"number": 1}' + " " * 5000 + "end"
    with pytest.raises(ExtractionError) as caught:
        extract(Invoice, text)
    assert len(str(caught.value)) < 1500
    assert "5,016 characters; the first 500 shown" in str(caught.value)
    assert caught.value.raw == text


def test_no_data_at_all() -> None:
    with pytest.raises(ExtractionError, match="no JSON, YAML or XML value") as caught:
        extract(Invoice, "I cannot help with that.")
    assert caught.value.errors == () and caught.value.format is None


def test_refusals_stop_the_extraction(yaml_bomb: str) -> None:
    bomb = '<!DOCTYPE a [<!ENTITY x "y">]><invoice><number>&x;</number></invoice>'
    with pytest.raises(UnsafeDocumentError):
        extract(Invoice, bomb)
    with pytest.raises(UnsafeDocumentError):
        extract(Invoice, "Data:\nnumber: !!python/object/apply:os.system ['ls']\nlines: []")
    with pytest.raises(UnsafeDocumentError):
        extract(Invoice, f"Data:\nnumber: {yaml_bomb}\n")


def test_bad_arguments_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="pass a str"):
        extract(Invoice, b"{}")  # type: ignore[arg-type]
    import threading

    with pytest.raises(UsageError, match="cannot become a JSON schema"):
        extract(threading.Lock, "{}")


def test_no_json_is_an_extraction_error_and_still_a_value_error() -> None:
    with pytest.raises(NoJSONError) as caught:
        parse_json("nothing")
    assert isinstance(caught.value, ExtractionError) and isinstance(caught.value, ValueError)
    assert caught.value.raw == "nothing"
