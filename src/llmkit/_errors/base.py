"""The root of the error tree, the caller's mistakes, and data llmkit cannot read.

Served by :mod:`llmkit.errors` (the tree is drawn there); import from it. Every
error with attributes pickles with all of them: :func:`_rebuild` puts them back
(``__reduce__``); pickles name it ``llmkit.errors._rebuild``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfigurationError",
    "ExtractionError",
    "LLMKitError",
    "MissingAPIKeyError",
    "MissingExtraError",
    "NetworkBlockedError",
    "RecordingError",
    "RecordingVersionError",
    "SerializationError",
    "UnsafeDocumentError",
    "UnsupportedError",
    "UsageError",
]


class LLMKitError(Exception):
    """Base of every error llmkit raises."""


def _rebuild(cls: type[Exception], message: str, state: dict[str, Any]) -> Exception:
    """Unpickle an error of ``cls``: its message, then every attribute it had (``__reduce__``)."""
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class UsageError(LLMKitError):
    """The caller used llmkit wrongly: a bad argument, option, model string or config.

    The message says what to change. Retrying never helps.
    """


class ConfigurationError(UsageError):
    """The environment or a configuration file is wrong, not the call itself.

    A missing API key, model name or optional extra, or a data file (an
    evaluation set …) that cannot be used. The message says what to set,
    install or fix. The ``llmkit`` command exits with status 3 for it.
    """


class MissingAPIKeyError(ConfigurationError):
    """No API key was given and the environment variable that supplies it is unset."""

    def __init__(self, provider: str, env_var: str | None) -> None:
        self.provider = provider
        self.env_var = env_var
        where = f"set the {env_var} environment variable or " if env_var else ""
        super().__init__(f"No API key for {provider}: {where}pass api_key=... to llmkit.model().")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.provider, self.env_var))


class MissingExtraError(ConfigurationError):
    """A feature needs an optional dependency that is not installed.

    The message names the package and the extra that brings it
    (``pip install 'llmkit[mcp]'``); ``extra`` and ``package`` carry them.
    """

    def __init__(self, feature: str, extra: str, package: str) -> None:
        self.feature = feature
        self.extra = extra
        self.package = package
        super().__init__(f"{feature} needs {package}: pip install 'llmkit[{extra}]'.")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.feature, self.extra, self.package))


class UnsupportedError(UsageError):
    """The model or provider cannot do what was asked (e.g. embeddings on a chat-only model)."""


class NetworkBlockedError(UsageError):
    """A model request to a non-local host was made while the network guard was on.

    Tests must not reach real providers: point the model at the fake provider
    server (``llmkit.testing``), use a ``ScriptedModel``, replay a cassette,
    or allow the host explicitly.
    """


class SerializationError(LLMKitError):
    """Data could not be read back: malformed JSON, a wrong shape, or a newer format version."""


class RecordingError(SerializationError):
    """A recording file cannot be read: not JSON, truncated, or not an llmkit recording.

    ``path`` and ``line`` (1-based) say where; nothing is written to the file.
    """

    def __init__(self, message: str, *, path: str = "", line: int = 0) -> None:
        super().__init__(message)
        self.path = path
        self.line = line

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self.__dict__.copy()))


class RecordingVersionError(RecordingError):
    """The recording was written by a newer llmkit, in a format this one cannot read: upgrade."""


class ExtractionError(LLMKitError):
    """A text (a model's answer) held no value of the type asked for.

    Either no JSON, YAML or XML value was found in it, or the value found was
    still invalid after recovery and schema-guided coercion. ``raw`` is the
    whole text, ``format`` the format it was read as (``"json"``, ``"yaml"``,
    ``"xml"``, or None when none was found), and ``errors`` one
    ``(path, message)`` pair per validation error (the path is dotted, such as
    ``"lines.0.amount"``, or ``"(root)"``). The message shows the start of the
    text and every error.
    """

    def __init__(
        self,
        message: str,
        *,
        raw: str = "",
        format: str | None = None,
        errors: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.raw = raw
        """The whole text that was read."""
        self.format = format
        """The format the text was read as, or None."""
        self.errors = errors
        """One ``(path, message)`` pair per validation error."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), self.__dict__.copy()))


class UnsafeDocumentError(ExtractionError):
    """A text was refused without being loaded, because loading it could harm the process.

    An XML document type declaration (where entity bombs and external
    entities are declared), a YAML document past its bounds (an alias bomb)
    or holding a tag that would build a Python object. No other reading of
    the same text is tried.
    """
