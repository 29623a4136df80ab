"""Structured output: asking a model for typed data and getting it back validated.

:class:`OutputSpec` turns an output type (pydantic model, dataclass,
TypedDict, list, union …) into a JSON schema and a validator, and offers the
three strategies agents choose from (native schema, a final-result tool,
prompted JSON).

Reading data out of a model's text: :func:`parse_json`, :func:`parse_yaml`
and :func:`parse_xml` recover a value from untidy text in one format (fences,
prose around it, truncation; YAML and XML are read safely, refusing bombs,
external entities and Python tags with
:class:`~llmkit.errors.UnsafeDocumentError`); :func:`detect_format` names the
format a text holds; :func:`extract` finds the data in any of the three,
coerces it where the schema makes the intent plain, and validates it.
YAML and XML need the ``output`` extra (``pip install 'llmkit[output]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit._lazy import lazy_exports
from llmkit.output._json import NoJSONError, parse_json
from llmkit.output._spec import FINAL_RESULT_TOOL, OutputInvalid, OutputMode, OutputSpec

if TYPE_CHECKING:
    from llmkit.output._detect import Format, detect_format
    from llmkit.output._extract import extract
    from llmkit.output._xml import parse_xml
    from llmkit.output._yamltext import parse_yaml

# The text readers load on first use: an agent run needs only the schema side above.
_LAZY = {
    "Format": "llmkit.output._detect",
    "detect_format": "llmkit.output._detect",
    "extract": "llmkit.output._extract",
    "parse_xml": "llmkit.output._xml",
    "parse_yaml": "llmkit.output._yamltext",
}

__all__ = [
    "FINAL_RESULT_TOOL",
    "Format",
    "NoJSONError",
    "OutputInvalid",
    "OutputMode",
    "OutputSpec",
    "detect_format",
    "extract",
    "parse_json",
    "parse_xml",
    "parse_yaml",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
