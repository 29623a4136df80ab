"""Lazy re-exports: a facade's name loads its module on first access, once, and unknown names fail as Python's do."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import llmkit
import llmkit.testing
import llmkit.tools
import llmkit.tools.builtin

FACADE = """
from llmkit._lazy import lazy_exports

_LAZY = {"Thing": "lazypkg._impl", "helper": "lazypkg._impl", "clock": "lazypkg.clock"}
__all__ = ["Thing", "clock", "helper"]
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
"""

IMPL = '''
class Thing:
    """A thing."""

def helper():
    """A helper."""
'''

CLOCK = "TICKS = 3\n"


@pytest.fixture
def facade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    package = tmp_path / "lazypkg"
    package.mkdir()
    (package / "__init__.py").write_text(FACADE, encoding="utf-8")
    (package / "_impl.py").write_text(IMPL, encoding="utf-8")
    (package / "clock.py").write_text(CLOCK, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    import lazypkg

    yield lazypkg
    for name in [m for m in sys.modules if m == "lazypkg" or m.startswith("lazypkg.")]:
        del sys.modules[name]


def test_nothing_is_imported_before_a_name_is_read(facade: ModuleType) -> None:
    assert "lazypkg._impl" not in sys.modules
    assert "lazypkg.clock" not in sys.modules
    assert facade.Thing.__name__ == "Thing"
    assert "lazypkg._impl" in sys.modules
    assert "lazypkg.clock" not in sys.modules


def test_a_name_is_resolved_once_then_stored_in_the_facade(facade: ModuleType) -> None:
    assert "helper" not in vars(facade)
    first = facade.helper
    assert vars(facade)["helper"] is first  # the next read is a plain attribute lookup
    assert facade.helper is first is sys.modules["lazypkg._impl"].helper


def test_a_name_of_the_facade_s_own_submodule_is_the_submodule(facade: ModuleType) -> None:
    clock = facade.clock
    assert isinstance(clock, ModuleType)
    assert clock is sys.modules["lazypkg.clock"]
    assert clock.TICKS == 3


def test_the_real_root_exports_the_bus_module_itself() -> None:
    import llmkit.bus

    assert llmkit.bus is sys.modules["llmkit.bus"]


def test_an_unknown_name_is_an_attribute_error_worded_as_python_words_it(
    facade: ModuleType,
) -> None:
    with pytest.raises(AttributeError) as raised:
        facade.nope  # noqa: B018
    assert str(raised.value) == "module 'lazypkg' has no attribute 'nope'"
    assert not hasattr(facade, "nope")


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (llmkit, "llmkit"),
        (llmkit.testing, "llmkit.testing"),
        (llmkit.tools, "llmkit.tools"),
        (llmkit.tools.builtin, "llmkit.tools.builtin"),
    ],
)
def test_each_facade_words_an_unknown_name_as_before(module: ModuleType, name: str) -> None:
    with pytest.raises(AttributeError) as raised:
        module.no_such_name  # noqa: B018
    assert str(raised.value) == f"module {name!r} has no attribute 'no_such_name'"


def test_dir_lists_every_public_name_before_any_is_loaded(facade: ModuleType) -> None:
    listed = dir(facade)
    assert {"Thing", "clock", "helper", "__all__"} <= set(listed)
    assert listed == sorted(listed)
    assert "lazypkg._impl" not in sys.modules


@pytest.mark.parametrize("module", [llmkit, llmkit.testing, llmkit.tools, llmkit.tools.builtin])
def test_dir_of_each_facade_lists_its_public_names(module: ModuleType) -> None:
    assert set(module.__all__) <= set(dir(module))
