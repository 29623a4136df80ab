"""The errors of templates and prompt files, all under :class:`~llmkit.errors.UsageError`.

::

    UsageError
    └── PromptError                 a template or prompt file is wrong; names the template,
        │                           and the file and line when there is one
        ├── PromptSyntaxError       the template does not parse (Jinja syntax)
        ├── MissingVariableError    the template uses a variable (or attribute) it was not given
        ├── PromptSandboxError      the template reached for something the sandbox forbids
        ├── PromptFileError         a prompt file's front-matter is malformed, or two files
        │                           claim the same name@version
        └── PromptNotFoundError     no prompt (or partial) of that name and version

A template is written by whoever wrote the prompt, so every one of them is a
caller's mistake (a :class:`UsageError`), never a run-time failure. Each error
keeps where it points: ``template`` (its name), ``file`` (None for a template
given as a string) and ``line`` (0 when unknown). The values a template was
rendered with never appear in a message: they may hold a user's text or secrets.
"""

from __future__ import annotations

from llmkit.errors import UsageError

__all__ = [
    "MissingVariableError",
    "PromptError",
    "PromptFileError",
    "PromptNotFoundError",
    "PromptSandboxError",
    "PromptSyntaxError",
]


class PromptError(UsageError):
    """A template or prompt file is wrong; the message says where and what to change."""

    def __init__(
        self, message: str, *, template: str = "", file: str | None = None, line: int = 0
    ) -> None:
        super().__init__(message)
        self.template = template
        """The template's name (a prompt file's name, or the name given to ``Prompt``)."""
        self.file = file
        """The file the template was read from, or None for a template given as a string."""
        self.line = line
        """The 1-based line the error points at, or 0 when there is none."""

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), self.template, self.file, self.line))


def _rebuild(
    cls: type[PromptError], message: str, template: str, file: str | None, line: int
) -> PromptError:
    return cls(message, template=template, file=file, line=line)


class PromptSyntaxError(PromptError):
    """The template does not parse: an unclosed tag, an unknown tag, a bad expression."""


class MissingVariableError(PromptError):
    """The template uses a variable or attribute that was not given (no silent empty text)."""

    @property
    def variable(self) -> str:
        """The name of the missing variable (or attribute)."""
        return self._variable

    def __init__(
        self,
        message: str,
        *,
        template: str = "",
        file: str | None = None,
        line: int = 0,
        variable: str = "",
    ) -> None:
        super().__init__(message, template=template, file=file, line=line)
        self._variable = variable

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_missing,
            (str(self), self.template, self.file, self.line, self._variable),
        )


def _rebuild_missing(
    message: str, template: str, file: str | None, line: int, variable: str
) -> MissingVariableError:
    return MissingVariableError(message, template=template, file=file, line=line, variable=variable)


class PromptSandboxError(PromptError):
    """The template reached for what the sandbox forbids (``__class__``, mutating a list, ...)."""


class PromptFileError(PromptError):
    """A prompt file is malformed (front-matter, a setting's type), or clashes with another."""


class PromptNotFoundError(PromptError, LookupError):
    """No prompt or partial of that name (and version); the message lists the ones there are."""
