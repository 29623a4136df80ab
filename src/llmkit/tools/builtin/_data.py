"""The data family: JSONPath queries, CSV filtering and aggregation, record transforms.

::

    from llmkit.tools.builtin import data, json_query, transform

    json_query({"a": [{"b": 1}, {"b": 2}]}, "$.a[?(@.b > 1)].b")      # [2]
    transform([{"n": "x", "p": 3}, {"n": "y", "p": 1}], [{"sort": "p"}, {"select": ["n"]}])
    agent = Agent(model, tools=[*data()])

Expressions in filters and computed fields are parsed by the safe evaluator
(field names, numbers, strings, comparisons, ``and``/``or``/``not``, ``in``,
arithmetic; ``a.b`` reads a nested field); nothing reaches ``eval``. Inputs
are bounded: CSV text by ``max_rows``, results by ``max_results``, the work of
one JSONPath by ``max_visits``, each operation of an expression by the
evaluator's own bounds. The tools run in a worker thread, and every loop over
records calls :func:`~llmkit.tools._deadline.checkpoint`, so a tool call's
time limit (or its run's cancellation) stops the work part-way.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any, TypeVar

from pydantic import Field

from llmkit._jsondata import MACHINE_MAX_DEPTH, JSONTooDeep, loads
from llmkit.errors import ToolError, UsageError
from llmkit.tools._deadline import checkpoint
from llmkit.tools._tool import Tool
from llmkit.tools.builtin._expr import Dialect, evaluate, parse, round_number, text
from llmkit.tools.builtin._jsonpath import MAX_VISITS, query
from llmkit.tools.builtin._policy import Refused

__all__ = ["aggregate", "csv_rows", "data", "json_query", "transform"]

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "lower": lambda s: text(s).lower(),
    "upper": lambda s: text(s).upper(),
    "str": text,
    "int": int,
    "float": float,
    "round": round_number,
    "abs": abs,
    "min": min,
    "max": max,
}
RECORDS = Dialect(records=True, functions=_FUNCTIONS)
"""The expression dialect of filters and computed fields."""

_T = TypeVar("_T")


def _each(items: Iterable[_T]) -> Iterator[_T]:
    """``items`` one by one, stopping when the tool call's time is up (see ``checkpoint``)."""
    for item in items:
        checkpoint()
        yield item


def json_query(
    document: Any, path: str, *, max_results: int | None = None, max_visits: int = MAX_VISITS
) -> list[Any]:
    """The values of ``document`` (a JSON value, or JSON text) that the JSONPath ``path`` selects.

    Bounded while it runs: refused once more than ``max_results`` values are
    found or the path has looked at more than ``max_visits`` values. JSON
    text nested more than :data:`~llmkit._jsondata.MACHINE_MAX_DEPTH` levels
    deep is refused (rule ``max_depth``) before it is parsed.
    """
    if isinstance(document, str):
        try:
            document = loads(document, max_depth=MACHINE_MAX_DEPTH)
        except JSONTooDeep as exc:
            raise Refused("max_depth", f"the document {exc}; send a part of it.") from None
        except ValueError:  # not JSON text: a plain string document
            pass
    return query(document, path, max_results=max_results, max_visits=max_visits)


def _number(text: str) -> Any:
    stripped = text.strip()
    if not stripped:
        return text
    try:
        return int(stripped)
    except ValueError:
        pass
    try:
        value = float(stripped)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def csv_rows(text: str, *, delimiter: str = ",", max_rows: int = 100_000) -> list[dict[str, Any]]:
    """The rows of CSV ``text`` (first line: the header) as records; numbers become numbers."""
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    rows: list[dict[str, Any]] = []
    try:
        for row in _each(reader):
            if len(rows) >= max_rows:
                raise Refused(
                    "max_rows", f"the CSV has more than {max_rows:,} rows; send a smaller part."
                )
            rows.append({k: _number(v) if isinstance(v, str) else v for k, v in row.items() if k})
    except csv.Error as exc:
        raise ToolError(f"Cannot read the CSV at line {reader.line_num}: {exc}.") from None
    return rows


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (2, 0)
    if isinstance(value, bool | int | float):
        return (0, value)
    return (1, str(value))


