"""The errors of the durable store (a branch of :class:`~llmkit.errors.LLMKitError`).

::

    StoreError                        anything the store refuses or cannot do
    ├── RunNotFoundError              no run with that id (resume, show, delete)
    ├── RunExistsError                a new run with the id of a stored one
    ├── RunFinishedError              resuming a run that already finished
    ├── RunBusyError                  the run is held by a live process (or was taken over)
    ├── WorkflowChangedError          the flow's definition changed since the checkpoint
    ├── SessionConflictError          a session replaced by someone else since it was read
    ├── CheckpointError               a checkpoint could not be written (disk full,
    │   │                             read-only file); the last good one stays intact
    │   └── NotStorableError          a value with no JSON form (the message names it)
    └── StoreFormatError              a corrupt or truncated file, or one from a newer llmkit

Every message says what to do next. None of them holds a secret: the store's
address is shown without its password.
"""

from __future__ import annotations

from llmkit.errors import LLMKitError

__all__ = [
    "CheckpointError",
    "NotStorableError",
    "RunBusyError",
    "RunExistsError",
    "RunFinishedError",
    "RunNotFoundError",
    "SessionConflictError",
    "StoreError",
    "StoreFormatError",
    "WorkflowChangedError",
]


class StoreError(LLMKitError):
    """The durable store refused a request or could not carry it out."""


class RunNotFoundError(StoreError):
    """No run with that id is stored (``llmkit runs list`` shows the ids)."""


class RunExistsError(StoreError):
    """A new run was given the id of a run already stored; resume it or pick another id."""


class RunFinishedError(StoreError):
    """The run already finished; its result is stored (``llmkit runs show``)."""


class RunBusyError(StoreError):
    """Another live process holds the run (it is running, or two resumes raced and this one lost)."""


class WorkflowChangedError(StoreError):
    """The workflow's definition changed since the run was checkpointed.

    Resume with the definition it started with, or pass ``allow_changed=True``
    to continue with the new one from the finished steps that still exist.
    """


class SessionConflictError(StoreError):
    """A session changed since it was read (another process wrote it); read it again and retry."""


class CheckpointError(StoreError):
    """A checkpoint could not be written; the run stops and the last good checkpoint is kept."""


class NotStorableError(CheckpointError):
    """A value to checkpoint has no JSON form; the message names where it is."""


class StoreFormatError(StoreError):
    """The store's file or schema cannot be read: corrupt, truncated, or written by a newer llmkit."""
