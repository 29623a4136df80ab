"""The versioned JSON envelope every llmkit data object and event is stored in.

:mod:`llmkit.types` and :mod:`llmkit.events` register their classes here;
``dump``/``load`` are re-exported from :mod:`llmkit.types`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from llmkit import _json, _jsondata
from llmkit.errors import SerializationError

__all__ = ["FORMAT_VERSION", "dump", "dumps", "load", "loads", "register_kind"]

#: Version of the JSON form written by :func:`dump`. Readers accept this version
#: and older ones; a newer one raises :class:`~llmkit.errors.SerializationError`.
FORMAT_VERSION = 1

JSONDict: TypeAlias = dict[str, Any]

_Loader: TypeAlias = Callable[[JSONDict], Any]
_KINDS: dict[str, tuple[type, _Loader]] = {}


# Modules that register kinds when imported; loaded on demand so that ``load``
# reads any kind without the caller importing its module first.
_REGISTERING_MODULES = ("llmkit.types", "llmkit.events", "llmkit.run")


def _register_all() -> None:
    from importlib import import_module

    for module in _REGISTERING_MODULES:
        import_module(module)


def register_kind(kind: str, cls: type, loader: _Loader) -> None:
    """Give ``cls`` a JSON envelope kind; ``loader`` rebuilds an object from its JSON form."""
    _KINDS[kind] = (cls, loader)


def _kind_of(obj: object) -> str:
    for kind, (cls, _) in _KINDS.items():
        if type(obj) is cls:
            return kind
    raise SerializationError(f"Cannot serialise a {type(obj).__name__}; it has no JSON form.")


def dump(obj: Any) -> JSONDict:
    """Wrap any llmkit data object (or event) in a versioned JSON envelope.

    A list of such objects is dumped as a list of their JSON forms.
    """
    if type(obj) is list:
        kinds = {_kind_of(o) for o in obj}
        if len(kinds) > 1:
            raise SerializationError("dump() takes a list of one kind of object only.")
        kind = kinds.pop() if kinds else "message"
        return {
            "llmkit": FORMAT_VERSION,
            "kind": f"list[{kind}]",
            "data": [o.to_dict() for o in obj],
        }
    return {"llmkit": FORMAT_VERSION, "kind": _kind_of(obj), "data": obj.to_dict()}


def load(envelope: JSONDict) -> Any:
    """Rebuild the object (or list) from a JSON envelope written by :func:`dump`."""
    if not isinstance(envelope, dict) or "llmkit" not in envelope or "kind" not in envelope:
        raise SerializationError("Not an llmkit JSON envelope (expected keys 'llmkit' and 'kind').")
    version = envelope["llmkit"]
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise SerializationError(
            f"This data was written by a newer llmkit (format {version}); this version reads "
            f"format {FORMAT_VERSION} and older. Upgrade llmkit to read it."
        )
    kind: str = envelope["kind"]
    is_list = kind.startswith("list[") and kind.endswith("]")
    base = kind[5:-1] if is_list else kind
    if base not in _KINDS:
        _register_all()
    if base not in _KINDS:
        raise SerializationError(f"Unknown kind {kind!r} in llmkit JSON envelope.")
    loader = _KINDS[base][1]
    # Not checked here: a loader given the wrong shape raises, and that becomes the error below.
    data: Any = envelope.get("data")
    try:
        if is_list:
            return [loader(item) for item in data]
        return loader(data)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise SerializationError(f"Malformed {kind} data: {exc!r}.") from exc


def dumps(obj: Any) -> str:
    """:func:`dump` to a JSON string."""
    return _json.dumps(dump(obj))


def loads(text: str | bytes) -> Any:
    """:func:`load` from a JSON string."""
    try:
        envelope = _jsondata.loads(text, max_depth=_jsondata.MACHINE_MAX_DEPTH)
    except _jsondata.JSONTooDeep as exc:
        raise SerializationError(
            f"Not readable JSON: nested too deeply ({exc}); the data is corrupt or not llmkit's."
        ) from None
    except ValueError as exc:
        raise SerializationError(f"Not valid JSON: {exc}.") from exc
    return load(envelope)
