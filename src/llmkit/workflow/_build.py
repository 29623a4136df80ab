"""The builders: ``step``, ``sequence``, ``parallel``, ``when``, ``branch``, ``loop``, ``map_each``.

Each checks its arguments when called, so a malformed workflow fails where it is written:
a bad option value is a :class:`~llmkit.errors.UsageError` naming the option and what to
pass; a bad name, an unknown option, an expression that is not allowed or two siblings with
one path is a :class:`~llmkit.errors.WorkflowDefinitionError`. Each returns a
:class:`~llmkit.workflow.Workflow` around a frozen node spec, and takes the other builders'
results (or raw agents, tools, ``Step`` objects and functions, wrapped with ``step()``) as its
items. Building a workflow calls nothing: functions, agents and predicates run only when the
workflow runs.
"""

from __future__ import annotations

import difflib
import inspect
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, get_args, overload

from pydantic import BaseModel

from llmkit.agent import Agent
from llmkit.errors import UsageError, WorkflowDefinitionError
from llmkit.tools import Tool
from llmkit.workflow._breaker import CircuitBreaker
from llmkit.workflow._checks import check_name, check_siblings
from llmkit.workflow._predicate import Expression, Reader, ReaderRole, expression
from llmkit.workflow._retry import Retry
from llmkit.workflow._spec import (
    ON_ERROR,
    BranchNode,
    Case,
    ErrorMode,
    LeafKind,
    LeafNode,
    LoopNode,
    MapNode,
    Merge,
    Node,
    OnError,
    ParallelNode,
    Policy,
    SequenceNode,
)
from llmkit.workflow._steps import Step, StepContext
from llmkit.workflow._workflow import Workflow

if TYPE_CHECKING:
    from typing import Unpack

__all__ = [
    "StepOptions",
    "Stepish",
    "branch",
    "loop",
    "map_each",
    "parallel",
    "sequence",
    "step",
    "when",
]

Stepish: TypeAlias = Workflow | Agent[Any] | Tool[..., Any] | Step | Callable[..., Any]
"""What a workflow can run as a step: a workflow, an Agent, a Tool, a ``Step`` or a function."""

ERROR_MODES: tuple[ErrorMode, ...] = get_args(ErrorMode)


class StepOptions(TypedDict, total=False):
    """Options every step and combinator takes (keyword-only)."""

    input: Reader | None
    """What the step reads: a function of the state or an expression (on a combinator, the
    picked value becomes the subtree's own state)."""
    output: str | None
    """The state field its output is written to."""
    state: type[BaseModel] | None
    """The state type this node works on (dicts are validated into it)."""
    retry: Retry | None
    """Run a failed attempt again; on a combinator, the default of every step inside."""
    breaker: CircuitBreaker | None
    """The circuit breaker each attempt asks; on a combinator, the default of every step inside."""
    timeout: float | None
    """Seconds per attempt of this node."""
    on_error: OnError
    """``"raise"`` (default), ``"skip"`` or ``"continue"``."""
    fallback: Stepish | None
    """What runs instead when every attempt failed."""


_OPTIONS: tuple[str, ...] = tuple(StepOptions.__annotations__)


# ---------------------------------------------------------------------------- checks


def _check_count(value: object, option: str, owner: str, *, minimum: int = 1) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UsageError(
            f"{owner}({option}=...) takes a whole number, {minimum} or more, or None; "
            f"not {value!r}."
        )


def _check_seconds(value: object, option: str, owner: str, *, positive: bool) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (positive and value == 0)
    ):
        bound = "more than 0" if positive else "0 or more"
        raise UsageError(f"{owner}({option}=...) takes seconds, {bound}, or None; not {value!r}.")


def _node(item: object, *, owner: str) -> Node:
    """The node of a combinator's item: a Workflow's own node, anything else wrapped by step()."""
    if isinstance(item, Workflow):
        return item.node
    try:
        return _leaf(item, name=None, thread=False, fields={})
    except WorkflowDefinitionError:
        raise
    except UsageError as exc:
        raise UsageError(f"{owner}: {exc}") from None


