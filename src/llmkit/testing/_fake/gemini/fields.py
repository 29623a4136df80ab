"""The Gemini request messages as data, and a reader that checks bodies against them.

The Gemini API reads bodies with the protobuf JSON mapping: every field has a
lowerCamelCase name and its snake_case proto name (both are accepted), an
unknown name anywhere is a 400 "Unknown name … Cannot find field.", and a
value of the wrong JSON type is a 400 "Invalid value at …". :func:`read`
applies those rules and returns the body with every name in lowerCamelCase,
so the semantic rules (:mod:`llmkit.testing._fake.gemini.rules`) and the decoder
see one spelling. Field sets follow ``google/genai/models.py`` (``_…_to_mldev``)
and ``types.Schema`` of google-genai; free JSON (function arguments,
``parametersJsonSchema`` …) is taken as is.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from llmkit.testing._fake.gemini.errors import GeminiWireError, invalid_payload

__all__ = ["MESSAGES", "read", "snake"]

_V = "type.googleapis.com/google.ai.generativelanguage.v1beta"
_SCHEMA_TYPES = "TYPE_UNSPECIFIED STRING NUMBER INTEGER BOOLEAN ARRAY OBJECT NULL"

# Message name -> lowerCamelCase field -> kind. Kinds: str, int, num, bool, bytes, any,
# "enum:A B C", "msg:Name", "list:<kind>", "map:<kind>".
MESSAGES: dict[str, dict[str, str]] = {
    "CountTokensRequest": {
        "contents": "list:msg:Content",
        "generateContentRequest": "msg:GenerateContentRequest",
    },
    "GenerateContentRequest": {
        "model": "str",
        "contents": "list:msg:Content",
        "tools": "list:msg:Tool",
        "toolConfig": "msg:ToolConfig",
        "safetySettings": "list:msg:SafetySetting",
        "systemInstruction": "msg:Content",
        "generationConfig": "msg:GenerationConfig",
        "cachedContent": "str",
    },
    "Content": {"role": "str", "parts": "list:msg:Part"},
    "Part": {
        "text": "str",
        "inlineData": "msg:Blob",
        "fileData": "msg:FileData",
        "functionCall": "msg:FunctionCall",
        "functionResponse": "msg:FunctionResponse",
        "executableCode": "msg:ExecutableCode",
        "codeExecutionResult": "msg:CodeExecutionResult",
        "thought": "bool",
        "thoughtSignature": "bytes",
        "videoMetadata": "msg:VideoMetadata",
        "partMetadata": "any",
        "mediaResolution": "any",
    },
    "Blob": {"mimeType": "str", "data": "bytes"},
    "FileData": {"mimeType": "str", "fileUri": "str"},
    "FunctionCall": {"id": "str", "name": "str", "args": "any"},
    "FunctionResponse": {
        "id": "str",
        "name": "str",
        "response": "any",
        "willContinue": "bool",
        "scheduling": "enum:SCHEDULING_UNSPECIFIED SILENT WHEN_IDLE INTERRUPT",
        "parts": "list:any",
    },
    "ExecutableCode": {"language": "str", "code": "str"},
    "CodeExecutionResult": {"outcome": "str", "output": "str"},
    "VideoMetadata": {"startOffset": "str", "endOffset": "str", "fps": "num"},
    "Tool": {
        "functionDeclarations": "list:msg:FunctionDeclaration",
        "googleSearchRetrieval": "any",
        "codeExecution": "any",
        "googleSearch": "any",
        "urlContext": "any",
        "computerUse": "any",
        "fileSearch": "any",
        "googleMaps": "any",
    },
    "FunctionDeclaration": {
        "name": "str",
        "description": "str",
        "behavior": "enum:UNSPECIFIED BLOCKING NON_BLOCKING",
        "parameters": "msg:Schema",
        "parametersJsonSchema": "any",
        "response": "msg:Schema",
        "responseJsonSchema": "any",
    },
    "Schema": {
        "type": f"enum:{_SCHEMA_TYPES}",
        "format": "str",
        "title": "str",
        "description": "str",
        "nullable": "bool",
        "enum": "list:str",
        "maxItems": "int",
        "minItems": "int",
        "properties": "map:msg:Schema",
        "required": "list:str",
        "minProperties": "int",
        "maxProperties": "int",
        "minLength": "int",
        "maxLength": "int",
        "pattern": "str",
        "example": "any",
        "anyOf": "list:msg:Schema",
        "propertyOrdering": "list:str",
        "default": "any",
        "items": "msg:Schema",
        "minimum": "num",
        "maximum": "num",
    },
    "ToolConfig": {"functionCallingConfig": "msg:FunctionCallingConfig", "retrievalConfig": "any"},
    "FunctionCallingConfig": {
        "mode": "enum:MODE_UNSPECIFIED AUTO ANY NONE VALIDATED",
        "allowedFunctionNames": "list:str",
    },
    "SafetySetting": {"category": "str", "threshold": "str"},
    "GenerationConfig": {
        "stopSequences": "list:str",
        "responseMimeType": "str",
        "responseSchema": "msg:Schema",
        "responseJsonSchema": "any",
        "responseModalities": "list:str",
        "candidateCount": "int",
        "maxOutputTokens": "int",
        "temperature": "num",
        "topP": "num",
        "topK": "int",
        "seed": "int",
        "presencePenalty": "num",
        "frequencyPenalty": "num",
        "responseLogprobs": "bool",
        "logprobs": "int",
        "enableEnhancedCivicAnswers": "bool",
        "speechConfig": "any",
        "thinkingConfig": "msg:ThinkingConfig",
        "imageConfig": "any",
        "mediaResolution": "str",
    },
    "ThinkingConfig": {
        "includeThoughts": "bool",
        "thinkingBudget": "int",
        "thinkingLevel": "enum:THINKING_LEVEL_UNSPECIFIED MINIMAL LOW MEDIUM HIGH",
    },
    "EmbedContentRequest": {
        "model": "str",
        "content": "msg:Content",
        "taskType": "str",
        "title": "str",
        "outputDimensionality": "int",
    },
    "BatchEmbedContentsRequest": {"requests": "list:msg:EmbedContentRequest"},
}

_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")
_PROTO_TYPES = {
    "str": "TYPE_STRING",
    "int": "TYPE_INT32",
    "num": "TYPE_FLOAT",
    "bool": "TYPE_BOOL",
    "bytes": "TYPE_BYTES",
}


def snake(name: str) -> str:
    """The proto (snake_case) name of a lowerCamelCase field."""
    return _SNAKE.sub("_", name).lower()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)[:80]


def _bad_value(path: str, kind: str, value: Any) -> GeminiWireError:
    if kind.startswith("msg:"):
        label = f"{_V}.{kind[4:]}"
    elif kind.startswith("enum:"):
        label = "TYPE_ENUM"
    else:
        label = _PROTO_TYPES.get(kind, "TYPE_MESSAGE")
    return invalid_payload(path, f"Invalid value at '{path}' ({label}), {_shown(value)}")


def _scalar(value: Any, kind: str, path: str) -> Any:
    if kind == "any":
        return value
    if kind == "str":
        if isinstance(value, str):
            return value
    elif kind == "bool":
        if isinstance(value, bool):
            return value
    elif kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        # The JSON mapping writes 64-bit integers as strings; both spellings are read.
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            return int(value)
    elif kind == "num":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    elif kind == "bytes":
        if isinstance(value, str):
            try:
                padded = value + "=" * (-len(value) % 4)
                base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
            except (binascii.Error, ValueError):
                raise _Rejected(
                    invalid_payload(
                        path,
                        f"Invalid value at '{path}' (TYPE_BYTES), Base64 decoding failed for "
                        f"{_shown(value)}",
                    )
                ) from None
            return value
    elif kind.startswith("enum:"):
        names = kind[5:].split()
        if isinstance(value, str) and value.upper() in names:
            return value.upper()
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
            return names[value]
    raise _Rejected(_bad_value(path, kind, value))


class _Rejected(Exception):
    """Carries the error out of the recursive reader to :func:`read`."""

    def __init__(self, error: GeminiWireError) -> None:
        self.error = error


def _value(value: Any, kind: str, path: str) -> Any:
    if kind.startswith("list:"):
        inner = kind[5:]
        if not isinstance(value, list):
            raise _Rejected(_bad_value(path, inner, value))
        return [_value(item, inner, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind.startswith("map:"):
        inner = kind[4:]
        if not isinstance(value, dict):
            raise _Rejected(_bad_value(path, inner, value))
        return {
            key: _value(item, inner, f"{path}[{i}].value")
            for i, (key, item) in enumerate(value.items())
        }
    if kind.startswith("msg:"):
        return _message(value, kind[4:], path)
    return _scalar(value, kind, path)


def _message(value: Any, name: str, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Rejected(_bad_value(path, f"msg:{name}", value))
    fields = MESSAGES[name]
    out: dict[str, Any] = {}
    for key, item in value.items():
        camel = _camel(key) if "_" in key else key
        kind = fields.get(camel)
        if kind is None or (camel != key and snake(camel) != key):
            where = f" at '{path}'" if path else ""
            message = (
                f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.'
            )
            raise _Rejected(invalid_payload(_join(path, key), message))
        if item is None:
            continue  # null means "not set" in the JSON mapping
        out[camel] = _value(item, kind, _join(path, snake(camel)))
    return out


def read(body: Any, message: str) -> tuple[dict[str, Any] | None, GeminiWireError | None]:
    """``body`` read as ``message`` with lowerCamelCase names, or the error the API gives."""
    try:
        return _message(body, message, ""), None
    except _Rejected as rejected:
        return None, rejected.error
