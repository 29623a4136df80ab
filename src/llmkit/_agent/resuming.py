"""The resume methods of :class:`~llmkit.Agent`, on a base class of their own.

``Agent`` inherits them; they build nothing themselves: each checks its
options, resolves them against the agent's (``Agent._resolved``) and hands
the agent's spec to :func:`~llmkit._agent.resume.resume_run` (a paused
result and its decisions) or :func:`~llmkit._agent.durable.stored_run` (a
run id and its store), then drives the run with
:func:`~llmkit._agent.publish.finish`, as ``Agent.run`` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic

from typing_extensions import Unpack

from llmkit._agent import options as checks
from llmkit._agent.publish import finish
from llmkit._agent.streaming import OutputT
from llmkit._sync import run_sync
from llmkit.run import ResumeOptions, RunResult

if TYPE_CHECKING:
    from llmkit._agent.spec import AgentSpec
    from llmkit.durable import Store

__all__ = ["Resuming"]


class Resuming(Generic[OutputT]):
    """``resume`` and ``resume_sync``: a paused run decided, or a stored run continued."""

    def _spec(self) -> AgentSpec:
        """What a run reads of the agent; ``Agent`` defines it."""
        raise NotImplementedError

    def _resolved(self, options: ResumeOptions) -> dict[str, Any]:
        """A run's options resolved against the agent's; ``Agent`` defines it."""
        raise NotImplementedError

    async def resume(
        self,
        result_or_run_id: RunResult[Any] | str,
        *,
        approvals: Mapping[str, bool | dict[str, Any]] | None = None,
        store: Store | None = None,
        **options: Unpack[ResumeOptions],
    ) -> RunResult[OutputT]:
        """Continue a paused run once its pending calls are decided, or a stored run after a crash.

        ``approvals`` maps every pending call id to ``True`` (run it), ``False`` (do
        not; the model is told it was denied) or a dict of edited arguments. A
        ``result`` may come from another process (``RunResult.from_dict``). With a
        run id and ``store``: the stored run goes on from its last checkpoint; no
        answered model call and no finished tool call is repeated (``docs/durable.md``).

        Options (see :class:`~llmkit.run.ResumeOptions`): as for :meth:`run`, without
        ``message_history``: deps, usage_limits, max_steps, timeout, hooks.
        """
        if options:
            checks.check_option_names(options, checks.RESUME_OPTIONS, "resume")
        resolved = self._resolved(options)
        if store is not None or isinstance(result_or_run_id, str):
            from llmkit._agent.durable import stored_run

            return await finish(
                stored_run(self._spec(), result_or_run_id, store, approvals, **resolved)
            )
        from llmkit._agent.resume import resume_run

        result = checks.check_paused_result(result_or_run_id)
        return await finish(
            resume_run(self._spec(), result, checks.check_approvals(approvals), **resolved)
        )

    def resume_sync(
        self,
        result_or_run_id: RunResult[Any] | str,
        *,
        approvals: Mapping[str, bool | dict[str, Any]] | None = None,
        store: Store | None = None,
        **options: Unpack[ResumeOptions],
    ) -> RunResult[OutputT]:
        """Blocking twin of :meth:`resume`. Options: as for :meth:`resume` (deps,
        usage_limits, max_steps, timeout, hooks)."""
        if options:
            checks.check_option_names(options, checks.RESUME_OPTIONS, "resume_sync")
        return run_sync(self.resume(result_or_run_id, approvals=approvals, store=store, **options))
