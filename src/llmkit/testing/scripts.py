"""Script spec files: ``describe``/``it``/``expect`` scripts against scripted models, reported like pytest.

::

    from llmkit.testing.scripts import check_spec, run_specs

    report = run_specs(["spec/"])       # every *_spec.lua and *_spec.js below spec/
    print(report.summary())             # "3 passed, 1 failed in 0.04s"
    check_spec("spec/tools_spec.lua")   # in a pytest test: AssertionError listing failures

The engine is chosen by each file's extension. Lua spells the assertions
``expect(x).to_be(y)``, ``to_equal``, ``to_contain``, ``to_be_truthy``, ``to_be_nil``,
``to_fail(text)``; JavaScript ``expect(x).toBe(y)``, ``toEqual``, ``toContain``,
``toBeTruthy``, ``toBeNull``, ``await expect(fn).toThrow(text)``, and its ``it``
bodies may be async (each is awaited in turn, as in mocha or jest). Spec files also
get the ``testing`` module: ``testing.model{...}`` (a
:class:`~llmkit.testing.ScriptedModel` playing its turns) and
``testing.tool_call(name, args)`` (``testing.toolCall`` in JavaScript).

Guarantees: each spec file runs on an engine of its own (no state shared
between files); an ``it`` that fails does not stop the file; a file that
fails outside any ``it`` (a syntax error, a limit) counts as one failed case
named after the file.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmkit._sync import run_sync
from llmkit.errors import LLMKitError, UsageError
from llmkit.scripting import (
    Bridge,
    Host,
    engine_class,
    engine_for,
    known_engines,
    register_bridge,
)

__all__ = [
    "SpecCase",
    "SpecReport",
    "bridge",
    "check_spec",
    "find_specs",
    "run_spec_file",
    "run_specs",
]


@dataclass(frozen=True, slots=True)
class SpecCase:
    """One ``it`` of a spec file and how it went."""

    file: str
    name: str
    passed: bool
    message: str = ""

    @property
    def id(self) -> str:
        """``file::name``, as pytest names a test."""
        return f"{self.file}::{self.name}"


@dataclass(slots=True)
class SpecReport:
    """Every case of a spec run, and how long it took (seconds)."""

    cases: list[SpecCase] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[SpecCase]:
        """The cases that failed."""
        return [c for c in self.cases if not c.passed]

    def summary(self) -> str:
        """``"3 passed, 1 failed in 0.04s"`` (pytest's closing line)."""
        passed = len(self.cases) - len(self.failed)
        parts = [f"{passed} passed"] + ([f"{len(self.failed)} failed"] if self.failed else [])
        return f"{', '.join(parts)} in {self.seconds:.2f}s"


def _spec_suffixes() -> list[str]:
    """How each registered engine's spec files end (``["_spec.lua", "_spec.js"]``)."""
    suffixes = (engine_class(name).spec_suffix for name in known_engines())
    return [suffix for suffix in suffixes if suffix]


def find_specs(paths: Iterable[str | Path]) -> list[Path]:
    """The spec files named, or found below the folders named (``*_spec.lua``, ``*_spec.js`` …).

    Below a folder, a file is a spec when it ends as a registered engine's spec files do
    (its ``spec_suffix``); other ``*_spec.*`` files are left alone.
    """
    paths = list(paths)
    suffixes = _spec_suffixes()
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(sorted({p for s in suffixes for p in path.rglob(f"*{s}") if p.is_file()}))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{name}: no such spec file or folder.")
    if not found:
        patterns = ", ".join(f"*{suffix}" for suffix in suffixes)
        raise UsageError(f"No spec files ({patterns}) under {', '.join(map(str, paths))}.")
    return found


async def run_spec_file(path: str | Path, **options: Any) -> list[SpecCase]:
    """Run one spec file on a fresh engine made with ``options``; its cases."""
    file = Path(path)
    cls = engine_class(engine_for(file))
    from llmkit.scripting.bridges import bridge_names

    options.setdefault("bridges", (*bridge_names(), "testing"))
    register_bridge("testing", f"{__name__}:bridge", default=False)
    with cls(interactive=True, **options) as engine:
        try:
            await engine.run(engine.spec_helpers(), name="spec helpers")
            await engine.run_file(file)
            results = (await engine.run("return __spec_results()", name="spec results")).value
        except LLMKitError as exc:
            return [SpecCase(str(file), "(the file)", False, str(exc))]
    items = results if isinstance(results, list) else []
    return [
        SpecCase(str(file), str(r.get("name")), bool(r.get("ok")), str(r.get("message") or ""))
        for r in items
    ]


def run_specs(paths: Iterable[str | Path], **options: Any) -> SpecReport:
    """Run every spec file under ``paths`` (blocking); the report."""
    start = time.perf_counter()
    report = SpecReport()
    for file in find_specs(paths):
        report.cases.extend(run_sync(run_spec_file(file, **options)))
    report.seconds = time.perf_counter() - start
    return report


def check_spec(*paths: str | Path, **options: Any) -> SpecReport:
    """Run spec files in a pytest test: raises AssertionError naming each failed case."""
    report = run_specs(paths, **options)
    if report.failed:
        lines = [f"{c.id}: {c.message}" for c in report.failed]
        raise AssertionError("spec cases failed:\n" + "\n".join(lines))
    return report


bridge = Bridge(
    "testing",
    "Only in spec files. `testing.model{...}` is a model that plays its turns in order (a "
    "string is an answer, `testing.tool_call(name, args)` a tool call); give it as an agent's "
    "`model`.",
)


@bridge.function
def model(host: Host, turns: Any) -> Any:
    """A scripted model answering with `turns` in order (strings and `testing.tool_call`s)."""
    from llmkit.testing import ScriptedModel

    if not isinstance(turns, list) or not turns:
        raise UsageError(
            'testing.model takes an array of turns: { "answer", testing.tool_call(...) }.'
        )
    return ScriptedModel(turns)


@bridge.function
def tool_call(host: Host, name: str, arguments: Any = None) -> Any:
    """A turn in which the model calls tool `name` with the `arguments` table."""
    from llmkit.testing import tool_call as make

    if not isinstance(name, str):
        raise UsageError("testing.tool_call takes a tool name and a table of arguments.")
    return make(name, **(arguments or {}))
