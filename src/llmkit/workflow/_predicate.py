"""Readers of the state: a function of the state, or a small safe expression over its fields.

An :class:`Expression` is what ``when``, ``until``, ``while_``, ``input=`` and ``over=`` hold.
A string is parsed once, when the step is built or the definition loaded, with the records
dialect of llmkit's safe evaluator (``ast``, never ``eval``): field names, ``a.b`` / ``a["b"]``
/ ``a[0]`` on nested data, numbers, strings, lists, comparisons, ``and``/``or``/``not``,
``in``, ``if … else`` and the functions of :data:`WORKFLOW_DIALECT`. Everything else
(attribute names starting with ``_``, calls of any other function, lambdas, comprehensions,
slices, keyword arguments) is refused then, before anything runs, with a
:class:`~llmkit.errors.WorkflowDefinitionError` that quotes the expression and says why.

Every name an expression reads must be a field of the state (the evaluator alone would read
an unknown name as None): :meth:`Expression.check_fields` checks it against a typed state's
fields before a run, and evaluating on a dict state checks it against the dict's keys. A
bare field name (``"topic"``) is read directly, without the evaluator.

Evaluating never lets an error through unnamed: a refusal at run time, or an exception from a
function reader, becomes a :class:`~llmkit.errors.PredicateError` (``when``, ``until``,
``while``) or a :class:`~llmkit.errors.StepInputError` (``input``, ``over``) naming the step's
path and the expression, with the original error as its cause.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias

from llmkit.errors import PredicateError, StepInputError, WorkflowDefinitionError
from llmkit.tools.builtin import Refused
from llmkit.tools.builtin._expr import Dialect, evaluate, parse, round_number, text

__all__ = [
    "WORKFLOW_DIALECT",
    "Expression",
    "Reader",
    "ReaderRole",
    "StateReader",
    "expression",
]

Reader: TypeAlias = str | Callable[[Any], Any]
"""A safe expression over the state's fields, or a function of the state."""

ReaderRole: TypeAlias = Literal["when", "until", "while", "input", "over"]
"""Where a reader is used; decides the error its failures raise and how messages name it."""

WORKFLOW_DIALECT = Dialect(
    records=True,
    functions={
        "len": len,
        "lower": lambda s: text(s).lower(),
        "upper": lambda s: text(s).upper(),
        "abs": abs,
        "min": min,
        "max": max,
        "round": round_number,
        "str": text,
    },
    max_length=1000,
    max_nodes=300,
)
"""What a workflow expression may use: the records dialect with a few safe functions."""

_LITERAL_NAMES = frozenset({"true", "false", "null", "True", "False", "None"})
_BINARY_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_UNARY_OPS = (ast.Not, ast.USub, ast.UAdd)
_PLAIN_NODES = (
    ast.Name,
    ast.Constant,
    ast.Subscript,
    ast.Compare,
    ast.BoolOp,
    ast.IfExp,
    ast.List,
    ast.Tuple,
    ast.Load,
    ast.And,
    ast.Or,
    ast.cmpop,
)

# Nodes whose insides are checked (operators are leaves: their parent's check decides).
_CHECKED_KINDS = (
    ast.Call,
    ast.Attribute,
    ast.BinOp,
    ast.UnaryOp,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.expr_context,
    *_PLAIN_NODES,
)


class StateReader(Protocol):
    """What evaluating needs from a state adapter: a field's value and the fields as a mapping."""

    def get(self, state: Any, field: str) -> Any:
        """The value of ``field`` in ``state``."""
        ...

    def view(self, state: Any) -> Mapping[str, Any]:
        """The state's top-level fields as a mapping of plain data."""
        ...


def _refusal(node: ast.AST) -> str | None:
    """Why the evaluator would refuse ``node`` (without its children), or None when it takes it."""
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in WORKFLOW_DIALECT.functions or node.keywords:
            known = ", ".join(sorted(WORKFLOW_DIALECT.functions))
            return f"{ast.unparse(node.func)}(...) is not an allowed function (known: {known})."
        return None
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            return f"'.{node.attr}' is not allowed; use field names of the state."
        return None
    if isinstance(node, ast.Constant):
        if node.value is None or isinstance(node.value, bool | int | float | str):
            return None
        return f"the value {node.value!r} is not allowed."
    if isinstance(node, ast.BinOp):
        return (
            None if isinstance(node.op, _BINARY_OPS) else f"'{ast.unparse(node)}' is not allowed."
        )
    if isinstance(node, ast.UnaryOp):
        return None if isinstance(node.op, _UNARY_OPS) else f"'{ast.unparse(node)}' is not allowed."
    if isinstance(node, _PLAIN_NODES + _BINARY_OPS + _UNARY_OPS):
        return None
    kind = {
        ast.Lambda: "a lambda",
        ast.ListComp: "a comprehension",
        ast.SetComp: "a comprehension",
        ast.DictComp: "a comprehension",
        ast.GeneratorExp: "a comprehension",
        ast.Slice: "a slice",
        ast.Starred: "'*'",
        ast.Dict: "a dict literal",
        ast.Set: "a set literal",
        ast.NamedExpr: "':='",
        ast.JoinedStr: "an f-string",
    }.get(type(node), type(node).__name__)
    return (
        f"{kind} is not allowed; use field names, numbers, strings, comparisons, and/or/not "
        "and the listed functions."
    )


def _read_names(tree: ast.expr) -> frozenset[str]:
    """The state fields ``tree`` reads: every name but function names and literals."""
    functions = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return frozenset(
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name)
        and id(node) not in functions
        and node.id not in _LITERAL_NAMES
    )


