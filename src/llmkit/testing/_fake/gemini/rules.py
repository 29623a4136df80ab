"""What the Gemini API rejects in a (name-normalised) body, as pure functions.

Each ``check_*`` takes a body already read by :func:`llmkit.testing._fake.gemini.fields.read`
(so unknown fields and wrong JSON types are dealt with) and returns the first
problem as a :class:`~llmkit.testing._fake.gemini.errors.GeminiWireError`, or None.
Rules and wording follow ``WIRE.md``; where the wording there is marked
approximate, so is it here.
"""

from __future__ import annotations

import re
from typing import Any

from llmkit.testing._fake.gemini.errors import GeminiWireError, bad, invalid_payload, request_error
from llmkit.testing._fake.gemini.limits import GeminiLimits, limits_for
from llmkit.testing._fake.gemini.rules_schema import check_schema
from llmkit.testing._fake.gemini.signatures import is_valid

__all__ = ["DATA_FIELDS", "MAX_BATCH", "check_batch_embed", "check_embed", "check_generate"]

DATA_FIELDS = (
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
)
"""The part fields of which exactly one must be set."""

MAX_BATCH = 100
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$")
_MIME_TYPES = (
    "text/plain",
    "application/json",
    "application/xml",
    "application/yaml",
    "text/x.enum",
)
_SCHEMA_MIME_TYPES = ("application/json", "text/x.enum")
_RANGES = (
    ("temperature", 0.0, 2.0),
    ("topP", 0.0, 1.0),
    ("candidateCount", 1, 8),
    ("maxOutputTokens", 1, None),
    ("topK", 1, None),
)
_SIGNATURE_DOCS = "https://ai.google.dev/gemini-api/docs/thought-signatures"


def _at(i: int, j: int | None = None) -> str:
    return f"contents[{i}]" + (f".parts[{j}]" if j is not None else "")


def _role(content: dict[str, Any]) -> str:
    return str(content.get("role") or "user")


def _has(content: dict[str, Any], field: str) -> bool:
    return any(field in part for part in content.get("parts", ()))


# --------------------------------------------------------------------- contents


def _check_part(part: dict[str, Any], role: str, where: str) -> GeminiWireError | None:
    set_fields = [f for f in DATA_FIELDS if f in part]
    if not set_fields:
        return request_error(
            f"{where}.data", "required oneof field 'data' must have one initialized field"
        )
    if len(set_fields) > 1:
        return invalid_payload(
            where,
            f"Invalid JSON payload received. Oneof field 'data' is already set. Cannot set "
            f"'{set_fields[1]}'",
        )
    blob = part.get("inlineData")
    if blob is not None:
        for name, proto in (("mimeType", "mime_type"), ("data", "data")):
            if not blob.get(name):
                return request_error(f"{where}.inline_data.{proto}", f"{proto} must be set")
    file = part.get("fileData")
    if file is not None and not file.get("fileUri"):
        return request_error(f"{where}.file_data.file_uri", "file_uri must be set")
    call = part.get("functionCall")
    if call is not None:
        if not call.get("name"):
            return request_error(f"{where}.function_call.name", "Name cannot be empty.")
        if role != "model":
            return request_error(
                f"{where}.function_call", "function_call is only allowed in a model turn."
            )
    response = part.get("functionResponse")
    if response is not None:
        if not response.get("name"):
            return request_error(f"{where}.function_response.name", "Name cannot be empty.")
        if role != "user":
            return request_error(
                f"{where}.function_response", "function_response is only allowed in a user turn."
            )
    return None


def _check_content(content: dict[str, Any], where: str) -> GeminiWireError | None:
    role = content.get("role")
    if role not in (None, "", "user", "model"):
        return bad("Please use a valid role: user, model.")
    parts = content.get("parts")
    if not parts:
        return request_error(f"{where}.parts", "contents.parts must not be empty.")
    for j, part in enumerate(parts):
        error = _check_part(part, _role(content), f"{where}.parts[{j}]")
        if error is not None:
            return error
    return None


def _check_turns(contents: list[dict[str, Any]]) -> GeminiWireError | None:
    for i, content in enumerate(contents):
        previous = contents[i - 1] if i else None
        if _has(content, "functionCall") and (previous is None or _role(previous) != "user"):
            return bad(
                "Please ensure that function call turn comes immediately after a user turn or "
                "after a function response turn."
            )
        if _has(content, "functionResponse"):
            if previous is None or not _has(previous, "functionCall"):
                return bad(
                    "Please ensure that function response turn comes immediately after a "
                    "function call turn."
                )
            calls = sum("functionCall" in p for p in previous["parts"])
            answers = sum("functionResponse" in p for p in content["parts"])
            if calls != answers:
                return bad(
                    "Please ensure that the number of function response parts is equal to the "
                    "number of function call parts of the function call turn."
                )
    return None


