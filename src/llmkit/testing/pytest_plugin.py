"""pytest fixtures and markers of the llmkit testing kit (registered through the ``pytest11`` entry point).

Fixtures:

- ``llmkit_fake_server``: a running :class:`~llmkit.testing.FakeProviderServer`,
  shared by the whole session and reset before each test;
- ``llmkit_model``: a factory, ``llmkit_model("anthropic")`` is a model talking
  to that server in the Anthropic protocol (also openai, gemini, ollama);
- ``llmkit_scripted_model``: a factory of :class:`~llmkit.testing.ScriptedModel`
  that fails the test if a scripted turn was never used;
- ``llmkit_block_network``: real model requests fail for this test;
- ``llmkit_cassette``: a :class:`~llmkit.testing.cassettes.Cassette`, replaying
  ``cassettes/<name>.jsonl`` beside the test (``with llmkit_cassette.use(agent): ...``),
  or recording it with ``pytest --llmkit-record``.

Markers and options:

- ``@pytest.mark.llmkit_block_network`` (optionally ``allow=[hosts]``): any model request
  to a host other than 127.0.0.1/localhost fails the test, even if the code caught the error;
- ``llmkit_block_network = true`` in the ini file does it for every test, and
  ``@pytest.mark.llmkit_allow_network`` exempts one; ``llmkit_allowed_hosts`` lists more hosts;
- ``@pytest.mark.llmkit_cassette("name")`` names a test's cassette (default: the test's name);
  ``--llmkit-record`` records cassettes against the real models instead of replaying them.

Importing this module is cheap: the server (starlette, uvicorn) is imported
only when a test asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from llmkit.providers.base import Model
    from llmkit.testing.cassettes import Cassette
    from llmkit.testing.models import ScriptedModel
    from llmkit.testing.network import NetworkBlock
    from llmkit.testing.server import FakeProviderServer

__all__ = [
    "llmkit_block_network",
    "llmkit_cassette",
    "llmkit_fake_server",
    "llmkit_model",
    "llmkit_scripted_model",
    "pytest_addoption",
    "pytest_configure",
    "pytest_runtest_call",
]

_BLOCK_KEY = pytest.StashKey["NetworkBlock"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """The command-line and ini options of the kit."""
    group = parser.getgroup("llmkit")
    group.addoption(
        "--llmkit-record",
        action="store_true",
        default=False,
        help="record llmkit cassettes against the real models (their API keys must be set) "
        "instead of replaying them",
    )
    parser.addini(
        "llmkit_block_network",
        "Fail every test that sends a model request to a host other than 127.0.0.1/localhost.",
        type="bool",
        default=False,
    )
    parser.addini(
        "llmkit_allowed_hosts",
        "More hosts model requests may reach while the network is blocked.",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the kit's markers (so ``--strict-markers`` accepts them)."""
    config.addinivalue_line(
        "markers",
        "llmkit_block_network(allow=[]): fail the test if it sends a model request to a "
        "host other than 127.0.0.1/localhost (or the hosts in allow).",
    )
    config.addinivalue_line(
        "markers", "llmkit_allow_network: exempt this test from llmkit_block_network = true."
    )
    config.addinivalue_line(
        "markers",
        "llmkit_cassette(name): the llmkit_cassette fixture replays cassettes/<name>.jsonl "
        "beside the test (records it with --llmkit-record).",
    )


# ------------------------------------------------------------- the fake server


@pytest.fixture(scope="session")
def _llmkit_session_server() -> Iterator[FakeProviderServer]:
    from llmkit.testing.server import FakeProviderServer

    with FakeProviderServer() as server:
        yield server


@pytest.fixture
def llmkit_fake_server(_llmkit_session_server: FakeProviderServer) -> FakeProviderServer:
    """A running fake provider server with no script and no recorded requests.

    Load the test's script with ``llmkit_fake_server.script([...])``; point
    clients at ``llmkit_fake_server.openai_base_url``.
    """
    _llmkit_session_server.reset()
    return _llmkit_session_server


