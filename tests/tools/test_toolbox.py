"""The toolbox: register, look up, list, search, and import by path on first use."""

from __future__ import annotations

import sys

import pytest

from llmkit import Toolbox, tool
from llmkit.errors import UsageError


@tool(category="math", tags=["numbers"])
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def shout(text: str) -> str:
    """Say it louder."""
    return text.upper()


def test_register_get_list_search() -> None:
    box = Toolbox([add])
    box.register(shout, category="text", tags=["voice"])
    assert len(box) == 2 and "add" in box
    assert box.get("add") is add
    assert box.get("shout")("hi") == "HI"
    assert [i.name for i in box.list(category="math")] == ["add"]
    assert [i.name for i in box.list(tag="voice")] == ["shout"]
    assert [i.name for i in box.search("louder")] == ["shout"]
    assert [i.name for i in box.search("add numbers")] == ["add"]
    assert box.search("nothing here") == []


def test_duplicates_and_unknown_names() -> None:
    box = Toolbox([add])
    with pytest.raises(UsageError, match="already in this toolbox"):
        box.register(add)
    box.register(add, replace=True)
    with pytest.raises(UsageError, match="No tool named 'nope'"):
        box.get("nope")


def test_registered_by_path_is_imported_on_first_use() -> None:
    module = "tests_toolbox_lazy_module"
    box = Toolbox()
    info = box.register(
        f"{module}:slugify", name="slugify", description="Make a URL slug.", category="text"
    )
    assert info.path == f"{module}:slugify"
    assert [i.name for i in box.search("slug")] == ["slugify"]
    assert module not in sys.modules  # listed and found without importing

    import types

    fake = types.ModuleType(module)

    def slugify(text: str) -> str:
        """Lowercase, dashes for spaces."""
        return text.lower().replace(" ", "-")

    fake.slugify = slugify  # type: ignore[attr-defined]
    sys.modules[module] = fake
    try:
        loaded = box.get("slugify")
        assert loaded("Hello World") == "hello-world"
        assert loaded.spec.description == "Make a URL slug."
        assert box.get("slugify") is loaded
    finally:
        del sys.modules[module]


def test_bad_paths() -> None:
    box = Toolbox()
    with pytest.raises(UsageError, match="needs name="):
        box.register("os.path:join")
    with pytest.raises(UsageError, match="looks like"):
        box.register("os.path.join", name="join")
    box.register("no_such_module_xyz:f", name="f")
    with pytest.raises(UsageError, match="Cannot import tool 'f'"):
        box.get("f")
