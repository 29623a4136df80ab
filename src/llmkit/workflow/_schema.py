"""Reading the steps of a workflow definition: one mapping per step, with exactly one kind key.

A step is a mapping with one kind key (``agent``, ``function``, ``tool``, ``step``, ``use``,
``sequence``, ``parallel``, ``branch``, ``loop``, ``map``) and options: the ones every step
takes (``name``, ``input``, ``output``, ``state``, ``retry``, ``breaker``, ``timeout``,
``on_error``, ``fallback``) and the kind's own (see :data:`OWN_OPTIONS`). Each node is built
with the same builders as code (``step``, ``sequence`` …), so a definition and the code it
stands for give the same tree and pass the same checks.

Names are looked up in the registry the caller gives (an agent for ``agent:``, a function for
``function:``, a model class for ``state:``, an exception class for a name in ``on:`` …);
``use:`` names a workflow of the definition's ``workflows:`` section first, then one of the
registry. A step is named by the name it is written with (the registry name, for a leaf) unless
it says ``name:``.

Guarantees: every mistake is a :class:`~llmkit.errors.WorkflowDefinitionError` whose message
starts with ``<file>, line <n>:`` and carries ``file``, ``line`` and, when the step is known,
its ``path``: an unknown kind or option (with a did-you-mean), zero or two kind keys, a value
of the wrong type, a name the registry lacks (listing the names it has of that kind) or holds
as another kind, an expression that is not allowed, a workflow that uses itself. Nothing is
called while reading: functions, agents and predicates run only when the workflow runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from llmkit._jsondata import KeyPath, Located
from llmkit.errors import MissingExtraError, UsageError, WorkflowDefinitionError
from llmkit.workflow._build import branch, loop, map_each, parallel, sequence, step, when
from llmkit.workflow._checks import check_name, check_siblings
from llmkit.workflow._definition import Entries, Source, did_you_mean, shown
from llmkit.workflow._dump import COMMON_OPTIONS
from llmkit.workflow._spec import ON_ERROR, Case, Node
from llmkit.workflow._workflow import Workflow

__all__ = ["KINDS", "OWN_OPTIONS", "Definition"]

KINDS = (
    "agent",
    "branch",
    "function",
    "loop",
    "map",
    "parallel",
    "sequence",
    "step",
    "tool",
    "use",
)
"""The kind keys of a step."""

OWN_OPTIONS: dict[str, tuple[str, ...]] = {
    "agent": (),
    "function": ("thread",),
    "tool": (),
    "step": (),
    "use": (),
    "sequence": (),
    "parallel": ("merge", "max_concurrency", "errors"),
    "branch": ("otherwise", "all_matches"),
    "loop": (
        "while",
        "until",
        "count",
        "max_iterations",
        "max_duration",
        "delay",
        "break_on_error",
        "collect",
    ),
    "map": ("over", "max_concurrency", "errors"),
}
"""The options each kind takes besides the common ones."""

_ALL_OPTIONS = frozenset(COMMON_OPTIONS).union(*OWN_OPTIONS.values())
_ERROR_MODES = ("fail_fast", "collect")
_T = TypeVar("_T")


class Definition(Source):
    """One definition being read: :class:`Source`, with its named workflows and where each step is.

    :meth:`node` reads a step; :meth:`use` resolves a named workflow (each is read once; a
    workflow that uses itself is refused).
    """

    def __init__(self, doc: Located, *, file: str, registry: Mapping[str, object]) -> None:
        super().__init__(doc, file=file, registry=registry)
        self.workflows: dict[str, tuple[Any, KeyPath]] = {}
        """The ``workflows:`` section: each definition and where it is written."""
        self.places: dict[int, tuple[Node, KeyPath]] = {}
        """Where each node read was written (by ``id``; the node kept alive with it)."""
        self.built: dict[str, Node] = {}
        self.using: list[str] = []

    def node(
        self,
        value: Any,
        where: KeyPath,
        path_of: Callable[[str], str],
        *,
        default: str | None = None,
    ) -> Workflow:
        """Read the step written at ``where`` (``path_of`` gives its path from its name)."""
        if not isinstance(value, Mapping):
            raise self.fail(
                where,
                f"a step is a mapping with one kind key ({', '.join(KINDS)}), not {shown(value)}",
            )
        entries = {key: (item, (*where, key)) for key, item in value.items()}
        return self.entries(entries, where, path_of, default=default)

    def entries(
        self,
        entries: Entries,
        where: KeyPath,
        path_of: Callable[[str], str],
        *,
        default: str | None = None,
    ) -> Workflow:
        """Read a step from its entries (the root's come from two mappings, hence this form)."""
        kinds = [key for key in entries if key in KINDS]
        if len(kinds) > 1:
            raise self.fail(
                entries[kinds[1]][1],
                f"a step has one kind key; this one has {kinds[0]!r} and {kinds[1]!r}: make "
                "them two steps",
            )
        if not kinds:
            unknown = [key for key in entries if key not in _ALL_OPTIONS]
            if unknown:
                key = unknown[0]
                raise self.fail(
                    entries[key][1],
                    f"unknown step kind {key!r} (known: {', '.join(KINDS)})"
                    f"{did_you_mean(key, KINDS)}",
                )
            raise self.fail(
                where,
                f"a step needs a kind key ({', '.join(KINDS)}); this one has only options: "
                f"{', '.join(entries)}",
            )
        kind = kinds[0]
        allowed = (*COMMON_OPTIONS, *OWN_OPTIONS[kind])
        for key in entries:
            if key != kind and key not in allowed:
                raise self.fail(
                    entries[key][1],
                    f"unknown option {key!r} for {'an' if kind == 'agent' else 'a'} {kind} step "
                    "(its options: "
                    f"{', '.join(allowed)}){did_you_mean(key, allowed)}",
                )
        flow = _NodeReader(self, kind, entries, where, path_of, default).read()
        self.places.setdefault(id(flow.node), (flow.node, where))
        return flow

    def use(self, name: object, where: KeyPath) -> Node:
        """The node of the workflow ``name`` (``workflows:`` first, then the registry), ref set."""
        if not isinstance(name, str) or not name:
            raise self.fail(where, f"use: takes the name of a workflow, not {shown(name)}")
        found = self.built.get(name)
        if found is not None:
            return found
        if name in self.using:
            chain = " -> ".join([*self.using[self.using.index(name) :], name])
            raise self.fail(self.workflows[name][1], f"workflow {name!r} contains itself: {chain}")
        if name in self.workflows:
            value, at = self.workflows[name]
            self.using.append(name)
            try:
                node = self.node(value, at, lambda own: own, default=name).node
            finally:
                self.using.pop()
        elif name in self.registry:
            node = self.lookup(name, "workflow", where, option="use").node
        else:
            known = sorted(
                {*self.workflows, *(k for k, v in self.registry.items() if isinstance(v, Workflow))}
            )
            raise self.fail(
                where,
                f"use: no workflow is named {name!r} (workflows: {', '.join(known) or 'none'}); "
                f"define it under workflows: or register it{did_you_mean(name, known)}",
            )
        node = node.with_ref(name)
        self.built[name] = node
        self.places.setdefault(id(node), (node, self.workflows.get(name, (None, where))[1]))
        return node


class _NodeReader:
    """Reads one step of a known kind: its options, its children, then its builder."""

    def __init__(
        self,
        definition: Definition,
        kind: str,
        entries: Entries,
        where: KeyPath,
        path_of: Callable[[str], str],
        default: str | None,
    ) -> None:
        self.d = definition
        self.kind = kind
        self.entries = entries
        self.where = where
        value, at = entries.get("name", (None, where))
        if value is not None:
            if not isinstance(value, str):
                raise definition.fail(at, f"name: takes text, not {shown(value)}")
            try:
                check_name(value)
            except WorkflowDefinitionError as exc:
                raise definition.fail(at, str(exc)) from None
        self.name: str | None = value if value is not None else default
        own = self.name if self.name is not None else self.fallback_name()
        self.path = path_of(own)

    def fallback_name(self) -> str:
        """The name a builder would give (for paths in messages before the node is built)."""
        kind, entries = self.kind, self.entries
        if kind in ("parallel", "map"):
            output = entries.get("output", (None,))[0]
            return output if isinstance(output, str) else kind
        if kind in ("sequence", "branch", "loop"):
            return kind
        value = entries[kind][0]
        return value if isinstance(value, str) else kind

    def fail(self, where: KeyPath, message: str) -> WorkflowDefinitionError:
        return self.d.fail(where, message, path=self.path)

    def get(self, key: str) -> tuple[Any, KeyPath] | None:
        return self.entries.get(key)

    def build(self, builder: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """Call a builder; its refusal becomes a located error at this step."""
        try:
            return builder(*args, **kwargs)
        except MissingExtraError:
            raise
        except UsageError as exc:
            if isinstance(exc, WorkflowDefinitionError) and exc.line:
                raise
            raise self.fail(self.where, str(exc)) from None

    def indexed(self, index: int) -> Callable[[str], str]:
        """The path of a parallel's branch ``index`` from its name."""
        return lambda own: f"{self.path}[{index}]/{own}"

    def child(self, value: Any, where: KeyPath, path: Callable[[str], str]) -> Workflow:
        return self.d.node(value, where, path)

    def items(self, key: str) -> list[tuple[Any, KeyPath]]:
        value, at = self.entries[key]
        if not isinstance(value, list):
            raise self.fail(at, f"{key}: takes a list of steps, not {shown(value)}")
        return [(item, (*at, index)) for index, item in enumerate(value)]

    def siblings(self, nodes: list[Workflow], places: list[KeyPath], what: str) -> None:
        """Refuse two siblings with one name, at the line of the second."""
        seen: set[str] = set()
        for flow, at in zip(nodes, places, strict=True):
            if flow.name in seen:
                try:
                    check_siblings(tuple(n.node for n in nodes), owner=self.path, what=what)
                except WorkflowDefinitionError as exc:
                    raise self.d.fail(at, str(exc), path=exc.path) from None
            seen.add(flow.name)

    # ------------------------------------------------------------------ options

    def common(self) -> dict[str, Any]:
        d = self.d
        options: dict[str, Any] = {}
        for key, (value, at) in self.entries.items():
            if key == "input":
                options[key] = d.reader(value, at, "input", option="input")
            elif key == "output":
                if not isinstance(value, str) or not value.isidentifier():
                    raise self.fail(
                        at,
                        "output: takes the name of a state field, e.g. output: notes; not "
                        f"{shown(value)}",
                    )
                options[key] = value
            elif key == "state":
                options[key] = d.lookup(value, "state model", at, option="state")
            elif key == "retry":
                options[key] = d.retry(value, at)
            elif key == "breaker":
                options[key] = d.breaker(value, at)
            elif key == "timeout":
                options[key] = d.seconds(value, at, "timeout", positive=True)
            elif key == "on_error":
                options[key] = d.choice(value, at, "on_error", ON_ERROR)
            elif key == "fallback":
                options[key] = self.child(value, at, lambda _own: f"{self.path}/fallback")
        return options

    def read(self) -> Workflow:
        kind = self.kind
        if kind in ("agent", "function", "tool", "step"):
            return self.leaf()
        if kind == "use":
            return self.use()
        options = self.common()
        if self.name is not None:
            options["name"] = self.name
        if kind == "sequence":
            places = self.items("sequence")
            steps = [self.child(v, at, lambda own: f"{self.path}/{own}") for v, at in places]
            self.siblings(steps, [at for _, at in places], "steps")
            return self.build(sequence, *steps, **options)
        if kind == "parallel":
            branches = [
                self.child(v, at, self.indexed(i))
                for i, (v, at) in enumerate(self.items("parallel"))
            ]
            return self.build(parallel, *branches, **options, **self.fan_out(merge=True))
        if kind == "branch":
            return self.branch(options)
        if kind == "loop":
            return self.loop(options)
        return self.map(options)

    def fan_out(self, *, merge: bool) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if (found := self.get("max_concurrency")) is not None:
            options["max_concurrency"] = self.d.whole(*found, "max_concurrency", minimum=1)
        if (found := self.get("errors")) is not None:
            options["errors"] = self.d.choice(*found, "errors", _ERROR_MODES)
        if merge and (found := self.get("merge")) is not None:
            value, at = found
            if isinstance(value, Mapping):
                options["merge"] = self.d.function(value, at, "merge")
            else:
                options["merge"] = self.d.choice(value, at, "merge", ("all", "first"))
        return options

    def leaf(self) -> Workflow:
        kind = self.kind
        key, at = self.entries[kind]
        target = self.d.lookup(key, kind, at, option=kind)
        options = self.common()
        thread = False
        if (found := self.get("thread")) is not None:
            thread = self.d.flag(*found, "thread")
        flow = self.build(step, target, name=self.name or key, thread=thread, **options)
        return Workflow(flow.node.with_ref(key))

    def use(self) -> Workflow:
        value, at = self.entries["use"]
        node = self.d.use(value, at)
        if len(self.entries) == 1:
            return Workflow(node)  # written in place, as sequence(flow) does
        options = self.common()
        return self.build(step, Workflow(node), name=self.name or node.name, **options)

    def branch(self, options: dict[str, Any]) -> Workflow:
        cases: list[Case] = []
        steps: list[Workflow] = []
        places: list[KeyPath] = []
        for value, at in self.items("branch"):
            case = self.d.mapping(value, at, "a case", ("when", "then"))
            for key in ("when", "then"):
                if key not in case:
                    raise self.fail(
                        at, f"a case of a branch takes when: and then:; {key}: is missing"
                    )
            predicate = self.d.reader(*case["when"], "when", option="when")
            then = self.child(*case["then"], lambda own: f"{self.path}/{own}")
            steps.append(then)
            places.append(case["then"][1])
            cases.append(self.build(when, predicate, then))
        if (found := self.get("otherwise")) is not None:
            other = self.child(*found, lambda own: f"{self.path}/{own}")
            options["otherwise"] = other
            steps.append(other)
            places.append(found[1])
        if (found := self.get("all_matches")) is not None:
            options["all_matches"] = self.d.flag(*found, "all_matches")
        self.siblings(steps, places, "cases")
        return self.build(branch, *cases, **options)

    def loop(self, options: dict[str, Any]) -> Workflow:
        d = self.d
        given = [key for key in self.entries if key in ("while", "until", "count")]
        if len(given) > 1:
            raise self.fail(
                self.entries[given[1]][1],
                f"a loop takes one of while:, until: or count:, not {given[0]}: and {given[1]}:",
            )
        if not given and not ({"max_iterations", "max_duration"} & self.entries.keys()):
            raise self.fail(
                self.where,
                "a loop needs an end: give it while:, until:, count:, max_iterations: or "
                "max_duration:",
            )
        for key, (value, at) in self.entries.items():
            if key == "while":
                options["while_"] = d.reader(value, at, "while", option=key)
            elif key == "until":
                options[key] = d.reader(value, at, "until", option=key)
            elif key == "count":
                options[key] = d.whole(value, at, key, minimum=0)
            elif key == "max_iterations":
                options[key] = d.whole(value, at, key, minimum=1)
            elif key in ("max_duration", "delay"):
                options[key] = d.seconds(value, at, key, positive=key == "max_duration")
            elif key in ("break_on_error", "collect"):
                options[key] = d.flag(value, at, key)
        body = self.child(*self.entries["loop"], lambda own: f"{self.path}[*]/{own}")
        return self.build(loop, body, **options)

    def map(self, options: dict[str, Any]) -> Workflow:
        found = self.get("over")
        if found is None:
            raise self.fail(
                self.where, "a map step needs over: the list to map, e.g. over: chapters"
            )
        over = self.d.reader(*found, "over", option="over")
        body = self.child(*self.entries["map"], lambda own: f"{self.path}[*]/{own}")
        return self.build(map_each, body, over=over, **options, **self.fan_out(merge=False))
