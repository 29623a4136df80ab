"""Structured output: asking a model for typed data and getting it back validated.

:class:`OutputSpec` turns an output type (pydantic model, dataclass,
TypedDict, list, union …) into a JSON schema and a validator, and offers the
three strategies agents choose from (native schema, a final-result tool,
prompted JSON). :func:`parse_json` recovers JSON from untidy model text.
"""

from __future__ import annotations

from llmkit.output._json import NoJSONError, parse_json
from llmkit.output._spec import FINAL_RESULT_TOOL, OutputInvalid, OutputMode, OutputSpec

__all__ = [
    "FINAL_RESULT_TOOL",
    "NoJSONError",
    "OutputInvalid",
    "OutputMode",
    "OutputSpec",
    "parse_json",
]
