"""The fingerprint of a workflow's definition: what a resume compares to refuse a changed flow.

:func:`fingerprint` hashes (SHA-256, 32 hex digits) a canonical description of the tree:

- its shape: every node's kind, name, ``output=``, ``input=`` (an expression's text, a
  function's qualified name), ``state=`` type and children in declared order;
- every option that decides what runs: the combinators' (``merge``, ``max_concurrency``,
  ``errors``, a branch's predicates and ``otherwise``, a loop's conditions and bounds, a
  map's ``over``) and each node's policy (retry, breaker, timeout, on_error, fallback);
- what each leaf runs, by name: a function's qualified name (not its module, so a script
  and an import of it agree), an agent's name, a tool's name, a ``Step`` object's class and
  name, a nested workflow's own tree.

It does not read function bodies, agents' models or instructions, or prompts: fixing a bug in
a step, or changing a prompt, keeps the fingerprint, so the run resumes with the new code
(the steps already finished keep their recorded outputs). Renaming, adding, removing or
moving a step, or changing a policy, changes it. The same definition gives the same
fingerprint in every process (nothing in it depends on ids, addresses or hash seeds).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from llmkit.workflow._breaker import CircuitBreaker
from llmkit.workflow._predicate import Expression
from llmkit.workflow._retry import Retry
from llmkit.workflow._runtime import kind_of
from llmkit.workflow._spec import (
    BranchNode,
    LeafNode,
    LoopNode,
    MapNode,
    Node,
    ParallelNode,
    Policy,
)

__all__ = ["describe", "fingerprint"]


def _named(target: object) -> str:
    # The qualified name without the module: a flow run as a script (``__main__``) and
    # resumed from an import of the same file has the same fingerprint.
    qualname = getattr(target, "__qualname__", None) or type(target).__qualname__
    return str(qualname)


def _expression(expression: Expression | None) -> str | None:
    if expression is None:
        return None
    source = expression.source
    return source if isinstance(source, str) else "fn:" + _named(source)


def _errors(on: Any) -> Any:
    if on is None:
        return None
    classes = on if isinstance(on, tuple) else (on,)
    return [_named(cls) for cls in classes]


def _retry(retry: Retry | None) -> Any:
    if retry is None:
        return None
    return [
        retry.attempts,
        retry.backoff,
        retry.delay,
        retry.max_delay,
        retry.jitter,
        _errors(retry.on),
    ]


def _breaker(breaker: CircuitBreaker | None) -> Any:
    return None if breaker is None else breaker.key


def _policy(policy: Policy) -> dict[str, Any]:
    return {
        "retry": _retry(policy.retry),
        "breaker": _breaker(policy.breaker),
        "timeout": policy.timeout,
        "on_error": policy.on_error,
        "fallback": None if policy.fallback is None else describe(policy.fallback),
    }


def _target(node: LeafNode) -> Any:
    target = node.target
    if node.kind == "workflow":
        return describe(target) if isinstance(target, Node) else None
    if node.kind in ("agent", "tool"):
        return getattr(target, "name", None) or _named(target)
    if node.kind == "step":
        return [_named(type(target)), getattr(target, "name", None)]
    return _named(target)


def describe(node: Node) -> dict[str, Any]:
    """The canonical description of ``node``'s tree (plain JSON data) the fingerprint hashes."""
    d: dict[str, Any] = {
        "kind": kind_of(node),
        "name": node.name,
        "input": _expression(node.input),
        "output": node.output,
        "state": None if node.state is None else _named(node.state),
        "policy": _policy(node.policy),
    }
    if isinstance(node, LeafNode):
        d["target"] = _target(node)
        d["thread"] = node.thread
    elif isinstance(node, ParallelNode):
        merge = node.merge
        d["merge"] = merge if isinstance(merge, str) else "fn:" + _named(merge)
        d["max_concurrency"] = node.max_concurrency
        d["errors"] = node.errors
    elif isinstance(node, BranchNode):
        d["cases"] = [[_expression(case.predicate), describe(case.step)] for case in node.cases]
        d["otherwise"] = None if node.otherwise is None else describe(node.otherwise)
        d["all_matches"] = node.all_matches
        return d
    elif isinstance(node, LoopNode):
        d["loop"] = [
            _expression(node.while_),
            _expression(node.until),
            node.count,
            node.max_iterations,
            node.max_duration,
            node.delay,
            node.break_on_error,
            node.collect,
        ]
    elif isinstance(node, MapNode):
        d["over"] = _expression(node.over)
        d["max_concurrency"] = node.max_concurrency
        d["errors"] = node.errors
    if not isinstance(node, LeafNode):
        d["children"] = [describe(child) for child in node.children()]
    return d


_KNOWN: dict[int, tuple[Node, str]] = {}
_KNOWN_MAX = 256


def fingerprint(node: Node) -> str:
    """A stable hash of ``node``'s definition (see the module docstring); computed once per tree
    (a tree is immutable)."""
    hit = _KNOWN.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    text = json.dumps(describe(node), sort_keys=True, separators=(",", ":"), default=repr)
    made = hashlib.sha256(text.encode()).hexdigest()[:32]
    if len(_KNOWN) >= _KNOWN_MAX:
        _KNOWN.clear()
    _KNOWN[id(node)] = (node, made)
    return made
