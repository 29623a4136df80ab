"""Wrappers: callables, command templates, HTTP endpoints and OpenAPI operations become tools."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from llmkit.errors import ToolError, UsageError
from llmkit.tools._schema_tool import ArgumentsError
from llmkit.tools.builtin import Refused, from_callable, from_command, from_endpoint, from_openapi

from .conftest import LocalServer, echo

pytestmark = pytest.mark.anyio

LOCAL = {"allow_networks": ["127.0.0.1/32"]}


@pytest.fixture
def echo_all(local_server: LocalServer) -> LocalServer:
    local_server.routes["*"] = echo
    return local_server


def test_from_callable_with_hints_or_a_given_schema() -> None:
    def area(width: float, height: float = 1.0) -> float:
        """Area of a rectangle."""
        return width * height

    hinted = from_callable(area)
    assert (
        hinted.spec.parameters["required"] == ["width"]
        and hinted.description == "Area of a rectangle."
    )

    def untyped(**kwargs):  # type: ignore[no-untyped-def]
        """Look a record up.

        Longer text the model does not need."""
        return sorted(kwargs.items())

    schema = {
        "type": "object",
        "properties": {"key": {"type": "string"}, "n": {"type": "integer", "minimum": 1}},
        "required": ["key"],
        "additionalProperties": False,
    }
    wrapped = from_callable(untyped, name="lookup", parameters=schema)
    assert wrapped.spec.parameters == schema
    assert wrapped.description == "Look a record up."
    assert wrapped.validate({"key": "a", "n": 2}) == {"key": "a", "n": 2}
    with pytest.raises(ArgumentsError) as caught:
        wrapped.validate({"n": 0, "extra": True})
    assert [e["loc"] for e in caught.value.errors()] == [("key",), ("n",), ("extra",)]
    with pytest.raises(UsageError, match="type 'object'"):
        from_callable(untyped, name="bad", parameters={"type": "string"})


async def test_from_command_fills_placeholders_as_single_arguments(tmp_path: Path) -> None:
    tool = from_command(
        "say",
        ["echo", "-n", "{greeting}", "--to={name}"],
        parameters={"greeting": str, "name": {"type": "string", "description": "Who."}},
        root=tmp_path,
    )
    assert tool.spec.parameters["required"] == ["greeting", "name"]
    assert tool.spec.parameters["properties"]["name"]["description"] == "Who."
    result = await tool.function(greeting="hi; rm -rf * && echo", name="$(whoami)")
    assert result["stdout"] == "hi; rm -rf * && echo --to=$(whoami)"
    with pytest.raises(Refused) as caught:
        await tool.function(greeting="/etc/passwd", name="x")
    assert caught.value.rule == "path_args"


async def test_from_command_keeps_the_process_rules(tmp_path: Path) -> None:
    py = Path(sys.executable)
    loud = from_command(
        "loud",
        [py.name, "-c", "print('x' * {n})"],
        parameters={"n": int},
        root=tmp_path,
        max_output_bytes=1000,
        env={"PATH": f"{py.parent}{os.pathsep}/usr/bin:/bin"},
    )
    assert (await loud.function(n=3))["stdout"] == "xxx\n"
    with pytest.raises(Refused, match=r"Refused \(max_output_bytes\)"):
        await loud.function(n=100_000)
    with pytest.raises(UsageError, match="starts with the program"):
        from_command("x", ["{program}", "a"], root=tmp_path)
    with pytest.raises(UsageError, match="no placeholder"):
        from_command("x", ["echo"], parameters={"n": int}, root=tmp_path)


async def test_from_endpoint(echo_all: LocalServer) -> None:
    get = from_endpoint(
        "get_item",
        f"{echo_all.url}/items/{{item_id}}",
        parameters={"verbose": bool},
        headers={"Authorization": "Bearer secret-token"},
        **LOCAL,
    )
    assert get.spec.parameters["required"] == ["item_id"]
    assert "secret-token" not in json.dumps(get.spec.to_dict())
    seen = await get.function(item_id="../admin?x=1", verbose=True)
    assert seen["path"] == "/items/..%2Fadmin%3Fx%3D1?verbose=true"
    assert seen["headers"]["authorization"] == "Bearer secret-token"
    post = from_endpoint(
        "create", f"{echo_all.url}/items", method="POST", parameters={"name": str}, **LOCAL
    )
    seen = await post.function(name="pen")
    assert (seen["method"], json.loads(seen["body"])) == ("POST", {"name": "pen"})


async def test_from_endpoint_keeps_the_http_rules(local_server: LocalServer) -> None:
    tool = from_endpoint("get", f"{local_server.url}/missing-page")
    with pytest.raises(Refused) as caught:
        await tool.function()
    assert caught.value.rule == "private_address"
    redirecting = from_endpoint("go", f"{local_server.url}/to-evil", **LOCAL)
    with pytest.raises(Refused) as caught:
        await redirecting.function()
    assert caught.value.rule == "allow_hosts"
    with pytest.raises(ToolError, match="HTTP 404: gone"):
        await from_endpoint("gone", f"{local_server.url}/missing-page", **LOCAL).function()


def petstore(url: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Pets", "version": "1"},
        "servers": [{"url": f"{url}/v1"}],
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "summary": "List pets.",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "maximum": 100},
                        },
                        {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                        {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                    ],
                },
                "post": {
                    "operationId": "createPet",
                    "description": "Create a pet.",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}
                        },
                    },
                },
            },
            "/pets/{petId}": {
                "parameters": [{"$ref": "#/components/parameters/PetId"}],
                "get": {"operationId": "show.pet", "summary": "One pet."},
            },
        },
        "components": {
            "parameters": {
                "PetId": {
                    "name": "petId",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
            "schemas": {
                "Pet": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "tag": {"type": "string"}},
                    "required": ["name"],
                }
            },
        },
    }


async def test_from_openapi_builds_schemas_and_calls(echo_all: LocalServer) -> None:
    tools = {t.name: t for t in from_openapi(petstore(echo_all.url), **LOCAL)}
    assert list(tools) == ["listPets", "createPet", "show_pet"]
    assert tools["listPets"].spec.parameters == {
        "type": "object",
        "properties": {"limit": {"type": "integer", "maximum": 100}, "X-Trace": {"type": "string"}},
        "required": [],
    }
    assert tools["createPet"].spec.parameters["properties"]["body"]["required"] == ["name"]
    assert tools["createPet"].spec.parameters["required"] == ["body"]
    assert tools["show_pet"].spec.parameters["required"] == ["petId"]
    seen = await tools["listPets"].function(limit=5, **{"X-Trace": "t1"})
    assert (seen["path"], seen["headers"]["x-trace"]) == ("/v1/pets?limit=5", "t1")
    seen = await tools["createPet"].function(body={"name": "Rex"})
    assert (seen["method"], json.loads(seen["body"])) == ("POST", {"name": "Rex"})
    seen = await tools["show_pet"].function(petId="a/b")
    assert seen["path"] == "/v1/pets/a%2Fb"


async def test_from_openapi_selection_and_rules(tmp_path: Path, local_server: LocalServer) -> None:
    path = tmp_path / "pets.json"
    path.write_text(json.dumps(petstore(local_server.url)))
    [only] = from_openapi(path, operations=["createPet"], prefix="pets_", **LOCAL)
    assert only.name == "pets_createPet"
    with pytest.raises(UsageError, match="No operation with operationId 'nope'"):
        from_openapi(path, operations=["nope"])
    with pytest.raises(UsageError, match="OpenAPI 3"):
        from_openapi({"swagger": "2.0"})
    with pytest.raises(UsageError, match="base_url"):
        from_openapi({"openapi": "3.1.0", "paths": {}})
    [listed] = from_openapi(path, operations=["listPets"])  # loopback not allowed by default
    with pytest.raises(Refused, match=r"Refused \(private_address\)"):
        await listed.function()
    elsewhere = from_openapi(
        path,
        operations=["listPets"],
        base_url="http://evil.example",
        allow_hosts=["api.example.com"],
    )
    with pytest.raises(Refused, match=r"Refused \(allow_hosts\)"):
        await elsewhere[0].function()


@pytest.mark.parametrize("value", ["..", ".", ""])
async def test_path_parameters_cannot_climb_or_add_segments(
    echo_all: LocalServer, value: str
) -> None:
    endpoint = from_endpoint(
        "issues", f"{echo_all.url}/api/repos/{{owner}}/{{repo}}/issues", **LOCAL
    )
    [operation] = from_openapi(
        {
            "openapi": "3.0.3",
            "servers": [{"url": f"{echo_all.url}/api"}],
            "paths": {
                "/repos/{owner}/{repo}/issues": {
                    "get": {
                        "operationId": "issues",
                        "parameters": [
                            {"name": n, "in": "path", "schema": {"type": "string"}}
                            for n in ("owner", "repo")
                        ],
                    }
                }
            },
        },
        **LOCAL,
    )
    for tool in (endpoint, operation):
        with pytest.raises(Refused) as caught:
            await tool.function(owner=value, repo=value)
        assert caught.value.rule == "path_value"
        assert "one path segment" in str(caught.value)


async def test_path_parameters_that_only_look_like_dots_stay_one_segment(
    echo_all: LocalServer,
) -> None:
    tool = from_endpoint("issues", f"{echo_all.url}/api/repos/{{owner}}/{{repo}}/issues", **LOCAL)
    seen = await tool.function(owner="%2e%2e", repo="a..b")
    assert seen["path"] == "/api/repos/%252e%252e/a..b/issues"
    seen = await tool.function(owner="../..", repo="x/../y")
    assert seen["path"] == "/api/repos/..%2F../x%2F..%2Fy/issues"


def test_from_openapi_reads_yaml_through_the_bounded_loader(tmp_path: Path, yaml_bomb: str) -> None:
    path = tmp_path / "pets.yaml"
    operation = "paths:\n  /pets:\n    get:\n      operationId: listPets\n"
    path.write_text("openapi: 3.0.3\nservers: [{url: 'https://api.example.com'}]\n" + operation)
    assert [t.name for t in from_openapi(path)] == ["listPets"]
    # The bomb's schema would be inlined (expanded) into the tool's parameters.
    path.write_text(
        "openapi: 3.0.3\nservers: [{url: 'https://api.example.com'}]\n"
        + operation
        + "      parameters:\n"
        + "        - {name: q, in: query, schema: {$ref: '#/components/schemas/Bomb'}}\n"
        + f"components:\n  schemas:\n    Bomb: {{type: object, default: {yaml_bomb}}}\n"
    )
    with pytest.raises(UsageError, match="pets.yaml is refused as YAML: .*alias bomb"):
        from_openapi(path)


def test_from_openapi_reads_json_through_the_bounded_reader(tmp_path: Path) -> None:
    path = tmp_path / "pets.json"
    deep = "[" * 100_000 + "]" * 100_000  # json.loads alone: a raw RecursionError
    path.write_text('{"openapi": "3.0.3", "paths": {}, "x-deep": ' + deep + "}")
    with pytest.raises(UsageError, match="pets.json is refused as JSON: it nests more than 100"):
        from_openapi(path)
    with pytest.raises(UsageError, match="No such file: .*missing.json"):
        from_openapi(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("template", "values"),
    [
        (["echo", "{pattern}", "a.txt"], {"pattern": "-f/etc/passwd"}),  # an attached value
        (["echo", "{pattern}", "a.txt"], {"pattern": "-o../x"}),
        (["echo", "{a}.{b}"], {"a": ".", "b": ""}),  # '..' made of two harmless values
        (["echo", "data{name}"], {"name": ":/etc/passwd"}),
        (["echo", "--to={name}/etc"], {"name": ""}),  # an empty value makes '--to=/etc'
        (["echo", "https://example.com/{city}"], {"city": "x:/etc"}),
        (["echo", "/srv/data/{name}"], {"name": ".."}),
    ],
)
async def test_from_command_checks_the_argument_a_value_lands_in(
    tmp_path: Path, template: list[str], values: dict[str, str]
) -> None:
    tool = from_command("cmd", template, root=tmp_path, allow_options=list(values))
    with pytest.raises(Refused) as caught:
        await tool.function(**values)
    assert caught.value.rule == "path_args"


async def test_from_command_template_text_is_trusted_but_values_are_not(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    (tmp_path / "root").mkdir()
    root = tmp_path / "root"
    web = from_command("web", ["echo", "https://example.com/{city}?format=3"], root=root)
    assert (await web.function(city="Paris"))["stdout"] == "https://example.com/Paris?format=3\n"
    shared = from_command("shared", ["cat", f"{tmp_path}/{{name}}"], root=root)
    assert (await shared.function(name="outside.txt"))["stdout"] == "secret"
    reader = from_command("reader", ["cat", "{name}"], root=root)
    for name in ("../outside.txt", str(outside), "x ../outside.txt"):
        with pytest.raises(Refused) as caught:
            await reader.function(name=name)
        assert caught.value.rule == "path_args"


async def test_a_value_that_would_be_read_as_an_option_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "list.txt"  # outside the root, named by the template itself
    shared.write_text("b\na\n")
    (tmp_path / "root").mkdir()
    root = tmp_path / "root"
    sorter = from_command("sorter", ["sort", "{order}", str(shared)], root=root)
    for order in ("-o", "--output=x", "-r", "+1", "-"):
        with pytest.raises(Refused) as caught:
            await sorter.function(order=order)  # sort -o <shared> would empty the file
        assert caught.value.rule == "option_value"
        assert "'order'" in str(caught.value) and "allow_options" in str(caught.value)
    assert shared.read_text() == "b\na\n"
    reverse = from_command(
        "reverse",
        ["sort", "{order}", str(shared)],
        parameters={"order": {"type": "string", "enum": ["-r", "-n"]}},
        root=root,
        allow_options=["order"],
    )
    assert (await reverse.function(order="-r"))["stdout"] == "b\na\n"
    # only where a value starts an argument (after empty values, too); a negative number as well
    say = from_command(
        "say", ["echo", "{a}{b}", "--to={c}", "x{d}", "{n}"], parameters={"n": int}, root=root
    )
    result = await say.function(a="x", b="-n", c="-r", d="-y", n=3)
    assert result["stdout"] == "x-n --to=-r x-y 3\n"
    for values in ({"a": "", "b": "-n"}, {"n": -5}):
        with pytest.raises(Refused, match=r"Refused \(option_value\)"):
            await say.function(**{"a": "x", "b": "y", "c": "z", "d": "w", "n": 1, **values})
    with pytest.raises(UsageError, match="not parameters of the template"):
        from_command("x", ["echo", "{a}"], root=root, allow_options=["b"])
    with pytest.raises(UsageError, match="list of parameter names"):
        from_command("x", ["echo", "{a}"], root=root, allow_options="a")


async def test_an_endpoint_answer_nested_too_deeply_is_given_as_text(
    local_server: LocalServer,
) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    local_server.routes["/deep"] = lambda h, b: (200, {"content-type": "application/json"}, deep)
    local_server.routes["/flat"] = lambda h, b: (200, {"content-type": "application/json"}, b"[1]")
    assert await from_endpoint("flat", f"{local_server.url}/flat", **LOCAL).function() == [1]
    answer = await from_endpoint("deep", f"{local_server.url}/deep", **LOCAL).function()
    assert answer == deep.decode()
