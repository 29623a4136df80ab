"""Wrappers: a callable, a command template or an HTTP endpoint as a tool with a schema.

::

    from llmkit.tools.builtin import from_callable, from_command, from_endpoint

    legacy = from_callable(old_api, name="lookup", parameters={"type": "object", ...})
    log = from_command("git_log", ["git", "log", "-n", "{count}", "--oneline"],
                       parameters={"count": int}, root="./repo")
    user = from_endpoint("get_user", "https://api.example.com/users/{user_id}")

A command runs under the process family's rules (no shell; a placeholder's
value is always one argument, never split; the path rule applies to what a
value from the model shapes in the argument it lands in), and a value that
would start an argument with ``-`` or ``+`` (an option) is refused unless
its parameter is named in ``allow_options``. An endpoint goes
through the HTTP family's rules; by default only its own host is allowed,
and path values are percent-encoded so they cannot change the path (an
empty, ``.`` or ``..`` value is refused).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from llmkit._jsondata import MACHINE_MAX_DEPTH, loads
from llmkit.errors import ToolError, UsageError
from llmkit.tools._schema_tool import SchemaTool
from llmkit.tools._tool import Tool
from llmkit.tools.builtin._net import Fetched, NetPolicy, Resolver
from llmkit.tools.builtin._pathargs import Span
from llmkit.tools.builtin._policy import Refused
from llmkit.tools.builtin._process import DEFAULT_ENV, CommandPolicy

__all__ = ["call_endpoint", "from_callable", "from_command", "from_endpoint"]

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_JSON_TYPES: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))


def from_callable(
    function: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    **options: Any,
) -> Tool[..., Any]:
    """A tool from any callable.

    Without ``parameters`` the schema comes from type hints and docstring, as
    with :func:`~llmkit.tools.tool`. With ``parameters`` (a JSON schema of an
    object) that schema is sent as is and the callable receives the checked
    arguments as keywords, which suits ``**kwargs`` functions and objects
    without hints. ``options`` are those of :func:`~llmkit.tools.tool`.
    """
    if parameters is None:
        return Tool(function, name=name, description=description, **options)
    tool_name = str(name or getattr(function, "__name__", ""))
    doc = (getattr(function, "__doc__", None) or "").strip().split("\n\n")[0]
    return SchemaTool(
        function,
        name=tool_name,
        description=description if description is not None else " ".join(doc.split()),
        parameters=dict(parameters),
        **options,
    )


def _schema_of(name: str, spec: Any) -> dict[str, Any]:
    if isinstance(spec, dict):
        return spec
    if spec in _JSON_TYPES:
        return {"type": _JSON_TYPES[spec]}
    raise UsageError(
        f"Parameter {name!r}: give a type (str, int, float, bool) or a JSON schema, not {spec!r}."
    )


def _as_argument(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value)


def _fill(
    template: str, values: Mapping[str, str], options: frozenset[str]
) -> tuple[str, list[Span]]:
    """``template`` with its placeholders filled, and the spans the values took.

    Refuses (rule ``option_value``) a value that starts the argument with
    ``-`` or ``+`` unless its parameter is in ``options``: the program would
    read it as an option, which can change what the template's next
    argument means (``sort {order} list.txt`` with ``-o``).
    """
    parts: list[str] = []
    spans: list[Span] = []
    length = done = 0
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1)
        literal, value = template[done : match.start()], values[name]
        parts += (literal, value)
        length += len(literal)
        if length == 0 and value[:1] in ("-", "+") and name not in options:
            raise Refused(
                "option_value",
                f"the value of {name!r} ({value[:40]!r}) starts with {value[0]!r}, so the program "
                f"would read it as an option. Pass a value that does not start with '-' or '+' "
                f"(allow_options=[{name!r}] in from_command lets options through).",
            )
        spans.append((length, length + len(value)))
        length += len(value)
        done = match.end()
    parts.append(template[done:])
    return "".join(parts), spans


def from_command(
    name: str,
    template: Iterable[str],
    *,
    root: str | os.PathLike[str],
    description: str = "",
    parameters: Mapping[str, Any] | None = None,
    timeout: float = 30.0,
    max_output_bytes: int = 200_000,
    env_allow: Iterable[str] = DEFAULT_ENV,
    env: Mapping[str, str] | None = None,
    allow_path_args: bool = False,
    max_root_entries: int = 100_000,
    allow_options: Iterable[str] = (),
) -> Tool[..., Any]:
    """A tool that runs one command line built from ``template`` (a list of arguments).

    ``{name}`` placeholders in the arguments (``"-n"``, ``"{count}"`` or
    ``"--since={date}"``) become the tool's parameters; their types come from
    ``parameters`` (a type or a JSON schema each; text by default). The first
    item is the program and cannot be a placeholder. The tool returns the exit
    code, stdout and stderr; the options are those of
    :func:`~llmkit.tools.builtin.process`.

    The path rule applies where a value lands: ``-o{out}`` with ``out="/x"``,
    or ``{a}.{b}`` making ``..``, is refused. The template's own text is
    trusted, so ``"https://example.com/{city}"`` or ``"/srv/data/{name}"``
    work; a value that climbs with ``..`` is refused anywhere, and no command
    runs while the root holds a symbolic link that leads out of it.

    A value that starts an argument (``"{order}"``, or ``"{name}.txt"``) may
    not start with ``-`` or ``+``: the program would read it as an option,
    and an option can change what the template's own next argument means
    (``["sort", "{order}", "list.txt"]`` with ``order="-o"`` would overwrite
    ``list.txt``). ``allow_options`` names the parameters whose values may be
    options (``allow_options=["order"]``); then the template should not
    depend on what follows, and a JSON schema ``enum`` can list the options
    allowed. A negative number is an option too (``"-5"``): give such a
    parameter a ``minimum`` or allow it.
    """
    argv = list(template)
    if not argv or _PLACEHOLDER.search(argv[0]):
        raise UsageError(
            f"from_command({name!r}): the template starts with the program, written out."
        )
    names = list(dict.fromkeys(p for arg in argv[1:] for p in _PLACEHOLDER.findall(arg)))
    given = dict(parameters or {})
    unknown = set(given) - set(names)
    if unknown:
        raise UsageError(
            f"from_command({name!r}): parameters {sorted(unknown)} have no placeholder in the template."
        )
    properties = {n: _schema_of(n, given.get(n, str)) for n in names}
    if isinstance(allow_options, str):
        raise UsageError(
            f"from_command({name!r}): allow_options takes a list of parameter names, not a string."
        )
    options = frozenset(allow_options)
    if options - set(names):
        raise UsageError(
            f"from_command({name!r}): allow_options names {sorted(options - set(names))}, "
            f"which are not parameters of the template (its parameters: {names})."
        )
    policy = CommandPolicy.build(
        commands=[argv[0]],
        root=root,
        timeout=timeout,
        max_output_bytes=max_output_bytes,
        env_allow=env_allow,
        env=env,
        allow_path_args=allow_path_args,
        max_root_entries=max_root_entries,
    )

    async def run(**arguments: Any) -> dict[str, Any]:
        values = {n: _as_argument(arguments[n]) for n in names}
        filled = [_fill(arg, values, options) for arg in argv[1:]]
        return await policy.run(
            argv[0], [text for text, _ in filled], model_spans=[spans for _, spans in filled]
        )

    return SchemaTool(
        run,
        name=name,
        description=description or f"Run `{' '.join(argv)}` and return its exit code and output.",
        parameters={
            "type": "object",
            "properties": properties,
            "required": names,
            "additionalProperties": False,
        },
        category="process",
    )


def answer_of(fetched: Fetched) -> Any:
    """What a tool returns for an HTTP answer: JSON decoded, text as is; errors as ToolError."""
    if fetched.status >= 400:
        raise ToolError(
            f"{fetched.url} answered HTTP {fetched.status}: {fetched.text[:500].strip()}"
        )
    if "json" in fetched.content_type:
        try:
            return loads(fetched.content, max_depth=MACHINE_MAX_DEPTH)
        except ValueError:
            pass  # not JSON after all, or nested too deeply to hand on: the text as it came
    return fetched.text


async def call_endpoint(
    policy: NetPolicy,
    method: str,
    url: str,
    *,
    query: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
) -> Any:
    """Send one request under ``policy`` and return :func:`answer_of` its answer."""
    import httpx2

    target = str(
        httpx2.URL(url).copy_merge_params({k: _as_argument(v) for k, v in (query or {}).items()})
    )
    sent = dict(headers or {})
    content = None
    if json_body is not None:
        content = json.dumps(json_body).encode()
        sent.setdefault("Content-Type", "application/json")
    return answer_of(await policy.fetch(method, target, headers=sent, content=content))


def fill_path(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with its ``{name}`` placeholders replaced by percent-encoded values.

    Each value stays inside its segment: ``/``, ``?``, ``#`` and ``%`` are
    percent-encoded, and a value that is empty, ``.`` or ``..`` is refused,
    because URL normalisation (``httpx2``'s, or the server's after decoding
    ``%2E``) would drop or climb the segment, sending the call elsewhere.
    """

    def encoded(match: re.Match[str]) -> str:
        name = match.group(1)
        text = _as_argument(values[name])
        if text in ("", ".", ".."):
            raise Refused(
                "path_value",
                f"the path parameter {name!r} is {text!r}; each path parameter fills one "
                "path segment and cannot be empty, '.' or '..'. Pass the name or id it stands for.",
            )
        return quote(text, safe="")

    return _PLACEHOLDER.sub(encoded, template)


