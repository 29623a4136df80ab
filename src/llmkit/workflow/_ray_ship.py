"""Shipping work to Ray workers by value: pickled with cloudpickle, never with an API key.

:func:`ship` pickles a unit of work (an agent and its tools, a workflow subtree and its
state, their output types …) into the bytes a worker receives, before anything runs:

- a model reached over HTTP travels as its provider, model id and base URL; the worker builds
  it again with ``llmkit.model(...)``, which reads the key from the worker's environment.
  Other options of the model (timeout, retries, headers) take their defaults there;
- a model whose key was given as ``api_key=...`` (not the value of one of its ``key_env``
  variables in this process, which each provider's model names) is refused with a
  :class:`~llmkit.errors.ConfigurationError` naming the variable to set on the workers: the
  key has no way there but the environment;
- an agent's overrides (``Agent.override``) stay in this process: a worker runs the agent
  as built;
- anything else that cannot pickle is a :class:`~llmkit.errors.UsageError` naming where it
  sits (``agent.tools[0].fn -> lock``) and saying what to do.

Parts that many units hold (a batch's target and run options) can be shipped once:
:func:`ship` given them as ``shared`` writes each as a key, and :func:`unship` given the
unpickled parts under the same keys puts them back, so each unit's bytes hold only its own
data. :func:`unship` is the worker's side.
"""

from __future__ import annotations

import importlib
import io
import os
import pickle
import types
from collections.abc import Mapping
from typing import Any

from llmkit._agent.overrides import Overrides
from llmkit.errors import ConfigurationError, UsageError
from llmkit.providers._http_model import HTTPModel

__all__ = ["cloudpickle", "send_module_by_value", "ship", "unship"]


def _rebuild_model(provider: str, model_id: str, base_url: str) -> Any:
    """The worker's copy of a shipped model (its key from the worker's environment)."""
    from llmkit.providers import model

    return model(f"{provider}/{model_id}", base_url=base_url)


def _fresh_overrides() -> Overrides:
    return Overrides(f"llmkit_agent_override_{id(object())}")


def _model_reduction(model: HTTPModel) -> tuple[Any, ...]:
    if model.holds_key():
        names = model.key_env
        present = next((os.environ[n] for n in names if os.environ.get(n)), None)
        if present is None or not model.holds_key(present):
            where = names[0] if names else "the provider's key variable"
            raise ConfigurationError(
                f"Model {model.name!r} was built with api_key=...; a key never travels with the "
                f"work sent to Ray workers. Set {where} in the workers' environment (a local "
                "cluster's workers inherit this process's) and build the model without api_key=."
            )
    return (_rebuild_model, (model.provider, model.model_id, model.base_url))


def cloudpickle() -> Any:
    """Ray's cloudpickle (what Ray pickles tasks with), untyped."""
    return importlib.import_module("ray.cloudpickle")


def _pickler_class() -> type[pickle.Pickler]:
    """cloudpickle's pickler, with models and agent overrides reduced as the module docstring says."""
    base: Any = cloudpickle().CloudPickler

    def reducer_override(self: Any, obj: Any) -> Any:
        if isinstance(obj, HTTPModel):
            return _model_reduction(obj)
        if isinstance(obj, Overrides):
            return (_fresh_overrides, ())
        return base.reducer_override(self, obj)

    made: type[pickle.Pickler] = type(
        "ShipPickler", (base,), {"reducer_override": reducer_override}
    )
    return made


def _sharing_class(plain: type[pickle.Pickler]) -> type[pickle.Pickler]:
    """``plain``, writing the shared parts it is given as references (their keys)."""

    def persistent_id(self: Any, obj: Any) -> str | None:
        # The shared parts are alive while pickling, so no other object has their id.
        key: str | None = self.shared_ids.get(id(obj))
        return key

    made: type[pickle.Pickler] = type(
        "SharingShipPickler", (plain,), {"persistent_id": persistent_id}
    )
    return made


_PICKLER: list[type[pickle.Pickler]] = []


def _picklers() -> list[type[pickle.Pickler]]:
    """The plain pickler class and the one that writes shared parts as references."""
    if not _PICKLER:
        plain = _pickler_class()
        _PICKLER.extend((plain, _sharing_class(plain)))
    return _PICKLER


