"""OpenAPI 3 operations as tools: one tool per ``operationId``.

::

    from llmkit.tools.builtin import from_openapi

    tools = from_openapi("petstore.json", operations=["listPets", "getPetById"],
                         headers={"Authorization": "Bearer ..."})

A tool's schema is built from the operation's parameters (path, query and
header; ``$ref`` to ``components`` resolved) and, when it has a JSON request
body, a ``body`` property holding the body's schema. Calls go through the HTTP
family's rules; the default allow-list is the host of the server URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from llmkit._jsondata import JSONTooDeep, loads, read_text
from llmkit.errors import UsageError
from llmkit.tools._schema_tool import SchemaTool
from llmkit.tools._tool import Tool
from llmkit.tools.builtin._net import NetPolicy, Resolver
from llmkit.tools.builtin._wrap import call_endpoint, fill_path

__all__ = ["from_openapi"]

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_NOT_A_NAME = re.compile(r"[^a-zA-Z0-9_-]")


def _load(document: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    if isinstance(document, Mapping):
        return dict(document)
    # JSON or YAML, bounded alike: size (measured before reading), depth, aliases.
    text = read_text(document, what="an OpenAPI document")
    try:
        loaded = loads(text)
    except JSONTooDeep as exc:
        raise exc.refusal(str(document)) from None
    except ValueError:
        from llmkit.output._yaml import parse_yaml

        loaded = parse_yaml(text, name=str(document))
    if not isinstance(loaded, dict):
        raise UsageError(f"{document} does not hold an OpenAPI document (an object).")
    return loaded


class _Refs:
    """Resolves local ``$ref`` pointers (``#/components/...``), inlining them up to a depth."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def follow(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise UsageError(f"Only local $ref pointers are supported, not {ref!r}.")
        node: Any = self.document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise UsageError(f"$ref {ref!r} points nowhere in the document.")
            node = node[part]
        return node

    def inline(self, node: Any, depth: int = 0) -> Any:
        if depth > 20:
            return {}  # a recursive schema: the innermost level is left open
        if isinstance(node, dict):
            if "$ref" in node and isinstance(node["$ref"], str):
                return self.inline(self.follow(node["$ref"]), depth + 1)
            return {k: self.inline(v, depth) for k, v in node.items()}
        if isinstance(node, list):
            return [self.inline(v, depth) for v in node]
        return node


def _tool_name(operation_id: str, prefix: str) -> str:
    return _NOT_A_NAME.sub("_", f"{prefix}{operation_id}")[:64]


def from_openapi(
    document: Mapping[str, Any] | str | Path,
    *,
    operations: Iterable[str] | None = None,
    base_url: str | None = None,
    prefix: str = "",
    allow_hosts: Iterable[str] | None = None,
    allow_networks: Iterable[str] = (),
    headers: Mapping[str, str] | None = None,
    timeout: float = 20.0,
    max_bytes: int = 2_000_000,
    resolver: Resolver | None = None,
) -> list[Tool[..., Any]]:
    """Tools for the operations of an OpenAPI 3 ``document`` (a dict, or a JSON/YAML file).

    ``operations`` picks operationIds (default: every operation that has one);
    ``base_url`` overrides the document's first server; ``prefix`` is put
    before each tool name. The network options are those of
    :func:`~llmkit.tools.builtin.http`; ``headers`` carry credentials the
    model never sees.
    """
    doc = _load(document)
    if not str(doc.get("openapi", "")).startswith("3"):
        raise UsageError("from_openapi reads OpenAPI 3 documents (an 'openapi: 3.x' field).")
    servers = doc.get("servers") or [{}]
    server = base_url or str(servers[0].get("url", ""))
    host = urlsplit(server).hostname
    if not host:
        raise UsageError(
            "The document has no absolute server URL; pass base_url='https://api.example.com'."
        )
    policy = NetPolicy.build(
        allow_hosts=list(allow_hosts) if allow_hosts is not None else [host],
        allow_networks=allow_networks,
        max_bytes=max_bytes,
        timeout=timeout,
        headers=headers,
        resolver=resolver,
    )
    refs = _Refs(doc)
    wanted = None if operations is None else list(operations)
    found: dict[str, Tool[..., Any]] = {}
    for path, item in (doc.get("paths") or {}).items():
        item = refs.inline(item)
        shared = item.get("parameters") or []
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            if wanted is not None and operation["operationId"] not in wanted:
                continue
            tool = _operation_tool(
                policy, server.rstrip("/"), path, method, operation, shared, prefix
            )
            found[operation["operationId"]] = tool
    if wanted is not None:
        missing = [op for op in wanted if op not in found]
        if missing:
            raise UsageError(
                f"No operation with operationId {', '.join(map(repr, missing))} "
                f"(found: {', '.join(sorted(found)) or 'none'})."
            )
        return [found[op] for op in wanted]
    return list(found.values())


def _operation_tool(
    policy: NetPolicy,
    server: str,
    path: str,
    method: str,
    operation: dict[str, Any],
    shared: list[dict[str, Any]],
    prefix: str,
) -> Tool[..., Any]:
    merged = {
        (p.get("name"), p.get("in")): p for p in [*shared, *(operation.get("parameters") or [])]
    }
    properties: dict[str, Any] = {}
    required: list[str] = []
    where: dict[str, str] = {}
    for (name, location), param in merged.items():
        if location not in ("path", "query", "header") or not name:
            continue  # cookies are not the model's to set
        schema = dict(param.get("schema") or {"type": "string"})
        if param.get("description"):
            schema["description"] = param["description"]
        properties[name] = schema
        where[name] = location
        if param.get("required") or location == "path":
            required.append(name)
    body = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
    if body is not None:
        properties["body"] = body.get("schema") or {}
        if (operation.get("requestBody") or {}).get("required"):
            required.append("body")
    verb = method.upper()
    url_template = server + path

    async def call(**arguments: Any) -> Any:
        url = fill_path(
            url_template, {k: v for k, v in arguments.items() if where.get(k) == "path"}
        )
        query = {k: v for k, v in arguments.items() if where.get(k) == "query"}
        sent = {k: str(v) for k, v in arguments.items() if where.get(k) == "header"}
        return await call_endpoint(
            policy, verb, url, query=query, headers=sent, json_body=arguments.get("body")
        )

    text = operation.get("summary") or operation.get("description") or f"{verb} {path}"
    return SchemaTool(
        call,
        name=_tool_name(str(operation["operationId"]), prefix),
        description=" ".join(str(text).split()),
        parameters={"type": "object", "properties": properties, "required": required},
        category="http",
    )
