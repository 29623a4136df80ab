"""The ``workflow`` module: workflows built and run from scripts, or loaded from YAML/JSON.

Guarantees: a script builds the same immutable tree as Python's ``llmkit.workflow`` (checked
when built: a bad option fails on the line that writes it); a script function used as a step
runs as a new coroutine of the script each time it is called, so a parallel's branches run at
once; predicates, ``input`` and ``over`` are the workflow's safe expressions (strings), never
script code; ``workflow.load`` reads a file only where the sandbox allows it (``standard``:
under the script's folder; ``strict``: nowhere, pass the text to ``workflow.loads``).
"""

from __future__ import annotations

import itertools
import weakref
from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError
from llmkit.scripting._bridge import Bridge, HostObject, Promise, method
from llmkit.scripting._host import Host
from llmkit.scripting.bridges._common import options, script_file, usage_data

if TYPE_CHECKING:
    from llmkit.workflow import Workflow, WorkflowResult

__all__ = ["CaseHandle", "FlowHandle", "bridge"]

bridge = Bridge(
    "workflow",
    "Workflows as in Python's `llmkit.workflow`. A step is an agent, a tool, a workflow or a "
    "script function (it gets the state, or what `input` picks, and returns the step's output; "
    "a returned table without `output` is merged into the state). Every builder takes the "
    'options `name`, `input` (an expression such as `"topic"`), `output` (a state field), '
    '`timeout` (seconds per attempt), `on_error` (`"raise"`, `"skip"`, `"continue"`), '
    "`retry` (`{ attempts, backoff, delay, max_delay, jitter }`) and `fallback` (a step). "
    "Conditions (`when`, `until`, `while`) and `over` are expressions over the state's fields "
    '(`"score < 0.8 and not urgent"`). A run\'s result is `{state, output, ok, usage, trace = '
    "{{path, kind, status, attempts, error?}...}, errors = {{path, error_type, message}...}, "
    "run_id, name}`; a failed run raises a `WorkflowError`.",
)

_STRICT = "pass the definition's text to workflow.loads"
_COMMON = ("name", "input", "output", "timeout", "on_error", "retry", "fallback")
_RETRY = ("attempts", "backoff", "delay", "max_delay", "jitter")
_COUNTERS: weakref.WeakKeyDictionary[Host, itertools.count[int]] = weakref.WeakKeyDictionary()


class FlowHandle(HostObject):
    """A workflow a script holds: run it, or use it as a step of another."""

    script_type = "Workflow"

    def __init__(self, flow: Workflow) -> None:
        self.flow = flow

    def fields(self) -> dict[str, Any]:
        """`name` and `kind` (`"sequence"`, `"parallel"`, `"agent"`, `"function"` …)."""
        return {"name": self.flow.name, "kind": self.flow.kind}

    @method
    async def run(self, host: Host, state: Any = None) -> dict[str, Any]:
        """Run on `state` (a table; not changed) until the end; the result table."""
        if state is not None and not isinstance(state, dict):
            raise UsageError(f"A workflow runs on a table of state, not {type(state).__name__}.")
        return _result(await self.flow.run(state or {}, bus=host.bus))

    @method
    def run_async(self, host: Host, state: Any = None) -> Promise:
        """Start a run now; a promise of its result table."""
        return host.spawn(self.run(host, state))

    @method
    def dump(self, host: Host, format: Any = "yaml") -> str:
        """The definition as YAML (or `"json"`) text; script functions appear by their step names."""
        if format not in ("yaml", "json"):
            raise UsageError(f'flow:dump takes "yaml" or "json", not {format!r}.')
        return self.flow.dump(format=format)


class CaseHandle(HostObject):
    """A case of a branch (`workflow.when(condition, step)`)."""

    script_type = "Case"

    def __init__(self, case: Any) -> None:
        self.case = case


def _result(result: WorkflowResult[Any]) -> dict[str, Any]:
    data = result.to_dict()
    data.pop("version", None)
    data["ok"] = result.ok
    data["usage"] = usage_data(result.usage)
    return data


def _function(host: Host, fn: Any, name: str | None) -> Any:
    """A script function as a workflow function step (named ``name``, else ``fn<n>``)."""
    if name is None:
        counter = _COUNTERS.setdefault(host, itertools.count(1))
        name = f"fn{next(counter)}"

    async def call(state: Any) -> Any:
        return await fn(state)

    call.__name__ = call.__qualname__ = name
    return call


def _target(host: Host, item: Any, where: str, name: str | None = None) -> Any:
    """What a script gives as a step, as what ``llmkit.workflow`` takes."""
    from llmkit.scripting.bridges.agent import AgentHandle
    from llmkit.scripting.bridges.tools import ToolHandle

    if isinstance(item, FlowHandle):
        return item.flow
    if isinstance(item, AgentHandle):
        return item.agent
    if isinstance(item, ToolHandle):
        return item.tool
    if callable(item) and not isinstance(item, HostObject):
        return _function(host, item, name)
    raise UsageError(
        f"{where}: a step is an agent, a tool, a workflow or a function(state), "
        f"not {type(item).__name__}."
    )