_AGGREGATES: dict[str, Callable[[list[Any]], Any]] = {
    "count": len,
    "sum": lambda v: sum(x for x in v if isinstance(x, int | float)),
    "avg": lambda v: (
        (sum(n) / len(n)) if (n := [x for x in v if isinstance(x, int | float)]) else None
    ),
    "min": lambda v: min((x for x in _each(v) if x is not None), key=_sort_key, default=None),
    "max": lambda v: max((x for x in _each(v) if x is not None), key=_sort_key, default=None),
    "first": lambda v: v[0] if v else None,
    "last": lambda v: v[-1] if v else None,
    "distinct": lambda v: len({json.dumps(x, sort_keys=True) for x in _each(v)}),
}


def aggregate(
    records: list[dict[str, Any]], group_by: Iterable[str], aggregates: dict[str, str]
) -> list[dict[str, Any]]:
    """One record per group of ``group_by`` values, with ``aggregates`` (``{"total": "sum(price)"}``).

    Functions: count, sum, avg, min, max, first, last, distinct; ``count()``
    counts the records.
    """
    keys = list(group_by)
    plans: list[tuple[str, Callable[[list[Any]], Any], str | None]] = []
    for name, spec in aggregates.items():
        called, _, rest = spec.strip().partition("(")
        field = rest.rstrip(")").strip() or None
        if called not in _AGGREGATES or not rest.endswith(")"):
            raise ToolError(
                f"Cannot read the aggregate {name}={spec!r}; write 'function(field)' with one of "
                f"{', '.join(_AGGREGATES)} (count() counts records)."
            )
        plans.append((name, _AGGREGATES[called], field))
    groups: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for record in _each(records):
        head = {key: _field(record, key) for key in keys}
        marker = json.dumps(head, sort_keys=True, default=str)
        groups.setdefault(marker, (head, []))[1].append(record)
    out = []
    for head, members in _each(groups.values()):
        row = dict(head)
        for name, function, field in plans:
            values = members if field is None else [_field(m, field) for m in _each(members)]
            row[name] = function(values)
        out.append(row)
    return out


def _field(record: Any, name: str) -> Any:
    value = record
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _predicate(expression: str) -> Callable[[dict[str, Any]], bool]:
    tree = parse(expression, RECORDS)
    return lambda record: bool(evaluate(tree, RECORDS, record))


def _sort(records: list[dict[str, Any]], spec: Any) -> list[dict[str, Any]]:
    fields = [spec] if isinstance(spec, str) else list(spec)
    result = list(records)
    for field in reversed(fields):  # stable sorts, last key first
        result.sort(key=_key_of(field.lstrip("-+")), reverse=field.startswith("-"))
    return result


