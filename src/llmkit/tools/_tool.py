"""Tools from plain functions: the :func:`tool` decorator and the :class:`Tool` it makes.

::

    @tool
    def add(a: int, b: int) -> int:
        \"\"\"Add two integers.\"\"\"
        return a + b

    add.spec          # ToolSpec("add", "Add two integers.", {...schema...}), built once
    add(2, 3)         # still a plain function: 5
"""

from __future__ import annotations

import asyncio
import inspect
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Literal, ParamSpec, TypeAlias, TypeVar, overload

from llmkit.context import RunContext
from llmkit.errors import UsageError
from llmkit.tools._deadline import call_limit
from llmkit.tools._schema import function_schema
from llmkit.tools._threads import in_thread
from llmkit.types import JSONDict, ToolSpec, Usage

__all__ = ["ErrorMode", "Tool", "ToolReturn", "check_tool_name", "check_tool_options", "tool"]

P = ParamSpec("P")
R = TypeVar("R")

ErrorMode: TypeAlias = Literal["return", "raise"]
"""What an exception in a tool does: ``"return"`` it to the model as an error result
(the run goes on), or ``"raise"`` it out of the run. (``ToolError`` always goes to the model.)"""

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def check_tool_options(timeout: float | None, errors: ErrorMode | None) -> None:
    """Raise UsageError unless ``timeout`` is None or a positive number of seconds and
    ``errors`` is None, ``"return"`` or ``"raise"``."""
    if errors not in (None, "return", "raise"):
        raise UsageError(f"errors={errors!r}: use 'return' or 'raise'.")
    if timeout is not None and (
        not isinstance(timeout, int | float)
        or isinstance(timeout, bool)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise UsageError(
            f"A tool's timeout must be a positive number of seconds (or None), got {timeout!r}."
        )


def check_tool_name(name: str) -> str:
    """``name`` if every provider accepts it as a tool name, else a UsageError saying why."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise UsageError(
            f"Tool name {name!r} is not accepted by model providers: use 1-64 letters, digits, "
            "'_' or '-' (pass name=... to @tool)."
        )
    return name


@dataclass(slots=True)
class ToolReturn:
    """A tool's return value with extras the agent should know about.

    Return one from a tool that itself calls a model (or an agent), so the
    tokens it spent count in the run's usage.
    """

    value: Any
    """What the model reads (serialised like any other return value)."""
    usage: Usage | None = None
    """Usage to add to the run's usage."""


class Tool(Generic[P, R]):
    """A function the model can call, with its :class:`~llmkit.types.ToolSpec` built once.

    Make one with :func:`tool`. Calling the tool object calls the function,
    so it stays testable on its own.
    """

    def __init__(
        self,
        function: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
        errors: ErrorMode | None = None,
        requires_approval: bool = False,
        idempotent: bool = False,
        strict: bool | None = None,
        run_in_thread: bool = True,
        category: str | None = None,
        tags: Iterable[str] = (),
    ) -> None:
        if not callable(function):
            raise UsageError(f"A tool wraps a function, not a {type(function).__name__}.")
        check_tool_options(timeout, errors)
        self.function = function
        self.name = check_tool_name(str(name or getattr(function, "__name__", "")))
        schema = function_schema(function, tool_name=self.name)
        self.description = description if description is not None else schema.description
        self.timeout = timeout
        self.errors: ErrorMode | None = errors
        """What an exception does (None: the agent's ``tool_errors`` decides, ``"return"`` by default)."""
        self.requires_approval = requires_approval
        self.idempotent = idempotent
        """Safe to run twice: a resumed run re-runs a call that started but left no result."""
        self.run_in_thread = run_in_thread
        self.category = category
        self.tags = frozenset(tags)
        self.takes_ctx = schema.takes_ctx
        call = getattr(function, "__call__", None)  # noqa: B004  (async callable objects too)
        self.is_async = inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(call)
        self.spec = ToolSpec(self.name, self.description, schema.parameters, strict)
        self._validate = schema.validate
        self._positional = schema.positional
        self.__name__ = self.name
        self.__doc__ = function.__doc__
        self.__wrapped__ = function

    def validate(self, arguments: JSONDict) -> JSONDict:
        """The keyword arguments for a call, checked and converted from the model's ``arguments``.

        Raises pydantic's ``ValidationError`` when they do not fit the signature.
        """
        result: JSONDict = self._validate(arguments)
        return result

    async def call(self, ctx: RunContext[Any] | None, kwargs: JSONDict) -> Any:
        """Run the function with validated ``kwargs`` (and ``ctx`` when it takes one).

        The call runs under its own time limit (:func:`llmkit.tools.checkpoint`
        sees it, in a worker thread too). When the caller stops waiting (the
        tool's ``timeout``, the run's timeout, a cancellation), the call is
        abandoned: work that calls ``checkpoint()`` stops at its next check.
        """
        args: list[Any] = [ctx] if self.takes_ctx else []
        if self._positional:
            kwargs = dict(kwargs)
            args.extend(kwargs.pop(name) for name in self._positional if name in kwargs)
        function: Callable[..., Any] = self.function
        timeout = self.timeout
        with call_limit(timeout):
            if timeout is None:
                return await self._invoke(function, args, kwargs)
            async with asyncio.timeout(timeout):
                return await self._invoke(function, args, kwargs)

    async def _invoke(self, function: Callable[..., Any], args: list[Any], kwargs: JSONDict) -> Any:
        if self.is_async:
            return await function(*args, **kwargs)
        if self.run_in_thread:
            result = await in_thread(function, *args, **kwargs)
        else:
            result = function(*args, **kwargs)
        if inspect.isawaitable(result):
            return await result
        return result

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Tool {self.name}>"


@overload
def tool(function: Callable[P, R], /) -> Tool[P, R]: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    errors: ErrorMode | None = None,
    requires_approval: bool = False,
    idempotent: bool = False,
    strict: bool | None = None,
    run_in_thread: bool = True,
    category: str | None = None,
    tags: Iterable[str] = (),
) -> Callable[[Callable[P, R]], Tool[P, R]]: ...


