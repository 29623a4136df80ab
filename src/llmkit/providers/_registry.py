"""Resolving ``"provider/model"`` strings to :class:`Model` objects.

The first path segment picks the provider; the rest, slashes included, is the
model id. Protocol modules are imported on first use, so naming a provider
costs nothing until a model of it is built.
"""

from __future__ import annotations

import inspect
from importlib import import_module
from typing import Any

from llmkit.errors import UsageError
from llmkit.providers._presets import NATIVE_PROVIDERS, PRESETS, known_providers
from llmkit.providers.base import Model

__all__ = ["known_providers", "model"]

# Provider name -> (module, class, fixed keyword arguments).
_NATIVE: dict[str, tuple[str, str, dict[str, Any]]] = {
    "anthropic": ("llmkit.providers.anthropic", "AnthropicModel", {}),
    "gemini": ("llmkit.providers.gemini", "GeminiModel", {}),
    "ollama": ("llmkit.providers.ollama", "OllamaModel", {}),
}
# _presets names them too (the price lookup reads the names there, without this table).
assert tuple(_NATIVE) == NATIVE_PROVIDERS, "a native provider is missing here or in _presets"


def _entry(provider: str) -> tuple[str, str, dict[str, Any]] | None:
    if provider in _NATIVE:
        return _NATIVE[provider]
    if provider in PRESETS:
        return ("llmkit.providers.openai", "OpenAIModel", {"preset": provider})
    return None


def model(spec: str | Model, /, **options: Any) -> Model:
    """Build the model named by ``spec`` (``"provider/model-id"``), or pass a :class:`Model` through.

    ``options`` go to the provider's model class: ``api_key``, ``base_url``,
    ``timeout``, ``max_retries``, ``headers`` … Missing ones come from the
    provider's environment variables (``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` …).

    >>> m = model("openai/gpt-4.1-mini", api_key="sk-test")
    >>> m.name
    'openai/gpt-4.1-mini'
    """
    if isinstance(spec, Model):
        if options:
            raise UsageError("Options apply only when building a model from a string.")
        return spec
    if not isinstance(spec, str):
        raise UsageError(
            f"A model is a 'provider/model' string or a Model object, not {type(spec).__name__}."
        )
    provider, sep, model_id = spec.partition("/")
    if not sep or not provider or not model_id:
        raise UsageError(
            f"Model strings look like 'provider/model', e.g. 'openai/gpt-4.1-mini'; got {spec!r}. "
            f"Known providers: {', '.join(known_providers())}."
        )
    entry = _entry(provider)
    if entry is None:
        raise UsageError(
            f"Unknown provider {provider!r} in {spec!r}. Known providers: {', '.join(known_providers())}. "
            "For another OpenAI-compatible server use 'openai/<model>' with base_url=...."
        )
    module_name, class_name, fixed = entry
    cls = getattr(import_module(module_name), class_name)
    _check_options(cls, provider, options)
    built: Model = cls(model_id, **fixed, **options)
    return built


def _check_options(cls: type, provider: str, options: dict[str, Any]) -> None:
    params = inspect.signature(cls).parameters
    accepted = [name for name, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = [name for name in options if name not in accepted or name == "preset"]
    if unknown:
        raise UsageError(
            f"Unknown option(s) for {provider}: {', '.join(sorted(unknown))}. "
            f"Accepted: {', '.join(a for a in accepted if a != 'preset')}."
        )
