"""Checking what callers pass to ``Agent(...)`` and to a run, at the public edge.

A wrong type here would otherwise surface later as a raw ``TypeError`` or
``AttributeError`` deep in the loop (``Agent(timeout="5")``,
``message_history="x"``). Each check raises :class:`~llmkit.errors.UsageError`
saying what to pass instead; an option name a run does not take raises the
``TypeError`` Python raises for an unknown keyword. A run's options are
resolved here against the agent's (:func:`run_messages`, :func:`run_limits`). They run once per run on a handful of values
(one ``type()`` test per history message), so they cost well under a
microsecond per option.
"""

from __future__ import annotations

import math
from collections.abc import Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from llmkit._hooks.session import SESSION_HOOKS
from llmkit.bus import Bus
from llmkit.errors import UsageError
from llmkit.output import FINAL_RESULT_TOOL, OutputSpec
from llmkit.providers.base import Model
from llmkit.run import ResumeOptions, RunOptions, RunResult, UsageLimits
from llmkit.tools._tool import ErrorMode
from llmkit.types import (
    AudioPart,
    DocumentPart,
    ImagePart,
    Message,
    ModelSettings,
    Request,
    TextPart,
)

__all__ = [
    "RESUME_OPTIONS",
    "RUN_OPTIONS",
    "SETTINGS",
    "check_approvals",
    "check_bus",
    "check_count",
    "check_durable_options",
    "check_hooks",
    "check_identity",
    "check_knowledge",
    "check_limits",
    "check_memory",
    "check_option_names",
    "check_paused_result",
    "check_settings",
    "check_timeout",
    "check_tool_errors",
    "check_tool_names",
    "history_list",
    "hook_chain",
    "items_of",
    "load_result",
    "run_hooks",
    "run_input",
    "run_limits",
    "run_messages",
    "user_message",
]

SETTINGS = frozenset(ModelSettings.__optional_keys__)
"""The ``model_settings`` keys: those of :class:`~llmkit.types.ModelSettings`."""

RUN_OPTIONS = frozenset(RunOptions.__optional_keys__)
"""The keyword options of ``Agent.run``/``stream``: those of :class:`~llmkit.run.RunOptions`."""

RESUME_OPTIONS = frozenset(ResumeOptions.__optional_keys__)
"""The keyword options of ``Agent.resume``: those of :class:`~llmkit.run.ResumeOptions`."""

if TYPE_CHECKING:
    from llmkit._hooks.chain import HookChain
    from llmkit.memory._knowledge import Knowledge

_INPUT_ITEMS = (str, TextPart, ImagePart, DocumentPart, AudioPart)


def _kind(value: object) -> str:
    return type(value).__name__


def check_identity(model: Any, name: Any, description: Any, instructions: Any) -> None:
    """Check ``Agent(...)``'s model, name, description and instructions, in that order."""
    if model is not None and not isinstance(model, Model | str):
        raise UsageError(f"model= takes a Model or a 'provider/model' string, not {_kind(model)}.")
    if not isinstance(name, str) or not name:
        raise UsageError(f"name= takes a non-empty string, not {name!r}.")
    if description is not None and not isinstance(description, str):
        raise UsageError(f"description= takes a string, not {_kind(description)}.")
    if instructions is not None and not (isinstance(instructions, str) or callable(instructions)):
        raise UsageError(
            "instructions= takes a string, or a function of the run context returning one, "
            f"not {_kind(instructions)}."
        )


def check_tool_names(
    agent: str, tools: Iterable[str], handoffs: Container[str], *, final_tool: bool
) -> None:
    """Refuse a tool named like a handoff, or like the final-result tool when the agent has one."""
    for tool_name in tools:
        reserved = final_tool and tool_name == FINAL_RESULT_TOOL
        if reserved or tool_name in handoffs:
            what = "the final-result tool" if reserved else "a handoff"
            raise UsageError(
                f"Agent {agent!r}: the tool name {tool_name!r} is taken by {what}; "
                "rename the tool (@tool(name=...))."
            )


