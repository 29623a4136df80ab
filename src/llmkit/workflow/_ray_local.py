"""Reaching Ray: a local cluster kept on loopback, or an existing cluster within a bounded time.

A local cluster (``RayExecutor()`` with no address, in a process where Ray is not running
yet) is started with every address on 127.0.0.1 and without the outside probes Ray makes at
start-up even with usage stats off:

- ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``: Ray then takes 127.0.0.1 as the node's address
  instead of asking the kernel which address would reach a public DNS server (a UDP
  ``connect`` to 8.8.8.8 from the driver and from the runtime-env agent), so the GCS, the
  raylet, the object manager and the workers listen and talk on loopback only;
- ``RAY_USAGE_STATS_ENABLED=0``: nothing is reported;
- the dashboard process (started even with ``include_dashboard=False``, for its usage-stats
  module) asks three cloud metadata services (169.254.169.254, metadata.google.internal)
  which cloud it runs on, whatever the usage-stats setting. Its requests honour the
  ``http_proxy`` variables, so Ray's processes are started with a plain-HTTP proxy on a
  closed loopback port (``127.0.0.1:9``; loopback exempt through ``no_proxy``): the probe
  fails at once, on this machine. gRPC, which every Ray process talks through, is told to
  use no proxy (an empty ``grpc_proxy``, which it reads first), so Ray's own connections
  never go near it. The variables are set only while ``ray.init`` starts the processes
  and put back after; the workers get the driver's own values back through the job's
  ``runtime_env`` (so a model's requests from a worker go where they would from the
  driver). When the driver has any proxy variable set already, only ``grpc_proxy`` is
  set: the probe goes to that proxy, as every other request of the process would.

``tests/ray/test_ray_loopback.py`` proves it: it traces every ``connect`` of the run,
Ray's C++ processes included, and fails on any address off loopback.

An existing cluster (``address="auto"``, ``"host:port"``, ``"ray://host:port"``) must
answer within ``connect_timeout`` seconds, else a :class:`~llmkit.errors.ConfigurationError`
says so; a ``host:port`` is probed with a plain TCP connection first, so an address where
nothing listens fails at once.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from llmkit._optional import require
from llmkit.errors import ConfigurationError

__all__ = ["LOOPBACK_ENV", "connect", "import_ray", "loopback_env", "start_local"]

LOOPBACK_ENV: dict[str, str] = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
}
"""What a local cluster's processes (and the driver's own Ray import) need to stay on loopback."""

_DEAD_PROXY = "http://127.0.0.1:9"
# The metadata addresses are http:// ones: only the plain-HTTP proxy is set.
_PROXY_VARS = ("http_proxy", "HTTP_PROXY")
_NO_PROXY_VARS = ("no_proxy", "NO_PROXY")
_LOOPBACK_HOSTS = "127.0.0.1,localhost,::1"
# gRPC (every Ray process talks to the GCS and the raylet through it) takes grpc_proxy before
# http_proxy, and a set but empty grpc_proxy as "no proxy": Ray's own connections never go to
# the closed port, whatever gRPC makes of no_proxy.
_GRPC_PROXY = "grpc_proxy"
_ANY_PROXY = (*_PROXY_VARS, "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", _GRPC_PROXY)


def import_ray(*, local: bool) -> ModuleType:
    """Import ``ray`` (``MissingExtraError`` naming the ``ray`` extra when missing).

    ``local``: set :data:`LOOPBACK_ENV` first (Ray reads the node-address setting when it is
    imported), unless the variables are already set. ``ConfigurationError`` when usearch's C++
    library was loaded first: Ray's core would abort the process when it starts.
    """
    if "usearch.compiled" in sys.modules and "ray._raylet" not in sys.modules:
        raise ConfigurationError(
            "RayExecutor: usearch (the hnsw index of llmkit's vector stores) is loaded in this "
            "process, and Ray's core aborts the whole process when it starts after usearch's "
            "C++ library (their regular-expression code clashes). Import ray, or start the "
            "RayExecutor, before the first index='hnsw' store is used, or use index='exact' "
            "in this process."
        )
    if local and "ray" not in sys.modules:
        for name, value in LOOPBACK_ENV.items():
            os.environ.setdefault(name, value)
    return require("ray", extra="ray", feature="RayExecutor")


@contextmanager
def loopback_env() -> Iterator[dict[str, str]]:
    """Within the block, the environment Ray's processes start with (see the module docstring).

    Yields the variables the workers get back (the driver's values, ``""`` where unset;
    ``grpc_proxy`` stays empty there too: Ray's own calls in a worker are on loopback).
    """
    changed = {_GRPC_PROXY: ""}
    if not any(os.environ.get(name) for name in _ANY_PROXY):
        changed.update(dict.fromkeys(_PROXY_VARS, _DEAD_PROXY))
        changed.update(dict.fromkeys(_NO_PROXY_VARS, _LOOPBACK_HOSTS))
    saved = {name: os.environ.get(name) for name in changed}
    os.environ.update(changed)
    try:
        back = {name: value or "" for name, value in saved.items()}
        back[_GRPC_PROXY] = ""
        yield back
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def start_local(ray: ModuleType, *, num_cpus: int | None, object_store_memory: int) -> None:
    """Start a local Ray cluster on loopback (blocking: a few seconds)."""
    with loopback_env() as worker_env:
        options: dict[str, Any] = {
            "num_cpus": num_cpus,
            "include_dashboard": False,
            "object_store_memory": object_store_memory,
            "log_to_driver": False,
            "configure_logging": False,
            "_node_ip_address": "127.0.0.1",
        }
        options["runtime_env"] = {"env_vars": worker_env}
        ray.init(**options)


def _probe(address: str, timeout: float) -> None:
    """A TCP connection to ``host:port`` (a ``ray://`` one too), or ConfigurationError."""
    bare = address.removeprefix("ray://")
    host, sep, port = bare.rpartition(":")
    if not sep or not port.isdigit():
        return  # not host:port: let Ray read it
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise ConfigurationError(
            f"RayExecutor(address={address!r}): nothing answers there ({exc}); start the "
            "cluster (ray start --head) or pass the address its head node printed."
        ) from exc


async def connect(ray: ModuleType, address: str, *, timeout: float) -> None:
    """Connect this process to the cluster at ``address``; ``ConfigurationError`` when it does not answer.

    A ``host:port`` is probed first within ``timeout`` seconds (in a thread, so the event
    loop goes on); ``ray.init`` itself runs in the caller's thread (Ray's driver cannot be
    started from another), with Ray's own connection timeout.
    """
    await asyncio.to_thread(_probe, address, timeout)
    try:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    except ConnectionError as exc:
        raise ConfigurationError(
            f"RayExecutor(address={address!r}): could not connect ({exc}); start the cluster "
            "(ray start --head) or pass the address its head node printed."
        ) from exc
