"""pytest fixtures of the llmkit testing kit (registered through the ``pytest11`` entry point).

- ``llmkit_fake_server``: a running :class:`~llmkit.testing.FakeProviderServer`,
  shared by the whole session and reset before each test.

Importing this module is cheap: the server (starlette, uvicorn) is imported
only when a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from llmkit.testing.server import FakeProviderServer

__all__ = ["llmkit_fake_server"]


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
