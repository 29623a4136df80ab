"""Scripting every agent of a workflow at once: :func:`script_workflow`.

::

    from llmkit.testing import script_workflow

    scripts = {"researcher": ["Tides follow the moon."], "writer": lambda request: "A draft."}
    with script_workflow(flow, scripts) as models:
        result = flow.run_sync({"topic": "tides"})
    models["researcher"].requests                   # what the researcher was asked

Guarantees: every argument is checked before any agent is touched, so a bad name or script
leaves no override behind; the overrides hold inside the ``with`` block only (a context
variable: runs started in this thread or task, and in the tasks they start, including
``run_sync`` calls), and leaving the block, by an error too, restores every agent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

from llmkit.errors import UsageError
from llmkit.providers.base import Model
from llmkit.testing._script import ScriptLike
from llmkit.testing.models import ScriptedModel

if TYPE_CHECKING:
    from llmkit.agent import Agent
    from llmkit.workflow import Workflow

__all__ = ["AgentScript", "script_workflow"]

AgentScript: TypeAlias = ScriptLike | Model
"""What answers one agent: a list of turns, a function ``Request -> turn``, or a ready model
(a ``ScriptedModel``, ``FunctionModel``, ``TestModel`` or any other :class:`~llmkit.Model`)."""


@contextmanager
def script_workflow(
    flow: Workflow, scripts: Mapping[str, AgentScript], *, strict: bool = True
) -> Iterator[dict[str, ScriptedModel | Model]]:
    """Answer every agent of ``flow`` from a script: one per agent name.

    ``scripts`` maps an agent's name to a list of turns, a function ``Request -> turn``
    or a ready model; lists and functions become a :class:`ScriptedModel`. The agents
    are those of ``flow.agents()``, handoff targets included, and each one named runs
    on its model inside the ``with`` block (``agent.override(model=...)``). The block
    gives the models by name, for their ``.requests``.

    A name that is no agent of the flow is a :class:`~llmkit.errors.UsageError` listing
    the agents; so is, with ``strict=True`` (the default), an agent left without a
    script. A list script is consumed in call order: for an agent that runs
    concurrently (map items, parallel branches) give a function that answers from the
    request instead.
    """
    agents = _agents_of(flow)
    if not isinstance(scripts, Mapping):
        raise UsageError(
            "script_workflow() takes the scripts as a dict {agent name: script}, "
            f"not a {type(scripts).__name__}; the agents of {flow.name!r} are {_listed(agents)}."
        )
    unknown = [name for name in scripts if name not in agents]
    if unknown:
        raise UsageError(
            f"script_workflow(): {_names(unknown)} {'is' if len(unknown) == 1 else 'are'} "
            f"no agent of {flow.name!r}; its agents are {_listed(agents)}."
        )
    missing = [name for name in agents if name not in scripts]
    if strict and missing:
        raise UsageError(
            f"script_workflow(): no script for {_names(missing)} of {flow.name!r}; "
            "give each agent a script, or pass strict=False to let the others use their own model."
        )
    models = {name: _model_for(name, script) for name, script in scripts.items()}
    with ExitStack() as stack:
        for name, model in models.items():
            stack.enter_context(agents[name].override(model=model))
        yield models


def _agents_of(flow: Any) -> dict[str, Agent[Any]]:
    from llmkit.workflow import Workflow

    if not isinstance(flow, Workflow):
        raise UsageError(
            "script_workflow() takes a workflow (built with step(), sequence(), parallel() …), "
            f"not {type(flow).__name__}; for one agent use agent.override(model=ScriptedModel(...))."
        )
    return flow.agents()


def _model_for(name: str, script: Any) -> ScriptedModel | Model:
    if isinstance(script, Model):
        return script
    try:
        return ScriptedModel(script)
    except UsageError as exc:
        raise UsageError(f"The script for agent {name!r}: {exc}") from None


def _names(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)


def _listed(agents: Mapping[str, object]) -> str:
    return _names(list(agents)) if agents else "none (it has no agent steps)"