def from_endpoint(
    name: str,
    url: str,
    *,
    method: str = "GET",
    description: str = "",
    parameters: Mapping[str, Any] | None = None,
    required: Iterable[str] | None = None,
    allow_hosts: Iterable[str] | None = None,
    allow_networks: Iterable[str] = (),
    headers: Mapping[str, str] | None = None,
    timeout: float = 20.0,
    max_bytes: int = 2_000_000,
    resolver: Resolver | None = None,
) -> Tool[..., Any]:
    """A tool that calls one HTTP endpoint.

    ``{name}`` placeholders in ``url`` are required path parameters; other
    entries of ``parameters`` (a type or a JSON schema each) go in the query
    string for GET/DELETE, in a JSON body for POST/PUT/PATCH; ``required``
    names the ones the model must send (default: the path parameters).
    ``allow_hosts`` defaults to the endpoint's own host; ``headers`` (an API
    key, say) are sent with each call and never shown to the model. Answers
    are decoded JSON or text; an HTTP error status becomes a tool error.
    """
    verb = method.upper()
    host = urlsplit(url).hostname
    if not host:
        raise UsageError(f"from_endpoint({name!r}): {url!r} is not an absolute URL.")
    policy = NetPolicy.build(
        allow_hosts=list(allow_hosts) if allow_hosts is not None else [host],
        allow_networks=allow_networks,
        max_bytes=max_bytes,
        timeout=timeout,
        headers=headers,
        resolver=resolver,
    )
    path_names = list(dict.fromkeys(_PLACEHOLDER.findall(url)))
    given = dict(parameters or {})
    properties = {n: _schema_of(n, given.get(n, str)) for n in [*path_names, *given]}
    must = list(required) if required is not None else path_names
    missing = set(path_names) - set(must)
    if missing:
        raise UsageError(
            f"from_endpoint({name!r}): path parameters {sorted(missing)} must be required."
        )

    async def call(**arguments: Any) -> Any:
        target = fill_path(url, arguments)
        rest = {k: v for k, v in arguments.items() if k not in path_names}
        if verb in _BODY_METHODS:
            return await call_endpoint(policy, verb, target, json_body=rest)
        return await call_endpoint(policy, verb, target, query=rest)

    return SchemaTool(
        call,
        name=name,
        description=description or f"Call {verb} {url}.",
        parameters={
            "type": "object",
            "properties": properties,
            "required": must,
            "additionalProperties": False,
        },
        category="http",
    )