def _fields_text(fields: frozenset[str] | set[str] | Mapping[str, Any]) -> str:
    return ", ".join(sorted(fields)) or "none"


@dataclass(frozen=True, slots=True, eq=False)
class Expression:
    """A reader of the state: a safe expression (parsed once) or a function of the state.

    Build one with :func:`expression`. ``names`` are the state fields a string expression
    reads (empty for a function); ``field`` is set when the expression is one bare field name.
    """

    source: str | Callable[[Any], Any]
    """The expression's text, or the function."""
    role: ReaderRole
    """Where it is used: ``"when"``, ``"until"``, ``"while"``, ``"input"`` or ``"over"``."""
    tree: ast.expr | None = None
    """The parsed expression (None for a function)."""
    names: frozenset[str] = frozenset()
    """The state fields it reads (empty for a function)."""
    field: str | None = None
    """The field it reads when it is one bare name (read directly, no evaluator)."""

    def describe(self) -> str:
        """The source text, or the function's qualified name (for messages, diagrams, dumps)."""
        if isinstance(self.source, str):
            return self.source
        return getattr(self.source, "__qualname__", None) or repr(self.source)

    def _error(self) -> type[PredicateError] | type[StepInputError]:
        return StepInputError if self.role in ("input", "over") else PredicateError

    def _label(self, path: str) -> str:
        what = "Predicate" if self.role in ("when", "until", "while") else f"{self.role}="
        return f"{what} {self.describe()!r} of {path}"

    def check_fields(self, fields: frozenset[str] | None, *, path: str) -> None:
        """Raise WorkflowDefinitionError when the expression reads a field ``fields`` lacks.

        ``fields`` None (an untyped state) checks nothing; a dict state is checked when the
        expression is evaluated.
        """
        if fields is None:
            return
        missing = sorted(self.names - fields)
        if missing:
            raise WorkflowDefinitionError(
                f"{self._label(path)} names {missing[0]!r}, which the state does not have "
                f"(its fields: {_fields_text(fields)}).",
                path=path,
            )

    def evaluate(self, state: Any, reader: StateReader, *, path: str) -> Any:
        """The expression's value on ``state``; failures raise PredicateError or StepInputError.

        On a dict state, a name that is not one of its keys is refused (no silent None).
        """
        field = self.field
        if field is not None and type(state) is dict and field in state:
            return state[field]  # one bare field of a dict state: what reader.get gives
        source = self.source
        if not isinstance(source, str):
            try:
                return source(state)
            except Exception as exc:
                raise self._error()(
                    f"{self._label(path)} raised {type(exc).__name__}: {exc}", path=path
                ) from exc
        if isinstance(state, Mapping):
            missing = sorted(self.names.difference(state))
            if missing:
                raise self._error()(
                    f"{self._label(path)} names {missing[0]!r}, which the state does not have "
                    f"(it has: {_fields_text(state)}).",
                    path=path,
                )
        if self.field is not None or self.tree is None:
            return reader.get(state, self.field or "")
        try:
            return evaluate(self.tree, WORKFLOW_DIALECT, reader.view(state))
        except Refused as exc:
            raise self._error()(f"{self._label(path)} was refused: {exc}", path=path) from exc


def expression(reader: Reader, *, role: ReaderRole, option: str | None = None) -> Expression:
    """The :class:`Expression` of ``reader`` (a string is parsed and checked now).

    Raises UsageError when ``reader`` is neither a string nor a callable, and
    WorkflowDefinitionError when a string is not an allowed expression.
    """
    label = option or f"{role}="
    if callable(reader) and not isinstance(reader, str):
        return Expression(source=reader, role=role)
    if not isinstance(reader, str):
        raise WorkflowDefinitionError(
            f"{label} takes a function of the state or an expression such as 'score < 0.8', "
            f"not {type(reader).__name__}."
        )
    try:
        tree = parse(reader, WORKFLOW_DIALECT)
    except Refused as exc:
        raise WorkflowDefinitionError(
            f"the predicate {reader!r} is not allowed: {_bare(exc)}"
            if role in ("when", "until", "while")
            else f"{label} {reader!r} is not allowed: {_bare(exc)}"
        ) from None
    why = _first_refusal(tree)
    if why is not None:
        what = "the predicate" if role in ("when", "until", "while") else label
        raise WorkflowDefinitionError(f"{what} {reader!r} is not allowed: {why}")
    names = _read_names(tree)
    bare = tree.id if isinstance(tree, ast.Name) and tree.id not in _LITERAL_NAMES else None
    return Expression(source=reader, role=role, tree=tree, names=names, field=bare)


def _first_refusal(node: ast.AST) -> str | None:
    """Why ``node``'s expression is refused, innermost offence first (so a call of a call names
    the inner function); None when the evaluator takes all of it. Depth is bounded by the
    dialect's ``max_nodes``, checked by ``parse`` first."""
    if isinstance(node, ast.Call) and node.keywords:
        return _refusal(node)
    if not isinstance(node, _CHECKED_KINDS):
        return _refusal(node)  # a lambda, a comprehension …: its insides do not matter
    for child in ast.iter_child_nodes(node):
        why = _first_refusal(child)
        if why is not None:
            return why
    return _refusal(node)


def _bare(refused: Refused) -> str:
    """A refusal's message without its ``Refused (rule): `` prefix."""
    message = str(refused)
    prefix = f"Refused ({refused.rule}): "
    return message.removeprefix(prefix)
