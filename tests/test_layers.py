"""The package's imports run one way: no cycle, and no import from a lower layer of DESIGN.md into a higher one.

Every import counts: module level, inside functions, under TYPE_CHECKING, and module names in strings
(lazy-export and plug-in tables, import_module). Logger names do not. The source is read, not
imported (the ``package_source`` fixture of tests/conftest.py), so the whole check takes well under
a second.

``LAYERS`` is the source of truth for where a module belongs: a new top-level module or package
fails ``test_every_module_has_a_layer`` until it is placed here. ``EXCEPTIONS`` are permanent, one
reason each. ``PENDING`` is for an edge a change in progress has yet to remove, with that change
named; it is empty, and a change must land with it empty. An entry of either whose edge no longer
exists fails, so the lists only shrink.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import PackageSource

# Lowest first. A module may import only its own layer and lower ones. A module's layer is that of
# its first name after "llmkit." (the package root itself is a face: its lazy table names every layer).
LAYERS: list[tuple[str, set[str]]] = [
    (
        "data",
        {
            "types",
            "_parts",
            "_envelope",
            "errors",
            "_errors",
            "events",
            "_events",
            "_redact",
            "_sync",
            "_usage",
            "_message",
            "_request",
            "_optional",
            "_plural",
            "_version",
            "_json",
            "_jsondata",
            "_lazy",
            "_ids",
            # The workflow step code runs in, read by events and hook contexts (set by workflows).
            "_scope",
            # Running an ASGI app under uvicorn, shared by serve (Server, the MCP server) and the
            # fake provider server; it needs only errors, like _sync's loop thread.
            "_uvicorn",
        },
    ),
    ("transport", {"http"}),
    ("providers", {"providers"}),
    (
        "building blocks",
        {
            "tools",
            "memory",
            "output",
            "prompt",
            "durable",
            "context",
            "history",
            "hooks",
            "_hooks",
            "bus",
            "recording",
            "_recording",
            # Result data (RunResult, Step, UsageLimits) that hooks and recordings carry, like
            # context.py's RunContext; the run loop itself lives in _agent/.
            "run",
        },
    ),
    ("agents", {"agent", "_agent"}),
    ("workflows", {"workflow"}),
    ("bridges", {"scripting", "serve", "capi"}),
    ("faces", {"cli", "_cli", "testing", "eval", "ui", "__main__"}),
]

EXCEPTIONS: dict[tuple[str, str], str] = {
    ("llmkit._envelope", "llmkit.types"): (
        "load() imports the modules that register envelope kinds by name (a registry, no name used)"
    ),
    ("llmkit._envelope", "llmkit.events"): "same registry: event kinds",
    ("llmkit._envelope", "llmkit.run"): (
        "same registry: run_result, so llmkit.types.load reads a RunResult "
        "without importing llmkit.run first"
    ),
}

PENDING: dict[tuple[str, str], str] = {}

# Facades that still define functions or classes, and the change that moves them out.
PENDING_FACADES: dict[str, str] = {}

ORDER = [name for name, _ in LAYERS]
_LAYER_OF = {top: name for name, tops in LAYERS for top in tops}


def layer(module: str) -> str | None:
    """The layer of ``module`` (a dotted name), None when LAYERS does not place it."""
    if module == "llmkit":
        return "faces"
    return _LAYER_OF.get(module.split(".")[1])


def _rank(module: str) -> int:
    found = layer(module)
    assert found is not None, f"{module} has no layer: place it in LAYERS"
    return ORDER.index(found)


def _checked_edges(source: PackageSource) -> dict[tuple[str, str], set[str]]:
    edges = source.edges()
    return {edge: kinds for edge, kinds in edges.items() if edge not in EXCEPTIONS | PENDING}


def _cycles(edges: dict[tuple[str, str], set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, without recursion)."""
    graph: dict[str, list[str]] = {}
    for source, target in sorted(edges):
        graph.setdefault(source, []).append(target)
        graph.setdefault(target, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(graph[child])))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def test_every_module_has_a_layer(package_source: PackageSource) -> None:
    unplaced = sorted(m for m in package_source.modules if layer(m) is None)
    assert unplaced == [], f"place these modules in LAYERS (tests/test_layers.py): {unplaced}"


def test_no_import_from_a_lower_layer_into_a_higher_one(package_source: PackageSource) -> None:
    upward = [
        f"{source} ({layer(source)}) -> {target} ({layer(target)})  [{', '.join(sorted(kinds))}]"
        for (source, target), kinds in sorted(_checked_edges(package_source).items())
        if _rank(target) > _rank(source)
    ]
    assert upward == [], "imports into a higher layer:\n" + "\n".join(upward)


def test_no_import_cycle(package_source: PackageSource) -> None:
    edges = _checked_edges(package_source)
    described = []
    for group in _cycles(edges):
        inside = [
            f"  {source} -> {target}  [{', '.join(sorted(kinds))}]"
            for (source, target), kinds in sorted(edges.items())
            if source in group and target in group
        ]
        described.append("\n".join([f"{len(group)} modules:", *inside]))
    assert described == [], "import cycles:\n" + "\n".join(described)


def test_listed_edges_still_exist(package_source: PackageSource) -> None:
    edges = package_source.edges()
    stale = sorted(
        f"{edge} ({why})" for edge, why in (EXCEPTIONS | PENDING).items() if edge not in edges
    )
    assert stale == [], "these listed edges are gone: delete their lines\n" + "\n".join(stale)


def test_no_edge_is_both_an_exception_and_pending() -> None:
    assert set(EXCEPTIONS) & set(PENDING) == set()


def test_the_cycle_check_finds_a_cycle() -> None:
    edges = {("a", "b"): {"mod:1"}, ("b", "c"): {"fn:2"}, ("c", "a"): {"tc:3"}, ("c", "d"): set()}
    assert _cycles(edges) == [["a", "b", "c"]]


def test_hooks_module_only_reexports(package_source: PackageSource) -> None:
    # The public module is a facade: the base classes and with_hooks live in _hooks/, which
    # never imports llmkit.hooks back.
    tree = package_source.modules["llmkit.hooks"].tree
    defined = [
        f"line {node.lineno}: {node.name}"
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    if "llmkit.hooks" in PENDING_FACADES:
        assert defined, "hooks.py defines nothing any more: delete its PENDING_FACADES line"
    else:
        assert defined == [], "hooks.py may only re-export:\n" + "\n".join(defined)
