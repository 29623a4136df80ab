"""The machinery behind :class:`llmkit.Agent`: the loop, tool calls, handoffs, resume.

Private: import :class:`~llmkit.Agent` and friends from :mod:`llmkit`. The
modules, in the order a run meets them (``docs/internals.md`` follows one
request through them):

- ``options``: checks of what ``Agent(...)`` and a run are given (its memory and
  knowledge hooks too); a run's messages, limits and hooks resolved from its options;
- ``overrides``: ``Overrides``, what ``Agent.override()`` swaps (a context variable);
- ``spec``: ``AgentSpec`` and ``HandoffRoute``, what a run reads of its agent;
- ``inputs``: ``RunSetup`` and ``Restored``, what an ``AgentRun`` is built from;
- ``prepare``: the request parts built once per spec and model; ``build_request``;
- ``publish``: ``Publishing``, ``finish`` and ``published``, the one path from a run to the bus;
- ``streaming``: ``Streaming``, the base class that gives ``Agent`` its streaming methods
  (``stream``, ``stream_output`` and their sync twins);
- ``resuming``: ``Resuming``, the base class that gives ``Agent`` ``resume`` and ``resume_sync``;
- ``loop``: ``AgentRun``, the state of one run and the generator that advances it (``events``);
- ``partial``: ``PartialOutputs``, the ``PartialOutput`` events of a structured answer
  while it streams;
- ``plan``: what a model reply asks for (``plan_reply``), counts of wrong calls;
- ``calls``: ``PlannedCall``, checking, running and answering one tool call;
- ``batch``: ``run_calls``, the calls of one reply, concurrently;
- ``hooked``: hook contexts, and a tool call with hooks around it;
- ``deadline``: awaiting within a run's deadline;
- ``handoff``: ``AgentHandoff`` and the checks and routes of handoffs;
- ``paused``: ``PausedState``, a run paused for approvals and its JSON form;
- ``resume``: ``resume_run``, a paused run rebuilt with the decisions;
- ``checkpoints``: ``Checkpoints``, what a durable run (``store=``) writes, and when;
- ``restore``: ``restore_run``, a durable run rebuilt from its checkpoints;
- ``durable``: ``DurableRun``, ``new_run`` and ``stored_run``, a run with a store or a
  session opened and closed;
- ``direct``: ``DirectRun`` (a model-free agent's run, with hooks, a timeout and a
  recording) and ``agent_as_tool``.
"""
