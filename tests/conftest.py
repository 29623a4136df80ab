"""Project-only test glue. Shared fakes and fixtures live in llmkit.testing."""

from __future__ import annotations

import ast
import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from llmkit.errors import MissingExtraError
from llmkit.workflow._ray_local import import_ray

# Ray's core aborts when it starts after usearch's C++ library is loaded (their regex code
# clashes), and the hnsw tests load usearch while the suite is collected: Ray loads first,
# with the settings a local cluster needs on loopback.
with contextlib.suppress(MissingExtraError):
    import_ray(local=True)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Async tests run on asyncio (llmkit targets asyncio)."""
    return "asyncio"


@pytest.fixture(scope="session")
def yaml_bomb() -> str:
    """A "billion laughs" YAML flow value: 450 bytes, 430 million strings once its aliases expand.

    Put it where a data file takes any value: ``f"arguments: {{who: {yaml_bomb}}}"``.
    """
    levels = ["&a0 [" + ", ".join(["lol"] * 9) + "]"]
    levels += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "[" + ", ".join(levels) + "]"


# A regression in the sync machinery or in tool time limits hangs instead of failing.
# Such calls run in a helper thread joined with a generous bound (not a timing assertion:
# the calls take milliseconds), so a hang fails its test instead of stopping the suite.
HANG_BOUND = 30.0


def _call_in_thread(fn: Callable[[], Any]) -> Any:
    outcome: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            outcome.append((True, fn()))
        except BaseException as exc:  # handed to the test's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG_BOUND)
    if thread.is_alive():
        pytest.fail(f"the call hung (no answer within {HANG_BOUND} s)")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


@pytest.fixture
def no_hang() -> Callable[[Callable[[], Any]], Any]:
    """``no_hang(fn)``: ``fn()``'s result or exception; the test fails if it hangs."""
    return _call_in_thread


# ------------------------------------------------------------------ the package's source, parsed
# tests/test_layers.py and tests/test_code_rules.py read the source of src/llmkit, not the
# imported package: an import inside a function or under TYPE_CHECKING counts too.

PACKAGE_ROOT = Path(__file__).resolve().parent.parent / "src" / "llmkit"


@dataclass(frozen=True)
class SourceModule:
    """One module of src/llmkit: its dotted name, its path under src/llmkit, its text and tree."""

    name: str
    path: str
    text: str
    tree: ast.Module


@dataclass(frozen=True)
class ImportRef:
    """One place a module names another llmkit module.

    ``kind`` is ``mod`` (a module-level import), ``fn`` (inside a function), ``tc``
    (under ``if TYPE_CHECKING:``) or ``name`` (a string naming a module, as in lazy-export
    and plug-in tables or ``import_module("...")``; logger names do not count).
    ``target`` is the module named (the longest prefix that is a module); ``name`` is
    the attribute taken from it (``from m import x``, ``"m:x"``), None for the module itself.
    """

    target: str
    name: str | None
    kind: str
    line: int


@dataclass(frozen=True, repr=False)
class PackageSource:
    """Every module of src/llmkit, parsed once, and every place each names another."""

    modules: dict[str, SourceModule]
    imports: dict[str, list[ImportRef]]

    def __repr__(self) -> str:  # short: pytest prints it beside a failing rule
        return f"<PackageSource of src/llmkit: {len(self.modules)} modules>"

    def edges(self) -> dict[tuple[str, str], set[str]]:
        """``(importer, imported) -> {"kind:line", ...}``, self-imports left out."""
        found: dict[tuple[str, str], set[str]] = {}
        for module, refs in self.imports.items():
            for ref in refs:
                if ref.target != module:
                    found.setdefault((module, ref.target), set()).add(f"{ref.kind}:{ref.line}")
        return found


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(name: str, modules: dict[str, SourceModule]) -> str | None:
    parts = name.split(".")
    while parts and ".".join(parts) not in modules:
        parts.pop()
    return ".".join(parts) or None


def _refs(module: SourceModule, modules: dict[str, SourceModule]) -> Iterator[ImportRef]:
    is_package = module.path.endswith("__init__.py")
    loggers = {
        id(arg)
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "getLogger"
        for arg in node.args
    }

    def ref(target: str, name: str | None, kind: str, line: int) -> Iterator[ImportRef]:
        resolved = _resolve(target, modules) if target.startswith("llmkit") else None
        if resolved is not None:
            yield ImportRef(resolved, name, kind, line)

    def visit(node: ast.AST, kind: str) -> Iterator[ImportRef]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for statement in child.body:
                    yield from visit_node(statement, "tc")
                for statement in child.orelse:
                    yield from visit_node(statement, kind)
                continue
            inner = kind
            if kind == "mod" and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = "fn"
            yield from visit_node(child, inner)

    def visit_node(node: ast.AST, kind: str) -> Iterator[ImportRef]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from ref(alias.name, None, kind, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.name.split(".")
                if not is_package:
                    package = package[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join(package + ([node.module] if node.module else []))
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    yield from ref(f"{base}.{alias.name}", None, kind, node.lineno)
                else:
                    yield from ref(base, alias.name, kind, node.lineno)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in loggers
        ):
            target, _, attribute = node.value.partition(":")
            if re.fullmatch(r"llmkit(\.\w+)+", target) and target in modules:
                yield from ref(target, attribute or None, "name", node.lineno)
        yield from visit(node, kind)

    yield from visit(module.tree, "mod")


@pytest.fixture(scope="session")
def package_source() -> PackageSource:
    """src/llmkit parsed once per session (about 200 files)."""
    modules: dict[str, SourceModule] = {}
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = _module_name(path)
        relative = path.relative_to(PACKAGE_ROOT).as_posix()
        modules[name] = SourceModule(name, relative, text, ast.parse(text))
    imports = {name: list(_refs(module, modules)) for name, module in modules.items()}
    return PackageSource(modules, imports)


# ------------------------------------------------------------------ both HTTP transports


@pytest.fixture(params=["aiohttp", "httpx2"])
def transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once per HTTP transport: every model built in it uses this one.

    It sets ``LLMKIT_TRANSPORT``, so a model that asks for nothing gets this transport.
    """
    name: str = request.param
    monkeypatch.setenv("LLMKIT_TRANSPORT", name)
    return name
