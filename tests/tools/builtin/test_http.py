"""The HTTP family against a server on 127.0.0.1: allow-lists, private addresses, redirects, limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from llmkit.errors import ToolError, UsageError
from llmkit.tools import Tool
from llmkit.tools._deadline import call_limit
from llmkit.tools.builtin import NetPolicy, Refused, http
from llmkit.tools.builtin._http import html_to_text, readable
from llmkit.tools.builtin._net import Fetched

from .conftest import LocalServer, TickingClock

pytestmark = pytest.mark.anyio

LOCAL = {"allow_hosts": ["127.0.0.1"], "allow_networks": ["127.0.0.1/32"]}


def tools(**options: Any) -> dict[str, Tool[..., Any]]:
    return {t.name: t for t in http(**options)}


def resolver(table: dict[str, list[str]]) -> Callable[[str, int], Any]:
    calls: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        if host not in table:
            raise OSError("no such host")
        return table[host]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


async def test_fetch_text_reads_html_as_text(local_server: LocalServer) -> None:
    text = await tools(**LOCAL)["fetch_text"].function(f"{local_server.url}/page")
    assert text == "# Test page\n\nHello\nFirst paragraph with a link .\n- one\n- two"
    assert json.loads(await tools(**LOCAL)["fetch_text"].function(f"{local_server.url}/json")) == {
        "a": [1, 2]
    }


def test_a_json_page_nested_too_deeply_is_given_as_it_came() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000  # json.loads alone: a RecursionError
    page = Fetched("https://x.test/", 200, {"content-type": "application/json"}, deep)
    assert readable(page) == deep.decode()
    page = Fetched("https://x.test/", 200, {"content-type": "application/json"}, b'{"a":[1]}')
    assert readable(page) == '{\n "a": [\n  1\n ]\n}'


async def test_http_request_returns_status_headers_and_body(local_server: LocalServer) -> None:
    result = await tools(**LOCAL)["http_request"].function(f"{local_server.url}/json")
    assert result["status"] == 200
    assert result["headers"]["content-type"] == "application/json"
    assert result["body"] == '{"a": [1, 2]}'
    image = await tools(**LOCAL)["http_request"].function(f"{local_server.url}/image")
    assert image["body"] == "[12 bytes of image/png]"


async def test_loopback_is_refused_unless_allowed(local_server: LocalServer) -> None:
    with pytest.raises(Refused) as caught:
        await tools(allow_hosts=["127.0.0.1"])["fetch_text"].function(f"{local_server.url}/page")
    assert caught.value.rule == "private_address"


@pytest.mark.parametrize(
    "host",
    ["2130706433", "0x7f.1", "017700000001", "127.1", "[::ffff:127.0.0.1]", "[::1]", "0.0.0.0"],
)
async def test_other_spellings_of_private_addresses_are_refused(
    local_server: LocalServer, host: str
) -> None:
    t = tools(allow_hosts=["*"])
    with pytest.raises(Refused) as caught:
        await t["fetch_text"].function(f"http://{host}:{local_server.port}/page")
    assert caught.value.rule == "private_address"


@pytest.mark.parametrize(
    "address", ["10.1.2.3", "192.168.0.1", "169.254.169.254", "224.0.0.1", "100.64.0.1", "fe80::1"]
)
async def test_private_link_local_and_multicast_addresses_are_refused(address: str) -> None:
    t = tools(allow_hosts=["*"], resolver=resolver({"inside.test": [address]}))
    with pytest.raises(Refused, match=r"Refused \(private_address\)"):
        await t["fetch_text"].function("http://inside.test/")


async def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    t = tools(allow_hosts=["*"], resolver=resolver({"mixed.test": ["93.184.216.34", "127.0.0.1"]}))
    with pytest.raises(Refused, match=r"Refused \(private_address\)"):
        await t["fetch_text"].function("http://mixed.test/")


async def test_a_host_that_only_looks_like_an_allowed_ip_is_refused(
    local_server: LocalServer,
) -> None:
    url = f"http://127.0.0.1.example.com:{local_server.port}/page"
    with pytest.raises(Refused) as caught:
        await tools(**LOCAL)["fetch_text"].function(url)
    assert caught.value.rule == "allow_hosts"
    # Allowed by name, it still resolves to loopback, which is refused.
    dns = resolver({"127.0.0.1.example.com": ["127.0.0.1"]})
    with pytest.raises(Refused) as caught:
        await tools(allow_hosts=["*.example.com"], resolver=dns)["fetch_text"].function(url)
    assert caught.value.rule == "private_address"


@pytest.mark.parametrize(
    "url", ["http://localhost/", "http://evil.example/", "http://example.com.evil.test/"]
)
async def test_hosts_off_the_allow_list_are_refused_before_any_lookup(url: str) -> None:
    dns = resolver({})
    t = tools(allow_hosts=["example.com", "*.example.org"], resolver=dns)
    with pytest.raises(Refused) as caught:
        await t["http_request"].function(url)
    assert caught.value.rule == "allow_hosts"
    assert dns.calls == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com"]
)
async def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(Refused) as caught:
        await tools(allow_hosts=["*"])["fetch_text"].function(url)
    assert caught.value.rule == "scheme"


async def test_the_connection_goes_to_the_checked_address(local_server: LocalServer) -> None:
    dns = resolver({"service.test": ["127.0.0.1"]})
    t = tools(allow_hosts=["service.test"], allow_networks=["127.0.0.1/32"], resolver=dns)
    seen = json.loads(
        (await t["http_request"].function(f"http://service.test:{local_server.port}/echo"))["body"]
    )
    assert seen["headers"]["host"] == f"service.test:{local_server.port}"
    assert dns.calls == ["service.test"]  # type: ignore[attr-defined]


async def test_redirects_are_followed_and_checked_again(local_server: LocalServer) -> None:
    t = tools(**LOCAL)
    result = await t["http_request"].function(f"{local_server.url}/to-page")
    assert result["status"] == 200 and result["redirects"] == [f"{local_server.url}/page"]
    with pytest.raises(Refused) as caught:
        await t["fetch_text"].function(f"{local_server.url}/to-evil")
    assert caught.value.rule == "allow_hosts"
    assert "redirected to http://evil.example/steal" in str(caught.value)
    wide = tools(allow_hosts=["127.0.0.1", "169.254.169.254"], allow_networks=["127.0.0.1/32"])
    with pytest.raises(Refused) as caught:
        await wide["fetch_text"].function(f"{local_server.url}/to-metadata")
    assert caught.value.rule == "private_address"
    with pytest.raises(Refused) as caught:
        await t["fetch_text"].function(f"{local_server.url}/loop")
    assert caught.value.rule == "max_redirects"


async def test_size_limits(local_server: LocalServer) -> None:
    t = tools(**LOCAL, max_bytes=1000)
    with pytest.raises(Refused) as caught:
        await t["fetch_text"].function(f"{local_server.url}/big")
    assert caught.value.rule == "max_bytes"
    # /endless never ends: only stopping at max_bytes returns (else the time limit refuses).
    with pytest.raises(Refused, match=r"Refused \(max_bytes\)"):
        await t["http_request"].function(f"{local_server.url}/endless")
    clipped = await tools(**LOCAL, max_chars=100)["fetch_text"].function(f"{local_server.url}/big")
    assert clipped.startswith("y" * 100) and "199,900 more characters not shown" in clipped


async def test_time_limit(local_server: LocalServer) -> None:
    # /slow answers only after the test (a minute at most): a refusal before is the time limit.
    with pytest.raises(Refused) as caught:
        await tools(**LOCAL, timeout=0.3)["fetch_text"].function(f"{local_server.url}/slow")
    assert caught.value.rule == "timeout"


async def test_methods_are_read_only_by_default(local_server: LocalServer) -> None:
    with pytest.raises(Refused) as caught:
        await tools(**LOCAL)["http_request"].function(f"{local_server.url}/echo", method="DELETE")
    assert caught.value.rule == "allow_methods"
    t = tools(**LOCAL, methods=["GET", "POST"], headers={"X-Api-Key": "k-123"})
    result = await t["http_request"].function(
        f"{local_server.url}/echo",
        method="post",
        json_body={"q": 1},
        headers={"x-api-key": "forged"},
    )
    seen = json.loads(result["body"])
    assert (seen["method"], seen["body"]) == ("POST", '{"q": 1}')
    assert seen["headers"]["x-api-key"] == "k-123"  # the model cannot replace configured headers
    moved = await t["http_request"].function(
        f"{local_server.url}/post-to-echo", method="POST", body="x"
    )
    assert json.loads(moved["body"])["method"] == "GET"


async def test_not_text_and_errors(local_server: LocalServer) -> None:
    t = tools(**LOCAL)
    with pytest.raises(Refused) as caught:
        await t["fetch_text"].function(f"{local_server.url}/image")
    assert caught.value.rule == "content_type"
    with pytest.raises(ToolError, match="HTTP 404"):
        await t["fetch_text"].function(f"{local_server.url}/missing-page")
    with pytest.raises(ToolError, match="Cannot resolve"):
        await tools(allow_hosts=["*"], resolver=resolver({}))["fetch_text"].function(
            "http://nx.test/"
        )


def test_bad_configuration() -> None:
    with pytest.raises(UsageError, match="allow_hosts"):
        http(allow_hosts=[])
    with pytest.raises(UsageError, match="not one string"):
        http(allow_hosts="example.com")
    with pytest.raises(UsageError, match="allow_networks"):
        http(allow_hosts=["*"], allow_networks=["not a network"])


async def test_configured_headers_never_follow_a_redirect_to_another_origin(
    local_server: LocalServer, other_server: LocalServer
) -> None:
    local_server.routes["/to-other"] = lambda h, b: (
        302,
        {"location": f"{other_server.url}/echo"},
        b"",
    )
    local_server.routes["/to-echo"] = lambda h, b: (302, {"location": "/echo"}, b"")
    configured = {"X-API-Key": "k-123", "Authorization": "Bearer t-456", "X-Team": "blue"}
    t = tools(**LOCAL, headers=configured)
    same = await t["http_request"].function(f"{local_server.url}/to-echo")
    kept = json.loads(same["body"])["headers"]
    assert (kept["x-api-key"], kept["authorization"], kept["x-team"]) == (
        "k-123",
        "Bearer t-456",
        "blue",
    )
    moved = await t["http_request"].function(
        f"{local_server.url}/to-other", headers={"Cookie": "c=1", "X-Trace": "t1"}
    )
    assert moved["url"] == f"{other_server.url}/echo"  # another port: another origin
    seen = json.loads(moved["body"])["headers"]
    assert not {"x-api-key", "authorization", "x-team", "cookie"} & set(seen)
    assert seen["x-trace"] == "t1"  # the model's own harmless headers still go
    assert "k-123" not in moved["body"] and "t-456" not in moved["body"]


EMBEDDING_PRIVATE_IPV4 = [
    "::127.0.0.1",  # IPv4-compatible
    "::a9fe:a9fe",  # IPv4-compatible, 169.254.169.254
    "::ffff:0:7f00:1",  # IPv4-translated (SIIT)
    "64:ff9b::a9fe:a9fe",  # NAT64, well-known prefix
    "64:ff9b::a00:1",  # NAT64 to 10.0.0.1
    "64:ff9b:1::a9fe:a9fe",  # NAT64, local-use prefix
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "2002:c0a8:1::1",  # 6to4 of 192.168.0.1
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
]


@pytest.mark.parametrize("address", EMBEDDING_PRIVATE_IPV4)
async def test_ipv6_addresses_that_carry_a_private_ipv4_are_refused(address: str) -> None:
    t = tools(allow_hosts=["*"], resolver=resolver({"inside.test": [address]}))
    with pytest.raises(Refused) as caught:
        await t["fetch_text"].function("http://inside.test/")
    assert caught.value.rule == "private_address"
    mixed = tools(allow_hosts=["*"], resolver=resolver({"mixed.test": ["8.8.8.8", address]}))
    with pytest.raises(Refused) as caught:
        await mixed["fetch_text"].function("http://mixed.test/")
    assert caught.value.rule == "private_address"


@pytest.mark.parametrize("host", ["[::127.0.0.1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]"])
async def test_ipv6_literals_that_carry_loopback_are_refused(
    local_server: LocalServer, host: str
) -> None:
    with pytest.raises(Refused) as caught:
        await tools(allow_hosts=["*"])["fetch_text"].function(
            f"http://{host}:{local_server.port}/page"
        )
    assert caught.value.rule == "private_address"
    assert "carries 127.0.0.1" in str(caught.value)


@pytest.mark.parametrize("host", ["[::a9fe:a9fe]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]"])
async def test_a_redirect_to_an_ipv6_literal_that_carries_a_private_ipv4_is_refused(
    local_server: LocalServer, host: str
) -> None:
    # Loopback is allowed as IPv4; a translator (NAT64, 6to4) reaching it is not.
    t = tools(allow_hosts=["*"], allow_networks=["127.0.0.1/32"])
    local_server.routes["/to-literal"] = lambda h, b: (
        302,
        {"location": f"http://{host}:{local_server.port}/page"},
        b"",
    )
    with pytest.raises(Refused) as caught:
        await t["fetch_text"].function(f"{local_server.url}/to-literal")
    assert caught.value.rule == "private_address"
    assert "carries" in str(caught.value)


@pytest.mark.parametrize(
    "address", ["64:ff9b::808:808", "2002:808:808::", "::ffff:8.8.8.8", "2606:4700::1111"]
)
async def test_ipv6_addresses_that_carry_a_public_ipv4_or_none_are_allowed(address: str) -> None:
    policy = NetPolicy.build(allow_hosts=["*"], resolver=resolver({"public.test": [address]}))
    assert await policy.address("public.test", 443) == address


BIG_PAGE = "<html><body>" + "<p>Some <b>words</b> here.</p>\n" * 20_000 + "</body></html>"


def test_a_time_limit_stops_reducing_a_large_page_part_way() -> None:
    clock = TickingClock()
    with pytest.raises(TimeoutError), call_limit(20, clock=clock):
        html_to_text(BIG_PAGE)
    assert clock.now < 40


async def test_fetch_text_stops_reducing_a_large_page_when_its_time_is_up(
    local_server: LocalServer,
) -> None:
    # The page is reduced in a worker thread (the event loop stays free); the call's
    # limit reaches it there.
    page = BIG_PAGE.encode()
    local_server.routes["/big"] = lambda h, b: (200, {"content-type": "text/html"}, page)
    clock = TickingClock()
    with pytest.raises(TimeoutError), call_limit(20, clock=clock):
        await tools(**LOCAL, max_bytes=10_000_000)["fetch_text"].function(f"{local_server.url}/big")
    assert clock.now < 40


# Whether each address is public, by IANA's special-purpose registries: llmkit's own table,
# so the verdict is the same on every Python (3.11's ipaddress calls fec0::/10, 3fff::/20
# and 5f00::/16 global; 3.13 still knows nothing of the last two).
PUBLIC_OR_NOT = {
    "8.8.8.8": True,
    "192.31.196.1": True,  # AS112-v4
    "192.52.193.1": True,  # AMT
    "192.175.48.1": True,  # AS112 direct delegation
    "0.0.0.0": False,
    "10.1.2.3": False,
    "100.64.0.1": False,
    "127.0.0.1": False,
    "169.254.169.254": False,
    "172.16.0.1": False,
    "192.0.0.9": False,  # PCP anycast: the nearest PCP server is often the local router
    "192.0.0.170": False,
    "192.0.2.1": False,
    "192.88.99.1": False,
    "192.168.1.1": False,
    "198.18.0.1": False,
    "198.51.100.1": False,
    "203.0.113.1": False,
    "224.0.0.1": False,
    "240.0.0.1": False,
    "255.255.255.255": False,
    "2606:4700::1111": True,
    "2620:4f:8000::1": True,  # AS112 direct delegation
    "2001:3::1": True,  # AMT
    "2001:4:112::1": True,  # AS112-v6
    "2001:20::1": True,  # ORCHIDv2
    "2001:30::1": True,  # drone remote ID
    "::": False,
    "::1": False,
    "fe80::1": False,
    "fec0::1": False,  # site-local (deprecated)
    "fc00::1": False,
    "fd12:3456::1": False,
    "ff02::1": False,
    "ff0e::1": False,  # global-scope multicast is still multicast
    "100::1": False,  # discard-only
    "100:0:0:1::1": False,  # dummy prefix
    "5f00::1": False,  # segment routing SIDs
    "3fff::1": False,  # documentation
    "2001:db8::1": False,  # documentation
    "2001:2::1": False,  # benchmarking
    "2001:10::1": False,  # ORCHID (deprecated)
    "2001:1::1": False,  # PCP anycast
    "2001:1::3": False,  # DNS-SD SRP anycast
    "4000::1": False,  # not allocated for unicast
    "64:ff9b:1::808:808": False,  # NAT64 local-use prefix
    "2001:0:4136:e378:8000:63bf:3fff:fdd2": False,  # Teredo
    "::ffff:8.8.8.8": True,
    "::8.8.8.8": True,
    "64:ff9b::808:808": True,
    "2002:808:808::1": True,
    "::ffff:100.64.0.1": False,
    "::ffff:192.0.0.9": False,
    "64:ff9b::c000:209": False,  # NAT64 of 192.0.2.9
    "2002:c000:0201::": False,  # 6to4 of 192.0.2.1
}


@pytest.mark.parametrize(("address", "expected"), PUBLIC_OR_NOT.items())
async def test_which_addresses_are_public_does_not_depend_on_the_python_version(
    address: str, expected: bool
) -> None:
    policy = NetPolicy.build(allow_hosts=["*"], resolver=resolver({"site.test": [address]}))
    if expected:
        assert await policy.address("site.test", 443) == address
        return
    with pytest.raises(Refused) as caught:
        await policy.address("site.test", 443)
    assert caught.value.rule == "private_address"
    assert "not a public address" in str(caught.value)
