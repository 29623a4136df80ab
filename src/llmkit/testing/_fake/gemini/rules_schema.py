"""What the Gemini API rejects inside an OpenAPI ``Schema`` (``parameters``, ``responseSchema``).

Unknown keywords (``additionalProperties``, ``$ref`` …) are already refused
by the field reader; these are the rules about values.
"""

from __future__ import annotations

from typing import Any

from llmkit.testing._fake.gemini.errors import GeminiWireError, request_error

__all__ = ["check_schema"]


def check_schema(schema: dict[str, Any], where: str) -> GeminiWireError | None:
    """The first problem in ``schema`` (already read with lowerCamelCase names), or None."""
    properties = schema.get("properties")
    if schema.get("type") == "OBJECT" and properties is not None and not properties:
        return request_error(f"{where}.properties", "should be non-empty for OBJECT type")
    for index, name in enumerate(schema.get("required") or ()):
        if name not in (properties or {}):
            return request_error(f"{where}.required[{index}]", "property is not defined")
    enum = schema.get("enum")
    if enum is not None and schema.get("type") not in (None, "STRING"):
        return request_error(f"{where}.enum", "enum is only supported for STRING type")
    for index, sub in enumerate((properties or {}).values()):
        error = check_schema(sub, f"{where}.properties[{index}].value")
        if error is not None:
            return error
    items = schema.get("items")
    if items is not None:
        error = check_schema(items, f"{where}.items")
        if error is not None:
            return error
    for index, sub in enumerate(schema.get("anyOf") or ()):
        error = check_schema(sub, f"{where}.any_of[{index}]")
        if error is not None:
            return error
    return None