def tool(
    function: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    errors: ErrorMode | None = None,
    requires_approval: bool = False,
    idempotent: bool = False,
    strict: bool | None = None,
    run_in_thread: bool = True,
    category: str | None = None,
    tags: Iterable[str] = (),
) -> Tool[P, R] | Callable[[Callable[P, R]], Tool[P, R]]:
    """Make a function (sync or async) a :class:`Tool`; use bare (``@tool``) or with options.

    Options:

    - ``name`` / ``description``: default to the function's name and docstring summary;
    - ``timeout``: seconds; a call that takes longer becomes an error result (a sync
      function's thread is abandoned: it stops at its next :func:`~llmkit.tools.checkpoint`);
    - ``errors``: ``"return"`` sends an exception to the model as an error result;
      ``"raise"`` stops the run with :class:`~llmkit.errors.ToolExecutionError`; None
      (default) leaves it to the agent's ``tool_errors`` (``"return"`` unless set);
    - ``requires_approval``: pause the run before each call until a human approves it;
    - ``idempotent``: running a call twice does no harm (a lookup, a read, a write that
      sets rather than adds). A durable run (``run(..., store=...)``) resumed after a
      crash re-runs such a call when it started but left no result; any other tool's
      call pauses the run instead, for a decision as approvals take;
    - ``strict``: ask the provider to enforce the schema exactly (OpenAI strict mode);
    - ``run_in_thread``: run a sync function in a worker thread (default) so it cannot
      block the event loop; turn it off for quick pure functions;
    - ``category`` / ``tags``: for finding tools in a :class:`~llmkit.tools.Toolbox`.

    The schema comes from the type hints, defaults, ``Annotated[..., Field(description=...)]``
    and the docstring's argument section (Google, NumPy or Sphinx style). A first
    parameter annotated ``RunContext[...]`` receives the run context and is not shown
    to the model.
    """

    def make(fn: Callable[P, R]) -> Tool[P, R]:
        return Tool(
            fn,
            name=name,
            description=description,
            timeout=timeout,
            errors=errors,
            requires_approval=requires_approval,
            idempotent=idempotent,
            strict=strict,
            run_in_thread=run_in_thread,
            category=category,
            tags=tags,
        )

    if function is not None:
        return make(function)
    return make
