"""The ``prompt`` module: llmkit's safe templates (Jinja2's sandbox), rendered from scripts."""

from __future__ import annotations

from typing import Any

from llmkit.errors import UsageError
from llmkit.scripting._bridge import Bridge
from llmkit.scripting._host import Host

__all__ = ["bridge"]

bridge = Bridge(
    "prompt",
    "Templates as in Python's `llmkit.prompt` (needs the `prompts` extra): `{{ name }}` "
    "placeholders, strict about missing values; the values are data, never template source.",
)


@bridge.function
def render(host: Host, template: str, values: Any = None) -> str:
    """`template` rendered with the `values` table: `prompt.render("Hi {{ name }}", { name = "Ada" })`."""
    from llmkit.prompt import Prompt

    if not isinstance(template, str):
        raise UsageError("prompt.render takes a template string and a table of values.")
    if values is not None and not isinstance(values, dict):
        raise UsageError('prompt.render: the values are a table such as { name = "Ada" }.')
    return Prompt(template).render(**(values or {}))


@bridge.function
def messages(host: Host, spec: Any, values: Any = None) -> list[dict[str, str]]:
    """A chat template `{ system = ..., user = ... }` rendered to messages `{ {role, text}, ... }` (for `llm.generate{ messages = ... }`)."""
    from llmkit.prompt import Prompt

    if not isinstance(spec, dict) or not set(spec) <= {"system", "user"}:
        raise UsageError(
            'prompt.messages takes { system = "...", user = "..." } and a table of values.'
        )
    system, user = spec.get("system"), spec.get("user")
    chat = Prompt.messages(
        system=None if system is None else str(system), user=None if user is None else str(user)
    )
    return [{"role": m.role, "text": m.text} for m in chat.render(**(values or {}))]