def _options(options: dict[str, Any], *, owner: str) -> dict[str, Any]:
    """The Node fields of the common options (input, output, state, policy), checked."""
    unknown = [key for key in options if key not in _OPTIONS]
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(key, _OPTIONS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise WorkflowDefinitionError(
            f"{owner}() has no option {key!r} (its options: {', '.join(_OPTIONS)}){hint}"
        )
    fields: dict[str, Any] = {}
    reader = options.get("input")
    if reader is not None:
        fields["input"] = _reader(reader, "input", option="input=")
    output = options.get("output")
    if output is not None:
        if not isinstance(output, str) or not output.isidentifier():
            raise UsageError(
                f"{owner}(output=...) takes the name of a state field, e.g. output='notes'; "
                f"not {output!r}."
            )
        fields["output"] = output
    state = options.get("state")
    if state is not None:
        if not (isinstance(state, type) and issubclass(state, BaseModel)):
            raise UsageError(
                f"{owner}(state=...) takes a pydantic model class (the state's type), not {state!r}."
            )
        fields["state"] = state
    retry = options.get("retry")
    if retry is not None and not isinstance(retry, Retry):
        raise UsageError(
            f"{owner}(retry=...) takes a Retry, e.g. Retry(attempts=3), not {type(retry).__name__}."
        )
    breaker = options.get("breaker")
    if breaker is not None and not isinstance(breaker, CircuitBreaker):
        raise UsageError(
            f"{owner}(breaker=...) takes a CircuitBreaker, e.g. CircuitBreaker('openai'), not "
            f"{type(breaker).__name__}."
        )
    timeout = options.get("timeout")
    _check_seconds(timeout, "timeout", owner, positive=True)
    on_error = options.get("on_error", "raise")
    if on_error not in ON_ERROR:
        raise UsageError(
            f"{owner}(on_error=...) is one of {', '.join(map(repr, ON_ERROR))}, not {on_error!r}."
        )
    fallback = options.get("fallback")
    fallback_node = None if fallback is None else _node(fallback, owner=f"{owner}(fallback=...)")
    if (
        retry is not None
        or breaker is not None
        or timeout is not None
        or on_error != "raise"
        or (fallback_node is not None)
    ):
        fields["policy"] = Policy(
            retry=retry,
            breaker=breaker,
            timeout=None if timeout is None else float(timeout),
            on_error=on_error,
            fallback=fallback_node,
        )
    return fields


def _reader(reader: object, role: ReaderRole, *, option: str) -> Expression:
    if isinstance(reader, Expression):
        return reader
    if not (isinstance(reader, str) or callable(reader)):
        raise UsageError(
            f"{option} takes a function of the state or an expression such as 'score < 0.8', "
            f"not {type(reader).__name__}."
        )
    return expression(reader, role=role, option=option)


def _takes_context(function: Callable[..., Any]) -> bool:
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return False
    if len(parameters) < 2:
        return False
    second = parameters[1]
    annotation = second.annotation
    if annotation is StepContext:
        return True
    if isinstance(annotation, str) and annotation.rsplit(".", 1)[-1] == "StepContext":
        return True
    return second.name == "context"


# ---------------------------------------------------------------------------- builders


@overload
def step(
    target: Stepish,
    /,
    *,
    name: str | None = None,
    thread: bool = False,
    **options: Unpack[StepOptions],
) -> Workflow: ...
@overload
def step(
    *, name: str | None = None, thread: bool = False, **options: Unpack[StepOptions]
) -> Callable[[Callable[..., Any]], Workflow]: ...
def step(
    target: Stepish | None = None,
    /,
    *,
    name: str | None = None,
    thread: bool = False,
    **options: Any,
) -> Workflow | Callable[[Callable[..., Any]], Workflow]:
    """Make a step of a function (sync or async), an agent, a tool, a Step or a workflow; also a decorator.

    ``@step(output="score")`` over a function makes it a step; the function stays callable
    (``score(state)`` calls it). ``step(flow, retry=...)`` makes a whole workflow one step:
    its retry, breaker and timeout act on the whole sub-flow.
    """
    if target is None:

        def decorate(function: Callable[..., Any]) -> Workflow:
            return step(function, name=name, thread=thread, **options)

        return decorate
    return Workflow(_leaf(target, name=name, thread=thread, fields=_options(options, owner="step")))


def _leaf(target: object, *, name: str | None, thread: object, fields: dict[str, Any]) -> LeafNode:
    """The leaf node of ``target``: dispatched Workflow, Agent, Tool, Step, then any callable."""
    if not isinstance(thread, bool):
        raise UsageError(f"step(thread=...) takes True or False, not {thread!r}.")
    kind: LeafKind
    takes_context = False
    default: str
    leaf_target: object
    if isinstance(target, Workflow):
        kind, leaf_target, default = "workflow", target.node, target.name
    elif isinstance(target, Agent):
        kind, leaf_target, default = "agent", target, target.name
    elif isinstance(target, Tool):
        kind, leaf_target, default = "tool", target, target.name
    elif isinstance(target, Step) and not isinstance(target, type):
        if not inspect.iscoroutinefunction(target.run):
            raise UsageError(
                f"A Step's run must be async: define `async def run(self, input, context)` on "
                f"{type(target).__name__}."
            )
        kind, leaf_target, default = "step", target, target.name
    elif callable(target):
        kind, leaf_target = "function", target
        default = getattr(target, "__name__", None) or type(target).__name__
        takes_context = _takes_context(target)
        if thread and inspect.iscoroutinefunction(target):
            raise UsageError(
                f"step(thread=True) runs a sync function in a worker thread; {default!r} is "
                "async: leave thread= out."
            )
    else:
        raise UsageError(
            "step() takes a function, an agent, a tool, a Step or a workflow, not "
            f"{type(target).__name__}."
        )
    if thread and kind != "function":
        raise UsageError(f"step(thread=True) is for sync functions, not for a {kind}.")
    return LeafNode(
        name=check_name(default if name is None else name),
        kind=kind,
        target=leaf_target,
        thread=thread,
        takes_context=takes_context,
        **fields,
    )


def sequence(*steps: Stepish, name: str = "sequence", **options: Unpack[StepOptions]) -> Workflow:
    """Run steps one after another on the same state; the output is the last step's output."""
    fields = _options(dict(options), owner="sequence")
    nodes = tuple(_node(item, owner="sequence()") for item in steps)
    check_name(name)
    check_siblings(nodes, owner=name, what="steps")
    return Workflow(SequenceNode(name=name, steps=nodes, **fields))


def parallel(
    *branches: Stepish,
    merge: Merge = "all",
    max_concurrency: int | None = None,
    errors: ErrorMode = "fail_fast",
    name: str | None = None,
    **options: Unpack[StepOptions],
) -> Workflow:
    """Run branches concurrently, each on its own copy of the state; merge in declared order.

    ``merge="all"`` gives the outputs as a list in declared order, ``"first"`` the first
    branch to succeed (the others are cancelled), a function gets that list. Branches may
    share a name: their paths differ by index (``reviews[0]/critic``, ``reviews[1]/critic``).
    """
    fields = _options(dict(options), owner="parallel")
    if not (merge in ("all", "first") or (callable(merge) and not isinstance(merge, str))):
        raise UsageError(
            f"parallel(merge=...) is 'all', 'first' or a function of the list of outputs, not "
            f"{merge!r}."
        )
    _check_count(max_concurrency, "max_concurrency", "parallel")
    if errors not in ERROR_MODES:
        raise UsageError(
            f"parallel(errors=...) is one of {', '.join(map(repr, ERROR_MODES))}, not {errors!r}."
        )
    nodes = tuple(_node(item, owner="parallel()") for item in branches)
    own = check_name(name if name is not None else fields.get("output", "parallel"))
    return Workflow(
        ParallelNode(
            name=own,
            branches=nodes,
            merge=merge,
            max_concurrency=max_concurrency,
            errors=errors,
            **fields,
        )
    )


def when(predicate: Reader, step: Stepish, /) -> Case:
    """A case of a branch: run ``step`` when ``predicate`` holds for the state."""
    return Case(
        predicate=_reader(predicate, "when", option="when()"),
        step=_node(step, owner="when()"),
    )


def branch(
    *cases: Case,
    otherwise: Stepish | None = None,
    all_matches: bool = False,
    name: str = "branch",
    **options: Unpack[StepOptions],
) -> Workflow:
    """Run the first case whose predicate holds (or every one, with all_matches), else ``otherwise``."""
    fields = _options(dict(options), owner="branch")
    for case in cases:
        if not isinstance(case, Case):
            raise UsageError(
                "branch() takes cases made with when(predicate, step), e.g. "
                f"branch(when('score < 0.8', rewriter), otherwise=publisher); not {type(case).__name__}."
            )
    if not isinstance(all_matches, bool):
        raise UsageError(f"branch(all_matches=...) takes True or False, not {all_matches!r}.")
    other = None if otherwise is None else _node(otherwise, owner="branch(otherwise=...)")
    check_name(name)
    node = BranchNode(
        name=name, cases=tuple(cases), otherwise=other, all_matches=all_matches, **fields
    )
    check_siblings(node.children(), owner=name, what="cases")
    return Workflow(node)


def loop(
    body: Stepish,
    *,
    while_: Reader | None = None,
    until: Reader | None = None,
    count: int | None = None,
    max_iterations: int | None = None,
    max_duration: float | None = None,
    delay: float = 0.0,
    break_on_error: bool = False,
    collect: bool = False,
    name: str = "loop",
    **options: Unpack[StepOptions],
) -> Workflow:
    """Run ``body`` repeatedly: while a predicate holds, until one does, or ``count`` times.

    ``while_`` is checked before each iteration, ``until`` after each one; ``max_iterations``
    and ``max_duration`` end the loop normally. A loop with no condition needs a bound.
    """
    fields = _options(dict(options), owner="loop")
    given = [
        opt
        for opt, value in (("while_", while_), ("until", until), ("count", count))
        if value is not None
    ]
    if len(given) > 1:
        raise UsageError(
            f"loop() takes one of while_=, until= or count=, not {' and '.join(given)}."
        )
    _check_count(count, "count", "loop", minimum=0)
    _check_count(max_iterations, "max_iterations", "loop")
    _check_seconds(max_duration, "max_duration", "loop", positive=True)
    _check_seconds(delay, "delay", "loop", positive=False)
    if not given and max_iterations is None and max_duration is None:
        raise UsageError(
            "loop() needs an end: pass while_=, until=, count=, max_iterations= or max_duration=."
        )
    for option, value in (("break_on_error", break_on_error), ("collect", collect)):
        if not isinstance(value, bool):
            raise UsageError(f"loop({option}=...) takes True or False, not {value!r}.")
    check_name(name)
    return Workflow(
        LoopNode(
            name=name,
            body=_node(body, owner="loop()"),
            while_=None if while_ is None else _reader(while_, "while", option="loop(while_=...)"),
            until=None if until is None else _reader(until, "until", option="loop(until=...)"),
            count=count,
            max_iterations=max_iterations,
            max_duration=None if max_duration is None else float(max_duration),
            delay=float(delay),
            break_on_error=break_on_error,
            collect=collect,
            **fields,
        )
    )


def map_each(
    body: Stepish,
    *,
    over: Reader,
    max_concurrency: int | None = None,
    errors: ErrorMode = "fail_fast",
    name: str | None = None,
    **options: Unpack[StepOptions],
) -> Workflow:
    """Run ``body`` once per item of the list ``over`` picks; outputs in input order.

    A function body receives each item, an agent body gets it as its input, a nested
    workflow body gets it as its own state.
    """
    fields = _options(dict(options), owner="map_each")
    if over is None:
        raise UsageError(
            "map_each() needs over=: the list to map, e.g. over='chapters' or "
            "over=lambda s: s.chapters."
        )
    _check_count(max_concurrency, "max_concurrency", "map_each")
    if errors not in ERROR_MODES:
        raise UsageError(
            f"map_each(errors=...) is one of {', '.join(map(repr, ERROR_MODES))}, not {errors!r}."
        )
    own = check_name(name if name is not None else fields.get("output", "map"))
    return Workflow(
        MapNode(
            name=own,
            body=_node(body, owner="map_each()"),
            over=_reader(over, "over", option="map_each(over=...)"),
            max_concurrency=max_concurrency,
            errors=errors,
            **fields,
        )
    )