def _check_signatures(
    contents: list[dict[str, Any]], limits: GeminiLimits
) -> GeminiWireError | None:
    for content in contents:
        for part in content["parts"]:
            signature = part.get("thoughtSignature")
            if signature is None:
                continue
            call = part.get("functionCall")
            context = call["name"] if call is not None else "text"
            if not is_valid(signature, context):
                return bad("Corrupted thought signature.")
    if not limits.thought_signatures:
        return None
    # The current turn starts after the last user message that is not only function responses.
    start = 0
    for i, content in enumerate(contents):
        if _role(content) == "user" and any("functionResponse" not in p for p in content["parts"]):
            start = i + 1
    for i in range(start, len(contents)):
        content = contents[i]
        if _role(content) != "model":
            continue
        first = next((p for p in content["parts"] if "functionCall" in p), None)
        if first is not None and "thoughtSignature" not in first:
            return bad(
                "Function call is missing a thought_signature in functionCall parts. This is "
                "required for tools to work correctly, and missing thought_signature may lead to "
                "degraded model performance. Additional data, function call "
                f"`default_api:{first['functionCall']['name']}` , position {i + 1}. Please refer "
                f"to {_SIGNATURE_DOCS} for more details."
            )
    return None


# ------------------------------------------------------------------------ tools


def _check_tools(body: dict[str, Any]) -> GeminiWireError | None:
    names: list[str] = []
    for t, tool in enumerate(body.get("tools") or ()):
        for d, declaration in enumerate(tool.get("functionDeclarations") or ()):
            where = f"tools[{t}].function_declarations[{d}]"
            name = declaration.get("name") or ""
            if not _NAME.match(name):
                return request_error(
                    f"{where}.name",
                    "Invalid function name. Must start with a letter or an underscore. Must be "
                    "alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or "
                    "dashes (-), with a maximum length of 128.",
                )
            if name in names:
                return request_error(f"{where}.name", f"Duplicate function declaration: {name}.")
            names.append(name)
            if "parameters" in declaration and "parametersJsonSchema" in declaration:
                return request_error(
                    f"{where}", "parameters and parameters_json_schema cannot both be set."
                )
            if "parameters" in declaration:
                error = check_schema(declaration["parameters"], f"{where}.parameters")
                if error is not None:
                    return error
            free = declaration.get("parametersJsonSchema")
            if free is not None and not isinstance(free, dict | bool):
                return request_error(
                    f"{where}.parameters_json_schema", "parameters_json_schema must be an object."
                )
    config = (body.get("toolConfig") or {}).get("functionCallingConfig")
    if config is None:
        return None
    where = "tool_config.function_calling_config"
    if not names and config.get("mode") not in (None, "NONE", "MODE_UNSPECIFIED"):
        return bad("Function calling config is set without function_declarations.")
    allowed = config.get("allowedFunctionNames")
    if allowed:
        if config.get("mode") not in ("ANY", "VALIDATED"):
            return request_error(
                f"{where}.allowed_function_names",
                "allowed_function_names can only be set when mode is ANY or VALIDATED.",
            )
        for name in allowed:
            if name not in names:
                return request_error(
                    f"{where}.allowed_function_names",
                    f"Function {name} is not declared in function_declarations.",
                )
    return None


# ---------------------------------------------------------------- generation


