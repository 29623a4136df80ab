"""Reading test data files: YAML or JSON text, ``module:attribute`` references, ``$`` matchers.

Shared by YAML scenarios and evaluation sets. In data, a one-key mapping
whose key starts with ``$`` is an argument matcher:

- ``{$anything: null}``, ``{$approx: 12.5}`` (or ``{$approx: [12.5, 0.01]}`` for a relative tolerance),
- ``{$contains: text}`` (or a list of texts), ``{$matches: regex}``,
- ``{$at_least: 1}``, ``{$at_most: 3}``, ``{$any_of: [a, b]}``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from llmkit._jsondata import read_json
from llmkit.errors import UsageError
from llmkit.output._yaml import parse_yaml, read_yaml
from llmkit.testing._match import (
    Matcher,
    any_of,
    anything,
    approx,
    at_least,
    at_most,
    contains,
    matches,
)

__all__ = ["load_data", "load_object", "load_yaml", "value_from_data"]


def load_yaml(source: str | Path) -> Any:
    """YAML data from a file path or from YAML text, read by the bounded loader.

    Alias bombs, deep nesting and oversized files are refused with a
    :class:`UsageError` (see :mod:`llmkit.output._yaml`); so is a missing pyyaml.
    """
    if isinstance(source, Path) or ("\n" not in source and source.endswith((".yaml", ".yml"))):
        file = Path(source)
        if not file.is_file():
            raise UsageError(f"No such file: {file}.")
        return read_yaml(file)
    return parse_yaml(source)


def load_data(path: str | Path) -> Any:
    """The data in a ``.json``, ``.yaml`` or ``.yml`` file.

    Both are read with the same bounds (size, nesting; see :mod:`llmkit._jsondata`
    and :mod:`llmkit.output._yaml`); a file past them is a :class:`UsageError`.
    """
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"No such file: {file}.")
    if file.suffix.lower() == ".json":
        return read_json(file)
    if file.suffix.lower() in (".yaml", ".yml"):
        return load_yaml(file)
    raise UsageError(f"{file}: use a .yaml, .yml or .json file.")


def load_object(spec: str, *, base_dir: Path | None = None, what: str = "object") -> Any:
    """The object a ``"package.module:attribute"`` reference names.

    ``base_dir`` (the data file's folder) is searched first, so a data file
    can name a module that sits beside it.
    """
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise UsageError(
            f"{what} {spec!r}: write it as 'module:attribute', e.g. 'my_agents:support'."
        )
    added = base_dir is not None and str(base_dir) not in sys.path
    if added:
        sys.path.insert(0, str(base_dir))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"{what} {spec!r}: cannot import {module_name!r}: {exc}.") from None
    finally:
        if added:
            sys.path.remove(str(base_dir))
    value: Any = module
    for name in attribute.split("."):
        try:
            value = getattr(value, name)
        except AttributeError:
            raise UsageError(f"{what} {spec!r}: {module_name} has no {attribute!r}.") from None
    return value


def _approx(arg: Any) -> Matcher:
    if isinstance(arg, list) and len(arg) == 2:
        return approx(float(arg[0]), rel=float(arg[1]))
    return approx(float(arg))


def _contains(arg: Any) -> Matcher:
    return contains(*arg) if isinstance(arg, list) else contains(arg)


_VALUE_MATCHERS: dict[str, Any] = {
    "$anything": lambda _: anything(),
    "$approx": _approx,
    "$contains": _contains,
    "$matches": lambda arg: matches(str(arg)),
    "$at_least": lambda arg: at_least(float(arg)),
    "$at_most": lambda arg: at_most(float(arg)),
    "$any_of": lambda arg: any_of(*(value_from_data(a) for a in arg)),
}


def value_from_data(value: Any) -> Any:
    """``value`` with every ``{$name: argument}`` mapping in it turned into that matcher."""
    if isinstance(value, dict):
        if len(value) == 1:
            key = next(iter(value))
            if isinstance(key, str) and key.startswith("$"):
                make = _VALUE_MATCHERS.get(key)
                if make is None:
                    raise UsageError(
                        f"Unknown matcher {key!r}; known: {', '.join(sorted(_VALUE_MATCHERS))}."
                    )
                return make(value[key])
        return {k: value_from_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [value_from_data(v) for v in value]
    return value