def check_bus(value: Any) -> Bus | None:
    """``value`` if it is None or an :class:`~llmkit.bus.Bus`."""
    if value is not None and not isinstance(value, Bus):
        raise UsageError(f"bus= takes an llmkit.bus.Bus, not {_kind(value)}.")
    return value


def check_option_names(options: Mapping[str, object], known: frozenset[str], method: str) -> None:
    """Raise the ``TypeError`` Python raises for a keyword ``Agent.<method>()`` does not take.

    The options arrive as ``**options`` typed by a ``TypedDict``, which Python
    does not check at run time; this keeps a misspelt option as loud as it was
    when each one was a parameter.
    """
    for key in options:
        if key not in known:
            raise TypeError(f"Agent.{method}() got an unexpected keyword argument {key!r}")


def check_timeout(value: Any, option: str = "timeout") -> float | None:
    """``value`` if it is None or a positive, finite number of seconds."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise UsageError(
            f"{option}= takes a positive number of seconds (or None), not {value!r}; "
            f"for example {option}=30."
        )
    return value


def check_count(value: Any, option: str, least: int) -> int:
    """``value`` if it is an integer (not a bool) of at least ``least``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise UsageError(f"{option} must be an integer of at least {least}, got {value!r}.")
    return value


def check_limits(value: Any) -> UsageLimits | None:
    """``value`` if it is None or a :class:`~llmkit.run.UsageLimits`."""
    if value is None or isinstance(value, UsageLimits):
        return value
    raise UsageError(
        f"usage_limits= takes an llmkit.UsageLimits, not {_kind(value)}; "
        "for example usage_limits=UsageLimits(max_requests=5)."
    )


def check_tool_errors(value: Any) -> ErrorMode:
    """``value`` if it is ``"return"`` or ``"raise"``."""
    if value not in ("return", "raise"):
        raise UsageError(
            f"tool_errors={value!r}: use 'return' (the model gets an error result) or "
            "'raise' (the run stops with ToolExecutionError)."
        )
    result: ErrorMode = value
    return result


def items_of(value: Any, option: str, what: str) -> tuple[Any, ...]:
    """The items of an iterable option (None: none); a non-iterable raises UsageError."""
    if value is None:
        return ()
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise UsageError(f"{option}= takes a list of {what}, not {_kind(value)}.")
    return tuple(value)


def check_hooks(value: Any) -> tuple[object, ...]:
    """The hooks of ``hooks=`` (None: none); each is checked when the chain is built."""
    return items_of(value, "hooks", "hooks (objects with before_*/after_* methods)")


def check_memory(value: object) -> object | None:
    """``value`` if it is None or a hook that fits requests (``ConversationMemory``, or any
    object with a ``before_model`` method); checked without importing :mod:`llmkit.memory`."""
    if value is None or callable(getattr(value, "before_model", None)):
        return value
    raise UsageError(
        f"memory= takes a llmkit.memory.ConversationMemory (or a hook with a before_model "
        f"method), not {_kind(value)}; for example memory=ConversationMemory(max_tokens=8_000). "
        "A conversation to continue goes in run(message_history=...) or run(session=...), "
        "a vector store in knowledge=."
    )


def check_knowledge(value: Any, retrieve_k: Any) -> Knowledge | None:
    """The hook of ``knowledge=`` and ``retrieve_k=``: ``Knowledge(store, k=retrieve_k)`` for a
    vector store (any object with ``search``), a ``Knowledge`` as given; None without one."""
    if value is None:
        if retrieve_k is not None:
            raise UsageError(
                f"retrieve_k={retrieve_k!r} is the number of passages knowledge= retrieves: "
                "pass knowledge=store too, or drop retrieve_k."
            )
        return None
    if retrieve_k is not None:
        check_count(retrieve_k, "retrieve_k", 1)
    from llmkit.memory._knowledge import Knowledge

    if isinstance(value, Knowledge):
        if retrieve_k is not None:
            raise UsageError(
                f"retrieve_k= applies to a vector store given as knowledge=; this Knowledge "
                f"has its own k ({value.k}): pass Knowledge(store, k={retrieve_k}) instead."
            )
        return value
    if not callable(getattr(value, "search", None)):
        raise UsageError(
            f"knowledge= takes a vector store (llmkit.memory.VectorMemory, SQLiteVectorStore, "
            f"or any object with an async search(query, k=, where=)) or a Knowledge hook, not "
            f"{_kind(value)}; add texts to a store first: store.add_sync(texts)."
        )
    return Knowledge(value, k=4 if retrieve_k is None else retrieve_k)


