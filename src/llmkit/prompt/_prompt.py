"""Prompts: templates compiled once, rendered with values that stay data.

:class:`Prompt` is one text template; :class:`ChatPrompt` (made with
:meth:`Prompt.messages`) is a system turn, few-shot examples and a user turn,
rendered to :class:`~llmkit.types.Message` objects. A :class:`Prompt` is also
an agent's instructions: called with the run context, it renders with
``ctx`` (the :class:`~llmkit.context.RunContext`), ``deps`` (the run's
dependencies) and the variables it was made with.

What the engine guarantees (values never parsed, missing values refused,
the sandbox, includes kept inside the directory) is in ``_engine``'s docstring.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError
from llmkit.prompt._engine import Engine
from llmkit.prompt._files import PromptInfo, template_text
from llmkit.types import Message

if TYPE_CHECKING:
    from jinja2 import Template

    from llmkit.context import RunContext

__all__ = ["ChatPrompt", "Prompt", "file_prompt"]


class Prompt:
    """A prompt template (Jinja2 syntax, sandboxed), compiled once and rendered with values as data.

    ::

        summarise = Prompt("Summarise for {{ audience }}:\\n{{ text }}")
        summarise.render(audience="kids", text=doc)   # doc's {braces} and {{ }} stay as written

    Args:
        template: The template text: ``{{ name }}`` inserts a value,
            ``{% if %}``/``{% for %}`` choose and repeat, ``{% include "x.md" %}``
            inserts a file of ``directory``.
        name: What errors call the template.
        directory: The prompt directory includes are read from (none by default).
        variables: Values every rendering gets (a render's own values win).

    A syntax error is raised here (:class:`~llmkit.prompt.PromptSyntaxError`);
    a missing value or a sandbox refusal when rendering. As an agent's
    ``instructions`` it renders before each model request with ``ctx``,
    ``deps`` and ``variables``. Prompts read from files (:func:`load_prompts`)
    also carry their front-matter: :attr:`model`, :attr:`settings`, :attr:`output` ...
    """

    __slots__ = ("_engine", "_info", "_name", "_template", "_variables")

    def __init__(
        self,
        template: str,
        /,
        *,
        name: str = "prompt",
        directory: str | os.PathLike[str] | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(template, str):
            raise UsageError(
                f"Prompt() takes the template as a str, not {type(template).__name__}; "
                "to read prompt files use load_prompts(directory)."
            )
        engine = _engine_for(directory)
        self._setup(engine, engine.compile(template, name=name), name, variables, None)

    def _setup(
        self,
        engine: Engine,
        template: Template,
        name: str,
        variables: Mapping[str, Any] | None,
        info: PromptInfo | None,
    ) -> None:
        if variables is not None and not isinstance(variables, Mapping):
            raise UsageError(
                f"variables= takes a mapping of names to values, not {type(variables).__name__}."
            )
        self._engine = engine
        self._template = template
        self._name = name
        self._variables: dict[str, Any] = dict(variables or {})
        self._info = info

    def render(self, /, **variables: Any) -> str:
        """The text of the template with ``variables`` (and the ones it was made with)."""
        values = {**self._variables, **variables} if self._variables else variables
        return self._engine.render(self._template, values)

    def __call__(self, ctx: RunContext[Any], /) -> str:
        """The text as an agent's instructions: rendered with ``ctx``, ``deps`` and the variables."""
        return self._engine.render(
            self._template, {**self._variables, "ctx": ctx, "deps": ctx.deps}
        )

    def bind(self, /, **variables: Any) -> Prompt:
        """This prompt with more variables given in advance (same compiled template)."""
        bound = Prompt.__new__(Prompt)
        bound._setup(
            self._engine, self._template, self._name, {**self._variables, **variables}, self._info
        )
        return bound

    @staticmethod
    def messages(
        *,
        system: str | None = None,
        examples: Sequence[tuple[str, str]] = (),
        user: str | None = None,
        name: str = "chat",
        directory: str | os.PathLike[str] | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> ChatPrompt:
        """A chat template: a system turn, few-shot ``(user, assistant)`` examples, a user turn.

        Each text is a template, rendered with the same values; the result
        is a list of :class:`~llmkit.types.Message` (see :meth:`ChatPrompt.render`).
        """
        return ChatPrompt(
            system=system,
            examples=examples,
            user=user,
            name=name,
            directory=directory,
            variables=variables,
        )

    @property
    def name(self) -> str:
        """The prompt's name: a file's ``name``, else the ``name`` it was made with."""
        return self._info.name if self._info is not None else self._name

    @property
    def variables(self) -> Mapping[str, Any]:
        """The values every rendering gets (a copy)."""
        return dict(self._variables)

    @property
    def info(self) -> PromptInfo | None:
        """The front-matter of the file it was read from (None for a prompt made from a string)."""
        return self._info

    @property
    def version(self) -> str | None:
        """The file's version, if any."""
        return self._info.version if self._info is not None else None

    @property
    def description(self) -> str:
        """The file's description ('' when none)."""
        return self._info.description if self._info is not None else ""

    @property
    def model(self) -> str | None:
        """The model the file names, if any."""
        return self._info.model if self._info is not None else None

    @property
    def settings(self) -> Mapping[str, Any]:
        """The model settings the file gives (empty when none)."""
        return dict(self._info.settings) if self._info is not None else {}

    @property
    def output(self) -> str | None:
        """The output type name the file gives, if any."""
        return self._info.output if self._info is not None else None

    def __repr__(self) -> str:
        # Never the variables: they may hold a user's text or secrets.
        version = f", version={self.version!r}" if self.version is not None else ""
        return f"Prompt(name={self.name!r}{version})"


class ChatPrompt:
    """A system turn, few-shot examples and a user turn, each a template (see :meth:`Prompt.messages`)."""

    __slots__ = ("_examples", "_system", "_user")

    def __init__(
        self,
        *,
        system: str | None = None,
        examples: Sequence[tuple[str, str]] = (),
        user: str | None = None,
        name: str = "chat",
        directory: str | os.PathLike[str] | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        pairs: object = examples  # checked as the caller gave it, whatever its annotation
        if isinstance(pairs, str | bytes) or not all(
            isinstance(pair, tuple | list)
            and len(pair) == 2
            and all(isinstance(text, str) for text in pair)
            for pair in examples
        ):
            raise UsageError(
                "examples= takes (user, assistant) pairs of text, e.g. [('2+2?', '4')]."
            )
        for what, text in (("system", system), ("user", user)):
            if text is not None and not isinstance(text, str):
                raise UsageError(f"{what}= takes a template as a str, not {type(text).__name__}.")
        engine = _engine_for(directory)

        def compiled(text: str, part: str) -> Prompt:
            prompt = Prompt.__new__(Prompt)
            label = f"{name}.{part}"
            prompt._setup(engine, engine.compile(text, name=label), label, variables, None)
            return prompt

        self._system = compiled(system, "system") if system is not None else None
        self._examples = [
            (
                compiled(question, f"examples[{i}].user"),
                compiled(answer, f"examples[{i}].assistant"),
            )
            for i, (question, answer) in enumerate(examples)
        ]
        self._user = compiled(user, "user") if user is not None else None

    def render(self, /, **variables: Any) -> list[Message]:
        """The messages: system (if any), each example's user and assistant turns, user (if any)."""
        messages: list[Message] = []
        if self._system is not None:
            messages.append(Message.system(self._system.render(**variables)))
        for question, answer in self._examples:
            messages.append(Message.user(question.render(**variables)))
            messages.append(Message.assistant(answer.render(**variables)))
        if self._user is not None:
            messages.append(Message.user(self._user.render(**variables)))
        return messages

    def __repr__(self) -> str:
        return f"ChatPrompt(system={self._system is not None}, examples={len(self._examples)})"


def file_prompt(info: PromptInfo, engine: Engine) -> Prompt:
    """The prompt of the file ``info`` describes, compiled by the directory's ``engine``."""
    prompt = Prompt.__new__(Prompt)
    prompt._setup(engine, engine.load(info.relative), info.name, None, info)
    return prompt


def _engine_for(directory: str | os.PathLike[str] | None) -> Engine:
    if directory is None:
        return Engine()
    root = Path(directory)
    if not root.is_dir():
        raise UsageError(f"directory= names no directory: {root}.")
    return Engine(root, source=template_text)
