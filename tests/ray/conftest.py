"""One local Ray cluster for the Ray tests (started once: Ray takes seconds to start).

The cluster is started the way ``RayExecutor()`` starts one (loopback only, 2 CPUs, a small
object store, no dashboard). Test modules whose objects go to the workers register themselves
to be pickled by value (``cloudpickle().register_pickle_by_value``): the workers cannot import
test modules by name.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from llmkit.errors import MissingExtraError
from llmkit.workflow._ray import RayExecutor
from llmkit.workflow._ray_local import import_ray

collect_ignore_glob: list[str] = []
try:
    # Ray is imported the way a local cluster needs it (it reads its address setting then).
    import_ray(local=True)
except MissingExtraError:  # the ray extra is not installed (make install-dev installs it)
    collect_ignore_glob.append("test_*.py")

# The workers inherit the environment the cluster starts with: the models' key comes from here.
WORKER_KEY = "sk-worker-env-key-0000"


@pytest.fixture(scope="session")
def ray_executor() -> Iterator[RayExecutor]:
    """A started ``RayExecutor`` on a local loopback cluster of 2 CPUs, shared by the session.

    The cluster starts with ``OPENAI_API_KEY`` set (its workers keep it); this process's
    environment is put back at once, so no test outside tests/ray sees the key.
    """
    saved = os.environ.get("OPENAI_API_KEY")
    os.environ["OPENAI_API_KEY"] = WORKER_KEY
    executor = RayExecutor(num_cpus=2, object_store_memory=100 * 1024 * 1024)
    try:
        asyncio.run(executor.start())
    finally:
        if saved is None:
            del os.environ["OPENAI_API_KEY"]
        else:
            os.environ["OPENAI_API_KEY"] = saved
    yield executor
    asyncio.run(executor.aclose())


@pytest.fixture(autouse=True)
def worker_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process has the key the workers have (the in-process runs the tests compare with)."""
    monkeypatch.setenv("OPENAI_API_KEY", WORKER_KEY)
