"""The template engine: Jinja2's immutable sandbox, strict about missing values, errors translated.

Guarantees:

- **Values are data.** A template is compiled once from its own text; the
  values it is rendered with are inserted as text and never parsed, so a
  user's ``{``, ``}``, ``{{``, ``{%`` or ``{#`` comes out as written.
- **Strict.** A variable or attribute the template uses and was not given
  raises :class:`~llmkit.prompt.MissingVariableError` naming it, the
  template, and the file and line; nothing renders as an empty string.
- **Sandboxed.** :class:`jinja2.sandbox.ImmutableSandboxedEnvironment`:
  no underscored attributes (``''.__class__``), no method that changes a
  list, dict or set, ``str.format`` checked, ``range`` bounded. A template
  that tries is refused with :class:`~llmkit.prompt.PromptSandboxError`.
  The immutable sandbox is the stricter of Jinja's two: a prompt reads the
  data it is given and never needs to change it.
- **Includes stay in the directory.** ``{% include %}`` (and ``import``,
  ``extends``) read files of the prompt directory only; a name with ``..``,
  an absolute path or a link that leads outside is refused. A template given
  as a string with no directory can include nothing.
- **Compiled once.** A template is compiled when it is made (or first asked
  for, in a directory); the engine keeps every template it compiled, so an
  include is compiled once too. Files are read once (no reload: load the
  directory again to see edits).

Rendering keeps Jinja's defaults for text, plus ``trim_blocks`` and
``lstrip_blocks`` (a line holding only a ``{% ... %}`` tag leaves no blank
line behind) and ``keep_trailing_newline`` (a template, or an included file,
ends as it is written); autoescaping is off (a prompt is not HTML). Jinja is imported on
first use (the ``llmkit[prompts]`` extra).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from llmkit._optional import require
from llmkit.prompt._errors import (
    MissingVariableError,
    PromptError,
    PromptNotFoundError,
    PromptSandboxError,
    PromptSyntaxError,
)

if TYPE_CHECKING:
    from jinja2 import Environment, Template

__all__ = ["Engine", "Source", "where"]

Source = Callable[[Path], str]
"""Reads a file of the prompt directory as template text (front-matter blanked, lines kept)."""

_UNDEFINED = re.compile(r"^'(?P<name>.+)' is undefined$")
_NO_ATTRIBUTE = re.compile(r"has no attribute '(?P<name>.+)'$")


def where(template: str, file: str | None, line: int) -> str:
    """How a message names a place in a template: ``The template 'x' (path, line 3)``."""
    place = ", ".join(p for p in (file or "", f"line {line}" if line else "") if p)
    return f"The template {template!r}" + (f" ({place})" if place else "")


class Engine:
    """One sandboxed Jinja environment, for one prompt directory or for none.

    ``root`` is the directory includes are read from (None: no includes);
    ``source`` reads one of its files as template text.
    """

    def __init__(self, root: Path | None = None, *, source: Source | None = None) -> None:
        jinja2 = require("jinja2", extra="prompts", feature="Prompt templates", package="jinja2")
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        self.root = root.resolve() if root is not None else None
        self._read = source or _plain_text
        self._files: dict[str, tuple[str, str | None]] = {}
        """Compiled file name -> (template name, file shown in errors, None for a string)."""
        self._env: Environment = ImmutableSandboxedEnvironment(
            loader=jinja2.FunctionLoader(self._load),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
            cache_size=-1,
        )

    def compile(self, text: str, *, name: str) -> Template:
        """``text`` (a template given as a string) compiled; a syntax error is a typed error."""
        filename = f"<prompt {name}>"
        self._files[filename] = (name, None)
        try:
            code = self._env.compile(text, name=name, filename=filename)
        except Exception as exc:
            raise self._typed(exc, name=name, file=None) from None
        return self._env.template_class.from_code(self._env, code, self._env.globals, None)

    def load(self, relative: str) -> Template:
        """The file ``relative`` of the directory, compiled (once: later calls give the same)."""
        try:
            return self._env.get_template(relative)
        except Exception as exc:
            raise self._typed(exc, name=relative, file=self._shown(relative)) from None

    def render(self, template: Template, variables: Mapping[str, Any]) -> str:
        """``template`` rendered with ``variables``; a template mistake is a typed error.

        An exception raised by a value's own code (a property, a method) is
        not the template's mistake: it propagates as raised, with a note
        saying which template and line called it.
        """
        try:
            return template.render(variables)
        except Exception as exc:
            name, file = self._files.get(template.filename or "", (template.name or "", None))
            typed = self._translate(exc, name=name, file=file)
            if typed is None:
                raise
            raise typed from None

    def _shown(self, relative: str) -> str | None:
        return str(self.root / relative) if self.root is not None else None

    def _load(self, relative: str) -> tuple[str, str, Callable[[], bool]] | None:
        """Jinja's loader: the text of ``relative`` inside the directory (None: not there)."""
        jinja2 = require("jinja2", extra="prompts", feature="Prompt templates")
        if self.root is None:
            raise jinja2.TemplateNotFound(
                relative,
                f"{relative!r}: it was given as a string with no directory to include from; pass Prompt(..., directory='prompts/') or load the directory with "
                "load_prompts()",
            )
        path = self.root / relative
        if (
            ".." in Path(relative).parts
            or Path(relative).is_absolute()
            or "\\" in relative
            or not path.resolve().is_relative_to(self.root)
        ):
            raise jinja2.TemplateNotFound(
                relative,
                f"{relative!r}: only files inside the prompt directory {self.root} can be "
                "included, by their path in it (no '..', no absolute path)",
            )
        if not path.is_file():
            return None
        filename = str(path)
        self._files[filename] = (relative, filename)
        return self._read(path), filename, _always_current

    def _typed(self, exc: BaseException, *, name: str, file: str | None) -> BaseException:
        typed = self._translate(exc, name=name, file=file)
        return exc if typed is None else typed

    def _translate(self, exc: BaseException, *, name: str, file: str | None) -> PromptError | None:
        """The typed error for ``exc``, raised while compiling or rendering the template ``name``."""
        import jinja2

        line = 0
        if isinstance(exc, jinja2.TemplateSyntaxError):
            name, file = self._files.get(exc.filename or "", (exc.name or name, file))
            return PromptSyntaxError(
                f"{where(name, file, exc.lineno)} does not parse: {(exc.message or '').rstrip('.')}. "
                "Fix the template (Jinja syntax; write {% raw %}...{% endraw %} around "
                "text that must keep {{ or {% as it is).",
                template=name,
                file=file,
                line=exc.lineno,
            )
        place = _template_frame(exc.__traceback__)
        if place is not None:
            name, file = self._files.get(place[0], (name, file))
            line = place[1]
        at = where(name, file, line)
        if isinstance(exc, jinja2.TemplateNotFound):
            shown = exc.message or ""
            if shown == exc.name:  # Jinja's own message is just the name
                folder = self.root if self.root is not None else "the prompt directory"
                shown = f"{exc.name!r}: there is no such file in {folder}"
            return PromptNotFoundError(
                f"{at} cannot include {shown}.", template=name, file=file, line=line
            )
        if isinstance(exc, jinja2.UndefinedError):
            message = exc.message or "a value is undefined"
            plain = _UNDEFINED.match(message)
            match = plain or _NO_ATTRIBUTE.search(message)
            variable = match["name"] if match else ""
            shown = variable if plain else "value"
            return MissingVariableError(
                f"{at} uses a value it was not given: {message}. Pass it when rendering, or "
                f"mark it optional in the template ({{{{ {shown} | default('') }}}}"
                f" or {{% if {shown} is defined %}}).",
                template=name,
                file=file,
                line=line,
                variable=variable,
            )
        if isinstance(exc, jinja2.exceptions.SecurityError) or (
            isinstance(exc, OverflowError) and "sandbox" in str(exc)
        ):
            return PromptSandboxError(
                f"{at} is refused by the sandbox: {exc} Templates may read the values they "
                "are given (no underscored attributes, no method that changes them).",
                template=name,
                file=file,
                line=line,
            )
        if isinstance(exc, jinja2.TemplateError):
            return PromptError(f"{at} failed: {exc.message}.", template=name, file=file, line=line)
        exc.add_note(f"(raised while rendering {at[4:]})")
        return None


def _template_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    """The innermost template frame of a rendered template's traceback: (file name, line)."""
    found = None
    while tb is not None:
        frame_globals = tb.tb_frame.f_globals
        if "__jinja_exception__" in frame_globals:  # Jinja rewrites template frames so
            found = (str(frame_globals.get("__file__", "")), tb.tb_lineno)
        tb = tb.tb_next
    return found


def _plain_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _always_current() -> bool:
    return True
