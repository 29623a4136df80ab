"""A :class:`Session`: one stored conversation, read and extended as :class:`~llmkit.types.Message` lists.

Messages are stored in their JSON form (``Message.to_dict()``); reading
rebuilds them. A message that cannot be rebuilt (a store edited by hand, or
written by a newer llmkit) raises :class:`~llmkit.durable.StoreFormatError`
naming the session and the position.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from llmkit.durable._errors import SessionConflictError, StoreFormatError
from llmkit.errors import LLMKitError, UsageError
from llmkit.types import Message

__all__ = ["Session", "SessionBackend"]


class SessionBackend(Protocol):
    """The part of a store a :class:`Session` uses (every :class:`~llmkit.durable.Store` has it)."""

    async def load_session(self, session_id: str) -> Any:
        """The session's state (``.messages``, ``.version``)."""

    async def append_session(self, session_id: str, messages: Sequence[Any]) -> int:
        """Append one unit of messages."""

    async def replace_session(
        self, session_id: str, messages: Sequence[Any], *, expected_version: int
    ) -> int:
        """Replace the messages at a version."""

    async def delete_session(self, session_id: str) -> bool:
        """Remove the session."""


class Session:
    """A conversation kept in a store under an id; pass it to ``agent.run(..., session=...)``.

    Made by :meth:`Store.session` (no I/O until a method is awaited).
    """

    __slots__ = ("id", "store")

    def __init__(self, store: SessionBackend, session_id: str) -> None:
        if not isinstance(session_id, str) or not session_id.strip():
            raise UsageError(f"A session id is a non-empty string, not {session_id!r}.")
        self.store = store
        self.id = session_id

    async def load(self) -> tuple[list[Message], int]:
        """The conversation so far and the version it is at (0 for a new session)."""
        state = await self.store.load_session(self.id)
        return [
            self._message(data, index) for index, data in enumerate(state.messages)
        ], state.version

    async def messages(self) -> list[Message]:
        """The conversation so far (empty for a new session)."""
        return (await self.load())[0]

    async def append(self, messages: Sequence[Message]) -> int:
        """Add ``messages`` (one run's turns) after the stored ones; returns the new version."""
        return await self.store.append_session(self.id, _dicts(messages))

    async def replace(self, messages: Sequence[Message], *, expected_version: int) -> int:
        """Rewrite the conversation if nobody changed it since ``expected_version`` (see :meth:`load`)."""
        return await self.store.replace_session(
            self.id, _dicts(messages), expected_version=expected_version
        )

    async def fork(self, new_id: str) -> Session:
        """A new session ``new_id`` starting with a copy of this conversation (``new_id`` must be new)."""
        fork = Session(self.store, new_id)
        source = await self.store.load_session(self.id)
        try:
            await self.store.replace_session(new_id, source.messages, expected_version=0)
        except SessionConflictError:
            raise SessionConflictError(
                f"Cannot fork session {self.id!r} into {new_id!r}: a session {new_id!r} "
                "already exists; pick a new id or delete it first."
            ) from None
        return fork

    async def delete(self) -> bool:
        """Remove the conversation; False when it was never written."""
        return await self.store.delete_session(self.id)

    def _message(self, data: object, index: int) -> Message:
        try:
            if not isinstance(data, dict):
                raise TypeError(f"a {type(data).__name__}, not an object")
            return Message.from_dict(data)
        except (LLMKitError, KeyError, TypeError, ValueError) as exc:
            raise StoreFormatError(
                f"Session {self.id!r}: message {index} cannot be read ({exc}); the session was "
                "changed outside llmkit or by a newer version."
            ) from None

    def __repr__(self) -> str:
        return f"Session({self.id!r})"


def _dicts(messages: Sequence[Message]) -> list[dict[str, object]]:
    if isinstance(messages, Message) or not isinstance(messages, Sequence):
        raise UsageError("A session takes a list of Messages; wrap a single one in a list.")
    out = []
    for message in messages:
        if not isinstance(message, Message):
            raise UsageError(
                f"A session stores Messages, not {type(message).__name__}; build them with "
                "llmkit.types.Message."
            )
        out.append(message.to_dict())
    return out
