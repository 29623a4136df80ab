"""Lazy re-exports for a package facade: a name's module is imported on first access, then cached.

A facade lists its public names and the module that defines each, then
assigns the two module hooks this builds::

    _LAZY = {"Agent": "llmkit.agent", "bus": "llmkit.bus"}
    __all__ = ["Agent", "bus"]
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)

What always holds:

- nothing is imported until a name is first read; the value is then stored in
  the facade's globals, so the next read is a plain attribute lookup;
- a name whose module is ``f"{facade}.{name}"`` is that submodule itself
  (``llmkit.bus`` is the module, which is also callable);
- a name the table does not hold raises :class:`AttributeError` worded as
  Python words it (``module 'llmkit' has no attribute 'x'``);
- ``dir(facade)`` lists the names already loaded plus every public name.

:func:`set_public_module` is for a facade that imports its names at once and
whose classes should name it as their home (in tracebacks, class reprs,
pickles and the ``module:qualname`` a recording writes).

This module imports only :mod:`importlib` (and :mod:`sys` and :mod:`types`,
always loaded), so a facade stays as cheap to import as its table.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import FunctionType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

__all__ = ["lazy_exports", "set_public_module"]


def lazy_exports(
    module_name: str, table: Mapping[str, str], names: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of the facade ``module_name`` (see the module docstring).

    ``table`` maps each lazily exported name to the absolute name of the module
    that defines it; ``names`` is the facade's ``__all__``. Call it from the
    facade's own body, after both are defined.
    """
    namespace = vars(sys.modules[module_name])

    def __getattr__(name: str) -> Any:
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        if target == f"{module_name}.{name}":
            value: Any = import_module(target)
        else:
            value = getattr(import_module(target), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__


def set_public_module(facade: str, namespace: Mapping[str, Any], names: Iterable[str]) -> None:
    """Make ``facade`` the ``__module__`` of each class and function ``names`` picks from ``namespace``.

    A facade calls it at its end, on the names it imported (only those: a
    pickle of a name the facade does not hold fails to load). The facade must
    also hold every name the classes' own annotations use, since
    ``typing.get_type_hints`` and pydantic look them up in the module
    ``__module__`` names. Type aliases and other values are left as they are.
    """
    for name in names:
        value = namespace[name]
        if isinstance(value, type | FunctionType):
            value.__module__ = facade
