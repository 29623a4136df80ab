"""Rules the package's source keeps (see STYLE.md), checked on the text of src/llmkit, not imported.

1. No module reads or writes another module's underscored attribute (friend access).
2. In agent.py and _agent/ (other than loop.py), no assignment to an attribute of ``run``.
3. ``RunResult(...)`` and ``Step(...)`` get at most one positional argument.
4. A ``json.JSONEncoder`` is built only in llmkit/_json.py.
5. No module defines its own ``__getattr__``/``__dir__``: facades take them from llmkit/_lazy.py.
6. Nothing in the package imports llmkit.hooks (the root's lazy table may name it).
7. llmkit.eval takes from llmkit.testing only names in the ``__all__`` of a public module.
8. Each file holds exactly its ceiling of ``type: ignore`` comments (lower it when one goes),
   and each says why on its line.
9. agent.py and _agent/loop.py are under 500 lines.

Each rule has a ``PENDING`` dict for an exception a change in progress has yet to remove, one
line each naming that change; all are empty, and a change must land with them empty. A line
whose exception is gone fails, so the lists only shrink.

Paths are relative to src/llmkit. Some files are counted per area, not per file
(``AREAS``), so moving a file inside its area breaks no line.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import Counter
from fnmatch import fnmatchcase
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from conftest import PackageSource, SourceModule

AREAS: dict[str, tuple[str, ...]] = {
    "fake server": ("testing/_fake/*",),
}


def place(path: str) -> str:
    """The area ``path`` belongs to (see ``AREAS``), else the path itself."""
    for area, patterns in AREAS.items():
        if any(fnmatchcase(path, pattern) for pattern in patterns):
            return area
    return path


def _check(rule: str, found: set[str] | Counter[str], pending: dict[str, str]) -> None:
    """Fail on anything found that PENDING does not list, and on PENDING lines found no more."""
    new = sorted(key for key in found if key not in pending)
    stale = sorted(f"{key} ({owner})" for key, owner in pending.items() if key not in found)
    message = []
    if new:
        message.append(f"{rule}:\n  " + "\n  ".join(new))
    if stale:
        message.append(
            f"{rule}: these PENDING lines are done, delete them:\n  " + "\n  ".join(stale)
        )
    assert not message, "\n".join(message)


# --------------------------------------------------------------------------- 1. friend access

PENDING_FRIEND_ACCESS: dict[str, str] = {
    # mini-racer's public wrap_py_function reads the isolate when a call arrives, which blocks
    # behind a running script; its context's data-less notification does not (see _isolate.py).
    "scripting/javascript/_isolate.py: mr._ctx": "mini-racer offers no public notification",
    "scripting/javascript/_isolate.py: context._register_js_notification": "as above",
}


def friend_access(module: SourceModule) -> set[str]:
    """``"path: base._name"`` for each read or write of an underscored attribute the module does not own.

    A module owns the names it defines: functions, classes, assigned names, attributes it
    assigns on ``self`` or ``cls``, and the strings it spells. An attribute of ``self``, ``cls``
    or ``super()`` is always its own.
    """
    own: set[str] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            own.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                own.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            own.add(node.value)
    found = set()
    for node in ast.walk(module.tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.endswith("_")
            and node.attr not in own
        ):
            base = ast.unparse(node.value)
            if base not in ("self", "cls") and not base.startswith("super("):
                found.add(f"{module.path}: {base}.{node.attr}")
    return found


def test_no_module_touches_another_module_s_private_attributes(
    package_source: PackageSource,
) -> None:
    found = set().union(*(friend_access(m) for m in package_source.modules.values()))
    _check(
        "reads of another module's private attribute (pass a spec or a protocol instead)",
        found,
        PENDING_FRIEND_ACCESS,
    )


# ------------------------------------------------------ 2. AgentRun is built by its constructor

PENDING_RUN_ASSIGNMENTS: dict[str, str] = {}


def _assigned(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        targets = [node.target]
    else:
        return []
    flat: list[ast.expr] = []
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Tuple | ast.List):
            targets.extend(target.elts)
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
        else:
            flat.append(target)
    return flat


def test_only_agent_run_itself_assigns_its_fields(package_source: PackageSource) -> None:
    found = set()
    for module in package_source.modules.values():
        if module.path != "agent.py" and not (
            module.path.startswith("_agent/") and module.path != "_agent/loop.py"
        ):
            continue
        for node in ast.walk(module.tree):
            for target in _assigned(node):
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "run"
                ):
                    found.add(f"{module.path}: run.{target.attr}")
    _check(
        "fields of a run assigned outside AgentRun (give them to its constructor)",
        found,
        PENDING_RUN_ASSIGNMENTS,
    )


# --------------------------------------------------- 3. RunResult and Step built with keywords

PENDING_POSITIONAL_RESULTS: dict[str, str] = {}

_RESULT_CLASSES = ("RunResult", "Step")


def positional_results(module: SourceModule) -> set[str]:
    """``"path: function builds Class"`` for each RunResult/Step call with two or more positionals."""
    found = set()

    def visit(node: ast.AST, scope: list[str], in_class: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, [*scope, child.name], child.name)
                continue
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, [*scope, child.name], in_class)
                continue
            if isinstance(child, ast.Call):
                func = child.func
                name = (
                    func.id
                    if isinstance(func, ast.Name)
                    else func.attr
                    if isinstance(func, ast.Attribute)
                    else ""
                )
                if name == "cls" and in_class in _RESULT_CLASSES:
                    name = in_class
                positional = sum(2 if isinstance(a, ast.Starred) else 1 for a in child.args)
                if name in _RESULT_CLASSES and positional > 1:
                    found.add(f"{module.path}: {'.'.join(scope) or '<module>'} builds {name}")
            visit(child, scope, in_class)

    visit(module.tree, [], None)
    return found


def test_run_results_and_steps_are_built_with_keywords(package_source: PackageSource) -> None:
    found = set().union(*(positional_results(m) for m in package_source.modules.values()))
    _check(
        "RunResult/Step built with more than one positional argument (use keywords)",
        found,
        PENDING_POSITIONAL_RESULTS,
    )


# ------------------------------------------------------------------- 4. one JSON-dumps helper

# Counted per area (see AREAS).
PENDING_JSON_ENCODERS: dict[str, tuple[str, int]] = {}


def test_json_encoders_are_built_only_in_the_json_helper(package_source: PackageSource) -> None:
    found: Counter[str] = Counter()
    where: dict[str, list[str]] = {}
    for module in package_source.modules.values():
        if module.path == "_json.py":
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call) and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "JSONEncoder")
                or (isinstance(node.func, ast.Name) and node.func.id == "JSONEncoder")
            ):
                found[place(module.path)] += 1
                where.setdefault(place(module.path), []).append(f"{module.path}:{node.lineno}")
    _check(
        "json.JSONEncoder built outside llmkit/_json.py (use its dumps, dumps_body, dumps_any or "
        "dumps_sorted)",
        found,
        {area: owner for area, (owner, _) in PENDING_JSON_ENCODERS.items()},
    )
    wrong = [
        f"{area} ({owner}): {found[area]} found, {count} listed: {', '.join(where[area])}"
        for area, (owner, count) in PENDING_JSON_ENCODERS.items()
        if found[area] != count
    ]
    assert wrong == [], (
        "a count of PENDING_JSON_ENCODERS is off (lower it when you remove one; build no new "
        "encoder):\n" + "\n".join(wrong)
    )


# ------------------------------------------------------------------ 5. one lazy-export helper

PENDING_MODULE_GETATTR: dict[str, str] = {}


def test_only_the_lazy_helper_defines_module_getattr(package_source: PackageSource) -> None:
    found = {
        module.path
        for module in package_source.modules.values()
        if module.path != "_lazy.py"
        for node in module.tree.body
        if isinstance(node, ast.FunctionDef) and node.name in ("__getattr__", "__dir__")
    }
    _check(
        "a module-level __getattr__/__dir__ (use "
        "`__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)` from llmkit._lazy)",
        found,
        PENDING_MODULE_GETATTR,
    )


# -------------------------------------------------------------- 6. llmkit.hooks is only a facade

PENDING_HOOKS_IMPORTERS: dict[str, str] = {}


def test_nothing_in_the_package_imports_the_hooks_facade(package_source: PackageSource) -> None:
    found = {
        package_source.modules[name].path
        for name, refs in package_source.imports.items()
        if name not in ("llmkit", "llmkit.hooks")
        and any(ref.target == "llmkit.hooks" for ref in refs)
    }
    _check(
        "imports of llmkit.hooks inside the package (import from llmkit._hooks)",
        found,
        PENDING_HOOKS_IMPORTERS,
    )


# ------------------------------------------------------ 7. eval uses the testing kit's public API

PENDING_EVAL_PRIVATE_IMPORTS: dict[str, str] = {}


def _public_names(module: SourceModule) -> set[str]:
    for node in module.tree.body:
        if (
            isinstance(node, ast.Assign | ast.AnnAssign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in _assigned(node))
            and node.value is not None
        ):
            return set(ast.literal_eval(node.value))
    return set()


def test_eval_takes_only_public_names_from_the_testing_kit(
    package_source: PackageSource,
) -> None:
    found = set()
    for name, refs in package_source.imports.items():
        if not name.startswith("llmkit.eval"):
            continue
        for ref in refs:
            if not ref.target.startswith("llmkit.testing"):
                continue
            private_module = any(part.startswith("_") for part in ref.target.split(".")[1:])
            module = package_source.modules[ref.target]
            if private_module or (ref.name is not None and ref.name not in _public_names(module)):
                taken = ref.target if ref.name is None else f"{ref.target}.{ref.name}"
                found.add(f"{package_source.modules[name].path}: {taken}")
    _check(
        "llmkit.eval takes private names from llmkit.testing (re-export them in a public module)",
        found,
        PENDING_EVAL_PRIVATE_IMPORTS,
    )


# --------------------------------------------------------------------------- 8. type: ignore

# The most `type: ignore` comments each file (or area) may hold; a count below its ceiling fails
# too, so lower the line when you remove one. Fix the type rather than adding a line.
TYPE_IGNORE_CEILINGS: dict[str, int] = {
    "agent.py": 1,  # the output_type default (mypy cannot tie a default to a TypeVar)
}

# Files (or areas) whose ignores need no reason yet: every one of them is to go. An ignore that
# stays says why on its line: `# type: ignore[code]  # why`.
PENDING_IGNORE_REASONS: dict[str, str] = {}

_IGNORE = re.compile(r"#\s*type:\s*ignore\b(\[[^\]]*\])?(?P<rest>.*)")


def type_ignores(module: SourceModule) -> list[tuple[int, bool]]:
    """``(line, has_reason)`` for each ``type: ignore`` comment of the module."""
    found: list[tuple[int, bool]] = []
    if "type:" not in module.text:
        return found  # tokenizing every file would take most of this test's time
    for token in tokenize.generate_tokens(io.StringIO(module.text).readline):
        if token.type == tokenize.COMMENT:
            match = _IGNORE.search(token.string)
            if match:
                reason = match["rest"].strip().lstrip("#").strip()
                found.append((token.start[0], bool(reason)))
    return found


def test_type_ignores_stay_within_their_ceilings(package_source: PackageSource) -> None:
    counts: Counter[str] = Counter()
    for module in package_source.modules.values():
        counts[place(module.path)] += len(type_ignores(module))
    counts = +counts  # drop the zeros
    wrong = sorted(
        f"{key}: {counts[key]} found, ceiling {TYPE_IGNORE_CEILINGS.get(key, 0)}"
        for key in set(counts) | set(TYPE_IGNORE_CEILINGS)
        if counts[key] != TYPE_IGNORE_CEILINGS.get(key, 0)
    )
    assert wrong == [], (
        "type: ignore counts differ from TYPE_IGNORE_CEILINGS (lower a ceiling when you remove "
        "an ignore; fix the type instead of adding one):\n" + "\n".join(wrong)
    )


def test_every_type_ignore_says_why(package_source: PackageSource) -> None:
    found = set()
    for module in package_source.modules.values():
        for line, has_reason in type_ignores(module):
            if not has_reason:
                key = place(module.path)
                if key not in PENDING_IGNORE_REASONS:
                    key = f"{module.path}:{line}"
                found.add(key)
    _check(
        "type: ignore without a reason (`# type: ignore[code]  # why`)",
        found,
        PENDING_IGNORE_REASONS,
    )


# ------------------------------------------------------------------------ 9. module size

AGENT_MAX_LINES = 500
AGENT_MODULES = ("llmkit.agent", "llmkit._agent.loop")

PENDING_LONG_MODULES: dict[str, str] = {}


def test_agent_modules_stay_small(package_source: PackageSource) -> None:
    sizes = {
        package_source.modules[name].path: package_source.modules[name].text.count("\n")
        for name in AGENT_MODULES
    }
    found = {path for path, lines in sizes.items() if lines >= AGENT_MAX_LINES}
    _check(
        f"modules of {AGENT_MAX_LINES} lines or more ({sizes}): split one by what it does",
        found,
        PENDING_LONG_MODULES,
    )


# ------------------------------------------------------------------------ the checks themselves


def test_the_scans_find_what_they_look_for() -> None:
    def parsed(path: str, text: str) -> SourceModule:
        module = SimpleNamespace(name=path.removesuffix(".py"), path=path, text=text)
        module.tree = ast.parse(text)
        return cast("SourceModule", module)

    friend = parsed(
        "m.py",
        "def f(agent, self, run):\n    self._a = agent._b\n    run._c = x._a\n    return x.__len__\n",
    )
    assert friend_access(friend) == {"m.py: agent._b", "m.py: run._c"}
    built = parsed(
        "m.py",
        "class Step:\n    @classmethod\n    def load(cls, d):\n        return cls(1, 2)\n"
        "def f():\n    RunResult(1)\n    return llmkit.run.RunResult(1, *rest)\n",
    )
    assert positional_results(built) == {"m.py: Step.load builds Step", "m.py: f builds RunResult"}
    ignores = parsed(
        "m.py",
        "a = 1  # type: ignore[misc]\nb = 2  # type: ignore[misc]  # mypy cannot see it\n",
    )
    assert type_ignores(ignores) == [(1, False), (2, True)]
    assert place("testing/_fake/openai/routes.py") == place("testing/_fake/gemini/rules.py")
    assert place("testing/_script.py") == "testing/_script.py"
