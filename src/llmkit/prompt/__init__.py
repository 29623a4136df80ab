"""Prompts: safe templates, chat templates and directories of prompt files.

::

    from llmkit.prompt import Prompt, load_prompts

    summarise = Prompt("Summarise for {{ audience }}:\\n{{ text }}")
    summarise.render(audience="kids", text=doc)     # doc's {braces}, {{ }}, {% %} stay as written
    chat = Prompt.messages(system="You are {{ role }}.", examples=[("2+2?", "4")], user="{{ q }}")
    chat.render(role="a tutor", q="3+3?")            # a list of Messages
    agent = Agent(model, instructions=Prompt("You help {{ deps.name }}."))   # rendered per request
    prompts = load_prompts("prompts/")               # prompts["summarise@2"], prompts["summarise"]

Templates are Jinja2 in its immutable sandbox, strict about missing values;
the values they are rendered with are data, never template source. Needs the
``llmkit[prompts]`` extra (Jinja2, PyYAML), imported at the first template.
The errors are :class:`~llmkit.errors.UsageError` subclasses (tree in ``_errors``).
"""

from __future__ import annotations

from llmkit.prompt._errors import (
    MissingVariableError,
    PromptError,
    PromptFileError,
    PromptNotFoundError,
    PromptSandboxError,
    PromptSyntaxError,
)
from llmkit.prompt._files import PromptInfo
from llmkit.prompt._library import PromptLibrary, load_prompts
from llmkit.prompt._prompt import ChatPrompt, Prompt

__all__ = [
    "ChatPrompt",
    "MissingVariableError",
    "Prompt",
    "PromptError",
    "PromptFileError",
    "PromptInfo",
    "PromptLibrary",
    "PromptNotFoundError",
    "PromptSandboxError",
    "PromptSyntaxError",
    "load_prompts",
]