def _expression(value: Any, option: str) -> Any:
    if value is None or isinstance(value, str):
        return value
    raise UsageError(
        f'{option} takes an expression over the state\'s fields, such as "score < 0.8", '
        f"not {type(value).__name__} (script functions cannot be conditions)."
    )


def _common(host: Host, opts: dict[str, Any], where: str) -> dict[str, Any]:
    """The options every builder takes, as ``llmkit.workflow`` keywords."""
    from llmkit.workflow import Retry

    kwargs: dict[str, Any] = {}
    for key in ("output", "timeout", "on_error"):
        if opts.get(key) is not None:
            kwargs[key] = opts[key]
    if opts.get("input") is not None:
        kwargs["input"] = _expression(opts["input"], f"{where}: input=")
    if opts.get("retry") is not None:
        kwargs["retry"] = Retry(**options(opts["retry"], f"{where}: retry=", _RETRY))
    if opts.get("fallback") is not None:
        kwargs["fallback"] = _target(host, opts["fallback"], f"{where}: fallback=")
    return kwargs


def _split(
    spec: Any, where: str, known: tuple[str, ...], extra: Any = None
) -> tuple[list[Any], dict[str, Any]]:
    """A combinator's steps and options: Lua's one table (items 1..n and named keys), or
    JavaScript's array of steps with an options object after it."""
    if extra is not None and not isinstance(extra, dict):
        raise UsageError(
            f"{where} takes its options as an object after the steps: ([a, b], {{...}})."
        )
    if isinstance(spec, list):
        return spec, options(extra or {}, where, known)
    if extra is not None:
        raise UsageError(
            f"{where}: give the steps as an array, then the options: ([a, b], {{...}})."
        )
    if not isinstance(spec, dict):
        raise UsageError(f"{where} takes a table: {{ step1, step2, name = ... }}.")
    items = {k: v for k, v in spec.items() if isinstance(k, int)}
    if sorted(items) != list(range(1, len(items) + 1)):
        raise UsageError(f"{where}: the steps are the table's items 1..n, with no gap.")
    named = {k: v for k, v in spec.items() if not isinstance(k, int)}
    return [items[i] for i in sorted(items)], options(named, where, known)


def _items(host: Host, items: list[Any], where: str) -> list[Any]:
    return [_target(host, item, where) for item in items]


@bridge.function
def step(host: Host, target: Any, spec: Any = None) -> FlowHandle:
    """One step from an agent, a tool, a workflow or a function(state), with its options."""
    from llmkit.workflow import step as make

    opts = options(spec, "workflow.step", _COMMON)
    name = opts.get("name")
    made = _target(host, target, "workflow.step", name)
    return FlowHandle(make(made, name=name, **_common(host, opts, "workflow.step")))


@bridge.function
def sequence(host: Host, spec: Any, js_options: Any = None) -> FlowHandle:
    """Steps one after another on the same state: `workflow.sequence{ a, b, name = "article" }`; its output is the last step's.

    JavaScript gives the steps as an array and the options after it:
    `workflow.sequence([a, b], { name: "article" })` (so do `parallel` and `branch`)."""
    from llmkit.workflow import sequence as make

    items, opts = _split(spec, "workflow.sequence", _COMMON, js_options)
    steps = _items(host, items, "workflow.sequence")
    kwargs = _common(host, opts, "workflow.sequence")
    return FlowHandle(make(*steps, name=opts.get("name") or "sequence", **kwargs))


@bridge.function
def parallel(host: Host, spec: Any, js_options: Any = None) -> FlowHandle:
    """Branches at once, each writing to its own copy of the state, merged in declared order: `workflow.parallel{ a, b, output = "reviews" }` (JS `workflow.parallel([a, b], { output: "reviews" })`).

    Options: `merge` (`"all"`: the outputs in order; `"first"`: the first to succeed),
    `max_concurrency`, `errors` (`"fail_fast"` or `"collect"`).
    """
    from llmkit.workflow import parallel as make

    known = (*_COMMON, "merge", "max_concurrency", "errors")
    items, opts = _split(spec, "workflow.parallel", known, js_options)
    if opts.get("merge", "all") not in ("all", "first"):
        raise UsageError(f'workflow.parallel: merge is "all" or "first", not {opts["merge"]!r}.')
    extra = {k: opts[k] for k in ("merge", "max_concurrency", "errors") if k in opts}
    kwargs = _common(host, opts, "workflow.parallel")
    branches = _items(host, items, "workflow.parallel")
    return FlowHandle(make(*branches, name=opts.get("name"), **extra, **kwargs))


