"""``RayExecutor``: units of work (batch items, parallel branches, map items) on a Ray cluster.

The executor keeps a pool of Ray actors (``workers``, one CPU each; by default one per CPU of
the cluster), each an event loop running up to ``per_worker`` units at once: agent runs wait
on the network, so a worker holds many. Each unit goes to the least busy worker.

What always holds:

- a unit is pickled here, before anything runs (``_ray_ship``): whatever cannot pickle is a
  ``UsageError`` naming it, a model's API key is never in the bytes (workers read it from
  their environment), a key given as ``api_key=...`` is refused;
- the parts a unit shares with others (``unit.shared()``: a batch's target and options) are
  pickled once, put in Ray's object store once, and unpickled once per worker; each unit's
  own bytes hold the rest. The units of a batch run on the worker's one copy of the target,
  as they run on one object in process;
- ``await submit(unit)`` gives what the unit returned or raises what it raised (its own
  class: llmkit's errors pickle with every field);
- events the unit published in the worker (an agent's ``run.start`` … ``run.end``) are
  published on this process's bus when the unit ends, in the order they happened; when
  nobody listens here, the worker builds none;
- cancelling the awaiting task cancels the unit in the worker (``ray.cancel``);
- a worker process that dies mid-unit is started again and the unit runs again, up to
  ``max_retries`` times; the caller gets one result per unit, never two (a unit is retried,
  not duplicated). Past the retries the unit fails with ``WorkerDiedError``;
- ``address=None`` starts a local cluster on loopback (``_ray_local``) unless this process
  is already connected to one; ``"auto"``, ``"host:port"`` or ``"ray://host:port"`` reach an
  existing cluster within ``connect_timeout`` seconds, else ``ConfigurationError``;
- ``aclose()`` stops the workers, and the local cluster when this executor started it.
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Mapping
from contextlib import suppress
from types import ModuleType
from typing import Any, TypeVar

from llmkit.bus import Bus, active_bus, use_bus
from llmkit.errors import UsageError
from llmkit.workflow._executor import WorkerDiedError
from llmkit.workflow._ray_ship import cloudpickle, ship, unship

__all__ = ["RayExecutor", "WorkerDiedError"]

T = TypeVar("T")

_MiB = 1024 * 1024
_SHARED_KEPT = 8
"""Shared parts (of that many keys, the most recent) kept here in the object store and
unpickled in each worker: a batch is one key, so eight batches may share one executor."""


class _Worker:
    """The body of one Ray actor: runs shipped units in its event loop."""

    def __init__(self) -> None:
        self._parts: dict[tuple[str, str], asyncio.Future[Any]] = {}
        """Shared parts by key and object id, unpickled once (the most recent
        :data:`_SHARED_KEPT`): a part put in the store again is read again."""

    async def _part(self, key: str, ref: Any) -> Any:
        """The shared part ``key`` (from the object store at its first use here).

        The first unit to need it loads it; the others wait for that load (shielded: one
        unit cancelled does not cancel it). A load that fails or is cancelled is dropped,
        and each waiting unit then loads the part itself.
        """
        name = (key, ref.hex())
        while (held := self._parts.get(name)) is not None:
            try:
                return await asyncio.shield(held)
            except asyncio.CancelledError:
                if not held.cancelled():
                    raise  # this unit was cancelled, not the load
        loading: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._parts[name] = loading
        while len(self._parts) > _SHARED_KEPT:
            del self._parts[next(iter(self._parts))]
        try:
            part = unship(await ref)
        except BaseException:
            if self._parts.get(name) is loading:
                del self._parts[name]
            loading.cancel()  # the units waiting for it load it themselves
            raise
        loading.set_result(part)
        return part

    async def run(self, payload: bytes, events: bool, shared: list[tuple[str, Any]]) -> bytes:
        """Run one shipped unit (its shared parts by key and object ref); its outcome and events."""
        parts = {key: await self._part(key, ref) for key, ref in shared}
        unit = unship(payload, shared=parts)
        captured: list[Any] = []
        bus = Bus()
        if events:
            bus.on("*", captured.append, inline=True)
        outcome: tuple[str, Any]
        try:
            with use_bus(bus):
                outcome = ("ok", await unit())
        except Exception as exc:
            outcome = ("error", exc)
        try:
            return _dumps((*outcome, captured))
        except Exception as exc:
            failed = UsageError(
                f"The result of a unit run on Ray could not be pickled back ({exc}); return "
                "plain data (str, numbers, lists, dicts, dataclasses, pydantic models)."
            )
            return _dumps(("error", failed, captured))

    def pid(self) -> int:
        """The worker's process id."""
        import os

        return os.getpid()