def hook_chain(
    hooks: Any, memory: object | None, knowledge: object | None
) -> tuple[tuple[object, ...], HookChain | None]:
    """An agent's hooks (``hooks=``, then its memory and knowledge hooks) and their chain
    (None when there are none)."""
    found = (*check_hooks(hooks), *(h for h in (memory, knowledge) if h is not None))
    if not found:
        return found, None
    from llmkit._hooks.chain import HookChain

    return found, HookChain(found)


def check_settings(value: Any) -> ModelSettings:
    """``model_settings`` as a new dict whose keys are :class:`~llmkit.types.ModelSettings`' keys.

    The values are checked where a request checks them (a probe
    :class:`~llmkit.types.Request` is built), once, now.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise UsageError(
            f"model_settings= takes a dict of request fields, not {_kind(value)}; "
            'for example model_settings={"temperature": 0.2}.'
        )
    settings = dict(value)
    unknown = [key for key in settings if key not in SETTINGS]
    if unknown:
        raise UsageError(
            f"Unknown model_settings: {', '.join(sorted(map(str, unknown)))}. "
            f"Accepted: {', '.join(sorted(SETTINGS))}."
        )
    if settings:
        try:
            Request([Message.user("probe")], **settings)
        except TypeError as exc:
            raise UsageError(f"model_settings: {exc}.") from None
    return cast(ModelSettings, settings)  # keys checked above, values by Request


def history_list(value: Any) -> list[Message]:
    """A new list of the messages of ``message_history`` (None: empty)."""
    if value is None:
        return []
    if type(value) is list or type(value) is tuple:
        messages = list(value)
    elif isinstance(value, RunResult):
        raise UsageError("message_history= takes a list of messages: pass result.messages.")
    elif isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise UsageError(
            f"message_history= takes a list of llmkit.Message (for example "
            f"previous.messages), not {_kind(value)}."
        )
    else:
        messages = list(value)
    for index, message in enumerate(messages):
        if type(message) is not Message and not isinstance(message, Message):
            hint = " (read it with Message.from_dict)" if isinstance(message, Mapping) else ""
            raise UsageError(
                f"message_history[{index}] has type {_kind(message)}, not llmkit.Message{hint}; "
                "pass a list of messages, for example previous.messages."
            )
    return messages


def user_message(user_input: Any) -> Message:
    """The user message of a run's input: text, a Message, or a list of text and media parts."""
    if isinstance(user_input, str):
        return Message.user(user_input)
    if isinstance(user_input, Message):
        return user_input
    if isinstance(user_input, Sequence) and not isinstance(user_input, bytes):
        if not user_input:
            raise UsageError("The input is an empty list: pass text, or text and media parts.")
        for index, item in enumerate(user_input):
            if not isinstance(item, _INPUT_ITEMS):
                raise UsageError(
                    f"input[{index}] has type {_kind(item)}: a list input holds text (str) and "
                    "media parts (ImagePart, DocumentPart, AudioPart, TextPart)."
                )
        return Message.user(*user_input)
    raise UsageError(
        f"An input is text, a Message, or a list of text and media parts, not {_kind(user_input)}."
    )


def run_messages(user_input: Any, history: Any) -> tuple[list[Message], int]:
    """A run's conversation (a new list: the history, then the input's user message) and the
    history's length; a run needs one or the other."""
    messages = history_list(history)
    history_length = len(messages)
    if user_input is not None:
        messages.append(user_message(user_input))
    elif not messages:
        raise UsageError("Nothing to run: pass an input, a message_history, or both.")
    return messages, history_length