@bridge.function
def when(host: Host, condition: Any, target: Any) -> CaseHandle:
    """A case of a branch: `target` (a step) runs when the expression `condition` holds."""
    from llmkit.workflow import when as make

    if not isinstance(condition, str):
        _expression(condition, "workflow.when")
    return CaseHandle(make(condition, _target(host, target, "workflow.when")))


@bridge.function
def branch(host: Host, spec: Any, js_options: Any = None) -> FlowHandle:
    """The first case whose condition holds: `workflow.branch{ workflow.when("score < 0.8", rewrite), otherwise = publish }` (JS `workflow.branch([cases], { otherwise: publish })`).

    Options: `otherwise` (a step), `all_matches` (run every matching case, in order).
    """
    from llmkit.workflow import branch as make

    items, opts = _split(
        spec, "workflow.branch", (*_COMMON, "otherwise", "all_matches"), js_options
    )
    if not all(isinstance(c, CaseHandle) for c in items):
        raise UsageError("workflow.branch takes cases made with workflow.when(condition, step).")
    otherwise = opts.get("otherwise")
    made = make(
        *[c.case for c in items],
        otherwise=None if otherwise is None else _target(host, otherwise, "workflow.branch"),
        all_matches=bool(opts.get("all_matches", False)),
        name=opts.get("name") or "branch",
        **_common(host, opts, "workflow.branch"),
    )
    return FlowHandle(made)


@bridge.function
def loop(host: Host, body: Any, spec: Any = None) -> FlowHandle:
    """`body` again and again on the shared state: `workflow.loop(edit, { until_ = "rounds >= 3", max_iterations = 10 })`.

    Options: `until_` (checked after each iteration), `while_` (before each), `count`,
    `max_iterations`, `break_on_error`, `collect` (the output is every iteration's). The
    keys `["until"]` and `["while"]` are the same.
    """
    from llmkit.workflow import loop as make

    known = (*_COMMON, "until_", "until", "while_", "while", "count", "max_iterations")
    opts = options(spec, "workflow.loop", (*known, "break_on_error", "collect"))
    until = _expression(opts.get("until_", opts.get("until")), "workflow.loop: until=")
    while_ = _expression(opts.get("while_", opts.get("while")), "workflow.loop: while=")
    extra = {
        k: opts[k] for k in ("count", "max_iterations", "break_on_error", "collect") if k in opts
    }
    made = make(
        _target(host, body, "workflow.loop"),
        until=until,
        while_=while_,
        name=opts.get("name") or "loop",
        **extra,
        **_common(host, opts, "workflow.loop"),
    )
    return FlowHandle(made)


@bridge.named("map")
def map_(host: Host, body: Any, spec: Any = None) -> FlowHandle:
    """`body` once per item of the list `over` picks, the outputs in input order: `workflow.map(summarise, { over = "chapters", output = "summaries" })`.

    Options: `over` (an expression, required), `max_concurrency`, `errors`.
    """
    from llmkit.workflow import map_each

    opts = options(spec, "workflow.map", (*_COMMON, "over", "max_concurrency", "errors"))
    over = _expression(opts.get("over"), "workflow.map: over=")
    if over is None:
        raise UsageError('workflow.map needs over = "field" (the list to run the body on).')
    extra = {k: opts[k] for k in ("max_concurrency", "errors") if k in opts}
    made = map_each(
        _target(host, body, "workflow.map"),
        over=over,
        name=opts.get("name"),
        **extra,
        **_common(host, opts, "workflow.map"),
    )
    return FlowHandle(made)


def _registry(host: Host, names: Any) -> dict[str, object]:
    if names is None:
        return {}
    if not isinstance(names, dict) or not all(isinstance(k, str) for k in names):
        raise UsageError(
            "The names of a definition are a table: { researcher = agent, score = function(state) ... end }."
        )
    return {key: _target(host, value, "workflow.load", key) for key, value in names.items()}


@bridge.function
def load(host: Host, path: Any, names: Any = None) -> FlowHandle:
    """A workflow from a YAML or JSON file; `names` maps the definition's names to agents, tools, workflows and functions.

    A relative path is read from the script's folder. The `standard` sandbox reads only
    files under that folder, `strict` none (give the text to `workflow.loads`).
    """
    from llmkit.workflow import load as read

    return FlowHandle(
        read(
            script_file(host, path, "workflow.load", strict=_STRICT),
            registry=_registry(host, names),
        )
    )


@bridge.function
def loads(host: Host, text: Any, names: Any = None, format: Any = "yaml") -> FlowHandle:
    """A workflow from YAML (or `format = "json"`) text, with its `names` as for `workflow.load`."""
    from llmkit.workflow import loads as read

    if not isinstance(text, str):
        raise UsageError("workflow.loads takes the definition's text.")
    if format not in ("yaml", "json"):
        raise UsageError(f'workflow.loads: format is "yaml" or "json", not {format!r}.')
    return FlowHandle(read(text, format=format, registry=_registry(host, names)))


bridge.type(FlowHandle)
bridge.type(CaseHandle)
