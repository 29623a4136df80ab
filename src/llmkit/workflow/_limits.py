"""Usage limits across every agent of a workflow run: the ledger and the hook that enforces it.

:class:`UsageLedger` keeps what finished step attempts used (``done``, failed attempts
included) and what agent runs still in flight have used so far (``live``, by agent run id);
their sum is the run's total. :class:`LedgerHook`, added to every agent run of a workflow
with ``usage_limits``, checks that total before each model call (``max_requests``) and after
each one (tokens, cost), and raises ``UsageLimitExceeded`` with a message about the whole
workflow; the hook chain passes it on unchanged, so the agent run stops with it.

When a step ends, its final usage replaces its live entries, so no run counts twice. The
total is summed in one pass, and with a cost limit each part's cost is kept once worked
out, so a check costs time linear in the runs in flight, not in the model calls so far. A stop
raised here sets :attr:`UsageLedger.tripped`, which is how the policy loop tells the
workflow's own limit (a stop, never retried) from an agent's own per-run limit (an ordinary
step failure).
"""

from __future__ import annotations

import logging

from llmkit._hooks.base import Hook, HookContext
from llmkit.errors import UsageLimitExceeded
from llmkit.run import UsageLimits
from llmkit.types import Request, Response, Usage

__all__ = ["LedgerHook", "UsageLedger"]

_log = logging.getLogger("llmkit.workflow")


class UsageLedger:
    """The usage of one workflow run so far, checked against its limits."""

    __slots__ = ("_warned", "done", "limits", "live", "name", "pending", "tripped")

    def __init__(self, limits: UsageLimits, *, name: str) -> None:
        self.limits = limits
        self.name = name
        """The workflow's name, for messages."""
        self.done = Usage()
        """Usage of finished step attempts."""
        self.live: dict[str, Usage] = {}
        """Usage so far of agent runs in flight, by run id."""
        self.pending: dict[str, int] = {}
        """Model calls started and not answered yet, by agent run id: they count against
        ``max_requests`` from the moment they start, so concurrent calls cannot all pass."""
        self.tripped: UsageLimitExceeded | None = None
        """The stop this ledger raised, once it did."""
        self._warned = False

    def total(self) -> Usage:
        """Everything the run used so far: finished attempts plus runs in flight.

        One pass (:meth:`Usage.sum`), linear in the runs in flight and the terms of ``done``.
        """
        return Usage.sum((self.done, *self.live.values()))

    def reserve(self, run_id: str) -> None:
        """Admit a model call of ``run_id`` if the request limit allows one more, and hold it."""
        self.check(before_request=True)
        self.pending[run_id] = self.pending.get(run_id, 0) + 1

    def release(self, run_id: str) -> None:
        """A held model call of ``run_id`` was answered or failed."""
        held = self.pending.get(run_id, 0)
        if held <= 1:
            self.pending.pop(run_id, None)
        else:
            self.pending[run_id] = held - 1

    def add_live(self, run_id: str, usage: Usage) -> None:
        """Count a model call of the agent run ``run_id``, still in flight."""
        before = self.live.get(run_id)
        self.live[run_id] = usage if before is None else before + usage

    def finish(self, run_ids: list[str], usage: Usage) -> None:
        """A step attempt ended having used ``usage``; its runs' live entries are dropped."""
        for run_id in run_ids:
            self.live.pop(run_id, None)
            self.pending.pop(run_id, None)
        self.done = self.done + usage

    def check(self, *, before_request: bool) -> None:
        """Raise UsageLimitExceeded when the total breaks a limit (and remember it)."""
        limits = self.limits
        if limits.max_cost is not None:
            # The total's cost is read below anyway; reading its parts' first keeps each one's
            # (a number, no longer a sum of terms), so the next checks add them as one term
            # each instead of working out every call's cost again.
            for part in (self.done, *self.live.values()):
                _ = part.cost
        total = self.total()
        if before_request:
            held = sum(self.pending.values())
            reason = limits.check_before_request(total + Usage(requests=held) if held else total)
        else:
            reason = limits.check(total)
        if reason is None:
            if limits.max_cost is not None and total.cost is None and not self._warned:
                self._warned = True
                _log.warning(
                    "Workflow %r: the cost of its model calls is unknown, so its limit of "
                    "$%s cannot be checked.",
                    self.name,
                    limits.max_cost,
                )
            return
        reason = reason.replace("the run ", "the workflow ", 1)
        if total.estimated:
            reason = reason.replace(", over", " (estimated), over", 1)
        # No usage on it: the agent run it stops reports its own (the total is in the message).
        stop = UsageLimitExceeded(f"Workflow {self.name!r} stopped: {reason}.")
        self.tripped = stop
        raise stop


class LedgerHook(Hook):
    """Checks the workflow's usage limits around every model call of its agent runs."""

    priority = 90

    def __init__(self, ledger: UsageLedger) -> None:
        self.ledger = ledger

    def before_model(self, ctx: HookContext, request: Request) -> None:
        """Refuse the call when the workflow reached its request limit, else hold its place."""
        self.ledger.reserve(ctx.run_id)

    def after_model(self, ctx: HookContext, request: Request, response: Response) -> None:
        """Count the call and stop when the workflow is over a token or cost limit."""
        self.ledger.release(ctx.run_id)
        self.ledger.add_live(ctx.run_id, response.usage)
        self.ledger.check(before_request=False)

    def on_error(self, ctx: HookContext, error: BaseException) -> None:
        """A model call that failed no longer holds a place."""
        if ctx.kind == "model":
            self.ledger.release(ctx.run_id)
