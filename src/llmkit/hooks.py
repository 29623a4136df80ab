"""Hooks: code that runs around every run, model call, tool call, workflow run and workflow step.

They observe, change or stop what they run around.

::

    from llmkit import Agent
    from llmkit.hooks import Hook, LoggingHook, MetricsHook

    class NoShouting(Hook):
        def before_model(self, ctx, request):
            for message in request.messages:
                ...                       # change the request in place, or return a new one

    agent = Agent(model, hooks=[LoggingHook(), MetricsHook(), NoShouting()])
    fast = with_hooks(llmkit.model("openai/gpt-4.1-mini"), [CacheHook("cache.db")])

A hook implements only the methods it needs, sync or async; which ones it
has is read once, when the hooks are composed. What a method returns decides
what happens:

===================  =====================================  =====================================
method               return None to observe, or …           to short-circuit, return …
===================  =====================================  =====================================
``before_run``       (observe only)                         (raise to stop the run)
``after_run``        a changed ``RunResult``
``before_model``     a changed ``Request``                  a ``Response``: no model call
``after_model``      a changed ``Response``
``before_tool``      a changed ``ToolCall`` (or arguments)  a ``ToolResult``: the tool is not run
``after_tool``       a changed ``ToolResult``
``before_workflow``  (observe only)                         (raise to stop the workflow)
``after_workflow``   a changed ``WorkflowResult``
``before_step``      (observe only)                         (raise to stop the step attempt)
``after_step``       a changed output (any value but None)
``on_error``         (observe only: the error goes on)
===================  =====================================  =====================================

Hooks compose like middleware: ordered by ``priority`` (highest first, so
outermost), ``before_*`` methods run in that order and ``after_*`` methods
in reverse. A hook that short-circuits is the innermost of that call: hooks
after it do not see the call, hooks before it see its answer in their
``after_*``. ``on_error`` goes to every hook that has it, for the failed
call and then for the run (in a workflow: for each failed step attempt,
``ctx.kind == "step"``, and for the failed workflow run, ``"workflow"``).
Hooks given to a workflow run see its points and also every agent run in it;
``ctx.path`` says which workflow step a context belongs to (``""`` outside
workflows). A hook that raises stops the run with
:class:`~llmkit.errors.HookError` naming it (or its own ``HookError``, such
as :class:`~llmkit.errors.GuardrailTripped`), with the conversation so far
in ``err.messages``.

This module only re-exports. :class:`Hook`, :class:`HookContext`,
``HOOK_METHODS`` and ``HookKind`` are defined in ``llmkit._hooks.base``,
:class:`HookChain` (hooks composed once, run around a call) in
``llmkit._hooks.chain``, :func:`with_hooks` and :class:`HookedModel` in
``llmkit._hooks.model``, and
the built-in hooks (:class:`LoggingHook`, :class:`MetricsHook`,
:class:`TracingHook`, :class:`Guardrail`, :class:`CacheHook`,
:class:`RateLimit`) beside them; each is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmkit._lazy import lazy_exports

if TYPE_CHECKING:
    from llmkit._hooks.base import HOOK_METHODS, Hook, HookContext, HookKind
    from llmkit._hooks.cache import CacheHook
    from llmkit._hooks.chain import HookChain
    from llmkit._hooks.guardrails import Guardrail
    from llmkit._hooks.logs import LoggingHook
    from llmkit._hooks.metrics import MetricsHook
    from llmkit._hooks.model import HookedModel, with_hooks
    from llmkit._hooks.ratelimit import RateLimit
    from llmkit._hooks.tracing import TracingHook

__all__ = [
    "HOOK_METHODS",
    "CacheHook",
    "Guardrail",
    "Hook",
    "HookChain",
    "HookContext",
    "HookKind",
    "HookedModel",
    "LoggingHook",
    "MetricsHook",
    "RateLimit",
    "TracingHook",
    "with_hooks",
]

# Where each name is defined; nothing is imported until a name is first read.
_LAZY: dict[str, str] = {
    "HOOK_METHODS": "llmkit._hooks.base",
    "CacheHook": "llmkit._hooks.cache",
    "Guardrail": "llmkit._hooks.guardrails",
    "Hook": "llmkit._hooks.base",
    "HookChain": "llmkit._hooks.chain",
    "HookContext": "llmkit._hooks.base",
    "HookKind": "llmkit._hooks.base",
    "HookedModel": "llmkit._hooks.model",
    "LoggingHook": "llmkit._hooks.logs",
    "MetricsHook": "llmkit._hooks.metrics",
    "RateLimit": "llmkit._hooks.ratelimit",
    "TracingHook": "llmkit._hooks.tracing",
    "with_hooks": "llmkit._hooks.model",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