def check_durable_options(store: Any, session: Any, history: Any, run_id: Any) -> None:
    """Refuse a store, session or run id that is not one, and a session with a history."""
    from llmkit.durable import Session, Store

    if store is not None and not isinstance(store, Store):
        raise UsageError(
            f"store= takes a llmkit.durable Store (SQLiteStore, MemoryStore …), not "
            f"{type(store).__name__}."
        )
    if session is not None:
        if not isinstance(session, Session):
            raise UsageError(
                f"session= takes a Session from store.session('id'), not {type(session).__name__}."
            )
        if history is not None:
            raise UsageError(
                "Pass session= or message_history=, not both: a session is the history "
                "(its messages are loaded and the run's turns appended)."
            )
    if run_id is not None and (not isinstance(run_id, str) or not run_id.strip()):
        raise UsageError(f"run_id= takes a non-empty string, not {run_id!r}.")


def run_input(user_input: Any, options: RunOptions) -> tuple[list[Message], int]:
    """A new run's conversation and history length (see :func:`run_messages`), its durable
    options checked; with a session, none yet (the session's messages are loaded later)."""
    store, session = options.get("store"), options.get("session")
    history = options.get("message_history")
    if store is not None or session is not None or "run_id" in options:
        check_durable_options(store, session, history, options.get("run_id"))
    return ([], 0) if session else run_messages(user_input, history)


def run_limits(
    options: ResumeOptions, max_steps: int, timeout: float | None, limits: UsageLimits | None
) -> tuple[int, float | None, UsageLimits | None]:
    """A run's max_steps, timeout and usage limits: those in ``options`` (checked), else the
    agent's, given after it."""
    if not options:
        return max_steps, timeout, limits
    steps_now = options.get("max_steps")
    timeout_now = options.get("timeout")
    limits_now = options.get("usage_limits")
    if steps_now is not None:
        check_count(steps_now, "max_steps", 1)
    check_timeout(timeout_now)
    check_limits(limits_now)
    return (
        max_steps if steps_now is None else steps_now,
        timeout if timeout_now is None else timeout_now,
        limits if limits_now is None else limits_now,
    )


def run_hooks(
    agent_hooks: tuple[object, ...], agent_chain: HookChain | None, hooks: Any
) -> HookChain | None:
    """A run's hooks: the agent's, the run's (``hooks``), then those of an active recording.

    With neither of the others, the agent's own chain (``agent_chain``), built once.
    """
    session = SESSION_HOOKS.get()
    if not hooks and not session:
        return agent_chain
    from llmkit._hooks.chain import HookChain

    return HookChain((*agent_hooks, *check_hooks(hooks), *session))


def check_paused_result(value: Any) -> RunResult[Any]:
    """``value`` if it is a :class:`~llmkit.run.RunResult` (to resume)."""
    if isinstance(value, RunResult):
        return value
    raise UsageError(
        f"resume() takes the RunResult of a paused run (or RunResult.from_dict(data)), "
        f"not {_kind(value)}."
    )


def check_approvals(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping of call ids to decisions."""
    if isinstance(value, Mapping):
        return value
    raise UsageError(
        f"approvals= takes a dict of pending call ids to True, False or edited arguments, "
        f"not {_kind(value)}; for example approvals={{call.id: True for call in result.pending}}."
    )


def load_result(data: Any, output: OutputSpec) -> RunResult[Any]:
    """``Agent.load_result``: a result from its JSON form, its output read as ``output``."""
    if not isinstance(data, Mapping):
        raise UsageError(f"load_result() takes the dict from result.to_dict(), not {_kind(data)}.")
    result: RunResult[Any] = RunResult.from_dict(dict(data))
    if not output.is_text:
        result.output_spec = output
        if result.status == "complete":
            result.output = output.from_json(result.output)
    return result