def _key_of(name: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    def key(record: dict[str, Any]) -> tuple[int, Any]:
        checkpoint()
        return _sort_key(_field(record, name))

    return key


def transform(records: list[dict[str, Any]], steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply ``steps`` to ``records`` in order; each step is a one-operation object.

    - ``{"filter": "price > 10 and category == 'tools'"}``: keep matching records;
    - ``{"map": {"total": "price * qty"}}``: add or replace computed fields;
    - ``{"select": ["name", "total"]}``: keep only these fields;
    - ``{"sort": "-total"}`` or ``{"sort": ["category", "-total"]}``: ``-`` for descending;
    - ``{"group": ["category"], "aggregate": {"n": "count()", "sum": "sum(total)"}}``;
    - ``{"limit": 10}``: the first records only.
    """
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ToolError("records must be a list of objects.")
    current = list(records)
    for number, step in enumerate(steps, 1):
        if not isinstance(step, dict) or not step:
            raise ToolError(f"Step {number} must be an object such as {{'filter': 'x > 1'}}.")
        kind = next(iter(step))
        argument = step[kind]
        try:
            current = _apply(kind, argument, step, current)
        except Refused as exc:
            raise Refused(
                exc.rule, f"step {number} ({kind}): {str(exc).partition(': ')[2]}"
            ) from None
    return current


def _apply(
    kind: str, argument: Any, step: dict[str, Any], current: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    if kind == "filter":
        keep = _predicate(str(argument))
        return [r for r in current if keep(r)]
    if kind == "map":
        if not isinstance(argument, dict):
            raise ToolError("A map step takes {'new_field': 'expression', ...}.")
        trees = {name: parse(str(expr), RECORDS) for name, expr in argument.items()}
        return [
            {**r, **{name: evaluate(tree, RECORDS, r) for name, tree in trees.items()}}
            for r in current
        ]
    if kind == "select":
        fields = [argument] if isinstance(argument, str) else list(argument)
        return [{f: _field(r, f) for f in fields} for r in _each(current)]
    if kind == "sort":
        return _sort(current, argument)
    if kind == "group":
        group_by = [argument] if isinstance(argument, str) else list(argument)
        return aggregate(current, group_by, step.get("aggregate") or {"count": "count()"})
    if kind == "limit":
        if isinstance(argument, bool) or not isinstance(argument, int) or argument < 0:
            raise ToolError("A limit step takes a whole number.")
        return current[:argument]
    raise ToolError(
        f"Unknown step {kind!r}; use filter, map, select, sort, group (with aggregate) or limit."
    )


def _bounded(rows: list[Any], max_results: int) -> list[Any]:
    if len(rows) > max_results:
        raise Refused(
            "max_results",
            f"the result has {len(rows):,} items, more than {max_results:,}; "
            "add a filter or a limit.",
        )
    return rows


def data(
    *, max_rows: int = 100_000, max_results: int = 1000, max_visits: int = MAX_VISITS
) -> list[Tool[..., Any]]:
    """The data tools: ``json_query``, ``csv_query``, ``csv_aggregate`` and ``transform_records``.

    ``max_rows`` bounds the CSV input, ``max_results`` the records returned,
    ``max_visits`` the values one JSONPath may look at on its way.
    """
    if max_rows <= 0 or max_results <= 0 or max_visits <= 0:
        raise UsageError("max_rows, max_results and max_visits must be positive.")

    def json_query_tool(document: _Document, path: _JSONPath) -> list[Any]:
        """Select values from a JSON document with a JSONPath such as '$.items[?(@.price < 10)].name'."""
        return json_query(document, path, max_results=max_results, max_visits=max_visits)

    def csv_query(
        csv_text: _CSV,
        where: _Where = None,
        columns: Annotated[list[str] | None, Field(description="Columns to keep.")] = None,
        sort_by: _SortBy = None,
        limit: Annotated[int, Field(ge=1, description="Most rows returned.")] = 100,
        delimiter: str = ",",
    ) -> dict[str, Any]:
        """Filter, sort and pick columns of CSV text (header line first)."""
        rows = csv_rows(csv_text, delimiter=delimiter, max_rows=max_rows)
        if where:
            keep = _predicate(where)
            rows = [r for r in rows if keep(r)]
        if sort_by:
            rows = _sort(rows, sort_by)
        matched = len(rows)
        if columns:
            rows = [{c: r.get(c) for c in columns} for r in _each(rows)]
        return {"matched": matched, "rows": _bounded(rows[:limit], max_results)}

    def csv_aggregate(
        csv_text: _CSV,
        aggregates: Annotated[
            dict[str, str],
            Field(description="Output name -> 'function(column)', e.g. {'total': 'sum(price)'}."),
        ],
        group_by: Annotated[list[str], Field(description="Columns to group by.")] = [],  # noqa: B006
        where: _Where = None,
        delimiter: str = ",",
    ) -> list[dict[str, Any]]:
        """Group CSV rows and compute count, sum, avg, min, max, first, last or distinct."""
        rows = csv_rows(csv_text, delimiter=delimiter, max_rows=max_rows)
        if where:
            keep = _predicate(where)
            rows = [r for r in rows if keep(r)]
        return _bounded(aggregate(rows, group_by, aggregates), max_results)

    def transform_records(
        records: Annotated[list[dict[str, Any]], Field(description="A list of JSON objects.")],
        steps: Annotated[
            list[dict[str, Any]],
            Field(
                description=(
                    "Operations in order, each one of: {'filter': 'expr'}, "
                    "{'map': {'field': 'expr'}}, {'select': [fields]}, {'sort': 'field' or "
                    "'-field'}, {'group': [fields], 'aggregate': {'name': 'sum(field)'}}, "
                    "{'limit': n}."
                )
            ),
        ],
    ) -> list[dict[str, Any]]:
        """Filter, compute, select, sort, group and limit a list of records."""
        return _bounded(transform(records, steps), max_results)

    return [
        Tool(json_query_tool, name="json_query", category="data"),
        Tool(csv_query, category="data"),
        Tool(csv_aggregate, category="data"),
        Tool(transform_records, category="data"),
    ]


_Document = Annotated[Any, Field(description="The JSON document (a value, or JSON text).")]
_JSONPath = Annotated[str, Field(description="A JSONPath, e.g. '$.items[0].name'.")]
_CSV = Annotated[str, Field(description="CSV text; the first line names the columns.")]
_Where = Annotated[
    str | None,
    Field(description="Keep rows where this is true, e.g. \"price > 10 and city == 'Oslo'\"."),
]
_SortBy = Annotated[
    list[str] | None, Field(description="Columns to sort by; prefix '-' for descending.")
]