def _dumps(value: Any) -> bytes:
    data: bytes = cloudpickle().dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return data


class RayExecutor:
    """Runs batch items, workflow branches and map items on Ray (``pip install 'llmkit[ray]'``).

    ::

        results = await llmkit.batch(agent, inputs, executor=llmkit.RayExecutor(address="auto"))
        result = await flow.run(state, executor=llmkit.RayExecutor())

    ``address``: None starts a local cluster on loopback (or uses the one this process is
    connected to), ``"auto"`` finds the running one, ``"host:port"`` or ``"ray://host:port"``
    names it. ``workers``: how many worker actors (one CPU each; default: one per CPU of the
    cluster); ``per_worker``: units one worker runs at once; ``max_retries``: how often a unit
    whose worker died runs again; ``connect_timeout``: seconds an existing cluster has to
    answer. ``num_cpus`` and ``object_store_memory`` (bytes) size a local cluster.
    """

    name = "ray"
    remote = True

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int | None = None,
        per_worker: int = 64,
        max_retries: int = 3,
        connect_timeout: float = 30.0,
        num_cpus: int | None = None,
        object_store_memory: int = 128 * _MiB,
    ) -> None:
        if address is not None and (not isinstance(address, str) or not address):
            raise UsageError(
                'RayExecutor(address=...) takes None (a local cluster), "auto", "host:port" or '
                f'"ray://host:port"; not {address!r}.'
            )
        for label, value, low in (
            ("workers", workers, 1),
            ("per_worker", per_worker, 1),
            ("max_retries", max_retries, 0),
            ("num_cpus", num_cpus, 1),
        ):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < low
            ):
                raise UsageError(
                    f"RayExecutor({label}=...) takes a whole number of at least {low}, not {value!r}."
                )
        if isinstance(connect_timeout, bool) or not (
            isinstance(connect_timeout, int | float) and connect_timeout > 0
        ):
            raise UsageError(
                f"RayExecutor(connect_timeout=...) takes seconds, more than 0; not {connect_timeout!r}."
            )
        self.address = address
        """Where the cluster is (None: a local one)."""
        self._workers_wanted = workers
        self._per_worker = per_worker
        self._max_retries = max_retries
        self._connect_timeout = float(connect_timeout)
        self._num_cpus = num_cpus
        self._object_store_memory = object_store_memory
        self._ray: ModuleType | None = None
        self._actors: list[Any] = []
        self._busy: list[int] = []
        self._worker_class: Any = None
        self._shared: dict[str, tuple[Any, Any]] = {}
        """Shared parts shipped so far, by key: the part and its object ref."""
        self._owns_cluster = False
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Reach (or start) the cluster and start the workers; calling it again does nothing."""
        async with self._lock:
            if self._actors:
                return
            from llmkit.workflow import _ray_local

            ray = _ray_local.import_ray(local=self.address is None)
            if not ray.is_initialized():
                if self.address is None:
                    _ray_local.start_local(
                        ray, num_cpus=self._num_cpus, object_store_memory=self._object_store_memory
                    )
                    self._owns_cluster = True
                else:
                    await _ray_local.connect(ray, self.address, timeout=self._connect_timeout)
            count = self._workers_wanted or max(1, int(ray.cluster_resources().get("CPU", 1)))
            actor = ray.remote(
                num_cpus=1,
                max_concurrency=self._per_worker,
                max_restarts=-1 if self._max_retries else 0,
                max_task_retries=self._max_retries,
            )(_Worker)
            self._actors = [actor.remote() for _ in range(count)]
            self._busy = [0] * count
            self._worker_class = actor
            self._ray = ray

    def _replace(self, index: int, dead: Any) -> None:
        """Put a new worker where ``dead`` was, once: a worker Ray will not restart (its restarts
        are used up, or there are none) would fail every unit sent to it after."""
        ray = self._ray
        if self._actors[index] is not dead or self._worker_class is None or ray is None:
            return  # another unit's failure replaced it already
        self._actors[index] = self._worker_class.remote()
        with suppress(Exception):  # it may be gone already; a restarted one is stopped here
            ray.kill(dead, no_restart=True)

    @property
    def workers(self) -> int:
        """How many worker actors run (0 before :meth:`start`)."""
        return len(self._actors)

    async def worker_pids(self) -> list[int]:
        """The process ids of the workers (what a test kills to see a unit retried)."""
        await self.start()
        return [await actor.pid.remote() for actor in self._actors]

    async def submit(self, unit: Any) -> Any:
        """Run ``unit`` on a worker; its result, or its error (see the module docstring)."""
        if not self._actors:
            await self.start()  # first: it imports Ray with the loopback settings
        ray = self._ray
        assert ray is not None
        what = _describe(unit)
        shared = _shared_of(unit)
        refs = [(key, self._put(ray, key, part, unit, what)) for key, part in shared.items()]
        payload = ship(unit, what=what, shared=shared)
        bus = active_bus()
        index = self._busy.index(min(self._busy))
        self._busy[index] += 1
        worker = self._actors[index]
        ref = worker.run.remote(payload, bus is not None, refs)
        try:
            data = await ref
        except asyncio.CancelledError:
            ray.cancel(ref)
            raise
        except ray.exceptions.RayActorError as exc:
            self._replace(index, worker)
            raise WorkerDiedError(
                f"A Ray worker died running {_describe(unit)} and it was retried "
                f"{self._max_retries} times ({exc}); see the workers' logs (ray logs)."
            ) from exc
        finally:
            self._busy[index] -= 1
        kind, value, events = unship(data)
        if bus is not None:
            for event in events:
                bus.publish(event)
        if kind == "error":
            raise value
        return value

    def _put(self, ray: Any, key: str, part: Any, unit: Any, what: str) -> Any:
        """The object ref of the shared part ``key``: ``part`` pickled into the object store
        at the first unit that names it, the same ref for the next ones."""
        held = self._shared.pop(key, None)
        if held is None or held[0] is not part:
            try:
                data = ship(part, what=f"{what}'s {key.rsplit('/', 1)[-1]}")
            except UsageError:
                ship(unit, what=what)  # the error of the whole unit names the item's path
                raise
            held = (part, ray.put(data))
        self._shared[key] = held  # the most recent last
        while len(self._shared) > _SHARED_KEPT:
            del self._shared[next(iter(self._shared))]
        return held[1]

    async def aclose(self) -> None:
        """Stop the workers (and the local cluster this executor started); idempotent."""
        async with self._lock:
            ray = self._ray
            if ray is None:
                return
            for actor in self._actors:
                ray.kill(actor)
            self._actors = []
            self._busy = []
            self._shared.clear()
            self._ray = None
            if self._owns_cluster:
                self._owns_cluster = False
                ray.shutdown()

    def __repr__(self) -> str:
        return f"RayExecutor(address={self.address!r}, workers={self.workers})"


def _shared_of(unit: Any) -> dict[str, Any]:
    """The parts ``unit`` shares with other units, by key (see ``Executor``)."""
    shared = getattr(unit, "shared", None)
    if not callable(shared):
        return {}
    parts = shared()
    return dict(parts) if isinstance(parts, Mapping) else {}


def _describe(unit: Any) -> str:
    describe = getattr(unit, "describe", None)
    if callable(describe):
        text = describe()
        if isinstance(text, str):
            return text
    index = getattr(unit, "index", None)
    if isinstance(index, int) and not isinstance(index, bool):
        return f"batch item {index}"
    return f"the unit {type(unit).__name__}"
