"""A tenant's runs and sessions as lists: newest first, a page at a time.

Guarantees:

- **A tenant lists only its own.** Runs are filtered by the tenant that started
  them and sessions by the tenant's own prefix of the store's ids, so no page
  or count shows another tenant's runs or sessions. A cursor is the service's
  count of runs started when that run began: its value grows with every
  tenant's runs.
- **Runs come newest first**, by the order they started, at most ``limit`` a
  page. ``next`` is the cursor of the following page (None on the last one). A
  cursor is a place in that order, not an index: runs that start or are
  forgotten between two pages neither repeat a run nor skip one still kept.
- **Sessions come most recently updated first**, and every session of the
  tenant that the store holds can be found whatever other tenants keep: the
  store is read in growing pages until it gives ``limit`` of the tenant's
  sessions or has no more.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmkit.errors import UsageError
from llmkit.serve._run import ServedRun

if TYPE_CHECKING:
    from llmkit.durable import SessionInfo, Store

__all__ = ["MAX_PAGE", "RunPage", "check_limit", "page_of_runs", "tenant_sessions"]

MAX_PAGE = 1000
"""The most runs or sessions one page holds."""


@dataclass(frozen=True, slots=True)
class RunPage:
    """One page of a tenant's runs, newest first, and the cursor of the next page (None: the last)."""

    runs: list[ServedRun]
    next: str | None

    def to_dict(self) -> dict[str, Any]:
        """The page as clients see it: ``{"object": "list", "data": [run summaries], "next"}``."""
        return {"object": "list", "data": [run.summary() for run in self.runs], "next": self.next}


def check_limit(limit: object, what: str) -> int:
    """``limit`` when it is a whole number from 1 to :data:`MAX_PAGE`; :class:`UsageError` otherwise."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"A page holds 1 to {MAX_PAGE} {what}: pass limit=20, not {limit!r}.")
    return limit


def page_of_runs(
    newest_first: Iterable[ServedRun], tenant: str, *, limit: int, after: str | None
) -> RunPage:
    """The tenant's runs from ``newest_first`` that come after the cursor ``after``, ``limit`` of them."""
    check_limit(limit, "runs")
    before = _cursor_place(after)
    page: list[ServedRun] = []
    more = False
    for run in newest_first:
        if run.tenant != tenant or (before is not None and run.number >= before):
            continue
        if len(page) == limit:
            more = True
            break
        page.append(run)
    return RunPage(page, str(page[-1].number) if more else None)


_MOST_DIGITS = 18
"""A cursor or limit longer than this is no count this service made (and ``int()`` of a few
thousand digits raises)."""


def _cursor_place(after: str | None) -> int | None:
    if after is None:
        return None
    if (
        not isinstance(after, str)
        or not after.isascii()
        or not after.isdigit()
        or len(after) > _MOST_DIGITS
    ):
        raise UsageError(
            f"A cursor is the 'next' of the page before (or nothing, for the first page), "
            f"not {after[:20] if isinstance(after, str) else after!r}."
        )
    return int(after)


async def tenant_sessions(store: Store, prefix: str, *, limit: int) -> list[SessionInfo]:
    """The sessions of ``store`` whose id starts with ``prefix``, with the prefix taken off,
    most recently updated first, at most ``limit`` (empty sessions left out)."""
    check_limit(limit, "sessions")
    asked = max(100, 10 * limit)
    while True:
        infos = await store.list_sessions(limit=asked)
        found = [
            dataclasses.replace(info, id=info.id[len(prefix) :])
            for info in infos
            if info.id.startswith(prefix) and info.messages
        ]
        if len(found) >= limit or len(infos) < asked:
            return found[:limit]
        asked *= 4