def _check_config(
    config: dict[str, Any], limits: GeminiLimits, model: str
) -> GeminiWireError | None:
    where = "generation_config"
    for name, low, high in _RANGES:
        value = config.get(name)
        if value is None:
            continue
        if value < low or (high is not None and value > high):
            upper = f", {high}]" if high is not None else ", inf)"
            return request_error(
                f"{where}.{_snake(name)}", f"{_snake(name)} must be in the range [{low}{upper}."
            )
    stops = config.get("stopSequences")
    if stops is not None and len(stops) > 5:
        return request_error(f"{where}.stop_sequences", "at most 5 stop sequences are allowed.")
    mime = config.get("responseMimeType")
    if mime is not None and mime not in _MIME_TYPES:
        return request_error(
            f"{where}.response_mime_type",
            "allowed mimetypes are `text/plain`, `application/json`, `application/xml`, "
            "`application/yaml` and `text/x.enum`.",
        )
    has_schema = "responseSchema" in config
    has_json = "responseJsonSchema" in config
    if has_schema and has_json:
        return request_error(where, "response_schema and response_json_schema cannot both be set.")
    if (has_schema or has_json) and mime not in _SCHEMA_MIME_TYPES:
        field = "response_schema" if has_schema else "response_json_schema"
        return request_error(
            f"{where}.{field}",
            f"{field} is only supported with response_mime_type application/json or text/x.enum.",
        )
    if has_schema:
        error = check_schema(config["responseSchema"], f"{where}.response_schema")
        if error is not None:
            return error
    if has_json and not isinstance(config["responseJsonSchema"], dict | bool):
        return request_error(
            f"{where}.response_json_schema", "response_json_schema must be an object."
        )
    thinking = config.get("thinkingConfig")
    return _check_thinking(thinking, limits, model) if thinking else None


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _check_thinking(
    thinking: dict[str, Any], limits: GeminiLimits, model: str
) -> GeminiWireError | None:
    level = thinking.get("thinkingLevel")
    budget = thinking.get("thinkingBudget")
    if limits.thinking == "none":
        return bad(f"Thinking is not enabled for models/{model}")
    if level is not None and budget is not None:
        return bad("You can only set one of thinking budget and thinking level.")
    if level is not None:
        if limits.thinking != "level":
            return bad("Thinking level is not supported for this model.")
        if level.lower() not in limits.thinking_levels:
            return bad(f"Thinking level {level} is not supported for this model.")
    if budget is not None and budget != -1:
        if budget == 0 and not limits.can_disable_thinking:
            return bad("Budget 0 is invalid. This model only works in thinking mode.")
        low, high = limits.budget_range or (0, 32768)
        if budget != 0 and not low <= budget <= high:
            return bad(
                f"The thinking budget {budget} is invalid. Please choose a value between "
                f"{low} and {high}."
            )
    return None


# ---------------------------------------------------------------- entry points


def check_generate(body: dict[str, Any], model: str) -> GeminiWireError | None:
    """The first reason ``:generateContent`` of ``model`` would reject ``body``, or None."""
    contents = body.get("contents")
    if not contents:
        return request_error("contents", "contents is not specified")
    for i, content in enumerate(contents):
        error = _check_content(content, _at(i))
        if error is not None:
            return error
    system = body.get("systemInstruction")
    if system is not None:
        if not system.get("parts"):
            return request_error("system_instruction.parts", "contents.parts must not be empty.")
        for j, part in enumerate(system["parts"]):
            error = _check_part(part, "user", f"system_instruction.parts[{j}]")
            if error is not None:
                return error
    limits = limits_for(model)
    return (
        _check_turns(contents)
        or _check_signatures(contents, limits)
        or _check_tools(body)
        or _check_config(body.get("generationConfig") or {}, limits, model)
    )


def _check_embed_item(
    item: dict[str, Any], model: str, max_dimensions: int, where: str, request: str
) -> GeminiWireError | None:
    content = item.get("content")
    prefix = f"{where}." if where else ""
    if not content or not content.get("parts"):
        return request_error(f"{prefix}content", "content is not specified", request)
    dims = item.get("outputDimensionality")
    if dims is not None and not 1 <= dims <= max_dimensions:
        return request_error(
            f"{prefix}output_dimensionality",
            f"output_dimensionality must be between 1 and {max_dimensions}.",
            request,
        )
    named = item.get("model")
    if where and named is not None and named.removeprefix("models/") != model:
        return request_error(
            f"{prefix}model",
            f"Model in the request ({named}) does not match the model in the URL (models/{model}).",
            request,
        )
    return None


def check_embed(body: dict[str, Any], model: str, max_dimensions: int) -> GeminiWireError | None:
    """The first reason ``:embedContent`` would reject ``body``, or None."""
    return _check_embed_item(body, model, max_dimensions, "", "EmbedContentRequest")


def check_batch_embed(
    body: dict[str, Any], model: str, max_dimensions: int
) -> GeminiWireError | None:
    """The first reason ``:batchEmbedContents`` would reject ``body``, or None."""
    requests = body.get("requests")
    name = "BatchEmbedContentsRequest"
    if not requests:
        return request_error("requests", "requests is not specified", name)
    if len(requests) > MAX_BATCH:
        return request_error("requests", f"at most {MAX_BATCH} requests can be in one batch.", name)
    for i, item in enumerate(requests):
        if not item.get("model"):
            return request_error(f"requests[{i}].model", "model is not specified", name)
        error = _check_embed_item(item, model, max_dimensions, f"requests[{i}]", name)
        if error is not None:
            return error
    return None