def ship(obj: Any, *, what: str, shared: Mapping[str, Any] | None = None) -> bytes:
    """``obj`` pickled for a worker (see the module docstring); ``what`` names it in errors.

    ``shared`` maps keys to parts of ``obj`` shipped on their own (once for many units):
    each is written as its key, and :func:`unship` given the same mapping puts it back.
    """
    plain, sharing = _picklers()
    buffer = io.BytesIO()
    try:
        if shared:
            pickler: Any = sharing(buffer, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.shared_ids = {id(part): key for key, part in shared.items()}
        else:
            pickler = plain(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dump(obj)
    except ConfigurationError:
        raise
    except (pickle.PicklingError, TypeError, AttributeError, ValueError) as exc:
        where = _culprit(obj, what)
        raise UsageError(
            f"{what} cannot be sent to Ray workers: {where} cannot be pickled ({exc}). "
            "Make it picklable (a module-level function or class; open clients, locks and "
            "files inside the tool or step when it runs, not when it is built), or run "
            "without a remote executor."
        ) from exc
    return buffer.getvalue()


def send_module_by_value(module: types.ModuleType) -> None:
    """Ship the functions and classes of ``module`` by value (its code goes with the work).

    For a module the workers cannot import: a script loaded from a file by path
    (``llmkit batch app.py:agent``), a module of this machine only.
    """
    cloudpickle().register_pickle_by_value(module)


class _SharingUnpickler(pickle.Unpickler):
    """Reads what the sharing pickler wrote: a shared part's key stands for the part."""

    def __init__(self, data: bytes, parts: Mapping[str, Any]) -> None:
        super().__init__(io.BytesIO(data))
        self.parts = parts

    def persistent_load(self, pid: Any) -> Any:
        """The shared part ``pid`` names."""
        try:
            return self.parts[pid]
        except (KeyError, TypeError):
            raise pickle.UnpicklingError(f"no shared part {pid!r} came with the unit") from None


def unship(data: bytes, *, shared: Mapping[str, Any] | None = None) -> Any:
    """What :func:`ship` pickled (on the worker); ``shared``: the parts shipped on their own."""
    if not shared:
        return cloudpickle().loads(data)
    cloudpickle()  # what the pickle names (cloudpickle's own functions) must be importable
    return _SharingUnpickler(data, shared).load()


def _pickles(obj: Any) -> bool:
    try:
        _picklers()[0](io.BytesIO(), protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    except ConfigurationError:
        return True
    except Exception:
        return False
    return True


def _parts(obj: Any) -> list[tuple[str, Any]]:
    """The named parts of ``obj`` a pickle would hold."""
    if isinstance(obj, dict):
        return [(f"[{k!r}]", v) for k, v in obj.items()]
    if isinstance(obj, list | tuple | set | frozenset):
        return [(f"[{i}]", v) for i, v in enumerate(obj)]
    if isinstance(obj, types.FunctionType):
        found: list[tuple[str, Any]] = []
        for name, cell in zip(obj.__code__.co_freevars, obj.__closure__ or (), strict=False):
            try:
                found.append((f".{name}", cell.cell_contents))
            except ValueError:
                continue
        found.extend(
            (f".{name}", obj.__globals__[name])
            for name in obj.__code__.co_names
            if name in obj.__globals__ and not isinstance(obj.__globals__[name], types.ModuleType)
        )
        return found
    found = []
    if hasattr(obj, "__dict__"):
        found.extend((f".{k}", v) for k, v in vars(obj).items())
    for klass in type(obj).__mro__:
        for slot in getattr(klass, "__slots__", ()) or ():
            if isinstance(slot, str) and hasattr(obj, slot) and slot != "__weakref__":
                found.append((f".{slot}", getattr(obj, slot)))
    return found


def _culprit(obj: Any, name: str, depth: int = 0, seen: set[int] | None = None) -> str:
    """The path from ``obj`` to the innermost part that does not pickle."""
    seen = set() if seen is None else seen
    seen.add(id(obj))
    if depth < 8:
        for label, part in _parts(obj):
            if id(part) in seen or _pickles(part):
                continue
            return _culprit(part, name + label, depth + 1, seen)
    return f"{name} (a {type(obj).__name__})"
