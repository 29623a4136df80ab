"""Model capabilities as data, looked up by model id.

A table of (id prefix, capabilities) per provider family. The first matching
prefix wins; unknown ids get permissive defaults, so a new model works on
day one and the provider itself rejects what it cannot do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, TypeAlias

from llmkit.providers._presets import Preset
from llmkit.providers.base import Capabilities

__all__ = [
    "AnthropicProfile",
    "GeminiProfile",
    "OpenAIProfile",
    "SchemaFormat",
    "ToolCallContent",
    "anthropic_profile",
    "compatible_capabilities",
    "gemini_profile",
    "openai_capabilities",
    "openai_profile",
]

# --------------------------------------------------------------- OpenAI protocol

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


# ------------------------------------------------------------------- Gemini


@dataclass(frozen=True, slots=True)
class GeminiProfile:
    """What a Gemini model takes on the wire, beyond :class:`Capabilities`."""

    capabilities: Capabilities
    json_schema: bool = True
    """Takes plain JSON Schema (``parametersJsonSchema``, ``responseJsonSchema``);
    otherwise schemas are rewritten into the OpenAPI subset (``parameters``, ``responseSchema``)."""
    thought_signatures: bool = False
    """Rejects a function-call turn sent back without its ``thoughtSignature`` (Gemini 3)."""
    thinking: Literal["none", "budget", "level"] = "budget"
    """How thinking is controlled: not at all, ``thinkingBudget`` tokens, or ``thinkingLevel``."""
    thinking_levels: tuple[str, ...] = ()
    """The ``thinkingLevel`` values the model takes, lowest first."""
    budget_range: tuple[int, int] | None = None
    """Smallest and largest ``thinkingBudget`` (a positive budget); None when unknown."""
    can_disable_thinking: bool = True
    """Whether ``thinkingBudget: 0`` turns thinking off."""


_GEMINI_CAPS = Capabilities(
    documents=True, audio=True, reasoning=True, token_limit_param="maxOutputTokens"
)
_GEMINI_EMBEDDING = GeminiProfile(
    Capabilities(
        tools=False,
        parallel_tool_calls=False,
        images=False,
        structured_output=False,
        embeddings=True,
        token_limit_param="maxOutputTokens",
    ),
    thinking="none",
)
_GEMINI_OLD = GeminiProfile(
    Capabilities(
        documents=True, audio=True, token_limit_param="maxOutputTokens", max_context=1_048_576
    ),
    json_schema=False,
    thinking="none",
)

# Ordered: more specific prefixes first.
_GEMINI_TABLE: tuple[tuple[str, GeminiProfile], ...] = (
    ("gemini-embedding", _GEMINI_EMBEDDING),
    ("text-embedding", _GEMINI_EMBEDDING),
    ("embedding-", _GEMINI_EMBEDDING),
    (
        "gemini-3-pro",
        GeminiProfile(
            _GEMINI_CAPS,
            thought_signatures=True,
            thinking="level",
            thinking_levels=("low", "high"),
            can_disable_thinking=False,
        ),
    ),
    (
        "gemini-3",
        GeminiProfile(
            _GEMINI_CAPS,
            thought_signatures=True,
            thinking="level",
            thinking_levels=("minimal", "low", "medium", "high"),
            can_disable_thinking=False,
        ),
    ),
    (
        "gemini-2.5-pro",
        GeminiProfile(_GEMINI_CAPS, budget_range=(128, 32768), can_disable_thinking=False),
    ),
    ("gemini-2.5-flash-lite", GeminiProfile(_GEMINI_CAPS, budget_range=(512, 24576))),
    ("gemini-2.5-flash", GeminiProfile(_GEMINI_CAPS, budget_range=(1, 24576))),
    ("gemini-2.0", _GEMINI_OLD),
    ("gemini-1.5", _GEMINI_OLD),
    (
        "gemma-",
        GeminiProfile(
            Capabilities(
                tools=False,
                parallel_tool_calls=False,
                structured_output=False,
                token_limit_param="maxOutputTokens",
            ),
            json_schema=False,
            thinking="none",
        ),
    ),
)
# A Gemini id not in the table is taken to be a current model.
_GEMINI_DEFAULT = GeminiProfile(_GEMINI_CAPS)


def gemini_profile(model_id: str) -> GeminiProfile:
    """The wire profile of a Gemini model id (``"models/"`` prefix allowed)."""
    name = model_id.removeprefix("models/")
    for prefix, profile in _GEMINI_TABLE:
        if name.startswith(prefix):
            return profile
    return _GEMINI_DEFAULT


# ---------------------------------------------------------------- Anthropic

_ANTHROPIC_ANSWER = 8192  # max_tokens sent when the caller sets none (within the model's maximum)


@dataclass(frozen=True, slots=True)
class AnthropicProfile:
    """What an Anthropic model takes on the wire, beyond :class:`Capabilities`.

    ``capabilities.reasoning`` says whether it has extended thinking and
    ``capabilities.structured_output`` whether it takes ``output_config.format``.
    """

    capabilities: Capabilities
    max_output_tokens: int | None = None
    """The largest ``max_tokens`` the model accepts; None when not known."""
    mid_conversation_system: bool = False
    """Takes ``role: "system"`` messages inside the conversation."""

    @property
    def default_max_tokens(self) -> int:
        """``max_tokens`` when the caller sets none: 8192, or the model's maximum if lower."""
        ceiling = self.max_output_tokens
        return _ANTHROPIC_ANSWER if ceiling is None else min(_ANTHROPIC_ANSWER, ceiling)


def _claude(
    max_output: int | None,
    *,
    thinking: bool = True,
    structured: bool = False,
    mid_system: bool = False,
) -> AnthropicProfile:
    caps = Capabilities(
        documents=True,
        reasoning=thinking,
        structured_output=structured,
        max_context=200_000,
    )
    return AnthropicProfile(caps, max_output, mid_system)


# Ordered: more specific prefixes first ("claude-opus-4-1" before "claude-opus-4").
_ANTHROPIC_TABLE: tuple[tuple[str, AnthropicProfile], ...] = (
    ("claude-opus-4-8", _claude(None, structured=True, mid_system=True)),
    ("claude-opus-4-7", _claude(None, structured=True)),
    ("claude-opus-4-6", _claude(None, structured=True)),
    ("claude-sonnet-4-6", _claude(64_000, structured=True)),
    ("claude-opus-4-5", _claude(64_000, structured=True)),
    ("claude-opus-4-1", _claude(32_000)),
    ("claude-opus-4", _claude(32_000)),
    ("claude-sonnet-4-5", _claude(64_000, structured=True)),
    ("claude-sonnet-4", _claude(64_000)),
    ("claude-haiku-4-5", _claude(64_000, structured=True)),
    ("claude-3-7-sonnet", _claude(64_000)),
    ("claude-3-5-haiku", _claude(8192, thinking=False)),
    ("claude-3-5-sonnet", _claude(8192, thinking=False)),
    ("claude-3-", _claude(4096, thinking=False)),
)
# An id not in the table is taken to be a current model with every feature but
# mid-conversation system turns, which the table names explicitly.
_ANTHROPIC_DEFAULT = _claude(None, structured=True)


def anthropic_profile(model_id: str) -> AnthropicProfile:
    """The wire profile of an Anthropic model id (dated snapshots match their family)."""
    for prefix, profile in _ANTHROPIC_TABLE:
        if model_id.startswith(prefix):
            return profile
    return _ANTHROPIC_DEFAULT