@pytest.fixture
def llmkit_model(llmkit_fake_server: FakeProviderServer) -> Callable[..., Model]:
    """A factory of models talking to ``llmkit_fake_server``: ``llmkit_model("anthropic")``.

    ``llmkit_model(protocol="openai", *, model_id=None, **options)``; the
    protocol is openai, anthropic, gemini or ollama; ``options`` go to
    :func:`llmkit.model` (``retry=`` …).
    """
    from llmkit.testing._connect import fake_model

    def build(protocol: str = "openai", /, **options: Any) -> Model:
        return fake_model(llmkit_fake_server, protocol, **options)

    return build


@pytest.fixture
def llmkit_scripted_model() -> Iterator[Callable[..., ScriptedModel]]:
    """A factory of :class:`~llmkit.testing.ScriptedModel`; a list turn never used fails the test.

    ``llmkit_scripted_model(turns, *, strict=True, **options)``; with
    ``strict=False`` unused turns are allowed.
    """
    from llmkit._plural import plural
    from llmkit.testing.models import ScriptedModel

    made: list[tuple[ScriptedModel, int]] = []

    def build(script: Any, /, *, strict: bool = True, **options: Any) -> ScriptedModel:
        model = ScriptedModel(script, **options)
        if strict and isinstance(script, Sequence) and not isinstance(script, str):
            made.append((model, len(script)))
        return model

    yield build
    for model, turns in made:
        used = len(model.requests)
        if used < turns:
            pytest.fail(
                f"{turns - used} of {turns} scripted turns were never used: the code made "
                f"{plural(used, 'model call')}. Remove the extra turns, or pass strict=False.",
                pytrace=False,
            )


# -------------------------------------------------------------------- cassettes


@pytest.fixture
def llmkit_cassette(request: pytest.FixtureRequest) -> Cassette:
    """This test's cassette: ``with llmkit_cassette.use(agent): ...`` replays (or records) its runs.

    The name comes from ``@pytest.mark.llmkit_cassette("name")``, else from the test.
    """
    from llmkit.testing.cassettes import Cassette, cassette_path

    marker = request.node.get_closest_marker("llmkit_cassette")
    name = None
    if marker is not None:
        name = marker.args[0] if marker.args else marker.kwargs.get("name")
    path = cassette_path(request.node.path, str(name or request.node.name))
    return Cassette(path, record=bool(request.config.getoption("llmkit_record")))


# ------------------------------------------------------------ the network guard


def _start_block(allow: Sequence[str]) -> NetworkBlock:
    from llmkit.testing.network import block_network

    return block_network(allow=allow)


@pytest.fixture
def llmkit_block_network(request: pytest.FixtureRequest) -> Iterator[NetworkBlock]:
    """Real model requests fail for this test (only 127.0.0.1/localhost may be reached)."""
    item = request.node
    block = item.stash.get(_BLOCK_KEY, None)
    if block is not None:
        yield block
        return
    block = _start_block(request.config.getini("llmkit_allowed_hosts"))
    item.stash[_BLOCK_KEY] = block
    try:
        yield block
    finally:
        block.release()


@pytest.fixture(autouse=True)
def _llmkit_network_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    item = request.node
    marker = item.get_closest_marker("llmkit_block_network")
    suite_wide = request.config.getini("llmkit_block_network")
    exempt = item.get_closest_marker("llmkit_allow_network") is not None
    if marker is None and (not suite_wide or exempt):
        yield
        return
    hosts = list(request.config.getini("llmkit_allowed_hosts"))
    if marker is not None:
        hosts += list(marker.kwargs.get("allow", ()))
    block = _start_block(hosts)
    item.stash[_BLOCK_KEY] = block
    try:
        yield
    finally:
        block.release()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Fail a test that passed although the network guard refused one of its requests."""
    yield
    block = item.stash.get(_BLOCK_KEY, None)
    if block is not None and block.blocked:
        where = ", ".join(f"{b.provider} {b.url}" for b in block.blocked)
        pytest.fail(
            f"The test sent model requests the network guard blocked ({where}) and carried "
            "on: tests must not reach real providers. Use the fake provider server, a "
            "ScriptedModel or a cassette.",
            pytrace=False,
        )
