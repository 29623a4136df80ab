"""Capabilities and wire details of models behind the Chat Completions protocol, as data.

A table of (id prefix, capabilities): OpenAI's own models, then what a
preset (llama.cpp, vLLM, Groq …) says of a compatible server. The first
matching prefix wins; unknown ids get permissive defaults, so a new model
works on day one and the provider itself rejects what it cannot do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, TypeAlias

from llmkit.providers._presets import Preset
from llmkit.providers.base import Capabilities

__all__ = [
    "OpenAIProfile",
    "SchemaFormat",
    "ToolCallContent",
    "compatible_capabilities",
    "openai_capabilities",
    "openai_profile",
]

SchemaFormat: TypeAlias = Literal["json_schema", "json_object"]
"""How a Chat Completions server takes an output schema in ``response_format``."""

ToolCallContent: TypeAlias = Literal["null", "empty"]
"""What an assistant message that only calls tools sends as its ``content``."""


@dataclass(frozen=True, slots=True)
class OpenAIProfile:
    """What a model behind the Chat Completions protocol takes on the wire, beyond :class:`Capabilities`.

    OpenAI's own API, the compatible cloud services and local servers differ
    in a few wire details; they are data here, chosen per model id and preset
    (:func:`openai_profile`), so the codec stays one function.
    """

    capabilities: Capabilities
    schema_format: SchemaFormat = "json_schema"
    """``"json_schema"``: ``{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}``
    (OpenAI, vLLM, LM Studio …); ``"json_object"``: ``{"type": "json_object", "schema": …}``
    (llama.cpp, which refuses ``json_schema``). ``capabilities.structured_output`` says
    whether the schema is enforced at all, and so whether ``output_mode="auto"`` uses it."""
    tool_call_content: ToolCallContent = "null"
    """``"null"``: ``"content": null`` beside ``tool_calls`` (OpenAI's own form);
    ``"empty"``: ``"content": ""``, which every server accepts (llama.cpp refuses null,
    others refuse a missing field)."""


# Known OpenAI models. Reasoning models take only ``max_completion_tokens``; the others
# take ``max_tokens`` as well, the name every compatible server and gateway knows.
_OPENAI_REASONING = Capabilities(
    documents=True, reasoning=True, sampling=False, token_limit_param="max_completion_tokens"
)
_OPENAI_EMBEDDING = Capabilities(
    tools=False,
    parallel_tool_calls=False,
    images=False,
    structured_output=False,
    embeddings=True,
)
# A model id OpenAI's own API serves that the table does not know yet: the newer
# ``max_completion_tokens``, which every current OpenAI chat model takes.
_OPENAI_DEFAULT = Capabilities(documents=True, token_limit_param="max_completion_tokens")

# Ordered: more specific prefixes first.
_OPENAI_TABLE: tuple[tuple[str, Capabilities], ...] = (
    ("text-embedding-", _OPENAI_EMBEDDING),
    # The gpt-5 family refuses max_tokens, its chat models included.
    ("gpt-5-chat", _OPENAI_DEFAULT),
    ("gpt-5", _OPENAI_REASONING),
    ("o1", _OPENAI_REASONING),
    ("o3", _OPENAI_REASONING),
    ("o4", _OPENAI_REASONING),
    ("gpt-4o-audio", Capabilities(audio=True)),
    ("gpt-4.1", Capabilities(documents=True, max_context=1_047_576)),
    ("gpt-4o", Capabilities(documents=True, max_context=128_000)),
    ("chatgpt-4o", Capabilities(documents=True, max_context=128_000)),
    # Older chat models: no json_schema response format (structured output goes by tool).
    ("gpt-4", Capabilities(structured_output=False)),
    ("gpt-3.5-turbo", Capabilities(images=False, structured_output=False)),
)

# A compatible server: pass through what the caller asks and let the server decide.
_COMPATIBLE = Capabilities(reasoning=True)

# An unknown model on an unknown OpenAI-compatible server: nothing is known about
# schemas or tools, so structured output is asked for in the prompt, which works on
# any server; the content of tool-call turns is "" which every server accepts.
_UNKNOWN_SERVER = OpenAIProfile(
    Capabilities(reasoning=True, structured_output=False, output_mode="prompted"),
    tool_call_content="empty",
)


def _openai_table(model_id: str) -> Capabilities | None:
    for prefix, caps in _OPENAI_TABLE:
        if model_id.startswith(prefix):
            return caps
    return None


def openai_capabilities(model_id: str) -> Capabilities:
    """Capabilities of an OpenAI (or Azure OpenAI) model id."""
    return _openai_table(model_id) or _OPENAI_DEFAULT


def compatible_capabilities(model_id: str) -> Capabilities:
    """Capabilities of a model on an OpenAI-compatible server (permissive)."""
    return _COMPATIBLE


def openai_profile(model_id: str, preset: Preset, *, own_address: bool) -> OpenAIProfile:
    """The wire profile of ``model_id`` reached through ``preset``.

    - A known OpenAI model id (``gpt-4.1-mini``, ``o3`` …) gets OpenAI's table,
      wherever it is served: its token-limit name, sampling and structured output
      (``json_schema``). At an address that is not OpenAI's own (a gateway in front
      of OpenAI, or a local server serving a model under an OpenAI name) its
      tool-call turns carry ``"content": ""``, which OpenAI and every server take.
    - Another id on OpenAI's own address (``own_address``, always true for Azure)
      is taken to be a new OpenAI model.
    - Another id through the ``openai`` preset at another address is a model on an
      unknown compatible server: the form every server accepts, prompted output.
    - A named preset (``llamacpp``, ``vllm``, ``groq`` …) gets what the preset says.
    """
    if preset.official:
        known = _openai_table(model_id)
        if known is not None:
            # null beside tool_calls is OpenAI's own form; llama.cpp refuses it, and an
            # address that is not OpenAI's may be a local server under an OpenAI name.
            return OpenAIProfile(known, tool_call_content="null" if own_address else "empty")
        return OpenAIProfile(_OPENAI_DEFAULT) if own_address else _UNKNOWN_SERVER
    return _preset_profile(preset)


def _preset_profile(preset: Preset) -> OpenAIProfile:
    structured = preset.output_schema != "none"
    caps = _COMPATIBLE if structured else replace(_COMPATIBLE, structured_output=False)
    return OpenAIProfile(
        caps,
        "json_object" if preset.output_schema == "json_object" else "json_schema",
        preset.tool_call_content,
    )
